/*
 * honeypot_main.c -- main() of defuse-honeypot, the program `defuse
 * honeypot` runs (see cli/main.c): the daemon and its network libraries
 * live in their own executable so the scanners start fast.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    /* Called as "defuse-honeypot honeypot ARGS" by defuse, or directly. */
    if (argc > 1 && strcmp(argv[1], "honeypot") == 0) {
        argc--;
        argv++;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(cli_help_honeypot, stdout);
            return EXIT_CLEAN;
        }
    }
    return cmd_honeypot(argc, argv);
}
