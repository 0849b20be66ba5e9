/*
 * bodytext.c -- request bodies as a Java application reads them, for
 * front ends that scan HTTP bodies (the nginx module; the honeypot may use
 * it too): the Unicode encoding form (or EBCDIC) a JSON/XML parser or a
 * declared charset selects (defuse_charset_detect, defuse_charset_to_utf8), and the
 * text content a DOM parser gives of an XML document (defuse_xml_text).
 * A payload split by XML markup ("$<![CDATA[]]>{jndi:...}") or hidden in
 * UTF-16 is one live "${" in what the application logs.
 *
 * Hand-written rather than iconv(3) and libxml2: the conversion is 40 lines
 * over four fixed encodings (iconv would add a locale-dependent handle per
 * call), and a real XML parser is the wrong tool: it refuses malformed
 * input, resolves external entities, and expands entities without the
 * bounds below -- here every input is processed as far as it goes, never
 * fetched, and both output and work are bounded.
 */
#include "defuse.h"
#include <stdbool.h>
#include <string.h>

/* ---- charsets ------------------------------------------------------------ */

static const char *const cs_names[DEFUSE_CHARSET_COUNT] = {
    [DEFUSE_CHARSET_UTF8] = "utf-8",       [DEFUSE_CHARSET_UTF16BE] = "utf-16be",
    [DEFUSE_CHARSET_UTF16LE] = "utf-16le", [DEFUSE_CHARSET_UTF32BE] = "utf-32be",
    [DEFUSE_CHARSET_UTF32LE] = "utf-32le", [DEFUSE_CHARSET_EBCDIC] = "ebcdic",
};

/* IBM037 (EBCDIC, US/Canada) to Latin-1, generated with Python's cp037
 * codec: bytes(range(256)).decode("cp037").  The characters of a lookup
 * ($ { } : / . letters, digits, - _) sit at the same codes in IBM500,
 * IBM1047 and IBM1140, which differ from it only in ! [ ] ^ | and the
 * currency sign. */
static const unsigned char ebcdic037[256] = {
    0x00, 0x01, 0x02, 0x03, 0x9c, 0x09, 0x86, 0x7f, 0x97, 0x8d, 0x8e, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x9d, 0x85, 0x08, 0x87, 0x18, 0x19, 0x92, 0x8f, 0x1c, 0x1d, 0x1e, 0x1f,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x0a, 0x17, 0x1b, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x05, 0x06, 0x07,
    0x90, 0x91, 0x16, 0x93, 0x94, 0x95, 0x96, 0x04, 0x98, 0x99, 0x9a, 0x9b, 0x14, 0x15, 0x9e, 0x1a,
    0x20, 0xa0, 0xe2, 0xe4, 0xe0, 0xe1, 0xe3, 0xe5, 0xe7, 0xf1, 0xa2, 0x2e, 0x3c, 0x28, 0x2b, 0x7c,
    0x26, 0xe9, 0xea, 0xeb, 0xe8, 0xed, 0xee, 0xef, 0xec, 0xdf, 0x21, 0x24, 0x2a, 0x29, 0x3b, 0xac,
    0x2d, 0x2f, 0xc2, 0xc4, 0xc0, 0xc1, 0xc3, 0xc5, 0xc7, 0xd1, 0xa6, 0x2c, 0x25, 0x5f, 0x3e, 0x3f,
    0xf8, 0xc9, 0xca, 0xcb, 0xc8, 0xcd, 0xce, 0xcf, 0xcc, 0x60, 0x3a, 0x23, 0x40, 0x27, 0x3d, 0x22,
    0xd8, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0xab, 0xbb, 0xf0, 0xfd, 0xfe, 0xb1,
    0xb0, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0xaa, 0xba, 0xe6, 0xb8, 0xc6, 0xa4,
    0xb5, 0x7e, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0xa1, 0xbf, 0xd0, 0xdd, 0xde, 0xae,
    0x5e, 0xa3, 0xa5, 0xb7, 0xa9, 0xa7, 0xb6, 0xbc, 0xbd, 0xbe, 0x5b, 0x5d, 0xaf, 0xa8, 0xb4, 0xd7,
    0x7b, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0xad, 0xf4, 0xf6, 0xf2, 0xf3, 0xf5,
    0x7d, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0xb9, 0xfb, 0xfc, 0xf9, 0xfa, 0xff,
    0x5c, 0xf7, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0xb2, 0xd4, 0xd6, 0xd2, 0xd3, 0xd5,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0xb3, 0xdb, 0xdc, 0xd9, 0xda, 0x9f,

};

const char *defuse_charset_name(defuse_charset cs) {
    return (unsigned)cs < DEFUSE_CHARSET_COUNT ? cs_names[cs] : "unknown";
}

/* Declared charsets, compared case-insensitively.  "utf-16"/"utf-32" (and
 * Java's "unicode") have no byte order: a BOM decides, else big-endian, as
 * Java's decoders do. */
static const struct {
    const char *name;
    defuse_charset cs;
    bool bom_decides;
} cs_hints[] = {
    {"utf-16", DEFUSE_CHARSET_UTF16BE, true},   {"utf16", DEFUSE_CHARSET_UTF16BE, true},
    {"unicode", DEFUSE_CHARSET_UTF16BE, true},  {"utf-16be", DEFUSE_CHARSET_UTF16BE, false},
    {"utf-16le", DEFUSE_CHARSET_UTF16LE, false}, {"utf-32", DEFUSE_CHARSET_UTF32BE, true},
    {"utf32", DEFUSE_CHARSET_UTF32BE, true},    {"utf-32be", DEFUSE_CHARSET_UTF32BE, false},
    {"utf-32le", DEFUSE_CHARSET_UTF32LE, false}, {"ucs-2", DEFUSE_CHARSET_UTF16BE, true},
    {"x-utf-16le-bom", DEFUSE_CHARSET_UTF16LE, false},
    {"ibm037", DEFUSE_CHARSET_EBCDIC, false},   {"ibm-037", DEFUSE_CHARSET_EBCDIC, false},
    {"cp037", DEFUSE_CHARSET_EBCDIC, false},    {"ebcdic-cp-us", DEFUSE_CHARSET_EBCDIC, false},
    {"ebcdic-cp-ca", DEFUSE_CHARSET_EBCDIC, false}, {"ibm500", DEFUSE_CHARSET_EBCDIC, false},
    {"cp500", DEFUSE_CHARSET_EBCDIC, false},    {"ibm1047", DEFUSE_CHARSET_EBCDIC, false},
    {"cp1047", DEFUSE_CHARSET_EBCDIC, false},   {"ibm1140", DEFUSE_CHARSET_EBCDIC, false},
    {"cp1140", DEFUSE_CHARSET_EBCDIC, false},   {"ibm-1047", DEFUSE_CHARSET_EBCDIC, false},
};

static bool eq_icase(const char *a, size_t alen, const char *b) {
    size_t i;
    for (i = 0; i < alen && b[i]; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if ((x >= 'A' && x <= 'Z' ? x | 0x20 : x) != y)
            return false;
    }
    return i == alen && b[i] == '\0';
}

/* A BOM: its encoding and length, or 0. */
static size_t bom(const unsigned char *b, size_t len, defuse_charset *cs) {
    if (len >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xfe && b[3] == 0xff)
        return *cs = DEFUSE_CHARSET_UTF32BE, 4;
    if (len >= 4 && b[0] == 0xff && b[1] == 0xfe && b[2] == 0 && b[3] == 0)
        return *cs = DEFUSE_CHARSET_UTF32LE, 4;
    if (len >= 2 && b[0] == 0xfe && b[1] == 0xff)
        return *cs = DEFUSE_CHARSET_UTF16BE, 2;
    if (len >= 2 && b[0] == 0xff && b[1] == 0xfe)
        return *cs = DEFUSE_CHARSET_UTF16LE, 2;
    if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
        return *cs = DEFUSE_CHARSET_UTF8, 3;
    return 0;
}

defuse_charset defuse_charset_detect(const char *buf, size_t len, const char *hint,
                                     size_t hint_len, size_t *skip) {
    const unsigned char *b = (const unsigned char *)buf;
    defuse_charset cs = DEFUSE_CHARSET_UTF8, bcs = DEFUSE_CHARSET_UTF8;
    size_t n = buf ? bom(b, len, &bcs) : 0, dummy;
    if (!skip)
        skip = &dummy;
    *skip = 0;
    if (!buf)
        return cs;

    /* 1. a declared UTF-16/32 charset (Spring hands the body to Jackson
     * through a reader of that charset) */
    for (size_t i = 0; hint && i < sizeof(cs_hints) / sizeof(cs_hints[0]); i++) {
        if (!eq_icase(hint, hint_len, cs_hints[i].name))
            continue;
        cs = cs_hints[i].cs;
        if (cs_hints[i].bom_decides && n && bcs != DEFUSE_CHARSET_UTF8) {
            /* a UTF-16 BOM decides "utf-16"; a UTF-32 one "utf-32" */
            bool w32 = cs == DEFUSE_CHARSET_UTF32BE;
            bool b32 = bcs == DEFUSE_CHARSET_UTF32BE || bcs == DEFUSE_CHARSET_UTF32LE;
            if (w32 == b32) {
                *skip = n;
                return bcs;
            }
        }
        if (n && bcs == cs)
            *skip = n;
        return cs;
    }
    /* 2. a BOM (Jackson, Xerces) */
    if (n) {
        *skip = n;
        return bcs;
    }
    /* 3. the zero bytes among the first four: Jackson's
     * ByteSourceJsonBootstrapper (RFC 4627 section 3: UTF-32 by four bytes,
     * then UTF-16 by two), which also covers XML 1.0 Appendix F's "<?" */
    if (len >= 4) {
        if (b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] != 0)
            return DEFUSE_CHARSET_UTF32BE;
        if (b[0] != 0 && b[1] == 0 && b[2] == 0 && b[3] == 0)
            return DEFUSE_CHARSET_UTF32LE;
    }
    /* "<?xm" in EBCDIC (XML 1.0 Appendix F): Xerces reads the declaration
     * and decodes with the EBCDIC code page it names */
    if (len >= 4 && b[0] == 0x4c && b[1] == 0x6f && b[2] == 0xa7 && b[3] == 0x94)
        return DEFUSE_CHARSET_EBCDIC;
    if (len >= 2) {
        if (b[0] == 0 && b[1] != 0)
            return DEFUSE_CHARSET_UTF16BE;
        if (b[0] != 0 && b[1] == 0)
            return DEFUSE_CHARSET_UTF16LE;
    }
    return cs;
}

static size_t put_cp(unsigned char *o, uint32_t cp) {
    if (cp >= 0xd800 && cp <= 0xdfff)
        cp = 0xfffd;
    if (cp > 0x10ffff)
        cp = 0xfffd;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

size_t defuse_charset_to_utf8(defuse_charset cs, const char *buf, size_t len, char *out,
                              size_t outsz) {
    const unsigned char *b = (const unsigned char *)buf;
    unsigned char *o = (unsigned char *)out, tmp[4];
    size_t i = 0, n = 0, k;
    if (!buf || !out)
        return 0;
    if (cs == DEFUSE_CHARSET_UTF8 || (unsigned)cs >= DEFUSE_CHARSET_COUNT) {
        n = len < outsz ? len : outsz;
        memcpy(out, buf, n);
        return n;
    }
    if (cs == DEFUSE_CHARSET_EBCDIC) {
        for (i = 0; i < len; i++) {
            k = put_cp(tmp, ebcdic037[b[i]]);
            if (n + k > outsz)
                break;
            memcpy(o + n, tmp, k);
            n += k;
        }
        return n;
    }
    size_t unit = cs == DEFUSE_CHARSET_UTF16BE || cs == DEFUSE_CHARSET_UTF16LE ? 2 : 4;
    bool be = cs == DEFUSE_CHARSET_UTF16BE || cs == DEFUSE_CHARSET_UTF32BE;
    while (i + unit <= len) {
        uint32_t cp;
        if (unit == 2) {
            cp = be ? (uint32_t)b[i] << 8 | b[i + 1] : (uint32_t)b[i + 1] << 8 | b[i];
            i += 2;
            if (cp >= 0xd800 && cp <= 0xdbff && i + 2 <= len) {
                uint32_t lo = be ? (uint32_t)b[i] << 8 | b[i + 1] : (uint32_t)b[i + 1] << 8 | b[i];
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 2;
                }
            }
        } else {
            cp = be ? (uint32_t)b[i] << 24 | (uint32_t)b[i + 1] << 16 | (uint32_t)b[i + 2] << 8 | b[i + 3]
                    : (uint32_t)b[i + 3] << 24 | (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 1] << 8 | b[i];
            i += 4;
        }
        k = put_cp(tmp, cp);
        if (n + k > outsz)
            break;
        memcpy(o + n, tmp, k);
        n += k;
    }
    return n;
}

/* ---- XML text content ------------------------------------------------------ */

/* Internal entities remembered per document, and the longest name. */
#define XML_MAX_ENTITIES 64
#define XML_MAX_NAME 128
/* Entity references expanded inside entity values, nested. */
#define XML_MAX_DEPTH 8
/* Work units (bytes read, references followed) per input byte, plus a
 * constant: a billion-laughs document stops here, not in memory. */
#define XML_WORK_PER_BYTE 8
#define XML_WORK_CONSTANT 65536

typedef struct {
    const char *name, *value;
    size_t name_len, value_len;
} xml_entity;

typedef struct {
    unsigned char *out;
    size_t n, outsz;
    size_t work, max_work;
    bool cut;
    bool attrs; /* second pass: attribute values only */
    bool mute;  /* text is not written (second pass, outside values) */
    xml_entity ent[XML_MAX_ENTITIES];
    size_t nent;
} xml_ctx;

static void xput(xml_ctx *x, const void *s, size_t k) {
    if (x->mute)
        return;
    if (x->n + k > x->outsz) {
        k = x->outsz - x->n;
        x->cut = true;
    }
    memcpy(x->out + x->n, s, k);
    x->n += k;
}

static bool spend(xml_ctx *x, size_t k) {
    x->work += k;
    if (x->work > x->max_work)
        x->cut = true;
    return !x->cut;
}

/* Offset of needle in s[i..e), or e. */
static size_t find(const char *s, size_t i, size_t e, const char *needle) {
    size_t k = strlen(needle);
    for (; i + k <= e; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, k) == 0)
            return i;
    return e;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static bool starts(const char *s, size_t i, size_t e, const char *lit) {
    size_t k = strlen(lit);
    return i + k <= e && memcmp(s + i, lit, k) == 0;
}

/* The internal subset of a DOCTYPE at s[i..e) (after '['): records
 * <!ENTITY name "value"> (general, internal; the first declaration wins);
 * returns the offset after the closing "]". */
static size_t xml_subset(xml_ctx *x, const char *s, size_t i, size_t e) {
    while (i < e && s[i] != ']') {
        if (starts(s, i, e, "<!--")) {
            i = find(s, i + 4, e, "-->");
            i = i < e ? i + 3 : e;
        } else if (starts(s, i, e, "<!ENTITY")) {
            size_t p = i + 8, ns, ne;
            while (p < e && is_space(s[p]))
                p++;
            bool param = p < e && s[p] == '%';
            if (param)
                p++;
            while (p < e && is_space(s[p]))
                p++;
            ns = p;
            while (p < e && !is_space(s[p]) && s[p] != '"' && s[p] != '\'' && s[p] != '>')
                p++;
            ne = p;
            while (p < e && is_space(s[p]))
                p++;
            if (p < e && (s[p] == '"' || s[p] == '\'')) {
                char q = s[p];
                size_t vs = ++p;
                while (p < e && s[p] != q)
                    p++;
                bool known = false;
                for (size_t k = 0; k < x->nent; k++)
                    known |= x->ent[k].name_len == ne - ns &&
                             memcmp(x->ent[k].name, s + ns, ne - ns) == 0;
                if (!param && !known && ne > ns && ne - ns <= XML_MAX_NAME &&
                    x->nent < XML_MAX_ENTITIES)
                    x->ent[x->nent++] = (xml_entity){s + ns, s + vs, ne - ns, p - vs};
                if (p < e)
                    p++;
            }
            /* to the end of the declaration (SYSTEM/PUBLIC ids are skipped,
             * never fetched) */
            while (p < e && s[p] != '>') {
                if (s[p] == '"' || s[p] == '\'') {
                    char q = s[p++];
                    while (p < e && s[p] != q)
                        p++;
                }
                if (p < e)
                    p++;
            }
            i = p < e ? p + 1 : e;
        } else if (s[i] == '"' || s[i] == '\'') {
            char q = s[i++];
            while (i < e && s[i] != q)
                i++;
            if (i < e)
                i++;
        } else {
            i++;
        }
        if (!spend(x, 1))
            return e;
    }
    return i < e ? i + 1 : e;
}

static void xml_content(xml_ctx *x, const char *s, size_t e, unsigned depth, bool top);

/* A reference at s[i] == '&': its replacement written; returns the offset
 * after it. */
static size_t xml_ref(xml_ctx *x, const char *s, size_t i, size_t e, unsigned depth) {
    static const struct {
        const char *name;
        char c;
    } predefined[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    size_t semi = i + 1;
    while (semi < e && semi - i <= XML_MAX_NAME + 2 && s[semi] != ';' && s[semi] != '&' &&
           s[semi] != '<' && !is_space(s[semi]))
        semi++;
    if (semi >= e || s[semi] != ';' || semi == i + 1) {
        xput(x, "&", 1);
        return i + 1;
    }
    const char *name = s + i + 1;
    size_t nl = semi - i - 1;
    if (name[0] == '#') {
        uint32_t cp = 0;
        bool hex = nl > 1 && (name[1] == 'x' || name[1] == 'X'), ok = nl > (hex ? 2u : 1u);
        for (size_t k = hex ? 2 : 1; k < nl && ok; k++) {
            char c = name[k];
            int v = c >= '0' && c <= '9' ? c - '0'
                    : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                  : -1;
            ok = v >= 0;
            cp = cp * (hex ? 16u : 10u) + (uint32_t)(v < 0 ? 0 : v);
            if (cp > 0x10ffff)
                ok = false;
        }
        if (ok) {
            unsigned char tmp[4];
            xput(x, tmp, put_cp(tmp, cp));
        } else {
            xput(x, s + i, semi + 1 - i);
        }
        return semi + 1;
    }
    for (size_t k = 0; k < sizeof(predefined) / sizeof(predefined[0]); k++)
        if (strlen(predefined[k].name) == nl && memcmp(predefined[k].name, name, nl) == 0) {
            xput(x, &predefined[k].c, 1);
            return semi + 1;
        }
    for (size_t k = 0; k < x->nent; k++)
        if (x->ent[k].name_len == nl && memcmp(x->ent[k].name, name, nl) == 0) {
            if (depth < XML_MAX_DEPTH && spend(x, 1))
                xml_content(x, x->ent[k].value, x->ent[k].value_len, depth + 1, false);
            else
                x->cut = true;
            return semi + 1;
        }
    xput(x, s + i, semi + 1 - i); /* unknown: kept as written */
    return semi + 1;
}

/* Content s[0..e): text and references kept, markup dropped, CDATA
 * unwrapped; the DOCTYPE's internal subset read (top level only). */
static void xml_content(xml_ctx *x, const char *s, size_t e, unsigned depth, bool top) {
    size_t i = 0, j;
    while (i < e && !x->cut) {
        if (s[i] == '&') {
            i = xml_ref(x, s, i, e, depth);
        } else if (s[i] != '<') {
            for (j = i; j < e && s[j] != '&' && s[j] != '<'; j++)
                ;
            if (!spend(x, j - i))
                return;
            xput(x, s + i, j - i);
            i = j;
        } else if (starts(s, i, e, "<![CDATA[")) {
            j = find(s, i + 9, e, "]]>");
            if (!spend(x, j - i))
                return;
            xput(x, s + i + 9, j - i - 9);
            i = j < e ? j + 3 : e;
        } else if (starts(s, i, e, "<!--")) {
            j = find(s, i + 4, e, "-->");
            i = j < e ? j + 3 : e;
        } else if (starts(s, i, e, "<?")) {
            j = find(s, i + 2, e, "?>");
            i = j < e ? j + 2 : e;
        } else if (top && starts(s, i, e, "<!DOCTYPE")) {
            for (j = i + 9; j < e && s[j] != '[' && s[j] != '>'; j++)
                ;
            if (j < e && s[j] == '[')
                j = xml_subset(x, s, j + 1, e);
            while (j < e && s[j] != '>')
                j++;
            i = j < e ? j + 1 : e;
        } else {
            /* a tag: to its '>', attribute values may hold '>'; in the
             * second pass each value is written on a line of its own */
            for (j = i + 1; j < e && s[j] != '>'; j++)
                if (s[j] == '"' || s[j] == '\'') {
                    char q = s[j++];
                    size_t vs = j;
                    while (j < e && s[j] != q)
                        j++;
                    if (x->attrs) {
                        x->mute = false;
                        xput(x, "\n", 1);
                        xml_content(x, s + vs, j - vs, depth, false);
                        x->mute = true;
                    }
                    if (j >= e)
                        break;
                }
            i = j < e ? j + 1 : e;
        }
        if (!spend(x, 1))
            return;
    }
}

size_t defuse_xml_text(const char *buf, size_t len, char *out, size_t outsz, int *truncated) {
    xml_ctx x;
    if (truncated)
        *truncated = 0;
    if (!buf || !out)
        return 0;
    memset(&x, 0, sizeof(x));
    x.out = (unsigned char *)out;
    x.outsz = outsz;
    x.max_work = len * XML_WORK_PER_BYTE + XML_WORK_CONSTANT;
    xml_content(&x, buf, len, 0, true);
    /* then the attribute values (Element.getAttribute()), after the text
     * so that they do not split it */
    if (!x.cut && memchr(buf, '=', len)) {
        x.attrs = x.mute = true;
        xml_content(&x, buf, len, 0, true);
    }
    if (truncated)
        *truncated = x.cut;
    return x.n;
}
