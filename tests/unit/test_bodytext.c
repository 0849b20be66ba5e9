/*
 * test_bodytext.c -- lib/bodytext.c: the charset a Java application decodes
 * a body with (Jackson's and Java's rules), the conversion to UTF-8, and the
 * text content of XML as a DOM parser gives it, with its bounds.  The
 * encoded inputs are written out byte by byte (UTF-16LE of "{" is 7B 00).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <defuse.h>
#include <stdlib.h>
#include <string.h>

static defuse_charset det(const char *b, size_t n, const char *hint, size_t *skip) {
    return defuse_charset_detect(b, n, hint, hint ? strlen(hint) : 0, skip);
}

static void detect(void **state) {
    (void)state;
    size_t skip = 99;
    /* RFC 4627 section 3 patterns, no BOM, no hint */
    assert_int_equal(det("\0\0\0{", 4, NULL, &skip), DEFUSE_CHARSET_UTF32BE);
    assert_int_equal(skip, 0);
    assert_int_equal(det("{\0\0\0", 4, NULL, NULL), DEFUSE_CHARSET_UTF32LE);
    assert_int_equal(det("\0{\0\"", 4, NULL, NULL), DEFUSE_CHARSET_UTF16BE);
    assert_int_equal(det("{\0\"\0", 4, NULL, NULL), DEFUSE_CHARSET_UTF16LE);
    assert_int_equal(det("<\0?\0", 4, NULL, NULL), DEFUSE_CHARSET_UTF16LE); /* <?xml */
    assert_int_equal(det("{\"a\"", 4, NULL, NULL), DEFUSE_CHARSET_UTF8);
    assert_int_equal(det("{", 1, NULL, NULL), DEFUSE_CHARSET_UTF8);
    assert_int_equal(det("", 0, NULL, NULL), DEFUSE_CHARSET_UTF8);
    /* BOMs */
    assert_int_equal(det("\xff\xfe{\0", 4, NULL, &skip), DEFUSE_CHARSET_UTF16LE);
    assert_int_equal(skip, 2);
    assert_int_equal(det("\xfe\xff\0{", 4, NULL, &skip), DEFUSE_CHARSET_UTF16BE);
    assert_int_equal(det("\xff\xfe\0\0{\0\0\0", 8, NULL, &skip), DEFUSE_CHARSET_UTF32LE);
    assert_int_equal(skip, 4);
    assert_int_equal(det("\0\0\xfe\xff\0\0\0{", 8, NULL, &skip), DEFUSE_CHARSET_UTF32BE);
    assert_int_equal(det("\xef\xbb\xbf{", 4, NULL, &skip), DEFUSE_CHARSET_UTF8);
    assert_int_equal(skip, 3);
    /* declared charsets: a BOM decides the order of "utf-16", else BE */
    assert_int_equal(det("ab", 2, "utf-16", &skip), DEFUSE_CHARSET_UTF16BE);
    assert_int_equal(skip, 0);
    assert_int_equal(det("\xff\xfe" "a\0", 4, "UTF-16", &skip), DEFUSE_CHARSET_UTF16LE);
    assert_int_equal(skip, 2);
    assert_int_equal(det("a\0b\0", 4, "utf-16le", NULL), DEFUSE_CHARSET_UTF16LE);
    assert_int_equal(det("abcd", 4, "UTF-32LE", NULL), DEFUSE_CHARSET_UTF32LE);
    assert_int_equal(det("\0a\0b", 4, "utf-8", NULL), DEFUSE_CHARSET_UTF16BE); /* hint not UTF-16/32 */
    assert_int_equal(det("abcd", 4, "utf-16x", NULL), DEFUSE_CHARSET_UTF8);
    /* EBCDIC: "<?xm" (XML 1.0 Appendix F) or a declared code page */
    assert_int_equal(det("\x4c\x6f\xa7\x94", 4, NULL, NULL), DEFUSE_CHARSET_EBCDIC);
    assert_int_equal(det("\x5b\xc0", 2, "IBM1047", NULL), DEFUSE_CHARSET_EBCDIC);
    assert_int_equal(det("\x5b\xc0", 2, "cp037", NULL), DEFUSE_CHARSET_EBCDIC);
    assert_string_equal(defuse_charset_name(DEFUSE_CHARSET_UTF32LE), "utf-32le");
    assert_string_equal(defuse_charset_name(DEFUSE_CHARSET_EBCDIC), "ebcdic");
    assert_string_equal(defuse_charset_name((defuse_charset)99), "unknown");
}

static void convert(void **state) {
    (void)state;
    char out[64];
    /* "${" + U+1F600 (surrogate pair) + lone surrogate + "}" in UTF-16LE */
    static const char le[] = "$\0{\0\x3d\xd8\x00\xde\x00\xd8}\0";
    size_t n = defuse_charset_to_utf8(DEFUSE_CHARSET_UTF16LE, le, sizeof(le) - 1, out, sizeof(out));
    assert_int_equal(n, 2 + 4 + 3 + 1);
    assert_memory_equal(out, "${\xf0\x9f\x98\x80\xef\xbf\xbd}", n);
    static const char be32[] = "\0\0\0$\0\0\0{\0\x11\0\0\0\0\0}x"; /* past U+10FFFF, trailing byte */
    n = defuse_charset_to_utf8(DEFUSE_CHARSET_UTF32BE, be32, sizeof(be32) - 1, out, sizeof(out));
    assert_int_equal(n, 6);
    assert_memory_equal(out, "${\xef\xbf\xbd}", n);
    /* the output bound: stops at a whole character */
    n = defuse_charset_to_utf8(DEFUSE_CHARSET_UTF16LE, le, sizeof(le) - 1, out, 5);
    assert_int_equal(n, 2);
    /* EBCDIC: "${jndi:" in IBM037 (Python's cp037 codec), and a byte that
     * maps past ASCII (0x41 is U+00A0: two bytes of UTF-8) */
    static const char e[] = "\x5b\xc0\x91\x95\x84\x89\x7a\x41";
    n = defuse_charset_to_utf8(DEFUSE_CHARSET_EBCDIC, e, sizeof(e) - 1, out, sizeof(out));
    assert_int_equal(n, 9);
    assert_memory_equal(out, "${jndi:\xc2\xa0", n);
    /* worst case: len / 2 * 3 */
    static const char wide[] = "\xac\x20\xac\x20"; /* U+20AC twice */
    n = defuse_charset_to_utf8(DEFUSE_CHARSET_UTF16LE, wide, 4, out, 6);
    assert_int_equal(n, 6);
}

static void expect_xml(const char *xml, const char *want, int want_cut) {
    char out[4096];
    int cut = -1;
    size_t n = defuse_xml_text(xml, strlen(xml), out, sizeof(out), &cut);
    if (n != strlen(want) || memcmp(out, want, n) != 0 || cut != want_cut)
        fail_msg("%s: got [%.*s] cut %d, want [%s] cut %d", xml, (int)n, out, cut, want, want_cut);
}

static void xml(void **state) {
    (void)state;
    expect_xml("<a>$<![CDATA[]]>{jndi:x}</a>", "${jndi:x}", 0);
    expect_xml("<a><![CDATA[$]]><![CDATA[{jndi:x}]]></a>", "${jndi:x}", 0);
    expect_xml("<?xml version=\"1.0\"?><a>$<!-- } -->{x}</a>", "${x}", 0);
    expect_xml("<a>$<b attr=\"x>y\"/>{x}</a>", "${x}\nx>y", 0);
    expect_xml("<!DOCTYPE a [<!ENTITY d \"$\">]><a u='&d;{x}' v=\"&#36;{y}\">t</a>", "t\n${x}\n${y}", 0);
    expect_xml("<!DOCTYPE a [<!ENTITY d \"$\">]><a>&d;{x}</a>", "${x}", 0);
    expect_xml("<!DOCTYPE a [<!ENTITY e \"$\"><!ENTITY d '&e;'>]><a>&d;{x}</a>", "${x}", 0);
    expect_xml("<!DOCTYPE a [<!ENTITY d \"$\"><!ENTITY d \"#\">]><a>&d;</a>", "$", 0); /* first wins */
    expect_xml("<!DOCTYPE a [<!ENTITY x SYSTEM \"http://evil.example/\">]><a>&x;</a>", "&x;", 0);
    expect_xml("<!DOCTYPE a [<!ENTITY % p \"$\">]><a>&p;</a>", "&p;", 0);
    expect_xml("<a>&#36;&#x7b;&lt;&amp;&unknown; & &#xZZ;</a>", "${<&&unknown; & &#xZZ;", 0);
    expect_xml("<a>$</a><b>{x}</b>", "${x}", 0);
    expect_xml("<a>unterminated <![CDATA[${x", "unterminated ${x", 0);
    expect_xml("plain ${x} text", "plain ${x} text", 0);
    /* a recursive entity stops at the depth limit */
    expect_xml("<!DOCTYPE a [<!ENTITY r \"x&r;\">]><a>&r;</a>", "xxxxxxxx", 1);
}

static void xml_bomb(void **state) {
    (void)state;
    /* billion laughs: 10^9 "a" declared; output and work stay bounded */
    static const char bomb[] =
        "<!DOCTYPE a [<!ENTITY a \"aaaaaaaaaa\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
        "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
        "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
        "<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">]><a>&h;&h;&h;</a>";
    size_t cap = 1 << 24;
    char *out = malloc(cap);
    assert_non_null(out);
    int cut = 0;
    size_t n = defuse_xml_text(bomb, sizeof(bomb) - 1, out, cap, &cut);
    assert_int_equal(cut, 1);
    assert_true(n <= (sizeof(bomb) - 1) * 8 + 65536);
    /* empty entities: work is bounded even when nothing is written */
    static const char empty[] =
        "<!DOCTYPE a [<!ENTITY a \"\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
        "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
        "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
        "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">]><a>&f;&f;&f;&f;</a>";
    n = defuse_xml_text(empty, sizeof(empty) - 1, out, cap, &cut);
    assert_int_equal(n, 0);
    assert_int_equal(cut, 1);
    /* the output bound */
    n = defuse_xml_text("<a>0123456789</a>", 17, out, 4, &cut);
    assert_int_equal(n, 4);
    assert_int_equal(cut, 1);
    assert_int_equal(defuse_xml_text(NULL, 0, out, cap, &cut), 0);
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(detect), cmocka_unit_test(convert),
                                       cmocka_unit_test(xml), cmocka_unit_test(xml_bomb)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
