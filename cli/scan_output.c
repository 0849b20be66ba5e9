/*
 * scan_output.c -- the writers of `defuse scan`'s report: a table, JSON
 * Lines, SARIF 2.1.0 and CycloneDX 1.5 (fields: docs/scan.md).
 */
#include "scan_output.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- text safety -------------------------------------------------------------------- */

/* Prints s for a terminal: "${" becomes "$\{", control bytes \xHH. */
void put_safe(FILE *o, const char *s) {
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '$' && s[1] == '{')
            fputs("$\\", o);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(o, "\\x%02x", ch);
        else
            fputc(ch, o);
    }
}

/* Writes JSON text with every '$' as \u0024 (only possible inside strings). */
void put_json(FILE *o, json_t *j, size_t flags) {
    /* CVSS 8.6 as 8.6, not 8.5999999999999996 (jansson prints 17 digits) */
    char *s = json_dumps(j, flags | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    if (!s)
        return;
    for (const char *p = s; *p; p++) {
        if (*p == '$')
            fputs("\\u0024", o);
        else
            fputc(*p, o);
    }
    free(s);
}

/* ---- common --------------------------------------------------------------------------- */

static const char *const product_group[DEFUSE_PRODUCT_COUNT] = {
    "org.apache.logging.log4j", "log4j", "ch.qos.reload4j", "org.apache.commons"};
static const char *const product_artifact[DEFUSE_PRODUCT_COUNT] = {"log4j-core", "log4j",
                                                                   "reload4j", "commons-text"};

static bool version_exact(const char *v) {
    return v && *v && !strchr(v, '|') && !strstr(v, "..");
}

int rec_purl(const rec *r, char *buf, size_t n, int with_version) {
    if ((unsigned)r->product >= DEFUSE_PRODUCT_COUNT)
        return -1;
    int k;
    if (with_version) {
        if (!version_exact(r->version))
            return -1;
        k = snprintf(buf, n, "pkg:maven/%s/%s@%s", product_group[r->product],
                     product_artifact[r->product], r->version);
    } else {
        k = snprintf(buf, n, "pkg:maven/%s/%s", product_group[r->product],
                     product_artifact[r->product]);
    }
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* SBOM formats as a person names them (the library's names are for scripts). */
static const struct {
    const char *format, *title;
} sbom_titles[] = {
    {"cyclonedx-json", "CycloneDX JSON"},
    {"cyclonedx-xml", "CycloneDX XML"},
    {"spdx-json", "SPDX JSON"},
    {"spdx-tag-value", "SPDX tag-value"},
};

void rec_sbom_message(const rec *r, char *buf, size_t n) {
    const char *title = r->sbom ? r->sbom : "unknown";
    for (size_t i = 0; i < sizeof sbom_titles / sizeof sbom_titles[0]; i++)
        if (r->sbom && !strcmp(r->sbom, sbom_titles[i].format))
            title = sbom_titles[i].title;
    snprintf(buf, n,
             "a %s SBOM: it lists software but holds none, so nothing in it was scanned; "
             "give it to `defuse register ingest --asset NAME FILE`",
             title);
}

int rec_vulnerable(const rec *r) {
    for (size_t k = 0; k < r->nvulns; k++)
        if (!r->suppressed[k])
            return 1;
    return 0;
}

const char *rec_status(const rec *r) {
    return rec_vulnerable(r) ? "vulnerable"
           : r->nvulns       ? "suppressed"
           : (r->product == DEFUSE_PRODUCT_LOG4J_CORE && r->jndilookup == 0) ? "mitigated"
                                                                              : "ok";
}

static json_t *evidence_array(unsigned bits) {
    json_t *a = json_array();
    for (unsigned b = 1; b && b <= DEFUSE_EVID_CLASS; b <<= 1)
        if ((bits & b) && defuse_evidence_name(b))
            json_array_append_new(a, json_string(defuse_evidence_name(b)));
    return a;
}

static const char *jndi_text(int j) {
    return j == 1 ? "present" : j == 0 ? "removed" : "unknown";
}

json_t *rec_json(const rec *r) {
    json_t *o = json_object();
    if (!r->err && r->sbom) {
        char msg[512];
        rec_sbom_message(r, msg, sizeof msg);
        json_object_set_new(o, "type", json_string("sbom"));
        json_object_set_new(o, "path", json_string(r->path ? r->path : ""));
        json_object_set_new(o, "format", json_string(r->sbom));
        json_object_set_new(o, "scanned", json_false());
        json_object_set_new(o, "message", json_string(msg));
        return o;
    }
    if (r->err) {
        json_object_set_new(o, "type", json_string(r->warning ? "warning" : "error"));
        json_object_set_new(o, "path", json_string(r->path ? r->path : ""));
        json_object_set_new(o, "error", json_string(defuse_strerror(r->err)));
        json_object_set_new(o, "reason", json_string(r->reason ? r->reason : ""));
        return o;
    }
    json_object_set_new(o, "type", json_string("component"));
    json_object_set_new(o, "path", json_string(r->path ? r->path : ""));
    json_object_set_new(o, "product", json_string(defuse_product_name(r->product)));
    json_object_set_new(o, "version", r->version ? json_string(r->version) : json_null());
    json_object_set_new(o, "vulnerable", json_boolean(rec_vulnerable(r)));
    json_object_set_new(o, "status", json_string(rec_status(r)));
    json_object_set_new(o, "package", r->package ? json_string(r->package) : json_null());
    json_object_set_new(o, "shaded", json_boolean(r->shaded));
    json_object_set_new(o, "class_path", r->class_path ? json_string(r->class_path) : json_null());
    if (r->product == DEFUSE_PRODUCT_LOG4J_CORE)
        json_object_set_new(o, "jndilookup", json_string(jndi_text(r->jndilookup)));
    json_object_set_new(o, "evidence", evidence_array(r->evidence));
    const char *db = defuse_evidence_name(r->decided_by);
    json_object_set_new(o, "decided_by", json_string(db ? db : "class"));
    json_object_set_new(o, "evidence_text", json_string(r->evidence_text ? r->evidence_text : ""));
    json_t *vs = json_array();
    for (size_t i = 0; i < r->nvulns; i++) {
        const defuse_component_vuln *v = &r->vulns[i];
        json_t *jv = json_object();
        json_object_set_new(jv, "id", json_string(v->id));
        json_object_set_new(jv, "severity", json_string(v->severity));
        json_object_set_new(jv, "cvss", json_real(v->cvss));
        json_object_set_new(jv, "fixed", json_string(v->fixed));
        json_object_set_new(jv, "summary", json_string(v->summary));
        json_object_set_new(jv, "certain", json_boolean(v->certain));
        if (r->suppressed[i])
            json_object_set_new(jv, "suppressed", json_pack("{s:s}", "reason", r->suppressed[i]));
        json_array_append_new(vs, jv);
    }
    json_object_set_new(o, "vulnerabilities", vs);
    if (r->sha256[0])
        json_object_set_new(o, "sha256", json_string(r->sha256));
    if (r->sha256_outer[0])
        json_object_set_new(o, "sha256_outer", json_string(r->sha256_outer));
    return o;
}

/* ---- output: table --------------------------------------------------------------------- */

void out_table(FILE *o, const collect *col, int flags) {
    int header = 0;
    for (size_t i = 0; i < col->n; i++) {
        const rec *r = &col->v[i];
        if (r->err) {
            fputs(r->warning ? "defuse scan: warning: " : "defuse scan: error: ", stderr);
            put_safe(stderr, r->path);
            fputs(": ", stderr);
            put_safe(stderr, r->reason);
            fputc('\n', stderr);
            continue;
        }
        if (r->sbom) /* named on stderr by the caller, whatever the format */
            continue;
        if (!o || ((flags & TABLE_VULNERABLE_ONLY) && !rec_vulnerable(r)))
            continue;
        if (!header) {
            fprintf(o, "%-10s %-12s %-16s %s\n", "STATUS", "PRODUCT", "VERSION", "PATH");
            header = 1;
        }
        const char *status = rec_vulnerable(r) ? "VULNERABLE" : rec_status(r);
        /* the colour codes outside the padded field keep the columns */
        const char *on = !(flags & TABLE_COLOUR)   ? ""
                         : rec_vulnerable(r)       ? "\033[1;31m"
                         : !strcmp(status, "ok")   ? ""
                                                   : "\033[32m";
        fprintf(o, "%s%-10s%s %-12s %-16s ", on, status, *on ? "\033[0m" : "",
                defuse_product_name(r->product), r->version ? r->version : "unknown");
        put_safe(o, r->path);
        fputc('\n', o);
        for (size_t k = 0; k < r->nvulns; k++) {
            const defuse_component_vuln *v = &r->vulns[k];
            fprintf(o, "           %-15s %-8s %4.1f  fixed in %s%s\n", v->id, v->severity, v->cvss,
                    v->fixed, v->certain ? "" : "  (possible: version not exact)");
            if (r->suppressed[k]) {
                fputs("             suppressed: ", o);
                put_safe(o, r->suppressed[k]);
                fputc('\n', o);
            }
        }
        if (r->class_path) {
            fputs("           class:    ", o);
            put_safe(o, r->class_path);
            fputc('\n', o);
        }
        const char *db = defuse_evidence_name(r->decided_by);
        fprintf(o, "           evidence: [%s%s] ", db ? db : "class", r->shaded ? ", shaded" : "");
        put_safe(o, r->evidence_text);
        fputc('\n', o);
    }
}

/* ---- output: SARIF 2.1.0 ---------------------------------------------------------------- */

/* The outermost file of path as a relative reference, percent-encoded,
 * and the originalUriBaseIds key it is relative to: ROOT ("file:///") for
 * an absolute path, SRCROOT (the working directory) for a relative one.
 * With dir, path is a directory: an absolute "file://" URI ending in '/'. */
static char *to_uri(const char *path, const char **base, bool dir) {
    if (base)
        *base = path[0] == '/' ? "ROOT" : "SRCROOT";
    if (!dir) {
        while (path[0] == '/')
            path++;
        while (path[0] == '.' && path[1] == '/')
            path += 2;
    }
    size_t n = strlen(path);
    const char *bang = strstr(path, "!/");
    if (bang)
        n = (size_t)(bang - path);
    char *u = malloc(n * 3 + 16);
    if (!u)
        return NULL;
    size_t o = 0;
    if (dir)
        o += (size_t)sprintf(u, "file://");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("/-._~", c))
            u[o++] = (char)c;
        else
            o += (size_t)sprintf(u + o, "%%%02X", c);
    }
    if (dir && (o == 0 || u[o - 1] != '/'))
        u[o++] = '/';
    u[o] = 0;
    return u;
}

static const char *sarif_level(const char *sev) {
    return !strcmp(sev, "critical") || !strcmp(sev, "high") ? "error"
           : !strcmp(sev, "medium")                         ? "warning"
                                                            : "note";
}

void out_sarif(FILE *o, const collect *col, const scan_meta *m) {
    json_t *rules = json_array(), *results = json_array(), *notes = json_array();
    json_t *seen = json_object();
    size_t nerr = 0;
    for (size_t i = 0; i < col->n; i++) {
        const rec *r = &col->v[i];
        const char *base = NULL;
        char *uri = to_uri(r->path ? r->path : "", &base, false);
        json_t *loc = json_pack("{s:{s:{s:s,s:s}}}", "physicalLocation", "artifactLocation",
                                "uri", uri ? uri : "", "uriBaseId", base);
        if (r->path && strstr(r->path, "!/"))
            json_object_set_new(loc, "logicalLocations",
                                json_pack("[{s:s,s:s}]", "fullyQualifiedName", r->path, "kind",
                                          "module"));
        free(uri);
        if (!r->err && r->sbom) {
            char msg[2048], text[512];
            rec_sbom_message(r, text, sizeof text);
            snprintf(msg, sizeof msg, "%s: %s", r->path ? r->path : "", text);
            json_array_append_new(notes, json_pack("{s:s,s:{s:s},s:[o]}", "level", "note",
                                                   "message", "text", msg, "locations", loc));
            continue;
        }
        if (r->err) {
            nerr += !r->warning;
            char msg[2048];
            snprintf(msg, sizeof msg, "%s: %s", r->path ? r->path : "", r->reason ? r->reason : "");
            json_array_append_new(notes, json_pack("{s:s,s:{s:s},s:[o]}", "level",
                                                   r->warning ? "warning" : "error", "message",
                                                   "text", msg, "locations", loc));
            continue;
        }
        for (size_t k = 0; k < r->nvulns; k++) {
            const defuse_component_vuln *v = &r->vulns[k];
            if (!json_object_get(seen, v->id)) {
                char help[256], score[16];
                snprintf(help, sizeof help, "https://nvd.nist.gov/vuln/detail/%s", v->id);
                snprintf(score, sizeof score, "%.1f", v->cvss);
                json_array_append_new(
                    rules, json_pack("{s:s,s:{s:s},s:{s:s},s:s,s:{s:s},s:{s:s,s:[s,s]}}", "id",
                                     v->id, "shortDescription", "text", v->summary,
                                     "fullDescription", "text", v->summary, "helpUri", help,
                                     "defaultConfiguration", "level", sarif_level(v->severity),
                                     "properties", "security-severity", score, "tags",
                                     "security", "vulnerability"));
                json_object_set_new(seen, v->id, json_integer((json_int_t)json_array_size(rules) - 1));
            }
            char msg[4096];
            snprintf(msg, sizeof msg, "%s %s at %s is affected by %s (%s, CVSS %.1f); fixed in %s. "
                     "Evidence: %s",
                     defuse_product_name(r->product), r->version ? r->version : "(version unknown)",
                     r->path ? r->path : "", v->id, v->severity, v->cvss, v->fixed,
                     r->evidence_text ? r->evidence_text : "");
            /* stable across scans of the same host: the nested path, the
             * product and the rule (a nested copy is its own finding) */
            char fpin[8192], fp[65];
            snprintf(fpin, sizeof fpin, "%s\n%s\n%s", r->path ? r->path : "",
                     defuse_product_name(r->product), v->id);
            defuse_sha256_hex(fpin, strlen(fpin), fp);
            json_t *res = json_pack(
                "{s:s,s:I,s:s,s:{s:s},s:[O],s:{s:s,s:s?,s:s?,s:b,s:s,s:b}}", "ruleId", v->id,
                "ruleIndex", json_integer_value(json_object_get(seen, v->id)), "level",
                sarif_level(v->severity), "message", "text", msg, "locations", loc, "properties",
                "product", defuse_product_name(r->product), "version", r->version, "classPath",
                r->class_path, "shaded", r->shaded, "decidedBy",
                defuse_evidence_name(r->decided_by) ? defuse_evidence_name(r->decided_by) : "class",
                "certain", v->certain);
            if (res) {
                json_object_set_new(res, "partialFingerprints",
                                    json_pack("{s:s}", "defuseComponent/v1", fp));
                if (r->sha256_outer[0])
                    json_object_set_new(json_object_get(res, "properties"), "sha256Outer",
                                        json_string(r->sha256_outer));
                if (r->sha256[0])
                    json_object_set_new(json_object_get(res, "properties"), "sha256",
                                        json_string(r->sha256));
                if (r->suppressed[k])
                    json_object_set_new(res, "suppressions",
                                        json_pack("[{s:s,s:s}]", "kind", "external",
                                                  "justification", r->suppressed[k]));
                json_array_append_new(results, res);
            }
        }
        json_decref(loc);
    }
    json_t *run = json_pack("{s:{s:{s:s,s:s,s:s,s:o}},s:o,s:[{s:b,s:o}]}", "tool", "driver", "name",
                            "defuse", "version", defuse_version(), "informationUri",
                            "https://github.com/defuse/defuse", "rules", rules, "results", results,
                            "invocations", "executionSuccessful", nerr == 0,
                            "toolExecutionNotifications", notes);
    char cwd[4096];
    char *cwd_uri = getcwd(cwd, sizeof cwd) ? to_uri(cwd, NULL, true) : NULL;
    json_t *bases = json_pack("{s:{s:s}}", "ROOT", "uri", "file:///");
    if (cwd_uri)
        json_object_set_new(bases, "SRCROOT", json_pack("{s:s}", "uri", cwd_uri));
    free(cwd_uri);
    json_object_set_new(run, "originalUriBaseIds", bases);
    json_t *inv = json_array_get(json_object_get(run, "invocations"), 0);
    json_object_set_new(inv, "startTimeUtc", json_string(m->time));
    json_object_set_new(inv, "machine", json_string(m->host));
    json_object_set_new(inv, "properties",
                        json_pack("{s:s,s:s,s:s}", "vulndbVersion", m->vulndb_version,
                                  "vulndbDate", m->vulndb_date, "vulndbPath", m->vulndb_path));
    json_t *root = json_pack("{s:s,s:s,s:[o]}", "$schema",
                             "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
                             "runs", run);
    /* "$schema" is a key, not text a human reads: write it literally */
    char *s = json_dumps(root, JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    if (s) {
        for (const char *p = s; *p; p++) {
            if (*p == '$' && strncmp(p, "$schema\"", 8) != 0)
                fputs("\\u0024", o);
            else
                fputc(*p, o);
        }
        fputc('\n', o);
        free(s);
    }
    json_decref(root);
    json_decref(seen);
}

/* ---- output: CycloneDX 1.5 --------------------------------------------------------------- */

static void uuid4(char out[37]) {
    unsigned char b[16];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(b, 1, 16, f) != 16) {
        srand((unsigned)time(NULL) ^ (unsigned)getpid());
        for (int i = 0; i < 16; i++)
            b[i] = (unsigned char)rand();
    }
    if (f)
        fclose(f);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

void out_cyclonedx(FILE *o, const collect *col, const scan_meta *m) {
    json_t *comps = json_array(), *vulns = json_array(), *byid = json_object();
    char uuid[37], ts[32], serial[64];
    snprintf(ts, sizeof ts, "%s", m->time);
    uuid4(uuid);
    snprintf(serial, sizeof serial, "urn:uuid:%s", uuid);
    size_t nc = 0;
    for (size_t i = 0; i < col->n; i++) {
        const rec *r = &col->v[i];
        if (r->err || r->sbom)
            continue;
        char ref[32], purl[512];
        snprintf(ref, sizeof ref, "component-%zu", ++nc);
        json_t *c = json_pack("{s:s,s:s,s:s,s:s}", "type", "library", "bom-ref", ref, "group",
                              product_group[r->product], "name", product_artifact[r->product]);
        bool exact = version_exact(r->version);
        json_object_set_new(c, "version", json_string(r->version ? r->version : "unknown"));
        json_t *props = json_array();
        /* every component has a purl; one whose version is not known
         * exactly carries none in it, and says why */
        if (rec_purl(r, purl, sizeof purl, exact) == 0)
            json_object_set_new(c, "purl", json_string(purl));
        if (!exact) {
            json_array_append_new(
                props, json_pack("{s:s,s:s}", "name", "defuse:purl_version_omitted", "value",
                                 r->version ? "version not exact: candidates in defuse:version"
                                            : "version unknown (class evidence only)"));
            if (r->version)
                json_array_append_new(props, json_pack("{s:s,s:s}", "name", "defuse:version",
                                                       "value", r->version));
        }
        /* hashes: the component's own file (a nested jar's bytes), the
         * outermost file in a property */
        if (r->sha256[0])
            json_object_set_new(c, "hashes", json_pack("[{s:s,s:s}]", "alg", "SHA-256",
                                                       "content", r->sha256));
        if (r->sha256_outer[0])
            json_array_append_new(props, json_pack("{s:s,s:s}", "name", "defuse:sha256_outer",
                                                   "value", r->sha256_outer));
        json_array_append_new(props, json_pack("{s:s,s:s}", "name", "defuse:path", "value", r->path));
        if (r->class_path)
            json_array_append_new(
                props, json_pack("{s:s,s:s}", "name", "defuse:class_path", "value", r->class_path));
        json_array_append_new(props, json_pack("{s:s,s:s}", "name", "defuse:evidence", "value",
                                               r->evidence_text ? r->evidence_text : ""));
        const char *db = defuse_evidence_name(r->decided_by);
        json_array_append_new(props, json_pack("{s:s,s:s}", "name", "defuse:decided_by", "value",
                                               db ? db : "class"));
        if (r->product == DEFUSE_PRODUCT_LOG4J_CORE)
            json_array_append_new(props, json_pack("{s:s,s:s}", "name", "defuse:jndilookup",
                                                   "value", jndi_text(r->jndilookup)));
        for (size_t k = 0; k < r->nvulns; k++)
            if (r->suppressed[k]) {
                char name[160];
                snprintf(name, sizeof name, "defuse:suppressed:%s", r->vulns[k].id);
                json_array_append_new(props, json_pack("{s:s,s:s}", "name", name, "value",
                                                       r->suppressed[k]));
            }
        json_object_set_new(c, "properties", props);
        json_object_set_new(c, "evidence",
                            json_pack("{s:[{s:s}]}", "occurrences", "location", r->path));
        json_array_append_new(comps, c);
        for (size_t k = 0; k < r->nvulns; k++) {
            const defuse_component_vuln *v = &r->vulns[k];
            json_t *vj = json_object_get(byid, v->id);
            if (!vj) {
                char url[256], rec_[512];
                snprintf(url, sizeof url, "https://nvd.nist.gov/vuln/detail/%s", v->id);
                snprintf(rec_, sizeof rec_, "Upgrade to a fixed version (%s)%s", v->fixed,
                         r->product == DEFUSE_PRODUCT_LOG4J_CORE
                             ? " or remove JndiLookup.class (defuse scan --fix) for "
                               "CVE-2021-44228/45046"
                             : "");
                vj = json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:f,s:s,s:s}],s:s,s:s,s:[]}", "bom-ref",
                               v->id, "id", v->id, "source", "name", "NVD", "url", url, "ratings",
                               "score", v->cvss, "severity", v->severity, "method", "CVSSv31",
                               "description", v->summary, "recommendation", rec_, "affects");
                json_object_set_new(byid, v->id, vj);
                json_array_append(vulns, vj);
            }
            json_array_append_new(json_object_get(vj, "affects"), json_pack("{s:s}", "ref", ref));

        }
    }
    json_t *root = json_pack(
        "{s:s,s:s,s:s,s:i,s:{s:s,s:{s:[{s:s,s:s,s:s}]}},s:o,s:o}", "bomFormat", "CycloneDX",
        "specVersion", "1.5", "serialNumber", serial, "version", 1, "metadata", "timestamp", ts,
        "tools", "components", "type", "application", "name", "defuse", "version",
        defuse_version(), "components", comps, "vulnerabilities", vulns);
    json_t *meta = json_object_get(root, "metadata");
    json_object_set_new(meta, "component",
                        json_pack("{s:s,s:s,s:s}", "type", "device", "bom-ref", "scanned-host",
                                  "name", m->host));
    json_object_set_new(
        meta, "properties",
        json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "name", "defuse:host", "value",
                  m->host, "name", "defuse:vulndb_version", "value", m->vulndb_version, "name",
                  "defuse:vulndb_date", "value", m->vulndb_date, "name", "defuse:vulndb_path",
                  "value", m->vulndb_path));
    /* inputs that are SBOMs themselves: listed, never taken for clean */
    json_t *mprops = json_object_get(meta, "properties");
    for (size_t i = 0; i < col->n; i++) {
        const rec *r = &col->v[i];
        if (r->err || !r->sbom)
            continue;
        char v[8192], text[512];
        rec_sbom_message(r, text, sizeof text);
        snprintf(v, sizeof v, "%s: %s", r->path ? r->path : "", text);
        json_array_append_new(mprops,
                              json_pack("{s:s,s:s}", "name", "defuse:sbom_not_scanned", "value", v));
    }
    put_json(o, root, JSON_INDENT(1));
    fputc('\n', o);
    json_decref(root);
    json_decref(byid);
}

