/*
 * fuzz_logscan.c -- libFuzzer target for the line scanner of `defuse logs`
 * (cli/log_scan.c: candidate jumps, newline counting, partial lines carried
 * between blocks, overlong lines, Latin-1 lines, windows of lines joined
 * after an open "${", and the UTF-16 view when bit 2 of the second byte is
 * set: then the records of both views are compared as sorted sets, since
 * how they interleave depends on the block sizes).  The input is scanned
 * twice, once in one block and once cut into pieces whose sizes come from
 * the input; the line count and the findings (kind and line) must agree
 * and match a plain count of the newlines.  The CLI files are compiled in.
 */
#include "../../cli/log_format.c"
#include "../../cli/log_scan.c"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REC 4096

typedef struct collected {
    size_t n;
    uint64_t key[MAX_REC]; /* line << 8 | kind */
} collected;

static int u16_bom = -1; /* -1: no UTF-16 view, else lscan_enable_u16's bom */

static void sink(void *user, lrec *r) {
    collected *c = user;
    /* a multi-line finding ends after its line, within the join bound */
    if (r->type == LREC_FINDING && r->end_line &&
        (r->end_line <= r->line || r->end_line - r->line >= LOGS_JOIN_LINES))
        abort();
    if (r->type == LREC_FINDING && c->n < MAX_REC)
        c->key[c->n++] = r->line << 8 | (uint64_t)r->kind;
    lrec_free(r);
}

static uint64_t run(const lscan_opts *o, const char *p, size_t n, const uint8_t *cuts, size_t ncuts,
                    collected *c) {
    lscan *s;
    if (lscan_new(&s, o, NULL, 2021, sink, c) < 0)
        return UINT64_MAX;
    if (u16_bom >= 0 && lscan_enable_u16(s, u16_bom) < 0) {
        lscan_free(s);
        return UINT64_MAX;
    }
    size_t pos = 0, k = 0;
    while (pos < n) {
        size_t piece = ncuts ? (size_t)cuts[k++ % ncuts] + 1 : n - pos;
        if (piece > n - pos)
            piece = n - pos;
        lscan_feed(s, p + pos, piece);
        pos += piece;
    }
    lscan_finish(s);
    uint64_t lines = lscan_lines(s);
    lscan_free(s);
    return lines;
}

static int cmp_key(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3 || size > 1 << 16)
        return 0;
    lscan_opts o;
    memset(&o, 0, sizeof o);
    o.kind_mask = 0x1F;
    o.max_line = (size_t)data[0] * 4 + 1;
    o.json = data[1] & 1;
    o.want_summary = (data[1] >> 1) & 1;
    u16_bom = (data[1] >> 2) & 1 ? (data[1] >> 3) % 3 : -1;
    size_t ncuts = data[2] % 8;
    if (size < 3 + ncuts)
        return 0;
    const uint8_t *cuts = data + 3;
    const char *text = (const char *)data + 3 + ncuts;
    size_t n = size - 3 - ncuts;
    char *copy = calloc(1, n ? n : 1);
    if (!copy)
        return 0;
    if (n)
        memcpy(copy, text, n);

    static collected a, b;
    a.n = b.n = 0;
    uint64_t la = run(&o, copy, n, NULL, 0, &a);
    uint64_t lb = run(&o, copy, n, cuts, ncuts, &b);
    uint64_t want = lscan_count_newlines(copy, n);
    size_t naive = 0;
    for (size_t i = 0; i < n; i++)
        naive += copy[i] == '\n';
    if (want != naive)
        abort();
    if (n && copy[n - 1] != '\n')
        want++;
    if (la != want || lb != want)
        abort();
    if (u16_bom >= 0) {
        qsort(a.key, a.n, sizeof a.key[0], cmp_key);
        qsort(b.key, b.n, sizeof b.key[0], cmp_key);
    }
    if (a.n != b.n || memcmp(a.key, b.key, a.n * sizeof a.key[0]) != 0)
        abort();
    for (size_t i = 0; i < a.n; i++)
        if ((a.key[i] >> 8) == 0 || (a.key[i] >> 8) > want)
            abort();
    free(copy);
    return 0;
}
