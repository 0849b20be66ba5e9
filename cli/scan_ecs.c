/*
 * scan_ecs.c -- `defuse scan --ecs`: the records as Elastic Common Schema
 * documents, one JSON object a line (ECS 8.11; docs/output-schemas.md has
 * the field table; tests/e2e/ecs_output.sh checks every field against the
 * ECS reference).  One document per finding of a component (event.kind
 * "state", event.category "vulnerability"; suppressed findings included,
 * defuse.suppressed says why), one per component without findings
 * (event.category "package") and one per error or warning (event.type
 * "error").  What ECS has no field for is under "defuse.".
 */
#include "cli.h"
#include "scan_output.h"

#include <string.h>

#define ECS_VERSION "8.11.0"

/* The fields every document carries. */
static json_t *ecs_head(const scan_meta *m, const char *kind, const char *category,
                        const char *type) {
    json_t *o = json_object();
    json_object_set_new(o, "@timestamp", json_string(m->time));
    json_object_set_new(o, "ecs", json_pack("{s:s}", "version", ECS_VERSION));
    json_object_set_new(o, "event",
                        json_pack("{s:s,s:[s],s:[s],s:s,s:s}", "kind", kind, "category", category,
                                  "type", type, "module", "defuse", "dataset", "defuse.scan"));
    json_object_set_new(o, "host", json_pack("{s:s,s:s}", "hostname", m->host, "name", m->host));
    json_object_set_new(o, "agent", json_pack("{s:s,s:s}", "type", "defuse", "version",
                                              defuse_version()));
    return o;
}

/* file.path, and the outermost file's hash when the path names it. */
static void put_file(json_t *o, const rec *r) {
    json_t *f = json_pack("{s:s}", "path", r->path ? r->path : "");
    if (r->sha256_outer[0] && r->path && !strstr(r->path, "!/"))
        json_object_set_new(f, "hash", json_pack("{s:s}", "sha256", r->sha256_outer));
    json_object_set_new(o, "file", f);
}

static json_t *package_of(const rec *r) {
    json_t *p = json_pack("{s:s,s:s,s:s}", "name", defuse_product_name(r->product), "type",
                          "maven", "path", r->path ? r->path : "");
    if (r->version)
        json_object_set_new(p, "version", json_string(r->version));
    return p;
}

static json_t *defuse_of(const scan_meta *m, const rec *r) {
    char purl[512];
    json_t *d = json_pack("{s:i,s:s,s:s}", "schema", 1, "vulndb_version", m->vulndb_version,
                          "decided_by",
                          defuse_evidence_name(r->decided_by) ? defuse_evidence_name(r->decided_by)
                                                              : "class");
    if (rec_purl(r, purl, sizeof purl, 1) == 0)
        json_object_set_new(d, "purl", json_string(purl));
    json_object_set_new(d, "shaded", json_boolean(r->shaded));
    json_object_set_new(d, "vulnerable", json_boolean(rec_vulnerable(r)));
    if (r->evidence_text)
        json_object_set_new(d, "evidence", json_string(r->evidence_text));
    if (r->class_path)
        json_object_set_new(d, "class_path", json_string(r->class_path));
    return d;
}

void out_ecs(FILE *out, const collect *col, const scan_meta *m) {
    for (size_t i = 0; i < col->n; i++) {
        const rec *r = &col->v[i];
        if (!r->err && r->sbom) { /* an SBOM: named, not scanned */
            char msg[512];
            rec_sbom_message(r, msg, sizeof msg);
            json_t *o = ecs_head(m, "event", "file", "info");
            put_file(o, r);
            json_object_set_new(o, "message", json_string(msg));
            json_object_set_new(o, "defuse", json_pack("{s:i,s:s}", "schema", 1, "sbom", r->sbom));
            put_json(out, o, JSON_COMPACT);
            fputc('\n', out);
            json_decref(o);
            continue;
        }
        if (r->err) {
            json_t *o = ecs_head(m, "event", "file", "error");
            put_file(o, r);
            json_object_set_new(o, "error", json_pack("{s:s}", "message",
                                                      r->reason ? r->reason : ""));
            json_object_set_new(o, "log", json_pack("{s:s}", "level",
                                                    r->warning ? "warning" : "error"));
            json_object_set_new(o, "message", json_string(r->reason ? r->reason : ""));
            json_object_set_new(o, "defuse", json_pack("{s:i,s:s}", "schema", 1, "error",
                                                       defuse_strerror(r->err)));
            put_json(out, o, JSON_COMPACT);
            fputc('\n', out);
            json_decref(o);
            continue;
        }
        size_t n = r->nvulns ? r->nvulns : 1;
        for (size_t k = 0; k < n; k++) {
            json_t *o = ecs_head(m, "state", r->nvulns ? "vulnerability" : "package", "info");
            put_file(o, r);
            json_object_set_new(o, "package", package_of(r));
            json_t *d = defuse_of(m, r);
            char msg[1024];
            if (r->nvulns) {
                const defuse_component_vuln *v = &r->vulns[k];
                json_t *vu = json_pack("{s:s,s:s,s:s,s:{s:f},s:{s:s},s:s}", "id", v->id,
                                       "severity", v->severity, "classification", "CVSS",
                                       "score", "base", v->cvss, "scanner", "vendor", "defuse",
                                       "description", v->summary ? v->summary : "");
                if (!strncmp(v->id, "CVE-", 4)) {
                    char ref[96];
                    snprintf(ref, sizeof ref, "https://nvd.nist.gov/vuln/detail/%s", v->id);
                    json_object_set_new(vu, "enumeration", json_string("CVE"));
                    json_object_set_new(vu, "reference", json_string(ref));
                }
                json_object_set_new(o, "vulnerability", vu);
                json_object_set_new(d, "fixed_in", json_string(v->fixed ? v->fixed : ""));
                json_object_set_new(d, "certain", json_boolean(v->certain));
                json_object_set_new(d, "suppressed", r->suppressed[k]
                                                         ? json_string(r->suppressed[k])
                                                         : json_null());
                snprintf(msg, sizeof msg, "%s %s: %s (%s)%s", defuse_product_name(r->product),
                         r->version ? r->version : "unknown", v->id, v->severity,
                         r->suppressed[k] ? ", suppressed" : "");
            } else {
                snprintf(msg, sizeof msg, "%s %s: no known vulnerability",
                         defuse_product_name(r->product), r->version ? r->version : "unknown");
            }
            json_object_set_new(o, "message", json_string(msg));
            json_object_set_new(o, "defuse", d);
            put_json(out, o, JSON_COMPACT);
            fputc('\n', out);
            json_decref(o);
        }
    }
}
