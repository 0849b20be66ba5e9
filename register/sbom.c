/*
 * sbom.c -- format sniffing, dispatch and the helpers the SBOM readers
 * share (see sbom.h for the contract, sbom_impl.h for the helpers).
 */
#include "sbom_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sbom_fail(sbom_ctx *c, unsigned long line, unsigned long col, const char *fmt, ...) {
    if (!c->err || !c->errlen)
        return -1;
    int n = snprintf(c->err, c->errlen, "%s:%lu:%lu: ", c->file, line, col);
    if (n < 0 || (size_t)n >= c->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

sbom_component *sbom_add(sbom_ctx *c, uint32_t line) {
    sbom_doc *d = c->doc;
    if (d->ncomponents >= SBOM_MAX_COMPONENTS) {
        sbom_fail(c, line, 0, "more than %u components", SBOM_MAX_COMPONENTS);
        return NULL;
    }
    if (d->ncomponents == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        if (ncap > SBOM_MAX_COMPONENTS)
            ncap = SBOM_MAX_COMPONENTS;
        sbom_component *n = realloc(d->components, ncap * sizeof *n);
        if (!n) {
            sbom_fail(c, line, 0, "out of memory");
            return NULL;
        }
        d->components = n;
        c->cap = ncap;
    }
    sbom_component *x = &d->components[d->ncomponents++];
    memset(x, 0, sizeof *x);
    x->line = line;
    return x;
}

char *sbom_dupn(const char *s, size_t n) {
    char *r = malloc(n + 1);
    if (!r)
        return NULL;
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

char *sbom_dupz(const char *s) { return s ? sbom_dupn(s, strlen(s)) : NULL; }

int sbom_set(char **dst, const char *s, size_t n) {
    free(*dst);
    *dst = NULL;
    if (!s || n == 0 || (n == 11 && !memcmp(s, "NOASSERTION", 11)) || (n == 4 && !memcmp(s, "NONE", 4)))
        return 0;
    *dst = sbom_dupn(s, n);
    return *dst ? 0 : -1;
}

bool sbom_utf8_ok(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p++;
        if (c == 0)
            return false;
        if (c < 0x80)
            continue;
        unsigned need, min;
        if ((c & 0xE0) == 0xC0) {
            need = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if ((size_t)(e - p) < need)
            return false;
        for (unsigned i = 0; i < need; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (p[i] & 0x3F);
        }
        p += need;
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
    }
    return true;
}

/* ---- sniffing --------------------------------------------------------- */

static const char *find(const char *buf, size_t len, const char *needle) {
    return memmem(buf, len, needle, strlen(needle));
}

sbom_format sbom_sniff(const char *buf, size_t len) {
    if (!buf)
        return SBOM_UNKNOWN;
    size_t i = 0;
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    if (i == len)
        return SBOM_UNKNOWN;
    const char *p = buf + i;
    size_t n = len - i;
    if (*p == '{') {
        /* The keys may come in any order: look through the whole text. */
        if (find(p, n, "\"bomFormat\"") && find(p, n, "CycloneDX"))
            return SBOM_CYCLONEDX_JSON;
        if (find(p, n, "\"spdxVersion\""))
            return SBOM_SPDX_JSON;
        return SBOM_UNKNOWN;
    }
    if (*p == '<') {
        /* The root element's namespace; look in the first 64 KiB (the
         * prolog and comments before <bom> are short in practice). */
        size_t m = n < 65536 ? n : 65536;
        if (find(p, m, "http://cyclonedx.org/schema/bom"))
            return SBOM_CYCLONEDX_XML;
        return SBOM_UNKNOWN;
    }
    /* Tag-value: "SPDXVersion:" at the start of a line, near the top. */
    size_t m = n < 65536 ? n : 65536;
    for (const char *q = p; q && q < p + m;) {
        if ((size_t)(p + n - q) >= 12 && !memcmp(q, "SPDXVersion:", 12))
            return SBOM_SPDX_TAGVALUE;
        q = memchr(q, '\n', (size_t)(p + m - q));
        if (q)
            q++;
    }
    return SBOM_UNKNOWN;
}

/* ---- dispatch --------------------------------------------------------- */

typedef struct reader {
    sbom_format f;
    const char *name;
    int (*read)(sbom_ctx *, const char *, size_t);
} reader;

static const reader READERS[] = {
    {SBOM_UNKNOWN, "unknown", NULL},
    {SBOM_CYCLONEDX_JSON, "cyclonedx-json", sbom_read_cdx_json},
    {SBOM_CYCLONEDX_XML, "cyclonedx-xml", sbom_read_cdx_xml},
    {SBOM_SPDX_JSON, "spdx-json", sbom_read_spdx_json},
    {SBOM_SPDX_TAGVALUE, "spdx-tag-value", sbom_read_spdx_tv},
};

const char *sbom_format_name(sbom_format f) {
    for (size_t i = 0; i < sizeof READERS / sizeof READERS[0]; i++)
        if (READERS[i].f == f)
            return READERS[i].name;
    return "unknown";
}

int sbom_parse(const char *buf, size_t len, const char *filename, sbom_doc *out, char *err,
               size_t errlen) {
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return -1;
    memset(out, 0, sizeof *out);
    sbom_ctx c = {.doc = out, .cap = 0, .file = filename ? filename : "-", .err = err, .errlen = errlen};
    if (!buf && len)
        return sbom_fail(&c, 0, 0, "no input");
    if (len > SBOM_MAX_BYTES)
        return sbom_fail(&c, 0, 0, "document larger than %zu bytes", SBOM_MAX_BYTES);
    sbom_format f = sbom_sniff(buf, len);
    const reader *r = NULL;
    for (size_t i = 0; i < sizeof READERS / sizeof READERS[0]; i++)
        if (READERS[i].f == f && READERS[i].read)
            r = &READERS[i];
    if (!r)
        return sbom_fail(&c, 1, 1,
                         "not an SBOM this reader knows (CycloneDX 1.2-1.6 JSON/XML, "
                         "SPDX 2.2/2.3 JSON/tag-value)");
    out->format = f;
    if (r->read(&c, buf, len) != 0) {
        sbom_doc_free(out);
        return -1;
    }
    return 0;
}

void sbom_doc_free(sbom_doc *d) {
    if (!d)
        return;
    for (size_t i = 0; i < d->ncomponents; i++) {
        sbom_component *x = &d->components[i];
        free(x->name);
        free(x->group);
        free(x->version);
        free(x->purl);
        free(x->cpe);
        free(x->ref);
        free(x->parent);
        free(x->supplier);
    }
    free(d->components);
    free(d->spec_version);
    free(d->subject);
    free(d->serial);
    free(d->created);
    memset(d, 0, sizeof *d);
}

/* Markers of a range or wildcard, as Maven, npm, and SBOM tools write them. */
static const char *const RANGE_MARKS[] = {"[", "]", "(", ")", ",", "<", ">", "=", "*", "^",
                                          "~", "||", " - ", ".x", ".X"};

int sbom_version_needs_review(const char *v) {
    if (!v || !*v)
        return 1;
    if (!strcmp(v, "x") || !strcmp(v, "X") || !strcmp(v, "latest") || !strcmp(v, "NOASSERTION"))
        return 1;
    for (size_t i = 0; i < sizeof RANGE_MARKS / sizeof RANGE_MARKS[0]; i++) {
        const char *m = strstr(v, RANGE_MARKS[i]);
        if (!m)
            continue;
        size_t ml = strlen(RANGE_MARKS[i]);
        /* ".x" counts only as a whole segment: "2.x", "2.x.1", not "2.xyz" */
        if (RANGE_MARKS[i][0] == '.' && m[ml] != '\0' && m[ml] != '.')
            continue;
        return 1;
    }
    return 0;
}
