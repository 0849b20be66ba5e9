/*
 * scan.c -- `defuse scan`: inventory of log4j-core, log4j 1.x, reload4j and
 * commons-text on a host (archives by content, nested, exploded, shaded),
 * the CVEs that apply, and the safe mitigation (--fix, --restore).  A client
 * of <defuse.h> only: the walk, identification and rewriting are
 * libdefuse's (lib/inventory*.c); this file parses options, collects the
 * records, and prints them as a table, JSON Lines, SARIF 2.1.0 or
 * CycloneDX 1.5.  Exit status: 0 nothing vulnerable, 1 vulnerable, 2 errors, 3 both.
 */
#include "cli.h"
#include "scan_output.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char cli_help_scan[] =
    "usage: defuse scan [OPTIONS] PATH...\n"
    "       defuse scan --restore BACKUP_DIR [--force]\n"
    "\n"
    "Finds log4j-core 2.x, log4j 1.x, reload4j and commons-text in files, archives\n"
    "(jar/war/ear/aar/zip, self-executable jars, tar, tar.gz/bz2/xz/zst; nested to\n"
    "any depth within limits), exploded class trees and lone class files, including\n"
    "shaded copies, and reports every CVE that applies with its evidence.\n"
    "\n"
    "Output (default: a table on stdout, errors on stderr):\n"
    "  --json               JSON Lines: one object per record, then a summary object\n"
    "  --sarif              SARIF 2.1.0\n"
    "  --cyclonedx          CycloneDX 1.5 JSON SBOM with vulnerabilities\n"
    "  --ecs                Elastic Common Schema 8.11 documents, one a line\n"
    "                       (one output format at a time)\n"
    "  -o, --output FILE    write the report to FILE instead of stdout\n"
    "  -q, --quiet          print nothing on stdout: the exit status tells\n"
    "  --vulnerable-only    table: list only vulnerable components and errors\n"
    "  --color WHEN         table status in colour: auto (default), always, never\n"
    "  --progress           progress on stderr (default: when it is a terminal)\n"
    "  --no-progress        no progress line on stderr\n"
    "  --no-hashes          JSON/SARIF/CycloneDX/ECS without the SHA-256 of each\n"
    "                       component's file (a jar is then read only where needed)\n"
    "  --register DB --asset NAME [--env ENV]\n"
    "                       record the scan in the exposure register DB (a SQLite file\n"
    "                       or postgresql://...) as what NAME holds now, as `defuse\n"
    "                       register --db DB ingest --asset NAME` would (--env: required\n"
    "                       for a new asset); the report goes only to the register\n"
    "Walking:\n"
    "  --follow-symlinks    follow symbolic links (loops are detected)\n"
    "  -x, --one-file-system  stay on the file system of each PATH\n"
    "  --all-fs             also walk /proc, /sys, /dev and network file systems\n"
    "  -j, --jobs N         worker threads, 1..256 (default: one per CPU;\n"
    "                       --threads is the old spelling)\n"
    "  --exclude GLOB       prune files and directories GLOB names (repeatable; as\n"
    "                       rg -g '!GLOB': without '/' the name, with '/' the whole\n"
    "                       path, a trailing '/' directories only; fnmatch)\n"
    "  --skip-dirs DIR[,DIR]  prune these directories (repeatable; globs allowed)\n"
    "Data and limits:\n"
    "  --vulndb FILE        vulnerability data (default: the installed vulndb.json,\n"
    "                       else the copy built into defuse)\n"
    "  --max-depth N        archive nesting (default 16)\n"
    "  --max-expanded BYTES bytes decompressed per file (default 4 GiB)\n"
    "  --max-ratio N        declared/compressed size of a zip (default 2000)\n"
    "  --timeout SECONDS    wall time per top-level file (default 300)\n"
    "Policy (CI and cron):\n"
    "  --fail-on WHAT       findings that set the status: any (default), low, medium,\n"
    "                       high, critical (that severity or above), rce (the remote\n"
    "                       code execution CVEs), or a list CVE-A,CVE-B\n"
    "  --severity SEV       report only findings of severity SEV or above\n"
    "  --ignore FILE        JSON rules {\"ignore\":[{\"id\",\"path\",\"reason\",\"expires\"}]}:\n"
    "                       matching findings are suppressed (shown with the reason);\n"
    "                       an expired rule suppresses nothing and is warned about\n"
    "  --vex FILE           CycloneDX VEX or OpenVEX JSON: not_affected/fixed\n"
    "                       statements suppress findings of the named purls\n";

/* The rest of the help: one C string may hold at most 4,095 bytes (C99
 * 5.2.4.1; -Werror=overlength-strings).  sibling_main.c prints both. */
const char cli_help_scan_more[] =
    "Mitigation:\n"
    "  --fix                remove JndiLookup.class from every archive (zip family, tar)\n"
    "                       or exploded tree with a finding\n"
    "                       of CVE-2021-44228/45046 (nested archives rebuilt),\n"
    "                       atomically, keeping owner, mode, mtime, xattrs, ACLs and\n"
    "                       SELinux label; a symlink's target is fixed (once) and the\n"
    "                       link kept; hard-linked files are refused; signature files\n"
    "                       of changed jars are removed (each named on stderr); each\n"
    "                       failure is one 'NOT FIXED: PATH: REASON' line; then\n"
    "                       reports per component the CVEs mitigated and remaining,\n"
    "                       'N fixed, M not fixed', and rescans\n"
    "  --fix-log4j1         with --fix: also remove log4j 1.x JMSAppender, SocketServer,\n"
    "                       SMTPAppender, JMSSink, JDBCAppender and chainsaw classes\n"
    "  --backup-dir DIR     keep the originals in DIR with a manifest; required by\n"
    "                       --fix unless --no-backup; left out of the walk if inside\n"
    "                       a PATH (--fix --backup-dir /var/backups/defuse /)\n"
    "  --no-backup          --fix without a backup\n"
    "  --dry-run            with --fix: show what would be removed, change nothing\n"
    "  --restore DIR        put back every original kept in DIR (bytes identical);\n"
    "                       a missing or tampered backup is named and skipped (exit 2)\n"
    "  --force              with --restore: re-create files deleted since the fix\n"
    "\n"
    "Exit status: 0 nothing vulnerable; 1 something vulnerable; 2 errors (some file\n"
    "could not be examined) and nothing vulnerable; 3 something vulnerable and errors.\n"
    "\"Vulnerable\" is a finding --severity keeps, --fail-on selects and no --ignore\n"
    "rule or --vex statement suppresses; suppressed findings never fail the scan.\n"
    "Warnings (a file that vanished, a wrong CRC, a second zip directory) never change it.\n"
    "An SBOM (CycloneDX JSON/XML, SPDX JSON/tag-value, by content) is named, not\n"
    "scanned (`defuse register ingest` reads it): as a PATH, or when the scan met\n"
    "nothing else, it sets the status to 2 (3 with a finding), never 0.\n"
    "With --fix the status describes the tree after the fix; a file NOT FIXED is an error\n"
    "(so 3 while its component stays vulnerable).\n";

/* The nesting limit compiled into libdefuse (DEFUSE_INV_MAX_DEPTH of
 * lib/limits.h, which the CLI does not include): a larger --max-depth is an
 * error, not a silent clamp. */
#define DEFUSE_SCAN_MAX_DEPTH 16u
/* Exit status when something is vulnerable and something could not be
 * examined (cli.h has 0, 1, 2). */
#define EXIT_FOUND_ERRORS 3

/* ---- collected records ---------------------------------------------------------- */

/* rec and collect: scan_output.h */

/* A malloc'd copy of s that is valid UTF-8 (jansson refuses anything else):
 * each byte of an invalid sequence becomes the text \xHH.  NULL stays NULL. */
static char *xdup(const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s), o = 0;
    char *d = malloc(n * 4 + 1);
    if (!d)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[i + k] & 0xC0) == 0x80;
        if (ok && len == 2 && c < 0xC2)
            ok = false; /* overlong */
        if (ok && len == 3) {
            unsigned cp = (c & 0x0F) << 12 | (p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3F);
            ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
        }
        if (ok && len == 4) {
            unsigned cp = (c & 0x07) << 18 | (p[i + 1] & 0x3F) << 12 | (p[i + 2] & 0x3F) << 6 |
                          (p[i + 3] & 0x3F);
            ok = cp >= 0x10000 && cp <= 0x10FFFF;
        }
        if (ok) {
            memcpy(d + o, p + i, len);
            o += len;
            i += len;
        } else {
            o += (size_t)sprintf(d + o, "\\x%02x", c);
            i++;
        }
    }
    d[o] = 0;
    return d;
}

static int on_record(const defuse_component *c, void *user) {
    collect *col = user;
    if (col->n == col->cap) {
        size_t nc = col->cap ? col->cap * 2 : 64;
        rec *nv = realloc(col->v, nc * sizeof *nv);
        if (!nv) {
            col->oom = 1;
            return 1;
        }
        col->v = nv;
        col->cap = nc;
    }
    rec *r = &col->v[col->n++];
    memset(r, 0, sizeof *r);
    r->err = c->err;
    r->warning = c->warning;
    r->reason = xdup(c->reason);
    r->path = xdup(c->path);
    r->raw_path = c->path ? strdup(c->path) : NULL;
    r->package = xdup(c->package);
    r->class_path = xdup(c->class_path);
    r->version = xdup(c->version);
    r->evidence_text = xdup(c->evidence_text);
    r->product = c->product;
    r->evidence = c->evidence;
    r->decided_by = c->decided_by;
    r->shaded = c->shaded;
    r->jndilookup = c->jndilookup;
    r->nvulns = c->nvulns;
    memcpy(r->vulns, c->vulns, sizeof r->vulns);
    r->sbom = c->sbom ? strdup(c->sbom) : NULL;
    if (c->sha256 && strlen(c->sha256) == 64)
        memcpy(r->sha256, c->sha256, 65);
    if (c->sha256_outer && strlen(c->sha256_outer) == 64)
        memcpy(r->sha256_outer, c->sha256_outer, 65);
    return 0;
}

static int rec_cmp(const void *a, const void *b) {
    const rec *x = a, *y = b;
    int c = strcmp(x->path ? x->path : "", y->path ? y->path : "");
    if (c)
        return c;
    if (x->err != y->err)
        return x->err ? 1 : -1;
    if (x->product != y->product)
        return (int)x->product - (int)y->product;
    return strcmp(x->package ? x->package : "", y->package ? y->package : "");
}

static void collect_free(collect *col) {
    for (size_t i = 0; i < col->n; i++) {
        rec *r = &col->v[i];
        free(r->reason), free(r->path), free(r->package), free(r->class_path);
        free(r->version), free(r->evidence_text), free(r->raw_path), free(r->sbom);
        for (size_t k = 0; k < DEFUSE_INV_MAX_VULNS; k++)
            free(r->suppressed[k]);
    }
    free(col->v);
    memset(col, 0, sizeof *col);
}

/* ---- progress ------------------------------------------------------------------------------ */

/* stderr is a terminal: the line is redrawn in place; else (--progress)
 * one plain line each time. */
static int progress_tty = 1;

static void progress(const defuse_walk_stats *st, void *user) {
    (void)user;
    double mb = (double)st->bytes / 1e6;
    fprintf(stderr, "%s%llu files, %.1f MB, %llu archives, %llu found, %.0f files/s%s",
            progress_tty ? "\r\033[K" : "defuse scan: ",
            (unsigned long long)st->files, mb, (unsigned long long)st->archives,
            (unsigned long long)st->components,
            st->seconds > 0 ? (double)st->files / st->seconds : 0.0, progress_tty ? "" : "\n");
    fflush(stderr);
}

/* ---- vulndb location ------------------------------------------------------------------------ */

#ifndef DEFUSE_DATADIR
#define DEFUSE_DATADIR "/usr/share/defuse"
#endif

/* Loads the data; *used names the file read, or is "" for the built-in copy. */
static int load_db(const char *opt, defuse_vulndb **db, char used[PATH_MAX + 64]) {
    used[0] = 0;
    char err[1024], exe[PATH_MAX], cand[PATH_MAX + 64];
    if (opt) {
        if (defuse_vulndb_load(db, opt, err, sizeof err)) {
            fprintf(stderr, "defuse scan: %s\n", err);
            return -1;
        }
        snprintf(used, PATH_MAX + 64, "%s", opt);
        return 0;
    }
    const char *tries[4];
    char c1[PATH_MAX + 64] = "", c2[PATH_MAX + 64] = "";
    size_t nt = 0;
    const char *env = getenv("DEFUSE_VULNDB");
    if (env && *env)
        tries[nt++] = env;
    tries[nt++] = DEFUSE_DATADIR "/vulndb.json";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *sl = strrchr(exe, '/');
        if (sl)
            *sl = 0;
        snprintf(c1, sizeof c1, "%s/vulndb.json", exe);
        snprintf(c2, sizeof c2, "%s/../share/defuse/vulndb.json", exe);
        tries[nt++] = c1;
        tries[nt++] = c2;
    }
    for (size_t i = 0; i < nt; i++) {
        struct stat st;
        if (stat(tries[i], &st) != 0)
            continue;
        snprintf(cand, sizeof cand, "%s", tries[i]);
        if (defuse_vulndb_load(db, cand, err, sizeof err)) {
            fprintf(stderr, "defuse scan: %s\n", err);
            return -1;
        }
        snprintf(used, PATH_MAX + 64, "%s", cand);
        return 0;
    }
    /* no data file installed: the copy compiled into the library */
    if (defuse_vulndb_builtin(db, err, sizeof err)) {
        fprintf(stderr, "defuse scan: built-in vulnerability data: %s\n", err);
        return -1;
    }
    return 0;
}

/* ---- what the report says about the scan ------------------------------------------------------- */

typedef struct meta_buf {
    char host[256], time[32], today[16], vversion[96], vdate[32], vpath[PATH_MAX + 64];
} meta_buf;

/* Host name, start time (UTC) and the identity of the vulnerability data:
 * "sha256:" and 12 hex digits of the file read with its mtime, or the
 * defuse version for the copy built in. */
static void scan_meta_fill(meta_buf *b, scan_meta *m, const char *dbpath) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(b->time, sizeof b->time, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(b->today, sizeof b->today, "%Y-%m-%d", &tm);
    if (gethostname(b->host, sizeof b->host - 1) != 0 || !b->host[0])
        snprintf(b->host, sizeof b->host, "unknown");
    b->host[sizeof b->host - 1] = 0;
    char hex[65];
    struct stat st;
    if (dbpath[0] && stat(dbpath, &st) == 0 && defuse_sha256_file(dbpath, hex) == 0) {
        snprintf(b->vversion, sizeof b->vversion, "sha256:%.12s", hex);
        gmtime_r(&st.st_mtime, &tm);
        strftime(b->vdate, sizeof b->vdate, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(b->vpath, sizeof b->vpath, "%s", dbpath);
    } else {
        snprintf(b->vversion, sizeof b->vversion, "builtin-%s", defuse_version());
        snprintf(b->vdate, sizeof b->vdate, "unknown");
        snprintf(b->vpath, sizeof b->vpath, "(built in)");
    }
    m->host = b->host;
    m->time = b->time;
    m->vulndb_version = b->vversion;
    m->vulndb_date = b->vdate;
    m->vulndb_path = b->vpath;
}

/* SHA-256 of each component's outermost file: libdefuse hashed it in the
 * scanning thread (sha256_outer); only a record without it (a file that
 * could not be read to its end there) is read again here.  Records sorted
 * by path, so the entries of one file are adjacent: each is read once. */
static void hash_outer(collect *col) {
    char last[PATH_MAX] = "", hex[65] = "";
    for (size_t i = 0; i < col->n; i++) {
        rec *r = &col->v[i];
        if (r->err || r->sbom || !r->raw_path)
            continue;
        if (r->sha256_outer[0]) {
            if (!strstr(r->raw_path, "!/") && !r->sha256[0]) /* a top-level file: its own hash */
                memcpy(r->sha256, r->sha256_outer, sizeof r->sha256);
            continue;
        }
        size_t n = strcspn(r->raw_path, "!");
        while (r->raw_path[n] && r->raw_path[n + 1] != '/')
            n += 1 + strcspn(r->raw_path + n + 1, "!");
        if (n >= sizeof last)
            continue;
        char outer[PATH_MAX];
        memcpy(outer, r->raw_path, n);
        outer[n] = 0;
        if (strcmp(outer, last) != 0) {
            struct stat st;
            snprintf(last, sizeof last, "%s", outer);
            if (stat(outer, &st) != 0 || !S_ISREG(st.st_mode) || defuse_sha256_file(outer, hex))
                hex[0] = 0;
        }
        snprintf(r->sha256_outer, sizeof r->sha256_outer, "%s", hex);
        if (!r->raw_path[n] && !r->sha256[0]) /* a top-level file: its own hash */
            snprintf(r->sha256, sizeof r->sha256, "%s", hex);
    }
}

/* ---- --fix ------------------------------------------------------------------------------------- */

static char verb_removed[] = "removed", verb_would[] = "would remove",
            verb_restored[] = "restored";

static void on_removed(const char *path, void *user) {
    const char *verb = user;
    fprintf(stderr, "defuse scan: %s ", verb);
    put_safe(stderr, path);
    fputc('\n', stderr);
}

static void on_restore_problem(const char *msg, void *user) {
    (void)user;
    fputs("defuse scan: ", stderr);
    put_safe(stderr, msg);
    fputc('\n', stderr);
}

static int applies_to_fix(const rec *r, unsigned fixflags) {
    for (size_t k = 0; k < r->nvulns; k++) {
        const char *id = r->vulns[k].id;
        if (r->product == DEFUSE_PRODUCT_LOG4J_CORE &&
            (!strcmp(id, "CVE-2021-44228") || !strcmp(id, "CVE-2021-45046")))
            return 1;
        if (r->product == DEFUSE_PRODUCT_LOG4J1 && (fixflags & DEFUSE_FIX_LOG4J1))
            return 1;
    }
    return 0;
}

/* The CVEs --fix mitigates by the classes it removes, per product. */
static const struct {
    defuse_product product;
    unsigned needs; /* fix flags that remove the class */
    const char *id;
} mitigated_by_fix[] = {
    {DEFUSE_PRODUCT_LOG4J_CORE, 0, "CVE-2021-44228"}, /* JndiLookup */
    {DEFUSE_PRODUCT_LOG4J_CORE, 0, "CVE-2021-45046"}, /* JndiLookup */
    {DEFUSE_PRODUCT_LOG4J1, DEFUSE_FIX_LOG4J1, "CVE-2021-4104"},  /* JMSAppender */
    {DEFUSE_PRODUCT_LOG4J1, DEFUSE_FIX_LOG4J1, "CVE-2019-17571"}, /* SocketServer */
    {DEFUSE_PRODUCT_LOG4J1, DEFUSE_FIX_LOG4J1, "CVE-2022-23302"}, /* JMSSink */
    {DEFUSE_PRODUCT_LOG4J1, DEFUSE_FIX_LOG4J1, "CVE-2022-23305"}, /* JDBCAppender */
    {DEFUSE_PRODUCT_LOG4J1, DEFUSE_FIX_LOG4J1, "CVE-2022-23307"}, /* chainsaw */
};

static int fix_mitigates(defuse_product p, unsigned fixflags, const char *id) {
    for (size_t i = 0; i < sizeof mitigated_by_fix / sizeof mitigated_by_fix[0]; i++)
        if (mitigated_by_fix[i].product == p && !strcmp(mitigated_by_fix[i].id, id) &&
            (mitigated_by_fix[i].needs & fixflags) == mitigated_by_fix[i].needs)
            return 1;
    return 0;
}

/* After a file's fix (fixed: rc > 0): per component in it, which CVEs are
 * now mitigated and which remain, on stderr and (jout) as a JSON record
 * {"type":"fix","path","file","status","mitigated","remaining"}; status is
 * "mitigated" (nothing known left), "rce-mitigated-upgrade-due" (44228/
 * 45046 gone, 45105 DoS or 44832 config RCE left) or "vulnerable" (not
 * fixed). */
static void report_component(const rec *r, const char *file, int fixed, unsigned fixflags,
                             FILE *jout) {
    json_t *mit = json_array(), *rem = json_array();
    for (size_t k = 0; k < r->nvulns; k++) {
        const char *id = r->vulns[k].id;
        json_array_append_new(fixed && fix_mitigates(r->product, fixflags, id) ? mit : rem,
                              json_string(id));
    }
    const char *status = !fixed || !json_array_size(mit) ? "vulnerable"
                         : json_array_size(rem)           ? "rce-mitigated-upgrade-due"
                                                          : "mitigated";
    if (fixed) { /* a file not fixed has had its one NOT FIXED line */
        fputs("defuse scan: ", stderr);
        put_safe(stderr, r->path ? r->path : file);
        fputs(": ", stderr);
        for (size_t k = 0; k < json_array_size(mit); k++)
            fprintf(stderr, "%s%s", k ? ", " : "", json_string_value(json_array_get(mit, k)));
        fputs(json_array_size(mit) ? " mitigated; " : "", stderr);
        fputs(json_array_size(rem) ? "still affected by " : "no known CVE left", stderr);
        for (size_t k = 0; k < json_array_size(rem); k++)
            fprintf(stderr, "%s%s", k ? ", " : "", json_string_value(json_array_get(rem, k)));
        fprintf(stderr, " (%s)\n", !strcmp(status, "rce-mitigated-upgrade-due")
                                       ? "RCE mitigated, upgrade still due"
                                       : status);
    }
    if (jout) {
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "type", "fix", "path",
                              r->path ? r->path : file, "file", file, "status", status,
                              "mitigated", mit, "remaining", rem);
        if (j) {
            put_json(jout, j, JSON_COMPACT);
            fputc('\n', jout);
            json_decref(j);
        }
    } else {
        json_decref(mit);
        json_decref(rem);
    }
}

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_fix(const collect *col, unsigned fixflags, const defuse_inv_limits *lim,
                  const char *backup, FILE *jout) {
    char **files = calloc(col->n + 1, sizeof *files);
    char **owner = calloc(col->n + 1, sizeof *owner); /* per record: its fixed file */
    size_t nf = 0;
    int failed = 0, fixed = 0;
    if (!files || !owner) {
        free(files);
        free(owner);
        return -1;
    }
    for (size_t i = 0; i < col->n; i++) {
        const rec *r = &col->v[i];
        if (r->err || !applies_to_fix(r, fixflags) || !r->raw_path)
            continue;
        const char *bang = strstr(r->raw_path, "!/");
        char *f = bang ? strndup(r->raw_path, (size_t)(bang - r->raw_path)) : strdup(r->raw_path);
        struct stat st;
        char *real = f ? realpath(f, NULL) : NULL;
        /* links resolved: a target behind several links is fixed once */
        if (real && stat(real, &st) == 0 &&
            (S_ISREG(st.st_mode) || (!bang && S_ISDIR(st.st_mode)))) {
            files[nf++] = real; /* an archive, or an exploded class tree */
            owner[i] = real;
        } else {
            /* never a silent skip: the component stays vulnerable */
            fputs("defuse scan: NOT FIXED: ", stderr);
            put_safe(stderr, f ? f : r->raw_path);
            fprintf(stderr, ": %s\n",
                    !f ? strerror(ENOMEM)
                    : errno == ENAMETOOLONG ? "path longer than PATH_MAX"
                    : real ? "not a regular file or directory"
                           : strerror(errno));
            free(real);
            failed++;
        }
        free(f);
    }
    qsort(files, nf, sizeof *files, str_cmp);
    /* a file's rewrite runs to its end (temp file renamed or removed) even if
     * ^C or SIGTERM arrives: the signal is delivered between files */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    for (size_t i = 0; i < nf; i++) {
        if (i && !strcmp(files[i], files[i - 1]))
            continue;
        sigprocmask(SIG_BLOCK, &block, &old);
        char err[1024];
        int rc = defuse_inventory_fix(files[i], fixflags, lim, backup, on_removed,
                                      (fixflags & DEFUSE_FIX_DRY_RUN) ? verb_would : verb_removed,
                                      err, sizeof err);
        if (rc < 0) {
            fputs("defuse scan: NOT FIXED: ", stderr);
            put_safe(stderr, err);
            fputc('\n', stderr);
            failed++;
        } else if (rc == 0) {
            /* vulnerable by its evidence, yet no class the fixer knows by name */
            fputs("defuse scan: NOT FIXED: ", stderr);
            put_safe(stderr, files[i]);
            fputs(": no JndiLookup.class under its usual name (relocated or obfuscated "
                  "classes); upgrade it\n", stderr);
            failed++;
        } else if (!(fixflags & DEFUSE_FIX_DRY_RUN)) {
            fputs("defuse scan: fixed ", stderr);
            put_safe(stderr, files[i]);
            fprintf(stderr, " (%d entries removed)\n", rc);
            fixed++;
        } else {
            fixed++;
        }
        if (!(fixflags & DEFUSE_FIX_DRY_RUN))
            for (size_t k = 0; k < col->n; k++)
                if (owner[k] && !strcmp(owner[k], files[i]))
                    report_component(&col->v[k], files[i], rc > 0, fixflags, jout);
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    for (size_t i = 0; i < nf; i++)
        free(files[i]);
    free(files);
    free(owner);
    fprintf(stderr, "defuse scan: %d %s, %d not fixed\n", fixed,
            (fixflags & DEFUSE_FIX_DRY_RUN) ? "would be fixed" : "fixed", failed);
    return failed;
}

/* ---- main ------------------------------------------------------------------------------------ */

enum { F_TABLE, F_JSON, F_SARIF, F_CDX, F_ECS };

enum {
    O_JSON = 256, O_SARIF, O_CDX, O_NOPROG, O_NOHASH, O_FOLLOW, O_ALLFS, O_VULNDB, O_MAXDEPTH, O_MAXEXP,
    O_MAXRATIO, O_TIMEOUT, O_FIX, O_FIX1, O_BACKUP, O_NOBACKUP, O_DRY, O_RESTORE,
    O_FAILON, O_SEVERITY, O_IGNORE, O_VEX, O_EXCLUDE, O_SKIPDIRS, O_FORCE, O_PROG, O_COLOR,
    O_VULNONLY, O_ECS, O_REGISTER, O_ASSET, O_ENV
};

/* The numeric options: name (for errors) and range (a value above the
 * range is refused, never clamped in silence). */
static const struct numopt {
    int c;
    const char *name;
    unsigned long long max;
} numopts[] = {
    {'j', "--jobs", 256},
    {O_MAXDEPTH, "--max-depth", 1ull << 62},
    {O_MAXEXP, "--max-expanded", 1ull << 62},
    {O_MAXRATIO, "--max-ratio", 1000000},
    {O_TIMEOUT, "--timeout", 86400},
};

/* Bound on --exclude/--skip-dirs patterns (each is tried on every name). */
#define MAX_EXCLUDE 256

/* What the option parsing allocates, freed by cmd_scan() on every path. */
typedef struct scan_alloc {
    fail_rule failon;
    char *excl[MAX_EXCLUDE];
    size_t nexcl;
    policy *pol;
} scan_alloc;

static int scan_run(int argc, char **argv, scan_alloc *a);

int cmd_scan(int argc, char **argv) {
    scan_alloc a;
    memset(&a, 0, sizeof a);
    int status = scan_run(argc, argv, &a);
    free(a.failon.ids);
    for (size_t i = 0; i < a.nexcl; i++)
        free(a.excl[i]);
    policy_free(a.pol);
    return status;
}

static int scan_run(int argc, char **argv, scan_alloc *a) {
    static const struct option opts[] = {
        {"json", no_argument, NULL, O_JSON},
        {"sarif", no_argument, NULL, O_SARIF},
        {"cyclonedx", no_argument, NULL, O_CDX},
        {"ecs", no_argument, NULL, O_ECS},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"silent", no_argument, NULL, 'q'},
        {"vulnerable-only", no_argument, NULL, O_VULNONLY},
        {"progress", no_argument, NULL, O_PROG},
        {"no-progress", no_argument, NULL, O_NOPROG},
        {"no-hashes", no_argument, NULL, O_NOHASH},
        {"color", required_argument, NULL, O_COLOR},
        {"colour", required_argument, NULL, O_COLOR},
        {"follow-symlinks", no_argument, NULL, O_FOLLOW},
        {"one-file-system", no_argument, NULL, 'x'},
        {"all-fs", no_argument, NULL, O_ALLFS},
        {"jobs", required_argument, NULL, 'j'},
        {"threads", required_argument, NULL, 'j'}, /* the old spelling, kept */
        {"vulndb", required_argument, NULL, O_VULNDB},
        {"max-depth", required_argument, NULL, O_MAXDEPTH},
        {"max-expanded", required_argument, NULL, O_MAXEXP},
        {"max-ratio", required_argument, NULL, O_MAXRATIO},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"fix", no_argument, NULL, O_FIX},
        {"fix-log4j1", no_argument, NULL, O_FIX1},
        {"backup-dir", required_argument, NULL, O_BACKUP},
        {"no-backup", no_argument, NULL, O_NOBACKUP},
        {"dry-run", no_argument, NULL, O_DRY},
        {"restore", required_argument, NULL, O_RESTORE},
        {"fail-on", required_argument, NULL, O_FAILON},
        {"severity", required_argument, NULL, O_SEVERITY},
        {"ignore", required_argument, NULL, O_IGNORE},
        {"vex", required_argument, NULL, O_VEX},
        {"exclude", required_argument, NULL, O_EXCLUDE},
        {"skip-dirs", required_argument, NULL, O_SKIPDIRS},
        {"force", no_argument, NULL, O_FORCE},
        {"register", required_argument, NULL, O_REGISTER},
        {"asset", required_argument, NULL, O_ASSET},
        {"env", required_argument, NULL, O_ENV},
        {NULL, 0, NULL, 0},
    };
    int fmt = F_TABLE, quiet = 0, vulnonly = 0, prog = -1, colour = -1, fix = 0, nobackup = 0,
        force = 0, nohash = 0, status = EXIT_ERROR;
    int given[5] = {0}; /* --json --sarif --cyclonedx --ecs: one at most */
    unsigned fixflags = 0;
    const char *outpath = NULL, *vdbpath = NULL, *backup = NULL, *restore = NULL;
    const char *reg_db = NULL, *reg_asset = NULL, *reg_env = NULL;
    int reg_complete = 0; /* the summary was written: the scan ran to its end */
    defuse_walk_options wo;
    defuse_inv_limits lim;
    memset(&wo, 0, sizeof wo);
    memset(&lim, 0, sizeof lim);
    int min_rank = 0;
    const char *ignore_files[64], *vex_files[64];
    size_t nignore = 0, nvex = 0;
    /* libarchive converts every zip entry's DOS time with mktime(); with TZ
     * unset glibc stats /etc/localtime on each call (1 syscall per entry).
     * Naming the same zone explicitly keeps local time and drops that. */
    if (!getenv("TZ"))
        setenv("TZ", ":/etc/localtime", 0);
    optind = 1;
    opterr = 0; /* errors in the "defuse scan: " style (cli_opt_error) */
    int c;
    while ((c = getopt_long(argc, argv, ":o:qxj:", opts, NULL)) != -1) {
        unsigned long long v = 0;
        for (size_t k = 0; k < sizeof numopts / sizeof numopts[0]; k++)
            if (c == numopts[k].c &&
                cli_number("scan", numopts[k].name, optarg, 1, numopts[k].max, &v) < 0)
                return EXIT_ERROR;
        switch (c) {
        case O_JSON: fmt = F_JSON, given[0] = 1; break;
        case O_SARIF: fmt = F_SARIF, given[1] = 1; break;
        case O_CDX: fmt = F_CDX, given[2] = 1; break;
        case O_ECS: fmt = F_ECS, given[3] = 1; break;
        case 'o': outpath = optarg; break;
        case 'q': quiet = 1; break;
        case O_VULNONLY: vulnonly = 1; break;
        case O_PROG: prog = 1; break;
        case O_NOPROG: prog = 0; break;
        case O_NOHASH: nohash = 1; break;
        case O_COLOR:
            if (cli_color("scan", optarg, &colour) < 0)
                return EXIT_ERROR;
            break;
        case O_FOLLOW: wo.flags |= DEFUSE_WALK_FOLLOW_SYMLINKS; break;
        case 'x': wo.flags |= DEFUSE_WALK_ONE_FS; break;
        case O_ALLFS: wo.flags |= DEFUSE_WALK_ALL_FS; break;
        case 'j': wo.threads = (unsigned)v; break;
        case O_VULNDB: vdbpath = optarg; break;
        case O_MAXDEPTH:
            if (v > DEFUSE_SCAN_MAX_DEPTH) {
                fprintf(stderr, "defuse scan: --max-depth %llu is above the compiled limit %u\n", v,
                        DEFUSE_SCAN_MAX_DEPTH);
                return EXIT_ERROR;
            }
            lim.max_depth = (unsigned)v;
            break;
        case O_MAXEXP: lim.max_expanded = v; break;
        case O_MAXRATIO: lim.max_ratio = (unsigned)v; break;
        case O_TIMEOUT: lim.max_seconds = (unsigned)v; break;
        case O_FIX: fix = 1; break;
        case O_FIX1: fixflags |= DEFUSE_FIX_LOG4J1; break;
        case O_BACKUP: backup = optarg; break;
        case O_NOBACKUP: nobackup = 1; break;
        case O_DRY: fixflags |= DEFUSE_FIX_DRY_RUN; break;
        case O_RESTORE: restore = optarg; break;
        case O_FAILON:
            free(a->failon.ids);
            if (fail_rule_parse(&a->failon, optarg))
                goto usage;
            break;
        case O_SEVERITY:
            if (!(min_rank = severity_rank(optarg))) {
                fprintf(stderr, "defuse scan: --severity '%s': want low, medium, high or "
                                "critical\n", optarg);
                goto usage;
            }
            break;
        case O_IGNORE:
        case O_VEX:
            if ((c == O_IGNORE ? nignore : nvex) == 64) {
                fputs("defuse scan: at most 64 --ignore and 64 --vex files\n", stderr);
                goto usage;
            }
            if (c == O_IGNORE)
                ignore_files[nignore++] = optarg;
            else
                vex_files[nvex++] = optarg;
            break;
        case O_EXCLUDE:
        case O_SKIPDIRS: {
            /* --skip-dirs DIR[,DIR...]: directories only ("DIR/") */
            const char *p = optarg;
            do {
                size_t l = c == O_SKIPDIRS ? strcspn(p, ",") : strlen(p);
                while (c == O_SKIPDIRS && l > 1 && p[l - 1] == '/')
                    l--;
                if (l == 0 || l > PATH_MAX || a->nexcl == MAX_EXCLUDE) {
                    fprintf(stderr, "defuse scan: bad or too many --exclude/--skip-dirs "
                                    "patterns (at most %d)\n", MAX_EXCLUDE);
                    goto usage;
                }
                char *e = malloc(l + 2);
                if (!e)
                    goto usage;
                memcpy(e, p, l);
                if (c == O_SKIPDIRS)
                    e[l++] = '/';
                e[l] = 0;
                a->excl[a->nexcl++] = e;
                p += c == O_SKIPDIRS ? strcspn(p, ",") : strlen(p);
            } while (*p && *++p);
            break;
        }
        case O_FORCE: force = 1; break;
        case O_REGISTER: reg_db = optarg; break; /* cli/register_spawn.c */
        case O_ASSET: reg_asset = optarg; break;
        case O_ENV: reg_env = optarg; break;
        case '?':
        case ':': return cli_opt_error("scan", c, argv);
        default:
        usage:
            fputs("Run 'defuse scan --help' for the options.\n", stderr);
            return EXIT_ERROR;
        }
    }
    {
        static const char *const fmts[] = {"--json", "--sarif", "--cyclonedx", "--ecs"};
        if (cli_one_format("scan", fmts, given, 4) < 0)
            return EXIT_ERROR;
    }
    if (restore) {
        char err[1024];
        /* every record is tried; each failure is named as it happens */
        int rc = defuse_inventory_restore(restore, force ? DEFUSE_RESTORE_FORCE : 0, on_removed,
                                          on_restore_problem, verb_restored, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "defuse scan: restore from %s incomplete (see above)\n", restore);
            return EXIT_ERROR;
        }
        fprintf(stderr, "defuse scan: %d file(s) restored from %s\n", rc, restore);
        return EXIT_CLEAN;
    }
    if (force && !restore) {
        fputs("defuse scan: --force needs --restore\n", stderr);
        return EXIT_ERROR;
    }
    if (optind >= argc) {
        fputs("defuse scan: no PATH given. Try 'defuse scan --help'.\n", stderr);
        return EXIT_ERROR;
    }
    if ((fixflags & (DEFUSE_FIX_LOG4J1 | DEFUSE_FIX_DRY_RUN)) && !fix) {
        fputs("defuse scan: --fix-log4j1 and --dry-run need --fix\n", stderr);
        return EXIT_ERROR;
    }
    if (fix && !backup && !nobackup && !(fixflags & DEFUSE_FIX_DRY_RUN)) {
        fputs("defuse scan: --fix needs --backup-dir DIR (or --no-backup)\n", stderr);
        return EXIT_ERROR;
    }
    if (fix && backup) {
        /* a backup directory inside the scanned tree (--backup-dir
         * /var/backups/defuse /) is left out of both walks: the originals
         * kept there are neither reported nor fixed */
        if (!(fixflags & DEFUSE_FIX_DRY_RUN) && mkdir(backup, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "defuse scan: cannot create %s: %s\n", backup, strerror(errno));
            return EXIT_ERROR;
        }
        wo.skip_dir = backup;
    }
    for (size_t i = 0; i < nvex; i++)
        if (policy_load_vex(&a->pol, vex_files[i]))
            return EXIT_ERROR;
    meta_buf mb;
    scan_meta meta;
    defuse_vulndb *db = NULL;
    char dbused[PATH_MAX + 64];
    if (load_db(vdbpath, &db, dbused))
        return EXIT_ERROR;
    scan_meta_fill(&mb, &meta, dbused);
    for (size_t i = 0; i < nignore; i++)
        if (policy_load_ignore(&a->pol, ignore_files[i], mb.today)) {
            defuse_vulndb_free(db);
            return EXIT_ERROR;
        }
    FILE *out = stdout;
    if (reg_db || reg_asset || reg_env) { /* JSON Lines into the register */
        if (!reg_db || !reg_asset || (fmt != F_TABLE && fmt != F_JSON)) {
            fputs("defuse scan: --register DB needs --asset NAME, and no --sarif/--cyclonedx\n",
                  stderr);
            defuse_vulndb_free(db);
            return EXIT_ERROR;
        }
        fmt = F_JSON;
        outpath = NULL;
        quiet = 0; /* the JSON Lines go to the register, never to stdout */
        if (!(out = tmpfile())) {
            fprintf(stderr, "defuse scan: --register: %s\n", strerror(errno));
            defuse_vulndb_free(db);
            return EXIT_ERROR;
        }
    }
    if (outpath && !(out = fopen(outpath, "w"))) {
        fprintf(stderr, "defuse scan: cannot write %s: %s\n", outpath, strerror(errno));
        defuse_vulndb_free(db);
        return EXIT_ERROR;
    }
    /* the table shows no hash; --no-hashes: no format gets one (hash_outer()
     * below), so a jar is read only where the inventory needs it */
    lim.no_hashes = fmt == F_TABLE || nohash;
    wo.limits = &lim;
    wo.exclude = (const char *const *)a->excl;
    wo.nexclude = a->nexcl;
    /* --progress forces it (plain lines when stderr is not a terminal) */
    if (prog > 0 || (prog < 0 && isatty(2))) {
        wo.progress = progress;
        progress_tty = isatty(2);
    }
    collect col;
    memset(&col, 0, sizeof col);
    defuse_walk_stats st;
    const char *const *paths = (const char *const *)(argv + optind);
    size_t npaths = (size_t)(argc - optind);
    int rc = defuse_inventory_walk(db, paths, npaths, &wo, on_record, &col, &st);
    if (wo.progress && progress_tty)
        fputs("\r\033[K", stderr);
    int fixfail = 0;
    if (rc == 0 && fix) {
        fixfail = do_fix(&col, fixflags, &lim, nobackup ? NULL : backup,
                         fmt == F_JSON ? out : NULL);
        if (!(fixflags & DEFUSE_FIX_DRY_RUN)) {
            /* report the state after the fix */
            collect_free(&col);
            rc = defuse_inventory_walk(db, paths, npaths, &wo, on_record, &col, &st);
            if (wo.progress && progress_tty)
                fputs("\r\033[K", stderr);
        }
    }
    if (rc < 0 || col.oom) {
        fprintf(stderr, "defuse scan: %s\n", col.oom ? "out of memory" : defuse_strerror(rc));
        goto out;
    }
    if (col.n)
        qsort(col.v, col.n, sizeof *col.v, rec_cmp);
    policy_apply(a->pol, &col, min_rank);
    if (!lim.no_hashes)
        hash_outer(&col);
    /* -q: nothing on stdout in any format; the errors still on stderr */
    switch (quiet ? -1 : fmt) {
    case -1: out_table(NULL, &col, 0); break;
    case F_TABLE:
        out_table(out, &col, (vulnonly ? TABLE_VULNERABLE_ONLY : 0) |
                                 (cli_color_auto(colour, out != stdout) ? TABLE_COLOUR : 0));
        break;
    case F_ECS: out_ecs(out, &col, &meta); break;
    case F_SARIF: out_sarif(out, &col, &meta); break;
    case F_CDX: out_cyclonedx(out, &col, &meta); break;
    default:
        /* sbom records last: a reader that knows the file by its first
         * record (defuse register ingest) sees a component, error or warning */
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < col.n; i++) {
                if ((col.v[i].sbom != NULL) != pass)
                    continue;
                json_t *j = rec_json(&col.v[i]);
                put_json(out, j, JSON_COMPACT);
                fputc('\n', out);
                json_decref(j);
            }
        break;
    }
    /* both facts stay visible: 1 vulnerable, 2 errors, 3 vulnerable and
     * errors (warnings never change the status).  "Vulnerable" is a
     * finding that --fail-on selects (default: any) and that no --ignore
     * rule or VEX statement suppresses; --severity drops findings first. */
    uint64_t failing = 0, suppressed = 0;
    for (size_t i = 0; i < col.n; i++) {
        int f = 0;
        for (size_t k = 0; !col.v[i].err && k < col.v[i].nvulns; k++) {
            f |= fail_rule_match(&a->failon, &col.v[i], k);
            suppressed += col.v[i].suppressed[k] != NULL;
        }
        failing += f;
    }
    /* SBOMs list software but hold none: each is named (stderr, reports);
     * one named as PATH, or a scan that met nothing but SBOMs, was not
     * examined as asked, so the status is never "clean" (the error bit) */
    int sbom_unscanned = st.sboms && st.sboms >= st.files;
    for (size_t i = 0; i < col.n; i++) {
        const rec *r = &col.v[i];
        if (r->err || !r->sbom)
            continue;
        char msg[512];
        rec_sbom_message(r, msg, sizeof msg);
        fputs("defuse scan: note: ", stderr);
        put_safe(stderr, r->path);
        fprintf(stderr, ": %s\n", msg);
        for (size_t j = 0; j < npaths && r->raw_path; j++) {
            size_t l = strlen(paths[j]);
            while (l > 1 && paths[j][l - 1] == '/')
                l--;
            if (strlen(r->raw_path) == l && !strncmp(r->raw_path, paths[j], l))
                sbom_unscanned = 1;
        }
    }
    int errbit = st.errors || fixfail || sbom_unscanned;
    status = failing ? (errbit ? EXIT_FOUND_ERRORS : EXIT_FOUND) : errbit ? EXIT_ERROR : EXIT_CLEAN;
    if (fmt == F_JSON && !quiet) {
        json_t *s =
            json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:i}", "type", "summary", "files",
                      (json_int_t)st.files, "bytes", (json_int_t)st.bytes, "archives",
                      (json_int_t)st.archives, "components", (json_int_t)st.components,
                      "vulnerable", (json_int_t)st.vulnerable, "errors", (json_int_t)st.errors,
                      "warnings", (json_int_t)st.warnings, "seconds", st.seconds, "exit", status);
        json_object_set_new(s, "failing", json_integer((json_int_t)failing));
        json_object_set_new(s, "suppressed", json_integer((json_int_t)suppressed));
        json_object_set_new(s, "sboms", json_integer((json_int_t)st.sboms));
        json_object_set_new(s, "host", json_string(meta.host));
        json_object_set_new(s, "scan_time", json_string(meta.time));
        json_object_set_new(s, "defuse_version", json_string(defuse_version()));
        json_object_set_new(s, "vulndb_version", json_string(meta.vulndb_version));
        json_object_set_new(s, "vulndb_date", json_string(meta.vulndb_date));
        json_object_set_new(s, "vulndb_path", json_string(meta.vulndb_path));
        put_json(out, s, JSON_COMPACT);
        fputc('\n', out);
        json_decref(s);
        reg_complete = 1;
    }
    if ((fmt == F_TABLE || !outpath) && !quiet)
        fprintf(stderr,
                "defuse scan: %llu files (%.1f MB), %llu archives in %.2f s: %llu components, "
                "%llu vulnerable, %llu errors, %llu warnings\n",
                (unsigned long long)st.files, (double)st.bytes / 1e6,
                (unsigned long long)st.archives, st.seconds, (unsigned long long)st.components,
                (unsigned long long)st.vulnerable, (unsigned long long)st.errors,
                (unsigned long long)st.warnings);
    if (st.sboms && (fmt == F_TABLE || !outpath) && !quiet)
        fprintf(stderr, "defuse scan: %llu SBOM%s not scanned (see above): `defuse register ingest` "
                        "reads SBOMs\n",
                (unsigned long long)st.sboms, st.sboms == 1 ? "" : "s");
out:
    collect_free(&col);
    if (reg_db && reg_complete && scan_register_ingest(out, reg_db, reg_asset, reg_env))
        status = EXIT_ERROR;
    if (out != stdout && fclose(out) != 0)
        status = EXIT_ERROR;
    else if (out == stdout)
        fflush(stdout);
    defuse_vulndb_free(db);
    return status;
}
