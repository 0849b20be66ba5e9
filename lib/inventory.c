/*
 * inventory.c -- the per-thread inventory scanner: opens files and archive
 * entries by content with libarchive (zip family incl. a script prefix,
 * tar, tar.gz/bz2/xz/zst), descends into nested archives within the limits
 * of defuse_inv_limits, feeds every interesting entry to the
 * identification (inventory_facts.c) and reports components and errors.
 *
 * Nested archives: a zip needs its central directory at the end, so a
 * nested zip is read into memory up to max_memory_archive and spilled to an
 * unlinked temp file beyond that (up to max_spill), then opened seekable.
 * A nested tar (plain or compressed) needs no seeking and is streamed
 * straight from the outer entry through archive_read_open() callbacks.
 */
#include "inventory.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IOBUF (64u * 1024u)
/* Read size for a zip file: the seekable reader seeks to every local header,
 * and each seek refills a whole block, so small blocks copy far less. */
#define ZIP_BLOCK (8u * 1024u)

/* The bytes of the nested zip being scanned (in memory, or spilled to fd),
 * so that its components carry its SHA-256 (defuse_component.sha256),
 * computed once and only if it holds a component.  Unset (set == false)
 * for a top-level file (the caller has the file) and for a streamed tar,
 * whose bytes are not held. */
typedef struct container {
    bool set, done;
    int fd;
    const uint8_t *mem;
    uint64_t size;
    char hex[65]; /* "" until done, or if it could not be read */
} container;

struct defuse_inventory {
    const defuse_vulndb *db;
    defuse_inv_limits lim;
    /* state of the current top-level file */
    defuse_component_cb cb;
    void *user;
    uint64_t expanded;
    struct timespec start;
    int abort_err;   /* non-zero: stop the whole top-level file */
    bool stopped;    /* the callback asked to stop */
    unsigned nvuln;
    uint64_t quine[DEFUSE_INV_MAX_DEPTH + 2]; /* FNV-1a of enclosing zips */
    uint64_t archives; /* archives opened, lifetime total */
    uint64_t last_size; /* size of the last top-level file examined */
    bool demote;        /* errors are warnings (a zip's second view) */
    uint64_t zeros;     /* zero-filled bytes drained from tar streams */
    container cont;     /* the nested zip whose entries are being read */
    container top;      /* the top-level file (fd >= 0 while it is open):
                           hashed once, here in the scanning thread, when it
                           holds a component (defuse_component.sha256_outer) */
};

uint64_t defuse__inventory_archives(const defuse_inventory *inv) {
    return inv->archives;
}

uint64_t defuse__inventory_last_size(const defuse_inventory *inv) {
    return inv->last_size;
}

int defuse_inventory_new(defuse_inventory **out, const defuse_vulndb *db,
                         const defuse_inv_limits *limits) {
    if (!out || !db)
        return DEFUSE_EINVAL;
    defuse_inventory *inv = calloc(1, sizeof *inv);
    if (!inv)
        return DEFUSE_ENOMEM;
    inv->db = db;
    defuse__inv_limits_resolve(&inv->lim, limits);
    if (inv->lim.max_depth > DEFUSE_INV_MAX_DEPTH)
        inv->lim.max_depth = DEFUSE_INV_MAX_DEPTH;
    *out = inv;
    return 0;
}

void defuse_inventory_free(defuse_inventory *inv) {
    free(inv);
}

/* ---- reporting ---------------------------------------------------------------- */

__attribute__((format(printf, 4, 5))) static void report_error(defuse_inventory *inv,
                                                                const char *path, int err,
                                                                const char *fmt, ...) {
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    defuse_component c;
    memset(&c, 0, sizeof c);
    c.err = err ? err : DEFUSE_EFORMAT;
    c.warning = inv->demote;
    c.reason = reason;
    c.path = path;
    c.jndilookup = -1;
    if (inv->cb && !inv->stopped && inv->cb(&c, inv->user))
        inv->stopped = true;
}

/* As report_error, for something examined anyway (counted as a warning). */
__attribute__((format(printf, 4, 5))) static void
report_warning(defuse_inventory *inv, const char *path, int err, const char *fmt, ...) {
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    defuse_component c;
    memset(&c, 0, sizeof c);
    c.err = err ? err : DEFUSE_EFORMAT;
    c.warning = 1;
    c.reason = reason;
    c.path = path;
    c.jndilookup = -1;
    if (inv->cb && !inv->stopped && inv->cb(&c, inv->user))
        inv->stopped = true;
}

/* A top-level file that is an SBOM of format fmt: a record of its own
 * (err 0, sbom set), neither a component nor an error. */
static void report_sbom(defuse_inventory *inv, const char *path, const char *fmt) {
    defuse_component c;
    memset(&c, 0, sizeof c);
    c.path = path;
    c.sbom = fmt;
    c.jndilookup = -1;
    if (inv->cb && !inv->stopped && inv->cb(&c, inv->user))
        inv->stopped = true;
}

/* k's SHA-256 as hex, computed on the first call (k->hex "" if it cannot be
 * read).  A container with fd < 0 is mem[0..size); else fd is read from 0 to
 * its end (size is not trusted for the top-level file: it is read to EOF). */
static const char *container_hex(container *k) {
    if (!k->done) {
        k->done = true;
        uint8_t d[32];
        bool ok;
        if (k->fd < 0) {
            ok = defuse__sha256_once(k->mem, (size_t)k->size, d);
        } else {
            defuse__sha256 h;
            uint8_t buf[64 * 1024];
            ok = defuse__sha256_init(&h);
            for (uint64_t off = 0; ok;) {
                ssize_t n = pread(k->fd, buf, sizeof buf, (off_t)off);
                if (n == 0 && off >= k->size)
                    break;
                ok = n > 0 && defuse__sha256_update(&h, buf, (size_t)n);
                if (ok)
                    off += (uint64_t)n;
            }
            ok = defuse__sha256_final(&h, d) && ok; /* final releases h on every path */
        }
        if (ok)
            defuse__sha256_hex(d, k->hex);
    }
    return k->hex[0] ? k->hex : NULL;
}

/* The callback for every component: adds the SHA-256 of the top-level file
 * and, inside a nested zip, of that zip (see container). */
static int emit_cb(const defuse_component *c, void *user) {
    defuse_inventory *inv = user;
    if (c->err || inv->lim.no_hashes)
        return inv->cb ? inv->cb(c, inv->user) : 0;
    defuse_component x = *c;
    if (inv->top.set)
        x.sha256_outer = container_hex(&inv->top);
    if (inv->cont.set)
        x.sha256 = container_hex(&inv->cont);
    return inv->cb ? inv->cb(&x, inv->user) : 0;
}

/* Reports the components of facts (a zip or tar read whole) as display. */
static void emit_facts(defuse_inventory *inv, defuse__inv_facts *facts, const char *display) {
    unsigned nv = 0;
    if (defuse__facts_emit(facts, display, "!/", emit_cb, inv, &nv))
        inv->stopped = true;
    inv->nvuln += nv;
}

static bool over_time(defuse_inventory *inv) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)(now.tv_sec - inv->start.tv_sec) >= inv->lim.max_seconds;
}

static bool halted(const defuse_inventory *inv) {
    return inv->abort_err || inv->stopped;
}

/* Counts n decompressed bytes; sets abort_err past the limit. */
static bool account(defuse_inventory *inv, const char *path, uint64_t n) {
    inv->expanded += n;
    if (inv->expanded > inv->lim.max_expanded && !inv->abort_err) {
        inv->abort_err = DEFUSE_ELIMIT;
        report_error(inv, path, DEFUSE_ELIMIT,
                     "limit: more than %llu bytes decompressed from this file (zip bomb?)",
                     (unsigned long long)inv->lim.max_expanded);
    }
    return !inv->abort_err;
}

/* ---- blobs: a nested archive's bytes, in memory or spilled ---------------------- */

typedef defuse__blob blob;

static int blob_append(defuse_inventory *inv, blob *b, const void *p, size_t n, const char *path) {
    b->size += n;
    if (b->size > inv->lim.max_spill) {
        report_error(inv, path, DEFUSE_ELIMIT, "limit: nested archive larger than %llu bytes",
                     (unsigned long long)inv->lim.max_spill);
        return DEFUSE_ELIMIT;
    }
    if (b->fd < 0 && b->len + n > inv->lim.max_memory_archive) {
        if ((b->fd = defuse__spill_open("spill")) < 0 || !defuse__write_all(b->fd, b->mem, b->len)) {
            report_error(inv, path, DEFUSE_EIO, "cannot spill nested archive to a temp file: %s",
                         strerror(errno));
            return DEFUSE_EIO;
        }
        free(b->mem);
        b->mem = NULL;
        b->len = b->cap = 0;
    }
    if (b->fd >= 0) {
        if (!defuse__write_all(b->fd, p, n)) {
            report_error(inv, path, DEFUSE_EIO, "temp file write failed: %s", strerror(errno));
            return DEFUSE_EIO;
        }
        return 0;
    }
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 65536;
        while (nc < b->len + n)
            nc *= 2;
        uint8_t *m = realloc(b->mem, nc);
        if (!m) {
            report_error(inv, path, DEFUSE_ENOMEM, "out of memory reading nested archive");
            return DEFUSE_ENOMEM;
        }
        b->mem = m;
        b->cap = nc;
    }
    memcpy(b->mem + b->len, p, n);
    b->len += n;
    return 0;
}

/* Reads the rest of the current entry of a after head[0..hn) into b. */
static int read_entry_blob(defuse_inventory *inv, struct archive *a, const uint8_t *head,
                           size_t hn, blob *b, const char *path) {
    uint8_t buf[IOBUF];
    int rc = blob_append(inv, b, head, hn, path);
    while (!rc) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0) {
            report_error(inv, path, DEFUSE_EFORMAT, "cannot read entry: %s",
                         archive_error_string(a) ? archive_error_string(a) : "read error");
            return DEFUSE_EFORMAT;
        }
        if (!account(inv, path, (uint64_t)n))
            return DEFUSE_ELIMIT;
        rc = blob_append(inv, b, buf, (size_t)n, path);
        if (!rc && over_time(inv)) {
            inv->abort_err = DEFUSE_ELIMIT;
            report_error(inv, path, DEFUSE_ELIMIT, "limit: more than %u s on this file",
                         inv->lim.max_seconds);
            return DEFUSE_ELIMIT;
        }
    }
    return rc;
}

/* Reads up to max bytes of the current entry into a malloc'd buffer.  On a
 * read error (reported) *out still holds the bytes read before it. */
static int read_entry_small(defuse_inventory *inv, struct archive *a, size_t max, uint8_t **out,
                            size_t *outlen, const char *path) {
    size_t cap = 16384, len = 0;
    uint8_t *buf = malloc(cap);
    *out = NULL;
    *outlen = 0;
    if (!buf)
        return DEFUSE_ENOMEM;
    while (len < max) {
        if (len == cap) {
            size_t nc = cap * 2 > max ? max : cap * 2;
            uint8_t *m = realloc(buf, nc);
            if (!m) {
                free(buf);
                return DEFUSE_ENOMEM;
            }
            buf = m;
            cap = nc;
        }
        la_ssize_t n = archive_read_data(a, buf + len, cap - len);
        if (n == 0)
            break;
        if (n < 0) {
            /* the bytes read so far are kept: an entry that exists is
             * present (a wrong CRC does not stop the JVM loading it) */
            const char *es = archive_error_string(a) ? archive_error_string(a) : "read error";
            if (strstr(es, "CRC"))
                report_warning(inv, path, DEFUSE_EFORMAT,
                               "%s: examined anyway (the JVM does not check CRCs on the class "
                               "path)",
                               es);
            else
                report_error(inv, path, DEFUSE_EFORMAT, "cannot read entry: %s", es);
            *out = buf;
            *outlen = len;
            return DEFUSE_EFORMAT;
        }
        len += (size_t)n;
        if (!account(inv, path, (uint64_t)n)) {
            free(buf);
            return DEFUSE_ELIMIT;
        }
    }
    *out = buf;
    *outlen = len;
    return 0;
}

/* A 64-bit fingerprint of a nested zip for the quine check: FNV-1a over
 * 8-byte words (byte-wise FNV cost ~1 ns per byte of every nested jar). */
static uint64_t fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 1099511628211ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h ^ n;
}

/* ---- streaming a nested tar from the outer entry ----------------------------------- */

typedef struct stream {
    defuse_inventory *inv;
    struct archive *outer;
    const char *path;
    const uint8_t *head;
    size_t headlen;
    bool head_done;
    uint8_t buf[IOBUF];
} stream;

static la_ssize_t stream_read(struct archive *a, void *ud, const void **out) {
    stream *s = ud;
    if (!s->head_done) {
        s->head_done = true;
        if (s->headlen) {
            *out = s->head;
            return (la_ssize_t)s->headlen;
        }
    }
    la_ssize_t n = archive_read_data(s->outer, s->buf, sizeof s->buf);
    if (n < 0) {
        archive_set_error(a, EIO, "enclosing archive: %s",
                          archive_error_string(s->outer) ? archive_error_string(s->outer) : "?");
        return -1;
    }
    if (!account(s->inv, s->path, (uint64_t)n)) {
        archive_set_error(a, EFBIG, "decompression limit");
        return -1;
    }
    *out = s->buf;
    return n;
}

/* ---- zip bomb pre-check ------------------------------------------------------------ */

static long pread_fd(void *ctx, void *buf, size_t n, uint64_t off) {
    return (long)pread(*(int *)ctx, buf, n, (off_t)off);
}

typedef defuse__zmem memsrc;
#define pread_mem defuse__zmem_pread

/* Refuses a zip whose central directory declares overlapping entries or an
 * expansion above max_ratio.  Returns true if the zip may be read. */
static bool zip_ok(defuse_inventory *inv, defuse__pread_fn rd, void *ctx, uint64_t size,
                   const char *path) {
    uint64_t declared;
    bool overlap;
    if (defuse__zip_precheck(rd, ctx, size, &declared, &overlap))
        return true;
    if (overlap) {
        report_error(inv, path, DEFUSE_ELIMIT,
                     "zip bomb: entries overlap (they declare %llu bytes from a %llu-byte "
                     "archive); not examined",
                     (unsigned long long)declared, (unsigned long long)size);
        return false;
    }
    if (declared > DEFUSE_INV_RATIO_FLOOR && declared / (size ? size : 1) > inv->lim.max_ratio) {
        report_error(inv, path, DEFUSE_ELIMIT,
                     "zip bomb: entries declare %llu bytes from a %llu-byte archive (ratio over "
                     "%u:1); not examined",
                     (unsigned long long)declared, (unsigned long long)size, inv->lim.max_ratio);
        return false;
    }
    return true;
}

/* ---- walking one archive ------------------------------------------------------------ */

static struct archive *reader_new(defuse__kind kind) {
    struct archive *a = archive_read_new();
    if (!a)
        return NULL;
    if (kind == DEFUSE__K_ZIP) {
        archive_read_support_format_zip_seekable(a);
    } else {
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        archive_read_support_filter_all(a);
    }
    return a;
}

/* ---- a zip as the JVM sees it ----------------------------------------------------- */

/* A byte range [0, end) of a file for libarchive's seekable zip reader: the
 * zip up to the end of the EOCD the JDK takes, so that libarchive cannot
 * take a fake directory placed after it (in the zip comment). */
typedef struct zrange {
    int fd;
    uint64_t end, pos;
    uint8_t buf[ZIP_BLOCK];
} zrange;

static la_ssize_t zr_read(struct archive *a, void *ud, const void **out) {
    zrange *r = ud;
    size_t n = r->end - r->pos < sizeof r->buf ? (size_t)(r->end - r->pos) : sizeof r->buf;
    ssize_t got = n ? pread(r->fd, r->buf, n, (off_t)r->pos) : 0;
    if (got < 0) {
        archive_set_error(a, errno, "read error");
        return -1;
    }
    r->pos += (uint64_t)got;
    *out = r->buf;
    return got;
}

static la_int64_t zr_seek(struct archive *a, void *ud, la_int64_t off, int whence) {
    (void)a;
    zrange *r = ud;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)r->pos : (int64_t)r->end;
    int64_t np = base + off;
    if (np < 0)
        return ARCHIVE_FATAL;
    r->pos = (uint64_t)np > r->end ? r->end : (uint64_t)np;
    return (la_int64_t)r->pos;
}

static la_int64_t zr_skip(struct archive *a, void *ud, la_int64_t req) {
    (void)a;
    zrange *r = ud;
    uint64_t n = req < 0 ? 0 : (uint64_t)req;
    if (n > r->end - r->pos)
        n = r->end - r->pos;
    r->pos += n;
    return (la_int64_t)n;
}

/* Opens a over fd (>= 0) or mem, bytes [0, end).  r is the caller's. */
static int zip_open_range(struct archive *a, int fd, const uint8_t *mem, uint64_t end, zrange *r) {
    if (fd < 0)
        return archive_read_open_memory(a, mem, (size_t)end);
    r->fd = fd;
    r->end = end;
    r->pos = 0;
    archive_read_set_read_callback(a, zr_read);
    archive_read_set_seek_callback(a, zr_seek);
    archive_read_set_skip_callback(a, zr_skip);
    archive_read_set_callback_data(a, r);
    return archive_read_open1(a);
}

static int scan_reader(defuse_inventory *inv, struct archive *a, const char *display,
                       unsigned depth, uint64_t arch_size, defuse__kind kind);
static bool scan_zip_fast(defuse_inventory *inv, const uint8_t *z, size_t size,
                          const char *display);
static bool zip_fast_fd(defuse_inventory *inv, int fd, uint64_t size, const char *display);

/* Scans the zip in fd (>= 0) or mem, of size bytes, as the JVM reads it: the
 * bomb pre-check, then the fast reader (in memory, or a top-level file up to
 * DEFUSE_INV_MAX_MEMORY_ARCHIVE), else libarchive over the bytes up to the
 * EOCD the JDK takes.  If the zip comment hides a second directory that
 * other readers (libarchive, unzip) would list instead, both views are
 * examined and the discrepancy is reported as a warning. */
static void scan_zip_any(defuse_inventory *inv, int fd, const uint8_t *mem, uint64_t size,
                         const char *display, unsigned depth, bool top) {
    memsrc ms = {mem, size};
    defuse__pread_fn rd = fd >= 0 ? pread_fd : pread_mem;
    void *ctx = fd >= 0 ? (void *)&fd : (void *)&ms;
    if (!zip_ok(inv, rd, ctx, size, display))
        return;
    container saved_cont = inv->cont;
    inv->cont = (container){.set = !top, .fd = fd, .mem = mem, .size = size};
    uint64_t jdk = 0, other = 0;
    unsigned on = 0;
    bool found = defuse__zip_find_eocd(rd, ctx, size, &jdk);
    bool two = found && defuse__zip_other_eocd(rd, ctx, size, jdk, &other, &on);
    if (two)
        report_warning(inv, display, DEFUSE_EFORMAT,
                       "the zip comment hides a second central directory (%u entries, end "
                       "record at byte %llu) that other zip readers (libarchive, unzip) list "
                       "instead of the one the JVM reads (end record at byte %llu); both "
                       "examined",
                       on, (unsigned long long)other, (unsigned long long)jdk);
    bool done = fd < 0 ? scan_zip_fast(inv, mem, (size_t)size, display)
                       : top && zip_fast_fd(inv, fd, size, display);
    for (int view = done ? 1 : 0; view < (two ? 2 : 1) && !halted(inv); view++) {
        struct archive *a = reader_new(DEFUSE__K_ZIP);
        zrange *r = fd >= 0 ? malloc(sizeof *r) : NULL;
        uint64_t end = view == 0 && found ? jdk + 22 : size;
        bool saved = inv->demote;
        inv->demote = saved || view == 1; /* the JVM does not read that view */
        if (!a || (fd >= 0 && !r))
            report_error(inv, display, DEFUSE_ENOMEM, "out of memory");
        else if (zip_open_range(a, fd, mem, end, r) != ARCHIVE_OK)
            report_error(inv, display, DEFUSE_EFORMAT, "corrupt archive: %s",
                         archive_error_string(a) ? archive_error_string(a) : "cannot open");
        else
            scan_reader(inv, a, display, depth, size, DEFUSE__K_ZIP);
        inv->demote = saved;
        if (a)
            archive_read_free(a);
        free(r);
    }
    inv->cont = saved_cont;
}

static void join_path(char *out, size_t outsz, const char *a, const char *sep, const char *b) {
    snprintf(out, outsz, "%s%s%s", a, sep, b);
}

/* Descends into the archive that is the current entry of outer. */
static void scan_nested(defuse_inventory *inv, struct archive *outer, const uint8_t *head,
                        size_t hn, defuse__kind kind, const char *full, unsigned depth,
                        bool maybe) {
    if (depth > inv->lim.max_depth) {
        report_error(inv, full, DEFUSE_ELIMIT,
                     "limit: archive nested deeper than %u levels (not examined)",
                     inv->lim.max_depth);
        return;
    }
    struct archive *a = reader_new(kind);
    if (!a) {
        report_error(inv, full, DEFUSE_ENOMEM, "out of memory");
        return;
    }
    if (kind == DEFUSE__K_ZIP) {
        blob b = {NULL, 0, 0, -1, 0};
        if (read_entry_blob(inv, outer, head, hn, &b, full)) {
            defuse__blob_free(&b);
            archive_read_free(a);
            return;
        }
        if (maybe) {
            /* a script that may carry a zip (self-executable jar): only if
             * its end holds an end of central directory record */
            memsrc m0 = {b.mem, b.len};
            bool zip = b.fd >= 0 ? defuse__zip_prefix(pread_fd, &b.fd, b.size) > 0
                                 : defuse__zip_prefix(pread_mem, &m0, b.len) > 0;
            if (!zip) {
                defuse__blob_free(&b);
                archive_read_free(a);
                return;
            }
        }
        if (b.fd < 0) {
            uint64_t h = fnv1a(b.mem, b.len);
            for (unsigned d = 0; d < depth && d < DEFUSE_INV_MAX_DEPTH + 2; d++) {
                if (inv->quine[d] == h) {
                    report_error(inv, full, DEFUSE_ELIMIT,
                                 "archive contains a copy of an enclosing archive (zip quine); "
                                 "not descending");
                    defuse__blob_free(&b);
                    archive_read_free(a);
                    return;
                }
            }
            if (depth < DEFUSE_INV_MAX_DEPTH + 2)
                inv->quine[depth] = h;
        } else if (depth < DEFUSE_INV_MAX_DEPTH + 2) {
            inv->quine[depth] = 0;
        }
        scan_zip_any(inv, b.fd, b.mem, b.fd >= 0 ? b.size : b.len, full, depth, false);
        if (depth < DEFUSE_INV_MAX_DEPTH + 2)
            inv->quine[depth] = 0;
        archive_read_free(a);
        defuse__blob_free(&b);
        return;
    }
    stream *s = calloc(1, sizeof *s);
    if (!s) {
        archive_read_free(a);
        report_error(inv, full, DEFUSE_ENOMEM, "out of memory");
        return;
    }
    s->inv = inv;
    s->outer = outer;
    s->path = full;
    s->head = head;
    s->headlen = hn;
    container saved_cont = inv->cont;
    inv->cont.set = false; /* a streamed tar: its bytes are not held */
    if (archive_read_open(a, s, NULL, stream_read, NULL) == ARCHIVE_OK)
        scan_reader(inv, a, full, depth, 0, kind);
    else if (kind == DEFUSE__K_TAR)
        report_error(inv, full, DEFUSE_EFORMAT, "corrupt archive: %s",
                     archive_error_string(a) ? archive_error_string(a) : "cannot open");
    inv->cont = saved_cont;
    archive_read_free(a);
    free(s);
}

static const char *entry_name(struct archive_entry *e) {
    /* UTF-8 first: zip names are stored so, and the locale form would be
     * converted (mbrtowc) for every entry */
    const char *n = archive_entry_pathname_utf8(e);
    if (!n)
        n = archive_entry_pathname(e);
    if (!n)
        return NULL;
    while (n[0] == '.' && n[1] == '/')
        n += 2;
    while (n[0] == '/')
        n++;
    return n;
}

static bool is_class_name(const char *n) {
    size_t l = strlen(n);
    return l > 6 && !strcmp(n + l - 6, ".class");
}

/* An entry whose content is a class file (0xCAFEBABE) under a name the
 * classification does not know: the class names itself (this_class), and
 * that name is classified, so a JndiLookup stored as X.classrenamed counts.
 * Returns 0 or DEFUSE_ENOMEM. */
static int class_by_content(defuse__inv_facts *f, const uint8_t *data, size_t len,
                            const char *full) {
    char cname[1024];
    size_t off;
    if (defuse__class_name(data, len, cname, sizeof cname - 8, &off))
        return 0;
    strcat(cname, ".class");
    defuse__classify c;
    if (!defuse__inv_classify(cname, &c))
        return 0;
    return defuse__facts_add(f, cname, full, &c, c.read ? data : NULL, c.read ? len : 0);
}

/* Does a 4-byte head start an archive (zip, gzip, bzip2, xz, zstd)?  The
 * cheap look at entries named *.class: a jar stored as lib/library.class. */
static bool head_is_archive(const uint8_t *h, size_t n) {
    defuse__kind k = defuse__sniff(h, n);
    return k == DEFUSE__K_ZIP || k == DEFUSE__K_COMPRESSED;
}

/* Reads the rest of the current entry of a streamed (tar) archive ourselves
 * instead of letting libarchive skip it, so that the decompressed bytes are
 * counted and the time limit is checked inside one huge entry (a tar.bz2 or
 * tar.zst of zeros expands a million-fold).  Returns false past a limit. */
static bool ratio_ok(defuse_inventory *inv, struct archive *a, const char *path,
                     uint64_t start) {
    uint64_t out = inv->expanded - start, in = (uint64_t)archive_filter_bytes(a, -1);
    if (out <= DEFUSE_INV_RATIO_FLOOR || out / (in ? in : 1) <= inv->lim.max_ratio)
        return true;
    inv->abort_err = DEFUSE_ELIMIT;
    report_error(inv, path, DEFUSE_ELIMIT,
                 "decompression bomb: %llu bytes from %llu compressed (ratio over %u:1); "
                 "not examined further",
                 (unsigned long long)out, (unsigned long long)in, inv->lim.max_ratio);
    return false;
}

/* Is p[0..n) all zero bytes? */
static bool all_zero(const uint8_t *p, size_t n) {
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Reads past the rest of the current entry (see above).  Zero-filled and
 * sparse data are not bombs: holes of a sparse entry are never produced
 * (archive_read_data_block skips them), and blocks of zeros -- lastlog,
 * preallocated databases, VM images -- count neither towards the ratio nor
 * towards max_expanded but towards their own budget of 16 x max_expanded
 * (and the time limit), which only a real bomb reaches. */
static bool drain(defuse_inventory *inv, struct archive *a, const char *path, uint64_t start) {
    uint64_t since = 0;
    for (;;) {
        const void *blk;
        size_t n;
        la_int64_t off;
        int r = archive_read_data_block(a, &blk, &n, &off);
        if (r != ARCHIVE_OK)
            return true; /* end, or an error the next header reports */
        if (all_zero(blk, n)) {
            inv->zeros += n;
            if (inv->zeros / 16 > inv->lim.max_expanded && !inv->abort_err) {
                inv->abort_err = DEFUSE_ELIMIT;
                report_error(inv, path, DEFUSE_ELIMIT,
                             "limit: more than %llu bytes of zeros decompressed from this file "
                             "(decompression bomb?)",
                             (unsigned long long)inv->lim.max_expanded * 16);
                return false;
            }
        } else if (!account(inv, path, (uint64_t)n)) {
            return false;
        }
        since += (uint64_t)n;
        if (since >= (16u << 20)) {
            since = 0;
            if (!ratio_ok(inv, a, path, start))
                return false;
            if (over_time(inv)) {
                inv->abort_err = DEFUSE_ELIMIT;
                report_error(inv, path, DEFUSE_ELIMIT, "limit: more than %u s on this file",
                             inv->lim.max_seconds);
                return false;
            }
        }
    }
}

static int scan_reader(defuse_inventory *inv, struct archive *a, const char *display,
                       unsigned depth, uint64_t arch_size, defuse__kind kind) {
    defuse__inv_facts facts;
    struct archive_entry *e;
    uint64_t entries = 0, declared = 0, start_expanded = inv->expanded;
    char *full = malloc(DEFUSE_INV_MAX_PATH);
    uint8_t head[DEFUSE_INV_SNIFF];
    if (!full)
        return DEFUSE_ENOMEM;
    inv->archives++;
    defuse__facts_init(&facts, inv->db, true);
    for (unsigned retries = 0; !halted(inv);) {
        if (kind != DEFUSE__K_ZIP && entries > 0 &&
            (!drain(inv, a, display, start_expanded) || !ratio_ok(inv, a, display, start_expanded)))
            break;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r == ARCHIVE_RETRY && ++retries < 8)
            continue;
        if (r < ARCHIVE_WARN) {
            const char *es = archive_error_string(a);
            /* a compressed file that holds no tar is just a compressed file */
            if (!(entries == 0 && kind == DEFUSE__K_COMPRESSED))
                report_error(inv, display, DEFUSE_EFORMAT, "corrupt archive after %llu entries: %s",
                             (unsigned long long)entries, es ? es : "read error");
            if (r == ARCHIVE_FATAL || entries == 0)
                break;
            continue;
        }
        retries = 0;
        if (++entries > inv->lim.max_entries) {
            report_error(inv, display, DEFUSE_ELIMIT, "limit: more than %llu entries",
                         (unsigned long long)inv->lim.max_entries);
            break;
        }
        if ((entries & 63) == 0 && over_time(inv)) {
            inv->abort_err = DEFUSE_ELIMIT;
            report_error(inv, display, DEFUSE_ELIMIT, "limit: more than %u s on this file",
                         inv->lim.max_seconds);
            break;
        }
        if (archive_entry_filetype(e) != AE_IFREG)
            continue;
        const char *name = entry_name(e);
        if (!name || !*name)
            continue;
        if (kind == DEFUSE__K_ZIP && archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
            declared += (uint64_t)archive_entry_size(e);
            uint64_t base = arch_size ? arch_size : 1;
            if (declared > DEFUSE_INV_RATIO_FLOOR && declared / base > inv->lim.max_ratio) {
                report_error(inv, display, DEFUSE_ELIMIT,
                             "zip bomb: entries declare %llu bytes from a %llu-byte archive "
                             "(ratio over %u:1); not examined further",
                             (unsigned long long)declared, (unsigned long long)arch_size,
                             inv->lim.max_ratio);
                break;
            }
        }
        join_path(full, DEFUSE_INV_MAX_PATH, display, "!/", name);
        defuse__classify c;
        if (defuse__inv_classify(name, &c)) {
            uint8_t *data = NULL;
            size_t len = 0;
            if (c.read && read_entry_small(inv, a, inv->lim.max_class, &data, &len, full) && !data)
                continue;
            int rc = defuse__facts_add(&facts, name, full, &c, data, len);
            free(data);
            if (rc)
                report_error(inv, full, rc, "%s", defuse_strerror(rc));
            continue;
        }
        bool cls = is_class_name(name);
        if (cls)
            defuse__facts_seen(&facts, name);
        if (archive_entry_size_is_set(e) && archive_entry_size(e) < 22)
            continue;
        /* sniff the entry: a nested archive?  (*.class: only the 6 bytes
         * of an archive magic -- they are many, and classes are loaded by
         * their name) */
        size_t hn = 0, hwant = cls ? 6 : sizeof head;
        while (hn < hwant) {
            la_ssize_t n = archive_read_data(a, head + hn, hwant - hn);
            if (n <= 0) {
                if (n < 0)
                    report_error(inv, full, DEFUSE_EFORMAT, "cannot read entry: %s",
                                 archive_error_string(a) ? archive_error_string(a) : "read error");
                break;
            }
            hn += (size_t)n;
        }
        if (!account(inv, full, hn))
            break;
        defuse__kind k = defuse__sniff(head, hn);
        if (k == DEFUSE__K_CLASS && !cls) {
            /* a class under another name: read the rest, let it name itself */
            uint8_t *rest = NULL, *data = NULL;
            size_t rl = 0;
            size_t left = inv->lim.max_class > hn ? inv->lim.max_class - hn : 0;
            bool rd_ok = read_entry_small(inv, a, left, &rest, &rl, full) == 0;
            if (rd_ok && (data = malloc(hn + rl)) != NULL) {
                memcpy(data, head, hn);
                if (rl)
                    memcpy(data + hn, rest, rl);
                int rc = class_by_content(&facts, data, hn + rl, full);
                if (rc)
                    report_error(inv, full, rc, "%s", defuse_strerror(rc));
            }
            free(rest);
            free(data);
            continue;
        }
        if (k == DEFUSE__K_ZIP || k == DEFUSE__K_TAR || k == DEFUSE__K_COMPRESSED)
            scan_nested(inv, a, head, hn, k, full, depth + 1, false);
        else if (k == DEFUSE__K_OTHER && hn >= 2 && head[0] == '#' && head[1] == '!')
            scan_nested(inv, a, head, hn, DEFUSE__K_ZIP, full, depth + 1, true);
    }
    emit_facts(inv, &facts, display);
    defuse__facts_free(&facts);
    free(full);
    return 0;
}

/* ---- the fast path for plain zips in memory (inventory_zip.c) ------------------- */

/* Scans the zip z[0..size) as scan_reader does, without libarchive (whose
 * per-entry name conversions dominate a jar's scan).  Returns false -- with
 * nothing reported, counted or emitted -- whenever libarchive has to do it:
 * a zip the fast reader does not handle, an entry it cannot read, a nested
 * archive or script to descend into, any limit reached (the libarchive path
 * then reports exactly what it always did). */
static bool scan_zip_fast(defuse_inventory *inv, const uint8_t *z, size_t size,
                          const char *display) {
    defuse__zdir d;
    if (halted(inv) || defuse__zdir_read(z, size, &d))
        return false;
    defuse__inv_facts facts;
    char *full = malloc(DEFUSE_INV_MAX_PATH);
    uint8_t head[DEFUSE_INV_SNIFF];
    uint64_t expanded = inv->expanded, declared = 0, entries = 0;
    char *badcrc = malloc(DEFUSE_INV_MAX_PATH);
    unsigned nbadcrc = 0;
    bool ok = full != NULL && badcrc != NULL;
    if (ok)
        defuse__facts_init(&facts, inv->db, true);
    for (size_t i = 0; ok && i < d.n; i++) {
        const defuse__zent *en = &d.ent[i];
        if (++entries > inv->lim.max_entries || ((entries & 63) == 0 && over_time(inv))) {
            ok = false;
            break;
        }
        if (en->dir)
            continue;
        const char *name = d.names + en->name;
        while (name[0] == '.' && name[1] == '/')
            name += 2;
        while (name[0] == '/')
            name++;
        if (!*name)
            continue;
        if (en->usize > 0) {
            declared += en->usize;
            if (declared > DEFUSE_INV_RATIO_FLOOR && declared / (size ? size : 1) > inv->lim.max_ratio) {
                ok = false;
                break;
            }
        }
        defuse__classify c;
        if (defuse__inv_classify(name, &c)) {
            uint8_t *data = NULL;
            size_t len = 0;
            if (c.read) {
                size_t want = en->usize < inv->lim.max_class ? (size_t)en->usize : inv->lim.max_class;
                data = malloc(want ? want : 1);
                int zr = data ? defuse__zent_read(z, en, data, want, &len) : 1;
                if (zr == 1 || expanded + len > inv->lim.max_expanded) {
                    free(data);
                    ok = false;
                    break;
                }
                if (zr == 2 && nbadcrc++ == 0)
                    snprintf(badcrc, DEFUSE_INV_MAX_PATH, "%s!/%s", display, name);
                expanded += len;
            }
            join_path(full, DEFUSE_INV_MAX_PATH, display, "!/", name);
            int rc = defuse__facts_add(&facts, name, full, &c, data, len);
            free(data);
            if (rc)
                ok = false;
            continue;
        }
        if (is_class_name(name)) {
            defuse__facts_seen(&facts, name);
            /* bounded cost: an archive stored under a *.class name is
             * either stored (Spring Boot's loader requires nested jars to
             * be) or deflated at a ratio near 1 (compressed data does not
             * compress); a class deflates to about half.  Only those are
             * inflated (6 bytes), not the thousand classes of a jar. */
            size_t cn = 0;
            bool peek = en->method == 0 || en->csize >= en->usize - en->usize / 8;
            if (peek && en->usize >= 22 && defuse__zent_read(z, en, head, 6, &cn) != 1 &&
                head_is_archive(head, cn)) {
                ok = false; /* an archive named *.class: libarchive's path */
                break;
            }
            continue;
        }
        if (en->usize < 22)
            continue;
        size_t hn = 0;
        if (defuse__zent_read(z, en, head, sizeof head, &hn) == 1 ||
            expanded + hn > inv->lim.max_expanded) {
            ok = false;
            break;
        }
        expanded += hn;
        defuse__kind k = defuse__sniff(head, hn);
        if (k == DEFUSE__K_CLASS) {
            size_t want = en->usize < inv->lim.max_class ? (size_t)en->usize : inv->lim.max_class;
            uint8_t *data = malloc(want ? want : 1);
            size_t len = 0;
            if (!data || defuse__zent_read(z, en, data, want, &len) == 1 ||
                expanded + len > inv->lim.max_expanded) {
                free(data);
                ok = false;
                break;
            }
            expanded += len;
            join_path(full, DEFUSE_INV_MAX_PATH, display, "!/", name);
            int rc = class_by_content(&facts, data, len, full);
            free(data);
            if (rc) {
                ok = false;
                break;
            }
            continue;
        }
        if (k == DEFUSE__K_ZIP || k == DEFUSE__K_TAR || k == DEFUSE__K_COMPRESSED ||
            (k == DEFUSE__K_OTHER && hn >= 2 && head[0] == '#' && head[1] == '!'))
            ok = false; /* a nested archive to descend into: libarchive's path */
    }
    if (ok) {
        inv->expanded = expanded;
        inv->archives++;
        if (nbadcrc)
            report_warning(inv, badcrc, DEFUSE_EFORMAT,
                           "CRC-32 mismatch in %u entr%s: examined anyway (the JVM does not "
                           "check CRCs on the class path)",
                           nbadcrc, nbadcrc == 1 ? "y" : "ies");
        emit_facts(inv, &facts, display);
    }
    if (full && badcrc)
        defuse__facts_free(&facts);
    free(full);
    free(badcrc);
    defuse__zdir_free(&d);
    return ok;
}

/* The fast path for a top-level zip file up to DEFUSE_INV_MAX_MEMORY_ARCHIVE
 * bytes: read whole (it is read whole by libarchive too), then as above. */
static bool zip_fast_fd(defuse_inventory *inv, int fd, uint64_t size, const char *display) {
    if (size < 22 || size > DEFUSE_INV_MAX_MEMORY_ARCHIVE)
        return false;
    uint8_t *z = malloc((size_t)size);
    bool ok = z && pread(fd, z, (size_t)size, 0) == (ssize_t)size;
    container saved = inv->top;
    if (ok && inv->top.set && inv->top.fd == fd && !inv->top.done) /* hash these bytes */
        inv->top = (container){.set = true, .fd = -1, .mem = z, .size = size};
    ok = ok && scan_zip_fast(inv, z, (size_t)size, display);
    if (inv->top.mem == z) { /* z is freed: keep the digest, read fd if asked again */
        saved.done = inv->top.done;
        memcpy(saved.hex, inv->top.hex, sizeof saved.hex);
        inv->top = saved;
    }
    free(z);
    return ok;
}

/* ---- lone class files ------------------------------------------------------------------- */

static void scan_class(defuse_inventory *inv, const uint8_t *data, size_t len,
                       const char *display) {
    char name[DEFUSE_INV_MAX_PATH];
    size_t off;
    if (defuse__class_name(data, len, name, sizeof name - 8, &off))
        return; /* not a Java class after all (Mach-O fat binaries share the magic) */
    strcat(name, ".class");
    defuse__classify c;
    if (!defuse__inv_classify(name, &c))
        return;
    defuse__inv_facts facts;
    defuse__facts_init(&facts, inv->db, false);
    int rc = defuse__facts_add(&facts, name, display, &c, data, len);
    if (rc)
        report_error(inv, display, rc, "%s", defuse_strerror(rc));
    unsigned nv = 0;
    if (defuse__facts_emit(&facts, display, "!/", emit_cb, inv, &nv))
        inv->stopped = true;
    inv->nvuln += nv;
    defuse__facts_free(&facts);
}

/* Is a file whose head is not an archive worth a look at its end for a zip
 * behind a prefix?  Content decides; the name only buys the second look:
 * a head that hints at a script, an executable or a zip, a name with an
 * archive extension, or a name without any extension.  Ordinary files
 * (logs, text, images) are then opened once, not twice. */
static bool has_pk34(const uint8_t *h, size_t n) {
    /* memmem() costs more than the rest of an ordinary file's user time */
    const uint8_t *p = h, *end = h + n;
    while (end - p >= 4 && (p = memchr(p, 'P', (size_t)(end - p) - 3)) != NULL) {
        if (p[1] == 'K' && p[2] == 3 && p[3] == 4)
            return true;
        p++;
    }
    return false;
}

/* Does base contain ".jar", ".war", ".ear" or ".zip" (versioned names such
 * as foo.jar.1 or app.war.orig)?  (One pass instead of four strstr().) */
static bool has_archive_infix(const char *base) {
    for (const char *d = strchr(base, '.'); d; d = strchr(d + 1, '.')) {
        char e[4];
        size_t k = 0;
        for (; k < 3 && d[1 + k]; k++)
            e[k] = d[1 + k];
        if (k == 3 && (!memcmp(e, "jar", 3) || !memcmp(e, "war", 3) || !memcmp(e, "ear", 3) ||
                       !memcmp(e, "zip", 3)))
            return true;
    }
    return false;
}

static bool tail_worth(const char *name, const uint8_t *head, size_t hn) {
    /* extensions without the dot, at most 3 letters, lower case */
    static const char ext[][4] = {"jar", "war", "ear", "aar", "zip", "sar", "rar",
                                  "nar", "par", "jpi", "hpi", "kar", "run", "bin",
                                  "sh",  "exe", "apk", "ipa", "tmp", "bak", "old"};
    if ((hn >= 2 && head[0] == '#' && head[1] == '!') || (hn >= 2 && head[0] == 'M' && head[1] == 'Z') ||
        (hn >= 4 && !memcmp(head, "\x7f" "ELF", 4)) || has_pk34(head, hn))
        return true;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return true;
    size_t el = strlen(dot + 1);
    if (el >= 2 && el <= 3) {
        char e[4] = {0};
        for (size_t k = 0; k < el; k++)
            e[k] = (char)tolower((unsigned char)dot[1 + k]);
        for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
            if (!memcmp(e, ext[i], 4))
                return true;
    }
    return has_archive_infix(base);
}

/* The kind defuse__sniff_fd() finds for a file whose whole content (size <
 * DEFUSE_INV_HEAD bytes) is buf: the same head, the same end. */
static defuse__kind sniff_whole(const uint8_t *buf, size_t size, const char *name) {
    size_t hn = size < DEFUSE_INV_SNIFF ? size : DEFUSE_INV_SNIFF;
    defuse__kind kind = defuse__sniff(buf, hn);
    if (kind != DEFUSE__K_OTHER || size < 22)
        return kind;
    if (size <= hn)
        return defuse__has_eocd(buf, hn) ? DEFUSE__K_ZIP : kind;
    if (!tail_worth(name, buf, hn))
        return kind;
    bool hint = (buf[0] == '#' && buf[1] == '!') || has_pk34(buf, hn);
    size_t tl = hint ? DEFUSE_INV_TAIL : 1024;
    if (size < tl)
        tl = size;
    return defuse__has_eocd(buf + size - tl, tl) ? DEFUSE__K_ZIP : kind;
}

int defuse__sniff_fd(int fd, uint64_t size, const char *name, defuse__kind *kind) {
    uint8_t head[DEFUSE_INV_SNIFF];
    ssize_t hn = pread(fd, head, sizeof head, 0);
    *kind = DEFUSE__K_OTHER;
    if (hn < 0)
        return -1;
    *kind = defuse__sniff(head, (size_t)hn);
    if (*kind == DEFUSE__K_OTHER && size >= 22 && size <= (uint64_t)hn) {
        if (defuse__has_eocd(head, (size_t)hn))
            *kind = DEFUSE__K_ZIP; /* the head is the whole file */
    } else if (*kind == DEFUSE__K_OTHER && size >= 22 && tail_worth(name, head, (size_t)hn)) {
        /* a zip behind a prefix (self-executable jar): look for the end of
         * central directory; far back only if the head hints at a zip */
        bool hint = (hn >= 2 && head[0] == '#' && head[1] == '!') || has_pk34(head, (size_t)hn);
        size_t tl = hint ? DEFUSE_INV_TAIL : 1024;
        if (size < tl)
            tl = (size_t)size;
        uint8_t *tail = malloc(tl);
        if (tail && pread(fd, tail, tl, (off_t)(size - tl)) == (ssize_t)tl &&
            defuse__has_eocd(tail, tl))
            *kind = DEFUSE__K_ZIP;
        free(tail);
    }
    return 0;
}

/* ---- entry points ---------------------------------------------------------------------- */

static void begin(defuse_inventory *inv, defuse_component_cb cb, void *user) {
    inv->cb = cb;
    inv->user = user;
    inv->expanded = 0;
    inv->abort_err = 0;
    inv->stopped = false;
    inv->demote = false;
    inv->zeros = 0;
    inv->nvuln = 0;
    memset(&inv->cont, 0, sizeof inv->cont);
    memset(&inv->top, 0, sizeof inv->top);
    inv->top.fd = -1;
    memset(inv->quine, 0, sizeof inv->quine);
    clock_gettime(CLOCK_MONOTONIC, &inv->start);
}

/* The top-level file, open as fd (size: what fstat said, or 0 if not yet
 * known), is the one whose components get sha256_outer. */
static void top_open(defuse_inventory *inv, int fd, uint64_t size) {
    inv->top = (container){.set = fd >= 0, .fd = fd, .size = size};
}

static int finish(defuse_inventory *inv) {
    inv->top = (container){.fd = -1}; /* its fd is closed: never read again */
    return inv->stopped ? DEFUSE_ESTOPPED : (int)inv->nvuln;
}

static int scan_fd(defuse_inventory *inv, int fd, const char *display, const uint8_t *head,
                   size_t hn);

int defuse_inventory_scan_file(defuse_inventory *inv, const char *path, const char *display,
                               defuse_component_cb cb, void *user) {
    if (!inv || !path)
        return DEFUSE_EINVAL;
    begin(inv, cb, user);
    if (!display)
        display = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    return scan_fd(inv, fd, display, NULL, 0);
}

/* A top-level file of size bytes open as fd that holds no archive or class
 * by its head (and, for some names, its end): is it an SBOM?  head[0..hn)
 * are its first bytes when the caller has them (else NULL: read here).  An
 * SBOM is reported as such -- unless a zip sits behind its first bytes: the
 * JVM reads a zip from its end whatever precedes it, so the end of every
 * SBOM is looked at (whatever its name) and such a file is scanned as a
 * zip.  Returns true if it was. */
static bool sbom_or_zip(defuse_inventory *inv, int fd, uint64_t size, const uint8_t *head,
                        size_t hn, const char *display) {
    uint8_t buf[DEFUSE_INV_HEAD];
    if (!head) {
        ssize_t n = pread(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return false;
        head = buf;
        hn = (size_t)n;
    }
    const char *fmt = defuse__sbom_sniff(head, hn);
    if (!fmt)
        return false;
    if (size >= 22) {
        size_t tl = size < DEFUSE_INV_TAIL ? (size_t)size : DEFUSE_INV_TAIL;
        uint8_t *tail = malloc(tl);
        bool zip = tail && pread(fd, tail, tl, (off_t)(size - tl)) == (ssize_t)tl &&
                   defuse__has_eocd(tail, tl);
        free(tail);
        if (zip) {
            scan_zip_any(inv, fd, NULL, size, display, 0, true);
            return true;
        }
    }
    report_sbom(inv, display, fmt);
    return false;
}

/* Scans the file open as fd (or reports the open's errno if fd < 0); closes
 * fd.  head[0..hn): its first bytes if the caller read them, or NULL. */
static int scan_fd(defuse_inventory *inv, int fd, const char *display, const uint8_t *head,
                   size_t hn) {
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        report_error(inv, display, DEFUSE_EIO, "cannot open: %s", strerror(e));
        if (fd >= 0)
            close(fd);
        return inv->stopped ? DEFUSE_ESTOPPED : DEFUSE_EIO;
    }
    inv->last_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    top_open(inv, fd, (uint64_t)st.st_size);
    defuse__kind kind;
    if (defuse__sniff_fd(fd, (uint64_t)st.st_size, display, &kind) < 0) {
        report_error(inv, display, DEFUSE_EIO, "cannot read: %s", strerror(errno));
        close(fd);
        return inv->stopped ? DEFUSE_ESTOPPED : DEFUSE_EIO;
    }
    if (kind == DEFUSE__K_CLASS) {
        size_t n = (uint64_t)st.st_size < inv->lim.max_class ? (size_t)st.st_size : inv->lim.max_class;
        uint8_t *data = malloc(n ? n : 1);
        if (data && pread(fd, data, n, 0) == (ssize_t)n)
            scan_class(inv, data, n, display);
        free(data);
    } else if (kind != DEFUSE__K_OTHER) {
        struct archive *a = kind == DEFUSE__K_ZIP ? NULL : reader_new(kind);
        if (kind == DEFUSE__K_ZIP) {
            scan_zip_any(inv, fd, NULL, (uint64_t)st.st_size, display, 0, true);
        } else if (!a) {
            report_error(inv, display, DEFUSE_ENOMEM, "out of memory");
        } else if (archive_read_open_fd(a, fd, IOBUF) != ARCHIVE_OK) {
            if (kind != DEFUSE__K_COMPRESSED)
                report_error(inv, display, DEFUSE_EFORMAT, "corrupt archive: %s",
                             archive_error_string(a) ? archive_error_string(a) : "cannot open");
        } else {
            scan_reader(inv, a, display, 0, (uint64_t)st.st_size, kind);
        }
        archive_read_free(a);
    } else {
        sbom_or_zip(inv, fd, (uint64_t)st.st_size, head, hn, display);
    }
    close(fd);
    return finish(inv);
}

int defuse__inventory_scan_fd(defuse_inventory *inv, int fd, const char *display,
                              defuse_component_cb cb, void *user) {
    if (!inv || !display)
        return DEFUSE_EINVAL;
    begin(inv, cb, user);
    return scan_fd(inv, fd, display, NULL, 0);
}

int defuse__inventory_scan_at(defuse_inventory *inv, int dirfd, const char *name,
                              const char *display, defuse_component_cb cb, void *user) {
    if (!inv || !name || !display)
        return DEFUSE_EINVAL;
    begin(inv, cb, user);
    inv->last_size = 0;
    /* O_NOATIME: a scan should not touch every file's atime; only the
     * owner (or CAP_FOWNER) may ask for it, others get EPERM and retry */
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT && dirfd != AT_FDCWD) {
        /* listed by the walk, gone when opened (a temp file): transient */
        report_warning(inv, display, DEFUSE_ENOENT, "vanished during the scan");
        return finish(inv);
    }
    if (fd < 0)
        return scan_fd(inv, fd, display, NULL, 0);
    top_open(inv, fd, 0);
    uint8_t head[DEFUSE_INV_HEAD];
    ssize_t n = read(fd, head, sizeof head);
    if (n >= 4 && head[0] == 0xCA && head[1] == 0xFE && head[2] == 0xBA && head[3] == 0xBE) {
        /* a class (most files of exploded trees, opened since the name no
         * longer decides): its name is in the constant pool at the head;
         * only a class that names a role needs the rest of the file */
        char cname[1024];
        size_t off;
        defuse__classify c;
        if ((size_t)n < sizeof head) {
            scan_class(inv, head, (size_t)n, display);
            inv->last_size = (uint64_t)n;
            close(fd);
            return finish(inv);
        }
        if (!defuse__class_name(head, (size_t)n, cname, sizeof cname - 8, &off)) {
            strcat(cname, ".class");
            if (!defuse__inv_classify(cname, &c)) {
                struct stat st;
                inv->last_size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : (uint64_t)n;
                close(fd);
                return finish(inv);
            }
        }
    }
    if (n >= 0 && (size_t)n < sizeof head &&
        sniff_whole(head, (size_t)n, display) == DEFUSE__K_OTHER &&
        !defuse__sbom_sniff(head, (size_t)n)) {
        /* a short read of a regular file is its end: the whole file is in
         * head and holds nothing to open (the walker saw DT_REG); an SBOM
         * takes the general path, which names it */
        inv->last_size = (uint64_t)n;
        close(fd);
        return finish(inv);
    }
    /* archives, classes, longer files, read errors: the general path (its
     * stream readers start at the file position) */
    if (n > 0)
        (void)lseek(fd, 0, SEEK_SET);
    return scan_fd(inv, fd, display, n > 0 ? head : NULL, n > 0 ? (size_t)n : 0);
}

int defuse_inventory_scan_memory(defuse_inventory *inv, const void *buf, size_t len,
                                 const char *name, defuse_component_cb cb, void *user) {
    if (!inv || (!buf && len))
        return DEFUSE_EINVAL;
    begin(inv, cb, user);
    if (!name)
        name = "<memory>";
    defuse__kind kind = defuse__sniff(buf, len);
    if (kind == DEFUSE__K_OTHER && len >= 22 &&
        defuse__has_eocd((const uint8_t *)buf + len - (len < DEFUSE_INV_TAIL ? len : DEFUSE_INV_TAIL),
                         len < DEFUSE_INV_TAIL ? len : DEFUSE_INV_TAIL))
        kind = DEFUSE__K_ZIP;
    if (kind == DEFUSE__K_CLASS) {
        scan_class(inv, buf, len < inv->lim.max_class ? len : inv->lim.max_class, name);
    } else if (kind != DEFUSE__K_OTHER) {
        struct archive *a = kind == DEFUSE__K_ZIP ? NULL : reader_new(kind);
        if (kind == DEFUSE__K_ZIP) {
            scan_zip_any(inv, -1, buf, len, name, 0, true);
        } else if (!a) {
            report_error(inv, name, DEFUSE_ENOMEM, "out of memory");
        } else if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
            if (kind != DEFUSE__K_COMPRESSED)
                report_error(inv, name, DEFUSE_EFORMAT, "corrupt archive: %s",
                             archive_error_string(a) ? archive_error_string(a) : "cannot open");
        } else {
            scan_reader(inv, a, name, 0, len, kind);
        }
        archive_read_free(a);
    }
    return finish(inv);
}
