/*
 * sbom_spdx.c -- SPDX 2.2/2.3 readers: JSON (jansson) and tag-value
 * (hand-written: a line format of "Tag: value" with <text>...</text>
 * multi-line values; no Debian library reads it from C).
 *
 * Each package is a component: name, versionInfo/PackageVersion, the
 * first PACKAGE-MANAGER purl, the first SECURITY cpe23Type/cpe22Type,
 * supplier (else originator) without its "Organization: "/"Person: "
 * prefix, SPDXID as ref.  NOASSERTION/NONE read as absent.  A package's
 * parent comes from relationships when it is simple: exactly one package
 * CONTAINS / DEPENDS_ON it (or it is CONTAINED_BY / DEPENDENCY_OF exactly
 * one package); otherwise parent stays NULL.
 */
#include "sbom_impl.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Drops an SPDX actor prefix ("Organization: X" -> "X"). */
static void actor(const char **s, size_t *n) {
    static const char *const P[] = {"Organization:", "Person:", "Tool:"};
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
        size_t l = strlen(P[i]);
        if (*n >= l && !memcmp(*s, P[i], l)) {
            *s += l, *n -= l;
            while (*n && (**s == ' ' || **s == '\t'))
                (*s)++, (*n)--;
            return;
        }
    }
}

/* An external reference (category, type, locator) onto a component. */
static int extref(sbom_component *x, const char *cat, const char *type, const char *loc, size_t ll) {
    if (!strcmp(type, "purl") && (!cat || !strcmp(cat, "PACKAGE-MANAGER") || !strcmp(cat, "PACKAGE_MANAGER")) &&
        !x->purl)
        return sbom_set(&x->purl, loc, ll);
    if ((!strcmp(type, "cpe23Type") || !strcmp(type, "cpe22Type")) && !x->cpe)
        return sbom_set(&x->cpe, loc, ll);
    return 0;
}

/* Relationship direction: CONTAINS/DEPENDS_ON name the parent first. */
typedef struct rel_kind {
    const char *type;
    bool parent_first;
} rel_kind;
static const rel_kind RELS[] = {
    {"CONTAINS", true},
    {"DEPENDS_ON", true},
    {"CONTAINED_BY", false},
    {"DEPENDENCY_OF", false},
};

static const rel_kind *rel_lookup(const char *t, size_t n) {
    for (size_t i = 0; i < sizeof RELS / sizeof RELS[0]; i++)
        if (strlen(RELS[i].type) == n && !memcmp(RELS[i].type, t, n))
            return &RELS[i];
    return NULL;
}

/* Parent candidates per package, collected before assigning: a package with
 * more than one candidate parent keeps NULL.  `ambiguous` marks those.
 * `byref` holds the packages with an SPDXID sorted by it, so that each
 * relationship is found in O(log n) (a document may hold up to
 * SBOM_MAX_COMPONENTS packages and more relationships). */
typedef struct rel_acc {
    char **cand;
    bool *ambiguous;
    sbom_component **byref;
    size_t nbyref;
} rel_acc;

static int cmp_ref(const void *a, const void *b) {
    return strcmp((*(sbom_component *const *)a)->ref, (*(sbom_component *const *)b)->ref);
}

static sbom_component *by_ref(const rel_acc *a, const char *ref) {
    size_t lo = 0, hi = a->nbyref;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(a->byref[mid]->ref, ref);
        if (r == 0)
            return a->byref[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int rel_note(sbom_ctx *c, rel_acc *a, const char *pa, const char *ch) {
    sbom_doc *d = c->doc;
    sbom_component *p = by_ref(a, pa), *k = by_ref(a, ch);
    if (!p || !k || p == k)
        return 0; /* the document, files, or unknown ids: not a package parent */
    size_t i = (size_t)(k - d->components);
    if (a->cand[i] && strcmp(a->cand[i], pa) != 0)
        a->ambiguous[i] = true;
    else if (!a->cand[i] && !(a->cand[i] = sbom_dupz(pa)))
        return sbom_fail(c, 0, 0, "out of memory");
    return 0;
}

static int rel_init(sbom_ctx *c, rel_acc *a) {
    size_t n = c->doc->ncomponents ? c->doc->ncomponents : 1;
    a->cand = calloc(n, sizeof *a->cand);
    a->ambiguous = calloc(n, sizeof *a->ambiguous);
    a->byref = calloc(n, sizeof *a->byref);
    if (!a->cand || !a->ambiguous || !a->byref)
        return sbom_fail(c, 0, 0, "out of memory");
    for (size_t i = 0; i < c->doc->ncomponents; i++)
        if (c->doc->components[i].ref)
            a->byref[a->nbyref++] = &c->doc->components[i];
    qsort(a->byref, a->nbyref, sizeof *a->byref, cmp_ref);
    return 0;
}

static void rel_finish(sbom_ctx *c, rel_acc *a, bool apply) {
    sbom_doc *d = c->doc;
    for (size_t i = 0; a->cand && i < d->ncomponents; i++) {
        if (apply && a->cand[i] && !a->ambiguous[i] && !d->components[i].parent) {
            d->components[i].parent = a->cand[i];
            a->cand[i] = NULL;
        }
        free(a->cand[i]);
    }
    free(a->cand);
    free(a->ambiguous);
    free(a->byref);
}

/* ---- JSON ------------------------------------------------------------- */

static int jstr(sbom_ctx *c, json_t *o, const char *key, char **dst, const char *where,
                bool is_actor) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return sbom_fail(c, 0, 0, "%s.%s: not a string", where, key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (is_actor)
        actor(&s, &n);
    return sbom_set(dst, s, n) ? sbom_fail(c, 0, 0, "out of memory") : 0;
}

/* A name: kept as written (sbom_set would drop "NONE"/"NOASSERTION");
 * absent or empty leaves *dst NULL. */
static int jname(sbom_ctx *c, json_t *o, char **dst, const char *where) {
    json_t *v = json_object_get(o, "name");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return sbom_fail(c, 0, 0, "%s.name: not a string", where);
    if (json_string_length(v) == 0)
        return 0;
    *dst = sbom_dupn(json_string_value(v), json_string_length(v));
    return *dst ? 0 : sbom_fail(c, 0, 0, "out of memory");
}

static const char *jget(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int sbom_read_spdx_json(sbom_ctx *c, const char *buf, size_t len) {
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return sbom_fail(c, je.line > 0 ? (unsigned long)je.line : 0,
                         je.column > 0 ? (unsigned long)je.column : 0, "%s", je.text);
    int rc = -1;
    rel_acc acc = {0};
    sbom_doc *d = c->doc;
    if (!json_is_object(root)) {
        sbom_fail(c, 1, 1, "not a JSON object");
        goto out;
    }
    if (jstr(c, root, "spdxVersion", &d->spec_version, "$", false) ||
        jstr(c, root, "name", &d->subject, "$", false) ||
        jstr(c, root, "documentNamespace", &d->serial, "$", false))
        goto out;
    if (!d->spec_version || strncmp(d->spec_version, "SPDX-2.", 7) != 0) {
        sbom_fail(c, 0, 0, "spdxVersion: \"%s\" is not SPDX 2.x",
                  d->spec_version ? d->spec_version : "");
        goto out;
    }
    json_t *ci = json_object_get(root, "creationInfo");
    if (json_is_object(ci) && jstr(c, ci, "created", &d->created, "creationInfo", false))
        goto out;
    json_t *pk = json_object_get(root, "packages");
    if (pk && !json_is_null(pk)) {
        if (!json_is_array(pk)) {
            sbom_fail(c, 0, 0, "packages: not an array");
            goto out;
        }
        size_t i;
        json_t *o;
        json_array_foreach(pk, i, o) {
            char w[48];
            snprintf(w, sizeof w, "packages[%zu]", i);
            if (!json_is_object(o)) {
                sbom_fail(c, 0, 0, "%s: not an object", w);
                goto out;
            }
            sbom_component *x = sbom_add(c, 0);
            if (!x)
                goto out;
            if (jname(c, o, &x->name, w) ||
                jstr(c, o, "versionInfo", &x->version, w, false) ||
                jstr(c, o, "SPDXID", &x->ref, w, false) ||
                jstr(c, o, "supplier", &x->supplier, w, true))
                goto out;
            if (!x->supplier && jstr(c, o, "originator", &x->supplier, w, true))
                goto out;
            if (!x->name) {
                sbom_fail(c, 0, 0, "%s: package without a name", w);
                goto out;
            }
            json_t *er = json_object_get(o, "externalRefs");
            if (er && !json_is_null(er) && !json_is_array(er)) {
                sbom_fail(c, 0, 0, "%s.externalRefs: not an array", w);
                goto out;
            }
            size_t j;
            json_t *r;
            json_array_foreach(er, j, r) {
                const char *t = jget(r, "referenceType"), *l = jget(r, "referenceLocator");
                if (!t || !l) {
                    sbom_fail(c, 0, 0, "%s.externalRefs[%zu]: referenceType or referenceLocator missing", w, j);
                    goto out;
                }
                if (extref(x, jget(r, "referenceCategory"), t, l, strlen(l)) != 0) {
                    sbom_fail(c, 0, 0, "out of memory");
                    goto out;
                }
            }
        }
    }
    if (rel_init(c, &acc) != 0)
        goto out;
    json_t *rels = json_object_get(root, "relationships");
    if (json_is_array(rels)) {
        size_t i;
        json_t *r;
        json_array_foreach(rels, i, r) {
            const char *a = jget(r, "spdxElementId"), *t = jget(r, "relationshipType"),
                       *b = jget(r, "relatedSpdxElement");
            const rel_kind *k = t ? rel_lookup(t, strlen(t)) : NULL;
            if (!a || !b || !k)
                continue;
            if (rel_note(c, &acc, k->parent_first ? a : b, k->parent_first ? b : a) != 0)
                goto out;
        }
    }
    rc = 0;
out:
    rel_finish(c, &acc, rc == 0);
    json_decref(root);
    return rc;
}

/* ---- tag-value -------------------------------------------------------- */

typedef struct tv_rel {
    char *a, *b;
    const rel_kind *k;
} tv_rel;

/* Splits `s` (n bytes) at the first run of blanks: word 0 .. rest. */
static size_t word(const char *s, size_t n, const char **rest, size_t *rn) {
    size_t i = 0;
    while (i < n && s[i] != ' ' && s[i] != '\t')
        i++;
    size_t j = i;
    while (j < n && (s[j] == ' ' || s[j] == '\t'))
        j++;
    *rest = s + j;
    *rn = n - j;
    return i;
}

int sbom_read_spdx_tv(sbom_ctx *c, const char *buf, size_t len) {
    sbom_doc *d = c->doc;
    const char *p = buf, *end = buf + len;
    unsigned long line = 0;
    long cur = -1;     /* index of the package being read, -1 none */
    bool in_pkg = false; /* false after FileName:/SnippetSPDXID: (file section) */
    tv_rel *rels = NULL;
    size_t nrels = 0, crels = 0;
    int rc = -1;
    rel_acc acc = {0};
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        const char *ls = p;
        p = eol ? eol + 1 : end;
        if (le > ls && le[-1] == '\r')
            le--;
        size_t n = (size_t)(le - ls);
        if (!sbom_utf8_ok(ls, n)) {
            sbom_fail(c, line, 1, "not UTF-8 text (or a NUL byte)");
            goto out;
        }
        const char *t = ls;
        while (t < le && (*t == ' ' || *t == '\t'))
            t++;
        if (t == le || *t == '#')
            continue;
        const char *colon = memchr(t, ':', (size_t)(le - t));
        if (!colon || colon == t) {
            sbom_fail(c, line, (unsigned long)(t - ls) + 1, "expected \"Tag: value\"");
            goto out;
        }
        const char *tag = t;
        size_t tl = (size_t)(colon - t);
        const char *v = colon + 1;
        while (v < le && (*v == ' ' || *v == '\t'))
            v++;
        const char *ve = le;
        unsigned long vline = line, vcol = (unsigned long)(v - ls) + 1;
        /* <text> ... </text> values may span lines. */
        if ((size_t)(ve - v) >= 6 && !memcmp(v, "<text>", 6)) {
            const char *close = memmem(v, (size_t)(end - v), "</text>", 7);
            if (!close) {
                sbom_fail(c, vline, vcol, "<text> without </text>");
                goto out;
            }
            for (const char *q = v; q < close; q++)
                if (*q == '\n')
                    line++;
            v += 6;
            ve = close;
            const char *after = memchr(close, '\n', (size_t)(end - close));
            p = after ? after + 1 : end;
            if (!sbom_utf8_ok(v, (size_t)(ve - v))) {
                sbom_fail(c, vline, vcol, "not UTF-8 text (or a NUL byte)");
                goto out;
            }
        }
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        size_t vn = (size_t)(ve - v);
#define TAG(s) (tl == sizeof(s) - 1 && !memcmp(tag, s, tl))
        sbom_component *x = cur >= 0 && in_pkg ? &d->components[cur] : NULL;
        int r = 0;
        if (TAG("SPDXVersion")) {
            if (vn < 7 || memcmp(v, "SPDX-2.", 7) != 0) {
                sbom_fail(c, vline, vcol, "SPDXVersion: \"%.*s\" is not SPDX 2.x", (int)(vn > 40 ? 40 : vn), v);
                goto out;
            }
            r = sbom_set(&d->spec_version, v, vn);
        } else if (TAG("DocumentName")) {
            r = sbom_set(&d->subject, v, vn);
        } else if (TAG("DocumentNamespace")) {
            r = sbom_set(&d->serial, v, vn);
        } else if (TAG("Created")) {
            r = sbom_set(&d->created, v, vn);
        } else if (TAG("PackageName")) {
            if (vn == 0) {
                sbom_fail(c, vline, vcol, "PackageName: empty");
                goto out;
            }
            if (!(x = sbom_add(c, (uint32_t)(line > UINT32_MAX ? 0 : line))))
                goto out;
            cur = (long)(d->ncomponents - 1);
            in_pkg = true;
            /* a name is kept as written, even "NOASSERTION" */
            r = (x->name = sbom_dupn(v, vn)) ? 0 : -1;
        } else if (TAG("FileName") || TAG("SnippetSPDXID")) {
            in_pkg = false;
        } else if (TAG("PackageVersion") || TAG("PackageSupplier") || TAG("PackageOriginator") ||
                   TAG("ExternalRef")) {
            if (!x) {
                sbom_fail(c, vline, (unsigned long)(tag - ls) + 1, "%.*s outside a package", (int)tl, tag);
                goto out;
            }
            if (TAG("PackageVersion")) {
                r = sbom_set(&x->version, v, vn);
            } else if (TAG("ExternalRef")) {
                const char *r1, *r2, *r3;
                size_t n1, n2, n3;
                size_t cl = word(v, vn, &r1, &n1);   /* CATEGORY */
                size_t tyl = word(r1, n1, &r2, &n2); /* TYPE */
                size_t ll = word(r2, n2, &r3, &n3);  /* LOCATOR */
                if (cl == 0 || tyl == 0 || ll == 0) {
                    sbom_fail(c, vline, vcol, "ExternalRef: expected CATEGORY TYPE LOCATOR");
                    goto out;
                }
                char cat[32], ty[32];
                snprintf(cat, sizeof cat, "%.*s", (int)(cl < 31 ? cl : 31), v);
                snprintf(ty, sizeof ty, "%.*s", (int)(tyl < 31 ? tyl : 31), r1);
                r = extref(x, cat, ty, r2, ll);
            } else {
                const char *s = v;
                size_t sn = vn;
                actor(&s, &sn);
                if (TAG("PackageSupplier") || !x->supplier)
                    r = sbom_set(&x->supplier, s, sn);
            }
        } else if (TAG("SPDXID")) {
            if (x && !x->ref)
                r = sbom_set(&x->ref, v, vn);
        } else if (TAG("Relationship")) {
            const char *rest, *rest2;
            size_t rn, rn2;
            size_t al = word(v, vn, &rest, &rn);
            size_t kl = word(rest, rn, &rest2, &rn2);
            const char *bb = rest2;
            const char *dummy;
            size_t dn;
            size_t bl = word(bb, rn2, &dummy, &dn);
            const rel_kind *k = kl ? rel_lookup(rest, kl) : NULL;
            if (k && al && bl) {
                if (nrels == crels) {
                    size_t nc = crels ? crels * 2 : 16;
                    if (nc > 4u * SBOM_MAX_COMPONENTS) {
                        sbom_fail(c, vline, vcol, "too many relationships");
                        goto out;
                    }
                    tv_rel *nr = realloc(rels, nc * sizeof *nr);
                    if (!nr) {
                        sbom_fail(c, vline, 0, "out of memory");
                        goto out;
                    }
                    rels = nr;
                    crels = nc;
                }
                tv_rel *e = &rels[nrels];
                e->a = sbom_dupn(v, al);
                e->b = sbom_dupn(bb, bl);
                e->k = k;
                nrels++;
                if (!e->a || !e->b) {
                    sbom_fail(c, vline, 0, "out of memory");
                    goto out;
                }
            }
        }
#undef TAG
        if (r != 0) {
            sbom_fail(c, vline, 0, "out of memory");
            goto out;
        }
    }
    if (!d->spec_version) {
        sbom_fail(c, 1, 1, "no SPDXVersion");
        goto out;
    }
    if (rel_init(c, &acc) != 0)
        goto out;
    for (size_t i = 0; i < nrels; i++)
        if (rel_note(c, &acc, rels[i].k->parent_first ? rels[i].a : rels[i].b,
                     rels[i].k->parent_first ? rels[i].b : rels[i].a) != 0)
            goto out;
    rc = 0;
out:
    rel_finish(c, &acc, rc == 0);
    for (size_t i = 0; i < nrels; i++) {
        free(rels[i].a);
        free(rels[i].b);
    }
    free(rels);
    return rc;
}
