/*
 * casemap_eval.c -- lib/casemap.c's side of tests/e2e/casemap_jdk.sh; prints
 * what tests/tools/CaseMapOracle.java prints for the JDK, so the two compare
 * byte for byte.
 *
 *   casemap_eval all    every code point but the surrogates:
 *                       "CP LOWERHEX UPPERHEX" (UTF-8 of the mappings, hex)
 *   casemap_eval map    for each line of hex bytes on stdin: "LOWERHEX UPPERHEX"
 *   casemap_eval jdk    the JDK the tables were generated from
 *
 * Exit status: 0, or 2 on a usage error, bad hex or an out-of-memory.
 */
#include "internal.h"
#include "tool_hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_hex(const char *s, size_t n) {
    static const char H[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        putchar(H[(unsigned char)s[i] >> 4]);
        putchar(H[(unsigned char)s[i] & 15]);
    }
}

/* Prints "LOWERHEX UPPERHEX\n" for s[0..n); returns 0 or -1 (out of memory). */
static int both(const char *s, size_t n) {
    char *out = malloc(n * DEFUSE__CASEMAP_GROWTH + 1);
    if (!out)
        return -1;
    put_hex(out, defuse__casemap(s, n, false, out));
    putchar(' ');
    put_hex(out, defuse__casemap(s, n, true, out));
    putchar('\n');
    free(out);
    return 0;
}


int main(int argc, char **argv) {
    const char *mode = argc == 2 ? argv[1] : "";
    if (strcmp(mode, "jdk") == 0) {
        printf("%s\n", defuse_casemap_jdk());
        return 0;
    }
    if (strcmp(mode, "all") == 0) {
        for (unsigned long cp = 0; cp < 0x110000; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            char u[4];
            size_t n;
            if (cp < 0x80) {
                u[0] = (char)cp;
                n = 1;
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | cp >> 6);
                u[1] = (char)(0x80 | (cp & 0x3F));
                n = 2;
            } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | cp >> 12);
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                n = 3;
            } else {
                u[0] = (char)(0xF0 | cp >> 18);
                u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[3] = (char)(0x80 | (cp & 0x3F));
                n = 4;
            }
            printf("%lx ", cp);
            if (both(u, n))
                return 2;
        }
        return 0;
    }
    if (strcmp(mode, "map") != 0) {
        fprintf(stderr, "usage: casemap_eval all | map | jdk\n");
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len % 2) {
            fprintf(stderr, "casemap_eval: odd hex line\n");
            free(line);
            return 2;
        }
        size_t n = (size_t)len / 2;
        for (size_t i = 0; i < n; i++) {
            int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                fprintf(stderr, "casemap_eval: bad hex\n");
                free(line);
                return 2;
            }
            line[i] = (char)(hi << 4 | lo);
        }
        if (both(line, n)) {
            free(line);
            return 2;
        }
    }
    free(line);
    return 0;
}
