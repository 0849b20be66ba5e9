/*
 * log_input.c -- one log as a stream of text bytes for the line scanner.
 *
 * Three layers, each optional:
 *   raw        the file (big read()s, or pread() of a byte range when a large
 *              file is split into chunks) or standard input, with the first
 *              bytes kept aside so the stream can be recognised;
 *   decompress gzip, bzip2, xz, zstd, lz4, lzma, compress, lzip, recognised by
 *              their magic bytes and undone by libarchive (raw format, all
 *              filters; the magic table only decides whether to use it),
 *              which is opened with dlopen() on the first compressed log;
 *   probe      a UTF-8 BOM is dropped; a UTF-16 BOM, or NUL bytes, at the
 *              start only ask the line scanner to read the file as UTF-16
 *              too (lin_info.u16view): no region decides how the whole
 *              file is read (log_scan.c "UTF-16 view").
 * Latin-1 needs no layer: the line scanner converts the few lines it hands
 * to the detector when they are not valid UTF-8.
 */
#include "logs.h"

#include <archive.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Compressed stream signatures: one row per filter libarchive undoes. */
static const struct magic {
    const char *name;
    const char *bytes;
    size_t len;
} magics[] = {
    {"gzip", "\x1f\x8b", 2},
    {"bzip2", "BZh", 3},
    {"xz", "\xfd" "7zXZ\x00", 6},
    {"zstd", "\x28\xb5\x2f\xfd", 4},
    {"lz4", "\x04\x22\x4d\x18", 4},
    {"compress", "\x1f\x9d", 2},
    {"lzip", "LZIP", 4},
    {"lzma", "\x5d\x00\x00", 3}, /* legacy .lzma: properties byte 0x5D */
};

/* libarchive, opened on the first compressed log rather than linked: every
 * run of `defuse logs` loaded it and its sixteen dependencies, ~1.5 ms of
 * start-up (4% of scanning 260 MB of plain logs).  The library's soname
 * has been libarchive.so.13 since libarchive 3.0. */
#define LA_SONAME "libarchive.so.13"
static struct la_api {
    struct archive *(*read_new)(void);
    int (*support_filter_all)(struct archive *);
    int (*support_format_raw)(struct archive *);
    int (*support_format_empty)(struct archive *);
    int (*read_open)(struct archive *, void *, archive_open_callback *, archive_read_callback *,
                     archive_close_callback *);
    int (*next_header)(struct archive *, struct archive_entry **);
    la_ssize_t (*read_data)(struct archive *, void *, size_t);
    const char *(*error_string)(struct archive *);
    void (*set_error)(struct archive *, int, const char *, ...);
    int (*filter_count)(struct archive *);
    int (*filter_code)(struct archive *, int);
    int (*read_free)(struct archive *);
} la;

static const struct la_sym {
    const char *name;
    size_t off;
} la_syms[] = {
    {"archive_read_new", offsetof(struct la_api, read_new)},
    {"archive_read_support_filter_all", offsetof(struct la_api, support_filter_all)},
    {"archive_read_support_format_raw", offsetof(struct la_api, support_format_raw)},
    {"archive_read_support_format_empty", offsetof(struct la_api, support_format_empty)},
    {"archive_read_open", offsetof(struct la_api, read_open)},
    {"archive_read_next_header", offsetof(struct la_api, next_header)},
    {"archive_read_data", offsetof(struct la_api, read_data)},
    {"archive_error_string", offsetof(struct la_api, error_string)},
    {"archive_set_error", offsetof(struct la_api, set_error)},
    {"archive_filter_count", offsetof(struct la_api, filter_count)},
    {"archive_filter_code", offsetof(struct la_api, filter_code)},
    {"archive_read_free", offsetof(struct la_api, read_free)},
};

static pthread_once_t la_once = PTHREAD_ONCE_INIT;
static char la_err[200]; /* empty: la is usable */

static void la_load(void) {
    void *h = dlopen(LA_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(la_err, sizeof la_err, "%s", e ? e : "dlopen failed");
        return;
    }
    for (size_t i = 0; i < sizeof la_syms / sizeof la_syms[0]; i++) {
        void *f = dlsym(h, la_syms[i].name);
        if (!f) {
            snprintf(la_err, sizeof la_err, "%s: no symbol %s", LA_SONAME, la_syms[i].name);
            return;
        }
        /* POSIX: a function's address round-trips through void *. */
        memcpy((char *)&la + la_syms[i].off, &f, sizeof f);
    }
}

/* Byte-order marks: the charset they announce, or NULL for UTF-8. */
static const struct bom {
    const char *bytes;
    size_t len;
    const char *charset; /* NULL: UTF-8 */
    const char *name;
} boms[] = {
    {"\xef\xbb\xbf", 3, NULL, NULL},
    {"\xff\xfe", 2, "UTF-16LE", "utf-16le"},
    {"\xfe\xff", 2, "UTF-16BE", "utf-16be"},
};

struct lin_source {
    int fd;
    int own_fd;
    int ranged;    /* pread() within [pos, end) */
    off_t pos, end;
    uint64_t raw_bytes;
    int advised; /* POSIX_FADV_SEQUENTIAL given */

    unsigned char *pre; /* raw bytes read while probing, served first */
    size_t pre_len, pre_off;

    struct archive *ar;
    int ar_eof; /* the decompressed stream is empty */
    unsigned char *arbuf; /* libarchive's read buffer */
    char arerr[256];

    char *pend; /* decompressed bytes read while probing, served first */
    size_t pend_len, pend_off;
    size_t skip; /* BOM bytes still to drop from the front of pend */
};

/* UTF-16 without a byte-order mark, as some Windows tools write it. */
static const struct bom bare_utf16[] = {
    {"", 0, "UTF-16LE", "utf-16le (no BOM)"},
    {"", 0, "UTF-16BE", "utf-16be (no BOM)"},
};

/* Recognises BOM-less UTF-16 by its NUL pattern: in text of the Latin
 * range every high byte is NUL.  Returns the row of bare_utf16, or NULL. */
static const struct bom *find_bare_utf16(const unsigned char *p, size_t n) {
    size_t pairs = n / 2, even0 = 0, odd0 = 0;
    if (pairs < 8)
        return NULL;
    for (size_t i = 0; i < pairs; i++) {
        even0 += p[2 * i] == 0;
        odd0 += p[2 * i + 1] == 0;
    }
    if (odd0 * 10 >= pairs * 9 && even0 * 10 <= pairs)
        return &bare_utf16[0];
    if (even0 * 10 >= pairs * 9 && odd0 * 10 <= pairs)
        return &bare_utf16[1];
    return NULL;
}

static const struct magic *find_magic(const unsigned char *b, size_t n) {
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (n >= magics[i].len && memcmp(b, magics[i].bytes, magics[i].len) == 0)
            return &magics[i];
    return NULL;
}

static const struct bom *find_bom(const unsigned char *b, size_t n) {
    for (size_t i = 0; i < sizeof boms / sizeof boms[0]; i++)
        if (n >= boms[i].len && memcmp(b, boms[i].bytes, boms[i].len) == 0)
            return &boms[i];
    return NULL;
}

/* NUL-heavy: more than 1 in 100 bytes of the start are NUL. */
static int looks_binary(const unsigned char *b, size_t n) {
    size_t nul = 0;
    for (size_t i = 0; i < n; i++)
        nul += b[i] == 0;
    return n > 0 && nul * 100 > n;
}

int lin_probe(const unsigned char *buf, size_t n, lin_info *info) {
    memset(info, 0, sizeof *info);
    const struct magic *m = find_magic(buf, n);
    if (m) {
        info->compression = m->name;
        return 0;
    }
    const struct bom *b = find_bom(buf, n);
    if (!b)
        b = find_bare_utf16(buf, n);
    if (b && b->charset) {
        info->encoding = b->name;
        return 0;
    }
    info->binary = looks_binary(buf, n);
    return 1;
}

/* Layer 1: raw bytes (prebuffer first). */
static ssize_t raw_read(lin_source *s, void *buf, size_t cap) {
    if (s->pre_off < s->pre_len) {
        size_t n = s->pre_len - s->pre_off;
        if (n > cap)
            n = cap;
        memcpy(buf, s->pre + s->pre_off, n);
        s->pre_off += n;
        return (ssize_t)n;
    }
    /* Read-ahead advice once a file proves longer than one block: for the
     * many small files of a log directory the call was one system call in
     * seven, for no effect. */
    if (!s->advised && s->own_fd && s->raw_bytes >= LOGS_BLOCK) {
        (void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        s->advised = 1;
    }
    for (;;) {
        ssize_t r;
        if (s->ranged) {
            if (s->end >= 0 && s->pos >= s->end)
                return 0;
            size_t want = cap;
            if (s->end >= 0 && (off_t)want > s->end - s->pos)
                want = (size_t)(s->end - s->pos);
            r = pread(s->fd, buf, want, s->pos);
            if (r > 0)
                s->pos += r;
        } else {
            r = read(s->fd, buf, cap);
        }
        if (r < 0 && errno == EINTR) {
            if (logs_stop)
                return 0;
            continue;
        }
        if (r > 0)
            s->raw_bytes += (uint64_t)r;
        return r;
    }
}

static la_ssize_t ar_read_cb(struct archive *a, void *user, const void **buf) {
    lin_source *s = user;
    ssize_t r = raw_read(s, s->arbuf, LOGS_BLOCK);
    if (r < 0) {
        la.set_error(a, errno, "%s", strerror(errno));
        return -1;
    }
    *buf = s->arbuf;
    return r;
}

/* Layer 2: decompressed bytes. */
static ssize_t inner_read(lin_source *s, void *buf, size_t cap, char *err, size_t errsz) {
    if (!s->ar) {
        ssize_t r = raw_read(s, buf, cap);
        if (r < 0)
            snprintf(err, errsz, "read error: %s", strerror(errno));
        return r;
    }
    if (s->ar_eof)
        return 0;
    la_ssize_t r = la.read_data(s->ar, buf, cap);
    if (r < 0) {
        const char *e = la.error_string(s->ar);
        snprintf(err, errsz, "decompression failed: %s", e ? e : "corrupt stream");
        return -1;
    }
    return r;
}

int lin_open(lin_source **out, const char *path, off_t start, off_t end, lin_info *info,
             char *err, size_t errsz) {
    lin_source *s = calloc(1, sizeof *s);
    memset(info, 0, sizeof *info);
    *out = NULL;
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    s->fd = -1;
    if (!path || strcmp(path, "-") == 0) {
        s->fd = 0;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (s->fd < 0) {
            snprintf(err, errsz, "%s", strerror(errno));
            goto fail;
        }
        s->own_fd = 1;
        if (start > 0 || end >= 0) {
            s->ranged = 1;
            s->pos = start;
            s->end = end;
        }
    }
    if (start > 0) {
        /* A later chunk of a plain file that the planner already probed. */
        *out = s;
        return 0;
    }
    /* Probe the raw start: enough for the longest magic. */
    s->pre = malloc(LOGS_PROBE);
    if (!s->pre) {
        snprintf(err, errsz, "out of memory");
        goto fail;
    }
    s->pre_len = 0;
    while (s->pre_len < 8) {
        ssize_t r = raw_read(s, s->pre + s->pre_len, LOGS_PROBE - s->pre_len);
        if (r < 0) {
            snprintf(err, errsz, "%s", strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        s->pre_len += (size_t)r;
    }
    const struct magic *m = find_magic(s->pre, s->pre_len);
    if (m) {
        info->compression = m->name;
        pthread_once(&la_once, la_load);
        if (la_err[0]) {
            snprintf(err, errsz, "%s stream, and libarchive cannot be loaded: %s", m->name, la_err);
            goto fail;
        }
        s->arbuf = malloc(LOGS_BLOCK);
        s->ar = la.read_new();
        if (!s->arbuf || !s->ar) {
            snprintf(err, errsz, "out of memory");
            goto fail;
        }
        la.support_filter_all(s->ar);
        la.support_format_raw(s->ar);
        la.support_format_empty(s->ar); /* an empty rotated log */
        struct archive_entry *ent;
        int hr = ARCHIVE_FATAL;
        if (la.read_open(s->ar, s, NULL, ar_read_cb, NULL) == ARCHIVE_OK)
            hr = la.next_header(s->ar, &ent);
        if (hr != ARCHIVE_OK && hr != ARCHIVE_EOF) {
            const char *e = la.error_string(s->ar);
            snprintf(err, errsz, "cannot read %s stream: %s", m->name, e ? e : "unknown error");
            goto fail;
        }
        /* The magic matched but libarchive found no such filter (a stream
         * too short to be one): say so rather than read it as text. */
        if (la.filter_count(s->ar) < 2 || la.filter_code(s->ar, 0) == ARCHIVE_FILTER_NONE) {
            snprintf(err, errsz, "not a valid %s stream (truncated?)", m->name);
            goto fail;
        }
        s->ar_eof = hr == ARCHIVE_EOF;
    }

    /* Probe the (decompressed) text start for a BOM and binary content. */
    s->pend = malloc(LOGS_PROBE);
    if (!s->pend) {
        snprintf(err, errsz, "out of memory");
        goto fail;
    }
    while (s->pend_len < 4) {
        ssize_t r = inner_read(s, s->pend + s->pend_len, LOGS_PROBE - s->pend_len, err, errsz);
        if (r < 0)
            goto fail;
        if (r == 0)
            break;
        s->pend_len += (size_t)r;
    }
    const struct bom *b = find_bom((unsigned char *)s->pend, s->pend_len);
    /* Text without a NUL is neither BOM-less UTF-16 nor binary: memchr()
     * says so at once (counting NULs byte by byte over the probe was a
     * third of the user time on a directory of small logs). */
    bool has_nul = memchr(s->pend, '\0', s->pend_len) != NULL;
    if (!b && has_nul)
        b = find_bare_utf16((unsigned char *)s->pend, s->pend_len);
    if (b && b->charset) {
        /* Not converted here: the start of a file does not decide how all
         * of it is read.  The line scanner reads it as bytes and as UTF-16
         * (lscan_enable_u16); the UTF-16 BOM stays in the stream so that
         * the UTF-16 view sees true file offsets. */
        info->encoding = b->name;
        info->u16view = 1;
        info->u16bom = b->len == 0 ? 0 : b->charset[6] == 'L' ? 1 : 2;
    } else if (b) {
        s->skip = b->len; /* a UTF-8 BOM */
    }
    if (has_nul)
        info->u16view = 1;
    if (has_nul && (!b || !b->charset))
        info->binary = looks_binary((unsigned char *)s->pend, s->pend_len);
    s->pend_off = s->skip;
    *out = s;
    return 0;
fail:
    lin_close(s);
    return -1;
}

/* Layer 2 with the probe's pending bytes served first. */
static ssize_t text_read(lin_source *s, char *buf, size_t cap, char *err, size_t errsz) {
    if (s->pend_off < s->pend_len) {
        size_t n = s->pend_len - s->pend_off;
        if (n > cap)
            n = cap;
        memcpy(buf, s->pend + s->pend_off, n);
        s->pend_off += n;
        return (ssize_t)n;
    }
    return inner_read(s, buf, cap, err, errsz);
}

ssize_t lin_read(lin_source *s, char *buf, size_t cap, char *err, size_t errsz) {
    return text_read(s, buf, cap, err, errsz);
}

int lin_mappable(const lin_source *s, int *fd, off_t *start, off_t *end) {
    struct stat st;
    if (s->ar || !s->own_fd || fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    /* A later chunk was not probed and read nothing yet: it starts at pos.
     * Otherwise the probe read from offset 0 (whole file or first chunk). */
    off_t from = s->pre ? 0 : s->pos;
    *fd = s->fd;
    *start = from + (off_t)s->skip;
    *end = s->ranged && s->end >= 0 ? s->end : st.st_size;
    return *end >= *start;
}

void lin_close(lin_source *s) {
    if (!s)
        return;
    if (s->ar)
        la.read_free(s->ar);
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    free(s->pre);
    free(s->pend);
    free(s->arbuf);
    free(s);
}
