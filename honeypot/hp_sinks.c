/*
 * hp_sinks.c -- the honeypot's side of the shared sinks (sinks/sinks.h):
 * the log file, stdout, syslog over UDP and TCP and the webhook, configured
 * from hp_config.  Queues, sender threads, failure reporting and delivery
 * are sinks/sinks.c, the one implementation `defuse logs` uses too.
 */
#include "honeypot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks.h"

struct hp_sinks {
    sinks *s;
};

int hp_sinks_new(hp_sinks **out, const hp_config *cfg, char *err, size_t errsz) {
    *out = NULL;
    hp_sinks *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    sinks_config sc = {
        .who = "defuse honeypot",
        .user_agent = "defuse-honeypot/" DEFUSE_VERSION,
        .log_file = cfg->log_file,
        .log_stdout = cfg->log_stdout > 0,
        .syslog_udp = cfg->syslog_udp,
        .syslog_tcp = cfg->syslog_tcp,
        .webhook = cfg->webhook,
        .webhook_retries = cfg->webhook_retries,
        .webhook_timeout_ms = cfg->webhook_timeout_ms,
        .queue_size = cfg->queue_size,
        .log_buffer = cfg->log_buffer,
    };
    if (sinks_new(&h->s, &sc, err, errsz) != 0) {
        free(h);
        return -1;
    }
    *out = h;
    return 0;
}

int hp_sinks_start(hp_sinks *h) {
    return sinks_start(h->s);
}

void hp_sinks_push(hp_sinks *h, const char *line, size_t ll, const char *msg, size_t ml) {
    sinks_push(h->s, line, ll, msg, ml);
}

int hp_sinks_kick(hp_sinks *h, int force) {
    return sinks_kick(h->s, force);
}

int hp_sinks_want_syslog(const hp_sinks *h) {
    return sinks_want_syslog(h->s);
}

int hp_sinks_reopen(hp_sinks *h) {
    return sinks_reopen(h->s);
}

size_t hp_sinks_stats(hp_sinks *h, hp_sink_stat *out, size_t max) {
    sinks_stat st[SINKS_MAX];
    size_t n = h ? sinks_stats(h->s, st, SINKS_MAX) : 0;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].name = st[i].name;
        out[i].failing = st[i].failing;
        snprintf(out[i].error, sizeof out[i].error, "%s", st[i].error);
        out[i].accepted = st[i].accepted;
        out[i].delivered = st[i].delivered;
        out[i].dropped = st[i].dropped;
        out[i].failed = st[i].failed;
        out[i].queued = st[i].queued;
        out[i].lost_at_exit = st[i].lost_at_exit;
    }
    return n;
}

void hp_sinks_stop(hp_sinks *h, unsigned drain_ms) {
    if (h)
        sinks_stop(h->s, drain_ms);
}

void hp_sinks_free(hp_sinks *h) {
    if (!h)
        return;
    sinks_free(h->s);
    free(h);
}
