/*
 * fuzz_logtime.c -- libFuzzer target for defuse_log_time(): never reads
 * past the buffer (ASan), never fails other than with DEFUSE_ENOENT, and
 * returns a time in its documented range with a zone offset within +-18 h.
 */
#include <defuse.h>
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
    int64_t ms = 0;
    int tz = 0;
    unsigned fl = 0;
    int rc = defuse_log_time(buf, size, &ms, &tz, &fl);
    if (rc != 0 && rc != DEFUSE_ENOENT)
        abort();
    /* 1970-01-01 minus 18 h .. 10000-01-01 plus 18 h */
    if (rc == 0 && (tz < -18 * 60 || tz > 18 * 60 || ms < -18LL * 3600000 ||
                    ms > 253402300800000LL + 18LL * 3600000 || (fl & ~DEFUSE_TIME_NO_ZONE)))
        abort();
    free(buf);
    return 0;
}
