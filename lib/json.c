/* json.c -- STUB: finding serialisation and defanging (replaced). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *defuse_finding_to_json(const defuse_finding *f, const char *extra) {
    (void)f;
    (void)extra;
    return strdup("{}");
}

size_t defuse_defang(const char *s, size_t len, char *out, size_t outsz) {
    if (outsz) {
        size_t n = len < outsz - 1 ? len : outsz - 1;
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return len;
}
