/*
 * scan_policy.c -- what fails a `defuse scan` in CI or cron and what is
 * suppressed: --fail-on, --severity, --ignore FILE and --vex FILE
 * (CycloneDX VEX and OpenVEX JSON, read with jansson).  Rules are applied
 * to the collected records after the walk; a suppressed finding stays in
 * the report with the reason, and never fails the scan.
 */
#include "scan_output.h"

#include <fnmatch.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on input-controlled quantities of the rule files. */
#define POLICY_MAX_RULES 100000
#define POLICY_MAX_TEXT 4096
#define POLICY_MAX_FILE (64u << 20) /* bytes of one --ignore or --vex file */

typedef struct prule {
    char *id;     /* "CVE-2021-44228" */
    char *path;   /* fnmatch() glob on the record path, or NULL: any */
    char *purl;   /* "pkg:maven/g/a" or "pkg:maven/g/a@v", or NULL: any */
    char *reason; /* shown with each suppressed finding */
    int expired;  /* an --ignore rule past its expiry: suppresses nothing */
} prule;

struct policy {
    prule *v;
    size_t n, cap;
};

static const struct {
    const char *name;
    int rank;
} severities[] = {{"low", 1}, {"medium", 2}, {"high", 3}, {"critical", 4}};

int severity_rank(const char *sev) {
    for (size_t i = 0; sev && i < sizeof severities / sizeof severities[0]; i++)
        if (!strcmp(sev, severities[i].name))
            return severities[i].rank;
    return 0;
}

/* The CVEs among the data's that let an attacker run code (by a logged
 * string, a configuration, a socket or a lookup); --fail-on rce. */
static const char *const rce_ids[] = {
    "CVE-2021-44228", "CVE-2021-45046", "CVE-2021-44832", "CVE-2017-5645",  "CVE-2019-17571",
    "CVE-2021-4104",  "CVE-2022-23302", "CVE-2022-23307", "CVE-2020-9493", "CVE-2022-42889",
};

int fail_rule_parse(fail_rule *f, const char *text) {
    memset(f, 0, sizeof *f);
    if (!strcmp(text, "any"))
        return 0;
    if (!strcmp(text, "rce")) {
        f->rce = 1;
        return 0;
    }
    if ((f->min_rank = severity_rank(text)) > 0)
        return 0;
    /* a list of CVE/GHSA ids */
    size_t n = strlen(text);
    if (n == 0 || n > POLICY_MAX_TEXT || strncmp(text, "CVE-", 4) != 0) {
        fprintf(stderr, "defuse scan: --fail-on '%s': want low, medium, high, critical, rce, "
                        "any, or a comma-separated list of CVE ids\n", text);
        return -1;
    }
    f->ids = malloc(n + 3);
    if (!f->ids)
        return -1;
    snprintf(f->ids, n + 3, ",%s,", text);
    return 0;
}

int fail_rule_match(const fail_rule *f, const rec *r, size_t k) {
    const defuse_component_vuln *v = &r->vulns[k];
    if (r->suppressed[k])
        return 0;
    if (f->ids) {
        char key[128];
        snprintf(key, sizeof key, ",%s,", v->id);
        return strstr(f->ids, key) != NULL;
    }
    if (f->rce) {
        for (size_t i = 0; i < sizeof rce_ids / sizeof rce_ids[0]; i++)
            if (!strcmp(v->id, rce_ids[i]))
                return 1;
        return 0;
    }
    return severity_rank(v->severity) >= f->min_rank;
}

/* ---- rule files -------------------------------------------------------------------- */

static char *dup_bounded(const char *s) {
    return s ? strndup(s, POLICY_MAX_TEXT) : NULL;
}

static prule *add_rule(policy **pp) {
    if (!*pp && !(*pp = calloc(1, sizeof **pp)))
        return NULL;
    policy *p = *pp;
    if (p->n == POLICY_MAX_RULES)
        return NULL;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 16;
        prule *nv = realloc(p->v, nc * sizeof *nv);
        if (!nv)
            return NULL;
        p->v = nv;
        p->cap = nc;
    }
    prule *r = &p->v[p->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static json_t *load_json(const char *file) {
    json_error_t e;
    struct stat st;
    if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "defuse scan: %s: is a directory, not a JSON file\n", file);
        return NULL;
    }
    if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > POLICY_MAX_FILE) {
        fprintf(stderr, "defuse scan: %s: larger than %u MiB\n", file, POLICY_MAX_FILE >> 20);
        return NULL;
    }
    json_t *j = json_load_file(file, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        fprintf(stderr, "defuse scan: %s: line %d column %d: %s\n", file, e.line, e.column, e.text);
    return j;
}

static int is_date(const char *s) {
    static const char shape[] = "dddd-dd-dd";
    if (strlen(s) != 10)
        return 0;
    for (size_t i = 0; i < 10; i++)
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != '-')
            return 0;
    return 1;
}

int policy_load_ignore(policy **pp, const char *file, const char *today) {
    json_t *root = load_json(file);
    if (!root)
        return -1;
    json_t *arr = json_object_get(root, "ignore");
    int rc = 0;
    if (!json_is_array(arr)) {
        fprintf(stderr, "defuse scan: %s: want an object with an \"ignore\" array\n", file);
        rc = -1;
    }
    size_t i;
    json_t *it;
    json_array_foreach(rc ? NULL : arr, i, it) {
        const char *id = json_string_value(json_object_get(it, "id"));
        const char *path = json_string_value(json_object_get(it, "path"));
        const char *reason = json_string_value(json_object_get(it, "reason"));
        json_t *jexp = json_object_get(it, "expires");
        const char *exp = json_string_value(jexp);
        const char *bad = !json_is_object(it) ? "(not an object)"
                          : !id || !*id       ? "\"id\" (a CVE id string) missing"
                          : !reason || !*reason ? "\"reason\" missing (say why it is accepted)"
                          : (json_object_get(it, "path") && !path) ? "\"path\" is not a string"
                          : (jexp && (!exp || !is_date(exp))) ? "\"expires\" is not YYYY-MM-DD"
                                                             : NULL;
        if (bad) {
            fprintf(stderr, "defuse scan: %s: ignore[%zu]: %s\n", file, i, bad);
            rc = -1;
            break;
        }
        prule *r = add_rule(pp);
        if (!r) {
            fprintf(stderr, "defuse scan: %s: too many rules or out of memory\n", file);
            rc = -1;
            break;
        }
        r->id = dup_bounded(id);
        r->path = dup_bounded(path);
        size_t n = strlen(reason) + strlen(file) + 32;
        if ((r->reason = malloc(n)))
            snprintf(r->reason, n, "ignored (%s): %s", file, reason);
        if (exp && strcmp(exp, today) < 0) {
            r->expired = 1;
            fprintf(stderr, "defuse scan: warning: %s: ignore[%zu] (%s%s%s) expired on %s: it "
                            "suppresses nothing\n", file, i, id, path ? " on " : "",
                    path ? path : "", exp);
        }
    }
    json_decref(root);
    return rc;
}

/* A product reference of a VEX document: a Maven purl without qualifiers
 * or subpath; NULL for anything else (a bom-ref that names no package). */
static char *vex_purl(const char *ref) {
    if (!ref || strncmp(ref, "pkg:maven/", 10) != 0)
        return NULL;
    return strndup(ref, strcspn(ref, "?#"));
}

static int vex_add(policy **pp, const char *file, const char *id, const char *ref,
                   const char *why) {
    char *purl = vex_purl(ref);
    if (!purl)
        return 0;
    prule *r = add_rule(pp);
    if (!r) {
        free(purl);
        fprintf(stderr, "defuse scan: %s: too many statements or out of memory\n", file);
        return -1;
    }
    r->id = dup_bounded(id);
    r->purl = purl;
    size_t n = strlen(why) + strlen(file) + 32;
    if ((r->reason = malloc(n)))
        snprintf(r->reason, n, "VEX (%s): %s", file, why);
    return 0;
}

/* States that mean "this finding does not apply here". */
static const char *const cdx_quiet[] = {"not_affected", "false_positive", "resolved",
                                        "resolved_with_pedigree"};
static const char *const openvex_quiet[] = {"not_affected", "fixed"};

static int in_list(const char *s, const char *const *list, size_t n) {
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(s, list[i]))
            return 1;
    return 0;
}

static void why_text(char *buf, size_t n, const char *a, const char *b, const char *c) {
    snprintf(buf, n, "%.200s%s%.200s%s%.1000s", a ? a : "", b ? ": " : "", b ? b : "",
             c ? ": " : "", c ? c : "");
}

int policy_load_vex(policy **pp, const char *file) {
    json_t *root = load_json(file);
    if (!root)
        return -1;
    int rc = 0;
    size_t i, k;
    json_t *it, *x;
    char why[1600];
    json_t *cdx = json_object_get(root, "vulnerabilities");
    json_t *ovx = json_object_get(root, "statements");
    if (json_is_array(cdx)) {
        json_array_foreach(cdx, i, it) {
            const char *id = json_string_value(json_object_get(it, "id"));
            json_t *an = json_object_get(it, "analysis");
            const char *state = json_string_value(json_object_get(an, "state"));
            json_t *aff = json_object_get(it, "affects");
            if (!id || !json_is_array(aff)) {
                fprintf(stderr, "defuse scan: %s: vulnerabilities[%zu]: \"id\" or \"affects\" "
                                "missing\n", file, i);
                rc = -1;
                break;
            }
            if (!in_list(state, cdx_quiet, sizeof cdx_quiet / sizeof cdx_quiet[0]))
                continue;
            why_text(why, sizeof why, state, json_string_value(json_object_get(an, "justification")),
                     json_string_value(json_object_get(an, "detail")));
            json_array_foreach(aff, k, x) {
                if (vex_add(pp, file, id, json_string_value(json_object_get(x, "ref")), why)) {
                    rc = -1;
                    break;
                }
            }
        }
    } else if (json_is_array(ovx)) {
        json_array_foreach(ovx, i, it) {
            json_t *jv = json_object_get(it, "vulnerability");
            const char *id = json_is_string(jv) ? json_string_value(jv)
                                                : json_string_value(json_object_get(jv, "name"));
            const char *status = json_string_value(json_object_get(it, "status"));
            json_t *prods = json_object_get(it, "products");
            if (!id || !status || !json_is_array(prods)) {
                fprintf(stderr, "defuse scan: %s: statements[%zu]: \"vulnerability\", \"status\" "
                                "or \"products\" missing\n", file, i);
                rc = -1;
                break;
            }
            if (!in_list(status, openvex_quiet, sizeof openvex_quiet / sizeof openvex_quiet[0]))
                continue;
            why_text(why, sizeof why, status, json_string_value(json_object_get(it, "justification")),
                     json_string_value(json_object_get(it, "impact_statement")));
            json_array_foreach(prods, k, x) {
                const char *ref = json_is_string(x) ? json_string_value(x)
                                                    : json_string_value(json_object_get(x, "@id"));
                if (vex_add(pp, file, id, ref, why)) {
                    rc = -1;
                    break;
                }
            }
        }
    } else {
        fprintf(stderr, "defuse scan: %s: neither a CycloneDX VEX (\"vulnerabilities\" array) nor "
                        "an OpenVEX document (\"statements\" array)\n", file);
        rc = -1;
    }
    json_decref(root);
    return rc;
}

/* Does rule u name finding k of r? */
static int rule_matches(const prule *u, const rec *r, size_t k) {
    if (u->expired || strcmp(u->id, r->vulns[k].id) != 0)
        return 0;
    if (u->path && fnmatch(u->path, r->path ? r->path : "", 0) != 0)
        return 0;
    if (u->purl) {
        char mine[512];
        int with_v = strchr(u->purl + 10, '@') != NULL;
        if (rec_purl(r, mine, sizeof mine, with_v) != 0 || strcmp(mine, u->purl) != 0)
            return 0;
    }
    return 1;
}

void policy_apply(const policy *p, collect *col, int min_rank) {
    for (size_t i = 0; i < col->n; i++) {
        rec *r = &col->v[i];
        size_t o = 0;
        for (size_t k = 0; k < r->nvulns; k++) {
            if (severity_rank(r->vulns[k].severity) < min_rank)
                continue; /* --severity: not reported */
            r->vulns[o] = r->vulns[k];
            r->suppressed[o] = NULL;
            for (size_t u = 0; p && u < p->n && !r->suppressed[o]; u++)
                if (rule_matches(&p->v[u], r, o) && p->v[u].reason)
                    r->suppressed[o] = strdup(p->v[u].reason);
            o++;
        }
        r->nvulns = o;
    }
}

void policy_free(policy *p) {
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].id), free(p->v[i].path), free(p->v[i].purl), free(p->v[i].reason);
    free(p->v);
    free(p);
}
