/*
 * logs.c -- `defuse logs`: find Log4Shell-class attempts in logs.
 *
 * The paths are expanded into a list of jobs in output order: one job per
 * file, except that a large plain file is split into chunks at line
 * boundaries.  A pool of worker threads (one defuse_scanner each, inside
 * its lscan) runs the jobs; the main thread prints each job's records in
 * order as soon as it and all before it are done, fixing up the line
 * numbers of later chunks.  Workers never run more than a few jobs ahead,
 * so memory stays bounded.  --follow hands over to log_follow.c.
 *
 * Exit status as grep: 0 nothing found, 1 findings, 2 an error occurred
 * (even if there were findings: errors win, as with grep).
 */
#include "cli.h"
#include "logs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t logs_stop;

/* The help, in parts: one C string may hold at most 4,095 bytes (C99
 * 5.2.4.1; -Werror=overlength-strings). */
static const char *const help_logs[] = {
    "NAME\n"
    "    defuse logs - find Log4Shell-class ${...} injection attempts in logs\n"
    "\n"
    "SYNOPSIS\n"
    "    defuse logs [OPTIONS] [PATH...]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads each PATH (a file; a directory, walked recursively in sorted\n"
    "    order; '-' or no PATH for standard input) and reports every line that\n"
    "    log4j 2.x would have turned into a JNDI lookup or another dangerous\n"
    "    lookup, after undoing transport encodings. The detector emulates\n"
    "    log4j's own substitution, so obfuscated payloads are found and the\n"
    "    callback it would fetch is shown; ordinary ${...} templates are not.\n"
    "\n"
    "    gzip, bzip2, xz, lzma, zstd, lz4, lzip and compress streams are found by\n"
    "    content, not by name. Text may be UTF-8, Latin-1 (any line that is\n"
    "    not valid UTF-8) or UTF-16LE/BE: every file is read as bytes, and a\n"
    "    file with a UTF-16 byte-order mark or NUL bytes is also read as\n"
    "    UTF-16 line by line (a file mixing both is named on stderr). A line\n"
    "    that leaves a ${ open is scanned joined with the next lines (at most\n"
    "    8 lines, 64 KiB), and its finding names the line where it starts.\n"
    "    A line longer than --max-line is examined in its first part, with a\n"
    "    warning. No file is skipped silently: an unreadable one is an error\n"
    "    naming it and the reason; a binary one is scanned line by line.\n"
    "    Symbolic links met while walking a directory are not followed unless\n"
    "    --follow-symlinks is given (each is named on stderr).\n"
    "\n",
    "OUTPUT\n"
    "    One line per finding, all attacker text defanged (${ as $\\{, :// as\n"
    "    [:]//, dots of host names as [.], control bytes as \\xHH):\n"
    "        FILE:LINE: KIND CALLBACK [TECHNIQUES] src=IP exfil=KEYS cmd=\"COMMAND\"\n"
    "    KIND is jndi, text4shell, recursion, lookup or inert. Colour is used\n"
    "    only when stdout is a terminal and NO_COLOR is unset.\n"
    "\n"
    "OPTIONS\n"
    "    --json          JSON Lines: one object per finding with file, line,\n"
    "                    src_ip and time (when the line's format gives them:\n"
    "                    access logs, nginx error logs, JSON logs, syslog,\n"
    "                    log4j layouts), then kind, payload, decoded, layers,\n"
    "                    techniques, callback, scheme, host, port, path, exfil,\n"
    "                    command. Every '$' is written as \\u0024.\n"
    "    --ecs           Elastic Common Schema 8.11 documents, one a line\n"
    "                    (docs/output-schemas.md); not with --json, -l, -c,\n"
    "                    -A/-B/-C or --summary.\n"
    "    -o, --output=FILE  Write to FILE instead of stdout.\n"
    "    --summary       After the findings: totals per kind, attempts per hour\n"
    "                    (histogram), top source addresses, top callback hosts,\n"
    "                    exfiltration keys and decoded commands. With --json,\n"
    "                    one summary object as the last line.\n"
    "    -F, --follow    Keep reading the files as they grow, across rotation\n"
    "                    and truncation (like tail -F), until SIGINT/SIGTERM.\n"
    "                    Starts at the end of each file unless --from-start.\n"
    "                    A directory: its files and those created later (from\n"
    "                    their start); rotated copies (x.1, x.gz) skipped.\n"
    "    --from-start    With --follow, scan the existing content first.\n"
    "    --line          Show the matching line under each finding (defanged,\n"
    "                    its first 512 bytes; with --json, in \"text\").\n"
    "    -l, --files-with-matches  Print only the names of files with findings.\n"
    "    -c, --count     Print FILE:N, the findings per file (files with none\n"
    "                    are not listed).\n"
    "    -A, -B, -C N    Also print N lines after, before, or around each\n"
    "                    finding (read again from the file; not for stdin).\n"
    "    --heading       Print each file's name once, above its findings.\n"
    "    --since=TIME, --until=TIME  Report only lines written from TIME on\n"
    "                    (before TIME), by the line's own timestamp: a date\n"
    "                    (2021-12-10, UTC), a time (2021-12-10T13:00:00Z) or\n"
    "                    an age (90m, 24h, 7d). Lines without one are kept.\n"
    "    --kind=LIST     Report only these kinds (comma-separated: jndi,\n"
    "                    text4shell, recursion, lookup, inert). Default: all.\n"
    "    --fail-on=LIST  Kinds whose findings make the exit status 1 (same\n"
    "                    names, or any, or none). Default: jndi,text4shell,\n"
    "                    recursion, what log4j acts on with a request and the\n"
    "                    nginx module blocks: lookup and inert findings are\n"
    "                    printed but, alone, exit 0.\n"
    "    --no-decode     Do not undo transport encodings (%24, \\u0024, ...).\n"
    "    -q, --quiet     Print nothing on stdout; only the exit status tells.\n"
    "    -j, --jobs=N    Worker threads, 1..256 (default: the number of CPUs;\n"
    "                    --threads is accepted too).\n"
    "    --max-line=BYTES  Bytes of one line examined (default 16 MiB).\n"
    "    --progress      Files, bytes and MB/s on stderr, 10 redraws/s at most\n"
    "                    (default: a large input and stderr a terminal).\n"
    "    --no-progress   Never show progress.\n"
    "    --follow-symlinks  Follow symbolic links inside directories.\n"
    "    --color=WHEN    auto (default), always or never.\n"
    "\n",
    "PIPELINE OUTPUTS\n"
    "    --syslog=udp://HOST:PORT, --syslog=tcp://HOST:PORT\n"
    "                    Also send each finding to a syslog collector as an\n"
    "                    RFC 5424 message (facility local0, severity warning\n"
    "                    for jndi, text4shell and recursion, notice otherwise;\n"
    "                    APP-NAME defuse-logs, MSGID finding) whose MSG is the\n"
    "                    finding as JSON (the --json object). TCP frames use\n"
    "                    RFC 6587 octet counting. One of each at most.\n"
    "    --webhook=URL   Also POST each finding as JSON to an http(s) URL\n"
    "                    (3 retries with backoff, 5 s timeout, no redirects).\n"
    "                    Each destination has its own queue and sender thread\n"
    "                    (the honeypot's sinks). What could not be delivered\n"
    "                    is counted on stderr per destination and makes the\n"
    "                    exit status 2.\n"
    "    --omprog        Run as rsyslog's omprog filter with\n"
    "                    confirmMessages=\"on\": print OK when ready, then read\n"
    "                    standard input one message (line) at a time and print\n"
    "                    OK for each once its findings have reached every\n"
    "                    --syslog/--webhook destination (an error line instead\n"
    "                    makes rsyslog keep the message and send it again).\n"
    "                    Needs --syslog or --webhook; no PATH. Each message is\n"
    "                    scanned on its own (no joining across messages).\n"
    "                    Example configuration: examples/rsyslog-defuse.conf\n"
    "                    in the documentation (/usr/share/doc/defuse); see\n"
    "                    docs/logs.md, \"Live pipeline\".\n"
    "\n",
    "EXIT STATUS\n"
    "    0 no finding of a --fail-on kind, 1 at least one, 2 an error occurred\n"
    "    (named on stderr with the file and reason; the other files are still\n"
    "    scanned). As with grep, 2 wins over 1 when both happened.\n"
    "\n"
    "EXAMPLES\n"
    "    defuse logs /var/log/nginx/\n"
    "    defuse logs --summary access.log access.log.1.gz\n"
    "    defuse logs --json --kind=jndi app.log | jq .callback\n"
    "    defuse logs -F /var/log/nginx/access.log\n"
    "    defuse logs -q --syslog=tcp://siem.example:6514 --webhook=https://hooks.example/x app.log\n",
};

static void print_help(void) {
    for (size_t i = 0; i < sizeof help_logs / sizeof *help_logs; i++)
        fputs(help_logs[i], stdout);
}

/* ---- options ------------------------------------------------------------- */

/* --since/--until TIME into UTC ms: "7d", "24h", "30m", "90s" before now; a
 * date "YYYY-MM-DD" (midnight UTC); or a timestamp defuse_log_time() reads
 * (ISO 8601 with or without zone, UTC assumed without). */
static int parse_when(const char *s, int64_t *ms) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    static const struct {
        char unit;
        int64_t ms;
    } units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
    for (size_t k = 0; k < sizeof units / sizeof *units; k++) {
        if (end != s && end[0] == units[k].unit && !end[1] && !errno && v >= 0 &&
            v <= 100LL * 365 * 86400) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            *ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - v * units[k].ms;
            return 0;
        }
    }
    char buf[64];
    size_t n = strlen(s);
    if (n == 10 && s[4] == '-' && s[7] == '-') {
        snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
        s = buf, n = strlen(buf);
    }
    int tz;
    if (n < 16 || n > 40 || defuse_log_time(s, n, ms, &tz, NULL) != 0)
        return -1;
    return 0;
}

/* The kinds that fail a run by default: those log4j acts on with a request,
 * the ones the nginx module blocks.  A `lookup` (recon, victim values with
 * no request) or an `inert` payload is printed but, alone, exits 0, so a
 * cron job alerts without noise. */
#define LOGS_FAIL_DEFAULT                                                                 \
    ((1u << DEFUSE_KIND_JNDI) | (1u << DEFUSE_KIND_TEXT4SHELL) | (1u << DEFUSE_KIND_RECURSION))

/* The version of the JSON objects of --json (docs/output-schemas.md): 1
 * added schema, hostname, defuse_version, time_zone_assumed, and src_ip and
 * time as null rather than absent. */
#define LOGS_JSON_SCHEMA 1

typedef struct logs_opts {
    lscan_opts scan;
    int summary;
    int follow, from_start;
    int jobs;
    int progress; /* -1 auto */
    unsigned fail_mask; /* kinds whose findings make the exit status 1 */
    int files_only;     /* -l: the names of files with findings */
    int count_only;     /* -c: findings per file */
    int heading;        /* --heading: the file name once, above its findings */
    int have_since, have_until; /* --since/--until: the line's time range */
    unsigned before, after;     /* -B/-A/-C: context lines around a finding */
    int context;                /* one of them given */
    int64_t since_ms, until_ms;
    int follow_symlinks;
    int colour;
    lpipe_opts pipe;            /* --syslog/--webhook destinations */
    int omprog;                 /* --omprog: rsyslog's confirmed filter */
} logs_opts;

static const struct kind_name {
    const char *name;
    defuse_kind kind;
} kind_names[] = {
    {"jndi", DEFUSE_KIND_JNDI},           {"text4shell", DEFUSE_KIND_TEXT4SHELL},
    {"recursion", DEFUSE_KIND_RECURSION}, {"lookup", DEFUSE_KIND_LOOKUP},
    {"inert", DEFUSE_KIND_INERT},
};

/* LIST of kind names into *mask; "any" and "none" when allow_all.  opt
 * names the option in errors. */
static int parse_kinds(const char *s, unsigned *mask, const char *opt, int allow_all) {
    *mask = 0;
    if (allow_all && strcmp(s, "any") == 0) {
        *mask = (1u << DEFUSE_KIND_COUNT) - 1;
        return 0;
    }
    if (allow_all && strcmp(s, "none") == 0)
        return 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        size_t i;
        for (i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
            if (strlen(kind_names[i].name) == n && strncmp(s, kind_names[i].name, n) == 0)
                break;
        if (i == sizeof kind_names / sizeof kind_names[0]) {
            fprintf(stderr, "defuse logs: %s: unknown kind '%.*s' (jndi, text4shell, recursion, "
                            "lookup, inert%s)\n", opt, (int)n, s, allow_all ? ", any, none" : "");
            return -1;
        }
        *mask |= 1u << kind_names[i].kind;
        s += n;
        if (*s == ',')
            s++;
    }
    return *mask ? 0 : -1;
}

/* Parses a byte count with an optional K/M/G suffix. */
static int parse_size(const char *s, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1024ULL * 1024 * 1024, end++;
    if (*end || v == 0 || v > SIZE_MAX / mul)
        return -1;
    *out = (size_t)(v * mul);
    return 0;
}

/* ---- text helpers for output ------------------------------------------ */

/* Writes a file name for people: control bytes as \xHH, "${" as "$\{". */
static void put_name(FILE *out, const char *s) {
    size_t n = 0;
    while (s[n] && (unsigned char)s[n] >= 0x20 && s[n] != 0x7F && s[n] != '$')
        n++;
    if (!s[n]) { /* the usual case: nothing to escape */
        fwrite(s, 1, n, out);
        return;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7F)
            fprintf(out, "\\x%02X", c);
        else if (c == '$' && s[1] == '{')
            fputs("$\\", out);
        else
            fputc(c, out);
    }
}

/* The JSON string of a file name, '$' as \u0024 (malloc'd) or NULL. */
static char *json_name(const char *s) {
    json_t *j = json_string(s);
    if (!j) { /* not UTF-8: show the bytes as Latin-1 */
        size_t n = strlen(s);
        char *u = malloc(n * 2 + 1), *o = u;
        if (!u)
            return NULL;
        for (; *s; s++) {
            unsigned char c = (unsigned char)*s;
            if (c < 0x80) {
                *o++ = (char)c;
            } else {
                *o++ = (char)(0xC0 | (c >> 6));
                *o++ = (char)(0x80 | (c & 0x3F));
            }
        }
        *o = '\0';
        j = json_string(u);
        free(u);
        if (!j)
            return NULL;
    }
    char *d = json_dumps(j, JSON_ENCODE_ANY);
    json_decref(j);
    if (!d)
        return NULL;
    size_t n = 0, k = 0;
    for (; d[n]; n++)
        k += d[n] == '$';
    char *r = malloc(n + 5 * k + 1), *o = r;
    if (r) {
        for (size_t i = 0; i < n; i++) {
            if (d[i] == '$') {
                memcpy(o, "\\u0024", 6);
                o += 6;
            } else {
                *o++ = d[i];
            }
        }
        *o = '\0';
    }
    free(d);
    return r;
}

static const char *const kind_colour[DEFUSE_KIND_COUNT] = {
    "\033[1;31m", "\033[1;31m", "\033[35m", "\033[33m", "\033[2m"};

/* ---- output (main thread only) --------------------------------------------- */

/* The progress line (on stderr).  On a terminal it is redrawn in place at
 * most PROGRESS_TTY_MS apart and erased before a record is printed (a
 * finding on the same terminal would be glued to it); elsewhere (forced by
 * --progress) it is a plain line every PROGRESS_PLAIN_MS.  mu serialises
 * drawing with record output (the main thread draws while a worker
 * prints). */
#define PROGRESS_TTY_MS 100
#define PROGRESS_PLAIN_MS 1000

typedef struct progress {
    int on, tty, shown;
    struct timespec t0, last;
    pthread_mutex_t mu;
} progress;

typedef struct outstate {
    const logs_opts *o;
    progress *pr; /* NULL: no progress line */
    lsum *sum;
    uint64_t findings;
    uint64_t failing; /* findings of a --fail-on kind */
    int had_error;
    char *last_name;      /* cached JSON name of the last file */
    const char *last_for; /* the display name it belongs to */
    const char *err_for;  /* the file of the last line-less error printed, */
    char *err_text;       /* and its text: the chunks of one file say it once */
    uint64_t unreadable;  /* files with an error record (for --summary) */
    const char *unread_last;
    char *cur_file;       /* the file of the last finding printed (-l, -c, --heading) */
    uint64_t cur_count;   /* its findings (-c) */
    struct ctxr *ctx;     /* -A/-B/-C: the file read again for context lines */
    lpipe *pipe;          /* --syslog/--webhook: the sinks, or NULL */
} outstate;

static void output_record_now(outstate *st, const char *file, uint64_t base, lrec *r);

/* -c: prints the count of the file whose findings just ended. */
static void flush_count(outstate *st) {
    if (!st->o->count_only || !st->cur_file || !st->cur_count)
        return;
    if (st->o->scan.json) {
        char *n = json_name(st->cur_file);
        printf("{\"file\":%s,\"count\":%llu}\n", n ? n : "null",
               (unsigned long long)st->cur_count);
        free(n);
    } else {
        put_name(stdout, st->cur_file);
        printf(":%llu\n", (unsigned long long)st->cur_count);
    }
    st->cur_count = 0;
}

/* A finding of `file`: true when it starts a new file (-l, -c, --heading). */
static int file_changes(outstate *st, const char *file) {
    if (st->cur_file && strcmp(st->cur_file, file) == 0)
        return 0;
    flush_count(st);
    free(st->cur_file);
    st->cur_file = strdup(file);
    return 1;
}

/* --line: the matching line under its finding, defanged, cut at
 * LSCAN_LINE_MAX bytes (the rest counted). */
static void put_line_text(const lrec *r, const char *indent) {
    char buf[LSCAN_LINE_MAX * 4 + 1];
    defuse_defang(r->line_text, r->line_len, buf, sizeof buf);
    printf("%s%s", indent, buf);
    if (r->line_full > r->line_len)
        printf(" ...[%llu more bytes]", (unsigned long long)(r->line_full - r->line_len));
    putchar('\n');
}

/* --line with --json: the line as a JSON string ('$' as \u0024, control
 * bytes escaped, bytes that are not UTF-8 read as Latin-1). */
static void put_json_line(const lrec *r) {
    static const char hx[] = "0123456789abcdef";
    fputs(",\"text\":\"", stdout);
    const unsigned char *p = (const unsigned char *)r->line_text;
    for (size_t i = 0; i < r->line_len; i++) {
        unsigned c = p[i];
        size_t k = 0;
        if (c >= 0xC2 && c <= 0xF4) { /* a whole UTF-8 sequence passes */
            k = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            for (size_t j = 1; j < k; j++)
                if (i + j >= r->line_len || (p[i + j] & 0xC0) != 0x80)
                    k = 0;
        }
        if (k) {
            fwrite(p + i, 1, k, stdout);
            i += k - 1;
        } else if (c == '"' || c == '\\') {
            printf("\\%c", (char)c);
        } else if (c < 0x20 || c == '$' || c >= 0x7F) {
            printf("\\u00%c%c", hx[c >> 4], hx[c & 15]);
        } else {
            putchar((int)c);
        }
    }
    putchar('"');
    if (r->line_full > r->line_len)
        printf(",\"text_length\":%llu,\"text_truncated\":true", (unsigned long long)r->line_full);
}

/* Prints or accounts one record.  file is the display name; base is added
 * to the record's line.  Takes ownership of r. */
static void output_record(outstate *st, const char *file, uint64_t base, lrec *r) {
    progress *pr = st->pr;
    if (!pr) {
        output_record_now(st, file, base, r);
        return;
    }
    pthread_mutex_lock(&pr->mu);
    if (pr->shown && pr->tty) {
        fputs("\r\033[K", stderr);
        pr->shown = 0;
    }
    output_record_now(st, file, base, r);
    pthread_mutex_unlock(&pr->mu);
}

/* ---- context lines (-A/-B/-C) ------------------------------------------------
 * The output stage reads a file with findings a second time, forward only,
 * and prints the lines around each finding: records come in line order per
 * file, so one pass per file suffices, and the scan itself keeps no lines.
 * Standard input cannot be read again: its findings get no context (said
 * once).  Each context line is cut at LSCAN_LINE_MAX bytes like --line. */
typedef struct ctxr {
    char *name;         /* the file being read, NULL before the first */
    lin_source *src;    /* NULL: no context for this file */
    char blk[65536];
    size_t blen, bpos;
    char line[LSCAN_LINE_MAX];
    size_t llen, lfull; /* bytes kept of the last line read; its length */
    uint64_t next;      /* the number of the next line to read */
    uint64_t printed;   /* the last line printed (context or finding) */
    uint64_t after_to;  /* context lines still due after a finding, up to it */
    int groups;         /* groups printed in this file ("--" between) */
} ctxr;

/* Reads the next line into c->line; returns 0 at the end of the file. */
static int ctx_read(ctxr *c) {
    c->llen = c->lfull = 0;
    int got = 0;
    for (;;) {
        if (c->bpos == c->blen) {
            char err[128];
            ssize_t r = lin_read(c->src, c->blk, sizeof c->blk, err, sizeof err);
            if (r <= 0)
                return got;
            c->blen = (size_t)r, c->bpos = 0;
        }
        got = 1;
        const char *b = c->blk + c->bpos, *e = memchr(b, '\n', c->blen - c->bpos);
        size_t n = e ? (size_t)(e - b) : c->blen - c->bpos;
        size_t keep = n < sizeof c->line - c->llen ? n : sizeof c->line - c->llen;
        memcpy(c->line + c->llen, b, keep);
        c->llen += keep, c->lfull += n;
        c->bpos += n + (e ? 1 : 0);
        if (e)
            break;
    }
    c->next++;
    if (c->llen && c->line[c->llen - 1] == '\r')
        c->llen--;
    return 1;
}

static void ctx_print(const outstate *st, const ctxr *c, uint64_t n) {
    lrec r = {0};
    r.line_text = (char *)(uintptr_t)c->line;
    r.line_len = c->llen, r.line_full = c->lfull;
    if (st->o->scan.json) {
        char *nm = json_name(c->name);
        printf("{\"file\":%s,\"line\":%llu,\"type\":\"context\"", nm ? nm : "null",
               (unsigned long long)n);
        free(nm);
        put_json_line(&r);
        puts("}");
        return;
    }
    if (!st->o->heading)
        put_name(stdout, c->name);
    printf(st->o->heading ? "%llu- " : "-%llu- ", (unsigned long long)n);
    put_line_text(&r, "");
}

/* Prints the context lines still due after the last finding, up to line
 * `until` (exclusive; 0: all that are due). */
static void ctx_after(outstate *st, uint64_t until) {
    ctxr *c = st->ctx;
    if (!c || !c->src)
        return;
    uint64_t to = c->after_to;
    if (until && until - 1 < to)
        to = until - 1;
    while (c->printed < to && c->next == c->printed + 1 && ctx_read(c))
        ctx_print(st, c, ++c->printed);
}

/* Before a finding at line L of file: switches files, prints what is due
 * after the previous finding and the -B lines before this one, and reads
 * line L. */
static void ctx_before(outstate *st, const char *file, uint64_t L) {
    ctxr *c = st->ctx;
    if (!c->name || strcmp(c->name, file) != 0) {
        ctx_after(st, 0);
        if (c->src)
            lin_close(c->src);
        free(c->name);
        memset(c, 0, sizeof *c);
        c->name = strdup(file);
        c->next = 1;
        lin_info info;
        char err[256];
        if (!c->name || !strcmp(file, "(standard input)") ||
            lin_open(&c->src, file, 0, -1, &info, err, sizeof err) < 0 || info.u16view) {
            if (c->src)
                lin_close(c->src);
            c->src = NULL;
            fputs("defuse logs: ", stderr);
            put_name(stderr, file);
            fputs(": cannot be read again: no context lines\n", stderr);
        }
    }
    if (!c->src || L < c->next)
        return;
    ctx_after(st, L);
    uint64_t from = L > st->o->before ? L - st->o->before : 1;
    if (from <= c->printed)
        from = c->printed + 1;
    if (c->groups && from > c->printed + 1 && !st->o->scan.json)
        puts("--");
    c->groups++;
    while (c->next < from && ctx_read(c)) /* skip to the first context line */
        ;
    while (c->next < L && ctx_read(c))
        ctx_print(st, c, c->next - 1);
    if (c->next == L)
        ctx_read(c);
    c->printed = L;
    c->after_to = L + st->o->after;
}

static void ctx_end(outstate *st) {
    if (!st->ctx)
        return;
    ctx_after(st, 0);
    if (st->ctx->src)
        lin_close(st->ctx->src);
    free(st->ctx->name);
    free(st->ctx);
    st->ctx = NULL;
}

static void output_record_now(outstate *st, const char *file, uint64_t base, lrec *r) {
    const logs_opts *o = st->o;
    uint64_t line = r->line ? base + r->line : 0;
    if (r->type == LREC_FINDING) {
        /* --since/--until: a line outside the range is not reported; one
         * without a time is (an attack is never hidden by a missing
         * timestamp). */
        if (r->has_time && ((o->have_since && r->time_ms < o->since_ms) ||
                            (o->have_until && r->time_ms >= o->until_ms)))
            goto done;
        st->findings++;
        if (st->pipe && r->json)
            lpipe_send(st->pipe, file, line, r->end_line ? base + r->end_line : 0, r->kind,
                       r->json);
        if ((unsigned)r->kind < DEFUSE_KIND_COUNT && (o->fail_mask >> r->kind & 1u))
            st->failing++;
        if (st->sum)
            lsum_add(st->sum, r);
        if (o->scan.quiet || !r->text)
            goto done;
        if (st->ctx && st->ctx->name && strcmp(st->ctx->name, file) != 0)
            ctx_after(st, 0); /* the last file's lines, before a new heading */
        int fresh = (o->files_only || o->count_only || o->heading) && file_changes(st, file);
        if (o->count_only) {
            st->cur_count++;
            goto done;
        }
        if (o->files_only) {
            if (!fresh)
                goto done;
            if (o->scan.json) {
                char *n = json_name(file);
                printf("{\"file\":%s}\n", n ? n : "null");
                free(n);
            } else {
                put_name(stdout, file);
                putchar('\n');
            }
            goto flushed;
        }
        if (st->ctx && o->scan.json)
            ctx_before(st, file, line);
        if (o->scan.json) {
            if (st->last_for != file) {
                free(st->last_name);
                st->last_name = json_name(file);
                st->last_for = file;
            }
            if (o->scan.ecs) {
                char *e = lecs_render(r->text, st->last_name, line,
                                      r->end_line ? base + r->end_line : 0, r->line_text,
                                      r->line_len);
                if (e)
                    puts(e);
                else
                    st->had_error = 1, fputs("defuse logs: out of memory\n", stderr);
                free(e);
                goto flushed;
            }
            const char *rest = r->text + 1;
            char end[40] = "";
            if (r->end_line)
                snprintf(end, sizeof end, ",\"end_line\":%llu",
                         (unsigned long long)(base + r->end_line));
            if (r->line_text) { /* the record's last '}' is moved after "text" */
                size_t rl = strlen(rest);
                printf("{\"file\":%s,\"line\":%llu%s%s%.*s",
                       st->last_name ? st->last_name : "null", (unsigned long long)line, end,
                       *rest == '}' ? "" : ",", (int)(rl ? rl - 1 : 0), rest);
                put_json_line(r);
                puts("}");
            } else {
                printf("{\"file\":%s,\"line\":%llu%s%s%s\n",
                       st->last_name ? st->last_name : "null", (unsigned long long)line, end,
                       *rest == '}' ? "" : ",", rest);
            }
        } else {
            const int c = o->colour;
            if (o->heading && fresh) {
                if (st->findings > 1)
                    putchar('\n');
                if (c)
                    fputs("\033[35m", stdout);
                put_name(stdout, file);
                puts(c ? "\033[0m" : "");
            }
            if (st->ctx)
                ctx_before(st, file, line);
            if (c && !o->heading)
                fputs("\033[35m", stdout);
            if (!o->heading)
                put_name(stdout, file);
            if (o->heading)
                printf("%s%llu%s: %s%s%s %s", c ? "\033[32m" : "", (unsigned long long)line,
                       c ? "\033[0m" : "", c ? kind_colour[r->kind % DEFUSE_KIND_COUNT] : "",
                       defuse_kind_name(r->kind), c ? "\033[0m" : "", r->text);
            else if (c)
                printf("\033[0m:\033[32m%llu\033[0m: %s%s\033[0m %s", (unsigned long long)line,
                       kind_colour[r->kind % DEFUSE_KIND_COUNT], defuse_kind_name(r->kind),
                       r->text);
            else
                printf(":%llu: %s %s", (unsigned long long)line, defuse_kind_name(r->kind),
                       r->text);
            if (r->end_line) /* a multi-line event */
                printf(" lines=%llu-%llu", (unsigned long long)line,
                       (unsigned long long)(base + r->end_line));
            putchar('\n');
            if (r->line_text)
                put_line_text(r, "    ");
        }
    flushed:
        if (o->follow)
            fflush(stdout);
    } else {
        if (r->type == LREC_ERROR) {
            st->had_error = 1;
            if (st->unread_last != file) { /* a file's records come together */
                st->unreadable++;
                st->unread_last = file;
            }
        }
        /* Every later chunk of a file truncated while it is read fails the
         * same way: print a line-less error once per file. */
        if (!line && r->type == LREC_ERROR && r->text) {
            if (st->err_for == file && st->err_text && strcmp(st->err_text, r->text) == 0)
                goto done;
            free(st->err_text);
            st->err_text = strdup(r->text);
            st->err_for = file;
        }
        fflush(stdout);
        fputs("defuse logs: ", stderr);
        put_name(stderr, file);
        if (line)
            fprintf(stderr, ":%llu", (unsigned long long)line);
        fprintf(stderr, ": %s%s\n", r->type == LREC_WARNING ? "warning: " : "",
                r->text ? r->text : "out of memory");
    }
done:
    lrec_free(r);
}

/* ---- the file list -------------------------------------------------------- */

typedef struct job {
    char *path;        /* to open ("-" = stdin); owned by the first chunk */
    const char *name;  /* display name (borrowed from path or a literal) */
    off_t start, end;  /* byte range (end < 0: to EOF) */
    off_t size;        /* the file's size when walked (-1: unknown, stdin) */
    int first, last;   /* first / last chunk of its file */
    int year;          /* for syslog times without a year */
    /* results */
    lrec **recs;
    size_t nrecs, cap;
    uint64_t lines, bytes, findings;
    int done;
    /* streaming: once a job holds many records it waits until it is the
     * oldest unprinted job and then prints its records itself, so memory
     * stays bounded on attack-dense input */
    struct pool *pool;
    size_t idx;
    int streaming;
    uint64_t sbase; /* line base of its file when it started streaming */
} job;

typedef struct joblist {
    job *v;
    size_t n, cap;
    int had_error; /* errors while walking (already printed) */
    uint64_t nerrors; /* paths the walk could not read */
    uint64_t total_bytes;
} joblist;

static job *add_job(joblist *l) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        job *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return NULL;
        l->v = v, l->cap = cap;
    }
    job *j = &l->v[l->n++];
    memset(j, 0, sizeof *j);
    j->end = -1;
    j->size = -1;
    j->first = j->last = 1;
    return j;
}

static void walk_error(joblist *l, const char *path, const char *why) {
    fputs("defuse logs: ", stderr);
    put_name(stderr, path);
    fprintf(stderr, ": %s\n", why);
    l->had_error = 1;
    l->nerrors++;
}

static void walk_note(const char *path, const char *why) {
    fputs("defuse logs: ", stderr);
    put_name(stderr, path);
    fprintf(stderr, ": %s\n", why);
}

static int year_of(time_t t) {
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return 1970;
    return tm.tm_year + 1900;
}

/* Splits a big plain file into chunks at line boundaries; falls back to one
 * job when the content is compressed, UTF-16 or unreadable here (the worker
 * then reports the reason). */
static int add_file(joblist *l, char *path, const struct stat *st, const logs_opts *o) {
    int year = year_of(st->st_mtime);
    l->total_bytes += (uint64_t)st->st_size;
    if (o->jobs > 1 && st->st_size >= (off_t)LOGS_CHUNK * 2) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        unsigned char probe[LOGS_PROBE];
        lin_info info;
        ssize_t n = fd >= 0 ? pread(fd, probe, sizeof probe, 0) : -1;
        if (n > 0 && lin_probe(probe, (size_t)n, &info)) {
            off_t start = 0;
            while (start < st->st_size) {
                off_t end = start + LOGS_CHUNK;
                if (end + (off_t)LOGS_CHUNK / 2 >= st->st_size) {
                    end = st->st_size;
                } else {
                    /* move end past the next newline */
                    char buf[65536];
                    off_t at = end;
                    for (;;) {
                        ssize_t r = pread(fd, buf, sizeof buf, at);
                        if (r <= 0) {
                            end = st->st_size;
                            break;
                        }
                        const char *nl = memchr(buf, '\n', (size_t)r);
                        if (nl) {
                            end = at + (nl - buf) + 1;
                            break;
                        }
                        at += r;
                    }
                }
                job *j = add_job(l);
                if (!j) {
                    close(fd);
                    return -1;
                }
                j->path = start == 0 ? path : NULL;
                j->name = path;
                j->size = st->st_size;
                j->start = start;
                j->end = end == st->st_size ? -1 : end;
                j->first = start == 0;
                j->last = end >= st->st_size;
                j->year = year;
                start = end;
            }
            close(fd);
            return 0;
        }
        if (fd >= 0)
            close(fd);
    }
    job *j = add_job(l);
    if (!j)
        return -1;
    j->path = path;
    j->name = path;
    j->size = st->st_size;
    j->year = year;
    return 0;
}

static int walk(joblist *l, char *path, const logs_opts *o, unsigned depth, int top);

static int walk_dir(joblist *l, const char *path, const logs_opts *o, unsigned depth) {
    if (depth >= LOGS_MAX_DIR_DEPTH) {
        walk_error(l, path, "directory nesting too deep: not entered");
        return 0;
    }
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        walk_error(l, path, strerror(errno));
        return 0;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *e = names[i]->d_name;
        if (rc == 0 && strcmp(e, ".") && strcmp(e, "..")) {
            size_t pl = strlen(path), cl = pl + strlen(e) + 2;
            char *child = malloc(cl);
            if (!child) {
                rc = -1;
            } else {
                snprintf(child, cl, "%s%s%s", path, pl && path[pl - 1] == '/' ? "" : "/", e);
                rc = walk(l, child, o, depth + 1, 0);
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Adds path (owned: stored in a job or freed) to the list.  top: given on
 * the command line (symbolic links are followed there, as grep -r does). */
static int walk(joblist *l, char *path, const logs_opts *o, unsigned depth, int top) {
    struct stat st;
    if (!path)
        return -1;
    if (top && strcmp(path, "-") == 0) {
        job *j = add_job(l);
        if (!j)
            goto oom;
        j->path = path;
        j->name = "(standard input)";
        j->year = year_of(time(NULL));
        return 0;
    }
    if (lstat(path, &st) < 0) {
        walk_error(l, path, strerror(errno));
        free(path);
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        if (!top && !o->follow_symlinks) {
            walk_note(path, "symbolic link not followed (use --follow-symlinks)");
            free(path);
            return 0;
        }
        if (stat(path, &st) < 0) {
            walk_error(l, path, strerror(errno));
            free(path);
            return 0;
        }
    }
    if (S_ISDIR(st.st_mode)) {
        int rc = walk_dir(l, path, o, depth);
        free(path);
        return rc;
    }
    if (!S_ISREG(st.st_mode) && !top) {
        walk_note(path, "not a regular file: skipped");
        free(path);
        return 0;
    }
    if (add_file(l, path, &st, o) < 0)
        goto oom;
    return 0;
oom:
    free(path);
    return -1;
}

/* ---- running jobs ------------------------------------------------------------ */

typedef struct pool {
    const logs_opts *o;
    joblist *jobs;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    size_t next;    /* next job to start (atomic: workers claim jobs with it) */
    size_t emitted; /* jobs already printed (written under mu, read atomically) */
    size_t window;  /* jobs allowed to run ahead of emitted */
    uint64_t bytes; /* scanned so far (atomic) */
    outstate *st;
    uint64_t next_base; /* line base for job `emitted` (if not a first chunk) */
    int inline_mode;    /* jobs run one by one in the main thread */
    int emitting;       /* a worker is printing finished jobs (under mu) */
    uint64_t base, files, lines, out_bytes; /* emit_job()'s totals (the printer's) */
    size_t files_out; /* files printed so far, for the progress line (under mu) */
} pool;

static void emit_ready(pool *p);

static void job_stream(job *j) {
    pool *p = j->pool;
    if (!p->inline_mode) {
        pthread_mutex_lock(&p->mu);
        while (p->emitted != j->idx)
            pthread_cond_wait(&p->work, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    /* Now nothing else is printed until this job is done (emit_ready). */
    j->sbase = j->first ? 0 : p->next_base;
    for (size_t i = 0; i < j->nrecs; i++)
        output_record(p->st, j->name, j->sbase, j->recs[i]);
    j->nrecs = 0;
    j->streaming = 1;
}

static void job_sink(void *user, lrec *r) {
    job *j = user;
    if (j->streaming) {
        output_record(j->pool->st, j->name, j->sbase, r);
        return;
    }
    if (j->nrecs == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 16;
        lrec **v = realloc(j->recs, cap * sizeof *v);
        if (!v) {
            lrec_free(r);
            return;
        }
        j->recs = v, j->cap = cap;
    }
    j->recs[j->nrecs++] = r;
    if (j->pool && (j->pool->inline_mode || j->nrecs >= LOGS_STREAM_AFTER))
        job_stream(j);
}

static void job_message(job *j, int type, const char *text) {
    lrec *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->type = type;
    r->hour = LF_NO_HOUR;
    r->text = strdup(text);
    job_sink(j, r);
}

/* Plain files are mapped in windows of this size (bounded address space
 * and resident set per worker) instead of copied by read(): the copy was a
 * third of the CPU time on clean logs.  The mapping is not populated in
 * advance (MAP_POPULATE cost as much kernel time as faulting the pages in
 * with read-ahead); with that, 16 MiB, 64 MiB and 1 GiB windows take the
 * same CPU time and 16 MiB keeps the peak RSS at ~28 MB instead of the
 * file's size (docs/logs.md "Performance"). */
#define LOGS_MAP_WINDOW ((size_t)16 << 20)
/* Smaller files are read: mapping costs more than copying them. */
#define LOGS_MAP_MIN ((size_t)4 << 20)

/* A mapped file that shrinks under us (copytruncate rotation) raises
 * SIGBUS on access: the handler jumps back to the worker that touched it,
 * which reports the file and goes on with the next job. */
static _Thread_local sigjmp_buf *bus_jmp;

static void on_sigbus(int sig) {
    if (bus_jmp)
        siglongjmp(*bus_jmp, 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Maps the window's pages before the scan reads them: one read per
 * LOGS_FAULT_STRIDE bytes takes the page faults (each maps the pages
 * around it, 64 KiB by Linux's default fault_around_bytes) in a tight
 * loop, and the scan then streams through mapped memory.  With the faults
 * taken one by one in the middle of the scan instead, mapping and scanning
 * a 260 MB clean log (in a harness that does only that) cost 39.8 ms of
 * CPU against 33.6 ms this way (docs/logs.md "Performance").  A smaller
 * fault-around only leaves some faults to the scan.  The caller catches
 * SIGBUS. */
#define LOGS_FAULT_STRIDE ((size_t)64 << 10)

/* Returns whether a NUL byte is among the 16 bytes read at each stride (in
 * the cache line the fault brings in anyway): a UTF-16 region of 64 KiB
 * or more after a NUL-free start is seen here at no cost; a full NUL
 * search of every window would slow the clean-log path. */
static int prefault(const char *m, size_t len) {
    const volatile char *v = m;
    int nul = 0;
    for (size_t i = 0; i < len; i += LOGS_FAULT_STRIDE) {
        (void)v[i];
        if (!nul && len - i >= 16 && memchr(m + i, '\0', 16))
            nul = 1;
    }
    return nul;
}

/* Scans [start, end) of fd through windows of mappings.  Returns 0, -1 if a
 * mapping failed (*at says where to go on with read()), -2 on SIGBUS, or a
 * negative defuse_err of the scanner minus 100. */
static int scan_mapped(pool *p, job *j, lscan *ls, int fd, off_t start, off_t end, off_t *at_out) {
    volatile off_t at = start;
    char *volatile map = NULL;
    volatile size_t maplen = 0;
    sigjmp_buf jb;
    int rc = 0;
    if (sigsetjmp(jb, 1)) { /* 1: the mask is restored, so SIGBUS is not left blocked */
        bus_jmp = NULL;
        if (map)
            munmap(map, maplen);
        *at_out = at;
        return -2;
    }
    while (at < end) {
        long page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
        off_t base = at - at % page;
        size_t len = (size_t)(end - base) < LOGS_MAP_WINDOW ? (size_t)(end - base) : LOGS_MAP_WINDOW;
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, base);
        if (m == MAP_FAILED) {
            rc = -1;
            break;
        }
        map = m, maplen = len;
        /* One advice per call: the values are not bit flags. */
        (void)madvise(m, len, MADV_SEQUENTIAL);
        size_t skip = (size_t)(at - base), n = len - skip;
        bus_jmp = &jb;
        int r = 0;
        if (prefault((const char *)m, len))
            r = lscan_u16_from_here(ls);
        if (r == 0)
            r = lscan_feed(ls, (const char *)m + skip, n);
        bus_jmp = NULL;
        munmap(m, len);
        map = NULL;
        j->bytes += n;
        __atomic_add_fetch(&p->bytes, (uint64_t)n, __ATOMIC_RELAXED);
        at = base + (off_t)len;
        if (r < 0) {
            rc = r - 100;
            break;
        }
    }
    *at_out = at;
    return rc;
}

/* Runs one job in the calling thread; buf is LOGS_BLOCK bytes. */
static void run_job(pool *p, job *j, char *buf, defuse_scanner *sc) {
    const logs_opts *o = p->o;
    char err[256];
    lin_info info;
    lin_source *src = NULL;
    lscan *ls = NULL;
    const char *path = j->path ? j->path : j->name;
    if (lin_open(&src, path, j->start, j->end, &info, err, sizeof err) < 0) {
        job_message(j, LREC_ERROR, err);
        return;
    }
    if (info.binary)
        job_message(j, LREC_WARNING, "binary file (NUL bytes): scanning its text lines anyway");
    if (lscan_new(&ls, &o->scan, sc, j->year, job_sink, j) < 0 ||
        (info.u16view && lscan_enable_u16(ls, info.u16bom) < 0)) {
        job_message(j, LREC_ERROR, "out of memory");
        goto out;
    }

    int fd;
    off_t ms, me, at = 0;
    /* (A file walked below the mapping size is read without asking: an
     * fstat() per file was one system call in seven on small files.) */
    if ((j->size < 0 || j->size >= (off_t)LOGS_MAP_MIN) && lin_mappable(src, &fd, &ms, &me) &&
        me - ms >= (off_t)LOGS_MAP_MIN) {
        int r = scan_mapped(p, j, ls, fd, ms, me, &at);
        if (r == -2) {
            job_message(j, LREC_ERROR, "file shrank while being read (truncated or rotated)");
            goto out_counts;
        }
        if (r < -1) {
            job_message(j, LREC_ERROR, defuse_strerror(r + 100));
            goto out_counts;
        }
        /* after a failed mapping, or for what was appended since: read() */
        for (;;) {
            if (j->end >= 0 && at >= j->end)
                break;
            size_t want = LOGS_BLOCK;
            if (j->end >= 0 && (off_t)want > j->end - at)
                want = (size_t)(j->end - at);
            ssize_t n = pread(fd, buf, want, at);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                snprintf(err, sizeof err, "read error: %s", strerror(errno));
                job_message(j, LREC_ERROR, err);
                break;
            }
            if (n == 0)
                break;
            at += n;
            j->bytes += (uint64_t)n;
            __atomic_add_fetch(&p->bytes, (uint64_t)n, __ATOMIC_RELAXED);
            int rr = lscan_feed(ls, buf, (size_t)n);
            if (rr < 0) {
                job_message(j, LREC_ERROR, defuse_strerror(rr));
                break;
            }
        }
    } else {
        lscan_watch_nul(ls); /* a UTF-16 region later in the file */
        for (;;) {
            ssize_t n = lin_read(src, buf, LOGS_BLOCK, err, sizeof err);
            if (n < 0) {
                job_message(j, LREC_ERROR, err);
                break;
            }
            if (n == 0)
                break;
            j->bytes += (uint64_t)n;
            __atomic_add_fetch(&p->bytes, (uint64_t)n, __ATOMIC_RELAXED);
            int r = lscan_feed(ls, buf, (size_t)n);
            if (r < 0) {
                job_message(j, LREC_ERROR, defuse_strerror(r));
                break;
            }
        }
    }
    /* A "${" left open on the last lines of a chunk: the lines that
     * follow (the next chunk's) complete the window; lscan_tail() reports
     * only what starts in this chunk. */
    if (!j->last && j->end >= 0 && lscan_joining(ls)) {
        int tfd;
        off_t ts, te;
        size_t want = LOGS_JOIN_BYTES + 2;
        ssize_t n = -1;
        if (lin_mappable(src, &tfd, &ts, &te))
            do
                n = pread(tfd, buf, want, j->end);
            while (n < 0 && errno == EINTR);
        if (lscan_tail(ls, buf, n > 0 ? (size_t)n : 0, n >= 0 && (size_t)n < want) < 0)
            job_message(j, LREC_ERROR, "out of memory");
    }
    if (lscan_finish(ls) < 0)
        job_message(j, LREC_ERROR, "out of memory");
out_counts:
    j->lines = lscan_lines(ls);
    j->findings = lscan_findings(ls);
out:
    lscan_free(ls);
    lin_close(src);
}

static void *worker(void *arg) {
    pool *p = arg;
    char *buf = malloc(LOGS_BLOCK);
    defuse_scanner *sc = NULL;
    if (lscan_scanner_new(&sc, &p->o->scan) < 0)
        sc = NULL;
    /* Jobs are claimed with an atomic counter; the worker that finishes
     * the oldest unprinted job prints it and every finished job after it
     * (emit_ready), so the main thread is not woken per job.  With a lock
     * per claim and a hand-off to the main thread per job, 10,000 files of
     * 2 KB took longer with two threads than with one (futex waits and
     * context switches were a third of the samples). */
    for (;;) {
        size_t idx = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
        if (idx >= p->jobs->n)
            break;
        if (idx >= __atomic_load_n(&p->emitted, __ATOMIC_ACQUIRE) + p->window) {
            pthread_mutex_lock(&p->mu);
            while (idx >= p->emitted + p->window)
                pthread_cond_wait(&p->work, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        job *j = &p->jobs->v[idx];
        if (buf && sc)
            run_job(p, j, buf, sc);
        else
            job_message(j, LREC_ERROR, "out of memory");
        pthread_mutex_lock(&p->mu);
        j->done = 1;
        emit_ready(p);
        pthread_mutex_unlock(&p->mu);
    }
    defuse_scanner_free(sc);
    free(buf);
    return NULL;
}

static double elapsed(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Draws the line if the last one is old enough (or final). */
static void progress_show(progress *pr, size_t done, size_t total, uint64_t bytes, int final) {
    if (!pr->on)
        return;
    pthread_mutex_lock(&pr->mu);
    double since = elapsed(&pr->last) * 1000.0;
    if (final || !pr->last.tv_sec || since >= (pr->tty ? PROGRESS_TTY_MS : PROGRESS_PLAIN_MS)) {
        double s = elapsed(&pr->t0);
        fprintf(stderr, "%sdefuse: %zu/%zu files, %.1f MB, %.1f MB/s%s", pr->tty ? "\r\033[K" : "",
                done, total, (double)bytes / 1e6, s > 0 ? (double)bytes / 1e6 / s : 0.0,
                pr->tty ? "" : "\n");
        pr->shown = 1;
        clock_gettime(CLOCK_MONOTONIC, &pr->last);
    }
    pthread_mutex_unlock(&pr->mu);
}

static void progress_end(progress *pr, size_t done, size_t total, uint64_t bytes) {
    if (!pr->on)
        return;
    if (!pr->tty) /* the last figures, once */
        progress_show(pr, done, total, bytes, 1);
    else if (pr->shown)
        fputs("\r\033[K", stderr);
    pthread_mutex_destroy(&pr->mu);
}

/* Prints job j's records in order and frees them. */
static void emit_job(outstate *st, job *j, uint64_t *base, uint64_t *files, uint64_t *lines,
                     uint64_t *bytes) {
    if (j->first)
        *base = 0;
    for (size_t i = 0; i < j->nrecs; i++)
        output_record(st, j->name, *base, j->recs[i]);
    free(j->recs);
    j->recs = NULL;
    *base += j->lines;
    *lines += j->lines;
    *bytes += j->bytes;
    if (j->first)
        (*files)++;
}

/* Prints, in order, the finished jobs from the oldest unprinted one on.
 * Called with p->mu held by the worker that just finished a job; one
 * worker prints at a time (p->emitting), and it rechecks after each job,
 * so a job finished meanwhile by another worker is printed too.  Records
 * are written without the lock.  Wakes the workers waiting for the window
 * or to stream (p->work) and, at the end, the main thread (p->done). */
static void emit_ready(pool *p) {
    if (p->emitting)
        return;
    p->emitting = 1;
    joblist *jl = p->jobs;
    while (p->emitted < jl->n && jl->v[p->emitted].done) {
        size_t i = p->emitted;
        pthread_mutex_unlock(&p->mu);
        emit_job(p->st, &jl->v[i], &p->base, &p->files, &p->lines, &p->out_bytes);
        pthread_mutex_lock(&p->mu);
        p->next_base = p->base;
        p->files_out = (size_t)p->files;
        __atomic_store_n(&p->emitted, i + 1, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&p->work);
    }
    p->emitting = 0;
    pthread_cond_signal(&p->done);
}

static int run_all(const logs_opts *o, joblist *jl, outstate *st) {
    pool p;
    memset(&p, 0, sizeof p);
    p.o = o;
    p.jobs = jl;
    p.window = (size_t)o->jobs * LOGS_JOBS_AHEAD;
    p.st = st;
    p.inline_mode = o->jobs <= 1 || jl->n <= 1;
    for (size_t i = 0; i < jl->n; i++) {
        jl->v[i].pool = &p;
        jl->v[i].idx = i;
    }
    progress pr = {0};
    clock_gettime(CLOCK_MONOTONIC, &pr.t0);
    pr.tty = isatty(2);
    pr.on = o->progress > 0 ||
            (o->progress < 0 && pr.tty && jl->total_bytes >= 256u * 1024 * 1024);
    if (pr.on) {
        pthread_mutex_init(&pr.mu, NULL);
        st->pr = &pr;
    }
    size_t nfiles = 0;
    for (size_t i = 0; i < jl->n; i++)
        nfiles += jl->v[i].first;

    if (p.inline_mode) {
        char *buf = malloc(LOGS_BLOCK);
        defuse_scanner *sc = NULL;
        if (!buf || lscan_scanner_new(&sc, &o->scan) < 0) {
            free(buf);
            return -1;
        }
        for (size_t i = 0; i < jl->n; i++) {
            p.emitted = i;
            p.next_base = p.base;
            run_job(&p, &jl->v[i], buf, sc);
            emit_job(st, &jl->v[i], &p.base, &p.files, &p.lines, &p.out_bytes);
            progress_show(&pr, (size_t)p.files, nfiles, p.bytes, 0);
        }
        defuse_scanner_free(sc);
        free(buf);
    } else {
        pthread_mutex_init(&p.mu, NULL);
        pthread_cond_init(&p.work, NULL);
        pthread_cond_init(&p.done, NULL);
        size_t nth = (size_t)o->jobs;
        if (nth > jl->n)
            nth = jl->n;
        pthread_t *th = calloc(nth, sizeof *th);
        size_t started = 0;
        for (; th && started < nth; started++)
            if (pthread_create(&th[started], NULL, worker, &p) != 0)
                break;
        if (started == 0) {
            free(th);
            return -1;
        }
        /* The workers print; this thread shows progress until all is out. */
        pthread_mutex_lock(&p.mu);
        while (p.emitted < jl->n) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200000000L;
            if (ts.tv_nsec >= 1000000000L)
                ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&p.done, &p.mu, &ts);
            if (p.emitted < jl->n) {
                size_t shown = p.files_out;
                pthread_mutex_unlock(&p.mu);
                progress_show(&pr, shown, nfiles, __atomic_load_n(&p.bytes, __ATOMIC_RELAXED), 0);
                pthread_mutex_lock(&p.mu);
            }
        }
        pthread_mutex_unlock(&p.mu);
        for (size_t t = 0; t < started; t++)
            pthread_join(th[t], NULL);
        free(th);
        pthread_mutex_destroy(&p.mu);
        pthread_cond_destroy(&p.work);
        pthread_cond_destroy(&p.done);
    }
    st->pr = NULL;
    progress_end(&pr, (size_t)p.files, nfiles, p.bytes);
    if (st->sum)
        lsum_add_input(st->sum, p.files, p.lines, p.out_bytes);
    return 0;
}

/* ---- follow --------------------------------------------------------------- */

static void follow_sink(void *user, const char *file, lrec *r) {
    output_record(user, file, 0, r);
}

static void on_signal(int sig) {
    (void)sig;
    logs_stop = 1;
}

/* ---- entry ---------------------------------------------------------------- */

enum {
    OPT_JSON = 256, OPT_SUMMARY, OPT_FROM_START, OPT_KIND, OPT_FAIL_ON, OPT_NO_DECODE, OPT_MAX_LINE,
    OPT_PROGRESS, OPT_NO_PROGRESS, OPT_FOLLOW_SYMLINKS, OPT_COLOR, OPT_LINE, OPT_HEADING,
    OPT_SINCE, OPT_UNTIL, OPT_ECS, OPT_SYSLOG, OPT_WEBHOOK, OPT_OMPROG
};

static const struct option long_opts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"ecs", no_argument, NULL, OPT_ECS},
    {"output", required_argument, NULL, 'o'},
    {"summary", no_argument, NULL, OPT_SUMMARY},
    {"follow", no_argument, NULL, 'F'},
    {"from-start", no_argument, NULL, OPT_FROM_START},
    {"kind", required_argument, NULL, OPT_KIND},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"line", no_argument, NULL, OPT_LINE},
    {"after-context", required_argument, NULL, 'A'},
    {"before-context", required_argument, NULL, 'B'},
    {"context", required_argument, NULL, 'C'},
    {"files-with-matches", no_argument, NULL, 'l'},
    {"count", no_argument, NULL, 'c'},
    {"heading", no_argument, NULL, OPT_HEADING},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"no-decode", no_argument, NULL, OPT_NO_DECODE},
    {"quiet", no_argument, NULL, 'q'},
    {"silent", no_argument, NULL, 'q'},
    {"jobs", required_argument, NULL, 'j'},
    {"threads", required_argument, NULL, 'j'}, /* the old spelling of scan's --jobs */
    {"max-line", required_argument, NULL, OPT_MAX_LINE},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"follow-symlinks", no_argument, NULL, OPT_FOLLOW_SYMLINKS},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"syslog", required_argument, NULL, OPT_SYSLOG},
    {"webhook", required_argument, NULL, OPT_WEBHOOK},
    {"omprog", no_argument, NULL, OPT_OMPROG},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

int cmd_logs(int argc, char **argv) {
    logs_opts o;
    memset(&o, 0, sizeof o);
    o.scan.kind_mask = (1u << DEFUSE_KIND_COUNT) - 1;
    o.fail_mask = LOGS_FAIL_DEFAULT;
    o.scan.max_line = 16u * 1024u * 1024u;
    o.progress = -1;
    o.pipe.facility = 16; /* local0 */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = ncpu > 0 ? (int)(ncpu > 64 ? 64 : ncpu) : 1;
    int colour = -1, json = 0, ecs = 0;
    const char *outpath = NULL;

    optind = 1;
    opterr = 0; /* errors in the "defuse logs: " style (cli_opt_error) */
    int c;
    while ((c = getopt_long(argc, argv, ":Fqj:hlcA:B:C:Vo:", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: json = 1; break;
        case OPT_ECS: ecs = 1; break;
        case 'o': outpath = optarg; break;
        case OPT_SUMMARY: o.summary = 1; break;
        case 'F': o.follow = 1; break;
        case OPT_FROM_START: o.from_start = 1; break;
        case OPT_KIND:
            if (parse_kinds(optarg, &o.scan.kind_mask, "--kind", 0) < 0)
                return EXIT_ERROR;
            break;
        case OPT_LINE: o.scan.want_line = 1; break;
        case 'A':
        case 'B':
        case 'C': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || errno || v < 0 || v > 10000) {
                fprintf(stderr, "defuse logs: -%c wants a number of lines from 0 to 10000, not "
                                "'%s'\n", c, optarg);
                return EXIT_ERROR;
            }
            if (c != 'A')
                o.before = (unsigned)v;
            if (c != 'B')
                o.after = (unsigned)v;
            o.context = 1;
            break;
        }
        case 'l': o.files_only = 1; break;
        case 'c': o.count_only = 1; break;
        case OPT_HEADING: o.heading = 1; break;
        case OPT_SINCE:
        case OPT_UNTIL: {
            int64_t *t = c == OPT_SINCE ? &o.since_ms : &o.until_ms;
            if (parse_when(optarg, t) < 0) {
                fprintf(stderr, "defuse logs: %s: cannot read '%s' as a time (2021-12-10, "
                                "2021-12-10T13:00:00Z, 2021-12-10 13:00:00+01:00, 24h, 7d)\n",
                        c == OPT_SINCE ? "--since" : "--until", optarg);
                return EXIT_ERROR;
            }
            *(c == OPT_SINCE ? &o.have_since : &o.have_until) = 1;
            break;
        }
        case OPT_FAIL_ON:
            if (parse_kinds(optarg, &o.fail_mask, "--fail-on", 1) < 0)
                return EXIT_ERROR;
            break;
        case OPT_NO_DECODE: o.scan.flags |= DEFUSE_SCAN_NO_DECODE; break;
        case 'q': o.scan.quiet = 1; break;
        case 'j': {
            unsigned long long v;
            if (cli_number("logs", "--jobs", optarg, 1, 256, &v) < 0)
                return EXIT_ERROR;
            o.jobs = (int)v;
            break;
        }
        case OPT_MAX_LINE:
            if (parse_size(optarg, &o.scan.max_line) < 0) {
                fprintf(stderr, "defuse logs: --max-line: '%s' is not a byte count (e.g. 65536, "
                                "4M)\n", optarg);
                return EXIT_ERROR;
            }
            break;
        case OPT_PROGRESS: o.progress = 1; break;
        case OPT_NO_PROGRESS: o.progress = 0; break;
        case OPT_FOLLOW_SYMLINKS: o.follow_symlinks = 1; break;
        case OPT_SYSLOG:
        case OPT_WEBHOOK:
            if (lpipe_add_dest(&o.pipe, optarg, c == OPT_SYSLOG) < 0)
                return EXIT_ERROR;
            break;
        case OPT_OMPROG: o.omprog = 1; break;
        case OPT_COLOR:
            if (cli_color("logs", optarg, &colour) < 0)
                return EXIT_ERROR;
            break;
        case 'h': print_help(); return EXIT_CLEAN;
        /* main.c answers --version for commands whose help it prints; logs
         * prints its own help (in parts), so it answers here. */
        case 'V': cli_print_version("defuse"); return EXIT_CLEAN;
        default: return cli_opt_error("logs", c, argv);
        }
    }
    {
        static const char *const fmts[] = {"--json", "--ecs"};
        const int given[] = {json, ecs};
        if (cli_one_format("logs", fmts, given, 2) < 0)
            return EXIT_ERROR;
    }
    o.scan.json = json || ecs;
    o.scan.ecs = ecs;
    if (ecs && (o.files_only || o.count_only || o.context || o.summary))
        return cli_error("logs", "--ecs goes with neither -l, -c, -A/-B/-C nor --summary");
    /* The members every JSON finding starts with (docs/output-schemas.md):
     * the schema version, this host and defuse's version, JSON-escaped
     * once here (a host name is any bytes to the kernel), at most 300 bytes. */
    char json_head[320] = "";
    if (o.scan.json) {
        char hn[256] = "";
        if (gethostname(hn, sizeof hn - 1) != 0)
            hn[0] = '\0';
        hn[64] = '\0'; /* HOST_NAME_MAX */
        char *jh = json_name(hn);
        snprintf(json_head, sizeof json_head,
                 "\"schema\":%d,\"hostname\":%s,\"defuse_version\":\"%.40s\",",
                 LOGS_JSON_SCHEMA, jh ? jh : "null", defuse_version());
        free(jh);
        o.scan.json_head = json_head;
    }
    if (cli_output("logs", outpath) < 0)
        return EXIT_ERROR;
    o.colour = cli_color_auto(colour, o.scan.json);
    if (o.files_only && o.count_only) {
        fprintf(stderr, "defuse logs: -l and -c exclude each other\n");
        return EXIT_ERROR;
    }
    if (o.context && (o.files_only || o.count_only || o.follow)) {
        fprintf(stderr, "defuse logs: -A/-B/-C go with neither -l, -c nor --follow\n");
        return EXIT_ERROR;
    }
    if (o.context)
        o.scan.want_line = 1; /* the matching line, between its context lines */
    if (o.omprog && (!o.pipe.ndest || optind < argc || o.follow || o.summary || o.context ||
                     o.files_only || o.count_only)) {
        fprintf(stderr, "defuse logs: --omprog reads standard input and wants --syslog or "
                        "--webhook (stdout carries the confirmations), and no PATH, -F, "
                        "--summary, -l, -c nor -A/-B/-C\n");
        return EXIT_ERROR;
    }
    o.scan.want_json = o.pipe.ndest > 0;
    o.scan.want_summary = o.summary && !o.scan.quiet;
    /* No PATH with a terminal on stdin: say what is being read rather than
     * wait in silence (a '-' asks for it explicitly). */
    if (optind >= argc && isatty(0))
        fprintf(stderr, "defuse logs: reading standard input (no PATH given; end with Ctrl-D, "
                        "or give a file, a directory or '-')\n");

    /* jansson seeds its hash function on first use; do it here, before the
     * worker threads render JSON concurrently. */
    json_object_seed(0);
    outstate st;
    memset(&st, 0, sizeof st);
    st.o = &o;
    if (o.context && !o.scan.quiet && !(st.ctx = calloc(1, sizeof *st.ctx))) {
        fprintf(stderr, "defuse logs: out of memory\n");
        return EXIT_ERROR;
    }
    if (o.scan.want_summary && !(st.sum = lsum_new())) {
        fprintf(stderr, "defuse logs: out of memory\n");
        return EXIT_ERROR;
    }
    int status = EXIT_CLEAN;
    if (o.pipe.ndest && lpipe_open(&st.pipe, &o.pipe) != 0) {
        lsum_free(st.sum);
        free(st.ctx);
        return EXIT_ERROR;
    }

    if (o.omprog) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (lpipe_omprog(st.pipe, &o.scan, &st.findings) != 0)
            st.had_error = 1;
    } else if (o.follow) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        char *stdin_path[] = {(char *)(uintptr_t) "-"};
        char **paths = optind < argc ? argv + optind : stdin_path;
        size_t np = optind < argc ? (size_t)(argc - optind) : 1;
        uint64_t lines = 0, bytes = 0;
        size_t nfiles = 0;
        if (lfollow_run(paths, np, &o.scan, o.from_start, follow_sink, &st, &lines, &bytes,
                        &nfiles) != 0)
            st.had_error = 1;
        if (st.sum)
            lsum_add_input(st.sum, nfiles, lines, bytes);
    } else {
        struct sigaction sb;
        memset(&sb, 0, sizeof sb);
        sb.sa_handler = on_sigbus;
        sigemptyset(&sb.sa_mask);
        sigaction(SIGBUS, &sb, NULL);
        joblist jl;
        memset(&jl, 0, sizeof jl);
        int rc = 0;
        if (optind >= argc)
            rc = walk(&jl, strdup("-"), &o, 0, 1);
        for (int i = optind; i < argc && rc == 0; i++)
            rc = walk(&jl, strdup(argv[i]), &o, 0, 1);
        if (rc == 0)
            rc = run_all(&o, &jl, &st);
        if (rc < 0) {
            fprintf(stderr, "defuse logs: out of memory\n");
            st.had_error = 1;
        }
        if (jl.had_error)
            st.had_error = 1;
        if (st.sum)
            lsum_add_unreadable(st.sum, jl.nerrors);
        for (size_t i = 0; i < jl.n; i++)
            if (jl.v[i].first)
                free(jl.v[i].path);
        free(jl.v);
    }

    flush_count(&st);
    ctx_end(&st);
    if (lpipe_close(st.pipe))
        st.had_error = 1;
    free(st.cur_file);
    if (st.sum) {
        lsum_add_unreadable(st.sum, st.unreadable);
        if (o.scan.json) {
            char *j = lsum_json(st.sum);
            if (j && j[0] == '{') /* the common members first, as in findings */
                printf("{%s%s\n", o.scan.json_head ? o.scan.json_head : "", j + 1);
            free(j);
        } else {
            lsum_print(st.sum, stdout, o.colour);
        }
        lsum_free(st.sum);
    }
    free(st.last_name);
    free(st.err_text);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "defuse logs: write error: %s\n", strerror(errno));
        st.had_error = 1;
    }
    if (st.had_error)
        status = EXIT_ERROR;
    else if (st.failing)
        status = EXIT_FOUND;
    return status;
}
