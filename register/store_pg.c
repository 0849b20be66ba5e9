/*
 * store_pg.c -- the PostgreSQL driver of the register's storage interface
 * (store.h), for a team's central register that many hosts write to: libpq,
 * the same SQL table as SQLite (schema.c), parameters sent as text and
 * typed by the server, every write transaction SERIALIZABLE (two hosts
 * ingesting the same asset at once: one of them fails and writes nothing,
 * never a mix of both).
 *
 * Speed (docs/register.md, benchmark): each statement of the SQL table is
 * prepared once per connection, and inside a transaction the connection
 * is in libpq's pipeline mode: a statement that returns nothing the caller
 * asked for (an INSERT or UPDATE with no row callback) is queued without
 * waiting for its answer; the queue is synchronised and its results read
 * before a statement whose rows are wanted, at commit, and every
 * PIPE_MAX statements (so that neither side's socket buffer fills while
 * the other waits).  A failure of a queued statement is reported by the
 * call that synchronises: the transaction fails as a whole, as it would
 * have at that statement.
 */
#include "store.h"

#include <dlfcn.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- libpq, opened by the first PostgreSQL connection ------------------------ */

/* libpq is opened with dlopen(), not linked: a `defuse register` on SQLite
 * (the default, and every query a cron job or a report runs) would
 * otherwise load libpq and its twenty dependencies (Kerberos, LDAP, TLS)
 * at start -- 8.5 ms of a 17 ms start, against a 50 ms query budget
 * (docs/register.md, MEASURED).  As sinks/sinks.c does for libcurl. */
#define PQ_SONAME "libpq.so.5"
#define PQ_FUNCS(X) \
    X(PQclear) \
    X(PQcmdTuples) \
    X(PQconnectdb) \
    X(PQenterPipelineMode) \
    X(PQerrorMessage) \
    X(PQexec) \
    X(PQexecParams) \
    X(PQexecPrepared) \
    X(PQexitPipelineMode) \
    X(PQfinish) \
    X(PQgetResult) \
    X(PQgetisnull) \
    X(PQgetvalue) \
    X(PQnfields) \
    X(PQntuples) \
    X(PQpipelineSync) \
    X(PQprepare) \
    X(PQresultErrorField) \
    X(PQresultErrorMessage) \
    X(PQresultStatus) \
    X(PQsendPrepare) \
    X(PQsendQueryParams) \
    X(PQsendQueryPrepared) \
    X(PQsetNoticeProcessor) \
    X(PQstatus)

static struct pq_api {
#define PQ_FIELD(f) __typeof__(f) *f;
    PQ_FUNCS(PQ_FIELD)
#undef PQ_FIELD
} pq;

static const struct pq_sym {
    const char *name;
    size_t off;
} pq_syms[] = {
#define PQ_SYM(f) {#f, offsetof(struct pq_api, f)},
    PQ_FUNCS(PQ_SYM)
#undef PQ_SYM
};

static pthread_once_t pq_once = PTHREAD_ONCE_INIT;
static char pq_err[300]; /* empty: pq is usable */

static void pq_load(void) {
    void *h = dlopen(PQ_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(pq_err, sizeof pq_err, "%s (Debian package libpq5)", e ? e : "dlopen failed");
        return;
    }
    for (size_t i = 0; i < sizeof pq_syms / sizeof pq_syms[0]; i++) {
        void *f = dlsym(h, pq_syms[i].name);
        if (!f) {
            snprintf(pq_err, sizeof pq_err, "%s: no symbol %s", PQ_SONAME, pq_syms[i].name);
            return;
        }
        /* POSIX: a function's address round-trips through void *. */
        memcpy((char *)&pq + pq_syms[i].off, &f, sizeof f);
    }
}

/* ---- the driver ---------------------------------------------------------------- */

#define MAX_COLS 32
#define PIPE_MAX 256 /* statements queued before their results are read */

typedef struct pg {
    PGconn *c;
    char sqlstate[6]; /* of the last failure */
    /* statements of the SQL table prepared on this connection (server-side
     * "qN"): parsed and planned once per connection, not once per row */
    unsigned char prepared[Q_COUNT];
    int pipe;                  /* in pipeline mode (inside a transaction) */
    int nq;                    /* commands queued since the last sync */
    short qprep[PIPE_MAX + 4]; /* per queued command: the statement it prepares, or -1 */
} pg;

/* The highest $N in sql: PostgreSQL refuses more parameters than the
 * statement uses, SQLite ignores them. */
static int nparams(const char *sql) {
    int max = 0;
    for (const char *p = sql; (p = strchr(p, '$')); p++) {
        int n = atoi(p + 1);
        if (n > max)
            max = n;
    }
    return max;
}

/* Server notices ("there is no transaction in progress" after a COMMIT
 * that failed) are not for the user: the library never prints. */
static void quiet(void *arg, const char *message) {
    (void)arg, (void)message;
}

static int pg_open(void **h, const char *target, char *err, size_t errlen) {
    pthread_once(&pq_once, pq_load);
    if (*pq_err) {
        snprintf(err, errlen, "postgresql: cannot load %s", pq_err);
        return -1;
    }
    pg *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    PGconn *c = pq.PQconnectdb(target);
    if (!c || pq.PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "postgresql: %s", c ? pq.PQerrorMessage(c) : "out of memory");
        pq.PQfinish(c);
        free(g);
        return -1;
    }
    pq.PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = pq.PQexec(c, "SET client_min_messages = warning");
    pq.PQclear(r);
    g->c = c;
    *h = g;
    return 0;
}

static void pg_close(void *h) {
    pg *g = h;
    if (g)
        pq.PQfinish(g->c);
    free(g);
}

static int pg_fail(pg *g, const PGresult *r, char *err, size_t errlen) {
    PGconn *c = g->c;
    const char *code = r ? pq.PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(g->sqlstate, sizeof g->sqlstate, "%s", code ? code : "");
    const char *m = r ? pq.PQresultErrorMessage(r) : pq.PQerrorMessage(c);
    snprintf(err, errlen, "postgresql: %s", m && *m ? m : pq.PQerrorMessage(c));
    size_t l = strlen(err);
    while (l && (err[l - 1] == '\n' || err[l - 1] == ' '))
        err[--l] = 0;
    return -1;
}

/* Rows of a result to cb; *changes from it. */
static void deliver(PGresult *r, reg_row_cb cb, void *user, int64_t *changes) {
    if (cb && pq.PQresultStatus(r) == PGRES_TUPLES_OK) {
        int nc = pq.PQnfields(r);
        if (nc > MAX_COLS)
            nc = MAX_COLS;
        const char *cols[MAX_COLS];
        for (int row = 0; row < pq.PQntuples(r); row++) {
            for (int k = 0; k < nc; k++)
                cols[k] = pq.PQgetisnull(r, row, k) ? NULL : pq.PQgetvalue(r, row, k);
            if (cb(user, nc, cols))
                break;
        }
    }
    if (changes)
        *changes = atoll(pq.PQcmdTuples(r));
}

/* Synchronises the pipeline and reads every queued command's result; the
 * last command's rows go to cb (when cb or changes is given).  Returns 0,
 * or -1 with the first failure in err (later commands were not run). */
static int pipe_sync(pg *g, reg_row_cb cb, void *user, int64_t *changes, char *err,
                     size_t errlen) {
    PGconn *c = g->c;
    int rc = 0, k = 0, nulls = 0;
    if (pq.PQpipelineSync(c) != 1) {
        g->nq = 0;
        return pg_fail(g, NULL, err, errlen);
    }
    for (;;) {
        PGresult *r = pq.PQgetResult(c);
        if (!r) {
            /* one NULL ends each command's results; more in a row: the
             * connection is lost, nothing more will come */
            if (++nulls > 2 || pq.PQstatus(c) != CONNECTION_OK) {
                if (!rc)
                    rc = pg_fail(g, NULL, err, errlen);
                break;
            }
            continue;
        }
        nulls = 0;
        ExecStatusType st = pq.PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            pq.PQclear(r);
            break;
        }
        int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
        if (k < g->nq && g->qprep[k] >= 0 && !ok)
            g->prepared[g->qprep[k]] = 0; /* its PREPARE failed or never ran */
        if (!ok && st != PGRES_PIPELINE_ABORTED && !rc)
            rc = pg_fail(g, r, err, errlen);
        else if (ok && !rc && k == g->nq - 1 && (cb || changes))
            deliver(r, cb, user, changes);
        pq.PQclear(r);
        k++;
    }
    g->nq = 0;
    return rc;
}

/* pg_exec inside a transaction: queue, and wait only when rows are wanted. */
static int pipe_exec(pg *g, int id, const char *sql, int n, const char *const *vals,
                     reg_row_cb cb, void *user, int64_t *changes, char *err, size_t errlen) {
    PGconn *c = g->c;
    int ok;
    if (id >= 0 && id < Q_COUNT) {
        char name[16];
        snprintf(name, sizeof name, "q%d", id);
        if (!g->prepared[id]) {
            if (pq.PQsendPrepare(c, name, sql, n, NULL) != 1)
                return pg_fail(g, NULL, err, errlen);
            g->prepared[id] = 1;
            g->qprep[g->nq++] = (short)id;
        }
        ok = pq.PQsendQueryPrepared(c, name, n, vals, NULL, NULL, 0);
    } else {
        ok = pq.PQsendQueryParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    }
    if (ok != 1)
        return pg_fail(g, NULL, err, errlen);
    g->qprep[g->nq++] = -1;
    if (cb || changes || g->nq >= PIPE_MAX)
        return pipe_sync(g, cb, user, changes, err, errlen);
    return 0;
}

static int pg_exec(void *h, int id, const char *sql, const reg_val *p, int np, reg_row_cb cb,
                   void *user, int64_t *changes, char *err, size_t errlen) {
    pg *g = h;
    PGconn *c = g->c;
    char buf[MAX_COLS][40];
    const char *vals[MAX_COLS];
    int n = nparams(sql);
    if (n > np || n > MAX_COLS) {
        snprintf(err, errlen, "internal: statement needs %d parameters, %d given", n, np);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        switch (p[i].t) {
        case REG_TEXT: vals[i] = p[i].s; break;
        case REG_INT:
            snprintf(buf[i], sizeof buf[i], "%lld", (long long)p[i].i);
            vals[i] = buf[i];
            break;
        case REG_REAL:
            snprintf(buf[i], sizeof buf[i], "%.17g", p[i].d);
            vals[i] = buf[i];
            break;
        default: vals[i] = NULL;
        }
    }
    if (g->pipe)
        return pipe_exec(g, id, sql, n, vals, cb, user, changes, err, errlen);
    PGresult *r;
    if (id >= 0 && id < Q_COUNT) {
        char name[16];
        snprintf(name, sizeof name, "q%d", id);
        if (!g->prepared[id]) {
            /* not transactional: a statement prepared inside a transaction
             * that rolls back stays prepared */
            r = pq.PQprepare(c, name, sql, n, NULL);
            if (pq.PQresultStatus(r) != PGRES_COMMAND_OK) {
                pg_fail(g, r, err, errlen);
                pq.PQclear(r);
                return -1;
            }
            pq.PQclear(r);
            g->prepared[id] = 1;
        }
        r = pq.PQexecPrepared(c, name, n, vals, NULL, NULL, 0);
    } else {
        r = pq.PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    }
    ExecStatusType st = pq.PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        pg_fail(g, r, err, errlen);
        pq.PQclear(r);
        return -1;
    }
    deliver(r, cb, user, changes);
    pq.PQclear(r);
    return 0;
}

static int pipe_end(pg *g, char *err, size_t errlen);

/* PQexec is refused in pipeline mode: a script inside a transaction (a
 * schema migration) leaves it, runs, and enters it again. */
static int pg_script(void *h, const char *sql, char *err, size_t errlen) {
    pg *g = h;
    if (g->pipe) {
        if (pipe_end(g, err, errlen))
            return -1;
        int rc = pg_script(h, sql, err, errlen);
        if (pq.PQenterPipelineMode(g->c) != 1)
            return rc ? rc : pg_fail(g, NULL, err, errlen);
        g->pipe = 1, g->nq = 0;
        return rc;
    }
    PGresult *r = pq.PQexec(g->c, sql);
    int ok = pq.PQresultStatus(r) == PGRES_COMMAND_OK || pq.PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        pg_fail(g, r, err, errlen);
    pq.PQclear(r);
    return ok ? 0 : -1;
}

/* 40001 serialization_failure, 40P01 deadlock_detected */
static int pg_retryable(void *h) {
    pg *g = h;
    return !strcmp(g->sqlstate, "40001") || !strcmp(g->sqlstate, "40P01");
}

static int pg_begin(void *h, char *err, size_t errlen) {
    pg *g = h;
    g->sqlstate[0] = 0; /* a failure of an earlier transaction is not this one's */
    if (pg_script(h, "BEGIN ISOLATION LEVEL SERIALIZABLE", err, errlen))
        return -1;
    if (pq.PQenterPipelineMode(g->c) != 1) {
        pg_fail(g, NULL, err, errlen);
        char e[256];
        pg_script(h, "ROLLBACK", e, sizeof e);
        return -1;
    }
    g->pipe = 1, g->nq = 0;
    return 0;
}

/* Leaves pipeline mode, reading what is still queued.  OUT: err. */
static int pipe_end(pg *g, char *err, size_t errlen) {
    int rc = 0;
    if (!g->pipe)
        return 0;
    if (g->nq)
        rc = pipe_sync(g, NULL, NULL, NULL, err, errlen);
    if (pq.PQexitPipelineMode(g->c) != 1 && !rc)
        rc = pg_fail(g, NULL, err, errlen);
    g->pipe = 0;
    return rc;
}

static int pg_commit(void *h, char *err, size_t errlen) {
    pg *g = h;
    if (pipe_end(g, err, errlen))
        return -1;
    return pg_script(h, "COMMIT", err, errlen);
}
static int pg_rollback(void *h) {
    pg *g = h;
    char e[256];
    pipe_end(g, e, sizeof e);
    return pg_script(h, "ROLLBACK", e, sizeof e);
}

const reg_backend reg_backend_pg = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .script = pg_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .retryable = pg_retryable,
};
