/*
 * scan_output.h -- the records `defuse scan` collects and the writers that
 * print them (cli/scan_output.c): table, JSON Lines, SARIF 2.1.0 and
 * CycloneDX 1.5.  Shared by cli/scan.c (options, walk, --fix) only.
 */
#ifndef DEFUSE_SCAN_OUTPUT_H
#define DEFUSE_SCAN_OUTPUT_H

#include <defuse.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

typedef struct rec {
    int err;
    int warning; /* err != 0: examined anyway (not an error for the exit status) */
    char *reason, *path, *package, *class_path, *version, *evidence_text;
    char *raw_path; /* path as found (may not be UTF-8), for --fix */
    defuse_product product;
    unsigned evidence, decided_by;
    int shaded, jndilookup;
    defuse_component_vuln vulns[DEFUSE_INV_MAX_VULNS]; /* strings owned by the db */
    size_t nvulns;
    char sha256_outer[65]; /* of the outermost file, or "" */
    char sha256[65];       /* of the file or nested archive named by path (for a
                              top-level file its sha256_outer), or "" */
    char *suppressed[DEFUSE_INV_MAX_VULNS]; /* per vulns[k]: why it is suppressed
                                                (--ignore, --vex), or NULL */
    char *sbom; /* err == 0: not a component but an SBOM of this format
                   ("cyclonedx-json", ...), not scanned; else NULL */
} rec;

typedef struct collect {
    rec *v;
    size_t n, cap;
    int oom;
} collect;

/* What the report says about the scan itself (strings BORROWED). */
typedef struct scan_meta {
    const char *host;           /* gethostname() */
    const char *time;           /* start, UTC, "2026-12-03T07:00:00Z" */
    const char *vulndb_version; /* "sha256:<12 hex>" of the data file, or
                                   "builtin-<defuse version>" */
    const char *vulndb_date;    /* the data file's mtime (UTC), or "unknown" */
    const char *vulndb_path;    /* the file, or "(built in)" */
} scan_meta;

/* The record's Maven purl ("pkg:maven/g/a", with "@version" if
 * with_version and the version is exact) in buf.  Returns 0, or -1 if the
 * version is needed but not exact or buf is too small. */
int rec_purl(const rec *r, char *buf, size_t n, int with_version);

/* What is said of an SBOM record (r->sbom set) on stderr and in the
 * reports: "an SBOM (FORMAT): ... `defuse register ingest` ...". */
void rec_sbom_message(const rec *r, char *buf, size_t n);

/* Does the record have a finding that is not suppressed? */
int rec_vulnerable(const rec *r);
/* A component's status: "vulnerable" (a finding not suppressed),
 * "suppressed" (findings, all suppressed), "mitigated" (log4j-core whose
 * JndiLookup was removed, no CVE left) or "ok" -- the table's STATUS. */
const char *rec_status(const rec *r);

/* Prints s for a terminal: "${" becomes "$\{", control bytes \xHH. */
void put_safe(FILE *o, const char *s);
/* Writes JSON text with every '$' as \u0024 (only possible inside strings). */
void put_json(FILE *o, json_t *j, size_t flags);
/* One JSON Lines record (new reference). */
json_t *rec_json(const rec *r);
/* The table on o (errors and warnings on stderr; o NULL: those only).
 * flags: TABLE_VULNERABLE_ONLY (--vulnerable-only), TABLE_COLOUR (the
 * status in colour, --color). */
enum { TABLE_VULNERABLE_ONLY = 1, TABLE_COLOUR = 2 };
void out_table(FILE *o, const collect *col, int flags);
/* Elastic Common Schema documents (JSON Lines) of col on o: one per finding
 * of a component and one per error (cli/scan_ecs.c, docs/output-schemas.md). */
void out_ecs(FILE *o, const collect *col, const scan_meta *m);
/* A SARIF 2.1.0 log of col on o. */
void out_sarif(FILE *o, const collect *col, const scan_meta *m);
/* A CycloneDX 1.5 JSON SBOM of col on o. */
void out_cyclonedx(FILE *o, const collect *col, const scan_meta *m);

/* ---- policy (cli/scan_policy.c) ---- */

/* Minimum severity rank: "low" 1 .. "critical" 4; 0 for anything else. */
int severity_rank(const char *sev);
/* The --fail-on rule: a severity, "rce", "any", or a comma-separated list of
 * CVE ids.  Returns 0, or -1 with a message on stderr. */
typedef struct fail_rule {
    int min_rank;     /* 0: any severity */
    int rce;          /* only the CVEs of the remote code execution table */
    char *ids;        /* ",CVE-a,CVE-b," or NULL */
} fail_rule;
int fail_rule_parse(fail_rule *f, const char *text);
/* Does vulns[k] of r fail the scan under f (not suppressed)? */
int fail_rule_match(const fail_rule *f, const rec *r, size_t k);

/* Suppression rules from --ignore and --vex files. */
typedef struct policy policy;
/* Adds the rules of an ignore file (JSON: {"ignore":[{"id","path","reason",
 * "expires"}]}) or a VEX document (CycloneDX or OpenVEX JSON); today is
 * "YYYY-MM-DD" (UTC).  Returns 0, or -1 with a message naming the file and
 * field on stderr. */
int policy_load_ignore(policy **p, const char *file, const char *today);
int policy_load_vex(policy **p, const char *file);
/* Marks the suppressed findings of every record (rec.suppressed) and drops
 * findings below min_rank; warns on stderr once per expired ignore rule
 * that would have matched. */
void policy_apply(const policy *p, collect *col, int min_rank);
void policy_free(policy *p);

#endif
