/*
 * test_inventory.c -- unit tests of the inventory engine: SHA-256 against
 * FIPS 180-2 vectors, version ordering, entry classification, the class
 * file reader, vulndb loading and its errors, and identification of
 * archives built here in memory with libarchive (pom-only, class-only,
 * mitigated, bridges, nested).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "inventory.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

static defuse_vulndb *db;

static int setup(void **state) {
    (void)state;
    char path[4096], err[512];
    const char *src = getenv("DEFUSE_SRC");
    snprintf(path, sizeof path, "%s/data/vulndb.json", src ? src : "../..");
    int rc = defuse_vulndb_load(&db, path, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static int teardown(void **state) {
    (void)state;
    defuse_vulndb_free(db);
    return 0;
}

static void hex_of(const char *s, size_t n, char out[65]) {
    defuse__sha256 c;
    uint8_t d[32];
    uint8_t once[32];
    assert_true(defuse__sha256_init(&c));
    /* feed in uneven pieces: the streaming digest equals the one-shot one */
    for (size_t i = 0; i < n; i += 7)
        assert_true(defuse__sha256_update(&c, s + i, n - i < 7 ? n - i : 7));
    assert_true(defuse__sha256_final(&c, d));
    assert_null(c.ctx); /* final released the context */
    assert_true(defuse__sha256_once(s, n, once));
    assert_memory_equal(d, once, 32);
    defuse__sha256_hex(d, out);
}

static void test_sha256(void **state) {
    (void)state;
    char h[65];
    hex_of("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m, strlen(m), h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* an aborted context is released and a second abort is harmless */
    defuse__sha256 c;
    assert_true(defuse__sha256_init(&c));
    defuse__sha256_abort(&c);
    assert_null(c.ctx);
    defuse__sha256_abort(&c);
    uint8_t d[32];
    assert_false(defuse__sha256_update(&c, "x", 1));
    assert_false(defuse__sha256_final(&c, d));
}

static void test_vercmp(void **state) {
    (void)state;
    const char *order[] = {"2.0-alpha1", "2.0-beta2", "2.0-beta9", "2.0-rc1", "2.0-rc2", "2.0",
                           "2.0.1",      "2.1",       "2.3",       "2.3.1",   "2.3.2",   "2.4",
                           "2.9.1",      "2.10.0",    "2.12.4",    "2.17.1",  "2.19.0"};
    size_t n = sizeof order / sizeof order[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int c = defuse__vercmp(order[i], order[j]);
            assert_true(i < j ? c < 0 : i > j ? c > 0 : c == 0);
        }
    assert_int_equal(defuse__vercmp("2.0", "2.0.0"), 0);
    assert_true(defuse__vercmp("1.2.18.0", "1.2.17") > 0);
}

static void test_classify(void **state) {
    (void)state;
    defuse__classify c;
    assert_true(defuse__inv_classify("org/apache/logging/log4j/core/lookup/JndiLookup.class", &c));
    assert_int_equal(c.role, DEFUSE__R_JNDILOOKUP);
    assert_int_equal(c.key_len, strlen("org/apache/logging/log4j/core/"));
    assert_true(defuse__inv_classify("x/y/core/lookup/JndiLookup.esclazz", &c));
    assert_int_equal(c.role, DEFUSE__R_JNDILOOKUP);
    assert_true(defuse__inv_classify("a/core/lookup/JndiLookup.classdata", &c));
    assert_true(defuse__inv_classify("lookup/JndiLookup.class", &c));
    assert_int_equal(c.key_len, 0);
    assert_false(defuse__inv_classify("org/apache/logging/log4j/core/lookup/JndiLookupOther.class", &c));
    assert_false(defuse__inv_classify("org/apache/logging/log4j/core/lookup/XJndiLookup.class", &c));
    assert_false(defuse__inv_classify("org/apache/logging/log4j/LogManager.class", &c));
    assert_false(defuse__inv_classify("META-INF/maven/org.apache.logging.log4j/log4j-api/pom.properties", &c));
    assert_true(defuse__inv_classify("META-INF/maven/log4j/log4j/pom.properties", &c));
    assert_int_equal(c.role, DEFUSE__R_POM);
    assert_int_equal(c.product, DEFUSE_PRODUCT_LOG4J1);
    assert_true(defuse__inv_classify("org/apache/log4j/chainsaw/ControlPanel$1.class", &c));
    assert_int_equal(c.role, DEFUSE__R_CHAINSAW);
    assert_true(defuse__inv_fix_target("x/core/lookup/JndiLookup.class", 0));
    assert_false(defuse__inv_fix_target("org/apache/log4j/net/JMSAppender.class", 0));
    assert_true(defuse__inv_fix_target("org/apache/log4j/net/JMSAppender.class", DEFUSE_FIX_LOG4J1));
    assert_true(defuse__inv_fix_target("org/apache/log4j/net/SMTPAppender$1.class", DEFUSE_FIX_LOG4J1));
    assert_false(defuse__inv_fix_target("org/apache/log4j/net/SocketAppender.class", DEFUSE_FIX_LOG4J1));
    assert_true(defuse__inv_is_signature("META-INF/SIGNER.SF"));
    assert_true(defuse__inv_is_signature("META-INF/a.ec"));
    assert_false(defuse__inv_is_signature("META-INF/MANIFEST.MF"));
    assert_false(defuse__inv_is_signature("META-INF/x/y.SF"));
}

static void test_class_name(void **state) {
    (void)state;
    const char *nm = "org/apache/logging/log4j/core/lookup/JndiLookup";
    uint8_t b[256];
    size_t o = 0, len = strlen(nm);
    const uint8_t hdr[] = {0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 52, 0, 4};
    memcpy(b, hdr, sizeof hdr);
    o = sizeof hdr;
    b[o++] = 7, b[o++] = 0, b[o++] = 2;                  /* #1 Class #2 */
    b[o++] = 1, b[o++] = 0, b[o++] = (uint8_t)len;       /* #2 Utf8 */
    memcpy(b + o, nm, len);
    o += len;
    b[o++] = 5;                                          /* #3 Long (2 slots) */
    memset(b + o, 0, 8);
    o += 8;
    b[o++] = 0, b[o++] = 0x21, b[o++] = 0, b[o++] = 1;   /* flags, this_class */
    char out[256];
    size_t off;
    assert_int_equal(defuse__class_name(b, o, out, sizeof out, &off), 0);
    assert_string_equal(out, nm);
    for (size_t cut = 0; cut < o; cut++)
        assert_int_equal(defuse__class_name(b, cut, out, sizeof out, &off), DEFUSE_EFORMAT);
    b[10] = 99; /* unknown tag */
    assert_int_equal(defuse__class_name(b, o, out, sizeof out, &off), DEFUSE_EFORMAT);
    assert_int_equal(off, 10);
}

/* The compiled-in copy must be data/vulndb.json byte for byte (regenerate
 * lib/vulndb_builtin.c with data/gen_vulndb.py --embed when this fails). */
static void test_builtin_current(void **state) {
    (void)state;
    char path[4096];
    const char *src = getenv("DEFUSE_SRC");
    snprintf(path, sizeof path, "%s/data/vulndb.json", src ? src : "../..");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(n, defuse__vulndb_builtin_len);
    assert_memory_equal(buf, defuse__vulndb_builtin, n);
    defuse_vulndb *d = NULL;
    char err[256];
    assert_int_equal(defuse_vulndb_builtin(&d, err, sizeof err), 0);
    defuse_vulndb_free(d);
}

static void test_vulndb_errors(void **state) {
    (void)state;
    defuse_vulndb *d = NULL;
    char err[256];
    const char *bad1 = "{\"format\":\"other\"}";
    assert_int_equal(defuse_vulndb_parse(&d, bad1, strlen(bad1), err, sizeof err), DEFUSE_EFORMAT);
    assert_non_null(strstr(err, "format"));
    const char *bad2 = "{\"format\":\"defuse-vulndb/1\",\"products\":{}}";
    assert_int_equal(defuse_vulndb_parse(&d, bad2, strlen(bad2), err, sizeof err), DEFUSE_EFORMAT);
    assert_non_null(strstr(err, "releases"));
    const char *bad3 = "{\"format\":";
    assert_int_equal(defuse_vulndb_parse(&d, bad3, strlen(bad3), err, sizeof err), DEFUSE_EFORMAT);
    assert_non_null(strstr(err, "line 1"));
    assert_null(d);
    assert_int_equal(defuse_vulndb_load(&d, "/nonexistent/vulndb.json", err, sizeof err), DEFUSE_EIO);
}

/* ---- archives built in memory ---- */

typedef struct ent {
    const char *name;
    const void *data;
    size_t len;
} ent;

static size_t make_zip(const ent *e, size_t n, uint8_t *out, size_t cap) {
    struct archive *w = archive_write_new();
    size_t used = 0;
    archive_write_set_format_zip(w);
    archive_write_open_memory(w, out, cap, &used);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e[i].name);
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, (la_int64_t)e[i].len);
        assert_int_equal(archive_write_header(w, ae), ARCHIVE_OK);
        assert_int_equal(archive_write_data(w, e[i].data, e[i].len), (la_ssize_t)e[i].len);
        archive_entry_free(ae);
    }
    archive_write_close(w);
    archive_write_free(w);
    return used;
}

typedef struct got {
    int n, nerr;
    char path[8][512], version[8][64];
    int product[8], jndi[8];
    char cves[8][512];
} got;

static int on_comp(const defuse_component *c, void *user) {
    got *g = user;
    if (c->err) {
        g->nerr++;
        return 0;
    }
    if (g->n >= 8)
        return 0;
    snprintf(g->path[g->n], sizeof g->path[0], "%s", c->path);
    snprintf(g->version[g->n], sizeof g->version[0], "%s", c->version ? c->version : "");
    g->product[g->n] = c->product;
    g->jndi[g->n] = c->jndilookup;
    g->cves[g->n][0] = 0;
    for (size_t i = 0; i < c->nvulns; i++) {
        strcat(g->cves[g->n], c->vulns[i].id);
        strcat(g->cves[g->n], " ");
    }
    g->n++;
    return 0;
}

static const char pom2141[] = "version=2.14.1\ngroupId=org.apache.logging.log4j\n";
static const char fakeclass[] = "\xCA\xFE\xBA\xBE not really a class, log4j";

static void scan_zip(const ent *e, size_t n, got *g) {
    static uint8_t buf[1 << 20];
    size_t len = make_zip(e, n, buf, sizeof buf);
    defuse_inventory *inv;
    assert_int_equal(defuse_inventory_new(&inv, db, NULL), 0);
    memset(g, 0, sizeof *g);
    assert_true(defuse_inventory_scan_memory(inv, buf, len, "t.jar", on_comp, g) >= 0);
    defuse_inventory_free(inv);
}

static void test_pom_and_class(void **state) {
    (void)state;
    got g;
    ent e[] = {{"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", pom2141,
                sizeof pom2141 - 1},
               {"org/apache/logging/log4j/core/lookup/JndiLookup.class", fakeclass,
                sizeof fakeclass - 1}};
    scan_zip(e, 2, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.path[0], "t.jar");
    assert_string_equal(g.version[0], "2.14.1");
    assert_int_equal(g.jndi[0], 1);
    assert_non_null(strstr(g.cves[0], "CVE-2021-44228"));
    assert_non_null(strstr(g.cves[0], "CVE-2021-44832"));
    /* pom only: JndiLookup cannot be known absent */
    scan_zip(e, 1, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.jndi[0], -1);
    assert_non_null(strstr(g.cves[0], "CVE-2021-44228"));
}

/* CVEs beyond Log4Shell (issue 10 item 14): CVE-2017-5645 (< 2.8.2, so the
 * 2.3.2 fix line still has it), CVE-2020-9488 (< 2.12.3, 2.13.0-2.13.1 and
 * every 1.x with SMTPAppender), CVE-2020-9493 (1.x chainsaw) and
 * CVE-2023-26464 (1.x SocketServer or chainsaw). */
static void test_more_cves(void **state) {
    (void)state;
    got g;
    static const char p232[] = "version=2.3.2\n", p282[] = "version=2.8.2\n",
                      p2132[] = "version=2.13.2\n", p2131[] = "version=2.13.1\n";
    const char *core = "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties";
    ent e[] = {{core, p232, sizeof p232 - 1}};
    scan_zip(e, 1, &g);
    assert_int_equal(g.n, 1);
    assert_non_null(strstr(g.cves[0], "CVE-2017-5645"));
    assert_non_null(strstr(g.cves[0], "CVE-2020-9488"));
    assert_null(strstr(g.cves[0], "CVE-2021-44832"));
    ent e2[] = {{core, p282, sizeof p282 - 1}};
    scan_zip(e2, 1, &g);
    assert_null(strstr(g.cves[0], "CVE-2017-5645"));
    assert_non_null(strstr(g.cves[0], "CVE-2020-9488"));
    ent e3[] = {{core, p2131, sizeof p2131 - 1}};
    scan_zip(e3, 1, &g);
    assert_non_null(strstr(g.cves[0], "CVE-2020-9488"));
    ent e4[] = {{core, p2132, sizeof p2132 - 1}};
    scan_zip(e4, 1, &g);
    assert_null(strstr(g.cves[0], "CVE-2020-9488"));
    /* log4j 1.2.17: each CVE follows its class */
    static const char p1[] = "version=1.2.17\n";
    const char *l1 = "META-INF/maven/log4j/log4j/pom.properties";
    ent e5[] = {{l1, p1, sizeof p1 - 1},
                {"org/apache/log4j/net/SocketServer.class", "x", 1},
                {"org/apache/log4j/Logger.class", "x", 1}};
    scan_zip(e5, 3, &g);
    assert_int_equal(g.n, 1);
    assert_non_null(strstr(g.cves[0], "CVE-2023-26464"));
    assert_null(strstr(g.cves[0], "CVE-2020-9493"));
    assert_null(strstr(g.cves[0], "CVE-2020-9488"));
    ent e6[] = {{l1, p1, sizeof p1 - 1},
                {"org/apache/log4j/chainsaw/Main.class", "x", 1},
                {"org/apache/log4j/net/SMTPAppender.class", "x", 1}};
    scan_zip(e6, 3, &g);
    assert_int_equal(g.n, 1);
    assert_non_null(strstr(g.cves[0], "CVE-2023-26464"));
    assert_non_null(strstr(g.cves[0], "CVE-2020-9493"));
    assert_non_null(strstr(g.cves[0], "CVE-2020-9488"));
    assert_null(strstr(g.cves[0], "CVE-2019-17571"));
}

/* A distribution-patched log4j 1.2.17 (Debian's 1.2.17-11 adds these
 * hardening classes): the CVEs its changelog fixes are dropped, the others
 * stay; without the hardening classes they are reported. */
/* A distribution patch counts only when its classes' bytes are the patched
 * build's (vulndb "fixed_by": SHA-256 per class), never by presence. */
static void test_distro_patched(void **state) {
    (void)state;
    got g;
    static const char p1[] = "version=1.2.17\n";
    /* the classes' names of Debian's patch, other bytes: nothing is proven */
    ent e[] = {{"META-INF/maven/log4j/log4j/pom.properties", p1, sizeof p1 - 1},
               {"org/apache/log4j/net/SocketServer.class", "x", 1},
               {"org/apache/log4j/jdbc/JDBCAppender.class", "x", 1},
               {"org/apache/log4j/chainsaw/Main.class", "x", 1},
               {"org/apache/log4j/net/HardenedObjectInputStream.class", "x", 1},
               {"org/apache/log4j/jdbc/JdbcPatternParser.class", "x", 1},
               {"org/apache/log4j/FilteredObjectInputStream.class", "x", 1}};
    scan_zip(e, 7, &g);
    assert_int_equal(g.n, 1);
    assert_non_null(strstr(g.cves[0], "CVE-2019-17571"));
    assert_non_null(strstr(g.cves[0], "CVE-2022-23305"));
    assert_non_null(strstr(g.cves[0], "CVE-2022-23307"));
    assert_non_null(strstr(g.cves[0], "CVE-2020-9493"));

    /* data whose patch of CVE-2022-23305 is JDBCAppender "good-appender" +
     * JdbcPatternParser "good-parser" */
    char ha[65], hp[65], json[4096];
    defuse_sha256_hex("good-appender", 13, ha);
    defuse_sha256_hex("good-parser", 11, hp);
    snprintf(json, sizeof json,
             "{\"format\": \"defuse-vulndb/1\", \"products\": {"
             "\"log4j-core\": {\"releases\": [\"2.0\"]}, \"log4j\": {\"releases\": [\"1.2.17\"]},"
             "\"reload4j\": {\"releases\": [\"1.2.18.0\"]}, \"commons-text\": {\"releases\": [\"1.9\"]}},"
             "\"vulnerabilities\": [{\"id\": \"CVE-2022-23305\", \"product\": \"log4j\", \"cvss\": 9.8,"
             " \"requires_class\": \"JDBCAppender\", \"affected\": [{\"introduced\": \"1.2.17\"}],"
             " \"fixed_by\": [{\"name\": \"Test 1\", \"classes\": {\"JDBCAppender\": \"%s\","
             " \"JdbcPatternParser\": \"%s\"}}]}]}",
             ha, hp);
    defuse_vulndb *mine = NULL, *saved = db;
    char err[256];
    assert_int_equal(defuse_vulndb_parse(&mine, json, strlen(json), err, sizeof err), 0);
    db = mine;
    ent m[] = {{"META-INF/maven/log4j/log4j/pom.properties", p1, sizeof p1 - 1},
               {"org/apache/log4j/jdbc/JDBCAppender.class", "good-appender", 13},
               {"org/apache/log4j/jdbc/JdbcPatternParser.class", "good-parser", 11}};
    scan_zip(m, 3, &g);
    assert_int_equal(g.n, 1);
    assert_null(strstr(g.cves[0], "CVE-2022-23305")); /* both classes match: patched */
    m[2].data = "evil-parser";                         /* a forged hardening class */
    scan_zip(m, 3, &g);
    assert_non_null(strstr(g.cves[0], "CVE-2022-23305"));
    m[2].data = "good-parser";
    m[1].data = "old-appender";                        /* the upstream JDBCAppender */
    scan_zip(m, 3, &g);
    assert_non_null(strstr(g.cves[0], "CVE-2022-23305"));
    scan_zip(m, 2, &g);                                /* the hardening class missing */
    assert_non_null(strstr(g.cves[0], "CVE-2022-23305"));
    db = saved;
    defuse_vulndb_free(mine);

    /* presence-only data is refused, as are classes whose bytes are not kept */
    static const char *const bad[] = {"\"fixed_by_class\": \"JdbcPatternParser\"",
                                      "\"fixed_by\": [{\"name\": \"x\", \"classes\": {\"JndiLookup\": "
                                      "\"" "00000000000000000000000000000000"
                                      "00000000000000000000000000000000" "\"}}]",
                                      "\"fixed_by\": [{\"name\": \"x\", \"classes\": {\"SocketNode\": \"zz\"}}]",
                                      "\"fixed_by\": []"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"format\": \"defuse-vulndb/1\", \"products\": {"
                 "\"log4j-core\": {\"releases\": [\"2.0\"]}, \"log4j\": {\"releases\": [\"1.2.17\"]},"
                 "\"reload4j\": {\"releases\": [\"1.2.18.0\"]}, \"commons-text\": {\"releases\": [\"1.9\"]}},"
                 "\"vulnerabilities\": [{\"id\": \"CVE-1\", \"product\": \"log4j\", \"cvss\": 1,"
                 " \"affected\": [{\"introduced\": \"1.2.17\"}], %s}]}",
                 bad[i]);
        mine = NULL;
        assert_int_equal(defuse_vulndb_parse(&mine, json, strlen(json), err, sizeof err),
                         DEFUSE_EFORMAT);
        assert_non_null(strstr(err, "fixed_by"));
    }
}

static void test_mitigated(void **state) {
    (void)state;
    got g;
    ent e[] = {{"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", pom2141,
                sizeof pom2141 - 1},
               {"org/apache/logging/log4j/core/LoggerContext.class", "x", 1}};
    scan_zip(e, 2, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.jndi[0], 0);
    assert_null(strstr(g.cves[0], "CVE-2021-44228"));
    assert_null(strstr(g.cves[0], "CVE-2021-45046"));
    assert_non_null(strstr(g.cves[0], "CVE-2021-45105"));
}

static void test_bridges_not_findings(void **state) {
    (void)state;
    got g;
    static const char api[] = "version=2.14.1\n";
    ent e[] = {{"META-INF/maven/org.apache.logging.log4j/log4j-api/pom.properties", api,
                sizeof api - 1},
               {"org/apache/logging/log4j/LogManager.class", "x", 1},
               {"META-INF/maven/org.apache.logging.log4j/log4j-1.2-api/pom.properties", api,
                sizeof api - 1},
               {"org/apache/log4j/Category.class", "x", 1},
               {"org/apache/log4j/Logger.class", "x", 1}};
    scan_zip(e, 5, &g);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.nerr, 0);
}

/* A pom that the classes contradict loses to the classes. */
static void test_conflict(void **state) {
    (void)state;
    got g;
    static const char pom2171[] = "version=2.17.1\n";
    static const char oldmgr[] = "\xCA\xFE\xBA\xBE old JndiManager of log4j, no fix strings";
    ent e[] = {{"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", pom2171,
                sizeof pom2171 - 1},
               {"org/apache/logging/log4j/core/net/JndiManager.class", oldmgr, sizeof oldmgr - 1},
               {"org/apache/logging/log4j/core/lookup/JndiLookup.class", fakeclass,
                sizeof fakeclass - 1}};
    scan_zip(e, 3, &g);
    assert_int_equal(g.n, 1);
    assert_string_not_equal(g.version[0], "2.17.1");
    assert_non_null(strstr(g.version[0], "2.14.1"));
    assert_non_null(strstr(g.cves[0], "CVE-2021-44228"));
}

static void test_nested(void **state) {
    (void)state;
    static uint8_t inner[1 << 16];
    ent ie[] = {{"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", pom2141,
                 sizeof pom2141 - 1},
                {"org/apache/logging/log4j/core/lookup/JndiLookup.class", fakeclass,
                 sizeof fakeclass - 1}};
    size_t il = make_zip(ie, 2, inner, sizeof inner);
    ent oe[] = {{"WEB-INF/lib/x.jar", inner, il}};
    got g;
    scan_zip(oe, 1, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.path[0], "t.jar!/WEB-INF/lib/x.jar");
    assert_string_equal(g.version[0], "2.14.1");
}

static void test_not_archives(void **state) {
    (void)state;
    defuse_inventory *inv;
    got g;
    memset(&g, 0, sizeof g);
    assert_int_equal(defuse_inventory_new(&inv, db, NULL), 0);
    assert_int_equal(defuse_inventory_scan_memory(inv, "hello", 5, "a.txt", on_comp, &g), 0);
    /* a truncated zip is reported, not ignored */
    static const uint8_t trunc[] = "PK\x03\x04\x14\x00\x00\x00\x08\x00garbage";
    assert_true(defuse_inventory_scan_memory(inv, trunc, sizeof trunc, "t.zip", on_comp, &g) >= 0);
    assert_int_equal(g.n, 0);
    assert_true(g.nerr >= 1);
    defuse_inventory_free(inv);
}

typedef struct outer_got {
    int n, nouter, nnested;
    char outer[4][65];
} outer_got;

static int outer_cb(const defuse_component *c, void *user) {
    outer_got *g = user;
    if (c->err || g->n >= 4)
        return 0;
    if (c->sha256_outer) {
        assert_int_equal(strlen(c->sha256_outer), 64);
        snprintf(g->outer[g->nouter++], sizeof g->outer[0], "%s", c->sha256_outer);
    }
    if (c->sha256)
        g->nnested++;
    g->n++;
    return 0;
}

/* Every component of a top-level file carries that file's SHA-256, hashed
 * by the scanning thread (read past the first 64 KiB block), the nested jar's
 * component its own as well; a scan of memory has no top-level file. */
static void test_sha256_outer(void **state) {
    (void)state;
    static uint8_t inner[4096], outer[1 << 20];
    static char filler[300 * 1024];
    uint32_t x = 12345; /* incompressible, so the war passes 64 KiB */
    for (size_t i = 0; i < sizeof filler; i++)
        filler[i] = (char)((x = x * 1103515245u + 12345u) >> 24);
    ent ie[] = {{"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", pom2141,
                 sizeof pom2141 - 1},
                {"org/apache/logging/log4j/core/lookup/JndiLookup.class", fakeclass,
                 sizeof fakeclass - 1}};
    size_t il = make_zip(ie, 2, inner, sizeof inner);
    ent oe[] = {{"filler.bin", filler, sizeof filler},
                {"WEB-INF/lib/log4j-core-2.14.1.jar", (const char *)inner, il},
                {"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", pom2141,
                 sizeof pom2141 - 1}};
    size_t ol = make_zip(oe, 3, outer, sizeof outer);
    char path[] = "/tmp/defuse-test-outer-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, outer, ol), (ssize_t)ol);
    close(fd);
    char want[65];
    assert_int_equal(defuse_sha256_file(path, want), 0);
    defuse_inventory *inv;
    assert_int_equal(defuse_inventory_new(&inv, db, NULL), 0);
    outer_got g;
    memset(&g, 0, sizeof g);
    assert_true(defuse_inventory_scan_file(inv, path, "app.war", outer_cb, &g) >= 0);
    /* no_hashes: the same components, no digest computed */
    defuse_inventory *nh;
    defuse_inv_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.no_hashes = 1;
    assert_int_equal(defuse_inventory_new(&nh, db, &lim), 0);
    outer_got h;
    memset(&h, 0, sizeof h);
    assert_true(defuse_inventory_scan_file(nh, path, "app.war", outer_cb, &h) >= 0);
    defuse_inventory_free(nh);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.nouter + h.nnested, 0);
    unlink(path);
    assert_int_equal(g.n, 2);      /* the war's own log4j-core and the nested jar */
    assert_int_equal(g.nouter, 2); /* both carry the war's hash */
    assert_int_equal(g.nnested, 1);
    assert_string_equal(g.outer[0], want);
    assert_string_equal(g.outer[1], want);
    memset(&g, 0, sizeof g);
    assert_true(defuse_inventory_scan_memory(inv, outer, ol, "app.war", outer_cb, &g) >= 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.nouter, 0);
    defuse_inventory_free(inv);
}

static char root_path[256];

static int root_cb(const defuse_component *c, void *user) {
    (void)user;
    if (!c->err)
        snprintf(root_path, sizeof root_path, "%s", c->path);
    return 0;
}

/* A directory walk of "/" names its exploded components "/opt/x", never
 * "//opt/x" (which SARIF turned into file:////opt/x). */
static void test_root_paths(void **state) {
    (void)state;
    defuse__inv_facts f;
    defuse__facts_init(&f, db, true);
    const char *name = "opt/x/org/apache/logging/log4j/core/LoggerContext.class";
    defuse__classify c;
    assert_true(defuse__inv_classify(name, &c));
    assert_int_equal(defuse__facts_add(&f, name,
                                       "/opt/x/org/apache/logging/log4j/core/LoggerContext.class",
                                       &c, NULL, 0),
                     0);
    unsigned nv = 0;
    root_path[0] = 0;
    assert_int_equal(defuse__facts_emit(&f, "/", "/", root_cb, NULL, &nv), 0);
    assert_string_equal(root_path, "/opt/x");
    defuse__facts_free(&f);
    defuse__facts_init(&f, db, true);
    assert_int_equal(defuse__facts_add(&f, name, "srv/opt/x/...", &c, NULL, 0), 0);
    assert_int_equal(defuse__facts_emit(&f, "srv", "/", root_cb, NULL, &nv), 0);
    assert_string_equal(root_path, "srv/opt/x");
    defuse__facts_free(&f);
}

/* SBOMs are recognised by their head (issue 10, item 19); look-alikes are not. */
static void test_sbom_sniff(void **state) {
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\"}", "cyclonedx-json"},
        {"\xEF\xBB\xBF\n  {\"$schema\": \"http://cyclonedx.org/schema/bom-1.6.schema.json\",\n"
         "  \"bomFormat\"  :\n \"CycloneDX\"}",
         "cyclonedx-json"},
        {"<bom xmlns='http://cyclonedx.org/schema/bom/1.2' version='1'>", "cyclonedx-xml"},
        {"{\"spdxVersion\": \"SPDX-2.3\", \"SPDXID\": \"SPDXRef-DOCUMENT\"}", "spdx-json"},
        {"{\"packages\": [{\"SPDXID\": \"SPDXRef-Package-1\"}]}", "spdx-json"},
        {"<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">",
         "cyclonedx-xml"},
        {"SPDXVersion: SPDX-2.2\nDataLicense: CC0-1.0\n", "spdx-tag-value"},
        {"# made by hand\nSPDXVersion: SPDX-2.3\n", "spdx-tag-value"},
        /* look-alikes: not SBOMs */
        {"{\"name\": \"app\", \"version\": \"1.0.0\"}", NULL},
        {"{\"bomFormat\": \"something else\"}", NULL},
        {"notes: \"bomFormat\": \"CycloneDX\", SPDXVersion: SPDX-2.3", NULL},
        {"Some text mentioning SPDXVersion: SPDX-2.3 in a line", NULL},
        {"<html><a href=\"http://cyclonedx.org/\">x</a></html>", NULL},
        /* the formats' own schemas */
        {"{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"$id\": "
         "\"http://cyclonedx.org/schema/bom-1.5.schema.json\", \"properties\": {\"bomFormat\": "
         "{\"type\": \"string\", \"enum\": [\"CycloneDX\"]}}}",
         NULL},
        {"{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"properties\": "
         "{\"spdxVersion\": {\"type\": \"string\"}, \"SPDXID\": {\"type\": \"string\"}}}",
         NULL},
        {"<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:bom=\"http://cyclonedx.org/"
         "schema/bom/1.5\" targetNamespace=\"http://cyclonedx.org/schema/bom/1.5\">",
         NULL},
        {"{\"x\": \"SPDXVersion: SPDX-2.3\"}", NULL},
        {"", NULL},
        {"   \n\t", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *fmt =
            defuse__sbom_sniff((const uint8_t *)cases[i].text, strlen(cases[i].text));
        if (cases[i].want) {
            assert_non_null(fmt);
            assert_string_equal(fmt, cases[i].want);
        } else {
            assert_null(fmt);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sbom_sniff),
        cmocka_unit_test(test_sha256), cmocka_unit_test(test_sha256_outer),        cmocka_unit_test(test_vercmp),
        cmocka_unit_test(test_classify),      cmocka_unit_test(test_class_name),
        cmocka_unit_test(test_vulndb_errors), cmocka_unit_test(test_pom_and_class),
        cmocka_unit_test(test_mitigated),     cmocka_unit_test(test_bridges_not_findings),
        cmocka_unit_test(test_nested),        cmocka_unit_test(test_not_archives),
        cmocka_unit_test(test_conflict),      cmocka_unit_test(test_builtin_current),
        cmocka_unit_test(test_root_paths), cmocka_unit_test(test_more_cves), cmocka_unit_test(test_distro_patched),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
