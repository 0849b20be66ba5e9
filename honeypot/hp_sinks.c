/*
 * hp_sinks.c -- the honeypot's remote sinks: syslog (RFC 5424) over UDP and
 * over TCP with RFC 6587 octet counting, and a webhook (HTTP POST of the JSON
 * event through libcurl) with retries and exponential backoff.  One sender
 * thread drains a bounded queue filled by the event loop, so a slow or dead
 * collector costs queued events (counted), never the loop's latency.
 * Only the configured collectors are ever contacted.
 */
#include "honeypot.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct item {
    char *json, *msg;
    size_t jl, ml;
} item;

struct hp_sinks {
    const hp_config *cfg;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    item *q;
    size_t cap, head, count;
    int stopping;
    struct timespec drain_deadline;
    /* syslog */
    int udp_fd;
    struct sockaddr_storage udp_addr;
    socklen_t udp_len;
    int tcp_fd;
    struct sockaddr_storage tcp_addr;
    socklen_t tcp_len;
    int have_tcp;
    struct timespec tcp_retry_at; /* after a failed connect: wait before the next */
    /* webhook */
    CURL *curl;
    struct curl_slist *hdrs;
    unsigned long long failed;
};

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

int hp_sinks_new(hp_sinks **out, const hp_config *cfg, char *err, size_t errsz) {
    *out = NULL;
    if (!cfg->syslog_udp[0] && !cfg->syslog_tcp[0] && !cfg->webhook[0])
        return 0;
    hp_sinks *s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->cfg = cfg;
    s->udp_fd = s->tcp_fd = -1;
    s->cap = cfg->queue_size ? cfg->queue_size : 1024;
    s->q = calloc(s->cap, sizeof *s->q);
    if (!s->q)
        goto oom;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (cfg->syslog_udp[0]) {
        if (resolve(cfg->syslog_udp, SOCK_DGRAM, &s->udp_addr, &s->udp_len, err, errsz) != 0)
            goto fail;
        s->udp_fd = socket(s->udp_addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s->udp_fd < 0) {
            snprintf(err, errsz, "syslog_udp: socket: %s", strerror(errno));
            goto fail;
        }
    }
    if (cfg->syslog_tcp[0]) {
        if (resolve(cfg->syslog_tcp, SOCK_STREAM, &s->tcp_addr, &s->tcp_len, err, errsz) != 0)
            goto fail;
        s->have_tcp = 1;
    }
    if (cfg->webhook[0]) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        s->curl = curl_easy_init();
        if (!s->curl)
            goto oom;
        s->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(s->curl, CURLOPT_URL, cfg->webhook);
        curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->hdrs);
        curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, (long)cfg->webhook_timeout_ms);
        curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->webhook_timeout_ms);
        curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 0L); /* only the configured URL */
        curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "defuse-honeypot/" DEFUSE_VERSION);
    }
    *out = s;
    return 0;
oom:
    snprintf(err, errsz, "out of memory");
fail:
    hp_sinks_free(s, 0, NULL);
    return -1;
}

static void sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int past(const struct timespec *d) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > d->tv_sec || (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

static int tcp_connect(hp_sinks *s) {
    int fd = socket(s->tcp_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&s->tcp_addr, s->tcp_len) != 0 && errno != EINPROGRESS)
        goto bad;
    struct pollfd pfd = {fd, POLLOUT, 0};
    if (poll(&pfd, 1, 3000) != 1)
        goto bad;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr)
        goto bad;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
bad:
    close(fd);
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

static int send_tcp(hp_sinks *s, const char *msg, size_t ml) {
    char hdr[32];
    int hl = snprintf(hdr, sizeof hdr, "%zu ", ml); /* RFC 6587 octet counting */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (s->tcp_fd < 0) {
            if (!past(&s->tcp_retry_at))
                return -1; /* collector down: fail fast instead of queueing up */
            s->tcp_fd = tcp_connect(s);
            if (s->tcp_fd < 0) {
                clock_gettime(CLOCK_MONOTONIC, &s->tcp_retry_at);
                s->tcp_retry_at.tv_sec += 5;
                return -1;
            }
        }
        if (send_all(s->tcp_fd, hdr, (size_t)hl) == 0 && send_all(s->tcp_fd, msg, ml) == 0)
            return 0;
        close(s->tcp_fd);
        s->tcp_fd = -1;
    }
    return -1;
}

static size_t discard(char *p, size_t sz, size_t n, void *u) {
    (void)p;
    (void)u;
    return sz * n;
}

static int send_webhook(hp_sinks *s, const char *json, size_t jl) {
    unsigned backoff = 250;
    for (unsigned attempt = 0; attempt <= s->cfg->webhook_retries; attempt++) {
        if (attempt) {
            sleep_ms(backoff);
            backoff = backoff < 8000 ? backoff * 2 : backoff;
        }
        curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)jl);
        curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, discard);
        long code = 0;
        if (curl_easy_perform(s->curl) == CURLE_OK &&
            curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
            code >= 200 && code < 300)
            return 0;
        pthread_mutex_lock(&s->mu);
        int give_up = s->stopping && (s->count > 0 || past(&s->drain_deadline));
        pthread_mutex_unlock(&s->mu);
        if (give_up)
            break; /* shutting down: do not stall the drain on one event */
    }
    return -1;
}

static void *sender(void *arg) {
    hp_sinks *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->count == 0 && !s->stopping)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->count == 0 || (s->stopping && past(&s->drain_deadline))) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        item it = s->q[s->head];
        s->head = (s->head + 1) % s->cap;
        s->count--;
        pthread_mutex_unlock(&s->mu);
        if (s->udp_fd >= 0 &&
            sendto(s->udp_fd, it.msg, it.ml, 0, (struct sockaddr *)&s->udp_addr, s->udp_len) < 0)
            s->failed++;
        if (s->have_tcp && send_tcp(s, it.msg, it.ml) != 0)
            s->failed++;
        if (s->curl && send_webhook(s, it.json, it.jl) != 0)
            s->failed++;
        free(it.json);
        free(it.msg);
    }
    return NULL;
}

int hp_sinks_start(hp_sinks *s) {
    if (!s || s->started)
        return 0;
    if (pthread_create(&s->thread, NULL, sender, s) != 0)
        return -1;
    s->started = 1;
    return 0;
}

int hp_sinks_push(hp_sinks *s, const char *json, size_t jl, const char *msg, size_t ml) {
    item it = {malloc(jl + 1), malloc(ml + 1), jl, ml};
    if (!it.json || !it.msg) {
        free(it.json);
        free(it.msg);
        return -1;
    }
    memcpy(it.json, json, jl);
    it.json[jl] = '\0';
    memcpy(it.msg, msg, ml);
    it.msg[ml] = '\0';
    pthread_mutex_lock(&s->mu);
    int full = s->count >= s->cap;
    if (!full) {
        s->q[(s->head + s->count) % s->cap] = it;
        s->count++;
        pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    if (full) {
        free(it.json);
        free(it.msg);
        return -1;
    }
    return 0;
}

void hp_sinks_free(hp_sinks *s, unsigned drain_ms, unsigned long long *failed) {
    if (!s)
        return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->stopping = 1;
        clock_gettime(CLOCK_MONOTONIC, &s->drain_deadline);
        s->drain_deadline.tv_sec += drain_ms / 1000;
        s->drain_deadline.tv_nsec += (long)(drain_ms % 1000) * 1000000L;
        if (s->drain_deadline.tv_nsec >= 1000000000L) {
            s->drain_deadline.tv_sec++;
            s->drain_deadline.tv_nsec -= 1000000000L;
        }
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    if (failed)
        *failed = s->failed + s->count;
    if (s->q) {
        for (size_t i = 0; i < s->count; i++) {
            item *it = &s->q[(s->head + i) % s->cap];
            free(it->json);
            free(it->msg);
        }
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
    }
    free(s->q);
    if (s->udp_fd >= 0)
        close(s->udp_fd);
    if (s->tcp_fd >= 0)
        close(s->tcp_fd);
    if (s->curl) {
        curl_easy_cleanup(s->curl);
        curl_slist_free_all(s->hdrs);
        curl_global_cleanup();
    }
    free(s);
}
