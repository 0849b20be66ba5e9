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
 * the literals S[0..k) + {'%','\\','&'} for each k cover every way the chain
 * can begin; when S is wholly literal, what follows its output is the rest of
 * the next chain sequence T (or '{' after '$'), so S + T[1..] is expanded the
 * same way, one sequence deep, and then followed by what may follow T's
 * output.  Prefixes the decoder would consume at once ("\4", "&#3", "&amp",
 * "\\\\") are no triggers.  Base64 is only undone after a literal word
 * "basic" (enforced in decode.c), which is a trigger itself.  The unit test
 * and the fuzz target check the invariant on random and adversarial strings.
 *
 * Speed: clean logs must pass at memory speed.  Every trigger starts with
 * one of '$' '%' '&' '\\' or with "ba" (any case).  A SIMD loop flags the
 * places where one could start, 64 bytes at a time, and a walk down a trie
 * of the ~4,900 literals (as a DFA) verifies each flag.  With AVX-512 VBMI
 * the flags test the first four bytes against eight "buckets" (scan_vbmi:
 * one flag per ~4,400 bytes of the benign corpus); with AVX2 or SSE2 only
 * the first byte or "ba" (one per ~370).  The scanners are in a table
 * (impls[]) and the tests run each against the others.  The same literal
 * set compiled with Hyperscan (defuse__candidate_hs) was measured 4x slower
 * than the AVX2 loop on clean logs -- see docs/decoding.md for the figures
 * -- and is kept as the test oracle.
 */
#include "decode_extra.h"

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

#define OPEN_END 0

/* Every sequence that one decoding round turns into a "chain" byte (out):
 * '$', or an escape start ('%', '\\', '&') that a later round may consume.
 * Must match decode.c (hex digits are listed in both cases where decode.c
 * accepts both).  The first entry is the literal '$' of "${". */
struct chain_seq {
    const char *seq;
    char out;
};
static const struct chain_seq chain_seqs[] = {
    {"$", '$'},        {"%24", '$'},      {"%u0024", '$'},  {"%U0024", '$'},   {"\\u0024", '$'},
    {"\\x24", '$'},    {"\\44", '$'},     {"\\044", '$'},   {"&dollar;", '$'}, {"%25", '%'},
    {"%u0025", '%'},   {"%U0025", '%'},   {"\\u0025", '%'}, {"\\x25", '%'},    {"\\45", '%'},
    {"\\045", '%'},    {"&percnt;", '%'}, {"%26", '&'},     {"%u0026", '&'},   {"%U0026", '&'},
    {"\\u0026", '&'},  {"\\x26", '&'},    {"\\46", '&'},    {"\\046", '&'},    {"&amp;", '&'},
    {"&amp", '&'},     {"&AMP;", '&'},    {"&AMP", '&'},    {"%5c", '\\'},     {"%5C", '\\'},
    {"%u005c", '\\'},  {"%u005C", '\\'},  {"%U005c", '\\'}, {"%U005C", '\\'},  {"\\u005c", '\\'},
    {"\\u005C", '\\'}, {"\\x5c", '\\'},   {"\\x5C", '\\'},  {"\\134", '\\'},   {"\\\\", '\\'},
    {"&bsol;", '\\'},  {"&#", OPEN_END},
};

/* Chain sequences of a first-round rule (quoted-printable, decode.c
 * dec_qp): every byte is raw input, none the output of an earlier escape,
 * and they only begin a chain ('=' is no chain output). */
static const struct chain_seq raw_seqs[] = {
    {"=24", '$'}, {"=25", '%'}, {"=26", '&'}, {"=5C", '\\'}, {"=5c", '\\'},
};

/* Numeric character references ("&#36;", "&#x0024", any number of leading
 * zeros) are not enumerable: "&#" is a chain sequence with out OPEN_END that
 * ends the expansion (everything after it is accepted). */

/* '=' starts quoted-printable escapes, soft line breaks (which yield
 * nothing) and encoded-words, all of the first round: one of them may make
 * a byte of a sequence that a later round undoes ("%=32=34{"). */
static const char escape_starts[] = {'%', '\\', '&', '='};

/* A JWT (decode.c dec_jwt) decodes to '{' first; it is only taken at a
 * boundary (the byte before is no base64url character and no '$'), so
 * only a '$' made by a sequence ending in such a byte ("&dollar;", which
 * ends in ';') can be followed by one. */
static bool jwt_boundary(char b) {
    return !((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
             b == '-' || b == '_' || b == '$');
}

/* How many chain sequences one trigger looks through: 1 means "%25" must be
 * followed by the rest of a '%' sequence ("%255c") and then by what may
 * follow a '\\' ("%255cu", "%255c%"), not just by any '5'.  Depth 2 would
 * give ~50,000 literals for a few hundred fewer candidate lines. */
#define CHAIN_DEPTH 1

/* ---- the trigger trie ---------------------------------------------------- */

/* The literals live in a trie: node 0 is the root; each node has its first
 * child and next sibling (insertion order) and whether a literal ends there
 * (then its subtree is irrelevant).  ~6,000 nodes. */
#define TRIE_MAX_NODES 16384
#define MAX_TRIGGER_LEN 24

typedef struct tnode {
    uint16_t first, next;
    unsigned char byte;
    unsigned char accept;
} tnode;

static tnode trie[TRIE_MAX_NODES];
static unsigned ntrie = 1;
static bool trie_overflow; /* then verify() accepts every first byte */
static unsigned char first_byte[256];

static defuse__trigger *triggers; /* enumerated from the trie, for the oracle */
static char *trigger_pool;
static size_t ntriggers;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* The previous literal and the nodes its walk went through: gen() emits
 * literals in runs that share long prefixes, so a walk resumes where the
 * shared prefix ends instead of searching sibling lists from the root (the
 * searches were most of the start-up cost of the trie).  lit_path[k] is the
 * node after k bytes of lit_prev, for k <= lit_depth; nodes before
 * lit_depth do not accept, lit_path[lit_depth] may. */
static unsigned char lit_prev[MAX_TRIGGER_LEN];
static uint16_t lit_path[MAX_TRIGGER_LEN + 1];
static size_t lit_depth;

static void lit(const char *s, size_t n) {
    size_t k = 0;
    while (k < lit_depth && k < n && lit_prev[k] == (unsigned char)s[k])
        k++;
    unsigned node = lit_path[k];
    for (size_t i = k; i < n; i++) {
        if (trie[node].accept) {
            lit_depth = i;
            return; /* a shorter literal already covers it */
        }
        unsigned c = trie[node].first;
        while (c && trie[c].byte != (unsigned char)s[i])
            c = trie[c].next;
        if (!c) {
            if (ntrie == TRIE_MAX_NODES) {
                trie_overflow = true;
                lit_depth = 0;
                return;
            }
            c = ntrie++;
            trie[c] = (tnode){0, trie[node].first, (unsigned char)s[i], 0};
            trie[node].first = (uint16_t)c;
        }
        node = c;
        lit_prev[i] = (unsigned char)s[i];
        lit_path[i + 1] = (uint16_t)c;
    }
    lit_depth = n;
    trie[node].accept = 1;
    trie[node].first = 0; /* longer literals through here are redundant */
}

/* True if the literal start q[0..n) of a chain's first sequence would be
 * decoded at once, before a later escape could complete it: a short octal
 * escape ("\4" + "%34" decodes "\4" first), a numeric reference without
 * ';' ("&#3" + ...), or a legacy entity without ';' ("&amp" + ...). */
static bool decodes_at_once(const char *q, size_t n) {
    if (n >= 2 && q[0] == '\\' && n <= 4) {
        size_t k = 1;
        while (k < n && q[k] >= '0' && q[k] <= '7')
            k++;
        if (k == n)
            return true;
    }
    if (n >= 3 && q[0] == '&' && q[1] == '#') {
        size_t k = 2;
        bool hex = q[2] == 'x' || q[2] == 'X';
        if (hex)
            k++;
        size_t d = k;
        while (k < n && (hex ? strchr("0123456789abcdefABCDEF", q[k]) != NULL && q[k]
                             : (q[k] >= '0' && q[k] <= '9')))
            k++;
        if (k == n && k > d)
            return true;
    }
    if (n == 4 && (memcmp(q, "&amp", 4) == 0 || memcmp(q, "&AMP", 4) == 0))
        return true;
    return false;
}

/* What may follow a whole literal sequence with output `out` once the
 * expansion stops: '{' after '$'; after an escape start, the second byte of
 * a chain sequence beginning with it; and always an escape start (which may
 * decode to either). */
static size_t follow_set(char out, char *f) {
    size_t n = 0;
    for (size_t e = 0; e < sizeof escape_starts; e++)
        f[n++] = escape_starts[e];
    if (out == '$') {
        f[n++] = '{';
        return n;
    }
    for (size_t u = 0; u < DEFUSE_ARRAY_LEN(chain_seqs); u++) {
        const char *t = chain_seqs[u].seq;
        if (t[0] == out && t[1] && !memchr(f, t[1], n))
            f[n++] = t[1];
    }
    return n;
}

/* Emits the literals for: buf[0..plen) matched literally, then the rest R
 * of a chain sequence with output `out`.  top: R is the chain's first
 * sequence (its first byte is literal input at the chain start). */
static void gen(char *buf, size_t plen, const char *R, size_t rlen, char out, int depth,
                size_t kmin, bool top, bool raw) {
    if (plen + rlen + 3 > MAX_TRIGGER_LEN)
        return; /* cannot happen: sequences are short and depth is 1 */
    for (size_t k = raw ? rlen : kmin; k < rlen; k++) {
        /* Byte k of the sequence is an escape start instead (an escape
         * undone earlier that yields it). */
        memcpy(buf + plen, R, k);
        size_t q = plen + k;
        if (top && decodes_at_once(buf, q))
            continue;
        for (size_t e = 0; e < sizeof escape_starts; e++) {
            /* "\\" + "\\" is the JSON escape, consumed at once. */
            if (top && q == 1 && buf[0] == '\\' && escape_starts[e] == '\\')
                continue;
            buf[q] = escape_starts[e];
            lit(buf, q + 1);
        }
    }
    memcpy(buf + plen, R, rlen);
    size_t full = plen + rlen;
    if (out == OPEN_END) {
        lit(buf, full);
        return;
    }
    if (out == '$' || depth == 0) {
        char f[64];
        size_t nf = follow_set(out, f);
        for (size_t i = 0; i < nf; i++) {
            buf[full] = f[i];
            lit(buf, full + 1);
        }
        if (out == '$' && jwt_boundary(buf[full - 1])) {
            memcpy(buf + full, "eyJ", 3);
            lit(buf, full + 3);
        }
        return;
    }
    for (size_t e = 0; e < sizeof escape_starts; e++) {
        buf[full] = escape_starts[e];
        lit(buf, full + 1);
    }
    for (size_t u = 0; u < DEFUSE_ARRAY_LEN(chain_seqs); u++) {
        const char *t = chain_seqs[u].seq;
        if (t[0] == out && t[1])
            gen(buf, full, t + 1, strlen(t) - 1, chain_seqs[u].out, depth - 1, 0, false, false);
    }
}

/* Appends the literal of every accepting node under `node` (path in buf). */
static void enumerate(unsigned node, char *buf, size_t depth, size_t *n, bool store) {
    for (unsigned c = trie[node].first; c; c = trie[c].next) {
        buf[depth] = (char)trie[c].byte;
        if (trie[c].accept) {
            if (store) {
                char *dst = trigger_pool + *n * (MAX_TRIGGER_LEN + 1);
                memcpy(dst, buf, depth + 1);
                dst[depth + 1] = '\0';
                triggers[*n] = (defuse__trigger){dst, depth + 1, false};
            }
            (*n)++;
        } else {
            enumerate(c, buf, depth + 1, n, store);
        }
    }
}

/* The trie as a dense transition table for verify(): walking a node's
 * sibling list cost a third of the scan on clean logs (a mispredicted
 * branch per sibling).  Bytes are mapped to classes (the few dozen bytes
 * that label an edge, and class 0 for all others) so that the table is
 * small, and only the nodes that do not end a literal get a row (a walk
 * stops on reaching an accepting one: ~1,050 rows of ~5,970 nodes, 86 KB
 * instead of 490 KB to allocate and fault in at start-up).  Each entry is
 * the child's row, 0 (no child: row 0 is the root, which is never a
 * child) or DFA_ACCEPT (the child ends a literal).  NULL when it could not
 * be built: verify() then walks the trie. */
#define DFA_ACCEPT 0xFFFFu
static unsigned char dfa_cls[256];
static unsigned dfa_ncls;
static uint16_t *dfa;

static void build_dfa(void) {
    unsigned ncls = 1;
    for (unsigned n = 0; n < ntrie; n++)
        for (unsigned c = trie[n].first; c; c = trie[c].next)
            if (!dfa_cls[trie[c].byte])
                dfa_cls[trie[c].byte] = (unsigned char)ncls++;
    /* Rows for the live non-accepting nodes, root first, in breadth-first
     * order (lit() may leave orphans below a node that became accepting):
     * order[r] is the node of row r and serves as the queue. */
    static uint16_t row[TRIE_MAX_NODES], order[TRIE_MAX_NODES];
    unsigned nrows = 1;
    order[0] = 0;
    row[0] = 0;
    for (unsigned r = 0; r < nrows; r++)
        for (unsigned c = trie[order[r]].first; c; c = trie[c].next)
            if (!trie[c].accept) {
                row[c] = (uint16_t)nrows;
                order[nrows++] = (uint16_t)c;
            }
    /* ncls <= 256 fits a byte class; rows < TRIE_MAX_NODES < DFA_ACCEPT. */
    uint16_t *t = calloc((size_t)nrows * ncls, sizeof *t);
    if (!t) {
        memset(dfa_cls, 0, sizeof dfa_cls);
        return;
    }
    for (unsigned r = 0; r < nrows; r++)
        for (unsigned c = trie[order[r]].first; c; c = trie[c].next)
            t[(size_t)r * ncls + dfa_cls[trie[c].byte]] =
                trie[c].accept ? (uint16_t)DFA_ACCEPT : row[c];
    dfa_ncls = ncls;
    dfa = t;
}

/* The AVX-512 VBMI filter (scan_vbmi) tests four bytes at every position at
 * once: eight "buckets", each the byte strings S0 x S1 x S2 x S3 (NULL: any
 * byte), and a position is flagged when the four bytes from it are in some
 * bucket.  Every trigger literal must lie in a bucket, with "any byte" past
 * its end (a literal shorter than four bytes is a whole trigger whatever
 * follows): vb_check() walks the trie at start-up and the filter is
 * not used if one is missing, so a change to chain_seqs cannot make it miss
 * -- the unit test asserts the check passes.  The buckets were chosen on the
 * benign corpus: the one-byte filter of scan_avx2() flags one byte in ~370
 * (every '%' of "%20" and "ba" of "database"), these one in ~4,400 (mostly
 * "%255", "%u00" and "\\\\" in JSON, which are trigger prefixes).  E is
 * an escape start, after which any byte may follow. */
#define E3 "%&\\="
static const char *const vbuckets[8][4] = {
    {"$%&", E3 "#{", NULL, NULL},          /* "${", "$%", "%%", "&#", "$=", ... */
    {"%&\\", "25uUaAbdpx014\\", E3, NULL}, /* "%2%", "&a&", "\\\\\\", ... */
    /* "%24{", "%255c", "%26amp", "=24{", "%5c", "%u00", "\\u00", "=5c" */
    {"%\\=", "25uU", "456cC0", E3 "{25Uu#Aabdpe014ux0"},
    {"kK", "iI", "eE", "sS\"' \t:="},      /* "kie" + what follows "cookie" */
    {"y=", "J?", NULL, NULL},              /* "yJ" (of "eyJ"), "=?" */
    {"&", "aAbdp", "mMsoe", E3 "pPolr"},   /* "&amp", "&bsol", "&dollar", "&percnt" */
    {"bB", "aA", "sS", "iI"},              /* "basic" */
    {"\\", "%&=014\\x", NULL, NULL},       /* "\\%", "\\&", "\\=", "\\044", "\\x24", ... */
};
#undef E3
#define VB_WIDTH 4

/* vclass[k][c]: bit b set when byte c may be byte k of bucket b.  The
 * vector code indexes with the low seven bits of a byte, so a byte >= 0x80
 * reads its ASCII alias: a superset (no trigger holds such a byte), which
 * verify() then rejects. */
static unsigned char vclass[VB_WIDTH][128] __attribute__((aligned(64)));
static bool vclass_ok;

static bool vb_covers(const unsigned char *s, size_t n) {
    for (size_t b = 0; b < DEFUSE_ARRAY_LEN(vbuckets); b++) {
        size_t k = 0;
        for (; k < VB_WIDTH; k++) {
            const char *set = vbuckets[b][k];
            if (k < n ? set && (s[k] >= 128 || !strchr(set, s[k])) : set != NULL)
                break;
        }
        if (k == VB_WIDTH)
            return true;
    }
    return false;
}

/* True if every trie path to a literal's end or to depth VB_WIDTH is in a
 * bucket. */
static bool vb_check(unsigned node, unsigned char *buf, size_t depth) {
    for (unsigned c = trie[node].first; c; c = trie[c].next) {
        buf[depth] = trie[c].byte;
        if (trie[c].accept || depth + 1 == VB_WIDTH) {
            if (!vb_covers(buf, depth + 1))
                return false;
        } else if (!vb_check(c, buf, depth + 1)) {
            return false;
        }
    }
    return true;
}

static void build_vclass(void) {
    for (size_t b = 0; b < DEFUSE_ARRAY_LEN(vbuckets); b++)
        for (size_t k = 0; k < VB_WIDTH; k++)
            for (unsigned c = 0; c < 128; c++)
                if (!vbuckets[b][k] || (c && strchr(vbuckets[b][k], (int)c)))
                    vclass[k][c] |= (unsigned char)(1u << b);
    unsigned char buf[VB_WIDTH];
    vclass_ok = !trie_overflow && vb_check(0, buf, 0);
}

static void build_triggers(void) {
    char buf[MAX_TRIGGER_LEN + 1];
    for (size_t t = 0; t < DEFUSE_ARRAY_LEN(chain_seqs); t++) {
        const char *s = chain_seqs[t].seq;
        gen(buf, 0, s, strlen(s), chain_seqs[t].out, CHAIN_DEPTH, 1, true, false);
    }
    for (size_t t = 0; t < DEFUSE_ARRAY_LEN(raw_seqs); t++) {
        const char *s = raw_seqs[t].seq;
        gen(buf, 0, s, strlen(s), raw_seqs[t].out, CHAIN_DEPTH, 1, true, true);
    }
    /* "basic" in every case, then a blank, an escape start or '+' (a space
     * in form context, decode.c dec_plus). */
    static const char seps[] = {' ', '\t', '%', '\\', '&', '=', '+'};
    for (unsigned m = 0; m < 32; m++) {
        for (unsigned k = 0; k < 5; k++)
            buf[k] = (char)((m >> k & 1) ? "BASIC"[k] : "basic"[k]);
        for (size_t e = 0; e < sizeof seps; e++) {
            buf[5] = seps[e];
            lit(buf, 6);
        }
    }
    /* The markers of the first-round rules, as raw input: a JWT header
     * ("eyJ", Base64 of '{"'), an encoded-word ("=?"), and "cookie" in any
     * case followed by what may follow it in a cookie marker (decode.c
     * dec_cookie_mark: 's', a quote, a blank, ':' or '=').  Each by a
     * tail that every occurrence holds, "yJ" and "kie" + what follows each:
     * their first two bytes are rare where "ey" and "co" are not, so the
     * AVX-512 filter gives them buckets without flagging every other step
     * (a candidate is a line, and the tail is on the marker's line). */
    static const char b64u[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."; /* dec_jwt */
    for (size_t k = 0; k < sizeof b64u - 1; k++) {
        buf[0] = 'y', buf[1] = 'J', buf[2] = b64u[k];
        lit(buf, 3);
    }
    lit("=?", 2);
    static const char cseps[] = {'s', 'S', '"', '\'', ' ', '\t', ':', '='};
    for (unsigned m = 0; m < 8; m++) {
        for (unsigned k = 0; k < 3; k++)
            buf[k] = (char)((m >> k & 1) ? "KIE"[k] : "kie"[k]);
        for (size_t e = 0; e < sizeof cseps; e++) {
            buf[3] = cseps[e];
            lit(buf, 4);
        }
    }
    for (unsigned c = trie[0].first; c; c = trie[c].next)
        first_byte[trie[c].byte] = 1;
    if (trie_overflow)
        memset(first_byte, 1, sizeof first_byte);
    else
        build_dfa();
    build_vclass();
}

/* The literal list, enumerated from the trie on first use (only the tests
 * and the benchmark ask for it: they compile it with Hyperscan). */
static pthread_once_t list_once = PTHREAD_ONCE_INIT;

static void build_list(void) {
    pthread_once(&init_once, build_triggers);
    char buf[MAX_TRIGGER_LEN + 1];
    size_t n = 0;
    enumerate(0, buf, 0, &n, false);
    triggers = calloc(n ? n : 1, sizeof *triggers);
    trigger_pool = malloc((n ? n : 1) * (MAX_TRIGGER_LEN + 1));
    if (!triggers || !trigger_pool) {
        free(triggers);
        free(trigger_pool);
        triggers = NULL;
        trigger_pool = NULL;
        return;
    }
    ntriggers = 0;
    enumerate(0, buf, 0, &ntriggers, true);
}

const defuse__trigger *defuse__candidate_triggers(size_t *n) {
    pthread_once(&list_once, build_list);
    static const defuse__trigger none = {"", 0, false};
    *n = triggers ? ntriggers : 0;
    return triggers ? triggers : &none;
}

/* True if a trigger starts at p[i] (p[0..len)): a walk down the trie. */
static inline __attribute__((always_inline)) bool verify(const unsigned char *p, size_t len,
                                                         size_t i) {
    if (trie_overflow)
        return first_byte[p[i]] != 0;
    if (dfa) {
        size_t row = 0;
        for (size_t j = i; j < len; j++) {
            unsigned c = dfa[row + dfa_cls[p[j]]];
            if (c == DFA_ACCEPT)
                return true;
            if (!c)
                return false;
            row = (size_t)c * dfa_ncls;
        }
        return false;
    }
    unsigned node = 0;
    for (size_t j = i; j < len; j++) {
        unsigned c = trie[node].first;
        while (c && trie[c].byte != p[j])
            c = trie[c].next;
        if (!c)
            return false;
        if (trie[c].accept)
            return true;
        node = c;
    }
    return false;
}

/* ---- scanners ------------------------------------------------------------ */

static size_t scan_scalar(const unsigned char *p, size_t from, size_t len) {
    for (size_t i = from; i < len; i++)
        if (first_byte[p[i]] && verify(p, len, i))
            return i;
    return len;
}

#if HAVE_X86
/* Bit i of the result is set when p[i] is '$' '%' '&' '\\', or p[i..i+2)
 * is "ba" or "ki" in any case, "yJ", or '=' then '?', '2' or '5' (every
 * trigger starts so).  Reads p[0..17). */
static inline unsigned flag16(const unsigned char *p) {
    __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
    __m128i t = _mm_sub_epi8(v0, _mm_set1_epi8(0x24));
    __m128i range = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(2)), t); /* 0x24..0x26 */
    __m128i bs = _mm_cmpeq_epi8(v0, _mm_set1_epi8('\\'));
    __m128i l0 = _mm_or_si128(v0, _mm_set1_epi8(0x20)), l1 = _mm_or_si128(v1, _mm_set1_epi8(0x20));
    __m128i b = _mm_cmpeq_epi8(l0, _mm_set1_epi8('b'));
    __m128i a = _mm_cmpeq_epi8(l1, _mm_set1_epi8('a'));
    __m128i ki = _mm_and_si128(_mm_cmpeq_epi8(l0, _mm_set1_epi8('k')),
                               _mm_cmpeq_epi8(l1, _mm_set1_epi8('i')));
    __m128i yj = _mm_and_si128(_mm_cmpeq_epi8(v0, _mm_set1_epi8('y')),
                               _mm_cmpeq_epi8(v1, _mm_set1_epi8('J')));
    __m128i eq = _mm_and_si128(_mm_cmpeq_epi8(v0, _mm_set1_epi8('=')),
                               _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v1, _mm_set1_epi8('?')),
                                                         _mm_cmpeq_epi8(v1, _mm_set1_epi8('2'))),
                                            _mm_cmpeq_epi8(v1, _mm_set1_epi8('5'))));
    __m128i m = _mm_or_si128(_mm_or_si128(range, bs), _mm_and_si128(a, b));
    m = _mm_or_si128(m, _mm_or_si128(ki, _mm_or_si128(yj, eq)));
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
    __m256i l0 = _mm256_or_si256(v0, _mm256_set1_epi8(0x20));
    __m256i l1 = _mm256_or_si256(v1, _mm256_set1_epi8(0x20));
    __m256i b = _mm256_cmpeq_epi8(l0, _mm256_set1_epi8('b'));
    __m256i a = _mm256_cmpeq_epi8(l1, _mm256_set1_epi8('a'));
    __m256i ki = _mm256_and_si256(_mm256_cmpeq_epi8(l0, _mm256_set1_epi8('k')),
                                  _mm256_cmpeq_epi8(l1, _mm256_set1_epi8('i')));
    __m256i yj = _mm256_and_si256(_mm256_cmpeq_epi8(v0, _mm256_set1_epi8('y')),
                                  _mm256_cmpeq_epi8(v1, _mm256_set1_epi8('J')));
    __m256i eq = _mm256_and_si256(
        _mm256_cmpeq_epi8(v0, _mm256_set1_epi8('=')),
        _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v1, _mm256_set1_epi8('?')),
                                        _mm256_cmpeq_epi8(v1, _mm256_set1_epi8('2'))),
                        _mm256_cmpeq_epi8(v1, _mm256_set1_epi8('5'))));
    __m256i m = _mm256_or_si256(_mm256_or_si256(range, bs), _mm256_and_si256(a, b));
    m = _mm256_or_si256(m, _mm256_or_si256(ki, _mm256_or_si256(yj, eq)));
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

/* scan_avx2() that also counts the '\n' bytes before the result in *nl:
 * the newline mask of each 64-byte step comes from the same loads, so a
 * caller that needs line numbers does not read the text a second time. */
__attribute__((target("avx2,popcnt"))) static size_t scan_avx2_nl(const unsigned char *p,
                                                                  size_t len, size_t *nl) {
    size_t i = 0, count = 0;
    const __m256i nlv = _mm256_set1_epi8('\n');
    while (len >= 65 && i <= len - 65) {
        uint64_t m = (uint64_t)flag32(p + i) | ((uint64_t)flag32(p + i + 32) << 32);
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 32));
        uint64_t n = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, nlv)) |
                     ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, nlv)) << 32);
        while (m) {
            unsigned bit = (unsigned)__builtin_ctzll(m);
            if (verify(p, len, i + bit)) {
                *nl = count + (size_t)__builtin_popcountll(n & ((UINT64_C(1) << bit) - 1));
                return i + bit;
            }
            m &= m - 1;
        }
        count += (size_t)__builtin_popcountll(n);
        i += 64;
    }
    size_t r = scan_scalar(p, i, len);
    for (; i < r; i++)
        count += p[i] == '\n';
    *nl = count;
    return r;
}

/* The AVX-512 VBMI scan, 64 positions per step.  Each byte offset k of
 * the buckets above is one two-table byte permute (VPERMT2B looks up a
 * 128-entry table) of the text shifted by k; the shifted views come from
 * the step's load and the next one (VALIGND + VPALIGNR).  Offsets 0 and 1
 * are tested at every step; offsets 2 and 3 only when those flag something
 * (one step in ~10 on the benign corpus), so a step costs about a dozen
 * instructions and a flag survives only when four bytes could begin a
 * trigger: one
 * verify() per ~4,400 bytes instead of one per ~370 with the one-byte test
 * of scan_avx2(), whose verify() calls (a branch mispredicted per flag)
 * were most of the CPU time on clean logs.  With nl, newlines are added up
 * per byte lane (masked VPADDB) and summed every 255 steps.  The last
 * partial steps use masked loads, which never touch bytes past len (lines
 * are short: a scalar tail was a sixth of the time spent per candidate
 * line). */
typedef struct vb_tables {
    __m512i a[VB_WIDTH], b[VB_WIDTH];
} vb_tables;

/* The flags of step b0 (text p[i..i+64)) given nxt = p[i+64..i+128). */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static inline __attribute__((always_inline))
uint64_t
vb_step(const vb_tables *t, __m512i b0, __m512i nxt) {
    __m512i hi = _mm512_alignr_epi32(nxt, b0, 4); /* p[i+16..i+80) */
    __m512i s1 = _mm512_alignr_epi8(hi, b0, 1), s2 = _mm512_alignr_epi8(hi, b0, 2);
    __m512i c0 = _mm512_permutex2var_epi8(t->a[0], b0, t->b[0]);
    __m512i c1 = _mm512_permutex2var_epi8(t->a[1], s1, t->b[1]);
    uint64_t m = _cvtmask64_u64(_mm512_test_epi8_mask(c0, c1));
    if (__builtin_expect(m != 0, 0)) {
        __m512i c2 = _mm512_permutex2var_epi8(t->a[2], s2, t->b[2]);
        __m512i c3 = _mm512_permutex2var_epi8(t->a[3], _mm512_alignr_epi8(hi, b0, 3), t->b[3]);
        __m512i c = _mm512_ternarylogic_epi64(c0, c1, c2, 0x80); /* c0 & c1 & c2 */
        m = _cvtmask64_u64(_mm512_test_epi8_mask(c, c3));
    }
    return m;
}

/* The first bit of m at which verify() accepts, or 64. */
static inline __attribute__((always_inline)) unsigned vb_first(const unsigned char *p, size_t len,
                                                               size_t i, uint64_t m) {
    for (; m; m &= m - 1) {
        unsigned bit = (unsigned)__builtin_ctzll(m);
        if (verify(p, len, i + bit))
            return bit;
    }
    return 64;
}

__attribute__((target("avx512f,avx512bw,avx512vbmi,popcnt"))) static inline
    __attribute__((always_inline)) size_t
    scan_vbmi_impl(const unsigned char *p, size_t len, size_t *nl_out, const bool nl) {
    vb_tables t;
    for (size_t k = 0; k < VB_WIDTH; k++) {
        t.a[k] = _mm512_load_si512((const void *)vclass[k]);
        t.b[k] = _mm512_load_si512((const void *)(vclass[k] + 64));
    }
    const __m512i nlv = _mm512_set1_epi8('\n'), ones = _mm512_set1_epi8(1);
    const __m512i zero = _mm512_setzero_si512();
    size_t i = 0, count = 0;
    if (len >= 128) {
        const size_t last = len - 128; /* the last step whose nxt is whole */
        __m512i nxt = _mm512_loadu_si512((const void *)p);
        while (i <= last) {
            /* At most 255 steps per round: a byte lane counts to 255. */
            size_t stop = last - i > (size_t)254 * 64 ? i + (size_t)254 * 64 : last;
            __m512i acc = zero;
            for (; i <= stop; i += 64) {
                __m512i b0 = nxt;
                nxt = _mm512_loadu_si512((const void *)(p + i + 64));
                uint64_t m = vb_step(&t, b0, nxt);
                __mmask64 kn = nl ? _mm512_cmpeq_epi8_mask(b0, nlv) : 0;
                if (__builtin_expect(m != 0, 0)) {
                    unsigned bit = vb_first(p, len, i, m);
                    if (bit < 64) {
                        if (nl) {
                            uint64_t below = _cvtmask64_u64(kn) & ((UINT64_C(1) << bit) - 1);
                            *nl_out = count + (size_t)__builtin_popcountll(below) +
                                      (size_t)_mm512_reduce_add_epi64(_mm512_sad_epu8(acc, zero));
                        }
                        return i + bit;
                    }
                }
                if (nl)
                    acc = _mm512_mask_add_epi8(acc, kn, acc, ones);
            }
            if (nl)
                count += (size_t)_mm512_reduce_add_epi64(_mm512_sad_epu8(acc, zero));
        }
    }
    /* The rest, under 128 bytes: masked loads read zeros past len (no
     * trigger holds a NUL, and verify() stops at len). */
    for (; i < len; i += 64) {
        size_t rem = len - i, rem2 = rem > 64 ? rem - 64 : 0;
        __mmask64 k0 = rem >= 64 ? ~(__mmask64)0 : _cvtu64_mask64((UINT64_C(1) << rem) - 1);
        __mmask64 k1 = rem2 >= 64 ? ~(__mmask64)0 : _cvtu64_mask64((UINT64_C(1) << rem2) - 1);
        __m512i b0 = _mm512_maskz_loadu_epi8(k0, (const void *)(p + i));
        __m512i nxt = _mm512_maskz_loadu_epi8(k1, (const void *)(p + i + 64));
        uint64_t m = vb_step(&t, b0, nxt) & _cvtmask64_u64(k0);
        uint64_t kn = nl ? _cvtmask64_u64(_mm512_cmpeq_epi8_mask(b0, nlv)) : 0;
        unsigned bit = m ? vb_first(p, len, i, m) : 64;
        if (bit < 64) {
            if (nl)
                *nl_out = count + (size_t)__builtin_popcountll(kn & ((UINT64_C(1) << bit) - 1));
            return i + bit;
        }
        count += (size_t)__builtin_popcountll(kn);
    }
    if (nl)
        *nl_out = count;
    return len;
}

__attribute__((target("avx512f,avx512bw,avx512vbmi,popcnt"))) static size_t
scan_vbmi(const unsigned char *p, size_t len) {
    return scan_vbmi_impl(p, len, NULL, false);
}

__attribute__((target("avx512f,avx512bw,avx512vbmi,popcnt"))) static size_t
scan_vbmi_nl(const unsigned char *p, size_t len, size_t *nl) {
    return scan_vbmi_impl(p, len, nl, true);
}
#endif

/* ---- dispatch ------------------------------------------------------------ */

static size_t scan_scalar_all(const unsigned char *p, size_t len) {
    return scan_scalar(p, 0, len);
}

static bool always(void) {
    return true;
}

#if HAVE_X86
static bool have_avx2(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}
static bool have_vbmi(void) {
    return vclass_ok && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("popcnt");
}
#endif

/* The scanners, slowest first; defuse_candidate() uses the last one the CPU
 * can run.  scan_nl NULL: newlines are counted after the scan. */
static const struct impl {
    const char *name;
    bool (*usable)(void);
    size_t (*scan)(const unsigned char *p, size_t len);
    size_t (*scan_nl)(const unsigned char *p, size_t len, size_t *nl);
} impls[] = {
    {"scalar", always, scan_scalar_all, NULL},
#if HAVE_X86
    {"sse2", always, scan_sse2, NULL}, /* x86-64 always has SSE2 */
    {"avx2", have_avx2, scan_avx2, scan_avx2_nl},
    {"avx512vbmi", have_vbmi, scan_vbmi, scan_vbmi_nl},
#endif
};

static const struct impl *best = &impls[0];
static bool usable[DEFUSE_ARRAY_LEN(impls)];

static void init_all(void) {
    pthread_once(&init_once, build_triggers);
#if HAVE_X86
    __builtin_cpu_init();
#endif
    for (size_t k = 0; k < DEFUSE_ARRAY_LEN(impls); k++)
        if ((usable[k] = impls[k].usable()))
            best = &impls[k];
}

static pthread_once_t dispatch_once = PTHREAD_ONCE_INIT;

static size_t run_impl(const struct impl *im, const unsigned char *p, size_t len, size_t *nl) {
    if (!nl)
        return im->scan(p, len);
    if (im->scan_nl)
        return im->scan_nl(p, len, nl);
    size_t r = im->scan(p, len), count = 0;
    for (const unsigned char *q = p, *e = p + r; (q = memchr(q, '\n', (size_t)(e - q))) != NULL;
         q++)
        count++;
    *nl = count;
    return r;
}

size_t defuse_candidate(const char *buf, size_t len) {
    if (!buf || len == 0)
        return len;
    pthread_once(&dispatch_once, init_all);
    return best->scan((const unsigned char *)buf, len);
}

size_t defuse__candidate_nl(const char *buf, size_t len, size_t *nl) {
    *nl = 0;
    if (!buf || len == 0)
        return len;
    pthread_once(&dispatch_once, init_all);
    return run_impl(best, (const unsigned char *)buf, len, nl);
}

const char *defuse__candidate_impl_name(unsigned k) {
    pthread_once(&dispatch_once, init_all);
    if (k == DEFUSE__CANDIDATE_BEST)
        return best->name;
    return k < DEFUSE_ARRAY_LEN(impls) && usable[k] ? impls[k].name : NULL;
}

size_t defuse__candidate_impl(unsigned k, const char *buf, size_t len, size_t *nl) {
    pthread_once(&dispatch_once, init_all);
    if (nl)
        *nl = 0;
    if (k >= DEFUSE_ARRAY_LEN(impls) || !usable[k])
        return SIZE_MAX;
    if (!buf || len == 0)
        return len;
    return run_impl(&impls[k], (const unsigned char *)buf, len, nl);
}

bool defuse__candidate_buckets_cover(void) {
    pthread_once(&init_once, build_triggers);
    return vclass_ok;
}
