/*
 * candidate.c -- defuse_candidate(), the bulk pre-filter over whole log
 * files: the offset of the first place where something that could decode
 * to a lookup ("${") starts.
 *
 * It must never miss.  The trigger literals are derived (once) from the
 * escape sequences decode.c understands, by this argument (docs/decoding.md
 * has it in full): a "${" in the decoded text either has a literal '$'
 * followed by '{' or by an escape that becomes '{' later, or its '$' is the
 * output of a chain of escapes that all start at one original offset o and
 * whose every intermediate output is an escape-start byte ('%', '\\', '&').
 * The first escape of that chain to be undone starts with the literal byte
 * at o, and its k-th byte is either the literal at o+k or the start of an
 * escape undone earlier.  So for every "chain" sequence S (one that decodes
 * in one round to '$', '%', '\\' or '&': "%24", "%25", "\x5c", "&amp", ...)
 * the literals S[0..k) + {'%','\\','&'} for each k, plus a prefix of S,
 * cover every way the chain can begin.  Base64 is only undone after a
 * literal word "basic" (enforced in decode.c), which is a trigger itself.
 * The unit test and the fuzz target check the invariant on random and
 * adversarial strings.
 *
 * Speed: clean logs must pass at memory speed.  Every trigger starts with
 * one of '$' '%' '&' '\\' or with "ba" (any case); those are rare in logs (one
 * per ~400 bytes in the benign corpus), so a SIMD loop (AVX2 when the CPU
 * has it, else SSE2) flags them 64 bytes at a time and a table of literals
 * bucketed by their first two bytes verifies each hit.  The same literal set
 * compiled with Hyperscan (defuse__candidate_hs) was measured slower on
 * clean logs -- see docs/decoding.md for the figures -- and is kept as the
 * test oracle.
 */
#include "decode_extra.h"

#include <hs/hs.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* ---- the trigger literals ------------------------------------------------ */

/* Every sequence that one decoding round turns into a "chain" byte (out):
 * '$', or an escape start ('%', '\\', '&') that a later round may consume.
 * Must match decode.c (hex digits are listed in both cases where decode.c
 * accepts both).  The first entry is the literal '$' of "${". */
static const struct chain_seq {
    const char *seq;
    char out;
} chain_seqs[] = {
    {"$", '$'},
    {"%24", '$'}, {"%u0024", '$'}, {"%U0024", '$'}, {"\\u0024", '$'}, {"\\x24", '$'},
    {"\\44", '$'}, {"\\044", '$'}, {"&dollar;", '$'},
    {"%25", '%'}, {"%u0025", '%'}, {"%U0025", '%'}, {"\\u0025", '%'}, {"\\x25", '%'},
    {"\\45", '%'}, {"\\045", '%'}, {"&percnt;", '%'},
    {"%26", '&'}, {"%u0026", '&'}, {"%U0026", '&'}, {"\\u0026", '&'}, {"\\x26", '&'},
    {"\\46", '&'}, {"\\046", '&'}, {"&amp;", '&'}, {"&amp", '&'}, {"&AMP;", '&'}, {"&AMP", '&'},
    {"%5c", '\\'}, {"%5C", '\\'}, {"%u005c", '\\'}, {"%u005C", '\\'}, {"%U005c", '\\'},
    {"%U005C", '\\'}, {"\\u005c", '\\'}, {"\\u005C", '\\'}, {"\\x5c", '\\'}, {"\\x5C", '\\'},
    {"\\134", '\\'}, {"\\\\", '\\'}, {"&bsol;", '\\'},
};

/* Numeric character references ("&#36;", "&#x0024", any number of leading
 * zeros) are not enumerable: their prefix "&#" is a trigger as it is. */
static const char *const numeric_refs[] = {"&#"};

/* Base64 is undone only after the literal word "basic" (any case) and a
 * separator that is, or decodes to, a blank. */
static const char *const basic_lits[] = {"basic ", "basic\t", "basic%", "basic\\", "basic&"};

static const char escape_starts[] = {'%', '\\', '&'};

#define MAX_TRIGGERS 1024
#define MAX_TRIGGER_LEN 12
#define NCLASS 6 /* first bytes: $ % & \ b B */

static defuse__trigger triggers[MAX_TRIGGERS];
static char trigger_pool[MAX_TRIGGERS][MAX_TRIGGER_LEN + 1];
static size_t ntriggers;
static size_t max_trigger_len;

/* Verification buckets: by first-byte class and second byte. */
static unsigned char first_class[256];
static uint16_t bucket_first[NCLASS * 256], bucket_count[NCLASS * 256];
static uint16_t bucket_ids[MAX_TRIGGERS * 4];

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void add_trigger(const char *s, size_t len, bool caseless) {
    for (size_t i = 0; i < ntriggers; i++)
        if (triggers[i].len == len && memcmp(triggers[i].lit, s, len) == 0)
            return;
    if (ntriggers == MAX_TRIGGERS || len > MAX_TRIGGER_LEN)
        return; /* cannot happen with the static tables above */
    memcpy(trigger_pool[ntriggers], s, len);
    trigger_pool[ntriggers][len] = '\0';
    triggers[ntriggers] = (defuse__trigger){trigger_pool[ntriggers], len, caseless};
    if (len > max_trigger_len)
        max_trigger_len = len;
    ntriggers++;
}

static unsigned char fold(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c; }

/* Adds S[0..k) + e for every proper prefix and escape start e. */
static void add_prefixes(const char *s, size_t L) {
    char buf[MAX_TRIGGER_LEN + 1];
    for (size_t k = 1; k < L; k++) {
        memcpy(buf, s, k);
        for (size_t e = 0; e < sizeof escape_starts; e++) {
            buf[k] = escape_starts[e];
            add_trigger(buf, k + 1, false);
        }
    }
}

static void build_triggers(void) {
    for (size_t t = 0; t < DEFUSE_ARRAY_LEN(chain_seqs); t++) {
        const char *s = chain_seqs[t].seq;
        size_t L = strlen(s);
        add_prefixes(s, L);
        /* The whole sequence, followed by what may come next: after '$' a
         * '{' or an escape that becomes one; after an escape start the
         * second byte of a chain sequence beginning with it, or an escape
         * that becomes that byte. */
        char follow[32];
        size_t nf = 0;
        for (size_t e = 0; e < sizeof escape_starts; e++)
            follow[nf++] = escape_starts[e];
        if (chain_seqs[t].out == '$') {
            follow[nf++] = '{';
        } else {
            for (size_t u = 0; u < DEFUSE_ARRAY_LEN(chain_seqs); u++)
                if (chain_seqs[u].seq[0] == chain_seqs[t].out && chain_seqs[u].seq[1] &&
                    !memchr(follow, chain_seqs[u].seq[1], nf) && nf < sizeof follow)
                    follow[nf++] = chain_seqs[u].seq[1];
            for (size_t u = 0; u < DEFUSE_ARRAY_LEN(numeric_refs); u++)
                if (numeric_refs[u][0] == chain_seqs[t].out && !memchr(follow, '#', nf) &&
                    nf < sizeof follow)
                    follow[nf++] = numeric_refs[u][1];
        }
        char buf[MAX_TRIGGER_LEN + 1];
        memcpy(buf, s, L);
        for (size_t f = 0; f < nf; f++) {
            buf[L] = follow[f];
            add_trigger(buf, L + 1, false);
        }
    }
    for (size_t t = 0; t < DEFUSE_ARRAY_LEN(numeric_refs); t++) {
        size_t L = strlen(numeric_refs[t]);
        add_prefixes(numeric_refs[t], L);
        add_trigger(numeric_refs[t], L, false);
    }
    for (size_t t = 0; t < DEFUSE_ARRAY_LEN(basic_lits); t++)
        add_trigger(basic_lits[t], strlen(basic_lits[t]), true);

    /* Buckets.  Caseless literals go under every case of their first two
     * bytes. */
    static const unsigned char classes[NCLASS] = {'$', '%', '&', '\\', 'b', 'B'};
    for (unsigned c = 0; c < NCLASS; c++)
        first_class[classes[c]] = (unsigned char)(c + 1);
    size_t nid = 0;
    for (unsigned c = 0; c < NCLASS; c++) {
        for (unsigned b1 = 0; b1 < 256; b1++) {
            size_t slot = c * 256 + b1;
            bucket_first[slot] = (uint16_t)nid;
            for (size_t t = 0; t < ntriggers; t++) {
                const unsigned char *l = (const unsigned char *)triggers[t].lit;
                bool m = triggers[t].caseless
                             ? fold(l[0]) == fold(classes[c]) && fold(l[1]) == fold((unsigned char)b1)
                             : l[0] == classes[c] && l[1] == b1;
                if (m && nid < DEFUSE_ARRAY_LEN(bucket_ids))
                    bucket_ids[nid++] = (uint16_t)t;
            }
            bucket_count[slot] = (uint16_t)(nid - bucket_first[slot]);
        }
    }
}

const defuse__trigger *defuse__candidate_triggers(size_t *n) {
    pthread_once(&init_once, build_triggers);
    *n = ntriggers;
    return triggers;
}

/* True if a trigger starts at p[i] (p[0..len)). */
static bool verify(const unsigned char *p, size_t len, size_t i) {
    unsigned c = first_class[p[i]];
    if (!c || len - i < 2)
        return false;
    size_t slot = (c - 1) * 256 + p[i + 1];
    const uint16_t *ids = bucket_ids + bucket_first[slot];
    for (unsigned k = 0; k < bucket_count[slot]; k++) {
        const defuse__trigger *t = &triggers[ids[k]];
        if (t->len > len - i)
            continue;
        const unsigned char *l = (const unsigned char *)t->lit;
        size_t j = 2;
        if (t->caseless) {
            while (j < t->len && fold(p[i + j]) == fold(l[j]))
                j++;
        } else {
            while (j < t->len && p[i + j] == l[j])
                j++;
        }
        if (j == t->len)
            return true;
    }
    return false;
}

/* ---- scanners ------------------------------------------------------------ */

static size_t scan_scalar(const unsigned char *p, size_t from, size_t len) {
    for (size_t i = from; i < len; i++)
        if (first_class[p[i]] && verify(p, len, i))
            return i;
    return len;
}

size_t defuse__candidate_scalar(const char *buf, size_t len) {
    pthread_once(&init_once, build_triggers);
    return scan_scalar((const unsigned char *)buf, 0, len);
}

#if HAVE_X86
/* Bit i of the result is set when p[i] is '$' '%' '&' '\\', or p[i..i+2)
 * is "ba" in any case.  Reads p[0..17). */
static inline unsigned flag16(const unsigned char *p) {
    __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
    __m128i t = _mm_sub_epi8(v0, _mm_set1_epi8(0x24));
    __m128i range = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(2)), t); /* 0x24..0x26 */
    __m128i bs = _mm_cmpeq_epi8(v0, _mm_set1_epi8('\\'));
    __m128i b = _mm_cmpeq_epi8(_mm_or_si128(v0, _mm_set1_epi8(0x20)), _mm_set1_epi8('b'));
    __m128i a = _mm_cmpeq_epi8(_mm_or_si128(v1, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    __m128i m = _mm_or_si128(_mm_or_si128(range, bs), _mm_and_si128(a, b));
    return (unsigned)_mm_movemask_epi8(m);
}

static size_t scan_sse2(const unsigned char *p, size_t len) {
    size_t i = 0;
    while (len >= 17 && i <= len - 17) {
        unsigned m = flag16(p + i);
        while (m) {
            size_t pos = i + (size_t)__builtin_ctz(m);
            if (verify(p, len, pos))
                return pos;
            m &= m - 1;
        }
        i += 16;
    }
    return scan_scalar(p, i, len);
}

__attribute__((target("avx2"))) static inline uint32_t flag32(const unsigned char *p) {
    __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 1));
    __m256i t = _mm256_sub_epi8(v0, _mm256_set1_epi8(0x24));
    __m256i range = _mm256_cmpeq_epi8(_mm256_min_epu8(t, _mm256_set1_epi8(2)), t);
    __m256i bs = _mm256_cmpeq_epi8(v0, _mm256_set1_epi8('\\'));
    __m256i b = _mm256_cmpeq_epi8(_mm256_or_si256(v0, _mm256_set1_epi8(0x20)), _mm256_set1_epi8('b'));
    __m256i a = _mm256_cmpeq_epi8(_mm256_or_si256(v1, _mm256_set1_epi8(0x20)), _mm256_set1_epi8('a'));
    __m256i m = _mm256_or_si256(_mm256_or_si256(range, bs), _mm256_and_si256(a, b));
    return (uint32_t)_mm256_movemask_epi8(m);
}

__attribute__((target("avx2"))) static size_t scan_avx2(const unsigned char *p, size_t len) {
    size_t i = 0;
    /* 64 bytes per iteration; the loads reach p[i+64]. */
    while (len >= 65 && i <= len - 65) {
        uint64_t m = (uint64_t)flag32(p + i) | ((uint64_t)flag32(p + i + 32) << 32);
        while (m) {
            size_t pos = i + (size_t)__builtin_ctzll(m);
            if (verify(p, len, pos))
                return pos;
            m &= m - 1;
        }
        i += 64;
    }
    return scan_scalar(p, i, len);
}
#endif

static int use_avx2;

static void init_all(void) {
    pthread_once(&init_once, build_triggers);
#if HAVE_X86
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
}

static pthread_once_t dispatch_once = PTHREAD_ONCE_INIT;

size_t defuse__candidate_sse2(const char *buf, size_t len) {
    pthread_once(&init_once, build_triggers);
#if HAVE_X86
    return scan_sse2((const unsigned char *)buf, len);
#else
    return scan_scalar((const unsigned char *)buf, 0, len);
#endif
}

size_t defuse_candidate(const char *buf, size_t len) {
    if (!buf || len == 0)
        return len;
    pthread_once(&dispatch_once, init_all);
    const unsigned char *p = (const unsigned char *)buf;
#if HAVE_X86
    return use_avx2 ? scan_avx2(p, len) : scan_sse2(p, len);
#else
    return scan_scalar(p, 0, len);
#endif
}

/* ---- Hyperscan reference ------------------------------------------------- */

static hs_database_t *hs_db;
static pthread_once_t hs_once = PTHREAD_ONCE_INIT;
static pthread_key_t hs_key;
static _Thread_local hs_scratch_t *hs_tls_scratch;

static void free_scratch(void *s) { hs_free_scratch(s); }

static void hs_init(void) {
    size_t n;
    const defuse__trigger *t = defuse__candidate_triggers(&n);
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
    return (size_t)to >= c->best + max_trigger_len ? 1 : 0;
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
        off += n - (max_trigger_len - 1);
    }
}
