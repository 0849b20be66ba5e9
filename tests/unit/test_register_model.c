/*
 * test_register_model.c -- the exposure register's rules without a
 * command line: the control coverage table, verdict precedence, SLA policy
 * and clocks, time parsing, matching named components against the
 * vulnerability data (lookalikes clean, unknown versions need review),
 * and the store itself (idempotent replace, gone -> fixed, rollback).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "defuse.h"
#include "model.h"
#include "reg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_controls(void **state) {
    (void)state;
    const reg_control *fm = reg_control_find("formatMsgNoLookups");
    assert_non_null(fm);
    assert_true(reg_control_covers(fm, "CVE-2021-44228"));
    assert_false(reg_control_covers(fm, "CVE-2021-45046"));
    const reg_control *jr = reg_control_find(REG_CONTROL_JNDILOOKUP_REMOVED);
    assert_true(reg_control_covers(jr, "CVE-2021-44228"));
    assert_true(reg_control_covers(jr, "CVE-2021-45046"));
    assert_false(reg_control_covers(jr, "CVE-2021-45105"));
    assert_false(reg_control_covers(jr, "CVE-2021-44832"));
    const reg_control *tu = reg_control_find("trustURLCodebase-false");
    assert_non_null(tu);
    assert_false(reg_control_covers(tu, "CVE-2021-44228"));
    assert_null(reg_control_find("no-such-control"));
    /* every control covers only CVEs of the known families, none twice */
    size_t n;
    const reg_control *t = reg_controls(&n);
    assert_true(n >= 5);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < REG_CONTROL_MAX_CVES && t[i].covers[k]; k++) {
            assert_int_equal(strncmp(t[i].covers[k], "CVE-", 4), 0);
            for (size_t m = k + 1; m < REG_CONTROL_MAX_CVES && t[i].covers[m]; m++)
                assert_string_not_equal(t[i].covers[k], t[i].covers[m]);
        }
}

static void test_decide(void **state) {
    (void)state;
    const char *why;
    assert_int_equal(reg_decide("CVE-2021-44228", 1, NULL, &why), REG_ST_AFFECTED);
    assert_int_equal(reg_decide("CVE-2021-44228", 0, NULL, &why), REG_ST_REVIEW);
    reg_verdicts v = {.mitigation = "formatMsgNoLookups"};
    assert_int_equal(reg_decide("CVE-2021-44228", 1, &v, &why), REG_ST_MITIGATED);
    /* a control never closes a CVE it does not cover */
    assert_int_equal(reg_decide("CVE-2021-45046", 1, &v, &why), REG_ST_AFFECTED);
    reg_verdicts j = {.jndilookup_removed = 1};
    assert_int_equal(reg_decide("CVE-2021-45046", 1, &j, &why), REG_ST_MITIGATED);
    assert_string_equal(why, REG_CONTROL_JNDILOOKUP_REMOVED);
    assert_int_equal(reg_decide("CVE-2021-45105", 1, &j, &why), REG_ST_AFFECTED);
    assert_int_equal(reg_decide("CVE-2021-44832", 0, &j, &why), REG_ST_REVIEW);
    reg_verdicts all = {.false_positive = "not our jar", .accepted = "risk ok",
                        .mitigation = "formatMsgNoLookups"};
    assert_int_equal(reg_decide("CVE-2021-44228", 1, &all, &why), REG_ST_FALSE_POSITIVE);
    all.false_positive = NULL;
    assert_int_equal(reg_decide("CVE-2021-44228", 1, &all, &why), REG_ST_ACCEPTED);
    assert_true(reg_state_open(REG_ST_AFFECTED) && reg_state_open(REG_ST_REVIEW));
    assert_false(reg_state_open(REG_ST_MITIGATED) || reg_state_open(REG_ST_FIXED));
    for (int s = 0; s < REG_ST_COUNT; s++)
        assert_int_equal(reg_state_by_name(reg_state_name((reg_state)s)), s);
}

static void test_sla(void **state) {
    (void)state;
    reg_sla p;
    reg_sla_default(&p);
    assert_int_equal(reg_sla_hours(&p, "critical", "prod"), 48);
    assert_int_equal(reg_sla_hours(&p, "high", "dev"), 168);
    assert_int_equal(reg_sla_hours(&p, "low", "staging"), 168);
    assert_int_equal(reg_sla_set(&p, "critical", "dev", 96), 0);
    assert_int_equal(reg_sla_set(&p, "*", "prod", 72), 0);
    assert_int_equal(reg_sla_hours(&p, "critical", "dev"), 96);
    assert_int_equal(reg_sla_hours(&p, "critical", "prod"), 48); /* (sev,*) before (*,env) */
    assert_int_equal(reg_sla_hours(&p, "high", "prod"), 72);
    assert_int_equal(reg_sla_set(&p, "high", "prod", 0), -1);
    int64_t t0;
    assert_int_equal(reg_time_parse("2021-12-10T00:00:00Z", &t0), 0);
    assert_int_equal(reg_sla_due(t0, 48, 0), t0 + 48 * 3600);
    assert_int_equal(reg_sla_due(t0, 48, t0 + 3600), t0 + 3600); /* KEV earlier */
    assert_int_equal(reg_sla_due(t0, 48, t0 + 99 * 3600), t0 + 48 * 3600);
    int64_t due = t0 + 48 * 3600;
    assert_int_equal(reg_sla_clock(t0, due), REG_CLOCK_ON_TRACK);
    assert_int_equal(reg_sla_clock(due - 24 * 3600, due), REG_CLOCK_DUE_SOON);
    assert_int_equal(reg_sla_clock(due - 24 * 3600 - 1, due), REG_CLOCK_ON_TRACK);
    assert_int_equal(reg_sla_clock(due, due), REG_CLOCK_DUE_SOON);
    assert_int_equal(reg_sla_clock(due + 1, due), REG_CLOCK_BREACHED);
}

static void test_time(void **state) {
    (void)state;
    int64_t t, u;
    char b[32];
    assert_int_equal(reg_time_parse("2021-12-10", &t), 0);
    reg_time_format(t, b);
    assert_string_equal(b, "2021-12-10T00:00:00Z");
    assert_int_equal(reg_time_parse("2021-12-10T12:30:00+02:00", &u), 0);
    assert_int_equal(u, t + 10 * 3600 + 1800);
    assert_int_equal(reg_time_parse("2021-12-10 12:30:00.123Z", &u), 0);
    assert_int_equal(reg_time_parse("@1639094400", &u), 0);
    assert_int_equal(u, t);
    const char *bad[] = {"", "2021-13-01", "2021-02-30", "2021-12-10T25:00", "2021-12-10Tx",
                         "yesterday", "2021-12-10T10:00:00Zjunk", "@", "@12x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!reg_time_parse(bad[i], &u))
            fail_msg("accepted \"%s\"", bad[i]);
}

static defuse_vulndb *vdb(void) {
    defuse_vulndb *db = NULL;
    char err[256];
    char path[4096];
    const char *src = getenv("DEFUSE_SRC");
    snprintf(path, sizeof path, "%s/data/vulndb.json", src ? src : ".");
    if (defuse_vulndb_load(&db, path, err, sizeof err) &&
        defuse_vulndb_builtin(&db, err, sizeof err))
        fail_msg("%s", err);
    return db;
}

/* The oracle for "every CVE of log4j-core": the entries of data/vulndb.json
 * whose product is log4j-core, counted here from the JSON itself. */
static size_t core_cves(void) {
    char path[4096];
    const char *src = getenv("DEFUSE_SRC");
    snprintf(path, sizeof path, "%s/data/vulndb.json", src ? src : ".");
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        fail_msg("%s: %s", path, je.text);
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(json_object_get(root, "vulnerabilities"), i, e) {
        const char *product = json_string_value(json_object_get(e, "product"));
        n += product && !strcmp(product, "log4j-core");
    }
    json_decref(root);
    assert_true(n >= 4);
    return n;
}

static int has(const defuse_component_vuln *v, size_t n, const char *id, int certain) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].id, id))
            return certain < 0 || v[i].certain == certain;
    return 0;
}

static void test_match(void **state) {
    (void)state;
    defuse_vulndb *db = vdb();
    defuse_component_vuln v[DEFUSE_INV_MAX_VULNS];
    size_t n;
    int exact;
    assert_int_equal(defuse_vulndb_match(db, "org.apache.logging.log4j", "log4j-core", "2.14.1",
                                         v, DEFUSE_INV_MAX_VULNS, &n, &exact),
                     DEFUSE_PRODUCT_LOG4J_CORE);
    assert_true(exact && n == 4 && has(v, n, "CVE-2021-44228", 1));
    /* 2.15.0: 45046 and later, not 44228 */
    defuse_vulndb_match(db, NULL, "log4j-core", "2.15.0", v, DEFUSE_INV_MAX_VULNS, &n, &exact);
    assert_false(has(v, n, "CVE-2021-44228", -1));
    assert_true(has(v, n, "CVE-2021-45046", 1));
    defuse_vulndb_match(db, NULL, "log4j-core", "2.17.1", v, DEFUSE_INV_MAX_VULNS, &n, &exact);
    assert_int_equal(n, 0);
    /* lookalikes stay clean */
    const char *look[][2] = {{"org.apache.logging.log4j", "log4j-api"},
                             {"org.apache.logging.log4j", "log4j-to-slf4j"},
                             {"org.apache.logging.log4j", "log4j-1.2-api"},
                             {"org.slf4j", "log4j-over-slf4j"},
                             {"org.slf4j", "slf4j-log4j12"},
                             {NULL, "log4j-api"},
                             {"org.example", "log4j-core"}};
    for (size_t i = 0; i < sizeof look / sizeof look[0]; i++) {
        n = 99;
        assert_int_equal(defuse_vulndb_match(db, look[i][0], look[i][1], "2.14.1", v,
                                             DEFUSE_INV_MAX_VULNS, &n, NULL),
                         DEFUSE_ENOENT);
        assert_int_equal(n, 0);
    }
    /* no version or a range: every CVE, none certain -- never "not affected" */
    const char *unknown[] = {NULL, "", "[2.0,2.15)", ">=2.0", "2.x", "2.*"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_int_equal(defuse_vulndb_match(db, NULL, "log4j-core", unknown[i], v,
                                             DEFUSE_INV_MAX_VULNS, &n, &exact),
                         DEFUSE_PRODUCT_LOG4J_CORE);
        assert_int_equal(n, core_cves());
        assert_false(exact);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(v[k].certain, 0);
    }
    /* the scanner's candidates and ranges, release by release */
    defuse_vulndb_match(db, NULL, "log4j-core", "2.14.0|2.14.1", v, DEFUSE_INV_MAX_VULNS, &n, NULL);
    assert_true(has(v, n, "CVE-2021-44228", 1));
    defuse_vulndb_match(db, NULL, "log4j-core", "2.14.1|2.15.0", v, DEFUSE_INV_MAX_VULNS, &n, NULL);
    assert_true(has(v, n, "CVE-2021-44228", 0) && has(v, n, "CVE-2021-45046", 1));
    defuse_vulndb_match(db, NULL, "log4j-core", "2.17.0..2.17.1", v, DEFUSE_INV_MAX_VULNS, &n, NULL);
    assert_true(has(v, n, "CVE-2021-44832", 0) && !has(v, n, "CVE-2021-45105", -1));
    defuse_vulndb_match(db, "log4j", "log4j", "1.2.17", v, DEFUSE_INV_MAX_VULNS, &n, NULL);
    assert_true(has(v, n, "CVE-2021-4104", 1));
    defuse_vulndb_match(db, "org.apache.commons", "commons-text", "1.9", v, DEFUSE_INV_MAX_VULNS,
                        &n, NULL);
    assert_true(has(v, n, "CVE-2022-42889", 1));
    defuse_vulndb_match(db, "org.apache.commons", "commons-text", "1.10.0", v,
                        DEFUSE_INV_MAX_VULNS, &n, NULL);
    assert_int_equal(n, 0);
    assert_int_equal(defuse_vulndb_match(db, NULL, "log4j-core", "2.14.1", v, 1, &n, NULL),
                     DEFUSE_ELIMIT);
    defuse_vulndb_free(db);
}

static void test_purl(void **state) {
    (void)state;
    char *ns, *name, *ver;
    assert_int_equal(reg_purl_split("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
                                    &ns, &name, &ver), 0);
    assert_string_equal(ns, "org.apache.logging.log4j");
    assert_string_equal(name, "log4j-core");
    assert_string_equal(ver, "2.14.1");
    free(ns), free(name), free(ver);
    assert_int_equal(reg_purl_split("pkg:maven/log4j/log4j%401", &ns, &name, &ver), 0);
    assert_string_equal(name, "log4j@1");
    assert_null(ver);
    free(ns), free(name), free(ver);
    assert_int_equal(reg_purl_split("not-a-purl", &ns, &name, &ver), -1);
    assert_int_equal(reg_purl_split("pkg:maven", &ns, &name, &ver), -1);
    assert_int_equal(reg_purl_split("pkg:maven/%", &ns, &name, &ver), 0);
    free(ns), free(name), free(ver);
}

/* ---- the store: one register file in a temp dir ------------------------------------------ */

static char dbpath[256];

static void obs_one(reg_obs *o, const char *ckey, const char *version, const char *digest) {
    memset(o, 0, sizeof *o);
    o->v = calloc(1, sizeof *o->v);
    o->n = o->cap = 1;
    o->v[0].ckey = strdup(ckey);
    o->v[0].product = strdup("log4j-core");
    o->v[0].grp = strdup("org.apache.logging.log4j");
    o->v[0].name = strdup("log4j-core");
    o->v[0].version = version ? strdup(version) : NULL;
    o->v[0].path = strdup(ckey);
    snprintf(o->digest, sizeof o->digest, "%s", digest);
    snprintf(o->format, sizeof o->format, "test");
    snprintf(o->sources, sizeof o->sources, "t.json");
}

typedef struct cnt {
    int rows, open, fixed, review;
    int64_t closed;
} cnt;
static int count_cb(const reg_exposure *e, void *user) {
    cnt *c = user;
    c->rows++;
    c->open += !strcmp(e->state, "affected");
    c->review += !strcmp(e->state, "review");
    c->fixed += !strcmp(e->state, "fixed");
    if (e->closed_at)
        c->closed = e->closed_at;
    return 0;
}

static void test_store(void **state) {
    (void)state;
    snprintf(dbpath, sizeof dbpath, "/tmp/defuse-test-register-%d.db", (int)getpid());
    unlink(dbpath);
    defuse_vulndb *db = vdb();
    reg r;
    int64_t t0;
    reg_time_parse("2021-12-11T00:00:00Z", &t0);
    assert_int_equal(reg_open(&r, dbpath, t0, "tester"), 0);
    assert_int_equal(reg_store_schema_version(r.st), reg_nmigrations);
    r.vdb = db;
    reg_asset_attrs at = {.env = "dev"};
    reg_obs o;
    int unchanged;
    obs_one(&o, "a.jar", "2.14.1", "d1");
    assert_int_equal(reg_ingest(&r, "h1", &at, &o, NULL, NULL, &unchanged), 0);
    assert_false(unchanged);
    assert_int_equal(reg_ingest(&r, "h1", &at, &o, NULL, NULL, &unchanged), 0);
    assert_true(unchanged);
    cnt c = {0};
    reg_query_exposures(&r, NULL, NULL, "h1", NULL, 0, count_cb, &c);
    assert_int_equal(c.rows, 4);
    assert_int_equal(c.open, 4);
    reg_obs_free(&o);
    /* a later scan without the jar: fixed at that scan's time */
    obs_one(&o, "b.jar", NULL, "d2");
    o.scanned_at = t0 + 3600;
    r.now = t0 + 7200;
    assert_int_equal(reg_ingest(&r, "h1", NULL, &o, NULL, NULL, &unchanged), 0);
    memset(&c, 0, sizeof c);
    reg_query_exposures(&r, NULL, NULL, "h1", NULL, 0, count_cb, &c);
    assert_int_equal(c.fixed, 4);
    assert_int_equal(c.closed, t0 + 3600);
    assert_int_equal(c.review, core_cves()); /* b.jar: no version: every CVE */
    reg_obs_free(&o);
    /* an older scan is refused and changes nothing */
    obs_one(&o, "c.jar", "2.14.1", "d3");
    o.scanned_at = t0;
    assert_int_equal(reg_ingest(&r, "h1", NULL, &o, NULL, NULL, &unchanged), -1);
    memset(&c, 0, sizeof c);
    reg_query_exposures(&r, NULL, NULL, "h1", NULL, 0, count_cb, &c);
    assert_int_equal(c.rows, 4 + core_cves()); /* a.jar's fixed ones and b.jar's */
    reg_obs_free(&o);
    /* a control that does not cover the CVE is refused */
    assert_int_equal(reg_record_control(&r, "h1", "CVE-2021-45046", "mitigation",
                                        "formatMsgNoLookups", "jvm flag", 0, NULL, NULL),
                     -1);
    assert_non_null(strstr(r.err, "does not cover"));
    reg_close(&r);
    defuse_vulndb_free(db);
    unlink(dbpath);
    char side[300];
    snprintf(side, sizeof side, "%s-wal", dbpath);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", dbpath);
    unlink(side);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controls), cmocka_unit_test(test_decide),
        cmocka_unit_test(test_sla),      cmocka_unit_test(test_time),
        cmocka_unit_test(test_match),    cmocka_unit_test(test_purl),
        cmocka_unit_test(test_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
