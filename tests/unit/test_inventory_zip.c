/*
 * test_inventory_zip.c -- unit tests of the fast zip reader
 * (lib/inventory_zip.c) on zips written here in memory with libarchive:
 * it lists entries in local-header order with their names and directory
 * flags, reads stored and deflated data whole and in part, reads a zip as
 * the JVM does (the JDK's EOCD rule past a fake directory in the comment,
 * non-ASCII names, symlink entries as files, a prefix, local headers that
 * disagree, a wrong CRC reported but the bytes kept), refuses truncation,
 * and a scan through it finds the same component as the libarchive path
 * (forced by zip64 extensions).
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
#include <string.h>
#include <sys/stat.h>

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

typedef struct ent {
    const char *name;
    const char *data; /* NULL: a directory */
    unsigned type;    /* 0: regular (or directory when data is NULL) */
} ent;

#define ZIPCAP (1u << 20)
static uint8_t zbuf[ZIPCAP];

/* Writes a zip of the entries into zbuf; compression "store" or "deflate". */
static size_t make_zip(const ent *e, size_t n, const char *compression) {
    struct archive *a = archive_write_new();
    size_t used = 0;
    char opt[64];
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    /* "deflate,zip:zip64": also zip64 extensions */
    snprintf(opt, sizeof opt, "zip:compression=%s", compression);
    assert_int_equal(archive_write_set_options(a, opt), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, zbuf, sizeof zbuf, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *en = archive_entry_new();
        archive_entry_set_pathname(en, e[i].name);
        if (e[i].type == AE_IFLNK) {
            archive_entry_set_filetype(en, AE_IFLNK);
            archive_entry_set_symlink(en, "target");
            archive_entry_set_perm(en, 0777);
        } else if (!e[i].data) {
            archive_entry_set_filetype(en, AE_IFDIR);
            archive_entry_set_perm(en, 0755);
        } else {
            archive_entry_set_filetype(en, AE_IFREG);
            archive_entry_set_perm(en, 0644);
            archive_entry_set_size(en, (la_int64_t)strlen(e[i].data));
        }
        assert_int_equal(archive_write_header(a, en), ARCHIVE_OK);
        if (e[i].data && e[i].type != AE_IFLNK)
            assert_int_equal(archive_write_data(a, e[i].data, strlen(e[i].data)),
                             (la_ssize_t)strlen(e[i].data));
        archive_entry_free(en);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return used;
}

static const char big[] =
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Lorem ipsum dolor sit amet, "
    "consectetur adipiscing elit. Lorem ipsum dolor sit amet, consectetur adipiscing elit.";

static void check_listing(const char *compression) {
    const ent e[] = {{"META-INF/", NULL, 0},
                     {"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n", 0},
                     {"a/b/c.txt", big, 0},
                     {"x.class", "\xca\xfe\xba\xbe", 0}};
    size_t len = make_zip(e, 4, compression);
    defuse__zdir d;
    assert_int_equal(defuse__zdir_read(zbuf, len, &d), 0);
    assert_int_equal(d.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(d.names + d.ent[i].name, e[i].name);
        assert_int_equal(d.ent[i].dir, e[i].data == NULL);
        if (i)
            assert_true(d.ent[i].lho > d.ent[i - 1].lho);
        if (!e[i].data)
            continue;
        uint8_t out[512];
        size_t got = 0, want = strlen(e[i].data);
        assert_int_equal(defuse__zent_read(zbuf, &d.ent[i], out, sizeof out, &got), 0);
        assert_int_equal(got, want);
        assert_memory_equal(out, e[i].data, want);
        /* a part: the first 7 bytes */
        if (want > 7) {
            assert_int_equal(defuse__zent_read(zbuf, &d.ent[i], out, 7, &got), 0);
            assert_int_equal(got, 7);
            assert_memory_equal(out, e[i].data, 7);
        }
    }
    /* a corrupted byte of c.txt's data: refused (CRC or inflate error) */
    uint8_t save = zbuf[d.ent[2].data + 3];
    zbuf[d.ent[2].data + 3] ^= 0x55;
    uint8_t out[512];
    size_t got;
    int rc = defuse__zent_read(zbuf, &d.ent[2], out, sizeof out, &got);
    if (!strcmp(compression, "store")) {
        /* stored: the bytes are read, the CRC is wrong (2), as the JVM reads it */
        assert_int_equal(rc, 2);
        assert_int_equal(got, strlen(e[2].data));
    } else {
        assert_true(rc == 1 || rc == 2);
    }
    zbuf[d.ent[2].data + 3] = save;
    /* a local header whose name differs from the central record: the JVM
     * knows the entry by its central name, so does the reader */
    size_t lname = (size_t)d.ent[1].lho + 30;
    defuse__zdir_free(&d);
    zbuf[lname] = 'X';
    assert_int_equal(defuse__zdir_read(zbuf, len, &d), 0);
    assert_string_equal(d.names + d.ent[1].name, e[1].name);
    defuse__zdir_free(&d);
    zbuf[lname] = 'M';
    /* truncated: no end of central directory */
    for (size_t cut = 0; cut < len; cut += len / 13 + 1)
        assert_int_equal(defuse__zdir_read(zbuf, cut, &d), 1);
}

static void test_listing_stored(void **state) {
    (void)state;
    check_listing("store");
}

static void test_listing_deflate(void **state) {
    (void)state;
    check_listing("deflate");
}

static void put16(uint8_t *p, unsigned v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

static void test_jvm_view(void **state) {
    (void)state;
    defuse__zdir d;
    uint8_t out[64];
    size_t got;
    /* non-ASCII name: listed as its bytes */
    const ent na[] = {{"caf\xc3\xa9.txt", "x", 0}};
    size_t len = make_zip(na, 1, "store");
    assert_int_equal(defuse__zdir_read(zbuf, len, &d), 0);
    assert_string_equal(d.names + d.ent[0].name, "caf\xc3\xa9.txt");
    defuse__zdir_free(&d);
    /* a symlink entry: the class loader reads it as bytes */
    const ent sl[] = {{"a.txt", "x", 0}, {"link", "target", AE_IFLNK}};
    len = make_zip(sl, 2, "store");
    assert_int_equal(defuse__zdir_read(zbuf, len, &d), 0);
    assert_int_equal(d.n, 2);
    assert_false(d.ent[1].dir);
    defuse__zdir_free(&d);
    /* a script prefix (self-executable jar): offsets relative to the zip */
    const ent ok[] = {{"a.txt", "hello", 0}};
    len = make_zip(ok, 1, "deflate");
    memmove(zbuf + 10, zbuf, len);
    memcpy(zbuf, "#!/bin/sh\n", 10);
    assert_int_equal(defuse__zdir_read(zbuf, len + 10, &d), 0);
    assert_int_equal(defuse__zent_read(zbuf, &d.ent[0], out, sizeof out, &got), 0);
    assert_int_equal(got, 5);
    assert_memory_equal(out, "hello", 5);
    defuse__zdir_free(&d);
    /* a fake directory + EOCD in the comment, followed by trailing bytes:
     * the JDK skips it (its comment length does not reach the end, no local
     * header where it points), libarchive would take it */
    len = make_zip(ok, 1, "store");
    uint64_t real = len - 22;
    uint8_t fake[46 + 9 + 22 + 4];
    memset(fake, 0, sizeof fake);
    put32(fake, 0x02014b50);
    put16(fake + 28, 9);
    memcpy(fake + 46, "hello.txt", 9);
    uint8_t *fe = fake + 55;
    put32(fe, 0x06054b50);
    put16(fe + 8, 1);
    put16(fe + 10, 1);
    put32(fe + 12, 55);
    put32(fe + 16, 1);
    put16(zbuf + real + 20, sizeof fake);
    memcpy(zbuf + len, fake, sizeof fake);
    size_t total = len + sizeof fake;
    defuse__zmem m = {zbuf, total};
    uint64_t eocd = 0, other = 0;
    unsigned on = 0;
    assert_true(defuse__zip_find_eocd(defuse__zmem_pread, &m, total, &eocd));
    assert_int_equal(eocd, real);
    assert_true(defuse__zip_other_eocd(defuse__zmem_pread, &m, total, eocd, &other, &on));
    assert_int_equal(other, len + 55);
    assert_int_equal(on, 1);
    assert_int_equal(defuse__zdir_read(zbuf, total, &d), 0);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.names + d.ent[0].name, "a.txt");
    defuse__zdir_free(&d);
    /* the same fake as the last bytes (comment length exact): the JDK takes it */
    put16(zbuf + real + 20, sizeof fake - 4);
    assert_true(defuse__zip_find_eocd(defuse__zmem_pread, &m, total - 4, &eocd));
    assert_int_equal(eocd, len + 55);
    /* an ordinary zip has no second directory */
    len = make_zip(ok, 1, "store");
    m.len = len;
    assert_true(defuse__zip_find_eocd(defuse__zmem_pread, &m, len, &eocd));
    assert_false(defuse__zip_other_eocd(defuse__zmem_pread, &m, len, eocd, &other, &on));
}

typedef struct found {
    char version[64];
    int n;
} found;

static int collect(const defuse_component *c, void *user) {
    found *f = user;
    if (!c->err && c->product == DEFUSE_PRODUCT_LOG4J_CORE) {
        snprintf(f->version, sizeof f->version, "%s", c->version);
        f->n++;
    }
    return 0;
}

/* The same jar through the fast reader and (with zip64 extensions, which the
 * fast reader leaves to libarchive) through libarchive: the same finding. */
static void test_same_finding(void **state) {
    (void)state;
    const ent e[] = {
        {"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
         "version=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n", 0},
        {"org/apache/logging/log4j/core/LoggerContext.class", "\xca\xfe\xba\xbe", 0},
        {"readme.txt", big, 0}};
    size_t len64 = make_zip(e, 3, "deflate,zip:zip64");
    uint8_t *copy = malloc(len64);
    assert_non_null(copy);
    memcpy(copy, zbuf, len64);
    defuse__zdir d;
    assert_int_equal(defuse__zdir_read(copy, len64, &d), 1);
    size_t len = make_zip(e, 3, "deflate");
    defuse_inventory *inv;
    assert_int_equal(defuse_inventory_new(&inv, db, NULL), 0);
    found fast = {{0}, 0}, slow = {{0}, 0};
    defuse_inventory_scan_memory(inv, zbuf, len, "fast.jar", collect, &fast);
    uint64_t a0 = defuse__inventory_archives(inv);
    defuse_inventory_scan_memory(inv, copy, len64, "slow.jar", collect, &slow);
    assert_int_equal(defuse__inventory_archives(inv), a0 + 1);
    assert_int_equal(fast.n, 1);
    assert_int_equal(slow.n, 1);
    assert_string_equal(fast.version, "2.14.1");
    assert_string_equal(slow.version, fast.version);
    defuse_inventory_free(inv);
    free(copy);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listing_stored),
        cmocka_unit_test(test_listing_deflate),
        cmocka_unit_test(test_jvm_view),
        cmocka_unit_test(test_same_finding),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
