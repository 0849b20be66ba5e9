/*
 * fuzz_detect.c -- libFuzzer target for defuse_scan(): the decoder, the
 * brace pairing, the log4j emulator and the finding builder together.
 * The first byte picks the scan flags; the rest is the buffer.  Checks the
 * contract of every finding (spans inside the buffer, strings terminated,
 * a callback on every jndi finding) and that limits hold.
 */
#include <defuse.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct ctx {
    size_t len;
    unsigned count;
} ctx;

static int check(const defuse_finding *f, void *user) {
    ctx *c = user;
    if ((unsigned)f->kind >= DEFUSE_KIND_COUNT)
        abort();
    if (f->offset > c->len || f->payload_len > c->len - f->offset)
        abort();
    if (!f->payload || f->payload[f->payload_len] != '\0')
        abort();
    if (!f->decoded || f->decoded[f->decoded_len] != '\0')
        abort();
    if (f->kind == DEFUSE_KIND_JNDI && !f->callback)
        abort();
    if (f->callback)
        (void)strlen(f->callback);
    if (f->nlayers > DEFUSE_MAX_REPORTED_LAYERS || f->nexfil > DEFUSE_MAX_REPORTED_EXFIL)
        abort();
    for (size_t i = 0; i < f->nexfil; i++)
        (void)strlen(f->exfil[i]);
    char *json = defuse_finding_to_json(f, "{\"line\":1}");
    free(json);
    char small[64];
    (void)defuse_defang(f->payload, f->payload_len, small, sizeof small);
    c->count++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static defuse_scanner *s;
    if (!s) {
        defuse_limits lim;
        defuse_limits_default(&lim);
        lim.max_input = 1u << 16;
        if (defuse_scanner_new(&s, &lim) != 0)
            abort();
    }
    if (size == 0)
        return 0;
    unsigned flags = data[0] & (DEFUSE_SCAN_NO_DECODE | DEFUSE_SCAN_EXACT | DEFUSE_SCAN_BASIC_AUTH);
    ctx c = {size - 1, 0};
    int rc = defuse_scan(s, (const char *)data + 1, size - 1, flags, check, &c);
    if (rc < 0 && rc != DEFUSE_ENOMEM)
        abort();
    if (rc >= 0 && (unsigned)rc != c.count)
        abort();
    (void)defuse_candidate((const char *)data, size);
    return 0;
}
