/*
 * decode_extra.h -- internals of decode.c and candidate.c beyond the
 * contracts of internal.h: the trigger literals of the candidate pre-filter
 * and a reference implementation of it, for tests and benchmarks.  Never
 * installed.
 */
#ifndef DEFUSE_DECODE_EXTRA_H
#define DEFUSE_DECODE_EXTRA_H

#include "internal.h"

/* One trigger literal of the pre-filter. */
typedef struct defuse__trigger {
    const char *lit; /* the literal (static storage) */
    size_t len;
    bool caseless;   /* ASCII letters match either case */
} defuse__trigger;

/* The pre-filter's literal set, derived once from the escape sequences the
 * decoder understands (see docs/decoding.md).  OUT: *n, the count.
 * Returns a static array, never NULL; thread-safe. */
const defuse__trigger *defuse__candidate_triggers(size_t *n);

/* Reference implementation of defuse_candidate(): the same literal set
 * matched with Hyperscan (compiled once, scratch per thread).  Returns the
 * start offset of the leftmost trigger in buf[0..len), or len; or
 * (size_t)-1 if Hyperscan failed (compile, scratch allocation).  Used by
 * the tests as an oracle and by the benchmark in docs/decoding.md. */
size_t defuse__candidate_hs(const char *buf, size_t len);

/* The scanners behind defuse_candidate(), for tests and benchmarks: k = 0
 * is the portable scalar scan, higher k are SIMD variants (SSE2, AVX2,
 * AVX-512 VBMI on x86-64); all return the same offset.  With nl, the '\n'
 * bytes before the result are counted into *nl as defuse__candidate_nl()
 * does.  Returns SIZE_MAX if there is no scanner k or the CPU cannot run
 * it.  defuse__candidate_impl_name(k) names it (NULL likewise);
 * DEFUSE__CANDIDATE_BEST names the one defuse_candidate() uses. */
#define DEFUSE__CANDIDATE_BEST 0xFFFFu
size_t defuse__candidate_impl(unsigned k, const char *buf, size_t len, size_t *nl);
const char *defuse__candidate_impl_name(unsigned k);

/* True if every trigger literal lies in one of the AVX-512 scanner's
 * buckets (checked against the trie at start-up; the scanner is not used
 * otherwise).  The unit test asserts it. */
bool defuse__candidate_buckets_cover(void);

/* Flag for defuse__decode() (beside the DEFUSE_SCAN_* flags, which use the
 * low bits): stop after a round whose output holds no trigger of
 * defuse_candidate().  By the pre-filter's never-miss invariant no later
 * round could produce "${" from it, and "${" once present is never consumed
 * by a later round ('$' and '{' are in no escape sequence), so a caller that
 * only looks for "${" in the result (defuse_scan) gets the same answer for
 * fewer rounds.  The text left is then not fully decoded: do not use it for
 * display (defuse explain).  Ignored with DEFUSE_SCAN_BASIC_AUTH (a bare
 * Base64 token is not covered by the triggers). */
#define DEFUSE__DECODE_STOP_CLEAN (1u << 31)

/* Flag for defuse__decode(): the caller only asks whether the decoded text
 * holds "${" (defuse_scan on a candidate line, most of which hold none).
 * The text is the same as without the flag, but unless the input holds a
 * literal "basic" (whose rule looks at origins) no origins or records are
 * kept: defuse__decoded_origin() and _layers() are then meaningless until
 * the next call.  On the benchmark's 11,832 candidate lines (x20) this cut
 * defuse logs from 51 to 42.5 ms of CPU. */
#define DEFUSE__DECODE_PROBE (1u << 30)

/* Flag for defuse_scan(): the caller has just seen defuse_candidate() find
 * a trigger in buf, so the scan does not look for one again (the line
 * scanner of `defuse logs`).  Wrong use only costs a decode. */
#define DEFUSE__SCAN_HAS_CANDIDATE (1u << 29)

/* defuse_candidate() for line scanners: returns the same offset r and
 * stores in *nl the number of '\n' bytes in buf[0..r), counted in the same
 * pass over the text (cli/log_scan.c; buf may be NULL when len is 0). */
size_t defuse__candidate_nl(const char *buf, size_t len, size_t *nl);

#endif /* DEFUSE_DECODE_EXTRA_H */
