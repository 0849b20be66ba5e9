/* decode.c -- STUB: transport decoding (replaced by the real decoder). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct defuse__decoder {
    char *text;
    size_t len;
};

int defuse__decoder_new(defuse__decoder **out) {
    *out = calloc(1, sizeof **out);
    return *out ? 0 : DEFUSE_ENOMEM;
}

void defuse__decoder_free(defuse__decoder *d) {
    if (d) {
        free(d->text);
        free(d);
    }
}

int defuse__decode(defuse__decoder *d, const char *buf, size_t len, unsigned flags,
                   unsigned max_layers) {
    (void)flags;
    (void)max_layers;
    char *t = realloc(d->text, len + 1);
    if (!t)
        return DEFUSE_ENOMEM;
    memcpy(t, buf, len);
    t[len] = '\0';
    d->text = t;
    d->len = len;
    return 0;
}

const char *defuse__decoded_text(const defuse__decoder *d, size_t *len) {
    *len = d->len;
    return d->text;
}

size_t defuse__decoded_origin(const defuse__decoder *d, size_t pos) {
    (void)d;
    return pos;
}

size_t defuse__decoded_layers(const defuse__decoder *d, size_t a, size_t b, defuse_layer *out,
                              size_t max) {
    (void)d;
    (void)a;
    (void)b;
    (void)out;
    (void)max;
    return 0;
}

long defuse__base64_decode(const char *s, size_t n, unsigned char *out) {
    (void)s;
    (void)n;
    (void)out;
    return -1;
}
