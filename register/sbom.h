/*
 * sbom.h -- the SBOM readers of the exposure register: CycloneDX 1.2-1.6
 * (JSON and XML, nested components) and SPDX 2.2/2.3 (JSON and tag-value).
 *
 * Contract: sbom_parse() reads a whole document held in memory and either
 * fills *out (every component, flattened, each naming its parent) and
 * returns 0, or returns -1 with err holding "FILE:LINE:COL: what" (LINE
 * and COL 1-based; 0 when unknown) and *out left empty.  It never prints,
 * never exits, and bounds what the input controls (SBOM_MAX_* below).
 * Strings in the result are NUL-terminated UTF-8 owned by the document.
 */
#ifndef DEFUSE_REGISTER_SBOM_H
#define DEFUSE_REGISTER_SBOM_H

#include <stddef.h>
#include <stdint.h>

#define SBOM_MAX_BYTES ((size_t)256 << 20) /* a larger document is refused */
#define SBOM_MAX_COMPONENTS 1000000u
#define SBOM_MAX_DEPTH 64u /* nesting of components (and of XML/JSON) */

typedef enum sbom_format {
    SBOM_UNKNOWN = 0,
    SBOM_CYCLONEDX_JSON,
    SBOM_CYCLONEDX_XML,
    SBOM_SPDX_JSON,
    SBOM_SPDX_TAGVALUE,
} sbom_format;

typedef struct sbom_component {
    char *name;     /* never NULL */
    char *group;    /* CycloneDX group (a Maven groupId), or NULL */
    char *version;  /* as written (may be a range); NULL when absent */
    char *purl;     /* NULL when absent */
    char *cpe;      /* first CPE (2.2 or 2.3), NULL when absent */
    char *ref;      /* CycloneDX bom-ref or SPDX SPDXID, NULL when absent */
    char *parent;   /* ref of the enclosing component, NULL at top level */
    char *supplier; /* supplier/originator/publisher name, NULL when absent */
    uint32_t line;  /* where it is declared (1-based, 0 unknown) */
} sbom_component;

typedef struct sbom_doc {
    sbom_format format;
    char *spec_version; /* "1.5", "SPDX-2.3", ... */
    char *subject;      /* metadata.component name / SPDX document name, or NULL */
    char *serial;       /* serialNumber / documentNamespace, or NULL */
    char *created;      /* metadata.timestamp / creationInfo.created, or NULL */
    sbom_component *components;
    size_t ncomponents;
} sbom_doc;

/* The format buf[0..len) looks like (by content, never by file name). */
sbom_format sbom_sniff(const char *buf, size_t len);

/* Short name of a format ("cyclonedx-json", "spdx-tag-value", ...). */
const char *sbom_format_name(sbom_format f);

int sbom_parse(const char *buf, size_t len, const char *filename, sbom_doc *out, char *err,
               size_t errlen);

void sbom_doc_free(sbom_doc *d);

/* True when a component's version cannot be compared: absent (NULL), empty,
 * or a range/wildcard as SBOMs write them ("[2.0,2.15)", ">=2.0", "2.x",
 * "*", "^2.14", "~2.14", "1.0 - 2.0", "a || b").  The register reports such
 * a component as "unknown: needs review", never as not affected. */
int sbom_version_needs_review(const char *version);

#endif
