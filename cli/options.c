/*
 * options.c -- the option vocabulary shared by every subcommand (docs/cli.md,
 * "Common options"): one error prefix ("defuse CMD: "), getopt errors that
 * name the option, numbers checked against their range and named in errors,
 * --color, -o/--output and the mutual exclusion of output formats.
 * Linked into `defuse` and each sibling program (CMakeLists.txt).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "defuse %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_ERROR;
}

int cli_opt_error(const char *cmd, int c, char *const *argv) {
    /* getopt has advanced optind past the word it rejected (or is still on
     * it when the word is a cluster of short options: then optopt tells). */
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    char shortopt[3] = {'-', (char)optopt, '\0'};
    int is_short = optopt > 0 && optopt < 128 && (word[0] != '-' || word[1] != '-');
    if (c == ':') {
        const char *name = is_short ? shortopt : word;
        size_t n = strcspn(name, "=");
        cli_error(cmd, "option '%.*s' needs a value", (int)n, name);
    } else if (!is_short && optopt && word[0] == '-' && word[1] == '-' && strchr(word, '=')) {
        /* a known long option that takes no value, given one */
        cli_error(cmd, "option '%.*s' takes no value", (int)strcspn(word, "="), word);
    } else {
        cli_error(cmd, "unknown option '%s'", is_short ? shortopt : word);
    }
    fprintf(stderr, "Run 'defuse %s --help' for the options.\n", cmd);
    return EXIT_ERROR;
}

int cli_number(const char *cmd, const char *opt, const char *arg, unsigned long long min,
               unsigned long long max, unsigned long long *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || arg[0] == '+' || v < min || v > max) {
        cli_error(cmd, "%s: '%s' is not a number from %llu to %llu", opt, arg, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_color(const char *cmd, const char *arg, int *out) {
    static const struct {
        const char *name;
        int value;
    } words[] = {{"auto", -1}, {"always", 1}, {"never", 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(arg, words[i].name)) {
            *out = words[i].value;
            return 0;
        }
    cli_error(cmd, "--color: '%s' is not auto, always or never", arg);
    return -1;
}

int cli_color_auto(int colour, int machine) {
    if (colour >= 0)
        return colour;
    const char *nc = getenv("NO_COLOR");
    return !machine && isatty(1) && !(nc && *nc);
}

int cli_output(const char *cmd, const char *path) {
    if (!path || !strcmp(path, "-"))
        return 0;
    if (!freopen(path, "w", stdout)) {
        cli_error(cmd, "-o %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_one_format(const char *cmd, const char *const *names, const int *given, size_t n) {
    const char *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!given[i])
            continue;
        if (first) {
            cli_error(cmd, "%s and %s exclude each other: choose one output format", first,
                      names[i]);
            return -1;
        }
        first = names[i];
    }
    return 0;
}
