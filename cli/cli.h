/*
 * cli.h -- declarations shared by the `defuse` program's files.
 * The program is a client of <defuse.h> only; each subcommand is one file
 * cli/<name>.c exporting cmd_<name>() and listed in main.c's table.
 */
#ifndef DEFUSE_CLI_H
#define DEFUSE_CLI_H

#include <defuse.h>
#include <stdio.h>

/* Exit codes shared by every subcommand (grep convention). */
enum { EXIT_CLEAN = 0, EXIT_FOUND = 1, EXIT_ERROR = 2 };

/* Subcommands: argv[0] is the subcommand name; return the exit status. */
int cmd_logs(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_scan(int argc, char **argv);
/* cli/register_spawn.c, through defuse-register: ingests the scan's JSON
 * Lines (json, rewound) into the register db as asset (env may be NULL);
 * records a probe's verdicts, list holding `register verify --batch` lines
 * (env: for new assets, may be NULL).  Return EXIT_CLEAN or EXIT_ERROR (the
 * message printed). */
int scan_register_ingest(FILE *json, const char *db, const char *asset, const char *env);
int probe_register_verdicts(const char *db, const char *env, FILE *list);
int cmd_honeypot(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_probe(int argc, char **argv);

/* Help texts, printed by `defuse help NAME` and `defuse NAME --help`
 * (`defuse logs --help` prints its own, in parts: cmd_logs). */
extern const char cli_help_explain[];
extern const char cli_help_scan[];
extern const char cli_help_scan_more[]; /* printed after cli_help_scan */
extern const char cli_help_honeypot[];
extern const char cli_help_register[];
extern const char cli_help_report[];
extern const char cli_help_probe[];
extern const char cli_help_probe_more[]; /* printed after cli_help_probe */
extern const char cli_help_register_more[]; /* printed after cli_help_register */

/* Prints "PROG VERSION", the vulndb it was built with and the case mapping
 * on stdout (cli/version.c): `--version`/`-V` of every program and subcommand. */
void cli_print_version(const char *prog);

/* ---- options.c: the option vocabulary of every subcommand (docs/cli.md) ----
 * cmd is the subcommand's name ("logs"); errors are one line on stderr,
 * "defuse CMD: ...". */
#include <stddef.h>
/* Prints "defuse CMD: " and the message; returns EXIT_ERROR. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* After getopt_long (opterr = 0, optstring starting with ':') returned c
 * ('?' an unknown option, ':' a missing value): names the option; returns
 * EXIT_ERROR. */
int cli_opt_error(const char *cmd, int c, char *const *argv);
/* arg as a decimal number in [min, max] into *out; else an error naming opt
 * and arg, and -1. */
int cli_number(const char *cmd, const char *opt, const char *arg, unsigned long long min,
               unsigned long long max, unsigned long long *out);
/* --color WHEN: *out = 1 always, 0 never, -1 auto; else an error and -1. */
int cli_color(const char *cmd, const char *arg, int *out);
/* Resolves auto (-1): colour when stdout is a terminal, NO_COLOR is unset
 * and the output is not for machines (machine != 0). */
int cli_color_auto(int colour, int machine);
/* -o/--output PATH: stdout re-opened on PATH ("-" or NULL: unchanged).
 * Returns 0, or -1 after an error naming PATH and the reason. */
int cli_output(const char *cmd, const char *path);
/* Output formats (names[i] given when given[i]): at most one.  Returns 0, or
 * -1 after an error naming the two. */
int cli_one_format(const char *cmd, const char *const *names, const int *given, size_t n);

#endif
