/*
 * decode.c -- transport decoding in layers (the defuse__decoder contract of
 * internal.h).
 *
 * Attackers probe for applications that decode input before logging it, so
 * a detector must undo every transport encoding a payload may hide under:
 * percent-encoding (%XX, %uXXXX), \uXXXX, \xHH, octal \NNN, HTML/XML
 * character references (&#36; &#x24; &dollar; ...), JSON string escapes and
 * Base64 after "Basic ".  One ROUND is a single left-to-right pass that
 * undoes one level of every encoding it meets; the output of a round is not
 * re-examined within the same round, so "%2524" needs two rounds (%25 -> %,
 * then %24 -> $) and the layers of a payload can be reported outermost first.
 * Rounds repeat until one changes nothing or max_layers ran.  Every decoding
 * shrinks its input (3 bytes or more become at most 4 UTF-8 bytes only when
 * the escape is longer still; Base64 4 -> 3), so a round's output never
 * exceeds its input: each round is O(n) time and the buffers are O(n).
 *
 * Bookkeeping, all linear in the text:
 *   - orig[i]: the offset in the ORIGINAL buffer of decoded byte i (the
 *     start of the escape that produced it).  Rounds compose it in place:
 *     new_orig[j] = orig[first input byte of the escape].  Monotonic.
 *   - recs: for each round, the spans of the original buffer (from orig)
 *     that a decoding of that round consumed, with its layer, merged when
 *     adjacent with the same layer, then grouped by layer.
 *     defuse__decoded_layers() maps a decoded span back to the original and
 *     binary-searches each round's group of each layer: O(rounds * layers *
 *     log n) per query, whatever the span.
 *
 * Invalid sequences (a lone surrogate, "%zz", "&#xD800;", "&unknown;") pass
 * through unchanged.  The text may contain NUL bytes (from %00, \0, ...): all
 * lengths are explicit and the buffer is NUL-terminated for convenience.
 *
 * Hand-written: no Debian library decodes these layers one level at a time
 * with an offset map (ICU and libcurl decode one scheme fully, in place).
 */
#include "decode_extra.h" /* includes internal.h */

#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <string.h>

/* One decoding a round applied: original span [start, end) and its layer. */
typedef struct rec {
    uint32_t start, end;
    uint32_t layer;
} rec;

struct defuse__decoder {
    char *text;        /* current text, NUL-terminated */
    char *tmp;         /* next round's output */
    size_t len;        /* length of text */
    size_t cap;        /* capacity of text and tmp (bytes, incl. NUL) */
    uint32_t *orig;    /* origin of each byte of text (valid unless ident) */
    uint32_t *otmp;    /* next round's origins */
    size_t ocap;       /* capacity of orig and otmp (elements) */
    bool ident;        /* text equals the input: origin is the identity */
    size_t inlen;      /* length of the original buffer */
    rec *recs;         /* decodings of all rounds, round by round; within a
                          round grouped by layer, each group by offset */
    size_t nrec, reccap;
    rec *rscratch;     /* for grouping one round's records */
    size_t rscap;
    size_t (*lofs)[DEFUSE_LAYER_COUNT + 1]; /* lofs[r][l]: first record of
                          layer l in round r; lofs[r][COUNT]: end of round */
    unsigned nrounds;
    unsigned rcap;     /* rows of lofs */
    bool nomap;        /* last call was a DEFUSE__DECODE_PROBE without origins */
};

/* ---- small helpers ------------------------------------------------------- */

/* Reads exactly n hex digits at s (bounded by end). Returns value or -1. */
static long hexn(const unsigned char *s, const unsigned char *end, size_t n) {
    if ((size_t)(end - s) < n)
        return -1;
    long v = 0;
    for (size_t k = 0; k < n; k++) {
        int h = defuse__hexval(s[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Writes code point cp (valid, not a surrogate) as UTF-8; returns bytes. */
static size_t put_utf8(unsigned char *o, uint32_t cp) {
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static bool is_b64(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '-' || c == '_';
}

static bool is_alnum(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static unsigned char lc(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c; }

/* True if s[0..n) is valid UTF-8 without control characters (tab allowed). */
static bool printable_utf8(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                return false;
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0x80 && cp < 0xA0))
            return false;
        i += k + 1;
    }
    return true;
}

/* ---- HTML/XML named character references --------------------------------- */

/* A table, not an if-chain: name (case-sensitive, as browsers match it),
 * code point, and whether browsers also accept it without ';' (the legacy
 * references of HTML 4).  Covers every ASCII punctuation reference of HTML5
 * and the common letters/spaces; unknown names pass through unchanged. */
static const struct entity {
    const char *name;
    uint32_t cp;
    bool legacy;
} entities[] = {
    {"amp", '&', true},       {"AMP", '&', true},        {"lt", '<', true},
    {"LT", '<', true},        {"gt", '>', true},         {"GT", '>', true},
    {"quot", '"', true},      {"QUOT", '"', true},       {"nbsp", 0xA0, true},
    {"apos", '\'', false},    {"dollar", '$', false},    {"lbrace", '{', false},
    {"lcub", '{', false},     {"rbrace", '}', false},    {"rcub", '}', false},
    {"colon", ':', false},    {"sol", '/', false},       {"bsol", '\\', false},
    {"period", '.', false},   {"num", '#', false},       {"percnt", '%', false},
    {"lowbar", '_', false},   {"UnderBar", '_', false},  {"hyphen", 0x2010, false},
    {"dash", 0x2010, false},  {"minus", 0x2212, false},  {"excl", '!', false},
    {"quest", '?', false},    {"commat", '@', false},    {"lsqb", '[', false},
    {"lbrack", '[', false},   {"rsqb", ']', false},      {"rbrack", ']', false},
    {"lpar", '(', false},     {"rpar", ')', false},      {"ast", '*', false},
    {"midast", '*', false},   {"plus", '+', false},      {"comma", ',', false},
    {"equals", '=', false},   {"semi", ';', false},      {"Tab", '\t', false},
    {"NewLine", '\n', false}, {"grave", '`', false},     {"DiacriticalGrave", '`', false},
    {"Hat", '^', false},      {"verbar", '|', false},    {"vert", '|', false},
    {"VerticalLine", '|', false}, {"tilde", 0x02DC, false}, {"copy", 0xA9, true},
    {"reg", 0xAE, true},      {"shy", 0xAD, true},       {"dot", 0x02D9, false},
};

#define ENTITY_MAX_NAME 32

/* ---- Base64 -------------------------------------------------------------- */

static int b64val(unsigned char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

long defuse__base64_decode(const char *s, size_t n, unsigned char *out) {
    const unsigned char *p = (const unsigned char *)s;
    size_t pad = 0;
    while (n > 0 && p[n - 1] == '=' && pad < 2) {
        n--;
        pad++;
    }
    if (pad && (n + pad) % 4 != 0)
        return -1;
    if (n % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(p[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return (long)o;
}

/* ---- one round ----------------------------------------------------------- */

typedef struct round_ctx {
    defuse__decoder *d;
    const unsigned char *in;
    size_t n;
    unsigned char *out;
    uint32_t *oout;
    size_t wo;        /* bytes written */
    size_t changes;   /* decodings applied */
    size_t rec_first; /* first rec of this round */
    unsigned flags;
    bool map;         /* keep origins and records (false: DEFUSE__DECODE_PROBE) */
    bool defer_b64;   /* postpone Base64 tokens followed by an escape */
    bool deferred;    /* a token was postponed */
    int err;
    /* First round only: the rules keyed on markers of the raw input (R1_*),
     * and the context they read, scanned lazily up to ctx_to (each byte
     * once, so the round stays linear). */
    unsigned r1;
    size_t ctx_to;
    size_t last_eq;     /* 1 + offset of the last '=' (0: none) */
    size_t last_delim;  /* 1 + offset of the last token delimiter */
    size_t cookie_from; /* 1 + offset where a cookie list starts (0: none) */
    bool cookie_on;     /* inside that list */
} round_ctx;

/* Origin in the original buffer of input byte k of this round. */
static uint32_t origin_in(const round_ctx *c, size_t k) {
    if (k >= c->n)
        return (uint32_t)c->d->inlen;
    return c->d->ident ? (uint32_t)k : c->d->orig[k];
}

static int add_rec(round_ctx *c, uint32_t s, uint32_t e, defuse_layer l) {
    defuse__decoder *d = c->d;
    if (d->nrec > c->rec_first) {
        rec *last = &d->recs[d->nrec - 1];
        if (last->layer == (uint32_t)l && last->end == s) {
            last->end = e;
            return 0;
        }
    }
    if (d->nrec == d->reccap) {
        size_t nc = d->reccap ? d->reccap * 2 : 64;
        rec *r = realloc(d->recs, nc * sizeof *r);
        if (!r)
            return DEFUSE_ENOMEM;
        d->recs = r;
        d->reccap = nc;
    }
    d->recs[d->nrec++] = (rec){s, e, (uint32_t)l};
    return 0;
}

/* Emits bytes b[0..k) decoded from input [i, i+consumed) with layer l. */
static void emit(round_ctx *c, const unsigned char *b, size_t k, size_t i, size_t consumed,
                 defuse_layer l) {
    c->changes++;
    if (!c->map) {
        memcpy(c->out + c->wo, b, k);
        c->wo += k;
        return;
    }
    uint32_t o = origin_in(c, i);
    for (size_t j = 0; j < k; j++) {
        c->out[c->wo] = b[j];
        c->oout[c->wo] = o;
        c->wo++;
    }
    if (!c->err)
        c->err = add_rec(c, o, origin_in(c, i + consumed), l);
}

/* Writes byte b with the origin of input byte src (no record: the caller
 * adds one for the whole decoding). */
static inline void put1(round_ctx *c, unsigned char b, size_t src) {
    c->out[c->wo] = b;
    if (c->map)
        c->oout[c->wo] = origin_in(c, src);
    c->wo++;
}

/* \uXXXX or %uXXXX at i (marker is '\\' or '%'), with a surrogate pair when
 * the next escape has the same marker.  Returns bytes consumed or 0. */
static size_t dec_u(round_ctx *c, size_t i, unsigned char marker, defuse_layer l) {
    const unsigned char *in = c->in, *end = in + c->n;
    if (i + 1 >= c->n || (in[i + 1] != 'u' && !(marker == '%' && in[i + 1] == 'U')))
        return 0;
    long v = hexn(in + i + 2, end, 4);
    if (v < 0)
        return 0;
    uint32_t cp = (uint32_t)v;
    size_t used = 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long lo = -1;
        if (i + 7 < c->n && in[i + 6] == marker && in[i + 7] == in[i + 1])
            lo = hexn(in + i + 8, end, 4);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return 0; /* lone high surrogate: invalid */
        cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
        used = 12;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return 0; /* lone low surrogate */
    }
    unsigned char b[4];
    size_t k = put_utf8(b, cp);
    emit(c, b, k, i, used, l);
    return used;
}

static size_t dec_percent(round_ctx *c, size_t i) {
    const unsigned char *in = c->in;
    long v = hexn(in + i + 1, in + c->n, 2);
    if (v >= 0) {
        unsigned char b = (unsigned char)v;
        emit(c, &b, 1, i, 3, DEFUSE_LAYER_PERCENT);
        return 3;
    }
    return dec_u(c, i, '%', DEFUSE_LAYER_PERCENT_U);
}

/* JSON escapes other than \u: the character after the backslash -> byte. */
static const unsigned char json_esc[256] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

static size_t dec_backslash(round_ctx *c, size_t i) {
    const unsigned char *in = c->in;
    if (i + 1 >= c->n)
        return 0;
    unsigned char e = in[i + 1];
    if (e == 'u')
        return dec_u(c, i, '\\', DEFUSE_LAYER_UNICODE);
    if (e == 'x') {
        long v = hexn(in + i + 2, in + c->n, 2);
        if (v < 0)
            return 0;
        unsigned char b = (unsigned char)v;
        emit(c, &b, 1, i, 4, DEFUSE_LAYER_HEX);
        return 4;
    }
    if (e >= '0' && e <= '7') {
        unsigned v = 0;
        size_t k = 1;
        while (k <= 3 && i + k < c->n && in[i + k] >= '0' && in[i + k] <= '7' &&
               v * 8 + (unsigned)(in[i + k] - '0') <= 255) {
            v = v * 8 + (unsigned)(in[i + k] - '0');
            k++;
        }
        unsigned char b = (unsigned char)v;
        emit(c, &b, 1, i, k, DEFUSE_LAYER_OCTAL);
        return k;
    }
    if (json_esc[e]) {
        unsigned char b = json_esc[e];
        emit(c, &b, 1, i, 2, DEFUSE_LAYER_JSON);
        return 2;
    }
    return 0;
}

static size_t dec_amp(round_ctx *c, size_t i) {
    const unsigned char *in = c->in;
    size_t n = c->n;
    if (i + 2 >= n)
        return 0;
    if (in[i + 1] == '#') {
        size_t k = i + 2;
        bool hex = false;
        if (in[k] == 'x' || in[k] == 'X') {
            hex = true;
            k++;
        }
        size_t ds = k;
        uint32_t v = 0;
        bool over = false;
        while (k < n && (hex ? defuse__hexval(in[k]) >= 0 : (in[k] >= '0' && in[k] <= '9'))) {
            v = v * (hex ? 16u : 10u) + (uint32_t)(hex ? defuse__hexval(in[k]) : in[k] - '0');
            if (v > 0x10FFFF) {
                over = true;
                v = 0x110000; /* keep bounded; invalid anyway */
            }
            k++;
        }
        if (k == ds || over || v == 0 || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        if (k < n && in[k] == ';')
            k++;
        unsigned char b[4];
        size_t bl = put_utf8(b, v);
        emit(c, b, bl, i, k - i, DEFUSE_LAYER_HTML);
        return k - i;
    }
    /* Named: [A-Za-z][A-Za-z0-9]* then ';' (or a legacy name without). */
    size_t k = i + 1;
    while (k < n && k - (i + 1) < ENTITY_MAX_NAME && is_alnum(in[k]))
        k++;
    size_t nl = k - (i + 1);
    if (nl == 0)
        return 0;
    const unsigned char *name = in + i + 1;
    if (k < n && in[k] == ';') {
        for (size_t t = 0; t < DEFUSE_ARRAY_LEN(entities); t++) {
            if (strlen(entities[t].name) == nl && memcmp(entities[t].name, name, nl) == 0) {
                unsigned char b[4];
                size_t bl = put_utf8(b, entities[t].cp);
                emit(c, b, bl, i, nl + 2, DEFUSE_LAYER_HTML);
                return nl + 2;
            }
        }
    }
    /* Legacy references match as the longest prefix without ';' ("&ampx"). */
    size_t best = 0, bt = 0;
    for (size_t t = 0; t < DEFUSE_ARRAY_LEN(entities); t++) {
        size_t el = strlen(entities[t].name);
        if (entities[t].legacy && el <= nl && el > best && memcmp(entities[t].name, name, el) == 0) {
            best = el;
            bt = t;
        }
    }
    if (!best)
        return 0;
    unsigned char b[4];
    size_t bl = put_utf8(b, entities[bt].cp);
    emit(c, b, bl, i, best + 1, DEFUSE_LAYER_HTML);
    return best + 1;
}

/* Decodes the Base64 token in[ts..te) and emits it with layer l: output
 * byte k has the origin of input byte ts + 4*(k/3) + k%3 (l < 0: no
 * record, the caller makes one).  Returns false
 * (and writes nothing) if it is not Base64, or (unless force) not
 * printable UTF-8. */
static bool b64_put(round_ctx *c, size_t ts, size_t te, bool force, int l) {
    if (te - ts < 2)
        return false;
    /* The output of Base64 (3 per 4) fits in the room the token leaves in
     * out[], since out never runs ahead of in. */
    unsigned char *dst = c->out + c->wo;
    long dl = defuse__base64_decode((const char *)c->in + ts, te - ts, dst);
    if (dl <= 0 || (!force && !printable_utf8(dst, (size_t)dl)))
        return false;
    uint32_t o0 = origin_in(c, ts);
    /* origins are monotonic: src grows with j. */
    if (c->map)
        for (long j = 0; j < dl; j++) {
            size_t src = ts + (size_t)(j / 3) * 4 + (size_t)(j % 3);
            c->oout[c->wo + (size_t)j] = src < te ? origin_in(c, src) : o0;
        }
    c->wo += (size_t)dl;
    if (l >= 0) {
        c->changes++;
        if (c->map && !c->err)
            c->err = add_rec(c, o0, origin_in(c, te), (defuse_layer)l);
    }
    return true;
}

static bool emit_b64(round_ctx *c, size_t ts, size_t te, bool force) {
    return te - ts >= 4 && b64_put(c, ts, te, force, DEFUSE_LAYER_BASE64);
}

/* True if a decoding of layer l in an earlier round consumed part of the
 * original span [lo, hi): one binary search per round. */
static bool prior_layer(const defuse__decoder *d, uint32_t lo, uint32_t hi, defuse_layer l) {
    if (hi <= lo)
        hi = lo + 1;
    for (unsigned r = 0; r < d->nrounds; r++) {
        size_t a = d->lofs[r][l], b = d->lofs[r][l + 1];
        while (a < b) {
            size_t m = a + (b - a) / 2;
            if (d->recs[m].end <= lo)
                a = m + 1;
            else
                b = m;
        }
        if (a < d->lofs[r][l + 1] && d->recs[a].start < hi)
            return true;
    }
    return false;
}

/* Token end: base64 characters then at most two '='. */
static size_t b64_token_end(const unsigned char *in, size_t n, size_t ts) {
    size_t te = ts;
    while (te < n && is_b64(in[te]))
        te++;
    size_t p = 0;
    while (te < n && in[te] == '=' && p < 2) {
        te++;
        p++;
    }
    return te;
}

/* "basic" + blanks + token at i.  Returns the input bytes handled (copied
 * "basic" and blanks plus the decoded token), or 0. */
static size_t dec_basic(round_ctx *c, size_t i) {
    const unsigned char *in = c->in;
    size_t n = c->n;
    static const char kw[] = "basic";
    if (n - i < 7 || (i > 0 && is_alnum(in[i - 1])))
        return 0;
    for (size_t k = 0; k < 5; k++)
        if (lc(in[i + k]) != (unsigned char)kw[k])
            return 0;
    /* The word itself must be literal input, not the product of a decoding
     * (the candidate pre-filter keys on the literal word).  Without origins
     * the input held no literal "basic" trigger (defuse__decode), so this
     * one was decoded. */
    if (!c->map || origin_in(c, i + 5) != origin_in(c, i) + 5)
        return 0;
    size_t ts = i + 5;
    while (ts < n && (in[ts] == ' ' || in[ts] == '\t'))
        ts++;
    if (ts == i + 5)
        return 0;
    size_t te = b64_token_end(in, n, ts);
    if (te - ts < 4)
        return 0;
    /* A token that is itself the output of a Base64 decoding of an earlier
     * round is not decoded again: the user name of "Basic dXNlcjpwdw=="
     * stays "user".  Any other earlier decoding may have made it
     * ("Basic%20%2BKC..." is percent, then Base64). */
    if (prior_layer(c->d, origin_in(c, ts), origin_in(c, te), DEFUSE_LAYER_BASE64))
        return 0;
    if (te < n && (in[te] == '%' || in[te] == '\\' || in[te] == '&') && c->defer_b64) {
        c->deferred = true;
        return 0;
    }
    /* Copy "basic" and the blanks as they are, then the decoded token. */
    size_t save_wo = c->wo;
    for (size_t k = i; k < ts; k++) {
        c->out[c->wo] = in[k];
        c->oout[c->wo] = origin_in(c, k);
        c->wo++;
    }
    if (!emit_b64(c, ts, te, (c->flags & DEFUSE_SCAN_BASIC_AUTH) != 0)) {
        c->wo = save_wo;
        return 0;
    }
    return te - i;
}

/* ---- first-round rules: form '+', JWT, cookies, MIME words, QP ----------
 *
 * These encodings are keyed on markers that the candidate pre-filter must
 * see as they are ("eyJ", "=?", "cookie:", a QP-encoded '$' or '{'), or on
 * the context of a byte ('+' after "key=").  A decoding may create such a
 * marker ("%3D?" -> "=?"), so these rules apply in the first round only,
 * where every byte is raw input; their output is then decoded further by
 * the ordinary rules of later rounds (a JWT claim holding "\u0024{", a
 * cookie holding "%24%7B").  r1_rules() tells which markers a buffer holds
 * (a buffer without any keeps the fast dispatch of later rounds). */

enum {
    R1_PLUS = 1u << 0,   /* '+' is a space in form context */
    R1_QP = 1u << 1,     /* quoted-printable =XX and soft line breaks */
    R1_MIME = 1u << 2,   /* RFC 2047 encoded-words */
    R1_JWT = 1u << 3,    /* eyJ... JWTs */
    R1_COOKIE = 1u << 4, /* Base64 cookie values */
};

static bool is_b64url(unsigned char c) {
    return is_alnum(c) || c == '-' || c == '_';
}

/* Case-insensitive "cookie" at s (n bytes available). */
static bool at_cookie(const unsigned char *s, size_t n) {
    static const char kw[] = "cookie";
    if (n < 6)
        return false;
    for (size_t k = 0; k < 6; k++)
        if (lc(s[k]) != (unsigned char)kw[k])
            return false;
    return true;
}

/* The first-round rules the raw buffer s[0..n) may need (R1_*).  It runs
 * on every candidate line, most of which need none: each marker is found
 * by memchr()/memmem() on its rarest byte (a switch over every byte was a
 * twentieth of the time spent on clean logs). */
static unsigned r1_rules(const unsigned char *s, size_t n) {
    unsigned r = 0;
    const unsigned char *e = s + n, *q;
    bool eq = false;
    for (const unsigned char *p = s; (q = memchr(p, '=', (size_t)(e - p))) != NULL; p = q + 1) {
        size_t i = (size_t)(q - s);
        eq = true;
        if (i + 1 < n && s[i + 1] == '?')
            r |= R1_MIME;
        else if (i + 2 < n && s[i + 1] == '7' && (s[i + 2] == 'B' || s[i + 2] == 'b'))
            r |= R1_QP;
        else if (i + 3 < n && s[i + 1] == '2' && s[i + 2] == '4' &&
                 (s[i + 3] == '{' || s[i + 3] == '='))
            r |= R1_QP;
    }
    if (eq && memchr(s, '+', n))
        r |= R1_PLUS;
    /* "eyJ" at its rare 'J' (glibc's memmem() cost more than the rest). */
    for (const unsigned char *p = s + (n > 2 ? 2 : n);
         (q = memchr(p, 'J', (size_t)(e - p))) != NULL; p = q + 1)
        if (q[-2] == 'e' && q[-1] == 'y') {
            r |= R1_JWT;
            break;
        }
    for (int k = 0; k < 2 && !(r & R1_COOKIE); k++) { /* "cookie" in any case, at its 'k' */
        const unsigned char *p = s + (n > 3 ? 3 : n);
        for (; (q = memchr(p, k ? 'K' : 'k', (size_t)(e - p))) != NULL; p = q + 1)
            if (at_cookie(q - 3, (size_t)(e - q) + 3)) {
                r |= R1_COOKIE;
                break;
            }
    }
    return r;
}

/* Bytes that end a token for the '+' rule (a form value never holds them
 * raw). */
static const unsigned char form_delim[256] = {
    [' '] = 1, ['\t'] = 1, ['"'] = 1, ['\''] = 1, ['\n'] = 1, ['\r'] = 1, ['<'] = 1, ['>'] = 1,
};

/* Advances the lazily scanned context to input offset `to`: the last '='
 * and delimiter, and the end of a cookie list (a newline, a quote, a
 * backslash, or a blank after a byte other than ';', ',' or a blank). */
static void ctx_scan(round_ctx *c, size_t to) {
    const unsigned char *in = c->in;
    for (size_t k = c->ctx_to; k < to; k++) {
        unsigned char b = in[k];
        if (b == '=')
            c->last_eq = k + 1;
        else if (form_delim[b])
            c->last_delim = k + 1;
        if (c->cookie_on && k + 1 > c->cookie_from) {
            if (b == '\n' || b == '\r' || b == '"' || b == '\'' || b == '\\')
                c->cookie_on = false;
            else if ((b == ' ' || b == '\t') && k > 0 && !strchr(";, \t", in[k - 1]))
                c->cookie_on = false;
        }
    }
    if (to > c->ctx_to)
        c->ctx_to = to;
}

/* '+' at i: a space when the token it is in holds a '=' before it (a query
 * or form value: "?q=a+b", "auth=Basic+dXNl..."), outside a cookie list. */
static size_t dec_plus(round_ctx *c, size_t i) {
    if (!(c->r1 & R1_PLUS))
        return 0;
    ctx_scan(c, i);
    if (c->cookie_on || c->last_eq <= c->last_delim)
        return 0;
    static const unsigned char sp = ' ';
    emit(c, &sp, 1, i, 1, DEFUSE_LAYER_PLUS);
    return 1;
}

/* "cookie" at i, then an optional 's' and quote, blanks, and ':' or '='
 * ("Cookie: ", "Set-Cookie:", "cookie=", "\"cookie\":\""): a cookie list
 * starts after it.  Consumes nothing (the marker is copied). */
static size_t dec_cookie_mark(round_ctx *c, size_t i) {
    const unsigned char *in = c->in;
    size_t n = c->n;
    if (!(c->r1 & R1_COOKIE) || !at_cookie(in + i, n - i))
        return 0;
    size_t j = i + 6;
    if (j < n && lc(in[j]) == 's')
        j++;
    if (j < n && (in[j] == '"' || in[j] == '\''))
        j++;
    while (j < n && (in[j] == ' ' || in[j] == '\t'))
        j++;
    if (j >= n || (in[j] != ':' && in[j] != '='))
        return 0;
    j++;
    while (j < n && (in[j] == ' ' || in[j] == '\t'))
        j++;
    if (j < n && (in[j] == '"' || in[j] == '\''))
        j++;
    ctx_scan(c, i);
    c->cookie_from = j + 1;
    c->cookie_on = true;
    return 0;
}

/* A cookie value after the '=' at i, in a cookie list: an optional quote,
 * Base64 of DEFUSE_COOKIE_B64_MIN..MAX characters (standard or URL-safe),
 * padding as '=' or "%3D", then the end of the value.  Decoded when that is
 * printable UTF-8 ("Cookie: a=JHtqbmRp...").  Returns bytes handled or 0. */
static size_t dec_cookie_value(round_ctx *c, size_t i) {
    const unsigned char *in = c->in;
    size_t n = c->n;
    ctx_scan(c, i);
    if (!c->cookie_on)
        return 0;
    size_t v = i + 1;
    if (v < n && in[v] == '"')
        v++;
    size_t te = v;
    while (te < n && te - v <= DEFUSE_COOKIE_B64_MAX && is_b64(in[te]))
        te++;
    if (te - v < DEFUSE_COOKIE_B64_MIN || te - v > DEFUSE_COOKIE_B64_MAX)
        return 0;
    size_t lit = 0, pe = te;
    while (lit < 2 && pe < n && in[pe] == '=') {
        lit++;
        pe++;
    }
    for (unsigned p = lit;
         p < 2 && n - pe >= 3 && in[pe] == '%' && in[pe + 1] == '3' && lc(in[pe + 2]) == 'd'; p++)
        pe += 3;
    if (pe < n && !strchr(";, \t\"\\\r\n&", in[pe]))
        return 0;
    size_t save = c->wo;
    for (size_t k = i; k < v; k++)
        put1(c, in[k], k);
    /* Literal padding is part of the token; "%3D" is left to the percent
     * rule of the same round. */
    if (lit && b64_put(c, v, te + lit, false, DEFUSE_LAYER_BASE64))
        return te + lit - i;
    if (b64_put(c, v, te, false, DEFUSE_LAYER_BASE64))
        return te - i;
    c->wo = save;
    return 0;
}

/* A JWT at i: "eyJ" (Base64 of '{"') at a token boundary, three segments of
 * base64url separated by '.' (the signature may be empty), at most
 * DEFUSE_JWT_MAX bytes.  The header and the payload are decoded when both
 * are printable UTF-8; the signature is copied.  The boundary (the byte
 * before is no base64url character and no '$') keeps the attempts linear
 * and is what the pre-filter assumes. */
static size_t dec_jwt(round_ctx *c, size_t i) {
    const unsigned char *in = c->in;
    size_t n = c->n;
    if (!(c->r1 & R1_JWT) || n - i < 8 || in[i + 1] != 'y' || in[i + 2] != 'J' ||
        (i > 0 && (is_b64url(in[i - 1]) || in[i - 1] == '$')))
        return 0;
    size_t lim = n - i > DEFUSE_JWT_MAX ? i + DEFUSE_JWT_MAX : n;
    size_t seg[3][2], k = i;
    for (int s = 0; s < 3; s++) {
        seg[s][0] = k;
        while (k < lim && is_b64url(in[k]))
            k++;
        seg[s][1] = k;
        if (s < 2) {
            if (k >= lim || in[k] != '.' || k - seg[s][0] < 2)
                return 0;
            k++;
        }
    }
    if (k < n && (is_b64url(in[k]) || in[k] == '.'))
        return 0; /* longer than the limit, or more segments */
    size_t save = c->wo, nrec = c->d->nrec, changes = c->changes;
    for (int s = 0; s < 2; s++) {
        if (!b64_put(c, seg[s][0], seg[s][1], false, DEFUSE_LAYER_JWT)) {
            c->wo = save;
            c->d->nrec = nrec;
            c->changes = changes;
            return 0;
        }
        put1(c, '.', seg[s][1]);
    }
    for (size_t j = seg[2][0]; j < seg[2][1]; j++)
        put1(c, in[j], j);
    return k - i;
}

/* An RFC 2047 encoded-word at i: "=?" charset [ "*" lang ] "?" B|Q "?"
 * text "?=".  OUT: the encoding (upper case), the text span.  Returns its
 * end, or 0. */
static size_t mime_word(const unsigned char *in, size_t n, size_t i, unsigned char *enc, size_t *ts,
                        size_t *te) {
    size_t k = i + 2;
    if (n - i < 8 || in[i] != '=' || in[i + 1] != '?' ||
        !((in[k] | 0x20) >= 'a' && (in[k] | 0x20) <= 'z'))
        return 0;
    size_t cs = k;
    while (k < n && k - cs < DEFUSE_MIME_CHARSET_MAX &&
           (is_alnum(in[k]) || strchr("-_.:*+", in[k]) != NULL))
        k++;
    if (n - k < 5 || in[k] != '?' || in[k + 2] != '?')
        return 0;
    *enc = (unsigned char)(in[k + 1] & ~0x20);
    if (*enc != 'B' && *enc != 'Q')
        return 0;
    k += 3;
    *ts = k;
    while (k < n && k - *ts <= DEFUSE_MIME_WORD_MAX && in[k] > ' ' && in[k] < 0x7F && in[k] != '?')
        k++;
    if (k - *ts > DEFUSE_MIME_WORD_MAX || n - k < 2 || in[k] != '?' || in[k + 1] != '=')
        return 0;
    *te = k;
    return k + 2;
}

/* An encoded-word at i, decoded: B as Base64, Q as quoted-printable with
 * '_' for a space.  The bytes are kept as they are whatever the charset
 * (UTF-8, ISO-8859-1, US-ASCII: the payload alphabet is ASCII).  Blanks
 * and line breaks between it and a following encoded-word are dropped, as
 * RFC 2047 section 6.2 says.  Returns bytes handled or 0. */
static size_t dec_mime(round_ctx *c, size_t i) {
    const unsigned char *in = c->in;
    size_t n = c->n, ts, te, t2, t3;
    unsigned char enc, e2;
    size_t end = mime_word(in, n, i, &enc, &ts, &te);
    if (!end)
        return 0;
    size_t k = end;
    while (k < n && k - end <= DEFUSE_MIME_GAP_MAX && strchr(" \t\r\n", in[k]) && in[k])
        k++;
    if (k == end || k - end > DEFUSE_MIME_GAP_MAX || !mime_word(in, n, k, &e2, &t2, &t3))
        k = end;
    if (enc == 'B') {
        if (te > ts && !b64_put(c, ts, te, true, -1))
            return 0;
    } else {
        for (size_t j = ts; j < te;) {
            long v = in[j] == '=' ? hexn(in + j + 1, in + te, 2) : -1;
            if (v >= 0) {
                put1(c, (unsigned char)v, j);
                j += 3;
            } else {
                put1(c, in[j] == '_' ? ' ' : in[j], j);
                j++;
            }
        }
    }
    c->changes++;
    /* The record spans the whole word and the gap dropped after it. */
    if (c->map && !c->err)
        c->err = add_rec(c, origin_in(c, i), origin_in(c, k),
                         enc == 'B' ? DEFUSE_LAYER_MIME_B : DEFUSE_LAYER_MIME_Q);
    return k - i;
}

/* Quoted-printable at i ("=24", "=7b", a soft line break "=\r\n" or
 * "=\n"), in a buffer that holds a QP-encoded brace or dollar (R1_QP). */
static size_t dec_qp(round_ctx *c, size_t i) {
    const unsigned char *in = c->in;
    long v = hexn(in + i + 1, in + c->n, 2);
    if (v >= 0) {
        unsigned char b = (unsigned char)v;
        emit(c, &b, 1, i, 3, DEFUSE_LAYER_QP);
        return 3;
    }
    size_t k = i + 1;
    if (k < c->n && in[k] == '\r')
        k++;
    if (k < c->n && in[k] == '\n') {
        static const unsigned char none = 0;
        emit(c, &none, 0, i, k + 1 - i, DEFUSE_LAYER_QP);
        return k + 1 - i;
    }
    return 0;
}

/* '=' at i: an encoded-word, quoted-printable, or a cookie value. */
static size_t dec_eq(round_ctx *c, size_t i) {
    size_t used = 0;
    if ((c->r1 & R1_MIME) && i + 1 < c->n && c->in[i + 1] == '?')
        used = dec_mime(c, i);
    if (!used && (c->r1 & R1_QP))
        used = dec_qp(c, i);
    if (!used && (c->r1 & R1_COOKIE))
        used = dec_cookie_value(c, i);
    return used;
}

/* Byte classes that may start an escape within a round; starts1 adds the
 * markers of the first-round rules (used when r1_rules() found one). */
static const unsigned char starts[256] = {
    ['%'] = 1, ['\\'] = 1, ['&'] = 1, ['b'] = 1, ['B'] = 1,
};
static const unsigned char starts1[256] = {
    ['%'] = 1, ['\\'] = 1, ['&'] = 1, ['b'] = 1, ['B'] = 1,
    ['='] = 1, ['+'] = 1,  ['e'] = 1, ['c'] = 1, ['C'] = 1,
};

#if defined(__SSE2__)
/* Bit k set when p[k] is one of '%' '\\' '&' (esc) and/or 'b' 'B' (b). */
static inline unsigned start_mask16(const unsigned char *p, bool esc, bool b) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_setzero_si128();
    if (esc)
        m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('%')),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                         _mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
    if (b)
        m = _mm_or_si128(m,
                         _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('b')));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The first j' >= j with starts[in[j']] (a byte that may begin an escape),
 * or n.  Sixteen bytes at a time where SSE2 is there: this search over the
 * plain runs between escapes was two thirds of a round. */
static size_t next_start(const unsigned char *in, size_t j, size_t n) {
#if defined(__SSE2__)
    for (; n >= 16 && j <= n - 16; j += 16) {
        unsigned m = start_mask16(in + j, true, true);
        if (m)
            return j + (size_t)__builtin_ctz(m);
    }
#endif
    while (j < n && !starts[in[j]])
        j++;
    return j;
}

/* Runs one round over c->in.  Returns 0 or a negative defuse_err. */
static int run_round(round_ctx *c) {
    const unsigned char *in = c->in;
    size_t n = c->n, i = 0;
    c->wo = 0;
    c->changes = 0;
    c->deferred = false;
    c->err = 0;
    c->d->nrec = c->rec_first;
    c->ctx_to = c->last_eq = c->last_delim = c->cookie_from = 0;
    c->cookie_on = false;

    /* DEFUSE_SCAN_BASIC_AUTH: the whole text may be a bare token. */
    if (c->flags & DEFUSE_SCAN_BASIC_AUTH) {
        size_t ts = 0, te = n;
        while (ts < te && (in[ts] == ' ' || in[ts] == '\t'))
            ts++;
        while (te > ts && (in[te - 1] == ' ' || in[te - 1] == '\t'))
            te--;
        if (te - ts >= 4 && b64_token_end(in, te, ts) == te) {
            for (size_t k = 0; k < ts; k++) {
                c->out[c->wo] = in[k];
                c->oout[c->wo++] = origin_in(c, k);
            }
            if (emit_b64(c, ts, te, true)) {
                for (size_t k = te; k < n; k++) {
                    c->out[c->wo] = in[k];
                    c->oout[c->wo++] = origin_in(c, k);
                }
                return c->err;
            }
            c->wo = 0;
        }
    }

    const unsigned char *st = c->r1 ? starts1 : starts;
    while (i < n) {
        unsigned char ch = in[i];
        size_t used = 0;
        if (st[ch]) {
            switch (ch) {
            case '%':
                used = dec_percent(c, i);
                break;
            case '\\':
                used = dec_backslash(c, i);
                break;
            case '&':
                used = dec_amp(c, i);
                break;
            case '=':
                used = dec_eq(c, i);
                break;
            case '+':
                used = dec_plus(c, i);
                break;
            case 'e':
                used = dec_jwt(c, i);
                break;
            case 'c':
            case 'C':
                used = dec_cookie_mark(c, i);
                break;
            default:
                used = dec_basic(c, i);
                break;
            }
            if (c->err)
                return c->err;
        }
        if (used) {
            i += used;
            continue;
        }
        /* in[i] and the run of bytes after it that start no escape are
         * copied as they are, with their origins, in bulk (a byte at a
         * time, this loop was most of the decoding time on clean logs). */
        size_t j = i + 1;
        if (c->r1)
            while (j < n && !starts1[in[j]])
                j++;
        else
            j = next_start(in, j, n);
        memcpy(c->out + c->wo, in + i, j - i);
        if (!c->map) {
            /* DEFUSE__DECODE_PROBE: no origins */
        } else if (c->d->ident) {
            for (size_t k = i; k < j; k++)
                c->oout[c->wo + (k - i)] = (uint32_t)k;
        } else {
            memcpy(c->oout + c->wo, c->d->orig + i, (j - i) * sizeof *c->oout);
        }
        c->wo += j - i;
        i = j;
    }
    return c->err;
}

/* ---- the decoder --------------------------------------------------------- */

/* Buffers up to this size are kept between calls; larger ones are released
 * when a much smaller input follows. */
#define DECODER_KEEP_BYTES (4u << 20)

int defuse__decoder_new(defuse__decoder **out) {
    defuse__decoder *d = calloc(1, sizeof *d);
    if (!d)
        return DEFUSE_ENOMEM;
    d->ident = true;
    *out = d;
    return 0;
}

void defuse__decoder_free(defuse__decoder *d) {
    if (!d)
        return;
    free(d->text);
    free(d->tmp);
    free(d->orig);
    free(d->otmp);
    free(d->recs);
    free(d->rscratch);
    free(d->lofs);
    free(d);
}

/* Grows text (and, if both, tmp) to hold n bytes plus NUL.  cap is the
 * capacity of both buffers (tmp is allocated lazily, on the slow path). */
static int ensure_text(defuse__decoder *d, size_t n, bool both) {
    if (d->cap <= n) {
        char *t = realloc(d->text, n + 1);
        if (!t)
            return DEFUSE_ENOMEM;
        d->text = t;
        if (d->tmp) {
            char *u = realloc(d->tmp, n + 1);
            if (!u)
                return DEFUSE_ENOMEM;
            d->tmp = u;
        }
        d->cap = n + 1;
    }
    if (both && !d->tmp) {
        d->tmp = malloc(d->cap);
        if (!d->tmp)
            return DEFUSE_ENOMEM;
    }
    return 0;
}

static int ensure_orig(defuse__decoder *d, size_t n) {
    if (d->ocap >= n)
        return 0;
    uint32_t *a = realloc(d->orig, n * sizeof *a);
    if (!a)
        return DEFUSE_ENOMEM;
    d->orig = a;
    uint32_t *b = realloc(d->otmp, n * sizeof *b);
    if (!b)
        return DEFUSE_ENOMEM;
    d->otmp = b;
    d->ocap = n;
    return 0;
}

/* Closes round d->nrounds: groups its records recs[first..nrec) by layer
 * (a stable counting sort, so each group stays sorted by offset) and
 * records where each group starts, so that a layer query is one binary
 * search per round and layer whatever the span.  O(records). */
static int group_round(defuse__decoder *d, size_t first) {
    if (d->nrounds == d->rcap) {
        unsigned nc = d->rcap ? d->rcap * 2 : 8;
        size_t(*l)[DEFUSE_LAYER_COUNT + 1] = realloc(d->lofs, nc * sizeof *l);
        if (!l)
            return DEFUSE_ENOMEM;
        d->lofs = l;
        d->rcap = nc;
    }
    size_t n = d->nrec - first;
    if (n > d->rscap) {
        rec *t = realloc(d->rscratch, n * sizeof *t);
        if (!t)
            return DEFUSE_ENOMEM;
        d->rscratch = t;
        d->rscap = n;
    }
    size_t *lo = d->lofs[d->nrounds];
    size_t pos[DEFUSE_LAYER_COUNT + 1] = {0};
    for (size_t i = first; i < d->nrec; i++)
        pos[d->recs[i].layer + 1]++;
    for (unsigned l = 0; l < DEFUSE_LAYER_COUNT; l++)
        pos[l + 1] += pos[l];
    for (unsigned l = 0; l <= DEFUSE_LAYER_COUNT; l++)
        lo[l] = first + pos[l];
    for (size_t i = first; i < d->nrec; i++)
        d->rscratch[pos[d->recs[i].layer]++] = d->recs[i];
    if (n)
        memcpy(d->recs + first, d->rscratch, n * sizeof *d->recs);
    return 0;
}

/* True if s[0..n) holds "basic" in any case followed by a byte. */
static bool has_basic(const unsigned char *s, size_t n) {
    if (n < 6)
        return false;
    size_t i = 0;
    for (;;) {
#if defined(__SSE2__)
        for (; i + 16 <= n - 5; i += 16) {
            unsigned m = start_mask16(s + i, false, true);
            if (m) {
                i += (size_t)__builtin_ctz(m);
                break;
            }
        }
#endif
        while (i <= n - 6 && (s[i] | 0x20) != 'b')
            i++;
        if (i > n - 6)
            return false;
        if ((s[i + 1] | 0x20) == 'a' && (s[i + 2] | 0x20) == 's' && (s[i + 3] | 0x20) == 'i' &&
            (s[i + 4] | 0x20) == 'c')
            return true;
        i++;
    }
}

/* True if buf could hold an escape at all (the fast path's test): an
 * escape start or the word "basic".  libc's memchr() per start byte: a
 * loop testing every byte for all of them was a sixth of the time spent on
 * a candidate log line. */
static bool may_decode(const unsigned char *s, size_t n, unsigned flags) {
    if (flags & DEFUSE_SCAN_BASIC_AUTH)
        return true;
    return memchr(s, '%', n) || memchr(s, '\\', n) || memchr(s, '&', n) || has_basic(s, n);
}

int defuse__decode(defuse__decoder *d, const char *buf, size_t len, unsigned flags,
                   unsigned max_layers) {
    int rc = 0;
    d->len = 0;
    d->ident = true;
    d->inlen = 0;
    d->nrec = 0;
    d->nrounds = 0;
    if (!buf && len)
        return DEFUSE_EINVAL;
    if (len >= UINT32_MAX)
        return DEFUSE_ELIMIT;
    /* Memory follows the input: after one huge line, give the buffers back
     * rather than keeping ~10 bytes per byte of it for every later call. */
    if (d->cap > DECODER_KEEP_BYTES && len < d->cap / 4) {
        free(d->text);
        free(d->tmp);
        free(d->orig);
        free(d->otmp);
        free(d->recs);
        d->text = d->tmp = NULL;
        d->orig = d->otmp = NULL;
        d->recs = NULL;
        d->cap = d->ocap = d->reccap = 0;
    }
    unsigned r1 = max_layers > 0 ? r1_rules((const unsigned char *)buf, len) : 0;
    bool slow = max_layers > 0 && (r1 || may_decode((const unsigned char *)buf, len, flags));
    /* A probe keeps no origins unless a "basic" rule may need them. */
    bool map = !(flags & DEFUSE__DECODE_PROBE) || (flags & DEFUSE_SCAN_BASIC_AUTH) ||
               (slow && has_basic((const unsigned char *)buf, len));
    d->nomap = false;
    if ((rc = ensure_text(d, len, slow)) < 0)
        return rc;
    if (len)
        memcpy(d->text, buf, len);
    d->text[len] = '\0';
    d->len = len;
    d->inlen = len;
    if (!slow)
        return 0;
    if (map && (rc = ensure_orig(d, len + 1)) < 0)
        return rc;
    d->nomap = !map;

    for (unsigned r = 0; r < max_layers; r++) {
        round_ctx c = {.d = d,
                       .in = (const unsigned char *)d->text,
                       .n = d->len,
                       .out = (unsigned char *)d->tmp,
                       .oout = d->otmp,
                       .rec_first = d->nrec,
                       .flags = flags,
                       .map = map,
                       .defer_b64 = true,
                       .r1 = r == 0 ? r1 : 0};
        if ((rc = run_round(&c)) < 0)
            goto fail;
        if (c.changes == 0 && c.deferred) {
            c.defer_b64 = false;
            if ((rc = run_round(&c)) < 0)
                goto fail;
        }
        if (c.changes == 0)
            break;
        if (map && (rc = group_round(d, c.rec_first)) < 0)
            goto fail;
        char *t = d->text;
        d->text = d->tmp;
        d->tmp = t;
        uint32_t *o = d->orig;
        d->orig = d->otmp;
        d->otmp = o;
        d->len = c.wo;
        d->text[d->len] = '\0';
        d->ident = false;
        d->nrounds++;
        if ((flags & DEFUSE__DECODE_STOP_CLEAN) && !(flags & DEFUSE_SCAN_BASIC_AUTH) &&
            defuse_candidate(d->text, d->len) == d->len)
            break; /* nothing left that could become "${" (decode_extra.h) */
    }
    return (int)d->nrounds;
fail:
    /* Leave a consistent (undecoded) state behind. */
    memcpy(d->text, buf, len);
    d->text[len] = '\0';
    d->len = len;
    d->ident = true;
    d->nomap = false;
    d->nrounds = 0;
    d->nrec = 0;
    return rc;
}

const char *defuse__decoded_text(const defuse__decoder *d, size_t *len) {
    *len = d->len;
    return d->text ? d->text : "";
}

size_t defuse__decoded_origin(const defuse__decoder *d, size_t pos) {
    if (pos >= d->len)
        return d->inlen;
    if (d->nomap)
        return pos < d->inlen ? pos : d->inlen; /* unknown after a probe */
    return d->ident ? pos : d->orig[pos];
}

size_t defuse__decoded_layers(const defuse__decoder *d, size_t a, size_t b, defuse_layer *out,
                              size_t max) {
    if (d->nrounds == 0 || d->nomap || a >= b || a >= d->len || max == 0)
        return 0;
    uint32_t lo = (uint32_t)defuse__decoded_origin(d, a);
    uint32_t hi = (uint32_t)defuse__decoded_origin(d, b);
    if (hi <= lo)
        hi = lo + 1; /* a span inside one escape's output */
    size_t nout = 0;
    for (unsigned r = 0; r < d->nrounds && nout < max; r++) {
        for (unsigned ly = 0; ly < DEFUSE_LAYER_COUNT && nout < max; ly++) {
            /* Records of this layer and round: sorted, disjoint.  Find the
             * first ending after lo; it intersects iff it starts before hi. */
            size_t l = d->lofs[r][ly], h = d->lofs[r][ly + 1];
            while (l < h) {
                size_t m = l + (h - l) / 2;
                if (d->recs[m].end <= lo)
                    l = m + 1;
                else
                    h = m;
            }
            if (l < d->lofs[r][ly + 1] && d->recs[l].start < hi)
                out[nout++] = (defuse_layer)ly;
        }
    }
    return nout;
}
