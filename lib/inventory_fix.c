/*
 * inventory_fix.c -- `defuse scan --fix` and `--restore`: removes
 * JndiLookup.class (and with DEFUSE_FIX_LOG4J1 the dangerous log4j 1.x
 * classes) from zip-family archives, nested zips included, with libarchive.
 *
 * Safety: a dry pass counts what would be removed first (nothing to do:
 * the file is not touched).  The new archive is written to a temp file in
 * the same directory, re-read completely to verify it, given the original's
 * owner, mode and times, and renamed over the original, so no reader ever
 * sees a half-written archive.  The original bytes are copied to the backup
 * directory first and recorded (path, SHA-256 before and after, owner, mode,
 * times) in backup_dir/manifest.jsonl; restore puts back only files whose
 * content is still the fixed one.  Every archive that changes (the file
 * itself and every enclosing nested zip) loses its signature files, since
 * their digests no longer match.  Nested archives are written STORED (as
 * Spring Boot requires); other entries deflated.  A script prefix
 * (self-executable jar) is kept.  A tar file (plain, gz, bz2, xz, zst) is
 * rewritten in its own format and filter, loose targets dropped and nested
 * zips rebuilt.  In an exploded class tree (path is a directory) the target
 * class files are backed up, recorded with sha256_fixed "(removed)", and
 * unlinked; restore puts them back.
 */
#include "inventory.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define FIX_IO (64u * 1024u)

typedef struct fixctx {
    unsigned flags;
    defuse_inv_limits lim;
    defuse_fix_cb cb;
    void *user;
    char *err;
    size_t errlen;
    int failed; /* first error */
    unsigned rflags;           /* restore: enum defuse_restore_flag */
    defuse_fix_cb errcb;       /* restore: each failure, as it happens */
} fixctx;

void (*defuse__fix_before_rename)(const char *path);

/* ---- entries removed: reported only once the new file is in place ----------- */

typedef struct pending {
    char **v;
    size_t n, cap;
    bool oom;
} pending;

static void pending_add(const char *path, void *user) {
    pending *p = user;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 8;
        char **v = realloc(p->v, nc * sizeof *v);
        if (!v) {
            p->oom = true;
            return;
        }
        p->v = v;
        p->cap = nc;
    }
    char *d = strdup(path);
    if (!d) {
        p->oom = true;
        return;
    }
    p->v[p->n++] = d;
}

/* Calls cb for each pending name (if emit) and frees them. */
static void pending_flush(pending *p, bool emit, defuse_fix_cb cb, void *user) {
    for (size_t i = 0; i < p->n; i++) {
        if (emit && cb)
            cb(p->v[i], user);
        free(p->v[i]);
    }
    free(p->v);
    memset(p, 0, sizeof *p);
}

__attribute__((format(printf, 3, 4))) static int fixerr(fixctx *fx, int code, const char *fmt,
                                                        ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!fx->failed) {
        fx->failed = code;
        if (fx->err && fx->errlen)
            snprintf(fx->err, fx->errlen, "%s", msg);
    }
    if (fx->errcb)
        fx->errcb(msg, fx->user);
    return code;
}

/* ---- bytes of a nested archive: memory or an unlinked temp file -------------- */

typedef defuse__blob buf;

static int buf_add(fixctx *fx, buf *b, const void *p, size_t n, const char *path) {
    b->size += n;
    if (b->size > fx->lim.max_spill)
        return fixerr(fx, DEFUSE_ELIMIT, "%s: nested archive larger than %llu bytes", path,
                      (unsigned long long)fx->lim.max_spill);
    if (b->fd < 0 && b->len + n > fx->lim.max_memory_archive) {
        if ((b->fd = defuse__spill_open("fix")) < 0 || !defuse__write_all(b->fd, b->mem, b->len))
            return fixerr(fx, DEFUSE_EIO, "%s: temp file: %s", path, strerror(errno));
        free(b->mem);
        b->mem = NULL;
        b->len = b->cap = 0;
    }
    if (b->fd >= 0)
        return defuse__write_all(b->fd, p, n) ? 0 : fixerr(fx, DEFUSE_EIO, "%s: temp file: %s", path, strerror(errno));
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 65536;
        while (nc < b->len + n)
            nc *= 2;
        uint8_t *m = realloc(b->mem, nc);
        if (!m)
            return fixerr(fx, DEFUSE_ENOMEM, "%s: out of memory", path);
        b->mem = m;
        b->cap = nc;
    }
    memcpy(b->mem + b->len, p, n);
    b->len += n;
    return 0;
}

static int read_rest(fixctx *fx, struct archive *in, const uint8_t *head, size_t hn, buf *b,
                     const char *path) {
    uint8_t tmp[FIX_IO];
    int rc = buf_add(fx, b, head, hn, path);
    while (!rc) {
        la_ssize_t n = archive_read_data(in, tmp, sizeof tmp);
        if (n == 0)
            break;
        if (n < 0)
            return fixerr(fx, DEFUSE_EFORMAT, "%s: cannot read: %s", path,
                          archive_error_string(in) ? archive_error_string(in) : "?");
        rc = buf_add(fx, b, tmp, (size_t)n, path);
    }
    return rc;
}

static struct archive *open_buf(buf *b) {
    struct archive *a = archive_read_new();
    if (!a)
        return NULL;
    archive_read_support_format_zip_seekable(a);
    int r = b->fd >= 0 ? (lseek(b->fd, 0, SEEK_SET) < 0 ? ARCHIVE_FATAL
                                                          : archive_read_open_fd(a, b->fd, FIX_IO))
                       : archive_read_open_memory(a, b->mem, b->len);
    if (r != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static const char *ename(struct archive_entry *e) {
    const char *n = archive_entry_pathname_utf8(e);
    return n ? n : archive_entry_pathname(e);
}

/* The name as reported (tar's "./" and "/" prefixes dropped, as the scanner
 * does). */
static const char *shown(const char *n) {
    while (n[0] == '.' && n[1] == '/')
        n += 2;
    while (n[0] == '/')
        n++;
    return n;
}

/* Reads up to DEFUSE_INV_SNIFF bytes of the current entry. */
static size_t read_head(struct archive *in, uint8_t *head) {
    size_t hn = 0;
    while (hn < DEFUSE_INV_SNIFF) {
        la_ssize_t n = archive_read_data(in, head + hn, DEFUSE_INV_SNIFF - hn);
        if (n <= 0)
            break;
        hn += (size_t)n;
    }
    return hn;
}

/* ---- counting (dry pass) ---------------------------------------------------------- */

static long count_targets(fixctx *fx, struct archive *in, const char *display, unsigned depth,
                          bool report) {
    struct archive_entry *e;
    long n = 0;
    char full[DEFUSE_INV_MAX_PATH];
    uint8_t head[DEFUSE_INV_SNIFF];
    for (;;) {
        int r = archive_read_next_header(in, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return fixerr(fx, DEFUSE_EFORMAT, "%s: corrupt archive: %s", display,
                          archive_error_string(in) ? archive_error_string(in) : "?");
        const char *name = ename(e);
        if (!name || archive_entry_filetype(e) != AE_IFREG)
            continue;
        snprintf(full, sizeof full, "%s!/%s", display, shown(name));
        if (defuse__inv_fix_target(name, fx->flags)) {
            if (report && fx->cb)
                fx->cb(full, fx->user);
            n++;
            continue;
        }
        size_t hn = read_head(in, head);
        if (defuse__sniff(head, hn) != DEFUSE__K_ZIP)
            continue;
        if (depth + 1 > fx->lim.max_depth)
            continue;
        buf b = {NULL, 0, 0, -1, 0};
        if (read_rest(fx, in, head, hn, &b, full) == 0) {
            struct archive *a = open_buf(&b);
            if (a) {
                long k = count_targets(fx, a, full, depth + 1, report);
                if (k > 0)
                    n += k;
                archive_read_free(a);
            }
        }
        defuse__blob_free(&b);
        if (fx->failed)
            return fx->failed;
    }
    return n;
}

/* ---- rebuilding ------------------------------------------------------------------------ */

static struct archive *writer_fd(int fd) {
    struct archive *w = archive_write_new();
    if (!w)
        return NULL;
    if (archive_write_set_format_zip(w) != ARCHIVE_OK ||
        archive_write_zip_set_compression_deflate(w) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(w, 0) != ARCHIVE_OK ||
        archive_write_open_fd(w, fd) != ARCHIVE_OK) {
        archive_write_free(w);
        return NULL;
    }
    return w;
}

static int put_data(fixctx *fx, struct archive *w, const void *p, size_t n, const char *path) {
    if (n && archive_write_data(w, p, n) != (la_ssize_t)n)
        return fixerr(fx, DEFUSE_EIO, "%s: write failed: %s", path,
                      archive_error_string(w) ? archive_error_string(w) : "?");
    return 0;
}

static int put_buf(fixctx *fx, struct archive *w, buf *b, const char *path) {
    if (b->fd < 0)
        return put_data(fx, w, b->mem, b->len, path);
    uint8_t tmp[FIX_IO];
    if (lseek(b->fd, 0, SEEK_SET) < 0)
        return fixerr(fx, DEFUSE_EIO, "%s: seek: %s", path, strerror(errno));
    for (;;) {
        ssize_t n = read(b->fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fixerr(fx, DEFUSE_EIO, "%s: read: %s", path, strerror(errno));
        if (n == 0)
            return 0;
        int rc = put_data(fx, w, tmp, (size_t)n, path);
        if (rc)
            return rc;
    }
}

static long rebuild(fixctx *fx, struct archive *in, struct archive *w, const char *display,
                    unsigned depth);

/* Writes entry e whose data is b (stored, as nested archives must be). */
static int put_entry_buf(fixctx *fx, struct archive *w, struct archive_entry *e, buf *b,
                         const char *full) {
    archive_entry_set_size(e, (la_int64_t)b->size);
    bool zip = archive_format(w) == ARCHIVE_FORMAT_ZIP;
    if (zip)
        archive_write_zip_set_compression_store(w);
    int r = archive_write_header(w, e);
    if (zip)
        archive_write_zip_set_compression_deflate(w);
    if (r < ARCHIVE_WARN)
        return fixerr(fx, DEFUSE_EIO, "%s: write failed: %s", full,
                      archive_error_string(w) ? archive_error_string(w) : "?");
    return put_buf(fx, w, b, full);
}

static long rebuild(fixctx *fx, struct archive *in, struct archive *w, const char *display,
                    unsigned depth) {
    struct archive_entry *e;
    long removed = 0;
    char full[DEFUSE_INV_MAX_PATH];
    uint8_t head[DEFUSE_INV_SNIFF], tmp[FIX_IO];
    for (;;) {
        int r = archive_read_next_header(in, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return fixerr(fx, DEFUSE_EFORMAT, "%s: corrupt archive: %s", display,
                          archive_error_string(in) ? archive_error_string(in) : "?");
        const char *name = ename(e);
        if (!name)
            return fixerr(fx, DEFUSE_EFORMAT, "%s: entry without a name", display);
        snprintf(full, sizeof full, "%s!/%s", display, shown(name));
        bool reg = archive_entry_filetype(e) == AE_IFREG;
        if (reg && defuse__inv_fix_target(name, fx->flags)) {
            if (fx->cb)
                fx->cb(full, fx->user);
            removed++;
            continue;
        }
        if (reg && defuse__inv_is_signature(name)) {
            /* this archive changes: its signature would be invalid; announced */
            if (fx->cb)
                fx->cb(full, fx->user);
            continue;
        }
        if (!reg) {
            if (archive_write_header(w, e) < ARCHIVE_WARN)
                return fixerr(fx, DEFUSE_EIO, "%s: write failed: %s", full,
                              archive_error_string(w) ? archive_error_string(w) : "?");
            continue;
        }
        size_t hn = read_head(in, head);
        if (defuse__sniff(head, hn) == DEFUSE__K_ZIP && depth + 1 <= fx->lim.max_depth) {
            buf b = {NULL, 0, 0, -1, 0};
            long k = -1;
            int rc = read_rest(fx, in, head, hn, &b, full);
            if (!rc) {
                struct archive *a = open_buf(&b);
                fixctx quiet = *fx;
                quiet.cb = NULL;
                k = a ? count_targets(&quiet, a, full, depth + 1, false) : 0;
                if (a)
                    archive_read_free(a);
            }
            if (!rc && k > 0) {
                /* rebuild the inner archive into its own temp file */
                buf nb = {NULL, 0, 0, -1, 0};
                struct archive *a = open_buf(&b);
                nb.fd = defuse__spill_open("fix");
                struct archive *iw = nb.fd >= 0 ? writer_fd(nb.fd) : NULL;
                long rk = (a && iw) ? rebuild(fx, a, iw, full, depth + 1)
                                    : fixerr(fx, DEFUSE_EIO, "%s: cannot rebuild", full);
                if (iw && archive_write_close(iw) != ARCHIVE_OK && rk >= 0)
                    rk = fixerr(fx, DEFUSE_EIO, "%s: write failed", full);
                if (iw)
                    archive_write_free(iw);
                if (a)
                    archive_read_free(a);
                struct stat st;
                if (rk >= 0 && fstat(nb.fd, &st) == 0) {
                    nb.size = (uint64_t)st.st_size;
                    rc = put_entry_buf(fx, w, e, &nb, full);
                    removed += rk;
                } else {
                    rc = fx->failed ? fx->failed : DEFUSE_EIO;
                }
                defuse__blob_free(&nb);
            } else if (!rc) {
                rc = put_entry_buf(fx, w, e, &b, full);
            }
            defuse__blob_free(&b);
            if (rc || fx->failed)
                return fx->failed ? fx->failed : rc;
            continue;
        }
        if (archive_write_header(w, e) < ARCHIVE_WARN)
            return fixerr(fx, DEFUSE_EIO, "%s: write failed: %s", full,
                          archive_error_string(w) ? archive_error_string(w) : "?");
        if (put_data(fx, w, head, hn, full))
            return fx->failed;
        for (;;) {
            la_ssize_t n = archive_read_data(in, tmp, sizeof tmp);
            if (n == 0)
                break;
            if (n < 0)
                return fixerr(fx, DEFUSE_EFORMAT, "%s: cannot read: %s", full,
                              archive_error_string(in) ? archive_error_string(in) : "?");
            if (put_data(fx, w, tmp, (size_t)n, full))
                return fx->failed;
        }
    }
    return removed;
}

/* ---- files ------------------------------------------------------------------------------ */

static long pread_cb(void *ctx, void *b, size_t n, uint64_t off) {
    return (long)pread(*(int *)ctx, b, n, (off_t)off);
}

static int sha256_fd(int fd, uint8_t out[32]) {
    defuse__sha256 s;
    uint8_t tmp[FIX_IO];
    if (lseek(fd, 0, SEEK_SET) < 0 || !defuse__sha256_init(&s))
        return -1;
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n > 0 && !defuse__sha256_update(&s, tmp, (size_t)n))) {
            defuse__sha256_abort(&s);
            return -1;
        }
        if (n == 0)
            break;
    }
    return defuse__sha256_final(&s, out) ? 0 : -1;
}

static int copy_fd(int from, int to) {
    uint8_t tmp[FIX_IO];
    if (lseek(from, 0, SEEK_SET) < 0)
        return -1;
    for (;;) {
        ssize_t n = read(from, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        if (!defuse__write_all(to, tmp, (size_t)n))
            return -1;
    }
}

/* Copies every extended attribute of from to to: user.*, the POSIX ACLs
 * (system.posix_acl_access/_default) and the security label
 * (security.selinux, security.ima, ...).  A file system without xattrs
 * (ENOTSUP on the list) has nothing to copy.  Bounded: the name list and
 * each value at most 64 KiB (the Linux limit for one value).  Returns 0 or
 * -1 with errno set; failed (size 256) names the attribute that could not
 * be copied ("" if the list itself failed). */
static int copy_xattrs(int from, int to, char failed[256]) {
    enum { XMAX = 65536 };
    char *names = malloc(XMAX), *val = malloc(XMAX);
    int rc = 0;
    failed[0] = 0;
    if (!names || !val) {
        free(names);
        free(val);
        errno = ENOMEM;
        return -1;
    }
    ssize_t nl = flistxattr(from, names, XMAX);
    if (nl < 0)
        rc = (errno == ENOTSUP) ? 0 : -1;
    for (ssize_t i = 0; rc == 0 && i < nl; i += (ssize_t)strlen(names + i) + 1) {
        const char *n = names + i;
        ssize_t vl = fgetxattr(from, n, val, XMAX);
        if (vl < 0 || fsetxattr(to, n, val, (size_t)vl, 0) != 0) {
            snprintf(failed, 256, "%s", n);
            rc = -1;
        }
    }
    int e = errno;
    free(names);
    free(val);
    errno = e;
    return rc;
}

/* True if path (not followed) is still the file fd was opened on: same
 * device, inode, size and mtime as st.  A package upgrade that replaced it
 * (write + rename, as dpkg and rpm do) gives a new inode. */
static bool still_same(const char *path, const struct stat *st) {
    struct stat now;
    return lstat(path, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino &&
           now.st_size == st->st_size && now.st_mtim.tv_sec == st->st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == st->st_mtim.tv_nsec;
}

/* Opens path for reading without changing its atime where the kernel
 * permits (O_NOATIME needs ownership or CAP_FOWNER). */
static int open_noatime(const char *path, int extra) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME | extra);
    if (fd < 0 && errno == EPERM)
        fd = open(path, O_RDONLY | O_CLOEXEC | extra);
    return fd;
}

/* Gives fd the owner, mode and times of st. */
static int same_meta(int fd, const struct stat *st) {
    if (fchown(fd, st->st_uid, st->st_gid) != 0 && geteuid() == 0)
        return -1;
    if (fchmod(fd, st->st_mode & 07777) != 0)
        return -1;
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    return futimens(fd, ts);
}

/* A temp file next to path: OUT tmpl. */
static int tmp_near(const char *path, char *tmpl, size_t sz) {
    char d[DEFUSE_INV_MAX_PATH], b[DEFUSE_INV_MAX_PATH];
    snprintf(d, sizeof d, "%s", path);
    snprintf(b, sizeof b, "%s", path);
    snprintf(tmpl, sz, "%s/.%s.defuse-XXXXXX", dirname(d), basename(b));
    return mkostemp(tmpl, O_CLOEXEC);
}

static void fsync_dir(const char *path) {
    char d[DEFUSE_INV_MAX_PATH];
    snprintf(d, sizeof d, "%s", path);
    int fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Appends rec; *was (if not NULL) receives the manifest's size before, for
 * unappend_manifest() when the rename that follows fails. */
static int append_manifest_at(fixctx *fx, const char *backup_dir, json_t *rec, off_t *was) {
    char mp[DEFUSE_INV_MAX_PATH];
    snprintf(mp, sizeof mp, "%s/manifest.jsonl", backup_dir);
    char *line = json_dumps(rec, JSON_COMPACT);
    int fd = open(mp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int rc = 0;
    struct stat ms;
    if (was)
        *was = (fd >= 0 && fstat(fd, &ms) == 0) ? ms.st_size : -1;
    if (!line || fd < 0 || !defuse__write_all(fd, line, strlen(line)) || !defuse__write_all(fd, "\n", 1) || fsync(fd) != 0)
        rc = fixerr(fx, DEFUSE_EIO, "%s: cannot write: %s", mp, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(line);
    return rc;
}

static int append_manifest(fixctx *fx, const char *backup_dir, json_t *rec) {
    return append_manifest_at(fx, backup_dir, rec, NULL);
}

/* Takes back the record appended at offset was (the file was not fixed). */
static void unappend_manifest(const char *backup_dir, off_t was) {
    char mp[DEFUSE_INV_MAX_PATH];
    snprintf(mp, sizeof mp, "%s/manifest.jsonl", backup_dir);
    if (was < 0)
        return;
    if (truncate(mp, was) == 0 && was == 0)
        unlink(mp);
}

/* ---- exploded class trees -------------------------------------------------------------- */

/* Removes the fix targets below dir (rel paths from root, root_len bytes of
 * path), each after a backup recorded with sha256_fixed "(removed)".
 * Symlinks are not followed.  Returns the number removed or a negative
 * defuse_err. */
static long fix_tree(fixctx *fx, char *path, size_t len, size_t root_len, const char *backup_dir,
                     unsigned depth) {
    if (depth > 256)
        return fixerr(fx, DEFUSE_ELIMIT, "%s: directories nested too deep", path);
    DIR *d = opendir(path);
    if (!d)
        return fixerr(fx, DEFUSE_EIO, "%s: %s", path, strerror(errno));
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && !fx->failed) {
        const char *nm = de->d_name;
        if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2])))
            continue;
        size_t nl = strlen(nm);
        if (len + 1 + nl + 1 > DEFUSE_INV_MAX_PATH)
            continue;
        path[len] = '/';
        memcpy(path + len + 1, nm, nl + 1);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            long k = fix_tree(fx, path, len + 1 + nl, root_len, backup_dir, depth + 1);
            if (k > 0)
                n += k;
        } else if (S_ISREG(st.st_mode) && defuse__inv_fix_target(path + root_len + 1, fx->flags)) {
            n++;
            if (fx->flags & DEFUSE_FIX_DRY_RUN) {
                if (fx->cb)
                    fx->cb(path, fx->user);
            } else {
                int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), bfd = -1;
                char bpath[DEFUSE_INV_MAX_PATH + 64], abspath[DEFUSE_INV_MAX_PATH], ho[65];
                uint8_t orig[32];
                snprintf(bpath, sizeof bpath, "%s/%s.XXXXXX", backup_dir ? backup_dir : "/", nm);
                if (fd < 0 || sha256_fd(fd, orig) != 0 ||
                    (backup_dir && ((bfd = mkostemp(bpath, O_CLOEXEC)) < 0 || copy_fd(fd, bfd) != 0 ||
                                    fsync(bfd) != 0))) {
                    fixerr(fx, DEFUSE_EIO, "%s: cannot back up: %s", path, strerror(errno));
                } else {
                    int rc = 0;
                    if (backup_dir) {
                        defuse__sha256_hex(orig, ho);
                        if (!realpath(path, abspath))
                            snprintf(abspath, sizeof abspath, "%s", path);
                        const char *b = strrchr(bpath, '/') + 1;
                        json_t *rec = json_pack(
                            "{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "path", abspath,
                            "backup", b, "sha256_original", ho, "sha256_fixed", "(removed)", "uid",
                            (json_int_t)st.st_uid, "gid", (json_int_t)st.st_gid, "mode",
                            (json_int_t)(st.st_mode & 07777), "size", (json_int_t)st.st_size,
                            "atime", (json_int_t)st.st_atim.tv_sec, "atime_ns",
                            (json_int_t)st.st_atim.tv_nsec, "mtime", (json_int_t)st.st_mtim.tv_sec,
                            "mtime_ns", (json_int_t)st.st_mtim.tv_nsec);
                        rc = rec ? append_manifest(fx, backup_dir, rec)
                                 : fixerr(fx, DEFUSE_ENOMEM, "out of memory");
                        json_decref(rec);
                    }
                    if (!rc && unlink(path) != 0)
                        fixerr(fx, DEFUSE_EIO, "%s: cannot remove: %s", path, strerror(errno));
                    else if (!rc && fx->cb)
                        fx->cb(path, fx->user);
                }
                if (fd >= 0)
                    close(fd);
                if (bfd >= 0)
                    close(bfd);
            }
        }
        path[len] = 0;
    }
    closedir(d);
    return fx->failed ? fx->failed : n;
}

/* The common end of a rewrite: tfd (temp file tmpl next to path, fully
 * written and verified) gets the owner, mode, times and extended
 * attributes of the original fd/st, is synced, checked against a
 * replacement of path since it was read, recorded in the manifest (with
 * the backup bpath and the original's SHA-256) and renamed over path.  On
 * success tmpl[0] is cleared; on failure nothing of the manifest remains. */
static int commit_fixed(fixctx *fx, int fd, int tfd, const struct stat *st, const char *path,
                        const char *backup_dir, const char *bpath, const uint8_t orig[32],
                        char *tmpl) {
    uint8_t fixed[32];
    char xa[256];
    if (same_meta(tfd, st) != 0)
        return fixerr(fx, DEFUSE_EIO, "%s: cannot set owner/mode/times: %s", path, strerror(errno));
    if (copy_xattrs(fd, tfd, xa) != 0)
        return fixerr(fx, DEFUSE_EIO, "%s: cannot copy extended attribute %s: %s", path,
                      xa[0] ? xa : "(list)", strerror(errno));
    if (fsync(tfd) != 0 || sha256_fd(tfd, fixed) != 0)
        return fixerr(fx, DEFUSE_EIO, "%s: %s", path, strerror(errno));
    if (defuse__fix_before_rename)
        defuse__fix_before_rename(path);
    if (!still_same(path, st))
        return fixerr(fx, DEFUSE_EINVAL, "%s: replaced since it was read (a package upgrade?); "
                                         "the new file is left alone, not fixed", path);
    off_t was = -1;
    if (backup_dir) {
        char ho[65], hf[65];
        const char *b = strrchr(bpath, '/') ? strrchr(bpath, '/') + 1 : bpath;
        defuse__sha256_hex(orig, ho);
        defuse__sha256_hex(fixed, hf);
        json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "path", path,
                                "backup", b, "sha256_original", ho, "sha256_fixed", hf, "uid",
                                (json_int_t)st->st_uid, "gid", (json_int_t)st->st_gid, "mode",
                                (json_int_t)(st->st_mode & 07777), "size", (json_int_t)st->st_size,
                                "atime", (json_int_t)st->st_atim.tv_sec, "atime_ns",
                                (json_int_t)st->st_atim.tv_nsec, "mtime",
                                (json_int_t)st->st_mtim.tv_sec, "mtime_ns",
                                (json_int_t)st->st_mtim.tv_nsec);
        int rc = rec ? append_manifest_at(fx, backup_dir, rec, &was)
                     : fixerr(fx, DEFUSE_ENOMEM, "out of memory");
        json_decref(rec);
        if (rc)
            return rc;
    }
    if (rename(tmpl, path) != 0) {
        int e = errno;
        if (backup_dir)
            unappend_manifest(backup_dir, was);
        return fixerr(fx, DEFUSE_EIO, "%s: cannot replace: %s", path, strerror(e));
    }
    tmpl[0] = 0;
    fsync_dir(path);
    return 0;
}

/* ---- tar files (image layers, docker save) ------------------------------------------------- */

static struct archive *tar_reader(int fd) {
    struct archive *a = archive_read_new();
    if (!a)
        return NULL;
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_filter_all(a);
    if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(a, fd, FIX_IO) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* The tar counterpart of the zip path of defuse_inventory_fix(): same
 * format and compression filter, loose targets dropped, nested zips
 * rebuilt; backup, verification, metadata and rename as for a zip. */
static long fix_tar(fixctx *fx, int fd, const struct stat *st, const char *path,
                    const char *abspath, const char *backup_dir) {
    struct archive *in = tar_reader(fd), *w = NULL;
    char tmpl[DEFUSE_INV_MAX_PATH + 64] = "", bpath[DEFUSE_INV_MAX_PATH + 64] = "";
    int tfd = -1, bfd = -1, format = 0, filter = 0;
    uint8_t orig[32];
    long removed = -1;
    pending pend = {NULL, 0, 0, false};
    if (!in)
        return fixerr(fx, DEFUSE_EFORMAT, "%s: not a readable tar archive", path);
    fixctx quiet = *fx;
    quiet.cb = (fx->flags & DEFUSE_FIX_DRY_RUN) ? fx->cb : NULL;
    long n = count_targets(&quiet, in, path, 0, (fx->flags & DEFUSE_FIX_DRY_RUN) != 0);
    format = archive_format(in);
    filter = archive_filter_code(in, 0);
    archive_read_free(in);
    in = NULL;
    if (quiet.failed) {
        fx->failed = quiet.failed; /* the message is already in the shared buffer */
        return quiet.failed;
    }
    if (n <= 0 || (fx->flags & DEFUSE_FIX_DRY_RUN))
        return n;
    if (backup_dir) {
        char b[DEFUSE_INV_MAX_PATH];
        snprintf(b, sizeof b, "%s", path);
        snprintf(bpath, sizeof bpath, "%s/%s.XXXXXX", backup_dir, basename(b));
        if ((bfd = mkostemp(bpath, O_CLOEXEC)) < 0 || copy_fd(fd, bfd) != 0 || fsync(bfd) != 0) {
            fixerr(fx, DEFUSE_EIO, "%s: cannot write backup %s: %s", path, bpath, strerror(errno));
            goto out;
        }
    }
    if (sha256_fd(fd, orig) != 0 || (tfd = tmp_near(path, tmpl, sizeof tmpl)) < 0) {
        tmpl[0] = 0;
        fixerr(fx, DEFUSE_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!(in = tar_reader(fd)) || !(w = archive_write_new()) ||
        archive_write_set_format(w, format) != ARCHIVE_OK ||
        archive_write_add_filter(w, filter) != ARCHIVE_OK ||
        archive_write_open_fd(w, tfd) != ARCHIVE_OK) {
        fixerr(fx, DEFUSE_EIO, "%s: cannot rewrite this tar (format %#x, filter %d): %s", path,
               (unsigned)format, filter, w && archive_error_string(w) ? archive_error_string(w) : "?");
        goto out;
    }
    defuse_fix_cb ucb = fx->cb;
    void *uuser = fx->user;
    fx->cb = pending_add;
    fx->user = &pend;
    removed = rebuild(fx, in, w, path, 0);
    fx->cb = ucb;
    fx->user = uuser;
    if (removed < 0 || archive_write_close(w) != ARCHIVE_OK) {
        if (!fx->failed)
            fixerr(fx, DEFUSE_EIO, "%s: write failed: %s", path, archive_error_string(w));
        removed = -1;
        goto out;
    }
    {
        struct archive *v = tar_reader(tfd);
        fixctx vf = *fx;
        vf.cb = NULL;
        vf.err = NULL;
        long left = v ? count_targets(&vf, v, path, 0, false) : -1;
        if (v)
            archive_read_free(v);
        if (left != 0) {
            fixerr(fx, DEFUSE_EINTERNAL, "%s: verification of the rewritten archive failed; "
                                         "original left untouched", path);
            removed = -1;
            goto out;
        }
    }
    if (commit_fixed(fx, fd, tfd, st, path, backup_dir, bpath, orig, tmpl) != 0)
        removed = -1;
out:
    if (w)
        archive_write_free(w);
    if (in)
        archive_read_free(in);
    if (tfd >= 0)
        close(tfd);
    if (tmpl[0])
        unlink(tmpl);
    if (bfd >= 0)
        close(bfd);
    if (removed < 0 && bpath[0] && bfd >= 0)
        unlink(bpath);
    pending_flush(&pend, removed > 0, fx->cb, fx->user);
    return removed < 0 ? (fx->failed ? fx->failed : DEFUSE_EIO) : removed;
}

int defuse_inventory_fix(const char *path, unsigned flags, const defuse_inv_limits *limits,
                         const char *backup_dir, defuse_fix_cb cb, void *user, char *errbuf,
                         size_t errlen) {
    fixctx fx;
    memset(&fx, 0, sizeof fx);
    fx.flags = flags;
    fx.cb = cb;
    fx.user = user;
    fx.err = errbuf;
    fx.errlen = errlen;
    defuse__inv_limits_resolve(&fx.lim, limits);
    if (errbuf && errlen)
        errbuf[0] = 0;
    if (!path)
        return DEFUSE_EINVAL;
    int fd = -1, tfd = -1, bfd = -1;
    struct archive *in = NULL, *w = NULL;
    char tmpl[DEFUSE_INV_MAX_PATH + 64] = "", bpath[DEFUSE_INV_MAX_PATH + 64] = "", abspath[PATH_MAX];
    long removed = 0;
    struct stat st;
    uint8_t head[DEFUSE_INV_SNIFF], orig[32];
    pending pend = {NULL, 0, 0, false};
    /* A symbolic link (Debian's /usr/share/java/log4j-core.jar ->
     * log4j-core-2.x.jar) is never replaced: its target is what the JVM
     * loads, so the target is fixed (and recorded) and the links stay. */
    if (!realpath(path, abspath)) {
        if (errno == ENAMETOOLONG)
            fixerr(&fx, DEFUSE_ELIMIT, "%s: path longer than PATH_MAX (%d); not fixed", path,
                   PATH_MAX);
        else
            fixerr(&fx, DEFUSE_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    path = abspath;
    if ((fd = open_noatime(path, 0)) < 0 || fstat(fd, &st) != 0) {
        fixerr(&fx, DEFUSE_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        /* the rename would leave the other names on the vulnerable copy */
        fixerr(&fx, DEFUSE_EINVAL, "%s: has %ju hard links; replacing it would split them and "
                                   "leave the others vulnerable; not fixed (find them with "
                                   "find / -samefile)", path, (uintmax_t)st.st_nlink);
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        /* an exploded class tree: remove the loose class files */
        close(fd);
        fd = -1;
        char *tp = malloc(DEFUSE_INV_MAX_PATH);
        size_t pl = strlen(path);
        while (pl > 1 && path[pl - 1] == '/')
            pl--;
        if (!tp || pl + 1 > DEFUSE_INV_MAX_PATH) {
            free(tp);
            fixerr(&fx, DEFUSE_ENOMEM, "%s: out of memory", path);
            goto out;
        }
        memcpy(tp, path, pl);
        tp[pl] = 0;
        removed = fix_tree(&fx, tp, pl, pl, backup_dir, 0);
        free(tp);
        goto out;
    }
    ssize_t hn = pread(fd, head, sizeof head, 0);
    uint64_t prefix = defuse__zip_prefix(pread_cb, &fd, (uint64_t)st.st_size);
    defuse__kind kind = hn > 0 ? defuse__sniff(head, (size_t)hn) : DEFUSE__K_OTHER;
    if (kind == DEFUSE__K_TAR || kind == DEFUSE__K_COMPRESSED) {
        removed = fix_tar(&fx, fd, &st, path, abspath, backup_dir);
        goto out;
    }
    if (hn < 4 || (kind != DEFUSE__K_ZIP && prefix == 0)) {
        fixerr(&fx, DEFUSE_EFORMAT, "%s: not an archive --fix can rewrite (zip family or tar)",
               path);
        goto out;
    }
    /* dry pass */
    in = archive_read_new();
    archive_read_support_format_zip_seekable(in);
    if (archive_read_open_fd(in, fd, FIX_IO) != ARCHIVE_OK) {
        fixerr(&fx, DEFUSE_EFORMAT, "%s: %s", path, archive_error_string(in));
        goto out;
    }
    removed = count_targets(&fx, in, path, 0, (flags & DEFUSE_FIX_DRY_RUN) != 0);
    archive_read_free(in);
    in = NULL;
    if (removed <= 0 || (flags & DEFUSE_FIX_DRY_RUN))
        goto out;
    /* backup first */
    if (backup_dir) {
        char b[DEFUSE_INV_MAX_PATH];
        snprintf(b, sizeof b, "%s", path);
        snprintf(bpath, sizeof bpath, "%s/%s.XXXXXX", backup_dir, basename(b));
        if ((bfd = mkostemp(bpath, O_CLOEXEC)) < 0 || copy_fd(fd, bfd) != 0 || fsync(bfd) != 0) {
            fixerr(&fx, DEFUSE_EIO, "%s: cannot write backup %s: %s", path, bpath, strerror(errno));
            goto out;
        }
    }
    if (sha256_fd(fd, orig) != 0) {
        fixerr(&fx, DEFUSE_EIO, "%s: read: %s", path, strerror(errno));
        goto out;
    }
    /* rebuild into a temp file next to the original */
    if ((tfd = tmp_near(path, tmpl, sizeof tmpl)) < 0) {
        fixerr(&fx, DEFUSE_EIO, "%s: cannot create temp file: %s", path, strerror(errno));
        tmpl[0] = 0;
        goto out;
    }
    if (prefix) {
        uint8_t *p = malloc(prefix);
        bool ok = p && pread(fd, p, prefix, 0) == (ssize_t)prefix && defuse__write_all(tfd, p, prefix);
        free(p);
        if (!ok) {
            fixerr(&fx, DEFUSE_EIO, "%s: copying the script prefix failed", path);
            goto out;
        }
    }
    in = archive_read_new();
    archive_read_support_format_zip_seekable(in);
    if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(in, fd, FIX_IO) != ARCHIVE_OK ||
        !(w = writer_fd(tfd))) {
        fixerr(&fx, DEFUSE_EIO, "%s: cannot open for rewriting", path);
        goto out;
    }
    fixctx quiet = fx;
    quiet.cb = pending_add;
    quiet.user = &pend;
    removed = rebuild(&quiet, in, w, path, 0);
    fx.failed = quiet.failed;
    if (removed < 0 || archive_write_close(w) != ARCHIVE_OK) {
        if (!fx.failed)
            fixerr(&fx, DEFUSE_EIO, "%s: write failed: %s", path, archive_error_string(w));
        goto out;
    }
    archive_write_free(w);
    w = NULL;
    archive_read_free(in);
    in = NULL;
    /* verify: the new archive reads completely and holds no target */
    {
        struct archive *v = archive_read_new();
        archive_read_support_format_zip_seekable(v);
        fixctx vf = fx;
        vf.cb = NULL;
        vf.failed = 0;
        vf.err = NULL;
        long left = -1;
        if (lseek(tfd, 0, SEEK_SET) == 0 && archive_read_open_fd(v, tfd, FIX_IO) == ARCHIVE_OK)
            left = count_targets(&vf, v, path, 0, false);
        archive_read_free(v);
        if (left != 0) {
            fixerr(&fx, DEFUSE_EINTERNAL, "%s: verification of the rewritten archive failed; "
                                          "original left untouched", path);
            goto out;
        }
    }
    commit_fixed(&fx, fd, tfd, &st, path, backup_dir, bpath, orig, tmpl);
out:
    if (w)
        archive_write_free(w);
    if (in)
        archive_read_free(in);
    if (tfd >= 0)
        close(tfd);
    if (tmpl[0])
        unlink(tmpl);
    if (bfd >= 0)
        close(bfd);
    if (fx.failed && bpath[0] && bfd >= 0)
        unlink(bpath);
    if (fd >= 0)
        close(fd);
    pending_flush(&pend, !fx.failed, cb, user);
    return fx.failed ? fx.failed : (int)removed;
}

/* ---- restore ---------------------------------------------------------------------------------- */

static int restore_one(fixctx *fx, const char *backup_dir, json_t *rec, size_t line) {
    const char *path = json_string_value(json_object_get(rec, "path"));
    const char *bk = json_string_value(json_object_get(rec, "backup"));
    const char *ho = json_string_value(json_object_get(rec, "sha256_original"));
    const char *hf = json_string_value(json_object_get(rec, "sha256_fixed"));
    if (!path || !bk || !ho || !hf || strchr(bk, '/'))
        return fixerr(fx, DEFUSE_EFORMAT, "%s/manifest.jsonl line %zu: bad record", backup_dir, line);
    char bpath[DEFUSE_INV_MAX_PATH + 64], tmpl[DEFUSE_INV_MAX_PATH + 64], hex[65];
    uint8_t d[32];
    snprintf(bpath, sizeof bpath, "%s/%s", backup_dir, bk);
    int cur = open_noatime(path, 0);
    if (cur >= 0) {
        int r = sha256_fd(cur, d);
        if (r == 0) {
            defuse__sha256_hex(d, hex);
            if (!strcmp(hex, ho)) {
                close(cur);
                return 0; /* already the original */
            }
            if (strcmp(hex, hf) != 0) {
                close(cur);
                return fixerr(fx, DEFUSE_EINVAL, "%s: changed since it was fixed; not restored",
                              path);
            }
        }
    } else if (errno == ENOENT && strcmp(hf, "(removed)") != 0 &&
               !(fx->rflags & DEFUSE_RESTORE_FORCE)) {
        /* deleted since the fix (an uninstall?): not brought back unasked */
        if (fx->errcb) {
            char msg[DEFUSE_INV_MAX_PATH + 128];
            snprintf(msg, sizeof msg, "%s: deleted since it was fixed; not re-created "
                                      "(--force re-creates it)", path);
            fx->errcb(msg, fx->user);
        }
        return 0;
    }
    int bfd = open(bpath, O_RDONLY | O_CLOEXEC);
    if (bfd < 0) {
        int e = errno;
        if (cur >= 0)
            close(cur);
        return fixerr(fx, DEFUSE_EIO, "%s: backup %s: %s; not restored", path, bpath, strerror(e));
    }
    if (sha256_fd(bfd, d) != 0 || (defuse__sha256_hex(d, hex), strcmp(hex, ho) != 0)) {
        close(bfd);
        if (cur >= 0)
            close(cur);
        return fixerr(fx, DEFUSE_EFORMAT, "%s: backup %s does not match its recorded SHA-256; "
                                          "not restored", path, bpath);
    }
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_uid = (uid_t)json_integer_value(json_object_get(rec, "uid"));
    st.st_gid = (gid_t)json_integer_value(json_object_get(rec, "gid"));
    st.st_mode = (mode_t)json_integer_value(json_object_get(rec, "mode"));
    st.st_atim.tv_sec = (time_t)json_integer_value(json_object_get(rec, "atime"));
    st.st_atim.tv_nsec = (long)json_integer_value(json_object_get(rec, "atime_ns"));
    st.st_mtim.tv_sec = (time_t)json_integer_value(json_object_get(rec, "mtime"));
    st.st_mtim.tv_nsec = (long)json_integer_value(json_object_get(rec, "mtime_ns"));
    char xa[256] = "";
    int tfd = tmp_near(path, tmpl, sizeof tmpl);
    /* the fixed file kept the original's xattrs, ACLs and label: they go back too */
    if (tfd < 0 || copy_fd(bfd, tfd) != 0 || same_meta(tfd, &st) != 0 ||
        (cur >= 0 && copy_xattrs(cur, tfd, xa) != 0) || fsync(tfd) != 0 ||
        rename(tmpl, path) != 0) {
        int e = errno;
        if (tfd >= 0) {
            close(tfd);
            unlink(tmpl);
        }
        close(bfd);
        if (cur >= 0)
            close(cur);
        return fixerr(fx, DEFUSE_EIO, "%s: restore failed%s%s: %s", path,
                      xa[0] ? " copying extended attribute " : "", xa, strerror(e));
    }
    if (cur >= 0)
        close(cur);
    close(tfd);
    close(bfd);
    fsync_dir(path);
    if (fx->cb)
        fx->cb(path, fx->user);
    return 1;
}

int defuse_inventory_restore(const char *backup_dir, unsigned flags, defuse_fix_cb cb,
                             defuse_fix_cb errcb, void *user, char *errbuf, size_t errlen) {
    fixctx fx;
    memset(&fx, 0, sizeof fx);
    fx.rflags = flags;
    fx.errcb = errcb;
    fx.cb = cb;
    fx.user = user;
    fx.err = errbuf;
    fx.errlen = errlen;
    if (errbuf && errlen)
        errbuf[0] = 0;
    if (!backup_dir)
        return DEFUSE_EINVAL;
    char mp[DEFUSE_INV_MAX_PATH];
    snprintf(mp, sizeof mp, "%s/manifest.jsonl", backup_dir);
    FILE *f = fopen(mp, "r");
    if (!f)
        return fixerr(&fx, DEFUSE_EIO, "%s: %s", mp, strerror(errno));
    char *line = NULL;
    size_t cap = 0, ln = 0;
    int restored = 0;
    ssize_t n;
    /* newest first, so a file fixed twice gets its first original back */
    json_t *recs = json_array();
    while ((n = getline(&line, &cap, f)) > 0) {
        ln++;
        if (n > 1 << 16)
            continue;
        json_t *rec = json_loads(line, 0, NULL);
        if (!rec) {
            fixerr(&fx, DEFUSE_EFORMAT, "%s line %zu: not JSON", mp, ln);
            continue;
        }
        json_object_set_new(rec, "_line", json_integer((json_int_t)ln));
        json_array_append_new(recs, rec);
    }
    free(line);
    fclose(f);
    for (size_t i = json_array_size(recs); i-- > 0;) {
        json_t *rec = json_array_get(recs, i);
        int r = restore_one(&fx, backup_dir, rec,
                            (size_t)json_integer_value(json_object_get(rec, "_line")));
        if (r > 0)
            restored++;
    }
    json_decref(recs);
    return fx.failed ? fx.failed : restored;
}
