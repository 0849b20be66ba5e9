/*
 * inventory_walk.c -- defuse_inventory_walk(): walks files and directory
 * trees and scans every file with a pool of worker threads (one
 * defuse_inventory each over the shared, immutable vulndb).
 *
 * The walking thread reads directories (symlinks are not followed unless
 * DEFUSE_WALK_FOLLOW_SYMLINKS; then directories are tracked by dev/ino so
 * loops end), skips /proc, /sys, /dev and network or pseudo file systems
 * unless DEFUSE_WALK_ALL_FS, stays on one file system with
 * DEFUSE_WALK_ONE_FS, and itself reads the few loose files that belong to
 * exploded class trees (JndiLookup.class, pom.properties, ...) into one
 * facts set per root, so an unpacked log4j-core is recognised as one
 * component.  Every other file (*.class too) goes to the workers in
 * batches of up to WALK_BATCH_FILES names of one directory, with a descriptor of that
 * directory, and they open it by content relative to it (openat: no path
 * walk per file; see defuse__inventory_scan_at for the per-file cost);
 * when the queue is full the walking thread runs a batch itself.  Workers
 * count a batch's statistics once, not per file.  Records reach the
 * caller's callback under one lock.
 */
#include "inventory.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* Batches of paths queued for the workers (a batch amortises the hand-off
 * over many small files). */
#define WALK_QUEUE 64u
/* Files per batch: enough to make the hand-off negligible, few enough that
 * a directory of large archives is still spread over the workers. */
#define WALK_BATCH_FILES 32u
/* Bytes of paths per batch. */
#define WALK_BATCH (32u * 1024u)
/* Directory nesting followed (deeper trees are reported, not walked). */
#define WALK_MAX_DEPTH 256u
/* Directories remembered for loop detection with --follow-symlinks. */
#define WALK_MAX_VISITED (1u << 22)

/* File systems skipped unless DEFUSE_WALK_ALL_FS (statfs f_type). */
static const struct {
    long magic;
    const char *name;
} skip_fs[] = {
    {0x9fa0, "proc"},          {0x62656572, "sysfs"},   {0x1cd1, "devpts"},
    {0x27e0eb, "cgroup"},      {0x63677270, "cgroup2"}, {0x64626720, "debugfs"},
    {0x74726163, "tracefs"},   {0x73636673, "securityfs"}, {0xcafe4a11, "bpf"},
    {0x6969, "nfs"},           {0x517b, "smb"},         {(long)0xff534d42, "cifs"},
    {(long)0xfe534d42, "smb2"}, {0x5346414f, "afs"},    {0x00c36400, "ceph"},
    {0x01021997, "9p"},        {0x47504653, "gpfs"},    {0x0bd00bd0, "lustre"},
};
static const char *const skip_paths[] = {"/proc", "/sys", "/dev"};

/* Names of regular files of one directory: buf holds the directory's
 * display path (dirlen bytes, ending in '/'; empty for top-level files)
 * and then the names, each NUL-terminated. */
typedef struct batch {
    int dirfd; /* the directory (owned), or AT_FDCWD: names resolve as full paths */
    size_t n, used, dirlen;
    char buf[WALK_BATCH];
} batch;

typedef struct walk {
    const defuse_vulndb *db;
    defuse_inv_limits lim;
    unsigned flags;
    const char *const *exclude; /* BORROWED from the options */
    size_t nexclude;
    bool has_skip;     /* opt->skip_dir exists: skip_dev/skip_ino */
    dev_t skip_dev;
    ino_t skip_ino;
    defuse_component_cb cb;
    void *user;
    defuse_progress_cb progress;
    void *progress_user;

    pthread_mutex_t qlock;
    pthread_cond_t qnonempty, qnonfull;
    struct batch *queue[WALK_QUEUE];
    struct batch *cur; /* the batch the walking thread is filling */
    size_t qhead, qlen;
    unsigned waiting; /* workers blocked on qnonempty */
    defuse_inventory *self; /* the walking thread's own scanner */
    locale_t utf8; /* C.UTF-8 for the scanning threads, or 0 */
    uint64_t self_arch;
    bool done;

    pthread_mutex_t cblock; /* serialises cb and stats */
    defuse_walk_stats st;
    bool stop;
    struct timespec t0, last_progress;

    /* dev/ino of directories seen (follow mode), open addressing */
    struct devino {
        dev_t dev;
        ino_t ino;
    } *visited;
    size_t nvisited, capvisited;
} walk;

static double since(const struct timespec *t0) {
    struct timespec n;
    clock_gettime(CLOCK_MONOTONIC, &n);
    return (double)(n.tv_sec - t0->tv_sec) + (double)(n.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool stopped(walk *w) {
    return __atomic_load_n(&w->stop, __ATOMIC_RELAXED);
}

static int locked_cb(const defuse_component *c, void *user) {
    walk *w = user;
    int r = 0;
    pthread_mutex_lock(&w->cblock);
    if (c->err && c->warning)
        w->st.warnings++;
    else if (c->err)
        w->st.errors++;
    else if (c->sbom)
        w->st.sboms++;
    else {
        w->st.components++;
        if (c->nvulns)
            w->st.vulnerable++;
    }
    if (!w->stop && w->cb && w->cb(c, w->user))
        __atomic_store_n(&w->stop, true, __ATOMIC_RELAXED);
    r = w->stop;
    pthread_mutex_unlock(&w->cblock);
    return r;
}

__attribute__((format(printf, 4, 5))) static void walk_error(walk *w, const char *path, int err,
                                                              const char *fmt, ...) {
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    defuse_component c;
    memset(&c, 0, sizeof c);
    c.err = err;
    c.reason = reason;
    c.path = path;
    c.jndilookup = -1;
    locked_cb(&c, w);
}

/* A transient condition (a file that vanished between readdir and open):
 * reported, counted as a warning, not an error. */
static void walk_warning(walk *w, const char *path, const char *reason) {
    defuse_component c;
    memset(&c, 0, sizeof c);
    c.err = DEFUSE_ENOENT;
    c.warning = 1;
    c.reason = reason;
    c.path = path;
    c.jndilookup = -1;
    locked_cb(&c, w);
}

static void maybe_progress(walk *w, bool force) {
    if (!w->progress)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = (double)(now.tv_sec - w->last_progress.tv_sec) +
                (double)(now.tv_nsec - w->last_progress.tv_nsec) / 1e9;
    if (!force && dt < 0.2)
        return;
    w->last_progress = now;
    pthread_mutex_lock(&w->cblock);
    defuse_walk_stats s = w->st;
    pthread_mutex_unlock(&w->cblock);
    s.seconds = since(&w->t0);
    w->progress(&s, w->progress_user);
}

/* ---- the work queue --------------------------------------------------------------- */

static void batch_free(batch *b) {
    if (b && b->dirfd >= 0)
        close(b->dirfd);
    free(b);
}

/* Scans the files of batch b with scanner inv (NULL: out of memory) and
 * adds them to the statistics under one lock. */
static void run_batch(walk *w, defuse_inventory *inv, batch *b, uint64_t *last_arch) {
    char *full = malloc(DEFUSE_INV_MAX_PATH);
    const char *p = b->buf + b->dirlen;
    /* libarchive converts every entry name between the archive's charset
     * (zip: UTF-8) and the thread's locale; in the "C" locale that costs
     * iconv plus an mbrtowc() per character of every entry (a fifth of
     * the CPU of a jar scan).  In C.UTF-8 it is a copy.  Thread-local:
     * the caller's locale is restored after the batch. */
    locale_t saved = w->utf8 ? uselocale(w->utf8) : (locale_t)0;
    uint64_t files = 0, bytes = 0;
    if (full)
        memcpy(full, b->buf, b->dirlen);
    for (size_t i = 0; i < b->n && !stopped(w); i++) {
        size_t l = strlen(p);
        if (full)
            memcpy(full + b->dirlen, p, l + 1);
        if (!inv || !full) {
            walk_error(w, full ? full : p, DEFUSE_ENOMEM, "%s", "out of memory");
        } else {
            defuse__inventory_scan_at(inv, b->dirfd, b->dirfd == AT_FDCWD ? full : p, full,
                                      locked_cb, w);
            files++;
            bytes += defuse__inventory_last_size(inv);
        }
        p += l + 1;
    }
    uint64_t a = inv ? defuse__inventory_archives(inv) : *last_arch;
    pthread_mutex_lock(&w->cblock);
    w->st.files += files;
    w->st.bytes += bytes;
    w->st.archives += a - *last_arch;
    pthread_mutex_unlock(&w->cblock);
    *last_arch = a;
    free(full);
    if (saved)
        uselocale(saved);
}

/* Hands the current batch to the workers; when the queue is full the
 * walking thread runs the batch itself rather than wait. */
static void flush_batch(walk *w) {
    batch *b = w->cur;
    w->cur = NULL;
    if (!b || !b->n) {
        batch_free(b);
        return;
    }
    pthread_mutex_lock(&w->qlock);
    if (w->qlen == WALK_QUEUE) {
        pthread_mutex_unlock(&w->qlock);
        run_batch(w, w->self, b, &w->self_arch);
        batch_free(b);
        return;
    }
    w->queue[(w->qhead + w->qlen++) % WALK_QUEUE] = b;
    if (w->waiting)
        pthread_cond_signal(&w->qnonempty);
    pthread_mutex_unlock(&w->qlock);
}

/* Adds the file name (nl bytes) of the directory open as dfd (AT_FDCWD:
 * name is a full path) whose display path is dir[0..dirlen) to the current
 * batch.  The caller flushes the batch before it changes directory. */
static bool enqueue(walk *w, int dfd, const char *dir, size_t dirlen, const char *name,
                    size_t nl) {
    if (dirlen + nl + 1 > WALK_BATCH)
        return false;
    if (w->cur && w->cur->used + nl + 1 > WALK_BATCH)
        flush_batch(w);
    if (!w->cur) {
        batch *b = malloc(sizeof *b);
        if (!b)
            return false;
        b->dirfd = dfd == AT_FDCWD ? AT_FDCWD : fcntl(dfd, F_DUPFD_CLOEXEC, 0);
        if (b->dirfd < 0 && b->dirfd != AT_FDCWD) {
            /* out of descriptors: the batch resolves full paths instead */
            b->dirfd = AT_FDCWD;
        }
        memcpy(b->buf, dir, dirlen);
        b->n = 0;
        b->used = b->dirlen = dirlen;
        w->cur = b;
    }
    memcpy(w->cur->buf + w->cur->used, name, nl + 1);
    w->cur->used += nl + 1;
    w->cur->n++;
    if (w->cur->n >= WALK_BATCH_FILES)
        flush_batch(w);
    return true;
}

static batch *dequeue(walk *w) {
    pthread_mutex_lock(&w->qlock);
    while (w->qlen == 0 && !w->done) {
        w->waiting++;
        pthread_cond_wait(&w->qnonempty, &w->qlock);
        w->waiting--;
    }
    batch *b = NULL;
    if (w->qlen) {
        b = w->queue[w->qhead];
        w->qhead = (w->qhead + 1) % WALK_QUEUE;
        w->qlen--;
    }
    pthread_mutex_unlock(&w->qlock);
    return b;
}

static void *worker(void *arg) {
    walk *w = arg;
    defuse_inventory *inv = NULL;
    if (defuse_inventory_new(&inv, w->db, &w->lim))
        inv = NULL;
    uint64_t last_arch = 0;
    batch *b;
    while ((b = dequeue(w)) != NULL) {
        run_batch(w, inv, b, &last_arch);
        batch_free(b);
    }
    defuse_inventory_free(inv);
    return NULL;
}

/* ---- loop detection ------------------------------------------------------------------ */

/* Returns true if (dev, ino) was seen before; records it otherwise. */
static bool seen_dir(walk *w, dev_t dev, ino_t ino) {
    if (w->nvisited * 2 >= w->capvisited) {
        size_t nc = w->capvisited ? w->capvisited * 2 : 4096;
        if (nc > WALK_MAX_VISITED)
            return false;
        struct devino *n = calloc(nc, sizeof *n);
        if (!n)
            return false;
        for (size_t i = 0; i < w->capvisited; i++) {
            struct devino *o = &w->visited[i];
            if (!o->ino && !o->dev)
                continue;
            size_t h = ((size_t)o->ino * 11400714819323198485ull ^ (size_t)o->dev) & (nc - 1);
            while (n[h].ino || n[h].dev)
                h = (h + 1) & (nc - 1);
            n[h] = *o;
        }
        free(w->visited);
        w->visited = n;
        w->capvisited = nc;
    }
    size_t h = ((size_t)ino * 11400714819323198485ull ^ (size_t)dev) & (w->capvisited - 1);
    while (w->visited[h].ino || w->visited[h].dev) {
        if (w->visited[h].ino == ino && w->visited[h].dev == dev)
            return true;
        h = (h + 1) & (w->capvisited - 1);
    }
    w->visited[h].dev = dev;
    w->visited[h].ino = ino;
    w->nvisited++;
    return false;
}

/* ---- the walk -------------------------------------------------------------------------- */

typedef struct root {
    const char *path; /* the root as given (no trailing '/') */
    size_t len;
    dev_t dev;
    defuse__inv_facts facts; /* loose class/pom files of exploded trees */
} root;

static const char *skipped_fs(int dfd) {
    struct statfs sf;
    if (fstatfs(dfd, &sf) != 0)
        return NULL;
    for (size_t i = 0; i < sizeof skip_fs / sizeof skip_fs[0]; i++)
        if ((long)sf.f_type == skip_fs[i].magic)
            return skip_fs[i].name;
    return NULL;
}

/* Reads the loose file name of directory dfd (display path path) into the
 * root's facts. */
static void loose_file(walk *w, root *r, int dfd, const char *name, const char *path,
                       const defuse__classify *c, const char *rel) {
    uint8_t *data = NULL;
    size_t len = 0;
    if (c->read) {
        int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            if (errno == ENOENT)
                walk_warning(w, path, "vanished during the scan");
            else
                walk_error(w, path, DEFUSE_EIO, "cannot open: %s", strerror(errno));
            if (fd >= 0)
                close(fd);
            return;
        }
        len = (uint64_t)st.st_size < w->lim.max_class ? (size_t)st.st_size : w->lim.max_class;
        data = malloc(len ? len : 1);
        ssize_t n = data ? pread(fd, data, len, 0) : -1;
        close(fd);
        if (n < 0) {
            walk_error(w, path, DEFUSE_EIO, "cannot read: %s", strerror(errno));
            free(data);
            return;
        }
        len = (size_t)n;
    }
    pthread_mutex_lock(&w->cblock);
    w->st.files++;
    w->st.bytes += len;
    pthread_mutex_unlock(&w->cblock);
    if (defuse__facts_add(&r->facts, rel, path, c, data, len))
        walk_error(w, path, DEFUSE_ENOMEM, "%s", "out of memory");
    free(data);
}

/* A pipe given as PATH (a FIFO, /dev/stdin of a pipeline, a process
 * substitution): its bytes are copied to an unlinked temp file (up to
 * max_spill), which is then scanned as a file -- a zip needs seeking.  Pipes
 * met inside a directory are not opened (they would block the walk). */
static void scan_stream(walk *w, const char *path) {
    int in = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (in < 0) {
        walk_error(w, path, DEFUSE_EIO, "cannot open: %s", strerror(errno));
        return;
    }
    int fd = defuse__spill_open("stream");
    uint8_t *buf = malloc(1u << 16);
    uint64_t total = 0;
    bool ok = fd >= 0 && buf;
    while (ok) {
        ssize_t n = read(in, buf, 1u << 16);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            walk_error(w, path, DEFUSE_EIO, "cannot read: %s", strerror(errno));
            ok = false;
        } else if (n == 0) {
            break;
        } else if ((total += (uint64_t)n) > w->lim.max_spill) {
            walk_error(w, path, DEFUSE_ELIMIT, "limit: stream longer than %llu bytes",
                       (unsigned long long)w->lim.max_spill);
            ok = false;
        } else if (!defuse__write_all(fd, buf, (size_t)n)) {
            walk_error(w, path, DEFUSE_EIO, "temp file write failed: %s", strerror(errno));
            ok = false;
        }
    }
    if (fd < 0 || !buf)
        walk_error(w, path, DEFUSE_ENOMEM, "cannot hold the stream: %s", strerror(errno));
    free(buf);
    close(in);
    if (ok && lseek(fd, 0, SEEK_SET) != 0) {
        walk_error(w, path, DEFUSE_EIO, "temp file seek failed: %s", strerror(errno));
        ok = false;
    }
    if (!ok || !w->self) {
        if (fd >= 0)
            close(fd);
        return;
    }
    locale_t saved = w->utf8 ? uselocale(w->utf8) : (locale_t)0;
    defuse__inventory_scan_fd(w->self, fd, path, locked_cb, w);
    if (saved)
        uselocale(saved);
    pthread_mutex_lock(&w->cblock);
    w->st.files++;
    w->st.bytes += total;
    w->st.archives += defuse__inventory_archives(w->self) - w->self_arch;
    pthread_mutex_unlock(&w->cblock);
    w->self_arch = defuse__inventory_archives(w->self);
}

/* Opens the subdirectory name of dfd for walking (not through a symlink
 * unless following them). */
static int open_dir(walk *w, int dfd, const char *name) {
    int fl = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    if (!(w->flags & DEFUSE_WALK_FOLLOW_SYMLINKS))
        fl |= O_NOFOLLOW;
    return openat(dfd, name, fl);
}

/* Does an exclude pattern name path (whose last component is name)?  A
 * pattern ending in '/' names directories only; one with a '/' elsewhere is
 * matched (fnmatch, '*' crossing '/') against the whole path as displayed,
 * one without against the name alone, as rg's -g '!GLOB' and .gitignore do. */
static bool excluded(const walk *w, const char *path, const char *name, bool isdir) {
    for (size_t i = 0; i < w->nexclude; i++) {
        const char *p = w->exclude[i];
        size_t pl = strlen(p);
        char buf[DEFUSE_INV_MAX_PATH];
        if (pl && p[pl - 1] == '/') {
            if (!isdir || pl >= sizeof buf)
                continue;
            memcpy(buf, p, pl - 1);
            buf[pl - 1] = 0;
            p = buf;
        }
        if (fnmatch(p, strchr(p, '/') ? path : name, 0) == 0)
            return true;
    }
    return false;
}

/* Walks the directory open as dfd (owned: closed here), on device dev, whose
 * display path is path[0..plen) (path has DEFUSE_INV_MAX_PATH bytes). */
static void walk_dir(walk *w, root *r, int dfd, dev_t dev, char *path, size_t plen,
                     unsigned depth) {
    if (depth > WALK_MAX_DEPTH) {
        walk_error(w, path, DEFUSE_ELIMIT, "limit: directories nested deeper than %u levels",
                   WALK_MAX_DEPTH);
        close(dfd);
        return;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        walk_error(w, path, DEFUSE_EIO, "cannot open directory: %s", strerror(errno));
        close(dfd);
        return;
    }
    struct dirent *de;
    while (!stopped(w) && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2])))
            continue;
        size_t nl = strlen(n);
        if (plen + 1 + nl + 1 > DEFUSE_INV_MAX_PATH) {
            walk_error(w, path, DEFUSE_ELIMIT, "path too long below: %s", n);
            continue;
        }
        size_t sep = plen && path[plen - 1] == '/' ? plen : plen + 1;
        path[plen] = '/';
        memcpy(path + sep, n, nl + 1);
        size_t clen = sep + nl;
        unsigned char type = de->d_type;
        struct stat st;
        if (type == DT_UNKNOWN || type == DT_LNK) {
            int sr = fstatat(dfd, n, &st,
                             (w->flags & DEFUSE_WALK_FOLLOW_SYMLINKS) ? 0 : AT_SYMLINK_NOFOLLOW);
            if (sr != 0) {
                if (type != DT_LNK && errno == ENOENT)
                    walk_warning(w, path, "vanished during the scan");
                else if (type != DT_LNK)
                    walk_error(w, path, DEFUSE_EIO, "cannot stat: %s", strerror(errno));
                path[plen] = 0;
                continue;
            }
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG
                                                 : S_ISLNK(st.st_mode) ? DT_LNK
                                                                       : DT_UNKNOWN;
        }
        if (w->nexclude && excluded(w, path, n, type == DT_DIR)) {
            path[plen] = 0; /* pruned: never opened, never counted */
            continue;
        }
        if (type == DT_DIR) {
            bool skip = false;
            if (!(w->flags & DEFUSE_WALK_ALL_FS))
                for (size_t i = 0; i < sizeof skip_paths / sizeof skip_paths[0]; i++)
                    skip |= !strcmp(path, skip_paths[i]);
            int sfd = skip ? -1 : open_dir(w, dfd, n);
            if (!skip && (sfd < 0 || fstat(sfd, &st) != 0)) {
                if (errno == ENOENT)
                    walk_warning(w, path, "vanished during the scan");
                else
                    walk_error(w, path, DEFUSE_EIO, "cannot open directory: %s", strerror(errno));
                skip = true;
            }
            if (!skip && (w->flags & DEFUSE_WALK_ONE_FS) && st.st_dev != r->dev)
                skip = true;
            if (!skip && w->has_skip && st.st_dev == w->skip_dev && st.st_ino == w->skip_ino)
                skip = true; /* --fix's backup directory (by identity, not by name) */
            if (!skip && (w->flags & DEFUSE_WALK_FOLLOW_SYMLINKS) &&
                seen_dir(w, st.st_dev, st.st_ino))
                skip = true; /* a loop, or a tree already walked */
            if (!skip && !(w->flags & DEFUSE_WALK_ALL_FS) && st.st_dev != dev && skipped_fs(sfd))
                skip = true;
            if (skip) {
                if (sfd >= 0)
                    close(sfd);
            } else {
                flush_batch(w); /* a batch holds one directory's names */
                walk_dir(w, r, sfd, st.st_dev, path, clen, depth + 1);
            }
        } else if (type == DT_REG) {
            const char *rel = path + r->len + (path[r->len] == '/');
            defuse__classify c;
            if (defuse__inv_classify(rel, &c)) {
                loose_file(w, r, dfd, n, path, &c, rel);
            } else {
                /* any other name, "*.class" included, is opened by content:
                 * a jar named library.class is on a class path as well as
                 * one named x.jar, and a renamed JndiLookup names itself */
                if (nl > 6 && !strcmp(n + nl - 6, ".class"))
                    defuse__facts_seen(&r->facts, rel);
                enqueue(w, dfd, path, sep, n, nl);
            }
        }
        path[plen] = 0;
        maybe_progress(w, false);
    }
    flush_batch(w);
    closedir(d);
}

int defuse_inventory_walk(const defuse_vulndb *db, const char *const *paths, size_t npaths,
                          const defuse_walk_options *opt, defuse_component_cb cb, void *user,
                          defuse_walk_stats *stats) {
    if (!db || (!paths && npaths))
        return DEFUSE_EINVAL;
    walk *w = calloc(1, sizeof *w);
    char *path = malloc(DEFUSE_INV_MAX_PATH);
    pthread_t *th = NULL;
    unsigned nth = opt && opt->threads ? opt->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    int rc = 0;
    if (nth < 1)
        nth = 1;
    if (nth > 256)
        nth = 256;
    if (!w || !path || !(th = calloc(nth, sizeof *th))) {
        free(w);
        free(path);
        return DEFUSE_ENOMEM;
    }
    w->db = db;
    defuse__inv_limits_resolve(&w->lim, opt ? opt->limits : NULL);
    w->flags = opt ? opt->flags : 0;
    w->exclude = opt && opt->exclude ? opt->exclude : NULL;
    w->nexclude = w->exclude ? opt->nexclude : 0;
    {
        struct stat xs;
        if (opt && opt->skip_dir && stat(opt->skip_dir, &xs) == 0 && S_ISDIR(xs.st_mode)) {
            w->has_skip = true;
            w->skip_dev = xs.st_dev;
            w->skip_ino = xs.st_ino;
        }
    }
    w->cb = cb;
    w->user = user;
    w->progress = opt ? opt->progress : NULL;
    w->progress_user = opt ? opt->progress_user : NULL;
    pthread_mutex_init(&w->qlock, NULL);
    pthread_mutex_init(&w->cblock, NULL);
    pthread_cond_init(&w->qnonempty, NULL);
    pthread_cond_init(&w->qnonfull, NULL);
    clock_gettime(CLOCK_MONOTONIC, &w->t0);
    w->last_progress = w->t0;
    if (defuse_inventory_new(&w->self, db, &w->lim))
        w->self = NULL;
    w->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    unsigned started = 0;
    for (; started < nth; started++)
        if (pthread_create(&th[started], NULL, worker, w) != 0)
            break;
    if (!started) {
        rc = DEFUSE_ENOMEM;
        goto join;
    }
    for (size_t i = 0; i < npaths && !stopped(w); i++) {
        struct stat st;
        size_t pl = strlen(paths[i]);
        while (pl > 1 && paths[i][pl - 1] == '/')
            pl--;
        if (pl + 1 > DEFUSE_INV_MAX_PATH) {
            walk_error(w, paths[i], DEFUSE_ELIMIT, "%s", "path too long");
            continue;
        }
        memcpy(path, paths[i], pl);
        path[pl] = 0;
        if (stat(path, &st) != 0) {
            walk_error(w, path, DEFUSE_EIO, "cannot stat: %s", strerror(errno));
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (S_ISREG(st.st_mode))
                enqueue(w, AT_FDCWD, "", 0, path, pl);
            else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
                scan_stream(w, path);
            else
                walk_error(w, path, DEFUSE_EINVAL,
                           "a %s is not examined (give its content as a file or a pipe)",
                           S_ISCHR(st.st_mode)   ? "character device"
                           : S_ISBLK(st.st_mode) ? "block device"
                                                 : "special file");
            continue;
        }
        flush_batch(w); /* top-level files are a batch of their own */
        root r;
        r.path = path;
        r.len = pl;
        r.dev = st.st_dev;
        defuse__facts_init(&r.facts, db, true);
        if (w->flags & DEFUSE_WALK_FOLLOW_SYMLINKS)
            seen_dir(w, st.st_dev, st.st_ino);
        char *rootcopy = strdup(path);
        int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (dfd < 0)
            walk_error(w, path, DEFUSE_EIO, "cannot open directory: %s", strerror(errno));
        else
            walk_dir(w, &r, dfd, st.st_dev, path, pl, 0);
        flush_batch(w);
        unsigned nv = 0;
        pthread_mutex_lock(&w->cblock);
        bool stop = w->stop;
        pthread_mutex_unlock(&w->cblock);
        if (!stop && rootcopy) {
            /* locked_cb serialises these records with the workers' */
            defuse__facts_emit(&r.facts, rootcopy, "/", locked_cb, w, &nv);
        }
        free(rootcopy);
        defuse__facts_free(&r.facts);
    }
join:
    flush_batch(w);
    pthread_mutex_lock(&w->qlock);
    w->done = true;
    pthread_cond_broadcast(&w->qnonempty);
    pthread_mutex_unlock(&w->qlock);
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    maybe_progress(w, true);
    if (!rc && w->stop)
        rc = DEFUSE_ESTOPPED;
    if (stats) {
        *stats = w->st;
        stats->seconds = since(&w->t0);
    }
    pthread_mutex_destroy(&w->qlock);
    pthread_mutex_destroy(&w->cblock);
    pthread_cond_destroy(&w->qnonempty);
    pthread_cond_destroy(&w->qnonfull);
    defuse_inventory_free(w->self);
    if (w->utf8)
        freelocale(w->utf8);
    free(w->visited);
    free(th);
    free(path);
    free(w);
    return rc;
}
