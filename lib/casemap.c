/*
 * casemap.c -- String.toLowerCase(Locale.US) / toUpperCase(Locale.US) as the
 * victim's JDK computes them, over UTF-8.
 *
 * log4j's ${lower:...}/${upper:...} and the Interpolator's prefix go through
 * java.lang.String's case mapping, which uses the JDK's own Unicode tables
 * (JDK 17: Unicode 13), not the system's.  A general library (ICU 72 on
 * Debian 12: Unicode 15) maps the letters Unicode 14 and 15 added and decides
 * final sigma by Unicode's rule, so its callbacks differ from the victim's;
 * hence tables generated from the JDK itself (lib/casemap_jdk17.c, by
 * tests/tools/GenCaseMap.java) and this reader of them.
 *
 * What it mirrors of JDK 17:
 *   - decoding: new String(bytes, UTF_8) -- one U+FFFD per malformed
 *     subsequence as the JDK delimits them (a lead byte with a bad second
 *     byte is one; an encoded surrogate ED A0..BF xx is one for all three
 *     bytes; a sequence truncated by the end of the text is one);
 *   - per code point mappings, incl. one-to-many (U+00DF -> "SS", U+0130 ->
 *     "i\u0307", U+0390 -> three code points) from the generated tables;
 *   - lower-casing U+03A3: final sigma (U+03C2) iff a cased code point
 *     precedes it in its word and none follows it in that word
 *     (ConditionalSpecialCasing.isFinalCased with isCased() from the
 *     tables).  Java finds the word with its rule-based word BreakIterator;
 *     cm_seg below models those rules (docs/decoding.md, "Case mapping",
 *     lists where the model and the JDK part).
 * Only Locale.US is modelled: tr/az/lt rules are never taken.
 */
#include "internal.h"

#include "casemap_tables.h"

_Static_assert(DEFUSE__CASEMAP_GROWTH * 100 >= 300, "U+FFFD for one byte takes 3 bytes");

const char *defuse_casemap_jdk(void) {
    return defuse__cm_jdk;
}

/* ---- tables -------------------------------------------------------------------- */

/* Maps cp through one direction's tables into out[]; returns the count. */
static size_t map_cp(uint32_t cp, bool upper, uint32_t out[3]) {
    const defuse__cm_range *r = upper ? defuse__cm_upper_ranges : defuse__cm_lower_ranges;
    size_t lo = 0, hi = upper ? defuse__cm_upper_nranges : defuse__cm_lower_nranges;
    while (lo < hi) { /* first range with r.lo > cp */
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].lo <= cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0) {
        const defuse__cm_range *g = &r[lo - 1];
        if (cp <= g->hi && (cp - g->lo) % g->step == 0) {
            out[0] = (uint32_t)((int32_t)cp + g->delta);
            return 1;
        }
    }
    const defuse__cm_expansion *x = upper ? defuse__cm_upper_exp : defuse__cm_lower_exp;
    lo = 0;
    hi = upper ? defuse__cm_upper_nexp : defuse__cm_lower_nexp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid].cp == cp) {
            size_t n = 0;
            while (n < 3 && x[mid].out[n])
                out[n] = x[mid].out[n], n++;
            return n;
        }
        if (x[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    out[0] = cp;
    return 1;
}

/* The span of t[0..n) holding cp: its cls + 1, or 0 when none does. */
static unsigned span_find(const defuse__cm_span *t, size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < t[mid].lo)
            hi = mid;
        else if (cp > t[mid].hi)
            lo = mid + 1;
        else
            return t[mid].cls + 1;
    }
    return 0;
}

/* ---- UTF-8 as the JVM decodes it -------------------------------------------------- */

static bool cont(unsigned char b) {
    return (b & 0xC0) == 0x80;
}

/* Decodes the code point at s[*i] (i < n), advancing *i; malformed input
 * gives U+FFFD with the JDK's extent. */
static uint32_t dec(const unsigned char *s, size_t n, size_t *i) {
    size_t p = *i;
    unsigned b1 = s[p++];
    size_t left = n - p;
    uint32_t cp = 0xFFFD;
    if (b1 < 0x80) {
        cp = b1;
    } else if (b1 >= 0xC2 && b1 <= 0xDF) {
        if (left >= 1 && cont(s[p]))
            cp = (uint32_t)(b1 & 0x1F) << 6 | (s[p++] & 0x3Fu);
        else if (left == 0)
            p = n;
    } else if (b1 >= 0xE0 && b1 <= 0xEF) {
        /* The second byte is bad: E0 80..9F (overlong) or no continuation. */
        bool bad2 = left >= 1 && ((b1 == 0xE0 && (s[p] & 0xE0) == 0x80) || !cont(s[p]));
        if (left >= 2) {
            if (bad2) {
                /* one byte */
            } else if (!cont(s[p + 1])) {
                p += 1;
            } else {
                uint32_t c =
                    (uint32_t)(b1 & 0x0F) << 12 | (uint32_t)(s[p] & 0x3F) << 6 | (s[p + 1] & 0x3Fu);
                p += 2;
                if (c < 0xD800 || c > 0xDFFF)
                    cp = c; /* a surrogate is one U+FFFD for all three bytes */
            }
        } else if (!bad2) {
            p = n; /* truncated by the end: one U+FFFD */
        }
    } else if (b1 >= 0xF0 && b1 <= 0xF7) {
        bool bad2 = left >= 1 && (b1 > 0xF4 || (b1 == 0xF0 && (s[p] < 0x90 || s[p] > 0xBF)) ||
                                  (b1 == 0xF4 && (s[p] & 0xF0) != 0x80) || !cont(s[p]));
        if (left >= 3) {
            uint32_t c = (uint32_t)(b1 & 0x07) << 18 | (uint32_t)(s[p] & 0x3F) << 12 |
                         (uint32_t)(s[p + 1] & 0x3F) << 6 | (s[p + 2] & 0x3Fu);
            if (cont(s[p]) && cont(s[p + 1]) && cont(s[p + 2]) && c >= 0x10000 && c <= 0x10FFFF) {
                cp = c;
                p += 3;
            } else if (bad2) {
                /* one byte */
            } else if (!cont(s[p + 1])) {
                p += 1;
            } else {
                p += 2;
            }
        } else if (b1 > 0xF4 || bad2) {
            /* one byte */
        } else if (left == 2 && !cont(s[p + 1])) {
            p += 1; /* lead and second byte; the third starts afresh */
        } else {
            p = n;
        }
    }
    /* else 80..C1, F8..FF: one byte */
    *i = p;
    return cp;
}

static size_t enc(uint32_t cp, char *o) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- words, for final sigma ------------------------------------------------------ */

/* Word classes of the generated table (GenCaseMap.wordClass). */
enum cm_wclass { W_OTHER, W_LET, W_DGT, W_IGN, W_MIDW, W_MIDN, W_MIDWN, W_FMT, W_DANDA };

/* What the unit before the current position was. */
enum cm_prev { P_START, P_FRESH, P_LET, P_DGT, P_OTHER };

/* A model of the JDK's word BreakIterator (sun.text.RuleBasedBreakIterator
 * with its word rules), fed one code point at a time from the start of the
 * text: letters and digits join; one mid-word mark (dash, connector,
 * soft hyphen, U+2027, quote, apostrophe, period) joins two letters, one
 * mid-number mark (quote, apostrophe, comma, period, U+066B) two digits;
 * marks (Mn, Me) join the unit before them but not a mid mark, and stand
 * alone at the very start; format characters (Cf) are transparent
 * everywhere; a danda (U+0964/5) ends a word of letters but lets a number
 * follow; anything else stands alone.  Observed of the JDK and modelled: a
 * supplementary letter or digit joins the word before it and ends it,
 * unless it is the first code point of the text.  Checked against the JDK
 * by tests/e2e/casemap_jdk.sh; docs/decoding.md lists what is left. */
typedef struct cm_seg {
    size_t pos;   /* bytes of the text fed so far */
    uint8_t prev; /* enum cm_prev */
    uint8_t mid;  /* P_LET/P_DGT: a mark waits for a unit of this kind */
    bool started; /* P_FRESH: a mark opened the new word */
    bool force;   /* the next unit starts a new word */
    bool cased;   /* the current word holds a cased code point */
    bool fed;     /* a code point was fed */
} cm_seg;

static bool is_cased(uint32_t cp) {
    return span_find(defuse__cm_cased, defuse__cm_ncased, cp) != 0;
}

/* Feeds cp; returns whether it continues the current word (no boundary
 * before it).  *before: the word held a cased code point before cp. */
static bool seg_push(cm_seg *w, uint32_t cp, bool *before) {
    unsigned cls = span_find(defuse__cm_word, defuse__cm_nword, cp);
    cls = cls ? cls - 1 : W_OTHER;
    bool join = false;
    if (w->force) {
        w->force = false;
        w->prev = P_FRESH;
        w->started = false;
        w->mid = 0;
    }
    switch (cls) {
    case W_FMT: /* format characters are transparent, even after a mid mark */
        if (w->mid) {
            join = true;
        } else if (w->prev == P_START || w->prev == P_FRESH) {
            join = w->prev == P_FRESH && w->started;
            w->prev = P_FRESH;
            w->started = true;
        } else {
            join = true;
        }
        break;
    case W_IGN:
        if (w->mid) { /* mid mark + mark stand alone */
            w->mid = 0;
            w->prev = P_OTHER;
        } else if (w->prev == P_FRESH) {
            join = w->started;
            w->started = true;
        } else {
            join = w->prev != P_START;
        }
        break;
    case W_MIDW:
    case W_MIDN:
    case W_MIDWN:
        if (!w->mid &&
            ((w->prev == P_LET && cls != W_MIDN) || (w->prev == P_DGT && cls != W_MIDW))) {
            w->mid = w->prev; /* joins if the same kind follows */
            join = true;
        } else {
            w->mid = 0;
            w->prev = P_OTHER;
        }
        break;
    case W_DANDA: /* ends a word of letters; a number may follow */
        if (!w->mid && w->prev == P_LET) {
            w->mid = P_DGT;
            join = true;
        } else {
            w->mid = 0;
            w->prev = P_OTHER;
        }
        break;
    case W_LET:
    case W_DGT: {
        uint8_t k = cls == W_LET ? P_LET : P_DGT;
        if (w->mid)
            join = w->mid == k;
        else
            join = w->prev == P_LET || w->prev == P_DGT || (w->prev == P_FRESH && w->started);
        if (cp > 0xFFFF && (join || w->fed))
            w->force = true;
        w->mid = 0;
        w->prev = k;
        break;
    }
    default:
        w->mid = 0;
        w->prev = P_OTHER;
        break;
    }
    bool cs = is_cased(cp);
    w->fed = true;
    *before = join && w->cased;
    w->cased = join ? w->cased || cs : cs;
    return join;
}

/* Lower-case of the U+03A3 at s[at..at+2): U+03C2 if final.  w has been fed
 * the text before at. */
static uint32_t sigma(cm_seg *w, const unsigned char *s, size_t n, size_t at) {
    while (w->pos < at) {
        bool b;
        seg_push(w, dec(s, n, &w->pos), &b);
    }
    bool before;
    seg_push(w, 0x03A3, &before);
    w->pos = at + 2;
    if (!before)
        return 0x03C3;
    cm_seg f = *w;
    for (size_t i = f.pos; i < n;) {
        uint32_t cp = dec(s, n, &i);
        bool b;
        if (!seg_push(&f, cp, &b))
            break;
        if (is_cased(cp))
            return 0x03C3;
    }
    return 0x03C2;
}

/* ---- the mapping ------------------------------------------------------------------ */

size_t defuse__casemap(const char *src, size_t n, bool upper, char *out) {
    const unsigned char *s = (const unsigned char *)src;
    cm_seg w = {0, P_START, 0, false, false, false, false};
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = s[i];
        if (b < 0x80) {
            out[o++] = (char)(upper ? (b >= 'a' && b <= 'z' ? b - 32 : b)
                                    : (b >= 'A' && b <= 'Z' ? b + 32 : b));
            i++;
            continue;
        }
        size_t at = i;
        uint32_t cp = dec(s, n, &i), m[3];
        size_t k;
        if (cp == 0x03A3 && !upper) {
            m[0] = sigma(&w, s, n, at);
            k = 1;
        } else {
            k = map_cp(cp, upper, m);
        }
        for (size_t j = 0; j < k; j++)
            o += enc(m[j], out + o);
    }
    return o;
}
