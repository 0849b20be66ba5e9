/*
 * sbom_dump.c -- reads SBOM files with sbom_parse() and prints, per file,
 * "FILE<TAB>FORMAT<TAB>COMPONENTS<TAB>WITHOUT_VERSION<TAB>WITH_PURL<TAB>WITH_PARENT",
 * or with -v one line per component (name, version, purl, cpe, ref,
 * parent, supplier, line; "-" for absent).  Errors go to stderr with the
 * reader's "FILE:LINE:COL: message"; exit 1 if any file failed.
 */
#include "sbom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s(const char *v) { return v ? v : "-"; }

int main(int argc, char **argv) {
    int verbose = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) {
            verbose = 1;
            continue;
        }
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            bad = 1;
            continue;
        }
        size_t cap = 1 << 16, len = 0, n;
        char *buf = malloc(cap);
        while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
            len += n;
            if (len == cap) {
                char *nb = cap <= SBOM_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
                if (!nb)
                    break;
                buf = nb;
                cap *= 2;
            }
        }
        fclose(f);
        if (!buf) {
            bad = 1;
            continue;
        }
        sbom_doc d;
        char err[512];
        if (sbom_parse(buf, len, argv[i], &d, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            bad = 1;
        } else if (verbose) {
            for (size_t k = 0; k < d.ncomponents; k++) {
                const sbom_component *x = &d.components[k];
                printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%u\n", x->name, s(x->version), s(x->purl),
                       s(x->cpe), s(x->ref), s(x->parent), s(x->supplier), x->line);
            }
        } else {
            size_t nover = 0, npurl = 0, npar = 0;
            for (size_t k = 0; k < d.ncomponents; k++) {
                nover += !d.components[k].version;
                npurl += !!d.components[k].purl;
                npar += !!d.components[k].parent;
            }
            printf("%s\t%s\t%zu\t%zu\t%zu\t%zu\n", argv[i], sbom_format_name(d.format), d.ncomponents,
                   nover, npurl, npar);
        }
        sbom_doc_free(&d);
        free(buf);
    }
    return bad;
}
