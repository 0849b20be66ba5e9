/*
 * probe.h -- `defuse probe`: payload building (probe_payload.c), the scope
 * check (probe_scope.c) and the callback listener (probe_listen.c, built on
 * the honeypot's protocol code in ../proto/).  The driver (HTTP requests
 * with libcurl's multi interface, output) is cli/probe.c.
 *
 * Every quantity a target or a callback controls is bounded by a PROBE_*
 * limit below.  The listener never serves an object or a class: LDAP gets
 * proto_ldap_safe_reply()'s answers, RMI the ProtocolAck and a close, DNS a
 * reply without data.
 */
#ifndef DEFUSE_PROBE_H
#define DEFUSE_PROBE_H

#include <defuse.h>

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROBE_TOKEN_LEN 16          /* "dp" + 8 hex run id + 6 hex sequence */
#define PROBE_MAX_REQUESTS 1000000u /* requests of one run (the sequence) */
#define PROBE_MAX_SCOPE 256         /* --scope entries */
#define PROBE_MAX_HITS 65536u       /* callbacks recorded in one run */
#define PROBE_MAX_MESSAGE 65536u    /* one LDAP message / RMI call kept */
#define PROBE_MAX_CONNS 1024u       /* listener connections open at once */
#define PROBE_MAX_PAYLOAD 512u      /* one payload */

/* ---- payloads --------------------------------------------------------- */

/* An obfuscation variant: a template where {S} is the scheme, {A} the
 * callback HOST:PORT and {T} the token.  Only shapes libdefuse evaluates
 * (probe_payload_verify checks each built payload against it). */
typedef struct probe_variant {
    const char *name;
    const char *scheme; /* ldap, rmi or dns */
    const char *tmpl;
    const char *what; /* one line for --help and docs */
} probe_variant;

/* The variants, in order; OUT: *n. */
const probe_variant *probe_variants(size_t *n);

/* Returns the variant called name, or NULL. */
const probe_variant *probe_variant_find(const char *name);

/* Writes the token of request seq of run run_id into out[PROBE_TOKEN_LEN+1]. */
void probe_token(uint32_t run_id, uint32_t seq, char out[PROBE_TOKEN_LEN + 1]);

/* Finds a token of run run_id in s[0..len) (case-insensitive: DNS may change
 * case).  OUT: *seq.  Returns 1 if found, else 0. */
int probe_token_find(uint32_t run_id, const char *s, size_t len, uint32_t *seq);

/* Builds v's payload for callback authority (HOST:PORT) and token into
 * out[0..outsz).  Returns its length, or 0 if it does not fit. */
size_t probe_payload(const probe_variant *v, const char *authority, const char *token, char *out,
                     size_t outsz);

/* Checks with libdefuse that payload[0..len) is a JNDI lookup of exactly
 * SCHEME://AUTHORITY/TOKEN and exfiltrates nothing.  Returns 0 or -1 with
 * a reason in err. */
int probe_payload_verify(defuse_scanner *sc, const char *payload, size_t len, const char *scheme,
                         const char *authority, const char *token, char *err, size_t errsz);

/* ---- scope ------------------------------------------------------------ */

typedef struct probe_scope_entry {
    int family; /* AF_INET, AF_INET6, or 0 for a host name */
    uint8_t addr[16];
    unsigned prefix;
    char name[256]; /* host name (lower case); "*.x" or ".x": x's subdomains */
} probe_scope_entry;

typedef struct probe_scope {
    probe_scope_entry e[PROBE_MAX_SCOPE];
    size_t n;
} probe_scope;

/* Adds the comma-separated entries of s (CIDR, address, host name,
 * "*.domain").  Returns 0 or -1 with err naming the bad entry. */
int probe_scope_add(probe_scope *sc, const char *s, char *err, size_t errsz);

/* Returns 1 if host name (as written in the URL) is inside by name. */
int probe_scope_name(const probe_scope *sc, const char *host);

/* Returns 1 if sa (AF_INET/AF_INET6) lies inside a CIDR entry. */
int probe_scope_addr(const probe_scope *sc, const struct sockaddr *sa);

/* ---- the callback listener ------------------------------------------------ */

typedef enum probe_cb_proto { PROBE_CB_LDAP, PROBE_CB_RMI, PROBE_CB_DNS } probe_cb_proto;

const char *probe_cb_proto_name(probe_cb_proto p);

/* One callback that named a token of this run. */
typedef struct probe_hit {
    uint32_t seq;
    probe_cb_proto proto;
    double when;                /* seconds since the epoch */
    char src[INET6_ADDRSTRLEN]; /* the address that called back */
} probe_hit;

/* One TCP connection's state, without I/O (probe_session.c).  The caller
 * appends received bytes to buf[len..PROBE_MAX_MESSAGE) and calls
 * probe_session_run(), which consumes whole messages, answers through
 * ops->write (LDAP: proto_ldap_safe_reply's results; RMI: the ProtocolAck
 * once) and reports each looked-up name through ops->name.  src/src_port:
 * the peer (the RMI acknowledgement echoes them). */
typedef struct probe_session {
    unsigned char *buf; /* PROBE_MAX_MESSAGE bytes, the caller's */
    size_t len;
    int acked;
    char src[INET6_ADDRSTRLEN];
    unsigned src_port;
} probe_session;
typedef struct probe_session_ops {
    void (*write)(void *user, const void *p, size_t n);
    void (*name)(void *user, probe_cb_proto proto, const char *name, size_t len);
} probe_session_ops;
/* Returns 1 when the connection must be closed (RMI after its call, bad or
 * oversized input, an LDAP unbind), else 0. */
int probe_session_run(probe_session *s, const probe_session_ops *ops, void *user);

typedef struct probe_listener probe_listener;

/* Binds TCP (LDAP and RMI, told apart by the first byte) and UDP (DNS) on
 * addr:port and starts the listener thread.  Callbacks naming a token of
 * run_id are recorded; the rest are counted as `foreign`.
 * OUT: *out.  Returns 0 or -1 with err. */
int probe_listen_start(probe_listener **out, const char *addr, unsigned port, uint32_t run_id,
                       char *err, size_t errsz);

/* Copies the hits recorded so far into out[0..max) (oldest first).
 * OUT: *foreign (callbacks without a token of the run).  Returns the count. */
size_t probe_listen_hits(probe_listener *l, probe_hit *out, size_t max, unsigned long *foreign);

/* Stops the thread, closes the sockets, frees l. */
void probe_listen_stop(probe_listener *l);

#endif /* DEFUSE_PROBE_H */
