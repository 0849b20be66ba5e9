/*
 * log_scan.c -- the line scanner of `defuse logs`: turns a stream of text
 * bytes into records (findings, warnings) with 1-based line numbers.
 *
 * The fast path never looks at a line without a candidate: blocks are
 * handed to defuse__candidate_nl(), which jumps to the next byte where a
 * lookup could start and counts the newlines it passed in the same pass;
 * defuse_scan() runs only on the line around a candidate.
 * A line that is not valid UTF-8 is taken as Latin-1 and converted before
 * scanning (log4j sees characters).  A line longer than max_line bytes is
 * scanned in its first max_line bytes and a warning names its line.
 */
#include "logs.h"

/* defuse__candidate_nl(): candidate search and line count in one pass;
 * DEFUSE__SCAN_HAS_CANDIDATE */
#include "../lib/decode_extra.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct lscan {
    defuse_scanner *sc;
    int own_sc;
    const lscan_opts *o;
    int year;
    lrec_sink sink;
    void *user;
    uint64_t line;  /* newlines consumed */
    uint64_t nfind; /* findings reported (after the kind filter) */

    char *carry; /* the partial line at the end of the last block */
    size_t carry_len, carry_cap;
    int overlong; /* the carried line passed max_line: rest dropped */

    char *conv; /* Latin-1 -> UTF-8 line buffer */
    size_t conv_cap;

    /* the line being scanned, for the finding callback */
    const char *cur;
    size_t cur_len;
    int fields_done;
    lf_fields fields;
    int err; /* first allocation failure in the callback */
};

/* ---- small growable string ------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* Attacker strings shown to people are cut to this many bytes (a payload
 * can be megabytes of nesting); --json keeps them whole. */
#define HUMAN_MAX_SHOWN 400u

static void sb_defang(sbuf *b, const char *s, size_t n) {
    size_t cut = 0;
    if (n > HUMAN_MAX_SHOWN) {
        cut = n;
        n = HUMAN_MAX_SHOWN;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
    }
    char out[HUMAN_MAX_SHOWN * 5 + 1]; /* defanging grows a byte to 4 at most */
    size_t need = defuse_defang(s, n, out, sizeof out);
    sb_add(b, out, need < sizeof out ? need : sizeof out - 1);
    if (cut) {
        char more[48];
        snprintf(more, sizeof more, "...(%zu bytes)", cut);
        sb_str(b, more);
    }
}

/* ---- newline counting -------------------------------------------------- */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* AVX2 variant: 32 bytes per compare, lanes summed with VPSADBW every 255
 * rounds.  Chosen at run time when the CPU has AVX2. */
__attribute__((target("avx2"))) static size_t count_nl_avx2(const char *p, size_t n) {
    size_t count = 0, i = 0;
    const __m256i nl = _mm256_set1_epi8('\n'), zero = _mm256_setzero_si256();
    while (i + 32 <= n) {
        __m256i acc = zero;
        size_t rounds = (n - i) / 32;
        if (rounds > 255)
            rounds = 255;
        for (size_t r = 0; r < rounds; r++, i += 32)
            acc = _mm256_sub_epi8(
                acc, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + i)), nl));
        __m256i sums = _mm256_sad_epu8(acc, zero);
        count += (size_t)_mm256_extract_epi64(sums, 0) + (size_t)_mm256_extract_epi64(sums, 1) +
                 (size_t)_mm256_extract_epi64(sums, 2) + (size_t)_mm256_extract_epi64(sums, 3);
    }
    for (; i < n; i++)
        count += p[i] == '\n';
    return count;
}
#endif

static size_t count_nl_base(const char *p, size_t n) {
    size_t count = 0, i = 0;
#if defined(__SSE2__)
    /* Compare 16 bytes at a time; each match subtracts -1 (adds 1) to a
     * byte lane; lanes are summed with PSADBW before they can overflow
     * (at most 255 rounds).  No POPCNT needed. */
    const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i acc = zero;
        size_t rounds = (n - i) / 16;
        if (rounds > 255)
            rounds = 255;
        for (size_t r = 0; r < rounds; r++, i += 16)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), nl));
        __m128i sums = _mm_sad_epu8(acc, zero);
        count += (size_t)_mm_cvtsi128_si32(sums) + (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
    }
#else
    /* Word-at-a-time: a byte of x is zero exactly where p had '\n'. */
    const uint64_t ones7 = 0x7F7F7F7F7F7F7F7FULL, nls = 0x0A0A0A0A0A0A0A0AULL;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t x = w ^ nls;
        uint64_t t = ((x & ones7) + ones7) | x;
        count += (size_t)__builtin_popcountll(~t & ~ones7);
    }
#endif
    for (; i < n; i++)
        count += p[i] == '\n';
    return count;
}

size_t lscan_count_newlines(const char *p, size_t n) {
#if defined(__x86_64__) && defined(__GNUC__)
    static int avx2 = -1; /* accessed atomically: workers share it */
    int have = __atomic_load_n(&avx2, __ATOMIC_RELAXED);
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&avx2, have, __ATOMIC_RELAXED);
    }
    if (have && n >= 64)
        return count_nl_avx2(p, n);
#endif
    return count_nl_base(p, n);
}

/* ---- records ------------------------------------------------------------ */

void lrec_free(lrec *r) {
    if (!r)
        return;
    free(r->text);
    free(r->src_ip);
    free(r->host);
    free(r->exfil);
    free(r->command);
    free(r);
}

static void emit_message(lscan *s, int type, uint64_t line, const char *text) {
    lrec *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->type = type;
    r->line = line;
    r->text = strdup(text);
    r->hour = LF_NO_HOUR;
    s->sink(s->user, r);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Human text after "file:line: KIND ": the callback (or the decoded
 * payload), techniques, source, exfiltration keys, command; all defanged. */
static char *render_human(const defuse_finding *f, const lf_fields *fl) {
    sbuf b = {0};
    if (f->callback)
        sb_defang(&b, f->callback, strlen(f->callback));
    else if (f->decoded)
        sb_defang(&b, f->decoded, f->decoded_len);
    int first = 1;
    for (unsigned i = 0; i < DEFUSE_TECH_COUNT; i++) {
        const char *name = defuse_technique_name(1u << i);
        if ((f->techniques & (1u << i)) && name) {
            sb_str(&b, first ? " [" : ",");
            sb_str(&b, name);
            first = 0;
        }
    }
    if (!first)
        sb_str(&b, "]");
    if (fl->src_ip[0]) {
        sb_str(&b, " src=");
        sb_str(&b, fl->src_ip);
    }
    for (size_t i = 0; i < f->nexfil && i < DEFUSE_MAX_REPORTED_EXFIL; i++) {
        sb_str(&b, i ? "," : " exfil=");
        sb_defang(&b, f->exfil[i], strlen(f->exfil[i]));
    }
    if (f->command) {
        sb_str(&b, " cmd=\"");
        sb_defang(&b, f->command, strlen(f->command));
        sb_str(&b, "\"");
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p ? b.p : strdup("");
}

static int on_finding(const defuse_finding *f, void *user) {
    lscan *s = user;
    if ((unsigned)f->kind >= 32 || !(s->o->kind_mask & (1u << f->kind)))
        return 0;
    s->nfind++;
    if (!s->fields_done && (!s->o->quiet || s->o->want_summary)) {
        lf_extract(s->cur, s->cur_len, s->year, &s->fields);
        s->fields_done = 1;
    }
    lrec *r = calloc(1, sizeof *r);
    if (!r)
        goto oom;
    r->type = LREC_FINDING;
    r->line = s->line + 1;
    r->kind = f->kind;
    r->hour = LF_NO_HOUR;
    if (!s->o->quiet) {
        if (s->o->json) {
            /* src_ip and time hold only address and time characters (no
             * escaping needed); they are spliced in front of the finding's
             * members here rather than passed as `extra`, which the
             * library would have to parse for every finding. */
            char extra[160];
            int n = 0;
            if (s->fields.src_ip[0])
                n += snprintf(extra + n, sizeof extra - (size_t)n, "\"src_ip\":\"%s\",",
                              s->fields.src_ip);
            if (s->fields.time[0])
                n += snprintf(extra + n, sizeof extra - (size_t)n, "\"time\":\"%s\",",
                              s->fields.time);
            char *body = defuse_finding_to_json(f, NULL);
            if (body && n > 0) {
                size_t bl = strlen(body);
                r->text = malloc(bl + (size_t)n + 1);
                if (r->text) {
                    r->text[0] = '{';
                    memcpy(r->text + 1, extra, (size_t)n);
                    memcpy(r->text + 1 + n, body + 1, bl); /* includes the NUL */
                }
                free(body);
            } else {
                r->text = body;
            }
        } else {
            r->text = render_human(f, &s->fields);
        }
        if (!r->text)
            goto oom;
    }
    if (s->o->want_summary) {
        r->src_ip = s->fields.src_ip[0] ? strdup(s->fields.src_ip) : NULL;
        r->hour = s->fields.hour;
        r->hour_zoned = strchr(s->fields.time, 'Z') != NULL;
        r->host = dup_or_null(f->host);
        r->command = dup_or_null(f->command);
        if (f->nexfil) {
            sbuf b = {0};
            for (size_t i = 0; i < f->nexfil && i < DEFUSE_MAX_REPORTED_EXFIL; i++) {
                if (i)
                    sb_str(&b, "\n");
                sb_str(&b, f->exfil[i]);
            }
            r->exfil = b.p;
        }
    }
    s->sink(s->user, r);
    return 0;
oom:
    lrec_free(r);
    s->err = DEFUSE_ENOMEM;
    return 1;
}

/* Whether p[0..n) is valid UTF-8 (ASCII fast path). */
static int valid_utf8(const unsigned char *p, size_t n) {
    size_t i = 0;
    /* ASCII eight bytes at a time: byte by byte this loop was a fifth of
     * the time spent on each candidate line. */
    for (uint64_t w; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        if (w & UINT64_C(0x8080808080808080))
            break;
    }
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        unsigned c = p[i];
        size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                                              : c >= 0xF0 && c <= 0xF4 ? 4
                                                                       : 0;
        if (!len || i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
        i += len;
    }
    return 1;
}

/* Scans one line (without its '\n').  lineno is s->line + 1. */
static int scan_line(lscan *s, const char *p, size_t n, int truncated) {
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (n > s->o->max_line) {
        n = s->o->max_line;
        truncated = 1;
    }
    if (truncated) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "line longer than %zu bytes: only its first %zu bytes were scanned",
                 s->o->max_line, s->o->max_line);
        emit_message(s, LREC_WARNING, s->line + 1, msg);
    }
    if (!valid_utf8((const unsigned char *)p, n)) {
        /* Latin-1: every byte is one character; high bytes take two. */
        if (n > (SIZE_MAX - 1) / 2)
            return DEFUSE_ELIMIT;
        if (s->conv_cap < n * 2 + 1) {
            char *c = realloc(s->conv, n * 2 + 1);
            if (!c)
                return DEFUSE_ENOMEM;
            s->conv = c, s->conv_cap = n * 2 + 1;
        }
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c < 0x80) {
                s->conv[o++] = (char)c;
            } else {
                s->conv[o++] = (char)(0xC0 | (c >> 6));
                s->conv[o++] = (char)(0x80 | (c & 0x3F));
            }
        }
        p = s->conv, n = o;
    }
    s->cur = p, s->cur_len = n, s->fields_done = 0;
    /* Every caller found a candidate in the line: the scan need not look
     * for one again. */
    int r = defuse_scan(s->sc, p, n, s->o->flags | DEFUSE__SCAN_HAS_CANDIDATE, on_finding, s);
    if (s->err)
        return s->err;
    if (r < 0 && r != DEFUSE_ESTOPPED) {
        char msg[160];
        snprintf(msg, sizeof msg, "detector error: %s", defuse_strerror(r));
        emit_message(s, LREC_WARNING, s->line + 1, msg);
    }
    return 0;
}

/* Scans b[0..len), which ends with '\n' (complete lines only).  The
 * newlines between candidates are counted by the candidate search itself
 * (one pass over the text; a second counting pass was ~5% of the CPU time
 * on clean logs). */
static int scan_block(lscan *s, const char *b, size_t len) {
    size_t p = 0;
    while (p < len) {
        size_t nl;
        size_t c = defuse__candidate_nl(b + p, len - p, &nl);
        s->line += nl; /* the newlines before the candidate's line */
        if (c >= len - p)
            break;
        size_t cand = p + c;
        const char *ls = cand > p ? memrchr(b + p, '\n', cand - p) : NULL;
        size_t lstart = ls ? (size_t)(ls - b) + 1 : p;
        const char *le = memchr(b + cand, '\n', len - cand);
        size_t lend = le ? (size_t)(le - b) : len;
        int r = scan_line(s, b + lstart, lend - lstart, 0);
        if (r < 0)
            return r;
        s->line++;
        p = lend + 1;
    }
    return 0;
}

/* Appends to the partial line, keeping at most max_line bytes of it. */
static int carry_add(lscan *s, const char *p, size_t n) {
    size_t room = s->o->max_line + 1 > s->carry_len ? s->o->max_line + 1 - s->carry_len : 0;
    if (n > room) {
        n = room;
        s->overlong = 1; /* keeps max_line+1 bytes so scan_line sees it is long */
    }
    if (s->carry_len + n > s->carry_cap) {
        size_t cap = s->carry_cap ? s->carry_cap : 4096;
        while (cap < s->carry_len + n)
            cap *= 2;
        char *c = realloc(s->carry, cap);
        if (!c)
            return DEFUSE_ENOMEM;
        s->carry = c, s->carry_cap = cap;
    }
    memcpy(s->carry + s->carry_len, p, n);
    s->carry_len += n;
    return 0;
}

static int flush_carry(lscan *s) {
    int r = 0;
    if (s->carry_len && defuse_candidate(s->carry, s->carry_len) < s->carry_len)
        r = scan_line(s, s->carry, s->carry_len, s->overlong);
    else if (s->overlong || s->carry_len > s->o->max_line)
        scan_line(s, "", 0, 1); /* still warn: the rest went unexamined */
    s->carry_len = 0;
    s->overlong = 0;
    return r;
}

int lscan_feed(lscan *s, const char *data, size_t n) {
    size_t pos = 0;
    int r;
    if (s->carry_len || s->overlong) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        if ((r = carry_add(s, data, take)) < 0)
            return r;
        if (!nl)
            return 0;
        if ((r = flush_carry(s)) < 0)
            return r;
        s->line++;
        pos = take + 1;
    }
    if (pos >= n)
        return 0;
    const char *last = memrchr(data + pos, '\n', n - pos);
    size_t end = last ? (size_t)(last - data) + 1 : pos;
    if (end > pos && (r = scan_block(s, data + pos, end - pos)) < 0)
        return r;
    if (end < n && (r = carry_add(s, data + end, n - end)) < 0)
        return r;
    return 0;
}

int lscan_finish(lscan *s) {
    if (!s->carry_len && !s->overlong)
        return 0;
    int r = flush_carry(s);
    s->line++;
    return r;
}

uint64_t lscan_lines(const lscan *s) { return s->line; }
uint64_t lscan_findings(const lscan *s) { return s->nfind; }

int lscan_scanner_new(defuse_scanner **out, const lscan_opts *o) {
    defuse_limits lim;
    defuse_limits_default(&lim);
    lim.max_input = o->max_line; /* what --max-line promises is examined */
    return defuse_scanner_new(out, &lim);
}

int lscan_new(lscan **out, const lscan_opts *o, defuse_scanner *sc, int default_year,
              lrec_sink sink, void *user) {
    lscan *s = calloc(1, sizeof *s);
    if (!s)
        return DEFUSE_ENOMEM;
    if (sc) {
        s->sc = sc;
    } else {
        int r = lscan_scanner_new(&s->sc, o);
        if (r < 0) {
            free(s);
            return r;
        }
        s->own_sc = 1;
    }
    s->o = o;
    s->year = default_year;
    s->sink = sink;
    s->user = user;
    *out = s;
    return 0;
}

void lscan_free(lscan *s) {
    if (!s)
        return;
    if (s->own_sc)
        defuse_scanner_free(s->sc);
    free(s->carry);
    free(s->conv);
    free(s);
}
