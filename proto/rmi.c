/*
 * rmi.c -- the client side of Java RMI's JRMP wire protocol, as far as a
 * registry lookup: the "JRMI" header, the client endpoint of the stream
 * protocol, and the Call message whose Java serialization stream carries the
 * ObjID, the operation and the looked-up name (TC_STRING).  The listener
 * records that and closes; it never sends ReturnData, so no object and no
 * codebase ever reaches the client.  Hand-written: no Debian library parses
 * JRMP, and only a handful of fixed fields are read, each bounds-checked.
 * Layouts: PROTOCOLS.md and the Java Object Serialization Specification.
 */
#include "proto.h"

#include <string.h>

static uint64_t be(const unsigned char *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static void copy_name(proto_rmi_info *info, const unsigned char *s, size_t n) {
    if (n >= sizeof info->name)
        n = sizeof info->name - 1;
    memcpy(info->name, s, n);
    info->name[n] = '\0';
    info->name_len = n;
    info->have_name = 1;
}

/* Parses the serialization stream of a Call at buf[0..len).
 * Returns PROTO_RMI_CALL when the name (or something that is not one) was
 * reached, PROTO_RMI_NEED_MORE when incomplete. */
static int parse_call(const unsigned char *buf, size_t len, proto_rmi_info *info) {
    static const unsigned char magic[4] = {0xAC, 0xED, 0x00, 0x05};
    size_t n = len < 4 ? len : 4;
    if (memcmp(buf, magic, n) != 0) {
        info->have_call = 1; /* a Call with a stream we do not understand */
        return PROTO_RMI_CALL;
    }
    if (len < 4)
        return PROTO_RMI_NEED_MORE;
    size_t p = 4;
    int first_block = 1;
    for (int elements = 0; elements < 64; elements++) {
        if (p >= len)
            return PROTO_RMI_NEED_MORE;
        unsigned char tc = buf[p];
        size_t hl, dl;
        if (tc == 0x77 || tc == 0x7A) { /* TC_BLOCKDATA, TC_BLOCKDATALONG */
            hl = tc == 0x77 ? 2 : 5;
            if (len - p < hl)
                return PROTO_RMI_NEED_MORE;
            dl = (size_t)be(buf + p + 1, hl - 1);
            if (dl > len - p - hl)
                return PROTO_RMI_NEED_MORE;
            if (first_block && dl >= 34) {
                /* ObjID (objNum u64, UID: u32 u64 u16), op i32, hash i64 */
                const unsigned char *d = buf + p + hl;
                info->objnum = (int64_t)be(d, 8);
                info->op = (int32_t)(uint32_t)be(d + 22, 4);
                info->hash = (int64_t)be(d + 26, 8);
            }
            first_block = 0;
            p += hl + dl;
            continue;
        }
        if (tc == 0x74 || tc == 0x7C) { /* TC_STRING, TC_LONGSTRING */
            hl = tc == 0x74 ? 3 : 9;
            if (len - p < hl)
                return PROTO_RMI_NEED_MORE;
            uint64_t sl = be(buf + p + 1, hl - 1);
            size_t avail = len - p - hl;
            if (sl > avail) {
                if (avail < PROTO_RMI_MAX_NAME - 1)
                    return PROTO_RMI_NEED_MORE;
                sl = avail; /* a huge name: keep what we have */
            }
            info->have_call = 1;
            copy_name(info, buf + p + hl, (size_t)sl);
            return PROTO_RMI_CALL;
        }
        info->have_call = 1; /* an object, a reset, ...: not a plain name */
        return PROTO_RMI_CALL;
    }
    info->have_call = 1;
    return PROTO_RMI_CALL;
}

int proto_rmi_parse(const unsigned char *buf, size_t len, proto_rmi_info *info) {
    static const unsigned char magic[4] = {'J', 'R', 'M', 'I'};
    memset(info, 0, sizeof *info);
    info->protocol = -1;
    info->message = -1;
    info->op = -1;
    size_t n = len < 4 ? len : 4;
    if (memcmp(buf, magic, n) != 0)
        return PROTO_RMI_EBAD;
    if (len < 7)
        return PROTO_RMI_NEED_MORE;
    info->version = (unsigned)be(buf + 4, 2);
    info->protocol = buf[6];
    size_t p = 7;
    if (info->protocol == 0x4D)
        return PROTO_RMI_OTHER; /* multiplex: recorded, not spoken */
    if (info->protocol != 0x4B && info->protocol != 0x4C)
        return PROTO_RMI_EBAD;
    if (info->protocol == 0x4B) {
        /* the client's endpoint: u16 length + host, u32 port */
        if (len - p < 2)
            return PROTO_RMI_NEED_ACK;
        size_t hl = (size_t)be(buf + p, 2);
        if (len - p - 2 < hl + 4)
            return hl > 1024 ? PROTO_RMI_EBAD : PROTO_RMI_NEED_ACK;
        size_t keep = hl < sizeof info->client_host - 1 ? hl : sizeof info->client_host - 1;
        memcpy(info->client_host, buf + p + 2, keep);
        info->client_host[keep] = '\0';
        info->client_port = (unsigned)be(buf + p + 2 + hl, 4);
        p += 2 + hl + 4;
    }
    int waiting = info->protocol == 0x4B ? PROTO_RMI_NEED_ACK : PROTO_RMI_NEED_MORE;
    for (int msgs = 0; msgs < 16; msgs++) {
        if (p >= len)
            return waiting;
        info->message = buf[p];
        switch (buf[p]) {
        case 0x50: { /* Call */
            int r = parse_call(buf + p + 1, len - p - 1, info);
            return r == PROTO_RMI_NEED_MORE ? waiting : r;
        }
        case 0x52: /* Ping */
            return PROTO_RMI_OTHER;
        case 0x54: /* DgcAck: a UID (14 bytes) follows */
            if (len - p < 15)
                return waiting;
            p += 15;
            continue;
        default:
            return PROTO_RMI_EBAD;
        }
    }
    return PROTO_RMI_EBAD;
}

size_t proto_rmi_ack(const char *host, unsigned port, unsigned char *out, size_t outsz) {
    size_t hl = strlen(host);
    if (hl > 255 || outsz < 1 + 2 + hl + 4)
        return 0;
    out[0] = 0x4E; /* ProtocolAck */
    out[1] = (unsigned char)(hl >> 8);
    out[2] = (unsigned char)hl;
    memcpy(out + 3, host, hl);
    out[3 + hl] = (unsigned char)(port >> 24);
    out[4 + hl] = (unsigned char)(port >> 16);
    out[5 + hl] = (unsigned char)(port >> 8);
    out[6 + hl] = (unsigned char)port;
    return 7 + hl;
}
