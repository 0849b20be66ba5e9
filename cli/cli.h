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
/* cli/scan_register.c: ingests the scan's JSON Lines (json, rewound) into
 * the register db as asset (env may be NULL) with defuse-register.
 * Returns EXIT_CLEAN or EXIT_ERROR (its message printed). */
int scan_register_ingest(FILE *json, const char *db, const char *asset, const char *env);
int cmd_honeypot(int argc, char **argv);
int cmd_register(int argc, char **argv);

/* Help texts, printed by `defuse help NAME` and `defuse NAME --help`
 * (`defuse logs --help` prints its own, in parts: cmd_logs). */
extern const char cli_help_explain[];
extern const char cli_help_scan[];
extern const char cli_help_scan_more[]; /* printed after cli_help_scan */
extern const char cli_help_honeypot[];
extern const char cli_help_register[];
extern const char cli_help_register_more[]; /* printed after cli_help_register */

/* Prints "PROG VERSION", the vulndb it was built with and the case mapping
 * on stdout (cli/version.c): `--version`/`-V` of every program and subcommand. */
void cli_print_version(const char *prog);

#endif
