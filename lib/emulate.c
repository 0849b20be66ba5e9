/*
 * emulate.c -- a faithful emulator of log4j-core 2.14.1's message lookups.
 *
 * What it models (log4j sources: core/pattern/MessagePatternConverter.java,
 * core/lookup/StrSubstitutor.java, core/lookup/Interpolator.java):
 *
 *   MessagePatternConverter.format() walks the message; at every "${" it
 *   replaces the WHOLE message with StrSubstitutor.replace(message) and keeps
 *   walking the new text from the next index.  So a later "${" re-runs the
 *   substitution (this is how "$${...}" escapes can still fire).
 *
 *   StrSubstitutor.substitute() scans a mutable buffer: "$${" is an escape
 *   (one '$' deleted, the expression skipped); otherwise the matching "}" is
 *   found by counting nested "${"; the variable name is substituted first (a
 *   fresh call), split at the first ":-" (or the ":\-" escape) into name and
 *   default, checked against the stack of names being resolved (cycle ->
 *   IllegalStateException), resolved through the Interpolator, and a non-null
 *   value is substituted in place and scanned again (recursion).  A null
 *   value with no default leaves the original text.
 *
 *   Interpolator.lookup() lower-cases the prefix before the first ':' with
 *   Locale.US; a known prefix calls its lookup; if that gives null the rest
 *   after the ':' is looked up in the configuration properties.
 *
 * The victim's own state (env, sys, java, ctx, ...; configuration properties
 * such as hostName) is unknown to us and modelled as null, exactly as the
 * differential test's oracle does; "jndi" records the name and returns null.
 *
 * Instead of mutating one buffer as Java does, the emulator appends to an
 * output buffer while reading its input: every change log4j makes happens at
 * or behind its scan position, so "the buffer before pos" is our output and
 * "the buffer from pos on" is our unread input.  The escape check
 * (chars[pos-1] == '$' and pos > offset) reads the output's last byte.  This
 * keeps each pass linear in the text it produces, bounded by depth and steps.
 *
 * Hand-written because it IS the product: no library emulates log4j.
 * Text is UTF-8; all of log4j's matchers are ASCII, so byte positions behave
 * as Java char positions.  lower/upper map case as JDK 17's
 * String.toLowerCase()/toUpperCase() with an en_US default locale do
 * (lib/casemap.c, with tables generated from the JDK).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Internal result of substitute(): 0, a negative defuse_err, or CYCLE. */
#define EMU_CYCLE 1

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

/* The stack of variable names being resolved (Java's priorVariables). */
typedef struct prior {
    const char *s[DEFUSE_DEFAULT_MAX_DEPTH * 2 + 8];
    size_t n[DEFUSE_DEFAULT_MAX_DEPTH * 2 + 8];
    size_t count;
    /* Entry 0 (s[0] NULL) is Java's copy of the whole buffer as it stands
     * at the first variable.  It is only ever compared with names, so it
     * is kept as a reference -- out->p[o0 .. o0+have) + in[0 .. left) --
     * and a long message costs no copy per pass.  Those bytes do not change
     * while the list is in use: the input is read-only, and the output
     * before the first variable is never rewritten (an escape deletes the
     * byte before a "${" at or after the current call's start, and the
     * byte before a real variable is not a '$', or it would be an escape). */
    const struct sbuf *snap_out;
    size_t snap_o0, snap_have;
    const char *snap_in;
    size_t snap_left;
} prior;

/* What a lookup returned. */
typedef enum { VAL_NULL, VAL_SET, VAL_UNKNOWN } valkind;

struct defuse__emu {
    defuse_limits lim;
    unsigned max_depth;
    defuse__arena arena;      /* event texts, prior-list snapshots */
    sbuf pass[2];             /* message text before/after a pass */
    sbuf *namebuf;            /* per depth: the substituted variable name */
    sbuf *valbuf;             /* per depth: a lookup's value */
    prior *priors;            /* per depth: a fresh prior list */
    defuse__event *ev;
    size_t nev, evcap;
    size_t steps, max_steps;
    unsigned pass_no;
    unsigned tech;            /* techniques of the current top-level var */
    unsigned tech_all;        /* techniques of the whole run */
    size_t nvictim;           /* victim lookups seen in this run */
    size_t top_start, top_end;
    size_t budget;            /* 0, or the most steps the next runs may take */
    unsigned platform;        /* DEFUSE__PLATFORM_*: the victim's OS */
    bool platform_used;       /* the last run read a platform constant */
    defuse_step_cb trace;
    void *trace_user;
    int64_t now_ms;  /* event time ${date:...} formats */
    int tz_min;      /* the victim's zone, minutes east of UTC */
    bool clock_used; /* a ${date:...} value of this run depends on now_ms */
};

/* ---- small buffers ---------------------------------------------------------- */

static int sb_reserve(defuse__emu *e, sbuf *b, size_t extra) {
    if (extra > e->lim.max_expansion || b->len > e->lim.max_expansion - extra)
        return DEFUSE_ELIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return DEFUSE_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int sb_append(defuse__emu *e, sbuf *b, const char *s, size_t n) {
    int rc = sb_reserve(e, b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    e->steps += n;
    return 0;
}

static int sb_set(defuse__emu *e, sbuf *b, const char *s, size_t n) {
    b->len = 0;
    return sb_append(e, b, s, n);
}

/* ---- tracing ------------------------------------------------------------------ */

static void trace(defuse__emu *e, unsigned depth, const char *action, const char *in, size_t inlen,
                  const char *out, size_t outlen, const char *note) {
    if (!e->trace)
        return;
    defuse_step st = {depth, action, in, inlen, out, outlen, note};
    e->trace(&st, e->trace_user);
}

/* ---- events ------------------------------------------------------------------- */

static int add_event(defuse__emu *e, defuse__event_type type, const char *text, size_t len) {
    /* Victim lookups can be many (one per ${env:...}); they only matter as
     * exfiltration keys, so keep the first few. */
    if (type == DEFUSE__EV_VICTIM && ++e->nvictim > 4 * DEFUSE_MAX_REPORTED_EXFIL)
        return 0;
    if (e->nev == e->evcap) {
        size_t cap = e->evcap ? e->evcap * 2 : 16;
        if (cap > 4096)
            return 0; /* bounded: later events are dropped, earlier ones kept */
        defuse__event *ev = realloc(e->ev, cap * sizeof *ev);
        if (!ev)
            return DEFUSE_ENOMEM;
        e->ev = ev;
        e->evcap = cap;
    }
    const char *copy = defuse__arena_strndup(&e->arena, text, len);
    if (!copy)
        return DEFUSE_ENOMEM;
    defuse__event *v = &e->ev[e->nev++];
    v->type = type;
    v->text = copy;
    v->text_len = len;
    v->techniques = e->tech;
    v->src_start = e->top_start;
    v->src_end = e->top_end;
    v->pass = e->pass_no;
    return 0;
}

/* ---- case mapping (the JDK's) -------------------------------------------------------- */

static bool is_ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

/* Full case mapping of s[0..n) into out (replacing its contents), as
 * Java's String.toLowerCase()/toUpperCase() in an en_US JVM (lib/casemap.c:
 * the JDK's own tables; invalid UTF-8 becomes U+FFFD as the JVM's decoder
 * makes it).  ASCII takes the loop below, without tables. */
static int casemap(defuse__emu *e, const char *s, size_t n, bool upper, sbuf *out) {
    if (is_ascii(s, n)) {
        int rc = sb_set(e, out, s, n);
        if (rc)
            return rc;
        for (size_t i = 0; i < n; i++) {
            char c = out->p[i];
            if (upper && c >= 'a' && c <= 'z')
                out->p[i] = (char)(c - 'a' + 'A');
            else if (!upper && c >= 'A' && c <= 'Z')
                out->p[i] = (char)(c - 'A' + 'a');
        }
        return 0;
    }
    if (n > SIZE_MAX / DEFUSE__CASEMAP_GROWTH - 1)
        return DEFUSE_ELIMIT;
    out->len = 0;
    int rc = sb_reserve(e, out, n * DEFUSE__CASEMAP_GROWTH);
    if (rc)
        return rc;
    out->len = defuse__casemap(s, n, upper, out->p);
    out->p[out->len] = '\0';
    e->steps += n;
    return 0;
}

/* ---- lookups ------------------------------------------------------------------ */

typedef enum {
    LK_JNDI,
    LK_LOWER,
    LK_UPPER,
    LK_DATE,
    LK_VICTIM,     /* state of the victim: unknown, modelled as null */
    LK_TEXT4SHELL, /* commons-text lookups: no such prefix in log4j */
    LK_BASE64      /* log4j 3.0 only: no such prefix in 2.x */
} lookup_kind;

/* The prefixes log4j-core 2.14.1 registers (Interpolator's plugin map), plus
 * the commons-text ones we report on.  Keys are compared after Locale.US
 * lower-casing, as Interpolator does. */
static const struct {
    const char *prefix;
    lookup_kind kind;
} lookups[] = {
    {"jndi", LK_JNDI},        {"lower", LK_LOWER},     {"upper", LK_UPPER},
    {"date", LK_DATE},        {"env", LK_VICTIM},      {"sys", LK_VICTIM},
    {"java", LK_VICTIM},      {"ctx", LK_VICTIM},      {"main", LK_VICTIM},
    {"map", LK_VICTIM},       {"sd", LK_VICTIM},       {"docker", LK_VICTIM},
    {"k8s", LK_VICTIM},       {"kubernetes", LK_VICTIM}, {"spring", LK_VICTIM},
    {"web", LK_VICTIM},       {"bundle", LK_VICTIM},   {"jvmrunargs", LK_VICTIM},
    {"log4j", LK_VICTIM},     {"marker", LK_VICTIM},   {"event", LK_VICTIM},
    {"script", LK_TEXT4SHELL}, {"dns", LK_TEXT4SHELL}, {"url", LK_TEXT4SHELL},
    {"base64", LK_BASE64},
};

/* System properties that every JVM of one platform has with the same value
 * (java.io.File.pathSeparator, File.separator, System.lineSeparator()):
 * unlike the rest of the victim's state they are known once the platform
 * is, so ${sys:path.separator} can stand for ":" in a payload. */
static const struct {
    const char *key;
    const char *value[DEFUSE__PLATFORM_COUNT];
} platform_props[] = {
    {"path.separator", {":", ";"}},
    {"file.separator", {"/", "\\"}},
    {"line.separator", {"\n", "\r\n"}},
};

/* DateLookup.lookup(event, pattern) = formatDate(event time, pattern):
 * new SimpleDateFormat(pattern).format(time), or DateFormat.getInstance()
 * when the pattern is invalid -- never null, so a ${date:...:-default}
 * never takes its default.  Formats the emulator's event time in the
 * victim's zone as JDK 17 with locale en_US does (lib/datefmt.c). */
static int date_lookup(defuse__emu *e, const char *s, size_t n, sbuf *out) {
    out->len = 0;
    size_t want = DEFUSE__DATEFMT_MAX_OUT(n);
    size_t room = e->lim.max_expansion > out->len ? e->lim.max_expansion - out->len : 0;
    int rc = sb_reserve(e, out, want < room ? want : room);
    if (rc)
        return rc;
    unsigned info = 0;
    out->len = defuse__datefmt(s, n, e->now_ms, e->tz_min, out->p, out->cap - 1, &info);
    out->p[out->len] = '\0';
    e->steps += n + out->len;
    if (info & DEFUSE__DATEFMT_TRUNCATED)
        return DEFUSE_ELIMIT;
    if (info & DEFUSE__DATEFMT_CLOCK)
        e->clock_used = true;
    return 0;
}

/* Interpolator.lookup(name).  On VAL_SET the value is in e->valbuf[depth]. */
static int resolve(defuse__emu *e, const char *name, size_t n, unsigned depth, valkind *vk,
                   const char **val, size_t *vlen) {
    *vk = VAL_NULL;
    const char *colon = memchr(name, ':', n);
    if (!colon) {
        /* No prefix: configuration properties (hostName, contextName, ...):
         * the victim's, unknown. */
        trace(e, depth, "unresolved", name, n, NULL, 0, "configuration property of the victim");
        return 0;
    }
    size_t plen = (size_t)(colon - name);
    const char *rest = colon + 1;
    size_t rlen = n - plen - 1;

    /* prefix.toLowerCase(Locale.US) */
    char pbuf[32];
    const char *prefix = pbuf;
    size_t prefix_len = plen;
    sbuf *vb = &e->valbuf[depth];
    if (plen < sizeof pbuf && is_ascii(name, plen)) {
        for (size_t i = 0; i < plen; i++) {
            char c = name[i];
            if (c >= 'A' && c <= 'Z') {
                c = (char)(c - 'A' + 'a');
                e->tech |= DEFUSE_TECH_CASE;
            }
            pbuf[i] = c;
        }
    } else if (plen < 64) {
        int rc = casemap(e, name, plen, false, vb);
        if (rc)
            return rc;
        if (vb->len >= sizeof pbuf)
            goto unknown;
        memcpy(pbuf, vb->p, vb->len);
        prefix_len = vb->len;
        e->tech |= DEFUSE_TECH_UNICODE_CASE | DEFUSE_TECH_CASE;
    } else {
        goto unknown;
    }

    for (size_t k = 0; k < DEFUSE_ARRAY_LEN(lookups); k++) {
        if (strlen(lookups[k].prefix) != prefix_len || memcmp(lookups[k].prefix, prefix, prefix_len))
            continue;
        int rc = 0;
        switch (lookups[k].kind) {
        case LK_JNDI:
            trace(e, depth, "jndi", name, n, rest, rlen, "log4j performs a JNDI lookup of this name");
            /* The lookup's result is modelled as null. */
            return add_event(e, DEFUSE__EV_JNDI, rest, rlen);
        case LK_LOWER:
        case LK_UPPER: {
            bool up = lookups[k].kind == LK_UPPER;
            e->tech |= up ? DEFUSE_TECH_UPPER : DEFUSE_TECH_LOWER;
            if (!is_ascii(rest, rlen))
                e->tech |= DEFUSE_TECH_UNICODE_CASE;
            rc = casemap(e, rest, rlen, up, vb);
            if (rc)
                return rc;
            *vk = VAL_SET;
            *val = vb->p;
            *vlen = vb->len;
            trace(e, depth, "lookup", name, n, vb->p, vb->len, up ? "upper-case" : "lower-case");
            return 0;
        }
        case LK_DATE: {
            e->tech |= DEFUSE_TECH_DATE;
            bool clock = e->clock_used;
            e->clock_used = false;
            rc = date_lookup(e, rest, rlen, vb);
            if (rc)
                return rc;
            *vk = VAL_SET;
            *val = vb->p;
            *vlen = vb->len;
            trace(e, depth, "lookup", name, n, vb->p, vb->len,
                  e->clock_used ? "formats the event time (JDK 17, en_US; depends on the clock)"
                                : "date pattern literal");
            e->clock_used |= clock;
            return 0;
        }
        case LK_VICTIM:
            if (prefix_len == 3 && memcmp(prefix, "sys", 3) == 0) {
                for (size_t p = 0; p < DEFUSE_ARRAY_LEN(platform_props); p++) {
                    if (strlen(platform_props[p].key) != rlen ||
                        memcmp(platform_props[p].key, rest, rlen) != 0)
                        continue;
                    const char *v = platform_props[p].value[e->platform];
                    if ((rc = sb_set(e, vb, v, strlen(v))))
                        return rc;
                    e->platform_used = true;
                    *vk = VAL_SET;
                    *val = vb->p;
                    *vlen = vb->len;
                    trace(e, depth, "lookup", name, n, vb->p, vb->len,
                          e->platform ? "the same on every Windows JVM"
                                      : "the same on every Unix JVM");
                    return 0;
                }
            }
            trace(e, depth, "unresolved", name, n, NULL, 0, "state of the victim, unknown here");
            rc = add_event(e, DEFUSE__EV_VICTIM, name, n);
            if (rc)
                return rc;
            goto unknown;
        case LK_TEXT4SHELL:
            trace(e, depth, "text4shell", name, n, NULL, 0,
                  "commons-text lookup (CVE-2022-42889); no such lookup in log4j");
            rc = add_event(e, DEFUSE__EV_TEXT4SHELL, name, n);
            if (rc)
                return rc;
            goto unknown;
        case LK_BASE64:
            trace(e, depth, "unresolved", name, n, NULL, 0, "base64 lookup exists in log4j 3 only");
            rc = add_event(e, DEFUSE__EV_BASE64, rest, rlen);
            if (rc)
                return rc;
            goto unknown;
        }
    }
    if (prefix_len)
        trace(e, depth, "unresolved", name, n, NULL, 0, "unknown lookup prefix");
unknown:
    /* The lookup gave null: Interpolator then asks the configuration
     * properties for the rest after ':' -- the victim's, unknown. */
    return 0;
}

/* ---- StrSubstitutor.substitute ---------------------------------------------------- */

static bool prior_contains(const prior *pl, const char *s, size_t n) {
    size_t i = 0;
    if (pl->count > 0 && !pl->s[0]) {
        /* the lazy snapshot (see struct prior) */
        size_t have = pl->snap_have;
        if (n == have + pl->snap_left &&
            (have == 0 || memcmp(pl->snap_out->p + pl->snap_o0, s, have) == 0) &&
            memcmp(pl->snap_in, s + have, pl->snap_left) == 0)
            return true;
        i = 1;
    }
    for (; i < pl->count; i++)
        if (pl->n[i] == n && memcmp(pl->s[i], s, n) == 0)
            return true;
    return false;
}

static int substitute(defuse__emu *e, const char *in, size_t n, sbuf *out, prior *pl,
                      unsigned depth);

/* Handles one variable whose "${" is at in[pos] and whose matching "}" is
 * at in[close].  Appends what it becomes to out. */
static int variable(defuse__emu *e, const char *in, size_t n, size_t pos, size_t close, sbuf *out,
                    size_t o0, prior **plp, unsigned depth) {
    const char *expr = in + pos + 2;
    size_t elen = close - pos - 2;
    if (depth + 1 >= e->max_depth) {
        trace(e, depth, "limit", in + pos, close + 1 - pos, NULL, 0, "nesting deeper than the limit");
        return DEFUSE_ELIMIT;
    }

    /* 1. Substitute inside the variable name (a fresh, top-level call). */
    sbuf *nb = &e->namebuf[depth];
    nb->len = 0;
    if (defuse__find_open(expr, elen))
        e->tech |= DEFUSE_TECH_NESTED;
    int rc = substitute(e, expr, elen, nb, NULL, depth + 1);
    if (rc)
        return rc;
    const char *vn = nb->p ? nb->p : "";
    size_t vnlen = nb->len;

    /* 2. Split name and default at the first ":-"; ":\-" escapes it. */
    const char *name = vn, *def = NULL;
    size_t name_len = vnlen, def_len = 0;
    sbuf *vb = &e->valbuf[depth];
    for (size_t i = 0; i < vnlen; i++) {
        if (i + 3 <= vnlen && vn[i] == ':' && vn[i + 1] == '\\' && vn[i + 2] == '-') {
            /* varName = expr[0..i) + ":" + expr[i+2..]; then the first ":-"
             * after the escape splits name and default (dropping "-"). */
            vb->len = 0;
            if ((rc = sb_append(e, vb, vn, i)) || (rc = sb_append(e, vb, ":", 1)))
                return rc;
            size_t keep = vb->len;
            if ((rc = sb_append(e, vb, vn + i + 2, vnlen - i - 2)))
                return rc;
            for (size_t j = i + 3; j < vnlen; j++) {
                if (j + 2 <= vnlen && vn[j] == ':' && vn[j + 1] == '-') {
                    vb->len = keep;
                    if ((rc = sb_append(e, vb, vn + i + 3, j - i - 3)))
                        return rc;
                    def = vn + j + 2;
                    def_len = vnlen - j - 2;
                    break;
                }
            }
            name = vb->p;
            name_len = vb->len;
            break;
        }
        if (i + 2 <= vnlen && vn[i] == ':' && vn[i + 1] == '-') {
            name_len = i;
            def = vn + i + 2;
            def_len = vnlen - i - 2;
            break;
        }
    }
    /* name may live in valbuf[depth], which resolve() overwrites: move it. */
    if (name == vb->p && name != NULL) {
        char *copy = defuse__arena_strndup(&e->arena, name, name_len);
        if (!copy)
            return DEFUSE_ENOMEM;
        name = copy;
    }

    /* 3. Cycle check against the names being resolved. */
    prior *pl = *plp;
    if (!pl) {
        /* Java seeds a fresh list with the whole region as it stands. */
        pl = &e->priors[depth];
        pl->count = 0;
        size_t have = out->len - o0, left = n - pos;
        pl->s[0] = NULL; /* lazy: see struct prior */
        pl->n[0] = have + left;
        pl->snap_out = out;
        pl->snap_o0 = o0;
        pl->snap_have = have;
        pl->snap_in = in + pos;
        pl->snap_left = left;
        pl->count = 1;
        *plp = pl;
    }
    if (prior_contains(pl, name, name_len)) {
        trace(e, depth, "cycle", name, name_len, NULL, 0,
              "IllegalStateException: infinite loop in property interpolation");
        rc = add_event(e, DEFUSE__EV_CYCLE, name, name_len);
        return rc ? rc : EMU_CYCLE;
    }
    if (pl->count >= DEFUSE_ARRAY_LEN(pl->s))
        return DEFUSE_ELIMIT;
    pl->s[pl->count] = name;
    pl->n[pl->count] = name_len;
    pl->count++;

    /* 4. Resolve; null takes the default. */
    valkind vk;
    const char *val = NULL;
    size_t vlen = 0;
    rc = resolve(e, name, name_len, depth, &vk, &val, &vlen);
    if (rc)
        return rc;
    if (vk == VAL_NULL && def) {
        vk = VAL_SET;
        val = def;
        vlen = def_len;
        e->tech |= DEFUSE_TECH_DEFAULT;
        const char *c = memchr(name, ':', name_len);
        if (c && c != name)
            e->tech |= DEFUSE_TECH_UNKNOWN_LOOKUP;
        trace(e, depth, "default", in + pos, close + 1 - pos, def, def_len, "null lookup: default value");
    }
    if (vk == VAL_SET) {
        /* buf.replace(startPos, endPos, value); substitute(buf, startPos,
         * len, priorVariables): the value is scanned again in place. */
        rc = substitute(e, val, vlen, out, pl, depth + 1);
        if (rc)
            return rc;
    } else {
        trace(e, depth, "unresolved", in + pos, close + 1 - pos, in + pos, close + 1 - pos,
              "left as its original text");
        rc = sb_append(e, out, in + pos, close + 1 - pos);
        if (rc)
            return rc;
    }
    pl->count--;
    return 0;
}

/* StrSubstitutor.substitute(buf, offset, length, priorVariables) on in[0..n),
 * appending the result to out.  pl NULL means a top-level call. */
static int substitute(defuse__emu *e, const char *in, size_t n, sbuf *out, prior *pl,
                      unsigned depth) {
    size_t o0 = out->len;
    size_t pos = 0;
    bool top = depth == 0 && pl == NULL;
    while (pos < n) {
        if (e->steps > e->max_steps) {
            trace(e, depth, "limit", in, n, NULL, 0, "work limit reached");
            return DEFUSE_ELIMIT;
        }
        /* To the next "${" in one step: a '$' before anything else is
         * text, and the escape test below reads it back from out. */
        const char *d = defuse__find_open(in + pos, n - pos);
        if (!d)
            return sb_append(e, out, in + pos, n - pos);
        size_t q = (size_t)(d - in);
        int rc = sb_append(e, out, in + pos, q - pos);
        if (rc)
            return rc;
        pos = q;
        if (pos + 1 >= n || in[pos + 1] != '{') {
            rc = sb_append(e, out, "$", 1);
            if (rc)
                return rc;
            pos++;
            continue;
        }
        if (out->len > o0 && out->p[out->len - 1] == '$') {
            /* "$${": delete the escape, keep "${" as text. */
            out->len--;
            e->tech |= DEFUSE_TECH_ESCAPE;
            trace(e, depth, "escape", in + pos - 1, 2, "${", 2, "\"$${\" is an escape: not evaluated");
            rc = sb_append(e, out, "${", 2);
            if (rc)
                return rc;
            pos += 2;
            continue;
        }
        /* Find the matching "}" counting nested "${". */
        size_t k = pos + 2;
        unsigned nest = 0;
        bool found = false;
        while (k < n) {
            char c = in[k];
            if (c == '$' && k + 1 < n && in[k + 1] == '{') {
                nest++;
                k += 2;
                continue;
            }
            if (c == '}') {
                if (nest == 0) {
                    found = true;
                    break;
                }
                nest--;
            }
            k++;
        }
        e->steps += k - pos;
        if (!found) /* no closing brace: log4j leaves the rest as it is */
            return sb_append(e, out, in + pos, n - pos);
        if (top) {
            e->tech = 0;
            e->top_start = e->pass_no == 1 ? pos : 0;
            e->top_end = e->pass_no == 1 ? k + 1 : n;
        }
        size_t first_ev = e->nev;
        rc = variable(e, in, n, pos, k, out, o0, &pl, depth);
        if (top || rc) {
            /* Every event of a top-level variable carries all the
             * techniques that variable used. */
            for (size_t i = first_ev; i < e->nev; i++)
                e->ev[i].techniques |= e->tech;
            e->tech_all |= e->tech;
        }
        if (rc)
            return rc;
        pos = k + 1;
    }
    return 0;
}

/* ---- public (internal) API ------------------------------------------------------- */

int defuse__emu_new(defuse__emu **out, const defuse_limits *lim) {
    defuse__emu *e = calloc(1, sizeof *e);
    if (!e)
        return DEFUSE_ENOMEM;
    e->lim = *lim;
    e->now_ms = DEFUSE__EMU_DEFAULT_TIME;
    e->max_depth = lim->max_depth ? lim->max_depth : DEFUSE_DEFAULT_MAX_DEPTH;
    if (e->max_depth > DEFUSE_DEFAULT_MAX_DEPTH * 2)
        e->max_depth = DEFUSE_DEFAULT_MAX_DEPTH * 2;
    defuse__arena_init(&e->arena, 0);
    size_t nd = e->max_depth + 2;
    e->namebuf = calloc(nd, sizeof *e->namebuf);
    e->valbuf = calloc(nd, sizeof *e->valbuf);
    e->priors = calloc(nd, sizeof *e->priors);
    if (!e->namebuf || !e->valbuf || !e->priors) {
        defuse__emu_free(e);
        return DEFUSE_ENOMEM;
    }
    *out = e;
    return 0;
}

void defuse__emu_free(defuse__emu *e) {
    if (!e)
        return;
    size_t nd = e->max_depth + 2;
    for (size_t i = 0; i < nd; i++) {
        if (e->namebuf)
            free(e->namebuf[i].p);
        if (e->valbuf)
            free(e->valbuf[i].p);
    }
    free(e->namebuf);
    free(e->valbuf);
    free(e->priors);
    free(e->pass[0].p);
    free(e->pass[1].p);
    free(e->ev);
    defuse__arena_free(&e->arena);
    free(e);
}

void defuse__emu_trace(defuse__emu *e, defuse_step_cb cb, void *user) {
    e->trace = cb;
    e->trace_user = user;
}

void defuse__emu_set_budget(defuse__emu *e, size_t steps) { e->budget = steps; }

size_t defuse__emu_steps(const defuse__emu *e) { return e->steps; }

void defuse__emu_set_platform(defuse__emu *e, unsigned platform) {
    e->platform = platform < DEFUSE__PLATFORM_COUNT ? platform : DEFUSE__PLATFORM_UNIX;
}

bool defuse__emu_platform_used(const defuse__emu *e) { return e->platform_used; }

void defuse__emu_set_time(defuse__emu *e, int64_t epoch_ms, int tz_offset_min) {
    e->now_ms = epoch_ms;
    e->tz_min = tz_offset_min;
}

bool defuse__emu_clock_used(const defuse__emu *e) {
    return e->clock_used;
}

int defuse__emu_run(defuse__emu *e, const char *msg, size_t len) {
    e->nev = 0;
    e->platform_used = false;
    e->clock_used = false;
    e->nvictim = 0;
    defuse__arena_reset(&e->arena);
    e->steps = 0;
    size_t mul = e->lim.max_steps ? e->lim.max_steps : DEFUSE_DEFAULT_MAX_STEPS;
    e->max_steps = mul * len + DEFUSE_STEPS_CONSTANT;
    if (e->budget && e->budget < e->max_steps)
        e->max_steps = e->budget;
    e->pass_no = 0;
    e->tech = 0;
    e->tech_all = 0;
    sbuf *cur = &e->pass[0], *next = &e->pass[1];
    int rc = sb_set(e, cur, msg, len);
    if (rc)
        return rc;
    e->steps = 0;
    unsigned max_passes = e->lim.max_passes ? e->lim.max_passes : DEFUSE_DEFAULT_MAX_PASSES;

    /* MessagePatternConverter: for (i = 0; i < len - 1; i++) if "${" at i,
     * message = replace(message).  Passes that leave the text unchanged
     * repeat themselves exactly, so the first such pass ends the loop. */
    size_t i = 0;
    for (;;) {
        const char *hit =
            cur->len >= 2 && i < cur->len - 1 ? defuse__find_open(cur->p + i, cur->len - i) : NULL;
        if (!hit)
            break;
        if (e->pass_no >= max_passes) {
            e->tech = DEFUSE_TECH_DEPTH_LIMIT;
            rc = add_event(e, DEFUSE__EV_LIMIT, "passes", 6);
            break;
        }
        size_t j = (size_t)(hit - cur->p);
        e->pass_no++;
        next->len = 0;
        rc = substitute(e, cur->p, cur->len, next, NULL, 0);
        trace(e, 0, "pass", cur->p, cur->len, rc == 0 ? next->p : NULL, rc == 0 ? next->len : 0,
              e->pass_no == 1 ? "MessagePatternConverter: substitute the message"
                              : "a later \"${\" re-runs the substitution over the whole message");
        if (rc == EMU_CYCLE) {
            rc = 0; /* the exception ends formatting of this message */
            break;
        }
        if (rc == DEFUSE_ELIMIT) {
            e->tech |= DEFUSE_TECH_DEPTH_LIMIT;
            rc = add_event(e, DEFUSE__EV_LIMIT, cur->p, cur->len < 256 ? cur->len : 256);
            break;
        }
        if (rc)
            return rc;
        bool same = next->len == cur->len && memcmp(next->p, cur->p, cur->len) == 0;
        sbuf *t = cur;
        cur = next;
        next = t;
        if (same)
            break;
        i = j + 1;
    }
    if (rc)
        return rc;
    if (cur != &e->pass[0]) {
        sbuf t = e->pass[0];
        e->pass[0] = e->pass[1];
        e->pass[1] = t;
    }
    trace(e, 0, "result", msg, len, e->pass[0].p, e->pass[0].len, NULL);
    return (int)e->nev;
}

const defuse__event *defuse__emu_events(const defuse__emu *e, size_t *n) {
    *n = e->nev;
    return e->ev;
}

unsigned defuse__emu_techniques(const defuse__emu *e) { return e->tech_all; }

const char *defuse__emu_output(const defuse__emu *e, size_t *len) {
    *len = e->pass[0].len;
    return e->pass[0].p ? e->pass[0].p : "";
}
