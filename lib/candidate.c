/* candidate.c -- STUB: the bulk pre-filter (replaced by the real one). */
#include "internal.h"

#include <string.h>

size_t defuse_candidate(const char *buf, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '$' || buf[i] == '%' || buf[i] == '\\' || buf[i] == '&' || buf[i] == 'B' ||
            buf[i] == 'b')
            return i;
    return len;
}
