/*
 * store.h -- the one storage interface of the exposure register.
 *
 * Two layers, so that the SQL and the logic over it exist once:
 *
 *   reg_backend  a vtable a database driver fills: open (and migrate),
 *                close, begin/commit/rollback, and exec of one statement
 *                with typed parameters and a row callback.  SQLite
 *                (store_sqlite.c) is the embedded default; PostgreSQL
 *                (libpq, "postgresql://..." URLs) is the next driver and
 *                needs nothing else from this file.
 *   reg_store    the register's operations (store.c): migrate, upsert an
 *                asset, replace the observed components of an asset,
 *                record a scan, exposures, controls (mitigations and
 *                verdicts), history, CVEs, SLA policy, vendors.  Each runs
 *                statements of the one SQL table (schema.c), written in
 *                the dialect both databases share: $1-style parameters,
 *                INSERT ... ON CONFLICT ... DO UPDATE (SQLite >= 3.24,
 *                PostgreSQL >= 9.5), BIGINT epoch seconds (UTC) for every
 *                time, natural text keys (no AUTOINCREMENT / SERIAL).
 *
 * Conventions: functions return 0 or -1 with a message in the store's
 * error buffer (reg_store_error()); strings handed to row callbacks are
 * BORROWED until the callback returns; nothing here prints or exits.
 */
#ifndef DEFUSE_REGISTER_STORE_H
#define DEFUSE_REGISTER_STORE_H

#include <stddef.h>
#include <stdint.h>

/* A statement parameter. */
typedef enum reg_vtype { REG_NULL = 0, REG_TEXT, REG_INT, REG_REAL } reg_vtype;
typedef struct reg_val {
    reg_vtype t;
    const char *s; /* REG_TEXT (NULL means SQL NULL) */
    int64_t i;     /* REG_INT */
    double d;      /* REG_REAL */
} reg_val;

static inline reg_val reg_text(const char *s) {
    reg_val v = {.t = s ? REG_TEXT : REG_NULL, .s = s};
    return v;
}
#define RV_S(x) reg_text(x)
#define RV_I(x) ((reg_val){.t = REG_INT, .i = (int64_t)(x)})
#define RV_D(x) ((reg_val){.t = REG_REAL, .d = (x)})
#define RV_N ((reg_val){.t = REG_NULL})

/* One result row: col[0..ncol) as text, NULL for SQL NULL (BORROWED).
 * Return 0 to continue, non-zero to stop (exec then returns 0). */
typedef int (*reg_row_cb)(void *user, int ncol, const char *const *col);

/* Statements are named by their index in the SQL table (schema.c), so a
 * driver may prepare each once and cache it. */
typedef struct reg_backend {
    const char *name; /* "sqlite", "postgresql" */
    /* Opens the database at target (a path or a URL); OUT: *h. */
    int (*open)(void **h, const char *target, char *err, size_t errlen);
    void (*close)(void *h);
    /* Runs statement number id, text sql, with params p[0..np).  Rows go to
     * cb (may be NULL).  *changes (may be NULL) receives the rows changed. */
    int (*exec)(void *h, int id, const char *sql, const reg_val *p, int np, reg_row_cb cb,
                void *user, int64_t *changes, char *err, size_t errlen);
    /* Runs SQL text without parameters (schema migrations). */
    int (*script)(void *h, const char *sql, char *err, size_t errlen);
    int (*begin)(void *h, char *err, size_t errlen); /* a write transaction */
    int (*commit)(void *h, char *err, size_t errlen);
    int (*rollback)(void *h);
    /* 1 if the last failure was a serialization failure or deadlock that
     * the same transaction may pass when run again. */
    int (*retryable)(void *h);
    /* SQL run (script) before a pass that reads the whole register
     * (reg_store_bulk()); NULL: nothing to do. */
    const char *bulk_sql;
    /* What REG_COVER in a migration becomes (schema.c): extra columns of
     * the exposure query index, "" for none. */
    const char *cover;
} reg_backend;

/* Marks, in a migration's text, where a driver's index columns go. */
#define REG_COVER "@COVER@"

extern const reg_backend reg_backend_sqlite;
extern const reg_backend reg_backend_pg; /* store_pg.c (libpq) */

/* ---- the SQL table (schema.c) ---------------------------------------------- */

/* Migrations: migration[i] brings the schema from version i to i+1. */
extern const char *const reg_migrations[];
extern const int reg_nmigrations;

/* Statements of the register, one enum entry and one SQL text each. */
typedef enum reg_q {
    Q_SCHEMA_VERSION,
    Q_MIGRATION_DONE,
    Q_ASSET_GET,
    Q_ASSET_INSERT,
    Q_ASSET_UPDATE,
    Q_ASSET_SCANNED,
    Q_ASSET_LIST,
    Q_ASSET_VERDICT,
    Q_SCAN_SEEN,
    Q_SCAN_INSERT,
    Q_COMP_LIST,
    Q_COMP_UPSERT,
    Q_COMP_GONE,
    Q_CVE_LIST,
    Q_CVE_UPSERT,
    Q_CVE_KEV,
    Q_EXP_LIST_ASSET,
    Q_EXP_INSERT,
    Q_EXP_UPDATE,
    Q_EXP_ASSET,
    Q_EXP_QUERY,
    Q_EXP_QUERY_CVE,
    Q_EXP_QUERY_CVE_ENV,
    Q_EXP_QUERY_ASSET,
    Q_COMP_BY_NV,
    Q_COMP_BY_N_NOVERSION,
    Q_EXP_BY_NV,
    Q_EXP_BY_N_NOVERSION,
    Q_CTL_ALL,
    Q_ASSET_ATTRS,
    Q_MATCH_LIST,
    Q_MATCH_GET,
    Q_MATCH_PUT,
    Q_MATCH_CLEAR,
    Q_META_GET,
    Q_META_PUT,
    Q_CTL_EXPIRED,
    Q_CTL_LIST_ASSET,
    Q_CTL_UPSERT,
    Q_HIST_INSERT,
    Q_HIST_LIST,
    Q_SLA_LIST,
    Q_SLA_SET,
    Q_VENDOR_UPSERT,
    Q_VENDOR_LIST,
    Q_COUNT
} reg_q;
extern const char *const reg_sql[Q_COUNT];

/* ---- the store ----------------------------------------------------------------- */

typedef struct reg_store reg_store;

/* Opens target: "postgresql://..." / "postgres://..." (the PostgreSQL
 * driver; refused while it is not built), else a SQLite file path
 * (created if absent).  Applies every migration not yet applied, each in
 * its own transaction.  OUT: *out (free with reg_store_close()).
 * Returns 0, or -1 with a message in err. */
int reg_store_open(reg_store **out, const char *target, char *err, size_t errlen);
void reg_store_close(reg_store *s);
/* The last error message (never NULL). */
const char *reg_store_error(const reg_store *s);
/* The schema version after open. */
int reg_store_schema_version(const reg_store *s);

int reg_store_begin(reg_store *s);
int reg_store_commit(reg_store *s);
void reg_store_rollback(reg_store *s);
/* 1 if the last failure may pass when its transaction is run again. */
int reg_store_retryable(const reg_store *s);
/* Tunes the connection for a pass over every asset (evaluate): SQLite maps
 * the file instead of reading each page into its cache.  Not for short
 * queries: mapping costs a page fault per page touched. */
int reg_store_bulk(reg_store *s);

/* Runs statement q of the SQL table with p[0..np); rows to cb.  OUT:
 * *changes (may be NULL). */
int reg_store_exec(reg_store *s, reg_q q, const reg_val *p, int np, reg_row_cb cb, void *user,
                   int64_t *changes);

#endif
