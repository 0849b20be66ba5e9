/*
 * log_pipe.c -- `defuse logs` as a stage of a log pipeline:
 *   --syslog=udp://HOST:PORT, --syslog=tcp://HOST:PORT, --webhook=URL
 *       every finding also goes out as an RFC 5424 message whose MSG is the
 *       finding's JSON, or as a JSON POST, through the sinks shared with the
 *       honeypot (sinks/sinks.h: a bounded queue and a sender thread per
 *       destination, failures counted and reported);
 *   --omprog
 *       rsyslog's omprog output module with confirmMessages="on": an "OK"
 *       line when ready, then one "OK" per message read on stdin, written
 *       only once that message's findings were handed to every collector
 *       (rsyslog keeps unconfirmed messages queued and sends them again to
 *       the restarted program, so a crash or restart loses nothing).
 * The finding JSON comes from log_scan.c (lrec.json): every '$' is written
 * as \u0024, so no live "${" reaches a collector.
 */
#include "logs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sinks.h"

extern volatile sig_atomic_t logs_stop;

struct lpipe {
    sinks *s;
    int facility;
    int want_syslog;
    char udp[160], tcp[160], webhook[512];
    char *buf; /* the JSON line, grown */
    size_t cap;
    char *msg; /* the syslog message, grown */
    size_t msgcap;
};

/* Syslog severity per kind: warning for what log4j acts on, notice for
 * the rest (as the honeypot does for detections and other events). */
static const int kind_severity[DEFUSE_KIND_COUNT] = {4, 4, 4, 5, 5};

int lpipe_add_dest(lpipe_opts *o, const char *spec, int is_syslog) {
    char kind, hp[512], err[600];
    const char *opt = is_syslog ? "--syslog" : "--webhook";
    if (sinks_parse_dest(spec, &kind, hp, sizeof hp, err, sizeof err) != 0) {
        fprintf(stderr, "defuse logs: %s: %s\n", opt, err);
        return -1;
    }
    if ((kind == 'w') == is_syslog) {
        fprintf(stderr, "defuse logs: %s: '%s': %s\n", opt, spec,
                is_syslog ? "wants udp://HOST:PORT or tcp://HOST:PORT (an http(s) URL goes "
                            "with --webhook)"
                          : "wants an http:// or https:// URL");
        return -1;
    }
    for (size_t i = 0; i < o->ndest; i++) {
        char k2, hp2[512];
        if (sinks_parse_dest(o->dest[i], &k2, hp2, sizeof hp2, err, sizeof err) == 0 &&
            k2 == kind) {
            fprintf(stderr, "defuse logs: %s: one %s destination at most ('%s' and '%s')\n",
                    opt, kind == 'u' ? "udp" : kind == 't' ? "tcp" : "webhook", o->dest[i], spec);
            return -1;
        }
    }
    if (o->ndest >= LPIPE_MAX_DEST) {
        fprintf(stderr, "defuse logs: too many --syslog/--webhook destinations\n");
        return -1;
    }
    o->dest[o->ndest++] = spec;
    return 0;
}

int lpipe_open(lpipe **out, const lpipe_opts *o) {
    *out = NULL;
    lpipe *p = calloc(1, sizeof *p);
    if (!p) {
        fprintf(stderr, "defuse logs: out of memory\n");
        return -1;
    }
    p->facility = o->facility;
    for (size_t i = 0; i < o->ndest; i++) {
        char kind, hp[512], err[600];
        if (sinks_parse_dest(o->dest[i], &kind, hp, sizeof hp, err, sizeof err) != 0)
            continue; /* checked by lpipe_add_dest */
        char *to = kind == 'u' ? p->udp : kind == 't' ? p->tcp : p->webhook;
        size_t tsz = kind == 'w' ? sizeof p->webhook : sizeof p->udp;
        snprintf(to, tsz, "%s", hp);
    }
    p->want_syslog = p->udp[0] || p->tcp[0];
    sinks_config sc = {
        .who = "defuse logs",
        .user_agent = "defuse-logs/" DEFUSE_VERSION,
        .syslog_udp = p->udp,
        .syslog_tcp = p->tcp,
        .webhook = p->webhook,
        .webhook_retries = 3,
        .webhook_timeout_ms = 5000,
        .queue_size = 10000,
        .log_buffer = 16u << 20,
    };
    char err[600];
    if (sinks_new(&p->s, &sc, err, sizeof err) != 0) {
        fprintf(stderr, "defuse logs: %s\n", err);
        free(p);
        return -1;
    }
    if (sinks_start(p->s) != 0) {
        fprintf(stderr, "defuse logs: cannot start the sender threads\n");
        sinks_free(p->s);
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

/* Grows *b to hold need bytes.  Returns 0 or -1. */
static int grow(char **b, size_t *cap, size_t need) {
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    char *n = realloc(*b, c);
    if (!n)
        return -1;
    *b = n;
    *cap = c;
    return 0;
}

void lpipe_send(lpipe *p, const char *file, uint64_t line, uint64_t end_line, defuse_kind kind,
                const char *json) {
    static const char hx[] = "0123456789abcdef";
    size_t fl = strlen(file), jl = strlen(json);
    if (grow(&p->buf, &p->cap, fl * 6 + jl + 96) != 0)
        return; /* out of memory: the sinks count nothing; said by the caller's exit */
    size_t n = 0;
    n += (size_t)sprintf(p->buf, "{\"file\":\"");
    /* the name as a JSON string; bytes that are not printable ASCII as
     * \u00XX (Latin-1), '$' too */
    for (const unsigned char *c = (const unsigned char *)file; *c; c++) {
        if (*c == '"' || *c == '\\') {
            p->buf[n++] = '\\';
            p->buf[n++] = (char)*c;
        } else if (*c < 0x20 || *c >= 0x7F || *c == '$') {
            n += (size_t)sprintf(p->buf + n, "\\u00%c%c", hx[*c >> 4], hx[*c & 15]);
        } else {
            p->buf[n++] = (char)*c;
        }
    }
    n += (size_t)sprintf(p->buf + n, "\",\"line\":%llu", (unsigned long long)line);
    if (end_line)
        n += (size_t)sprintf(p->buf + n, ",\"end_line\":%llu", (unsigned long long)end_line);
    const char *rest = json[0] == '{' ? json + 1 : json;
    if (*rest != '}')
        p->buf[n++] = ',';
    memcpy(p->buf + n, rest, strlen(rest));
    n += strlen(rest);
    p->buf[n++] = '\n';
    size_t ml = 0;
    if (p->want_syslog && grow(&p->msg, &p->msgcap, n + 512) == 0) {
        int sev = (unsigned)kind < DEFUSE_KIND_COUNT ? kind_severity[kind] : 5;
        ml = sinks_syslog_format(p->msg, p->msgcap, p->facility * 8 + sev, "defuse-logs",
                                 "finding", p->buf, n - 1);
    }
    sinks_push(p->s, p->buf, n, p->msg, ml);
    /* Woken now, not once a batch has filled: under --follow or reading a
     * pipe (tail -f | defuse logs) the next finding may come much later.
     * A wake-up costs a signal only when the sender is asleep; a dense log
     * still gets its findings sent in batches. */
    sinks_kick(p->s, 1);
}

int lpipe_flush(lpipe *p, unsigned timeout_ms) {
    return sinks_flush(p->s, timeout_ms);
}

/* How long the end of a run waits for the collectors (webhook retries:
 * 3 attempts after the first, 5 s timeout each, backoff up to 2 s). */
#define LPIPE_CLOSE_MS 30000u

unsigned long long lpipe_close(lpipe *p) {
    if (!p)
        return 0;
    /* everything gets its retries (sinks_stop would cut them short to
     * meet its deadline), then the senders stop */
    sinks_flush(p->s, LPIPE_CLOSE_MS);
    sinks_stop(p->s, 1000);
    sinks_stat st[SINKS_MAX];
    size_t n = sinks_stats(p->s, st, SINKS_MAX);
    unsigned long long lost = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned long long l = st[i].dropped + st[i].failed + st[i].queued + st[i].lost_at_exit;
        if (l)
            fprintf(stderr, "defuse logs: %s: %llu findings not delivered (of %llu)%s%s\n",
                    st[i].name, l, st[i].accepted, st[i].error[0] ? ": " : "", st[i].error);
        lost += l;
    }
    sinks_free(p->s);
    free(p->buf);
    free(p->msg);
    free(p);
    return lost;
}

/* ---- --omprog ----------------------------------------------------------------- */

typedef struct omctx {
    lpipe *p;
    uint64_t findings, sent;
} omctx;

static void om_sink(void *user, lrec *r) {
    omctx *c = user;
    if (r->type == LREC_FINDING) {
        c->findings++;
        if (r->json) {
            lpipe_send(c->p, "-", r->line, r->end_line, r->kind, r->json);
            c->sent++;
        }
    } else if (r->text) {
        fprintf(stderr, "defuse logs: message %llu: %s\n", (unsigned long long)r->line, r->text);
    }
    lrec_free(r);
}

/* Writes all of s to stdout (the confirmations).  Returns 0 or -1. */
static int say(const char *s) {
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* How long a message's findings may take to reach the collectors before
 * the message is refused (rsyslog sends it again after its resumeInterval). */
#define OM_FLUSH_MS 30000u

int lpipe_omprog(lpipe *p, const lscan_opts *o, uint64_t *findings) {
    lscan_opts so = *o;
    so.want_json = 1;
    so.quiet = 1;
    so.want_line = 0;
    defuse_scanner *sc = NULL;
    lscan *ls = NULL;
    omctx c = {p, 0, 0};
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (lscan_scanner_new(&sc, &so) != 0 ||
        lscan_new(&ls, &so, sc, tm.tm_year + 1900, om_sink, &c) != 0) {
        fprintf(stderr, "defuse logs: --omprog: out of memory\n");
        defuse_scanner_free(sc);
        return -1;
    }
    int rc = 0;
    char *buf = malloc(LOGS_BLOCK);
    if (!buf || say("OK\n") != 0) {
        fprintf(stderr, "defuse logs: --omprog: %s\n", buf ? strerror(errno) : "out of memory");
        rc = -1;
    }
    while (rc == 0 && !logs_stop) {
        ssize_t n = read(STDIN_FILENO, buf, LOGS_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "defuse logs: --omprog: standard input: %s\n", strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        /* one message per line: scanned (a "${" left open is not joined
         * with the next message), its findings delivered, then confirmed */
        size_t at = 0;
        while (at < (size_t)n && rc == 0) {
            const char *nl = memchr(buf + at, '\n', (size_t)n - at);
            size_t end = nl ? (size_t)(nl - buf) + 1 : (size_t)n;
            int err = lscan_feed(ls, buf + at, end - at);
            if (err == 0 && nl && lscan_joining(ls))
                err = lscan_join_flush(ls);
            at = end;
            if (!nl)
                break; /* the rest of this message comes with the next read */
            const char *answer = "OK\n";
            if (err != 0)
                answer = "error: scanner failure\n";
            else if (lpipe_flush(p, OM_FLUSH_MS) != 0)
                answer = "error: findings not delivered to every collector\n";
            if (say(answer) != 0) {
                fprintf(stderr, "defuse logs: --omprog: standard output: %s\n", strerror(errno));
                rc = -1;
            }
        }
    }
    if (rc == 0 && lscan_finish(ls) == 0)
        lpipe_flush(p, OM_FLUSH_MS);
    lscan_free(ls);
    defuse_scanner_free(sc);
    free(buf);
    *findings = c.findings;
    return rc;
}
