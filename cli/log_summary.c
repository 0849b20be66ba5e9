/*
 * log_summary.c -- `defuse logs --summary`: what a responder wants to see
 * first.  Totals per kind, attempts per hour as a text histogram (the
 * "${" spike), top source addresses, top callback hosts, exfiltration keys
 * tried and decoded commands; as text (defanged) or as one JSON object.
 *
 * Counting uses a small open-addressing hash table per dimension, bounded
 * by LOGS_SUMMARY_MAX_DISTINCT entries (the rest counts as "(other)").
 */
#include "logs.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define TOP_N 10
#define HIST_WIDTH 50
#define HIST_MAX_GAP_FILL 96 /* hours; wider ranges list only busy hours */

typedef struct centry {
    char *key;
    uint64_t count;
} centry;

typedef struct counter {
    centry *slots;
    size_t cap, used;
    uint64_t other; /* values past the distinct limit */
} counter;

struct lsum {
    uint64_t files, lines, bytes, findings;
    uint64_t kinds[DEFUSE_KIND_COUNT];
    uint64_t no_time;
    uint64_t unreadable;   /* paths that could not be read (wholly or in part) */
    uint64_t binary_cmds;  /* decoded commands that are not text */
    counter hours, srcs, hosts, exfil, commands;
};

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int counter_grow(counter *c) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    centry *n = calloc(cap, sizeof *n);
    if (!n)
        return -1;
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->slots[i].key)
            continue;
        size_t j = hash(c->slots[i].key) & (cap - 1);
        while (n[j].key)
            j = (j + 1) & (cap - 1);
        n[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = n, c->cap = cap;
    return 0;
}

static void counter_add(counter *c, const char *key) {
    if (c->cap == 0 && counter_grow(c) < 0)
        return;
    size_t j = hash(key) & (c->cap - 1);
    while (c->slots[j].key) {
        if (strcmp(c->slots[j].key, key) == 0) {
            c->slots[j].count++;
            return;
        }
        j = (j + 1) & (c->cap - 1);
    }
    if (c->used >= LOGS_SUMMARY_MAX_DISTINCT) {
        c->other++;
        return;
    }
    if ((c->used + 1) * 2 > c->cap) {
        if (counter_grow(c) < 0) {
            c->other++;
            return;
        }
        counter_add(c, key);
        return;
    }
    c->slots[j].key = strdup(key);
    if (!c->slots[j].key) {
        c->other++;
        return;
    }
    c->slots[j].count = 1;
    c->used++;
}

static void counter_free(counter *c) {
    for (size_t i = 0; i < c->cap; i++)
        free(c->slots[i].key);
    free(c->slots);
}

static int by_count(const void *a, const void *b) {
    const centry *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

static int by_key_num(const void *a, const void *b) {
    long long x = strtoll(((const centry *)a)->key, NULL, 10);
    long long y = strtoll(((const centry *)b)->key, NULL, 10);
    return (x > y) - (x < y);
}

/* The used entries of c, sorted; caller frees the array (keys borrowed). */
static centry *counter_sorted(const counter *c, int (*cmp)(const void *, const void *)) {
    centry *v = malloc((c->used ? c->used : 1) * sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].key)
            v[k++] = c->slots[i];
    qsort(v, k, sizeof *v, cmp);
    return v;
}

lsum *lsum_new(void) { return calloc(1, sizeof(lsum)); }

void lsum_free(lsum *s) {
    if (!s)
        return;
    counter_free(&s->hours);
    counter_free(&s->srcs);
    counter_free(&s->hosts);
    counter_free(&s->exfil);
    counter_free(&s->commands);
    free(s);
}

void lsum_add_input(lsum *s, uint64_t files, uint64_t lines, uint64_t bytes) {
    s->files += files, s->lines += lines, s->bytes += bytes;
}

void lsum_add_unreadable(lsum *s, uint64_t paths) {
    s->unreadable += paths;
}

/* True if a rendered command (bytes that are not printable text are
 * written \xHH by the library) is text: no escapes but tab, CR and LF.  A
 * kit's placeholder decoded as Base64 ("XXXX" -> "]u\xd7") is not, and is
 * only counted. */
static int command_is_text(const char *c) {
    for (const char *p = c; (p = strstr(p, "\\x")) != NULL; p += 2)
        if (strncmp(p + 2, "09", 2) != 0 && strncmp(p + 2, "0a", 2) != 0 &&
            strncmp(p + 2, "0d", 2) != 0)
            return 0;
    return 1;
}

void lsum_add(lsum *s, const lrec *r) {
    if (r->type != LREC_FINDING)
        return;
    s->findings++;
    if ((unsigned)r->kind < DEFUSE_KIND_COUNT)
        s->kinds[r->kind]++;
    if (r->hour != LF_NO_HOUR) {
        char key[32];
        snprintf(key, sizeof key, "%lld", r->hour);
        counter_add(&s->hours, key);
    } else {
        s->no_time++;
    }
    if (r->src_ip)
        counter_add(&s->srcs, r->src_ip);
    if (r->host)
        counter_add(&s->hosts, r->host);
    if (r->command && command_is_text(r->command))
        counter_add(&s->commands, r->command);
    else if (r->command)
        s->binary_cmds++;
    if (r->exfil) {
        const char *p = r->exfil;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char key[256];
            if (n >= sizeof key)
                n = sizeof key - 1;
            memcpy(key, p, n);
            key[n] = '\0';
            counter_add(&s->exfil, key);
            p += e ? (size_t)(e - p) + 1 : strlen(p);
        }
    }
}

/* ---- text ----------------------------------------------------------------- */

/* Values shown in the tables are cut to this many bytes. */
#define SUMMARY_MAX_SHOWN 200u

static void print_defanged(FILE *out, const char *s) {
    size_t n = strlen(s), cut = 0;
    if (n > SUMMARY_MAX_SHOWN) {
        cut = n;
        n = SUMMARY_MAX_SHOWN;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
    }
    char buf[SUMMARY_MAX_SHOWN * 5 + 1]; /* defanging grows a byte to 4 at most */
    size_t need = defuse_defang(s, n, buf, sizeof buf);
    fwrite(buf, 1, need < sizeof buf ? need : sizeof buf - 1, out);
    if (cut)
        fprintf(out, "...(%zu bytes)", cut);
}

static void print_top(FILE *out, const char *title, const counter *c, int colour, size_t limit,
                      int plain) {
    fprintf(out, "\n%s%s%s (%zu distinct)\n", colour ? "\033[1m" : "", title,
            colour ? "\033[0m" : "", c->used);
    if (!c->used) {
        fputs("  (none)\n", out);
        return;
    }
    centry *v = counter_sorted(c, by_count);
    if (!v)
        return;
    for (size_t i = 0; i < c->used && i < limit; i++) {
        fprintf(out, "  %8llu  ", (unsigned long long)v[i].count);
        if (plain)
            fputs(v[i].key, out); /* validated addresses: nothing to defang */
        else
            print_defanged(out, v[i].key);
        fputc('\n', out);
    }
    if (c->used > limit)
        fprintf(out, "  ... and %zu more\n", c->used - limit);
    if (c->other)
        fprintf(out, "  %8llu  (other: past the %u distinct values kept)\n",
                (unsigned long long)c->other, LOGS_SUMMARY_MAX_DISTINCT);
    free(v);
}

static void print_bar(FILE *out, long long hour, uint64_t count, uint64_t max, int colour) {
    char label[32];
    lf_format_hour(hour, label, sizeof label);
    size_t w = max ? (size_t)((count * HIST_WIDTH + max - 1) / max) : 0;
    fprintf(out, "  %s  %8llu", label, (unsigned long long)count);
    if (w) {
        fprintf(out, "  %s", colour ? "\033[31m" : "");
        for (size_t i = 0; i < w; i++)
            fputc('#', out);
        fputs(colour ? "\033[0m" : "", out);
    }
    fputc('\n', out);
}

static void print_hours(FILE *out, const lsum *s, int colour) {
    fprintf(out, "\n%sAttempts per hour%s (UTC where the log gives a zone)\n",
            colour ? "\033[1m" : "", colour ? "\033[0m" : "");
    if (!s->hours.used) {
        fputs("  (no timestamps)\n", out);
        return;
    }
    centry *v = counter_sorted(&s->hours, by_key_num);
    if (!v)
        return;
    uint64_t max = 0;
    for (size_t i = 0; i < s->hours.used; i++)
        if (v[i].count > max)
            max = v[i].count;
    long long first = strtoll(v[0].key, NULL, 10);
    long long last = strtoll(v[s->hours.used - 1].key, NULL, 10);
    if (last - first < HIST_MAX_GAP_FILL) {
        size_t k = 0;
        for (long long h = first; h <= last; h++) {
            uint64_t n = 0;
            if (k < s->hours.used && strtoll(v[k].key, NULL, 10) == h)
                n = v[k++].count;
            print_bar(out, h, n, max, colour);
        }
    } else {
        for (size_t i = 0; i < s->hours.used; i++)
            print_bar(out, strtoll(v[i].key, NULL, 10), v[i].count, max, colour);
    }
    if (s->no_time)
        fprintf(out, "  (%llu findings on lines without a timestamp)\n",
                (unsigned long long)s->no_time);
    free(v);
}

void lsum_print(const lsum *s, FILE *out, int colour) {
    fprintf(out, "%s== defuse logs summary ==%s\n", colour ? "\033[1m" : "",
            colour ? "\033[0m" : "");
    fprintf(out, "scanned %llu files, %llu lines, %.1f MB; %llu findings\n",
            (unsigned long long)s->files, (unsigned long long)s->lines, (double)s->bytes / 1e6,
            (unsigned long long)s->findings);
    if (s->unreadable)
        fprintf(out, "%llu paths could not be read (named on stderr): their findings may be "
                     "missing\n",
                (unsigned long long)s->unreadable);
    fprintf(out, "\n%sFindings per kind%s\n", colour ? "\033[1m" : "", colour ? "\033[0m" : "");
    for (int k = 0; k < DEFUSE_KIND_COUNT; k++)
        fprintf(out, "  %-11s %8llu\n", defuse_kind_name((defuse_kind)k),
                (unsigned long long)s->kinds[k]);
    print_hours(out, s, colour);
    print_top(out, "Top source addresses", &s->srcs, colour, TOP_N, 1);
    print_top(out, "Top callback hosts", &s->hosts, colour, TOP_N, 0);
    print_top(out, "Exfiltration keys tried", &s->exfil, colour, 50, 0);
    print_top(out, "Decoded commands", &s->commands, colour, TOP_N, 0);
    if (s->binary_cmds)
        fprintf(out, "  (%llu more decode to bytes that are not text: placeholders such as "
                     "Base64 \"XXXX\")\n",
                (unsigned long long)s->binary_cmds);
}

/* ---- JSON ------------------------------------------------------------------ */

/* A JSON string of s; bytes that are not UTF-8 are read as Latin-1 so that
 * no value is dropped. */
static json_t *jstr(const char *s) {
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s), o = 0;
    char *u = malloc(n * 2 + 1);
    if (!u)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            u[o++] = (char)c;
        } else {
            u[o++] = (char)(0xC0 | (c >> 6));
            u[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    j = json_stringn(u, o);
    free(u);
    return j;
}

static json_t *json_top(const counter *c, size_t limit) {
    json_t *a = json_array();
    centry *v = counter_sorted(c, by_count);
    if (!a || !v) {
        free(v);
        return a;
    }
    for (size_t i = 0; i < c->used && i < limit; i++)
        json_array_append_new(a, json_pack("{s:o,s:I}", "value", jstr(v[i].key), "count",
                                           (json_int_t)v[i].count));
    free(v);
    return a;
}

char *lsum_json(const lsum *s) {
    json_t *root = json_object(), *kinds = json_object(), *hours = json_array();
    char *dump = NULL, *out = NULL;
    if (!root || !kinds || !hours) {
        json_decref(kinds);
        json_decref(hours);
        goto done;
    }
    for (int k = 0; k < DEFUSE_KIND_COUNT; k++)
        json_object_set_new(kinds, defuse_kind_name((defuse_kind)k),
                            json_integer((json_int_t)s->kinds[k]));
    centry *v = counter_sorted(&s->hours, by_key_num);
    for (size_t i = 0; v && i < s->hours.used; i++) {
        char label[40];
        lf_format_hour(strtoll(v[i].key, NULL, 10), label, sizeof label);
        json_array_append_new(hours,
                              json_pack("{s:s,s:I}", "hour", label, "count", (json_int_t)v[i].count));
    }
    free(v);
    json_object_set_new(root, "summary", json_true());
    json_object_set_new(root, "files", json_integer((json_int_t)s->files));
    json_object_set_new(root, "lines", json_integer((json_int_t)s->lines));
    json_object_set_new(root, "bytes", json_integer((json_int_t)s->bytes));
    json_object_set_new(root, "findings", json_integer((json_int_t)s->findings));
    json_object_set_new(root, "kinds", kinds);
    json_object_set_new(root, "per_hour", hours);
    json_object_set_new(root, "without_time", json_integer((json_int_t)s->no_time));
    json_object_set_new(root, "top_sources", json_top(&s->srcs, TOP_N));
    json_object_set_new(root, "top_callback_hosts", json_top(&s->hosts, TOP_N));
    json_object_set_new(root, "exfil_keys", json_top(&s->exfil, 1000));
    json_object_set_new(root, "commands", json_top(&s->commands, 1000));
    json_object_set_new(root, "commands_not_text", json_integer((json_int_t)s->binary_cmds));
    json_object_set_new(root, "unreadable_paths", json_integer((json_int_t)s->unreadable));
    dump = json_dumps(root, JSON_COMPACT);
    if (!dump)
        goto done;
    size_t n = 0, d = 0;
    for (; dump[n]; n++)
        d += dump[n] == '$';
    out = malloc(n + d * 5 + 1);
    if (out) {
        char *o = out;
        for (size_t i = 0; i < n; i++) {
            if (dump[i] == '$') {
                memcpy(o, "\\u0024", 6);
                o += 6;
            } else {
                *o++ = dump[i];
            }
        }
        *o = '\0';
    }
done:
    free(dump);
    json_decref(root);
    return out;
}
