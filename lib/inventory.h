/*
 * inventory.h -- internal declarations of the inventory engine (defuse scan):
 * class roles, version sets, the vulnerability data, facts gathered
 * per container, and helpers (SHA-256, class-file and pom/manifest parsing).
 * Owned by the inventory files: lib/inventory*.c and lib/vulndb.c.
 * Never installed; front ends include only <defuse.h>.
 */
#ifndef DEFUSE_INVENTORY_H
#define DEFUSE_INVENTORY_H

#include "defuse.h"
#include "internal.h"
#include "limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The limits (DEFUSE_INV_*, DEFUSE_VDB_*) are in limits.h with the others. */

/* ---- class roles: what an entry is, by its path --------------------------- */

typedef enum defuse__role {
    DEFUSE__R_NONE = 0,
    DEFUSE__R_JNDILOOKUP,
    DEFUSE__R_JNDIMANAGER,
    DEFUSE__R_DSCS,          /* DataSourceConnectionSource (44832) */
    DEFUSE__R_CORE,          /* other log4j-core classes (LoggerContext) */
    DEFUSE__R_JMSAPPENDER,
    DEFUSE__R_SOCKETSERVER,  /* SocketServer, SimpleSocketServer */
    DEFUSE__R_SOCKETNODE,
    DEFUSE__R_SMTPAPPENDER,
    DEFUSE__R_JMSSINK,
    DEFUSE__R_JDBCAPPENDER,
    DEFUSE__R_CHAINSAW,
    DEFUSE__R_SUBSTITUTOR,   /* commons-text StringSubstitutor */
    DEFUSE__R_LOOKUPFACTORY, /* commons-text StringLookupFactory */
    DEFUSE__R_SCRIPTLOOKUP,  /* commons-text ScriptStringLookup */
    /* hardening classes a distribution adds to log4j 1.2.17 (Debian 1.2.17-9/-11),
     * and the classes it patches to use them: a fix is recognised by their
     * SHA-256 (vulndb "fixed_by"), never by a class's presence */
    DEFUSE__R_HARDENED_OIS,  /* net/HardenedObjectInputStream: chainsaw (23307) */
    DEFUSE__R_JDBC_PATTERN,  /* jdbc/JdbcPatternParser: prepared statements (23305) */
    DEFUSE__R_FILTERED_OIS,  /* FilteredObjectInputStream: SocketNode (17571) */
    DEFUSE__R_HARDENED_LEIS, /* net/HardenedLoggingEventInputStream: chainsaw (23307) */
    DEFUSE__R_CHAINSAW_RECV, /* chainsaw/LoggingReceiver$Slurper: reads log events */
    DEFUSE__R_POM,
    DEFUSE__R_MANIFEST,
    DEFUSE__R_COUNT
} defuse__role;

typedef struct defuse__classify {
    defuse__role role;
    defuse_product product;
    size_t key_len;  /* name[0..key_len) is the component's package root */
    bool read;       /* the content must be read (hash, markers, versions) */
} defuse__classify;

/* Classifies an entry name (a path inside an archive or below a scanned
 * directory).  ".esclazz" and ".classdata" count as ".class".  Returns
 * false if the entry plays no role. */
bool defuse__inv_classify(const char *name, defuse__classify *out);
/* Data-file name of a role ("JndiLookup", ...), or NULL. */
const char *defuse__role_name(defuse__role r);
/* Role by data-file name; DEFUSE__R_NONE if unknown. */
defuse__role defuse__role_by_name(const char *name);
/* Slot of role r in defuse__inv_key.patch_sha (a class whose bytes decide
 * whether a distribution patch is there), or -1.  *added (may be NULL):
 * the class exists only in patched builds (a hardening class). */
int defuse__patch_slot(defuse__role r, bool *added);
#define DEFUSE__PATCH_SLOTS 8

/* True if name is one the fixer removes (flags: enum defuse_fix_flag). */
bool defuse__inv_fix_target(const char *name, unsigned flags);

/* Test hook: if set, called by defuse_inventory_fix() with the path just
 * before it checks that the path still holds the file it read and renames
 * the fixed copy over it (tests replace the file here).  NULL in use. */
extern void (*defuse__fix_before_rename)(const char *path);
/* True if name is a jar signature file (META-INF/NAME.SF, .RSA, .DSA or .EC). */
bool defuse__inv_is_signature(const char *name);

/* ---- versions ------------------------------------------------------------- */

/* Compares two Maven-style versions ("2.0-beta9" < "2.0-rc1" < "2.0" <
 * "2.0.1").  Returns <0, 0, >0. */
int defuse__vercmp(const char *a, const char *b);

typedef struct defuse__vset {
    uint64_t w[DEFUSE_VDB_MAX_RELEASES / 64];
} defuse__vset;

static inline void defuse__vset_add(defuse__vset *s, unsigned i) {
    s->w[i / 64] |= (uint64_t)1 << (i % 64);
}
static inline bool defuse__vset_has(const defuse__vset *s, unsigned i) {
    return (s->w[i / 64] >> (i % 64)) & 1u;
}

/* ---- vulnerability data (vulndb.c) ----------------------------------------- */

typedef struct defuse__vrange {
    char *introduced; /* NULL: from the first release */
    char *fixed;      /* NULL: no fix */
} defuse__vrange;

/* A distribution's patch for one CVE: present iff every class listed is in
 * the copy with exactly this SHA-256 (vulndb "fixed_by"). */
typedef struct defuse__patch {
    char *name; /* "Debian liblog4j1.2-java 1.2.17-11" */
    size_t nclasses;
    defuse__role role[DEFUSE_VDB_MAX_PATCH_CLASSES]; /* each has a patch slot */
    uint8_t sha256[DEFUSE_VDB_MAX_PATCH_CLASSES][32];
} defuse__patch;

typedef struct defuse__vuln {
    char *id, *severity, *fixed_text, *summary;
    double cvss;
    defuse_product product;
    uint32_t requires;     /* 0, or 1u << defuse__role of each class any of
                              which it needs (requires_class: a name or a list) */
    defuse__patch *patches; /* distribution patches that fix it (fixed_by) */
    size_t npatches;
    defuse__vrange *ranges;
    size_t nranges;
} defuse__vuln;

typedef struct defuse__hash {
    uint8_t sha256[32];
    defuse_product product;
    defuse__role role;
    defuse__vset versions;
} defuse__hash;

typedef struct defuse__marker {
    defuse_product product;
    defuse__role role;
    char *string;   /* NULL: the class's presence is the marker */
    size_t len;
    defuse__vset present; /* releases whose class contains the string */
} defuse__marker;

struct defuse_vulndb {
    char *releases[DEFUSE_PRODUCT_COUNT][DEFUSE_VDB_MAX_RELEASES];
    unsigned nreleases[DEFUSE_PRODUCT_COUNT];
    defuse__vuln *vulns;
    size_t nvulns;
    defuse__hash *hashes; /* sorted by sha256 */
    size_t nhashes;
    defuse__marker *markers;
    size_t nmarkers;
};

/* The data file compiled in (lib/vulndb_builtin.c, generated). */
extern const unsigned char defuse__vulndb_builtin[];
extern const size_t defuse__vulndb_builtin_len;

/* Index of version v among the releases of product p, or -1. */
int defuse__vdb_release(const defuse_vulndb *db, defuse_product p, const char *v);
/* The hash record for sha256, or NULL. */
const defuse__hash *defuse__vdb_hash(const defuse_vulndb *db, const uint8_t sha256[32]);
/* True if version v lies in one of vuln's affected ranges. */
bool defuse__vuln_affects(const defuse__vuln *vu, const char *v);

/* ---- facts per container (inventory.c) -------------------------------------- */

typedef struct defuse__inv_key {
    char *key;                 /* package root, e.g. "org/apache/logging/log4j/core/" */
    defuse_product product;
    uint32_t roles;            /* 1u << defuse__role seen */
    char *best_path;           /* full path of the most telling class */
    defuse__role best_role;
    defuse__vset cand;         /* candidate releases left by class evidence */
    bool constrained;          /* cand was narrowed by a hash or marker */
    unsigned evidence;         /* enum defuse_evidence bits */
    bool by_hash;              /* a hash narrowed cand */
    uint8_t patch_sha[DEFUSE__PATCH_SLOTS][32]; /* SHA-256 of the classes that
                                                   prove a distribution patch */
    uint8_t patch_seen;        /* bit per slot: patch_sha[slot] is set */
    uint8_t patch_dup;         /* bit per slot: two different copies seen */
    char evtext[DEFUSE_INV_MAX_EVIDENCE];
} defuse__inv_key;

typedef struct defuse__inv_pom {
    defuse_product product;
    char *base;    /* prefix before META-INF/ */
    char *version;
    char *path;    /* full path */
    bool manifest; /* from MANIFEST.MF rather than pom.properties */
} defuse__inv_pom;

typedef struct defuse__inv_facts {
    const defuse_vulndb *db;
    bool complete; /* every entry of the container was listed (archive or
                      directory), so a missing class means removed */
    defuse__inv_key keys[DEFUSE_INV_MAX_KEYS];
    size_t nkeys;
    defuse__inv_pom poms[DEFUSE_INV_MAX_POMS];
    size_t npoms;
    unsigned pkg_seen; /* 1u << product: some class of its standard package
                          (org/apache/log4j/, ...) was listed */
} defuse__inv_facts;

void defuse__facts_init(defuse__inv_facts *f, const defuse_vulndb *db, bool complete);
void defuse__facts_free(defuse__inv_facts *f);
/* Adds one entry.  name is the path inside the container (classified
 * already into c), full is its full nested path, data[0..len) its content
 * when c->read (else NULL).  Returns 0 or DEFUSE_ENOMEM. */
int defuse__facts_add(defuse__inv_facts *f, const char *name, const char *full,
                      const defuse__classify *c, const uint8_t *data, size_t len);
/* Notes a class entry that plays no role (name is a path inside the
 * container): it shows which products' packages the container holds, so
 * a pom whose dangerous classes were all removed is not taken for pom-only. */
void defuse__facts_seen(defuse__inv_facts *f, const char *name);
/* Reports every component of the container through cb.  container is the
 * display path of the container ("a.war!/WEB-INF/lib/x.jar" or a directory);
 * sep is "!/" for archives and "/" for directories.  *nvuln is increased by
 * the number of vulnerable components.  Returns 0 or DEFUSE_ESTOPPED. */
int defuse__facts_emit(defuse__inv_facts *f, const char *container, const char *sep,
                       defuse_component_cb cb, void *user, unsigned *nvuln);

/* ---- helpers (inventory_util.c) ------------------------------------------- */


/* Parses the class file buf[0..len) just far enough to return its own
 * name (this_class, e.g. "org/apache/logging/log4j/core/lookup/JndiLookup")
 * into out[0..outsz).  Returns 0, or DEFUSE_EFORMAT with *err_off the
 * offset of the first bad byte. */
int defuse__class_name(const uint8_t *buf, size_t len, char *out, size_t outsz, size_t *err_off);

/* Finds key (e.g. "version") in a Java properties or MANIFEST.MF text
 * (continuation lines of a manifest are joined) and copies its value into
 * out.  Returns true if found. */
bool defuse__prop_get(const char *text, size_t len, const char *key, bool manifest, char *out,
                      size_t outsz);

/* What a sniffed head says a file or entry is. */
typedef enum defuse__kind {
    DEFUSE__K_OTHER = 0,
    DEFUSE__K_ZIP,   /* local header at offset 0 */
    DEFUSE__K_TAR,   /* ustar/gnu tar */
    DEFUSE__K_COMPRESSED, /* gzip, bzip2, xz, zstd: maybe a tar inside */
    DEFUSE__K_CLASS  /* 0xCAFEBABE */
} defuse__kind;

defuse__kind defuse__sniff(const uint8_t *head, size_t n);
/* If head[0..n) (the first bytes of a file, up to DEFUSE_INV_HEAD) begins a
 * software bill of materials, its format ("cyclonedx-json", "cyclonedx-xml",
 * "spdx-json", "spdx-tag-value", a static string); else NULL.  By content
 * only; a file whose first byte no SBOM starts with costs one comparison. */
const char *defuse__sbom_sniff(const uint8_t *head, size_t n);
/* True if tail[0..n) (the last bytes of a file) holds a zip end of central
 * directory record. */
bool defuse__has_eocd(const uint8_t *tail, size_t n);

/* Reads n bytes at off into buf; returns the count read or -1. */
typedef long (*defuse__pread_fn)(void *ctx, void *buf, size_t n, uint64_t off);

/* Reads the end of central directory and the central directory of a zip of
 * size bytes through rd and sums the uncompressed sizes its entries declare
 * (*declared) and tells whether entries share bytes (*overlap: the
 * construction of non-recursive zip bombs).  Returns 0, or 1 if the zip
 * cannot be checked this way (zip64, no EOCD): then nothing is known. */
int defuse__zip_precheck(defuse__pread_fn rd, void *ctx, uint64_t size, uint64_t *declared,
                         bool *overlap);
/* Bytes before the first local header of the zip (a self-executable jar's
 * script), from its end of central directory; 0 if none or unknown. */
uint64_t defuse__zip_prefix(defuse__pread_fn rd, void *ctx, uint64_t size);

/* Sniffs the open regular file fd of size bytes (its head, and for some
 * names or heads its end: a zip behind a prefix).  name is used only to
 * decide whether the end is worth reading.  OUT: *kind.  Returns 0, or -1
 * with errno if reading failed. */
int defuse__sniff_fd(int fd, uint64_t size, const char *name, defuse__kind *kind);

/* Scans the file name relative to directory dirfd (AT_FDCWD: name is a
 * path) as defuse_inventory_scan_file() does, reporting it as display.  The
 * walk's fast path for a directory entry of type DT_REG: openat() with
 * O_NOATIME where permitted, one read of DEFUSE_INV_HEAD bytes; a short
 * file whose head is no archive, class or zip behind a prefix costs no
 * fstat() and no further read.  Same return values as scan_file. */
int defuse__inventory_scan_at(defuse_inventory *inv, int dirfd, const char *name,
                              const char *display, defuse_component_cb cb, void *user);

/* As defuse_inventory_scan_file() for the open regular file fd (closed
 * here). */
int defuse__inventory_scan_fd(defuse_inventory *inv, int fd, const char *display,
                              defuse_component_cb cb, void *user);

/* ---- a nested archive's bytes (inventory_util.c) ---- */

/* Bytes held in memory (mem, len, cap) until they outgrow the caller's
 * threshold, then in an unlinked temp file (fd >= 0) holding all of them;
 * size counts every byte appended.  Zero-initialise with fd = -1. */
typedef struct defuse__blob {
    uint8_t *mem;
    size_t len, cap;
    int fd;
    uint64_t size;
} defuse__blob;

/* Frees the memory and closes the temp file; b is then empty (fd -1). */
void defuse__blob_free(defuse__blob *b);
/* Opens an unlinked temp file "defuse-TAG-XXXXXX" under $TMPDIR (or /tmp).
 * Returns the descriptor, or -1 with errno set. */
int defuse__spill_open(const char *tag);
/* write(2) all of p[0..n) to fd, retrying on EINTR.  False on error. */
bool defuse__write_all(int fd, const void *p, size_t n);

/* ---- the fast zip reader (inventory_zip.c) ---- */

/* One entry of a zip's central directory. */
typedef struct defuse__zent {
    uint64_t lho;   /* offset of the local header */
    uint64_t data;  /* offset of the entry's data */
    uint64_t csize, usize;
    uint32_t crc;
    uint32_t name;  /* offset of the NUL-terminated name in defuse__zdir.names */
    uint16_t flags, method;
    bool dir;
} defuse__zent;

/* A zip's entries in local-header order. */
typedef struct defuse__zdir {
    defuse__zent *ent;
    size_t n;
    char *names;
} defuse__zdir;

/* A zip in memory, for defuse__zmem_pread. */
typedef struct defuse__zmem {
    const uint8_t *p;
    uint64_t len;
} defuse__zmem;
long defuse__zmem_pread(void *ctx, void *buf, size_t n, uint64_t off);

/* Finds the end of central directory record of the zip of size bytes read
 * through rd the way the JDK's java.util.zip.ZipFile does (see
 * inventory_zip.c).  OUT: *eocd, its offset.  False if there is none. */
bool defuse__zip_find_eocd(defuse__pread_fn rd, void *ctx, uint64_t size, uint64_t *eocd);
/* Is there, after the JDK's EOCD at jdk, another "PK\5\6" record that
 * libarchive (and unzip) would take instead -- a second directory, hidden
 * in the zip comment, that other readers list?  OUT: *other, *nent. */
bool defuse__zip_other_eocd(defuse__pread_fn rd, void *ctx, uint64_t size, uint64_t jdk,
                            uint64_t *other, unsigned *nent);

/* Lists the zip z[0..size) into *d (owned: free with defuse__zdir_free) as
 * the JVM reads it.  Returns 0, or 1 if this reader does not handle the zip
 * (no EOCD, zip64, multi-disk, a directory or local header out of bounds,
 * out of memory): the caller then uses libarchive over the JDK's view.  *d
 * is empty on 1. */
int defuse__zdir_read(const uint8_t *z, size_t size, defuse__zdir *d);
void defuse__zdir_free(defuse__zdir *d);
/* Reads the first min(usize, max) bytes of entry e of zip z (listed by
 * defuse__zdir_read) into out.  OUT *got.  Returns 0; 2 if the whole entry
 * was read but its CRC-32 is wrong (the bytes are in out: the JVM loads such
 * a class); or 1 if it cannot (encrypted, method other than stored/deflate,
 * corrupt): the caller then uses libarchive. */
int defuse__zent_read(const uint8_t *z, const defuse__zent *e, uint8_t *out, size_t max,
                      size_t *got);

/* Archives opened by inv since it was created (for walk statistics). */
uint64_t defuse__inventory_archives(const defuse_inventory *inv);
/* Size of the last file given to defuse_inventory_scan_file() (0 if it was
 * not a regular file or could not be opened). */
uint64_t defuse__inventory_last_size(const defuse_inventory *inv);

/* Fills *out with the defaults, then copies the non-zero fields of in. */
void defuse__inv_limits_resolve(defuse_inv_limits *out, const defuse_inv_limits *in);

#endif /* DEFUSE_INVENTORY_H */
