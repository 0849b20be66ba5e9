/*
 * fuzz_decode.c -- libFuzzer target for lib/decode.c and lib/candidate.c.
 * For every input: decodes it (plain, and as a Basic-auth header value),
 * checks that the offset map is monotonic and inside the input, that layer
 * queries stay bounded, and the pre-filter's never-miss invariant: if the
 * decoded text holds "${", defuse_candidate() must return an offset at or
 * before the original offset of that '$'.  The AVX2, SSE2 and scalar
 * pre-filter scans must agree.  Also runs defuse__base64_decode() on the input.
 * Builds with gcc as well (replayed over tests/fuzz/corpus/decode/).
 */
#include "decode_extra.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static defuse__decoder *dec;

static void check_map(const char *in, size_t n) {
    size_t dl;
    const char *d = defuse__decoded_text(dec, &dl);
    if (!d || d[dl] != '\0' || dl > n)
        abort();
    size_t prev = 0;
    for (size_t i = 0; i <= dl; i++) {
        size_t o = defuse__decoded_origin(dec, i);
        if (o < prev || o > n || (i < dl && o >= n) || (i == dl && o != n))
            abort();
        prev = o;
    }
    defuse_layer ly[DEFUSE_MAX_REPORTED_LAYERS];
    size_t spans[][2] = {{0, dl}, {0, 1}, {dl / 2, dl / 2 + 2}, {dl ? dl - 1 : 0, dl}};
    for (size_t s = 0; s < sizeof spans / sizeof spans[0]; s++) {
        size_t a = spans[s][0], b = spans[s][1] > dl ? dl : spans[s][1];
        size_t k = defuse__decoded_layers(dec, a, b, ly, DEFUSE_MAX_REPORTED_LAYERS);
        if (k > DEFUSE_MAX_REPORTED_LAYERS)
            abort();
        for (size_t i = 0; i < k; i++)
            if ((unsigned)ly[i] >= DEFUSE_LAYER_COUNT)
                abort();
    }
    (void)in;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dec && defuse__decoder_new(&dec) != 0)
        abort();
    const char *in = (const char *)data;

    /* Plain decode + the never-miss invariant. */
    int r = defuse__decode(dec, in, size, 0, DEFUSE_DEFAULT_MAX_LAYERS);
    if (r < 0 || r > (int)DEFUSE_DEFAULT_MAX_LAYERS)
        abort();
    check_map(in, size);
    size_t dl;
    const char *d = defuse__decoded_text(dec, &dl);
    size_t c = defuse_candidate(in, size);
    if (c > size)
        abort();
    for (unsigned k = 0; k < 8; k++) {
        size_t nl = 0, kc = defuse__candidate_impl(k, in, size, &nl);
        if (kc != SIZE_MAX && (kc != c || defuse__candidate_impl(k, in, size, NULL) != c))
            abort(); /* the scanners disagree */
        if (kc != SIZE_MAX) {
            size_t want_nl = 0;
            for (size_t i = 0; i < c; i++)
                want_nl += in[i] == '\n';
            if (nl != want_nl)
                abort();
        }
    }
    const char *hit = dl >= 2 ? memmem(d, dl, "${", 2) : NULL;
    if (hit && c > defuse__decoded_origin(dec, (size_t)(hit - d)))
        abort(); /* the pre-filter missed an encoded "${" */
    if (r == 0 && (dl != size || (size && memcmp(d, in, size) != 0)))
        abort(); /* zero rounds must mean the text is the input */

    /* DEFUSE__DECODE_PROBE keeps no origins but must give the same text,
     * with and without DEFUSE__DECODE_STOP_CLEAN. */
    for (unsigned stop = 0; stop < 2; stop++) {
        unsigned fl = stop ? DEFUSE__DECODE_STOP_CLEAN : 0;
        int r1 = defuse__decode(dec, in, size, fl, DEFUSE_DEFAULT_MAX_LAYERS);
        size_t l1;
        const char *t1 = defuse__decoded_text(dec, &l1);
        char *copy = malloc(l1 + 1);
        if (!copy)
            return 0;
        memcpy(copy, t1, l1);
        int r2 =
            defuse__decode(dec, in, size, fl | DEFUSE__DECODE_PROBE, DEFUSE_DEFAULT_MAX_LAYERS);
        size_t l2;
        const char *t2 = defuse__decoded_text(dec, &l2);
        if (r1 != r2 || l1 != l2 || memcmp(copy, t2, l1) != 0)
            abort(); /* the probe decoded differently */
        free(copy);
    }

    /* As a header value, fewer rounds. */
    r = defuse__decode(dec, in, size, DEFUSE_SCAN_BASIC_AUTH, 3);
    if (r < 0 || r > 3)
        abort();
    check_map(in, size);

    /* Base64 alone. */
    unsigned char *out = malloc(size * 3 / 4 + 3);
    if (out) {
        long bl = defuse__base64_decode(in, size, out);
        if (bl > (long)(size * 3 / 4 + 3))
            abort();
        free(out);
    }
    return 0;
}
