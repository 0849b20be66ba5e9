/*
 * fuzz_hp_http.c -- libFuzzer target for the honeypot's HTTP request parser
 * (honeypot/hp_http.c): parses the input as the bytes of one connection,
 * then checks that every pointer of the result lies inside the buffer, the
 * body respects max_body, and that a prefix shorter than the request never
 * parses to a longer one.  Also drives the percent decoder.
 */
/* The parser is compiled into this file so that libFuzzer instruments it
 * (the libraries are built without coverage instrumentation). */
#include "../../honeypot/hp_http.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEAD 2048
#define MAX_BODY 1024

static void in_buf(const char *buf, size_t len, const char *p, size_t n) {
    if (n == 0)
        return;
    if (p < buf || p + n > buf + len)
        abort();
}

static long parse_copy(const uint8_t *data, size_t size, hp_http_req *rq, char **out) {
    char *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    if (size)
        memcpy(buf, data, size);
    long r = hp_http_parse(buf, size, MAX_HEAD, MAX_BODY, rq);
    *out = buf;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hp_http_req rq;
    char *buf;
    long r = parse_copy(data, size, &rq, &buf);
    if (r > 0) {
        if ((size_t)r > size)
            abort();
        in_buf(buf, size, rq.line, rq.line_len);
        in_buf(buf, size, rq.method, rq.method_len);
        in_buf(buf, size, rq.target, rq.target_len);
        in_buf(buf, size, rq.version, rq.version_len);
        in_buf(buf, size, rq.body, rq.body_len);
        if (rq.body_len > MAX_BODY || rq.nheaders > HP_HTTP_MAX_HEADERS)
            abort();
        for (size_t i = 0; i < rq.nheaders; i++) {
            in_buf(buf, size, rq.headers[i].name, rq.headers[i].name_len);
            in_buf(buf, size, rq.headers[i].value, rq.headers[i].value_len);
        }
        size_t vl;
        (void)hp_http_header_get(&rq, "content-length", &vl);
        char *dec = malloc(rq.target_len + 1);
        if (!dec)
            abort();
        size_t dl = hp_percent_decode(rq.target, rq.target_len, dec, rq.target_len, 1);
        if (dl > rq.target_len)
            abort();
        free(dec);
        /* a strict prefix of the request is never a complete longer one */
        hp_http_req rq2;
        char *buf2;
        long r2 = parse_copy(data, (size_t)r - 1, &rq2, &buf2);
        if (r2 > r - 1)
            abort();
        free(buf2);
    } else if (r < HP_HTTP_ETOOBIG) {
        abort();
    }
    free(buf);
    return 0;
}
