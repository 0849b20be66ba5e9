/*
 * register_spawn.c -- the front ends that write into the exposure register
 * without linking it: `defuse scan --register DB --asset NAME [--env ENV]`
 * (the scan's JSON Lines, ingested) and `defuse probe --register DB` (the
 * probe's verdict on each asset, one list).  Each runs the register's own program,
 * defuse-register from the directory of this one, as `register --db DB
 * SUBCOMMAND ...` and waits for it.  A separate program, not a link: the
 * scanner and the prober do not load SQLite and libpq, and the register's
 * checks, atomicity and retries exist once.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* posix_spawn takes char *const argv[]; it does not write the strings */
#define UNCONST(x) ((char *)(uintptr_t)(x))
#define MAX_ARGS 16

/* Runs `defuse-register register --db DB ARGS...` with in (NULL: /dev/null)
 * as its standard input and, when quiet_stdout, stderr as its standard
 * output (the caller's stdout holds its own report).  who: "scan" or
 * "probe", for messages.  Returns
 * EXIT_CLEAN when it exited 0, else EXIT_ERROR (its own message is on
 * stderr already). */
static int register_spawn(const char *who, const char *db, const char *const *args, FILE *in,
                          int quiet_stdout) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 32);
    if (n <= 0) {
        fprintf(stderr, "defuse %s: --register: cannot find my own path: %s\n", who,
                strerror(errno));
        return EXIT_ERROR;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    strcpy(slash ? slash + 1 : self, "defuse-register");
    char *argv[MAX_ARGS + 5];
    int k = 0;
    argv[k++] = self;
    argv[k++] = UNCONST("register");
    argv[k++] = UNCONST("--db");
    argv[k++] = UNCONST(db);
    for (int i = 0; args[i] && i < MAX_ARGS; i++)
        argv[k++] = UNCONST(args[i]);
    argv[k] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in)
        posix_spawn_file_actions_adddup2(&fa, fileno(in), 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (quiet_stdout) {
        fflush(stdout);
        posix_spawn_file_actions_adddup2(&fa, 2, 1);
    }
    pid_t pid;
    int rc = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "defuse %s: --register: cannot run %s: %s\n", who, self, strerror(rc));
        return EXIT_ERROR;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "defuse %s: --register: %s\n", who, strerror(errno));
            return EXIT_ERROR;
        }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? EXIT_CLEAN : EXIT_ERROR;
}

int scan_register_ingest(FILE *json, const char *db, const char *asset, const char *env) {
    if (fflush(json) || fseek(json, 0, SEEK_SET)) {
        fprintf(stderr, "defuse scan: --register: cannot reread the scan: %s\n", strerror(errno));
        return EXIT_ERROR;
    }
    /* ingest --asset NAME [--env ENV] -  (the scan on standard input) */
    const char *with_env[] = {"ingest", "--asset", asset, "--env", env, "-", NULL};
    const char *without[] = {"ingest", "--asset", asset, "-", NULL};
    return register_spawn("scan", db, env ? with_env : without, json, 0);
}

int probe_register_verdicts(const char *db, const char *env, FILE *list) {
    if (fflush(list) || fseek(list, 0, SEEK_SET)) {
        fprintf(stderr, "defuse probe: --register: cannot reread the verdicts: %s\n",
                strerror(errno));
        return EXIT_ERROR;
    }
    /* verify --batch - [--env ENV]  (ASSET<TAB>-<TAB>VERDICT<TAB>EVIDENCE lines) */
    const char *args[] = {"verify", "--batch", "-", env ? "--env" : NULL, env, NULL};
    return register_spawn("probe", db, args, list, 1);
}
