/*
 * log_follow.c -- `defuse logs --follow`: keep reading growing logs like
 * `tail -F` until SIGINT/SIGTERM.
 *
 * Polling (every POLL_MS) rather than inotify: it works the same on every
 * file system (NFS, overlay, bind mounts) and costs one stat() per file per
 * poll.  Each poll drains what was appended, then compares the path's
 * inode with the open one (rotation: the rest of the old file was already
 * read, the new file is read from its start) and the size with the read
 * offset (truncation: read again from the start).  A file that does not
 * exist yet is retried.  Compressed and UTF-16 files are scanned once (they
 * are not appended to in place) and a note says so.  Standard input is read
 * until its end.  Line numbers count from the start of each file (existing
 * lines are counted when starting at the end).
 *
 * A directory is followed as the files in it and its subdirectories
 * (symbolic links not followed, FOLLOW_MAX_DEPTH levels, FOLLOW_MAX_FILES
 * files in all), listed again every RESCAN_POLLS polls: a file that
 * appears later is read from its start.  Rotated and compressed copies
 * (name.1, name.gz, name-20211210) are skipped: their content was read
 * under the file's live name, and reading them again would report it twice.
 * A file whose inode is already followed (a rename) is skipped too.
 */
#include "logs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 100
#define RESCAN_POLLS 10        /* directories listed again once a second */
#define FOLLOW_MAX_FILES 4096u /* files followed in all */
#define FOLLOW_MAX_DEPTH 16    /* subdirectory levels below a followed one */

typedef void (*follow_sink_fn)(void *user, const char *file, lrec *r);

typedef struct watch {
    const char *path;
    char *owned; /* path, when found in a directory (freed at the end) */
    int fd;
    dev_t dev;
    ino_t ino;
    off_t off;
    uint64_t base;  /* lines before the point where this lscan started */
    lscan *ls;
    int reported;   /* "cannot open" already said */
    int once_done;  /* compressed/UTF-16: scanned once */
    follow_sink_fn sink;
    void *user;
    uint64_t lines, bytes; /* scanned, for --summary */
    struct timespec last_data; /* when data last arrived (join windows wait) */
} watch;

/* Feeds n bytes to w's line scanner and counts them. */
static void feed(watch *w, const char *buf, size_t n) {
    w->bytes += n;
    clock_gettime(CLOCK_MONOTONIC, &w->last_data);
    lscan_feed(w->ls, buf, n);
}

/* A "${" left open at the end of the data waits LOGS_JOIN_WAIT_MS for the
 * line that may close it (one event's lines are written together), then
 * its lines are scanned as they are. */
static void join_wait(watch *w) {
    if (!w->ls || !lscan_joining(w->ls))
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ms = (long long)(now.tv_sec - w->last_data.tv_sec) * 1000 +
                   (now.tv_nsec - w->last_data.tv_nsec) / 1000000;
    if (ms >= LOGS_JOIN_WAIT_MS)
        lscan_join_flush(w->ls);
}

/* Finishes and frees w's line scanner, counting its lines. */
static void end_scan(watch *w) {
    if (!w->ls)
        return;
    lscan_finish(w->ls);
    w->lines += lscan_lines(w->ls);
    lscan_free(w->ls);
    w->ls = NULL;
}

static void watch_sink(void *user, lrec *r) {
    watch *w = user;
    if (r->line)
        r->line += w->base;
    if (r->end_line)
        r->end_line += w->base;
    w->sink(w->user, w->path, r);
}

static void note(watch *w, int type, const char *text) {
    lrec *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->type = type;
    r->hour = LF_NO_HOUR;
    r->text = strdup(text);
    w->sink(w->user, w->path, r);
}

static int year_now(void) {
    time_t t = time(NULL);
    struct tm tm;
    return gmtime_r(&t, &tm) ? tm.tm_year + 1900 : 1970;
}

/* Scans a whole non-followable source once (compressed, UTF-16, stdin). */
static int scan_once(watch *w, const lscan_opts *o, char *buf) {
    char err[256];
    lin_info info;
    lin_source *src;
    if (lin_open(&src, w->path, 0, -1, &info, err, sizeof err) < 0) {
        note(w, LREC_ERROR, err);
        return -1;
    }
    int rc = 0;
    if (lscan_new(&w->ls, o, NULL, year_now(), watch_sink, w) < 0 ||
        (info.u16view && lscan_enable_u16(w->ls, info.u16bom) < 0)) {
        lin_close(src);
        return -1;
    }
    for (;;) {
        ssize_t n = lin_read(src, buf, LOGS_BLOCK, err, sizeof err);
        if (n < 0) {
            note(w, LREC_ERROR, err);
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        feed(w, buf, (size_t)n);
    }
    end_scan(w);
    lin_close(src);
    return rc;
}

/* Opens w->path; at_end: position at the end and count existing lines.
 * Returns 0, 1 if the file was scanned once (not followable), -1 on error. */
static int watch_open(watch *w, const lscan_opts *o, int at_end, char *buf) {
    int fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (!w->reported) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s (will keep trying)", strerror(errno));
            note(w, LREC_WARNING, msg);
            w->reported = 1;
        }
        return -1;
    }
    w->reported = 0;
    unsigned char probe[64];
    ssize_t n = pread(fd, probe, sizeof probe, 0);
    lin_info info;
    if (n > 0 && !lin_probe(probe, (size_t)n, &info)) {
        close(fd);
        if (!w->once_done) {
            note(w, LREC_WARNING, "compressed or UTF-16: scanned once, not followed");
            scan_once(w, o, buf);
            w->once_done = 1;
        }
        return 1;
    }
    struct stat st;
    fstat(fd, &st);
    w->fd = fd;
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    w->off = 0;
    w->base = 0;
    if (at_end) {
        /* count the lines already there so that numbers stay true */
        for (;;) {
            ssize_t r = read(fd, buf, LOGS_BLOCK);
            if (r <= 0)
                break;
            w->base += lscan_count_newlines(buf, (size_t)r);
            w->off += r;
        }
    }
    if (lscan_new(&w->ls, o, NULL, year_now(), watch_sink, w) < 0) {
        close(fd);
        w->fd = -1;
        return -1;
    }
    return 0;
}

static void watch_close(watch *w) {
    end_scan(w);
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

/* Reads everything appended since the last poll. */
static void drain(watch *w, char *buf) {
    for (;;) {
        ssize_t r = read(w->fd, buf, LOGS_BLOCK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        w->off += r;
        feed(w, buf, (size_t)r);
    }
}

static void poll_watch(watch *w, const lscan_opts *o, char *buf) {
    if (w->once_done && w->fd < 0)
        return;
    if (w->fd < 0) {
        if (watch_open(w, o, 0, buf) != 0)
            return;
    }
    drain(w, buf);
    struct stat now, cur;
    if (stat(w->path, &now) < 0 || now.st_ino != w->ino || now.st_dev != w->dev) {
        /* rotated (or removed): the old file was drained; take the new one */
        if (stat(w->path, &now) == 0) {
            note(w, LREC_WARNING, "file was replaced (rotated): following the new file");
            watch_close(w);
            if (watch_open(w, o, 0, buf) == 0)
                drain(w, buf);
        }
        return;
    }
    join_wait(w);
    if (fstat(w->fd, &cur) == 0 && cur.st_size < w->off) {
        note(w, LREC_WARNING, "file truncated: reading from its start");
        end_scan(w);
        w->off = 0;
        w->base = 0;
        lseek(w->fd, 0, SEEK_SET);
        if (lscan_new(&w->ls, o, NULL, year_now(), watch_sink, w) < 0) {
            close(w->fd);
            w->fd = -1;
            return;
        }
        drain(w, buf);
    }
}

/* The watched files: pointers, so that a watch (the user pointer of its
 * line scanner) never moves when the list grows. */
typedef struct watchlist {
    watch **w;
    size_t n, cap;
    int full_said;
} watchlist;

static watch *wl_add(watchlist *wl, const char *path, char *owned, follow_sink_fn sink,
                     void *user) {
    if (wl->n == wl->cap) {
        size_t cap = wl->cap ? wl->cap * 2 : 16;
        watch **p = realloc(wl->w, cap * sizeof *p);
        if (!p)
            return NULL;
        wl->w = p;
        wl->cap = cap;
    }
    watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->path = path;
    w->owned = owned;
    w->fd = -1;
    w->sink = sink;
    w->user = user;
    wl->w[wl->n++] = w;
    return w;
}

/* A rotated or compressed copy of a log, by its name: a suffix ".N",
 * "-YYYYMMDD[...]" or a compression suffix. */
static int rotated_name(const char *name) {
    static const char *const comp[] = {".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".lz", ".zip"};
    size_t n = strlen(name);
    for (size_t k = 0; k < sizeof comp / sizeof *comp; k++) {
        size_t c = strlen(comp[k]);
        if (n > c && strcmp(name + n - c, comp[k]) == 0)
            return 1;
    }
    size_t d = n;
    while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
        d--;
    if (d < n && d > 0 && name[d - 1] == '.')
        return 1; /* access.log.1 */
    if (n - d >= 8 && d > 0 && name[d - 1] == '-')
        return 1; /* access.log-20211210 */
    return 0;
}

/* True if path, or the file (dev, ino), is followed already. */
static int wl_has(const watchlist *wl, const char *path, dev_t dev, ino_t ino) {
    for (size_t i = 0; i < wl->n; i++) {
        const watch *w = wl->w[i];
        if (strcmp(w->path, path) == 0 || (w->fd >= 0 && w->dev == dev && w->ino == ino))
            return 1;
    }
    return 0;
}

/* Lists dir (depth levels below a followed directory) and follows every
 * file not followed yet; at_end: start at their end (the first listing). */
static void list_dir(watchlist *wl, const char *dir, int depth, const lscan_opts *o, int at_end,
                     char *buf, follow_sink_fn sink, void *user) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(len);
        if (!p)
            break;
        snprintf(p, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0 || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
            free(p);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (depth < FOLLOW_MAX_DEPTH)
                list_dir(wl, p, depth + 1, o, at_end, buf, sink, user);
            free(p);
            continue;
        }
        if (rotated_name(e->d_name) || wl_has(wl, p, st.st_dev, st.st_ino)) {
            free(p);
            continue;
        }
        if (wl->n >= FOLLOW_MAX_FILES) {
            if (!wl->full_said) {
                fprintf(stderr, "defuse logs: --follow: more than %u files: the rest of %s is "
                                "not followed\n", FOLLOW_MAX_FILES, dir);
                wl->full_said = 1;
            }
            free(p);
            break;
        }
        watch *w = wl_add(wl, p, p, sink, user);
        if (!w) {
            free(p);
            break;
        }
        if (watch_open(w, o, at_end, buf) == 0 && !at_end)
            drain(w, buf);
    }
    closedir(d);
}

int lfollow_run(char **paths, size_t npaths, const lscan_opts *o, int from_start,
                void (*sink)(void *user, const char *file, lrec *r), void *user,
                uint64_t *lines, uint64_t *bytes, size_t *files) {
    int rc = 0;
    char *buf = malloc(LOGS_BLOCK);
    watchlist wl = {0};
    char **dirs = calloc(npaths ? npaths : 1, sizeof *dirs);
    size_t ndirs = 0;
    if (!buf || !dirs) {
        free(buf);
        free(dirs);
        return 2;
    }
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            dirs[ndirs++] = paths[i];
            list_dir(&wl, paths[i], 0, o, !from_start, buf, sink, user);
            continue;
        }
        watch *w = wl_add(&wl, paths[i], NULL, sink, user);
        if (!w) {
            rc = 2;
            break;
        }
        if (strcmp(paths[i], "-") == 0) {
            w->path = "(standard input)";
            /* a pipe: read it to its end (or until interrupted) */
            lin_info info;
            lin_source *src;
            char err[256];
            if (lin_open(&src, "-", 0, -1, &info, err, sizeof err) == 0) {
                if (lscan_new(&w->ls, o, NULL, year_now(), watch_sink, w) == 0 &&
                    (!info.u16view || lscan_enable_u16(w->ls, info.u16bom) == 0)) {
                    ssize_t n;
                    while (!logs_stop && (n = lin_read(src, buf, LOGS_BLOCK, err, sizeof err)) > 0)
                        feed(w, buf, (size_t)n);
                    end_scan(w);
                }
                lin_close(src);
            } else {
                note(w, LREC_ERROR, err);
                rc = 2;
            }
            w->once_done = 1;
            continue;
        }
        if (watch_open(w, o, !from_start, buf) == 0 && from_start)
            drain(w, buf);
    }
    for (unsigned poll = 1; !logs_stop; poll++) {
        int live = ndirs > 0;
        for (size_t i = 0; i < wl.n && !logs_stop; i++) {
            poll_watch(wl.w[i], o, buf);
            live += !wl.w[i]->once_done || wl.w[i]->fd >= 0;
        }
        if (!live)
            break; /* only stdin / compressed inputs: nothing to follow */
        if (poll % RESCAN_POLLS == 0)
            for (size_t k = 0; k < ndirs && !logs_stop; k++)
                list_dir(&wl, dirs[k], 0, o, 0, buf, sink, user);
        struct timespec ts = {0, POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < wl.n; i++) {
        watch *w = wl.w[i];
        if (w->fd >= 0)
            drain(w, buf);
        watch_close(w);
        *lines += w->lines;
        *bytes += w->bytes;
        free(w->owned);
        free(w);
    }
    *files = wl.n;
    free(wl.w);
    free(dirs);
    free(buf);
    return rc;
}
