/*
 * test_logtime.c -- defuse_log_time(): the timestamps of common log lines.
 * Expected epoch values were computed with GNU date (`date -u -d
 * 2021-12-10T10:00:00Z +%s` = 1639130400, and likewise for each case).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <defuse.h>
#include <string.h>

static void expect_time(const char *line, int64_t want_ms, int want_tz, unsigned want_flags) {
    int64_t ms = -1;
    int tz = 9999;
    unsigned fl = 99;
    int rc = defuse_log_time(line, strlen(line), &ms, &tz, &fl);
    if (rc != 0)
        fail_msg("%s: rc %d", line, rc);
    if (ms != want_ms || tz != want_tz || fl != want_flags)
        fail_msg("%s: got %lld tz %d flags %u, want %lld tz %d flags %u", line, (long long)ms, tz, fl,
                 (long long)want_ms, want_tz, want_flags);
}

static void shapes(void **state) {
    (void)state;
    expect_time("2021-12-10T10:00:00Z INFO x", 1639130400000LL, 0, 0);
    expect_time("2021-12-10T10:00:00.123Z", 1639130400123LL, 0, 0);
    expect_time("2021-12-10 10:00:00,5 [main] INFO", 1639130400500LL, 0, DEFUSE_TIME_NO_ZONE);
    expect_time("2021-12-10T10:00:00+01:00 host app", 1639126800000LL, 60, 0);
    expect_time("2021-12-10 10:00:00-0500", 1639148400000LL, -300, 0);
    expect_time("2021-12-10 10:00:00 +0100 x", 1639126800000LL, 60, 0);
    expect_time("{\"@timestamp\":\"2000-02-29T23:59:59Z\",\"msg\":\"${jndi:x}\"}", 951868799000LL, 0, 0);
    expect_time("<14>1 2038-01-19T03:14:08Z host app - - - msg", 2147483648000LL, 0, 0);
    expect_time("1.2.3.4 - - [10/Dec/2021:10:00:00 +0000] \"GET / HTTP/1.1\"", 1639130400000LL, 0, 0);
    expect_time("1.2.3.4 - - [10/Dec/2021:11:00:00 +0100] \"GET /\"", 1639130400000LL, 60, 0);
    expect_time("1970-01-02T00:00:00Z", 86400000LL, 0, 0);
}

static void rejects(void **state) {
    (void)state;
    static const char *const bad[] = {
        "no time here",
        "Dec 10 10:00:00 host sshd[1]: syslog has no year",
        "2021-13-10T10:00:00Z", /* month 13 */
        "2021-02-30T10:00:00Z", /* Feb 30 */
        "2021-12-10T25:00:00Z",
        "12021-12-10T10:00:00Z but a five-digit year",
        "[10/Foo/2021:10:00:00 +0000]",
        "2021-12-10",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ms;
        int tz;
        if (defuse_log_time(bad[i], strlen(bad[i]), &ms, &tz, NULL) != DEFUSE_ENOENT)
            fail_msg("accepted: %s", bad[i]);
    }
    /* Only the start of a line is searched. */
    char line[400];
    memset(line, 'x', 300);
    strcpy(line + 300, "2021-12-10T10:00:00Z");
    int64_t ms;
    int tz;
    assert_int_equal(defuse_log_time(line, strlen(line), &ms, &tz, NULL), DEFUSE_ENOENT);
    assert_int_equal(defuse_log_time(NULL, 0, &ms, &tz, NULL), DEFUSE_EINVAL);
    /* A truncated timestamp at the end of the buffer is not read past it. */
    assert_int_equal(defuse_log_time("2021-12-10T10:0", 15, &ms, &tz, NULL), DEFUSE_ENOENT);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(shapes), cmocka_unit_test(rejects)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
