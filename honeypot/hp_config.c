/*
 * hp_config.c -- the honeypot's configuration file: a line-based
 * "key value" format with [listener NAME] and [response PATH] sections,
 * parsed through one table of keys (type, range, section, field offset).
 * The format is documented in docs/honeypot.md; etc/honeypot.conf.example
 * shows every key.  Every error names the file and the line.
 */
#include "honeypot.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum sect { S_GLOBAL = 1, S_LISTENER = 2, S_RESPONSE = 4 } sect;

typedef enum ktype {
    K_STR,      /* char[size] */
    K_UINT,     /* unsigned in [min, max] */
    K_SIZE,     /* size_t with K/M/G suffix, in [min, max] */
    K_MS,       /* duration "10", "10s", "250ms", "2m" -> unsigned ms */
    K_BOOL,     /* yes/no/true/false/on/off/1/0 */
    K_PROTO,    /* http|ldap|rmi|dns|tcp */
    K_LISTEN,   /* ADDR:PORT[-PORT], appended */
    K_CIDR,     /* appended to the ignore list */
    K_HOSTPORT, /* host:port, stored as text */
    K_URL,      /* http:// or https:// */
    K_HEADER,   /* "Name: value", appended */
    K_BODYFILE, /* path; contents loaded */
    K_BODY,     /* inline body text */
    K_IPV4,     /* dotted quad */
    K_FACILITY, /* syslog facility name or 0..23 */
    K_FORMAT,   /* json|ecs: the event documents (HP_FORMAT_*) */
    K_USER      /* an existing user name */
} ktype;

typedef struct key {
    unsigned sections;
    const char *name;
    ktype type;
    size_t off, size;
    unsigned long long min, max;
    int seen_bit; /* global only: index into seen flags, -1 when repeatable */
} key;

#define G(f) offsetof(hp_config, f), sizeof(((hp_config *)0)->f)
#define L(f) offsetof(hp_listener_cfg, f), sizeof(((hp_listener_cfg *)0)->f)
#define R(f) offsetof(hp_response_cfg, f), sizeof(((hp_response_cfg *)0)->f)
#define KIB 1024ull
#define MIB (1024ull * 1024ull)

static const key keys[] = {
    /* [global] */
    {S_GLOBAL, "node", K_STR, G(node), 0, 0, 0},
    {S_GLOBAL, "user", K_USER, G(user), 0, 0, 0},
    {S_GLOBAL, "log_file", K_STR, G(log_file), 0, 0, 0},
    {S_GLOBAL, "state_dir", K_STR, G(state_dir), 0, 0, 0},
    {S_GLOBAL, "log_stdout", K_BOOL, G(log_stdout), 0, 1, 0},
    {S_GLOBAL, "log_format", K_FORMAT, G(log_format), 0, 1, 0},
    {S_GLOBAL, "max_connections", K_UINT, G(max_connections), 1, 1000000, 0},
    {S_GLOBAL, "max_memory", K_SIZE, G(max_memory), 1 * MIB, 16384 * MIB, 0},
    {S_GLOBAL, "max_request", K_SIZE, G(max_request), 256, 1 * MIB, 0},
    {S_GLOBAL, "max_body", K_SIZE, G(max_body), 0, 16 * MIB, 0},
    {S_GLOBAL, "max_message", K_SIZE, G(max_message), 256, 16 * MIB, 0},
    {S_GLOBAL, "first_bytes", K_SIZE, G(first_bytes), 1, 1 * MIB, 0},
    {S_GLOBAL, "idle_timeout", K_MS, G(idle_timeout_ms), 100, 3600000, 0},
    {S_GLOBAL, "header_timeout", K_MS, G(header_timeout_ms), 100, 3600000, 0},
    {S_GLOBAL, "max_requests", K_UINT, G(max_requests), 1, 100000, 0},
    {S_GLOBAL, "dedup_window", K_MS, G(dedup_window_ms), 0, 86400000, 0},
    {S_GLOBAL, "rate_per_source", K_UINT, G(rate_per_source), 1, 1000000, 0},
    {S_GLOBAL, "rate_burst", K_UINT, G(rate_burst), 1, 1000000, 0},
    {S_GLOBAL, "ignore", K_CIDR, 0, 0, 0, 0, 0},
    {S_GLOBAL, "syslog_udp", K_HOSTPORT, G(syslog_udp), 0, 0, 0},
    {S_GLOBAL, "syslog_tcp", K_HOSTPORT, G(syslog_tcp), 0, 0, 0},
    {S_GLOBAL, "syslog_facility", K_FACILITY, G(syslog_facility), 0, 23, 0},
    {S_GLOBAL, "webhook", K_URL, G(webhook), 0, 0, 0},
    {S_GLOBAL, "webhook_retries", K_UINT, G(webhook_retries), 0, 20, 0},
    {S_GLOBAL, "webhook_timeout", K_MS, G(webhook_timeout_ms), 100, 600000, 0},
    {S_GLOBAL, "queue_size", K_UINT, G(queue_size), 1, 1000000, 0},
    {S_GLOBAL, "log_buffer", K_SIZE, G(log_buffer), 64 * KIB, 1024 * MIB, 0},
    {S_GLOBAL, "status_interval", K_MS, G(status_interval_ms), 0, 86400000, 0},
    {S_GLOBAL, "shutdown_timeout", K_MS, G(shutdown_timeout_ms), 100, 60000, 0},
    {S_GLOBAL, "rate_global", K_UINT, G(rate_global), 0, 10000000, 0},
    {S_GLOBAL, "rate_global_burst", K_UINT, G(rate_global_burst), 1, 10000000, 0},
    /* [listener NAME] */
    {S_LISTENER, "protocol", K_PROTO, L(proto), 0, 0, 0},
    {S_LISTENER, "listen", K_LISTEN, 0, 0, 0, 0, 0},
    {S_LISTENER, "zone", K_STR, L(zone), 0, 0, 0},
    {S_LISTENER, "answer_a", K_IPV4, L(answer_a), 0, 0, 0},
    {S_LISTENER, "server_header", K_STR, L(server_header), 0, 0, 0},
    {S_LISTENER, "rmi_host", K_STR, L(rmi_host), 0, 0, 0},
    {S_LISTENER, "tls", K_BOOL, L(tls), 0, 1, 0},
    {S_LISTENER, "tls_cert", K_STR, L(tls_cert), 0, 0, 0},
    {S_LISTENER, "tls_key", K_STR, L(tls_key), 0, 0, 0},
    /* [response PATH] */
    {S_RESPONSE, "status", K_UINT, R(status), 100, 599, 0},
    {S_RESPONSE, "reason", K_STR, R(reason), 0, 0, 0},
    {S_RESPONSE, "content_type", K_STR, R(content_type), 0, 0, 0},
    {S_RESPONSE, "header", K_HEADER, 0, 0, 0, 0, 0},
    {S_RESPONSE, "body_file", K_BODYFILE, R(body_file), 0, 0, 0},
    {S_RESPONSE, "body", K_BODY, 0, 0, 0, 0, 0},
};

static const char *const proto_names[HP_PROTO_COUNT] = {"http", "ldap", "rmi", "dns", "tcp"};

/* `protocol` values that also mean `tls yes` */
static const struct {
    const char *name;
    hp_proto proto;
} tls_protos[] = {{"https", HP_PROTO_HTTP}, {"ldaps", HP_PROTO_LDAP}};

const char *hp_proto_name(hp_proto p) {
    return (unsigned)p < HP_PROTO_COUNT ? proto_names[p] : "unknown";
}

static const char *const facilities[] = {"kern",   "user",   "mail",   "daemon", "auth",
                                         "syslog", "lpr",    "news",   "uucp",   "cron",
                                         "authpriv", "ftp",  "ntp",    "audit",  "alert",
                                         "clock",  "local0", "local1", "local2", "local3",
                                         "local4", "local5", "local6", "local7"};

typedef struct pstate {
    hp_config *cfg;
    const char *name, *dir;
    int line;
    sect cur;
    void *obj; /* current section struct */
    char *err;
    size_t errsz;
} pstate;

static int fail(pstate *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(pstate *ps, const char *fmt, ...) {
    /* line 0: the error concerns the whole file (no line to name) */
    int n = ps->line > 0 ? snprintf(ps->err, ps->errsz, "%s:%d: ", ps->name, ps->line)
                         : snprintf(ps->err, ps->errsz, "%s: ", ps->name);
    if (n < 0 || (size_t)n >= ps->errsz)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errsz - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void set_defaults(hp_config *c) {
    memset(c, 0, sizeof *c);
    if (gethostname(c->node, sizeof c->node - 1) != 0)
        strcpy(c->node, "defuse-honeypot");
    c->log_stdout = -1; /* decided after parsing */
    strcpy(c->state_dir, "/var/lib/defuse-honeypot");
    c->max_connections = 16384;
    c->max_memory = 48 * MIB;
    c->max_request = 16 * KIB;
    c->max_body = 64 * KIB;
    c->max_message = 64 * KIB;
    c->first_bytes = 4 * KIB;
    c->idle_timeout_ms = 30000;
    c->header_timeout_ms = 10000;
    c->max_requests = 100;
    c->dedup_window_ms = 60000;
    c->rate_per_source = 20;
    c->rate_burst = 200;
    c->log_buffer = 8 * MIB;
    c->status_interval_ms = 60000;
    c->shutdown_timeout_ms = 8000;
    c->rate_global = 1000;
    c->rate_global_burst = 5000;
    c->syslog_facility = 4; /* auth: security events */
    c->webhook_retries = 3;
    c->webhook_timeout_ms = 5000;
    c->queue_size = 4096;
}

static int parse_ull(const char *v, unsigned long long *out, const char **end) {
    if (!isdigit((unsigned char)*v))
        return -1;
    errno = 0;
    char *e;
    unsigned long long x = strtoull(v, &e, 10);
    if (errno)
        return -1;
    *out = x;
    *end = e;
    return 0;
}

/* Parses "host:port", "[v6]:port" or "[v6]:lo-hi" / "host:lo-hi".
 * OUT: addr (port unset), lo, hi.  host "*" means 0.0.0.0. */
static int parse_listen(const char *v, hp_bind *b) {
    char host[128];
    const char *portp;
    memset(b, 0, sizeof *b);
    if (*v == '[') {
        const char *rb = strchr(v, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - v - 1) >= sizeof host)
            return -1;
        memcpy(host, v + 1, (size_t)(rb - v - 1));
        host[rb - v - 1] = '\0';
        portp = rb + 2;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&b->addr;
        s6->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
            return -1;
        b->addrlen = sizeof *s6;
    } else {
        const char *colon = strrchr(v, ':');
        if (!colon || (size_t)(colon - v) >= sizeof host)
            return -1;
        memcpy(host, v, (size_t)(colon - v));
        host[colon - v] = '\0';
        portp = colon + 1;
        struct sockaddr_in *s4 = (struct sockaddr_in *)&b->addr;
        s4->sin_family = AF_INET;
        if (!strcmp(host, "*"))
            s4->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
            return -1;
        b->addrlen = sizeof *s4;
    }
    unsigned long long lo, hi;
    const char *e;
    if (parse_ull(portp, &lo, &e) != 0)
        return -1;
    hi = lo;
    if (*e == '-' && parse_ull(e + 1, &hi, &e) != 0)
        return -1;
    if (*e || lo < 1 || hi > 65535 || lo > hi)
        return -1;
    b->port_lo = (unsigned)lo;
    b->port_hi = (unsigned)hi;
    return 0;
}

int hp_cidr_parse(const char *s, hp_cidr *c) {
    char host[64];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl == 0 || hl >= sizeof host)
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    memset(c, 0, sizeof *c);
    unsigned maxp;
    if (inet_pton(AF_INET, host, c->addr) == 1) {
        c->family = AF_INET;
        maxp = 32;
    } else if (inet_pton(AF_INET6, host, c->addr) == 1) {
        c->family = AF_INET6;
        maxp = 128;
    } else {
        return -1;
    }
    c->prefix = maxp;
    if (slash) {
        unsigned long long p;
        const char *e;
        if (parse_ull(slash + 1, &p, &e) != 0 || *e || p > maxp)
            return -1;
        c->prefix = (unsigned)p;
    }
    return 0;
}

int hp_cidr_match(const hp_cidr *c, const struct sockaddr *sa) {
    const uint8_t *a;
    int fam = sa->sa_family;
    if (fam == AF_INET) {
        a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (fam == AF_INET6) {
        a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (c->family == AF_INET && !memcmp(a, mapped, 12)) {
            a += 12;
            fam = AF_INET;
        }
    } else {
        return 0;
    }
    if (fam != c->family)
        return 0;
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(a, c->addr, full) != 0)
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        if ((a[full] & mask) != (c->addr[full] & mask))
            return 0;
    }
    return 1;
}

static int valid_hostport(const char *v) {
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v)
        return 0;
    unsigned long long p;
    const char *e;
    return parse_ull(colon + 1, &p, &e) == 0 && !*e && p >= 1 && p <= 65535;
}

static int load_body(pstate *ps, hp_response_cfg *r, const char *path) {
    char full[1024];
    if (path[0] != '/' && ps->dir)
        snprintf(full, sizeof full, "%s/%s", ps->dir, path);
    else
        snprintf(full, sizeof full, "%s", path);
    FILE *f = fopen(full, "rb");
    if (!f)
        return fail(ps, "body_file: cannot open '%s': %s", full, strerror(errno));
    char *buf = malloc(HP_MAX_BODY_FILE + 1);
    if (!buf) {
        fclose(f);
        return fail(ps, "out of memory");
    }
    size_t n = fread(buf, 1, HP_MAX_BODY_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > HP_MAX_BODY_FILE) {
        free(buf);
        return fail(ps, "body_file: '%s' %s", full,
                    bad ? "cannot be read" : "is larger than 1 MiB");
    }
    free(r->body);
    r->body = buf;
    r->body_len = n;
    return 0;
}

static int set_value(pstate *ps, const key *k, const char *v) {
    unsigned char *base = ps->obj;
    void *field = base + k->off;
    unsigned long long x;
    const char *e;
    switch (k->type) {
    case K_STR:
    case K_HOSTPORT:
    case K_URL:
    case K_IPV4:
    case K_BODYFILE:
    case K_USER:
        if (strlen(v) >= k->size)
            return fail(ps, "%s: value longer than %zu bytes", k->name, k->size - 1);
        if (field == (void *)ps->cfg->log_file)
            ps->cfg->log_file_line = ps->line;
        if (k->type == K_HOSTPORT && !valid_hostport(v))
            return fail(ps, "%s: expected HOST:PORT, got '%s'", k->name, v);
        if (k->type == K_URL && strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
            return fail(ps, "%s: expected an http:// or https:// URL", k->name);
        if (k->type == K_IPV4 && strcmp(v, "self") != 0) {
            struct in_addr a;
            if (inet_pton(AF_INET, v, &a) != 1)
                return fail(ps, "%s: expected an IPv4 address or 'self', got '%s'", k->name, v);
        }
        if (k->type == K_USER && !getpwnam(v))
            return fail(ps, "user: no user named '%s' on this system", v);
        strcpy(field, v);
        if (k->type == K_BODYFILE)
            return load_body(ps, ps->obj, v);
        return 0;
    case K_UINT:
        if (parse_ull(v, &x, &e) != 0 || *e || x < k->min || x > k->max)
            return fail(ps, "%s: expected an integer in %llu..%llu, got '%s'", k->name, k->min,
                        k->max, v);
        *(unsigned *)field = (unsigned)x;
        return 0;
    case K_SIZE: {
        if (parse_ull(v, &x, &e) != 0)
            return fail(ps, "%s: expected a size such as 64K or 2M, got '%s'", k->name, v);
        unsigned long long mul = 1;
        if (*e == 'K' || *e == 'k')
            mul = KIB, e++;
        else if (*e == 'M' || *e == 'm')
            mul = MIB, e++;
        else if (*e == 'G' || *e == 'g')
            mul = 1024 * MIB, e++;
        if (*e || x > k->max / mul || x * mul < k->min)
            return fail(ps, "%s: expected a size in %llu..%llu bytes, got '%s'", k->name, k->min,
                        k->max, v);
        *(size_t *)field = (size_t)(x * mul);
        return 0;
    }
    case K_MS: {
        if (parse_ull(v, &x, &e) != 0)
            return fail(ps, "%s: expected a duration such as 30s or 250ms, got '%s'", k->name, v);
        unsigned long long mul;
        if (!*e || !strcmp(e, "s"))
            mul = 1000;
        else if (!strcmp(e, "ms"))
            mul = 1;
        else if (!strcmp(e, "m"))
            mul = 60000;
        else if (!strcmp(e, "h"))
            mul = 3600000;
        else
            return fail(ps, "%s: unknown unit in '%s' (use ms, s, m or h)", k->name, v);
        if (x > k->max / mul || x * mul < k->min || x * mul > k->max)
            return fail(ps, "%s: expected %llu..%llu ms, got '%s'", k->name, k->min, k->max, v);
        *(unsigned *)field = (unsigned)(x * mul);
        return 0;
    }
    case K_BOOL: {
        static const char *const yes[] = {"yes", "true", "on", "1"};
        static const char *const no[] = {"no", "false", "off", "0"};
        for (size_t i = 0; i < 4; i++) {
            if (!strcasecmp(v, yes[i])) {
                *(int *)field = 1;
                return 0;
            }
            if (!strcasecmp(v, no[i])) {
                *(int *)field = 0;
                return 0;
            }
        }
        return fail(ps, "%s: expected yes or no, got '%s'", k->name, v);
    }
    case K_PROTO:
        for (unsigned i = 0; i < HP_PROTO_COUNT; i++) {
            if (!strcasecmp(v, proto_names[i])) {
                hp_listener_cfg *l = ps->obj;
                l->proto = (hp_proto)i;
                l->have_proto = 1;
                return 0;
            }
        }
        for (size_t i = 0; i < sizeof tls_protos / sizeof tls_protos[0]; i++) {
            if (!strcasecmp(v, tls_protos[i].name)) {
                hp_listener_cfg *l = ps->obj;
                l->proto = tls_protos[i].proto;
                l->have_proto = 1;
                l->tls = 1;
                return 0;
            }
        }
        return fail(ps, "protocol: expected http, https, ldap, ldaps, rmi, dns or tcp, got '%s'",
                    v);
    case K_FORMAT: {
        static const char *const formats[] = {[HP_FORMAT_JSON] = "json", [HP_FORMAT_ECS] = "ecs"};
        for (int i = 0; i < (int)(sizeof formats / sizeof formats[0]); i++) {
            if (!strcmp(v, formats[i])) {
                *(int *)field = i;
                return 0;
            }
        }
        return fail(ps, "%s: expected json or ecs, got '%s'", k->name, v);
    }
    case K_FACILITY:
        for (unsigned i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
            if (!strcasecmp(v, facilities[i])) {
                *(int *)field = (int)i;
                return 0;
            }
        }
        if (parse_ull(v, &x, &e) == 0 && !*e && x <= 23) {
            *(int *)field = (int)x;
            return 0;
        }
        return fail(ps, "syslog_facility: expected a facility name or 0..23, got '%s'", v);
    case K_LISTEN: {
        hp_listener_cfg *l = ps->obj;
        if (l->nbinds >= HP_MAX_BINDS)
            return fail(ps, "listen: more than %d listen lines in one listener", HP_MAX_BINDS);
        hp_bind *b = &l->binds[l->nbinds];
        if (parse_listen(v, b) != 0)
            return fail(ps, "listen: expected ADDRESS:PORT[-PORT] or [IPV6]:PORT[-PORT], got '%s'",
                        v);
        b->line = ps->line;
        l->nbinds++;
        return 0;
    }
    case K_CIDR: {
        hp_config *c = ps->cfg;
        if (c->nignore >= HP_MAX_IGNORE)
            return fail(ps, "ignore: more than %d entries", HP_MAX_IGNORE);
        if (hp_cidr_parse(v, &c->ignore[c->nignore]) != 0)
            return fail(ps, "ignore: expected an address or CIDR, got '%s'", v);
        c->nignore++;
        return 0;
    }
    case K_HEADER: {
        hp_response_cfg *r = ps->obj;
        const char *colon = strchr(v, ':');
        if (!colon || colon == v || strpbrk(v, "\r\n"))
            return fail(ps, "header: expected 'Name: value', got '%s'", v);
        if (r->nheaders >= HP_MAX_RESP_HEADERS)
            return fail(ps, "header: more than %d headers", HP_MAX_RESP_HEADERS);
        if (strlen(v) >= sizeof r->headers[0])
            return fail(ps, "header: longer than %zu bytes", sizeof r->headers[0] - 1);
        strcpy(r->headers[r->nheaders++], v);
        return 0;
    }
    case K_BODY: {
        hp_response_cfg *r = ps->obj;
        char *b = strdup(v);
        if (!b)
            return fail(ps, "out of memory");
        free(r->body);
        r->body = b;
        r->body_len = strlen(b);
        return 0;
    }
    }
    return fail(ps, "internal: unhandled key type");
}

/* Grows an array of `size`-byte elements to hold n+1 (doubling, up to max).
 * Returns 0 or -1. */
static int grow(void **arr, size_t *cap, size_t n, size_t size, size_t max) {
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 4;
    if (nc > max)
        nc = max;
    void *p = realloc(*arr, nc * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

static int open_section(pstate *ps, char *line) {
    char *close = strchr(line, ']');
    if (!close)
        return fail(ps, "section header without ']'");
    for (char *p = close + 1; *p; p++)
        if (!isspace((unsigned char)*p))
            return fail(ps, "text after section header");
    *close = '\0';
    char *kind = line + 1;
    while (isspace((unsigned char)*kind))
        kind++;
    char *arg = kind;
    while (*arg && !isspace((unsigned char)*arg))
        arg++;
    if (*arg)
        *arg++ = '\0';
    while (isspace((unsigned char)*arg))
        arg++;
    size_t al = strlen(arg);
    while (al && isspace((unsigned char)arg[al - 1]))
        arg[--al] = '\0';
    hp_config *c = ps->cfg;
    if (!strcmp(kind, "global")) {
        ps->cur = S_GLOBAL;
        ps->obj = c;
        return 0;
    }
    if (!strcmp(kind, "listener")) {
        if (!*arg || al >= sizeof c->listeners[0].name)
            return fail(ps, "[listener NAME]: a name of 1..63 bytes is required");
        for (size_t i = 0; i < c->nlisteners; i++)
            if (!strcmp(c->listeners[i].name, arg))
                return fail(ps, "listener '%s' already defined on line %d", arg,
                            c->listeners[i].line);
        if (c->nlisteners >= HP_MAX_LISTENERS)
            return fail(ps, "more than %d listeners", HP_MAX_LISTENERS);
        if (grow((void **)&c->listeners, &c->listeners_cap, c->nlisteners, sizeof *c->listeners,
                 HP_MAX_LISTENERS) != 0)
            return fail(ps, "out of memory");
        hp_listener_cfg *l = &c->listeners[c->nlisteners++];
        memset(l, 0, sizeof *l);
        strcpy(l->name, arg);
        l->line = ps->line;
        ps->cur = S_LISTENER;
        ps->obj = l;
        return 0;
    }
    if (!strcmp(kind, "response")) {
        if (!*arg || al >= sizeof c->responses[0].path || (arg[0] != '/' && strcmp(arg, "*")))
            return fail(ps, "[response PATH]: PATH must start with '/' or be '*'");
        for (size_t i = 0; i < c->nresponses; i++)
            if (!strcmp(c->responses[i].path, arg))
                return fail(ps, "response '%s' already defined on line %d", arg,
                            c->responses[i].line);
        if (c->nresponses >= HP_MAX_RESPONSES)
            return fail(ps, "more than %d responses", HP_MAX_RESPONSES);
        if (grow((void **)&c->responses, &c->responses_cap, c->nresponses, sizeof *c->responses,
                 HP_MAX_RESPONSES) != 0)
            return fail(ps, "out of memory");
        hp_response_cfg *r = &c->responses[c->nresponses++];
        memset(r, 0, sizeof *r);
        strcpy(r->path, arg);
        r->status = 200;
        r->line = ps->line;
        ps->cur = S_RESPONSE;
        ps->obj = r;
        return 0;
    }
    return fail(ps, "unknown section [%s] (expected global, listener or response)", kind);
}

static int parse_line(pstate *ps, char *line) {
    while (isspace((unsigned char)*line))
        line++;
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0';
    if (!*line || *line == '#' || *line == ';')
        return 0;
    if (*line == '[')
        return open_section(ps, line);
    char *v = line;
    while (*v && !isspace((unsigned char)*v))
        v++;
    if (*v)
        *v++ = '\0';
    while (isspace((unsigned char)*v))
        v++;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].name, line) != 0)
            continue;
        if (!(keys[i].sections & ps->cur)) {
            static const char *const sn[] = {"", "global", "listener", "", "response"};
            return fail(ps, "key '%s' is not allowed in a [%s] section", line, sn[ps->cur]);
        }
        if (!*v && keys[i].type != K_BODY && keys[i].type != K_STR)
            return fail(ps, "key '%s' needs a value", line);
        return set_value(ps, &keys[i], v);
    }
    return fail(ps, "unknown key '%s'", line);
}

static int validate(pstate *ps) {
    hp_config *c = ps->cfg;
    size_t sockets = 0;
    if (c->nlisteners == 0) {
        ps->line = 0; /* the whole file: "NAME: no [listener] ..." */
        return fail(ps, "no [listener] section: nothing to listen on");
    }
    for (size_t i = 0; i < c->nlisteners; i++) {
        hp_listener_cfg *l = &c->listeners[i];
        ps->line = l->line;
        if (!l->have_proto)
            return fail(ps, "listener '%s' has no protocol", l->name);
        if (l->nbinds == 0)
            return fail(ps, "listener '%s' has no listen line", l->name);
        for (size_t j = 0; j < l->nbinds; j++)
            sockets += l->binds[j].port_hi - l->binds[j].port_lo + 1;
        if (sockets > HP_MAX_SOCKETS) /* named at the listener that passes it */
            return fail(ps, "listener '%s': %zu ports in total so far, more than %d", l->name,
                        sockets, HP_MAX_SOCKETS);
        if ((l->zone[0] || l->answer_a[0]) && l->proto != HP_PROTO_DNS)
            return fail(ps, "listener '%s': zone and answer_a apply to protocol dns only",
                        l->name);
        if (l->tls && l->proto == HP_PROTO_DNS)
            return fail(ps, "listener '%s': tls applies to TCP protocols, not dns", l->name);
        if ((l->tls_cert[0] || l->tls_key[0]) && !l->tls)
            return fail(ps, "listener '%s': tls_cert and tls_key need 'tls yes'", l->name);
        if (l->tls && !(l->tls_cert[0] && l->tls_key[0]) && !c->state_dir[0])
            return fail(ps, "listener '%s': an empty state_dir leaves nowhere to keep the "
                        "generated certificate (set state_dir, or tls_cert and tls_key)",
                        l->name);
        for (char *p = l->zone; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        size_t zl = strlen(l->zone);
        if (zl && l->zone[zl - 1] == '.')
            l->zone[zl - 1] = '\0';
    }
    for (size_t i = 0; i < c->nresponses; i++) {
        ps->line = c->responses[i].line;
        if (c->responses[i].body_file[0] && c->responses[i].body_len == 0 &&
            c->responses[i].body == NULL)
            return fail(ps, "response '%s': body_file not loaded", c->responses[i].path);
    }
    if (c->log_stdout < 0)
        c->log_stdout = c->log_file[0] ? 0 : 1;
    if (c->rate_burst < c->rate_per_source)
        c->rate_burst = c->rate_per_source;
    return 0;
}

int hp_config_parse(const char *text, size_t len, const char *name, const char *dir,
                    hp_config *cfg, char *err, size_t errsz) {
    pstate ps = {cfg, name ? name : "config", dir, 0, S_GLOBAL, cfg, err, errsz};
    char *line = NULL;
    int rc = -1;
    set_defaults(cfg);
    line = malloc(HP_MAX_LINE + 1);
    if (!line) {
        fail(&ps, "out of memory");
        goto out;
    }
    if (len > HP_MAX_CONFIG) {
        fail(&ps, "config larger than %u bytes", HP_MAX_CONFIG);
        goto out;
    }
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
        ps.line++;
        if (ll > HP_MAX_LINE) {
            fail(&ps, "line longer than %d bytes", HP_MAX_LINE);
            goto out;
        }
        if (memchr(text + pos, '\0', ll)) {
            fail(&ps, "NUL byte in line");
            goto out;
        }
        memcpy(line, text + pos, ll);
        line[ll] = '\0';
        if (parse_line(&ps, line) != 0)
            goto out;
        pos += ll + (nl ? 1 : 0);
    }
    rc = validate(&ps);
out:
    free(line);
    return rc;
}

int hp_config_load(const char *path, hp_config *cfg, char *err, size_t errsz) {
    memset(cfg, 0, sizeof *cfg);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(HP_MAX_CONFIG + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errsz, "%s: out of memory", path);
        return -1;
    }
    size_t n = fread(buf, 1, HP_MAX_CONFIG + 1, f);
    int bad = ferror(f) ? errno : 0; /* EISDIR for a directory */
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errsz, "%s: cannot read: %s", path, strerror(bad));
        return -1;
    }
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int rc = hp_config_parse(buf, n, path, slash ? dir : NULL, cfg, err, errsz);
    free(buf);
    return rc;
}

int hp_config_check_paths(const hp_config *cfg, const char *name, char *err, size_t errsz) {
    if (!cfg->log_file[0])
        return 0;
    char dir[sizeof cfg->log_file];
    snprintf(dir, sizeof dir, "%s", cfg->log_file);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0; /* the current directory */
    if (slash == dir)
        slash[1] = '\0'; /* "/" */
    else
        *slash = '\0';
    struct stat st;
    const char *why = NULL;
    if (stat(dir, &st) != 0)
        why = errno == ENOENT ? "does not exist" : strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = "is not a directory";
    if (!why)
        return 0;
    char where[32] = "";
    if (cfg->log_file_line > 0)
        snprintf(where, sizeof where, ":%d", cfg->log_file_line);
    snprintf(err, errsz,
             "%s%s: log_file: the directory %s %s (the daemon does not create it: "
             "install -d -m 0750 %s, or start it from the systemd unit, whose "
             "LogsDirectory= creates /var/log/defuse)",
             name, where, dir, why, dir);
    return -1;
}

void hp_config_free(hp_config *cfg) {
    if (!cfg)
        return;
    if (cfg->responses)
        for (size_t i = 0; i < cfg->nresponses; i++)
            free(cfg->responses[i].body);
    free(cfg->responses);
    free(cfg->listeners);
    cfg->responses = NULL;
    cfg->listeners = NULL;
    cfg->nresponses = cfg->nlisteners = 0;
    cfg->responses_cap = cfg->listeners_cap = 0;
}

const hp_response_cfg *hp_config_response(const hp_config *cfg, const char *path, size_t len) {
    /* the path without its query string */
    const char *q = memchr(path, '?', len);
    if (q)
        len = (size_t)(q - path);
    const hp_response_cfg *best = NULL, *fallback = NULL;
    size_t bestlen = 0;
    for (size_t i = 0; i < cfg->nresponses; i++) {
        const hp_response_cfg *r = &cfg->responses[i];
        size_t pl = strlen(r->path);
        if (pl == 1 && r->path[0] == '*') {
            fallback = r;
            continue;
        }
        if (r->path[pl - 1] == '*') { /* a trailing star: prefix match */
            pl--;
            if (pl > len || memcmp(r->path, path, pl) != 0)
                continue;
        } else if (pl != len || memcmp(r->path, path, pl) != 0) {
            continue; /* exact */
        }
        if (!best || pl > bestlen) {
            best = r;
            bestlen = pl;
        }
    }
    return best ? best : fallback;
}
