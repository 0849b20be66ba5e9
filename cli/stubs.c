/*
 * stubs.c -- weak placeholders so the program links while a subcommand's
 * file is being written; the real cli/<name>.c overrides them.
 * DELETE THIS FILE once every subcommand exists.
 */
#include "cli.h"

#include <stdio.h>

#define STUB(name)                                                                                 \
    __attribute__((weak)) int cmd_##name(int argc, char **argv) {                                  \
        (void)argc;                                                                                \
        (void)argv;                                                                                \
        fprintf(stderr, "defuse: %s is not built yet\n", #name);                                   \
        return EXIT_ERROR;                                                                         \
    }                                                                                              \
    __attribute__((weak)) const char cli_help_##name[] = "not built yet\n";

STUB(logs)
STUB(explain)
STUB(scan)
STUB(honeypot)
STUB(report)
