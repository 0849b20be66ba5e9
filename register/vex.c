/*
 * vex.c -- exporting the register's verdicts as VEX, so that grype, trivy
 * and Dependency-Track read them: CycloneDX 1.5 VEX (vulnerabilities[] with
 * analysis and affects) and OpenVEX 0.2.0 (statements).  One table maps
 * each exposure state to both vocabularies (docs/register.md, "VEX").
 */
#include "vex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct vexmap {
    reg_state st;
    const char *cdx_state, *cdx_justification, *cdx_response;
    const char *ovx_status, *ovx_justification;
} vexmap[] = {
    {REG_ST_AFFECTED, "exploitable", NULL, "update", "affected", NULL},
    {REG_ST_REVIEW, "in_triage", NULL, NULL, "under_investigation", NULL},
    {REG_ST_MITIGATED, "not_affected", "protected_by_mitigating_control", "workaround_available",
     "not_affected", "inline_mitigations_already_exist"},
    {REG_ST_ACCEPTED, "exploitable", NULL, "will_not_fix", "affected", NULL},
    {REG_ST_FALSE_POSITIVE, "false_positive", NULL, NULL, "not_affected",
     "component_not_present"},
    {REG_ST_FIXED, "resolved", NULL, "update", "fixed", NULL},
};

static const struct vexmap *map_of(const char *state) {
    int st = reg_state_by_name(state);
    for (size_t i = 0; i < sizeof vexmap / sizeof vexmap[0]; i++)
        if ((int)vexmap[i].st == st)
            return &vexmap[i];
    return NULL;
}

typedef struct vctx {
    int format;
    json_t *components, *vulns, *statements, *refs;
    int oom;
} vctx;

static json_t *tstr(int64_t t) {
    char b[32];
    reg_time_format(t, b);
    return json_string(b);
}

static int vex_row(const reg_exposure *e, void *user) {
    vctx *x = user;
    const struct vexmap *m = map_of(e->state);
    if (!m)
        return 0;
    char ref[1024];
    snprintf(ref, sizeof ref, "%s/%s", e->asset, e->ckey);
    if (x->format == REG_VEX_CYCLONEDX) {
        if (!json_object_get(x->refs, ref)) {
            json_t *c = json_pack("{s:s,s:s,s:s}", "type", "library", "bom-ref", ref, "name",
                                  e->product ? e->product : e->ckey);
            if (!c)
                return x->oom = 1;
            if (e->version)
                json_object_set_new(c, "version", json_string(e->version));
            if (e->purl)
                json_object_set_new(c, "purl", json_string(e->purl));
            json_object_set_new(c, "properties",
                                json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s?}]", "name",
                                          "defuse:asset", "value", e->asset, "name", "defuse:env",
                                          "value", e->env, "name", "defuse:path", "value",
                                          e->path));
            json_array_append_new(x->components, c);
            json_object_set_new(x->refs, ref, json_true());
        }
        json_t *an = json_pack("{s:s,s:s}", "state", m->cdx_state, "detail", e->evidence);
        if (m->cdx_justification)
            json_object_set_new(an, "justification", json_string(m->cdx_justification));
        if (m->cdx_response)
            json_object_set_new(an, "response", json_pack("[s]", m->cdx_response));
        json_object_set_new(an, "lastUpdated", tstr(e->updated_at));
        json_t *v = json_pack("{s:s,s:{s:s},s:[{s:f,s:s,s:s}],s:o,s:[{s:s}]}", "id", e->cve,
                              "source", "name", "NVD", "ratings", "score", e->cvss, "severity",
                              e->severity ? e->severity : "unknown", "method", "CVSSv31",
                              "analysis", an, "affects", "ref", ref);
        if (!v)
            return x->oom = 1;
        json_array_append_new(x->vulns, v);
    } else {
        char asset_id[600];
        snprintf(asset_id, sizeof asset_id, "urn:defuse:asset:%s", e->asset);
        json_t *sub = json_pack("{s:s}", "@id", e->purl ? e->purl : ref);
        json_t *s = json_pack("{s:{s:s},s:[{s:s,s:[o]}],s:s,s:o}", "vulnerability", "name",
                              e->cve, "products", "@id", asset_id, "subcomponents", sub, "status",
                              m->ovx_status, "timestamp", tstr(e->updated_at));
        if (!s)
            return x->oom = 1;
        if (m->ovx_justification) {
            json_object_set_new(s, "justification", json_string(m->ovx_justification));
            json_object_set_new(s, "impact_statement", json_string(e->evidence));
        }
        if (!strcmp(m->ovx_status, "affected"))
            json_object_set_new(s, "action_statement",
                                json_string(reg_state_by_name(e->state) == REG_ST_ACCEPTED
                                                ? e->evidence
                                                : "update to a fixed version"));
        json_array_append_new(x->statements, s);
    }
    return 0;
}

json_t *reg_vex_export(reg *r, int format, const char *asset, const char *env) {
    vctx x = {format, json_array(), json_array(), json_array(), json_object(), 0};
    json_t *doc = NULL;
    if (reg_query_exposures(r, NULL, env, asset, NULL, 0, vex_row, &x) || x.oom) {
        if (x.oom)
            snprintf(r->err, sizeof r->err, "out of memory");
        goto out;
    }
    if (format == REG_VEX_CYCLONEDX) {
        doc = json_pack("{s:s,s:s,s:i,s:{s:o,s:[{s:s,s:s}]},s:O,s:O}", "bomFormat", "CycloneDX",
                        "specVersion", "1.5", "version", 1, "metadata", "timestamp",
                        tstr(r->now), "tools", "vendor", "defuse", "name", "defuse register",
                        "components", x.components, "vulnerabilities", x.vulns);
    } else {
        char id[128];
        snprintf(id, sizeof id, "urn:defuse:vex:%lld", (long long)r->now);
        doc = json_pack("{s:s,s:s,s:s,s:o,s:i,s:O}", "@context", "https://openvex.dev/ns/v0.2.0",
                        "@id", id, "author", r->by, "timestamp", tstr(r->now), "version", 1,
                        "statements", x.statements);
    }
    if (!doc)
        snprintf(r->err, sizeof r->err, "out of memory");
out:
    json_decref(x.components);
    json_decref(x.vulns);
    json_decref(x.statements);
    json_decref(x.refs);
    return doc;
}

/* ---- import ------------------------------------------------------------------------------- */

/* What a VEX state or status records in the register: a verdict kind, or
 * nothing (NULL).  A fix is only ever seen by a rescan; "exploitable" and
 * "affected" are the register's own finding; triage is its review state. */
static const struct vexin {
    int format;
    const char *state;
    const char *kind; /* NULL: recorded nowhere */
} vexin[] = {
    {REG_VEX_CYCLONEDX, "not_affected", "false-positive"},
    {REG_VEX_CYCLONEDX, "false_positive", "false-positive"},
    {REG_VEX_CYCLONEDX, "exploitable", NULL}, /* "accepted" with will_not_fix/can_not_fix */
    {REG_VEX_CYCLONEDX, "in_triage", NULL},
    {REG_VEX_CYCLONEDX, "resolved", NULL},
    {REG_VEX_CYCLONEDX, "resolved_with_pedigree", NULL},
    {REG_VEX_OPENVEX, "not_affected", "false-positive"},
    {REG_VEX_OPENVEX, "affected", NULL},
    {REG_VEX_OPENVEX, "fixed", NULL},
    {REG_VEX_OPENVEX, "under_investigation", NULL},
};

#define VEX_MAX_ITEMS 100000u /* statements x products of one document */

typedef struct vitem {
    char *cve, *purl, *asset, *reason;
    const char *kind;
} vitem;

typedef struct vlist {
    vitem *v;
    size_t n, cap;
} vlist;

static void vlist_free(vlist *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].cve), free(l->v[i].purl), free(l->v[i].asset), free(l->v[i].reason);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int vlist_add(vlist *l, const char *cve, const char *purl, const char *asset,
                     const char *kind, const char *reason) {
    if (l->n == VEX_MAX_ITEMS)
        return -1;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        vitem *v = realloc(l->v, nc * sizeof *v);
        if (!v)
            return -1;
        l->v = v, l->cap = nc;
    }
    vitem *x = &l->v[l->n];
    x->cve = strdup(cve);
    x->purl = purl ? strdup(purl) : NULL;
    x->asset = asset ? strdup(asset) : NULL;
    x->reason = strdup(reason);
    x->kind = kind;
    if (!x->cve || !x->reason || (purl && !x->purl) || (asset && !x->asset)) {
        free(x->cve), free(x->purl), free(x->asset), free(x->reason);
        return -1;
    }
    l->n++;
    return 0;
}

static const char *state_kind(int format, const char *state, int *known) {
    *known = 0;
    for (size_t i = 0; state && i < sizeof vexin / sizeof vexin[0]; i++)
        if (vexin[i].format == format && !strcmp(vexin[i].state, state)) {
            *known = 1;
            return vexin[i].kind;
        }
    return NULL;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* CycloneDX: vulnerabilities[].{id, analysis{state, justification,
 * response[], detail}, affects[].ref}; a ref names a component's bom-ref
 * (its purl and, in the register's own export, its defuse:asset
 * property) or is a purl itself. */
static int read_cdx(reg *r, const char *path, json_t *doc, vlist *out) {
    json_t *comps = json_object_get(doc, "components"), *vulns = json_object_get(doc, "vulnerabilities");
    if (!json_is_array(vulns)) {
        snprintf(r->err, sizeof r->err, "%s: \"vulnerabilities\": expected an array", path);
        return -1;
    }
    size_t i, k;
    json_t *v, *a;
    json_array_foreach(vulns, i, v) {
        const char *id = json_string_value(json_object_get(v, "id"));
        json_t *an = json_object_get(v, "analysis");
        const char *state = json_string_value(json_object_get(an, "state"));
        if (!id || !state) {
            snprintf(r->err, sizeof r->err, "%s: vulnerabilities[%zu]: needs \"id\" and"
                                            " \"analysis\".\"state\"", path, i);
            return -1;
        }
        int known;
        const char *kind = state_kind(REG_VEX_CYCLONEDX, state, &known);
        if (!known) {
            snprintf(r->err, sizeof r->err, "%s: vulnerabilities[%zu].analysis.state: \"%.64s\""
                     " is not a CycloneDX analysis state", path, i, state);
            return -1;
        }
        if (!strcmp(state, "exploitable")) {
            json_t *resp;
            json_array_foreach(json_object_get(an, "response"), k, resp) {
                const char *rs = json_string_value(resp);
                if (rs && (!strcmp(rs, "will_not_fix") || !strcmp(rs, "can_not_fix")))
                    kind = "accepted";
            }
        }
        const char *just = json_string_value(json_object_get(an, "justification"));
        const char *detail = json_string_value(json_object_get(an, "detail"));
        char reason[1024];
        snprintf(reason, sizeof reason, "VEX %.200s: %s%s%.64s%s%s%.600s", base_name(path), state,
                 just ? " (" : "", just ? just : "", just ? ")" : "", detail ? ": " : "",
                 detail ? detail : "");
        json_array_foreach(json_object_get(v, "affects"), k, a) {
            const char *ref = json_string_value(json_object_get(a, "ref"));
            if (!ref) {
                snprintf(r->err, sizeof r->err, "%s: vulnerabilities[%zu].affects[%zu]: no \"ref\"",
                         path, i, k);
                return -1;
            }
            const char *purl = !strncmp(ref, "pkg:", 4) ? ref : NULL, *asset = NULL;
            size_t ci;
            json_t *c;
            json_array_foreach(comps, ci, c) {
                const char *br = json_string_value(json_object_get(c, "bom-ref"));
                if (!br || strcmp(br, ref))
                    continue;
                purl = json_string_value(json_object_get(c, "purl"));
                size_t pi;
                json_t *pr;
                json_array_foreach(json_object_get(c, "properties"), pi, pr) {
                    const char *pn = json_string_value(json_object_get(pr, "name"));
                    if (pn && !strcmp(pn, "defuse:asset"))
                        asset = json_string_value(json_object_get(pr, "value"));
                }
                break;
            }
            if (kind && vlist_add(out, id, purl, asset, kind, reason)) {
                snprintf(r->err, sizeof r->err, "%s: out of memory or more than %u statements",
                         path, VEX_MAX_ITEMS);
                return -1;
            }
        }
    }
    return 0;
}

/* OpenVEX: statements[].{vulnerability{name} (or a string), products[]
 * ({"@id": purl} or a string; the register's export: "urn:defuse:asset:A"
 * with subcomponents[{"@id": purl}]), status, justification,
 * impact_statement}. */
static int read_openvex(reg *r, const char *path, json_t *doc, vlist *out) {
    json_t *sts = json_object_get(doc, "statements");
    if (!json_is_array(sts)) {
        snprintf(r->err, sizeof r->err, "%s: \"statements\": expected an array", path);
        return -1;
    }
    size_t i, k;
    json_t *s, *p;
    json_array_foreach(sts, i, s) {
        json_t *vu = json_object_get(s, "vulnerability");
        const char *id = json_is_string(vu) ? json_string_value(vu)
                                            : json_string_value(json_object_get(vu, "name"));
        const char *status = json_string_value(json_object_get(s, "status"));
        if (!id || !status) {
            snprintf(r->err, sizeof r->err, "%s: statements[%zu]: needs a vulnerability name and"
                                            " a \"status\"", path, i);
            return -1;
        }
        int known;
        const char *kind = state_kind(REG_VEX_OPENVEX, status, &known);
        if (!known) {
            snprintf(r->err, sizeof r->err, "%s: statements[%zu].status: \"%.64s\" is not an"
                     " OpenVEX status", path, i, status);
            return -1;
        }
        const char *just = json_string_value(json_object_get(s, "justification"));
        const char *imp = json_string_value(json_object_get(s, "impact_statement"));
        char reason[1024];
        snprintf(reason, sizeof reason, "VEX %.200s: %s%s%.64s%s%s%.600s", base_name(path), status,
                 just ? " (" : "", just ? just : "", just ? ")" : "", imp ? ": " : "",
                 imp ? imp : "");
        json_array_foreach(json_object_get(s, "products"), k, p) {
            const char *pid = json_is_string(p) ? json_string_value(p)
                                                : json_string_value(json_object_get(p, "@id"));
            if (!pid) {
                snprintf(r->err, sizeof r->err, "%s: statements[%zu].products[%zu]: no \"@id\"",
                         path, i, k);
                return -1;
            }
            const char *asset = NULL, *purl = NULL;
            if (!strncmp(pid, "urn:defuse:asset:", 17))
                asset = pid + 17;
            else if (!strncmp(pid, "pkg:", 4))
                purl = pid;
            json_t *subs = json_object_get(p, "subcomponents"), *sc;
            size_t si;
            int added = 0;
            json_array_foreach(subs, si, sc) {
                const char *sp = json_string_value(json_object_get(sc, "@id"));
                if (kind && sp && !strncmp(sp, "pkg:", 4)) {
                    if (vlist_add(out, id, sp, asset, kind, reason))
                        goto oom;
                    added = 1;
                }
            }
            if (kind && !added && (asset || purl) && vlist_add(out, id, purl, asset, kind, reason))
                goto oom;
        }
    }
    return 0;
oom:
    snprintf(r->err, sizeof r->err, "%s: out of memory or more than %u statements", path,
             VEX_MAX_ITEMS);
    return -1;
}

typedef struct target {
    char asset[512];
    int done; /* already in the state the statement records */
} target;
typedef struct tctx {
    target *t;
    size_t n, cap;
    const char *want;
    int oom;
} tctx;

static int target_row(const reg_exposure *e, void *user) {
    tctx *x = user;
    for (size_t i = 0; i < x->n; i++)
        if (!strcmp(x->t[i].asset, e->asset)) {
            x->t[i].done &= !strcmp(e->state, x->want);
            return 0;
        }
    if (x->n == x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 8;
        target *v = realloc(x->t, nc * sizeof *v);
        if (!v)
            return x->oom = 1;
        x->t = v, x->cap = nc;
    }
    snprintf(x->t[x->n].asset, sizeof x->t[x->n].asset, "%s", e->asset);
    x->t[x->n].done = !strcmp(e->state, x->want);
    x->n++;
    return 0;
}

int reg_vex_import(reg *r, const char *path, size_t *recorded, size_t *skipped) {
    *recorded = *skipped = 0;
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        snprintf(r->err, sizeof r->err, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return -1;
    }
    vlist l = {0};
    int rc = -1;
    const char *bf = json_string_value(json_object_get(doc, "bomFormat"));
    if (bf && !strcmp(bf, "CycloneDX"))
        rc = read_cdx(r, path, doc, &l);
    else if (json_is_array(json_object_get(doc, "statements")))
        rc = read_openvex(r, path, doc, &l);
    else
        snprintf(r->err, sizeof r->err, "%s: neither a CycloneDX VEX (\"bomFormat\") nor an"
                                        " OpenVEX document (\"statements\")", path);
    json_decref(doc);
    if (rc) {
        vlist_free(&l);
        return -1;
    }
    /* the whole document is read and checked before anything is written */
    for (size_t i = 0; i < l.n && !rc; i++) {
        const vitem *it = &l.v[i];
        tctx x = {NULL, 0, 0, it->kind, 0};
        if (!it->purl && !it->asset) {
            ++*skipped;
            continue;
        }
        if (reg_query_exposures(r, it->cve, NULL, it->asset, it->purl, 0, target_row, &x) ||
            x.oom) {
            if (x.oom)
                snprintf(r->err, sizeof r->err, "out of memory");
            rc = -1;
        }
        if (!x.n)
            ++*skipped; /* no exposure of the register matches */
        for (size_t k = 0; !rc && k < x.n; k++) {
            if (x.t[k].done) {
                ++*skipped;
                continue;
            }
            /* the control names of `accept` and `false-positive` (cli/register.c) */
            const char *control = !strcmp(it->kind, "accepted") ? "accepted-risk" : it->kind;
            if (reg_record_control(r, x.t[k].asset, it->cve, it->kind, control, it->reason, 0,
                                   NULL, NULL))
                rc = -1;
            else
                ++*recorded;
        }
        free(x.t);
    }
    vlist_free(&l);
    return rc;
}
