/*
 * inventory_util.c -- small helpers of the inventory engine: entry
 * classification (the table of class roles), file-type sniffing, SHA-256,
 * a minimal class-file reader (this_class only), pom.properties/MANIFEST.MF
 * lookup, product and evidence names, limit defaults.
 *
 * SHA-256 is hand-written: libdefuse links no crypto library (libarchive's
 * digests are private) and the build file is not ours to change; it is
 * checked against the FIPS 180-2 vectors in tests/unit/test_inventory.c.
 */
#include "inventory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- names --------------------------------------------------------------- */

static const char *const product_names[DEFUSE_PRODUCT_COUNT] = {"log4j-core", "log4j", "reload4j",
                                                                "commons-text"};

const char *defuse_product_name(defuse_product p) {
    return (unsigned)p < DEFUSE_PRODUCT_COUNT ? product_names[p] : "unknown";
}

static const struct {
    unsigned bit;
    const char *name;
} evidence_names[] = {{DEFUSE_EVID_POM, "pom"},
                      {DEFUSE_EVID_MANIFEST, "manifest"},
                      {DEFUSE_EVID_HASH, "hash"},
                      {DEFUSE_EVID_MARKER, "marker"},
                      {DEFUSE_EVID_CLASS, "class"}};

const char *defuse_evidence_name(unsigned bit) {
    for (size_t i = 0; i < sizeof evidence_names / sizeof evidence_names[0]; i++)
        if (evidence_names[i].bit == bit)
            return evidence_names[i].name;
    return NULL;
}

int defuse_sha256_file(const char *path, char out[65]) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return DEFUSE_EIO;
    defuse__sha256 c;
    if (!defuse__sha256_init(&c)) {
        close(fd);
        return DEFUSE_ENOMEM;
    }
    uint8_t buf[65536], d[32];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || !defuse__sha256_update(&c, buf, (size_t)n)) {
            int e = n < 0 ? errno : ENOMEM;
            defuse__sha256_abort(&c);
            close(fd);
            errno = e;
            return n < 0 ? DEFUSE_EIO : DEFUSE_ENOMEM;
        }
    }
    close(fd);
    if (!defuse__sha256_final(&c, d))
        return DEFUSE_ENOMEM;
    defuse__sha256_hex(d, out);
    return 0;
}

void defuse_sha256_hex(const void *buf, size_t len, char out[65]) {
    uint8_t d[32];
    if (defuse__sha256_once(buf, len, d))
        defuse__sha256_hex(d, out);
    else
        out[0] = 0;
}

void defuse_inv_limits_default(defuse_inv_limits *out) {
    out->max_depth = DEFUSE_INV_MAX_DEPTH;
    out->max_entries = DEFUSE_INV_MAX_ENTRIES;
    out->max_expanded = DEFUSE_INV_MAX_EXPANDED;
    out->max_ratio = DEFUSE_INV_MAX_RATIO;
    out->max_memory_archive = DEFUSE_INV_MAX_MEMORY_ARCHIVE;
    out->max_spill = DEFUSE_INV_MAX_SPILL;
    out->max_class = DEFUSE_INV_MAX_CLASS;
    out->max_seconds = DEFUSE_INV_MAX_SECONDS;
}

void defuse__inv_limits_resolve(defuse_inv_limits *out, const defuse_inv_limits *in) {
    defuse_inv_limits_default(out);
    if (!in)
        return;
#define TAKE(f)                                                                                    \
    if (in->f)                                                                                     \
    out->f = in->f
    TAKE(max_depth);
    TAKE(max_entries);
    TAKE(max_expanded);
    TAKE(max_ratio);
    TAKE(max_memory_archive);
    TAKE(max_spill);
    TAKE(max_class);
    TAKE(max_seconds);
    TAKE(no_hashes);
#undef TAKE
}

/* ---- roles --------------------------------------------------------------- */

static const char *const role_names[DEFUSE__R_COUNT] = {
    [DEFUSE__R_NONE] = NULL,
    [DEFUSE__R_JNDILOOKUP] = "JndiLookup",
    [DEFUSE__R_JNDIMANAGER] = "JndiManager",
    [DEFUSE__R_DSCS] = "DataSourceConnectionSource",
    [DEFUSE__R_CORE] = "LoggerContext",
    [DEFUSE__R_JMSAPPENDER] = "JMSAppender",
    [DEFUSE__R_SOCKETSERVER] = "SocketServer",
    [DEFUSE__R_SOCKETNODE] = "SocketNode",
    [DEFUSE__R_SMTPAPPENDER] = "SMTPAppender",
    [DEFUSE__R_JMSSINK] = "JMSSink",
    [DEFUSE__R_JDBCAPPENDER] = "JDBCAppender",
    [DEFUSE__R_CHAINSAW] = "Chainsaw",
    [DEFUSE__R_SUBSTITUTOR] = "StringSubstitutor",
    [DEFUSE__R_LOOKUPFACTORY] = "StringLookupFactory",
    [DEFUSE__R_SCRIPTLOOKUP] = "ScriptStringLookup",
    [DEFUSE__R_HARDENED_OIS] = "HardenedObjectInputStream",
    [DEFUSE__R_JDBC_PATTERN] = "JdbcPatternParser",
    [DEFUSE__R_FILTERED_OIS] = "FilteredObjectInputStream",
    [DEFUSE__R_HARDENED_LEIS] = "HardenedLoggingEventInputStream",
    [DEFUSE__R_CHAINSAW_RECV] = "LoggingReceiver$Slurper",
    [DEFUSE__R_POM] = "pom.properties",
    [DEFUSE__R_MANIFEST] = "MANIFEST.MF",
};

_Static_assert(DEFUSE__R_COUNT <= 32, "roles are bits of a uint32_t");

/* Classes whose bytes decide whether a distribution patch is there: the
 * patched classes (upstream has them too) and the hardening classes they
 * call (only patched builds have them: `added`). */
static const struct {
    defuse__role role;
    bool added;
} patch_roles[] = {
    {DEFUSE__R_SOCKETNODE, false},     {DEFUSE__R_JDBCAPPENDER, false},
    {DEFUSE__R_CHAINSAW_RECV, false},  {DEFUSE__R_HARDENED_OIS, true},
    {DEFUSE__R_HARDENED_LEIS, true},   {DEFUSE__R_JDBC_PATTERN, true},
    {DEFUSE__R_FILTERED_OIS, true},
};
_Static_assert(sizeof patch_roles / sizeof patch_roles[0] <= DEFUSE__PATCH_SLOTS,
               "a slot per patch role");

int defuse__patch_slot(defuse__role r, bool *added) {
    for (size_t i = 0; i < sizeof patch_roles / sizeof patch_roles[0]; i++)
        if (patch_roles[i].role == r) {
            if (added)
                *added = patch_roles[i].added;
            return (int)i;
        }
    return -1;
}

const char *defuse__role_name(defuse__role r) {
    return (unsigned)r < DEFUSE__R_COUNT ? role_names[r] : NULL;
}

defuse__role defuse__role_by_name(const char *name) {
    for (unsigned r = 1; r < DEFUSE__R_COUNT; r++)
        if (role_names[r] && !strcmp(role_names[r], name))
            return (defuse__role)r;
    return DEFUSE__R_NONE;
}

/* Class roles by path suffix.  `keep` is how much of the suffix belongs to
 * the package root (the key): for "lookup/JndiLookup.class" nothing, so
 * "org/apache/logging/log4j/core/lookup/JndiLookup.class" has the key
 * "org/apache/logging/log4j/core/" and google's relocated
 * "lookup/JndiLookup.class" the key "". */
static const struct {
    const char *suffix;
    size_t keep;
    defuse__role role;
    defuse_product product;
    bool read;
} class_roles[] = {
    {"lookup/JndiLookup.class", 0, DEFUSE__R_JNDILOOKUP, DEFUSE_PRODUCT_LOG4J_CORE, true},
    {"net/JndiManager.class", 0, DEFUSE__R_JNDIMANAGER, DEFUSE_PRODUCT_LOG4J_CORE, true},
    {"appender/db/jdbc/DataSourceConnectionSource.class", 0, DEFUSE__R_DSCS,
     DEFUSE_PRODUCT_LOG4J_CORE, true},
    {"core/LoggerContext.class", 5, DEFUSE__R_CORE, DEFUSE_PRODUCT_LOG4J_CORE, false},
    {"log4j/net/JMSAppender.class", 6, DEFUSE__R_JMSAPPENDER, DEFUSE_PRODUCT_LOG4J1, false},
    {"log4j/net/SocketServer.class", 6, DEFUSE__R_SOCKETSERVER, DEFUSE_PRODUCT_LOG4J1, false},
    {"log4j/net/SimpleSocketServer.class", 6, DEFUSE__R_SOCKETSERVER, DEFUSE_PRODUCT_LOG4J1,
     false},
    {"log4j/net/SocketNode.class", 6, DEFUSE__R_SOCKETNODE, DEFUSE_PRODUCT_LOG4J1, true},
    {"log4j/net/SMTPAppender.class", 6, DEFUSE__R_SMTPAPPENDER, DEFUSE_PRODUCT_LOG4J1, false},
    {"log4j/net/JMSSink.class", 6, DEFUSE__R_JMSSINK, DEFUSE_PRODUCT_LOG4J1, false},
    {"log4j/jdbc/JDBCAppender.class", 6, DEFUSE__R_JDBCAPPENDER, DEFUSE_PRODUCT_LOG4J1, true},
    {"log4j/chainsaw/Main.class", 6, DEFUSE__R_CHAINSAW, DEFUSE_PRODUCT_LOG4J1, false},
    /* read: a distribution patch is recognised by these classes' bytes */
    {"log4j/net/HardenedObjectInputStream.class", 6, DEFUSE__R_HARDENED_OIS, DEFUSE_PRODUCT_LOG4J1,
     true},
    {"log4j/net/HardenedLoggingEventInputStream.class", 6, DEFUSE__R_HARDENED_LEIS,
     DEFUSE_PRODUCT_LOG4J1, true},
    {"log4j/chainsaw/LoggingReceiver$Slurper.class", 6, DEFUSE__R_CHAINSAW_RECV,
     DEFUSE_PRODUCT_LOG4J1, true},
    {"log4j/jdbc/JdbcPatternParser.class", 6, DEFUSE__R_JDBC_PATTERN, DEFUSE_PRODUCT_LOG4J1, true},
    {"log4j/FilteredObjectInputStream.class", 6, DEFUSE__R_FILTERED_OIS, DEFUSE_PRODUCT_LOG4J1,
     true},
    {"text/StringSubstitutor.class", 5, DEFUSE__R_SUBSTITUTOR, DEFUSE_PRODUCT_COMMONS_TEXT, false},
    {"text/lookup/StringLookupFactory.class", 5, DEFUSE__R_LOOKUPFACTORY,
     DEFUSE_PRODUCT_COMMONS_TEXT, true},
    {"text/lookup/ScriptStringLookup.class", 5, DEFUSE__R_SCRIPTLOOKUP,
     DEFUSE_PRODUCT_COMMONS_TEXT, false},
};

/* pom.properties of the products, by Maven group/artifact directory. */
static const struct {
    const char *ga;
    defuse_product product;
} pom_products[] = {
    {"org.apache.logging.log4j/log4j-core/", DEFUSE_PRODUCT_LOG4J_CORE},
    {"log4j/log4j/", DEFUSE_PRODUCT_LOG4J1},
    {"ch.qos.reload4j/reload4j/", DEFUSE_PRODUCT_RELOAD4J},
    {"org.apache.commons/commons-text/", DEFUSE_PRODUCT_COMMONS_TEXT},
};

static bool ends_with_at(const char *name, size_t n, const char *suffix, size_t *start) {
    size_t sl = strlen(suffix);
    if (n < sl || memcmp(name + n - sl, suffix, sl) != 0)
        return false;
    if (n > sl && name[n - sl - 1] != '/')
        return false;
    *start = n - sl;
    return true;
}

/* Length of name once ".esclazz"/".classdata" is read as ".class", and
 * that normalised name in buf. */
static size_t normalise(const char *name, char *buf, size_t bufsz) {
    size_t n = strlen(name);
    static const char *const alt[] = {".esclazz", ".classdata"};
    for (size_t i = 0; i < 2; i++) {
        size_t al = strlen(alt[i]);
        if (n > al && !memcmp(name + n - al, alt[i], al) && n - al + 6 < bufsz) {
            memcpy(buf, name, n - al);
            memcpy(buf + n - al, ".class", 7);
            return n - al + 6;
        }
    }
    if (n >= bufsz)
        return 0;
    memcpy(buf, name, n + 1);
    return n;
}

bool defuse__inv_classify(const char *name, defuse__classify *out) {
    char buf[DEFUSE_INV_MAX_PATH];
    memset(out, 0, sizeof *out);
    size_t n = normalise(name, buf, sizeof buf);
    if (n < 6)
        return false;
    size_t start;
    if (n > 6 && !memcmp(buf + n - 6, ".class", 6)) {
        for (size_t i = 0; i < sizeof class_roles / sizeof class_roles[0]; i++) {
            if (ends_with_at(buf, n, class_roles[i].suffix, &start)) {
                out->role = class_roles[i].role;
                out->product = class_roles[i].product;
                out->key_len = start + class_roles[i].keep;
                out->read = class_roles[i].read;
                return true;
            }
        }
        /* any class of the chainsaw package */
        const char *cs = strstr(buf, "log4j/chainsaw/");
        if (cs && (cs == buf || cs[-1] == '/')) {
            out->role = DEFUSE__R_CHAINSAW;
            out->product = DEFUSE_PRODUCT_LOG4J1;
            out->key_len = (size_t)(cs - buf) + 6;
            return true;
        }
        return false;
    }
    const char *mi = strstr(name, "META-INF/");
    if (!mi || (mi != name && mi[-1] != '/'))
        return false;
    size_t base = (size_t)(mi - name);
    const char *rest = mi + 9;
    if (!strcmp(rest, "MANIFEST.MF")) {
        out->role = DEFUSE__R_MANIFEST;
        out->key_len = base;
        out->read = true;
        return true;
    }
    if (!strncmp(rest, "maven/", 6)) {
        rest += 6;
        for (size_t i = 0; i < sizeof pom_products / sizeof pom_products[0]; i++) {
            size_t gl = strlen(pom_products[i].ga);
            if (!strncmp(rest, pom_products[i].ga, gl) && !strcmp(rest + gl, "pom.properties")) {
                out->role = DEFUSE__R_POM;
                out->product = pom_products[i].product;
                out->key_len = base;
                out->read = true;
                return true;
            }
        }
    }
    return false;
}

/* Base names (without ".class") of log4j 1.x classes --fix-log4j1 removes
 * from .../log4j/net/ and .../log4j/jdbc/ (inner classes too). */
static const char *const log4j1_targets[] = {"net/JMSAppender",  "net/SocketServer",
                                             "net/SimpleSocketServer", "net/SMTPAppender",
                                             "net/JMSSink",      "jdbc/JDBCAppender"};

bool defuse__inv_fix_target(const char *name, unsigned flags) {
    defuse__classify c;
    if (defuse__inv_classify(name, &c) && c.role == DEFUSE__R_JNDILOOKUP)
        return true;
    if (!(flags & DEFUSE_FIX_LOG4J1))
        return false;
    const char *l = name;
    while ((l = strstr(l, "log4j/")) != NULL) {
        if (l == name || l[-1] == '/') {
            const char *r = l + 6;
            if (!strncmp(r, "chainsaw/", 9))
                return true;
            for (size_t i = 0; i < sizeof log4j1_targets / sizeof log4j1_targets[0]; i++) {
                size_t tl = strlen(log4j1_targets[i]);
                if (!strncmp(r, log4j1_targets[i], tl) &&
                    (!strcmp(r + tl, ".class") || r[tl] == '$'))
                    return true;
            }
        }
        l += 6;
    }
    return false;
}

bool defuse__inv_is_signature(const char *name) {
    if (strncmp(name, "META-INF/", 9) != 0 || strchr(name + 9, '/'))
        return false;
    const char *dot = strrchr(name, '.');
    if (!dot)
        return false;
    static const char *const ext[] = {".SF", ".RSA", ".DSA", ".EC"};
    for (size_t i = 0; i < 4; i++)
        if (!strcasecmp(dot, ext[i]))
            return true;
    return false;
}

/* ---- sniffing ------------------------------------------------------------- */

/* What marks a software bill of materials in the head of a file: its first
 * byte after a UTF-8 BOM and blanks (0: any), then a key followed -- after
 * blanks, a separator and blanks -- by the start of a value, as the format
 * writes its required fields: CycloneDX JSON "bomFormat": "CycloneDX", SPDX
 * JSON "spdxVersion": "SPDX-..." or "SPDXID": "SPDXRef-...", CycloneDX XML
 * the default namespace xmlns="http://cyclonedx.org/schema/bom/...", SPDX
 * tag-value a line "SPDXVersion: SPDX-...".  Key and value together, not
 * words: the formats' own JSON Schemas ("bomFormat": {"type": ...}) and XML
 * Schemas (xmlns:bom=, targetNamespace=) are not SBOMs.  The tools that write
 * SBOMs put these fields first; a document whose first 4 KiB hold none is an
 * ordinary file.  The same formats as the register's readers
 * (register/sbom.c), which this file does not link: a scan needs only the
 * name of the format, not libxml2. */
static const struct sbom_mark {
    char first;      /* first byte, or 0 */
    bool line_start; /* the key starts a line */
    const char *key;
    char sep;
    const char *value; /* how the value begins */
    const char *format;
} sbom_marks[] = {
    {'{', false, "\"bomFormat\"", ':', "\"CycloneDX\"", "cyclonedx-json"},
    {'{', false, "\"spdxVersion\"", ':', "\"SPDX-", "spdx-json"},
    {'{', false, "\"SPDXID\"", ':', "\"SPDXRef-", "spdx-json"},
    {'<', false, "xmlns", '=', "\"http://cyclonedx.org/schema/bom", "cyclonedx-xml"},
    {'<', false, "xmlns", '=', "'http://cyclonedx.org/schema/bom", "cyclonedx-xml"},
    {0, true, "SPDXVersion", ':', "SPDX-", "spdx-tag-value"},
};

static bool blank(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Does h[0..n) hold m's key, then blanks, sep, blanks and m's value? */
static bool sbom_mark_in(const uint8_t *h, size_t n, const struct sbom_mark *m) {
    size_t kl = strlen(m->key), vl = strlen(m->value);
    for (const uint8_t *p = h, *e = h + n; (size_t)(e - p) >= kl;) {
        const uint8_t *k = memmem(p, (size_t)(e - p), m->key, kl);
        if (!k)
            return false;
        p = k + 1;
        if (m->line_start && k != h && k[-1] != '\n')
            continue;
        const uint8_t *q = k + kl;
        while (q < e && blank(*q))
            q++;
        if (q == e || *q++ != (uint8_t)m->sep)
            continue;
        while (q < e && blank(*q))
            q++;
        if ((size_t)(e - q) >= vl && !memcmp(q, m->value, vl))
            return true;
    }
    return false;
}

const char *defuse__sbom_sniff(const uint8_t *h, size_t n) {
    size_t i = n >= 3 && !memcmp(h, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < n && blank(h[i]))
        i++;
    /* most ordinary files end here: a first byte no SBOM starts with
     * (tag-value: "SPDXVersion:", the first tag every writer puts first,
     * or a '#' comment before it) */
    if (i == n || (h[i] != '{' && h[i] != '<' && h[i] != '#' && h[i] != 'S'))
        return NULL;
    for (size_t k = 0; k < sizeof sbom_marks / sizeof sbom_marks[0]; k++) {
        const struct sbom_mark *m = &sbom_marks[k];
        if ((!m->first || h[i] == m->first) && sbom_mark_in(h + i, n - i, m))
            return m->format;
    }
    return NULL;
}

defuse__kind defuse__sniff(const uint8_t *h, size_t n) {
    if (n >= 4 && h[0] == 'P' && h[1] == 'K' &&
        ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6) || (h[2] == '0' && h[3] == '0')))
        return DEFUSE__K_ZIP;
    if (n >= 4 && h[0] == 0xCA && h[1] == 0xFE && h[2] == 0xBA && h[3] == 0xBE)
        return DEFUSE__K_CLASS;
    if (n >= 262 && !memcmp(h + 257, "ustar", 5))
        return DEFUSE__K_TAR;
    if (n >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8)
        return DEFUSE__K_COMPRESSED;
    if (n >= 4 && h[0] == 'B' && h[1] == 'Z' && h[2] == 'h' && h[3] >= '1' && h[3] <= '9')
        return DEFUSE__K_COMPRESSED;
    if (n >= 6 && !memcmp(h, "\xfd" "7zXZ\0", 6))
        return DEFUSE__K_COMPRESSED;
    if (n >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
        return DEFUSE__K_COMPRESSED;
    return DEFUSE__K_OTHER;
}

bool defuse__has_eocd(const uint8_t *t, size_t n) {
    if (n < 22)
        return false;
    for (size_t i = n - 22 + 1; i-- > 0;) {
        if (t[i] == 'P' && t[i + 1] == 'K' && t[i + 2] == 5 && t[i + 3] == 6) {
            size_t clen = (size_t)t[i + 20] | (size_t)t[i + 21] << 8;
            if (i + 22 + clen == n)
                return true;
        }
    }
    return false;
}

/* ---- class files -------------------------------------------------------------- */

/* JVMS 4.4: constant pool tags and the bytes each entry occupies after its
 * tag (0: variable, Utf8; -1: unknown tag). */
static int cp_size(uint8_t tag) {
    switch (tag) {
    case 1: return 0;                     /* Utf8 */
    case 3: case 4: return 4;             /* Integer, Float */
    case 5: case 6: return 8;             /* Long, Double (two slots) */
    case 7: case 8: case 16: case 19: case 20: return 2; /* Class, String, MethodType, Module, Package */
    case 9: case 10: case 11: case 12: case 17: case 18: return 4;
    case 15: return 3;                    /* MethodHandle */
    default: return -1;
    }
}

int defuse__class_name(const uint8_t *b, size_t len, char *out, size_t outsz, size_t *err_off) {
    /* offsets of Utf8 entries and class name indexes, one per constant
     * (count, a u2, bounds them; sized by it: every class file of an
     * exploded tree is parsed, and 640 KiB zeroed per class cost more than
     * the rest of its scan) */
    size_t off = 10, *utf = NULL;
    uint16_t *cls = NULL;
    int rc = DEFUSE_EFORMAT;
    *err_off = 0;
    if (len < 10 || b[0] != 0xCA || b[1] != 0xFE || b[2] != 0xBA || b[3] != 0xBE)
        goto out;
    size_t count = (size_t)b[8] << 8 | b[9];
    *err_off = 8;
    if (count == 0)
        goto out;
    utf = calloc(count, sizeof *utf);
    cls = calloc(count, sizeof *cls);
    if (!utf || !cls) {
        rc = DEFUSE_ENOMEM;
        goto out;
    }
    for (size_t i = 1; i < count; i++) {
        *err_off = off;
        if (off >= len)
            goto out;
        uint8_t tag = b[off];
        int sz = cp_size(tag);
        if (sz < 0)
            goto out;
        if (sz == 0) {
            if (off + 3 > len)
                goto out;
            size_t l = (size_t)b[off + 1] << 8 | b[off + 2];
            utf[i] = off + 1;
            off += 3 + l;
        } else {
            if (off + 1 + (size_t)sz > len)
                goto out;
            if (tag == 7)
                cls[i] = (uint16_t)(b[off + 1] << 8 | b[off + 2]);
            off += 1 + (size_t)sz;
            if (tag == 5 || tag == 6)
                i++;
        }
    }
    *err_off = off;
    if (off + 4 > len)
        goto out;
    size_t this_class = (size_t)b[off + 2] << 8 | b[off + 3];
    if (this_class == 0 || this_class >= count || cls[this_class] == 0 ||
        cls[this_class] >= count || utf[cls[this_class]] == 0)
        goto out;
    size_t u = utf[cls[this_class]];
    size_t l = (size_t)b[u] << 8 | b[u + 1];
    if (u + 2 + l > len || l + 1 > outsz)
        goto out;
    memcpy(out, b + u + 2, l);
    out[l] = 0;
    if (memchr(out, 0, l))
        goto out;
    rc = 0;
out:
    free(utf);
    free(cls);
    return rc;
}

/* ---- properties / manifest --------------------------------------------------- */

bool defuse__prop_get(const char *text, size_t len, const char *key, bool manifest, char *out,
                      size_t outsz) {
    size_t kl = strlen(key), i = 0;
    if (outsz == 0)
        return false;
    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n' && text[e] != '\r')
            e++;
        size_t j = i;
        while (!manifest && j < e && (text[j] == ' ' || text[j] == '\t'))
            j++;
        if (e - j > kl && !memcmp(text + j, key, kl) &&
            (text[j + kl] == ':' || (!manifest && text[j + kl] == '=') ||
             (!manifest && text[j + kl] == ' '))) {
            size_t v = j + kl;
            while (v < e && (text[v] == ' ' || text[v] == '=' || text[v] == ':'))
                v++;
            size_t o = 0;
            for (;;) {
                while (v < e && o + 1 < outsz)
                    out[o++] = text[v++];
                /* manifest continuation: next line starting with one space */
                size_t n = e;
                if (n < len && text[n] == '\r')
                    n++;
                if (n < len && text[n] == '\n')
                    n++;
                if (!manifest || n >= len || text[n] != ' ')
                    break;
                v = n + 1;
                e = v;
                while (e < len && text[e] != '\n' && text[e] != '\r')
                    e++;
            }
            while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
                o--;
            out[o] = 0;
            return o > 0;
        }
        i = e;
        while (i < len && (text[i] == '\n' || text[i] == '\r'))
            i++;
    }
    return false;
}

/* ---- zip central directory pre-check ------------------------------------------ */

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t le16(const uint8_t *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}

typedef struct span {
    uint64_t off, end;
} span;

static int span_cmp(const void *a, const void *b) {
    const span *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

int defuse__zip_precheck(defuse__pread_fn rd, void *ctx, uint64_t size, uint64_t *declared,
                         bool *overlap) {
    uint8_t tail[DEFUSE_INV_TAIL];
    uint8_t *cd = NULL;
    span *sp = NULL;
    int rc = 1;
    *declared = 0;
    *overlap = false;
    size_t tl = size < sizeof tail ? (size_t)size : sizeof tail;
    if (tl < 22 || rd(ctx, tail, tl, size - tl) != (long)tl)
        return 1;
    size_t e = tl - 22 + 1;
    bool found = false;
    while (e-- > 0) {
        if (tail[e] == 'P' && tail[e + 1] == 'K' && tail[e + 2] == 5 && tail[e + 3] == 6 &&
            e + 22 + le16(tail + e + 20) == tl) {
            found = true;
            break;
        }
    }
    if (!found)
        return 1;
    uint64_t nent = le16(tail + e + 10), cdsize = le32(tail + e + 12);
    uint64_t eocd = size - tl + e;
    if (nent == 0xffff || cdsize == 0xffffffffu || cdsize > eocd ||
        cdsize > DEFUSE_INV_MAX_CENTRAL_DIR || nent > DEFUSE_INV_MAX_ENTRIES)
        return 1; /* zip64 or implausible: leave it to libarchive */
    uint64_t cdstart = eocd - cdsize, prefix = cdstart - le32(tail + e + 16);
    if (le32(tail + e + 16) > cdstart)
        prefix = 0;
    if (!(cd = malloc(cdsize ? cdsize : 1)) || !(sp = calloc(nent + 1, sizeof *sp)))
        goto out;
    if (rd(ctx, cd, cdsize, cdstart) != (long)cdsize)
        goto out;
    size_t o = 0, n = 0;
    while (o + 46 <= cdsize && n < nent) {
        if (le32(cd + o) != 0x02014b50)
            break;
        uint64_t csz = le32(cd + o + 20), usz = le32(cd + o + 24);
        size_t nl = le16(cd + o + 28), xl = le16(cd + o + 30), cl = le16(cd + o + 32);
        uint64_t lho = le32(cd + o + 42);
        if (csz == 0xffffffffu || usz == 0xffffffffu || lho == 0xffffffffu)
            goto out; /* zip64 entries: skip the check */
        *declared += usz;
        sp[n].off = lho + prefix;
        sp[n].end = lho + prefix + 30 + nl + csz;
        n++;
        o += 46 + nl + xl + cl;
    }
    qsort(sp, n, sizeof *sp, span_cmp);
    for (size_t i = 1; i < n; i++)
        if (sp[i].off < sp[i - 1].end && sp[i].end > sp[i].off + 30)
            *overlap = true;
    rc = 0;
out:
    free(cd);
    free(sp);
    return rc;
}

uint64_t defuse__zip_prefix(defuse__pread_fn rd, void *ctx, uint64_t size) {
    uint8_t tail[DEFUSE_INV_TAIL];
    size_t tl = size < sizeof tail ? (size_t)size : sizeof tail;
    if (tl < 22 || rd(ctx, tail, tl, size - tl) != (long)tl)
        return 0;
    for (size_t e = tl - 22 + 1; e-- > 0;) {
        if (tail[e] == 'P' && tail[e + 1] == 'K' && tail[e + 2] == 5 && tail[e + 3] == 6 &&
            e + 22 + le16(tail + e + 20) == tl) {
            uint64_t cdsize = le32(tail + e + 12), cdoff = le32(tail + e + 16);
            uint64_t eocd = size - tl + e;
            if (cdsize == 0xffffffffu || cdoff == 0xffffffffu || cdsize + cdoff > eocd)
                return 0;
            return eocd - cdsize - cdoff;
        }
    }
    return 0;
}

/* ---- a nested archive's bytes ------------------------------------------------ */

void defuse__blob_free(defuse__blob *b) {
    free(b->mem);
    if (b->fd >= 0)
        close(b->fd);
    memset(b, 0, sizeof *b);
    b->fd = -1;
}

int defuse__spill_open(const char *tag) {
    const char *dir = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/defuse-%s-XXXXXX", dir && *dir ? dir : "/tmp", tag);
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd >= 0)
        unlink(tmpl);
    return fd;
}

bool defuse__write_all(int fd, const void *p, size_t n) {
    const uint8_t *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w, n -= (size_t)w;
    }
    return true;
}
