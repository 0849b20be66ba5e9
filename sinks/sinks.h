/*
 * sinks.h -- where findings and events go, shared by `defuse honeypot` and
 * `defuse logs`: a JSON Lines file, stdout, syslog (RFC 5424) over UDP and
 * over TCP with RFC 6587 octet counting, and a webhook (HTTP POST of the
 * JSON through libcurl, opened with dlopen() on first use so that programs
 * without a webhook do not load it) with retries.
 *
 * Every sink has its own bounded queue and its own sender thread, so a full
 * disk, a stalled stdout pipe or a slow collector costs that sink's
 * messages (dropped when its queue is full, and counted), never the
 * caller's latency nor another sink's delivery.  Failures are reported on
 * stderr once when they start and once when they end, prefixed with
 * cfg->who.  Only the configured collectors are ever contacted.
 */
#ifndef DEFUSE_SINKS_H
#define DEFUSE_SINKS_H
#include <stddef.h>

/* What to open.  Every string is BORROWED for the life of the sinks; an
 * empty or NULL string means "not configured". */
typedef struct sinks_config {
    const char *who;          /* stderr prefix: "defuse honeypot", "defuse logs" */
    const char *user_agent;   /* webhook User-Agent */
    const char *log_file;     /* JSON Lines file, appended */
    int log_stdout;           /* JSON Lines on stdout */
    const char *syslog_udp;   /* host:port ([v6]:port) */
    const char *syslog_tcp;
    const char *webhook;      /* http:// or https:// URL */
    unsigned webhook_retries; /* further attempts after a failed POST */
    unsigned webhook_timeout_ms;
    unsigned queue_size;      /* messages waiting per remote sink (>= 1) */
    size_t log_buffer;        /* bytes of messages waiting per sink (>= 64 KiB) */
} sinks_config;

/* One sink's counters.  accepted = delivered + dropped + failed + queued
 * (+ lost_at_exit after the stop). */
typedef struct sinks_stat {
    const char *name; /* log_file, stdout, syslog_udp, syslog_tcp, webhook */
    int failing;      /* the last attempt failed */
    char error[160];  /* why, while failing */
    unsigned long long accepted, delivered, dropped, failed, queued, lost_at_exit;
} sinks_stat;

#define SINKS_MAX 5

typedef struct sinks sinks;

/* Opens the log file, resolves the collectors and (for a webhook) loads
 * libcurl.  cfg is copied; its strings stay BORROWED.  OUT: *out.
 * Returns 0 or -1 with err set (naming the sink and the reason). */
int sinks_new(sinks **out, const sinks_config *cfg, char *err, size_t errsz);

/* Starts the sender threads.  Returns 0 or -1. */
int sinks_start(sinks *s);

/* Queues one message: line[0..ll) (JSON and its newline) for the file,
 * stdout and the webhook (without the newline), msg[0..ml) (a complete
 * RFC 5424 message) for syslog.  A sink whose queue is full counts the
 * message dropped.  Never blocks on I/O. */
void sinks_push(sinks *s, const char *line, size_t ll, const char *msg, size_t ml);

/* Wakes the senders that have many messages queued, or any when force.
 * Returns 1 if some sender has messages and was left asleep (the caller
 * then kicks with force soon). */
int sinks_kick(sinks *s, int force);

/* Wakes every sender and waits, at most timeout_ms, until each has handed
 * all it had queued to its destination (delivered, or given up after its
 * retries).  Returns 0 when everything pushed since the previous
 * sinks_flush() was delivered, -1 when something was dropped or failed or
 * the time ran out. */
int sinks_flush(sinks *s, unsigned timeout_ms);

/* Returns 1 if a syslog sink is configured (msg is needed). */
int sinks_want_syslog(const sinks *s);

/* Reopens the log file (SIGHUP); the sender switches at its next write.
 * Returns 0 or -1 (old file kept). */
int sinks_reopen(sinks *s);

/* Fills out[0..max) with each configured sink's counters.  Returns the count. */
size_t sinks_stats(sinks *s, sinks_stat *out, size_t max);

/* Lets the senders deliver what is queued until drain_ms, then stops them
 * (a sender stuck past drain_ms + 3 s is abandoned, its queue counted lost). */
void sinks_stop(sinks *s, unsigned drain_ms);

/* Frees s (after sinks_stop). */
void sinks_free(sinks *s);

/* Formats an RFC 5424 message into out[0..outsz): "<PRI>1 TIMESTAMP HOST
 * APP PID MSGID - MSG" with the current UTC time and host name; pri =
 * facility * 8 + severity; msg[0..ml) is copied as is (the caller makes it
 * safe), cut to fit.  Returns the length (< outsz). */
size_t sinks_syslog_format(char *out, size_t outsz, int pri, const char *app, const char *msgid,
                           const char *msg, size_t ml);

/* Checks a --syslog / --webhook style destination: "udp://HOST:PORT",
 * "tcp://HOST:PORT" (*kind 'u' or 't', hostport[] gets "HOST:PORT"), or
 * an http(s) URL (*kind 'w').  Returns 0 or -1 with err set. */
int sinks_parse_dest(const char *spec, char *kind, char *hostport, size_t hpsz, char *err,
                     size_t errsz);

#endif /* DEFUSE_SINKS_H */
