/* callback.c -- STUB: JNDI name parsing (replaced by the real parser). */
#include "internal.h"

#include <string.h>

int defuse__callback_parse(const char *name, size_t len, defuse__arena *a,
                           defuse__callback_info *out) {
    (void)a;
    memset(out, 0, sizeof *out);
    out->port = -1;
    (void)name;
    (void)len;
    return 0;
}
