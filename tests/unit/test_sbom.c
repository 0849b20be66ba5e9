/*
 * test_sbom.c -- the SBOM readers (register/sbom.h): each format on the
 * fixtures in tests/fixtures/sbom/, nested components and their parents,
 * missing versions and ranges, purl/CPE/supplier extraction, malformed
 * documents with the position the error must name, and the limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sbom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *name, size_t *len) {
    const char *src = getenv("DEFUSE_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/sbom/%s", src ? src : ".", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void parse_fixture(const char *name, sbom_doc *d) {
    size_t len;
    char *b = slurp(name, &len);
    char err[256];
    int rc = sbom_parse(b, len, name, d, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    free(b);
}

static const sbom_component *by_name(const sbom_doc *d, const char *name) {
    for (size_t i = 0; i < d->ncomponents; i++)
        if (!strcmp(d->components[i].name, name))
            return &d->components[i];
    fail_msg("no component %s", name);
    /* not reached (fail_msg ends the test); an empty record, never NULL, so
     * that -O3's -Wnull-dereference sees no NULL path in the callers */
    static const sbom_component none;
    return &none;
}

#define assert_str_or_null(a, b)                                                                   \
    do {                                                                                           \
        if ((b) == NULL)                                                                           \
            assert_null(a);                                                                        \
        else {                                                                                     \
            assert_non_null(a);                                                                    \
            assert_string_equal(a, b);                                                             \
        }                                                                                          \
    } while (0)

/* Parses text that must fail and checks the error starts "FILE:LINE:COL:"
 * and mentions `what`; *out must be empty afterwards. */
static void expect_error(const char *text, size_t len, const char *pos, const char *what) {
    sbom_doc d;
    memset(&d, 0x5a, sizeof d);
    char err[256];
    assert_int_equal(sbom_parse(text, len, "bad.sbom", &d, err, sizeof err), -1);
    assert_null(d.components);
    assert_int_equal(d.ncomponents, 0);
    assert_null(d.spec_version);
    char want[64];
    /* pos "3:16" is exact; "3:" fixes the line only */
    snprintf(want, sizeof want, "bad.sbom:%s%s", pos, !*pos || pos[strlen(pos) - 1] == ':' ? "" : ": ");
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("error \"%s\" does not start \"%s\"", err, want);
    if (what && !strstr(err, what))
        fail_msg("error \"%s\" does not mention \"%s\"", err, what);
}
#define EXPECT_ERROR(lit, pos, what) expect_error(lit, sizeof(lit) - 1, pos, what)

static void test_sniff(void **st) {
    (void)st;
    static const struct {
        const char *text;
        sbom_format f;
    } T[] = {
        {"{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.4\"}", SBOM_CYCLONEDX_JSON},
        {"\xEF\xBB\xBF  \n{\"specVersion\":\"1.6\",\"bomFormat\":\"CycloneDX\"}", SBOM_CYCLONEDX_JSON},
        {"{\"spdxVersion\":\"SPDX-2.3\"}", SBOM_SPDX_JSON},
        {"<?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"/>", SBOM_CYCLONEDX_XML},
        {"## comment\nSPDXVersion: SPDX-2.2\n", SBOM_SPDX_TAGVALUE},
        {"{\"name\":\"x\"}", SBOM_UNKNOWN},
        {"<html/>", SBOM_UNKNOWN},
        {"hello", SBOM_UNKNOWN},
        {"", SBOM_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        assert_int_equal(sbom_sniff(T[i].text, strlen(T[i].text)), T[i].f);
    assert_string_equal(sbom_format_name(SBOM_SPDX_TAGVALUE), "spdx-tag-value");
    assert_string_equal(sbom_format_name(SBOM_CYCLONEDX_XML), "cyclonedx-xml");
}

static void test_cdx_json(void **st) {
    (void)st;
    sbom_doc d;
    parse_fixture("cdx15_nested.json", &d);
    assert_int_equal(d.format, SBOM_CYCLONEDX_JSON);
    assert_string_equal(d.spec_version, "1.5");
    assert_string_equal(d.subject, "billing-service");
    assert_string_equal(d.created, "2021-12-11T09:00:00Z");
    assert_string_equal(d.serial, "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79");
    assert_int_equal(d.ncomponents, 5); /* metadata.component is not one */
    const sbom_component *app = by_name(&d, "app-lib"), *core = by_name(&d, "log4j-core"),
                         *sh = by_name(&d, "shaded-thing"), *api = by_name(&d, "log4j-api"),
                         *txt = by_name(&d, "commons-text");
    assert_null(app->parent);
    assert_string_equal(app->supplier, "Example Corp");
    assert_string_equal(app->group, "com.example");
    assert_string_equal(app->purl, "pkg:maven/com.example/app-lib@1.0?type=jar");
    assert_string_equal(core->parent, "app-lib");
    assert_string_equal(core->ref, "core");
    assert_string_equal(core->version, "2.14.1");
    assert_string_equal(core->cpe, "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*");
    assert_string_equal(sh->parent, "core");
    assert_null(sh->version);
    assert_null(sh->purl);
    assert_string_equal(api->version, "[2.0,2.15)");
    assert_string_equal(api->supplier, "Apache");
    assert_null(txt->version); /* "version": null */
    assert_true(sbom_version_needs_review(api->version));
    assert_true(sbom_version_needs_review(txt->version));
    assert_false(sbom_version_needs_review(core->version));
    sbom_doc_free(&d);
    assert_null(d.components);
}

static void test_cdx_xml(void **st) {
    (void)st;
    sbom_doc d;
    parse_fixture("cdx12.xml", &d);
    assert_int_equal(d.format, SBOM_CYCLONEDX_XML);
    assert_string_equal(d.spec_version, "1.2");
    assert_string_equal(d.subject, "payments");
    assert_string_equal(d.created, "2021-12-14T10:00:00Z");
    assert_string_equal(d.serial, "urn:uuid:8d3a4f1b-0000-4000-8000-000000000001");
    assert_int_equal(d.ncomponents, 3);
    const sbom_component *l1 = by_name(&d, "log4j"), *in = by_name(&d, "inner & shaded"),
                         *nv = by_name(&d, "noversion");
    assert_string_equal(l1->version, "1.2.17");
    assert_string_equal(l1->group, "log4j");
    assert_string_equal(l1->purl, "pkg:maven/log4j/log4j@1.2.17");
    assert_string_equal(l1->cpe, "cpe:2.3:a:apache:log4j:1.2.17:*:*:*:*:*:*:*");
    assert_string_equal(l1->ref, "pkg:maven/log4j/log4j@1.2.17");
    assert_string_equal(l1->supplier, "Apache");
    assert_int_equal(l1->line, 8);
    assert_string_equal(in->parent, "pkg:maven/log4j/log4j@1.2.17");
    assert_string_equal(in->version, "2.x"); /* CDATA, trimmed */
    assert_true(sbom_version_needs_review(in->version));
    assert_int_equal(in->line, 16);
    assert_null(nv->version);
    assert_null(nv->parent);
    assert_string_equal(nv->supplier, "Nobody");
    sbom_doc_free(&d);
}

static void test_spdx_json(void **st) {
    (void)st;
    sbom_doc d;
    parse_fixture("spdx23.json", &d);
    assert_int_equal(d.format, SBOM_SPDX_JSON);
    assert_string_equal(d.spec_version, "SPDX-2.3");
    assert_string_equal(d.subject, "image-web-1");
    assert_string_equal(d.serial, "https://example.com/spdx/web-1-1");
    assert_string_equal(d.created, "2021-12-12T08:00:00Z");
    assert_int_equal(d.ncomponents, 4);
    const sbom_component *app = by_name(&d, "web-app"), *core = by_name(&d, "log4j-core"),
                         *txt = by_name(&d, "commons-text"), *two = by_name(&d, "two-parents");
    assert_string_equal(app->supplier, "Example Corp");
    assert_string_equal(app->ref, "SPDXRef-app");
    assert_null(app->parent); /* described by the document: no package parent */
    assert_string_equal(core->supplier, "Apache"); /* supplier NOASSERTION -> originator */
    assert_string_equal(core->purl, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
    assert_string_equal(core->cpe, "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*");
    assert_string_equal(core->parent, "SPDXRef-app");
    assert_null(txt->version); /* NOASSERTION */
    assert_string_equal(txt->parent, "SPDXRef-app"); /* DEPENDENCY_OF, inverse */
    assert_null(two->parent); /* two packages depend on it: not simple */
    sbom_doc_free(&d);
}

static void test_spdx_tv(void **st) {
    (void)st;
    sbom_doc d;
    parse_fixture("spdx22.spdx", &d);
    assert_int_equal(d.format, SBOM_SPDX_TAGVALUE);
    assert_string_equal(d.spec_version, "SPDX-2.2");
    assert_string_equal(d.subject, "host-db-2");
    assert_string_equal(d.serial, "https://example.com/spdx/db-2");
    assert_string_equal(d.created, "2021-12-13T07:00:00Z");
    assert_int_equal(d.ncomponents, 3);
    const sbom_component *srv = by_name(&d, "server"), *core = by_name(&d, "log4j-core"),
                         *l1 = by_name(&d, "log4j");
    assert_int_equal(srv->line, 10);
    assert_string_equal(srv->version, "7");
    assert_string_equal(srv->supplier, "Example Corp");
    assert_int_equal(core->line, 18); /* the <text> lines were counted */
    assert_string_equal(core->ref, "SPDXRef-core"); /* not the file's SPDXID */
    assert_string_equal(core->supplier, "Somebody");
    assert_string_equal(core->purl, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
    assert_string_equal(core->cpe, "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*");
    assert_string_equal(core->parent, "SPDXRef-server");
    assert_null(l1->version);
    assert_string_equal(l1->ref, "SPDXRef-l1");
    assert_int_equal(l1->line, 28);
    sbom_doc_free(&d);
}

static void test_malformed_json(void **st) {
    (void)st;
    /* jansson's own position: line 3, column of the offending token */
    EXPECT_ERROR("{\"bomFormat\":\"CycloneDX\",\n \"components\": [\n  {\"name\": \"a\",,}\n]}",
                 "3:16", NULL);
    /* truncated */
    EXPECT_ERROR("{\"bomFormat\":\"CycloneDX\",\"components\":[{\"name\":\"a\"}", "1:", NULL);
    /* structural: position unknown, the JSON path named */
    EXPECT_ERROR("{\"bomFormat\":\"CycloneDX\",\"components\":[{\"name\":\"a\"},{\"version\":\"1\"}]}",
                 "0:0", "components[1]");
    EXPECT_ERROR("{\"bomFormat\":\"CycloneDX\",\"components\":[{\"name\":\"a\",\"version\":2}]}", "0:0",
                 "components[0].version");
    EXPECT_ERROR("{\"bomFormat\":\"CycloneDX\",\"components\":{}}", "0:0", "not an array");
    EXPECT_ERROR("{\"bomFormat\":\"CycloneDX\",\"bomFormat\":\"CycloneDX\"}", "1:", "duplicate");
    EXPECT_ERROR("{\"spdxVersion\":\"SPDX-3.0\"}", "0:0", "SPDX 2.x");
    EXPECT_ERROR("{\"spdxVersion\":\"SPDX-2.3\",\"packages\":[{\"versionInfo\":\"1\"}]}", "0:0",
                 "packages[0]");
    /* a NUL byte inside a string */
    EXPECT_ERROR("{\"bomFormat\":\"CycloneDX\",\"components\":[{\"name\":\"a\\u0000b\"}]}", "1:", NULL);
    EXPECT_ERROR("not an sbom", "1:1", "not an SBOM");
}

static void test_malformed_xml(void **st) {
    (void)st;
    EXPECT_ERROR("<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">\n"
                 "<components>\n  <component><name>a</nam></component>\n",
                 "4:", "name");
    /* the billion laughs: refused (libxml2's amplification check or our
     * refusal of any DTD), nothing expanded, no hang */
    EXPECT_ERROR("<?xml version=\"1.0\"?>\n<!DOCTYPE bom [\n<!ENTITY a \"aaaaaaaaaa\">\n"
                 "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
                 "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n]>\n"
                 "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"><components><component>"
                 "<name>&c;</name></component></components></bom>\n",
                 "", NULL);
    /* an external entity: never fetched, refused */
    EXPECT_ERROR("<?xml version=\"1.0\"?>\n<!DOCTYPE bom [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
                 "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"><components><component>"
                 "<name>&x;</name></component></components></bom>\n",
                 "2:1", "DTD");
    EXPECT_ERROR("<x xmlns=\"http://cyclonedx.org/schema/bom/1.4\"/>", "1:", "<bom>");
    EXPECT_ERROR("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">\n<components>\n"
                 "<component><version>1</version></component></components></bom>",
                 "3:", "<name>");
}

static void test_malformed_tv(void **st) {
    (void)st;
    EXPECT_ERROR("SPDXVersion: SPDX-2.2\nPackageName: a\n  what is this\n", "3:3", "Tag: value");
    EXPECT_ERROR("SPDXVersion: SPDX-2.2\nPackageVersion: 1\n", "2:1", "outside a package");
    EXPECT_ERROR("SPDXVersion: SPDX-2.2\nPackageName: a\nPackageComment: <text>never\nclosed\n",
                 "3:17", "</text>");
    EXPECT_ERROR("SPDXVersion: SPDX-2.2\nPackageName: a\nExternalRef: SECURITY cpe23Type\n", "3:14",
                 "CATEGORY TYPE LOCATOR");
    EXPECT_ERROR("SPDXVersion: SPDX-2.2\nPackageName: a\xff\n", "2:1", "UTF-8");
    EXPECT_ERROR("SPDXVersion: SPDX-2.2\nPackageName: a\0b\n", "2:1", "UTF-8");
    EXPECT_ERROR("SPDXVersion: SPDX-3.0\n", "1:14", "SPDX 2.x");
    EXPECT_ERROR("SPDXVersion: SPDX-2.2\nPackageName:\n", "2:13", "empty");
}

/* A document that fails after components were read leaves nothing behind
 * (ASan would also report a leak). */
static void test_no_partial_result(void **st) {
    (void)st;
    EXPECT_ERROR("{\"bomFormat\":\"CycloneDX\",\"components\":[{\"name\":\"a\",\"version\":\"1\"},"
                 "{\"name\":\"b\",\"components\":[{\"name\":\"c\"},{\"purl\":\"x\"}]}]}",
                 "0:0", "without a name");
    EXPECT_ERROR("SPDXVersion: SPDX-2.2\nPackageName: a\nPackageName: b\n\x01\n", "4:1", "Tag: value");
}

/* Nesting at the bound is read; one more level is refused. */
static char *nested_json(unsigned levels) {
    size_t cap = (size_t)levels * 64 + 128;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t o = (size_t)snprintf(b, cap, "{\"bomFormat\":\"CycloneDX\",\"components\":[");
    for (unsigned i = 0; i < levels; i++)
        o += (size_t)snprintf(b + o, cap - o, "{\"name\":\"n%u\",\"components\":[", i);
    o += (size_t)snprintf(b + o, cap - o, "{\"name\":\"leaf\"}");
    for (unsigned i = 0; i < levels; i++)
        o += (size_t)snprintf(b + o, cap - o, "]}");
    snprintf(b + o, cap - o, "]}");
    return b;
}

static char *nested_xml(unsigned levels) {
    size_t cap = (size_t)levels * 64 + 256;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t o = (size_t)snprintf(b, cap, "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"><components>");
    for (unsigned i = 0; i < levels; i++)
        o += (size_t)snprintf(b + o, cap - o, "<component><name>n%u</name><components>", i);
    o += (size_t)snprintf(b + o, cap - o, "<component><name>leaf</name></component>");
    for (unsigned i = 0; i < levels; i++)
        o += (size_t)snprintf(b + o, cap - o, "</components></component>");
    snprintf(b + o, cap - o, "</components></bom>");
    return b;
}

static void test_depth_limit(void **st) {
    (void)st;
    char *(*gen[])(unsigned) = {nested_json, nested_xml};
    for (size_t g = 0; g < 2; g++) {
        char err[256];
        sbom_doc d;
        char *ok = gen[g](SBOM_MAX_DEPTH - 1);
        if (sbom_parse(ok, strlen(ok), "deep", &d, err, sizeof err) != 0)
            fail_msg("%s", err);
        assert_int_equal(d.ncomponents, SBOM_MAX_DEPTH);
        assert_string_equal(d.components[SBOM_MAX_DEPTH - 1].name, "leaf");
        assert_string_equal(d.components[SBOM_MAX_DEPTH - 1].parent, "n62");
        sbom_doc_free(&d);
        free(ok);
        char *bad = gen[g](SBOM_MAX_DEPTH);
        assert_int_equal(sbom_parse(bad, strlen(bad), "deep", &d, err, sizeof err), -1);
        assert_non_null(strstr(err, "nested deeper"));
        assert_int_equal(d.ncomponents, 0);
        free(bad);
    }
}

static void test_size_limit(void **st) {
    (void)st;
    sbom_doc d;
    char err[128];
    /* the length is checked before the buffer is read */
    assert_int_equal(sbom_parse("{", SBOM_MAX_BYTES + 1, "big", &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "larger than"));
    /* a short error buffer is never overrun and stays terminated */
    char small[12];
    assert_int_equal(sbom_parse("x", 1, "a-long-file-name.json", &d, small, sizeof small), -1);
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_count_limit(void **st) {
    (void)st;
    /* SBOM_MAX_COMPONENTS + 1 tiny packages in tag-value (~20 MB) */
    size_t n = SBOM_MAX_COMPONENTS + 1, cap = n * 16 + 64;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t o = (size_t)snprintf(b, cap, "SPDXVersion: SPDX-2.2\n");
    for (size_t i = 0; i < n; i++) {
        memcpy(b + o, "PackageName: p\n", 15);
        o += 15;
    }
    sbom_doc d;
    char err[256];
    assert_int_equal(sbom_parse(b, o, "many", &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than"));
    assert_int_equal(d.ncomponents, 0);
    /* exactly the bound is read */
    o -= 15;
    assert_int_equal(sbom_parse(b, o, "many", &d, err, sizeof err), 0);
    assert_int_equal(d.ncomponents, SBOM_MAX_COMPONENTS);
    sbom_doc_free(&d);
    free(b);
}

/* A name that reads like SPDX's "not known" is still a name (found by
 * fuzz_sbom_spdx_tv: "PackageName: NOASSERTION" gave a NULL name). */
static void test_name_kept_as_written(void **st) {
    (void)st;
    static const char *const T[] = {
        "SPDXVersion: SPDX-2.2\nPackageName: NOASSERTION\n",
        "{\"spdxVersion\":\"SPDX-2.3\",\"packages\":[{\"name\":\"NONE\"}]}",
        "{\"bomFormat\":\"CycloneDX\",\"components\":[{\"name\":\"NONE\"}]}",
        ("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.3\"><components><component>"
         "<name>NONE</name></component></components></bom>"),
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        sbom_doc d;
        char err[256];
        if (sbom_parse(T[i], strlen(T[i]), "n", &d, err, sizeof err) != 0)
            fail_msg("%s", err);
        assert_int_equal(d.ncomponents, 1);
        assert_non_null(d.components[0].name);
        assert_true(!strcmp(d.components[0].name, "NOASSERTION") || !strcmp(d.components[0].name, "NONE"));
        sbom_doc_free(&d);
    }
}

/* Component lines past 65535 are reported as they are in XML. */
static void test_xml_big_lines(void **st) {
    (void)st;
    const char *head = "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"><components>";
    const char *tail = "<component><name>a</name></component></components></bom>";
    size_t nl = 70000, hl = strlen(head), tl = strlen(tail);
    char *b = malloc(hl + nl + tl);
    assert_non_null(b);
    memcpy(b, head, hl);
    memset(b + hl, '\n', nl);
    memcpy(b + hl + nl, tail, tl);
    sbom_doc d;
    char err[256];
    if (sbom_parse(b, hl + nl + tl, "big", &d, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(d.ncomponents, 1);
    assert_int_equal(d.components[0].line, 70001);
    sbom_doc_free(&d);
    free(b);
}

static void test_needs_review(void **st) {
    (void)st;
    static const struct {
        const char *v;
        int want;
    } T[] = {
        {NULL, 1},       {"", 1},         {"2.14.1", 0},   {"1.2.17", 0},       {"2.17.1-rc1", 0},
        {"[2.0,2.15)", 1}, {"(,2.15.0]", 1}, {">=2.0", 1},   {"<2.15.0", 1},      {"2.x", 1},
        {"2.x.1", 1},    {"2.xyz", 0},    {"*", 1},        {"^2.14.0", 1},      {"~2.14", 1},
        {"1.0 - 2.0", 1}, {"1 || 2", 1},   {"latest", 1},   {"NOASSERTION", 1}, {"x", 1},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (sbom_version_needs_review(T[i].v) != T[i].want)
            fail_msg("\"%s\": want %d", T[i].v ? T[i].v : "(null)", T[i].want);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),          cmocka_unit_test(test_cdx_json),
        cmocka_unit_test(test_cdx_xml),        cmocka_unit_test(test_spdx_json),
        cmocka_unit_test(test_spdx_tv),        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_malformed_xml),  cmocka_unit_test(test_malformed_tv),
        cmocka_unit_test(test_no_partial_result), cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_size_limit),     cmocka_unit_test(test_count_limit),
        cmocka_unit_test(test_needs_review),   cmocka_unit_test(test_name_kept_as_written),
        cmocka_unit_test(test_xml_big_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
