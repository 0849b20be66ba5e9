/*
 * fuzz_bodytext.c -- libFuzzer target for lib/bodytext.c: the charset
 * detection reads at most four bytes and returns a known charset; the
 * conversion stays inside the documented output size (len / 2 * 3 for
 * UTF-16, len for UTF-32) and writes valid UTF-8; the XML text stays
 * inside its output buffer, never reads past the input (exact-size copies
 * under ASan), and is never longer than the buffer given.  The first byte
 * picks the charset hint and the XML output size.
 */
#include <defuse.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether s[0..n) is well-formed UTF-8 (what the conversion promises). */
static int utf8_ok(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!k || i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
        i += k;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const hints[] = {NULL, "utf-16", "UTF-16LE", "utf-32", "IBM037", "latin1"};
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    data++;
    size--;
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    const char *hint = hints[sel % 6];
    size_t skip = 99;
    defuse_charset cs = defuse_charset_detect(buf, size, hint, hint ? strlen(hint) : 0, &skip);
    if ((unsigned)cs >= DEFUSE_CHARSET_COUNT || skip > 4 || skip > size)
        abort();
    size_t cap = cs == DEFUSE_CHARSET_UTF8     ? size
                 : cs == DEFUSE_CHARSET_EBCDIC ? (size - skip) * 2
                                               : (size - skip) / 2 * 3;
    char *out = malloc(cap ? cap : 1);
    if (out) {
        size_t n = defuse_charset_to_utf8(cs, buf + skip, size - skip, out, cap);
        if (n > cap || (cs != DEFUSE_CHARSET_UTF8 && !utf8_ok((unsigned char *)out, n)))
            abort();
        free(out);
    }
    size_t xcap = (sel >> 3) % 2 ? size * 8 + 64 : (sel >> 3) % 32;
    out = malloc(xcap ? xcap : 1);
    if (out) {
        int cut = -1;
        size_t n = defuse_xml_text(buf, size, out, xcap, &cut);
        if (n > xcap || (cut != 0 && cut != 1))
            abort();
        free(out);
    }
    free(buf);
    return 0;
}
