/*
 * store.c -- the register's store over a driver (store.h): choosing the
 * driver from the target, schema migrations, transactions and statement
 * execution by name.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct reg_store {
    const reg_backend *be;
    void *h;
    int version;
    int in_tx;
    char err[512];
};

const char *reg_store_error(const reg_store *s) {
    return s ? s->err : "no store";
}
int reg_store_schema_version(const reg_store *s) {
    return s->version;
}

static int version_row(void *user, int ncol, const char *const *col) {
    *(int *)user = ncol > 0 && col[0] ? atoi(col[0]) : 0;
    return 0;
}

/* sql with each REG_COVER replaced by cover (malloc'd, NULL if out of
 * memory). */
static char *with_cover(const char *sql, const char *cover) {
    size_t n = 0, ml = strlen(REG_COVER), cl = strlen(cover);
    for (const char *p = sql; (p = strstr(p, REG_COVER)); p += ml)
        n++;
    char *out = malloc(strlen(sql) + n * cl + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = sql, *q; ; p = q + ml) {
        q = strstr(p, REG_COVER);
        size_t l = q ? (size_t)(q - p) : strlen(p);
        memcpy(o, p, l);
        o += l;
        if (!q)
            break;
        memcpy(o, cover, cl);
        o += cl;
    }
    *o = 0;
    return out;
}

static int migrate(reg_store *s) {
    if (s->be->script(s->h,
                      "CREATE TABLE IF NOT EXISTS reg_migrations (version INTEGER PRIMARY KEY,"
                      " applied_at BIGINT NOT NULL)",
                      s->err, sizeof s->err))
        return -1;
    for (;;) {
        if (reg_store_begin(s))
            return -1;
        int v = 0;
        if (reg_store_exec(s, Q_SCHEMA_VERSION, NULL, 0, version_row, &v, NULL))
            goto fail;
        if (v > reg_nmigrations) {
            snprintf(s->err, sizeof s->err,
                     "the register's schema is version %d, newer than this program's %d", v,
                     reg_nmigrations);
            goto fail;
        }
        if (v == reg_nmigrations) {
            s->version = v;
            return reg_store_commit(s);
        }
        reg_val p[2] = {RV_I(v + 1), RV_I(time(NULL))};
        char *sql = with_cover(reg_migrations[v], s->be->cover ? s->be->cover : "");
        if (!sql) {
            snprintf(s->err, sizeof s->err, "out of memory");
            goto fail;
        }
        int rc = s->be->script(s->h, sql, s->err, sizeof s->err);
        free(sql);
        if (rc ||
            reg_store_exec(s, Q_MIGRATION_DONE, p, 2, NULL, NULL, NULL) || reg_store_commit(s))
            goto fail;
    }
fail:
    reg_store_rollback(s);
    return -1;
}

int reg_store_open(reg_store **out, const char *target, char *err, size_t errlen) {
    *out = NULL;
    const reg_backend *be = &reg_backend_sqlite;
    if (!strncmp(target, "postgresql://", 13) || !strncmp(target, "postgres://", 11))
        be = &reg_backend_pg;
    reg_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->be = be;
    if (be->open(&s->h, target, err, errlen)) {
        free(s);
        return -1;
    }
    if (migrate(s)) {
        snprintf(err, errlen, "%s: %s", be == &reg_backend_pg ? "postgresql" : target, s->err);
        reg_store_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void reg_store_close(reg_store *s) {
    if (!s)
        return;
    if (s->in_tx)
        s->be->rollback(s->h);
    s->be->close(s->h);
    free(s);
}

int reg_store_begin(reg_store *s) {
    if (s->be->begin(s->h, s->err, sizeof s->err))
        return -1;
    s->in_tx = 1;
    return 0;
}
int reg_store_commit(reg_store *s) {
    if (s->be->commit(s->h, s->err, sizeof s->err))
        return -1;
    s->in_tx = 0;
    return 0;
}
void reg_store_rollback(reg_store *s) {
    if (s->in_tx)
        s->be->rollback(s->h);
    s->in_tx = 0;
}

int reg_store_exec(reg_store *s, reg_q q, const reg_val *p, int np, reg_row_cb cb, void *user,
                   int64_t *changes) {
    if ((unsigned)q >= Q_COUNT || !reg_sql[q]) {
        snprintf(s->err, sizeof s->err, "internal: no statement %d", (int)q);
        return -1;
    }
    return s->be->exec(s->h, (int)q, reg_sql[q], p, np, cb, user, changes, s->err,
                       sizeof s->err);
}

int reg_store_bulk(reg_store *s) {
    if (!s->be->bulk_sql)
        return 0;
    return s->be->script(s->h, s->be->bulk_sql, s->err, sizeof s->err) ? -1 : 0;
}

int reg_store_retryable(const reg_store *s) {
    return s->be->retryable ? s->be->retryable(s->h) : 0;
}
