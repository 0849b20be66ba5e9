/*
 * hp_server.c -- the honeypot daemon: one libuv loop, a listening socket per
 * configured address and port, and per connection a bounded input buffer, a
 * timer (idle and whole-message deadlines, so a slowloris client is cut off
 * however it trickles) and a protocol handler from the table `protos`.
 * TLS listeners (and a ClientHello arriving on a plaintext listener) run
 * OpenSSL over memory BIOs fed from and drained to the same libuv stream:
 * the handshake never blocks the loop and is bounded by header_timeout
 * like any message; the protocol handlers see the decrypted bytes in the
 * same input buffer as on a plaintext connection.
 * Every connection produces at least one event.  The daemon never connects
 * to anything a payload names, never serves code, and answers LDAP and RMI
 * callbacks only with results that make a JNDI client throw.
 */
#include "honeypot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define INITIAL_BUF HP_INITIAL_BUF
#define WRITE_BACKLOG HP_WRITE_BACKLOG
#define BUF_POOL HP_BUF_POOL

typedef struct server server;
typedef struct conn conn;

/* A bound socket. */
typedef struct lsock {
    union {
        uv_tcp_t tcp;
        uv_udp_t udp;
    } h;
    server *srv;
    const hp_listener_cfg *lc;
    char ip[INET6_ADDRSTRLEN];
    unsigned port;
} lsock;

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    server *srv;
    const hp_listener_cfg *lc;
    hp_conn_info ci;
    char *buf;
    size_t len, cap, cap_max;
    uint64_t last_ms, msg_start_ms;
    unsigned long long total_in;
    unsigned requests, events, writes;
    unsigned continued; /* request number that got "100 Continue" */
    size_t wbytes; /* bytes of responses not yet written (callback pending) */
    int closing, close_after_write, overflow, acked, handles, paused;
    SSL *ssl;         /* TLS in use: records over memory BIOs (owned by ssl) */
    BIO *rbio, *wbio; /* network -> OpenSSL, OpenSSL -> network */
    hp_tls_info *tls; /* NULL: plaintext on a plaintext listener */
    int sniff;        /* the first byte decides between TLS and plaintext */
    int handshaking;  /* TLS handshake under way */
    int tls_eof;      /* the peer sent close_notify */
    conn *prev, *next;
};

typedef struct proto_ops {
    /* Consumes c->buf as far as complete messages go; may close c. */
    void (*on_data)(conn *c);
    /* Event type of a connection that produced no other event. */
    const char *session_event;
} proto_ops;

struct server {
    uv_loop_t *loop;
    const hp_config *cfg;
    hp_events *ev;
    defuse_scanner *scanner;
    lsock *socks;
    size_t nsocks;
    conn *conns;
    unsigned nconns;
    size_t mem_used;
    unsigned long long rejected;
    unsigned conn_cap;                /* max_connections, or less when the fd limit is lower */
    unsigned long long fd_refused;    /* connections closed for lack of descriptors */
    unsigned long long accept_failed; /* connections the kernel queued that
                                         could not be accepted (EMFILE ...) */
    int accept_reported;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t tick;        /* once a second: suppressed summaries, sink.status */
    uv_timer_t kick_timer;  /* HP_KICK_MS after events were left queued */
    uv_check_t kick;        /* after each loop iteration: wake the sinks' senders */
    char *pool[BUF_POOL];   /* spare INITIAL_BUF input buffers */
    size_t npool;
    time_t date_sec;
    char date[40];          /* HTTP Date header, cached per second */
    int stopping;
    SSL_CTX **tls_ctx;      /* per listener (index in cfg->listeners), NULL if plaintext */
    SSL_CTX *tls_default;   /* the first TLS listener's: a ClientHello on a
                               plaintext listener is answered with it */
    unsigned long long tls_handshakes, tls_failed;
    char udp_buf[65536];
    char tls_in[65536];     /* ciphertext just read, before it goes to the rbio */
};

static void http_data(conn *c);
static void ldap_data(conn *c);
static void rmi_data(conn *c);
static void tcp_data(conn *c);

static const proto_ops protos[HP_PROTO_COUNT] = {
    [HP_PROTO_HTTP] = {http_data, "http.session"},
    [HP_PROTO_LDAP] = {ldap_data, "ldap.session"},
    [HP_PROTO_RMI] = {rmi_data, "rmi.session"},
    [HP_PROTO_DNS] = {NULL, "dns.query"},
    [HP_PROTO_TCP] = {tcp_data, "tcp.session"},
};

static uint64_t now_ms(server *s) { return uv_now(s->loop); }

static void addr_text(const struct sockaddr *sa, char *ip, size_t ipsz, unsigned *port) {
    ip[0] = '\0';
    *port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)sa;
        uv_ip4_name(s4, ip, ipsz);
        *port = ntohs(s4->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)sa;
        uv_ip6_name(s6, ip, ipsz);
        *port = ntohs(s6->sin6_port);
    }
}

/* ---- events shared by the protocols --------------------------------------- */

static json_t *bytes_obj(const char *b, size_t n, size_t total) {
    json_t *o = json_object();
    size_t keep = n < HP_FIELD_SNIP ? n : HP_FIELD_SNIP;
    (void)total;
    json_object_set_new(o, "length", json_integer((json_int_t)keep));
    json_object_set_new(o, "text", hp_json_bytes(b, keep));
    char hex[2 * 256 + 1];
    size_t hx = keep < 256 ? keep : 256;
    for (size_t i = 0; i < hx; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)b[i]);
    hex[2 * hx] = '\0';
    json_object_set_new(o, "hex", json_string(hex));
    return o;
}

/* Moves the findings of fs into body ("findings", "kind"); frees fs. */
static void put_findings(json_t *body, hp_findings *fs) {
    if (fs->arr && json_array_size(fs->arr)) {
        json_object_set_new(body, "kind", json_string(defuse_kind_name((defuse_kind)fs->worst)));
        json_object_set(body, "findings", fs->arr);
    }
    hp_findings_clear(fs);
}

/* Appends " kind:callback" of each finding to a summary. */
static size_t summary_findings(const json_t *body, char *out, size_t o, size_t outsz) {
    json_t *arr = json_object_get(body, "findings");
    size_t i;
    json_t *f;
    json_array_foreach(arr, i, f) {
        const char *k = json_string_value(json_object_get(f, "kind"));
        const char *cb = json_string_value(json_object_get(f, "callback"));
        if (!cb)
            cb = json_string_value(json_object_get(f, "decoded"));
        if (o + 4 < outsz) {
            int n = snprintf(out + o, outsz - o, " [%s] %s", k ? k : "finding", cb ? cb : "");
            if (n > 0)
                o = (size_t)n < outsz - o ? o + (size_t)n : outsz - 1;
        }
    }
    return o;
}

static void emit(conn *c, const char *type, json_t *body, const char *summary, size_t sl) {
    c->events++;
    hp_events_emit(c->srv->ev, &c->ci, type, body, summary, sl);
}

/* ---- connection lifecycle --------------------------------------------------- */

/* Releases the input buffer: idle connections hold none.  Buffers of the
 * initial size go back to a small pool (no malloc per request). */
static void release_buf(conn *c) {
    server *s = c->srv;
    if (!c->buf)
        return;
    s->mem_used -= c->cap;
    if (c->cap == INITIAL_BUF && s->npool < BUF_POOL)
        s->pool[s->npool++] = c->buf;
    else
        free(c->buf);
    c->buf = NULL;
    c->cap = 0;
    c->len = 0;
}

static void on_handle_closed(uv_handle_t *h) {
    conn *c = h->data;
    if (--c->handles > 0)
        return;
    server *s = c->srv;
    release_buf(c);
    if (c->ssl) {
        SSL_free(c->ssl); /* and its BIOs */
        s->mem_used -= HP_TLS_CONN_MEM;
    }
    free(c->tls);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    free(c);
}

static void conn_close(conn *c, const char *reason) {
    if (c->closing)
        return;
    c->closing = 1;
    if (c->events == 0) {
        json_t *body = json_object();
        json_object_set_new(body, "reason", json_string(reason));
        json_object_set_new(body, "bytes_in", json_integer((json_int_t)c->total_in));
        hp_findings fs;
        hp_findings_init(&fs);
        if (c->len) {
            json_object_set_new(body, "first_bytes", bytes_obj(c->buf, c->len, c->total_in));
            hp_findings_scan(&fs, c->srv->scanner, "first_bytes", c->buf, c->len, 0);
        }
        put_findings(body, &fs);
        char sum[512];
        size_t sl = (size_t)snprintf(sum, sizeof sum, "%s connection, %llu bytes, %s",
                                     hp_proto_name(c->ci.proto), c->total_in, reason);
        sl = summary_findings(body, sum, sl < sizeof sum ? sl : sizeof sum - 1, sizeof sum);
        emit(c, protos[c->ci.proto].session_event, body, sum, sl);
    }
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

static void tls_failed(conn *c, const char *why);

/* A message is arriving: input bytes not yet consumed, or (TLS) part of a
 * record that has not decrypted yet -- a client trickling one record byte
 * by byte is under the whole-message deadline like a plaintext one. */
static int msg_pending(const conn *c) {
    return c->len || (c->ssl && (BIO_ctrl_pending(c->rbio) > 0 || SSL_has_pending(c->ssl)));
}

static void on_timer(uv_timer_t *t) {
    conn *c = t->data;
    uint64_t now = now_ms(c->srv);
    const hp_config *cfg = c->srv->cfg;
    if (c->handshaking)
        tls_failed(c, "handshake timeout");
    else if (msg_pending(c) && !c->paused && now >= c->msg_start_ms + cfg->header_timeout_ms)
        conn_close(c, "header timeout");
    else
        conn_close(c, "idle timeout");
}

static void arm_timer(conn *c) {
    if (c->closing)
        return;
    const hp_config *cfg = c->srv->cfg;
    uint64_t now = now_ms(c->srv);
    uint64_t deadline = c->last_ms + cfg->idle_timeout_ms;
    /* the whole-message deadline applies to a message still arriving, not to
     * complete requests held back while a slow reader drains its responses */
    if ((msg_pending(c) || c->handshaking) && !c->paused &&
        c->msg_start_ms + cfg->header_timeout_ms < deadline)
        deadline = c->msg_start_ms + cfg->header_timeout_ms;
    uv_timer_start(&c->timer, on_timer, deadline > now ? deadline - now : 0, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out);
static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b);
static void tls_serve(conn *c);

typedef struct wreq {
    uv_write_t req;
    conn *c;
    size_t len;
    char data[];
} wreq;

static void on_written(uv_write_t *req, int status) {
    wreq *w = (wreq *)req;
    conn *c = w->c;
    c->srv->mem_used -= w->len;
    c->wbytes -= w->len;
    c->writes--;
    free(w);
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c, "write error");
        return;
    }
    if (c->writes == 0 && c->close_after_write) {
        conn_close(c, "closed after response");
        return;
    }
    if (c->len && protos[c->ci.proto].on_data)
        protos[c->ci.proto].on_data(c); /* pipelined input held back */
    if (c->paused && !c->closing && c->wbytes <= WRITE_BACKLOG) {
        c->paused = 0;
        c->msg_start_ms = now_ms(c->srv);
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
        if (c->ssl) /* records held in the rbio while paused */
            tls_serve(c);
    }
    c->last_ms = now_ms(c->srv); /* the client is reading: not idle */
    arm_timer(c);
}

/* A write request for n bytes (the caller fills w->data), charged to
 * max_memory.  Returns NULL (connection closed) when over budget. */
static wreq *wreq_new(conn *c, size_t n) {
    server *s = c->srv;
    if (s->mem_used + n > s->cfg->max_memory) {
        conn_close(c, "memory limit");
        return NULL;
    }
    wreq *w = malloc(sizeof *w + n);
    if (!w) {
        conn_close(c, "out of memory");
        return NULL;
    }
    w->c = c;
    w->len = n;
    return w;
}

/* Sends what OpenSSL wrote to the wbio (records, alerts).  Returns 0 or -1
 * (closed). */
static int tls_flush(conn *c) {
    size_t pend = BIO_ctrl_pending(c->wbio);
    if (pend == 0)
        return 0;
    wreq *w = wreq_new(c, pend);
    if (!w)
        return -1;
    if (BIO_read(c->wbio, w->data, (int)pend) != (int)pend) {
        free(w);
        conn_close(c, "TLS error");
        return -1;
    }
    server *s = c->srv;
    uv_buf_t ub = uv_buf_init(w->data, (unsigned)pend);
    s->mem_used += w->len;
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &ub, 1, on_written) != 0) {
        s->mem_used -= w->len;
        free(w);
        conn_close(c, "write error");
        return -1;
    }
    c->writes++;
    c->wbytes += w->len;
    return 0;
}

/* Queues n bytes from up to two pieces.  Returns 0 or -1 (closed). */
static int conn_write2(conn *c, const void *a, size_t al, const void *b, size_t bl) {
    server *s = c->srv;
    if (c->ssl) {
        /* memory BIOs: SSL_write takes everything at once (no partial
         * writes); the records go out through tls_flush */
        ERR_clear_error();
        if ((al && SSL_write(c->ssl, a, (int)al) <= 0) ||
            (bl && SSL_write(c->ssl, b, (int)bl) <= 0)) {
            conn_close(c, "TLS error");
            return -1;
        }
        return tls_flush(c);
    }
    wreq *w = wreq_new(c, al + bl);
    if (!w)
        return -1;
    memcpy(w->data, a, al);
    if (bl)
        memcpy(w->data + al, b, bl);
    uv_buf_t ub = uv_buf_init(w->data, (unsigned)(al + bl));
    s->mem_used += w->len;
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &ub, 1, on_written) != 0) {
        s->mem_used -= w->len;
        free(w);
        conn_close(c, "write error");
        return -1;
    }
    c->writes++;
    c->wbytes += w->len;
    return 0;
}

/* Drops the first n bytes of the input buffer. */
static void consume(conn *c, size_t n) {
    if (n >= c->len) {
        release_buf(c);
        if (msg_pending(c))
            c->msg_start_ms = now_ms(c->srv); /* the next one is arriving */
        return;
    }
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    c->msg_start_ms = now_ms(c->srv);
}

/* Grows the input buffer when it is full (doubling up to cap_max, within
 * max_memory).  Returns the room left (0: full or no memory). */
static size_t buf_room(conn *c) {
    server *s = c->srv;
    if (c->len == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : INITIAL_BUF;
        if (ncap > c->cap_max)
            ncap = c->cap_max;
        if (ncap > c->cap && s->mem_used + (ncap - c->cap) <= s->cfg->max_memory) {
            char *nb = (!c->buf && ncap == INITIAL_BUF && s->npool) ? s->pool[--s->npool]
                                                                      : realloc(c->buf, ncap);
            if (nb) {
                s->mem_used += ncap - c->cap;
                c->buf = nb;
                c->cap = ncap;
            }
        }
    }
    return c->cap - c->len;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out) {
    (void)suggested;
    conn *c = h->data;
    server *s = c->srv;
    if (c->ssl) { /* ciphertext: handed to OpenSSL at once */
        *out = uv_buf_init(s->tls_in, sizeof s->tls_in);
        return;
    }
    if (buf_room(c)) {
        *out = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
    } else {
        /* full (or no memory): read into scratch and discard, counted */
        c->overflow = 1;
        *out = uv_buf_init(s->udp_buf, sizeof s->udp_buf);
    }
}

/* ---- TLS over the libuv stream ----------------------------------------------------- */

/* Records a handshake that did not complete (refused certificate, not TLS,
 * timeout, closed) with what the ClientHello said, and closes. */
static void tls_failed(conn *c, const char *why) {
    if (c->closing)
        return;
    server *s = c->srv;
    s->tls_failed++;
    unsigned long e = ERR_peek_last_error();
    const char *detail = e ? ERR_reason_error_string(e) : NULL;
    json_t *body = json_object();
    json_object_set_new(body, "reason", json_string(why));
    if (detail)
        json_object_set_new(body, "tls_error", json_string(detail));
    json_object_set_new(body, "bytes_in", json_integer((json_int_t)c->total_in));
    if (c->tls->first_len)
        json_object_set_new(body, "first_bytes",
                            bytes_obj((const char *)c->tls->first, c->tls->first_len,
                                      c->total_in));
    ERR_clear_error();
    char sum[512];
    int n = snprintf(sum, sizeof sum, "TLS handshake failed: %s%s%s%s", why, detail ? " (" : "",
                     detail ? detail : "", detail ? ")" : "");
    size_t sl = n < 0 ? 0 : (size_t)n < sizeof sum ? (size_t)n : sizeof sum - 1;
    if (c->tls->sni_len && sl + 8 < sizeof sum) {
        n = snprintf(sum + sl, sizeof sum - sl, ", SNI %.*s", (int)c->tls->sni_len, c->tls->sni);
        if (n > 0)
            sl = (size_t)n < sizeof sum - sl ? sl + (size_t)n : sizeof sum - 1;
    }
    emit(c, "tls.handshake_failed", body, sum, sl);
    conn_close(c, why);
}

/* Drives OpenSSL after input: finishes the handshake, then decrypts what
 * the rbio holds into the input buffer (growing it like on_alloc) until the
 * rbio is empty or the buffer is full, and sends what OpenSSL wrote.  With
 * discard, a full buffer does not stop it: the rest is read and dropped
 * with `overflow` set, as on_alloc does for a plaintext connection whose
 * handler could not consume a full buffer.  Reading stops while the
 * connection is paused (the rest stays in the rbio: at most one read).
 * Returns 1 if it stopped at a full buffer with input left, else 0. */
static int tls_pump(conn *c, int discard) {
    server *s = c->srv;
    ERR_clear_error();
    if (c->handshaking) {
        int r = SSL_do_handshake(c->ssl);
        if (tls_flush(c) != 0)
            return 0;
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                tls_failed(c, "handshake failed");
            return 0;
        }
        c->handshaking = 0;
        c->tls->version = SSL_get_version(c->ssl);
        c->tls->cipher = SSL_get_cipher_name(c->ssl);
        s->tls_handshakes++;
        c->msg_start_ms = now_ms(s);
    }
    int full = 0;
    while (!c->closing && !c->paused && !c->tls_eof) {
        size_t room = buf_room(c);
        if (!room && !discard) {
            full = SSL_pending(c->ssl) > 0 || BIO_ctrl_pending(c->rbio) > 0;
            break;
        }
        char *dst = room ? c->buf + c->len : s->udp_buf;
        if (!room)
            room = sizeof s->udp_buf;
        int r = SSL_read(c->ssl, dst, room > INT32_MAX ? INT32_MAX : (int)room);
        if (r > 0) {
            if (dst == s->udp_buf) {
                if (c->cap == 0) { /* no buffer at all: the memory budget is spent */
                    conn_close(c, "memory limit");
                    return 0;
                }
                c->overflow = 1;
            } else {
                c->len += (size_t)r; /* msg_start_ms: set when its first record arrived */
            }
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify: handle what came first */
            c->tls_eof = 1;
            break;
        }
        conn_close(c, "TLS error");
        return 0;
    }
    if (!c->closing)
        tls_flush(c); /* alerts, TLS 1.3 post-handshake messages */
    return full && !c->closing;
}

/* Decrypts and hands the plaintext to the protocol handler, in rounds of
 * one buffer, until the rbio is drained or the connection pauses or
 * closes (the plaintext rule: a handler that cannot consume a full buffer
 * gets `overflow`). */
static void tls_serve(conn *c) {
    int full = tls_pump(c, 0);
    while (!c->closing && !c->handshaking) {
        size_t before = c->len;
        protos[c->ci.proto].on_data(c);
        if (c->closing || c->paused || !full)
            break;
        full = tls_pump(c, c->len == before);
    }
    if (c->tls_eof && !c->closing)
        conn_close(c, "closed by peer");
}

/* Ciphertext from the socket into the rbio (the first bytes of a
 * handshake are also kept for its event).  Returns 0 or -1 (closed). */
static int tls_feed(conn *c, const char *data, size_t n) {
    hp_tls_info *t = c->tls;
    if (!c->handshaking && !msg_pending(c))
        c->msg_start_ms = now_ms(c->srv); /* a new message starts arriving */
    if (c->handshaking && t->first_len < HP_TLS_FIRST) {
        size_t k = HP_TLS_FIRST - t->first_len < n ? HP_TLS_FIRST - t->first_len : n;
        memcpy(t->first + t->first_len, data, k);
        t->first_len += k;
    }
    if (BIO_write(c->rbio, data, (int)n) != (int)n) {
        conn_close(c, "out of memory");
        return -1;
    }
    return 0;
}


/* The first bytes were a TLS handshake record: starts TLS with the
 * listener's context (or the default one on a plaintext listener), moving
 * the bytes already read into the rbio.  Returns 0, or -1 if closed. */
static int tls_begin(conn *c) {
    server *s = c->srv;
    SSL_CTX *ctx = s->tls_ctx[c->lc - s->cfg->listeners];
    if (!ctx)
        ctx = s->tls_default;
    if (s->mem_used + HP_TLS_CONN_MEM > s->cfg->max_memory) {
        conn_close(c, "memory limit");
        return -1;
    }
    if (!c->tls) {
        c->tls = calloc(1, sizeof *c->tls);
        if (!c->tls) {
            conn_close(c, "out of memory");
            return -1;
        }
        c->ci.tls = c->tls;
    }
    c->tls->http = c->ci.proto == HP_PROTO_HTTP;
    SSL *ssl = SSL_new(ctx);
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    if (!ssl || !rb || !wb) {
        SSL_free(ssl);
        BIO_free(rb);
        BIO_free(wb);
        conn_close(c, "out of memory");
        return -1;
    }
    BIO_set_mem_eof_return(rb, -1); /* empty: "retry", not end of stream */
    SSL_set_bio(ssl, rb, wb);
    SSL_set_accept_state(ssl);
    SSL_set_app_data(ssl, c->tls);
    c->ssl = ssl;
    c->rbio = rb;
    c->wbio = wb;
    s->mem_used += HP_TLS_CONN_MEM;
    c->tls->active = 1;
    c->handshaking = 1;
    c->msg_start_ms = now_ms(s);
    int fed = tls_feed(c, c->buf, c->len);
    c->len = 0;
    release_buf(c); /* from now on the buffer holds decrypted bytes */
    if (fed == 0)
        tls_serve(c);
    return c->closing ? -1 : 0;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
    conn *c = st->data;
    if (c->closing)
        return;
    if (n < 0) {
        if (c->handshaking)
            tls_failed(c, n == UV_EOF ? "closed during handshake" : "read error in handshake");
        else
            conn_close(c, n == UV_EOF ? "closed by peer" : "read error");
        return;
    }
    if (n == 0)
        return;
    c->last_ms = now_ms(c->srv);
    c->total_in += (unsigned long long)n;
    if (c->ssl) {
        if (tls_feed(c, b->base, (size_t)n) == 0)
            tls_serve(c);
        arm_timer(c);
        return;
    } else if (b->base == c->srv->udp_buf) {
        if (c->cap == 0) { /* no buffer at all: the memory budget is spent */
            conn_close(c, "memory limit");
            return;
        }
        arm_timer(c); /* discarded: the handler already saw a full buffer */
    } else {
        if (c->len == 0)
            c->msg_start_ms = c->last_ms;
        c->len += (size_t)n;
        if (c->sniff) {
            c->sniff = 0;
            if (hp_tls_sniff((const unsigned char *)c->buf, c->len)) {
                tls_begin(c);
                arm_timer(c);
                return;
            }
        }
    }
    protos[c->ci.proto].on_data(c);
    arm_timer(c);
}

static void on_connection(uv_stream_t *ls, int status) {
    lsock *l = ls->data;
    server *s = l->srv;
    if (status < 0) {
        /* out of file descriptors (libuv then closes the waiting
         * connections so clients are not left hanging): counted, in
         * sink.status and the summary, and said once on stderr */
        s->accept_failed++;
        if (!s->accept_reported) {
            s->accept_reported = 1;
            fprintf(stderr,
                    "defuse honeypot: cannot accept connections: %s (raise LimitNOFILE / "
                    "ulimit -n, or lower max_connections); refused connections are counted\n",
                    uv_strerror(status));
        }
        return;
    }
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    uv_tcp_init(s->loop, &c->tcp);
    if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    c->srv = s;
    c->lc = l->lc;
    c->ci.listener = l->lc->name;
    c->ci.proto = l->lc->proto;
    hp_events_conn_id(s->ev, c->ci.conn_id);
    int sl = (int)sizeof c->ci.src;
    uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->ci.src, &sl);
    addr_text((struct sockaddr *)&c->ci.src, c->ci.src_ip, sizeof c->ci.src_ip, &c->ci.src_port);
    struct sockaddr_storage dst;
    int dl = (int)sizeof dst;
    if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&dst, &dl) == 0)
        addr_text((struct sockaddr *)&dst, c->ci.dst_ip, sizeof c->ci.dst_ip, &c->ci.dst_port);
    if (s->stopping || s->nconns >= s->conn_cap) {
        /* over the cap: closed at once; the event is de-duplicated and rate
         * limited per source like any other, so a flood stays one line */
        int fd_limit = s->nconns < s->cfg->max_connections;
        if (fd_limit)
            s->fd_refused++;
        else
            s->rejected++;
        if (!s->stopping) {
            char sum[160];
            int n = fd_limit ? snprintf(sum, sizeof sum,
                                        "connection refused: file descriptor limit (%u "
                                        "connections at once, max_connections %u)",
                                        s->conn_cap, s->cfg->max_connections)
                             : snprintf(sum, sizeof sum,
                                        "connection refused: max_connections (%u) reached",
                                        s->cfg->max_connections);
            hp_events_emit(s->ev, &c->ci, "connection.rejected", NULL, sum, (size_t)n);
        }
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    c->tcp.data = c;
    c->timer.data = c;
    c->handles = 2;
    uv_timer_init(s->loop, &c->timer);
    uv_tcp_nodelay(&c->tcp, 1);
    switch (c->ci.proto) {
    case HP_PROTO_HTTP:
        c->cap_max = s->cfg->max_request + s->cfg->max_body + 1024;
        break;
    case HP_PROTO_TCP:
        c->cap_max = s->cfg->first_bytes;
        break;
    default:
        c->cap_max = s->cfg->max_message;
        break;
    }
    if (l->lc->tls) {
        c->tls = calloc(1, sizeof *c->tls);
        if (!c->tls) {
            uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
            return;
        }
        c->tls->expected = 1;
        c->ci.tls = c->tls;
    }
    /* the first byte tells a ClientHello from plaintext, on TLS listeners
     * and (when there is a certificate) on plaintext ones */
    c->sniff = l->lc->tls || s->tls_default;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    c->last_ms = now_ms(s);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    arm_timer(c);
}

/* ---- HTTP --------------------------------------------------------------------- */

static const char default_index[] =
    "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>\n"
    "<form method=\"post\" action=\"/login\"><label>User <input name=\"user\"></label>\n"
    "<label>Password <input type=\"password\" name=\"password\"></label>\n"
    "<button>Sign in</button></form>\n</body></html>\n";
static const char default_404[] =
    "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>\n"
    "<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n"
    "</body></html>\n";

static const char *reason_of(unsigned st) {
    static const struct {
        unsigned code;
        const char *text;
    } reasons[] = {{200, "OK"},          {201, "Created"},          {204, "No Content"},
                   {301, "Moved Permanently"}, {302, "Found"},     {304, "Not Modified"},
                   {400, "Bad Request"}, {401, "Unauthorized"},     {403, "Forbidden"},
                   {404, "Not Found"},   {405, "Method Not Allowed"}, {413, "Content Too Large"},
                   {431, "Request Header Fields Too Large"},       {500, "Internal Server Error"},
                   {502, "Bad Gateway"}, {503, "Service Unavailable"}};
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].code == st)
            return reasons[i].text;
    return "Unknown";
}

static void http_respond(conn *c, unsigned status, const hp_response_cfg *r, int head_only,
                         int keep) {
    const char *body = status == 404 ? default_404 : default_index;
    size_t blen = strlen(body);
    const char *ctype = "text/html; charset=UTF-8";
    const char *reason = reason_of(status);
    if (r) {
        body = r->body ? r->body : "";
        blen = r->body ? r->body_len : 0;
        if (r->content_type[0])
            ctype = r->content_type;
        if (r->reason[0])
            reason = r->reason;
    } else if (status >= 400 && status != 404) {
        body = "";
        blen = 0;
    }
    char hdr[8192];
    server *s = c->srv;
    time_t t = time(NULL);
    if (t != s->date_sec) {
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        s->date_sec = t;
    }
    const char *date = s->date;
    const char *srvname = c->lc->server_header[0] ? c->lc->server_header : "Apache";
    int n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 %u %s\r\nDate: %s\r\nServer: %s\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n",
                     status, reason, date, srvname, ctype, blen);
    size_t o = (size_t)n;
    if (r)
        for (size_t i = 0; i < r->nheaders && o < sizeof hdr - 300; i++)
            o += (size_t)snprintf(hdr + o, sizeof hdr - o, "%s\r\n", r->headers[i]);
    o += (size_t)snprintf(hdr + o, sizeof hdr - o, "Connection: %s\r\n\r\n",
                          keep ? "keep-alive" : "close");
    conn_write2(c, hdr, o, body, head_only ? 0 : blen);
}

/* Scans the string values of a JSON body (bounded). */
static void scan_json(hp_findings *fs, defuse_scanner *sc, json_t *j, unsigned *budget,
                      int depth) {
    if (!j || !*budget || depth > 64)
        return;
    const char *k;
    json_t *v;
    size_t i;
    switch (json_typeof(j)) {
    case JSON_STRING:
        (*budget)--;
        hp_findings_scan(fs, sc, "body:json", json_string_value(j), json_string_length(j), 0);
        break;
    case JSON_OBJECT:
        json_object_foreach(j, k, v) {
            if (!*budget)
                break;
            (*budget)--;
            hp_findings_scan(fs, sc, "body:json-key", k, strlen(k), 0);
            scan_json(fs, sc, v, budget, depth + 1);
        }
        break;
    case JSON_ARRAY:
        json_array_foreach(j, i, v) scan_json(fs, sc, v, budget, depth + 1);
        break;
    default:
        break;
    }
}

static int has_ci(const char *v, size_t n, const char *tok) {
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= n; i++)
        if (!strncasecmp(v + i, tok, tl))
            return 1;
    return 0;
}

static void http_request(conn *c, hp_http_req *rq) {
    server *s = c->srv;
    defuse_scanner *sc = s->scanner;
    hp_findings fs;
    hp_findings_init(&fs);
    /* request line raw and percent-decoded */
    hp_findings_scan(&fs, sc, "request-line", rq->line, rq->line_len, 0);
    char *dec = malloc(rq->line_len + 1);
    if (dec) {
        size_t dl = hp_percent_decode(rq->line, rq->line_len, dec, rq->line_len, 0);
        if (dl != rq->line_len || memcmp(dec, rq->line, dl))
            hp_findings_scan(&fs, sc, "request-line:decoded", dec, dl, 0);
        free(dec);
    }
    json_t *headers = json_array();
    for (size_t i = 0; i < rq->nheaders; i++) {
        const hp_http_header *h = &rq->headers[i];
        char where[96];
        snprintf(where, sizeof where, "header:%.*s", (int)(h->name_len < 64 ? h->name_len : 64),
                 h->name);
        unsigned flags = 0;
        if ((h->name_len == 13 && !strncasecmp(h->name, "Authorization", 13)) ||
            (h->name_len == 19 && !strncasecmp(h->name, "Proxy-Authorization", 19)))
            flags |= DEFUSE_SCAN_BASIC_AUTH;
        /* the whole line: payloads hide in header names too */
        size_t hl = (size_t)(h->value + h->value_len - h->name);
        hp_findings_scan(&fs, sc, where, h->name, hl, flags);
        json_t *pair = json_array();
        json_array_append_new(pair, hp_json_bytes(h->name, h->name_len));
        json_array_append_new(pair, hp_json_bytes(h->value, h->value_len));
        json_array_append_new(headers, pair);
    }
    /* header lines past HP_HTTP_MAX_HEADERS (not itemised in the event)
     * and the chunk extensions and trailers are scanned too */
    if (rq->headers_dropped)
        hp_findings_scan(&fs, sc, "header:past-100th", rq->dropped, rq->dropped_len, 0);
    if (rq->chunk_meta_len)
        hp_findings_scan(&fs, sc, "body:chunk-metadata", rq->chunk_meta, rq->chunk_meta_len, 0);
    size_t ctl = 0;
    const char *ct = hp_http_header_get(rq, "Content-Type", &ctl);
    if (rq->body_len) {
        hp_findings_scan(&fs, sc, "body", rq->body, rq->body_len, 0);
        if (ct && has_ci(ct, ctl, "x-www-form-urlencoded")) {
            char *bd = malloc(rq->body_len);
            if (bd) {
                size_t bl = hp_percent_decode(rq->body, rq->body_len, bd, rq->body_len, 1);
                hp_findings_scan(&fs, sc, "body:form-decoded", bd, bl, 0);
                free(bd);
            }
        } else if (ct && has_ci(ct, ctl, "json")) {
            json_t *j = json_loadb(rq->body, rq->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
            unsigned budget = 1000;
            scan_json(&fs, sc, j, &budget, 0);
            json_decref(j);
        }
    }
    /* the response */
    size_t pathlen = rq->target_len;
    const char *path = rq->target;
    const hp_response_cfg *r = hp_config_response(s->cfg, path, pathlen);
    unsigned status = 200;
    if (r) {
        status = r->status;
    } else if (!(pathlen == 1 || (pathlen > 1 && path[1] == '?')) || path[0] != '/') {
        status = 404;
    }
    c->requests++;
    int keep = rq->keep_alive && c->requests < s->cfg->max_requests && !s->stopping;
    int head = rq->method_len == 4 && !memcmp(rq->method, "HEAD", 4);

    json_t *body = json_object();
    json_t *http = json_object();
    json_object_set_new(http, "method", hp_json_bytes(rq->method, rq->method_len));
    json_object_set_new(http, "uri", hp_json_bytes(rq->target, rq->target_len));
    json_object_set_new(http, "version", hp_json_bytes(rq->version, rq->version_len));
    json_object_set_new(http, "headers", headers);
    if (rq->headers_dropped)
        json_object_set_new(http, "headers_dropped", json_integer((json_int_t)rq->headers_dropped));
    size_t ual = 0;
    const char *ua = hp_http_header_get(rq, "User-Agent", &ual);
    if (ua)
        json_object_set_new(http, "user_agent", hp_json_bytes(ua, ual));
    json_object_set_new(http, "body_length", json_integer((json_int_t)rq->body_declared));
    if (rq->body_len)
        json_object_set_new(http, "body", hp_json_bytes(rq->body, rq->body_len < HP_FIELD_SNIP
                                                                     ? rq->body_len
                                                                     : HP_FIELD_SNIP));
    if (rq->body_truncated)
        json_object_set_new(http, "body_truncated", json_true());
    if (rq->chunk_meta_lost)
        json_object_set_new(http, "chunk_metadata_unscanned",
                            json_integer((json_int_t)rq->chunk_meta_lost));
    json_object_set_new(http, "status", json_integer(status));
    json_object_set_new(http, "request_number", json_integer(c->requests));
    json_object_set_new(body, "http", http);
    put_findings(body, &fs);
    char sum[1024];
    int n = snprintf(sum, sizeof sum, "%.*s %.*s", (int)(rq->method_len < 16 ? rq->method_len : 16),
                     rq->method, (int)(rq->target_len < 400 ? rq->target_len : 400), rq->target);
    size_t sl = n < 0 ? 0 : (size_t)n < sizeof sum ? (size_t)n : sizeof sum - 1;
    sl = summary_findings(body, sum, sl, sizeof sum);
    emit(c, "http.request", body, sum, sl);
    http_respond(c, status, r, head, keep);
    if (!keep)
        c->close_after_write = 1;
}

static void http_error(conn *c, unsigned status, const char *what) {
    json_t *body = json_object();
    json_t *http = json_object();
    json_object_set_new(http, "error", json_string(what));
    json_object_set_new(http, "status", json_integer(status));
    json_object_set_new(body, "http", http);
    json_object_set_new(body, "first_bytes", bytes_obj(c->buf, c->len, c->total_in));
    hp_findings fs;
    hp_findings_init(&fs);
    hp_findings_scan(&fs, c->srv->scanner, "first_bytes", c->buf, c->len, 0);
    put_findings(body, &fs);
    char sum[256];
    int n = snprintf(sum, sizeof sum, "bad HTTP request: %s", what);
    size_t sl = summary_findings(body, sum, (size_t)n, sizeof sum);
    emit(c, "http.bad_request", body, sum, sl);
    c->close_after_write = 1;
    http_respond(c, status, NULL, 0, 0);
    uv_read_stop((uv_stream_t *)&c->tcp);
}

static void http_data(conn *c) {
    const hp_config *cfg = c->srv->cfg;
    while (!c->closing && !c->close_after_write && c->len) {
        if (c->wbytes > WRITE_BACKLOG) {
            /* a client that pipelines without reading: stop reading until
             * its responses drain (on_written resumes) */
            if (!c->paused) {
                uv_read_stop((uv_stream_t *)&c->tcp);
                c->paused = 1;
            }
            return;
        }
        hp_http_req rq;
        long r = hp_http_parse(c->buf, c->len, cfg->max_request, cfg->max_body, &rq);
        if (r > 0) {
            http_request(c, &rq);
            if (!c->closing)
                consume(c, (size_t)r);
            continue;
        }
        if (r == HP_HTTP_EBAD) {
            http_error(c, 400, "malformed request");
            return;
        }
        if (r == HP_HTTP_ETOOBIG) {
            http_error(c, 431, "request head too large");
            return;
        }
        if (c->len >= c->cap_max || c->overflow) {
            http_error(c, 413, "request too large");
            return;
        }
        size_t el;
        const char *expect = rq.head_complete ? hp_http_header_get(&rq, "Expect", &el) : NULL;
        if (expect && el == 12 && !strncasecmp(expect, "100-continue", 12) &&
            c->continued != c->requests + 1) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            c->continued = c->requests + 1; /* once per request */
            conn_write2(c, cont, sizeof cont - 1, NULL, 0);
        }
        return; /* need more */
    }
}

/* ---- LDAP --------------------------------------------------------------------- */

static const char *ldap_op_name(int op) {
    static const char *const names[] = {
        [PROTO_LDAP_BIND] = "bind",       [PROTO_LDAP_UNBIND] = "unbind",
        [PROTO_LDAP_SEARCH] = "search",   [PROTO_LDAP_MODIFY] = "modify",
        [PROTO_LDAP_ADD] = "add",         [PROTO_LDAP_DELETE] = "delete",
        [PROTO_LDAP_MODDN] = "modify_dn", [PROTO_LDAP_COMPARE] = "compare",
        [PROTO_LDAP_ABANDON] = "abandon", [PROTO_LDAP_EXTENDED] = "extended"};
    if (op >= 0 && (size_t)op < sizeof names / sizeof names[0] && names[op])
        return names[op];
    return "unknown";
}

/* Scans a name both as it came and as the JNDI URL it was looked up
 * through, so the detector reports the JNDIExploit command and exfil. */
static void scan_callback_name(hp_findings *fs, conn *c, const char *scheme, const char *name,
                               size_t nl, json_t *obj) {
    hp_findings_scan(fs, c->srv->scanner, scheme[0] == 'l' ? "ldap:dn" : "rmi:name", name, nl,
                     0);
    size_t ul = nl + 128;
    char *url = malloc(ul);
    if (!url)
        return;
    int v6 = strchr(c->ci.dst_ip, ':') != NULL;
    int n = snprintf(url, ul, "%s://%s%s%s:%u/", scheme, v6 ? "[" : "", c->ci.dst_ip,
                     v6 ? "]" : "", c->ci.dst_port);
    memcpy(url + n, name, nl);
    size_t tl = (size_t)n + nl;
    json_object_set_new(obj, "url", hp_json_bytes(url, tl));
    /* as "${jndi:URL}": what the victim's log4j evaluated to reach us */
    char *wrapped = malloc(tl + 9);
    if (wrapped) {
        memcpy(wrapped, "${jndi:", 7);
        memcpy(wrapped + 7, url, tl);
        wrapped[tl + 7] = '}';
        hp_findings_scan(fs, c->srv->scanner, "callback-url", wrapped, tl + 8, 0);
        free(wrapped);
    }
    free(url);
}

static void ldap_reply(conn *c, int msgid, int op, int code) {
    unsigned char *out;
    size_t ol;
    if (proto_ldap_encode_result(msgid, op, code, &out, &ol) != 0) {
        conn_close(c, "out of memory");
        return;
    }
    conn_write2(c, out, ol, NULL, 0);
    free(out);
}

static void ldap_data(conn *c) {
    const hp_config *cfg = c->srv->cfg;
    while (!c->closing && c->len) {
        long fl = proto_ldap_frame((const unsigned char *)c->buf, c->len, cfg->max_message);
        if (fl == 0) {
            if (c->overflow)
                conn_close(c, "message too large");
            return;
        }
        proto_ldap_msg m;
        int bad = fl < 0 || proto_ldap_decode((const unsigned char *)c->buf, (size_t)fl, &m) != 0;
        if (bad) {
            if (fl > 0)
                proto_ldap_msg_clear(&m);
            json_t *body = json_object();
            json_object_set_new(body, "first_bytes", bytes_obj(c->buf, c->len, c->total_in));
            hp_findings fs;
            hp_findings_init(&fs);
            hp_findings_scan(&fs, c->srv->scanner, "first_bytes", c->buf, c->len, 0);
            put_findings(body, &fs);
            char sum[256];
            size_t sl = summary_findings(body, sum, (size_t)snprintf(sum, sizeof sum,
                                                                     "malformed LDAP message"),
                                         sizeof sum);
            emit(c, "ldap.bad_message", body, sum, sl);
            conn_close(c, "malformed LDAP message");
            return;
        }
        if (m.op == PROTO_LDAP_UNBIND) {
            proto_ldap_msg_clear(&m);
            conn_close(c, "unbind");
            return;
        }
        json_t *body = json_object();
        json_t *ld = json_object();
        json_object_set_new(ld, "op", json_string(ldap_op_name(m.op)));
        json_object_set_new(ld, "message_id", json_integer(m.msgid));
        hp_findings fs;
        hp_findings_init(&fs);
        if (m.dn)
            json_object_set_new(ld, "dn", hp_json_bytes(m.dn, m.dn_len));
        if (m.op == PROTO_LDAP_BIND) {
            json_object_set_new(ld, "version", json_integer(m.version));
            json_object_set_new(ld, "auth", json_string(m.auth == 0   ? "simple"
                                                        : m.auth == 3 ? "sasl"
                                                                      : "other"));
            hp_findings_scan(&fs, c->srv->scanner, "ldap:bind-dn", m.dn, m.dn_len, 0);
        } else if (m.op == PROTO_LDAP_SEARCH) {
            json_object_set_new(ld, "scope", json_integer(m.scope));
            json_object_set_new(ld, "deref", json_integer(m.deref));
            scan_callback_name(&fs, c, c->ssl ? "ldaps" : "ldap", m.dn, m.dn_len, ld);
        } else if (m.dn) {
            hp_findings_scan(&fs, c->srv->scanner, "ldap:dn", m.dn, m.dn_len, 0);
        }
        if (m.oid)
            json_object_set_new(ld, "oid", hp_json_bytes(m.oid, strlen(m.oid)));
        json_object_set_new(body, "ldap", ld);
        put_findings(body, &fs);
        char sum[1024];
        int n = snprintf(sum, sizeof sum, "LDAP %s dn=\"%.*s\"", ldap_op_name(m.op),
                         (int)(m.dn_len < 600 ? m.dn_len : 600), m.dn ? m.dn : "");
        size_t sl = summary_findings(body, sum, n < 0 ? 0 : (size_t)n, sizeof sum);
        char type[32];
        snprintf(type, sizeof type, "ldap.%s", ldap_op_name(m.op));
        emit(c, type, body, sum, sl);
        /* the safe answers (proto/ldap.c): never an entry, never a referral */
        int rop, code, act = proto_ldap_safe_reply(m.op, &rop, &code);
        if (act > 0)
            ldap_reply(c, m.msgid, rop, code);
        else if (act < 0)
            conn_close(c, "unsupported LDAP operation");
        proto_ldap_msg_clear(&m);
        if (!c->closing)
            consume(c, (size_t)fl);
    }
}

/* ---- RMI ---------------------------------------------------------------------- */

static void rmi_data(conn *c) {
    proto_rmi_info info;
    int r = proto_rmi_parse((const unsigned char *)c->buf, c->len, &info);
    if (r == PROTO_RMI_NEED_MORE || (r == PROTO_RMI_NEED_ACK && !c->overflow && c->len < c->cap_max)) {
        if (r == PROTO_RMI_NEED_ACK && !c->acked) {
            unsigned char ack[300];
            const char *host = c->lc->rmi_host[0] ? c->lc->rmi_host : c->ci.src_ip;
            size_t al = proto_rmi_ack(host, c->ci.src_port, ack, sizeof ack);
            c->acked = 1;
            conn_write2(c, ack, al, NULL, 0);
        }
        if (r == PROTO_RMI_NEED_MORE && (c->overflow || c->len >= c->cap_max))
            conn_close(c, "message too large");
        return;
    }
    json_t *body = json_object();
    json_t *rmi = json_object();
    hp_findings fs;
    hp_findings_init(&fs);
    const char *type = "rmi.call";
    if (r == PROTO_RMI_EBAD || r == PROTO_RMI_NEED_ACK) {
        type = "rmi.bad_message";
        json_object_set_new(body, "first_bytes", bytes_obj(c->buf, c->len, c->total_in));
        hp_findings_scan(&fs, c->srv->scanner, "first_bytes", c->buf, c->len, 0);
    } else {
        static const char *const pn[] = {"stream", "single_op", "multiplex"};
        json_object_set_new(rmi, "version", json_integer(info.version));
        json_object_set_new(rmi, "protocol",
                            json_string(info.protocol >= 0x4B && info.protocol <= 0x4D
                                            ? pn[info.protocol - 0x4B]
                                            : "unknown"));
        if (info.client_host[0] || info.client_port) {
            json_object_set_new(rmi, "client_host",
                                hp_json_bytes(info.client_host, strlen(info.client_host)));
            json_object_set_new(rmi, "client_port", json_integer(info.client_port));
        }
        if (info.have_call) {
            json_object_set_new(rmi, "objnum", json_integer(info.objnum));
            json_object_set_new(rmi, "op", json_integer(info.op));
            char hx[24];
            snprintf(hx, sizeof hx, "%016llx", (unsigned long long)info.hash);
            json_object_set_new(rmi, "hash", json_string(hx));
        } else {
            type = "rmi.message";
        }
        if (info.have_name) {
            json_object_set_new(rmi, "name", hp_json_bytes(info.name, info.name_len));
            scan_callback_name(&fs, c, "rmi", info.name, info.name_len, rmi);
        }
    }
    json_object_set_new(body, "rmi", rmi);
    put_findings(body, &fs);
    char sum[1024];
    int n = snprintf(sum, sizeof sum, "RMI %s name=\"%.*s\"", type + 4,
                     (int)(info.name_len < 600 ? info.name_len : 600), info.name);
    size_t sl = summary_findings(body, sum, n < 0 ? 0 : (size_t)n, sizeof sum);
    emit(c, type, body, sum, sl);
    conn_close(c, "closed after call"); /* never ReturnData */
}

/* ---- TCP ---------------------------------------------------------------------- */

static void tcp_data(conn *c) {
    /* conn_close records the first bytes; once they are in, stop listening */
    if (c->len >= c->cap_max || c->overflow)
        conn_close(c, "first bytes recorded");
}

/* ---- DNS ---------------------------------------------------------------------- */

static void dns_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out) {
    (void)suggested;
    lsock *l = h->data;
    *out = uv_buf_init(l->srv->udp_buf, sizeof l->srv->udp_buf);
}

static void dns_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                     unsigned flags) {
    lsock *l = u->data;
    server *s = l->srv;
    if (n <= 0 || !from || (flags & UV_UDP_PARTIAL) || s->stopping)
        return;
    hp_conn_info ci = {0};
    ci.listener = l->lc->name;
    ci.proto = HP_PROTO_DNS;
    hp_events_conn_id(s->ev, ci.conn_id);
    memcpy(&ci.src, from, from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                      : sizeof(struct sockaddr_in));
    addr_text(from, ci.src_ip, sizeof ci.src_ip, &ci.src_port);
    snprintf(ci.dst_ip, sizeof ci.dst_ip, "%s", l->ip);
    ci.dst_port = l->port;
    const unsigned char *pkt = (const unsigned char *)b->base;
    proto_dns_query q;
    json_t *body = json_object();
    json_t *dns = json_object();
    hp_findings fs;
    hp_findings_init(&fs);
    char sum[1200];
    size_t sl;
    if (proto_dns_parse(pkt, (size_t)n, &q) != 0) {
        json_object_set_new(body, "first_bytes", bytes_obj(b->base, (size_t)n, (size_t)n));
        json_object_set_new(body, "dns", dns);
        sl = (size_t)snprintf(sum, sizeof sum, "malformed DNS packet, %zd bytes", n);
        hp_findings_clear(&fs);
        hp_events_emit(s->ev, &ci, "dns.bad_packet", body, sum, sl);
        return;
    }
    int in_zone = proto_dns_in_zone(q.name, q.name_len, l->lc->zone);
    /* "self": the IPv4 address this socket is bound to (not a wildcard) */
    const char *ans = l->lc->answer_a;
    if (!strcmp(ans, "self"))
        ans = (strchr(l->ip, ':') || !strcmp(l->ip, "0.0.0.0")) ? "" : l->ip;
    uint8_t a4[4];
    int answer = in_zone && ans[0] && (q.qtype == 1 || q.qtype == 255) && q.qclass == 1 &&
                 inet_pton(AF_INET, ans, a4) == 1;
    int rcode = in_zone ? 0 : 5; /* NOERROR (maybe no data) / REFUSED */
    unsigned char out[2048];
    size_t ol = proto_dns_reply(pkt, &q, rcode, answer ? a4 : NULL, 60, out, sizeof out);
    if (ol) {
        uv_buf_t ub = uv_buf_init((char *)out, (unsigned)ol);
        uv_udp_try_send(u, &ub, 1, from);
    }
    json_object_set_new(dns, "name", hp_json_bytes(q.name, q.name_len));
    json_object_set_new(dns, "qtype", json_integer(q.qtype));
    json_object_set_new(dns, "qclass", json_integer(q.qclass));
    json_object_set_new(dns, "id", json_integer(q.id));
    json_object_set_new(dns, "in_zone", json_boolean(in_zone));
    if (answer)
        json_object_set_new(dns, "answer_a", json_string(ans));
    json_object_set_new(body, "dns", dns);
    hp_findings_scan(&fs, s->scanner, "dns:name", q.name, q.name_len, 0);
    put_findings(body, &fs);
    int m = snprintf(sum, sizeof sum, "DNS query %s type %u%s", q.name, q.qtype,
                     in_zone ? "" : " (outside the zone)");
    sl = summary_findings(body, sum, m < 0 ? 0 : (size_t)m, sizeof sum);
    hp_events_emit(s->ev, &ci, "dns.query", body, sum, sl);
}

/* ---- startup, signals, shutdown ---------------------------------------------------- */

static void close_noop(uv_handle_t *h) { (void)h; }

static void stop_server(server *s) {
    if (s->stopping)
        return;
    s->stopping = 1;
    for (size_t i = 0; i < s->nsocks; i++)
        if (!uv_is_closing((uv_handle_t *)&s->socks[i].h))
            uv_close((uv_handle_t *)&s->socks[i].h, close_noop);
    for (conn *c = s->conns, *n; c; c = n) {
        n = c->next;
        conn_close(c, "shutdown");
    }
    uv_close((uv_handle_t *)&s->sig_term, close_noop);
    uv_close((uv_handle_t *)&s->sig_int, close_noop);
    uv_close((uv_handle_t *)&s->sig_hup, close_noop);
    uv_close((uv_handle_t *)&s->tick, close_noop);
    uv_close((uv_handle_t *)&s->kick, close_noop);
    uv_close((uv_handle_t *)&s->kick_timer, close_noop);
}

static void on_kick_timer(uv_timer_t *t) {
    server *s = t->data;
    hp_events_kick(s->ev, 1);
}

static void on_kick(uv_check_t *h) {
    server *s = h->data;
    if (hp_events_kick(s->ev, 0) && !uv_is_active((uv_handle_t *)&s->kick_timer))
        uv_timer_start(&s->kick_timer, on_kick_timer, HP_KICK_MS, 0);
}

static void on_tick(uv_timer_t *t) {
    server *s = t->data;
    json_t *extra = json_object();
    json_t *conns = json_object();
    json_object_set_new(conns, "open", json_integer(s->nconns));
    json_object_set_new(conns, "over_max_connections", json_integer((json_int_t)s->rejected));
    json_object_set_new(conns, "refused_fd_limit", json_integer((json_int_t)s->fd_refused));
    json_object_set_new(conns, "accept_failed", json_integer((json_int_t)s->accept_failed));
    json_object_set_new(extra, "connections", conns);
    if (s->tls_default) {
        json_t *tls = json_object();
        json_object_set_new(tls, "handshakes", json_integer((json_int_t)s->tls_handshakes));
        json_object_set_new(tls, "handshakes_failed", json_integer((json_int_t)s->tls_failed));
        json_object_set_new(extra, "tls", tls);
    }
    hp_events_tick(s->ev, extra);
    json_decref(extra);
}

static void on_signal(uv_signal_t *h, int sig) {
    server *s = h->data;
    if (sig == SIGHUP) {
        if (hp_events_reopen(s->ev) != 0)
            fprintf(stderr, "defuse honeypot: cannot reopen %s: %s (keeping the old file)\n",
                    s->cfg->log_file, strerror(errno));
        return;
    }
    fprintf(stderr, "defuse honeypot: signal %d, shutting down\n", sig);
    stop_server(s);
}

static int bind_all(server *s, char *err, size_t errsz) {
    size_t total = 0;
    for (size_t i = 0; i < s->cfg->nlisteners; i++)
        for (size_t j = 0; j < s->cfg->listeners[i].nbinds; j++)
            total += s->cfg->listeners[i].binds[j].port_hi - s->cfg->listeners[i].binds[j].port_lo + 1;
    s->socks = calloc(total, sizeof *s->socks);
    if (!s->socks) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < s->cfg->nlisteners; i++) {
        const hp_listener_cfg *lc = &s->cfg->listeners[i];
        for (size_t j = 0; j < lc->nbinds; j++) {
            const hp_bind *b = &lc->binds[j];
            for (unsigned port = b->port_lo; port <= b->port_hi; port++) {
                lsock *l = &s->socks[s->nsocks];
                struct sockaddr_storage sa = b->addr;
                if (sa.ss_family == AF_INET)
                    ((struct sockaddr_in *)&sa)->sin_port = htons((uint16_t)port);
                else
                    ((struct sockaddr_in6 *)&sa)->sin6_port = htons((uint16_t)port);
                l->srv = s;
                l->lc = lc;
                l->port = port;
                unsigned dummy;
                addr_text((struct sockaddr *)&sa, l->ip, sizeof l->ip, &dummy);
                int rc;
                if (lc->proto == HP_PROTO_DNS) {
                    uv_udp_init(s->loop, &l->h.udp);
                    l->h.udp.data = l;
                    s->nsocks++;
                    rc = uv_udp_bind(&l->h.udp, (struct sockaddr *)&sa,
                                     sa.ss_family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
                    if (rc == 0)
                        rc = uv_udp_recv_start(&l->h.udp, dns_alloc, dns_recv);
                } else {
                    uv_tcp_init(s->loop, &l->h.tcp);
                    l->h.tcp.data = l;
                    s->nsocks++;
                    rc = uv_tcp_bind(&l->h.tcp, (struct sockaddr *)&sa,
                                     sa.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
                    if (rc == 0)
                        rc = uv_listen((uv_stream_t *)&l->h.tcp, 1024, on_connection);
                }
                if (rc != 0) {
                    snprintf(err, errsz, "listener '%s' (line %d): cannot listen on %s%s%s:%u: %s",
                             lc->name, b->line, sa.ss_family == AF_INET6 ? "[" : "", l->ip,
                             sa.ss_family == AF_INET6 ? "]" : "", port, uv_strerror(rc));
                    return -1;
                }
            }
        }
    }
    return 0;
}

/* Creates the TLS context of each TLS listener (loading or generating its
 * certificate); listeners sharing the certificate files share a context. */
static int tls_setup(server *s, char *err, size_t errsz) {
    const hp_config *cfg = s->cfg;
    s->tls_ctx = calloc(cfg->nlisteners ? cfg->nlisteners : 1, sizeof *s->tls_ctx);
    if (!s->tls_ctx) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->nlisteners; i++) {
        const hp_listener_cfg *lc = &cfg->listeners[i];
        if (!lc->tls)
            continue;
        char cert[600], key[600], c2[600], k2[600];
        hp_tls_paths(cfg, lc, cert, key, sizeof cert);
        for (size_t j = 0; j < i && !s->tls_ctx[i]; j++) {
            if (!s->tls_ctx[j])
                continue;
            hp_tls_paths(cfg, &cfg->listeners[j], c2, k2, sizeof c2);
            if (!strcmp(cert, c2) && !strcmp(key, k2)) {
                SSL_CTX_up_ref(s->tls_ctx[j]);
                s->tls_ctx[i] = s->tls_ctx[j];
            }
        }
        if (s->tls_ctx[i])
            continue;
        int generated = 0;
        if (hp_tls_ctx_new(cfg, lc, &s->tls_ctx[i], &generated, err, errsz) != 0)
            return -1;
        if (generated) {
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned mdl = 0;
            char hex[3 * EVP_MAX_MD_SIZE + 1] = "";
            X509 *x = SSL_CTX_get0_certificate(s->tls_ctx[i]);
            if (x && X509_digest(x, EVP_sha256(), md, &mdl))
                for (unsigned k = 0; k < mdl; k++)
                    snprintf(hex + 3 * k, 4, "%02X%s", md[k], k + 1 < mdl ? ":" : "");
            fprintf(stderr,
                    "defuse honeypot: generated a self-signed TLS certificate %s (key %s, mode "
                    "0600), SHA-256 %s\n",
                    cert, key, hex);
        }
        if (!s->tls_default)
            s->tls_default = s->tls_ctx[i];
    }
    return 0;
}

static int drop_privileges(const char *user, char *err, size_t errsz) {
    if (!user[0])
        return 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errsz, "user '%s' does not exist", user);
        return -1;
    }
    if (geteuid() != 0) {
        if (geteuid() == pw->pw_uid)
            return 0;
        snprintf(err, errsz, "cannot switch to user '%s': not running as root", user);
        return -1;
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        snprintf(err, errsz, "cannot switch to user '%s': %s", user, strerror(errno));
        return -1;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        snprintf(err, errsz, "privileges could be regained after dropping them");
        return -1;
    }
    return 0;
}

/* Descriptors kept free beside the connections: listening sockets are
 * counted separately; this covers stdio, the sinks (log file, stdout, syslog
 * and webhook sockets), libuv's epoll, signal and async descriptors, and
 * the one a connection over the cap briefly holds before it is closed. */
#define FD_RESERVE 32u

/* Raises the soft fd limit to what max_connections needs; when the hard
 * limit is lower, warns and returns the number of connections that fit, so
 * the ones past it are accepted and closed with an event (counted) instead
 * of failing in accept(), which libuv would hide. */
static unsigned fd_conn_cap(const hp_config *cfg, size_t nsockets) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return cfg->max_connections;
    rlim_t want = (rlim_t)cfg->max_connections + nsockets + FD_RESERVE;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || want < rl.rlim_max ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur >= want)
        return cfg->max_connections;
    long room = (long)rl.rlim_cur - (long)nsockets - (long)FD_RESERVE;
    unsigned cap = room > 0 ? (unsigned)room : 0;
    fprintf(stderr,
            "defuse honeypot: warning: max_connections %u needs %llu file descriptors but the "
            "limit is %llu: %u connections at once, the rest refused (event "
            "connection.rejected, counted); raise LimitNOFILE / ulimit -n or lower "
            "max_connections\n",
            cfg->max_connections, (unsigned long long)want, (unsigned long long)rl.rlim_cur, cap);
    return cap;
}

static void walk_close(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, close_noop);
}

int hp_server_run(const hp_config *cfg) {
    char err[512] = "";
    int status = 2;
    server *s = calloc(1, sizeof *s);
    uv_loop_t loop;
    int loop_ok = 0;
    if (!s) {
        fprintf(stderr, "defuse honeypot: out of memory\n");
        return 2;
    }
    s->cfg = cfg;
    if (uv_loop_init(&loop) != 0) {
        snprintf(err, sizeof err, "cannot create the event loop");
        goto out;
    }
    loop_ok = 1;
    s->loop = &loop;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit is a write error (EFBIG), not death */
    if (defuse_scanner_new(&s->scanner, NULL) != 0) {
        snprintf(err, sizeof err, "cannot create the detector");
        goto out;
    }
    if (hp_events_new(&s->ev, cfg, err, sizeof err) != 0)
        goto out;
    if (bind_all(s, err, sizeof err) != 0)
        goto out;
    s->conn_cap = fd_conn_cap(cfg, s->nsocks);
    if (tls_setup(s, err, sizeof err) != 0) /* may write the key: still privileged */
        goto out;
    if (drop_privileges(cfg->user, err, sizeof err) != 0)
        goto out;
    if (hp_events_start(s->ev, err, sizeof err) != 0)
        goto out;
    uv_signal_init(s->loop, &s->sig_term);
    uv_signal_init(s->loop, &s->sig_int);
    uv_signal_init(s->loop, &s->sig_hup);
    s->sig_term.data = s->sig_int.data = s->sig_hup.data = s;
    uv_signal_start(&s->sig_term, on_signal, SIGTERM);
    uv_signal_start(&s->sig_int, on_signal, SIGINT);
    uv_signal_start(&s->sig_hup, on_signal, SIGHUP);
    uv_timer_init(s->loop, &s->tick);
    s->tick.data = s;
    uv_timer_start(&s->tick, on_tick, 1000, 1000);
    uv_timer_init(s->loop, &s->kick_timer);
    s->kick_timer.data = s;
    uv_check_init(s->loop, &s->kick);
    s->kick.data = s;
    uv_check_start(&s->kick, on_kick);
    fprintf(stderr, "defuse honeypot: ready, %zu sockets on %zu listeners\n", s->nsocks,
            cfg->nlisteners);
    uv_run(s->loop, UV_RUN_DEFAULT);
    status = 0;
out:
    if (err[0])
        fprintf(stderr, "defuse honeypot: %s\n", err);
    if (loop_ok) {
        uv_walk(s->loop, walk_close, NULL);
        uv_run(s->loop, UV_RUN_DEFAULT);
        uv_loop_close(s->loop);
    }
    if (s->ev) {
        hp_events_stop(s->ev, cfg->shutdown_timeout_ms);
        hp_stats st;
        hp_events_stats(s->ev, &st);
        hp_events_free(s->ev);
        if (status == 0) {
            fprintf(stderr,
                    "defuse honeypot: stopped: %llu events, %llu suppressed (per source), "
                    "%llu suppressed (global ceiling), %llu ignored, %llu connections over "
                    "max_connections, %llu refused at the file descriptor limit, %llu failed "
                    "to accept\n",
                    st.emitted, st.suppressed, st.global_suppressed, st.ignored, s->rejected,
                    s->fd_refused, s->accept_failed);
            if (s->tls_default)
                fprintf(stderr, "defuse honeypot: TLS: %llu handshakes, %llu failed\n",
                        s->tls_handshakes, s->tls_failed);
            for (size_t i = 0; i < st.nsinks; i++) {
                const hp_sink_stat *k = &st.sinks[i];
                fprintf(stderr,
                        "defuse honeypot: %s: %llu of %llu events delivered, %llu dropped "
                        "(queue full), %llu failed, %llu lost at exit%s%s\n",
                        k->name, k->delivered, k->accepted, k->dropped, k->failed, k->lost_at_exit,
                        k->failing ? "; last error: " : "", k->error);
            }
        }
    }
    defuse_scanner_free(s->scanner);
    if (s->tls_ctx)
        for (size_t i = 0; i < cfg->nlisteners; i++)
            SSL_CTX_free(s->tls_ctx[i]);
    free(s->tls_ctx);
    for (size_t i = 0; i < s->npool; i++)
        free(s->pool[i]);
    free(s->socks);
    free(s);
    return status;
}
