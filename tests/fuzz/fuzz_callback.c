/*
 * fuzz_callback.c -- libFuzzer target for defuse__callback_parse(): any
 * byte string as a JNDI name.  Checks the contract of the result: strings
 * terminated and no longer than the name (rendered commands at most 4x),
 * port in -1..65535, at most DEFUSE_MAX_REPORTED_EXFIL distinct keys, only
 * the techniques the parser may set (a command only with the JNDIExploit
 * technique), and a scheme only in lower case.
 * Builds with gcc as well (replayed over tests/fuzz/corpus/callback/).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void bounded(const char *s, size_t max) {
    if (s && strnlen(s, max + 1) > max)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    defuse__arena a;
    defuse__arena_init(&a, 0);
    defuse__callback_info o;
    int rc = defuse__callback_parse((const char *)data, size, &a, &o);
    if (rc != 0)
        abort();
    bounded(o.scheme, size);
    bounded(o.host, size);
    bounded(o.path, size);
    bounded(o.command, size * 4 + 64);
    if (o.port < -1 || o.port > 65535)
        abort();
    if (o.nexfil > DEFUSE_MAX_REPORTED_EXFIL)
        abort();
    for (size_t i = 0; i < o.nexfil; i++) {
        bounded(o.exfil[i], size);
        for (size_t j = 0; j < i; j++)
            if (strcmp(o.exfil[i], o.exfil[j]) == 0)
                abort();
    }
    if (o.techniques & ~(unsigned)(DEFUSE_TECH_EXFIL | DEFUSE_TECH_HASH_BYPASS | DEFUSE_TECH_JNDIEXPLOIT))
        abort();
    if (!!o.nexfil != !!(o.techniques & DEFUSE_TECH_EXFIL))
        abort();
    /* a command implies the technique; a JNDIExploit command path whose
     * Base64 decodes to no text has the technique and no command */
    if (o.command && !(o.techniques & DEFUSE_TECH_JNDIEXPLOIT))
        abort();
    if (o.scheme)
        for (const char *p = o.scheme; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                abort();
    defuse__arena_free(&a);
    return 0;
}
