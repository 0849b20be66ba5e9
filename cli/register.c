/*
 * register.c -- `defuse register`: the exposure register's front end.
 * Parses options, opens the register (register/reg.h) and prints; the
 * model, storage and evaluation live in register/.  Runs as the sibling
 * program defuse-register so that `defuse logs` never loads SQLite.
 */
#include "cli.h"
#include "reg.h"
#include "vex.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cli_help_register[] =
    "usage: defuse register [--db PATH|postgresql://...] [--json] [--by WHO] COMMAND ...\n"
    "\n"
    "The exposure register: which assets, in every environment, hold an affected\n"
    "component; the SLA clock of each exposure; mitigations and verdicts; history.\n"
    "\n"
    "commands:\n"
    "  ingest --asset NAME [--env ENV] [--owner O] [--exposure public|internal]\n"
    "         [--kind host|image|application|appliance] [--tags T] FILE...\n"
    "        record FILE... (`defuse scan --json` output, or an SBOM when the SBOM\n"
    "        readers are built in) as what NAME holds now, and evaluate it; --env is\n"
    "        required for a new asset.  The same input twice changes nothing; a\n"
    "        component absent from the new input is fixed at that scan's time.\n"
    "  ingest --batch LIST [--env ENV] [--owner O] [--exposure E] [--kind K] [--tags T]\n"
    "        many assets in one process, one per line of LIST ('-': standard input):\n"
    "        ASSET<TAB>ENV<TAB>FILE[<TAB>FILE...] (ENV empty or '-': --env, or the\n"
    "        stored one); '#' and blank lines are skipped.  Each asset is its own\n"
    "        transaction: a bad line is reported as LIST:LINE, writes nothing of its\n"
    "        asset and does not stop the others (exit status 2 at the end).\n"
    "  evaluate [--kev FILE] [--full]\n"
    "        re-evaluate stored components against the vulnerability data (no\n"
    "        rescan): those whose match changed, and assets whose controls expired\n"
    "        (--full, --kev or an SLA change: all); prints what it opened or changed.\n"
    "        --kev: a CISA KEV JSON file whose dueDate caps the clocks of its CVEs.\n"
    "  status [--env E] [--fail-on-breach]\n"
    "        per environment and owner: open, breached, due within 24 h, on track,\n"
    "        review, mitigated, accepted, false positive, fixed.\n"
    "  exposures [--cve C] [--env E] [--asset A] [--component PURL] [--all]\n"
    "        exposures by due time (without --all: not the fixed ones).\n"
    "  assets [--env E]      assets and how many components each holds.\n"
    "  history --asset A     every change of A with time and who.\n"
    "  mitigate --asset A --cve C --control NAME --evidence TEXT [--expires DATE]\n"
    "        record a control that is not a patch; refused for a CVE the control\n"
    "        does not cover.  Controls (NAME: the CVEs it covers; others stay open):\n"
    "          jndilookup-removed           CVE-2021-44228 CVE-2021-45046 (recorded by\n"
    "                                       itself when a scan saw JndiLookup.class gone)\n"
    "          formatMsgNoLookups           CVE-2021-44228 (not 45046)\n"
    "          security-manager-no-network  CVE-2021-44228 CVE-2021-45046\n"
    "          trustURLCodebase-false       no CVE (gadgets and DNS/LDAP exfiltration remain)\n"
    "          jmsappender-removed          CVE-2021-4104\n"
    "          socketserver-removed         CVE-2019-17571\n"
    "          jmssink-removed              CVE-2022-23302\n"
    "          jdbcappender-removed         CVE-2022-23305\n"
    "          chainsaw-removed             CVE-2022-23307\n"
    "  verify --asset A [--env ENV] --verdict V [--evidence TEXT]\n"
    "  verify --batch LIST [--env ENV]   (ASSET<TAB>ENV<TAB>VERDICT<TAB>EVIDENCE)\n"
    "        record what a probe proved of A (`defuse probe --register` does it):\n"
    "        exploitable, not-reached, blocked or unreachable (the last one wins).\n"
    "  accept --asset A --cve C --reason TEXT [--expires DATE]\n"
    "  false-positive --asset A --cve C --reason TEXT [--expires DATE]\n"
    "  vendors [--overdue]\n"
    "  vendors --vendor NAME [--products P] [--data-access D] [--status S]\n"
    "          [--statement TEXT|URL] [--contacted DATE] [--answered DATE]\n"
    "          [--access-limit TEXT] [--limit-lifted DATE] [--follow-up DATE] [--owner O]\n"
    "        list vendors (--overdue: follow-up due by now), or add/update one; S is\n"
    "        unknown, affected, not-affected, fixed or mitigated.\n";
/* printed after cli_help_register (one C string may hold 4095 bytes) */
const char cli_help_register_more[] =
    "  vex [--format cyclonedx|openvex] [--asset A] [--env E]\n"
    "        the verdicts as CycloneDX 1.5 VEX (default) or OpenVEX 0.2.0, for grype,\n"
    "        trivy and Dependency-Track.\n"
    "  vex import FILE\n"
    "        record the verdicts of a CycloneDX VEX or OpenVEX document on the\n"
    "        exposures it names (by purl, or by asset in the register's own export):\n"
    "        not_affected and false_positive -> false-positive; exploitable with\n"
    "        will_not_fix or can_not_fix -> accepted; other states record nothing (a\n"
    "        fix is seen by a rescan).  The document is checked whole first.\n"
    "  sla [--set SEVERITY[@ENV]=HOURS]...\n"
    "        show or set the SLA policy (default: critical 48, any other 168 hours;\n"
    "        SEVERITY and ENV may be '*').\n"
    "\n"
    "options:\n"
    "  --db TARGET      the register: a SQLite file (default $DEFUSE_REGISTER_DB, else\n"
    "                   ./defuse-register.db), or a PostgreSQL connection URL\n"
    "                   (postgresql://USER@HOST:PORT/DB) for a register many hosts share\n"
    "  --vulndb FILE    vulnerability data (default $DEFUSE_VULNDB, the installed\n"
    "                   vulndb.json, else the copy built into libdefuse)\n"
    "  --json           JSON output (one document)\n"
    "  -o, --output FILE  write the output to FILE instead of stdout\n"
    "  --by WHO         who makes the change, for history (default $USER)\n"
    "\n"
    "Times are UTC, ISO 8601.  DEFUSE_NOW=2021-12-11T09:00:00Z sets the current time.\n"
    "Exit status: 0 success; 1 `status --fail-on-breach` found a breached SLA;\n"
    "2 error (bad option, malformed input: nothing is written).\n";

typedef struct opts {
    const char *db, *vulndb, *by, *asset, *env, *owner, *exposure, *kind, *tags, *cve, *purl,
        *control, *evidence, *reason, *expires, *kev, *vendor, *products, *data_access, *status,
        *statement, *contacted, *answered, *access_limit, *lifted, *followup, *batch, *verdict;
    int overdue;
    const char *format;
    int json, fail_breach, all, full;
    const char *sets[32];
    int nsets;
} opts;

__attribute__((format(printf, 1, 2))) static int err2(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "defuse register: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_ERROR;
}

/* reg_time_format() of the time before again: a list of exposures is
 * mostly a few due times (the CLI is single-threaded). */
static void time_text(int64_t t, char out[32]) {
    static int64_t last_t;
    static char last[32];
    if (!*last || t != last_t) {
        reg_time_format(t, last);
        last_t = t;
    }
    memcpy(out, last, sizeof last);
}

static void fmt_t(int64_t t, char out[32]) {
    if (!t)
        snprintf(out, 32, "-");
    else
        time_text(t, out);
}

static json_t *jtime(int64_t t) {
    char b[32];
    if (!t)
        return json_null();
    time_text(t, b);
    return json_string(b);
}

/* ---- change output (ingest, evaluate, mitigate) ------------------------------------------ */

typedef struct chctx {
    const opts *o;
    json_t *arr;
    size_t opened, changed;
} chctx;

static void on_change(const reg_change *c, void *user) {
    chctx *x = user;
    if (c->old_state)
        x->changed++;
    else
        x->opened++;
    if (x->o->json) {
        json_array_append_new(
            x->arr, json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s,s:o,s:o}", "asset", c->asset,
                              "component", c->ckey, "cve", c->cve, "env", c->env, "severity",
                              c->severity, "old_state", c->old_state, "state", c->new_state,
                              "opened_at", jtime(c->opened_at), "due_at", jtime(c->due_at)));
        return;
    }
    char due[32];
    fmt_t(c->due_at, due);
    printf("%-8s %-16s %-14s %-10s %s -> %-14s due %s  %s\n", c->old_state ? "changed" : "new",
           c->asset, c->cve, c->env, c->old_state ? c->old_state : "", c->new_state, due, c->ckey);
}

static int load_vdb(const opts *o, defuse_vulndb **vdb) {
    char err[512];
    const char *path = o->vulndb ? o->vulndb : getenv("DEFUSE_VULNDB");
    int rc;
    if (path && *path) {
        rc = defuse_vulndb_load(vdb, path, err, sizeof err);
    } else {
        rc = defuse_vulndb_load(vdb, DEFUSE_DATADIR "/vulndb.json", err, sizeof err);
        if (rc == DEFUSE_EIO)
            rc = defuse_vulndb_builtin(vdb, err, sizeof err);
    }
    if (rc) {
        fprintf(stderr, "defuse register: %s\n", err);
        return -1;
    }
    return 0;
}

static int parse_expires(const opts *o, int64_t *t) {
    *t = 0;
    if (o->expires && reg_time_parse(o->expires, t)) {
        err2("--expires: \"%s\" is not an ISO 8601 date", o->expires);
        return -1;
    }
    return 0;
}

/* ---- commands ------------------------------------------------------------------------------ */

/* Ingests files[0..nf) as asset in env (NULL: keep the stored one).
 * where: "LIST:LINE: " in a batch, "" otherwise (prefixes messages). */
static int ingest_one(reg *r, const opts *o, const char *asset, const char *env, int nf,
                      char **files, const char *where) {
    reg_obs obs = {0};
    char err[1024];
    for (int i = 0; i < nf; i++)
        if (reg_obs_read_file(&obs, files[i], err, sizeof err)) {
            reg_obs_free(&obs);
            fprintf(stderr, "defuse register: %s%s (nothing written for %s)\n", where, err, asset);
            return EXIT_ERROR;
        }
    if (obs.incomplete)
        fprintf(stderr, "defuse register: warning: %s%s: the scan reported errors; components it"
                        " did not list are kept, not taken as removed\n", where, obs.sources);
    reg_asset_attrs at = {o->kind, env, o->owner, o->exposure, o->tags};
    chctx x = {o, json_array(), 0, 0};
    int unchanged = 0;
    int rc = reg_ingest(r, asset, &at, &obs, on_change, &x, &unchanged);
    if (rc) {
        fprintf(stderr, "defuse register: %s%s (nothing written for %s)\n", where, r->err, asset);
    } else if (o->json) {
        json_t *j = json_pack("{s:s,s:s,s:b,s:I,s:s,s:O}", "asset", asset, "digest", obs.digest,
                              "unchanged", unchanged, "components", (json_int_t)obs.n, "format",
                              obs.format, "changes", x.arr);
        char *s = json_dumps(j, JSON_ENSURE_ASCII);
        puts(s ? s : "{}");
        free(s);
        json_decref(j);
    } else if (unchanged) {
        printf("%s: %s already ingested (digest %.16s): nothing changed\n", asset, obs.sources,
               obs.digest);
    } else {
        printf("%s: ingested %s: %zu components; %zu exposures opened, %zu changed\n", asset,
               obs.sources, obs.n, x.opened, x.changed);
    }
    json_decref(x.arr);
    reg_obs_free(&obs);
    return rc ? EXIT_ERROR : EXIT_CLEAN;
}

#define BATCH_MAX_LINE 65536 /* bytes of one line of a batch list */
#define BATCH_MAX_FILES 64   /* files of one asset in a batch list */

/* One line of a batch list, split at tabs: field[0..n), n >= the minimum;
 * where: "LIST:LINE: ".  Returns 0, or -1 (the message printed). */
typedef int (*batch_line_fn)(reg *r, const opts *o, char **field, int n, const char *where);

/* --batch LIST ('-': standard input): one asset per line, fields separated
 * by tabs (at least minf; shape names them in messages); '#' lines and blank
 * lines are skipped.  Every line is its own transaction in this one process
 * (one connection, one load of the vulnerability data): a bad line is
 * reported as LIST:LINE, writes nothing of its asset and does not stop the
 * others.  done: "ingested", "recorded".  Returns EXIT_ERROR when any line
 * failed. */
static int batch_each(reg *r, const opts *o, int minf, const char *shape, const char *done,
                      batch_line_fn one) {
    FILE *f = strcmp(o->batch, "-") ? fopen(o->batch, "r") : stdin;
    if (!f)
        return err2("--batch: %s: %s", o->batch, strerror(errno));
    char *line = malloc(BATCH_MAX_LINE);
    if (!line) {
        if (f != stdin)
            fclose(f);
        return err2("out of memory");
    }
    int rc = EXIT_CLEAN;
    size_t ln = 0, nok = 0, nbad = 0;
    while (fgets(line, BATCH_MAX_LINE, f)) {
        ln++;
        char where[600];
        snprintf(where, sizeof where, "%.500s:%zu: ", o->batch, ln);
        size_t l = strlen(line);
        if (l == BATCH_MAX_LINE - 1 && line[l - 1] != '\n') {
            fprintf(stderr, "defuse register: %sline longer than %d bytes (skipped)\n", where,
                    BATCH_MAX_LINE - 1);
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
            rc = EXIT_ERROR, nbad++;
            continue;
        }
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
            line[--l] = 0;
        if (!l || line[0] == '#')
            continue;
        char *field[BATCH_MAX_FILES + 2];
        int n = 0;
        for (char *p = line; p && n < BATCH_MAX_FILES + 2;) {
            field[n++] = p;
            if ((p = strchr(p, '\t')))
                *p++ = 0;
        }
        if (n < minf || !*field[0]) {
            fprintf(stderr, "defuse register: %sexpected %s, got %d field%s\n", where, shape, n,
                    n == 1 ? "" : "s");
            rc = EXIT_ERROR, nbad++;
            continue;
        }
        if (one(r, o, field, n, where))
            rc = EXIT_ERROR, nbad++;
        else
            nok++;
    }
    if (ferror(f)) {
        fprintf(stderr, "defuse register: --batch: %s: read error\n", o->batch);
        rc = EXIT_ERROR;
    }
    if (nbad)
        fprintf(stderr, "defuse register: --batch: %zu asset%s %s, %zu line%s failed\n", nok,
                nok == 1 ? "" : "s", done, nbad, nbad == 1 ? "" : "s");
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* The ENV field of a batch line: empty or "-" for --env (or the stored one). */
static const char *batch_env(const opts *o, const char *field) {
    return *field && strcmp(field, "-") ? field : o->env;
}

/* ingest --batch: "ASSET<TAB>ENV<TAB>FILE[<TAB>FILE...]" */
static int ingest_line(reg *r, const opts *o, char **field, int n, const char *where) {
    for (int i = 2; i < n; i++)
        if (!strcmp(field[i], "-")) { /* standard input is the list itself, or one for every line */
            fprintf(stderr, "defuse register: %sa FILE of a batch cannot be '-'\n", where);
            return -1;
        }
    return ingest_one(r, o, field[0], batch_env(o, field[1]), n - 2, field + 2, where);
}

static int c_ingest(reg *r, const opts *o, int nf, char **files) {
    if (o->kind && !reg_valid_kind(o->kind))
        return err2("--kind: \"%s\" is not host, image, application or appliance", o->kind);
    if (o->exposure && !reg_valid_exposure(o->exposure))
        return err2("--exposure: \"%s\" is not public or internal", o->exposure);
    if (o->batch) {
        if (o->asset || nf)
            return err2("ingest --batch LIST: the assets and files are in LIST (no --asset, no"
                        " FILE)");
        return batch_each(r, o, 3, "ASSET<TAB>ENV<TAB>FILE...", "ingested", ingest_line);
    }
    if (!o->asset || nf < 1)
        return err2("ingest: needs --asset NAME and at least one FILE (or --batch LIST)");
    return ingest_one(r, o, o->asset, o->env, nf, files, "");
}

static int c_evaluate(reg *r, const opts *o, int nf, char **files) {
    (void)files;
    if (nf)
        return err2("evaluate: takes no FILE (use --vulndb, --kev)");
    chctx x = {o, json_array(), 0, 0};
    reg_eval_stats st;
    int rc = reg_evaluate_all(r, o->kev, o->full, on_change, &x, &st);
    if (rc)
        fprintf(stderr, "defuse register: %s (nothing written)\n", r->err);
    else if (o->json) {
        json_t *j = json_pack("{s:I,s:I,s:b,s:I,s:I,s:O}", "assets", (json_int_t)st.assets,
                              "components", (json_int_t)st.components, "full", st.full,
                              "opened", (json_int_t)x.opened, "changed", (json_int_t)x.changed,
                              "changes", x.arr);
        char *s = json_dumps(j, JSON_ENSURE_ASCII);
        puts(s ? s : "{}");
        free(s);
        json_decref(j);
    } else
        printf("evaluated %zu components of %zu assets%s: %zu exposures opened, %zu changed\n",
               st.components, st.assets, st.full ? " (all)" : "", x.opened, x.changed);
    json_decref(x.arr);
    return rc ? EXIT_ERROR : EXIT_CLEAN;
}

typedef struct listctx {
    const opts *o;
    int64_t now;
    json_t *arr;
    size_t n;
    int failed; /* a row could not be written */
} listctx;

static const char *clock_of(const reg_exposure *e, int64_t now) {
    int st = reg_state_by_name(e->state);
    if (st < 0 || !reg_state_open((reg_state)st))
        return "-";
    return reg_clock_name(reg_sla_clock(now, e->due_at));
}

static int exp_print(const reg_exposure *e, void *user) {
    listctx *x = user;
    x->n++;
    const char *clock = clock_of(e, x->now);
    if (x->o->json) {
        /* streamed: one object at a time, not a tree of every row dumped
         * into one growing buffer (17,904 rows: 590 ms; streamed 185 ms) */
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:f,s:s,s:b,s:s,s:o,s:o,s:o,s:s?,s:s?,s:s?,s:s?,"
                      "s:s,s:s?,s:s?}",
                      "asset", e->asset, "env", e->env, "owner", e->owner, "cve", e->cve,
                      "state", e->state, "severity", e->severity, "cvss", e->cvss, "clock", clock,
                      "certain", e->certain, "component", e->ckey, "opened_at",
                      jtime(e->opened_at), "due_at", jtime(e->due_at), "closed_at",
                      jtime(e->closed_at), "product", e->product, "version", e->version, "purl",
                      e->purl, "path", e->path, "evidence", e->evidence, "kind", e->kind,
                      "exposure", e->exposure);
        fputs(x->n == 1 ? "[\n" : ",\n", stdout);
        if (!j || json_dumpf(j, stdout, JSON_ENSURE_ASCII | JSON_INDENT(1)))
            x->failed = 1;
        json_decref(j);
        return 0;
    }
    if (x->n == 1)
        printf("%-16s %-8s %-14s %-8s %-14s %-9s %-20s %-12s %s\n", "ASSET", "ENV", "CVE", "SEV",
               "STATE", "CLOCK", "DUE", "VERSION", "COMPONENT");
    char due[32];
    fmt_t(e->due_at, due);
    printf("%-16s %-8s %-14s %-8s %-14s %-9s %-20s %-12s %s\n", e->asset, e->env, e->cve,
           e->severity ? e->severity : "", e->state, clock, due, e->version ? e->version : "unknown",
           e->path ? e->path : e->ckey);
    return 0;
}

static void print_json(json_t *j) {
    char *s = json_dumps(j, JSON_ENSURE_ASCII | JSON_INDENT(1));
    puts(s ? s : "null");
    free(s);
}

static int c_exposures(reg *r, const opts *o, int nf, char **files) {
    (void)files;
    if (nf)
        return err2("exposures: unexpected argument");
    listctx x = {o, r->now, NULL, 0, 0};
    int rc = reg_query_exposures(r, o->cve, o->env, o->asset, o->purl, !o->all, exp_print, &x);
    if (o->json)
        fputs(x.n ? "\n]\n" : "[]\n", stdout); /* valid JSON even after an error */
    if (rc)
        fprintf(stderr, "defuse register: %s\n", r->err);
    else if (x.failed) {
        fprintf(stderr, "defuse register: cannot write the JSON output\n");
        rc = -1;
    } else if (!o->json && !x.n)
        printf("no exposures\n");
    return rc ? EXIT_ERROR : EXIT_CLEAN;
}

/* status: buckets per (env, owner) */
enum { B_OPEN, B_BREACHED, B_DUE_SOON, B_ON_TRACK, B_REVIEW, B_MITIGATED, B_ACCEPTED, B_FP,
       B_FIXED, B_COUNT };
static const char *const bucket_names[B_COUNT] = {"open",      "breached", "due_soon",
                                                  "on_track",  "review",   "mitigated",
                                                  "accepted",  "false_positive", "fixed"};
typedef struct bucket {
    char env[128], owner[256];
    long long n[B_COUNT];
} bucket;
typedef struct statctx {
    int64_t now;
    bucket *b;
    size_t nb, cb;
    long long total[B_COUNT];
    int oom;
} statctx;

static int stat_row(const reg_exposure *e, void *user) {
    statctx *s = user;
    size_t i;
    for (i = 0; i < s->nb; i++)
        if (!strcmp(s->b[i].env, e->env) && !strcmp(s->b[i].owner, e->owner))
            break;
    if (i == s->nb) {
        if (s->nb == s->cb) {
            size_t nc = s->cb ? s->cb * 2 : 8;
            bucket *nbv = realloc(s->b, nc * sizeof *nbv);
            if (!nbv) {
                s->oom = 1;
                return 1;
            }
            s->b = nbv, s->cb = nc;
        }
        memset(&s->b[i], 0, sizeof s->b[i]);
        snprintf(s->b[i].env, sizeof s->b[i].env, "%s", e->env);
        snprintf(s->b[i].owner, sizeof s->b[i].owner, "%s", e->owner);
        s->nb++;
    }
    int st = reg_state_by_name(e->state);
    int k[3] = {-1, -1, -1};
    switch (st) {
    case REG_ST_AFFECTED:
    case REG_ST_REVIEW: {
        reg_clock c = reg_sla_clock(s->now, e->due_at);
        k[0] = B_OPEN;
        k[1] = c == REG_CLOCK_BREACHED ? B_BREACHED : c == REG_CLOCK_DUE_SOON ? B_DUE_SOON
                                                                               : B_ON_TRACK;
        if (st == REG_ST_REVIEW)
            k[2] = B_REVIEW;
        break;
    }
    case REG_ST_MITIGATED: k[0] = B_MITIGATED; break;
    case REG_ST_ACCEPTED: k[0] = B_ACCEPTED; break;
    case REG_ST_FALSE_POSITIVE: k[0] = B_FP; break;
    default: k[0] = B_FIXED;
    }
    for (int j = 0; j < 3; j++)
        if (k[j] >= 0)
            s->b[i].n[k[j]]++, s->total[k[j]]++;
    return 0;
}

static int bucket_cmp(const void *a, const void *b) {
    const bucket *x = a, *y = b;
    int c = strcmp(x->env, y->env);
    return c ? c : strcmp(x->owner, y->owner);
}

static int c_status(reg *r, const opts *o, int nf, char **files) {
    (void)files;
    if (nf)
        return err2("status: unexpected argument");
    statctx s = {.now = r->now};
    if (reg_query_exposures(r, NULL, o->env, NULL, NULL, 0, stat_row, &s) || s.oom) {
        fprintf(stderr, "defuse register: %s\n", s.oom ? "out of memory" : r->err);
        free(s.b);
        return EXIT_ERROR;
    }
    if (s.nb) /* an empty register: s.b is NULL, which qsort may not be given */
        qsort(s.b, s.nb, sizeof *s.b, bucket_cmp);
    char now[32];
    reg_time_format(r->now, now);
    if (o->json) {
        json_t *j = json_object(), *arr = json_array(), *tot = json_object();
        json_object_set_new(j, "now", json_string(now));
        for (size_t i = 0; i < s.nb; i++) {
            json_t *b = json_pack("{s:s,s:s}", "env", s.b[i].env, "owner", s.b[i].owner);
            for (int k = 0; k < B_COUNT; k++)
                json_object_set_new(b, bucket_names[k], json_integer(s.b[i].n[k]));
            json_array_append_new(arr, b);
        }
        for (int k = 0; k < B_COUNT; k++)
            json_object_set_new(tot, bucket_names[k], json_integer(s.total[k]));
        json_object_set_new(j, "groups", arr);
        json_object_set_new(j, "total", tot);
        print_json(j);
        json_decref(j);
    } else {
        printf("as of %s\n%-10s %-16s %6s %8s %8s %8s %6s %9s %8s %6s %6s\n", now, "ENV", "OWNER",
               "OPEN", "BREACHED", "DUE<24H", "ONTRACK", "REVIEW", "MITIGATED", "ACCEPTED", "FALSE+",
               "FIXED");
        for (size_t i = 0; i <= s.nb; i++) {
            const long long *n = i < s.nb ? s.b[i].n : s.total;
            printf("%-10s %-16s %6lld %8lld %8lld %8lld %6lld %9lld %8lld %6lld %6lld\n",
                   i < s.nb ? s.b[i].env : "TOTAL", i < s.nb ? (*s.b[i].owner ? s.b[i].owner : "-") : "",
                   n[B_OPEN], n[B_BREACHED], n[B_DUE_SOON], n[B_ON_TRACK], n[B_REVIEW],
                   n[B_MITIGATED], n[B_ACCEPTED], n[B_FP], n[B_FIXED]);
        }
    }
    long long breached = s.total[B_BREACHED];
    free(s.b);
    return o->fail_breach && breached ? EXIT_FOUND : EXIT_CLEAN;
}

typedef struct rowsctx {
    const opts *o;
    json_t *arr;
    size_t n;
    int what; /* 0 assets, 1 history, 2 sla */
} rowsctx;

static int assets_row(void *user, int ncol, const char *const *c) {
    rowsctx *x = user;
    x->n++;
    int64_t first = c[6] ? atoll(c[6]) : 0, last = c[7] ? atoll(c[7]) : 0;
    /* columns 9..11: the last `defuse probe --register` verdict (NULL: never probed) */
    const char *verdict = ncol > 11 ? c[9] : NULL;
    int64_t vat = verdict && c[10] ? atoll(c[10]) : 0;
    if (x->o->json) {
        json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:I}", "name", c[0], "kind", c[1],
                              "env", c[2], "owner", c[3], "exposure", c[4], "tags", c[5],
                              "first_seen", jtime(first), "last_scan", jtime(last), "components",
                              (json_int_t)atoll(c[8] ? c[8] : "0"));
        json_object_set_new(a, "probe",
                            verdict ? json_pack("{s:s,s:o,s:s}", "verdict", verdict, "at",
                                                jtime(vat), "detail", c[11] ? c[11] : "")
                                    : json_null());
        json_array_append_new(x->arr, a);
        return 0;
    }
    if (x->n == 1)
        printf("%-20s %-12s %-10s %-16s %-9s %-10s %-20s %s\n", "ASSET", "KIND", "ENV", "OWNER",
               "EXPOSURE", "COMPONENTS", "LAST SCAN", "PROBE");
    char l[32], v[32];
    fmt_t(last, l);
    fmt_t(vat, v);
    printf("%-20s %-12s %-10s %-16s %-9s %-10s %-20s %s%s%s\n", c[0], c[1], c[2],
           *c[3] ? c[3] : "-", c[4], c[8] ? c[8] : "0", l, verdict ? verdict : "-",
           verdict ? " " : "", verdict ? v : "");
    return 0;
}

static int c_assets(reg *r, const opts *o, int nf, char **files) {
    (void)files;
    if (nf)
        return err2("assets: unexpected argument");
    rowsctx x = {o, json_array(), 0, 0};
    reg_val p[1] = {RV_S(o->env)};
    int rc = reg_store_exec(r->st, Q_ASSET_LIST, p, 1, assets_row, &x, NULL);
    if (rc)
        fprintf(stderr, "defuse register: %s\n", reg_store_error(r->st));
    else if (o->json)
        print_json(x.arr);
    else if (!x.n)
        printf("no assets\n");
    json_decref(x.arr);
    return rc ? EXIT_ERROR : EXIT_CLEAN;
}

static int hist_row(void *user, int ncol, const char *const *c) {
    rowsctx *x = user;
    x->n++;
    (void)ncol;
    char t[32];
    fmt_t(c[0] ? atoll(c[0]) : 0, t);
    if (x->o->json) {
        json_array_append_new(x->arr, json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s}", "at", t,
                                                "by", c[1], "event", c[2], "cve", c[3], "component",
                                                c[4], "old_state", c[5], "new_state", c[6],
                                                "detail", c[7] ? c[7] : ""));
        return 0;
    }
    printf("%s %-10s %-15s %-14s %s%s%s%s%s %s\n", t, c[1], c[2], c[3] ? c[3] : "",
           c[5] ? c[5] : "", c[5] || c[6] ? " -> " : "", c[6] ? c[6] : "", c[4] ? "  " : "",
           c[4] ? c[4] : "", c[7] ? c[7] : "");
    return 0;
}

static int c_history(reg *r, const opts *o, int nf, char **files) {
    (void)files;
    if (!o->asset || nf)
        return err2("history: needs --asset A");
    rowsctx x = {o, json_array(), 0, 1};
    reg_val p[1] = {RV_S(o->asset)};
    int rc = reg_store_exec(r->st, Q_HIST_LIST, p, 1, hist_row, &x, NULL);
    if (rc)
        fprintf(stderr, "defuse register: %s\n", reg_store_error(r->st));
    else if (o->json)
        print_json(x.arr);
    else if (!x.n)
        printf("no history for %s\n", o->asset);
    json_decref(x.arr);
    return rc ? EXIT_ERROR : EXIT_CLEAN;
}

static int control_cmd(reg *r, const opts *o, const char *kind, const char *control,
                       const char *evidence) {
    if (!o->asset || !o->cve || !control || !evidence)
        return err2("%s: needs --asset, --cve and %s", kind,
                    !strcmp(kind, "mitigation") ? "--control, --evidence" : "--reason");
    int64_t exp;
    if (parse_expires(o, &exp))
        return EXIT_ERROR;
    chctx x = {o, json_array(), 0, 0};
    int rc = reg_record_control(r, o->asset, o->cve, kind, control, evidence, exp, on_change, &x);
    if (rc)
        fprintf(stderr, "defuse register: %s (nothing written)\n", r->err);
    else if (o->json)
        print_json(x.arr);
    else if (!x.changed && !x.opened)
        printf("%s %s: recorded; no exposure changed state\n", o->asset, o->cve);
    json_decref(x.arr);
    return rc ? EXIT_ERROR : EXIT_CLEAN;
}

static int c_mitigate(reg *r, const opts *o, int nf, char **f) {
    (void)f;
    if (nf)
        return err2("mitigate: unexpected argument");
    return control_cmd(r, o, "mitigation", o->control, o->evidence);
}
static int c_accept(reg *r, const opts *o, int nf, char **f) {
    (void)f;
    if (nf)
        return err2("accept: unexpected argument");
    return control_cmd(r, o, "accepted", "accepted-risk", o->reason);
}
static int c_fp(reg *r, const opts *o, int nf, char **f) {
    (void)f;
    if (nf)
        return err2("false-positive: unexpected argument");
    return control_cmd(r, o, "false-positive", "false-positive", o->reason);
}

/* One probe verdict (reg_record_verdict checks it). */
static int verify_one(reg *r, const char *asset, const char *env, const char *verdict,
                      const char *evidence, const char *where) {
    reg_asset_attrs at = {.env = env};
    if (reg_record_verdict(r, asset, &at, verdict, 0, evidence)) {
        fprintf(stderr, "defuse register: %s%s\n", where, r->err);
        return -1;
    }
    return 0;
}

/* verify --batch: "ASSET<TAB>ENV<TAB>VERDICT[<TAB>EVIDENCE]" */
static int verify_line(reg *r, const opts *o, char **field, int n, const char *where) {
    return verify_one(r, field[0], batch_env(o, field[1]), field[2], n > 3 ? field[3] : NULL,
                      where);
}

static int c_verify(reg *r, const opts *o, int nf, char **f) {
    (void)f;
    if (nf)
        return err2("verify: unexpected argument");
    if (o->batch) {
        if (o->asset || o->verdict)
            return err2("verify --batch LIST: the assets and verdicts are in LIST");
        return batch_each(r, o, 3, "ASSET<TAB>ENV<TAB>VERDICT[<TAB>EVIDENCE]", "recorded",
                          verify_line);
    }
    if (!o->asset || !o->verdict)
        return err2("verify: --asset and --verdict are required (or --batch LIST)");
    if (verify_one(r, o->asset, o->env, o->verdict, o->evidence, ""))
        return EXIT_ERROR;
    if (o->json) {
        json_t *j = json_pack("{s:s,s:s}", "asset", o->asset, "verdict", o->verdict);
        print_json(j);
        json_decref(j);
    } else {
        printf("%s: probe verdict %s recorded\n", o->asset, o->verdict);
    }
    return EXIT_CLEAN;
}

static int c_sla(reg *r, const opts *o, int nf, char **f) {
    (void)f;
    if (nf)
        return err2("sla: unexpected argument");
    for (int i = 0; i < o->nsets; i++) {
        char sev[64], env[128] = "*";
        const char *eq = strchr(o->sets[i], '=');
        char *end;
        long long h = eq ? strtoll(eq + 1, &end, 10) : 0;
        if (!eq || eq == o->sets[i] || *end || h <= 0 || (size_t)(eq - o->sets[i]) >= sizeof sev)
            return err2("--set: \"%s\" is not SEVERITY[@ENV]=HOURS", o->sets[i]);
        snprintf(sev, sizeof sev, "%.*s", (int)(eq - o->sets[i]), o->sets[i]);
        char *at = strchr(sev, '@');
        if (at) {
            snprintf(env, sizeof env, "%s", at + 1);
            *at = 0;
        }
        if (reg_set_sla(r, sev, env, h)) {
            fprintf(stderr, "defuse register: %s\n", r->err);
            return EXIT_ERROR;
        }
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < r->sla.n; i++) {
        if (o->json)
            json_array_append_new(arr, json_pack("{s:s,s:s,s:I}", "severity", r->sla.rule[i].severity,
                                                 "env", r->sla.rule[i].env, "hours",
                                                 (json_int_t)r->sla.rule[i].hours));
        else
            printf("%-10s %-10s %lld h\n", r->sla.rule[i].severity, r->sla.rule[i].env,
                   (long long)r->sla.rule[i].hours);
    }
    if (o->json)
        print_json(arr);
    json_decref(arr);
    return EXIT_CLEAN;
}

static const char *tcol(const char *s, char out[32]) {
    if (!s)
        return "-";
    reg_time_format(atoll(s), out);
    return out;
}

static int vendor_row(void *user, int ncol, const char *const *c) {
    rowsctx *x = user;
    x->n++;
    (void)ncol;
    char t2[32], t4[32];
    if (x->o->json) {
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:s}", "name", c[0],
                              "products", c[1], "data_access", c[2], "status", c[3], "statement",
                              c[4], "contacted_at", jtime(c[5] ? atoll(c[5]) : 0), "answered_at",
                              jtime(c[6] ? atoll(c[6]) : 0), "access_limit", c[7],
                              "limit_lifted_at", jtime(c[8] ? atoll(c[8]) : 0), "next_followup",
                              jtime(c[9] ? atoll(c[9]) : 0), "owner", c[10]);
        json_array_append_new(x->arr, j);
        return 0;
    }
    if (x->n == 1)
        printf("%-20s %-13s %-20s %-20s %-16s %s\n", "VENDOR", "STATUS", "FOLLOW-UP", "ANSWERED",
               "OWNER", "DATA / ACCESS LIMIT");
    printf("%-20s %-13s %-20s %-20s %-16s %s%s%s\n", c[0], c[3], tcol(c[9], t4), tcol(c[6], t2),
           *c[10] ? c[10] : "-", c[2], *c[7] ? " / limited: " : "", c[7]);
    return 0;
}

static int c_vendors(reg *r, const opts *o, int nf, char **f) {
    (void)f;
    if (nf)
        return err2("vendors: unexpected argument");
    if (o->vendor) {
        struct {
            const char *s;
            int64_t *t;
            const char *opt;
        } dates[4];
        reg_vendor v = {o->vendor, o->products, o->data_access, o->status, o->statement,
                        o->access_limit, o->owner, 0, 0, 0, 0};
        dates[0].s = o->contacted, dates[0].t = &v.contacted_at, dates[0].opt = "--contacted";
        dates[1].s = o->answered, dates[1].t = &v.answered_at, dates[1].opt = "--answered";
        dates[2].s = o->lifted, dates[2].t = &v.limit_lifted_at, dates[2].opt = "--limit-lifted";
        dates[3].s = o->followup, dates[3].t = &v.next_followup, dates[3].opt = "--follow-up";
        for (int i = 0; i < 4; i++)
            if (dates[i].s && reg_time_parse(dates[i].s, dates[i].t))
                return err2("%s: \"%s\" is not an ISO 8601 date", dates[i].opt, dates[i].s);
        if (reg_vendor_put(r, &v)) {
            fprintf(stderr, "defuse register: %s (nothing written)\n", r->err);
            return EXIT_ERROR;
        }
    }
    rowsctx x = {o, json_array(), 0, 3};
    int rc = reg_vendor_list(r, o->overdue, vendor_row, &x);
    if (rc)
        fprintf(stderr, "defuse register: %s\n", r->err);
    else if (o->json)
        print_json(x.arr);
    else if (!x.n)
        printf(o->overdue ? "no vendor follow-up is overdue\n" : "no vendors\n");
    json_decref(x.arr);
    return rc ? EXIT_ERROR : EXIT_CLEAN;
}

static int c_vex(reg *r, const opts *o, int nf, char **f) {
    if (nf >= 1 && !strcmp(f[0], "import")) {
        if (nf != 2)
            return err2("vex import: needs exactly one FILE");
        size_t rec = 0, skip = 0;
        if (reg_vex_import(r, f[1], &rec, &skip)) {
            fprintf(stderr, "defuse register: %s%s\n", r->err,
                    rec ? " (verdicts recorded before it are kept)" : " (nothing written)");
            return EXIT_ERROR;
        }
        printf("%s: %zu verdicts recorded, %zu statements matched no open exposure or changed"
               " nothing\n", f[1], rec, skip);
        return EXIT_CLEAN;
    }
    if (nf)
        return err2("vex: unexpected argument (export takes none; import takes FILE)");
    int fmt = !o->format || !strcmp(o->format, "cyclonedx") ? REG_VEX_CYCLONEDX
              : !strcmp(o->format, "openvex")                ? REG_VEX_OPENVEX
                                                             : -1;
    if (fmt < 0)
        return err2("--format: \"%s\" is not cyclonedx or openvex", o->format);
    json_t *doc = reg_vex_export(r, fmt, o->asset, o->env);
    if (!doc) {
        fprintf(stderr, "defuse register: %s\n", r->err);
        return EXIT_ERROR;
    }
    print_json(doc);
    json_decref(doc);
    return EXIT_CLEAN;
}

static const struct sub {
    const char *name;
    int (*run)(reg *r, const opts *o, int nf, char **files);
    int needs_vdb;
} subs[] = {
    {"ingest", c_ingest, 1},     {"evaluate", c_evaluate, 1},   {"status", c_status, 0},
    {"exposures", c_exposures, 0}, {"assets", c_assets, 0},     {"history", c_history, 0},
    {"mitigate", c_mitigate, 1}, {"accept", c_accept, 1},       {"false-positive", c_fp, 1},
    {"sla", c_sla, 0},           {"vendors", c_vendors, 0},     {"vex", c_vex, 1},
    {"verify", c_verify, 0},
};

int cmd_register(int argc, char **argv) {
    enum { O_DB = 256, O_VULNDB, O_BY, O_ASSET, O_ENV, O_OWNER, O_EXPOSURE, O_KIND, O_TAGS, O_CVE,
           O_COMPONENT, O_CONTROL, O_EVIDENCE, O_REASON, O_EXPIRES, O_KEV, O_JSON, O_FAIL, O_ALL,
           O_SET, O_HELP, O_VENDOR, O_PRODUCTS, O_DATA, O_STATUS, O_STATEMENT, O_CONTACTED,
           O_ANSWERED, O_LIMIT, O_LIFTED, O_FOLLOWUP, O_OVERDUE, O_FORMAT, O_BATCH, O_VERDICT, O_FULL };
    static const struct option lo[] = {
        {"db", 1, 0, O_DB},          {"vulndb", 1, 0, O_VULNDB},     {"by", 1, 0, O_BY},
        {"asset", 1, 0, O_ASSET},    {"env", 1, 0, O_ENV},           {"owner", 1, 0, O_OWNER},
        {"exposure", 1, 0, O_EXPOSURE}, {"kind", 1, 0, O_KIND},      {"tags", 1, 0, O_TAGS},
        {"cve", 1, 0, O_CVE},        {"component", 1, 0, O_COMPONENT}, {"control", 1, 0, O_CONTROL},
        {"evidence", 1, 0, O_EVIDENCE}, {"reason", 1, 0, O_REASON},  {"expires", 1, 0, O_EXPIRES},
        {"kev", 1, 0, O_KEV},        {"json", 0, 0, O_JSON},         {"fail-on-breach", 0, 0, O_FAIL},
        {"all", 0, 0, O_ALL},        {"set", 1, 0, O_SET},           {"help", 0, 0, O_HELP},
        {"vendor", 1, 0, O_VENDOR},  {"products", 1, 0, O_PRODUCTS}, {"data-access", 1, 0, O_DATA},
        {"status", 1, 0, O_STATUS},  {"statement", 1, 0, O_STATEMENT},
        {"contacted", 1, 0, O_CONTACTED}, {"answered", 1, 0, O_ANSWERED},
        {"access-limit", 1, 0, O_LIMIT}, {"limit-lifted", 1, 0, O_LIFTED},
        {"follow-up", 1, 0, O_FOLLOWUP}, {"overdue", 0, 0, O_OVERDUE}, {"format", 1, 0, O_FORMAT},
        {"output", 1, 0, 'o'},       {"batch", 1, 0, O_BATCH},      {"verdict", 1, 0, O_VERDICT},
        {"full", 0, 0, O_FULL},      {0, 0, 0, 0}};
    opts o = {0};
    o.by = getenv("USER");
    o.db = getenv("DEFUSE_REGISTER_DB");
    int c;
    const char *outpath = NULL;
    optind = 1;
    opterr = 0; /* errors in the "defuse register: " style (cli_opt_error) */
    while ((c = getopt_long(argc, argv, ":ho:", lo, NULL)) != -1) {
        switch (c) {
        case 'o': outpath = optarg; break;
        case O_DB: o.db = optarg; break;
        case O_VULNDB: o.vulndb = optarg; break;
        case O_BY: o.by = optarg; break;
        case O_ASSET: o.asset = optarg; break;
        case O_ENV: o.env = optarg; break;
        case O_OWNER: o.owner = optarg; break;
        case O_EXPOSURE: o.exposure = optarg; break;
        case O_KIND: o.kind = optarg; break;
        case O_TAGS: o.tags = optarg; break;
        case O_CVE: o.cve = optarg; break;
        case O_COMPONENT: o.purl = optarg; break;
        case O_CONTROL: o.control = optarg; break;
        case O_EVIDENCE: o.evidence = optarg; break;
        case O_REASON: o.reason = optarg; break;
        case O_EXPIRES: o.expires = optarg; break;
        case O_KEV: o.kev = optarg; break;
        case O_JSON: o.json = 1; break;
        case O_FAIL: o.fail_breach = 1; break;
        case O_ALL: o.all = 1; break;
        case O_VENDOR: o.vendor = optarg; break;
        case O_PRODUCTS: o.products = optarg; break;
        case O_DATA: o.data_access = optarg; break;
        case O_STATUS: o.status = optarg; break;
        case O_STATEMENT: o.statement = optarg; break;
        case O_CONTACTED: o.contacted = optarg; break;
        case O_ANSWERED: o.answered = optarg; break;
        case O_LIMIT: o.access_limit = optarg; break;
        case O_LIFTED: o.lifted = optarg; break;
        case O_FOLLOWUP: o.followup = optarg; break;
        case O_OVERDUE: o.overdue = 1; break;
        case O_FORMAT: o.format = optarg; break;
        case O_BATCH: o.batch = optarg; break;
        case O_VERDICT: o.verdict = optarg; break;
        case O_FULL: o.full = 1; break;
        case O_SET:
            if (o.nsets == 32)
                return err2("--set: at most 32");
            o.sets[o.nsets++] = optarg;
            break;
        case 'h':
        case O_HELP:
            fputs(cli_help_register, stdout);
            fputs(cli_help_register_more, stdout);
            return EXIT_CLEAN;
        default: return cli_opt_error("register", c, argv);
        }
    }
    if (cli_output("register", outpath) < 0)
        return EXIT_ERROR;
    if (optind >= argc) {
        fputs(cli_help_register, stderr);
        fputs(cli_help_register_more, stderr);
        return EXIT_ERROR;
    }
    const struct sub *s = NULL;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(subs[i].name, argv[optind]))
            s = &subs[i];
    if (!s)
        return err2("'%s' is not a register command (see --help)", argv[optind]);
    int64_t now;
    char err[256];
    if (reg_now(&now, err, sizeof err)) {
        fprintf(stderr, "defuse register: %s\n", err);
        return EXIT_ERROR;
    }
    defuse_vulndb *vdb = NULL;
    if (s->needs_vdb && load_vdb(&o, &vdb))
        return EXIT_ERROR;
    reg r;
    if (reg_open(&r, o.db && *o.db ? o.db : "defuse-register.db", now, o.by)) {
        fprintf(stderr, "defuse register: %s\n", r.err);
        reg_close(&r);
        defuse_vulndb_free(vdb);
        return EXIT_ERROR;
    }
    r.vdb = vdb;
    int rc = s->run(&r, &o, argc - optind - 1, argv + optind + 1);
    reg_close(&r);
    defuse_vulndb_free(vdb);
    return rc;
}
