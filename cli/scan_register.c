/*
 * scan_register.c -- `defuse scan --register DB --asset NAME --env ENV`:
 * the scan's JSON Lines go into the exposure register in the same command.
 * The scan (cli/scan.c) writes its JSON records to a temporary file; this
 * runs the register's own program, defuse-register from the directory of
 * this one, as `register --db DB ingest --asset NAME [--env ENV] -` with
 * that file as its standard input, and waits for it.  A separate program,
 * not a link: the scanner does not load SQLite and libpq, and the
 * register's ingest (its checks, atomicity, retries) exists once.
 */
#include "cli.h"

#include <errno.h>
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

int scan_register_ingest(FILE *json, const char *db, const char *asset, const char *env) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 32);
    if (n <= 0) {
        fprintf(stderr, "defuse scan: --register: cannot find my own path: %s\n", strerror(errno));
        return EXIT_ERROR;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    strcpy(slash ? slash + 1 : self, "defuse-register");
    if (fflush(json) || fseek(json, 0, SEEK_SET)) {
        fprintf(stderr, "defuse scan: --register: cannot reread the scan: %s\n", strerror(errno));
        return EXIT_ERROR;
    }
    char *argv[12];
    int k = 0;
    argv[k++] = self;
    argv[k++] = UNCONST("register");
    argv[k++] = UNCONST("--db");
    argv[k++] = UNCONST(db);
    argv[k++] = UNCONST("ingest");
    argv[k++] = UNCONST("--asset");
    argv[k++] = UNCONST(asset);
    if (env) {
        argv[k++] = UNCONST("--env");
        argv[k++] = UNCONST(env);
    }
    argv[k++] = UNCONST("-");
    argv[k] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fileno(json), 0);
    pid_t pid;
    int rc = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "defuse scan: --register: cannot run %s: %s\n", self, strerror(rc));
        return EXIT_ERROR;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "defuse scan: --register: %s\n", strerror(errno));
            return EXIT_ERROR;
        }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? EXIT_CLEAN : EXIT_ERROR;
}
