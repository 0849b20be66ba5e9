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
    uint32_t *stack; /* pair_scan(): positions and depths (input < 4 GiB) */
    size_t stackcap;
    defuse_step_cb trace;
    void *trace_user;
    int64_t event_ms; /* defuse_scanner_set_time() */
    int tz_minutes;
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
    bool exact;      /* DEFUSE_SCAN_EXACT: one message, one victim */
    unsigned cond;   /* DEFUSE_TECH_* added to every finding reported now */
    size_t budget;   /* emulator work left for this scan (emu_run) */
    size_t reserve;  /* ... and for salvage() */
    bool salvaged;   /* salvage() ran on this layer */
    size_t *bounds;  /* unclosed "${" positions, copied (normal_mode) */
    size_t boundcap;
    size_t nunclosed; /* unclosed "${" left on the stack by find_spans() */
    const char *text_scanned; /* the text find_spans() pairs */
    /* findings already reported in this scan (dedupe) */
    seen_key *seen;
    size_t nseen, seencap;
    /* findings held until the scan ends (deliver) */
    defuse_finding *pend;
    size_t npend, pendcap;
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
    s->event_ms = DEFUSE_TIME_UNKNOWN;
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
    if (s->lim.max_input > UINT32_MAX - 2) /* positions are 32-bit (pair_scan) */
        s->lim.max_input = UINT32_MAX - 2;
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
    free(s->pend);
    free(s->bounds);
    free(s);
}

void defuse_scanner_set_time(defuse_scanner *s, int64_t event_ms, int tz_minutes) {
    if (!s)
        return;
    s->event_ms = event_ms;
    s->tz_minutes = tz_minutes;
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
                uint32_t *p = realloc(s->stack, cap * 2 * sizeof *p);
                if (!p)
                    return DEFUSE_ENOMEM;
                s->stack = p;
                s->stackcap = cap;
            }
            /* stack[2k] = position of the k-th open "${", stack[2k+1] = the
             * deepest level reached inside it. */
            s->stack[2 * depth] = (uint32_t)i;
            s->stack[2 * depth + 1] = (uint32_t)(depth + 1);
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

/* Spans find_spans() keeps: the first MAX_KEPT_SPANS outermost ones (the
 * fields after an expression that stopped log4j start at their ends) and
 * the escaped ones ("$${"), at most MAX_ESCAPED_SPANS (they are re-judged
 * for inert findings).  A line of a million expressions keeps no more. */
#define MAX_KEPT_SPANS 32u
#define MAX_ESCAPED_SPANS 256u

/* pair_scan callback of find_spans: keep the outermost pairs (see above). */
static int keep_outermost(defuse_scanner *s, size_t open, size_t end, size_t nest, void *ctx) {
    size_t *nescaped = ctx;
    /* Drop pairs this one contains (they are at the tail). */
    while (s->nspans > 0 && s->spans[s->nspans - 1].open > open) {
        s->nspans--;
        if (s->spans[s->nspans].start < s->spans[s->nspans].open)
            (*nescaped)--;
    }
    /* The "$" escape run before "${": only '$' bytes, so it can never
     * reach into the pair or the "${" before it. */
    size_t start = open;
    while (start > 0 && s->text_scanned[start - 1] == '$')
        start--;
    bool escaped = start < open;
    if (s->nspans >= MAX_KEPT_SPANS && !(escaped && *nescaped < MAX_ESCAPED_SPANS))
        return 0;
    if (escaped)
        (*nescaped)++;
    span sp = {start, open, end, nest > 0xffff ? 0xffff : (unsigned)nest};
    return push_span(s, sp);
}

/* Finds the outermost matched expressions of t[0..n) that keep_outermost()
 * keeps, in order, with the "$" escape run before each, and leaves the
 * unclosed "${" on s->stack (s->nunclosed of them). */
static int find_spans(defuse_scanner *s, const char *t, size_t n) {
    s->nspans = 0;
    s->text_scanned = t;
    size_t depth = 0, nescaped = 0;
    int rc = pair_scan(s, t, n, keep_outermost, &nescaped, &depth);
    if (rc)
        return rc;
    s->nunclosed = depth;
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
    /* The raw layer: decoded is payload (one copy of a long message). */
    f.decoded = !s->decoded && s->text == s->raw && ra == a && rb == b
                    ? f.payload
                    : defuse__arena_strndup(&s->arena, s->text + a, b - a);
    f.decoded_len = b - a;
    if (!f.payload || !f.decoded)
        return DEFUSE_ENOMEM;
    if (extra_base64 && f.nlayers < DEFUSE_MAX_REPORTED_LAYERS)
        f.layers[f.nlayers++] = DEFUSE_LAYER_BASE64;
    for (size_t i = 0; i < f.nlayers; i++) {
        tech |= DEFUSE_TECH_ENCODED;
        if (f.layers[i] == DEFUSE_LAYER_BASE64 || f.layers[i] == DEFUSE_LAYER_JWT ||
            f.layers[i] == DEFUSE_LAYER_MIME_B)
            tech |= DEFUSE_TECH_BASE64;
    }
    if (s->truncated)
        tech |= DEFUSE_TECH_DEPTH_LIMIT;
    tech |= s->cond;

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
    /* Held until the scan ends (deliver()): findings come from several
     * layers and messages, and are handed out most severe first. */
    if (s->npend == s->pendcap) {
        size_t cap = s->pendcap ? s->pendcap * 2 : 16;
        defuse_finding *p = realloc(s->pend, cap * sizeof *p);
        if (!p)
            return DEFUSE_ENOMEM;
        s->pend = p;
        s->pendcap = cap;
    }
    s->pend[s->npend++] = f;
    s->nfound++;
    return 0;
}

/* Hands the held findings to the callback, most severe kind first (stable
 * within a kind).  A "lookup" finding only stands when nothing more severe
 * was found: in a text that fires, the other lookups are part of it. */
static void deliver(defuse_scanner *s) {
    bool severe = false;
    for (size_t i = 0; i < s->npend; i++)
        severe |= s->pend[i].kind != DEFUSE_KIND_LOOKUP;
    s->nfound = 0;
    for (int kind = 0; kind < DEFUSE_KIND_COUNT && !s->stopped; kind++) {
        if (kind == DEFUSE_KIND_LOOKUP && severe)
            continue;
        for (size_t i = 0; i < s->npend && !s->stopped; i++) {
            if ((int)s->pend[i].kind != kind)
                continue;
            s->nfound++;
            if (s->cb && s->cb(&s->pend[i], s->user) != 0)
                s->stopped = true;
        }
    }
    s->npend = 0;
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

/* Copies the events of the emulator's last run into out[0..*nout), each
 * distinct event once. */
static int collect_events(defuse_scanner *s, evcopy *out, size_t *nout, unsigned *tech_all) {
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

static bool is_request(defuse__event_type t) {
    return t == DEFUSE__EV_JNDI || t == DEFUSE__EV_TEXT4SHELL;
}

static bool has_event(const evcopy *ev, size_t n, const evcopy *x) {
    for (size_t i = 0; i < n; i++)
        if (ev[i].type == x->type && ev[i].len == x->len && memcmp(ev[i].text, x->text, x->len) == 0)
            return true;
    return false;
}

/* Merges the requests of a run under another assumption (alt) into out:
 * a request only the first run makes gets only_out, one only alt makes is
 * added with only_alt (unless add is false: exact mode models one victim). */
static void merge_variant(evcopy *out, size_t *nout, const evcopy *alt, size_t nalt,
                          unsigned only_out, unsigned only_alt, bool add) {
    size_t n0 = *nout;
    for (size_t i = 0; i < n0; i++)
        if (is_request(out[i].type) && !has_event(alt, nalt, &out[i]))
            out[i].tech |= only_out;
    for (size_t i = 0; add && i < nalt && *nout < MAX_EVENTS_PER_MESSAGE; i++) {
        if (!is_request(alt[i].type) || has_event(out, n0, &alt[i]))
            continue;
        out[*nout] = alt[i];
        out[*nout].tech |= only_alt;
        (*nout)++;
    }
}

/* Runs the emulator on msg[0..n) and copies its events into out.  When the
 * result read a platform constant (${sys:path.separator}, ...), runs it
 * again as a Windows JVM would and marks what only one platform requests. */
/* One emulator run within the scan's work budget (every run over one
 * buffer -- layers, fields, variants, salvage -- shares it, so a scan stays
 * linear in the buffer's length).  Returns 1 if the budget was spent
 * before the run: then nothing ran. */
static int emu_run(defuse_scanner *s, const char *msg, size_t n) {
    if (s->budget == 0)
        return 1;
    defuse__emu_set_budget(s->emu, s->budget);
    int rc = defuse__emu_run(s->emu, msg, n);
    size_t used = defuse__emu_steps(s->emu);
    s->budget = used >= s->budget ? 0 : s->budget - used;
    return rc < 0 ? rc : 0;
}

/* Event times a ${date:...} value is also formatted at when the time is
 * unknown: every field differs from the default time's (1970-01-02, a
 * Friday in January, 00:00 AM) and between the two -- the day of week,
 * month and era names, AM/PM, one- and two-digit numbers, the year. */
static const int64_t clock_variants[] = {
    INT64_C(1639143930123), /* 2021-12-10T13:45:30.123Z, Friday, PM */
    INT64_C(1241323506007), /* 2009-05-03T04:05:06.007Z, Sunday, AM */
};

static int run_message(defuse_scanner *s, const char *msg, size_t n, evcopy *out, size_t *nout,
                       unsigned *tech_all) {
    bool known = s->event_ms != DEFUSE_TIME_UNKNOWN;
    defuse__emu_set_time(s->emu, known ? s->event_ms : DEFUSE__EMU_DEFAULT_TIME,
                         known ? s->tz_minutes : 0);
    defuse__emu_set_platform(s->emu, DEFUSE__PLATFORM_UNIX);
    int rc = emu_run(s, msg, n);
    if (rc == 1) {
        /* Out of budget: say so as the emulator says a limit stopped it. */
        out[0] = (evcopy){DEFUSE__EV_LIMIT, "budget", 6, DEFUSE_TECH_DEPTH_LIMIT, 0, 0, 1};
        *nout = 1;
        *tech_all = DEFUSE_TECH_DEPTH_LIMIT;
        return 0;
    }
    if (rc < 0)
        return rc;
    if ((rc = collect_events(s, out, nout, tech_all)))
        return rc;
    bool platform = defuse__emu_platform_used(s->emu);
    bool clock = !known && !s->exact && defuse__emu_clock_used(s->emu);
    evcopy alt[MAX_EVENTS_PER_MESSAGE];
    size_t nalt = 0;
    unsigned talt = 0;
    if (platform) {
        defuse__emu_set_platform(s->emu, DEFUSE__PLATFORM_WINDOWS);
        rc = emu_run(s, msg, n);
        defuse__emu_set_platform(s->emu, DEFUSE__PLATFORM_UNIX);
        if (rc < 0)
            return rc;
        if (rc == 0) { /* rc 1: out of budget, the Unix result stands alone */
            if ((rc = collect_events(s, alt, &nalt, &talt)))
                return rc;
            merge_variant(out, nout, alt, nalt, DEFUSE_TECH_UNIX_ONLY, DEFUSE_TECH_WINDOWS_ONLY,
                          !s->exact);
        }
    }
    /* The time is unknown and a date value depended on it: what only some
     * times request is reported too, and says so. */
    for (size_t k = 0; clock && k < DEFUSE_ARRAY_LEN(clock_variants); k++) {
        defuse__emu_set_time(s->emu, clock_variants[k], 0);
        rc = emu_run(s, msg, n);
        if (rc < 0)
            return rc;
        if (rc == 1)
            break;
        if ((rc = collect_events(s, alt, &nalt, &talt)))
            return rc;
        merge_variant(out, nout, alt, nalt, DEFUSE_TECH_CLOCK, DEFUSE_TECH_CLOCK, true);
    }
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

typedef struct salvage_picks {
    const char *t; /* the collapsed text */
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
    /* "${name}" with no ':' and nothing nested is a configuration property
     * of the victim: it can request nothing.  Nor can a repeat of the pick
     * before it.  Skip both, so SALVAGE_MAX picks go to what can fire. */
    const char *in = pk->t + open + 2;
    size_t inlen = end - open - 3;
    if (nest == 1 && !memchr(in, ':', inlen))
        return 0;
    if (pk->n > 0) {
        size_t po = pk->at[2 * (pk->n - 1)], pe = pk->at[2 * (pk->n - 1) + 1];
        if (pe - po == end - open && memcmp(pk->t + po, pk->t + open, end - open) == 0)
            return 0;
    }
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
    salvage_picks pk = {t, 0, {0}};
    size_t unclosed;
    int rc0 = pair_scan(s, t, n, pick_shallow, &pk, &unclosed);
    if (rc0)
        return rc0;
    size_t npick = pk.n;
    const size_t *pick = pk.at;
    bool saved_mode = s->group_mode;
    s->group_mode = true;
    /* The budget that stopped the message may be spent: salvage draws on
     * a reserve of its own (its picks are short and at most SALVAGE_MAX). */
    size_t main_budget = s->budget;
    s->budget = s->reserve;
    int rc = 0;
    for (size_t k = 0; k < npick && !s->stopped && rc == 0; k++) {
        evcopy ev[MAX_EVENTS_PER_MESSAGE];
        size_t nev = 0;
        unsigned tech = 0;
        rc = run_message(s, t + pick[2 * k], pick[2 * k + 1] - pick[2 * k], ev, &nev, &tech);
        for (size_t i = 0; rc == 0 && i < nev; i++) {
            if (ev[i].type != DEFUSE__EV_JNDI)
                continue;
            rc = report(s, DEFUSE_KIND_JNDI, ev[i].tech | DEFUSE_TECH_DEPTH_LIMIT, ev[i].text,
                        ev[i].len, a, b, NULL, 0, false);
        }
    }
    s->reserve = s->budget;
    s->budget = main_budget;
    s->group_mode = saved_mode;
    return rc;
}

/* Tells the trace that the steps after it evaluate text log4j leaves
 * alone (an inert payload), so that no reader takes them for what log4j
 * does. */
static void trace_inert(defuse_scanner *s, const char *in, size_t inlen, const char *out,
                        size_t outlen, const char *note) {
    if (!s->trace)
        return;
    defuse_step st = {0, "inert", in, inlen, out, outlen, note};
    s->trace(&st, s->trace_user);
}

/* Evaluates s->text[a..b) as one message and reports what log4j would do
 * with it.  A request the first substitution pass makes gets the span of
 * its own top-level expression (with the "$" escapes before it); one a
 * later pass makes, the message from its first "${" on.  *runaway: the
 * evaluation ended in a cycle or at a limit, so log4j stopped (or would
 * throw) before the rest of the message. */
static int judge(defuse_scanner *s, size_t a, size_t b, bool *runaway) {
    const char *msg = s->text + a;
    size_t n = b - a;
    evcopy ev[MAX_EVENTS_PER_MESSAGE];
    size_t nev = 0;
    unsigned tech_all = 0;
    *runaway = false;
    int rc = run_message(s, msg, n, ev, &nev, &tech_all);
    if (rc)
        return rc;

    const char *victims[DEFUSE_MAX_REPORTED_EXFIL];
    size_t nvictims = 0;
    bool fired = false, t4s = false;
    for (size_t i = 0; i < nev; i++) {
        if (ev[i].type == DEFUSE__EV_VICTIM && nvictims < DEFUSE_MAX_REPORTED_EXFIL) {
            const char *k = victim_key(s, ev[i].text, ev[i].len);
            if (!k)
                return DEFUSE_ENOMEM;
            victims[nvictims++] = k;
        }
    }
    const char *first = defuse__find_open(msg, n);
    size_t from = first ? (size_t)(first - s->text) : a;
    /* Most severe first: JNDI, commons-text, recursion, lookup. */
    static const struct {
        defuse__event_type type;
        defuse_kind kind;
    } requests[] = {{DEFUSE__EV_JNDI, DEFUSE_KIND_JNDI}, {DEFUSE__EV_TEXT4SHELL, DEFUSE_KIND_TEXT4SHELL}};
    for (size_t r = 0; r < DEFUSE_ARRAY_LEN(requests); r++) {
        for (size_t i = 0; i < nev; i++) {
            if (ev[i].type != requests[r].type)
                continue;
            bool jndi = requests[r].kind == DEFUSE_KIND_JNDI;
            fired |= jndi;
            t4s |= !jndi;
            size_t ea = from, eb = b;
            if (ev[i].pass == 1 && ev[i].b > ev[i].a) {
                ea = a + ev[i].a;
                eb = a + ev[i].b;
                while (ea > a && s->text[ea - 1] == '$')
                    ea--;
            }
            rc = report(s, requests[r].kind, ev[i].tech, ev[i].text, ev[i].len, ea, eb,
                        jndi ? NULL : victims, jndi ? 0 : nvictims, false);
            if (rc)
                return rc;
        }
    }
    for (size_t i = 0; i < nev; i++) {
        if (ev[i].type != DEFUSE__EV_CYCLE && ev[i].type != DEFUSE__EV_LIMIT)
            continue;
        *runaway = true;
        rc = report(s, DEFUSE_KIND_RECURSION, ev[i].tech | tech_all, NULL, 0, from, b, NULL, 0,
                    false);
        /* Salvage once per layer: it collapses the whole message, and a
         * later field's message is a part of it. */
        if (rc == 0 && ev[i].type == DEFUSE__EV_LIMIT && !s->salvaged) {
            s->salvaged = true;
            rc = salvage(s, from, b);
        }
        if (rc)
            return rc;
        break;
    }

    /* Payloads that would not fire because they hide in ${base64:...}. */
    bool inert = false;
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
        trace_inert(s, ev[i].text, ev[i].len, (const char *)dec, (size_t)dl,
                    "log4j 2.14.1 has no base64 lookup: what follows is the decoded text, "
                    "evaluated only to name what it carries; log4j does not do it");
        rc = run_message(s, (const char *)dec, (size_t)dl, iev, &niev, &itech);
        if (rc)
            return rc;
        for (size_t j = 0; j < niev; j++) {
            if (iev[j].type != DEFUSE__EV_JNDI)
                continue;
            inert = true;
            rc = report(s, DEFUSE_KIND_INERT, iev[j].tech | DEFUSE_TECH_BASE64, iev[j].text,
                        iev[j].len, from, b, NULL, 0, true);
            if (rc)
                return rc;
        }
    }

    /* Other lookups that would resolve: recon probes, victim data. */
    if (!fired && !t4s && !*runaway && !inert &&
        (nvictims > 0 || (tech_all & (DEFUSE_TECH_LOWER | DEFUSE_TECH_UPPER)))) {
        rc = report(s, DEFUSE_KIND_LOOKUP, tech_all, NULL, 0, from, b, victims, nvictims, false);
        if (rc)
            return rc;
    }
    return 0;
}

/* True if a JNDI finding with this callback was reported in this scan. */
static bool reported_jndi(const defuse_scanner *s, const char *cb, size_t cblen) {
    for (size_t i = 0; i < s->nseen; i++)
        if (s->seen[i].kind == DEFUSE_KIND_JNDI && s->seen[i].cblen == cblen &&
            memcmp(s->seen[i].cb, cb, cblen) == 0)
            return true;
    return false;
}

/* An escaped payload ("$${jndi:...}") that fired nowhere in the text: what
 * it would fetch if one more substitution ran, reported as inert. */
static int judge_escaped(defuse_scanner *s, const span *sp) {
    evcopy iev[MAX_EVENTS_PER_MESSAGE];
    size_t niev = 0;
    unsigned itech = 0;
    trace_inert(s, s->text + sp->start, sp->end - sp->start, s->text + sp->open,
                sp->end - sp->open,
                "\"$${\" makes log4j print \"${\" as text: what follows is evaluated without "
                "the escape only to name what it carries; log4j does not do it");
    int rc = run_message(s, s->text + sp->open, sp->end - sp->open, iev, &niev, &itech);
    for (size_t i = 0; rc == 0 && i < niev; i++) {
        if (iev[i].type != DEFUSE__EV_JNDI || reported_jndi(s, iev[i].text, iev[i].len))
            continue;
        rc = report(s, DEFUSE_KIND_INERT, iev[i].tech | DEFUSE_TECH_ESCAPE, iev[i].text,
                    iev[i].len, sp->start, sp->end, NULL, 0, false);
    }
    return rc;
}

/* Fields judged as messages of their own in one text (see normal_mode()). */
#define MAX_FIELDS 32u

/*
 * Normal mode: what log4j would do with the text, and with each field an
 * application could have logged on its own.
 *
 * Contiguous text is one message: MessagePatternConverter re-substitutes
 * the whole message at every later "${", so a "$" a lookup returns joins
 * the "{" after it and a "$" before "${" escapes it -- judging expressions
 * one by one gets both wrong.  So the whole text is evaluated as one
 * message first.  But log4j stops substituting at an unclosed "${" (and
 * throws at a cycle), which in a log line or request usually belongs to
 * another field than the payload: so each such point also starts a message
 * of its own, running to the end of the text (later text only adds
 * re-substitution passes).  What only those messages fire is marked
 * DEFUSE_TECH_FIELD_SPLIT.  At most MAX_FIELDS such starts are judged to
 * the end of the text; later ones up to the next unclosed "${" only, which
 * keeps a text of many unclosed "${" linear.
 */
static int normal_mode(defuse_scanner *s) {
    const char *t = s->text;
    size_t n = s->textlen;
    int rc = find_spans(s, t, n);
    if (rc)
        return rc;
    if (s->nspans == 0)
        return 0;
    /* Field starts: the text's start and the byte after each unclosed "${"
     * (left on s->stack by find_spans).  judge() may run salvage(), which
     * reuses the stack: the fields are listed before anything is judged,
     * the first MAX_FIELDS judged to the end of the text, the next
     * MAX_FIELDS + ... in s->bounds up to the next unclosed "${" only. */
    size_t nun = s->nunclosed;
    size_t starts[MAX_FIELDS + 1], ends[MAX_FIELDS + 1], nstarts = 1, nlater = 0;
    starts[0] = 0; /* the whole text, always */
    ends[0] = nun > 0 ? s->stack[0] + 2 : n;
    /* Every "${" between two unclosed ones is closed between them (a "}"
     * closes the innermost open "${"), so a field holds an expression
     * exactly when it holds "${". */
    for (size_t g = 1; g <= nun; g++) {
        size_t at = (size_t)s->stack[2 * (g - 1)] + 2;
        size_t next = g < nun ? (size_t)s->stack[2 * g] + 2 : n;
        /* The unclosed "${" that ends the field is no expression. */
        size_t lim = g < nun ? (size_t)s->stack[2 * g] : n;
        if (!defuse__find_open(t + at, lim - at))
            continue;
        if (nstarts < MAX_FIELDS + 1) {
            starts[nstarts] = at;
            ends[nstarts++] = next;
            continue;
        }
        if (nlater == s->boundcap) {
            size_t cap = s->boundcap ? 2 * s->boundcap : 64;
            size_t *p = realloc(s->bounds, 2 * cap * sizeof *p);
            if (!p)
                return DEFUSE_ENOMEM;
            s->bounds = p;
            s->boundcap = cap;
        }
        s->bounds[2 * nlater] = at;
        s->bounds[2 * nlater + 1] = next;
        nlater++;
    }
    size_t extra = 0;
    for (size_t f = 0; f < nstarts && !s->stopped && s->budget > 0; f++) {
        bool runaway = false;
        s->cond = f > 0 ? DEFUSE_TECH_FIELD_SPLIT : 0;
        rc = judge(s, starts[f], n, &runaway);
        /* A cycle or a limit stopped the message: the fields after each
         * expression of this one are messages of their own too. */
        for (size_t k = 0; rc == 0 && runaway && s->budget > 0 && k < s->nspans && extra < MAX_FIELDS;
             k++) {
            const span *sp = &s->spans[k];
            if (sp->start < starts[f] || sp->end >= ends[f])
                continue;
            bool r2;
            s->cond = DEFUSE_TECH_FIELD_SPLIT;
            rc = judge(s, sp->end, n, &r2);
            extra++;
        }
        s->cond = 0;
        if (rc)
            return rc;
    }
    /* Past the cap: each field judged only up to the next unclosed "${". */
    for (size_t k = 0; k < nlater && s->budget > 0 && !s->stopped; k++) {
        bool runaway;
        s->cond = DEFUSE_TECH_FIELD_SPLIT;
        rc = judge(s, s->bounds[2 * k], s->bounds[2 * k + 1], &runaway);
        s->cond = 0;
        if (rc)
            return rc;
    }
    /* Escaped payloads that fired nowhere: inert, with the name they carry. */
    for (size_t k = 0; k < s->nspans && !s->stopped; k++) {
        const span *sp = &s->spans[k];
        if (sp->start < sp->open && (rc = judge_escaped(s, sp)))
            return rc;
    }
    return 0;
}

/* Judges s->text (one layer: the raw bytes or one decoding of them). */
static int judge_text(defuse_scanner *s) {
    if (s->textlen < 3 || !defuse__find_open(s->text, s->textlen))
        return 0;
    s->salvaged = false;
    if (!s->exact)
        return normal_mode(s);
    bool runaway;
    return judge(s, 0, s->textlen, &runaway);
}

/* The decoded layers of s->raw: each round's text holding "${" that
 * differs from the one before it is judged.  raw_open: the raw bytes hold
 * "${" (they were judged already). */
static int scan_decoded(defuse_scanner *s, unsigned flags, bool raw_open) {
    size_t len = s->rawlen;
    if (!(flags & (DEFUSE__SCAN_HAS_CANDIDATE | DEFUSE_SCAN_BASIC_AUTH)) &&
        defuse_candidate(s->raw, len) == len)
        return 0;
    /* Without a trace nobody reads text that holds no "${": let the
     * decoder stop as soon as nothing left can become one. */
    unsigned dflags = s->trace ? flags : flags | DEFUSE__DECODE_STOP_CLEAN;
    if (!s->trace && !raw_open) {
        /* Most lines with a candidate decode to no "${" at all: find that
         * out without origins first (DEFUSE__DECODE_PROBE). */
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
    if (rounds <= 0)
        return rounds;
    /* Round k's text is what k rounds of decoding give; the last round's
     * is the decoder's state now, the earlier ones are decoded again
     * (rare: stacked encodings on a line that decodes to "${"). */
    const char *prev = s->raw;
    size_t prevlen = len;
    char *keep = NULL;
    for (int k = 1; k <= rounds && !s->stopped; k++) {
        /* rounds == 1: the decoder holds round 1 already. */
        int r = rounds == 1 ? 1 : defuse__decode(s->dec, s->raw, len, dflags, (unsigned)k);
        if (r < 0)
            return r;
        s->text = defuse__decoded_text(s->dec, &s->textlen);
        s->decoded = true;
        if (s->textlen == prevlen && memcmp(s->text, prev, prevlen) == 0)
            continue;
        if (s->trace) {
            defuse_step st = {0, "decode", s->raw, len, s->text, s->textlen,
                              "transport encodings undone"};
            s->trace(&st, s->trace_user);
        }
        int rc = judge_text(s);
        if (rc)
            return rc;
        /* Keep this round's text to compare with the next one. */
        keep = defuse__arena_strndup(&s->arena, s->text, s->textlen);
        if (!keep)
            return DEFUSE_ENOMEM;
        prev = keep;
        prevlen = s->textlen;
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
    s->npend = 0;
    s->stopped = false;
    s->truncated = false;
    s->exact = (flags & DEFUSE_SCAN_EXACT) != 0;
    /* One finding per kind and callback per buffer: the same request
     * reached from several layers or fields is one finding. */
    s->group_mode = true;
    s->cond = 0;
    s->cb = cb;
    s->user = user;
    if (len > s->lim.max_input) {
        len = s->lim.max_input;
        s->truncated = true;
    }
    s->raw = buf ? buf : "";
    s->rawlen = len;
    /* One work budget for every evaluation of this buffer, and a reserve
     * for salvage() once a limit stopped the emulation. */
    s->budget = s->lim.max_steps * len + DEFUSE_STEPS_CONSTANT;
    s->reserve = 2 * len + DEFUSE_STEPS_CONSTANT;

    /* Every layer is a text log4j may see: the raw bytes (what a log4j that
     * logged this very text saw), then each decoding round (what an
     * application that decodes its input saw).  The raw layer first, so a
     * request both make is reported without decoding layers. */
    s->text = s->raw;
    s->textlen = len;
    s->decoded = false;
    bool raw_open = defuse__find_open(s->raw, len) != NULL;
    int rc = raw_open ? judge_text(s) : 0;

    if (rc == 0 && !s->stopped && !(flags & DEFUSE_SCAN_NO_DECODE)) {
        rc = scan_decoded(s, flags, raw_open);
    }
    if (rc < 0) {
        s->npend = 0;
        return rc;
    }
    deliver(s);
    return s->stopped ? DEFUSE_ESTOPPED : s->nfound;
}
