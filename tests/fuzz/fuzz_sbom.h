/*
 * fuzz_sbom.h -- the body shared by the SBOM fuzz targets (fuzz_sbom_json,
 * fuzz_sbom_xml, fuzz_sbom_spdx_tv): one target per input syntax so that
 * each has its own seeds and dictionary, one contract for sbom_parse():
 * never reads past the buffer (ASan), never leaks, and either fails with an
 * error "FILE:LINE:COL: ..." and an empty document, or returns components
 * that each have a name, with parents naming components.
 */
#ifndef DEFUSE_FUZZ_SBOM_H
#define DEFUSE_FUZZ_SBOM_H

#include "sbom.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* An exact-size copy, so that a read past the end is caught. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    sbom_doc d;
    char err[256];
    int rc = sbom_parse(buf, size, "fuzz", &d, err, sizeof err);
    if (rc != 0) {
        if (strncmp(err, "fuzz:", 5) != 0 || d.components || d.ncomponents || d.spec_version)
            abort();
    } else {
        if (d.format == SBOM_UNKNOWN || d.ncomponents > SBOM_MAX_COMPONENTS)
            abort();
        for (size_t i = 0; i < d.ncomponents; i++) {
            const sbom_component *x = &d.components[i];
            if (!x->name || (x->parent && !*x->parent))
                abort();
            (void)sbom_version_needs_review(x->version);
        }
    }
    sbom_doc_free(&d);
    free(buf);
    return 0;
}

#endif
