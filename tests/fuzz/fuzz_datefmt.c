/*
 * fuzz_datefmt.c -- libFuzzer target for lib/datefmt.c and ${date:...} in
 * the emulator.  Input: 8 bytes of epoch milliseconds (little-endian, any
 * int64 including the extremes), 2 bytes of zone offset (int16, clamped by
 * the callee), then the pattern bytes.  Checks the contract of
 * defuse__datefmt(): the output fits DEFUSE__DATEFMT_MAX_OUT(n) and is
 * never truncated there; the fallback implies CLOCK; a smaller buffer gives
 * a prefix of the same text with TRUNCATED set; the result does not depend
 * on the buffer's earlier contents.  Then evaluates "${date:PATTERN}" in
 * the emulator and checks it yields exactly that text.
 * Builds with gcc as well (replayed over tests/fuzz/corpus/datefmt/).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 10 || size - 10 > MAX_PAT)
        return 0;
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | data[i];
    int64_t ms;
    memcpy(&ms, &u, sizeof ms);
    int16_t tz = (int16_t)(data[8] | data[9] << 8);
    const char *pat = (const char *)data + 10;
    size_t n = size - 10;

    static char out[DEFUSE__DATEFMT_MAX_OUT(MAX_PAT)], small[DEFUSE__DATEFMT_MAX_OUT(MAX_PAT)];
    size_t cap = DEFUSE__DATEFMT_MAX_OUT(n);
    memset(out, 0xAA, cap);
    unsigned info = 0;
    size_t k = defuse__datefmt(pat, n, ms, tz, out, cap, &info);
    if (k > cap || (info & DEFUSE__DATEFMT_TRUNCATED) ||
        ((info & DEFUSE__DATEFMT_FALLBACK) && !(info & DEFUSE__DATEFMT_CLOCK)) ||
        (info & ~(unsigned)(DEFUSE__DATEFMT_CLOCK | DEFUSE__DATEFMT_FALLBACK)))
        abort();
    if (k > 0) {
        size_t half = k / 2;
        memset(small, 0x55, half);
        unsigned info2 = 0;
        size_t k2 = defuse__datefmt(pat, n, ms, tz, small, half, &info2);
        if (k2 != half || memcmp(small, out, half) != 0 ||
            info2 != (info | DEFUSE__DATEFMT_TRUNCATED))
            abort();
    }

    /* Through the emulator: ${date:PATTERN} is exactly that text (when the
     * pattern holds no '$', '{', '}' or ":-" of its own). */
    if (memchr(pat, '$', n) || memchr(pat, '{', n) || memchr(pat, '}', n))
        return 0;
    if (n && (pat[0] == '-' || pat[0] == '\\')) /* "${date:-..." is a default */
        return 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (pat[i] == ':' && (pat[i + 1] == '-' || pat[i + 1] == '\\'))
            return 0;
    static defuse__emu *e;
    if (!e) {
        defuse_limits lim;
        memset(&lim, 0, sizeof lim);
        lim.max_expansion = DEFUSE_DEFAULT_MAX_EXPANSION;
        if (defuse__emu_new(&e, &lim))
            abort();
    }
    static char msg[MAX_PAT + 16];
    memcpy(msg, "${date:", 7);
    memcpy(msg + 7, pat, n);
    msg[7 + n] = '}';
    defuse__emu_set_time(e, ms, tz);
    if (defuse__emu_run(e, msg, n + 8) < 0)
        abort();
    size_t olen;
    const char *o = defuse__emu_output(e, &olen);
    /* A formatted "${" would be substituted again: compare only when the
     * output holds none. */
    if (!defuse__find_open(out, k) && (olen != k || memcmp(o, out, k) != 0))
        abort();
    if (defuse__emu_clock_used(e) != ((info & DEFUSE__DATEFMT_CLOCK) != 0))
        abort();
    return 0;
}
