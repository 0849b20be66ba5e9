/*
 * report.h -- `defuse report`: aggregates of findings, edge and honeypot
 * events (and, with a register, exposures) rendered as one self-contained
 * HTML page.
 *
 * Memory is bounded whatever the input: every input line is folded into
 * aggregates (per-bucket counters, bounded top-N tables, distinct-count
 * sketches); no row is kept.  Values are copied truncated to
 * REP_MAX_VALUE bytes.  Nothing here prints or exits (the HTML goes to the
 * FILE the caller gives); errors are -1 with a message.
 *
 * Input kinds are recognised per line by content (rep_add_line):
 *   finding   `defuse logs --json` lines: "kind" and "payload"/"decoded",
 *             no "request"/"event"
 *   summary   the `defuse logs --json --summary` last line ("summary":true):
 *             its "lines" total is kept (findings are not counted twice)
 *   nginx     `defuse_log` lines: a "request" object and an "action"
 *             (the client under request.client or request.src_ip, or a
 *             top-level src_ip)
 *   honeypot  defuse-honeypot events: "event" with "listener"/"protocol"
 *             (or "event_id"); the event's "findings" array is counted
 *   log       anything else: a raw log line, scanned here with libdefuse
 *             (its time and source taken as `defuse logs` takes them)
 */
#ifndef DEFUSE_REPORT_H
#define DEFUSE_REPORT_H

#include <defuse.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REP_MAX_VALUE 200u     /* bytes of one stored value (source, host, key...) */
#define REP_TOP_CAP 2048u      /* entries of one top-N table before it is pruned */
#define REP_MAX_INTERNAL 64u   /* --internal CIDRs */
#define REP_MAX_HOURS 20000u   /* hour buckets kept (2.3 years); later ones counted as dropped */
#define REP_MAX_MINUTES 10080u /* minute buckets kept (a week); past it, hours only */
#define REP_BUCKET_BITS 1024u  /* bits of a bucket's distinct-source bitmap */
#define REP_LINE_MAX ((size_t)1 << 20) /* bytes of one input line parsed */

/* ---- top-N: a bounded frequency table ------------------------------------- */

/* Counts values; when REP_TOP_CAP distinct values are held, the lower half
 * (by count) is dropped and `err` records the largest dropped count, so
 * every kept count is exact up to +err (the Misra-Gries bound).  Ties are
 * broken by first insertion. */
typedef struct rep_top_ent {
    char *key;
    uint64_t n;
    uint64_t seq; /* insertion order */
    unsigned flags; /* caller's bits (e.g. REP_F_INTERNAL), OR-ed over adds */
} rep_top_ent;
typedef struct rep_top {
    rep_top_ent *e;
    size_t n;
    uint32_t *slot; /* open addressing over e (index+1; 0 empty) */
    size_t nslot;
    uint64_t seq;
    uint64_t err;    /* largest count dropped by pruning */
    uint64_t total;  /* every add, kept or not */
} rep_top;

void rep_top_init(rep_top *t);
void rep_top_free(rep_top *t);
/* Adds n to key[0..len) (truncated to REP_MAX_VALUE).  Returns 0, -1 on ENOMEM. */
int rep_top_add(rep_top *t, const char *key, size_t len, uint64_t n, unsigned flags);
/* Sorts the kept entries by count (descending), then insertion order.
 * Returns the number of entries (t->e[0..]). */
size_t rep_top_sorted(rep_top *t);

/* ---- distinct counting ------------------------------------------------------ */

/* HyperLogLog, 2^12 registers (hand-written: no Debian library offers a
 * mergeable distinct counter this small; standard error ~1.6%). */
typedef struct rep_hll {
    uint8_t reg[4096];
} rep_hll;
void rep_hll_add(rep_hll *h, uint64_t hash);
double rep_hll_count(const rep_hll *h);

uint64_t rep_hash(const char *s, size_t n);

/* ---- time buckets ----------------------------------------------------------- */

enum { REP_KINDS = DEFUSE_KIND_COUNT };
enum { REP_ACT_BLOCK, REP_ACT_DETECT, REP_ACT_PASS, REP_ACTS };

typedef struct rep_bucket {
    int64_t key; /* hours or minutes since 1970 */
    uint64_t kind[REP_KINDS];
    uint64_t lines;       /* raw log lines read in this bucket */
    uint64_t act[REP_ACTS];
    uint64_t hp_events;
    uint8_t src[REP_BUCKET_BITS / 8]; /* linear-counting bitmap of sources */
} rep_bucket;

typedef struct rep_buckets {
    rep_bucket *b;
    size_t n, cap, max;
    uint32_t *slot;
    size_t nslot;
    uint64_t dropped; /* adds to buckets past max */
} rep_buckets;

/* ---- the aggregate ---------------------------------------------------------- */

typedef struct rep_cidr {
    unsigned char addr[16]; /* IPv4 as ::ffff:a.b.c.d */
    unsigned bits;          /* prefix length over the 128 bits */
} rep_cidr;

#define REP_F_INTERNAL 1u

typedef struct rep_opts {
    rep_cidr internal[REP_MAX_INTERNAL];
    size_t ninternal;
    const char *title; /* page title; NULL: "defuse report" */
    int64_t now;       /* "generated at" (seconds), for the register's SLA clocks */
} rep_opts;

/* Counters of one input kind. */
enum { REP_IN_FINDING, REP_IN_SUMMARY, REP_IN_NGINX, REP_IN_HONEYPOT, REP_IN_LOG, REP_INS };

typedef struct rep {
    rep_opts o;
    defuse_scanner *sc; /* for raw log lines (created on first use) */
    uint64_t in_lines[REP_INS];
    uint64_t bad_json;     /* lines that looked like JSON but did not parse */
    uint64_t no_time;      /* findings without a usable time */
    uint64_t summary_lines; /* "lines" of `defuse logs --summary` objects */
    uint64_t findings;     /* all findings (logs, nginx, honeypot) */
    uint64_t kind[REP_KINDS];
    int64_t first_ms, last_ms; /* first and last finding (INT64_MAX/MIN: none) */
    rep_buckets hours, minutes;
    rep_top src, internal_src, cb_host, cb_port, exfil, command, technique, scheme;
    rep_top hp_listener, hp_protocol, hp_event, hp_src;
    uint64_t act[REP_ACTS];
    uint64_t nginx_findings;
    rep_hll src_hll;      /* sources of findings */
    rep_hll internal_hll; /* internal sources of findings and honeypot contacts */
    /* with a register (rep_add_register) */
    int have_register;
    rep_top exp_env_cve;  /* "env\x1fcve" -> open exposures */
    rep_top exp_state;    /* state -> exposures */
    rep_top exp_sla;      /* "breached"/"due24h"/"ontrack" -> open exposures */
    rep_top exp_overdue;  /* asset\x1fcve\x1fenv -> hours past due */
    rep_top vendor_status;
    rep_top vendor_overdue; /* name -> 1 */
    uint64_t exp_open, exp_closed;
    int64_t burn_start;   /* first day (days since 1970) of the burndown */
    uint32_t burn_open[120]; /* open exposures at the end of each of 120 days */
    char err[1280];
} rep;

/* o may be NULL (defaults).  Returns 0, -1 (ENOMEM). */
int rep_init(rep *r, const rep_opts *o);
void rep_free(rep *r);

/* Parses "10.0.0.0/8,fd00::/8,192.0.2.7" into o->internal (appending).
 * Returns 0, or -1 with a message naming the bad item in err. */
int rep_parse_cidrs(rep_opts *o, const char *list, char *err, size_t errlen);
/* 1 if ip (text) is RFC 1918 / RFC 4193 or inside one of o's CIDRs. */
int rep_is_internal(const rep_opts *o, const char *ip, size_t len);

/* Folds one input line (no newline; any bytes) into r.  Returns 0, or -1
 * when out of memory (r->err). */
int rep_add_line(rep *r, const char *line, size_t len);

/* Parses an ISO 8601 time "YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|+HH:MM|+HHMM]"
 * (no zone: UTC).  OUT: *ms since 1970.  Returns 0 or -1. */
int rep_parse_time(const char *s, size_t n, int64_t *ms);

/* Reads the exposures and vendors of a register (a SQLite path or a
 * postgresql:// URL) through its query interface (register/reg.h).
 * Returns 0, or -1 with a message in r->err. */
int rep_add_register(rep *r, const char *target);

/* ---- HTML ------------------------------------------------------------------- */

/* Writes s[0..n) HTML-escaped: & < > " ' as entities, control bytes, DEL
 * and invalid UTF-8 as U+FFFD-free visible "\xHH"; never more than
 * `max` input bytes ("…" appended when cut). */
void rep_html_esc(FILE *out, const char *s, size_t n, size_t max);
/* Writes s defanged (defuse_defang) then HTML-escaped. */
void rep_html_defanged(FILE *out, const char *s, size_t n, size_t max);

/* Writes the page.  Returns 0, -1 on a write error. */
int rep_write_html(rep *r, FILE *out);

#endif
