/*
 * fuzz_hp_config.c -- libFuzzer target for the honeypot's configuration
 * parser (honeypot/hp_config.c): any text either parses into a config whose
 * counts respect the fixed limits, or fails with a message naming a line.
 */
/* The parser is compiled into this file so that libFuzzer instruments it
 * (the libraries are built without coverage instrumentation). */
#include "../../honeypot/hp_config.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hp_config cfg;
    char err[512] = "";
    /* body_file paths resolve under a directory that does not exist */
    int rc = hp_config_parse((const char *)data, size, "fuzz", "/nonexistent-defuse-fuzz", &cfg,
                             err, sizeof err);
    if (rc == 0) {
        if (cfg.nlisteners == 0 || cfg.nlisteners > HP_MAX_LISTENERS ||
            cfg.nresponses > HP_MAX_RESPONSES || cfg.nignore > HP_MAX_IGNORE)
            abort();
        (void)hp_config_response(&cfg, "/", 1);
        (void)hp_config_response(&cfg, "/api/x?y=1", 10);
    } else if (strncmp(err, "fuzz:", 5) != 0) {
        abort();
    }
    hp_config_free(&cfg);
    return 0;
}
