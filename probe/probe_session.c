/*
 * probe_session.c -- one TCP connection to the probe's callback listener,
 * without any I/O: the bytes received so far go in, the safe replies and
 * the names looked up (an LDAP search's base DN, an RMI lookup's name) come
 * out through callbacks.  probe_listen.c drives it from libuv;
 * tests/fuzz/fuzz_probe_session.c drives it from libFuzzer.
 */
#include "probe.h"

#include "proto.h"

#include <stdlib.h>
#include <string.h>

/* LDAP: answer every message safely, report a search's base DN. */
static int ldap_run(probe_session *s, const probe_session_ops *ops, void *user) {
    while (s->len) {
        long fl = proto_ldap_frame(s->buf, s->len, PROBE_MAX_MESSAGE);
        if (fl == 0)
            return s->len >= PROBE_MAX_MESSAGE; /* a message larger than the buffer */
        proto_ldap_msg m;
        if (fl < 0 || proto_ldap_decode(s->buf, (size_t)fl, &m) != 0) {
            if (fl > 0)
                proto_ldap_msg_clear(&m);
            return 1;
        }
        if (m.op == PROTO_LDAP_SEARCH && m.dn)
            ops->name(user, PROBE_CB_LDAP, m.dn, m.dn_len);
        int rop, code, act = proto_ldap_safe_reply(m.op, &rop, &code);
        if (act > 0) {
            unsigned char *out;
            size_t ol;
            if (proto_ldap_encode_result(m.msgid, rop, code, &out, &ol) == 0) {
                ops->write(user, out, ol);
                free(out);
            }
        }
        proto_ldap_msg_clear(&m);
        if (act < 0)
            return 1;
        memmove(s->buf, s->buf + fl, s->len - (size_t)fl);
        s->len -= (size_t)fl;
    }
    return 0;
}

/* RMI: acknowledge the stream header, report the looked-up name, close
 * (never ReturnData). */
static int rmi_run(probe_session *s, const probe_session_ops *ops, void *user) {
    proto_rmi_info info;
    int r = proto_rmi_parse(s->buf, s->len, &info);
    int full = s->len >= PROBE_MAX_MESSAGE;
    if ((r == PROTO_RMI_NEED_MORE || r == PROTO_RMI_NEED_ACK) && !full) {
        if (r == PROTO_RMI_NEED_ACK && !s->acked) {
            unsigned char ack[300];
            size_t al = proto_rmi_ack(s->src, s->src_port, ack, sizeof ack);
            s->acked = 1;
            if (al)
                ops->write(user, ack, al);
        }
        return 0;
    }
    if (r == PROTO_RMI_CALL && info.have_name)
        ops->name(user, PROBE_CB_RMI, info.name, info.name_len);
    return 1;
}

int probe_session_run(probe_session *s, const probe_session_ops *ops, void *user) {
    if (!s->len)
        return 0;
    int close;
    if (s->buf[0] == 0x30)
        close = ldap_run(s, ops, user);
    else if (s->buf[0] == 'J')
        close = rmi_run(s, ops, user);
    else
        close = 1; /* neither protocol */
    return close || s->len >= PROBE_MAX_MESSAGE;
}
