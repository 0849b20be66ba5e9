/*
 * hp_tls_hello.c -- the two ClientHello extensions a TLS event reports, the
 * server name (SNI) and the offered ALPN protocols, read from the extension
 * bodies OpenSSL's ClientHello callback hands over
 * (SSL_client_hello_get0_ext).  OpenSSL parses the record and the
 * ClientHello itself; these bodies are opaque bytes to it at that point, and
 * it has no public accessor for the offered ALPN list or for SNI before
 * version negotiation (a client offering only versions we refuse still
 * names its target), hence these two small bounded readers.  No socket, no
 * OpenSSL: fuzzed by tests/fuzz/fuzz_hp_tls.c.
 */
#include "honeypot.h"

#include <string.h>

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }

int hp_tls_sni(const unsigned char *ext, size_t len, char *out, size_t outsz, size_t *outlen) {
    /* ServerNameList: u16 length, then { u8 name_type, u16 length, name } */
    if (outsz == 0)
        return -1;
    out[0] = '\0';
    *outlen = 0;
    if (len < 2 || be16(ext) != len - 2)
        return -1;
    size_t p = 2;
    while (p < len) {
        if (len - p < 3)
            return -1;
        unsigned type = ext[p];
        size_t nl = be16(ext + p + 1);
        p += 3;
        if (nl > len - p)
            return -1;
        if (type == 0 && nl > 0) { /* host_name */
            size_t keep = nl < outsz - 1 ? nl : outsz - 1;
            memcpy(out, ext + p, keep);
            out[keep] = '\0';
            *outlen = keep;
            return 0;
        }
        p += nl;
    }
    return -1;
}

int hp_tls_alpn(const unsigned char *ext, size_t len, unsigned char *out, size_t outsz,
                size_t *outlen) {
    /* ProtocolNameList: u16 length, then { u8 length (>= 1), name } */
    *outlen = 0;
    if (len < 2 || be16(ext) != len - 2 || len == 2)
        return -1;
    size_t p = 2;
    int n = 0;
    int full = 0;
    while (p < len) {
        size_t pl = ext[p];
        if (pl == 0 || pl > len - p - 1)
            return -1;
        if (!full && *outlen + 1 + pl <= outsz) {
            memcpy(out + *outlen, ext + p, 1 + pl);
            *outlen += 1 + pl;
            n++;
        } else {
            full = 1; /* keep whole entries in order; validate the rest */
        }
        p += 1 + pl;
    }
    return n;
}

int hp_tls_sniff(const unsigned char *b, size_t len) { return len >= 1 && b[0] == 0x16; }
