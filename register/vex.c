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
