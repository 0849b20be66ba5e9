/*
 * reg.c -- the exposure register's operations (reg.h): ingest an
 * observation as an asset's state, evaluate stored components against the
 * vulnerability data, record controls and verdicts, query exposures.
 *
 * Evaluation of one asset (the only place states are decided):
 *   1. every present component is matched (defuse_vulndb_match()) and each
 *      CVE found gives a wanted exposure whose state reg_decide() picks
 *      from the base (affected if the version is exact, else review), the
 *      active verdicts and mitigations of (asset, CVE), and the scan's own
 *      JndiLookup fact;
 *   2. a wanted exposure not stored yet opens: its clock starts at the
 *      later of when the register first learned of the CVE and when the
 *      component was first seen, due after the SLA hours of its severity
 *      and environment (or the KEV due date when earlier);
 *   3. a stored exposure no longer wanted is fixed: at the time the
 *      component was gone with that scan as evidence, or, if the component
 *      is still there (another version, new data), at its last scan.
 * Every state change is a history row with time and who.
 */
#include "reg.h"

#include <jansson.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const kinds[] = {"host", "image", "application", "appliance"};
static const char *const exposures_v[] = {"public", "internal"};

int reg_valid_kind(const char *k) {
    for (size_t i = 0; k && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(k, kinds[i]))
            return 1;
    return 0;
}
int reg_valid_exposure(const char *e) {
    for (size_t i = 0; e && i < sizeof exposures_v / sizeof exposures_v[0]; i++)
        if (!strcmp(e, exposures_v[i]))
            return 1;
    return 0;
}

static int ferr(reg *r) {
    snprintf(r->err, sizeof r->err, "%s", reg_store_error(r->st));
    return -1;
}

static int sla_row(void *user, int ncol, const char *const *c) {
    reg *r = user;
    if (ncol >= 3 && c[0] && c[1] && c[2])
        reg_sla_set(&r->sla, c[0], c[1], atoll(c[2]));
    return 0;
}

int reg_open(reg *r, const char *target, int64_t now, const char *by) {
    memset(r, 0, sizeof *r);
    r->now = now;
    r->by = by && *by ? by : "unknown";
    reg_sla_default(&r->sla);
    if (reg_store_open(&r->st, target, r->err, sizeof r->err))
        return -1;
    if (reg_store_exec(r->st, Q_SLA_LIST, NULL, 0, sla_row, r, NULL))
        return ferr(r);
    return 0;
}

void reg_close(reg *r) {
    reg_store_close(r->st);
    r->st = NULL;
}

static int hist(reg *r, const char *asset, int64_t at, const char *event, const char *cve,
                const char *ckey, const char *old_state, const char *new_state,
                const char *detail) {
    reg_val p[9] = {RV_S(asset),     RV_I(at),        RV_S(r->by),     RV_S(event),
                    RV_S(cve),       RV_S(ckey),      RV_S(old_state), RV_S(new_state),
                    RV_S(detail ? detail : "")};
    return reg_store_exec(r->st, Q_HIST_INSERT, p, 9, NULL, NULL, NULL) ? ferr(r) : 0;
}

/* ---- rows loaded for one asset ------------------------------------------------------- */

#define ROW_MAX_COLS 20
typedef struct srow {
    char *f[ROW_MAX_COLS];
    char *blk;    /* the allocation the fields point into */
    char *own[3]; /* fields 0..2 replaced by row_set() (separately allocated) */
} srow;
typedef struct rows {
    srow *v;
    size_t n, cap;
    int oom;
} rows;

/* Each row is one allocation: the field pointers point into it (a
 * component list is 200 rows of 13 fields per asset, read for every asset
 * at each evaluation: one malloc per field was a fifth of the time). */
static int rows_cb(void *user, int ncol, const char *const *c) {
    rows *t = user;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 32;
        srow *v = realloc(t->v, nc * sizeof *v);
        if (!v) {
            t->oom = 1;
            return 1;
        }
        t->v = v, t->cap = nc;
    }
    size_t len[ROW_MAX_COLS], total = 0;
    int nf = ncol < ROW_MAX_COLS ? ncol : ROW_MAX_COLS;
    for (int i = 0; i < nf; i++)
        total += (len[i] = c[i] ? strlen(c[i]) + 1 : 0);
    char *blk = malloc(total ? total : 1);
    if (!blk) {
        t->oom = 1;
        return 1;
    }
    srow *r = &t->v[t->n++];
    memset(r, 0, sizeof *r);
    r->blk = blk;
    for (int i = 0; i < nf; i++)
        if (c[i]) {
            memcpy(blk, c[i], len[i]);
            r->f[i] = blk;
            blk += len[i];
        }
    return 0;
}
static void rows_free(rows *t) {
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].blk);
        for (int k = 0; k < 3; k++)
            free(t->v[i].own[k]);
    }
    free(t->v);
    memset(t, 0, sizeof *t);
}
/* Replaces field k of a loaded row by a copy of v (the old text stays in
 * the row's block). */
static int row_set(srow *r, int k, const char *v) {
    char *d = strdup(v);
    if (!d)
        return -1;
    free(r->own[k]);
    r->own[k] = r->f[k] = d;
    return 0;
}
/* Rows sorted by their first column (a key), and found by it: ingest and
 * evaluation match thousands of components per asset. */
static int srow_cmp(const void *a, const void *b) {
    return strcmp(((const srow *)a)->f[0], ((const srow *)b)->f[0]);
}
static void rows_sort(rows *t) {
    size_t i = 1;
    while (i < t->n && srow_cmp(&t->v[i - 1], &t->v[i]) <= 0)
        i++;
    if (i < t->n) /* not already in order (a primary-key scan usually is) */
        qsort(t->v, t->n, sizeof *t->v, srow_cmp);
}
static srow *rows_find(const rows *t, const char *key) {
    srow k = {.f = {(char *)(uintptr_t)key}};
    return t->n ? bsearch(&k, t->v, t->n, sizeof *t->v, srow_cmp) : NULL;
}
static int str_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int load(reg *r, reg_q q, const reg_val *p, int np, rows *out) {
    memset(out, 0, sizeof *out);
    if (reg_store_exec(r->st, q, p, np, rows_cb, out, NULL) || out->oom) {
        if (out->oom)
            snprintf(r->err, sizeof r->err, "out of memory");
        else
            ferr(r);
        rows_free(out);
        return -1;
    }
    return 0;
}

/* ---- CVEs known to the register ------------------------------------------------------------ */

/* Match results by (group, name, version), for one run over one
 * vulnerability data: an evaluation of every asset meets the same few
 * hundred versions millions of times.  Open addressing, FNV-1a; at most
 * MCACHE_MAX entries (past that, matches are computed each time). */
#define MCACHE_MAX 65536u
typedef struct mentry {
    char *key; /* "group\x1fname\x1fversion", \x1e for an absent field */
    int rc;
    size_t n;
    defuse_component_vuln *v; /* strings BORROWED from the data */
    char *sig;                /* match_sig() of v[0..n) */
    int synced;               /* sig compared with the register's */
} mentry;
typedef struct mcache {
    mentry *e;
    size_t cap, n;
    int uncached; /* a match was computed without an entry (no signature) */
} mcache;

typedef struct cvecache {
    rows t; /* id, severity, cvss, first_learned, kev_due */
    int loaded;
    mcache m;
    size_t nassets, ncomp; /* evaluated (evaluate_rows()) */
} cvecache;

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void mcache_free(mcache *m) {
    for (size_t i = 0; i < m->cap; i++)
        free(m->e[i].key), free(m->e[i].v), free(m->e[i].sig);
    free(m->e);
    memset(m, 0, sizeof *m);
}

static int mcache_grow(mcache *m) {
    size_t nc = m->cap ? m->cap * 2 : 1024;
    mentry *e = calloc(nc, sizeof *e);
    if (!e)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->e[i].key)
            continue;
        size_t j = (size_t)fnv1a(m->e[i].key) & (nc - 1);
        while (e[j].key)
            j = (j + 1) & (nc - 1);
        e[j] = m->e[i];
    }
    free(m->e);
    m->e = e, m->cap = nc;
    return 0;
}

/* What decides the exposures a match gives: each CVE with its certainty,
 * severity and score, in id order ("none" for no CVE).  Two evaluations
 * of a (group, name, version) with equal signatures open, keep and close
 * the same exposures, so `evaluate` skips the components whose signature
 * is the stored one (table matches).  OUT: malloc'd, NULL if out of memory. */
static int vuln_id_cmp(const void *a, const void *b) {
    return strcmp(((const defuse_component_vuln *)a)->id, ((const defuse_component_vuln *)b)->id);
}
static char *match_sig(const defuse_component_vuln *v, size_t n) {
    if (!n)
        return strdup("none");
    defuse_component_vuln s[DEFUSE_INV_MAX_VULNS];
    if (n > DEFUSE_INV_MAX_VULNS)
        return NULL;
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, vuln_id_cmp);
    /* each entry at most 40 + 1 + 11 + 1 + 16 + 1 + 24 + 1 bytes */
    size_t cap = 96 * n + 1, o = 0;
    char *b = malloc(cap);
    for (size_t i = 0; b && i < n; i++) {
        int w = snprintf(b + o, cap - o, "%s%.40s/%d/%.16s/%.17g", i ? ";" : "", s[i].id,
                         s[i].certain, s[i].severity, s[i].cvss);
        if (w < 0 || (size_t)w >= cap - o) {
            free(b);
            return NULL;
        }
        o += (size_t)w;
    }
    return b;
}

/* The cache key of (grp, name, ver): each field at most 250 bytes
 * (else -1: not cached), NULL written as \x1e so that NULL and "" differ. */
#define MKEY_MAX (3 * 256)
static int match_key(const char *grp, const char *name, const char *ver, char key[MKEY_MAX]) {
    if ((grp && strlen(grp) > 250) || (name && strlen(name) > 250) || (ver && strlen(ver) > 250))
        return -1;
    const char *part[3] = {grp ? grp : "\x1e", name ? name : "\x1e", ver ? ver : "\x1e"};
    size_t o = 0;
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(part[i]);
        memcpy(key + o, part[i], l);
        o += l;
        key[o++] = i < 2 ? '\x1f' : 0;
    }
    return 0;
}

/* The entry of key, or NULL. */
static mentry *mcache_find(mcache *m, const char *key) {
    if (!m->cap)
        return NULL;
    for (size_t j = (size_t)fnv1a(key) & (m->cap - 1); m->e[j].key; j = (j + 1) & (m->cap - 1))
        if (!strcmp(m->e[j].key, key))
            return &m->e[j];
    return NULL;
}

/* defuse_vulndb_match() through the cache: same contract.  A result that
 * could not be cached sets m->uncached. */
static int match_cached(const defuse_vulndb *db, mcache *m, const char *grp, const char *name,
                        const char *ver, defuse_component_vuln *out, size_t max, size_t *n) {
    char key[MKEY_MAX];
    if (match_key(grp, name, ver, key)) {
        m->uncached = 1;
        return defuse_vulndb_match(db, grp, name, ver, out, max, n, NULL);
    }
    const mentry *hit = mcache_find(m, key);
    if (hit) {
        if (hit->n > max)
            return DEFUSE_ELIMIT;
        if (hit->n)
            memcpy(out, hit->v, hit->n * sizeof *out);
        *n = hit->n;
        return hit->rc;
    }
    int rc = defuse_vulndb_match(db, grp, name, ver, out, max, n, NULL);
    if (rc < 0 && rc != DEFUSE_ENOENT)
        return rc; /* errors are not cached */
    if (m->n >= MCACHE_MAX || ((m->n + 1) * 2 > m->cap && mcache_grow(m))) {
        m->uncached = 1;
        return rc;
    }
    size_t j = (size_t)fnv1a(key) & (m->cap - 1);
    while (m->e[j].key)
        j = (j + 1) & (m->cap - 1);
    mentry x = {strdup(key), rc, *n, NULL, match_sig(out, *n), 0};
    if (!x.key || !x.sig || (*n && !(x.v = malloc(*n * sizeof *x.v)))) {
        free(x.key);
        free(x.sig);
        free(x.v);
        m->uncached = 1;
        return rc; /* not cached: the next evaluate reads everything */
    }
    if (*n)
        memcpy(x.v, out, *n * sizeof *out);
    m->e[j] = x;
    m->n++;
    return rc;
}

static srow *cve_get(reg *r, cvecache *cc, const defuse_component_vuln *v) {
    if (!cc->loaded) {
        if (load(r, Q_CVE_LIST, NULL, 0, &cc->t))
            return NULL;
        cc->loaded = 1;
    }
    for (size_t i = 0; i < cc->t.n; i++)
        if (!strcmp(cc->t.v[i].f[0], v->id)) {
            srow *s = &cc->t.v[i];
            if (strcmp(s->f[1], v->severity) || atof(s->f[2]) != v->cvss) {
                reg_val p[5] = {RV_S(v->id), RV_S(v->severity), RV_D(v->cvss),
                                RV_I(atoll(s->f[3])), RV_S(v->summary)};
                if (reg_store_exec(r->st, Q_CVE_UPSERT, p, 5, NULL, NULL, NULL)) {
                    ferr(r);
                    return NULL;
                }
                char b[32];
                snprintf(b, sizeof b, "%.17g", v->cvss);
                if (row_set(s, 1, v->severity) || row_set(s, 2, b)) {
                    snprintf(r->err, sizeof r->err, "out of memory");
                    return NULL;
                }
            }
            return s;
        }
    /* first time the register learns of this CVE: its clock starts now */
    reg_val p[5] = {RV_S(v->id), RV_S(v->severity), RV_D(v->cvss), RV_I(r->now),
                    RV_S(v->summary)};
    if (reg_store_exec(r->st, Q_CVE_UPSERT, p, 5, NULL, NULL, NULL)) {
        ferr(r);
        return NULL;
    }
    char cv[32], fl[32];
    snprintf(cv, sizeof cv, "%.17g", v->cvss);
    snprintf(fl, sizeof fl, "%lld", (long long)r->now);
    const char *cols[5] = {v->id, v->severity, cv, fl, NULL};
    rows_cb(&cc->t, 5, cols);
    if (cc->t.oom) {
        snprintf(r->err, sizeof r->err, "out of memory");
        return NULL;
    }
    return &cc->t.v[cc->t.n - 1];
}

static void cve_cache_free(cvecache *cc) {
    rows_free(&cc->t);
    cc->loaded = 0;
}
static void cache_free_all(cvecache *cc) {
    cve_cache_free(cc);
    mcache_free(&cc->m);
}

/* ---- evaluation of one asset --------------------------------------------------------------- */

/* Columns of a component row (Q_COMP_LIST) and of a stored exposure
 * (EXP_EVAL_COLS in schema.c). */
enum { C_CKEY, C_PRODUCT, C_GRP, C_NAME, C_VERSION, C_PURL, C_PATH, C_JNDI, C_FIRST, C_LAST,
       C_GONE, C_GONE_SCAN, C_SCAN, C_NCOLS };
enum { X_CKEY, X_CVE, X_STATE, X_CERTAIN, X_OPENED, X_DUE, X_CLOSED, X_EVIDENCE, X_ENV,
       X_PRODUCT, X_VERSION, X_PURL, X_PATH, X_OWNER, X_EXPOSURE, X_KIND, X_NCOLS };

/* The asset's attributes that its exposure rows carry. */
typedef struct aview {
    const char *env, *owner, *exposure, *kind;
} aview;

typedef struct want {
    size_t comp; /* index into the component rows */
    const char *cve;
    int certain;
    reg_state st;
    const char *why;
    srow *cve_row;
    int matched; /* a stored exposure was found for it */
} want;

static int64_t i64(const char *s) {
    return s ? atoll(s) : 0;
}
/* Equal texts, NULL equal only to NULL. */
static int same(const char *a, const char *b) {
    return a == b || (a && b && !strcmp(a, b));
}

/* Finds the active control of kind for cve among the asset's controls
 * (cve, kind, control, evidence, by, at, expires). */
static const srow *control_for(const rows *ctl, const char *cve, const char *kind, int64_t now) {
    for (size_t i = 0; i < ctl->n; i++) {
        const srow *c = &ctl->v[i];
        if (!strcmp(c->f[0], cve) && !strcmp(c->f[1], kind) && (!c->f[6] || i64(c->f[6]) > now))
            return c;
    }
    return NULL;
}

/* Orders wanted exposures by (component key, CVE); a key with comp ==
 * SIZE_MAX takes its component key from want_key (single-threaded use). */
static const rows *want_comp;
static const char *want_key;
static int want_cmp(const void *a, const void *b) {
    const want *x = *(const want *const *)a, *y = *(const want *const *)b;
    const char *kx = x->comp == SIZE_MAX ? want_key : want_comp->v[x->comp].f[C_CKEY];
    const char *ky = y->comp == SIZE_MAX ? want_key : want_comp->v[y->comp].f[C_CKEY];
    int c = strcmp(kx, ky);
    return c ? c : strcmp(x->cve, y->cve);
}

/* Evaluates components comp (sorted by key) of asset, whose stored
 * exposures are exp (all those of these components) and controls ctl: the
 * one place states are decided (steps at the top of this file).  Called with
 * every component of the asset (evaluate_asset()), or with only those whose
 * match signature changed (evaluate_changed()): the exposures of the others
 * are left as they are. */
static int evaluate_rows(reg *r, const char *asset, const aview *av, const rows *comp,
                         const rows *exp, const rows *ctl, cvecache *cc, reg_change_cb cb,
                         void *user) {
    want *w = NULL;
    size_t nw = 0, cw = 0;
    int rc = -1;
    want **byk = NULL;
    const char *env = av->env;
    cc->nassets++;
    cc->ncomp += comp->n;
    /* 1. wanted exposures */
    for (size_t i = 0; i < comp->n; i++) {
        const srow *c = &comp->v[i];
        if (c->f[C_GONE] || !c->f[C_PRODUCT])
            continue; /* gone, or not one of the products */
        defuse_component_vuln vv[DEFUSE_INV_MAX_VULNS];
        size_t n = 0;
        int pr = match_cached(r->vdb, &cc->m, c->f[C_GRP], c->f[C_NAME], c->f[C_VERSION], vv,
                              DEFUSE_INV_MAX_VULNS, &n);
        if (pr < 0 && pr != DEFUSE_ENOENT) {
            snprintf(r->err, sizeof r->err, "%s: %s: %s", asset, c->f[C_CKEY],
                     defuse_strerror(pr));
            goto out;
        }
        for (size_t k = 0; k < n; k++) {
            if (nw == cw) {
                size_t nc = cw ? cw * 2 : 16;
                want *nwv = realloc(w, nc * sizeof *nwv);
                if (!nwv) {
                    snprintf(r->err, sizeof r->err, "out of memory");
                    goto out;
                }
                w = nwv, cw = nc;
            }
            want *x = &w[nw++];
            memset(x, 0, sizeof *x);
            x->comp = i;
            x->cve = vv[k].id; /* borrowed from the vulnerability data */
            x->certain = vv[k].certain;
            if (!(x->cve_row = cve_get(r, cc, &vv[k])))
                goto out;
            const srow *fp = control_for(ctl, x->cve, "false-positive", r->now);
            const srow *ac = control_for(ctl, x->cve, "accepted", r->now);
            const srow *mi = control_for(ctl, x->cve, "mitigation", r->now);
            reg_verdicts vd = {fp ? fp->f[3] : NULL, ac ? ac->f[3] : NULL, mi ? mi->f[2] : NULL,
                               c->f[C_JNDI] && !strcmp(c->f[C_JNDI], "removed")};
            x->st = reg_decide(x->cve, x->certain, &vd, &x->why);
        }
    }
    /* 2. stored exposures: update, or fix those no longer wanted */
    if (nw && !(byk = malloc(nw * sizeof *byk))) {
        snprintf(r->err, sizeof r->err, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < nw; k++)
        byk[k] = &w[k];
    want_comp = comp;
    if (nw > 1)
        qsort(byk, nw, sizeof *byk, want_cmp);
    for (size_t e = 0; e < exp->n; e++) {
        const srow *s = &exp->v[e];
        want *x = NULL;
        if (nw) {
            want key = {.cve = s->f[X_CVE], .comp = SIZE_MAX};
            want_key = s->f[X_CKEY];
            want *kp = &key, **hit = bsearch(&kp, byk, nw, sizeof *byk, want_cmp);
            x = hit && !(*hit)->matched ? *hit : NULL;
        }
        int64_t opened = i64(s->f[X_OPENED]), due = i64(s->f[X_DUE]),
                closed = i64(s->f[X_CLOSED]);
        const char *evidence = s->f[X_EVIDENCE] ? s->f[X_EVIDENCE] : "";
        const char *new_state;
        char evbuf[600];
        int certain = atoi(s->f[X_CERTAIN]);
        const char *sev = NULL;
        const srow *c = x ? &comp->v[x->comp] : rows_find(comp, s->f[X_CKEY]);
        /* what the row shows of its component (kept when it is no longer
         * recorded) and of its asset */
        const char *shown[7] = {c ? c->f[C_PRODUCT] : s->f[X_PRODUCT],
                                c ? c->f[C_VERSION] : s->f[X_VERSION],
                                c ? c->f[C_PURL] : s->f[X_PURL],
                                c ? c->f[C_PATH] : s->f[X_PATH],
                                av->owner,
                                av->exposure,
                                av->kind};
        int shown_same = 1;
        for (int k = 0; k < 7; k++)
            shown_same &= same(shown[k], s->f[X_PRODUCT + k]);
        if (x) {
            x->matched = 1;
            sev = x->cve_row->f[1];
            new_state = reg_state_name(x->st);
            certain = x->certain;
            if (!strcmp(s->f[X_STATE], "fixed")) { /* back again: a new clock */
                opened = i64(x->cve_row->f[3]);
                if (i64(c->f[C_FIRST]) > opened)
                    opened = i64(c->f[C_FIRST]);
            }
            due = reg_sla_due(opened, reg_sla_hours(&r->sla, sev, env), i64(x->cve_row->f[4]));
            closed = 0;
            snprintf(evbuf, sizeof evbuf, "%s (scan %.12s)", x->why,
                     c->f[C_SCAN] ? c->f[C_SCAN] : "");
            evidence = evbuf;
        } else {
            if (!strcmp(s->f[X_STATE], "fixed") && !strcmp(s->f[X_ENV], env) && shown_same)
                continue;
            new_state = "fixed";
            if (strcmp(s->f[X_STATE], "fixed")) {
                if (c && c->f[C_GONE]) {
                    closed = i64(c->f[C_GONE]);
                    snprintf(evbuf, sizeof evbuf, "component gone in scan %.64s",
                             c->f[C_GONE_SCAN] ? c->f[C_GONE_SCAN] : "");
                } else if (c) {
                    closed = i64(c->f[C_LAST]); /* its last scan, with the new version */
                    snprintf(evbuf, sizeof evbuf, "no longer affected (version %.64s, scan %.64s)",
                             c->f[C_VERSION] ? c->f[C_VERSION] : "unknown",
                             c->f[C_SCAN] ? c->f[C_SCAN] : "");
                } else {
                    closed = r->now;
                    snprintf(evbuf, sizeof evbuf, "component no longer recorded");
                }
                evidence = evbuf;
            }
        }
        int changed = strcmp(new_state, s->f[X_STATE]) != 0;
        if (!changed && opened == i64(s->f[X_OPENED]) && due == i64(s->f[X_DUE]) &&
            closed == i64(s->f[X_CLOSED]) && certain == atoi(s->f[X_CERTAIN]) &&
            !strcmp(env, s->f[X_ENV]) &&
            !strcmp(evidence, s->f[X_EVIDENCE] ? s->f[X_EVIDENCE] : "") && shown_same)
            continue;
        reg_val p[18] = {RV_S(asset),     RV_S(s->f[X_CKEY]), RV_S(s->f[X_CVE]),
                         RV_S(env),       RV_S(new_state),    RV_I(certain),
                         RV_I(opened),    RV_I(due),          closed ? RV_I(closed) : RV_N,
                         RV_S(evidence),  RV_I(r->now),       RV_S(shown[0]),
                         RV_S(shown[1]),  RV_S(shown[2]),     RV_S(shown[3]),
                         RV_S(shown[4]),  RV_S(shown[5]),     RV_S(shown[6])};
        if (reg_store_exec(r->st, Q_EXP_UPDATE, p, 18, NULL, NULL, NULL)) {
            ferr(r);
            goto out;
        }
        if (changed) {
            if (hist(r, asset, closed ? closed : r->now, "state", s->f[X_CVE], s->f[X_CKEY],
                     s->f[X_STATE], new_state, evidence))
                goto out;
            if (cb) {
                reg_change ch = {asset, s->f[X_CKEY], s->f[X_CVE], env,   sev,
                                 s->f[X_STATE], new_state,   opened,  due};
                cb(&ch, user);
            }
        }
    }
    /* 3. new exposures */
    for (size_t k = 0; k < nw; k++) {
        want *x = &w[k];
        if (x->matched)
            continue;
        /* the same (component, CVE) twice in wanted cannot happen: one match per component */
        const srow *c = &comp->v[x->comp];
        int64_t opened = i64(x->cve_row->f[3]);
        if (i64(c->f[C_FIRST]) > opened)
            opened = i64(c->f[C_FIRST]);
        const char *sev = x->cve_row->f[1];
        int64_t due = reg_sla_due(opened, reg_sla_hours(&r->sla, sev, env), i64(x->cve_row->f[4]));
        char evbuf[600];
        snprintf(evbuf, sizeof evbuf, "%s (scan %.12s)", x->why, c->f[C_SCAN] ? c->f[C_SCAN] : "");
        const char *ns = reg_state_name(x->st);
        reg_val p[18] = {RV_S(asset),          RV_S(c->f[C_CKEY]),    RV_S(x->cve),
                         RV_S(env),            RV_S(ns),              RV_I(x->certain),
                         RV_I(opened),         RV_I(due),             RV_N,
                         RV_S(evbuf),          RV_I(r->now),          RV_S(c->f[C_PRODUCT]),
                         RV_S(c->f[C_VERSION]), RV_S(c->f[C_PURL]),   RV_S(c->f[C_PATH]),
                         RV_S(av->owner),      RV_S(av->exposure),    RV_S(av->kind)};
        if (reg_store_exec(r->st, Q_EXP_INSERT, p, 18, NULL, NULL, NULL)) {
            ferr(r);
            goto out;
        }
        if (hist(r, asset, r->now, "open", x->cve, c->f[C_CKEY], NULL, ns, evbuf))
            goto out;
        if (cb) {
            reg_change ch = {asset, c->f[C_CKEY], x->cve, env, sev, NULL, ns, opened, due};
            cb(&ch, user);
        }
    }
    rc = 0;
out:
    free(byk);
    free(w);
    return rc;
}

/* Evaluates every component of asset. */
static int evaluate_asset(reg *r, const char *asset, const aview *av, cvecache *cc,
                          reg_change_cb cb, void *user) {
    rows comp = {0}, exp = {0}, ctl = {0};
    reg_val pa[1] = {RV_S(asset)};
    int rc = -1;
    if (!load(r, Q_COMP_LIST, pa, 1, &comp) && !load(r, Q_EXP_LIST_ASSET, pa, 1, &exp) &&
        !load(r, Q_CTL_LIST_ASSET, pa, 1, &ctl)) {
        rows_sort(&comp);
        rc = evaluate_rows(r, asset, av, &comp, &exp, &ctl, cc, cb, user);
    }
    rows_free(&comp);
    rows_free(&exp);
    rows_free(&ctl);
    return rc;
}

/* ---- match signatures and the register's evaluation state ----------------------------------- */

static int meta_put(reg *r, const char *name, const char *value) {
    reg_val p[2] = {RV_S(name), RV_S(value)};
    return reg_store_exec(r->st, Q_META_PUT, p, 2, NULL, NULL, NULL) ? ferr(r) : 0;
}
/* OUT: *v, the value of name or def when unset. */
static int meta_get_i64(reg *r, const char *name, int64_t def, int64_t *v) {
    reg_val p[1] = {RV_S(name)};
    rows t;
    if (load(r, Q_META_GET, p, 1, &t))
        return -1;
    *v = t.n && t.v[0].f[0] ? atoll(t.v[0].f[0]) : def;
    rows_free(&t);
    return 0;
}

/* After single assets were evaluated (ingest, a control): each (group,
 * name, version) met gets its signature stored if the register had none;
 * one whose stored signature differs was evaluated here with other data
 * than the rest of the register had been, so it is marked stale ("") and
 * the next evaluate reads all its components.  A match without a
 * signature makes the next evaluate read everything. */
static int sync_sigs(reg *r, mcache *m) {
    for (size_t i = 0; i < m->cap; i++) {
        mentry *e = &m->e[i];
        if (!e->key || e->synced)
            continue;
        e->synced = 1;
        reg_val p[1] = {RV_S(e->key)};
        rows t;
        if (load(r, Q_MATCH_GET, p, 1, &t))
            return -1;
        const char *stored = t.n && t.v[0].f[0] ? t.v[0].f[0] : NULL;
        const char *put = !stored                 ? e->sig
                          : !strcmp(stored, e->sig) || !*stored ? NULL
                                                                 : "";
        int rc = 0;
        if (put) {
            reg_val q[2] = {RV_S(e->key), RV_S(put)};
            rc = reg_store_exec(r->st, Q_MATCH_PUT, q, 2, NULL, NULL, NULL) ? ferr(r) : 0;
        }
        rows_free(&t);
        if (rc)
            return -1;
    }
    return m->uncached ? meta_put(r, "full", "1") : 0;
}

/* ---- ingest ---------------------------------------------------------------------------------- */

typedef struct asset_row {
    int found;
    char kind[32], env[128], owner[256], exposure[32], tags[512];
    int64_t last_scan;
} asset_row;

static int asset_cb(void *user, int ncol, const char *const *c) {
    asset_row *a = user;
    a->found = 1;
    snprintf(a->kind, sizeof a->kind, "%s", c[1] ? c[1] : "");
    snprintf(a->env, sizeof a->env, "%s", c[2] ? c[2] : "");
    snprintf(a->owner, sizeof a->owner, "%s", c[3] ? c[3] : "");
    snprintf(a->exposure, sizeof a->exposure, "%s", c[4] ? c[4] : "");
    snprintf(a->tags, sizeof a->tags, "%s", c[5] ? c[5] : "");
    a->last_scan = ncol > 7 && c[7] ? atoll(c[7]) : 0;
    return 0;
}

static int get_asset(reg *r, const char *name, asset_row *a) {
    memset(a, 0, sizeof *a);
    reg_val p[1] = {RV_S(name)};
    return reg_store_exec(r->st, Q_ASSET_GET, p, 1, asset_cb, a, NULL) ? ferr(r) : 0;
}

/* Creates or updates the asset; OUT: its row after the change. */
static int put_asset(reg *r, const char *name, const reg_asset_attrs *at, asset_row *a) {
    if (get_asset(r, name, a))
        return -1;
    const char *kind = at && at->kind ? at->kind : a->found ? a->kind : "host";
    const char *env = at && at->env ? at->env : a->found ? a->env : NULL;
    const char *owner = at && at->owner ? at->owner : a->found ? a->owner : "";
    const char *expo = at && at->exposure ? at->exposure : a->found ? a->exposure : "internal";
    const char *tags = at && at->tags ? at->tags : a->found ? a->tags : "";
    if (!env) {
        snprintf(r->err, sizeof r->err, "asset %s is new: --env is required", name);
        return -1;
    }
    if (a->found && !strcmp(kind, a->kind) && !strcmp(env, a->env) && !strcmp(owner, a->owner) &&
        !strcmp(expo, a->exposure) && !strcmp(tags, a->tags))
        return 0;
    reg_val p[7] = {RV_S(name), RV_S(kind), RV_S(env), RV_S(owner), RV_S(expo), RV_S(tags),
                    RV_I(r->now)};
    if (reg_store_exec(r->st, a->found ? Q_ASSET_UPDATE : Q_ASSET_INSERT, p, a->found ? 6 : 7,
                       NULL, NULL, NULL))
        return ferr(r);
    char d[1200];
    snprintf(d, sizeof d, "kind=%s env=%s owner=%s exposure=%s%s%.512s", kind, env, owner, expo,
             *tags ? " tags=" : "", tags);
    if (hist(r, name, r->now, a->found ? "asset-updated" : "asset-created", NULL, NULL, NULL, NULL,
             d))
        return -1;
    if (a->found && (strcmp(env, a->env) || strcmp(owner, a->owner) || strcmp(expo, a->exposure) ||
                     strcmp(kind, a->kind))) {
        reg_val pe[5] = {RV_S(name), RV_S(env), RV_S(owner), RV_S(expo), RV_S(kind)};
        if (reg_store_exec(r->st, Q_EXP_ASSET, pe, 5, NULL, NULL, NULL))
            return ferr(r);
        /* SLA hours may differ by environment: every clock of the asset
         * is computed again by the next evaluate */
        if (strcmp(env, a->env) && meta_put(r, "full", "1"))
            return -1;
    }
    return get_asset(r, name, a);
}

static int ingest_once(reg *r, const char *asset, const reg_asset_attrs *at, const reg_obs *obs,
                       reg_change_cb cb, void *user, int *unchanged) {
    *unchanged = 0;
    if (!r->vdb) {
        snprintf(r->err, sizeof r->err, "no vulnerability data");
        return -1;
    }
    if (reg_store_begin(r->st))
        return ferr(r);
    asset_row a;
    rows old = {0};
    cvecache cc = {0};
    const char **keys = NULL;
    /* the scan's own time, unless it is later than the register's now (a
     * host whose clock runs ahead, or an injected DEFUSE_NOW): then now */
    int64_t when = obs->scanned_at && obs->scanned_at <= r->now ? obs->scanned_at : r->now;
    if (put_asset(r, asset, at, &a))
        goto fail;
    int seen = 0;
    {
        reg_val p[2] = {RV_S(asset), RV_S(obs->digest)};
        rows t;
        if (load(r, Q_SCAN_SEEN, p, 2, &t))
            goto fail;
        seen = t.n > 0;
        rows_free(&t);
    }
    if (seen) {
        *unchanged = 1;
        if (reg_store_commit(r->st)) /* attribute changes, if any */
            goto ferr_;
        return 0;
    }
    if (a.last_scan && when < a.last_scan) {
        char w1[32], w2[32];
        reg_time_format(when, w1);
        reg_time_format(a.last_scan, w2);
        snprintf(r->err, sizeof r->err,
                 "%s: the scan of %s is older than the last one ingested for %s (%s)",
                 obs->sources, w1, asset, w2);
        goto fail;
    }
    {
        reg_val p[8] = {RV_S(asset),      RV_S(obs->digest), RV_S(obs->sources),
                        RV_S(obs->format), RV_I(when),        RV_I(r->now),
                        RV_S(r->by),      RV_I((int64_t)obs->n)};
        if (reg_store_exec(r->st, Q_SCAN_INSERT, p, 8, NULL, NULL, NULL))
            goto ferr_;
        reg_val p2[3] = {RV_S(asset), RV_I(when), RV_S(obs->digest)};
        if (reg_store_exec(r->st, Q_ASSET_SCANNED, p2, 3, NULL, NULL, NULL))
            goto ferr_;
    }
    reg_val pa[1] = {RV_S(asset)};
    if (load(r, Q_COMP_LIST, pa, 1, &old))
        goto fail;
    rows_sort(&old);
    if (obs->n && !(keys = malloc(obs->n * sizeof *keys))) {
        snprintf(r->err, sizeof r->err, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < obs->n; i++)
        keys[i] = obs->v[i].ckey;
    if (obs->n > 1)
        qsort(keys, obs->n, sizeof *keys, str_cmp);
    for (size_t i = 0; i < obs->n; i++) {
        const reg_comp *c = &obs->v[i];
        const srow *was = rows_find(&old, c->ckey);
        int known = was && !was->f[10];
        reg_val p[11] = {RV_S(asset),   RV_S(c->ckey), RV_S(c->product), RV_S(c->grp),
                         RV_S(c->name), RV_S(c->version), RV_S(c->purl), RV_S(c->path),
                         RV_S(c->jndilookup), RV_I(when), RV_S(obs->digest)};
        if (reg_store_exec(r->st, Q_COMP_UPSERT, p, 11, NULL, NULL, NULL))
            goto ferr_;
        if (!known && c->product &&
            hist(r, asset, when, "component-seen", NULL, c->ckey, NULL, NULL, c->version))
            goto fail;
    }
    if (!obs->incomplete) {
        for (size_t k = 0; k < old.n; k++) {
            const srow *o = &old.v[k];
            if (o->f[10])
                continue;
            const char *k0 = o->f[0];
            if (obs->n && bsearch(&k0, keys, obs->n, sizeof *keys, str_cmp))
                continue;
            reg_val p[4] = {RV_S(asset), RV_S(o->f[0]), RV_I(when), RV_S(obs->digest)};
            if (reg_store_exec(r->st, Q_COMP_GONE, p, 4, NULL, NULL, NULL))
                goto ferr_;
            if (o->f[1] &&
                hist(r, asset, when, "component-gone", NULL, o->f[0], NULL, NULL, obs->sources))
                goto fail;
        }
    }
    char d[700];
    snprintf(d, sizeof d, "%s: %zu components (%s, digest %.16s)%s", obs->sources, obs->n,
             obs->format, obs->digest, obs->incomplete ? "; scan had errors: nothing removed" : "");
    if (hist(r, asset, r->now, "ingest", NULL, NULL, NULL, NULL, d))
        goto fail;
    aview av = {a.env, a.owner, a.exposure, a.kind};
    if (evaluate_asset(r, asset, &av, &cc, cb, user) || sync_sigs(r, &cc.m))
        goto fail;
    if (reg_store_commit(r->st))
        goto ferr_;
    free(keys);
    rows_free(&old);
    cache_free_all(&cc);
    return 0;
ferr_:
    ferr(r);
fail:
    reg_store_rollback(r->st);
    free(keys);
    rows_free(&old);
    cache_free_all(&cc);
    return -1;
}

/* A transaction that failed on a serialization conflict (PostgreSQL,
 * SERIALIZABLE: several hosts ingesting at once) is run again, up to
 * RETRIES times with a growing random pause; its changes were rolled back,
 * and callbacks of a failed attempt are not made (they are buffered). */
#define RETRIES 30

typedef struct chbuf {
    reg_change *v;
    char **strs;
    size_t n, cap, ns, nscap;
    int oom;
} chbuf;

static char *keep(chbuf *b, const char *s) {
    if (!s)
        return NULL;
    if (b->ns == b->nscap) {
        size_t nc = b->nscap ? b->nscap * 2 : 64;
        char **v = realloc(b->strs, nc * sizeof *v);
        if (!v) {
            b->oom = 1;
            return NULL;
        }
        b->strs = v, b->nscap = nc;
    }
    char *d = strdup(s);
    if (!d)
        b->oom = 1;
    else
        b->strs[b->ns++] = d;
    return d;
}

static void buffer_change(const reg_change *c, void *user) {
    chbuf *b = user;
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        reg_change *v = realloc(b->v, nc * sizeof *v);
        if (!v) {
            b->oom = 1;
            return;
        }
        b->v = v, b->cap = nc;
    }
    reg_change *d = &b->v[b->n++];
    *d = *c;
    d->asset = keep(b, c->asset), d->ckey = keep(b, c->ckey), d->cve = keep(b, c->cve);
    d->env = keep(b, c->env), d->severity = keep(b, c->severity);
    d->old_state = keep(b, c->old_state), d->new_state = keep(b, c->new_state);
}

static void chbuf_reset(chbuf *b) {
    for (size_t i = 0; i < b->ns; i++)
        free(b->strs[i]);
    b->n = b->ns = 0;
    b->oom = 0;
}
static void chbuf_free(chbuf *b) {
    chbuf_reset(b);
    free(b->v);
    free(b->strs);
}

/* The pause is random per process (rand_r over a seed from the process id
 * and the clock): with rand()'s one fixed sequence, processes that
 * collided once would wait the same times and collide again. */
static void backoff(int attempt) {
    static unsigned seed;
    if (!seed) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        seed = (unsigned)getpid() * 2654435761u ^ (unsigned)now.tv_nsec ^ 1u;
    }
    struct timespec ts = {0, (long)(1 + rand_r(&seed) % (attempt * 20 + 10)) * 1000000L};
    if (ts.tv_nsec > 900000000L)
        ts.tv_nsec = 900000000L;
    nanosleep(&ts, NULL);
}

static int flush(chbuf *b, int rc, reg *r, reg_change_cb cb, void *user) {
    if (!rc && b->oom) {
        snprintf(r->err, sizeof r->err, "out of memory (the change was committed)");
        rc = -1;
    }
    for (size_t i = 0; !rc && cb && i < b->n; i++)
        cb(&b->v[i], user);
    chbuf_free(b);
    return rc;
}

int reg_ingest(reg *r, const char *asset, const reg_asset_attrs *at, const reg_obs *obs,
               reg_change_cb cb, void *user, int *unchanged) {
    chbuf b = {0};
    int rc = -1;
    for (int a = 1; a <= RETRIES; a++) {
        chbuf_reset(&b);
        rc = ingest_once(r, asset, at, obs, buffer_change, &b, unchanged);
        if (!rc || !reg_store_retryable(r->st))
            break;
        backoff(a);
    }
    return flush(&b, rc, r, cb, user);
}

/* ---- evaluate everything ------------------------------------------------------------------------- */

/* CISA KEV: {"vulnerabilities":[{"cveID":"CVE-...","dueDate":"2021-12-24"}]} */
static int apply_kev(reg *r, const char *path) {
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(r->err, sizeof r->err, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return -1;
    }
    json_t *arr = json_object_get(root, "vulnerabilities");
    if (!json_is_array(arr)) {
        snprintf(r->err, sizeof r->err, "%s: \"vulnerabilities\": expected an array", path);
        json_decref(root);
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *id = json_string_value(json_object_get(v, "cveID"));
        const char *due = json_string_value(json_object_get(v, "dueDate"));
        int64_t t;
        if (!id || !due || reg_time_parse(due, &t)) {
            snprintf(r->err, sizeof r->err, "%s: vulnerabilities[%zu]: needs cveID and an ISO"
                                            " 8601 dueDate", path, i);
            json_decref(root);
            return -1;
        }
        reg_val p[2] = {RV_S(id), RV_I(t)};
        if (reg_store_exec(r->st, Q_CVE_KEV, p, 2, NULL, NULL, NULL)) {
            json_decref(root);
            return ferr(r);
        }
    }
    json_decref(root);
    return 0;
}

/* Orders component rows of Q_COMP_BY_NV by (asset, key). */
static int asset_ckey_cmp(const void *a, const void *b) {
    const srow *x = a, *y = b;
    int c = strcmp(x->f[0], y->f[0]);
    return c ? c : strcmp(x->f[1], y->f[1]);
}

/* Splits a match cache key (match_key()) into k: part[0..2] the group,
 * name and version, NULL where absent.  Returns -1 if key is not one. */
static int key_split(const char *key, char k[MKEY_MAX], char *part[3]) {
    size_t l = strlen(key);
    if (l >= MKEY_MAX)
        return -1;
    memcpy(k, key, l + 1);
    char *p = k;
    for (int i = 0; i < 3; i++) {
        char *sep = i < 2 ? strchr(p, '\x1f') : NULL;
        if (i < 2 && !sep)
            return -1;
        if (sep)
            *sep = 0;
        part[i] = strcmp(p, "\x1e") ? p : NULL;
        if (sep)
            p = sep + 1;
    }
    return 0;
}

/* Runs q with p[0..np) and moves to out the rows whose column gcol is grp
 * (NULL matching NULL). */
static int load_grp(reg *r, reg_q q, const reg_val *p, int np, int gcol, const char *grp,
                    rows *out) {
    rows t;
    if (load(r, q, p, np, &t))
        return -1;
    for (size_t i = 0; i < t.n; i++) {
        if (!same(t.v[i].f[gcol], grp))
            continue;
        if (out->n == out->cap) {
            size_t nc = out->cap ? out->cap * 2 : 256;
            srow *v = realloc(out->v, nc * sizeof *v);
            if (!v) {
                rows_free(&t);
                snprintf(r->err, sizeof r->err, "out of memory");
                return -1;
            }
            out->v = v, out->cap = nc;
        }
        out->v[out->n++] = t.v[i]; /* moves the row's block */
        t.v[i].blk = NULL;
    }
    rows_free(&t);
    return 0;
}

/* Appends the components of the (group, name, version) part[] to comps
 * (asset, then the component columns) and their stored exposures to exps
 * (asset, group, then EXP_EVAL_COLS): one statement each, not one per
 * component (a round trip each on PostgreSQL). */
static int load_triple(reg *r, char *const part[3], rows *comps, rows *exps) {
    if (!part[1])
        return 0; /* components always have a name */
    reg_val pv[2] = {RV_S(part[1]), RV_S(part[2])};
    int np = part[2] ? 2 : 1;
    if (load_grp(r, part[2] ? Q_COMP_BY_NV : Q_COMP_BY_N_NOVERSION, pv, np, 1 + C_GRP, part[0],
                 comps) ||
        load_grp(r, part[2] ? Q_EXP_BY_NV : Q_EXP_BY_N_NOVERSION, pv, np, 1, part[0], exps))
        return -1;
    return 0;
}

/* rows v[from..) whose column 0 is key: OUT: *end (rows sorted by column 0). */
static size_t range_of(const rows *t, size_t from, const char *key, size_t *end) {
    while (from < t->n && strcmp(t->v[from].f[0], key) < 0)
        from++;
    size_t e = from;
    while (e < t->n && !strcmp(t->v[e].f[0], key))
        e++;
    *end = e;
    return from;
}

/* A view of rows t->v[from..to) without their first `drop` columns
 * (pointers into t's rows: free only view->v). */
static int view_of(reg *r, const rows *t, size_t from, size_t to, int drop, rows *view) {
    memset(view, 0, sizeof *view);
    if (from == to)
        return 0;
    if (!(view->v = calloc(to - from, sizeof *view->v))) {
        snprintf(r->err, sizeof r->err, "out of memory");
        return -1;
    }
    view->n = view->cap = to - from;
    for (size_t k = 0; k < view->n; k++)
        for (int c = 0; c + drop < ROW_MAX_COLS; c++)
            view->v[k].f[c] = t->v[from + k].f[c + drop];
    return 0;
}

/* The attributes of an asset row of Q_ASSET_ATTRS (name env owner exposure kind). */
static aview aview_of(const srow *a) {
    aview av = {a->f[1], a->f[2] ? a->f[2] : "", a->f[3], a->f[4]};
    return av;
}

/* Evaluates only what changed since the last evaluation: the components
 * whose (group, name, version) matches differently now (signature unlike
 * the stored one, or marked stale), and whole assets whose controls
 * expired since then.  Returns 0, -1 on error, or 1 when it cannot tell
 * (a match without a signature): then nothing was written and a full pass
 * must run. */
static int evaluate_changed(reg *r, int64_t since, cvecache *cc, reg_change_cb cb, void *user) {
    rows m = {0}, comps = {0}, exps = {0}, ctls = {0}, attrs = {0}, expired = {0};
    const char **changed = NULL;
    size_t nchanged = 0;
    int rc = -1;
    if (load(r, Q_MATCH_LIST, NULL, 0, &m))
        return -1;
    if (m.n && !(changed = malloc(m.n * sizeof *changed))) {
        snprintf(r->err, sizeof r->err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < m.n; i++) {
        const char *key = m.v[i].f[0], *stored = m.v[i].f[1] ? m.v[i].f[1] : "";
        char k[MKEY_MAX], *part[3];
        if (key_split(key, k, part)) {
            rc = 1; /* not a key of this program: read everything */
            goto out;
        }
        defuse_component_vuln vv[DEFUSE_INV_MAX_VULNS];
        size_t n = 0;
        int pr = match_cached(r->vdb, &cc->m, part[0], part[1], part[2], vv,
                              DEFUSE_INV_MAX_VULNS, &n);
        const mentry *e = mcache_find(&cc->m, key);
        if ((pr < 0 && pr != DEFUSE_ENOENT) || !e) {
            rc = 1; /* no signature to compare: read everything */
            goto out;
        }
        if (strcmp(e->sig, stored)) {
            changed[nchanged++] = key;
            if (load_triple(r, part, &comps, &exps))
                goto out;
        }
    }
    reg_val pe[2] = {RV_I(since), RV_I(r->now)};
    if (load(r, Q_ASSET_ATTRS, NULL, 0, &attrs) || load(r, Q_CTL_EXPIRED, pe, 2, &expired) ||
        (comps.n && load(r, Q_CTL_ALL, NULL, 0, &ctls)))
        goto out;
    rows_sort(&attrs);
    rows_sort(&expired);
    if (comps.n > 1)
        qsort(comps.v, comps.n, sizeof *comps.v, asset_ckey_cmp);
    if (exps.n > 1)
        qsort(exps.v, exps.n, sizeof *exps.v, srow_cmp);
    if (ctls.n > 1)
        qsort(ctls.v, ctls.n, sizeof *ctls.v, srow_cmp);
    size_t xi = 0, ci = 0;
    for (size_t i = 0, j; i < comps.n; i = j) {
        const char *asset = comps.v[i].f[0];
        for (j = i + 1; j < comps.n && !strcmp(comps.v[j].f[0], asset); j++)
            ;
        size_t xe, ce;
        xi = range_of(&exps, xi, asset, &xe);
        ci = range_of(&ctls, ci, asset, &ce);
        const srow *a = rows_find(&attrs, asset);
        if (!a || rows_find(&expired, asset))
            continue; /* no such asset (cannot happen), or evaluated whole below */
        aview av = aview_of(a);
        /* the asset's rows seen as evaluate_rows() takes them */
        rows cv = {0}, ex = {0}, ctl = {0};
        int erc = -1;
        if (!view_of(r, &comps, i, j, 1, &cv) && !view_of(r, &exps, xi, xe, 2, &ex) &&
            !view_of(r, &ctls, ci, ce, 1, &ctl))
            erc = evaluate_rows(r, asset, &av, &cv, &ex, &ctl, cc, cb, user);
        free(cv.v);
        free(ex.v);
        free(ctl.v);
        if (erc)
            goto out;
    }
    for (size_t i = 0; i < expired.n; i++) {
        const srow *a = rows_find(&attrs, expired.v[i].f[0]);
        if (!a)
            continue;
        aview av = aview_of(a);
        if (evaluate_asset(r, a->f[0], &av, cc, cb, user))
            goto out;
    }
    for (size_t i = 0; i < nchanged; i++) {
        mentry *e = mcache_find(&cc->m, changed[i]);
        reg_val q[2] = {RV_S(changed[i]), RV_S(e ? e->sig : "")};
        if (reg_store_exec(r->st, Q_MATCH_PUT, q, 2, NULL, NULL, NULL)) {
            ferr(r);
            goto out;
        }
        if (e)
            e->synced = 1;
    }
    /* triples met while evaluating expired assets */
    rc = sync_sigs(r, &cc->m);
out:
    free(changed);
    rows_free(&m);
    rows_free(&comps);
    rows_free(&exps);
    rows_free(&ctls);
    rows_free(&attrs);
    rows_free(&expired);
    return rc;
}

/* Every asset, every component; then the stored signatures are those of
 * this data. */
static int evaluate_full(reg *r, const char *kev, cvecache *cc, reg_change_cb cb, void *user) {
    rows as = {0};
    int rc = -1;
    /* KEV dates go to CVEs the register knows; learn the data's CVEs
     * first by evaluating, then cap the clocks and evaluate again */
    if (load(r, Q_ASSET_ATTRS, NULL, 0, &as))
        return -1;
    for (int pass = 0; pass < (kev ? 2 : 1); pass++) {
        if (pass == 1) {
            if (apply_kev(r, kev))
                goto out;
            cve_cache_free(cc);
            cc->nassets = cc->ncomp = 0;
        }
        for (size_t i = 0; i < as.n; i++) {
            const srow *a = &as.v[i];
            aview av = aview_of(a);
            if (evaluate_asset(r, a->f[0], &av, cc, cb, user))
                goto out;
        }
    }
    if (reg_store_exec(r->st, Q_MATCH_CLEAR, NULL, 0, NULL, NULL, NULL)) {
        ferr(r);
        goto out;
    }
    for (size_t i = 0; i < cc->m.cap; i++) {
        mentry *e = &cc->m.e[i];
        if (!e->key)
            continue;
        reg_val q[2] = {RV_S(e->key), RV_S(e->sig)};
        if (reg_store_exec(r->st, Q_MATCH_PUT, q, 2, NULL, NULL, NULL)) {
            ferr(r);
            goto out;
        }
        e->synced = 1;
    }
    rc = meta_put(r, "full", cc->m.uncached ? "1" : "0");
out:
    rows_free(&as);
    return rc;
}

static int evaluate_once(reg *r, const char *kev, int full, reg_change_cb cb, void *user,
                         reg_eval_stats *st) {
    memset(st, 0, sizeof *st);
    if (!r->vdb) {
        snprintf(r->err, sizeof r->err, "no vulnerability data");
        return -1;
    }
    int64_t need_full = 0, since = 0;
    /* a pass over everything maps the file (reg_store_bulk()); reading a
     * few components through the index does better without: 3.6 s for
     * 53,460 components of 10,000 x 200, 4.0 s mapped.  (Read again
     * below, in the transaction, for the decision itself.) */
    if (meta_get_i64(r, "full", 0, &need_full) ||
        ((full || kev || need_full) && reg_store_bulk(r->st)) || reg_store_begin(r->st))
        return ferr(r);
    cvecache cc = {0};
    if (meta_get_i64(r, "full", 0, &need_full) || meta_get_i64(r, "evaluated_at", 0, &since))
        goto fail;
    /* a KEV file or an SLA change moves clocks of every CVE; a clock set
     * back (DEFUSE_NOW) may revive expired controls */
    int rc = 1;
    if (!full && !kev && !need_full && since <= r->now)
        rc = evaluate_changed(r, since, &cc, cb, user);
    if (rc < 0)
        goto fail;
    if (rc > 0) {
        st->full = 1;
        if (evaluate_full(r, kev, &cc, cb, user))
            goto fail;
    }
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)r->now);
    if (meta_put(r, "evaluated_at", now))
        goto fail;
    if (reg_store_commit(r->st)) {
        ferr(r);
        goto fail;
    }
    st->assets = cc.nassets;
    st->components = cc.ncomp;
    cache_free_all(&cc);
    return 0;
fail:
    reg_store_rollback(r->st);
    cache_free_all(&cc);
    return -1;
}

int reg_evaluate_all(reg *r, const char *kev, int full, reg_change_cb cb, void *user,
                     reg_eval_stats *st) {
    chbuf b = {0};
    int rc = -1;
    for (int a = 1; a <= RETRIES; a++) {
        chbuf_reset(&b);
        rc = evaluate_once(r, kev, full, buffer_change, &b, st);
        if (!rc || !reg_store_retryable(r->st))
            break;
        backoff(a);
    }
    return flush(&b, rc, r, cb, user);
}

/* ---- controls and verdicts ---------------------------------------------------------------------- */

static int record_control_once(reg *r, const char *asset, const char *cve, const char *kind,
                               const char *control, const char *evidence, int64_t expires,
                               reg_change_cb cb, void *user) {
    if (reg_store_begin(r->st))
        return ferr(r);
    asset_row a;
    cvecache cc = {0};
    if (get_asset(r, asset, &a))
        goto fail;
    if (!a.found) {
        snprintf(r->err, sizeof r->err, "no asset named %s", asset);
        goto fail;
    }
    reg_val p[8] = {RV_S(asset),    RV_S(cve),  RV_S(kind),   RV_S(control),
                    RV_S(evidence), RV_S(r->by), RV_I(r->now), expires ? RV_I(expires) : RV_N};
    if (reg_store_exec(r->st, Q_CTL_UPSERT, p, 8, NULL, NULL, NULL)) {
        ferr(r);
        goto fail;
    }
    char d[1024], ex[32] = "never";
    if (expires)
        reg_time_format(expires, ex);
    snprintf(d, sizeof d, "%s: %s (expires %s)", control, evidence, ex);
    if (hist(r, asset, r->now, kind, cve, NULL, NULL, NULL, d))
        goto fail;
    aview av = {a.env, a.owner, a.exposure, a.kind};
    if (evaluate_asset(r, asset, &av, &cc, cb, user) || sync_sigs(r, &cc.m))
        goto fail;
    if (reg_store_commit(r->st)) {
        ferr(r);
        goto fail;
    }
    cache_free_all(&cc);
    return 0;
fail:
    reg_store_rollback(r->st);
    cache_free_all(&cc);
    return -1;
}

/* Validation first (never retried), then the transaction, run again
 * when PostgreSQL cancels it on a serialization conflict (as ingest). */
int reg_record_control(reg *r, const char *asset, const char *cve, const char *kind,
                       const char *control, const char *evidence, int64_t expires,
                       reg_change_cb cb, void *user) {
    if (!strcmp(kind, "mitigation")) {
        const reg_control *c = reg_control_find(control);
        if (!c) {
            snprintf(r->err, sizeof r->err, "unknown control \"%s\" (see --help for the table)",
                     control);
            return -1;
        }
        if (!reg_control_covers(c, cve)) {
            char cov[256] = "";
            for (size_t i = 0; i < REG_CONTROL_MAX_CVES && c->covers[i]; i++) {
                size_t l = strlen(cov);
                snprintf(cov + l, sizeof cov - l, "%s%s", l ? ", " : "", c->covers[i]);
            }
            snprintf(r->err, sizeof r->err, "control %s does not cover %s (it covers: %s)", c->name,
                     cve, *cov ? cov : "no CVE");
            return -1;
        }
        control = c->name;
    }
    if (!r->vdb) {
        snprintf(r->err, sizeof r->err, "no vulnerability data");
        return -1;
    }
    chbuf b = {0};
    int rc = -1;
    for (int a = 1; a <= RETRIES; a++) {
        chbuf_reset(&b);
        rc = record_control_once(r, asset, cve, kind, control, evidence, expires, buffer_change,
                                 &b);
        if (!rc || !reg_store_retryable(r->st))
            break;
        backoff(a);
    }
    return flush(&b, rc, r, cb, user);
}

static const char *const verdicts[] = {"exploitable", "not-reached", "blocked", "unreachable"};

int reg_valid_verdict(const char *v) {
    for (size_t i = 0; v && i < sizeof verdicts / sizeof verdicts[0]; i++)
        if (!strcmp(v, verdicts[i]))
            return 1;
    return 0;
}

static int record_verdict_once(reg *r, const char *asset, const reg_asset_attrs *at,
                               const char *verdict, int64_t when, const char *detail) {
    if (reg_store_begin(r->st))
        return ferr(r);
    asset_row a;
    if (put_asset(r, asset, at, &a))
        goto fail;
    reg_val p[4] = {RV_S(asset), RV_S(verdict), RV_I(when), RV_S(detail)};
    if (reg_store_exec(r->st, Q_ASSET_VERDICT, p, 4, NULL, NULL, NULL)) {
        ferr(r);
        goto fail;
    }
    if (hist(r, asset, when, "probe", NULL, NULL, NULL, verdict, detail))
        goto fail;
    if (reg_store_commit(r->st)) {
        ferr(r);
        goto fail;
    }
    return 0;
fail:
    reg_store_rollback(r->st);
    return -1;
}

int reg_record_verdict(reg *r, const char *asset, const reg_asset_attrs *at, const char *verdict,
                       int64_t when, const char *detail) {
    if (!asset || !*asset || strlen(asset) > REG_MAX_FIELD) {
        snprintf(r->err, sizeof r->err, "an asset name of 1 to %u bytes is required",
                 REG_MAX_FIELD);
        return -1;
    }
    if (!reg_valid_verdict(verdict)) {
        snprintf(r->err, sizeof r->err,
                 "verdict \"%.64s\": one of exploitable, not-reached, blocked, unreachable",
                 verdict ? verdict : "");
        return -1;
    }
    char d[REG_MAX_FIELD + 1];
    snprintf(d, sizeof d, "%s", detail ? detail : "");
    int rc = -1;
    for (int k = 1; k <= RETRIES; k++) {
        rc = record_verdict_once(r, asset, at, verdict, when ? when : r->now, d);
        if (!rc || !reg_store_retryable(r->st))
            break;
        backoff(k);
    }
    return rc;
}

int reg_set_sla(reg *r, const char *severity, const char *env, int64_t hours) {
    if (reg_sla_set(&r->sla, severity, env, hours)) {
        snprintf(r->err, sizeof r->err, "bad SLA rule %s@%s=%lld", severity, env,
                 (long long)hours);
        return -1;
    }
    reg_val p[3] = {RV_S(severity), RV_S(env), RV_I(hours)};
    if (reg_store_begin(r->st))
        return ferr(r);
    /* every clock moves at the next evaluate */
    if (reg_store_exec(r->st, Q_SLA_SET, p, 3, NULL, NULL, NULL) || meta_put(r, "full", "1") ||
        reg_store_commit(r->st)) {
        if (!*r->err)
            ferr(r);
        reg_store_rollback(r->st);
        return -1;
    }
    return 0;
}

/* ---- queries ------------------------------------------------------------------------------------ */

typedef struct qctx {
    reg_exposure_cb cb;
    void *user;
    rows cves; /* id, severity, cvss, first_learned, kev_due: sorted by id */
    const srow *last;
} qctx;

static int exp_row(void *user, int ncol, const char *const *c) {
    qctx *q = user;
    if (ncol < 18)
        return 1;
    /* the CVE of a row is mostly the one of the row before */
    const srow *v = q->last && !strcmp(q->last->f[0], c[2]) ? q->last : rows_find(&q->cves, c[2]);
    q->last = v;
    reg_exposure e = {
        .asset = c[0], .ckey = c[1], .cve = c[2], .env = c[3], .state = c[4],
        .certain = c[5] ? atoi(c[5]) : 0, .opened_at = i64(c[6]), .due_at = i64(c[7]),
        .closed_at = i64(c[8]), .evidence = c[9] ? c[9] : "", .product = c[10],
        .version = c[11], .purl = c[12], .path = c[13], .owner = c[14] ? c[14] : "",
        .exposure = c[15], .kind = c[16], .severity = v ? v->f[1] : NULL,
        .cvss = v && v->f[2] ? atof(v->f[2]) : 0, .updated_at = i64(c[17])};
    return q->cb(&e, q->user);
}

int reg_query_exposures(reg *r, const char *cve, const char *env, const char *asset,
                        const char *purl, int open_only, reg_exposure_cb cb, void *user) {
    qctx q = {cb, user, {0}, NULL};
    reg_val p[5] = {RV_S(cve), RV_S(env), RV_S(asset), RV_S(purl), RV_I(open_only)};
    reg_q which = cve && env ? Q_EXP_QUERY_CVE_ENV
                  : cve      ? Q_EXP_QUERY_CVE
                  : asset    ? Q_EXP_QUERY_ASSET
                             : Q_EXP_QUERY;
    if (load(r, Q_CVE_LIST, NULL, 0, &q.cves))
        return -1;
    rows_sort(&q.cves);
    int rc = reg_store_exec(r->st, which, p, 5, exp_row, &q, NULL) ? ferr(r) : 0;
    rows_free(&q.cves);
    return rc;
}

/* ---- vendors -------------------------------------------------------------------------------------- */

static const char *const vendor_status[] = {"unknown", "affected", "not-affected", "fixed",
                                            "mitigated"};

int reg_valid_vendor_status(const char *v) {
    for (size_t i = 0; v && i < sizeof vendor_status / sizeof vendor_status[0]; i++)
        if (!strcmp(v, vendor_status[i]))
            return 1;
    return 0;
}

static int vendor_one(void *user, int ncol, const char *const *c) {
    rows *t = user;
    return rows_cb(t, ncol, c);
}

static int vendor_put_once(reg *r, const reg_vendor *v) {
    if (reg_store_begin(r->st))
        return ferr(r);
    rows all = {0};
    reg_val pl[1] = {RV_N};
    memset(&all, 0, sizeof all);
    if (reg_store_exec(r->st, Q_VENDOR_LIST, pl, 1, vendor_one, &all, NULL) || all.oom) {
        ferr(r);
        goto fail;
    }
    const srow *o = NULL;
    for (size_t i = 0; i < all.n; i++)
        if (!strcmp(all.v[i].f[0], v->name))
            o = &all.v[i];
#define KEEP_S(x, k) ((x) ? (x) : o && o->f[k] ? o->f[k] : "")
#define KEEP_T(x, k) ((x) ? RV_I(x) : o && o->f[k] ? RV_I(atoll(o->f[k])) : RV_N)
    reg_val p[12] = {RV_S(v->name),
                     RV_S(KEEP_S(v->products, 1)),
                     RV_S(KEEP_S(v->data_access, 2)),
                     RV_S(v->status ? v->status : o ? o->f[3] : "unknown"),
                     RV_S(KEEP_S(v->statement, 4)),
                     KEEP_T(v->contacted_at, 5),
                     KEEP_T(v->answered_at, 6),
                     RV_S(KEEP_S(v->access_limit, 7)),
                     KEEP_T(v->limit_lifted_at, 8),
                     KEEP_T(v->next_followup, 9),
                     RV_S(KEEP_S(v->owner, 10)),
                     RV_I(r->now)};
#undef KEEP_S
#undef KEEP_T
    if (reg_store_exec(r->st, Q_VENDOR_UPSERT, p, 12, NULL, NULL, NULL)) {
        ferr(r);
        goto fail;
    }
    char who[300], d[600];
    snprintf(who, sizeof who, "vendor:%.256s", v->name);
    snprintf(d, sizeof d, "status %s%s%.200s%s%.200s", p[3].s, *p[7].s ? "; access limited: " : "",
             p[7].s, *p[4].s ? "; statement: " : "", p[4].s);
    if (hist(r, who, r->now, o ? "vendor-updated" : "vendor-added", NULL, NULL,
             o ? o->f[3] : NULL, p[3].s, d))
        goto fail;
    if (reg_store_commit(r->st)) {
        ferr(r);
        goto fail;
    }
    rows_free(&all);
    return 0;
fail:
    reg_store_rollback(r->st);
    rows_free(&all);
    return -1;
}

int reg_vendor_put(reg *r, const reg_vendor *v) {
    if (!v->name || !*v->name) {
        snprintf(r->err, sizeof r->err, "a vendor needs a name");
        return -1;
    }
    if (v->status && !reg_valid_vendor_status(v->status)) {
        snprintf(r->err, sizeof r->err,
                 "vendor status \"%s\": use unknown, affected, not-affected, fixed or mitigated",
                 v->status);
        return -1;
    }
    int rc = -1;
    for (int a = 1; a <= RETRIES; a++) {
        rc = vendor_put_once(r, v);
        if (!rc || !reg_store_retryable(r->st))
            break;
        backoff(a);
    }
    return rc;
}

int reg_vendor_list(reg *r, int overdue, reg_row_cb cb, void *user) {
    reg_val p[1] = {overdue ? RV_I(r->now) : RV_N};
    return reg_store_exec(r->st, Q_VENDOR_LIST, p, 1, cb, user, NULL) ? ferr(r) : 0;
}
