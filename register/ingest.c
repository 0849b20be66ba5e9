/*
 * ingest.c -- reading what an asset holds: `defuse scan --json` output
 * (JSON Lines: component, error, warning and summary records; docs/scan.md)
 * and, through the SBOM readers (sbom.h), CycloneDX and SPDX documents.
 * Every file is read whole (bounded by REG_MAX_INPUT) and hashed
 * (SHA-256, OpenSSL) so that the same input ingested twice is recognised.
 * A malformed file is an error naming FILE:LINE:COL; nothing of it is kept.
 *
 * Identification of an SBOM component (docs/register.md): its purl, else
 * its CPE, else its group and name -- the lookalikes (log4j-api, the slf4j
 * bridges) are recognised by none of these as a product.
 */
#include "reg.h"
#include "sbom.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_n(const char *s, size_t n) {
    if (n > REG_MAX_FIELD)
        n = REG_MAX_FIELD;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}
static char *dup0(const char *s) {
    return s ? dup_n(s, strlen(s)) : NULL;
}

static void comp_free(reg_comp *c) {
    free(c->ckey), free(c->product), free(c->grp), free(c->name), free(c->version);
    free(c->purl), free(c->path), free(c->jndilookup);
}

void reg_obs_free(reg_obs *o) {
    for (size_t i = 0; i < o->n; i++)
        comp_free(&o->v[i]);
    free(o->v);
    memset(o, 0, sizeof *o);
}

/* Appends c (taking its strings); a second component with the same ckey
 * is dropped (the same jar listed twice is one component). */
static int obs_add(reg_obs *o, reg_comp *c) {
    for (size_t i = o->n; i-- > 0 && i + 64 >= o->n;) /* recent duplicates only */
        if (!strcmp(o->v[i].ckey, c->ckey)) {
            comp_free(c);
            return 0;
        }
    if (o->n == REG_MAX_COMPONENTS) {
        comp_free(c);
        return -1;
    }
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        reg_comp *v = realloc(o->v, nc * sizeof *v);
        if (!v) {
            comp_free(c);
            return -1;
        }
        o->v = v, o->cap = nc;
    }
    o->v[o->n++] = *c;
    return 0;
}

/* Maven coordinates of each defuse product, for the purl of a scan record. */
static const struct {
    const char *product, *group, *name;
} coords[] = {
    {"log4j-core", "org.apache.logging.log4j", "log4j-core"},
    {"log4j", "log4j", "log4j"},
    {"reload4j", "ch.qos.reload4j", "reload4j"},
    {"commons-text", "org.apache.commons", "commons-text"},
};

static int hexv(int c) {
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}
static char *pct_decode(const char *s, size_t n) {
    char *d = malloc(n + 1);
    size_t o = 0;
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexv((unsigned char)s[i + 1]) >= 0 &&
            hexv((unsigned char)s[i + 2]) >= 0) {
            d[o++] = (char)(hexv((unsigned char)s[i + 1]) * 16 + hexv((unsigned char)s[i + 2]));
            i += 2;
        } else {
            d[o++] = s[i];
        }
    }
    d[o] = 0;
    return d;
}

int reg_purl_split(const char *purl, char **ns, char **name, char **version) {
    *ns = *name = *version = NULL;
    if (!purl || strncmp(purl, "pkg:", 4) != 0)
        return -1;
    const char *p = purl + 4;
    while (*p == '/')
        p++;
    size_t end = strcspn(p, "?#"); /* qualifiers and subpath are not identity */
    const char *slash = memchr(p, '/', end);
    if (!slash)
        return -1;
    const char *rest = slash + 1;
    size_t rn = end - (size_t)(rest - p);
    const char *at = memchr(rest, '@', rn);
    size_t pathn = at ? (size_t)(at - rest) : rn;
    const char *last = NULL;
    for (size_t i = 0; i < pathn; i++)
        if (rest[i] == '/')
            last = rest + i;
    if (last) {
        *ns = pct_decode(rest, (size_t)(last - rest));
        *name = pct_decode(last + 1, pathn - (size_t)(last + 1 - rest));
    } else {
        *name = pct_decode(rest, pathn);
    }
    if (at)
        *version = pct_decode(at + 1, rn - pathn - 1);
    if (!*name || !**name) {
        free(*ns), free(*name), free(*version);
        *ns = *name = *version = NULL;
        return -1;
    }
    return 0;
}

/* ---- defuse scan --json ------------------------------------------------------------ */

/* "scan_time": `defuse scan --json` summaries */
static const char *const time_keys[] = {"scan_time", "scanned_at", "time", "started", "timestamp"};

static int read_scan_jsonl(reg_obs *o, const char *file, const char *buf, size_t len, char *err,
                           size_t errlen) {
    size_t line = 0, pos = 0;
    int rc = -1;
    reg_obs tmp = {0};
    while (pos < len) {
        line++;
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        const char *l = buf + pos;
        pos += ll + (nl ? 1 : 0);
        size_t k = 0;
        while (k < ll && isspace((unsigned char)l[k]))
            k++;
        if (k == ll)
            continue;
        json_error_t je;
        json_t *j = json_loadb(l, ll, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
            snprintf(err, errlen, "%s:%zu:%d: %s", file, line, je.column, je.text);
            goto out;
        }
        const char *type = json_string_value(json_object_get(j, "type"));
        if (!json_is_object(j) || !type) {
            snprintf(err, errlen, "%s:%zu:1: not a defuse scan record (no \"type\")", file, line);
            json_decref(j);
            goto out;
        }
        if (!strcmp(type, "component")) {
            const char *prod = json_string_value(json_object_get(j, "product"));
            const char *path = json_string_value(json_object_get(j, "path"));
            json_t *ver = json_object_get(j, "version");
            if (!prod || !path || (ver && !json_is_string(ver) && !json_is_null(ver))) {
                snprintf(err, errlen, "%s:%zu:1: component record needs \"product\", \"path\" and a"
                                      " string or null \"version\"", file, line);
                json_decref(j);
                goto out;
            }
            reg_comp c = {0};
            const char *v = json_string_value(ver);
            size_t ci = 0;
            while (ci < sizeof coords / sizeof coords[0] && strcmp(coords[ci].product, prod))
                ci++;
            size_t kl = strlen(prod) + strlen(path) + 2;
            c.ckey = malloc(kl);
            if (c.ckey)
                snprintf(c.ckey, kl, "%s|%s", prod, path);
            c.product = dup0(prod);
            c.grp = dup0(ci < 4 ? coords[ci].group : NULL);
            c.name = dup0(ci < 4 ? coords[ci].name : prod);
            c.version = dup0(v);
            c.path = dup0(path);
            c.jndilookup = dup0(json_string_value(json_object_get(j, "jndilookup")));
            if (ci < 4 && v && !strchr(v, '|') && !strstr(v, "..")) {
                size_t pl = strlen(coords[ci].group) + strlen(coords[ci].name) + strlen(v) + 16;
                if ((c.purl = malloc(pl)))
                    snprintf(c.purl, pl, "pkg:maven/%s/%s@%s", coords[ci].group, coords[ci].name, v);
            }
            json_decref(j);
            if (!c.ckey || !c.product || !c.name || !c.path || obs_add(&tmp, &c)) {
                snprintf(err, errlen, "%s:%zu: out of memory or more than %u components", file,
                         line, REG_MAX_COMPONENTS);
                goto out;
            }
            continue;
        }
        if (!strcmp(type, "error"))
            tmp.incomplete = 1;
        if (!strcmp(type, "summary")) {
            for (size_t t = 0; t < sizeof time_keys / sizeof time_keys[0]; t++) {
                const char *ts = json_string_value(json_object_get(j, time_keys[t]));
                if (ts && reg_time_parse(ts, &tmp.scanned_at)) {
                    snprintf(err, errlen, "%s:%zu:1: summary.%s: \"%.40s\" is not ISO 8601", file,
                             line, time_keys[t], ts);
                    json_decref(j);
                    goto out;
                }
            }
        }
        json_decref(j);
    }
    for (size_t i = 0; i < tmp.n; i++)
        if (obs_add(o, &tmp.v[i])) {
            tmp.v[i] = (reg_comp){0};
            snprintf(err, errlen, "%s: too many components", file);
            for (size_t k2 = i + 1; k2 < tmp.n; k2++)
                comp_free(&tmp.v[k2]);
            tmp.n = 0;
            goto out;
        }
    tmp.n = 0;
    if (tmp.incomplete)
        o->incomplete = 1;
    if (tmp.scanned_at > o->scanned_at)
        o->scanned_at = tmp.scanned_at;
    snprintf(o->format, sizeof o->format, "defuse-scan-json");
    rc = 0;
out:
    reg_obs_free(&tmp);
    return rc;
}

/* ---- SBOMs --------------------------------------------------------------------------- */

#ifdef DEFUSE_HAVE_SBOM
/* cpe:2.3:a:VENDOR:PRODUCT:VERSION:... or cpe:/a:VENDOR:PRODUCT:VERSION */
static const struct {
    const char *vendor, *product, *group, *name, *group1, *name1;
} cpes[] = {
    /* apache:log4j is both lines: 1.x is log4j:log4j, 2.x log4j-core */
    {"apache", "log4j", "org.apache.logging.log4j", "log4j-core", "log4j", "log4j"},
    {"apache", "commons_text", "org.apache.commons", "commons-text", NULL, NULL},
    {"qos", "reload4j", "ch.qos.reload4j", "reload4j", NULL, NULL},
};

static void from_cpe(const char *cpe, char **grp, char **name, char **ver) {
    char f[8][128];
    int nf = 0;
    const char *s = cpe;
    if (!strncmp(s, "cpe:2.3:", 8))
        s += 8;
    else if (!strncmp(s, "cpe:/", 5))
        s += 5;
    else
        return;
    while (nf < 8) {
        size_t n = strcspn(s, ":");
        snprintf(f[nf++], sizeof f[0], "%.*s", (int)(n < 127 ? n : 127), s);
        if (!s[n])
            break;
        s += n + 1;
    }
    if (nf < 3)
        return;
    const char *v = nf > 3 ? f[3] : "";
    int known = *v && strcmp(v, "*") && strcmp(v, "-");
    for (size_t i = 0; i < sizeof cpes / sizeof cpes[0]; i++) {
        if (strcmp(f[1], cpes[i].vendor) || strcmp(f[2], cpes[i].product))
            continue;
        int one = cpes[i].group1 && known && !strncmp(v, "1.", 2);
        *grp = dup0(one ? cpes[i].group1 : cpes[i].group);
        *name = dup0(one ? cpes[i].name1 : cpes[i].name);
        if (known && !*ver)
            *ver = dup0(v);
        return;
    }
}

static int read_sbom(reg_obs *o, const char *file, const char *buf, size_t len, char *err,
                     size_t errlen) {
    sbom_doc d = {0};
    if (sbom_parse(buf, len, file, &d, err, errlen))
        return -1;
    reg_obs tmp = {0};
    int rc = -1;
    for (size_t i = 0; i < d.ncomponents; i++) {
        const sbom_component *s = &d.components[i];
        reg_comp c = {0};
        char *ns = NULL, *nm = NULL, *pv = NULL;
        /* purl, then CPE, then group + name */
        if (s->purl && !reg_purl_split(s->purl, &ns, &nm, &pv)) {
            c.grp = ns, c.name = nm;
            c.version = s->version ? dup0(s->version) : pv;
            if (s->version)
                free(pv);
        } else if (s->cpe) {
            from_cpe(s->cpe, &c.grp, &c.name, &c.version);
            if (c.version && s->version)
                free(c.version), c.version = NULL;
            if (!c.version)
                c.version = dup0(s->version);
        }
        if (!c.name) {
            free(c.grp);
            c.grp = dup0(s->group);
            c.name = dup0(s->name);
            free(c.version);
            c.version = dup0(s->version);
        }
        int p = defuse_product_identify(c.grp, c.name);
        c.product = p >= 0 ? dup0(defuse_product_name((defuse_product)p)) : NULL;
        c.purl = dup0(s->purl);
        size_t pl = strlen(file) + (s->ref ? strlen(s->ref) : 0) + 32;
        if ((c.path = malloc(pl)))
            snprintf(c.path, pl, "%s#%s", file, s->ref ? s->ref : s->name);
        const char *id = s->purl ? s->purl : s->ref ? s->ref : s->name;
        size_t kl = strlen(id) + (c.version ? strlen(c.version) : 0) + 16;
        if ((c.ckey = malloc(kl)))
            snprintf(c.ckey, kl, "sbom|%s%s%s", id, s->purl ? "" : "@",
                     s->purl ? "" : (c.version ? c.version : ""));
        if (!c.ckey || !c.name || !c.path || obs_add(&tmp, &c)) {
            snprintf(err, errlen, "%s: out of memory or more than %u components", file,
                     REG_MAX_COMPONENTS);
            goto out;
        }
    }
    for (size_t i = 0; i < tmp.n; i++) {
        if (obs_add(o, &tmp.v[i])) {
            for (size_t k = i + 1; k < tmp.n; k++)
                comp_free(&tmp.v[k]);
            tmp.n = 0;
            snprintf(err, errlen, "%s: too many components", file);
            goto out;
        }
    }
    tmp.n = 0;
    if (d.created)
        reg_time_parse(d.created, &o->scanned_at);
    snprintf(o->format, sizeof o->format, "%s", sbom_format_name(d.format));
    rc = 0;
out:
    reg_obs_free(&tmp);
    sbom_doc_free(&d);
    return rc;
}
#endif

/* ---- files ------------------------------------------------------------------------- */

/* The record types `defuse scan --json` writes (`fix` records come first
 * after --fix, `sbom` notes after the components). */
static const char *const scan_types[] = {"component", "summary", "error", "warning", "fix", "sbom"};

/* The first line is a JSON object with a "type" of a scan record. */
static int looks_like_scan(const char *buf, size_t len) {
    const char *nl = memchr(buf, '\n', len);
    size_t ll = nl ? (size_t)(nl - buf) : len;
    json_t *j = json_loadb(buf, ll, 0, NULL);
    const char *t = json_string_value(json_object_get(j, "type"));
    int yes = 0;
    for (size_t i = 0; t && !yes && i < sizeof scan_types / sizeof scan_types[0]; i++)
        yes = !strcmp(t, scan_types[i]);
    json_decref(j);
    return yes;
}

int reg_obs_read_file(reg_obs *o, const char *path, char *err, size_t errlen) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int rc = -1;
    while (buf) {
        if (len == cap) {
            if (cap > REG_MAX_INPUT) {
                snprintf(err, errlen, "%s: larger than %zu bytes", path, REG_MAX_INPUT);
                goto out;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb, cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto out;
    }
    /* the digest covers every file of the observation, in order */
    {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdl = 0;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
            !EVP_DigestUpdate(ctx, o->digest, strlen(o->digest)) ||
            !EVP_DigestUpdate(ctx, buf, len) || !EVP_DigestFinal_ex(ctx, md, &mdl)) {
            EVP_MD_CTX_free(ctx);
            snprintf(err, errlen, "%s: SHA-256 failed", path);
            goto out;
        }
        EVP_MD_CTX_free(ctx);
        for (unsigned i = 0; i < mdl && i < 32; i++)
            sprintf(o->digest + 2 * i, "%02x", md[i]);
    }
    if (looks_like_scan(buf, len)) {
        rc = read_scan_jsonl(o, path, buf, len, err, errlen);
    } else {
#ifdef DEFUSE_HAVE_SBOM
        rc = read_sbom(o, path, buf, len, err, errlen);
#else
        snprintf(err, errlen,
                 "%s:1:1: not a `defuse scan --json` file (and SBOM support is not built in)",
                 path);
#endif
    }
    if (!rc) {
        size_t sl = strlen(o->sources);
        snprintf(o->sources + sl, sizeof o->sources - sl, "%s%s", sl ? " " : "", path);
    }
out:
    free(buf);
    if (f != stdin)
        fclose(f);
    return rc;
}
