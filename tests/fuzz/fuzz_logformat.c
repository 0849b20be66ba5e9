/*
 * fuzz_logformat.c -- libFuzzer target for the log-line field extraction of
 * `defuse logs` (cli/log_format.c: access, nginx error, JSON, syslog, log4j
 * and ISO 8601 formats).  The CLI file is compiled into this target
 * directly, since it is not part of libdefuse.  Checks the contract: the
 * fields are always NUL-terminated, a src_ip is a parseable address, a time
 * is ISO 8601 shaped, and an hour is present exactly when a time is.
 */
#include "../../cli/log_format.c"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* exact-size copy so ASan sees any read past the line */
    char *line = malloc(size ? size : 1);
    if (!line)
        return 0;
    if (size)
        memcpy(line, data, size);
    lf_fields f;
    int year = size ? 1970 + data[0] * 31 : 2021;
    lf_extract(line, size, year, &f);
    if (!memchr(f.src_ip, '\0', sizeof f.src_ip) || !memchr(f.time, '\0', sizeof f.time))
        abort();
    if (f.src_ip[0]) {
        unsigned char a[16];
        if (inet_pton(AF_INET, f.src_ip, a) != 1 && inet_pton(AF_INET6, f.src_ip, a) != 1)
            abort();
    }
    if ((f.time[0] != '\0') != (f.hour != LF_NO_HOUR))
        abort();
    if (f.time[0] && (strlen(f.time) < 19 || f.time[4] != '-' || f.time[10] != 'T'))
        abort();
    if (f.hour != LF_NO_HOUR) {
        char buf[32];
        lf_format_hour(f.hour, buf, sizeof buf);
        if (strncmp(buf, f.time, 13) != 0) /* same date and hour */
            abort();
    }
    free(line);
    return 0;
}
