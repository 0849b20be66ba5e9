/*
 * agg.c -- folding input lines into the bounded aggregates of report.h.
 */
#include "report.h"

#include "logs.h" /* lf_extract(): source and time of a raw log line, as `defuse logs` */

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- hashing ------------------------------------------------------------------ */

uint64_t rep_hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a, then a splitmix64 finaliser */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

/* ---- top-N -------------------------------------------------------------------- */

#define TOP_NSLOT (REP_TOP_CAP * 4u) /* power of two, load <= 1/4 */

void rep_top_init(rep_top *t) {
    memset(t, 0, sizeof *t);
}

void rep_top_free(rep_top *t) {
    for (size_t i = 0; i < t->n; i++)
        free(t->e[i].key);
    free(t->e);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

static int ent_cmp(const void *a, const void *b) {
    const rep_top_ent *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void top_reindex(rep_top *t) {
    memset(t->slot, 0, TOP_NSLOT * sizeof *t->slot);
    for (size_t i = 0; i < t->n; i++) {
        size_t j = rep_hash(t->e[i].key, strlen(t->e[i].key)) & (TOP_NSLOT - 1);
        while (t->slot[j])
            j = (j + 1) & (TOP_NSLOT - 1);
        t->slot[j] = (uint32_t)i + 1;
    }
}

size_t rep_top_sorted(rep_top *t) {
    if (t->n) {
        qsort(t->e, t->n, sizeof *t->e, ent_cmp);
        top_reindex(t);
    }
    return t->n;
}

/* Keeps the upper half by count; the largest dropped count bounds the
 * error of every later count. */
static void top_prune(rep_top *t) {
    qsort(t->e, t->n, sizeof *t->e, ent_cmp);
    size_t keep = REP_TOP_CAP / 2;
    for (size_t i = keep; i < t->n; i++) {
        if (t->e[i].n > t->err)
            t->err = t->e[i].n;
        free(t->e[i].key);
    }
    t->n = keep;
    top_reindex(t);
}

int rep_top_add(rep_top *t, const char *key, size_t len, uint64_t n, unsigned flags) {
    if (!key)
        return 0;
    if (len > REP_MAX_VALUE)
        len = REP_MAX_VALUE;
    len = strnlen(key, len);
    t->total += n;
    if (!t->e) {
        t->e = calloc(REP_TOP_CAP, sizeof *t->e);
        t->slot = calloc(TOP_NSLOT, sizeof *t->slot);
        if (!t->e || !t->slot) {
            free(t->e);
            free(t->slot);
            t->e = NULL;
            t->slot = NULL;
            return -1;
        }
        t->nslot = TOP_NSLOT;
    }
    size_t j = rep_hash(key, len) & (TOP_NSLOT - 1);
    while (t->slot[j]) {
        rep_top_ent *e = &t->e[t->slot[j] - 1];
        if (strncmp(e->key, key, len) == 0 && e->key[len] == '\0') {
            e->n += n;
            e->flags |= flags;
            return 0;
        }
        j = (j + 1) & (TOP_NSLOT - 1);
    }
    if (t->n == REP_TOP_CAP) {
        top_prune(t);
        j = rep_hash(key, len) & (TOP_NSLOT - 1);
        while (t->slot[j])
            j = (j + 1) & (TOP_NSLOT - 1);
    }
    char *k = malloc(len + 1);
    if (!k)
        return -1;
    memcpy(k, key, len);
    k[len] = '\0';
    t->e[t->n] = (rep_top_ent){.key = k, .n = n + t->err, .seq = t->seq++, .flags = flags};
    t->slot[j] = (uint32_t)++t->n;
    return 0;
}

/* ---- HyperLogLog ------------------------------------------------------------- */

void rep_hll_add(rep_hll *h, uint64_t x) {
    unsigned idx = (unsigned)(x >> 52);
    uint64_t w = (x << 12) | (1ull << 11);
    uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);
    if (rank > h->reg[idx])
        h->reg[idx] = rank;
}

double rep_hll_count(const rep_hll *h) {
    const double m = 4096.0;
    double sum = 0;
    unsigned zeros = 0;
    for (unsigned i = 0; i < 4096; i++) {
        sum += ldexp(1.0, -(int)h->reg[i]);
        zeros += h->reg[i] == 0;
    }
    double e = (0.7213 / (1.0 + 1.079 / m)) * m * m / sum;
    if (e <= 2.5 * m && zeros)
        e = m * log(m / zeros); /* linear counting for small sets */
    return e;
}

/* ---- time buckets ------------------------------------------------------------ */

static rep_bucket *bucket_get(rep_buckets *bs, int64_t key) {
    if (bs->nslot) {
        size_t j = (size_t)((uint64_t)key * 0x9e3779b97f4a7c15ull >> 20) & (bs->nslot - 1);
        while (bs->slot[j]) {
            rep_bucket *b = &bs->b[bs->slot[j] - 1];
            if (b->key == key)
                return b;
            j = (j + 1) & (bs->nslot - 1);
        }
    }
    if (bs->n >= bs->max) {
        bs->dropped++;
        return NULL;
    }
    if (bs->n == bs->cap) {
        size_t cap = bs->cap ? bs->cap * 2 : 64;
        rep_bucket *nb = realloc(bs->b, cap * sizeof *nb);
        uint32_t *ns = calloc(cap * 2, sizeof *ns);
        if (!nb || !ns) {
            if (nb)
                bs->b = nb;
            free(ns);
            bs->dropped++;
            return NULL;
        }
        bs->b = nb;
        bs->cap = cap;
        free(bs->slot);
        bs->slot = ns;
        bs->nslot = cap * 2;
        for (size_t i = 0; i < bs->n; i++) {
            size_t j =
                (size_t)((uint64_t)bs->b[i].key * 0x9e3779b97f4a7c15ull >> 20) & (bs->nslot - 1);
            while (bs->slot[j])
                j = (j + 1) & (bs->nslot - 1);
            bs->slot[j] = (uint32_t)i + 1;
        }
    }
    size_t j = (size_t)((uint64_t)key * 0x9e3779b97f4a7c15ull >> 20) & (bs->nslot - 1);
    while (bs->slot[j])
        j = (j + 1) & (bs->nslot - 1);
    rep_bucket *b = &bs->b[bs->n];
    memset(b, 0, sizeof *b);
    b->key = key;
    bs->slot[j] = (uint32_t)++bs->n;
    return b;
}

static int64_t floordiv(int64_t a, int64_t b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The hour and minute buckets of time ms (each may be NULL when full). */
typedef struct tb {
    rep_bucket *h, *m;
} tb;
static tb buckets_at(rep *r, int64_t ms) {
    tb t = {bucket_get(&r->hours, floordiv(ms, 3600000)), NULL};
    if (!r->minutes.dropped)
        t.m = bucket_get(&r->minutes, floordiv(ms, 60000));
    return t;
}

/* ---- times -------------------------------------------------------------------- */

/* An ISO 8601 time of a JSON field: libdefuse's log-time reader (the one
 * `defuse logs` uses), so that the report and the findings agree. */
int rep_parse_time(const char *s, size_t n, int64_t *ms) {
    int tz;
    return defuse_log_time(s, n, ms, &tz, NULL) == 0 ? 0 : -1;
}

/* ---- addresses ----------------------------------------------------------------- */

static int ip_parse(const char *s, size_t n, unsigned char a[16]) {
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    /* "[v6]:port", "v4:port" and a "%zone" are stripped */
    char *p = buf;
    if (*p == '[') {
        char *e = strchr(++p, ']');
        if (!e)
            return -1;
        *e = '\0';
    }
    char *z = strchr(p, '%');
    if (z)
        *z = '\0';
    unsigned char v4[4];
    if (inet_pton(AF_INET6, p, a) == 1)
        return 0;
    char *c = strchr(p, ':');
    if (c && !strchr(c + 1, ':'))
        *c = '\0';
    if (inet_pton(AF_INET, p, v4) != 1)
        return -1;
    memset(a, 0, 10);
    a[10] = a[11] = 0xff;
    memcpy(a + 12, v4, 4);
    return 0;
}

static int in_prefix(const unsigned char *a, const unsigned char *p, unsigned bits) {
    for (unsigned i = 0; i < bits / 8; i++)
        if (a[i] != p[i])
            return 0;
    if (bits % 8) {
        unsigned char m = (unsigned char)(0xff << (8 - bits % 8));
        if ((a[bits / 8] & m) != (p[bits / 8] & m))
            return 0;
    }
    return 1;
}

/* RFC 1918 and RFC 4193 ranges, as ::ffff:-mapped or native prefixes. */
static const struct {
    unsigned char a[16];
    unsigned bits;
} private_nets[] = {
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10}, 104},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 172, 16}, 108},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168}, 112},
    {{0xfc}, 7},
};

int rep_is_internal(const rep_opts *o, const char *ip, size_t len) {
    unsigned char a[16];
    if (ip_parse(ip, len, a))
        return 0;
    for (size_t i = 0; i < sizeof private_nets / sizeof private_nets[0]; i++)
        if (in_prefix(a, private_nets[i].a, private_nets[i].bits))
            return 1;
    for (size_t i = 0; o && i < o->ninternal; i++)
        if (in_prefix(a, o->internal[i].addr, o->internal[i].bits))
            return 1;
    return 0;
}

int rep_parse_cidrs(rep_opts *o, const char *list, char *err, size_t errlen) {
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ", ");
        if (n) {
            char item[80];
            if (n >= sizeof item) {
                snprintf(err, errlen, "--internal: item too long: %.40s...", p);
                return -1;
            }
            memcpy(item, p, n);
            item[n] = '\0';
            char *slash = strchr(item, '/');
            long bits = -1;
            if (slash) {
                char *end;
                *slash = '\0';
                bits = strtol(slash + 1, &end, 10);
                if (*end || end == slash + 1 || bits < 0)
                    bits = 999;
            }
            rep_cidr c;
            int v4 = !strchr(item, ':');
            if (ip_parse(item, strlen(item), c.addr) || bits > (v4 ? 32 : 128)) {
                snprintf(err, errlen, "--internal: not an address or CIDR: '%s%s%s'", item,
                         slash ? "/" : "", slash ? slash + 1 : "");
                return -1;
            }
            c.bits = bits < 0 ? 128u : (unsigned)bits + (v4 ? 96u : 0u);
            if (o->ninternal >= REP_MAX_INTERNAL) {
                snprintf(err, errlen, "--internal: more than %u CIDRs", REP_MAX_INTERNAL);
                return -1;
            }
            o->internal[o->ninternal++] = c;
        }
        p += n;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return 0;
}

/* ---- the aggregate --------------------------------------------------------------- */

int rep_init(rep *r, const rep_opts *o) {
    memset(r, 0, sizeof *r);
    if (o)
        r->o = *o;
    r->first_ms = INT64_MAX;
    r->last_ms = INT64_MIN;
    r->hours.max = REP_MAX_HOURS;
    r->minutes.max = REP_MAX_MINUTES;
    return 0;
}

void rep_free(rep *r) {
    rep_top *all[] = {&r->src,           &r->internal_src,  &r->cb_host,   &r->cb_port,
                      &r->exfil,         &r->command,       &r->technique, &r->scheme,
                      &r->hp_listener,   &r->hp_protocol,   &r->hp_event,  &r->hp_src,
                      &r->exp_env_cve,   &r->exp_state,     &r->exp_sla,   &r->exp_overdue,
                      &r->vendor_status, &r->vendor_overdue};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        rep_top_free(all[i]);
    free(r->hours.b);
    free(r->hours.slot);
    free(r->minutes.b);
    free(r->minutes.slot);
    if (r->sc)
        defuse_scanner_free(r->sc);
    memset(r, 0, sizeof *r);
}

static int kind_index(const char *k) {
    for (int i = 0; k && i < REP_KINDS; i++)
        if (strcmp(k, defuse_kind_name((defuse_kind)i)) == 0)
            return i;
    return -1;
}

/* One finding, whatever its input: the fields a report shows. */
typedef struct fnd {
    int kind;
    const char *host, *scheme, *command;
    int port;
    const char *exfil[DEFUSE_MAX_REPORTED_EXFIL];
    size_t nexfil;
    const char *tech[DEFUSE_TECH_COUNT];
    size_t ntech;
} fnd;

/* The source of one attempt: counted, sketched and checked for internal. */
static int add_source(rep *r, const char *ip, size_t n, tb t, rep_top *table) {
    if (!ip || !n || (n == 1 && ip[0] == '-'))
        return 0;
    if (n > REP_MAX_VALUE)
        n = REP_MAX_VALUE;
    uint64_t h = rep_hash(ip, n);
    int internal = rep_is_internal(&r->o, ip, n);
    unsigned bit = (unsigned)(h % REP_BUCKET_BITS);
    if (t.h)
        t.h->src[bit / 8] |= (uint8_t)(1u << (bit % 8));
    if (t.m)
        t.m->src[bit / 8] |= (uint8_t)(1u << (bit % 8));
    if (table == &r->src)
        rep_hll_add(&r->src_hll, h);
    if (rep_top_add(table, ip, n, 1, internal ? REP_F_INTERNAL : 0))
        return -1;
    if (internal) {
        rep_hll_add(&r->internal_hll, h);
        if (rep_top_add(&r->internal_src, ip, n, 1, REP_F_INTERNAL))
            return -1;
    }
    return 0;
}

static int fold_finding(rep *r, const fnd *f, int have_time, int64_t ms, const char *src,
                        size_t srclen) {
    int k = f->kind >= 0 && f->kind < REP_KINDS ? f->kind : DEFUSE_KIND_INERT;
    r->findings++;
    r->kind[k]++;
    tb t = {NULL, NULL};
    if (have_time) {
        t = buckets_at(r, ms);
        if (t.h)
            t.h->kind[k]++;
        if (t.m)
            t.m->kind[k]++;
        if (ms < r->first_ms)
            r->first_ms = ms;
        if (ms > r->last_ms)
            r->last_ms = ms;
    } else {
        r->no_time++;
    }
    int rc = add_source(r, src, srclen, t, &r->src);
    if (f->host)
        rc |= rep_top_add(&r->cb_host, f->host, strlen(f->host), 1, 0);
    if (f->port > 0) {
        char p[32];
        snprintf(p, sizeof p, "%s %d", f->scheme ? f->scheme : "?", f->port);
        rc |= rep_top_add(&r->cb_port, p, strlen(p), 1, 0);
    }
    if (f->scheme)
        rc |= rep_top_add(&r->scheme, f->scheme, strlen(f->scheme), 1, 0);
    if (f->command)
        rc |= rep_top_add(&r->command, f->command, strlen(f->command), 1, 0);
    for (size_t i = 0; i < f->nexfil; i++)
        rc |= rep_top_add(&r->exfil, f->exfil[i], strlen(f->exfil[i]), 1, 0);
    for (size_t i = 0; i < f->ntech; i++)
        rc |= rep_top_add(&r->technique, f->tech[i], strlen(f->tech[i]), 1, 0);
    return rc ? -1 : 0;
}

/* ---- JSON inputs ---------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *k) {
    return json_string_value(json_object_get(o, k)); /* NULL unless a string */
}

static void fnd_from_json(json_t *o, fnd *f) {
    memset(f, 0, sizeof *f);
    f->kind = kind_index(jstr(o, "kind"));
    f->host = jstr(o, "host");
    f->scheme = jstr(o, "scheme");
    f->command = jstr(o, "command");
    json_t *p = json_object_get(o, "port");
    f->port = json_is_integer(p) && json_integer_value(p) > 0 && json_integer_value(p) < 65536
                  ? (int)json_integer_value(p)
                  : -1;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "exfil"), i, v) {
        if (json_is_string(v) && f->nexfil < DEFUSE_MAX_REPORTED_EXFIL)
            f->exfil[f->nexfil++] = json_string_value(v);
    }
    json_array_foreach(json_object_get(o, "techniques"), i, v) {
        if (json_is_string(v) && f->ntech < DEFUSE_TECH_COUNT)
            f->tech[f->ntech++] = json_string_value(v);
    }
}

static int json_time(json_t *o, const char *k, int64_t *ms) {
    json_t *v = json_object_get(o, k);
    return json_is_string(v) &&
           rep_parse_time(json_string_value(v), json_string_length(v), ms) == 0;
}

static int add_finding_json(rep *r, json_t *o) {
    int64_t ms = 0;
    int ht = json_time(o, "time", &ms) || json_time(o, "@timestamp", &ms);
    fnd f;
    fnd_from_json(o, &f);
    const char *src = jstr(o, "src_ip");
    r->in_lines[REP_IN_FINDING]++;
    return fold_finding(r, &f, ht, ms, src, src ? strlen(src) : 0);
}

static const struct {
    const char *name;
    int act;
} actions[] = {{"block", REP_ACT_BLOCK}, {"detect", REP_ACT_DETECT}, {"pass", REP_ACT_PASS}};

static int add_nginx(rep *r, json_t *o, json_t *req) {
    int64_t ms = 0;
    int ht = json_time(o, "time", &ms);
    const char *src = jstr(req, "src_ip");
    if (!src)
        src = jstr(req, "client");
    if (!src)
        src = jstr(o, "src_ip");
    const char *a = jstr(o, "action");
    int act = -1;
    for (size_t i = 0; a && i < sizeof actions / sizeof actions[0]; i++)
        if (!strcmp(a, actions[i].name))
            act = actions[i].act;
    r->in_lines[REP_IN_NGINX]++;
    if (act >= 0) {
        r->act[act]++;
        if (ht) {
            tb t = buckets_at(r, ms);
            if (t.h)
                t.h->act[act]++;
            if (t.m)
                t.m->act[act]++;
        }
    }
    if (!jstr(o, "kind"))
        return 0; /* a partial-scan line: no finding */
    r->nginx_findings++;
    fnd f;
    fnd_from_json(o, &f);
    return fold_finding(r, &f, ht, ms, src, src ? strlen(src) : 0);
}

static int add_honeypot(rep *r, json_t *o) {
    int64_t ms = 0;
    int ht = json_time(o, "time", &ms);
    const char *ev = jstr(o, "event"), *l = jstr(o, "listener"), *p = jstr(o, "protocol");
    const char *src = jstr(o, "src_ip");
    r->in_lines[REP_IN_HONEYPOT]++;
    int rc = rep_top_add(&r->hp_event, ev ? ev : "?", ev ? strlen(ev) : 1, 1, 0);
    if (l)
        rc |= rep_top_add(&r->hp_listener, l, strlen(l), 1, 0);
    if (p)
        rc |= rep_top_add(&r->hp_protocol, p, strlen(p), 1, 0);
    tb t = {NULL, NULL};
    if (ht) {
        t = buckets_at(r, ms);
        if (t.h)
            t.h->hp_events++;
        if (t.m)
            t.m->hp_events++;
    }
    if (src)
        rc |= add_source(r, src, strlen(src), (tb){NULL, NULL}, &r->hp_src);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(o, "findings"), i, f) {
        if (!json_is_object(f))
            continue;
        fnd x;
        fnd_from_json(f, &x);
        rc |= fold_finding(r, &x, ht, ms, src, src ? strlen(src) : 0);
    }
    return rc ? -1 : 0;
}

/* ---- raw log lines ----------------------------------------------------------------- */

typedef struct rawctx {
    rep *r;
    int ht;
    int64_t ms;
    const char *src;
    int rc;
} rawctx;

static int on_raw_finding(const defuse_finding *df, void *user) {
    rawctx *c = user;
    fnd f;
    memset(&f, 0, sizeof f);
    f.kind = (int)df->kind;
    f.host = df->host;
    f.scheme = df->scheme;
    f.port = df->port;
    f.command = df->command;
    for (size_t i = 0; i < df->nexfil && i < DEFUSE_MAX_REPORTED_EXFIL; i++)
        f.exfil[f.nexfil++] = df->exfil[i];
    for (unsigned b = 0; b < DEFUSE_TECH_COUNT; b++)
        if (df->techniques & (1u << b)) {
            const char *nm = defuse_technique_name(1u << b);
            if (nm)
                f.tech[f.ntech++] = nm;
        }
    c->rc |= fold_finding(c->r, &f, c->ht, c->ms, c->src, c->src ? strlen(c->src) : 0);
    return 0;
}

static int add_raw(rep *r, const char *line, size_t len) {
    r->in_lines[REP_IN_LOG]++;
    lf_fields lf;
    lf_extract(line, len, 1970, &lf);
    int64_t ms = 0;
    int ht = lf.time[0] && rep_parse_time(lf.time, strlen(lf.time), &ms) == 0;
    if (ht) {
        tb t = buckets_at(r, ms);
        if (t.h)
            t.h->lines++;
        if (t.m)
            t.m->lines++;
    }
    if (defuse_candidate(line, len) >= len)
        return 0;
    if (!r->sc && defuse_scanner_new(&r->sc, NULL) != 0) {
        r->sc = NULL;
        snprintf(r->err, sizeof r->err, "out of memory (scanner)");
        return -1;
    }
    defuse_scanner_set_time(r->sc, ht ? ms : DEFUSE_TIME_UNKNOWN, 0);
    rawctx c = {r, ht, ms, lf.src_ip[0] ? lf.src_ip : NULL, 0};
    defuse_scan(r->sc, line, len, 0, on_raw_finding, &c);
    return c.rc ? -1 : 0;
}

int rep_add_line(rep *r, const char *line, size_t len) {
    if (len > REP_LINE_MAX)
        len = REP_LINE_MAX;
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len)
        return 0;
    int rc = 0;
    json_t *o = NULL;
    if (line[i] == '{')
        o = json_loadb(line + i, len - i, JSON_ALLOW_NUL, NULL);
    if (json_is_object(o)) {
        json_t *req = json_object_get(o, "request");
        if (json_is_true(json_object_get(o, "summary"))) {
            json_t *l = json_object_get(o, "lines");
            r->in_lines[REP_IN_SUMMARY]++;
            if (json_is_integer(l) && json_integer_value(l) > 0)
                r->summary_lines += (uint64_t)json_integer_value(l);
        } else if (json_is_object(req) && jstr(o, "action")) {
            rc = add_nginx(r, o, req);
        } else if (jstr(o, "event") &&
                   (json_object_get(o, "listener") || json_object_get(o, "protocol") ||
                    json_object_get(o, "event_id"))) {
            rc = add_honeypot(r, o);
        } else if (kind_index(jstr(o, "kind")) >= 0 &&
                   (json_object_get(o, "payload") || json_object_get(o, "decoded"))) {
            rc = add_finding_json(r, o);
        } else {
            rc = add_raw(r, line, len); /* an application's own JSON log line */
        }
    } else {
        if (line[i] == '{')
            r->bad_json++;
        rc = add_raw(r, line, len);
    }
    json_decref(o);
    if (rc && !r->err[0])
        snprintf(r->err, sizeof r->err, "out of memory");
    return rc;
}
