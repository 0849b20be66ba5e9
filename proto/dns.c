/*
 * dns.c -- DNS over UDP for the canary zone: parse the first question of
 * a query (RFC 1035 4.1, name compression followed backwards only, at most
 * 16 hops, 255 bytes) and build a reply with an optional A record.
 * Hand-written: the packet layout is tiny and fixed, and Debian's resolver
 * libraries only build queries; every offset is bounds-checked.
 */
#include "proto.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int proto_dns_parse(const unsigned char *pkt, size_t len, proto_dns_query *q) {
    memset(q, 0, sizeof *q);
    if (len < 12)
        return -1;
    q->id = (uint16_t)(pkt[0] << 8 | pkt[1]);
    q->flags = (uint16_t)(pkt[2] << 8 | pkt[3]);
    unsigned qd = (unsigned)(pkt[4] << 8 | pkt[5]);
    if ((q->flags & 0x8000) || qd == 0)
        return -1; /* a response, or no question */
    size_t p = 12, end = 0, wire = 0;
    int hops = 0;
    size_t o = 0;
    for (;;) {
        if (p >= len)
            return -1;
        unsigned l = pkt[p];
        if ((l & 0xC0) == 0xC0) {
            if (p + 1 >= len || ++hops > 16)
                return -1;
            size_t target = (size_t)((l & 0x3F) << 8 | pkt[p + 1]);
            if (!end)
                end = p + 2;
            if (target >= p)
                return -1; /* only backwards: no loops */
            p = target;
            continue;
        }
        if (l & 0xC0)
            return -1; /* extended label types */
        if (l == 0) {
            if (!end)
                end = p + 1;
            break;
        }
        wire += l + 1;
        if (wire > 255 || p + 1 + l > len)
            return -1;
        if (o && o < sizeof q->name - 1)
            q->name[o++] = '.';
        for (unsigned i = 0; i < l; i++) {
            unsigned char c = pkt[p + 1 + i];
            if (o + 5 >= sizeof q->name)
                break;
            if (c > 0x20 && c < 0x7f && c != '.' && c != '\\')
                q->name[o++] = (char)c;
            else
                o += (size_t)snprintf(q->name + o, sizeof q->name - o, "\\%03u", c);
        }
        p += 1 + l;
    }
    q->name[o] = '\0';
    q->name_len = o;
    if (end + 4 > len)
        return -1;
    q->qtype = (uint16_t)(pkt[end] << 8 | pkt[end + 1]);
    q->qclass = (uint16_t)(pkt[end + 2] << 8 | pkt[end + 3]);
    q->question_end = end + 4;
    return 0;
}

int proto_dns_in_zone(const char *name, size_t len, const char *zone) {
    size_t zl = strlen(zone);
    if (zl == 0)
        return 1;
    if (len && name[len - 1] == '.')
        len--;
    if (len < zl || strncasecmp(name + len - zl, zone, zl) != 0)
        return 0;
    return len == zl || name[len - zl - 1] == '.';
}

size_t proto_dns_reply(const unsigned char *pkt, const proto_dns_query *q, int rcode,
                    const uint8_t *a4, uint32_t ttl, unsigned char *out, size_t outsz) {
    size_t qlen = q->question_end - 12;
    size_t need = 12 + qlen + (a4 ? 16 : 0);
    if (q->question_end < 12 || outsz < need)
        return 0;
    uint16_t flags = (uint16_t)(0x8000 | (q->flags & 0x7800) | 0x0400 | (q->flags & 0x0100) |
                                (rcode & 0xF));
    out[0] = (unsigned char)(q->id >> 8);
    out[1] = (unsigned char)q->id;
    out[2] = (unsigned char)(flags >> 8);
    out[3] = (unsigned char)flags;
    out[4] = 0, out[5] = 1;              /* QDCOUNT */
    out[6] = 0, out[7] = a4 ? 1 : 0;     /* ANCOUNT */
    memset(out + 8, 0, 4);               /* NSCOUNT, ARCOUNT */
    memcpy(out + 12, pkt + 12, qlen);
    size_t p = 12 + qlen;
    if (a4) {
        static const unsigned char rr[] = {0xC0, 0x0C, 0, 1, 0, 1};
        memcpy(out + p, rr, sizeof rr);
        p += sizeof rr;
        out[p++] = (unsigned char)(ttl >> 24);
        out[p++] = (unsigned char)(ttl >> 16);
        out[p++] = (unsigned char)(ttl >> 8);
        out[p++] = (unsigned char)ttl;
        out[p++] = 0;
        out[p++] = 4;
        memcpy(out + p, a4, 4);
        p += 4;
    }
    return p;
}
