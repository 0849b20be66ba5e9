/*
 * candidate_hs.c -- defuse__candidate_hs(), the reference implementation of
 * defuse_candidate(): the same trigger literals (defuse__candidate_triggers)
 * compiled with Hyperscan.  Only the tests and the benchmarks call it, so
 * it is a file of its own: programs that do not (defuse, the nginx module)
 * do not link it, nor load Hyperscan and libstdc++ at start-up.
 */
#include "decode_extra.h"

#include <hs/hs.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- Hyperscan reference ------------------------------------------------- */

static hs_database_t *hs_db;
static size_t hs_max_len = 1; /* the longest trigger literal */
static pthread_once_t hs_once = PTHREAD_ONCE_INIT;
static pthread_key_t hs_key;
static _Thread_local hs_scratch_t *hs_tls_scratch;

static void free_scratch(void *s) {
    hs_free_scratch(s);
}

static void hs_init(void) {
    size_t n;
    const defuse__trigger *t = defuse__candidate_triggers(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].len > hs_max_len)
            hs_max_len = t[i].len;
    char **exprs = calloc(n, sizeof *exprs);
    unsigned *flags = calloc(n, sizeof *flags), *ids = calloc(n, sizeof *ids);
    hs_compile_error_t *err = NULL;
    if (!exprs || !flags || !ids)
        goto out;
    for (size_t i = 0; i < n; i++) {
        /* Each byte as \xHH: no regex metacharacter survives. */
        exprs[i] = malloc(t[i].len * 4 + 1);
        if (!exprs[i])
            goto out;
        for (size_t j = 0; j < t[i].len; j++) {
            static const char hx[] = "0123456789abcdef";
            unsigned char c = (unsigned char)t[i].lit[j];
            exprs[i][j * 4] = '\\';
            exprs[i][j * 4 + 1] = 'x';
            exprs[i][j * 4 + 2] = hx[c >> 4];
            exprs[i][j * 4 + 3] = hx[c & 15];
        }
        exprs[i][t[i].len * 4] = '\0';
        flags[i] = HS_FLAG_SINGLEMATCH | (t[i].caseless ? HS_FLAG_CASELESS : 0);
        ids[i] = (unsigned)i;
    }
    if (pthread_key_create(&hs_key, free_scratch) != 0)
        goto out;
    if (hs_compile_multi((const char *const *)exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL,
                         &hs_db, &err) != HS_SUCCESS) {
        hs_free_compile_error(err);
        hs_db = NULL;
    }
out:
    if (exprs)
        for (size_t i = 0; i < n; i++)
            free(exprs[i]);
    free(exprs);
    free(flags);
    free(ids);
}

typedef struct hs_ctx {
    size_t best;
} hs_ctx;

static int on_hs_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
                       void *ctx) {
    (void)from;
    (void)fl;
    hs_ctx *c = ctx;
    size_t n;
    const defuse__trigger *t = defuse__candidate_triggers(&n);
    size_t start = (size_t)to - t[id].len;
    if (start < c->best)
        c->best = start;
    /* Matches arrive by end offset: none ending later can start earlier. */
    return (size_t)to >= c->best + hs_max_len ? 1 : 0;
}

size_t defuse__candidate_hs(const char *buf, size_t len) {
    pthread_once(&hs_once, hs_init);
    if (!hs_db)
        return (size_t)-1;
    if (!hs_tls_scratch) {
        hs_scratch_t *s = NULL;
        if (hs_alloc_scratch(hs_db, &s) != HS_SUCCESS)
            return (size_t)-1;
        if (pthread_setspecific(hs_key, s) != 0) {
            hs_free_scratch(s);
            return (size_t)-1;
        }
        hs_tls_scratch = s;
    }
    /* hs_scan takes an unsigned length: scan in overlapping chunks. */
    const size_t chunk = (size_t)1 << 30;
    size_t off = 0;
    for (;;) {
        size_t n = len - off > chunk ? chunk : len - off;
        hs_ctx c = {.best = (size_t)-1};
        hs_error_t e = hs_scan(hs_db, buf + off, (unsigned)n, 0, hs_tls_scratch, on_hs_match, &c);
        if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
            return (size_t)-1;
        if (c.best != (size_t)-1)
            return off + c.best;
        if (off + n >= len)
            return len;
        off += n - (hs_max_len - 1);
    }
}
