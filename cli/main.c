/*
 * main.c -- the `defuse` program: one table of subcommands, one file each
 * (as git's commands[] and builtin/ files).
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
    const char *summary;
} command;

/* Runs the sibling program `prog` from the directory of this program with
 * argv (argv[0] the subcommand).  The honeypot daemon and the archive
 * scanner live in their own executables so that `defuse logs` does not
 * load their libraries (libuv, libcurl, liblber; libarchive and its
 * dependencies): loading them was most of the start-up time. */
static int run_sibling(const char *prog, int argc, char **argv) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 32);
    if (n <= 0) {
        fprintf(stderr, "defuse: cannot find my own path: %s\n", strerror(errno));
        return EXIT_ERROR;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    strcpy(slash ? slash + 1 : self, prog);
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args)
        return EXIT_ERROR;
    args[0] = self;
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    execv(self, args);
    /* Say which program was looked for and where: copying `defuse` alone
     * (without its siblings) is the usual cause. */
    fprintf(stderr,
            "defuse %s: cannot run %s: %s\n"
            "defuse %s: `defuse %s` runs the program %s from the directory of defuse (%.*s);"
            " install the three programs together (cmake --install, or the Debian package)\n",
            argv[0], self, strerror(errno), argv[0], argv[0], prog,
            slash ? (int)(slash - self) : 1, slash ? self : ".");
    free(args);
    return EXIT_ERROR;
}

static int run_honeypot(int argc, char **argv) {
    return run_sibling("defuse-honeypot", argc, argv);
}
static int run_scan(int argc, char **argv) {
    return run_sibling("defuse-scan", argc, argv);
}
static int run_probe(int argc, char **argv) {
    return run_sibling("defuse-probe", argc, argv);
}
static int run_register(int argc, char **argv) {
    return run_sibling("defuse-register", argc, argv);
}

static int run_report(int argc, char **argv) {
    return run_sibling("defuse-report", argc, argv);
}

static const command commands[] = {
    /* NULL: logs prints its own help (longer than one C string may be). */
    {"logs", cmd_logs, NULL, "find Log4Shell-class attempts in logs (live or archived)"},
    {"explain", cmd_explain, cli_help_explain, "deobfuscate one payload step by step"},
    {"scan", run_scan, NULL, "inventory log4j/commons-text, CVEs, safe mitigation"},
    {"honeypot", run_honeypot, NULL, "tripwire listener capturing HTTP, LDAP, RMI, DNS callbacks"},
    {"probe", run_probe, NULL, "prove which of your services are exploitable (own callback listener)"},
    {"register", run_register, NULL, "exposure register: assets, exposures, SLA clocks, mitigations"},
    {"report", run_report, NULL, "one self-contained HTML page: spike, sources, callbacks, edge, exposure"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: defuse <command> [options] [args]\n\n"
                 "defuse %s: active defense against Log4Shell (CVE-2021-44228) and\n"
                 "its family of ${...} interpolation injections.\n\ncommands:\n",
            defuse_version());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\noptions:\n"
                 "  -h, --help     this text\n"
                 "  -V, --version  the version, the vulnerability data (vulndb) built in\n"
                 "                 and the JDK case mapping (also after any command)\n"
                 "\nRun 'defuse <command> --help' for a command's options.\n"
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
        cli_print_version("defuse");
        return EXIT_CLEAN;
    }
    if (!strcmp(name, "help")) {
        const command *c = argc > 2 ? find(argv[2]) : NULL;
        if (!c) {
            usage(argc > 2 ? stderr : stdout);
            return argc > 2 ? EXIT_ERROR : EXIT_CLEAN;
        }
        if (!c->help) {
            char help[] = "--help";
            char *args[] = {argv[2], help, NULL};
            return c->run(2, args);
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
        if ((!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) && c->help) {
            fputs(c->help, stdout);
            return EXIT_CLEAN;
        }
        /* The siblings answer --version themselves (cli/sibling_main.c). */
        if ((!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) && c->help) {
            cli_print_version("defuse");
            return EXIT_CLEAN;
        }
    }
    return c->run(argc - 1, argv + 1);
}
