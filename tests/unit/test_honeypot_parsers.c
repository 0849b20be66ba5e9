/*
 * test_honeypot_parsers.c -- unit tests of the honeypot's socket-free parts:
 * the configuration parser (values, ranges, line-numbered errors, response
 * matching, CIDRs), the HTTP request parser, the JRMP parser (with bytes a
 * real JDK 17 registry lookup sent), the DNS query parser and reply, and
 * the ClientHello SNI/ALPN readers (bytes curl 7.88 sent).
 * Unit tests link libdefuse only, so the honeypot files under test (which
 * need nothing beyond libc) are compiled in here.
 */
#include "../../honeypot/hp_config.c"
#include "../../proto/dns.c"
#include "../../honeypot/hp_http.c"
#include "../../proto/rmi.c"
#include "../../honeypot/hp_tls_hello.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* ---- configuration ---------------------------------------------------------- */

static int parse(const char *text, hp_config *cfg, char *err, size_t errsz) {
    return hp_config_parse(text, strlen(text), "t.conf", NULL, cfg, err, errsz);
}

static void test_config_values(void **state) {
    (void)state;
    const char *text = "node n1\n"
                       "max_body 128K\n"
                       "max_memory 2M\n"
                       "idle_timeout 2m\n"
                       "header_timeout 1500ms\n"
                       "dedup_window 0\n"
                       "syslog_facility local7\n"
                       "ignore 10.1.0.0/16\n"
                       "[listener web]\n"
                       "protocol HTTP\n"
                       "listen 127.0.0.1:8080-8082\n"
                       "listen [::1]:9000\n"
                       "[listener d]\n"
                       "protocol dns\n"
                       "listen *:53\n"
                       "zone Canary.Example.\n"
                       "[response /exact]\nstatus 302\nheader Location: /x\n"
                       "[response /api/*]\nbody {}\n"
                       "[response *]\nstatus 404\n";
    hp_config c;
    char err[256] = "";
    assert_int_equal(parse(text, &c, err, sizeof err), 0);
    assert_string_equal(c.node, "n1");
    assert_int_equal(c.max_body, 128 * 1024);
    assert_int_equal(c.max_memory, 2 * 1024 * 1024);
    assert_int_equal(c.idle_timeout_ms, 120000);
    assert_int_equal(c.header_timeout_ms, 1500);
    assert_int_equal(c.dedup_window_ms, 0);
    assert_int_equal(c.syslog_facility, 23);
    assert_int_equal(c.log_stdout, 1); /* no log_file: stdout */
    assert_int_equal(c.nlisteners, 2);
    assert_int_equal(c.listeners[0].proto, HP_PROTO_HTTP);
    assert_int_equal(c.listeners[0].nbinds, 2);
    assert_int_equal(c.listeners[0].binds[0].port_lo, 8080);
    assert_int_equal(c.listeners[0].binds[0].port_hi, 8082);
    assert_int_equal(c.listeners[0].binds[1].addr.ss_family, AF_INET6);
    assert_string_equal(c.listeners[1].zone, "canary.example");
    /* responses: exact, prefix, fallback; the query string is ignored */
    const hp_response_cfg *r = hp_config_response(&c, "/exact?a=1", 10);
    assert_non_null(r);
    assert_int_equal(r->status, 302);
    assert_string_equal(r->headers[0], "Location: /x");
    r = hp_config_response(&c, "/exactly", 8);
    assert_int_equal(r->status, 404);
    r = hp_config_response(&c, "/api/v1/users", 13);
    assert_string_equal(r->path, "/api/*");
    assert_int_equal(r->body_len, 2);
    r = hp_config_response(&c, "/", 1);
    assert_string_equal(r->path, "*");
    hp_config_free(&c);
}

static void expect_error(const char *text, const char *want) {
    hp_config c;
    char err[256] = "";
    assert_int_equal(parse(text, &c, err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("error '%s' does not contain '%s'", err, want);
    hp_config_free(&c);
}

static void test_config_errors(void **state) {
    (void)state;
    expect_error("[listener a]\nprotocol tcp\nlisten 1.2.3.4:1\nnope 1\n", "t.conf:4: unknown key 'nope'");
    expect_error("max_body 20M\n", "t.conf:1: max_body: expected a size");
    expect_error("idle_timeout 5 fortnights\n", "t.conf:1: idle_timeout: unknown unit");
    expect_error("idle_timeout 10ms\n", "t.conf:1: idle_timeout: expected 100..3600000 ms");
    expect_error("\n\n[listener a]\nprotocol tcp\nlisten 1.2.3.4:0\n", "t.conf:5: listen");
    expect_error("[listener a]\nprotocol tcp\nlisten [::1:80\n", "t.conf:3: listen");
    expect_error("[listener a]\nprotocol tcp\nlisten 1.2.3.4:1\n[response nopath]\n",
                 "t.conf:4: [response PATH]");
    expect_error("[listener a]\nprotocol tcp\nlisten 1.2.3.4:1\n[response /x]\nheader NoColon\n",
                 "t.conf:5: header: expected 'Name: value'");
    expect_error("log_stdout maybe\n", "t.conf:1: log_stdout: expected yes or no");
    expect_error("syslog_udp 127.0.0.1\n", "t.conf:1: syslog_udp: expected HOST:PORT");
    expect_error("user no-such-user-defuse\n", "t.conf:1: user: no user named");
    expect_error("[listener a]\nprotocol rmi\n", "t.conf:1: listener 'a' has no listen line");
    expect_error("x 1\0y\n", "t.conf:1: unknown key 'x'");
    expect_error("[listener d]\nprotocol dns\ntls yes\nlisten 1.2.3.4:53\n",
                 "t.conf:1: listener 'd': tls applies to TCP protocols");
    expect_error("[listener a]\nprotocol http\ntls_cert /c.pem\nlisten 1.2.3.4:1\n",
                 "t.conf:1: listener 'a': tls_cert and tls_key need 'tls yes'");
    expect_error("state_dir\n[listener a]\nprotocol https\nlisten 1.2.3.4:1\n",
                 "t.conf:2: listener 'a': an empty state_dir");
    expect_error("[listener a]\nprotocol httpz\n", "expected http, https, ldap, ldaps");
}

static void test_config_tls(void **state) {
    (void)state;
    hp_config c;
    char err[256];
    const char *text = "state_dir /srv/hp\n"
                       "[listener w]\nprotocol https\nlisten 127.0.0.1:443\n"
                       "[listener l]\nprotocol ldap\ntls on\nlisten 127.0.0.1:636\n"
                       "tls_cert /etc/c.pem\ntls_key /etc/k.pem\n"
                       "[listener p]\nprotocol ldap\nlisten 127.0.0.1:389\n";
    assert_int_equal(parse(text, &c, err, sizeof err), 0);
    assert_string_equal(c.state_dir, "/srv/hp");
    assert_int_equal(c.listeners[0].proto, HP_PROTO_HTTP);
    assert_int_equal(c.listeners[0].tls, 1);
    assert_int_equal(c.listeners[1].proto, HP_PROTO_LDAP);
    assert_int_equal(c.listeners[1].tls, 1);
    assert_string_equal(c.listeners[1].tls_key, "/etc/k.pem");
    assert_int_equal(c.listeners[2].tls, 0);
    hp_config_free(&c);
    assert_int_equal(parse("[listener a]\nprotocol tcp\nlisten 1.2.3.4:1\n", &c, err, sizeof err),
                     0);
    assert_string_equal(c.state_dir, "/var/lib/defuse-honeypot"); /* the default */
    hp_config_free(&c);
}

static void test_config_limits(void **state) {
    (void)state;
    /* more listen lines than allowed in one listener */
    char *text = malloc(64 * (HP_MAX_BINDS + 4));
    assert_non_null(text);
    size_t o = (size_t)sprintf(text, "[listener a]\nprotocol tcp\n");
    for (int i = 0; i < HP_MAX_BINDS + 1; i++)
        o += (size_t)sprintf(text + o, "listen 127.0.0.1:%d\n", 1000 + i);
    expect_error(text, "more than 64 listen lines");
    free(text);
    /* a line over the line limit */
    char *longline = malloc(HP_MAX_LINE + 20);
    assert_non_null(longline);
    memset(longline, 'a', HP_MAX_LINE + 10);
    longline[HP_MAX_LINE + 10] = '\0';
    expect_error(longline, "t.conf:1: line longer than");
    free(longline);
}

static struct sockaddr_storage sa_of(const char *ip) {
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(ip, ':')) {
        ss.ss_family = AF_INET6;
        inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr);
    } else {
        ss.ss_family = AF_INET;
        inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr);
    }
    return ss;
}

static int match(const char *cidr, const char *ip) {
    hp_cidr c;
    assert_int_equal(hp_cidr_parse(cidr, &c), 0);
    struct sockaddr_storage ss = sa_of(ip);
    return hp_cidr_match(&c, (struct sockaddr *)&ss);
}

static void test_cidr(void **state) {
    (void)state;
    assert_true(match("10.0.0.0/8", "10.255.1.2"));
    assert_false(match("10.0.0.0/8", "11.0.0.1"));
    assert_true(match("192.168.1.128/25", "192.168.1.200"));
    assert_false(match("192.168.1.128/25", "192.168.1.127"));
    assert_true(match("0.0.0.0/0", "8.8.8.8"));
    assert_true(match("203.0.113.7", "203.0.113.7"));
    assert_false(match("203.0.113.7", "203.0.113.8"));
    assert_true(match("10.0.0.0/8", "::ffff:10.1.2.3")); /* v4-mapped */
    assert_true(match("2001:db8::/32", "2001:db8:1::5"));
    assert_false(match("2001:db8::/32", "2001:db9::5"));
    assert_false(match("2001:db8::/32", "10.0.0.1"));
    hp_cidr c;
    assert_int_equal(hp_cidr_parse("1.2.3.4/33", &c), -1);
    assert_int_equal(hp_cidr_parse("::/129", &c), -1);
    assert_int_equal(hp_cidr_parse("host.example", &c), -1);
    assert_int_equal(hp_cidr_parse("1.2.3.4/", &c), -1);
}

/* ---- HTTP ------------------------------------------------------------------ */

static long http(const char *s, hp_http_req *rq, char *buf) {
    size_t n = strlen(s);
    memcpy(buf, s, n);
    return hp_http_parse(buf, n, 1024, 64, rq);
}

static void test_http_basic(void **state) {
    (void)state;
    char buf[4096];
    hp_http_req rq;
    const char *req = "GET /a?b=%24%7B HTTP/1.1\r\nHost: x\r\nUser-Agent:  ua 1 \r\n\r\nGET /next";
    long r = http(req, &rq, buf);
    assert_int_equal(r, (long)(strstr(req, "GET /next") - req));
    assert_int_equal(rq.method_len, 3);
    assert_memory_equal(rq.target, "/a?b=%24%7B", rq.target_len);
    assert_int_equal(rq.nheaders, 2);
    size_t vl;
    const char *ua = hp_http_header_get(&rq, "user-agent", &vl);
    assert_non_null(ua);
    assert_int_equal(vl, 4);
    assert_memory_equal(ua, "ua 1", 4);
    assert_true(rq.keep_alive);
    /* HTTP/1.0 closes unless asked; 1.1 keeps unless told */
    assert_true(http("GET / HTTP/1.0\r\n\r\n", &rq, buf) > 0);
    assert_false(rq.keep_alive);
    assert_true(http("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &rq, buf) > 0);
    assert_true(rq.keep_alive);
    assert_true(http("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &rq, buf) > 0);
    assert_false(rq.keep_alive);
    /* bare LF and a folded header */
    assert_true(http("GET / HTTP/1.1\nX: a\n b\n\n", &rq, buf) > 0);
    assert_int_equal(rq.nheaders, 1);
    assert_true(rq.headers[0].value_len > 1);
}

static void test_http_body(void **state) {
    (void)state;
    char buf[4096];
    hp_http_req rq;
    assert_int_equal(http("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", &rq, buf),
                     HP_HTTP_NEED_MORE);
    const char *full = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcdeXYZ";
    assert_int_equal(http(full, &rq, buf), (long)strlen(full) - 3);
    assert_int_equal(rq.body_len, 5);
    assert_memory_equal(rq.body, "abcde", 5);
    /* chunked, decoded in place, with extension and trailer */
    const char *ch = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3;x=y\r\n${j\r\n4\r\nndi:\r\n0\r\nT: 1\r\n\r\nNEXT";
    long r = http(ch, &rq, buf);
    assert_int_equal(r, (long)strlen(ch) - 4);
    assert_int_equal(rq.body_len, 7);
    assert_memory_equal(rq.body, "${jndi:", 7);
    assert_true(rq.chunked);
    /* incomplete chunked: need more, buffer untouched */
    assert_int_equal(http("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", &rq, buf),
                     HP_HTTP_NEED_MORE);
    /* a body over max_body (64): first 64 bytes, then the connection ends */
    char big[512];
    int n = snprintf(big, sizeof big, "POST / HTTP/1.1\r\nContent-Length: 300\r\n\r\n");
    memset(big + n, 'z', 100);
    big[n + 100] = '\0';
    r = http(big, &rq, buf);
    assert_int_equal(r, n + 64);
    assert_true(rq.body_truncated);
    assert_false(rq.keep_alive);
    assert_int_equal(rq.body_declared, 300);
}

static void test_http_errors(void **state) {
    (void)state;
    char buf[4096];
    hp_http_req rq;
    assert_int_equal(http("\x16\x03\x01\x02", &rq, buf), HP_HTTP_EBAD); /* TLS hello */
    assert_int_equal(http("GET\r\n\r\n", &rq, buf), HP_HTTP_EBAD);
    assert_int_equal(http("GET /\r\n\r\n", &rq, buf), HP_HTTP_EBAD); /* HTTP/0.9 */
    assert_int_equal(http("GET / HTTP/1.1\r\nNoColon\r\n\r\n", &rq, buf), HP_HTTP_EBAD);
    assert_int_equal(http("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", &rq, buf),
                     HP_HTTP_EBAD);
    assert_int_equal(http("GET / HTTP/1.1\r\nHost: x\r\n", &rq, buf), HP_HTTP_NEED_MORE);
    char big[2048];
    int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX: ");
    memset(big + n, 'a', 1500);
    big[n + 1500] = '\0';
    assert_int_equal(http(big, &rq, buf), HP_HTTP_ETOOBIG);
    /* more headers than kept: counted, request still parsed */
    char many[8192];
    size_t o = (size_t)snprintf(many, sizeof many, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < HP_HTTP_MAX_HEADERS + 5; i++)
        o += (size_t)snprintf(many + o, sizeof many - o, "H%d: v\r\n", i);
    snprintf(many + o, sizeof many - o, "\r\n");
    char mbuf[8192];
    memcpy(mbuf, many, strlen(many));
    assert_true(hp_http_parse(mbuf, strlen(many), sizeof mbuf, 0, &rq) > 0);
    assert_int_equal(rq.nheaders, HP_HTTP_MAX_HEADERS);
    assert_int_equal(rq.headers_dropped, 5);
}

static void test_percent(void **state) {
    (void)state;
    char out[64];
    size_t n = hp_percent_decode("%24%7Bx%7d+a%2", 14, out, sizeof out, 0);
    assert_int_equal(n, 8);
    assert_memory_equal(out, "${x}+a%2", 8);
    n = hp_percent_decode("a+b%2B", 6, out, sizeof out, 1);
    assert_memory_equal(out, "a b+", n);
}

/* ---- RMI ------------------------------------------------------------------- */

/* What JDK 17 sent for rmi://127.0.0.1:PORT/Exploit (captured on loopback). */
static const unsigned char jvm_lookup[] = {
    0x4a, 0x52, 0x4d, 0x49, 0x00, 0x02, 0x4b, 0x00, 0x09, 0x31, 0x32, 0x37, 0x2e, 0x30, 0x2e,
    0x30, 0x2e, 0x31, 0x00, 0x00, 0x00, 0x00, 0x50, 0xac, 0xed, 0x00, 0x05, 0x77, 0x22, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x44, 0x15, 0x4d, 0xc9, 0xd4,
    0xe6, 0x3b, 0xdf, 0x74, 0x00, 0x07, 0x45, 0x78, 0x70, 0x6c, 0x6f, 0x69, 0x74};

static void test_rmi(void **state) {
    (void)state;
    proto_rmi_info info;
    assert_int_equal(proto_rmi_parse(jvm_lookup, sizeof jvm_lookup, &info), PROTO_RMI_CALL);
    assert_int_equal(info.protocol, 0x4B);
    assert_int_equal(info.version, 2);
    assert_string_equal(info.client_host, "127.0.0.1");
    assert_int_equal(info.objnum, 0);
    assert_int_equal(info.op, 2);
    assert_int_equal((uint64_t)info.hash, 0x44154dc9d4e63bdfull);
    assert_true(info.have_name);
    assert_string_equal(info.name, "Exploit");
    /* in pieces: magic only, header (ack due), endpoint, partial call */
    assert_int_equal(proto_rmi_parse(jvm_lookup, 4, &info), PROTO_RMI_NEED_MORE);
    assert_int_equal(proto_rmi_parse(jvm_lookup, 7, &info), PROTO_RMI_NEED_ACK);
    assert_int_equal(proto_rmi_parse(jvm_lookup, 22, &info), PROTO_RMI_NEED_ACK);
    assert_int_equal(proto_rmi_parse(jvm_lookup, sizeof jvm_lookup - 2, &info), PROTO_RMI_NEED_ACK);
    /* not JRMP */
    assert_int_equal(proto_rmi_parse((const unsigned char *)"GET / HTTP/1.1", 14, &info),
                     PROTO_RMI_EBAD);
    assert_int_equal(proto_rmi_parse((const unsigned char *)"JRMI\0\2\x99", 7, &info), PROTO_RMI_EBAD);
    /* the ack names the host and port */
    unsigned char ack[64];
    size_t al = proto_rmi_ack("10.0.0.5", 0x1234, ack, sizeof ack);
    static const unsigned char want[] = {0x4e, 0, 8, '1', '0', '.', '0', '.', '0', '.', '5',
                                         0,    0, 0x12, 0x34};
    assert_int_equal(al, sizeof want);
    assert_memory_equal(ack, want, sizeof want);
    assert_int_equal(proto_rmi_ack("10.0.0.5", 1, ack, 5), 0);
}

/* ---- DNS ------------------------------------------------------------------- */

static size_t mkquery(unsigned char *b, const char *name, unsigned qtype) {
    static const unsigned char hdr[12] = {0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(b, hdr, 12);
    size_t p = 12;
    const char *s = name;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        b[p++] = (unsigned char)l;
        memcpy(b + p, s, l);
        p += l;
        s += l + (dot ? 1 : 0);
    }
    b[p++] = 0;
    b[p++] = 0;
    b[p++] = (unsigned char)qtype;
    b[p++] = 0;
    b[p++] = 1;
    return p;
}

/* ---- TLS ClientHello extensions -------------------------------------------- */

static void test_tls_hello(void **state) {
    (void)state;
    /* server_name and ALPN bodies as curl 7.88 sends them */
    static const unsigned char sni[] = "\x00\x16\x00\x00\x13refused.canary.test";
    static const unsigned char alpn[] = "\x00\x0c\x02h2\x08http/1.1";
    char name[HP_TLS_MAX_SNI + 1];
    size_t nl;
    assert_int_equal(hp_tls_sni(sni, sizeof sni - 1, name, sizeof name, &nl), 0);
    assert_string_equal(name, "refused.canary.test");
    assert_int_equal(nl, 19);
    char small[8];
    assert_int_equal(hp_tls_sni(sni, sizeof sni - 1, small, sizeof small, &nl), 0);
    assert_string_equal(small, "refused"); /* cut, NUL-terminated */
    /* lengths that disagree, a truncated entry, no host_name */
    assert_int_equal(hp_tls_sni(sni, sizeof sni - 2, name, sizeof name, &nl), -1);
    assert_int_equal(hp_tls_sni((const unsigned char *)"\x00\x03\x00\x00\x05", 5, name,
                                sizeof name, &nl), -1);
    assert_int_equal(hp_tls_sni((const unsigned char *)"\x00\x04\x01\x00\x01x", 6, name,
                                sizeof name, &nl), -1);
    assert_int_equal(hp_tls_sni(sni, 1, name, sizeof name, &nl), -1);
    unsigned char out[HP_TLS_MAX_ALPN];
    size_t ol;
    assert_int_equal(hp_tls_alpn(alpn, sizeof alpn - 1, out, sizeof out, &ol), 2);
    assert_int_equal(ol, 12);
    assert_memory_equal(out, "\x02h2\x08http/1.1", 12);
    /* whole entries only when out is short; the rest is still validated */
    assert_int_equal(hp_tls_alpn(alpn, sizeof alpn - 1, out, 5, &ol), 1);
    assert_int_equal(ol, 3);
    assert_int_equal(hp_tls_alpn((const unsigned char *)"\x00\x03\x05h2", 5, out, 5, &ol),
                     -1); /* an entry past the list */
    assert_int_equal(hp_tls_alpn((const unsigned char *)"\x00\x02\x00x", 4, out, sizeof out,
                                 &ol), -1); /* empty protocol name */
    assert_int_equal(hp_tls_alpn((const unsigned char *)"\x00\x00", 2, out, sizeof out, &ol),
                     -1); /* empty list */
    assert_int_equal(hp_tls_sniff((const unsigned char *)"\x16\x03\x01", 3), 1);
    assert_int_equal(hp_tls_sniff((const unsigned char *)"GET /", 5), 0);
    assert_int_equal(hp_tls_sniff((const unsigned char *)"\x30\x0c", 2), 0);
}

static void test_dns(void **state) {
    (void)state;
    unsigned char pkt[512], out[512];
    size_t n = mkquery(pkt, "AKIA123.exfil.Canary.Example", 1);
    proto_dns_query q;
    assert_int_equal(proto_dns_parse(pkt, n, &q), 0);
    assert_string_equal(q.name, "AKIA123.exfil.Canary.Example");
    assert_int_equal(q.qtype, 1);
    assert_int_equal(q.id, 0xabcd);
    assert_true(proto_dns_in_zone(q.name, q.name_len, "canary.example"));
    assert_false(proto_dns_in_zone(q.name, q.name_len, "ary.example"));
    assert_true(proto_dns_in_zone("canary.example.", 15, "canary.example"));
    static const uint8_t a4[4] = {10, 0, 0, 5};
    size_t ol = proto_dns_reply(pkt, &q, 0, a4, 60, out, sizeof out);
    assert_int_equal(ol, n + 16);
    assert_int_equal(out[2] & 0x80, 0x80);   /* QR */
    assert_int_equal(out[3] & 0x0f, 0);      /* NOERROR */
    assert_int_equal(out[7], 1);             /* one answer */
    assert_memory_equal(out + ol - 4, a4, 4);
    ol = proto_dns_reply(pkt, &q, 5, NULL, 0, out, sizeof out);
    assert_int_equal(ol, n);
    assert_int_equal(out[3] & 0x0f, 5);
    assert_int_equal(proto_dns_parse(out, ol, &q), -1); /* a response is not a query */
    /* odd bytes in a label are escaped */
    unsigned char odd[64] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 0xff, 0, 0, 1, 0, 1};
    assert_int_equal(proto_dns_parse(odd, 21, &q), 0);
    assert_string_equal(q.name, "a\\046\\255");
    /* a compression pointer to itself (a loop) and a truncated packet */
    unsigned char loop[64] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
    assert_int_equal(proto_dns_parse(loop, 18, &q), -1);
    assert_int_equal(proto_dns_parse(pkt, n - 3, &q), -1);
    assert_int_equal(proto_dns_parse(pkt, 5, &q), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_values), cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_limits), cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_http_basic),    cmocka_unit_test(test_http_body),
        cmocka_unit_test(test_http_errors),   cmocka_unit_test(test_percent),
        cmocka_unit_test(test_rmi),           cmocka_unit_test(test_dns),
        cmocka_unit_test(test_config_tls),    cmocka_unit_test(test_tls_hello),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
