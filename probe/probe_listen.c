/*
 * probe_listen.c -- the probe's callback listener: one port, TCP for LDAP
 * and RMI (told apart by the first byte: 0x30 starts an LDAPMessage, 'J'
 * the JRMP header) and UDP for DNS, on a libuv loop in a thread of its own.
 * The protocol work is the honeypot's (../proto/), driven per connection
 * by probe_session.c: a search's base DN, an RMI lookup's name or a DNS
 * question name is matched against the run's tokens.  Answers are the
 * safe ones only: LDAP from proto_ldap_safe_reply (never an entry or a
 * referral), RMI the ProtocolAck and a close (never ReturnData), DNS a
 * reply without records.
 */
#include "probe.h"

#include "proto.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <uv.h>

struct probe_listener {
    uv_loop_t loop;
    uv_tcp_t tcp;
    uv_udp_t udp;
    uv_async_t stop;
    pthread_t thread;
    pthread_mutex_t mu;
    uint32_t run_id;
    probe_hit *hits; /* PROBE_MAX_HITS */
    size_t nhits;
    unsigned long foreign;
    unsigned nconns;
    unsigned char udp_buf[2048];
};

typedef struct pconn {
    uv_tcp_t h;
    probe_listener *l;
    probe_session s; /* its buf: PROBE_MAX_MESSAGE bytes */
    int closing;
    uv_timer_t timer;
    int handles; /* open handles of this connection (tcp, timer) */
} pconn;

const char *probe_cb_proto_name(probe_cb_proto p) {
    static const char *const n[] = {
        [PROBE_CB_LDAP] = "ldap", [PROBE_CB_RMI] = "rmi", [PROBE_CB_DNS] = "dns"};
    return (unsigned)p < 3 ? n[p] : "unknown";
}

static void record(probe_listener *l, probe_cb_proto proto, const char *name, size_t len,
                   const char *src) {
    uint32_t seq;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    pthread_mutex_lock(&l->mu);
    if (!probe_token_find(l->run_id, name, len, &seq)) {
        l->foreign++;
    } else if (l->nhits < PROBE_MAX_HITS) {
        probe_hit *h = &l->hits[l->nhits++];
        h->seq = seq;
        h->proto = proto;
        h->when = (double)tv.tv_sec + tv.tv_usec / 1e6;
        snprintf(h->src, sizeof h->src, "%s", src);
    }
    pthread_mutex_unlock(&l->mu);
}

static void addr_text(const struct sockaddr *sa, char *out, size_t outsz, unsigned *port) {
    out[0] = '\0';
    *port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const void *)sa;
        uv_ip4_name(s, out, outsz);
        *port = ntohs(s->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const void *)sa;
        uv_ip6_name(s, out, outsz);
        *port = ntohs(s->sin6_port);
    }
}

static void conn_freed(uv_handle_t *h) {
    pconn *c = h->data;
    if (--c->handles == 0) {
        c->l->nconns--;
        free(c->s.buf);
        free(c);
    }
}

static void conn_close(pconn *c) {
    if (c->closing)
        return;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->timer, conn_freed);
    uv_close((uv_handle_t *)&c->h, conn_freed);
}

static void write_done(uv_write_t *w, int status) {
    (void)status;
    free(w);
}

static void conn_write(pconn *c, const void *p, size_t n) {
    uv_write_t *w = malloc(sizeof *w + n);
    if (!w) {
        conn_close(c);
        return;
    }
    memcpy(w + 1, p, n);
    uv_buf_t b = uv_buf_init((char *)(w + 1), (unsigned)n);
    if (uv_write(w, (uv_stream_t *)&c->h, &b, 1, write_done) != 0)
        free(w);
}

static void sess_write(void *user, const void *p, size_t n) {
    pconn *c = user;
    if (!c->closing)
        conn_write(c, p, n);
}

static void sess_name(void *user, probe_cb_proto proto, const char *name, size_t len) {
    pconn *c = user;
    record(c->l, proto, name, len, c->s.src);
}

static const probe_session_ops sess_ops = {sess_write, sess_name};

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out) {
    (void)suggested;
    pconn *c = h->data;
    *out = uv_buf_init((char *)c->s.buf + c->s.len, (unsigned)(PROBE_MAX_MESSAGE - c->s.len));
}

static void conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
    (void)b;
    pconn *c = s->data;
    if (n < 0) {
        conn_close(c);
        return;
    }
    c->s.len += (size_t)n;
    if (probe_session_run(&c->s, &sess_ops, c))
        conn_close(c);
}

static void conn_timeout(uv_timer_t *t) {
    conn_close(t->data);
}

static void on_conn(uv_stream_t *srv, int status) {
    probe_listener *l = srv->data;
    if (status < 0)
        return;
    pconn *c = calloc(1, sizeof *c);
    unsigned char *buf = malloc(PROBE_MAX_MESSAGE);
    if (!c || !buf) {
        free(c);
        free(buf);
        return;
    }
    c->s.buf = buf;
    c->l = l;
    uv_tcp_init(&l->loop, &c->h);
    uv_timer_init(&l->loop, &c->timer);
    c->h.data = c->timer.data = c;
    c->handles = 2;
    l->nconns++;
    if (uv_accept(srv, (uv_stream_t *)&c->h) != 0 || l->nconns > PROBE_MAX_CONNS) {
        conn_close(c);
        return;
    }
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    if (uv_tcp_getpeername(&c->h, (struct sockaddr *)&ss, &sl) == 0)
        addr_text((struct sockaddr *)&ss, c->s.src, sizeof c->s.src, &c->s.src_port);
    uv_timer_start(&c->timer, conn_timeout, 10000, 0); /* a whole exchange */
    uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out) {
    (void)suggested;
    probe_listener *l = h->data;
    *out = uv_buf_init((char *)l->udp_buf, sizeof l->udp_buf);
}

static void udp_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                     unsigned flags) {
    probe_listener *l = u->data;
    if (n <= 0 || !from || (flags & UV_UDP_PARTIAL))
        return;
    proto_dns_query q;
    const unsigned char *pkt = (const unsigned char *)b->base;
    if (proto_dns_parse(pkt, (size_t)n, &q) != 0)
        return;
    char src[INET6_ADDRSTRLEN];
    unsigned port;
    addr_text(from, src, sizeof src, &port);
    record(l, PROBE_CB_DNS, q.name, q.name_len, src);
    unsigned char out[2048];
    size_t ol = proto_dns_reply(pkt, &q, 3 /* NXDOMAIN */, NULL, 0, out, sizeof out);
    if (ol) {
        uv_buf_t ub = uv_buf_init((char *)out, (unsigned)ol);
        uv_udp_try_send(u, &ub, 1, from);
    }
}

static void close_walk(uv_handle_t *h, void *arg) {
    (void)arg;
    if (uv_is_closing(h))
        return;
    if (h->type == UV_TCP && h->data && h->data != ((probe_listener *)arg)) {
        conn_close(h->data);
        return;
    }
    if (h->type == UV_TIMER)
        return; /* closed with its connection */
    uv_close(h, NULL);
}

static void on_stop(uv_async_t *a) {
    probe_listener *l = a->data;
    uv_walk(&l->loop, close_walk, l);
}

static void *thread_main(void *arg) {
    probe_listener *l = arg;
    uv_run(&l->loop, UV_RUN_DEFAULT);
    return NULL;
}

int probe_listen_start(probe_listener **out, const char *addr, unsigned port, uint32_t run_id,
                       char *err, size_t errsz) {
    *out = NULL;
    struct sockaddr_storage ss;
    if (uv_ip4_addr(addr, (int)port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(addr, (int)port, (struct sockaddr_in6 *)&ss) != 0) {
        snprintf(err, errsz, "--listen: '%s' is not an IP address", addr);
        return -1;
    }
    probe_listener *l = calloc(1, sizeof *l);
    if (!l || !(l->hits = calloc(PROBE_MAX_HITS, sizeof *l->hits))) {
        free(l);
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    l->run_id = run_id;
    pthread_mutex_init(&l->mu, NULL);
    uv_loop_init(&l->loop);
    uv_tcp_init(&l->loop, &l->tcp);
    uv_udp_init(&l->loop, &l->udp);
    uv_async_init(&l->loop, &l->stop, on_stop);
    l->tcp.data = l->udp.data = l->stop.data = l;
    int rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0);
    if (!rc)
        rc = uv_listen((uv_stream_t *)&l->tcp, 128, on_conn);
    if (!rc)
        rc = uv_udp_bind(&l->udp, (struct sockaddr *)&ss, 0);
    if (!rc)
        rc = uv_udp_recv_start(&l->udp, udp_alloc, udp_recv);
    if (rc) {
        snprintf(err, errsz, "cannot listen on %s port %u: %s", addr, port, uv_strerror(rc));
        uv_async_send(&l->stop);
        uv_run(&l->loop, UV_RUN_DEFAULT);
        uv_loop_close(&l->loop);
        pthread_mutex_destroy(&l->mu);
        free(l->hits);
        free(l);
        return -1;
    }
    if (pthread_create(&l->thread, NULL, thread_main, l) != 0) {
        snprintf(err, errsz, "cannot start the listener thread");
        uv_async_send(&l->stop);
        uv_run(&l->loop, UV_RUN_DEFAULT);
        uv_loop_close(&l->loop);
        free(l->hits);
        free(l);
        return -1;
    }
    *out = l;
    return 0;
}

size_t probe_listen_hits(probe_listener *l, probe_hit *out, size_t max, unsigned long *foreign) {
    pthread_mutex_lock(&l->mu);
    size_t n = l->nhits < max ? l->nhits : max;
    memcpy(out, l->hits, n * sizeof *out);
    if (foreign)
        *foreign = l->foreign;
    pthread_mutex_unlock(&l->mu);
    return n;
}

void probe_listen_stop(probe_listener *l) {
    if (!l)
        return;
    uv_async_send(&l->stop);
    pthread_join(l->thread, NULL);
    uv_loop_close(&l->loop);
    pthread_mutex_destroy(&l->mu);
    free(l->hits);
    free(l);
}
