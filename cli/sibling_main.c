/*
 * sibling_main.c -- main() of the programs that `defuse` runs for the
 * subcommands whose libraries the log scanner should not load at start-up
 * (see cli/main.c): defuse-honeypot (libuv, libcurl, liblber) and
 * defuse-scan (libarchive and its dependencies, ~1.5 ms of dynamic loading
 * per run).  Built once per program with SIBLING_NAME ("honeypot"),
 * SIBLING_CMD (cmd_honeypot) and SIBLING_HELP (cli_help_honeypot) defined.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#if !defined(SIBLING_NAME) || !defined(SIBLING_CMD) || !defined(SIBLING_HELP)
#error "define SIBLING_NAME, SIBLING_CMD and SIBLING_HELP"
#endif

int main(int argc, char **argv) {
    /* Called as "defuse-NAME NAME ARGS" by defuse, or directly. */
    if (argc > 1 && strcmp(argv[1], SIBLING_NAME) == 0) {
        argc--;
        argv++;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(SIBLING_HELP, stdout);
#ifdef SIBLING_HELP_MORE
            fputs(SIBLING_HELP_MORE, stdout); /* a help longer than one C string */
#endif
            return EXIT_CLEAN;
        }
        if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
            cli_print_version("defuse-" SIBLING_NAME);
            return EXIT_CLEAN;
        }
    }
    return SIBLING_CMD(argc, argv);
}
