/*
 * detect.c -- defuse_scan(): from raw text to findings.
 *
 *   1. Undo transport encodings in layers (decode.c), keeping a map back to
 *      the raw bytes.
 *   2. Find the lookup expressions: one linear pass pairs every "${" with its
 *      "}" as log4j's nesting count does.  In a log line or request, the
 *      attacker controls one field, not the whole line, so each outermost
 *      expression (with the "$" escapes before it) is judged as the message
 *      an application would have logged; an unclosed "${" is a field
 *      boundary.  DEFUSE_SCAN_EXACT instead judges the buffer as one message.
 *   3. Run the emulator (emulate.c) on each message and turn what log4j
 *      would have done into findings: JNDI lookups, commons-text lookups,
 *      cyclic or runaway substitution, other lookups.  Escaped or base64
 *      payloads that would not fire are re-evaluated unescaped or decoded
 *      and reported as "inert" with the name they carry.
 *   4. Split each callback into URL parts, exfiltration keys and the
 *      JNDIExploit command (callback.c).
 */
#include "internal.h"
#include "decode_extra.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A top-level expression: text[start..end) where start includes the "$"
 * escape run before the "${" at open. */
typedef struct span {
    size_t start, open, end;
    unsigned maxdepth;
    unsigned group; /* expressions between the same unclosed "${" */
} span;

/* What identifies a reported finding within one scan. */
typedef struct seen_key {
    defuse_kind kind;
    size_t start;
    const char *cb; /* arena, or NULL */
    size_t cblen;
} seen_key;

struct defuse_scanner {
    defuse_limits lim;
    defuse__decoder *dec;
    defuse__emu *emu;
    defuse__arena arena; /* finding strings, reset per scan */
    span *spans;
    size_t nspans, spancap;
    size_t *stack;
    size_t stackcap;
    defuse_step_cb trace;
    void *trace_user;
    /* per scan */
    const char *raw;
    size_t rawlen;
    const char *text;
    size_t textlen;
    bool decoded;
    defuse_finding_cb cb;
    void *user;
    int nfound;
    bool stopped;
    bool truncated;
    bool group_mode; /* dedupe by kind and callback only */
    /* findings already reported in this scan (dedupe) */
    seen_key *seen;
    size_t nseen, seencap;
};

void defuse_limits_default(defuse_limits *out) {
    out->max_input = DEFUSE_DEFAULT_MAX_INPUT;
    out->max_layers = DEFUSE_DEFAULT_MAX_LAYERS;
    out->max_depth = DEFUSE_DEFAULT_MAX_DEPTH;
    out->max_passes = DEFUSE_DEFAULT_MAX_PASSES;
    out->max_expansion = DEFUSE_DEFAULT_MAX_EXPANSION;
    out->max_steps = DEFUSE_DEFAULT_MAX_STEPS;
    out->max_findings = DEFUSE_DEFAULT_MAX_FINDINGS;
}

int defuse_scanner_new(defuse_scanner **out, const defuse_limits *limits) {
    if (!out)
        return DEFUSE_EINVAL;
    *out = NULL;
    defuse_scanner *s = calloc(1, sizeof *s);
    if (!s)
        return DEFUSE_ENOMEM;
    defuse_limits_default(&s->lim);
    if (limits) {
        /* zero fields keep their defaults */
        if (limits->max_input)
            s->lim.max_input = limits->max_input;
        if (limits->max_layers)
            s->lim.max_layers = limits->max_layers;
        if (limits->max_depth)
            s->lim.max_depth = limits->max_depth;
        if (limits->max_passes)
            s->lim.max_passes = limits->max_passes;
        if (limits->max_expansion)
            s->lim.max_expansion = limits->max_expansion;
        if (limits->max_steps)
            s->lim.max_steps = limits->max_steps;
        if (limits->max_findings)
            s->lim.max_findings = limits->max_findings;
    }
    if (s->lim.max_depth > 2 * DEFUSE_DEFAULT_MAX_DEPTH)
        s->lim.max_depth = 2 * DEFUSE_DEFAULT_MAX_DEPTH;
    defuse__arena_init(&s->arena, 0);
    int rc = defuse__decoder_new(&s->dec);
    if (rc == 0)
        rc = defuse__emu_new(&s->emu, &s->lim);
    if (rc) {
        defuse_scanner_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void defuse_scanner_free(defuse_scanner *s) {
    if (!s)
        return;
    defuse__decoder_free(s->dec);
    defuse__emu_free(s->emu);
    defuse__arena_free(&s->arena);
    free(s->spans);
    free(s->stack);
    free(s->seen);
    free(s);
}

void defuse_scanner_trace(defuse_scanner *s, defuse_step_cb cb, void *user) {
    s->trace = cb;
    s->trace_user = user;
    defuse__emu_trace(s->emu, cb, user);
}

/* ---- expression structure ------------------------------------------------------ */

static int push_span(defuse_scanner *s, span sp) {
    if (s->nspans == s->spancap) {
        size_t cap = s->spancap ? s->spancap * 2 : 64;
        span *p = realloc(s->spans, cap * sizeof *p);
        if (!p)
            return DEFUSE_ENOMEM;
        s->spans = p;
        s->spancap = cap;
    }
    s->spans[s->nspans++] = sp;
    return 0;
}

/* Called for each matched "${" ... "}" pair: open is the "$", end is one
 * past the "}", nest how deep expressions nest inside it (1 = none). */
typedef int (*pair_fn)(defuse_scanner *s, size_t open, size_t end, size_t nest, void *ctx);

/* Pairs "${" with "}" in t[0..n) as log4j's nested count does (a "}"
 * closes the innermost open "${"; a "}" with none open is text), calling fn
 * for each pair in order of its "}".  Afterwards s->stack[2k] holds the
 * positions of the *unclosed depth openers left, outermost first.  Linear
 * in n; the stack grows as deep as the input nests. */
static int pair_scan(defuse_scanner *s, const char *t, size_t n, pair_fn fn, void *ctx,
                     size_t *unclosed) {
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '$' && i + 1 < n && t[i + 1] == '{') {
            if (depth == s->stackcap) {
                size_t cap = s->stackcap ? s->stackcap * 2 : 64;
                size_t *p = realloc(s->stack, cap * 2 * sizeof *p);
                if (!p)
                    return DEFUSE_ENOMEM;
                s->stack = p;
                s->stackcap = cap;
            }
            /* stack[2k] = position of the k-th open "${", stack[2k+1] = the
             * deepest level reached inside it. */
            s->stack[2 * depth] = i;
            s->stack[2 * depth + 1] = depth + 1;
            depth++;
            i++;
        } else if (t[i] == '}' && depth > 0) {
            depth--;
            size_t open = s->stack[2 * depth], deepest = s->stack[2 * depth + 1];
            if (depth > 0 && s->stack[2 * depth - 1] < deepest)
                s->stack[2 * depth - 1] = deepest;
            int rc = fn(s, open, i + 1, deepest - depth, ctx);
            if (rc)
                return rc;
        }
    }
    *unclosed = depth;
    return 0;
}

/* pair_scan callback of find_spans: keep the outermost pairs. */
static int keep_outermost(defuse_scanner *s, size_t open, size_t end, size_t nest, void *ctx) {
    (void)ctx;
    /* Drop pairs this one contains (they are at the tail). */
    while (s->nspans > 0 && s->spans[s->nspans - 1].open > open)
        s->nspans--;
    span sp = {open, open, end, nest > 0xffff ? 0xffff : (unsigned)nest, 0};
    return push_span(s, sp);
}

/* Finds the outermost matched expressions of t[0..n), in order, with the
 * "$" escape run before each and the group (field) each belongs to. */
static int find_spans(defuse_scanner *s, const char *t, size_t n) {
    s->nspans = 0;
    size_t depth = 0;
    int rc = pair_scan(s, t, n, keep_outermost, NULL, &depth);
    if (rc)
        return rc;
    /* Openers still on the stack are unclosed: field boundaries.  Give each
     * region between unclosed openers its own group, and take the "$"
     * escape run before each expression (within its group). */
    size_t u = 0;
    for (size_t k = 0; k < s->nspans; k++) {
        span *sp = &s->spans[k];
        while (u < depth && s->stack[2 * u] < sp->open)
            u++;
        sp->group = (unsigned)u;
        size_t lo = k > 0 ? s->spans[k - 1].end : 0;
        if (u > 0 && s->stack[2 * (u - 1)] + 2 > lo)
            lo = s->stack[2 * (u - 1)] + 2;
        while (sp->start > lo && t[sp->start - 1] == '$')
            sp->start--;
    }
    return 0;
}

/* ---- findings --------------------------------------------------------------------- */

/* True if this finding was reported already in this scan: same kind, same
 * callback, and the same payload position (any position in group mode).
 * Otherwise remembers it and returns false.  cb (arena) may be NULL. */
static bool seen_before(defuse_scanner *s, defuse_kind kind, const char *cb, size_t cblen,
                        size_t start) {
    for (size_t i = 0; i < s->nseen; i++) {
        const seen_key *k = &s->seen[i];
        if (k->kind == kind && (k->start == start || s->group_mode) && k->cblen == cblen &&
            (cblen == 0 || memcmp(k->cb, cb, cblen) == 0))
            return true;
    }
    if (s->nseen == s->seencap) {
        size_t cap = s->seencap ? s->seencap * 2 : 16;
        seen_key *p = realloc(s->seen, cap * sizeof *p);
        if (!p)
            return false;
        s->seen = p;
        s->seencap = cap;
    }
    s->seen[s->nseen++] = (seen_key){kind, start, cb, cblen};
    return false;
}

/* Reports one finding for the decoded span [a, b) of s->text. */
static int report(defuse_scanner *s, defuse_kind kind, unsigned tech, const char *callback,
                  size_t cblen, size_t a, size_t b, const char *const *victims, size_t nvictims,
                  bool extra_base64) {
    if (s->stopped)
        return 0;
    if ((size_t)s->nfound >= s->lim.max_findings)
        return 0;
    const char *cbs = NULL;
    if (callback) {
        cbs = defuse__arena_strndup(&s->arena, callback, cblen);
        if (!cbs)
            return DEFUSE_ENOMEM;
    }
    if (seen_before(s, kind, cbs, cbs ? cblen : 0, a))
        return 0;

    defuse_finding f;
    memset(&f, 0, sizeof f);
    f.kind = kind;
    f.port = -1;
    size_t ra = a, rb = b;
    if (s->decoded) {
        ra = defuse__decoded_origin(s->dec, a);
        rb = defuse__decoded_origin(s->dec, b);
        if (rb < ra)
            rb = ra;
        f.nlayers = defuse__decoded_layers(s->dec, a, b, f.layers, DEFUSE_MAX_REPORTED_LAYERS);
    }
    if (rb > s->rawlen)
        rb = s->rawlen;
    f.payload = defuse__arena_strndup(&s->arena, s->raw + ra, rb - ra);
    f.payload_len = rb - ra;
    f.offset = ra;
    f.decoded = defuse__arena_strndup(&s->arena, s->text + a, b - a);
    f.decoded_len = b - a;
    if (!f.payload || !f.decoded)
        return DEFUSE_ENOMEM;
    if (extra_base64 && f.nlayers < DEFUSE_MAX_REPORTED_LAYERS)
        f.layers[f.nlayers++] = DEFUSE_LAYER_BASE64;
    for (size_t i = 0; i < f.nlayers; i++) {
        tech |= DEFUSE_TECH_ENCODED;
        if (f.layers[i] == DEFUSE_LAYER_BASE64)
            tech |= DEFUSE_TECH_BASE64;
    }
    if (s->truncated)
        tech |= DEFUSE_TECH_DEPTH_LIMIT;

    if (cbs) {
        f.callback = cbs;
        f.callback_len = cblen;
        /* For commons-text lookups the URL sits after the lookup's own
         * arguments ("url:UTF-8:http://...", "dns:address|host"). */
        const char *u = cbs;
        size_t ulen = strlen(cbs);
        if (kind == DEFUSE_KIND_TEXT4SHELL) {
            const char *sep = strstr(cbs, "://");
            if (sep) {
                u = sep;
                while (u > cbs && ((u[-1] >= 'a' && u[-1] <= 'z') || (u[-1] >= 'A' && u[-1] <= 'Z') ||
                                   (u[-1] >= '0' && u[-1] <= '9') || u[-1] == '+' || u[-1] == '.' ||
                                   u[-1] == '-'))
                    u--;
            } else if ((sep = strchr(cbs, '|')) != NULL) {
                u = sep + 1;
            } else {
                u = NULL;
            }
            ulen = u ? strlen(u) : 0;
        }
        if (u) {
            defuse__callback_info ci;
            int rc = defuse__callback_parse(u, ulen, &s->arena, &ci);
            if (rc)
                return rc;
            f.scheme = ci.scheme;
            f.host = ci.host;
            f.port = ci.port;
            f.path = ci.path;
            f.command = ci.command;
            for (size_t i = 0; i < ci.nexfil && i < DEFUSE_MAX_REPORTED_EXFIL; i++)
                f.exfil[f.nexfil++] = ci.exfil[i];
            tech |= ci.techniques;
            if (kind == DEFUSE_KIND_TEXT4SHELL && !ci.host && strchr(cbs, '|'))
                f.host = u;
        }
    }
    for (size_t i = 0; i < nvictims && f.nexfil < DEFUSE_MAX_REPORTED_EXFIL; i++) {
        bool dup = false;
        for (size_t j = 0; j < f.nexfil; j++)
            dup |= strcmp(f.exfil[j], victims[i]) == 0;
        if (!dup)
            f.exfil[f.nexfil++] = victims[i];
    }
    /* Whitespace or control bytes inside the expression. */
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)s->text[i];
        if (c < 0x20 || c == 0x7f) {
            tech |= DEFUSE_TECH_WHITESPACE;
            break;
        }
    }
    f.techniques = tech;
    s->nfound++;
    if (s->cb && s->cb(&f, s->user) != 0)
        s->stopped = true;
    return 0;
}

/* Normalises a victim lookup name ("ENV:user" -> "env:user") into the arena. */
static const char *victim_key(defuse_scanner *s, const char *t, size_t n) {
    char *k = defuse__arena_strndup(&s->arena, t, n);
    if (!k)
        return NULL;
    for (char *p = k; *p && *p != ':'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return k;
}

/* Copies of events: the emulator is re-run for inert re-evaluation, which
 * would overwrite its event array. */
typedef struct evcopy {
    defuse__event_type type;
    const char *text;
    size_t len;
    unsigned tech;
    size_t a, b;
    unsigned pass;
} evcopy;

#define MAX_EVENTS_PER_MESSAGE 64

static int run_message(defuse_scanner *s, const char *msg, size_t n, evcopy *out, size_t *nout,
                       unsigned *tech_all) {
    int rc = defuse__emu_run(s->emu, msg, n);
    if (rc < 0)
        return rc;
    size_t nev;
    const defuse__event *ev = defuse__emu_events(s->emu, &nev);
    *nout = 0;
    *tech_all = 0;
    size_t nvictim = 0;
    for (size_t i = 0; i < nev && *nout < MAX_EVENTS_PER_MESSAGE; i++) {
        /* Victim lookups only feed the exfiltration list: keep a few, and
         * never let them crowd out a JNDI or commons-text event. */
        if (ev[i].type == DEFUSE__EV_VICTIM && nvictim++ >= DEFUSE_MAX_REPORTED_EXFIL)
            continue;
        /* Every re-substitution pass repeats the lookups of the passes
         * before it: keep each distinct event once, so repeats never crowd
         * out the lookup that only a late pass reaches. */
        bool dup = false;
        for (size_t k = 0; k < *nout && !dup; k++)
            dup = out[k].type == ev[i].type && out[k].len == ev[i].text_len &&
                  memcmp(out[k].text, ev[i].text, ev[i].text_len) == 0;
        if (dup)
            continue;
        const char *t = defuse__arena_strndup(&s->arena, ev[i].text, ev[i].text_len);
        if (!t)
            return DEFUSE_ENOMEM;
        out[*nout] = (evcopy){ev[i].type, t,          ev[i].text_len, ev[i].techniques,
                              ev[i].src_start, ev[i].src_end, ev[i].pass};
        (*nout)++;
        *tech_all |= ev[i].techniques;
    }
    *tech_all |= defuse__emu_techniques(s->emu);
    return 0;
}

/* Past a limit (nesting deeper than max_depth, more re-substitution passes
 * than max_passes, the work budget) the emulator stops, but log4j would go
 * on: it substitutes every nested name depth-first and strips one "$"
 * escape per pass, so what it reaches is the innermost expressions with
 * their escapes gone.  Salvage that, boundedly: collapse each "$$..${" run
 * to "${" and judge the outermost expressions that nest at most
 * SALVAGE_NEST deep (at most SALVAGE_MAX of them), reporting what fires as
 * jndi with DEFUSE_TECH_DEPTH_LIMIT so the callback is never lost. */
#define SALVAGE_NEST 4u
#define SALVAGE_MAX 64u

static int run_message(defuse_scanner *s, const char *msg, size_t n, evcopy *out, size_t *nout,
                       unsigned *tech_all);

typedef struct salvage_picks {
    size_t n;
    size_t at[2 * SALVAGE_MAX]; /* open, end of each pick */
} salvage_picks;

/* pair_scan callback of salvage: the outermost pairs that nest at most
 * SALVAGE_NEST deep. */
static int pick_shallow(defuse_scanner *s, size_t open, size_t end, size_t nest, void *ctx) {
    (void)s;
    salvage_picks *pk = ctx;
    if (nest > SALVAGE_NEST)
        return 0;
    while (pk->n > 0 && pk->at[2 * (pk->n - 1)] > open)
        pk->n--;
    if (pk->n < SALVAGE_MAX) {
        pk->at[2 * pk->n] = open;
        pk->at[2 * pk->n + 1] = end;
        pk->n++;
    }
    return 0;
}

static int salvage(defuse_scanner *s, size_t a, size_t b) {
    char *t = defuse__arena_alloc(&s->arena, b - a + 1);
    if (!t)
        return DEFUSE_ENOMEM;
    size_t n = 0;
    for (size_t i = a; i < b; i++) {
        if (s->text[i] == '$' && i + 1 < b && s->text[i + 1] == '$') {
            size_t j = i;
            while (j < b && s->text[j] == '$')
                j++;
            if (j < b && s->text[j] == '{') {
                i = j - 2; /* the next round copies the last "$" */
                continue;
            }
        }
        t[n++] = s->text[i];
    }
    /* Outermost pairs among those nesting at most SALVAGE_NEST deep. */
    salvage_picks pk = {0, {0}};
    size_t unclosed;
    int rc0 = pair_scan(s, t, n, pick_shallow, &pk, &unclosed);
    if (rc0)
        return rc0;
    size_t npick = pk.n;
    const size_t *pick = pk.at;
    bool saved_mode = s->group_mode;
    s->group_mode = true;
    for (size_t k = 0; k < npick && !s->stopped; k++) {
        evcopy ev[MAX_EVENTS_PER_MESSAGE];
        size_t nev = 0;
        unsigned tech = 0;
        int rc = run_message(s, t + pick[2 * k], pick[2 * k + 1] - pick[2 * k], ev, &nev, &tech);
        if (rc)
            return rc;
        for (size_t i = 0; i < nev; i++) {
            if (ev[i].type != DEFUSE__EV_JNDI)
                continue;
            rc = report(s, DEFUSE_KIND_JNDI, ev[i].tech | DEFUSE_TECH_DEPTH_LIMIT, ev[i].text,
                        ev[i].len, a, b, NULL, 0, false);
            if (rc)
                return rc;
        }
    }
    s->group_mode = saved_mode;
    return 0;
}

/* Evaluates s->text[a..b) as one message and reports what log4j would do
 * with it.  open is where its first "${" starts (a < open: "$" escapes
 * precede it); exact: the message is the whole buffer (DEFUSE_SCAN_EXACT),
 * so JNDI findings get the span of their own top-level expression. */
static int judge(defuse_scanner *s, size_t a, size_t b, size_t open, bool exact) {
    const char *msg = s->text + a;
    size_t n = b - a;
    evcopy ev[MAX_EVENTS_PER_MESSAGE];
    size_t nev = 0;
    unsigned tech_all = 0;
    int rc = run_message(s, msg, n, ev, &nev, &tech_all);
    if (rc)
        return rc;

    const char *victims[DEFUSE_MAX_REPORTED_EXFIL];
    size_t nvictims = 0;
    bool fired = false, t4s = false, runaway = false;
    for (size_t i = 0; i < nev; i++) {
        if (ev[i].type == DEFUSE__EV_VICTIM && nvictims < DEFUSE_MAX_REPORTED_EXFIL) {
            const char *k = victim_key(s, ev[i].text, ev[i].len);
            if (!k)
                return DEFUSE_ENOMEM;
            victims[nvictims++] = k;
        }
    }
    /* Most severe first: JNDI, commons-text, recursion, lookup. */
    for (size_t i = 0; i < nev; i++) {
        if (ev[i].type != DEFUSE__EV_JNDI)
            continue;
        fired = true;
        size_t ea = a, eb = b;
        if (exact && ev[i].pass == 1 && ev[i].b > ev[i].a) {
            ea = a + ev[i].a;
            eb = a + ev[i].b;
            while (ea > a && s->text[ea - 1] == '$')
                ea--;
        }
        rc = report(s, DEFUSE_KIND_JNDI, ev[i].tech, ev[i].text, ev[i].len, ea, eb, NULL, 0, false);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < nev; i++) {
        if (ev[i].type != DEFUSE__EV_TEXT4SHELL)
            continue;
        t4s = true;
        rc = report(s, DEFUSE_KIND_TEXT4SHELL, ev[i].tech, ev[i].text, ev[i].len, a, b, victims,
                    nvictims, false);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < nev; i++) {
        if (ev[i].type != DEFUSE__EV_CYCLE && ev[i].type != DEFUSE__EV_LIMIT)
            continue;
        runaway = true;
        rc = report(s, DEFUSE_KIND_RECURSION, ev[i].tech | tech_all, NULL, 0, a, b, NULL, 0, false);
        if (rc == 0 && ev[i].type == DEFUSE__EV_LIMIT)
            rc = salvage(s, a, b);
        if (rc)
            return rc;
        break;
    }

    /* Payloads that would not fire: escaped, or hidden in ${base64:...}. */
    bool inert = false;
    if (!fired && open > a) {
        /* "$${...}": what it would fetch if one more substitution ran. */
        evcopy iev[MAX_EVENTS_PER_MESSAGE];
        size_t niev = 0;
        unsigned itech = 0;
        rc = run_message(s, s->text + open, b - open, iev, &niev, &itech);
        if (rc)
            return rc;
        for (size_t i = 0; i < niev; i++) {
            if (iev[i].type != DEFUSE__EV_JNDI)
                continue;
            inert = true;
            rc = report(s, DEFUSE_KIND_INERT, iev[i].tech | DEFUSE_TECH_ESCAPE, iev[i].text,
                        iev[i].len, a, b, NULL, 0, false);
            if (rc)
                return rc;
        }
    }
    for (size_t i = 0; i < nev; i++) {
        if (ev[i].type != DEFUSE__EV_BASE64 || ev[i].len == 0 || ev[i].len > 65536)
            continue;
        unsigned char *dec = defuse__arena_alloc(&s->arena, ev[i].len * 3 / 4 + 4);
        if (!dec)
            return DEFUSE_ENOMEM;
        long dl = defuse__base64_decode(ev[i].text, ev[i].len, dec);
        if (dl <= 0 || !defuse__find_open((const char *)dec, (size_t)dl))
            continue;
        evcopy iev[MAX_EVENTS_PER_MESSAGE];
        size_t niev = 0;
        unsigned itech = 0;
        rc = run_message(s, (const char *)dec, (size_t)dl, iev, &niev, &itech);
        if (rc)
            return rc;
        for (size_t j = 0; j < niev; j++) {
            if (iev[j].type != DEFUSE__EV_JNDI)
                continue;
            inert = true;
            rc = report(s, DEFUSE_KIND_INERT, iev[j].tech | DEFUSE_TECH_BASE64, iev[j].text,
                        iev[j].len, a, b, NULL, 0, true);
            if (rc)
                return rc;
        }
    }

    /* Other lookups that would resolve: recon probes, victim data. */
    if (!fired && !t4s && !runaway && !inert &&
        (nvictims > 0 || (tech_all & (DEFUSE_TECH_LOWER | DEFUSE_TECH_UPPER)))) {
        rc = report(s, DEFUSE_KIND_LOOKUP, tech_all, NULL, 0, a, b, victims, nvictims, false);
        if (rc)
            return rc;
    }
    return 0;
}

int defuse_scan(defuse_scanner *s, const char *buf, size_t len, unsigned flags,
                defuse_finding_cb cb, void *user) {
    if (!s || (!buf && len))
        return DEFUSE_EINVAL;
    defuse__arena_reset(&s->arena);
    s->nseen = 0;
    s->nfound = 0;
    s->stopped = false;
    s->truncated = false;
    s->group_mode = false;
    s->cb = cb;
    s->user = user;
    if (len > s->lim.max_input) {
        len = s->lim.max_input;
        s->truncated = true;
    }
    s->raw = buf ? buf : "";
    s->rawlen = len;
    s->text = s->raw;
    s->textlen = len;
    s->decoded = false;

    if (!(flags & DEFUSE_SCAN_NO_DECODE)) {
        if (!(flags & (DEFUSE__SCAN_HAS_CANDIDATE | DEFUSE_SCAN_BASIC_AUTH)) &&
            defuse_candidate(s->raw, len) == len)
            return 0;
        /* Without a trace nobody reads text that holds no "${": let the
         * decoder stop as soon as nothing left can become one. */
        unsigned dflags = s->trace ? flags : flags | DEFUSE__DECODE_STOP_CLEAN;
        if (!s->trace && !defuse__find_open(s->raw, len)) {
            /* Most lines with a candidate decode to no "${" at all: find
             * that out without origins first (DEFUSE__DECODE_PROBE).  A
             * literal "${" survives decoding (decode_extra.h), so a line
             * that holds one needs no probe. */
            int pr = defuse__decode(s->dec, s->raw, len, dflags | DEFUSE__DECODE_PROBE,
                                    s->lim.max_layers);
            if (pr < 0)
                return pr;
            size_t pl;
            const char *pt = defuse__decoded_text(s->dec, &pl);
            if (pl < 3 || !defuse__find_open(pt, pl))
                return 0;
        }
        int rounds = defuse__decode(s->dec, s->raw, len, dflags, s->lim.max_layers);
        if (rounds < 0)
            return rounds;
        if (rounds > 0) {
            s->text = defuse__decoded_text(s->dec, &s->textlen);
            s->decoded = true;
            if (s->trace) {
                defuse_step st = {0, "decode", s->raw, len, s->text, s->textlen,
                                  "transport encodings undone"};
                s->trace(&st, s->trace_user);
            }
        }
    }
    if (s->textlen < 3 || !defuse__find_open(s->text, s->textlen))
        return 0;

    int rc = 0;
    if (flags & DEFUSE_SCAN_EXACT) {
        s->group_mode = true; /* one message: one finding per callback */
        rc = judge(s, 0, s->textlen, 0, true);
    } else {
        rc = find_spans(s, s->text, s->textlen);
        for (size_t k = 0; rc == 0 && k < s->nspans && !s->stopped; k++) {
            span *sp = &s->spans[k];
            if (sp->maxdepth > s->lim.max_depth) {
                /* Nesting past the limit: log4j recurses once per level
                 * (and overflows its stack far enough down). */
                if (s->trace) {
                    defuse_step st = {0, "limit", s->text + sp->start, sp->end - sp->start,
                                      NULL, 0, "nesting deeper than the limit"};
                    s->trace(&st, s->trace_user);
                }
                rc = report(s, DEFUSE_KIND_RECURSION, DEFUSE_TECH_DEPTH_LIMIT | DEFUSE_TECH_NESTED,
                            NULL, 0, sp->start, sp->end, NULL, 0, false);
                if (rc == 0)
                    rc = salvage(s, sp->start, sp->end);
                continue;
            }
            rc = judge(s, sp->start, sp->end, sp->open, false);
        }
        /* log4j re-substitutes the whole message at every later "${", so
         * an expression can fire only because another one follows it (an
         * escape undone by the first pass, a "$" produced by a lookup):
         * judge each group of several expressions as one message too. */
        for (size_t k = 0; rc == 0 && k < s->nspans && !s->stopped;) {
            size_t g = k;
            bool escaped = false;
            while (g < s->nspans && s->spans[g].group == s->spans[k].group) {
                escaped |= s->spans[g].start < s->spans[g].open;
                g++;
            }
            /* Any later "${", even an unclosed one that ends the group
             * ("$${jndi:...}${"), triggers one more pass: include it. */
            size_t end = s->spans[g - 1].end;
            const char *q =
                end < s->textlen ? defuse__find_open(s->text + end, s->textlen - end) : NULL;
            if (q && escaped)
                end = (size_t)(q - s->text) + 2;
            if (g - k > 1 || end > s->spans[g - 1].end) {
                s->group_mode = true;
                rc = judge(s, s->spans[k].start, end, s->spans[k].open, false);
                s->group_mode = false;
            }
            k = g;
        }
    }
    if (rc < 0)
        return rc;
    return s->stopped ? DEFUSE_ESTOPPED : s->nfound;
}
