/*
 * honeypot.h -- internal declarations of `defuse honeypot`, the tripwire
 * daemon: configuration (hp_config.c), protocol parsers that never touch a
 * socket (hp_http.c, hp_tls_hello.c; LDAP, RMI and DNS are in ../proto/,
 * shared with `defuse probe`; so fuzz targets and unit tests can drive them), TLS contexts and certificates
 * (hp_tls.c, OpenSSL), events and their sinks (hp_events.c, hp_sinks.c)
 * and the libuv server (hp_server.c).  Client of <defuse.h> only.
 *
 * Every quantity the network or the config file controls is bounded by a
 * limit below (HP_*) or by a config key whose range is checked by the parser.
 */
#ifndef DEFUSE_HONEYPOT_H
#define DEFUSE_HONEYPOT_H

#include <defuse.h>

#include "proto.h" /* LDAP, RMI, DNS (../proto/) */

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* ---- fixed limits (the rest are config keys with checked ranges) -------- */

#define HP_MAX_LISTENERS 256      /* [listener] sections */
#define HP_MAX_BINDS 64           /* listen lines per listener */
#define HP_MAX_SOCKETS 4096       /* bound sockets after expanding ranges */
#define HP_MAX_RESPONSES 128      /* [response] sections */
#define HP_MAX_RESP_HEADERS 16    /* header lines per response */
#define HP_MAX_IGNORE 256         /* ignore CIDRs */
#define HP_MAX_BODY_FILE (1u << 20) /* a response body file */
#define HP_MAX_LINE 4096          /* one config line */
#define HP_MAX_CONFIG (1u << 20)  /* the config file */
#define HP_HTTP_MAX_HEADERS 100   /* header lines of one request */
#define HP_CHUNK_META 8192u       /* chunk extensions and trailers kept for scanning */
#define HP_EVENT_MAX_FIELD 4096   /* one text field copied into an event */
#define HP_MAX_FINDINGS_PER_EVENT 32
#define HP_FIELD_SNIP 1024u       /* bytes of a body / first bytes kept in an event */
#define HP_INITIAL_BUF 4096u      /* first input buffer of a connection */
#define HP_BUF_POOL 256u          /* spare initial buffers kept for reuse */
#define HP_WRITE_BACKLOG                                                                           \
    (64u << 10)                   /* unsent response bytes per connection                          \
                                  before it is no longer read */
#define HP_KICK_MS                                                                                 \
    20u                           /* most time an event waits before its                           \
                                     sender is woken */
#define HP_SRC_SLOTS 4096u        /* sources tracked for dedup/rate limits */
#define HP_DEDUP_RING 16u         /* recent event fingerprints per source */

/* ---- configuration ------------------------------------------------------ */

typedef enum hp_proto {
    HP_PROTO_HTTP = 0,
    HP_PROTO_LDAP,
    HP_PROTO_RMI,
    HP_PROTO_DNS,
    HP_PROTO_TCP,
    HP_PROTO_COUNT
} hp_proto;

/* Returns "http", "ldap", "rmi", "dns", "tcp" or "unknown". */
const char *hp_proto_name(hp_proto p);

/* One `listen` line: an address and an inclusive port range. */
typedef struct hp_bind {
    struct sockaddr_storage addr; /* port field unset */
    socklen_t addrlen;
    unsigned port_lo, port_hi;
    int line;
} hp_bind;

typedef struct hp_listener_cfg {
    char name[64];
    hp_proto proto;
    int have_proto;
    hp_bind binds[HP_MAX_BINDS];
    size_t nbinds;
    char zone[256];          /* dns: canary zone (lower case, no trailing dot) */
    char answer_a[64];       /* dns: IPv4 to answer A queries with, "self" =
                                the bound address, "" = none */
    char server_header[128]; /* http: Server header */
    char rmi_host[64];       /* rmi: host named in the ProtocolAck */
    int tls;                 /* TLS listener (`tls yes`, protocol https/ldaps) */
    char tls_cert[512];      /* PEM certificate; "" = STATE_DIR/tls-cert.pem */
    char tls_key[512];       /* PEM private key; "" = STATE_DIR/tls-key.pem */
    int line;                /* line of the [listener] header */
} hp_listener_cfg;

typedef struct hp_response_cfg {
    char path[256]; /* exact path, "/prefix*" or "*" (fallback) */
    unsigned status;
    char reason[64];
    char content_type[128];
    char headers[HP_MAX_RESP_HEADERS][256];
    size_t nheaders;
    char body_file[512];
    char *body; /* owned: contents of body_file or `body` text */
    size_t body_len;
    int line;
} hp_response_cfg;

typedef struct hp_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    unsigned prefix;
} hp_cidr;

/* log_format: the documents events are written as (docs/output-schemas.md). */
enum { HP_FORMAT_JSON = 0, HP_FORMAT_ECS = 1 };

/* The version of the honeypot's event JSON (field "schema"): 1 added
 * schema, hostname, defuse_version and src_ip null on daemon events. */
#define HP_JSON_SCHEMA 1

typedef struct hp_config {
    /* [global] */
    char node[64];
    char user[64];
    char log_file[512];
    int log_file_line;   /* the config line that set log_file (0: default) */
    char state_dir[512]; /* generated TLS certificate and key */
    int log_stdout;
    int log_format;      /* HP_FORMAT_JSON (defuse's own) or HP_FORMAT_ECS */
    unsigned max_connections;
    size_t max_memory;          /* bytes of connection buffers in total */
    size_t max_request;         /* http: request line + headers */
    size_t max_body;            /* http: body bytes kept and scanned */
    size_t max_message;         /* ldap / rmi: one message */
    size_t first_bytes;         /* tcp: bytes recorded */
    unsigned idle_timeout_ms;
    unsigned header_timeout_ms; /* time to receive a whole request or message */
    unsigned max_requests;      /* http: requests per keep-alive connection */
    unsigned dedup_window_ms;
    unsigned rate_per_source;   /* events per second per source address */
    unsigned rate_burst;
    hp_cidr ignore[HP_MAX_IGNORE];
    size_t nignore;
    char syslog_udp[128]; /* host:port or "" */
    char syslog_tcp[128];
    int syslog_facility;
    char webhook[512];
    unsigned webhook_retries;
    unsigned webhook_timeout_ms;
    unsigned queue_size; /* events waiting for the remote sinks */
    size_t log_buffer;   /* bytes of events waiting for log_file / stdout */
    unsigned status_interval_ms;  /* sink.status events (0: none) */
    unsigned shutdown_timeout_ms; /* delivery time at shutdown */
    unsigned rate_global;         /* events per second, all sources (0: off) */
    unsigned rate_global_burst;

    hp_listener_cfg *listeners; /* owned arrays, grown while parsing */
    size_t nlisteners, listeners_cap;
    hp_response_cfg *responses;
    size_t nresponses, responses_cap;
} hp_config;

/* Parses config text text[0..len) (name is used in messages).
 * OUT: *cfg (caller frees with hp_config_free even on error).
 * Body files named in [response] sections are read relative to the current
 * directory, or to dir when dir is non-NULL.
 * Returns 0, or -1 with a message "NAME:LINE: ..." in err[0..errsz). */
int hp_config_parse(const char *text, size_t len, const char *name, const char *dir,
                    hp_config *cfg, char *err, size_t errsz);

/* Reads and parses the file path. Same contract as hp_config_parse. */
int hp_config_load(const char *path, hp_config *cfg, char *err, size_t errsz);

/* What hp_config_parse() cannot see in the text: the file system the daemon
 * will need at start.  The directory of log_file must exist and be a
 * directory (the daemon does not create it: the package and the systemd
 * unit's LogsDirectory= do, with the owner and mode the site chose).
 * name: the config's name for messages.  Returns 0, or -1 with
 * "NAME:LINE: log_file: ..." in err[0..errsz). */
int hp_config_check_paths(const hp_config *cfg, const char *name, char *err, size_t errsz);

/* Frees what cfg owns (not cfg itself); accepts a zeroed struct. */
void hp_config_free(hp_config *cfg);

/* Parses "a.b.c.d/n", "v6/n" or a bare address. OUT: *c. Returns 0 or -1. */
int hp_cidr_parse(const char *s, hp_cidr *c);

/* Returns 1 if sa (AF_INET/AF_INET6; v4-mapped v6 compared as v4) lies in c. */
int hp_cidr_match(const hp_cidr *c, const struct sockaddr *sa);

/* Returns the response for an HTTP request target (query string ignored):
 * an exact path, else the longest "/prefix*", else "*";
 * or NULL when none is configured.  BORROWED from cfg. */
const hp_response_cfg *hp_config_response(const hp_config *cfg, const char *path, size_t len);

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct hp_http_header {
    const char *name, *value;
    size_t name_len, value_len;
} hp_http_header;

/* A parsed request.  Pointers BORROW the buffer given to hp_http_parse. */
typedef struct hp_http_req {
    const char *line; /* the request line without CRLF */
    size_t line_len;
    const char *method, *target, *version;
    size_t method_len, target_len, version_len;
    hp_http_header headers[HP_HTTP_MAX_HEADERS];
    size_t nheaders;
    size_t headers_dropped; /* header lines past HP_HTTP_MAX_HEADERS ... */
    const char *dropped;    /* ... their raw lines, kept for scanning */
    size_t dropped_len;
    char chunk_meta[HP_CHUNK_META]; /* chunked: extensions and trailer lines,
                                       one per line, for scanning */
    size_t chunk_meta_len;
    size_t chunk_meta_lost; /* bytes of them past HP_CHUNK_META (not scanned) */
    const char *body;
    size_t body_len;
    size_t body_declared; /* Content-Length, or bytes of chunks seen */
    int chunked;
    int body_truncated; /* body longer than max_body: kept the first part */
    int keep_alive;     /* the client may send another request */
    int head_complete;  /* with HP_HTTP_NEED_MORE: the head is complete and
                           parsed, the body is still arriving */
} hp_http_req;

enum {
    HP_HTTP_NEED_MORE = 0,
    HP_HTTP_EBAD = -1,     /* not HTTP, or a malformed request line/header */
    HP_HTTP_ETOOBIG = -2,  /* request line + headers longer than max_head */
};

/* Parses one request from buf[0..len).  Chunked bodies are decoded in place
 * (buf is modified inside the returned length only).  Bodies longer than
 * max_body keep their first max_body bytes; the request then ends there
 * (body_truncated, keep_alive 0).
 * Returns the bytes the request used (> 0), HP_HTTP_NEED_MORE, or an
 * HP_HTTP_E* code.  OUT: *req on success, and on HP_HTTP_NEED_MORE with
 * req->head_complete set (head parsed, body incomplete). */
long hp_http_parse(char *buf, size_t len, size_t max_head, size_t max_body, hp_http_req *req);

/* Percent-decodes in[0..len) into out[0..outsz) ('+' as space when plus).
 * Invalid escapes are copied.  Returns the decoded length (<= len). */
size_t hp_percent_decode(const char *in, size_t len, char *out, size_t outsz, int plus);

/* Returns the value of header name (case-insensitive) or NULL. OUT: *vlen. */
const char *hp_http_header_get(const hp_http_req *req, const char *name, size_t *vlen);

/* ---- events and sinks ---------------------------------------------------- */

/* ---- TLS (hp_tls_hello.c: parsers; hp_tls.c: OpenSSL) --------------------- */

#define HP_TLS_MAX_SNI 255     /* a host_name (RFC 6066: at most 255 bytes) */
#define HP_TLS_MAX_ALPN 255    /* offered ALPN protocols kept (wire format) */
#define HP_TLS_FIRST 256u      /* raw first bytes kept for a failed handshake */
#define HP_TLS_CONN_MEM                                                                            \
    (48u << 10)                /* memory charged to max_memory per TLS                           \
                                  connection (OpenSSL state and record buffers) */

/* What a TLS client said and what was negotiated, for the events of its
 * connection.  Filled by the ClientHello callback and the server. */
typedef struct hp_tls_info {
    int active;            /* TLS is in use on the connection */
    int expected;          /* the listener is a TLS listener */
    int hello_seen;        /* the ClientHello callback ran */
    const char *version;   /* negotiated ("TLSv1.3"), static; NULL before */
    const char *cipher;    /* negotiated, static; NULL before */
    int http;              /* an http listener: ALPN http/1.1 is selected */
    char alpn_selected[32];
    unsigned hello_version; /* legacy_version of the ClientHello */
    char sni[HP_TLS_MAX_SNI + 1];
    size_t sni_len;
    unsigned char alpn[HP_TLS_MAX_ALPN]; /* offered: (u8 length, name)... */
    size_t alpn_len;
    unsigned char first[HP_TLS_FIRST]; /* raw first bytes of the connection */
    size_t first_len;
} hp_tls_info;

/* Extracts the first host_name of a server_name extension body (RFC 6066
 * section 3) ext[0..len).  OUT: out[0..outsz) (the name's raw bytes, which
 * may include NUL; out[*outlen] is NUL), *outlen.
 * Returns 0, or -1 when the body is malformed or has no host_name.  Names
 * longer than outsz-1 are cut (still 0). */
int hp_tls_sni(const unsigned char *ext, size_t len, char *out, size_t outsz, size_t *outlen);

/* Validates an ALPN extension body (RFC 7301 section 3.1) ext[0..len) and
 * copies whole entries of its protocol list into out[0..outsz).  OUT:
 * *outlen.  Returns the number of protocols copied, or -1 if malformed. */
int hp_tls_alpn(const unsigned char *ext, size_t len, unsigned char *out, size_t outsz,
                size_t *outlen);

/* Returns 1 if b[0..len) (len >= 1) starts like a TLS record carrying a
 * handshake (ContentType 22): the first byte decides, since no plaintext
 * protocol of the honeypot starts with 0x16. */
int hp_tls_sniff(const unsigned char *b, size_t len);

struct ssl_ctx_st;

/* Creates the server context of a TLS listener: loads lc's certificate and
 * key, or when both files are absent generates a self-signed EC P-256
 * certificate (CN and subjectAltName = cfg->node) with OpenSSL and writes
 * them (key mode 0600) first, creating cfg->state_dir (0700) if needed.
 * Call before privileges are dropped.  The ClientHello callback fills the
 * hp_tls_info set as the SSL's app data; connections whose info has
 * `http` set select ALPN "http/1.1".  OUT: *out.  Returns 0 or -1 with err ("generated" is set to
 * 1 when files were written). */
int hp_tls_ctx_new(const hp_config *cfg, const hp_listener_cfg *lc, struct ssl_ctx_st **out,
                   int *generated, char *err, size_t errsz);

/* The certificate and key paths of lc (its own or the state_dir ones).
 * OUT: cert[0..sz), key[0..sz).  Returns 0 or -1 if too long. */
int hp_tls_paths(const hp_config *cfg, const hp_listener_cfg *lc, char *cert, char *key,
                 size_t sz);

/* Per-connection facts shared by every event of that connection. */
typedef struct hp_conn_info {
    char conn_id[24];
    const char *listener;
    hp_proto proto;
    char src_ip[INET6_ADDRSTRLEN];
    unsigned src_port;
    char dst_ip[INET6_ADDRSTRLEN];
    unsigned dst_port;
    struct sockaddr_storage src; /* for the ignore list and rate limits */
    const hp_tls_info *tls;      /* NULL: plaintext on a plaintext listener */
} hp_conn_info;

typedef struct hp_events hp_events;
struct json_t;

/* Creates the event hub and its sinks (opens the log file).  cfg is
 * BORROWED for the hub's lifetime.  OUT: *out.  Returns 0 or -1 with err. */
int hp_events_new(hp_events **out, const hp_config *cfg, char *err, size_t errsz);

/* Starts the sinks' sender threads (call after privileges are dropped). */
int hp_events_start(hp_events *ev, char *err, size_t errsz);

/* Stops the sinks: gives them until drain_ms to deliver what is queued.
 * Statistics stay readable until hp_events_free. */
void hp_events_stop(hp_events *ev, unsigned drain_ms);

/* Frees the hub (after hp_events_stop). */
void hp_events_free(hp_events *ev);

/* Reopens the log file (SIGHUP).  Returns 0 or -1 (old file kept). */
int hp_events_reopen(hp_events *ev);

/* Hands queued events to the sinks' senders: hp_sinks_kick.  The server
 * calls it after each loop iteration, and with force from a timer
 * HP_KICK_MS after it returned 1. */
int hp_events_kick(hp_events *ev, int force);

/* Returns 1 if events from this source are ignored (ignore list). */
int hp_events_ignored(const hp_events *ev, const struct sockaddr *src);

/* Emits one event: adds the common fields (time, event_id, conn_id, node,
 * listener, protocol, src/dst) to body (a jansson object, STOLEN), applies
 * de-duplication (same source, type and summary within dedup_window), the
 * per-source rate limit and the global ceiling (rate_global), then queues
 * it for every sink.  summary is a short one-line description (raw bytes;
 * defanged for the text sinks).  Returns 1 if emitted, 0 if suppressed or
 * ignored. */
int hp_events_emit(hp_events *ev, const hp_conn_info *ci, const char *type,
                   struct json_t *body, const char *summary, size_t summary_len);

/* Once a second (the server's timer): emits the aggregated `suppressed`
 * event for what the global ceiling held back, and `sink.status` every
 * status_interval.  extra (BORROWED, may be NULL): server counters added to
 * sink.status. */
void hp_events_tick(hp_events *ev, struct json_t *extra);

/* Fills a new random correlation id. */
void hp_events_conn_id(hp_events *ev, char out[24]);

/* One sink's counters.  accepted = delivered + dropped + failed + queued
 * (+ lost_at_exit after the stop). */
typedef struct hp_sink_stat {
    const char *name; /* log_file, stdout, syslog_udp, syslog_tcp, webhook */
    int failing;      /* the last attempt failed */
    char error[160];  /* why, while failing */
    unsigned long long accepted, delivered, dropped, failed, queued, lost_at_exit;
} hp_sink_stat;

#define HP_MAX_SINKS 5

/* Counters for the final summary. */
typedef struct hp_stats {
    unsigned long long emitted, suppressed, ignored, global_suppressed;
    hp_sink_stat sinks[HP_MAX_SINKS];
    size_t nsinks;
} hp_stats;
void hp_events_stats(hp_events *ev, hp_stats *out);

/* Collects findings of one or more defuse_scan calls into a JSON array,
 * skipping duplicates (same decoded payload).  Used by every protocol. */
typedef struct hp_findings {
    struct json_t *arr;      /* owned until taken */
    uint64_t seen[HP_MAX_FINDINGS_PER_EVENT];
    size_t n;
    unsigned worst;          /* lowest kind seen, DEFUSE_KIND_COUNT if none */
    char where[96];          /* location label set by the caller per scan */
} hp_findings;

void hp_findings_init(hp_findings *fs);
void hp_findings_clear(hp_findings *fs);
/* Runs defuse_scan over buf[0..len) with flags; findings go into fs labelled
 * `where`.  Returns the number of new findings. */
int hp_findings_scan(hp_findings *fs, defuse_scanner *sc, const char *where, const char *buf,
                     size_t len, unsigned flags);

/* The sinks (hp_sinks.c): the log file, stdout, syslog over UDP and TCP
 * and the webhook, each with a bounded queue and a sender thread of its
 * own, so no sink can stall the event loop or another sink. */
typedef struct hp_sinks hp_sinks;

/* Opens the log file and resolves the configured collectors (cfg BORROWED).
 * OUT: *out.  Returns 0 or -1 with err set. */
int hp_sinks_new(hp_sinks **out, const hp_config *cfg, char *err, size_t errsz);

/* Starts the sender threads.  Returns 0 or -1. */
int hp_sinks_start(hp_sinks *s);

/* Queues one event: line[0..ll) (JSON and its newline) for the file, stdout
 * and the webhook, msg[0..ml) (a complete RFC 5424 message) for syslog.  A
 * sink whose queue is full counts the event dropped.  Never blocks on I/O. */
void hp_sinks_push(hp_sinks *s, const char *line, size_t ll, const char *msg, size_t ml);

/* Wakes the senders that have many messages queued, or any when force.
 * Returns 1 if some sender has messages and was left asleep (the caller
 * then kicks with force within HP_KICK_MS). */
int hp_sinks_kick(hp_sinks *s, int force);

/* Returns 1 if a syslog sink is configured (msg is needed). */
int hp_sinks_want_syslog(const hp_sinks *s);

/* Reopens the log file (SIGHUP); the sender switches at its next write.
 * Returns 0 or -1 (old file kept). */
int hp_sinks_reopen(hp_sinks *s);

/* Fills out[0..max) with each configured sink's counters.  Returns the count. */
size_t hp_sinks_stats(hp_sinks *s, hp_sink_stat *out, size_t max);

/* Lets the senders deliver what is queued until drain_ms, then stops them
 * (a sender stuck past drain_ms + 3 s is abandoned, its queue counted lost). */
void hp_sinks_stop(hp_sinks *s, unsigned drain_ms);

/* Frees s (after hp_sinks_stop). */
void hp_sinks_free(hp_sinks *s);

/* Makes a JSON string value from bytes that may not be UTF-8 (invalid bytes
 * become U+FFFD) and truncates to HP_EVENT_MAX_FIELD. Returns a new ref. */
struct json_t *hp_json_bytes(const char *s, size_t len);

/* ---- server --------------------------------------------------------------- */

/* Runs the daemon until SIGTERM/SIGINT.  cfg BORROWED.  check_only: bind
 * nothing, return after validation.  Returns a process exit status. */
int hp_server_run(const hp_config *cfg);

#endif /* DEFUSE_HONEYPOT_H */
