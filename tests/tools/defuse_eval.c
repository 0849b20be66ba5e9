/*
 * defuse_eval.c -- libdefuse's side of the differential test against real
 * log4j (tests/e2e/diff_log4j.sh, tests/e2e/corpus_*.sh; see
 * docs/differential-testing.md).
 *
 * Reads one input per line on stdin and prints one result line per input:
 *
 *     STATUS[ =HEX]...
 *
 * STATUS is "ok", "recursion" (a DEFUSE_KIND_RECURSION finding for a cycle
 * or runaway substitution), "limit" (recursion findings only because a limit
 * stopped the emulation: each carries DEFUSE_TECH_DEPTH_LIMIT) or
 * "error:TEXT" (defuse_scan() failed); each "=HEX" is one distinct callback
 * of a DEFUSE_KIND_JNDI finding as lower-case hex of its bytes, sorted
 * ("=-" stands for a jndi finding without a callback).  This is the format
 * tests/diff/Log4jDiff.java prints for real log4j, so the two compare line by
 * line.  In normal mode (-n) a callback that holds only under a condition
 * other than "log4j 2.14.1 on a Unix JVM logged exactly these bytes at the
 * oracle's time" is marked instead of "=": "+" found in a decoded layer
 * (DEFUSE_TECH_ENCODED), "~" only in a field of its own
 * (DEFUSE_TECH_FIELD_SPLIT), "^" only on a Windows JVM
 * (DEFUSE_TECH_WINDOWS_ONLY), "@" only at some event times when the time
 * is unknown (DEFUSE_TECH_CLOCK); the first that applies in that order.
 * The event time is fixed at the oracle's (1970-01-02T00:00Z) with -T.
 *
 * Options:
 *   -n   normal mode: transport decoding on, not exact (the default is
 *        DEFUSE_SCAN_EXACT | DEFUSE_SCAN_NO_DECODE, the log4j model itself)
 *   -t   input lines are raw text (a trailing "\r" is kept); the default is
 *        the hex of the input's bytes, so any byte survives
 *   -u   flush stdout after every line (for a driver that talks to us
 *        through a pipe, one line at a time)
 *   -k   also print " kinds=J,T,R,L,I" (findings per kind) after STATUS
 *   -T   the event was logged at the oracle's time, 1970-01-02T00:00Z
 *        (defuse_scanner_set_time), so ${date:...} values are known
 *
 * Exit status: 0, or 2 on a usage error, bad hex or an I/O error.
 */
#include <defuse.h>
#include "tool_hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The distinct JNDI callbacks and the kinds seen for one input. */
typedef struct eval_state {
    char **names;            /* hex strings, malloc'd */
    size_t n, cap;
    size_t kinds[DEFUSE_KIND_COUNT];
    size_t limit_recursions; /* recursion findings with DEFUSE_TECH_DEPTH_LIMIT */
    int oom;
} eval_state;

static const char HEXDIGITS[] = "0123456789abcdef";

static char *to_hex(const char *s, size_t len) {
    char *h = malloc(len * 2 + 1);
    if (!h)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        h[2 * i] = HEXDIGITS[(unsigned char)s[i] >> 4];
        h[2 * i + 1] = HEXDIGITS[(unsigned char)s[i] & 15];
    }
    h[len * 2] = '\0';
    return h;
}


/* Decodes hex in place; returns the byte length or -1. */
static long from_hex(char *s, size_t len) {
    if (len % 2)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval((unsigned char)s[2 * i]);
        int lo = hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        s[i] = (char)(hi << 4 | lo);
    }
    return (long)(len / 2);
}

static int on_finding(const defuse_finding *f, void *user) {
    eval_state *st = user;
    if ((unsigned)f->kind < DEFUSE_KIND_COUNT)
        st->kinds[f->kind]++;
    /* A recursion only a field of its own reaches is not the message's. */
    if (f->kind == DEFUSE_KIND_RECURSION && (f->techniques & DEFUSE_TECH_FIELD_SPLIT))
        st->kinds[DEFUSE_KIND_RECURSION]--;
    else if (f->kind == DEFUSE_KIND_RECURSION && (f->techniques & DEFUSE_TECH_DEPTH_LIMIT))
        st->limit_recursions++;
    if (f->kind != DEFUSE_KIND_JNDI)
        return 0;
    char mark = '=';
    if (f->techniques & DEFUSE_TECH_ENCODED)
        mark = '+';
    else if (f->techniques & DEFUSE_TECH_FIELD_SPLIT)
        mark = '~';
    else if (f->techniques & DEFUSE_TECH_WINDOWS_ONLY)
        mark = '^';
    else if (f->techniques & DEFUSE_TECH_CLOCK)
        mark = '@';
    char *h0 = f->callback ? to_hex(f->callback, f->callback_len) : strdup("-");
    char *h = h0 ? malloc(strlen(h0) + 2) : NULL;
    if (h)
        sprintf(h, "%c%s", mark, h0);
    free(h0);
    if (!h) {
        st->oom = 1;
        return 1;
    }
    for (size_t i = 0; i < st->n; i++) {
        if (strcmp(st->names[i], h) == 0) {
            free(h);
            return 0;
        }
    }
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 8;
        char **nn = realloc(st->names, cap * sizeof *nn);
        if (!nn) {
            free(h);
            st->oom = 1;
            return 1;
        }
        st->names = nn;
        st->cap = cap;
    }
    st->names[st->n++] = h;
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void usage(void) {
    fprintf(stderr, "usage: defuse_eval [-n] [-t] [-u] [-k] [-T] < lines\n");
}

int main(int argc, char **argv) {
    unsigned flags = DEFUSE_SCAN_EXACT | DEFUSE_SCAN_NO_DECODE;
    int raw = 0, unbuffered = 0, kinds = 0, opt, rc = 0;
    int fixed_time = 0;
    while ((opt = getopt(argc, argv, "ntukT")) != -1) {
        switch (opt) {
        case 'n':
            flags = 0;
            break;
        case 't':
            raw = 1;
            break;
        case 'u':
            unbuffered = 1;
            break;
        case 'k':
            kinds = 1;
            break;
        case 'T':
            fixed_time = 1;
            break;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc) {
        usage();
        return 2;
    }

    defuse_scanner *s = NULL;
    int err = defuse_scanner_new(&s, NULL);
    if (err < 0) {
        fprintf(stderr, "defuse_eval: %s\n", defuse_strerror(err));
        return 2;
    }
    /* The oracle's event time (Log4jDiff.java: DAY), in UTC. */
    if (fixed_time)
        defuse_scanner_set_time(s, 86400000, 0);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned long lineno = 0;
    eval_state st = {0};
    while ((got = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        if (len && line[len - 1] == '\n')
            len--;
        if (!raw) {
            while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
                len--;
            long n = from_hex(line, len);
            if (n < 0) {
                fprintf(stderr, "defuse_eval: stdin line %lu: not hex\n", lineno);
                rc = 2;
                break;
            }
            len = (size_t)n;
        }
        for (size_t i = 0; i < st.n; i++)
            free(st.names[i]);
        st.n = 0;
        st.oom = 0;
        memset(st.kinds, 0, sizeof st.kinds);
        st.limit_recursions = 0;

        int r = defuse_scan(s, line, len, flags, on_finding, &st);
        if (st.oom) {
            fprintf(stderr, "defuse_eval: out of memory\n");
            rc = 2;
            break;
        }
        if (r < 0)
            printf("error:%s", defuse_strerror(r));
        else if (st.kinds[DEFUSE_KIND_RECURSION] > st.limit_recursions)
            fputs("recursion", stdout);
        else if (st.kinds[DEFUSE_KIND_RECURSION])
            fputs("limit", stdout);
        else
            fputs("ok", stdout);
        if (kinds)
            printf(" kinds=%zu,%zu,%zu,%zu,%zu", st.kinds[0], st.kinds[1], st.kinds[2], st.kinds[3],
                   st.kinds[4]);
        if (st.n > 1)
            qsort(st.names, st.n, sizeof *st.names, cmp_str);
        for (size_t i = 0; i < st.n; i++)
            printf(" %s", st.names[i]);
        putchar('\n');
        if (unbuffered)
            fflush(stdout);
    }
    if (ferror(stdin)) {
        perror("defuse_eval: stdin");
        rc = 2;
    }
    if (fflush(stdout) != 0) {
        perror("defuse_eval: stdout");
        rc = 2;
    }
    for (size_t i = 0; i < st.n; i++)
        free(st.names[i]);
    free(st.names);
    free(line);
    defuse_scanner_free(s);
    return rc;
}
