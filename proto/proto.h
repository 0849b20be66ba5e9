/*
 * proto.h -- the callback protocols shared by the two programs that listen
 * for JNDI callbacks: `defuse honeypot` (honeypot/hp_server.c) and the
 * callback listener of `defuse probe` (probe/probe_listen.c).  One
 * implementation of each, parsers and reply builders that never touch a
 * socket (so fuzz targets and unit tests drive them):
 *   ldap.c  LDAPv3 framing and decoding (liblber), LDAPResult replies
 *   rmi.c   the client side of JRMP up to a registry lookup's name
 *   dns.c   one DNS question, a reply with an optional A record
 * and the one table of safe LDAP answers (proto_ldap_safe_reply): no
 * listener built on this code ever sends an entry, a referral, an object or
 * a class.  Every quantity the network controls is bounded by the caller's
 * max or a PROTO_* limit below.  Client of nothing but liblber and libc.
 */
#ifndef DEFUSE_PROTO_H
#define DEFUSE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_DNS_MAX_NAME 1024 /* a query name rendered as text (escaped) */
#define PROTO_RMI_MAX_NAME 4096 /* an RMI name kept */

/* ---- LDAP ---------------------------------------------------------------- */

/* LDAP protocolOp application tag numbers (RFC 4511). */
enum {
    PROTO_LDAP_BIND = 0,
    PROTO_LDAP_UNBIND = 2,
    PROTO_LDAP_SEARCH = 3,
    PROTO_LDAP_MODIFY = 6,
    PROTO_LDAP_ADD = 8,
    PROTO_LDAP_DELETE = 10,
    PROTO_LDAP_MODDN = 12,
    PROTO_LDAP_COMPARE = 14,
    PROTO_LDAP_ABANDON = 16,
    PROTO_LDAP_EXTENDED = 23
};

typedef struct proto_ldap_msg {
    int msgid;
    int op;      /* application tag number, -1 if unknown */
    int version; /* bind */
    int auth;    /* bind: 0 simple, 3 sasl, -1 other */
    char *dn;    /* bind name or search baseObject, malloc'd, NUL-terminated;
                    whole (bounded by the frame, i.e. max_message) so all of it
                    is scanned; an event field is cut shorter */
    size_t dn_len;
    int scope, deref; /* search */
    char *oid;        /* extended request name, malloc'd */
} proto_ldap_msg;

/* Frame length of the BER element at buf[0..len): the number of bytes of one
 * whole LDAPMessage.  Hand-written (a tag and a length) because liblber
 * frames only from a Sockbuf and bytes arrive here from libuv.
 * Returns > 0 (the frame length), 0 when more bytes are needed, -1 when the
 * bytes are not an LDAPMessage or the frame exceeds max. */
long proto_ldap_frame(const unsigned char *buf, size_t len, size_t max);

/* Decodes one LDAPMessage frame with liblber.  OUT: *m (free with
 * proto_ldap_msg_clear).  Returns 0, or -1 for malformed BER (m->msgid and
 * m->op may still be set when the envelope was readable). */
int proto_ldap_decode(const unsigned char *frame, size_t len, proto_ldap_msg *m);

void proto_ldap_msg_clear(proto_ldap_msg *m);

/* The safe answer to a request with application tag `op`: never an entry,
 * never a referral, so a JNDI client can only get a NamingException.
 * OUT: *reply_op (the response's tag number), *code (resultCode).
 * Returns 1: send proto_ldap_encode_result(msgid, *reply_op, *code);
 * 0: send nothing (abandon); -1: close the connection (unbind, unknown). */
int proto_ldap_safe_reply(int op, int *reply_op, int *code);

/* Encodes an LDAPResult-shaped response (BindResponse, SearchResultDone,
 * ExtendedResponse, ...) with application tag number `op`, resultCode code,
 * empty matchedDN and diagnosticMessage.
 * OUT: *out (malloc'd, caller frees), *outlen. Returns 0 or -1 (ENOMEM). */
int proto_ldap_encode_result(int msgid, int op, int code, unsigned char **out, size_t *outlen);

/* ---- RMI / JRMP ---------------------------------------------------------- */

enum {
    PROTO_RMI_NEED_MORE = 0, /* nothing complete yet */
    PROTO_RMI_NEED_ACK = 1,  /* stream protocol header complete: send the ack */
    PROTO_RMI_CALL = 2,      /* a Call arrived (name set when one was found) */
    PROTO_RMI_OTHER = 3,     /* a complete message that is not a Call */
    PROTO_RMI_EBAD = -1      /* not JRMP or malformed */
};

typedef struct proto_rmi_info {
    unsigned version;
    int protocol;          /* 0x4B stream, 0x4C single op, 0x4D multiplex */
    char client_host[256]; /* endpoint the client announced (stream) */
    unsigned client_port;
    int have_call;
    int64_t objnum; /* 0 = the registry */
    int32_t op;     /* registry op: 2 = lookup, -1 with a method hash */
    int64_t hash;
    char name[PROTO_RMI_MAX_NAME]; /* the looked-up name (TC_STRING) */
    size_t name_len;
    int have_name;
    int message; /* first message byte after the header */
} proto_rmi_info;

/* Parses the client side of a JRMP connection from its first byte,
 * buf[0..len).  Returns PROTO_RMI_*; OUT: *info (fields seen so far). */
int proto_rmi_parse(const unsigned char *buf, size_t len, proto_rmi_info *info);

/* Builds the ProtocolAck for the stream protocol into out[0..outsz):
 * 0x4E, u16 length + host, u32 port.  Returns its length or 0 if too small. */
size_t proto_rmi_ack(const char *host, unsigned port, unsigned char *out, size_t outsz);

/* ---- DNS ----------------------------------------------------------------- */

typedef struct proto_dns_query {
    uint16_t id, flags;
    uint16_t qtype, qclass;
    char name[PROTO_DNS_MAX_NAME]; /* dotted, lower case kept as sent, \DDD escapes */
    size_t name_len;
    size_t question_end; /* offset after the first question */
} proto_dns_query;

/* Parses a DNS query packet.  Returns 0, or -1 if it is not a query with at
 * least one question (responses, truncated or looping names). OUT: *q. */
int proto_dns_parse(const unsigned char *pkt, size_t len, proto_dns_query *q);

/* Returns 1 if name (dotted, any case) equals zone or ends in "." zone. */
int proto_dns_in_zone(const char *name, size_t len, const char *zone);

/* Builds a response to q (first question echoed, from pkt) into out: rcode,
 * and one A record with a4 when a4 is non-NULL.  Returns its length, 0 if
 * out is too small. */
size_t proto_dns_reply(const unsigned char *pkt, const proto_dns_query *q, int rcode,
                       const uint8_t *a4, uint32_t ttl, unsigned char *out, size_t outsz);

#endif /* DEFUSE_PROTO_H */
