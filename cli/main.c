/*
 * main.c -- the `defuse` program: one table of subcommands, one file each
 * (as git's commands[] and builtin/ files).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
    const char *summary;
} command;

static const command commands[] = {
    {"logs", cmd_logs, cli_help_logs, "find Log4Shell-class attempts in logs (live or archived)"},
    {"explain", cmd_explain, cli_help_explain, "deobfuscate one payload step by step"},
    {"scan", cmd_scan, cli_help_scan, "inventory log4j/commons-text, CVEs, safe mitigation"},
    {"honeypot", cmd_honeypot, cli_help_honeypot,
     "tripwire listener capturing HTTP, LDAP, RMI, DNS callbacks"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: defuse <command> [options] [args]\n\n"
                 "defuse %s: active defense against Log4Shell (CVE-2021-44228) and\n"
                 "its family of ${...} interpolation injections.\n\ncommands:\n",
            defuse_version());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'defuse <command> --help' for a command's options.\n"
                 "Exit status: 0 nothing found, 1 findings, 2 errors.\n");
}

static const command *find(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_ERROR;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
        usage(stdout);
        return EXIT_CLEAN;
    }
    if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
        printf("defuse %s\n", defuse_version());
        return EXIT_CLEAN;
    }
    if (!strcmp(name, "help")) {
        const command *c = argc > 2 ? find(argv[2]) : NULL;
        if (!c) {
            usage(argc > 2 ? stderr : stdout);
            return argc > 2 ? EXIT_ERROR : EXIT_CLEAN;
        }
        fputs(c->help, stdout);
        return EXIT_CLEAN;
    }
    const command *c = find(name);
    if (!c) {
        fprintf(stderr, "defuse: '%s' is not a command. See 'defuse --help'.\n", name);
        return EXIT_ERROR;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(c->help, stdout);
            return EXIT_CLEAN;
        }
    }
    return c->run(argc - 1, argv + 1);
}
