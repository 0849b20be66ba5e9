/*
 * test_enc.h -- encoders of the transport layers of mail and tokens for the
 * unit tests (Base64, percent, RFC 2047 Q and quoted-printable), written
 * from the encodings' definitions, independent of lib/decode.c, so that a
 * test input is never made with the code under test.
 */
#ifndef DEFUSE_TEST_ENC_H
#define DEFUSE_TEST_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Base64 of s[0..n) into o (NUL-terminated): url selects the URL-safe
 * alphabet, pad the '=' padding.  Returns the length. */
static inline size_t b64enc(const char *s, size_t n, char *o, bool url, bool pad) {
    const char *al = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                         : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        for (int k = 3; k >= 0; k--)
            o[w++] = al[(v >> (6 * k)) & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        o[w++] = al[v >> 18];
        o[w++] = al[(v >> 12) & 63];
        if (pad) {
            o[w++] = '=';
            o[w++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        o[w++] = al[v >> 18];
        o[w++] = al[(v >> 12) & 63];
        o[w++] = al[(v >> 6) & 63];
        if (pad)
            o[w++] = '=';
    }
    o[w] = '\0';
    return w;
}

/* Percent-encodes the bytes of s that are in `which` (all when NULL). */
static inline void pctenc(const char *s, const char *which, char *o) {
    size_t w = 0;
    for (; *s; s++) {
        if (!which || strchr(which, *s))
            w += (size_t)sprintf(o + w, "%%%02X", (unsigned char)*s);
        else
            o[w++] = *s;
    }
    o[w] = '\0';
}

/* RFC 2047 Q encoding (q) or quoted-printable (!q): letters, digits and
 * ".:/-" stay; ' ' is '_' in Q; everything else "=XX". */
static inline void qenc(const char *s, char *o, bool q) {
    size_t w = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr(".:/-", c))
            o[w++] = (char)c;
        else if (c == ' ' && q)
            o[w++] = '_';
        else
            w += (size_t)sprintf(o + w, "=%02X", c);
    }
    o[w] = '\0';
}

#endif /* DEFUSE_TEST_ENC_H */
