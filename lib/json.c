/*
 * json.c -- how a finding leaves the library as text.
 *
 *   defuse_finding_to_json()  one finding as one line of JSON, with every "$"
 *                             written as \u0024 so that no consumer handling
 *                             the line as text sees a live "${" (written
 *                             directly; with `extra`, built with jansson).
 *   defuse_defang()           attacker text made safe to show to people:
 *                             no live "${", no clickable URL or host name,
 *                             no terminal control sequences.
 *
 * Each string field is bounded (DEFUSE_JSON_MAX_FIELD in limits.h): a longer
 * one keeps its start and gets "FIELD_length", "FIELD_sha256" and
 * "truncated": true.
 * Strings from a finding may hold any bytes (decoding can produce NUL and
 * invalid UTF-8); JSON needs valid UTF-8, so invalid bytes become U+FFFD.
 */
#include "internal.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- JSON ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is invalid
 * (overlongs, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min, cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, min = 0x80, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, min = 0x800, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* A JSON string for s[0..n) (NUL bytes kept as \u0000, invalid UTF-8 bytes
 * replaced by U+FFFD).  Returns a new reference or NULL on ENOMEM. */
static json_t *json_bytes(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(u + i, n - i);
        if (!k)
            break;
        i += k;
    }
    if (i == n)
        return json_stringn(s, n);
    /* Rare path: rebuild with replacements (each bad byte grows to 3). */
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return NULL;
    size_t o = 0;
    for (i = 0; i < n;) {
        size_t k = utf8_seq(u + i, n - i);
        if (k) {
            memcpy(buf + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    json_t *j = json_stringn(buf, o);
    free(buf);
    return j;
}

/* ---- bounded fields ----------------------------------------------------------
 * A string field longer than DEFUSE_JSON_MAX_FIELD keeps its start and is
 * identified by its length and SHA-256 (both paths below write the same
 * members; the digest matches `sha256sum` of the field's bytes). */

/* out: 64 lower-case hex digits and a NUL (lib/sha256.c); "" when libcrypto
 * fails, never a digest of nothing. */
static void sha256_hex(const void *data, size_t n, char out[65]) {
    uint8_t d[32];
    if (defuse__sha256_once(data, n, d))
        defuse__sha256_hex(d, out);
    else
        out[0] = 0;
}

/* Bytes of s[0..n) written for a field: n, or at most DEFUSE_JSON_MAX_FIELD
 * ending before a UTF-8 sequence the cut would split. */
static size_t field_keep(const char *s, size_t n) {
    if (n <= DEFUSE_JSON_MAX_FIELD)
        return n;
    size_t k = DEFUSE_JSON_MAX_FIELD;
    for (size_t back = 0; back < 3 && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80; back++)
        k--;
    return k;
}

/* Sets key on obj to v (stealing v).  Returns 0, or -1 if v is NULL or the
 * set failed. */
static int put(json_t *obj, const char *key, json_t *v) {
    if (!v)
        return -1;
    return json_object_set_new(obj, key, v);
}

/* Sets key on obj to s[0..n) as the direct writer's jb_member() does: cut
 * past DEFUSE_JSON_MAX_FIELD, then "key_length" and "key_sha256" (sets *cut).
 * s NULL: null.  Returns 0 or -1. */
static int put_field(json_t *obj, const char *key, const char *s, size_t n, bool *cut) {
    if (!s)
        return put(obj, key, json_null());
    size_t keep = field_keep(s, n);
    if (put(obj, key, json_bytes(s, keep)))
        return -1;
    if (keep == n)
        return 0;
    char name[64], hex[65];
    sha256_hex(s, n, hex);
    snprintf(name, sizeof name, "%s_length", key);
    if (put(obj, name, json_integer((json_int_t)n)))
        return -1;
    snprintf(name, sizeof name, "%s_sha256", key);
    *cut = true;
    return put(obj, name, json_string(hex));
}

/* Copies the dump s into a new string with every '$' as "\u0024".  '$' is
 * ASCII and never part of JSON syntax, so it only occurs inside strings
 * (keys or values) and the replacement keeps the document valid. */
static char *escape_dollars(const char *s) {
    size_t n = 0, dollars = 0;
    for (; s[n]; n++)
        dollars += s[n] == '$';
    char *out = malloc(n + dollars * 5 + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '$') {
            memcpy(o, "\\u0024", 6);
            o += 6;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* ---- the same JSON written directly ----------------------------------------
 * defuse_finding_to_json() without `extra` writes its fixed members straight
 * into one buffer.  Building a jansson tree per finding, dumping it and
 * copying it again for the "$" rule was 65% of the CPU time of `defuse logs
 * --json` on attack-dense logs.  The output is byte for byte what the
 * jansson path gives (compact, members in this order, jansson's escapes:
 * \" \\ \b \f \n \r \t, other controls as \u00XX in upper-case hex, no
 * escaping of '/' or non-ASCII; bad UTF-8 as U+FFFD; '$' as \u0024), which
 * tests/unit/test_json.c checks on random findings against the jansson
 * path; with `extra` the jansson path is used. */

typedef struct jbuf {
    char *p;
    size_t len, cap;
    bool bad; /* allocation failed, or a name had no text */
} jbuf;

static void jb_put(jbuf *b, const char *s, size_t n) {
    if (b->bad)
        return;
    if (n > SIZE_MAX - 1 - b->len) {
        b->bad = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n + 1)
            cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->bad = true;
            return;
        }
        b->p = q, b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void jb_lit(jbuf *b, const char *s) {
    jb_put(b, s, strlen(s));
}

/* s[0..n) as a JSON string. */
static void jb_str(jbuf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)s;
    jb_put(b, "\"", 1);
    size_t run = 0; /* start of the bytes not yet written */
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        char esc[8];
        size_t elen = 0, k = 1;
        if (c >= 0x80) {
            k = utf8_seq(u + i, n - i);
            if (k) {
                i += k;
                continue;
            }
            memcpy(esc, "\xEF\xBF\xBD", 3);
            elen = 3, k = 1;
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c, elen = 2;
        } else if (c == '$') {
            memcpy(esc, "\\u0024", 6), elen = 6;
        } else if (c < 0x20) {
            static const char short_esc[0x20] = {
                ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
            esc[0] = '\\';
            if (short_esc[c]) {
                esc[1] = short_esc[c], elen = 2;
            } else {
                memcpy(esc + 1, "u00", 3);
                esc[4] = hex[c >> 4], esc[5] = hex[c & 15], elen = 6;
            }
        } else {
            i++;
            continue;
        }
        jb_put(b, s + run, i - run);
        jb_put(b, esc, elen);
        i += k;
        run = i;
    }
    jb_put(b, s + run, n - run);
    jb_put(b, "\"", 1);
}

/* ,"key":value-string-or-null; a value past DEFUSE_JSON_MAX_FIELD is cut
 * and followed by "key_length" and "key_sha256" (sets *cut). */
static void jb_member(jbuf *b, const char *key, const char *s, size_t n, bool present, bool *cut) {
    jb_lit(b, ",\"");
    jb_lit(b, key);
    jb_lit(b, "\":");
    if (!present) {
        jb_lit(b, "null");
        return;
    }
    size_t keep = field_keep(s, n);
    jb_str(b, s, keep);
    if (keep == n)
        return;
    char num[32], hex[65];
    sha256_hex(s, n, hex);
    int k = snprintf(num, sizeof num, "_length\":%zu,\"", n);
    jb_lit(b, ",\"");
    jb_lit(b, key);
    jb_put(b, num, (size_t)k);
    jb_lit(b, key);
    jb_lit(b, "_sha256\":\"");
    jb_lit(b, hex);
    jb_lit(b, "\"");
    *cut = true;
}

/* A name from names.c as an array element; no name makes the caller fall
 * back to the jansson path (which fails the same way). */
static void jb_name(jbuf *b, const char *name, bool first) {
    if (!name) {
        b->bad = true;
        return;
    }
    if (!first)
        jb_put(b, ",", 1);
    jb_str(b, name, strlen(name));
}

static char *finding_json_direct(const defuse_finding *f) {
    jbuf b = {0};
    bool cut = false;
    const char *kind = defuse_kind_name(f->kind);
    if (!kind)
        return NULL;
    jb_lit(&b, "{\"kind\":");
    jb_str(&b, kind, strlen(kind));
    jb_member(&b, "payload", f->payload, f->payload_len, f->payload != NULL, &cut);
    jb_member(&b, "decoded", f->decoded, f->decoded_len, f->decoded != NULL, &cut);
    jb_lit(&b, ",\"layers\":[");
    size_t nl = f->nlayers < DEFUSE_MAX_REPORTED_LAYERS ? f->nlayers : DEFUSE_MAX_REPORTED_LAYERS;
    for (size_t i = 0; i < nl; i++)
        jb_name(&b, defuse_layer_name(f->layers[i]), i == 0);
    jb_lit(&b, "],\"techniques\":[");
    bool first = true;
    for (unsigned t = 0; t < DEFUSE_TECH_COUNT; t++) {
        const char *name = defuse_technique_name(1u << t);
        if ((f->techniques & (1u << t)) && name) {
            jb_name(&b, name, first);
            first = false;
        }
    }
    jb_lit(&b, "]");
    size_t cblen = f->callback ? (f->callback_len ? f->callback_len : strlen(f->callback)) : 0;
    jb_member(&b, "callback", f->callback, cblen, f->callback != NULL, &cut);
    jb_member(&b, "scheme", f->scheme, f->scheme ? strlen(f->scheme) : 0, f->scheme != NULL, &cut);
    jb_member(&b, "host", f->host, f->host ? strlen(f->host) : 0, f->host != NULL, &cut);
    if (f->port >= 0) {
        char num[24];
        int k = snprintf(num, sizeof num, ",\"port\":%d", f->port);
        jb_put(&b, num, (size_t)k);
    } else {
        jb_lit(&b, ",\"port\":null");
    }
    jb_member(&b, "path", f->path, f->path ? strlen(f->path) : 0, f->path != NULL, &cut);
    jb_lit(&b, ",\"exfil\":[");
    size_t ne = f->nexfil < DEFUSE_MAX_REPORTED_EXFIL ? f->nexfil : DEFUSE_MAX_REPORTED_EXFIL;
    first = true;
    for (size_t i = 0; i < ne; i++) {
        if (!f->exfil[i])
            continue;
        if (!first)
            jb_put(&b, ",", 1);
        size_t xl = strlen(f->exfil[i]), keep = field_keep(f->exfil[i], xl);
        jb_str(&b, f->exfil[i], keep);
        cut |= keep != xl;
        first = false;
    }
    jb_lit(&b, "]");
    jb_member(&b, "command", f->command, f->command ? strlen(f->command) : 0, f->command != NULL,
              &cut);
    if (cut)
        jb_lit(&b, ",\"truncated\":true");
    jb_lit(&b, "}");
    if (b.bad) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

char *defuse_finding_to_json(const defuse_finding *f, const char *extra) {
    char *dump = NULL, *out = NULL;
    json_t *obj = NULL;
    if (!f)
        return NULL;
    if (!extra) {
        char *direct = finding_json_direct(f);
        if (direct)
            return direct;
        /* out of memory or a value without a name: the jansson path */
    }
    if (extra) {
        json_error_t err;
        obj = json_loads(extra, JSON_REJECT_DUPLICATES, &err);
        if (!obj || !json_is_object(obj))
            goto out;
    } else {
        obj = json_object();
        if (!obj)
            goto out;
    }

    json_t *layers = json_array(), *techs = json_array(), *exfil = json_array();
    bool cut = false;
    if (put(obj, "kind", json_string(defuse_kind_name(f->kind))) ||
        put_field(obj, "payload", f->payload, f->payload_len, &cut) ||
        put_field(obj, "decoded", f->decoded, f->decoded_len, &cut) || put(obj, "layers", layers) ||
        put(obj, "techniques", techs)) {
        json_decref(exfil);
        goto out;
    }
    size_t nl = f->nlayers < DEFUSE_MAX_REPORTED_LAYERS ? f->nlayers : DEFUSE_MAX_REPORTED_LAYERS;
    for (size_t i = 0; i < nl; i++)
        if (json_array_append_new(layers, json_string(defuse_layer_name(f->layers[i]))))
            goto out;
    for (unsigned b = 0; b < DEFUSE_TECH_COUNT; b++) {
        const char *name = defuse_technique_name(1u << b);
        if ((f->techniques & (1u << b)) && name && json_array_append_new(techs, json_string(name)))
            goto out;
    }
    /* callback_len 0 with a non-empty callback: a caller that built the
     * finding itself and left the length out. */
    size_t cblen = f->callback ? (f->callback_len ? f->callback_len : strlen(f->callback)) : 0;
    if (put_field(obj, "callback", f->callback, cblen, &cut) ||
        put_field(obj, "scheme", f->scheme, f->scheme ? strlen(f->scheme) : 0, &cut) ||
        put_field(obj, "host", f->host, f->host ? strlen(f->host) : 0, &cut) ||
        put(obj, "port", f->port >= 0 ? json_integer(f->port) : json_null()) ||
        put_field(obj, "path", f->path, f->path ? strlen(f->path) : 0, &cut) ||
        put(obj, "exfil", exfil))
        goto out;
    size_t ne = f->nexfil < DEFUSE_MAX_REPORTED_EXFIL ? f->nexfil : DEFUSE_MAX_REPORTED_EXFIL;
    for (size_t i = 0; i < ne; i++) {
        if (!f->exfil[i])
            continue;
        size_t xl = strlen(f->exfil[i]), keep = field_keep(f->exfil[i], xl);
        cut |= keep != xl;
        if (json_array_append_new(exfil, json_bytes(f->exfil[i], keep)))
            goto out;
    }
    if (put_field(obj, "command", f->command, f->command ? strlen(f->command) : 0, &cut) ||
        (cut && put(obj, "truncated", json_true())))
        goto out;

    dump = json_dumps(obj, JSON_COMPACT);
    if (!dump)
        goto out;
    out = escape_dollars(dump);
out:
    free(dump);
    json_decref(obj);
    return out;
}

/* ---- defang ------------------------------------------------------------------ */

/* Output cursor that counts what the full result needs, as snprintf. */
typedef struct sink {
    char *out;
    size_t cap; /* usable bytes, excluding the NUL */
    size_t len; /* bytes the full result needs so far */
} sink;

static void emit(sink *k, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++, k->len++)
        if (k->len < k->cap)
            k->out[k->len] = s[i];
}

/* NUL-terminates the output (when there is one); returns the length the
 * full result needs. */
static size_t sink_end(sink *k) {
    if (k->out)
        k->out[k->len < k->cap ? k->len : k->cap] = '\0';
    return k->len;
}

static void emit_hex(sink *k, unsigned char c) {
    char buf[5];
    snprintf(buf, sizeof buf, "\\x%02X", c);
    emit(k, buf, 4);
}

static int is_label_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* Bytes that end the host part after "://" (the authority).  '#' and '@'
 * do not: ldap://127.0.0.1#evil.com and user@host keep the host going. */
static int ends_authority(unsigned char c) {
    return c <= ' ' || c == '/' || c == '?' || c == '"' || c == '\'' || c == '<' || c == '>' ||
           c == '\\' || c == 0x7F;
}

/* Whether the token t[0..n) -- a maximal run of [A-Za-z0-9.-] holding a
 * dot -- is host-like: it starts and ends with a letter or digit and is
 * either four numeric labels (IPv4) or ends in a label of two or more
 * letters (a domain such as evil.com; "java.version" counts too, which is
 * harmless and keeps the rule simple and predictable).  Decided once per
 * token, so defanging stays linear in the input. */
static int host_token(const unsigned char *t, size_t n) {
    if (n < 3 || t[0] == '.' || t[0] == '-' || t[n - 1] == '.' || t[n - 1] == '-')
        return 0;
    size_t l = n;
    while (l > 0 && t[l - 1] != '.')
        l--;
    if (l == 0)
        return 0; /* no dot */
    int alpha = 1;
    for (size_t k = l; k < n; k++)
        if (!((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z')))
            alpha = 0;
    if (alpha && n - l >= 2)
        return 1;
    unsigned dots = 0;
    for (size_t k = 0; k < n; k++) {
        if (t[k] == '.') {
            if (k + 1 < n && t[k + 1] == '.')
                return 0;
            dots++;
        } else if (t[k] < '0' || t[k] > '9') {
            return 0;
        }
    }
    return dots == 3;
}

/* Length of a UTF-8 sequence at s that a terminal may act on and that is
 * shown escaped: C1 controls (U+0080..U+009F, e.g. CSI U+009B) and the
 * bidirectional overrides U+202A..U+202E, U+2066..U+2069 (Trojan Source).
 * 0 if s does not start with one. */
static size_t risky_utf8(const unsigned char *s, size_t n) {
    if (n >= 2 && s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F)
        return 2;
    if (n >= 3 && s[0] == 0xE2 &&
        ((s[1] == 0x80 && s[2] >= 0xAA && s[2] <= 0xAE) ||
         (s[1] == 0x81 && s[2] >= 0xA6 && s[2] <= 0xA9)))
        return 3;
    return 0;
}

/* The lookups whose argument names victim data (a property, a variable):
 * written "NAME:arg" at the start of a text, they are an exfiltration key
 * ("sys:user.name"), never a host. */
static const char *const property_lookups[] = {"sys", "env", "ctx", "main", "java", "jvmrunargs",
                                               "k8s", "docker", "spring", "bundle", "web", "map",
                                               "sd", "log4j"};

/* True if the token at u[i] is the argument of a lookup: "${NAME:" right
 * before it ("${sys:user.name}", "${env:JAVA_HOME}"), or a property lookup's
 * "NAME:" opening the text: a property name, not a host, even after "://". */
static int lookup_arg(const unsigned char *u, size_t i) {
    if (i < 2 || u[i - 1] != ':')
        return 0;
    size_t j = i - 1, lim = i > 34 ? i - 34 : 0; /* lookup names are short */
    while (j > lim && ((u[j - 1] >= 'a' && u[j - 1] <= 'z') || (u[j - 1] >= 'A' && u[j - 1] <= 'Z')))
        j--;
    if (j == i - 1)
        return 0;
    if (j >= 2 && u[j - 2] == '$' && u[j - 1] == '{')
        return 1;
    if (j != 0)
        return 0;
    for (size_t k = 0; k < sizeof property_lookups / sizeof *property_lookups; k++)
        if (strlen(property_lookups[k]) == i - 1 &&
            strncasecmp((const char *)u, property_lookups[k], i - 1) == 0)
            return 1;
    return 0;
}

/* The escapes are chosen so that the result can be read back exactly
 * (defuse_refang): '\' is doubled, so "$\{", "\xHH" and "\[" in the output
 * are always defang's own, and a '[' that would start "[.]" or "[:]" is
 * written "\[". */
size_t defuse_defang(const char *s, size_t len, char *out, size_t outsz) {
    sink k = {outsz ? out : NULL, outsz ? outsz - 1 : 0, 0};
    const unsigned char *u = (const unsigned char *)s;
    int in_authority = 0;
    if (!s)
        len = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = u[i];
        if (c == '$' && i + 1 < len && u[i + 1] == '{') {
            emit(&k, "$\\{", 3);
            i += 2;
            continue;
        }
        if (c == '\\') {
            emit(&k, "\\\\", 2);
            i++;
            continue;
        }
        if (c == '[' && i + 2 < len && (u[i + 1] == '.' || u[i + 1] == ':') && u[i + 2] == ']') {
            emit(&k, "\\[", 2);
            i++;
            continue;
        }
        if (c == ':' && i + 2 < len && u[i + 1] == '/' && u[i + 2] == '/') {
            emit(&k, "[:]//", 5);
            i += 3;
            in_authority = 1;
            continue;
        }
        if (in_authority && ends_authority(c))
            in_authority = 0;
        if (is_label_char(c) || c == '.') {
            size_t e = i;
            while (e < len && (is_label_char(u[e]) || u[e] == '.'))
                e++;
            /* Decide on the token without its leading and trailing dots
             * (".evil.example" after "${env:USER}", "evil.com." ending a
             * sentence); leading dots join a host and are defanged too. */
            size_t a = i, b = e;
            while (a < b && u[a] == '.')
                a++;
            while (b > a && u[b - 1] == '.')
                b--;
            int host = !lookup_arg(u, i) && (in_authority || host_token(u + a, b - a));
            for (; i < e; i++) {
                if (u[i] == '.' && host && (in_authority || i < b))
                    emit(&k, "[.]", 3);
                else
                    emit(&k, s + i, 1);
            }
            continue;
        }
        if (c < 0x20 || c == 0x7F) {
            emit_hex(&k, c);
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t r = risky_utf8(u + i, len - i);
            if (r) {
                for (size_t j = 0; j < r; j++)
                    emit_hex(&k, u[i + j]);
                i += r;
                continue;
            }
            size_t q = utf8_seq(u + i, len - i);
            if (!q) {
                emit_hex(&k, c);
                i++;
                continue;
            }
            emit(&k, s + i, q);
            i += q;
            continue;
        }
        emit(&k, s + i, 1);
        i++;
    }
    return sink_end(&k);
}

size_t defuse_refang(const char *s, size_t len, char *out, size_t outsz) {
    sink k = {outsz ? out : NULL, outsz ? outsz - 1 : 0, 0};
    if (!s)
        len = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '\\' && i + 1 < len) {
            char n = s[i + 1];
            int hi, lo;
            if (n == '\\' || n == '[' || n == '{') {
                emit(&k, &n, 1);
                i += 2;
                continue;
            }
            if (n == 'x' && i + 3 < len && (hi = defuse__hexval((unsigned char)s[i + 2])) >= 0 &&
                (lo = defuse__hexval((unsigned char)s[i + 3])) >= 0) {
                char b = (char)(hi * 16 + lo);
                emit(&k, &b, 1);
                i += 4;
                continue;
            }
        }
        if (s[i] == '[' && i + 2 < len && (s[i + 1] == '.' || s[i + 1] == ':') && s[i + 2] == ']') {
            emit(&k, s + i + 1, 1);
            i += 3;
            continue;
        }
        emit(&k, s + i, 1);
        i++;
    }
    return sink_end(&k);
}
