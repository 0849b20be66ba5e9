/*
 * hp_events.c -- the honeypot's events: one JSON object per connection
 * happening (JSON Lines to a file and/or stdout, every "$" written as
 * \u0024), the same event as an RFC 5424 message with a defanged text for
 * syslog, and the JSON for the webhook (both through hp_sinks.c).
 * De-duplication and rate limiting are per source address: a table of
 * sources (direct-mapped, bounded) each with a token bucket and a small ring
 * of recent event fingerprints; what is suppressed is counted and reported
 * in the next event that source gets through.  Above them a global token
 * bucket (rate_global) caps events per second from all sources together (a
 * flood from many, possibly spoofed, addresses); what it holds back is
 * aggregated into one `suppressed` event a second.  Every status_interval a
 * `sink.status` event reports each sink's counters.
 */
#include "honeypot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define SRC_SLOTS HP_SRC_SLOTS
#define DEDUP_RING HP_DEDUP_RING

typedef struct src_slot {
    uint8_t ip[16];
    int used;
    double tokens;
    uint64_t last_ms;
    uint64_t fp[DEDUP_RING], fp_ms[DEDUP_RING];
    unsigned fp_next;
    unsigned long long suppressed;
} src_slot;

#define AGG_TYPES 16u  /* event types itemised in a `suppressed` event */
#define AGG_SOURCES 8u /* source addresses itemised (the first seen) */

struct hp_events {
    const hp_config *cfg;
    hp_sinks *sinks;
    src_slot *slots;
    uint64_t rng[2];
    hp_stats st;
    char *line; /* the escaped JSON line, reused */
    size_t linecap;
    char host[64]; /* RFC 5424 HOSTNAME: node, printable ASCII */
    char hostname[65]; /* gethostname(): the "hostname" of every event */
    /* the global ceiling and what it suppressed since the last summary */
    double gtokens;
    uint64_t glast_ms;
    unsigned long long agg_count, agg_other_types, agg_other_sources;
    uint64_t agg_start_ms;
    struct {
        char type[32];
        unsigned long long n;
    } agg_types[AGG_TYPES];
    struct {
        char ip[INET6_ADDRSTRLEN];
        unsigned long long n;
    } agg_src[AGG_SOURCES];
    uint64_t last_status_ms;
};

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t rnd(hp_events *ev) { /* xorshift128+, seeded from getrandom */
    uint64_t s1 = ev->rng[0];
    const uint64_t s0 = ev->rng[1];
    ev->rng[0] = s0;
    s1 ^= s1 << 23;
    ev->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return ev->rng[1] + s0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

int hp_events_new(hp_events **out, const hp_config *cfg, char *err, size_t errsz) {
    *out = NULL;
    hp_events *ev = calloc(1, sizeof *ev);
    if (!ev || !(ev->slots = calloc(SRC_SLOTS, sizeof *ev->slots))) {
        free(ev);
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    ev->cfg = cfg;
    if (getrandom(ev->rng, sizeof ev->rng, 0) != (ssize_t)sizeof ev->rng) {
        ev->rng[0] = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        ev->rng[1] = now_ms() | 1;
    }
    size_t h = 0;
    for (const char *p = cfg->node; *p && h < sizeof ev->host - 1; p++)
        ev->host[h++] = (*p > 32 && *p < 127) ? *p : '_';
    if (!h)
        ev->host[h++] = '-';
    ev->host[h] = '\0';
    if (gethostname(ev->hostname, sizeof ev->hostname - 1) != 0)
        snprintf(ev->hostname, sizeof ev->hostname, "%s", cfg->node);
    ev->gtokens = cfg->rate_global_burst;
    ev->glast_ms = ev->last_status_ms = now_ms();
    if (hp_sinks_new(&ev->sinks, cfg, err, errsz) != 0) {
        hp_events_free(ev);
        return -1;
    }
    *out = ev;
    return 0;
}

int hp_events_start(hp_events *ev, char *err, size_t errsz) {
    if (hp_sinks_start(ev->sinks) != 0) {
        snprintf(err, errsz, "cannot start the sender threads");
        return -1;
    }
    return 0;
}

void hp_events_stop(hp_events *ev, unsigned drain_ms) {
    if (ev)
        hp_sinks_stop(ev->sinks, drain_ms);
}

void hp_events_free(hp_events *ev) {
    if (!ev)
        return;
    hp_sinks_free(ev->sinks);
    free(ev->slots);
    free(ev->line);
    free(ev);
}

int hp_events_kick(hp_events *ev, int force) {
    return hp_sinks_kick(ev->sinks, force);
}

int hp_events_reopen(hp_events *ev) {
    return hp_sinks_reopen(ev->sinks);
}

int hp_events_ignored(const hp_events *ev, const struct sockaddr *src) {
    for (size_t i = 0; i < ev->cfg->nignore; i++)
        if (hp_cidr_match(&ev->cfg->ignore[i], src))
            return 1;
    return 0;
}

void hp_events_conn_id(hp_events *ev, char out[24]) {
    snprintf(out, 24, "%016llx", (unsigned long long)rnd(ev));
}

void hp_events_stats(hp_events *ev, hp_stats *out) {
    *out = ev->st;
    out->nsinks = hp_sinks_stats(ev->sinks, out->sinks, HP_MAX_SINKS);
}

/* The source's key as 16 bytes: an IPv4 address (as v4-mapped IPv6), or
 * the /64 prefix of an IPv6 address, since one host commonly holds a whole
 * /64 and could otherwise rotate addresses to escape its limit. */
static void src_key(const struct sockaddr_storage *ss, uint8_t k[16]) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(k, 0, 16);
    if (ss->ss_family == AF_INET) {
        k[10] = k[11] = 0xff;
        memcpy(k + 12, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        memcpy(k, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, 16);
        static const uint8_t zero[8] = {0};
        /* not v4-mapped, not ::1 or other addresses under ::/64 */
        if (memcmp(k, mapped, 12) != 0 && memcmp(k, zero, 8) != 0)
            memset(k + 8, 0, 8);
    }
}

/* Returns 1 to emit, 0 to suppress.  OUT: *before = suppressed count to
 * report with this event. */
static int admit(hp_events *ev, const hp_conn_info *ci, uint64_t fp, unsigned long long *before,
                 src_slot **slot) {
    uint8_t k[16];
    src_key(&ci->src, k);
    src_slot *s = &ev->slots[fnv(1469598103934665603ull, k, 16) % SRC_SLOTS];
    *slot = s;
    uint64_t now = now_ms();
    if (!s->used || memcmp(s->ip, k, 16) != 0) {
        memset(s, 0, sizeof *s);
        memcpy(s->ip, k, 16);
        s->used = 1;
        s->tokens = ev->cfg->rate_burst;
        s->last_ms = now;
    }
    if (ev->cfg->dedup_window_ms) {
        for (unsigned i = 0; i < DEDUP_RING; i++) {
            if (s->fp[i] == fp && s->fp_ms[i] && now - s->fp_ms[i] < ev->cfg->dedup_window_ms) {
                s->suppressed++;
                return 0;
            }
        }
    }
    s->tokens += (double)(now - s->last_ms) * ev->cfg->rate_per_source / 1000.0;
    if (s->tokens > ev->cfg->rate_burst)
        s->tokens = ev->cfg->rate_burst;
    s->last_ms = now;
    if (s->tokens < 1.0) {
        s->suppressed++;
        return 0;
    }
    s->tokens -= 1.0;
    if (ev->cfg->dedup_window_ms) {
        s->fp[s->fp_next] = fp;
        s->fp_ms[s->fp_next] = now ? now : 1;
        s->fp_next = (s->fp_next + 1) % DEDUP_RING;
    }
    *before = s->suppressed;
    s->suppressed = 0;
    return 1;
}

/* ---- JSON serialisation ---------------------------------------------------
 * One pass over the jansson tree into a reused buffer, writing every "$" as
 * \u0024 as it goes (cheaper than json_dumps plus a second escaping pass; the
 * event rate is bounded by this on a busy listener).  Insertion order of
 * object members is kept, as jansson iterates it. */

typedef struct jbuf {
    char *p;
    size_t len, cap;
    int oom;
} jbuf;

static void jb_need(jbuf *b, size_t n) {
    if (b->oom || b->len + n <= b->cap)
        return;
    size_t nc = b->cap ? b->cap : 1024;
    while (nc < b->len + n)
        nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) {
        b->oom = 1;
        return;
    }
    b->p = np;
    b->cap = nc;
}

static void jb_put(jbuf *b, const char *s, size_t n) {
    jb_need(b, n);
    if (b->oom)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void jb_str(jbuf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    jb_need(b, n * 6 + 2); /* worst case: every byte escaped */
    if (b->oom)
        return;
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != '$' && c != 0x7f) {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default: /* control bytes, DEL and "$" */
            *o++ = 'u', *o++ = '0', *o++ = '0';
            *o++ = hex[c >> 4], *o++ = hex[c & 15];
            break;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
}

static void jb_value(jbuf *b, json_t *j, int depth) {
    char num[64];
    int n;
    if (!j || depth > 64) {
        jb_put(b, "null", 4);
        return;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        int first = 1;
        jb_put(b, "{", 1);
        json_object_foreach(j, k, v) {
            if (!first)
                jb_put(b, ",", 1);
            first = 0;
            jb_str(b, k, strlen(k));
            jb_put(b, ":", 1);
            jb_value(b, v, depth + 1);
        }
        jb_put(b, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *v;
        jb_put(b, "[", 1);
        json_array_foreach(j, i, v) {
            if (i)
                jb_put(b, ",", 1);
            jb_value(b, v, depth + 1);
        }
        jb_put(b, "]", 1);
        break;
    }
    case JSON_STRING:
        jb_str(b, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        jb_put(b, num, (size_t)n);
        break;
    case JSON_REAL:
        n = snprintf(num, sizeof num, "%.17g", json_real_value(j));
        jb_put(b, num, (size_t)n);
        break;
    case JSON_TRUE:
        jb_put(b, "true", 4);
        break;
    case JSON_FALSE:
        jb_put(b, "false", 5);
        break;
    default:
        jb_put(b, "null", 4);
        break;
    }
}

/* SD-PARAM value escaping (RFC 5424 6.3.3): '"', '\' and ']'. */
static size_t sd_escape(const char *in, char *out, size_t outsz) {
    size_t o = 0;
    for (; *in && o + 3 < outsz; in++) {
        if (*in == '"' || *in == '\\' || *in == ']')
            out[o++] = '\\';
        out[o++] = (*in >= 32 && *in < 127) ? *in : '?';
    }
    out[o] = '\0';
    return o;
}

static size_t build_syslog(hp_events *ev, const hp_conn_info *ci, const char *type,
                           const char *ts, const char *event_id, const char *kind,
                           const char *summary, size_t summary_len, char *out, size_t outsz) {
    /* defanged text; then make sure no "${" survives whatever defang did */
    char def[2048], msg[2600];
    size_t sl = summary_len > 1024 ? 1024 : summary_len;
    defuse_defang(summary, sl, def, sizeof def);
    size_t m = 0;
    for (const char *p = def; *p && m + 3 < sizeof msg; p++) {
        msg[m++] = *p;
        if (*p == '$' && p[1] == '{')
            msg[m++] = '\\';
    }
    msg[m] = '\0';
    char lst[160], kd[32];
    sd_escape(ci->listener, lst, sizeof lst);
    sd_escape(kind ? kind : "none", kd, sizeof kd);
    int sev = kind ? 4 : 5; /* warning for detections, notice otherwise */
    int pri = ev->cfg->syslog_facility * 8 + sev;
    int n = snprintf(out, outsz,
                     "<%d>1 %s %s defuse-honeypot %ld %s [defuse@32473 event_id=\"%s\" "
                     "conn_id=\"%s\" listener=\"%s\" protocol=\"%s\" src_ip=\"%s\" "
                     "src_port=\"%u\" dst_port=\"%u\" kind=\"%s\"] %s",
                     pri, ts, ev->host, (long)getpid(), type, event_id, ci->conn_id, lst,
                     hp_proto_name(ci->proto), ci->src_ip, ci->src_port, ci->dst_port, kd, msg);
    if (n < 0)
        return 0;
    return (size_t)n < outsz ? (size_t)n : outsz - 1;
}

/* The global ceiling: a token bucket over every source.  Returns 1 to emit. */
static int global_admit(hp_events *ev) {
    if (!ev->cfg->rate_global)
        return 1;
    uint64_t now = now_ms();
    ev->gtokens += (double)(now - ev->glast_ms) * ev->cfg->rate_global / 1000.0;
    if (ev->gtokens > ev->cfg->rate_global_burst)
        ev->gtokens = ev->cfg->rate_global_burst;
    ev->glast_ms = now;
    if (ev->gtokens < 1.0)
        return 0;
    ev->gtokens -= 1.0;
    return 1;
}

/* Counts an event the ceiling held back, by type and source (bounded). */
static void aggregate(hp_events *ev, const char *type, const char *ip) {
    if (!ev->agg_count++)
        ev->agg_start_ms = now_ms();
    size_t i;
    for (i = 0; i < AGG_TYPES && ev->agg_types[i].n; i++)
        if (!strcmp(ev->agg_types[i].type, type))
            break;
    if (i < AGG_TYPES) {
        if (!ev->agg_types[i].n)
            snprintf(ev->agg_types[i].type, sizeof ev->agg_types[i].type, "%s", type);
        ev->agg_types[i].n++;
    } else {
        ev->agg_other_types++;
    }
    for (i = 0; i < AGG_SOURCES && ev->agg_src[i].n; i++)
        if (!strcmp(ev->agg_src[i].ip, ip))
            break;
    if (i < AGG_SOURCES) {
        if (!ev->agg_src[i].n)
            snprintf(ev->agg_src[i].ip, sizeof ev->agg_src[i].ip, "%s", ip);
        ev->agg_src[i].n++;
    } else {
        ev->agg_other_sources++;
    }
}

/* Serialises o (STOLEN) and queues it for every sink. */
/* ---- log_format ecs ----------------------------------------------------------
 * The event as an Elastic Common Schema 8.11 document (docs/output-schemas.md;
 * tests/e2e/ecs_output.sh checks the fields against the ECS reference).  The
 * native members ECS has a field for are moved there; every other one
 * (the protocol objects http, ldap, rmi, dns, whose names are ECS field
 * sets of another shape, findings, tls_*) stays as it is under "defuse". */
#define HP_ECS_VERSION "8.11.0"

static void ecs_move(json_t *from, const char *key, json_t *to, const char *name) {
    json_t *v = json_object_get(from, key);
    if (v && !json_is_null(v))
        json_object_set(to, name, v);
    json_object_del(from, key);
}

/* o STOLEN; returns the ECS document (o itself if memory runs out). */
static json_t *to_ecs(hp_events *ev, json_t *o) {
    json_t *e = json_object(), *d = json_deep_copy(o);
    if (!e || !d) {
        json_decref(e);
        json_decref(d);
        return o;
    }
    const char *type = json_string_value(json_object_get(o, "event"));
    const char *proto = json_string_value(json_object_get(o, "protocol"));
    int daemon = json_is_null(json_object_get(o, "src_ip"));
    int alert = json_object_get(o, "kind") != NULL;
    ecs_move(d, "time", e, "@timestamp");
    json_object_set_new(e, "ecs", json_pack("{s:s}", "version", HP_ECS_VERSION));
    json_t *evt = json_object();
    json_object_set_new(evt, "kind", json_string(alert ? "alert" : "event"));
    json_object_set_new(evt, "category", daemon ? json_pack("[s]", "host")
                                                : json_pack("[s,s]", "intrusion_detection",
                                                            "network"));
    json_object_set_new(evt, "type", json_pack("[s]", "info"));
    if (type)
        json_object_set_new(evt, "action", json_string(type));
    ecs_move(d, "event_id", evt, "id");
    json_object_set_new(evt, "module", json_string("defuse"));
    json_object_set_new(evt, "dataset", json_string("defuse.honeypot"));
    json_object_set_new(e, "event", evt);
    json_object_del(d, "event");
    json_object_set_new(e, "host", json_pack("{s:s,s:s}", "hostname", ev->hostname, "name",
                                             ev->hostname));
    json_t *obs = json_pack("{s:s,s:s,s:s,s:s,s:s}", "hostname", ev->hostname, "type",
                            "honeypot", "vendor", "defuse", "product", "defuse-honeypot",
                            "version", defuse_version());
    ecs_move(d, "node", obs, "name");
    json_object_set_new(e, "observer", obs);
    json_object_set_new(e, "agent", json_pack("{s:s,s:s}", "type", "defuse", "version",
                                              defuse_version()));
    json_object_del(d, "hostname");
    json_object_del(d, "defuse_version");
    if (!daemon) {
        json_t *src = json_object(), *dst = json_object();
        ecs_move(d, "src_ip", src, "ip");
        ecs_move(d, "src_port", src, "port");
        ecs_move(d, "dst_ip", dst, "ip");
        ecs_move(d, "dst_port", dst, "port");
        json_t *rel = json_array();
        if (json_object_get(src, "ip"))
            json_array_append(rel, json_object_get(src, "ip"));
        if (json_object_get(dst, "ip"))
            json_array_append(rel, json_object_get(dst, "ip"));
        json_object_set_new(e, "source", src);
        json_object_set_new(e, "destination", dst);
        json_object_set_new(e, "related", json_pack("{s:o}", "ip", rel));
        json_object_set_new(e, "network",
                            json_pack("{s:s,s:s}", "transport",
                                      proto && !strcmp(proto, "dns") ? "udp" : "tcp", "protocol",
                                      proto ? proto : "unknown"));
    } else {
        json_object_del(d, "src_ip");
    }
    json_t *http = json_object_get(o, "http");
    if (json_is_object(http)) {
        json_t *m = json_object_get(http, "method"), *u = json_object_get(http, "uri");
        json_t *ua = json_object_get(http, "user_agent");
        if (json_is_string(m))
            json_object_set_new(e, "http", json_pack("{s:{s:O}}", "request", "method", m));
        if (json_is_string(u))
            json_object_set_new(e, "url", json_pack("{s:O}", "original", u));
        if (json_is_string(ua))
            json_object_set_new(e, "user_agent", json_pack("{s:O}", "original", ua));
    }
    json_t *dns = json_object_get(o, "dns");
    if (json_is_object(dns) && json_is_string(json_object_get(dns, "name")))
        json_object_set_new(e, "dns", json_pack("{s:{s:O}}", "question", "name",
                                                json_object_get(dns, "name")));
    json_t *sni = json_object_get(o, "tls_sni");
    if (json_is_true(json_object_get(o, "tls")))
        json_object_set_new(e, "tls", json_is_string(sni)
                                          ? json_pack("{s:b,s:{s:O}}", "established", 1, "client",
                                                      "server_name", sni)
                                          : json_pack("{s:b}", "established", 1));
    json_t *kind = json_object_get(o, "kind");
    if (json_is_string(kind))
        json_object_set_new(e, "rule", json_pack("{s:O,s:s}", "name", kind, "category",
                                                 "Log4Shell"));
    ecs_move(d, "summary", e, "message");
    json_object_set_new(e, "defuse", d);
    json_decref(o);
    return e;
}

static void write_event(hp_events *ev, const hp_conn_info *ci, const char *type, json_t *o,
                        const char *tbuf, const char *idbuf, const char *summary,
                        size_t summary_len) {
    char kind[32] = "";
    const char *k = json_string_value(json_object_get(o, "kind"));
    if (k)
        snprintf(kind, sizeof kind, "%s", k);
    if (ev->cfg->log_format == HP_FORMAT_ECS)
        o = to_ecs(ev, o);
    jbuf jb = {ev->line, 0, ev->linecap, 0}; /* reused between events */
    jb_value(&jb, o, 0);
    jb_put(&jb, "\n", 1);
    json_decref(o);
    ev->line = jb.p;
    ev->linecap = jb.cap;
    if (jb.oom)
        return;
    char msg[4096];
    size_t ml = 0;
    if (hp_sinks_want_syslog(ev->sinks))
        ml = build_syslog(ev, ci, type, tbuf, idbuf, kind[0] ? kind : NULL, summary, summary_len,
                          msg, sizeof msg);
    hp_sinks_push(ev->sinks, jb.p, jb.len, msg, ml);
}

/* The TLS fields of a connection on a TLS listener or speaking TLS:
 * "tls" (in use), "tls_expected" (the listener is a TLS listener), and what
 * the ClientHello offered and the handshake negotiated. */
static void put_tls(json_t *o, const hp_tls_info *t) {
    json_object_set_new(o, "tls", json_boolean(t->active));
    json_object_set_new(o, "tls_expected", json_boolean(t->expected));
    if (!t->active)
        return;
    if (t->version)
        json_object_set_new(o, "tls_version", json_string(t->version));
    if (t->cipher)
        json_object_set_new(o, "tls_cipher", json_string(t->cipher));
    if (t->hello_seen) {
        char hv[8];
        snprintf(hv, sizeof hv, "0x%04x", t->hello_version & 0xffffu);
        json_object_set_new(o, "tls_hello_version", json_string(hv));
    }
    if (t->sni_len)
        json_object_set_new(o, "tls_sni", hp_json_bytes(t->sni, t->sni_len));
    if (t->alpn_len) {
        json_t *a = json_array();
        for (size_t p = 0; p < t->alpn_len && t->alpn[p] <= t->alpn_len - p - 1;
             p += 1u + t->alpn[p])
            json_array_append_new(a, hp_json_bytes((const char *)t->alpn + p + 1, t->alpn[p]));
        json_object_set_new(o, "tls_alpn", a);
    }
    if (t->alpn_selected[0])
        json_object_set_new(o, "tls_alpn_selected", json_string(t->alpn_selected));
}

/* Common fields: time, event_id and then those of ci (NULL: a daemon
 * event, which has no connection). */
static json_t *event_head(hp_events *ev, const hp_conn_info *ci, const char *type, char *tbuf,
                          char *idbuf) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(tbuf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
    snprintf(idbuf, 40, "%016llx%016llx", (unsigned long long)rnd(ev), (unsigned long long)rnd(ev));
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "schema", json_integer(HP_JSON_SCHEMA));
    json_object_set_new(o, "time", json_string(tbuf));
    json_object_set_new(o, "event_id", json_string(idbuf));
    if (ci)
        json_object_set_new(o, "conn_id", json_string(ci->conn_id));
    json_object_set_new(o, "node", hp_json_bytes(ev->cfg->node, strlen(ev->cfg->node)));
    json_object_set_new(o, "hostname", hp_json_bytes(ev->hostname, strlen(ev->hostname)));
    json_object_set_new(o, "defuse_version", json_string(defuse_version()));
    json_object_set_new(o, "event", json_string(type));
    if (!ci) { /* a daemon event: no source (present, null: one schema) */
        json_object_set_new(o, "src_ip", json_null());
        return o;
    }
    json_object_set_new(o, "listener", hp_json_bytes(ci->listener, strlen(ci->listener)));
    json_object_set_new(o, "protocol", json_string(hp_proto_name(ci->proto)));
    json_object_set_new(o, "src_ip", json_string(ci->src_ip));
    json_object_set_new(o, "src_port", json_integer(ci->src_port));
    json_object_set_new(o, "dst_ip", json_string(ci->dst_ip));
    json_object_set_new(o, "dst_port", json_integer(ci->dst_port));
    if (ci->tls)
        put_tls(o, ci->tls);
    return o;
}

/* A daemon event (suppressed, sink.status): no connection fields, never
 * rate limited.  body STOLEN. */
static void emit_daemon(hp_events *ev, const char *type, json_t *body, const char *summary,
                        size_t summary_len) {
    static const hp_conn_info daemon_ci = {
        .conn_id = "-", .listener = "-", .proto = HP_PROTO_COUNT, .src_ip = "-", .dst_ip = "-"};
    char tbuf[64], idbuf[40];
    json_t *o = event_head(ev, NULL, type, tbuf, idbuf);
    if (o) {
        json_object_update(o, body);
        json_object_set_new(o, "summary", hp_json_bytes(summary, summary_len));
        write_event(ev, &daemon_ci, type, o, tbuf, idbuf, summary, summary_len);
    }
    json_decref(body);
}

int hp_events_emit(hp_events *ev, const hp_conn_info *ci, const char *type, json_t *body,
                   const char *summary, size_t summary_len) {
    int rc = 0;
    if (hp_events_ignored(ev, (const struct sockaddr *)&ci->src)) {
        ev->st.ignored++;
        goto out;
    }
    uint64_t fp = fnv(1469598103934665603ull, type, strlen(type));
    fp = fnv(fp, ci->listener, strlen(ci->listener));
    fp = fnv(fp, summary, summary_len);
    unsigned long long before = 0;
    src_slot *slot;
    if (!admit(ev, ci, fp, &before, &slot)) {
        ev->st.suppressed++;
        goto out;
    }
    if (!global_admit(ev)) {
        slot->suppressed += before; /* still to be reported by that source */
        ev->st.global_suppressed++;
        aggregate(ev, type, ci->src_ip);
        goto out;
    }
    char tbuf[64], idbuf[40];
    json_t *o = event_head(ev, ci, type, tbuf, idbuf);
    if (!o)
        goto out;
    if (body)
        json_object_update(o, body);
    json_object_set_new(o, "summary", hp_json_bytes(summary, summary_len));
    if (before)
        json_object_set_new(o, "suppressed_before", json_integer((json_int_t)before));
    write_event(ev, ci, type, o, tbuf, idbuf, summary, summary_len);
    ev->st.emitted++;
    rc = 1;
out:
    json_decref(body);
    return rc;
}

void hp_events_tick(hp_events *ev, json_t *extra) {
    uint64_t now = now_ms();
    if (ev->agg_count) {
        json_t *sup = json_object(), *types = json_object(), *srcs = json_array();
        json_object_set_new(sup, "count", json_integer((json_int_t)ev->agg_count));
        json_object_set_new(sup, "window_ms", json_integer((json_int_t)(now - ev->agg_start_ms)));
        json_object_set_new(sup, "rate_global", json_integer(ev->cfg->rate_global));
        for (size_t i = 0; i < AGG_TYPES && ev->agg_types[i].n; i++)
            json_object_set_new(types, ev->agg_types[i].type,
                                json_integer((json_int_t)ev->agg_types[i].n));
        if (ev->agg_other_types)
            json_object_set_new(types, "other", json_integer((json_int_t)ev->agg_other_types));
        for (size_t i = 0; i < AGG_SOURCES && ev->agg_src[i].n; i++) {
            json_t *one = json_object();
            json_object_set_new(one, "src_ip", json_string(ev->agg_src[i].ip));
            json_object_set_new(one, "count", json_integer((json_int_t)ev->agg_src[i].n));
            json_array_append_new(srcs, one);
        }
        json_object_set_new(sup, "events", types);
        json_object_set_new(sup, "sources", srcs);
        json_object_set_new(sup, "other_sources_events",
                            json_integer((json_int_t)ev->agg_other_sources));
        json_t *body = json_object();
        json_object_set_new(body, "suppressed", sup);
        char sum[160];
        int n = snprintf(
            sum, sizeof sum, "%llu events suppressed by the global ceiling (%u/s) in %llu ms",
            ev->agg_count, ev->cfg->rate_global, (unsigned long long)(now - ev->agg_start_ms));
        emit_daemon(ev, "suppressed", body, sum, (size_t)n);
        ev->agg_count = ev->agg_other_types = ev->agg_other_sources = 0;
        memset(ev->agg_types, 0, sizeof ev->agg_types);
        memset(ev->agg_src, 0, sizeof ev->agg_src);
    }
    if (!ev->cfg->status_interval_ms || now - ev->last_status_ms < ev->cfg->status_interval_ms)
        return;
    ev->last_status_ms = now;
    hp_stats st;
    hp_events_stats(ev, &st);
    json_t *body = json_object(), *sinks = json_array();
    int bad = 0;
    unsigned long long lost = 0;
    for (size_t i = 0; i < st.nsinks; i++) {
        const hp_sink_stat *k = &st.sinks[i];
        json_t *o = json_object();
        json_object_set_new(o, "sink", json_string(k->name));
        json_object_set_new(o, "state", json_string(k->failing ? "failing" : "ok"));
        if (k->failing)
            json_object_set_new(o, "error", hp_json_bytes(k->error, strlen(k->error)));
        json_object_set_new(o, "accepted", json_integer((json_int_t)k->accepted));
        json_object_set_new(o, "delivered", json_integer((json_int_t)k->delivered));
        json_object_set_new(o, "dropped", json_integer((json_int_t)k->dropped));
        json_object_set_new(o, "failed", json_integer((json_int_t)k->failed));
        json_object_set_new(o, "queued", json_integer((json_int_t)k->queued));
        json_array_append_new(sinks, o);
        bad |= k->failing;
        lost += k->dropped + k->failed;
    }
    json_object_set_new(body, "sinks", sinks);
    json_object_set_new(body, "events", json_integer((json_int_t)st.emitted));
    json_object_set_new(body, "suppressed_per_source", json_integer((json_int_t)st.suppressed));
    json_object_set_new(body, "suppressed_global", json_integer((json_int_t)st.global_suppressed));
    if (extra)
        json_object_update(body, extra);
    char sum[160];
    int n = snprintf(sum, sizeof sum, "sinks %s, %llu events lost so far", bad ? "failing" : "ok",
                     lost);
    emit_daemon(ev, "sink.status", body, sum, (size_t)n);
}

/* ---- JSON helpers and findings ----------------------------------------- */

json_t *hp_json_bytes(const char *s, size_t len) {
    if (len > HP_EVENT_MAX_FIELD)
        len = HP_EVENT_MAX_FIELD;
    json_t *j = json_stringn(s, len);
    if (j)
        return j;
    /* not UTF-8: replace each invalid byte with U+FFFD */
    char *o = malloc(len * 3 + 1);
    if (!o)
        return json_null();
    size_t w = 0;
    const unsigned char *b = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned c = b[i];
        size_t n = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                                : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        int ok = n > 0 && i + n <= len;
        for (size_t k = 1; ok && k < n; k++)
            ok = (b[i + k] & 0xC0) == 0x80;
        if (ok && n == 3 && ((c == 0xE0 && b[i + 1] < 0xA0) || (c == 0xED && b[i + 1] >= 0xA0)))
            ok = 0;
        if (ok && n == 4 && ((c == 0xF0 && b[i + 1] < 0x90) || (c == 0xF4 && b[i + 1] >= 0x90)))
            ok = 0;
        if (ok) {
            memcpy(o + w, b + i, n);
            w += n;
            i += n;
        } else {
            memcpy(o + w, "\xEF\xBF\xBD", 3);
            w += 3;
            i++;
        }
    }
    j = json_stringn(o, w);
    free(o);
    return j ? j : json_null();
}

void hp_findings_init(hp_findings *fs) {
    memset(fs, 0, sizeof *fs);
    fs->arr = json_array();
    fs->worst = DEFUSE_KIND_COUNT;
}

void hp_findings_clear(hp_findings *fs) {
    json_decref(fs->arr);
    fs->arr = NULL;
}

static int on_finding(const defuse_finding *f, void *user) {
    hp_findings *fs = user;
    uint64_t h = fnv(1469598103934665603ull, f->decoded, f->decoded_len);
    if (f->callback)
        h = fnv(h, f->callback, strlen(f->callback));
    for (size_t i = 0; i < fs->n; i++)
        if (fs->seen[i] == h)
            return 0; /* the same payload seen through another decoding */
    if (fs->n >= HP_MAX_FINDINGS_PER_EVENT)
        return 1;
    fs->seen[fs->n++] = h;
    if ((unsigned)f->kind < fs->worst)
        fs->worst = (unsigned)f->kind;
    json_t *extra = json_object();
    json_object_set_new(extra, "where", hp_json_bytes(fs->where, strlen(fs->where)));
    char *ex = json_dumps(extra, JSON_COMPACT);
    json_decref(extra);
    char *js = ex ? defuse_finding_to_json(f, ex) : NULL;
    free(ex);
    json_t *obj = js ? json_loads(js, 0, NULL) : NULL;
    free(js);
    if (!obj) { /* keep the essentials even if serialisation failed */
        obj = json_object();
        json_object_set_new(obj, "kind", json_string(defuse_kind_name(f->kind)));
        if (f->callback)
            json_object_set_new(obj, "callback", hp_json_bytes(f->callback, strlen(f->callback)));
    }
    if (!json_object_get(obj, "where"))
        json_object_set_new(obj, "where", hp_json_bytes(fs->where, strlen(fs->where)));
    json_array_append_new(fs->arr, obj);
    return 0;
}

int hp_findings_scan(hp_findings *fs, defuse_scanner *sc, const char *where, const char *buf,
                     size_t len, unsigned flags) {
    if (!sc || !fs->arr || len == 0)
        return 0;
    if (defuse_candidate(buf, len) >= len)
        return 0; /* nothing that could decode to a lookup */
    size_t before = fs->n;
    snprintf(fs->where, sizeof fs->where, "%s", where);
    defuse_scan(sc, buf, len, flags, on_finding, fs);
    return (int)(fs->n - before);
}
