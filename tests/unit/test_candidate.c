/*
 * test_candidate.c -- unit tests of lib/candidate.c, the bulk pre-filter.
 *
 * The property that matters: it never misses.  For random and adversarial
 * strings, whenever the decoder turns s into text holding "${", the
 * candidate offset of s must be at or before the original offset of that
 * '$'.  Every scanner the CPU can run (scalar, SSE2, AVX2, AVX-512 VBMI) is
 * also checked against the others and against Hyperscan over the same
 * literal set (an independent matcher), at every alignment and length.
 * With DEFUSE_CORPUS the whole real corpus is checked too.
 *
 * DEFUSE_BENCH_CANDIDATE=<file> prints the throughput of each scan on that
 * file (docs/decoding.md gives the figures).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decode_extra.h"

static defuse__decoder *dec;

static int setup(void **state) {
    (void)state;
    return defuse__decoder_new(&dec);
}

static int teardown(void **state) {
    (void)state;
    defuse__decoder_free(dec);
    return 0;
}

static size_t cand(const char *s) { return defuse_candidate(s, strlen(s)); }

static void test_positives(void **state) {
    (void)state;
    static const struct {
        const char *s;
        size_t off;
    } cases[] = {
        {"${jndi:ldap://x/a}", 0},
        {"GET /?q=${jndi:ldap://x/a}", 8},
        {"a %24%7Bjndi", 2},
        {"a %24{jndi", 2},
        {"x%2524%257Bjndi", 1},
        {"x%25%32%34%7B", 1},
        {"$%7Bjndi", 0},
        {"$%257B", 0},
        {"\\u0024\\u007bjndi", 0},
        {"\\u0024{", 0},
        {"\\\\u0024{", 0},
        {"\\x24\\x7b", 0},
        {"\\44\\173", 0},
        {"\\044{", 0},
        {"&#36;&#123;", 0},
        {"&#x24;{", 0},
        {"&dollar;&lbrace;", 0},
        {"&amp;#36;{", 0},
        {"&AMP;dollar;{", 0},
        {"%26%2336;{", 0},
        {"zz%u0024{", 2},
        {"Authorization: Basic JHtqbmRpOng6fQ==", 15},
        {"authorization: BASIC%20JHtqbmRpOng6fQ==", 15},
        {"%%32%34{", 0},
        {"&ampdollar;{", 0},
        {"&amp#36;{", 0},
        {"\\x5C\\x5Cu0024{", 0},
        {"\\%32%34{", 0},
    };
    for (size_t i = 0; i < DEFUSE_ARRAY_LEN(cases); i++) {
        size_t got = cand(cases[i].s);
        if (got != cases[i].off)
            fail_msg("candidate(\"%s\") = %zu, want %zu", cases[i].s, got, cases[i].off);
    }
}

static void test_negatives(void **state) {
    (void)state;
    /* What clean logs are full of. */
    static const char *const clean[] = {
        "",
        "2016-12-01 INFO kafka.controller.KafkaController$$anonfun$1 (Foo$Bar.java:12)",
        "GET /search?q=a%20b%2Fc&page=2&amount=3 HTTP/1.1",
        "GET /admin%24 HTTP/1.1",
        "C:\\Program Files\\Java\\bin \\n \\t",
        "price: $5, 100% done, a & b, &nbsp; &lt;",
        "basically fine; the basics",
        "%u202e %uffff \\u00e9 \\x41 &#65; &#x41;",
    };
    for (size_t i = 0; i < DEFUSE_ARRAY_LEN(clean); i++) {
        /* "&#65;" is a trigger ("&#"): cut the last case before it. */
        const char *s = clean[i];
        size_t n = strlen(s);
        const char *amp = strstr(s, "&#");
        if (amp)
            n = (size_t)(amp - s);
        size_t got = defuse_candidate(s, n);
        if (got != n)
            fail_msg("candidate(\"%.*s\") = %zu, want none", (int)n, s, got);
    }
}

/* The markers of the first-round decodings (a JWT, an encoded-word,
 * "cookie" in any case, "basic") are found by every scanner at every
 * offset of a 64-byte step and of the one after it, at the tail each is
 * matched by ("yJ", "=?", "kie" + what follows, "basic"). */
static void test_markers(void **state) {
    (void)state;
    static const char *const marks[] = {"eyJhbGci", "=?utf-8?B?", "Cookie: a", "COOKIE=x",
                                        "cOoKiEs=1", "Basic dXNl"};
    static const size_t tail[] = {1, 0, 3, 3, 3, 0};
    char buf[260];
    for (size_t m = 0; m < DEFUSE_ARRAY_LEN(marks); m++) {
        size_t ml = strlen(marks[m]);
        for (size_t at = 0; at < 140; at++) {
            memset(buf, 'x', sizeof buf);
            memcpy(buf + at, marks[m], ml);
            for (unsigned k = 0; k < 8; k++) {
                size_t got = defuse__candidate_impl(k, buf, sizeof buf, NULL);
                if (got != SIZE_MAX && got != at + tail[m])
                    fail_msg("%s: \"%s\" at %zu found at %zu", defuse__candidate_impl_name(k),
                             marks[m], at, got);
            }
        }
    }
}

/* Every scanner the CPU runs, and Hyperscan, agree at every alignment and
 * length.  The alphabet holds the bytes of the AVX-512 buckets and high
 * bytes whose low seven bits alias them ('$' | 0x80, ...). */
static void test_agreement(void **state) {
    (void)state;
    static const char alpha[] =
        "$$%%&&\\\\{b#Basic 24u0x5c;ampdolr\xa4\xa5\xdc\xfb\xe2\xc1==?eyJeyJ7BCookie:+\xbd\xe5";
    char buf[300];
    uint64_t x = 88172645463325252ull;
    for (int iter = 0; iter < 20000; iter++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = x % 200, off = (x >> 20) % 64;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Mostly filler, some trigger bytes. */
            buf[off + i] = (x % 7) ? (char)('a' + x % 26) : alpha[(x >> 8) % (sizeof alpha - 1)];
        }
        const char *s = buf + off;
        size_t a = defuse_candidate(s, n), c = defuse__candidate_hs(s, n);
        if (a != c)
            fail_msg("disagree on \"%.*s\": %s %zu hs %zu", (int)n, s,
                     defuse__candidate_impl_name(DEFUSE__CANDIDATE_BEST), a, c);
        for (unsigned k = 0; k < 8; k++) {
            size_t b = defuse__candidate_impl(k, s, n, NULL);
            if (b != SIZE_MAX && b != a)
                fail_msg("disagree on \"%.*s\": %s %zu, %s %zu", (int)n, s,
                         defuse__candidate_impl_name(k), b,
                         defuse__candidate_impl_name(DEFUSE__CANDIDATE_BEST), a);
        }
    }
}

/* The AVX-512 scanner's buckets cover every trigger (else it is unused),
 * and the scanners that run here include the one dispatched. */
static void test_impls(void **state) {
    (void)state;
    assert_true(defuse__candidate_buckets_cover());
    const char *best = defuse__candidate_impl_name(DEFUSE__CANDIDATE_BEST);
    assert_non_null(best);
    bool found = false;
    for (unsigned k = 0; k < 8; k++) {
        const char *name = defuse__candidate_impl_name(k);
        if (name) {
            print_message("scanner %u: %s%s\n", k, name, strcmp(name, best) == 0 ? " (used)" : "");
            found |= strcmp(name, best) == 0;
        }
    }
    assert_true(found);
    assert_string_equal(defuse__candidate_impl_name(0), "scalar");
    assert_int_equal(defuse__candidate_impl(99, "x", 1, NULL), SIZE_MAX);
}

/* defuse__candidate_nl() returns what defuse_candidate() returns and the
 * number of '\n' before it (counted here byte by byte), at every alignment
 * and length, with newlines on both sides of the 64-byte steps. */
static void test_newlines(void **state) {
    (void)state;
    static const char alpha[] = "\n\n\n$%&\\{b#Basic 24u0x5c;amp=?eyJcookie=";
    char buf[600];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int iter = 0; iter < 20000; iter++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = x % 500, off = (x >> 20) % 64;
        unsigned rate = 3 + (unsigned)((x >> 40) % 60); /* trigger bytes from dense to rare */
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[off + i] = (x % rate) ? ((x >> 9) % 9 ? (char)('a' + x % 26) : '\n')
                                      : alpha[(x >> 8) % (sizeof alpha - 1)];
        }
        const char *s = buf + off;
        size_t nl = 12345, want_nl = 0;
        size_t got = defuse__candidate_nl(s, n, &nl), want = defuse_candidate(s, n);
        for (size_t i = 0; i < want; i++)
            want_nl += s[i] == '\n';
        if (got != want || nl != want_nl)
            fail_msg("candidate_nl on %zu bytes: %zu (%zu newlines), want %zu (%zu)", n, got, nl,
                     want, want_nl);
        for (unsigned k = 0; k < 8; k++) {
            size_t knl = 12345, kgot = defuse__candidate_impl(k, s, n, &knl);
            if (kgot != SIZE_MAX && (kgot != want || knl != want_nl))
                fail_msg("%s with newlines on %zu bytes: %zu (%zu newlines), want %zu (%zu)",
                         defuse__candidate_impl_name(k), n, kgot, knl, want, want_nl);
        }
    }
    size_t nl = 1;
    assert_int_equal(defuse__candidate_nl(NULL, 0, &nl), 0);
    assert_int_equal(nl, 0);
}

/* Long inputs: the AVX-512 scanner adds newlines up per byte lane and sums
 * the lanes every 255 steps; a text of nothing but newlines (every lane
 * counts one per step) and a sparse one must come out exact, with the
 * candidate before, on and after a round boundary. */
static void test_newlines_long(void **state) {
    (void)state;
    enum { N = 200000 };
    char *buf = malloc(N);
    assert_non_null(buf);
    static const size_t at[] = {5, 64 * 255 - 1, 64 * 255, 64 * 255 + 1, 64 * 510 + 7, N - 3, N};
    for (int dense = 0; dense < 2; dense++) {
        for (size_t a = 0; a < DEFUSE_ARRAY_LEN(at); a++) {
            for (size_t i = 0; i < N; i++)
                buf[i] = dense ? '\n' : (i % 97 == 0 ? '\n' : 'a' + (char)(i % 23));
            if (at[a] + 2 <= N)
                memcpy(buf + at[a], "${", 2);
            size_t want = at[a] + 2 <= N ? at[a] : N, want_nl = 0;
            for (size_t i = 0; i < want; i++)
                want_nl += buf[i] == '\n';
            for (unsigned k = 0; k < 8; k++) {
                size_t nl = 0, got = defuse__candidate_impl(k, buf, N, &nl);
                if (got != SIZE_MAX && (got != want || nl != want_nl))
                    fail_msg("%s, %s text, \"${\" at %zu: %zu (%zu newlines), want %zu (%zu)",
                             defuse__candidate_impl_name(k), dense ? "newline" : "sparse", at[a],
                             got, nl, want, want_nl);
            }
        }
    }
    free(buf);
}

/* Threads: one-time initialisation and per-thread Hyperscan scratch (freed
 * at thread exit; the sanitizer build checks for leaks). */
static void *thread_scan(void *arg) {
    const char *s = arg;
    size_t n = strlen(s), bad = 0;
    for (int i = 0; i < 2000; i++)
        bad += defuse_candidate(s, n) != 12 || defuse__candidate_hs(s, n) != 12;
    return (void *)(uintptr_t)bad;
}

static void test_threads(void **state) {
    (void)state;
    static char text[] = "plain text: %2524%257Bjndi:x%257D and more text after it";
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_scan, text), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_int_equal((uintptr_t)r, 0);
    }
}

/* ---- the never-miss invariant -------------------------------------------- */

/* If decode(s) holds "${", the candidate offset is <= the original offset of
 * its '$'. */
static size_t invariant_hits; /* strings that did decode to "${" */

static void check_invariant(const char *s, size_t n) {
    int r = defuse__decode(dec, s, n, 0, DEFUSE_DEFAULT_MAX_LAYERS);
    assert_true(r >= 0);
    size_t dl;
    const char *d = defuse__decoded_text(dec, &dl);
    const char *hit = dl >= 2 ? memmem(d, dl, "${", 2) : NULL;
    if (!hit)
        return;
    invariant_hits++;
    size_t o = defuse__decoded_origin(dec, (size_t)(hit - d));
    size_t c = defuse_candidate(s, n);
    if (c > o)
        fail_msg("missed: \"%.*s\" decodes to \"%.*s\" ('$' from offset %zu) but candidate = %zu",
                 (int)n, s, (int)dl, d, o, c);
}

static void test_invariant_random(void **state) {
    (void)state;
    /* Fragments that build partial and stacked escapes of '$', '{', '%',
     * '\\', '&', Base64 and separators. */
    static const char *const frags[] = {
        "$", "{", "%", "2", "4", "5", "7", "b", "B", "c", "C", "u", "U", "0", "x", "\\", "&",
        "#", "3", "6", ";", "amp", "amp;", "AMP", "dollar;", "percnt;", "bsol;", "lbrace;",
        "lcub;", "%25", "%24", "%7b", "%7B", "\\u00", "\\x", "&#", "Basic ", "basic%20",
        "Basic&#32;", "BASIC\\u0020", "JHs=", "JHtq", "JTI0", "JCV7", "a", " ", "1", "9", "e",
        "%5c", "%5C", "\\\\", "\\134", "\\044", "\\44", "&#x", "&#0", "%u", "%U",
        "JHs", "fQ==", "=", "\\173", "\\x7b", "&#123;", "&#36;", "&amp", "ampdollar;", "amp#",
    };
    char buf[512];
    uint64_t x = 0x2545F4914F6CDD1Dull;
    invariant_hits = 0;
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = 0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned nf = 1 + (unsigned)(x % 12);
        for (unsigned f = 0; f < nf; f++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            const char *fr = frags[x % DEFUSE_ARRAY_LEN(frags)];
            size_t l = strlen(fr);
            memcpy(buf + n, fr, l);
            n += l;
        }
        check_invariant(buf, n);
    }
    /* The generator must really produce payloads, or the test proves nothing. */
    print_message("%zu of 200000 random strings decoded to \"${\"\n", invariant_hits);
    assert_true(invariant_hits > 5000);
}

/* Encodes byte c with scheme k (>= 10: left literal) into o[0..cap). */
static size_t encode_byte(char *o, size_t cap, unsigned k, unsigned char c) {
    switch (k) {
    case 0:
        return (size_t)snprintf(o, cap, "%%%02X", c);
    case 1:
        return (size_t)snprintf(o, cap, "%%%02x", c);
    case 2:
        return (size_t)snprintf(o, cap, "%%u%04X", c);
    case 3:
        return (size_t)snprintf(o, cap, "\\u%04x", c);
    case 4:
        return (size_t)snprintf(o, cap, "\\x%02X", c);
    case 5:
        return (size_t)snprintf(o, cap, "\\%03o", c);
    case 6:
        return (size_t)snprintf(o, cap, "&#%u;", c);
    case 7:
        return (size_t)snprintf(o, cap, "&#x%x;", c);
    case 8:
        return (size_t)snprintf(o, cap, "&#%u", c);
    case 9:
        return (size_t)snprintf(o, cap, "&#x%X", c);
    default:
        o[0] = (char)c;
        return 1;
    }
}

/* Every way of encoding "${" with up to three stacked layers, each byte
 * encoded independently (so the chain mixes schemes). */
static void test_invariant_stacks(void **state) {
    (void)state;
    uint64_t x = 0x853c49e6748fea9bull;
    char a[4096], b[4096];
    invariant_hits = 0;
    for (int iter = 0; iter < 50000; iter++) {
        strcpy(a, "q ${x}");
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned depth = 1 + (unsigned)(x % 3);
        for (unsigned dd = 0; dd < depth; dd++) {
            size_t w = 0, len = strlen(a);
            unsigned ks[4096];
            for (size_t i = 0; i < len; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ks[i] = (unsigned)(x % 13);
                if (a[i] == ' ' || a[i] == 'q')
                    ks[i] = 12;
            }
            for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)a[i];
                /* "&#52" then a literal digit would read as one number:
                 * the test must not build ambiguous strings. */
                if ((ks[i] == 8 || ks[i] == 9) && i + 1 < len && ks[i + 1] >= 10 &&
                    strchr("0123456789abcdefABCDEF", a[i + 1]))
                    ks[i] = 6;
                w += encode_byte(b + w, sizeof b - w, ks[i], c);
            }
            b[w] = '\0';
            memcpy(a, b, w + 1);
        }
        size_t before = invariant_hits;
        check_invariant(a, strlen(a));
        /* With one layer every string decodes back to "q ${x}" (deeper
         * stacks that leave part of an escape literal can be ambiguous:
         * "&#3" + "&#54;" reads as U+0003 first). */
        if (depth == 1 && invariant_hits != before + 1) {
            size_t dl;
            const char *d = defuse__decoded_text(dec, &dl);
            fail_msg("\"%s\" decoded to \"%.*s\"", a, (int)dl, d);
        }
    }
    print_message("%zu of 50000 stacked encodings decoded to \"${\"\n", invariant_hits);
    assert_true(invariant_hits > 25000);
}

/* ---- the real corpus ----------------------------------------------------- */

static size_t lines_total, lines_cand;

static void check_file(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        close(fd);
        return;
    }
    size_t n = (size_t)st.st_size;
    char *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    assert_true(p != MAP_FAILED);
    size_t off = 0;
    while (off < n) {
        const char *nl = memchr(p + off, '\n', n - off);
        size_t e = nl ? (size_t)(nl - p) : n;
        lines_total++;
        if (defuse_candidate(p + off, e - off) < e - off)
            lines_cand++;
        check_invariant(p + off, e - off);
        off = e + 1;
    }
    munmap(p, n);
}

static void walk(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            walk(path);
        else
            check_file(path);
    }
    closedir(d);
}

static void test_corpus(void **state) {
    (void)state;
    const char *c = getenv("DEFUSE_CORPUS");
    char path[4096];
    if (!c) {
        skip();
        return;
    }
    snprintf(path, sizeof path, "%s/logs", c);
    struct stat st;
    if (stat(path, &st) != 0) {
        skip();
        return;
    }
    walk(path);
    print_message("corpus: %zu lines, %zu with a candidate\n", lines_total, lines_cand);
    assert_true(lines_total > 0);
}

/* ---- optional benchmark -------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef size_t (*scan_fn)(const char *, size_t);

static unsigned bench_impl;
static size_t scan_impl(const char *p, size_t n) {
    return defuse__candidate_impl(bench_impl, p, n, NULL);
}

static void bench_one(const char *name, scan_fn f, const char *p, size_t n) {
    double best = 1e30, best_cpu = 1e30;
    size_t hits = 0;
    for (int rep = 0; rep < 10; rep++) {
        double t0 = now_s();
        clock_t c0 = clock();
        size_t off = 0;
        hits = 0;
        /* As a log reader uses it: find a candidate, skip its line, go on. */
        while (off < n) {
            size_t c = f(p + off, n - off);
            if (c >= n - off)
                break;
            hits++;
            const char *nl = memchr(p + off + c, '\n', n - off - c);
            if (!nl)
                break;
            off = (size_t)(nl - p) + 1;
        }
        double t = now_s() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (t < best)
            best = t;
        if (cpu < best_cpu)
            best_cpu = cpu;
    }
    printf("%-8s %10zu candidate lines %8.4f s %9.0f MB/s (cpu %.4f s, %.0f MB/s)\n", name, hits,
           best, (double)n / best / 1e6, best_cpu, (double)n / best_cpu / 1e6);
}

/* The whole job as a command-line tool does it: open, mmap, scan, unmap;
 * wall and CPU time (user + system, as hyperfine reports for ripgrep). */
static void bench_file(const char *f) {
    double best = 1e30, best_cpu = 1e30;
    size_t hits = 0, n = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s();
        clock_t c0 = clock();
        int fd = open(f, O_RDONLY);
        assert_true(fd >= 0);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        n = (size_t)st.st_size;
        char *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        close(fd);
        assert_true(p != MAP_FAILED);
        size_t off = 0;
        hits = 0;
        while (off < n) {
            size_t c = defuse_candidate(p + off, n - off);
            if (c >= n - off)
                break;
            hits++;
            const char *nl = memchr(p + off + c, '\n', n - off - c);
            if (!nl)
                break;
            off = (size_t)(nl - p) + 1;
        }
        munmap(p, n);
        double t = now_s() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (t < best)
            best = t;
        if (cpu < best_cpu)
            best_cpu = cpu;
    }
    printf("%-8s %10zu candidate lines %8.4f s %9.0f MB/s (cpu %.4f s, %.0f MB/s)\n", "mmap+simd",
           hits, best, (double)n / best / 1e6, best_cpu, (double)n / best_cpu / 1e6);
}

static void test_bench(void **state) {
    (void)state;
    const char *f = getenv("DEFUSE_BENCH_CANDIDATE");
    if (!f) {
        skip();
        return;
    }
    int fd = open(f, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    size_t n = (size_t)st.st_size;
    char *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    assert_true(p != MAP_FAILED);
    size_t nt;
    defuse__candidate_triggers(&nt);
    printf("%s: %zu bytes, %zu trigger literals\n", f, n, nt);
    bench_one(defuse__candidate_impl_name(DEFUSE__CANDIDATE_BEST), defuse_candidate, p, n);
    bench_one("hs", defuse__candidate_hs, p, n);
    for (unsigned k = 0; k < 8; k++) {
        bench_impl = k;
        if (defuse__candidate_impl_name(k))
            bench_one(defuse__candidate_impl_name(k), scan_impl, p, n);
    }
    munmap(p, n);
    bench_file(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positives),
        cmocka_unit_test(test_negatives),
        cmocka_unit_test(test_agreement), cmocka_unit_test(test_markers),
        cmocka_unit_test(test_impls),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_newlines),
        cmocka_unit_test(test_newlines_long),
        cmocka_unit_test(test_invariant_random),
        cmocka_unit_test(test_invariant_stacks),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
