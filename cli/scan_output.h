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
} rec;

typedef struct collect {
    rec *v;
    size_t n, cap;
    int oom;
} collect;

/* Prints s for a terminal: "${" becomes "$\{", control bytes \xHH. */
void put_safe(FILE *o, const char *s);
/* Writes JSON text with every '$' as \u0024 (only possible inside strings). */
void put_json(FILE *o, json_t *j, size_t flags);
/* One JSON Lines record (new reference). */
json_t *rec_json(const rec *r);
/* The table on o (errors and warnings on stderr); quiet: vulnerable only. */
void out_table(FILE *o, const collect *col, int quiet);
/* A SARIF 2.1.0 log of col on o. */
void out_sarif(FILE *o, const collect *col);
/* A CycloneDX 1.5 JSON SBOM of col on o. */
void out_cyclonedx(FILE *o, const collect *col);

#endif
