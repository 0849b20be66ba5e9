/*
 * vulndb.c -- the vulnerability data of the inventory: loading the JSON
 * data file (data/vulndb.json, format in docs/scan.md) with jansson,
 * Maven-style version comparison, release sets, CVE range checks and the
 * class-hash table.  The data is immutable once loaded and shared by every
 * scanner thread.
 */
#include "inventory.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- versions -------------------------------------------------------------- */

/* Rank of a qualifier: pre-releases below the release (""), others above. */
static int qual_rank(const char *s, size_t n) {
    static const struct {
        const char *q;
        int rank;
    } qs[] = {{"alpha", 1}, {"a", 1},  {"beta", 2},    {"b", 2},        {"milestone", 3},
              {"m", 3},     {"rc", 4}, {"cr", 4},      {"snapshot", 5}, {"", 6},
              {"final", 6}, {"ga", 6}, {"release", 6}, {"sp", 7}};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        if (strlen(qs[i].q) == n && !strncasecmp(qs[i].q, s, n))
            return qs[i].rank;
    return 8; /* unknown qualifiers (e.g. "debian") sort after the release */
}

/* Next token of v at *pos: numeric (returns 1, value in *num) or a
 * qualifier (returns 2, span in *s,*n); 0 at the end. */
static int next_tok(const char *v, size_t *pos, unsigned long long *num, const char **s,
                    size_t *n) {
    size_t i = *pos;
    while (v[i] == '.' || v[i] == '-' || v[i] == '_' || v[i] == '+')
        i++;
    if (!v[i]) {
        *pos = i;
        return 0;
    }
    if (isdigit((unsigned char)v[i])) {
        unsigned long long x = 0;
        while (isdigit((unsigned char)v[i])) {
            if (x < 1000000000000ULL)
                x = x * 10 + (unsigned)(v[i] - '0');
            i++;
        }
        *num = x;
        *pos = i;
        return 1;
    }
    size_t st = i;
    while (v[i] && !isdigit((unsigned char)v[i]) && v[i] != '.' && v[i] != '-' && v[i] != '_' &&
           v[i] != '+')
        i++;
    *s = v + st;
    *n = i - st;
    *pos = i;
    return 2;
}

int defuse__vercmp(const char *a, const char *b) {
    size_t pa = 0, pb = 0;
    for (;;) {
        unsigned long long na = 0, nb = 0;
        const char *sa = "", *sb = "";
        size_t la = 0, lb = 0;
        int ta = next_tok(a, &pa, &na, &sa, &la);
        int tb = next_tok(b, &pb, &nb, &sb, &lb);
        if (!ta && !tb)
            return 0;
        /* a missing token is 0 (numeric) or the release (qualifier) */
        if (ta == 1 && tb == 1) {
            if (na != nb)
                return na < nb ? -1 : 1;
            continue;
        }
        if (ta == 1 && tb == 0) {
            if (na > 0)
                return 1;
            continue;
        }
        if (ta == 0 && tb == 1) {
            if (nb > 0)
                return -1;
            continue;
        }
        int ra = ta == 2 ? qual_rank(sa, la) : ta == 1 ? 9 : 6;
        int rb = tb == 2 ? qual_rank(sb, lb) : tb == 1 ? 9 : 6;
        if (ra != rb)
            return ra < rb ? -1 : 1;
        if (ta == 2 && tb == 2) {
            int c = strncasecmp(sa, sb, la < lb ? la : lb);
            if (c)
                return c < 0 ? -1 : 1;
            if (la != lb)
                return la < lb ? -1 : 1;
        }
    }
}

bool defuse__vuln_affects(const defuse__vuln *vu, const char *v) {
    for (size_t i = 0; i < vu->nranges; i++) {
        const defuse__vrange *r = &vu->ranges[i];
        if (r->introduced && defuse__vercmp(v, r->introduced) < 0)
            continue;
        if (r->fixed && defuse__vercmp(v, r->fixed) >= 0)
            continue;
        return true;
    }
    return false;
}

int defuse__vdb_release(const defuse_vulndb *db, defuse_product p, const char *v) {
    if ((unsigned)p >= DEFUSE_PRODUCT_COUNT)
        return -1;
    for (unsigned i = 0; i < db->nreleases[p]; i++)
        if (!strcmp(db->releases[p][i], v))
            return (int)i;
    return -1;
}

static int hash_cmp(const void *a, const void *b) {
    return memcmp(((const defuse__hash *)a)->sha256, ((const defuse__hash *)b)->sha256, 32);
}

const defuse__hash *defuse__vdb_hash(const defuse_vulndb *db, const uint8_t sha256[32]) {
    defuse__hash k;
    memcpy(k.sha256, sha256, 32);
    return db->nhashes ? bsearch(&k, db->hashes, db->nhashes, sizeof k, hash_cmp) : NULL;
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct loadctx {
    char *err;
    size_t errlen;
    const char *src;
} loadctx;

/* 64 hex digits into out.  Returns 0, or -1 if hex is not that. */
static int parse_sha256(const char *hex, uint8_t out[32]) {
    if (!hex || strlen(hex) != 64)
        return -1;
    for (int k = 0; k < 32; k++) {
        int hi = defuse__hexval((unsigned char)hex[2 * k]),
            lo = defuse__hexval((unsigned char)hex[2 * k + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[k] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

__attribute__((format(printf, 2, 3))) static int fail(loadctx *L, const char *fmt, ...) {
    if (L->err && L->errlen) {
        int n = snprintf(L->err, L->errlen, "%s: ", L->src);
        if (n < 0)
            n = 0;
        if ((size_t)n < L->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return DEFUSE_EFORMAT;
}

static int product_by_name(const char *s) {
    for (unsigned p = 0; p < DEFUSE_PRODUCT_COUNT; p++)
        if (!strcmp(s, defuse_product_name((defuse_product)p)))
            return (int)p;
    return -1;
}

static char *dupstr(const char *s) {
    return s ? strdup(s) : NULL;
}

/* Reads a list of release names of product p into a set. */
static int read_vset(loadctx *L, const defuse_vulndb *db, defuse_product p, json_t *arr,
                     defuse__vset *out, const char *where) {
    memset(out, 0, sizeof *out);
    if (!json_is_array(arr))
        return fail(L, "%s: expected an array of versions", where);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        int r = json_is_string(v) ? defuse__vdb_release(db, p, json_string_value(v)) : -1;
        if (r < 0)
            return fail(L, "%s[%zu]: \"%s\" is not a release of %s", where, i,
                        json_is_string(v) ? json_string_value(v) : "?", defuse_product_name(p));
        defuse__vset_add(out, (unsigned)r);
    }
    return 0;
}

static int load_products(loadctx *L, defuse_vulndb *db, json_t *prods) {
    if (!json_is_object(prods))
        return fail(L, "\"products\": expected an object");
    for (unsigned p = 0; p < DEFUSE_PRODUCT_COUNT; p++) {
        json_t *pr = json_object_get(prods, defuse_product_name((defuse_product)p));
        json_t *rel = pr ? json_object_get(pr, "releases") : NULL;
        if (!json_is_array(rel))
            return fail(L, "products.%s.releases: missing", defuse_product_name((defuse_product)p));
        if (json_array_size(rel) > DEFUSE_VDB_MAX_RELEASES)
            return fail(L, "products.%s.releases: more than %u",
                        defuse_product_name((defuse_product)p), DEFUSE_VDB_MAX_RELEASES);
        size_t i;
        json_t *v;
        json_array_foreach(rel, i, v) {
            if (!json_is_string(v))
                return fail(L, "products.%s.releases[%zu]: not a string",
                            defuse_product_name((defuse_product)p), i);
            if (!(db->releases[p][i] = strdup(json_string_value(v))))
                return DEFUSE_ENOMEM;
            db->nreleases[p] = (unsigned)i + 1;
        }
    }
    return 0;
}

/* "fixed_by": [{"name": "Debian liblog4j1.2-java 1.2.17-11",
 *               "classes": {"SocketNode": "<sha256>", ...}}, ...]: the
 * distribution patches that fix the CVE, each recognised by the SHA-256 of
 * every class listed (classes whose bytes the scan keeps: see
 * defuse__patch_slot). */
static int load_patches(loadctx *L, defuse__vuln *vu, json_t *fb, size_t i) {
    if (!fb)
        return 0;
    if (!json_is_array(fb) || !json_array_size(fb) || json_array_size(fb) > DEFUSE_VDB_MAX_PATCHES)
        return fail(L, "vulnerabilities[%zu].fixed_by: expected an array of 1 to %u patches", i,
                    DEFUSE_VDB_MAX_PATCHES);
    vu->patches = calloc(json_array_size(fb), sizeof *vu->patches);
    if (!vu->patches)
        return DEFUSE_ENOMEM;
    size_t j;
    json_t *pj;
    json_array_foreach(fb, j, pj) {
        defuse__patch *pt = &vu->patches[j];
        vu->npatches = j + 1;
        const char *name = json_string_value(json_object_get(pj, "name"));
        json_t *cls = json_object_get(pj, "classes");
        if (!name || !*name || !json_is_object(cls) || !json_object_size(cls) ||
            json_object_size(cls) > DEFUSE_VDB_MAX_PATCH_CLASSES)
            return fail(L,
                        "vulnerabilities[%zu].fixed_by[%zu]: needs a name and 1 to %u "
                        "\"classes\" (class: sha256)",
                        i, j, DEFUSE_VDB_MAX_PATCH_CLASSES);
        if (!(pt->name = dupstr(name)))
            return DEFUSE_ENOMEM;
        const char *cn;
        json_t *hx;
        json_object_foreach(cls, cn, hx) {
            defuse__role r = defuse__role_by_name(cn);
            if (r == DEFUSE__R_NONE || defuse__patch_slot(r, NULL) < 0)
                return fail(L,
                            "vulnerabilities[%zu].fixed_by[%zu].classes: \"%s\" is not a "
                            "class whose bytes are checked",
                            i, j, cn);
            if (parse_sha256(json_string_value(hx), pt->sha256[pt->nclasses]))
                return fail(L, "vulnerabilities[%zu].fixed_by[%zu].classes.%s: want 64 hex digits",
                            i, j, cn);
            pt->role[pt->nclasses++] = r;
        }
    }
    return 0;
}

static int load_vulns(loadctx *L, defuse_vulndb *db, json_t *arr) {
    if (!json_is_array(arr))
        return fail(L, "\"vulnerabilities\": expected an array");
    db->vulns = calloc(json_array_size(arr) + 1, sizeof *db->vulns);
    if (!db->vulns)
        return DEFUSE_ENOMEM;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        defuse__vuln *vu = &db->vulns[i];
        db->nvulns = i + 1;
        const char *id = json_string_value(json_object_get(v, "id"));
        const char *prod = json_string_value(json_object_get(v, "product"));
        json_t *cvss = json_object_get(v, "cvss");
        json_t *aff = json_object_get(v, "affected");
        if (!id || !prod || !json_is_number(cvss) || !json_is_array(aff))
            return fail(L, "vulnerabilities[%zu]: needs id, product, cvss, affected", i);
        int p = product_by_name(prod);
        if (p < 0)
            return fail(L, "vulnerabilities[%zu].product: unknown \"%s\"", i, prod);
        vu->product = (defuse_product)p;
        vu->cvss = json_number_value(cvss);
        const char *sev = json_string_value(json_object_get(v, "severity"));
        if (!sev)
            sev = vu->cvss >= 9   ? "critical"
                  : vu->cvss >= 7 ? "high"
                  : vu->cvss >= 4 ? "medium"
                                  : "low";
        const char *fx = json_string_value(json_object_get(v, "fixed"));
        const char *sum = json_string_value(json_object_get(v, "summary"));
        vu->id = dupstr(id);
        vu->severity = dupstr(sev);
        vu->fixed_text = dupstr(fx ? fx : "none");
        /* whose score it is ("NVD", "advisory"): shown with the summary */
        const char *src = json_string_value(json_object_get(v, "cvss_source"));
        if (src) {
            size_t n = strlen(sum ? sum : "") + strlen(src) + 32;
            if ((vu->summary = malloc(n)))
                snprintf(vu->summary, n, "%s%s(CVSS %.1f: %s)", sum ? sum : "", sum ? " " : "",
                         vu->cvss, src);
        } else {
            vu->summary = dupstr(sum ? sum : "");
        }
        if (!vu->id || !vu->severity || !vu->fixed_text || !vu->summary)
            return DEFUSE_ENOMEM;
        /* requires_class: one class name, or a list of names any of which
         * the CVE needs (e.g. SocketServer or Chainsaw for CVE-2023-26464) */
        json_t *rq = json_object_get(v, "requires_class");
        if (rq && !json_is_string(rq) && (!json_is_array(rq) || !json_array_size(rq)))
            return fail(L, "vulnerabilities[%zu].requires_class: expected a name or a list", i);
        for (size_t q = 0; rq && q < (json_is_string(rq) ? 1 : json_array_size(rq)); q++) {
            json_t *e = json_is_string(rq) ? rq : json_array_get(rq, q);
            const char *req = json_string_value(e);
            defuse__role r = req ? defuse__role_by_name(req) : DEFUSE__R_NONE;
            if (r == DEFUSE__R_NONE)
                return fail(L, "vulnerabilities[%zu].requires_class: unknown class \"%s\"", i,
                            req ? req : "?");
            vu->requires |= 1u << r;
        }
        if (json_object_get(v, "fixed_by_class"))
            return fail(L,
                        "vulnerabilities[%zu].fixed_by_class: a class's presence proves no "
                        "patch; use \"fixed_by\" with the classes' SHA-256",
                        i);
        int prc = load_patches(L, vu, json_object_get(v, "fixed_by"), i);
        if (prc)
            return prc;
        vu->ranges = calloc(json_array_size(aff) + 1, sizeof *vu->ranges);
        if (!vu->ranges)
            return DEFUSE_ENOMEM;
        size_t j;
        json_t *r;
        json_array_foreach(aff, j, r) {
            json_t *in = json_object_get(r, "introduced"), *fi = json_object_get(r, "fixed");
            if ((in && !json_is_string(in)) || (fi && !json_is_string(fi)) || (!in && !fi))
                return fail(L, "vulnerabilities[%zu].affected[%zu]: needs introduced/fixed strings",
                            i, j);
            vu->ranges[j].introduced = dupstr(json_string_value(in));
            vu->ranges[j].fixed = dupstr(json_string_value(fi));
            vu->nranges = j + 1;
        }
    }
    return 0;
}

static int load_hashes(loadctx *L, defuse_vulndb *db, json_t *arr) {
    if (!arr)
        return 0;
    if (!json_is_array(arr))
        return fail(L, "\"hashes\": expected an array");
    db->hashes = calloc(json_array_size(arr) + 1, sizeof *db->hashes);
    if (!db->hashes)
        return DEFUSE_ENOMEM;
    size_t i;
    json_t *h;
    char where[64];
    json_array_foreach(arr, i, h) {
        defuse__hash *d = &db->hashes[i];
        const char *hex = json_string_value(json_object_get(h, "sha256"));
        const char *prod = json_string_value(json_object_get(h, "product"));
        const char *cls = json_string_value(json_object_get(h, "class"));
        if (!hex || strlen(hex) != 64 || !prod || !cls)
            return fail(L, "hashes[%zu]: needs sha256 (64 hex), product, class", i);
        if (parse_sha256(hex, d->sha256))
            return fail(L, "hashes[%zu].sha256: not hex", i);
        int p = product_by_name(prod);
        if (p < 0)
            return fail(L, "hashes[%zu].product: unknown \"%s\"", i, prod);
        d->product = (defuse_product)p;
        if ((d->role = defuse__role_by_name(cls)) == DEFUSE__R_NONE)
            return fail(L, "hashes[%zu].class: unknown \"%s\"", i, cls);
        snprintf(where, sizeof where, "hashes[%zu].versions", i);
        int rc = read_vset(L, db, d->product, json_object_get(h, "versions"), &d->versions, where);
        if (rc)
            return rc;
        db->nhashes = i + 1;
    }
    qsort(db->hashes, db->nhashes, sizeof *db->hashes, hash_cmp);
    for (size_t k = 1; k < db->nhashes; k++)
        if (!memcmp(db->hashes[k - 1].sha256, db->hashes[k].sha256, 32))
            return fail(L, "hashes: duplicate sha256 (merge their versions)");
    return 0;
}

static int load_markers(loadctx *L, defuse_vulndb *db, json_t *arr) {
    if (!arr)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > DEFUSE_VDB_MAX_MARKERS)
        return fail(L, "\"markers\": expected an array of at most %u", DEFUSE_VDB_MAX_MARKERS);
    db->markers = calloc(json_array_size(arr) + 1, sizeof *db->markers);
    if (!db->markers)
        return DEFUSE_ENOMEM;
    size_t i;
    json_t *m;
    char where[64];
    json_array_foreach(arr, i, m) {
        defuse__marker *d = &db->markers[i];
        const char *prod = json_string_value(json_object_get(m, "product"));
        const char *cls = json_string_value(json_object_get(m, "class"));
        json_t *str = json_object_get(m, "string");
        int p = prod ? product_by_name(prod) : -1;
        if (p < 0 || !cls || (str && !json_is_string(str) && !json_is_null(str)))
            return fail(L, "markers[%zu]: needs product, class, string", i);
        d->product = (defuse_product)p;
        if ((d->role = defuse__role_by_name(cls)) == DEFUSE__R_NONE)
            return fail(L, "markers[%zu].class: unknown \"%s\"", i, cls);
        if (json_is_string(str)) {
            d->len = json_string_length(str);
            if (!d->len || !(d->string = strdup(json_string_value(str))))
                return d->len ? DEFUSE_ENOMEM : fail(L, "markers[%zu].string: empty", i);
        }
        snprintf(where, sizeof where, "markers[%zu].present_in", i);
        int rc = read_vset(L, db, d->product, json_object_get(m, "present_in"), &d->present, where);
        if (rc)
            return rc;
        db->nmarkers = i + 1;
    }
    return 0;
}

int defuse_vulndb_parse(defuse_vulndb **out, const char *json, size_t len, char *errbuf,
                        size_t errlen) {
    loadctx L = {errbuf, errlen, "vulndb"};
    json_error_t je;
    int rc = DEFUSE_EINVAL;
    defuse_vulndb *db = NULL;
    json_t *root = NULL;
    if (!out || !json)
        return DEFUSE_EINVAL;
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = 0;
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        rc = fail(&L, "line %d column %d: %s", je.line, je.column, je.text);
        goto out;
    }
    const char *fmt = json_string_value(json_object_get(root, "format"));
    if (!fmt || strcmp(fmt, "defuse-vulndb/1") != 0) {
        rc = fail(&L, "\"format\": expected \"defuse-vulndb/1\"");
        goto out;
    }
    if (!(db = calloc(1, sizeof *db))) {
        rc = DEFUSE_ENOMEM;
        goto out;
    }
    if ((rc = load_products(&L, db, json_object_get(root, "products"))) ||
        (rc = load_vulns(&L, db, json_object_get(root, "vulnerabilities"))) ||
        (rc = load_hashes(&L, db, json_object_get(root, "hashes"))) ||
        (rc = load_markers(&L, db, json_object_get(root, "markers"))))
        goto out;
    *out = db;
    db = NULL;
    rc = 0;
out:
    if (rc == DEFUSE_ENOMEM && errbuf && errlen)
        snprintf(errbuf, errlen, "vulndb: out of memory");
    json_decref(root);
    defuse_vulndb_free(db);
    return rc;
}

int defuse_vulndb_load(defuse_vulndb **out, const char *path, char *errbuf, size_t errlen) {
    loadctx L = {errbuf, errlen, path};
    if (!out || !path)
        return DEFUSE_EINVAL;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(&L, "%s", strerror(errno));
        return DEFUSE_EIO;
    }
    char *buf = malloc(DEFUSE_VDB_MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        return DEFUSE_ENOMEM;
    }
    size_t n = fread(buf, 1, DEFUSE_VDB_MAX_FILE + 1, f);
    int rerr = ferror(f);
    fclose(f);
    int rc;
    if (rerr) {
        rc = DEFUSE_EIO;
        fail(&L, "read error");
    } else if (n > DEFUSE_VDB_MAX_FILE) {
        rc = fail(&L, "larger than %u bytes", DEFUSE_VDB_MAX_FILE);
    } else {
        rc = defuse_vulndb_parse(out, buf, n, errbuf, errlen);
        if (rc == DEFUSE_EFORMAT && errbuf && errlen && !strncmp(errbuf, "vulndb: ", 8)) {
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%s", errbuf + 8);
            snprintf(errbuf, errlen, "%s: %s", path, tmp);
        }
    }
    free(buf);
    return rc;
}

int defuse_vulndb_builtin(defuse_vulndb **out, char *errbuf, size_t errlen) {
    return defuse_vulndb_parse(out, (const char *)defuse__vulndb_builtin,
                               defuse__vulndb_builtin_len, errbuf, errlen);
}

void defuse_vulndb_free(defuse_vulndb *db) {
    if (!db)
        return;
    for (unsigned p = 0; p < DEFUSE_PRODUCT_COUNT; p++)
        for (unsigned i = 0; i < db->nreleases[p]; i++)
            free(db->releases[p][i]);
    for (size_t i = 0; i < db->nvulns; i++) {
        defuse__vuln *vu = &db->vulns[i];
        free(vu->id), free(vu->severity), free(vu->fixed_text), free(vu->summary);
        for (size_t j = 0; j < vu->nranges; j++)
            free(vu->ranges[j].introduced), free(vu->ranges[j].fixed);
        free(vu->ranges);
        for (size_t j = 0; j < vu->npatches; j++)
            free(vu->patches[j].name);
        free(vu->patches);
    }
    free(db->vulns);
    free(db->hashes);
    for (size_t i = 0; i < db->nmarkers; i++)
        free(db->markers[i].string);
    free(db->markers);
    free(db);
}
