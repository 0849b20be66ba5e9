/*
 * fuzz_hp_tls.c -- libFuzzer target for the ClientHello extension readers
 * of the honeypot (honeypot/hp_tls_hello.c).  The first byte picks the
 * output size (so cut names and partial ALPN lists are reached); the rest is
 * an extension body.  Checks: a server name (raw bytes, NUL included) is
 * terminated within its buffer at the reported length; the ALPN copy is a well-formed list of
 * the reported count that fits and is a prefix of the input's list.
 */
/* Compiled in so that libFuzzer instruments it. */
#include "../../honeypot/hp_tls_hello.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    size_t outsz = 1 + data[0] % (HP_TLS_MAX_SNI + 1);
    data++;
    size--;
    char name[HP_TLS_MAX_SNI + 1];
    size_t nl = 12345;
    if (hp_tls_sni(data, size, name, outsz, &nl) == 0) {
        if (nl >= outsz || name[nl] != '\0')
            abort();
    }
    unsigned char out[HP_TLS_MAX_ALPN];
    size_t ol;
    size_t asz = outsz < sizeof out ? outsz : sizeof out;
    int n = hp_tls_alpn(data, size, out, asz, &ol);
    if (n >= 0) {
        if (ol > asz || size < 2 || (ol && memcmp(out, data + 2, ol) != 0))
            abort();
        int k = 0;
        for (size_t p = 0; p < ol; p += 1u + out[p], k++)
            if (out[p] == 0 || out[p] > ol - p - 1)
                abort();
        if (k != n)
            abort();
    }
    (void)hp_tls_sniff(data, size);
    return 0;
}
