/*
 * logs.h -- declarations shared by the files of `defuse logs`:
 *   log_input.c    opening a log: stdin, plain, compressed (libarchive),
 *                  UTF-8 BOM, UTF-16 and binary checks of the start
 *   log_format.c   src_ip and time of a line (access, error, JSON, syslog,
 *                  log4j layouts)
 *   log_scan.c     the line scanner: candidate jumps, newline counting,
 *                  Latin-1 lines, overlong lines, multi-line events, the
 *                  UTF-16 view, findings -> records
 *   log_summary.c  the --summary aggregation and its text/JSON rendering
 *   log_follow.c   --follow (tail -F)
 *   log_pipe.c     --syslog/--webhook outputs (the shared sinks/) and
 *                  --omprog, rsyslog's confirmed long-running filter
 *   logs.c         options, file walking, the worker pool, ordered output
 * All of it is a client of <defuse.h> only.
 */
#ifndef DEFUSE_CLI_LOGS_H
#define DEFUSE_CLI_LOGS_H

#include <defuse.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- limits of the log reader (input-controlled quantities) ------------- */

/* Bytes read from a source at a time: big reads keep syscalls rare. */
#define LOGS_BLOCK (1u << 20)
/* Bytes examined to recognise compression, BOMs and binary content. */
#define LOGS_PROBE 65536u
/* A plain file at least this big is split into chunks at line boundaries so
 * that both cores work on it; chunks are about this size. */
#define LOGS_CHUNK (16u * 1024u * 1024u)
/* Distinct values kept per --summary table; further values are counted
 * under "(other)" so that a hostile log cannot exhaust memory. */
#define LOGS_SUMMARY_MAX_DISTINCT 100000u
/* Directory nesting followed when walking trees. */
#define LOGS_MAX_DIR_DEPTH 256u
/* Findings a job buffers before it streams them itself (memory bound on
 * attack-dense input; see logs.c). */
#define LOGS_STREAM_AFTER 4096u
/* Jobs each worker may finish ahead of the output: at most this many times
 * --jobs jobs hold their findings (LOGS_STREAM_AFTER each at most) while
 * an older one runs.  16 lets a run of small files be printed per wake-up
 * of the main thread rather than per file. */
#define LOGS_JOBS_AHEAD 16u
/* Multi-line events (log_scan.c "multi-line events"): a line that leaves
 * a "${" open is scanned joined with at most this many lines in all, and
 * at most this many bytes after the first line. */
#define LOGS_JOIN_LINES 8u
#define LOGS_JOIN_BYTES 65536u
/* --follow: how long a window left open at the end of the data waits for
 * the next line before its lines are scanned as they are. */
#define LOGS_JOIN_WAIT_MS 1000
/* Bytes at the start of a line examined for src_ip and time, and the
 * largest JSON line parsed for them (only lines with a finding). */
#define LF_MAX_SCAN 4096u
#define LF_MAX_JSON (1u << 20)

/* ---- log_input.c ---------------------------------------------------------- */

/* What the probe found out about a source. */
typedef struct lin_info {
    const char *compression; /* "gzip", "bzip2", "xz", "zstd", ... or NULL */
    const char *encoding;    /* "utf-16le" / "utf-16be" when the start looks so, else NULL */
    int binary;              /* NUL-heavy start (not UTF-16) */
    int u16view;             /* read also as UTF-16 (a UTF-16 BOM or NUL bytes at the
                                start): lscan_enable_u16(ls, u16bom) */
    int u16bom;              /* 1 UTF-16LE BOM, 2 UTF-16BE BOM, else 0 */
} lin_info;

typedef struct lin_source lin_source;

/* Opens path ("-" or NULL: standard input) for reading UTF-8-or-raw text.
 * start/end: a byte range of a plain file (end < 0: to EOF); with start > 0
 * no probing is done (the range is a later chunk of a probed plain file).
 * OUT: *out (owned, lin_close()), *info.  On failure returns -1 and writes
 * a reason ("Permission denied", "not a gzip stream: ...") into err. */
int lin_open(lin_source **out, const char *path, off_t start, off_t end, lin_info *info,
             char *err, size_t errsz);

/* Reads up to cap bytes of (converted, decompressed) text into buf.
 * Returns bytes read, 0 at end, -1 on error with a reason in err. */
ssize_t lin_read(lin_source *s, char *buf, size_t cap, char *err, size_t errsz);

/* Whether s is a plain regular file read without conversion, so that the
 * caller may map it instead of calling lin_read().  OUT: the descriptor
 * (borrowed) and the text's byte range [start, end) (a UTF-8 BOM skipped;
 * end is the size now, or the range end of a chunk).  Returns 1 or 0. */
int lin_mappable(const lin_source *s, int *fd, off_t *start, off_t *end);

/* Closes s (NULL allowed). */
void lin_close(lin_source *s);

/* Classifies the first bytes of a file (buf[0..n)) without reading more.
 * OUT: *info.  Returns 1 if the content is plain text that may be split at
 * byte offsets (no compression, no UTF-16), else 0. */
int lin_probe(const unsigned char *buf, size_t n, lin_info *info);

/* ---- log_format.c --------------------------------------------------------- */

/* Fields of a log line that tell who sent it and when. */
typedef struct lf_fields {
    char src_ip[64];  /* "" when the format gives none */
    char time[40];    /* ISO 8601: "...Z" when the zone is known (UTC),
                         without a zone designator when the log gives none;
                         "" when absent or unparseable */
    long long hour;   /* hours since 1970 of time (as if UTC); LF_NO_HOUR */
} lf_fields;
#define LF_NO_HOUR (-1LL - 0x7FFFFFFFFFFFFFFFLL)

/* Extracts src_ip and time from line[0..len) (BORROWED; any bytes).
 * default_year is used for formats without a year (RFC 3164 syslog).
 * OUT: *out, always fully initialised.  Returns the name of the format that
 * matched ("combined", "nginx-error", "json", "syslog", "rfc5424",
 * "log4j", "iso8601") or NULL. */
const char *lf_extract(const char *line, size_t len, int default_year, lf_fields *out);

/* Formats hour (hours since 1970) as "YYYY-MM-DDTHH:00" into buf (>= 20). */
void lf_format_hour(long long hour, char *buf, size_t bufsz);

/* ---- log_scan.c ------------------------------------------------------------ */

enum { LREC_FINDING = 0, LREC_WARNING = 1, LREC_ERROR = 2 };

/* One thing to report, in input order.  All strings owned (free with
 * lrec_free). */
typedef struct lrec {
    int type;
    uint64_t line;   /* 1-based, relative to the start of the scanned range;
                        0 for messages that concern the whole file */
    uint64_t end_line; /* a finding spanning lines (multi-line event): its
                          last line, same base; else 0 */
    defuse_kind kind;
    char *text;      /* finding: human rest of line (defanged) or JSON;
                        message: the reason */
    char *line_text; /* finding, with want_line: the start of the matching
                        line (at most LSCAN_LINE_MAX bytes, raw), else NULL */
    size_t line_len, line_full; /* bytes in line_text; the line's length */
    char *json;      /* finding, with want_json: the finding as a JSON object */
    int has_time;    /* the line gave a time: time_ms (UTC ms) is valid */
    int64_t time_ms;
    /* --summary data (only with want_summary) */
    char *src_ip;
    long long hour;
    int hour_zoned;
    char *host;
    char *exfil;     /* '\n'-separated keys, or NULL */
    char *command;
} lrec;

void lrec_free(lrec *r);

typedef void (*lrec_sink)(void *user, lrec *r); /* takes ownership of r */

/* Options of a scan, shared read-only by all threads. */
typedef struct lscan_opts {
    unsigned kind_mask;  /* bit (1 << kind) set: report that kind */
    unsigned flags;      /* defuse_scan flags (DEFUSE_SCAN_NO_DECODE) */
    size_t max_line;     /* bytes of one line examined */
    int json;            /* render JSON instead of human text */
    int ecs;             /* with json: Elastic Common Schema documents */
    const char *json_head; /* with json: the members every finding starts with
                              ("schema":1,"hostname":..,"defuse_version":..,),
                              BORROWED; NULL: none */
    int want_summary;    /* fill the summary fields of records */
    int quiet;           /* no rendering at all (exit status only) */
    int want_line;       /* keep the matching line in each finding record */
    int want_json;       /* also render each finding as JSON into lrec.json
                            (--syslog/--webhook), even when quiet */
} lscan_opts;

/* Bytes of a matching line kept for --line (the rest is counted). */
#define LSCAN_LINE_MAX 512u

typedef struct lscan lscan;

/* Creates the detector scanner a line scanner needs, with o's limits
 * (max_line as its max_input).  OUT: *out, free with defuse_scanner_free().
 * Returns 0 or a negative defuse_err. */
int lscan_scanner_new(defuse_scanner **out, const lscan_opts *o);

/* Creates a line scanner for one input (one file or one chunk of it).
 * sc: a scanner from lscan_scanner_new(), BORROWED (one per thread, reused
 * across inputs), or NULL to own one.  default_year: for RFC 3164 syslog
 * times.  sink receives each record.  Returns 0 or a negative defuse_err. */
int lscan_new(lscan **out, const lscan_opts *o, defuse_scanner *sc, int default_year,
              lrec_sink sink, void *user);
void lscan_free(lscan *s);

/* Feeds data[0..n) (BORROWED) and scans every complete line in it.
 * Returns 0, or a negative defuse_err from the scanner. */
int lscan_feed(lscan *s, const char *data, size_t n);

/* Scans the final unterminated line, if any, and the lines of a join window
 * still open (end of input). */
int lscan_finish(lscan *s);

/* Whether a join window (a "${" left open, logs.h LOGS_JOIN_*) waits for
 * more lines. */
int lscan_joining(const lscan *s);
/* Scans the lines of an open join window as they are (--follow, after
 * LOGS_JOIN_WAIT_MS without data).  Returns 0 or a negative defuse_err. */
int lscan_join_flush(lscan *s);
/* Lookahead past a chunk's range: data[0..n) are the bytes that follow it
 * (at_eof: up to the end of the input).  They only complete a join window
 * opened in the range; findings that start past the range are left to the
 * next chunk, and lines are not counted.  Call before lscan_finish(); at
 * most LOGS_JOIN_BYTES + 2 bytes are needed. */
int lscan_tail(lscan *s, const char *data, size_t n, int at_eof);
/* Also reads the input as UTF-16, line by line (log_scan.c "UTF-16 view");
 * bom: 1 UTF-16LE, 2 UTF-16BE (every line decoded so), 0 (lines decoded by
 * their NUL pattern).  Call before the first lscan_feed(). */
int lscan_enable_u16(lscan *s, int bom);
/* Starts the UTF-16 view (no BOM) now, if it is not on: from the next
 * whole line, for a UTF-16 region found after a NUL-free start. */
int lscan_u16_from_here(lscan *s);
/* Makes lscan_feed() start the UTF-16 view at the first block that holds
 * a NUL byte (for input read in blocks; mapped windows are sampled by
 * the caller, which then calls lscan_u16_from_here()). */
void lscan_watch_nul(lscan *s);

/* Lines (newlines) consumed so far, and findings reported. */
uint64_t lscan_lines(const lscan *s);
uint64_t lscan_findings(const lscan *s);

/* Counts '\n' in p[0..n), fast (SSE2 or word-at-a-time). */
size_t lscan_count_newlines(const char *p, size_t n);

/* ---- log_ecs.c ------------------------------------------------------------- */

/* The ECS document (malloc'd text, '$' as \u0024; NULL on ENOMEM or a
 * native text that is not JSON) of a finding: native is its --json object
 * text, file_json the file name as a JSON string, line/end_line its
 * lines, line_text[0..line_len) the matching line or NULL. */
char *lecs_render(const char *native, const char *file_json, uint64_t line, uint64_t end_line,
                  const char *line_text, size_t line_len);

/* ---- log_summary.c ---------------------------------------------------------- */

typedef struct lsum lsum;

lsum *lsum_new(void);
void lsum_free(lsum *s);
/* Accounts a finding record (BORROWED). */
void lsum_add(lsum *s, const lrec *r);
/* Accounts input volume. */
void lsum_add_input(lsum *s, uint64_t files, uint64_t lines, uint64_t bytes);
/* Counts paths that could not be read (wholly or in part). */
void lsum_add_unreadable(lsum *s, uint64_t paths);
/* Prints the summary for people (defanged; colour when colour != 0). */
void lsum_print(const lsum *s, FILE *out, int colour);
/* Returns the summary as one JSON object text ("$" as \u0024), malloc'd, or
 * NULL on ENOMEM. */
char *lsum_json(const lsum *s);

/* ---- log_follow.c ------------------------------------------------------------ */

/* Follows paths like `tail -F` until SIGINT/SIGTERM: new lines of each file
 * are scanned and their records handed to sink (in the calling thread).
 * from_start: read existing content first instead of starting at the end.
 * A directory stands for the files in it and below, including files that
 * appear later (read from their start); rotated and compressed copies are
 * skipped (log_follow.c).
 * OUT: *lines and *bytes are increased by what was scanned; *files is the
 * number of files followed.
 * Returns 0, or EXIT-style 2 if a path could never be read. */
int lfollow_run(char **paths, size_t npaths, const lscan_opts *o, int from_start,
                void (*sink)(void *user, const char *file, lrec *r), void *user,
                uint64_t *lines, uint64_t *bytes, size_t *files);

/* Set by the SIGINT/SIGTERM handler of `defuse logs`. */
extern volatile sig_atomic_t logs_stop;

/* ---- log_pipe.c ------------------------------------------------------------ */

/* --syslog/--webhook: findings also go out as RFC 5424 messages (MSG: the
 * finding's JSON) and JSON POSTs through the sinks shared with the
 * honeypot (sinks/sinks.h). */
#define LPIPE_MAX_DEST 8u
typedef struct lpipe_opts {
    const char *dest[LPIPE_MAX_DEST]; /* "udp://H:P", "tcp://H:P", "http(s)://..." */
    size_t ndest;
    int facility;                     /* syslog facility (default local0: 16) */
} lpipe_opts;
typedef struct lpipe lpipe;

/* Checks and records one --syslog (is_syslog) or --webhook value into o.
 * Returns 0 or -1 having said why on stderr. */
int lpipe_add_dest(lpipe_opts *o, const char *spec, int is_syslog);

/* Opens the sinks of o and starts their senders.  OUT: *out.  Returns 0 or
 * -1 having said why on stderr. */
int lpipe_open(lpipe **out, const lpipe_opts *o);

/* Sends one finding: file (display name, raw bytes), line, end_line (0:
 * none), kind (the syslog severity) and json (lrec.json, an object) become one JSON object
 * {"file","line",...}.  Never blocks on I/O. */
void lpipe_send(lpipe *p, const char *file, uint64_t line, uint64_t end_line, defuse_kind kind,
                const char *json);

/* Waits (at most timeout_ms) until what was sent reached every collector.
 * Returns 0, or -1 when something was lost or the time ran out. */
int lpipe_flush(lpipe *p, unsigned timeout_ms);

/* Delivers what is queued (at most 30 s), stops and frees p (NULL allowed).
 * Says on stderr per sink how many findings were not delivered.  Returns
 * the number not delivered. */
unsigned long long lpipe_close(lpipe *p);

/* --omprog: rsyslog's omprog with confirmMessages="on".  Writes "OK" when
 * ready, then reads standard input one message (line) at a time, scans it,
 * hands its findings to p, waits until they are delivered and only then
 * writes "OK" for it (or an error line, which makes rsyslog keep the
 * message and send it again later).  Returns at end of input or on
 * SIGTERM/SIGINT: 0, or -1 on a read or write error (said on stderr).
 * *findings counts the findings. */
int lpipe_omprog(lpipe *p, const lscan_opts *o, uint64_t *findings);

#endif
