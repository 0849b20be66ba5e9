/*
 * hp_http.c -- the honeypot's HTTP/1.x request parser.  It works on the
 * bytes of a connection accumulated so far, never on a socket, so the fuzz
 * target and the unit tests drive it directly.  Hand-written rather than a
 * library because it must be lenient the way attack tools are sloppy (bare
 * LF, odd spacing, folded headers) and keep hostile bytes for the detector
 * instead of rejecting them; every length it follows is bounded by the
 * caller's max_head and max_body.
 */
#include "honeypot.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int is_tchar(unsigned char c) {
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Offset just after the blank line ending the head, or 0 when absent. */
static size_t head_end(const char *buf, size_t len) {
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return i + 2;
        if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static size_t trim_len(const char *s, size_t n) {
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n;
}

const char *hp_http_header_get(const hp_http_req *req, const char *name, size_t *vlen) {
    size_t nl = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++) {
        const hp_http_header *h = &req->headers[i];
        if (h->name_len == nl && !strncasecmp(h->name, name, nl)) {
            *vlen = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

static int contains_token(const char *v, size_t n, const char *tok) {
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= n; i++)
        if (!strncasecmp(v + i, tok, tl))
            return 1;
    return 0;
}

/* Keeps s[0..n) and a newline in req->chunk_meta for scanning (bounded). */
static void keep_meta(hp_http_req *req, const char *s, size_t n) {
    if (!req || !n)
        return;
    size_t room = HP_CHUNK_META - req->chunk_meta_len;
    if (n + 1 > room) {
        req->chunk_meta_lost += n + 1;
        return;
    }
    memcpy(req->chunk_meta + req->chunk_meta_len, s, n);
    req->chunk_meta[req->chunk_meta_len + n] = '\n';
    req->chunk_meta_len += n + 1;
}

/* Walks a chunked body at buf[pos..len).  With copy, compacts the data in
 * place starting at pos, and keeps extensions and trailers in meta (copied
 * before the compaction overwrites them).  Returns the end offset (> 0), 0
 * when incomplete, -1 when malformed.  OUT: *datalen, *truncated. */
static long chunked(char *buf, size_t pos, size_t len, size_t max_body, hp_http_req *meta,
                    size_t *datalen, int *truncated) {
    int copy = meta != NULL;
    size_t w = pos, total = 0;
    *truncated = 0;
    for (;;) {
        /* chunk-size [; ext] CRLF */
        size_t p = pos, size = 0, digits = 0;
        while (p < len && isxdigit((unsigned char)buf[p])) {
            int c = (unsigned char)buf[p];
            int d = isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10);
            if (digits++ > 15)
                return -1;
            size = size * 16 + (size_t)d;
            p++;
        }
        if (p == len)
            return 0;
        if (!digits)
            return -1;
        const char *nl = memchr(buf + p, '\n', len - p);
        if (!nl)
            return (len - p > 256) ? -1 : 0;
        if ((size_t)(nl - (buf + p)) > 256)
            return -1;
        if (copy) /* the extension: ";name=value..." up to CR LF */
            keep_meta(meta, buf + p, trim_len(buf + p, (size_t)(nl - (buf + p))));
        p = (size_t)(nl - buf) + 1;
        if (size == 0) {
            /* trailers until an empty line */
            for (;;) {
                if (p >= len)
                    return 0;
                const char *e = memchr(buf + p, '\n', len - p);
                if (!e)
                    return 0;
                size_t ll = trim_len(buf + p, (size_t)(e - (buf + p)));
                if (copy)
                    keep_meta(meta, buf + p, ll);
                p = (size_t)(e - buf) + 1;
                if (ll == 0)
                    break;
            }
            *datalen = total;
            return (long)p;
        }
        size_t want = size;
        if (total + want > max_body) {
            want = max_body - total;
            *truncated = 1;
        }
        if (len - p < want)
            return 0;
        if (copy)
            memmove(buf + w, buf + p, want);
        w += want;
        total += want;
        p += want;
        if (*truncated) {
            *datalen = total;
            return (long)p;
        }
        /* CRLF after the data */
        if (p < len && buf[p] == '\r')
            p++;
        if (p >= len)
            return 0;
        if (buf[p] != '\n')
            return -1;
        pos = p + 1;
    }
}

long hp_http_parse(char *buf, size_t len, size_t max_head, size_t max_body, hp_http_req *req) {
    memset(req, 0, sizeof *req);
    size_t start = 0;
    while (start < len && (buf[start] == '\r' || buf[start] == '\n') && start < 64)
        start++;
    /* Reject non-HTTP early so binary junk does not wait for a timeout. */
    size_t i = start;
    while (i < len && i - start < 32 && is_tchar((unsigned char)buf[i]))
        i++;
    if (i < len && (buf[i] != ' ' || i == start))
        return HP_HTTP_EBAD;
    if (i - start >= 32)
        return HP_HTTP_EBAD;
    size_t he = head_end(buf + start, len - start);
    if (!he)
        return len - start > max_head ? HP_HTTP_ETOOBIG : HP_HTTP_NEED_MORE;
    if (he > max_head)
        return HP_HTTP_ETOOBIG;
    he += start;

    /* request line */
    const char *line = buf + start;
    const char *eol = memchr(line, '\n', he - start);
    size_t ll = trim_len(line, (size_t)(eol - line));
    req->line = line;
    req->line_len = ll;
    const char *sp1 = memchr(line, ' ', ll);
    if (!sp1)
        return HP_HTTP_EBAD;
    req->method = line;
    req->method_len = (size_t)(sp1 - line);
    const char *t = sp1;
    while (t < line + ll && *t == ' ')
        t++;
    const char *sp2 = line + ll;
    while (sp2 > t && sp2[-1] != ' ')
        sp2--;
    if (sp2 <= t)
        return HP_HTTP_EBAD; /* no version: HTTP/0.9 is not served */
    req->version = sp2;
    req->version_len = (size_t)(line + ll - sp2);
    if (req->version_len < 6 || strncmp(req->version, "HTTP/", 5) != 0)
        return HP_HTTP_EBAD;
    req->target = t;
    req->target_len = trim_len(t, (size_t)(sp2 - t));
    if (req->target_len == 0)
        return HP_HTTP_EBAD;

    /* headers */
    const char *p = eol + 1;
    const char *end = buf + he;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t hl = trim_len(p, (size_t)(e - p));
        if (hl == 0)
            break;
        if ((*p == ' ' || *p == '\t')) {
            /* obsolete line folding: extend the previous value */
            if (req->nheaders == 0)
                return HP_HTTP_EBAD;
            if (!req->headers_dropped) {
                hp_http_header *h = &req->headers[req->nheaders - 1];
                h->value_len = (size_t)(p + hl - h->value);
            }
            p = e + 1;
            continue;
        }
        const char *colon = memchr(p, ':', hl);
        if (!colon || colon == p)
            return HP_HTTP_EBAD;
        if (req->nheaders >= HP_HTTP_MAX_HEADERS) {
            if (!req->headers_dropped++)
                req->dropped = p;
            req->dropped_len = (size_t)(e - req->dropped);
            p = e + 1;
            continue;
        }
        hp_http_header *h = &req->headers[req->nheaders++];
        h->name = p;
        h->name_len = trim_len(p, (size_t)(colon - p));
        const char *v = colon + 1;
        while (v < p + hl && (*v == ' ' || *v == '\t'))
            v++;
        h->value = v;
        h->value_len = (size_t)(p + hl - v);
        p = e + 1;
    }

    /* connection semantics */
    size_t vl;
    const char *conn = hp_http_header_get(req, "Connection", &vl);
    int http11 = !strncmp(req->version, "HTTP/1.1", 8) && req->version_len == 8;
    req->keep_alive = http11 ? !(conn && contains_token(conn, vl, "close"))
                             : (conn && contains_token(conn, vl, "keep-alive"));

    /* body */
    const char *te = hp_http_header_get(req, "Transfer-Encoding", &vl);
    if (te && contains_token(te, vl, "chunked")) {
        req->chunked = 1;
        size_t dl = 0;
        int trunc = 0;
        long r = chunked(buf, he, len, max_body, NULL, &dl, &trunc);
        if (r < 0)
            return HP_HTTP_EBAD;
        if (r == 0) {
            req->head_complete = 1;
            return HP_HTTP_NEED_MORE;
        }
        chunked(buf, he, len, max_body, req, &dl, &trunc);
        req->body = buf + he;
        req->body_len = dl;
        req->body_declared = dl;
        if (trunc) {
            req->body_truncated = 1;
            req->keep_alive = 0;
        }
        return r;
    }
    const char *cl = hp_http_header_get(req, "Content-Length", &vl);
    size_t clen = 0;
    if (cl) {
        if (vl == 0 || vl > 18)
            return HP_HTTP_EBAD;
        for (size_t k = 0; k < vl; k++) {
            if (!isdigit((unsigned char)cl[k]))
                return HP_HTTP_EBAD;
            clen = clen * 10 + (size_t)(cl[k] - '0');
        }
    }
    req->body_declared = clen;
    size_t need = clen;
    if (need > max_body) {
        need = max_body;
        req->body_truncated = 1;
        req->keep_alive = 0;
    }
    if (len - he < need) {
        req->head_complete = 1;
        return HP_HTTP_NEED_MORE;
    }
    req->body = buf + he;
    req->body_len = need;
    return (long)(he + need);
}

size_t hp_percent_decode(const char *in, size_t len, char *out, size_t outsz, int plus) {
    size_t o = 0;
    for (size_t i = 0; i < len && o < outsz; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%' && i + 2 < len && isxdigit((unsigned char)in[i + 1]) &&
            isxdigit((unsigned char)in[i + 2])) {
            int hi = in[i + 1], lo = in[i + 2];
            hi = isdigit(hi) ? hi - '0' : tolower(hi) - 'a' + 10;
            lo = isdigit(lo) ? lo - '0' : tolower(lo) - 'a' + 10;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}
