/*
 * sha256.c -- SHA-256 for class hashes and component digests (inventory),
 * the fix journal (inventory_fix.c) and the digest of a JSON field cut at
 * its bound (json.c), through OpenSSL's libcrypto.
 *
 * libcrypto rather than a hand-written FIPS 180-4 loop: `defuse scan` hashes
 * every archive that holds a component, and the portable C loop was 30% of
 * a 200k-file walk (docs/scan.md); libcrypto uses the CPU's SHA extensions
 * (or AVX2) and is already linked by the honeypot's TLS and by nginx.
 */
#include "internal.h"

#include <openssl/evp.h>

bool defuse__sha256_once(const void *data, size_t len, uint8_t out[32]) {
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32)
        return true;
    memset(out, 0, 32);
    return false;
}

bool defuse__sha256_init(defuse__sha256 *c) {
    c->ctx = EVP_MD_CTX_new();
    if (c->ctx && EVP_DigestInit_ex(c->ctx, EVP_sha256(), NULL) == 1)
        return true;
    defuse__sha256_abort(c);
    return false;
}

bool defuse__sha256_update(defuse__sha256 *c, const void *data, size_t len) {
    return c->ctx && EVP_DigestUpdate(c->ctx, data, len) == 1;
}

bool defuse__sha256_final(defuse__sha256 *c, uint8_t out[32]) {
    unsigned int n = 0;
    bool ok = c->ctx && EVP_DigestFinal_ex(c->ctx, out, &n) == 1 && n == 32;
    if (!ok)
        memset(out, 0, 32);
    defuse__sha256_abort(c);
    return ok;
}

void defuse__sha256_abort(defuse__sha256 *c) {
    EVP_MD_CTX_free(c->ctx);
    c->ctx = NULL;
}

void defuse__sha256_hex(const uint8_t d[32], char out[65]) {
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = 0;
}
