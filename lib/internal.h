/*
 * internal.h -- declarations shared between libdefuse's files.  Never
 * installed; front ends include only <defuse.h>.  Cross-file internals are
 * named defuse__*.
 */
#ifndef DEFUSE_INTERNAL_H
#define DEFUSE_INTERNAL_H

#include "defuse.h"
#include "limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DEFUSE_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The first "${" in p[0..n), or NULL.  memchr() finds the rare '$' with
 * SIMD; glibc's memmem() with this two-byte needle went byte by byte and
 * cost an eighth of the time spent on each candidate log line.  A '$' not
 * followed by '{' hands over to a memchr() for '{' (the first '{' after
 * it either ends a "${" or proves there is none before it), so a text
 * dense in one of the two bytes costs one call per run of the other, not
 * one per byte: a line of a million '$' was five times a clean line. */
static inline const char *defuse__find_open(const char *p, size_t n) {
    const char *e = p + n;
    const char *q = p;
    while (e - q >= 2) {
        q = memchr(q, '$', (size_t)(e - q) - 1);
        if (!q)
            return NULL;
        if (q[1] == '{')
            return q;
        if (e - q < 3)
            return NULL;
        const char *r = memchr(q + 2, '{', (size_t)(e - q) - 2);
        if (!r)
            return NULL;
        if (r[-1] == '$')
            return r - 1;
        q = r + 1;
    }
    return NULL;
}

/* The value of a hex digit, or -1. */
static inline int defuse__hexval(unsigned char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ---- arena.c: bump allocator, reset per scan ------------------------------ */

typedef struct defuse__arena_block defuse__arena_block;
typedef struct defuse__arena {
    defuse__arena_block *head; /* current block */
    size_t total;              /* bytes handed out since the last reset */
    size_t limit;              /* 0 = unlimited; otherwise alloc fails past it */
} defuse__arena;

void defuse__arena_init(defuse__arena *a, size_t limit);
/* Returns n bytes aligned for any object, or NULL (ENOMEM or over limit).
 * Valid until the next reset or free. */
void *defuse__arena_alloc(defuse__arena *a, size_t n);
/* Copies s[0..n) plus a NUL into the arena. */
char *defuse__arena_strndup(defuse__arena *a, const char *s, size_t n);
void defuse__arena_reset(defuse__arena *a);
void defuse__arena_free(defuse__arena *a);

/* ---- decode.c: transport decoding in layers ------------------------------- */

typedef struct defuse__decoder defuse__decoder;

int defuse__decoder_new(defuse__decoder **out);
void defuse__decoder_free(defuse__decoder *d);

/* Undoes transport encodings of buf[0..len) in rounds until nothing changes
 * or max_layers rounds ran.  buf is BORROWED for the call; the result lives
 * in d until the next call.  Returns the number of rounds that changed the
 * text (0: the decoded text equals the input), or a negative defuse_err.
 * flags: DEFUSE_SCAN_BASIC_AUTH forces Base64 decoding of a bare token. */
int defuse__decode(defuse__decoder *d, const char *buf, size_t len, unsigned flags,
                   unsigned max_layers);
/* The decoded text (NUL-terminated; may contain NUL bytes). BORROWED. */
const char *defuse__decoded_text(const defuse__decoder *d, size_t *len);
/* Offset in the original buffer of decoded byte pos; pos == decoded length
 * maps to the original length.  Spans map monotonically. */
size_t defuse__decoded_origin(const defuse__decoder *d, size_t pos);
/* The layers that changed the decoded span [a, b), outermost first, at most
 * max of them written to out.  Returns how many were written. */
size_t defuse__decoded_layers(const defuse__decoder *d, size_t a, size_t b, defuse_layer *out,
                              size_t max);

/* Decodes standard or URL-safe Base64 (padding optional, whitespace not
 * allowed) from s[0..n) into out (capacity >= n*3/4+3).  Returns the decoded
 * length, or -1 if s is not Base64. */
long defuse__base64_decode(const char *s, size_t n, unsigned char *out);

/* ---- callback.c: what a JNDI name means -------------------------------------- */

typedef struct defuse__callback_info {
    const char *scheme;  /* lower-case, arena; NULL if the name has no scheme */
    const char *host;    /* arena or NULL */
    int port;            /* -1 if none */
    const char *path;    /* arena or NULL; without the leading '/' */
    const char *command; /* JNDIExploit command or gadget description, or NULL */
    const char *exfil[DEFUSE_MAX_REPORTED_EXFIL]; /* arena */
    size_t nexfil;
    unsigned techniques; /* DEFUSE_TECH_HASH_BYPASS, _JNDIEXPLOIT, _EXFIL */
} defuse__callback_info;

/* Splits the JNDI name name[0..len) (as log4j would request it, victim
 * values still as ${...} text) into URL parts, exfiltration keys and the
 * JNDIExploit command.  Strings are allocated in a.  Returns 0 or
 * DEFUSE_ENOMEM. */
int defuse__callback_parse(const char *name, size_t len, defuse__arena *a,
                           defuse__callback_info *out);

/* ---- emulate.c: log4j 2.14.1 StrSubstitutor + Interpolator ----------------- */

/* What the emulator observed while evaluating one message. */
typedef enum defuse__event_type {
    DEFUSE__EV_JNDI,       /* a JNDI lookup with name (key after "jndi:") */
    DEFUSE__EV_TEXT4SHELL, /* script:/dns:/url: lookup (commons-text) */
    DEFUSE__EV_VICTIM,     /* a lookup of victim state (env:, sys:, ...) */
    DEFUSE__EV_CYCLE,      /* log4j's cyclic-substitution check fired */
    DEFUSE__EV_LIMIT,      /* a depth/step/expansion limit stopped us */
    DEFUSE__EV_BASE64      /* ${base64:...}: no such lookup in 2.x (inert) */
} defuse__event_type;

typedef struct defuse__event {
    defuse__event_type type;
    const char *text;   /* JNDI name / lookup key / escaped text (arena) */
    size_t text_len;
    unsigned techniques;
    size_t src_start;   /* span in the evaluated message of the outermost */
    size_t src_end;     /* top-level expression that produced the event
                           (the whole message for events of later passes) */
    unsigned pass;      /* 1 for the first MessagePatternConverter pass */
} defuse__event;

typedef struct defuse__emu defuse__emu;

int defuse__emu_new(defuse__emu **out, const defuse_limits *lim);
void defuse__emu_free(defuse__emu *e);
void defuse__emu_trace(defuse__emu *e, defuse_step_cb cb, void *user);

/* Evaluates msg[0..len) as one log message the way log4j 2.14.1's
 * MessagePatternConverter does.  Events are stored in e until the next call.
 * Returns the number of events, or a negative defuse_err. */
int defuse__emu_run(defuse__emu *e, const char *msg, size_t len);
const defuse__event *defuse__emu_events(const defuse__emu *e, size_t *n);
/* The techniques every variable of the last run used (bit set). */
unsigned defuse__emu_techniques(const defuse__emu *e);
/* The message text after evaluation (BORROWED until the next run). */
const char *defuse__emu_output(const defuse__emu *e, size_t *len);

/* Caps the work of later runs at `steps` units (0: only the per-run limit
 * of defuse_limits.max_steps), so that several runs over one buffer share
 * one budget; defuse__emu_steps() is what the last run used. */
void defuse__emu_set_budget(defuse__emu *e, size_t steps);
size_t defuse__emu_steps(const defuse__emu *e);

/* The victim's platform, for the system properties whose value it fixes
 * (${sys:path.separator}, file.separator, line.separator). */
#define DEFUSE__PLATFORM_UNIX 0u
#define DEFUSE__PLATFORM_WINDOWS 1u
#define DEFUSE__PLATFORM_COUNT 2u
/* Sets the platform later runs assume (default: Unix). */
void defuse__emu_set_platform(defuse__emu *e, unsigned platform);
/* True if the last run read a platform constant, so its result may differ
 * on the other platform. */
bool defuse__emu_platform_used(const defuse__emu *e);

/* ---- emulate.c: the event time of ${date:...} ------------------------------ */

/* The event time a new emulator formats: 1970-01-02T00:00Z, the time the
 * differential oracle gives its events (tests/diff/Log4jDiff.java, DAY). */
#define DEFUSE__EMU_DEFAULT_TIME INT64_C(86400000)

/* Sets the time (ms since the epoch) and the victim's zone (minutes east of
 * UTC; 0 = Java's "UTC" zone, the default) that ${date:PATTERN} formats in
 * later runs; see defuse__datefmt() for the model (JDK 17, en_US). */
void defuse__emu_set_time(defuse__emu *e, int64_t epoch_ms, int tz_offset_min);
/* Whether the last run produced a ${date:...} value that depends on the
 * time (a pattern letter, or the default format of an invalid pattern):
 * then its result may differ at another event time. */
bool defuse__emu_clock_used(const defuse__emu *e);

/* ---- datefmt.c: java.text.SimpleDateFormat (JDK 17, en_US) ------------------ */

/* Bits of *info from defuse__datefmt(). */
#define DEFUSE__DATEFMT_CLOCK                                                                      \
    1u /* the text depends on the time (a field                                                    \
          letter was formatted, or the fallback) */
#define DEFUSE__DATEFMT_FALLBACK                                                                   \
    2u                               /* SimpleDateFormat rejected the pattern:                     \
                                        DateFormat.getInstance() was used */
#define DEFUSE__DATEFMT_TRUNCATED 4u /* the output did not fit in cap */
/* Largest |time zone offset| in minutes (Java custom zones: GMT+23:59). */
#define DEFUSE__DATEFMT_MAX_TZ (24 * 60 - 1)
/* No output of an n-byte pattern is longer than this: a field prints at most
 * 10 bytes per pattern letter (a 9-digit year and sign; "GMT+05:30" for z)
 * or its count of digits up to Java's 309; the fallback prints 20 at most. */
#define DEFUSE__DATEFMT_MAX_OUT(n) ((n)*10u + 32u)

/* Writes what log4j 2.14.1's ${date:PATTERN} gives on JDK 17 with locale
 * en_US: new SimpleDateFormat(pat).format(new Date(epoch_ms)), or, if the
 * constructor throws (illegal letter, "XXXX", unterminated quote),
 * DateFormat.getInstance().format(...) ("1/2/70, 12:00 AM").  pat[0..n) is
 * UTF-8 (BORROWED; non-ASCII bytes are literal text).  The zone is a fixed
 * offset east of UTC in minutes: 0 is Java's "UTC" zone, others the custom
 * zone "GMT+hh:mm"; clamped to +-DEFUSE__DATEFMT_MAX_TZ.  Writes at most cap
 * bytes to out (no NUL; out may be NULL if cap is 0) and returns how many.
 * *info (if info is not NULL) gets DEFUSE__DATEFMT_* bits; with cap >=
 * DEFUSE__DATEFMT_MAX_OUT(n) TRUNCATED never happens.  Work is O(n).  Exact
 * for any epoch_ms (Julian calendar before 1582-10-15; see lib/datefmt.c). */
size_t defuse__datefmt(const char *pat, size_t n, int64_t epoch_ms, int tz_offset_min, char *out,
                       size_t cap, unsigned *info);

/* ---- casemap.c: Java's String case mapping (JDK tables) --------------------- */

/* Output of defuse__casemap() is at most this many times its input. */
#define DEFUSE__CASEMAP_GROWTH 3

/* Writes to out what String.toLowerCase(Locale.US) (upper false) or
 * toUpperCase(Locale.US) of the victim's JDK makes of s[0..n), as UTF-8:
 * s is decoded as the JVM decodes UTF-8 (U+FFFD per malformed
 * subsequence), mapped with the JDK's tables (lib/casemap_jdk17.c) incl.
 * one-to-many mappings and Java's final-sigma rule.  out (BORROWED) must
 * hold DEFUSE__CASEMAP_GROWTH * n bytes; nothing is allocated.  Returns the
 * bytes written (no NUL added). */
size_t defuse__casemap(const char *s, size_t n, bool upper, char *out);

/* ---- sha256.c: SHA-256 through libcrypto -------------------------------------- */

/* A streaming digest.  init allocates (false: out of memory, nothing held);
 * final or abort releases it, so every path after a successful init ends in
 * exactly one of them.  update/final on a failed context return false, and
 * final then writes 32 zero bytes. */
typedef struct defuse__sha256 {
    struct evp_md_ctx_st *ctx; /* OWNED: libcrypto's EVP_MD_CTX */
} defuse__sha256;

bool defuse__sha256_init(defuse__sha256 *c);
bool defuse__sha256_update(defuse__sha256 *c, const void *data, size_t len);
bool defuse__sha256_final(defuse__sha256 *c, uint8_t out[32]);
void defuse__sha256_abort(defuse__sha256 *c);
/* One buffer at once; false (out zeroed) only when libcrypto fails. */
bool defuse__sha256_once(const void *data, size_t len, uint8_t out[32]);
/* d as 64 lower-case hex digits and a NUL. */
void defuse__sha256_hex(const uint8_t d[32], char out[65]);

#endif /* DEFUSE_INTERNAL_H */
