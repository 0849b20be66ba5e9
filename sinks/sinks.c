/*
 * sinks.c -- the sinks of sinks.h: the JSON Lines file, stdout, syslog
 * (RFC 5424) over UDP and over TCP with RFC 6587 octet counting, and a
 * webhook (HTTP POST of the JSON through libcurl) with retries.  Used by
 * the honeypot (honeypot/hp_sinks.c) and by `defuse logs` (cli/log_pipe.c).
 *
 * Every sink has its own bounded queue (a byte ring of whole messages) and
 * its own sender thread, so a full disk, a stalled stdout pipe or a slow
 * collector costs that sink's messages (dropped when its queue is full, and
 * counted), never the caller's latency nor another sink's delivery.  The
 * caller only copies a message into each queue.
 *
 * Files never keep a partial JSON line: a write that stops inside a line
 * (ENOSPC, EFBIG) is cut back to the last whole line with ftruncate(), and
 * the unwritten lines stay queued and are retried every second until space
 * returns.  Each failure is reported on stderr once when it starts and once
 * when it ends; the counters feed the caller's status reports.  Only the
 * configured collectors are ever contacted.
 *
 * libcurl is opened with dlopen() when a webhook is configured, not linked:
 * `defuse logs` starts without loading it and its dependencies (most of its
 * start-up time), as cli/log_input.c does for libarchive.
 */
#include "sinks.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- libcurl, opened on first use ----------------------------------------- */

#define CURL_SONAME "libcurl.so.4"

static struct cu_api {
    CURLcode (*global_init)(long);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    void (*easy_cleanup)(CURL *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} cu;

static const struct cu_sym {
    const char *name;
    size_t off;
} cu_syms[] = {
    {"curl_global_init", offsetof(struct cu_api, global_init)},
    {"curl_global_cleanup", offsetof(struct cu_api, global_cleanup)},
    {"curl_easy_init", offsetof(struct cu_api, easy_init)},
    {"curl_easy_setopt", offsetof(struct cu_api, easy_setopt)},
    {"curl_easy_perform", offsetof(struct cu_api, easy_perform)},
    {"curl_easy_getinfo", offsetof(struct cu_api, easy_getinfo)},
    {"curl_easy_strerror", offsetof(struct cu_api, easy_strerror)},
    {"curl_easy_cleanup", offsetof(struct cu_api, easy_cleanup)},
    {"curl_slist_append", offsetof(struct cu_api, slist_append)},
    {"curl_slist_free_all", offsetof(struct cu_api, slist_free_all)},
};

static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
static char cu_err[200]; /* empty: cu is usable */

static void cu_load(void) {
    void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(cu_err, sizeof cu_err, "%s", e ? e : "dlopen failed");
        return;
    }
    for (size_t i = 0; i < sizeof cu_syms / sizeof cu_syms[0]; i++) {
        void *f = dlsym(h, cu_syms[i].name);
        if (!f) {
            snprintf(cu_err, sizeof cu_err, "%s: no symbol %s", CURL_SONAME, cu_syms[i].name);
            return;
        }
        /* POSIX: a function's address round-trips through void *. */
        memcpy((char *)&cu + cu_syms[i].off, &f, sizeof f);
    }
}

static int set(const char *v) {
    return v && *v;
}

#define BATCH (1u << 20) /* bytes a local sink writes at once; the largest message */
#define RETRY_MS 1000u   /* a failing sink tries again after this */
#define KICK_EVENTS 256u /* queued events that wake a sender at once */

typedef enum sink_kind { SK_FILE, SK_STDOUT, SK_UDP, SK_TCP, SK_WEBHOOK, SK_COUNT } sink_kind;

static const char *const sink_names[SK_COUNT] = {"log_file", "stdout", "syslog_udp", "syslog_tcp",
                                                 "webhook"};

typedef struct sink {
    sink_kind kind;
    const sinks_config *cfg; /* the owning sinks' copy */
    pthread_t thread;
    int started, joined;
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* CLOCK_MONOTONIC: wakes the sender */
    pthread_cond_t idle; /* CLOCK_MONOTONIC: the sender went to sleep (sinks_flush) */
    /* the queue: records of [u32 length][bytes] in a ring */
    char *ring;
    size_t cap, head, used, count, max_count;
    int waiting, stopping;
    struct timespec deadline;
    /* counters (under mu) */
    unsigned long long accepted, delivered, dropped, failed, lost_at_exit;
    unsigned long long lost_flushed; /* dropped + failed at the last sinks_flush() */
    int failing, drop_reported;    /* drop_reported: said for this episode */
    unsigned long long drops_seen; /* dropped when it was last said */
    char error[160];
    /* file / stdout */
    int fd, regular, new_fd, new_regular;
    /* syslog */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int sock;
    struct timespec tcp_retry_at;
    /* webhook */
    CURL *curl;
    struct curl_slist *hdrs;
} sink;

struct sinks {
    sinks_config cfg; /* a copy; its strings BORROWED */
    sink *s[SK_COUNT];
};

/* ---- time ---------------------------------------------------------------- */

static void ts_add_ms(struct timespec *t, unsigned ms) {
    t->tv_sec += ms / 1000;
    t->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static int past(const struct timespec *d) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > d->tv_sec || (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

/* Shutting down and out of time.  Called with k->mu held or not (a racy
 * read of stopping only delays the stop by one wait). */
static int give_up(sink *k) {
    return k->stopping && past(&k->deadline);
}

/* Waits up to ms, or less when stopping and the deadline comes first.
 * Called with k->mu held. */
static void nap_locked(sink *k, unsigned ms) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    ts_add_ms(&t, ms);
    if (k->stopping && (k->deadline.tv_sec < t.tv_sec ||
                        (k->deadline.tv_sec == t.tv_sec && k->deadline.tv_nsec < t.tv_nsec)))
        t = k->deadline;
    pthread_cond_timedwait(&k->cv, &k->mu, &t);
}

static void nap(sink *k, unsigned ms) {
    pthread_mutex_lock(&k->mu);
    nap_locked(k, ms);
    pthread_mutex_unlock(&k->mu);
}

/* ---- reporting: once when a failure starts, once when it ends ------------ */

static void report(sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(sink *k, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s: %s\n", k->cfg->who ? k->cfg->who : "defuse", sink_names[k->kind], msg);
}

static void set_failing(sink *k, const char *what) {
    pthread_mutex_lock(&k->mu);
    int first = !k->failing;
    k->failing = 1;
    snprintf(k->error, sizeof k->error, "%s", what);
    size_t queued = k->count;
    pthread_mutex_unlock(&k->mu);
    if (first)
        report(k,
               "%s; %zu events queued, retried every %u ms, dropped and counted when the "
               "queue is full",
               what, queued, RETRY_MS);
}

static void set_ok(sink *k) {
    pthread_mutex_lock(&k->mu);
    int was = k->failing;
    k->failing = 0;
    k->error[0] = '\0';
    unsigned long long lost = k->dropped + k->failed;
    pthread_mutex_unlock(&k->mu);
    if (was)
        report(k, "delivering again (%llu events lost so far)", lost);
}

static void report_drops(sink *k) {
    pthread_mutex_lock(&k->mu);
    int now = k->dropped > k->drops_seen && !k->drop_reported;
    if (now) {
        k->drop_reported = 1;
        k->drops_seen = k->dropped;
    }
    unsigned long long d = k->dropped;
    pthread_mutex_unlock(&k->mu);
    if (now)
        report(k,
               "queue full: events are being dropped (%llu so far; counted in sink.status "
               "and the summary)",
               d);
}

/* ---- the queue -------------------------------------------------------------- */

static void ring_put(sink *k, const void *p, size_t n) {
    size_t at = (k->head + k->used) % k->cap, first = k->cap - at < n ? k->cap - at : n;
    memcpy(k->ring + at, p, first);
    memcpy(k->ring, (const char *)p + first, n - first);
    k->used += n;
}

static void ring_get(sink *k, void *p, size_t n) {
    size_t first = k->cap - k->head < n ? k->cap - k->head : n;
    memcpy(p, k->ring + k->head, first);
    memcpy((char *)p + first, k->ring, n - first);
    k->head = (k->head + n) % k->cap;
    k->used -= n;
}

/* Queues one message, or counts it dropped when the queue is full. */
static void sink_push(sink *k, const char *p, size_t n) {
    uint32_t len = (uint32_t)n;
    pthread_mutex_lock(&k->mu);
    k->accepted++;
    if (n > BATCH || k->cap - k->used < n + 4 || k->count >= k->max_count) {
        k->dropped++;
    } else {
        ring_put(k, &len, 4);
        ring_put(k, p, n);
        k->count++;
        if (k->used < k->cap / 2 && k->count < k->max_count / 2)
            k->drop_reported = 0; /* drained: a new episode is reported again */
        /* the sender is woken by sinks_kick() once per loop iteration:
         * one wake-up and one write for many events, not one per event */
    }
    pthread_mutex_unlock(&k->mu);
}

/* Takes the next message into out[0..outsz).  Called with k->mu held and
 * k->count > 0.  Returns its length, or 0 if it does not fit (left queued). */
static size_t sink_pop_locked(sink *k, char *out, size_t outsz) {
    uint32_t len;
    size_t h = k->head, u = k->used;
    ring_get(k, &len, 4);
    if (len > outsz) {
        k->head = h, k->used = u;
        return 0;
    }
    ring_get(k, out, len);
    k->count--;
    return len;
}

/* ---- local sinks: the log file and stdout ---------------------------------- */

static int open_log(const char *path) {
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/* Length of the whole lines at p[0..n) that fit in max bytes (at least the
 * first line, however long). */
static size_t whole_lines(const char *p, size_t n, size_t max) {
    size_t take = 0;
    while (take < n) {
        const char *nl = memchr(p + take, '\n', n - take);
        size_t end = nl ? (size_t)(nl - p) + 1 : n;
        if (take && end > max)
            break;
        take = end;
    }
    return take;
}

/* Writes out[0..*len) as far as it goes.  Whole lines written are removed
 * from out (and counted delivered); a line cut by an error is undone on a
 * regular file.  Returns 0 when all was written, else the errno (-1: gave
 * up at the shutdown deadline). */
static int write_lines(sink *k, char *out, size_t *len) {
    size_t done = 0;
    int err = 0;
    off_t start = k->regular ? lseek(k->fd, 0, SEEK_END) : 0;
    while (done < *len) {
        size_t n = *len - done;
        int midline = done && out[done - 1] != '\n';
        if (!k->regular && !midline)
            /* pipes and terminals (non-blocking): groups of whole lines of
             * at most PIPE_BUF, which a pipe takes whole or not at all */
            n = whole_lines(out + done, n, PIPE_BUF);
        ssize_t w = write(k->fd, out + done, n);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            /* a stalled reader: wait for room; give up at the shutdown
             * deadline between lines (a line already begun gets 1 s more) */
            struct pollfd pfd = {k->fd, POLLOUT, 0};
            poll(&pfd, 1, 200);
            report_drops(k);
            if (give_up(k)) {
                struct timespec late = k->deadline;
                ts_add_ms(&late, 1000);
                if (!midline || past(&late)) {
                    if (midline)
                        report(k, "a partial line was left at shutdown");
                    err = -1;
                    break;
                }
            }
            continue;
        }
        err = w < 0 ? errno : ENOSPC;
        break;
    }
    size_t whole = done;
    while (whole > 0 && out[whole - 1] != '\n')
        whole--;
    if (whole < done && k->regular && start >= 0) {
        /* a partial line: cut the file back to the last whole line */
        if (ftruncate(k->fd, start + (off_t)whole) != 0)
            report(k, "cannot remove a partial line: %s", strerror(errno));
    }
    unsigned long long lines = 0;
    for (size_t i = 0; i < whole; i++)
        lines += out[i] == '\n';
    memmove(out, out + whole, *len - whole);
    *len -= whole;
    pthread_mutex_lock(&k->mu);
    k->delivered += lines;
    pthread_mutex_unlock(&k->mu);
    return err;
}

static void *local_thread(void *arg) {
    sink *k = arg;
    char *batch = malloc(BATCH);
    size_t blen = 0;
    for (;;) {
        pthread_mutex_lock(&k->mu);
        while (!blen && !k->count && !k->stopping) {
            k->waiting = 1;
            pthread_cond_broadcast(&k->idle);
            pthread_cond_wait(&k->cv, &k->mu);
            k->waiting = 0;
        }
        if (k->new_fd >= 0) { /* SIGHUP: the reopened file, from the next write */
            if (k->fd >= 0)
                close(k->fd);
            k->fd = k->new_fd;
            k->regular = k->new_regular;
            k->new_fd = -1;
        }
        if ((!blen && !k->count) || give_up(k) || !batch) {
            pthread_mutex_unlock(&k->mu);
            break;
        }
        while (k->count && batch) {
            size_t n = sink_pop_locked(k, batch + blen, BATCH - blen);
            if (!n)
                break;
            blen += n;
        }
        pthread_mutex_unlock(&k->mu);
        report_drops(k);
        int err = write_lines(k, batch, &blen);
        if (err == 0) {
            set_ok(k);
        } else if (err > 0) {
            char what[160];
            snprintf(what, sizeof what, "cannot write: %s", strerror(err));
            set_failing(k, what);
            nap(k, RETRY_MS);
        }
    }
    pthread_mutex_lock(&k->mu);
    for (size_t i = 0; i < blen; i++)
        k->lost_at_exit += batch[i] == '\n';
    k->lost_at_exit += k->count;
    pthread_mutex_unlock(&k->mu);
    free(batch);
    return NULL;
}

/* ---- remote sinks ------------------------------------------------------------ */

static int resolve(const char *hostport, int socktype, struct sockaddr_storage *ss, socklen_t *len,
                   char *err, size_t errsz) {
    char host[128];
    const char *colon = strrchr(hostport, ':');
    size_t hl = (size_t)(colon - hostport);
    if (hl >= sizeof host) {
        snprintf(err, errsz, "%s: host too long", hostport);
        return -1;
    }
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = socktype;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errsz, "%s: cannot resolve: %s", hostport, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int tcp_connect(sink *k) {
    int fd = socket(k->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&k->addr, k->addrlen) != 0 && errno != EINPROGRESS)
        goto bad;
    struct pollfd pfd = {fd, POLLOUT, 0};
    if (poll(&pfd, 1, 3000) != 1)
        goto bad;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr) {
        errno = soerr ? soerr : errno;
        goto bad;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
bad:;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Each send_* returns 0 or -1 with what[] saying why. */

static int send_udp(sink *k, const char *msg, size_t ml, char *what, size_t wsz) {
    if (sendto(k->sock, msg, ml, 0, (struct sockaddr *)&k->addr, k->addrlen) >= 0)
        return 0;
    snprintf(what, wsz, "send failed: %s", strerror(errno));
    return -1;
}

static int send_tcp(sink *k, const char *msg, size_t ml, char *what, size_t wsz) {
    char hdr[32];
    int hl = snprintf(hdr, sizeof hdr, "%zu ", ml); /* RFC 6587 octet counting */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (k->sock < 0) {
            if (!past(&k->tcp_retry_at)) {
                snprintf(what, wsz, "collector down (reconnecting every 5 s)");
                return -1; /* fail fast instead of stalling the queue */
            }
            k->sock = tcp_connect(k);
            if (k->sock < 0) {
                snprintf(what, wsz, "cannot connect: %s", strerror(errno));
                clock_gettime(CLOCK_MONOTONIC, &k->tcp_retry_at);
                k->tcp_retry_at.tv_sec += 5;
                return -1;
            }
        }
        if (send_all(k->sock, hdr, (size_t)hl) == 0 && send_all(k->sock, msg, ml) == 0)
            return 0;
        snprintf(what, wsz, "send failed: %s", strerror(errno));
        close(k->sock);
        k->sock = -1;
    }
    return -1;
}

static size_t discard(char *p, size_t sz, size_t n, void *u) {
    (void)p;
    (void)u;
    return sz * n;
}

/* During a transfer (about once a second): says when the queue overflows
 * behind a slow collector, and aborts a transfer that would outlast the
 * shutdown deadline. */
static int xfer_progress(void *u, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    (void)a, (void)b, (void)c, (void)d;
    report_drops(u);
    return give_up(u);
}

static int send_webhook(sink *k, const char *json, size_t jl, char *what, size_t wsz) {
    unsigned backoff = 250;
    for (unsigned attempt = 0; attempt <= k->cfg->webhook_retries; attempt++) {
        if (attempt) {
            nap(k, backoff);
            backoff = backoff < 8000 ? backoff * 2 : backoff;
        }
        if (give_up(k))
            break;
        cu.easy_setopt(k->curl, CURLOPT_POSTFIELDS, json);
        cu.easy_setopt(k->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)jl);
        long code = 0;
        CURLcode rc = cu.easy_perform(k->curl);
        if (rc == CURLE_OK &&
            cu.easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code >= 200 &&
            code < 300)
            return 0;
        if (rc == CURLE_OK)
            snprintf(what, wsz, "HTTP status %ld", code);
        else
            snprintf(what, wsz, "%s", cu.easy_strerror(rc));
        pthread_mutex_lock(&k->mu);
        int hurry = k->stopping && k->count > 0;
        pthread_mutex_unlock(&k->mu);
        if (hurry)
            break; /* shutting down with more queued: do not retry one event */
    }
    return -1;
}

static void *remote_thread(void *arg) {
    sink *k = arg;
    size_t bufsz = BATCH + 1;
    char *buf = malloc(bufsz);
    for (;;) {
        pthread_mutex_lock(&k->mu);
        while (!k->count && !k->stopping) {
            k->waiting = 1;
            pthread_cond_broadcast(&k->idle);
            pthread_cond_wait(&k->cv, &k->mu);
            k->waiting = 0;
        }
        if (!k->count || give_up(k) || !buf) {
            pthread_mutex_unlock(&k->mu);
            break;
        }
        size_t n = sink_pop_locked(k, buf, bufsz - 1);
        pthread_mutex_unlock(&k->mu);
        buf[n] = '\0';
        report_drops(k);
        char what[160] = "failed";
        int rc = k->kind == SK_UDP   ? send_udp(k, buf, n, what, sizeof what)
                 : k->kind == SK_TCP ? send_tcp(k, buf, n, what, sizeof what)
                                     : send_webhook(k, buf, n, what, sizeof what);
        if (rc == 0) {
            pthread_mutex_lock(&k->mu);
            k->delivered++;
            pthread_mutex_unlock(&k->mu);
            set_ok(k);
        } else {
            pthread_mutex_lock(&k->mu);
            k->failed++;
            pthread_mutex_unlock(&k->mu);
            set_failing(k, what);
        }
    }
    pthread_mutex_lock(&k->mu);
    k->lost_at_exit += k->count;
    pthread_mutex_unlock(&k->mu);
    free(buf);
    return NULL;
}

/* ---- the set of sinks ------------------------------------------------------- */

static void sink_free(sink *k) {
    if (!k)
        return;
    free(k->ring);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cv);
    pthread_cond_destroy(&k->idle);
    if (k->fd >= 0)
        close(k->fd);
    if (k->new_fd >= 0)
        close(k->new_fd);
    if (k->sock >= 0)
        close(k->sock);
    if (k->curl) {
        cu.easy_cleanup(k->curl);
        cu.slist_free_all(k->hdrs);
        cu.global_cleanup();
    }
    free(k);
}

static sink *sink_new(sink_kind kind, const sinks_config *cfg) {
    sink *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->kind = kind;
    k->cfg = cfg;
    k->fd = k->new_fd = k->sock = -1;
    k->cap = cfg->log_buffer;
    k->max_count = kind == SK_FILE || kind == SK_STDOUT ? (size_t)-1 : cfg->queue_size;
    k->ring = malloc(k->cap);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&k->cv, &ca);
    pthread_cond_init(&k->idle, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&k->mu, NULL);
    if (!k->ring) {
        sink_free(k);
        return NULL;
    }
    return k;
}

int sinks_new(sinks **out, const sinks_config *cfg, char *err, size_t errsz) {
    *out = NULL;
    sinks *s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->cfg = *cfg;
    cfg = &s->cfg;
    if (s->cfg.log_buffer < 65536)
        s->cfg.log_buffer = 65536;
    if (!s->cfg.queue_size)
        s->cfg.queue_size = 1;
    int want[SK_COUNT] = {set(cfg->log_file), cfg->log_stdout > 0, set(cfg->syslog_udp),
                          set(cfg->syslog_tcp), set(cfg->webhook)};
    for (int i = 0; i < SK_COUNT; i++)
        if (want[i] && !(s->s[i] = sink_new((sink_kind)i, cfg)))
            goto oom;
    struct stat st;
    if (s->s[SK_FILE]) {
        sink *k = s->s[SK_FILE];
        k->fd = open_log(cfg->log_file);
        if (k->fd < 0) {
            snprintf(err, errsz, "log_file %s: %s", cfg->log_file, strerror(errno));
            goto fail;
        }
        k->regular = fstat(k->fd, &st) == 0 && S_ISREG(st.st_mode);
    }
    if (s->s[SK_STDOUT]) {
        sink *k = s->s[SK_STDOUT];
        k->regular = fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode);
        /* a pipe or terminal gets a file description of its own, so it can
         * be non-blocking without touching the one the parent shares */
        k->fd = k->regular ? -1 : open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (k->fd < 0)
            k->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (k->fd < 0) {
            snprintf(err, errsz, "stdout: %s", strerror(errno));
            goto fail;
        }
    }
    if (s->s[SK_UDP]) {
        sink *k = s->s[SK_UDP];
        if (resolve(cfg->syslog_udp, SOCK_DGRAM, &k->addr, &k->addrlen, err, errsz) != 0)
            goto fail;
        k->sock = socket(k->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (k->sock < 0) {
            snprintf(err, errsz, "syslog_udp: socket: %s", strerror(errno));
            goto fail;
        }
    }
    if (s->s[SK_TCP] && resolve(cfg->syslog_tcp, SOCK_STREAM, &s->s[SK_TCP]->addr,
                                &s->s[SK_TCP]->addrlen, err, errsz) != 0)
        goto fail;
    if (s->s[SK_WEBHOOK]) {
        sink *k = s->s[SK_WEBHOOK];
        pthread_once(&cu_once, cu_load);
        if (cu_err[0]) {
            snprintf(err, errsz, "webhook: cannot load libcurl: %s", cu_err);
            goto fail;
        }
        cu.global_init(CURL_GLOBAL_DEFAULT);
        k->curl = cu.easy_init();
        if (!k->curl)
            goto oom;
        k->hdrs = cu.slist_append(NULL, "Content-Type: application/json");
        cu.easy_setopt(k->curl, CURLOPT_URL, cfg->webhook);
        cu.easy_setopt(k->curl, CURLOPT_HTTPHEADER, k->hdrs);
        cu.easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, (long)cfg->webhook_timeout_ms);
        cu.easy_setopt(k->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->webhook_timeout_ms);
        cu.easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
        cu.easy_setopt(k->curl, CURLOPT_FOLLOWLOCATION, 0L); /* only the configured URL */
        cu.easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        cu.easy_setopt(k->curl, CURLOPT_USERAGENT, set(cfg->user_agent) ? cfg->user_agent : "defuse");
        cu.easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, discard);
        cu.easy_setopt(k->curl, CURLOPT_XFERINFOFUNCTION, xfer_progress);
        cu.easy_setopt(k->curl, CURLOPT_XFERINFODATA, k);
        cu.easy_setopt(k->curl, CURLOPT_NOPROGRESS, 0L);
    }
    *out = s;
    return 0;
oom:
    snprintf(err, errsz, "out of memory");
fail:
    sinks_free(s);
    return -1;
}

int sinks_start(sinks *s) {
    for (int i = 0; i < SK_COUNT; i++) {
        sink *k = s->s[i];
        if (!k || k->started)
            continue;
        void *(*fn)(void *) = i == SK_FILE || i == SK_STDOUT ? local_thread : remote_thread;
        if (pthread_create(&k->thread, NULL, fn, k) != 0)
            return -1;
        k->started = 1;
    }
    return 0;
}

void sinks_push(sinks *s, const char *line, size_t ll, const char *msg, size_t ml) {
    if (s->s[SK_FILE])
        sink_push(s->s[SK_FILE], line, ll);
    if (s->s[SK_STDOUT])
        sink_push(s->s[SK_STDOUT], line, ll);
    if (s->s[SK_UDP])
        sink_push(s->s[SK_UDP], msg, ml);
    if (s->s[SK_TCP])
        sink_push(s->s[SK_TCP], msg, ml);
    if (s->s[SK_WEBHOOK] && ll) /* the JSON without its newline */
        sink_push(s->s[SK_WEBHOOK], line, line[ll - 1] == '\n' ? ll - 1 : ll);
}

int sinks_reopen(sinks *s) {
    sink *k = s->s[SK_FILE];
    if (!k)
        return 0;
    int fd = open_log(s->cfg.log_file);
    if (fd < 0)
        return -1;
    struct stat st;
    pthread_mutex_lock(&k->mu);
    if (k->new_fd >= 0)
        close(k->new_fd);
    k->new_fd = fd;
    k->new_regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (k->waiting)
        pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    return 0;
}

size_t sinks_stats(sinks *s, sinks_stat *out, size_t max) {
    size_t n = 0;
    for (int i = 0; i < SK_COUNT && n < max; i++) {
        sink *k = s ? s->s[i] : NULL;
        if (!k)
            continue;
        sinks_stat *o = &out[n++];
        memset(o, 0, sizeof *o);
        o->name = sink_names[i];
        pthread_mutex_lock(&k->mu);
        o->failing = k->failing;
        snprintf(o->error, sizeof o->error, "%s", k->error);
        o->accepted = k->accepted;
        o->delivered = k->delivered;
        o->dropped = k->dropped;
        o->failed = k->failed;
        o->queued = k->count;
        o->lost_at_exit = k->lost_at_exit;
        pthread_mutex_unlock(&k->mu);
    }
    return n;
}

void sinks_stop(sinks *s, unsigned drain_ms) {
    if (!s)
        return;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    ts_add_ms(&dl, drain_ms);
    for (int i = 0; i < SK_COUNT; i++) {
        sink *k = s->s[i];
        if (!k || !k->started)
            continue;
        pthread_mutex_lock(&k->mu);
        k->stopping = 1;
        k->deadline = dl;
        pthread_cond_signal(&k->cv);
        pthread_mutex_unlock(&k->mu);
    }
    /* every sender notices the deadline within a second or two (poll and
     * condition waits time out, curl aborts, TCP sends time out after 2 s);
     * one that does not is left behind rather than holding the exit */
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    ts_add_ms(&rt, drain_ms + 3000);
    for (int i = 0; i < SK_COUNT; i++) {
        sink *k = s->s[i];
        if (!k || !k->started || k->joined)
            continue;
        if (pthread_timedjoin_np(k->thread, NULL, &rt) == 0) {
            k->joined = 1;
        } else {
            pthread_mutex_lock(&k->mu);
            k->lost_at_exit = k->count;
            pthread_mutex_unlock(&k->mu);
            report(k, "sender did not stop in time; %llu queued events lost",
                   (unsigned long long)k->count);
        }
    }
}

void sinks_free(sinks *s) {
    if (!s)
        return;
    for (int i = 0; i < SK_COUNT; i++) {
        sink *k = s->s[i];
        if (k && k->started && !k->joined)
            continue; /* still running: leave it to the process exit */
        sink_free(k);
    }
    free(s);
}

int sinks_want_syslog(const sinks *s) {
    return s->s[SK_UDP] || s->s[SK_TCP];
}

int sinks_kick(sinks *s, int force) {
    int pending = 0;
    for (int i = 0; i < SK_COUNT; i++) {
        sink *k = s->s[i];
        if (!k)
            continue;
        pthread_mutex_lock(&k->mu);
        if (k->waiting && k->count) {
            /* a few events wait for the next forced kick (the server's
             * KICK_MS timer), so a busy loop wakes a sender per batch of
             * events, not per iteration */
            if (force || k->count >= KICK_EVENTS || k->used >= k->cap / 8)
                pthread_cond_signal(&k->cv);
            else
                pending = 1;
        }
        pthread_mutex_unlock(&k->mu);
    }
    return pending;
}

int sinks_flush(sinks *s, unsigned timeout_ms) {
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    ts_add_ms(&dl, timeout_ms);
    int rc = 0;
    for (int i = 0; i < SK_COUNT; i++) {
        sink *k = s->s[i];
        if (!k)
            continue;
        pthread_mutex_lock(&k->mu);
        while (k->started && !k->stopping && !(k->waiting && !k->count)) {
            if (k->waiting)
                pthread_cond_signal(&k->cv);
            if (pthread_cond_timedwait(&k->idle, &k->mu, &dl) != 0 && past(&dl)) {
                rc = -1;
                break;
            }
        }
        unsigned long long lost = k->dropped + k->failed;
        if (lost != k->lost_flushed)
            rc = -1;
        k->lost_flushed = lost;
        pthread_mutex_unlock(&k->mu);
    }
    return rc;
}

size_t sinks_syslog_format(char *out, size_t outsz, int pri, const char *app, const char *msgid,
                           const char *msg, size_t ml) {
    if (!outsz)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char host[256] = "-";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "-");
    host[sizeof host - 1] = '\0';
    for (char *h = host; *h; h++) /* HOSTNAME is PRINTUSASCII (RFC 5424 6.2.4) */
        if (*h <= ' ' || *h > '~')
            *h = '-';
    int n = snprintf(out, outsz, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %.255s %.48s %ld %.32s - ",
                     pri, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, now.tv_nsec / 1000, host, app, (long)getpid(), msgid);
    if (n < 0)
        return 0;
    size_t len = (size_t)n < outsz ? (size_t)n : outsz - 1;
    size_t take = ml < outsz - 1 - len ? ml : outsz - 1 - len;
    memcpy(out + len, msg, take);
    len += take;
    out[len] = '\0';
    return len;
}

int sinks_parse_dest(const char *spec, char *kind, char *hostport, size_t hpsz, char *err,
                     size_t errsz) {
    static const struct {
        const char *prefix;
        char kind;
    } schemes[] = {{"udp://", 'u'}, {"tcp://", 't'}, {"http://", 'w'}, {"https://", 'w'}};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t pl = strlen(schemes[i].prefix);
        if (strncmp(spec, schemes[i].prefix, pl) != 0)
            continue;
        *kind = schemes[i].kind;
        const char *hp = spec + pl;
        if (*kind == 'w') {
            if (!*hp || *hp == '/' || strlen(spec) >= 512) {
                snprintf(err, errsz, "'%s': not an http(s) URL with a host (at most 511 bytes)",
                         spec);
                return -1;
            }
            snprintf(hostport, hpsz, "%s", spec);
            return 0;
        }
        const char *colon = strrchr(hp, ':');
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        if (!colon || colon == hp || !colon[1] || *end || port < 1 || port > 65535 ||
            strlen(hp) >= hpsz || strlen(hp) >= 128 || strchr(hp, '/')) {
            snprintf(err, errsz, "'%s': wants %sHOST:PORT (port 1-65535)", spec,
                     schemes[i].prefix);
            return -1;
        }
        snprintf(hostport, hpsz, "%s", hp);
        return 0;
    }
    snprintf(err, errsz, "'%s': wants udp://HOST:PORT, tcp://HOST:PORT or an http(s):// URL",
             spec);
    return -1;
}
