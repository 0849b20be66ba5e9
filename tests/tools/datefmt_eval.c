/*
 * datefmt_eval.c -- lib/datefmt.c's side of tests/e2e/datefmt_jdk.sh.
 *
 * Reads lines "MS<TAB>TZMIN<TAB>HEX(pattern)" on stdin and prints per line
 * the lower-case hex of defuse__datefmt()'s output, the format
 * tests/tools/DateFmtOracle.java prints for the real SimpleDateFormat.
 * Checks the documented contract on the way: the output fits in
 * DEFUSE__DATEFMT_MAX_OUT(n) and is never truncated there, and a pattern
 * the fallback replaced is clock-dependent.
 *
 * Exit status: 0; 1 if the contract broke; 2 on a malformed line.
 */
#include "internal.h"
#include "tool_hex.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>


int main(void) {
    static char line[1 << 20];
    static char pat[sizeof line / 2];
    static char out[DEFUSE__DATEFMT_MAX_OUT(sizeof pat)];
    unsigned long lineno = 0;
    while (fgets(line, sizeof line, stdin)) {
        lineno++;
        char *end;
        errno = 0;
        long long ms = strtoll(line, &end, 10);
        if (errno || *end != '\t')
            goto bad;
        long tz = strtol(end + 1, &end, 10);
        if (*end != '\t')
            goto bad;
        char *h = end + 1;
        size_t n = 0;
        while (hexval(h[0]) >= 0 && hexval(h[1]) >= 0) {
            pat[n++] = (char)(hexval(h[0]) * 16 + hexval(h[1]));
            h += 2;
        }
        if (*h != '\n' && *h != '\0')
            goto bad;
        unsigned info = 0;
        size_t k =
            defuse__datefmt(pat, n, (int64_t)ms, (int)tz, out, DEFUSE__DATEFMT_MAX_OUT(n), &info);
        if ((info & DEFUSE__DATEFMT_TRUNCATED) || k > DEFUSE__DATEFMT_MAX_OUT(n) ||
            ((info & DEFUSE__DATEFMT_FALLBACK) && !(info & DEFUSE__DATEFMT_CLOCK))) {
            fprintf(stderr, "datefmt_eval: line %lu: contract broken (info %u, %zu bytes)\n",
                    lineno, info, k);
            return 1;
        }
        for (size_t i = 0; i < k; i++)
            printf("%02x", (unsigned char)out[i]);
        putchar('\n');
    }
    return 0;
bad:
    fprintf(stderr, "datefmt_eval: line %lu: expected MS<TAB>TZMIN<TAB>HEX\n", lineno);
    return 2;
}
