/*
 * store_sqlite.c -- the SQLite driver of the register's storage interface
 * (store.h): one database file in WAL mode (readers never block the one
 * writer), a busy timeout instead of SQLITE_BUSY failures when several
 * processes ingest at once, foreign-free plain SQL from schema.c, and one
 * prepared statement cached per statement of the SQL table.
 */
#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 30000

#define MAX_PARAMS 32

typedef struct sq {
    sqlite3 *db;
    sqlite3_stmt *cache[Q_COUNT];
    /* pidx[q][i]: the bind index of "$(i+1)" in statement q, 0 if unused
     * (looked up once per prepared statement, not once per execution) */
    unsigned char pidx[Q_COUNT][MAX_PARAMS];
} sq;

static int fail(sqlite3 *db, char *err, size_t errlen, const char *what) {
    snprintf(err, errlen, "sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
    return -1;
}

static int sq_script(void *h, const char *sql, char *err, size_t errlen) {
    sq *s = h;
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "sqlite: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Bytes of WAL past which a closing connection checkpoints and empties it.
 * No checkpoint on close is the rule (see sq_open), but a WAL that big is
 * read whole by the first connection of every later process (its index,
 * in the -shm file, is rebuilt when no connection holds it): after an
 * `evaluate` left 184 MB, each `exposures` query took 160 ms instead of
 * 40; after a two-process `ingest --batch` of 10,000 assets the WAL was
 * 1.8 GB, as concurrent writers never let it restart from the beginning. */
#define WAL_TRUNCATE_BYTES (64LL << 20)

static void sq_close(void *h) {
    sq *s = h;
    if (!s)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->cache[i]);
    const char *db = s->db ? sqlite3_db_filename(s->db, "main") : NULL;
    char wal[4096];
    struct stat st;
    if (db && *db && snprintf(wal, sizeof wal, "%s-wal", db) < (int)sizeof wal &&
        !stat(wal, &st) && st.st_size > WAL_TRUNCATE_BYTES)
        /* busy (another connection reading or writing): left to the last one */
        sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_close(s->db);
    free(s);
}

static int sq_open(void **h, const char *target, char *err, size_t errlen) {
    *h = NULL;
    sq *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* NOMUTEX: a store is used by one thread at a time (store.h), so the
     * connection's own locking is not needed (a lock pair per column read:
     * 3% of a 17,904-row query) */
    if (sqlite3_open_v2(target, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", target, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        sq_close(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    /* No checkpoint when a connection closes: each ingest is one short
     * process, and a checkpoint (two fsyncs) per process was most of an
     * ingest's time; the WAL is checkpointed every 1000 pages instead. */
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
    /* WAL: one writer and any number of readers at once; synchronous
     * NORMAL is durable across application crashes (kill -9) in WAL. */
    if (sq_script(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", err, errlen)) {
        sq_close(s);
        return -1;
    }
    *h = s;
    return 0;
}

/* Fills idx[0..MAX_PARAMS) with the bind index of $1.. in st (0: unused). */
static void param_map(sqlite3_stmt *st, unsigned char *idx) {
    char name[16];
    for (int i = 0; i < MAX_PARAMS; i++) {
        snprintf(name, sizeof name, "$%d", i + 1);
        int k = sqlite3_bind_parameter_index(st, name);
        idx[i] = (unsigned char)(k > 0 && k <= 255 ? k : 0);
    }
}

static int bind(sqlite3_stmt *st, const unsigned char *idx, const reg_val *p, int np) {
    if (np > MAX_PARAMS)
        return SQLITE_RANGE;
    for (int i = 0; i < np; i++) {
        int k = idx[i];
        if (!k)
            continue; /* a parameter the statement does not use */
        int rc;
        switch (p[i].t) {
        case REG_TEXT:
            rc = p[i].s ? sqlite3_bind_text(st, k, p[i].s, -1, SQLITE_TRANSIENT)
                        : sqlite3_bind_null(st, k);
            break;
        case REG_INT:
            rc = sqlite3_bind_int64(st, k, p[i].i);
            break;
        case REG_REAL:
            rc = sqlite3_bind_double(st, k, p[i].d);
            break;
        default:
            rc = sqlite3_bind_null(st, k);
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

#define MAX_COLS 32

static int sq_exec(void *h, int id, const char *sql, const reg_val *p, int np, reg_row_cb cb,
                   void *user, int64_t *changes, char *err, size_t errlen) {
    sq *s = h;
    int cached = id >= 0 && id < Q_COUNT;
    sqlite3_stmt *st = cached ? s->cache[id] : NULL;
    unsigned char tmp[MAX_PARAMS], *idx = cached ? s->pidx[id] : tmp;
    if (!st) {
        if (sqlite3_prepare_v3(s->db, sql, -1, cached ? SQLITE_PREPARE_PERSISTENT : 0, &st,
                               NULL) != SQLITE_OK)
            return fail(s->db, err, errlen, "prepare");
        param_map(st, idx);
        if (cached)
            s->cache[id] = st;
    }
    int rc = bind(st, idx, p, np);
    if (rc != SQLITE_OK) {
        fail(s->db, err, errlen, "bind");
        goto out;
    }
    const char *cols[MAX_COLS];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!cb)
            continue;
        int n = sqlite3_column_count(st);
        if (n > MAX_COLS)
            n = MAX_COLS;
        for (int i = 0; i < n; i++)
            cols[i] = (const char *)sqlite3_column_text(st, i);
        if (cb(user, n, cols)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        fail(s->db, err, errlen, "step");
        goto out;
    }
    if (changes)
        *changes = sqlite3_changes64(s->db);
    rc = SQLITE_OK;
out:
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!cached)
        sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

/* BEGIN IMMEDIATE takes the write lock at once, so two ingests never both
 * read the old state and then collide on the first write. */
static int sq_begin(void *h, char *err, size_t errlen) {
    return sq_script(h, "BEGIN IMMEDIATE", err, errlen);
}
static int sq_commit(void *h, char *err, size_t errlen) {
    return sq_script(h, "COMMIT", err, errlen);
}
static int sq_rollback(void *h) {
    char e[256];
    return sq_script(h, "ROLLBACK", e, sizeof e);
}

const reg_backend reg_backend_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .script = sq_script,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    /* 16 GiB of address space, not of memory: a 10,000-asset register is
     * 1.6 GB, and evaluating it through read() copied every page (3 s of
     * system time of 11.6 s); mapped, 8.9 s */
    .bulk_sql = "PRAGMA mmap_size=17179869184;",
    /* `exposures --cve C --env E` on 10,000 x 200: 17,904 rows read from
     * this index alone in 7 ms; through the table's rows, 45 ms */
    .cover = ", state, certain, opened_at, closed_at, evidence, product, version, purl, path,"
             " owner, exposure, kind, updated_at",
};
