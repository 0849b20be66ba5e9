/*
 * report.c -- `defuse report`: reads any mix of inputs line by line into
 * the aggregates of report/ and writes one self-contained HTML page.
 * A thin front end: options, files, errors; report/ does the rest.
 */
#include "cli.h"
#include "report.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

const char cli_help_report[] =
    "usage: defuse report [-o FILE] [--db TARGET] [--internal CIDR,...] [--title TEXT] INPUT...\n"
    "\n"
    "Writes one self-contained HTML page about an incident: the spike of\n"
    "attempts over time beside the log volume, who sent them (internal sources\n"
    "highlighted), what they wanted (callback hosts and ports, exfiltration\n"
    "keys, decoded commands, obfuscation techniques), what the edge did (nginx\n"
    "blocked / detected / passed, honeypot events by listener and protocol),\n"
    "the exposure register's state, and a short \"what to do next\" list.\n"
    "Sections appear only when their data does. The page loads nothing from\n"
    "anywhere (inline CSS and SVG, no script, a Content-Security-Policy that\n"
    "forbids the rest); every value is HTML-escaped and attacker-chosen ones\n"
    "are defanged.\n"
    "\n"
    "INPUT is a file (gzip-compressed or not), a directory (every regular file\n"
    "under it) or - for standard input. The kind of each line is recognised by\n"
    "its content: `defuse logs --json` findings (and its --summary line), nginx\n"
    "defuse_log lines, defuse-honeypot events; any other line is a log line,\n"
    "scanned here as `defuse logs` would.\n"
    "Memory stays bounded whatever the input (aggregates, not rows) and the page\n"
    "stays under 2 MB.\n"
    "\n"
    "options:\n"
    "    -o, --output=FILE   The page (default report.html; - for standard output).\n"
    "    --db=TARGET         Also report the exposure register at TARGET (a SQLite\n"
    "                        file or a postgresql:// URL): open exposures by\n"
    "                        environment and CVE, SLA status and burndown, vendors.\n"
    "    --internal=CIDR,... Addresses that count as internal besides RFC 1918 and\n"
    "                        RFC 4193 (e.g. 100.64.0.0/10,2001:db8:1::/48); may be\n"
    "                        repeated.\n"
    "    --title=TEXT        The page's title (default \"defuse report\").\n"
    "    --now=TIME          The time the page is generated at and SLA clocks are\n"
    "                        read at (YYYY-MM-DDTHH:MM:SSZ; default: now).\n"
    "    -h, --help          This text.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 the page was written, 2 an error (named on stderr with the file).\n"
    "\n"
    "EXAMPLES\n"
    "    defuse logs --json --summary /var/log/app/ > findings.jsonl\n"
    "    defuse report -o incident.html findings.jsonl /var/log/nginx/defuse.jsonl \\\n"
    "        /var/log/defuse/events.jsonl --db register.db --internal 100.64.0.0/10\n";

/* Reads one input line by line into r.  Returns 0, -1 (message printed). */
static int read_input(rep *r, const char *path, char *buf, size_t bufsz) {
    int fd = strcmp(path, "-") ? -1 : dup(STDIN_FILENO);
    if (fd < 0 && strcmp(path, "-") == 0) {
        fprintf(stderr, "defuse report: standard input: %s\n", strerror(errno));
        return -1;
    }
    gzFile z = fd >= 0 ? gzdopen(fd, "rb") : gzopen(path, "rb");
    if (!z) {
        fprintf(stderr, "defuse report: %s: %s\n", path, errno ? strerror(errno) : "cannot open");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    gzbuffer(z, 1 << 18);
    /* lines are split here (not gzgets) so that a line longer than the
     * buffer is cut, counted once and the rest skipped */
    size_t have = 0;
    uint64_t lineno = 0;
    int skipping = 0, rc = 0;
    for (;;) {
        int n = gzread(z, buf + have, (unsigned)(bufsz - have));
        if (n < 0) {
            int e;
            const char *m = gzerror(z, &e);
            fprintf(stderr, "defuse report: %s: after line %llu: %s\n", path,
                    (unsigned long long)lineno, e == Z_ERRNO ? strerror(errno) : m);
            rc = -1;
            break;
        }
        have += (size_t)n;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(buf + start, '\n', have - start);
            if (!nl)
                break;
            size_t l = (size_t)(nl - (buf + start));
            if (!skipping) {
                lineno++;
                if (rep_add_line(r, buf + start, l)) {
                    fprintf(stderr, "defuse report: %s:%llu: %s\n", path,
                            (unsigned long long)lineno, r->err);
                    gzclose(z);
                    return -1;
                }
            }
            skipping = 0;
            start += l + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (n == 0) {
            if (have && !skipping) {
                lineno++;
                if (rep_add_line(r, buf, have)) {
                    fprintf(stderr, "defuse report: %s:%llu: %s\n", path,
                            (unsigned long long)lineno, r->err);
                    rc = -1;
                }
            }
            break;
        }
        if (have == bufsz) { /* a line longer than the buffer: its start only */
            if (!skipping) {
                lineno++;
                if (rep_add_line(r, buf, have)) {
                    fprintf(stderr, "defuse report: %s:%llu: %s\n", path,
                            (unsigned long long)lineno, r->err);
                    rc = -1;
                    break;
                }
            }
            skipping = 1;
            have = 0;
        }
    }
    gzclose(z);
    return rc;
}

/* nftw() has no user pointer: the walk's state. */
static struct {
    rep *r;
    char *buf;
    size_t bufsz;
    int rc;
} walk;

static int walk_one(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)ftw;
    if (type == FTW_DNR || type == FTW_NS) {
        fprintf(stderr, "defuse report: %s: cannot read\n", path);
        walk.rc = -1;
    } else if (type == FTW_F && S_ISREG(sb->st_mode) && read_input(walk.r, path, walk.buf, walk.bufsz)) {
        walk.rc = -1;
    }
    return 0;
}

/* A file, "-", or a directory: every regular file under it (symbolic links
 * not followed). */
static int read_path(rep *r, const char *path, char *buf, size_t bufsz) {
    struct stat sb;
    if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        walk.r = r;
        walk.buf = buf;
        walk.bufsz = bufsz;
        walk.rc = 0;
        if (nftw(path, walk_one, 16, FTW_PHYS) != 0) {
            fprintf(stderr, "defuse report: %s: %s\n", path, strerror(errno));
            return -1;
        }
        return walk.rc;
    }
    return read_input(r, path, buf, bufsz);
}

int cmd_report(int argc, char **argv) {
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {"db", required_argument, NULL, 'd'},
        {"internal", required_argument, NULL, 'i'}, {"title", required_argument, NULL, 't'},
        {"now", required_argument, NULL, 'n'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static rep_opts o; /* large (the CIDR table): not on the stack */
    memset(&o, 0, sizeof o);
    o.now = (int64_t)time(NULL);
    const char *out = "report.html", *db = NULL;
    char err[256];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'd': db = optarg; break;
        case 't': o.title = optarg; break;
        case 'i':
            if (rep_parse_cidrs(&o, optarg, err, sizeof err)) {
                fprintf(stderr, "defuse report: %s\n", err);
                return EXIT_ERROR;
            }
            break;
        case 'n': {
            int64_t ms;
            if (rep_parse_time(optarg, strlen(optarg), &ms)) {
                fprintf(stderr, "defuse report: --now: not a time: '%s' (YYYY-MM-DDTHH:MM:SSZ)\n",
                        optarg);
                return EXIT_ERROR;
            }
            o.now = ms / 1000;
            break;
        }
        case 'h': fputs(cli_help_report, stdout); return EXIT_CLEAN;
        default:
            fprintf(stderr, "See 'defuse report --help'.\n");
            return EXIT_ERROR;
        }
    }
    if (optind >= argc && !db) {
        fprintf(stderr, "defuse report: no input (give files, - for standard input, or --db)\n"
                        "See 'defuse report --help'.\n");
        return EXIT_ERROR;
    }
    static rep r;
    if (rep_init(&r, &o)) {
        fprintf(stderr, "defuse report: out of memory\n");
        return EXIT_ERROR;
    }
    size_t bufsz = REP_LINE_MAX;
    char *buf = malloc(bufsz);
    int rc = buf ? EXIT_CLEAN : EXIT_ERROR;
    for (int i = optind; i < argc && buf; i++)
        if (read_path(&r, argv[i], buf, bufsz))
            rc = EXIT_ERROR;
    free(buf);
    if (db && rep_add_register(&r, db)) {
        fprintf(stderr, "defuse report: --db %s\n", r.err);
        rc = EXIT_ERROR;
    }
    if (rc == EXIT_CLEAN) {
        FILE *f = strcmp(out, "-") ? fopen(out, "w") : stdout;
        if (!f) {
            fprintf(stderr, "defuse report: %s: %s\n", out, strerror(errno));
            rc = EXIT_ERROR;
        } else {
            int w = rep_write_html(&r, f);
            if ((f != stdout ? fclose(f) : fflush(f)) || w) {
                fprintf(stderr, "defuse report: %s: cannot write: %s\n", out, strerror(errno));
                rc = EXIT_ERROR;
            } else if (f != stdout) {
                fprintf(stderr, "defuse report: wrote %s\n", out);
            }
        }
    }
    rep_free(&r);
    return rc;
}
