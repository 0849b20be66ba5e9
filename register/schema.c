/*
 * schema.c -- every SQL text of the exposure register, in one place: the
 * schema migrations and the statements (store.h, enum reg_q).
 *
 * One dialect for SQLite and PostgreSQL: $N parameters (SQLite binds them
 * by name, PostgreSQL natively), INSERT ... ON CONFLICT (...) DO UPDATE
 * SET col = excluded.col, BIGINT seconds since the epoch (UTC) for every
 * time, DOUBLE PRECISION for scores, natural TEXT keys instead of
 * AUTOINCREMENT/SERIAL, no partial indexes, no RETURNING, no datetime
 * functions, and "CAST($N AS type) IS NULL" for an optional filter (PostgreSQL
 * cannot type a bare "$N IS NULL").  A new migration is appended, never edited.
 * One text differs by back end: REG_COVER (store.h) in a migration becomes
 * the driver's extra index columns (SQLite: every column a query of the
 * index returns, so that it never reads the table; PostgreSQL: none, as a
 * B-tree entry there must stay under 2.7 kB and paths are up to 4 kB).
 */
#include "store.h"

const char *const reg_migrations[] = {
    /* 0 -> 1: the model of docs/register.md */
    "CREATE TABLE assets ("
    " name TEXT PRIMARY KEY, kind TEXT NOT NULL, env TEXT NOT NULL,"
    " owner TEXT NOT NULL DEFAULT '', exposure TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '',"
    " first_seen BIGINT NOT NULL, last_scan BIGINT, last_digest TEXT);"
    "CREATE INDEX assets_env ON assets (env);"
    "CREATE TABLE scans ("
    " asset TEXT NOT NULL, digest TEXT NOT NULL, source TEXT NOT NULL, format TEXT NOT NULL,"
    " scanned_at BIGINT NOT NULL, ingested_at BIGINT NOT NULL, by_user TEXT NOT NULL,"
    " ncomponents BIGINT NOT NULL, PRIMARY KEY (asset, digest));"
    "CREATE TABLE components ("
    " asset TEXT NOT NULL, ckey TEXT NOT NULL, product TEXT, grp TEXT, name TEXT NOT NULL,"
    " version TEXT, purl TEXT, path TEXT, jndilookup TEXT,"
    " first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, gone_at BIGINT, gone_scan TEXT,"
    " scan TEXT NOT NULL, PRIMARY KEY (asset, ckey));"
    "CREATE INDEX components_purl ON components (purl);"
    "CREATE TABLE cves ("
    " id TEXT PRIMARY KEY, severity TEXT NOT NULL, cvss DOUBLE PRECISION NOT NULL,"
    " first_learned BIGINT NOT NULL, kev_due BIGINT, summary TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE exposures ("
    " asset TEXT NOT NULL, ckey TEXT NOT NULL, cve TEXT NOT NULL, env TEXT NOT NULL,"
    " state TEXT NOT NULL, certain INTEGER NOT NULL, opened_at BIGINT NOT NULL,"
    " due_at BIGINT NOT NULL, closed_at BIGINT, evidence TEXT NOT NULL DEFAULT '',"
    " updated_at BIGINT NOT NULL, PRIMARY KEY (asset, ckey, cve));"
    "CREATE INDEX exposures_cve_env ON exposures (cve, env);"
    "CREATE TABLE controls ("
    " asset TEXT NOT NULL, cve TEXT NOT NULL, kind TEXT NOT NULL, control TEXT NOT NULL,"
    " evidence TEXT NOT NULL, by_user TEXT NOT NULL, at BIGINT NOT NULL, expires BIGINT,"
    " PRIMARY KEY (asset, cve, kind));"
    "CREATE TABLE history ("
    " asset TEXT NOT NULL, at BIGINT NOT NULL, by_user TEXT NOT NULL, event TEXT NOT NULL,"
    " cve TEXT, ckey TEXT, old_state TEXT, new_state TEXT, detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX history_asset ON history (asset, at);"
    "CREATE TABLE sla_policy ("
    " severity TEXT NOT NULL, env TEXT NOT NULL, hours BIGINT NOT NULL,"
    " PRIMARY KEY (severity, env));"
    "CREATE TABLE vendors ("
    " name TEXT PRIMARY KEY, products TEXT NOT NULL DEFAULT '', data_access TEXT NOT NULL DEFAULT '',"
    " status TEXT NOT NULL, statement TEXT NOT NULL DEFAULT '', contacted_at BIGINT,"
    " answered_at BIGINT, access_limit TEXT NOT NULL DEFAULT '', limit_lifted_at BIGINT,"
    " next_followup BIGINT, owner TEXT NOT NULL DEFAULT '', updated_at BIGINT NOT NULL);",
    /* 1 -> 2: the last verdict of `defuse probe --register` on each asset */
    "ALTER TABLE assets ADD COLUMN verdict TEXT;"
    "ALTER TABLE assets ADD COLUMN verdict_at BIGINT;"
    "ALTER TABLE assets ADD COLUMN verdict_detail TEXT;",
    /* 2 -> 3: what `exposures` shows is kept in the exposure row (the
     * component's product, version, purl and path, the asset's owner,
     * exposure and kind), so that the query reads one index range instead
     * of joining 2 million components (docs/register.md, MEASURED); the
     * CVE set each (group, name, version) matched when last evaluated, so
     * that `evaluate` re-evaluates only components whose data changed;
     * "full": the next evaluate must read every component (set here when
     * there are components: they have no match signatures yet). */
    "ALTER TABLE exposures ADD COLUMN product TEXT;"
    "ALTER TABLE exposures ADD COLUMN version TEXT;"
    "ALTER TABLE exposures ADD COLUMN purl TEXT;"
    "ALTER TABLE exposures ADD COLUMN path TEXT;"
    "ALTER TABLE exposures ADD COLUMN owner TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE exposures ADD COLUMN exposure TEXT;"
    "ALTER TABLE exposures ADD COLUMN kind TEXT;"
    "UPDATE exposures SET (product, version, purl, path) = (SELECT c.product, c.version, c.purl,"
    " c.path FROM components c WHERE c.asset = exposures.asset AND c.ckey = exposures.ckey),"
    " (owner, exposure, kind) = (SELECT a.owner, a.exposure, a.kind FROM assets a"
    " WHERE a.name = exposures.asset);"
    "DROP INDEX exposures_cve_env;"
    "CREATE INDEX exposures_query ON exposures (cve, env, due_at, asset, ckey" REG_COVER ");"
    "CREATE INDEX components_nv ON components (name, version);"
    "CREATE TABLE matches (triple TEXT PRIMARY KEY, sig TEXT NOT NULL);"
    "CREATE TABLE reg_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO reg_meta (name, value) SELECT 'full', '1' WHERE EXISTS (SELECT 1 FROM components);",
};
const int reg_nmigrations = (int)(sizeof reg_migrations / sizeof reg_migrations[0]);

/* Columns of an exposure row, shared by the queries that return one. */
#define EXP_COLS                                                                                   \
    "e.asset, e.ckey, e.cve, e.env, e.state, e.certain, e.opened_at, e.due_at, e.closed_at,"      \
    " e.evidence, e.product, e.version, e.purl, e.path, e.owner, e.exposure, e.kind,"              \
    " e.updated_at"

const char *const reg_sql[Q_COUNT] = {
    [Q_SCHEMA_VERSION] = "SELECT MAX(version) FROM reg_migrations",
    [Q_MIGRATION_DONE] = "INSERT INTO reg_migrations (version, applied_at) VALUES ($1, $2)",
    [Q_ASSET_GET] = "SELECT name, kind, env, owner, exposure, tags, first_seen, last_scan,"
                    " last_digest FROM assets WHERE name = $1",
    [Q_ASSET_INSERT] = "INSERT INTO assets (name, kind, env, owner, exposure, tags, first_seen)"
                       " VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [Q_ASSET_UPDATE] = "UPDATE assets SET kind = $2, env = $3, owner = $4, exposure = $5,"
                       " tags = $6 WHERE name = $1",
    [Q_ASSET_SCANNED] = "UPDATE assets SET last_scan = $2, last_digest = $3 WHERE name = $1",
    [Q_ASSET_LIST] = "SELECT a.name, a.kind, a.env, a.owner, a.exposure, a.tags, a.first_seen,"
                     " a.last_scan, (SELECT COUNT(*) FROM components c WHERE c.asset = a.name"
                     " AND c.gone_at IS NULL), a.verdict, a.verdict_at, a.verdict_detail"
                     " FROM assets a"
                     " WHERE (CAST($1 AS TEXT) IS NULL OR a.env = $1) ORDER BY a.env, a.name",
    [Q_ASSET_VERDICT] = "UPDATE assets SET verdict = $2, verdict_at = $3, verdict_detail = $4"
                        " WHERE name = $1",
    [Q_SCAN_SEEN] = "SELECT scanned_at FROM scans WHERE asset = $1 AND digest = $2",
    [Q_SCAN_INSERT] = "INSERT INTO scans (asset, digest, source, format, scanned_at, ingested_at,"
                      " by_user, ncomponents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    [Q_COMP_LIST] = "SELECT ckey, product, grp, name, version, purl, path, jndilookup, first_seen,"
                    " last_seen, gone_at, gone_scan, scan FROM components WHERE asset = $1",
    [Q_COMP_UPSERT] =
        "INSERT INTO components (asset, ckey, product, grp, name, version, purl, path, jndilookup,"
        " first_seen, last_seen, gone_at, gone_scan, scan)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, NULL, NULL, $11)"
        " ON CONFLICT (asset, ckey) DO UPDATE SET product = excluded.product,"
        " grp = excluded.grp, name = excluded.name, version = excluded.version,"
        " purl = excluded.purl, path = excluded.path, jndilookup = excluded.jndilookup,"
        " first_seen = CASE WHEN components.gone_at IS NULL THEN components.first_seen"
        " ELSE excluded.first_seen END,"
        " last_seen = excluded.last_seen, gone_at = NULL, gone_scan = NULL, scan = excluded.scan",
    [Q_COMP_GONE] = "UPDATE components SET gone_at = $3, gone_scan = $4"
                    " WHERE asset = $1 AND ckey = $2",
    [Q_CVE_LIST] = "SELECT id, severity, cvss, first_learned, kev_due FROM cves",
    [Q_CVE_UPSERT] = "INSERT INTO cves (id, severity, cvss, first_learned, summary)"
                     " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET"
                     " severity = excluded.severity, cvss = excluded.cvss,"
                     " summary = excluded.summary",
    [Q_CVE_KEV] = "UPDATE cves SET kev_due = $2 WHERE id = $1",
    /* the columns of a stored exposure that evaluation compares (reg.c, X_*) */
#define EXP_EVAL_COLS                                                                              \
    "ckey, cve, state, certain, opened_at, due_at, closed_at, evidence, env, product, version,"   \
    " purl, path, owner, exposure, kind"
    [Q_EXP_LIST_ASSET] = "SELECT " EXP_EVAL_COLS " FROM exposures WHERE asset = $1",
    [Q_EXP_INSERT] = "INSERT INTO exposures (asset, ckey, cve, env, state, certain, opened_at,"
                     " due_at, closed_at, evidence, updated_at, product, version, purl, path,"
                     " owner, exposure, kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                     " $11, $12, $13, $14, $15, $16, $17, $18)",
    [Q_EXP_UPDATE] = "UPDATE exposures SET env = $4, state = $5, certain = $6, opened_at = $7,"
                     " due_at = $8, closed_at = $9, evidence = $10, updated_at = $11,"
                     " product = $12, version = $13, purl = $14, path = $15, owner = $16,"
                     " exposure = $17, kind = $18 WHERE asset = $1 AND ckey = $2 AND cve = $3",
    [Q_EXP_ASSET] = "UPDATE exposures SET env = $2, owner = $3, exposure = $4, kind = $5"
                    " WHERE asset = $1",
    /* $1 cve, $2 env, $3 asset, $4 purl (prefix), $5 1: open states only.
     * Four forms of one query: "$N IS NULL OR col = $N" keeps an index
     * from being used, so the forms with a CVE or an asset name it. */
/* (severity and score come from the few rows of cves, joined by the caller) */
#define EXP_FROM " FROM exposures e WHERE "
#define EXP_REST                                                                                   \
    " AND (CAST($2 AS TEXT) IS NULL OR e.env = $2) AND (CAST($3 AS TEXT) IS NULL OR e.asset = $3)"                             \
    " AND (CAST($4 AS TEXT) IS NULL OR e.purl = $4 OR e.purl LIKE $4 || '@%' OR e.purl LIKE $4 || '?%')"       \
    " AND ($5 = 0 OR e.state <> 'fixed') ORDER BY e.due_at, e.asset, e.cve, e.ckey"
    [Q_EXP_QUERY] = "SELECT " EXP_COLS EXP_FROM "(CAST($1 AS TEXT) IS NULL OR e.cve = $1)" EXP_REST,
    [Q_EXP_QUERY_CVE] = "SELECT " EXP_COLS EXP_FROM "e.cve = $1" EXP_REST,
    /* both CVE and environment: the whole (cve, env) index prefix, not a
     * third of the CVE's rows read for each environment */
    [Q_EXP_QUERY_CVE_ENV] = "SELECT " EXP_COLS EXP_FROM "e.cve = $1 AND e.env = $2" EXP_REST,
    [Q_EXP_QUERY_ASSET] = "SELECT " EXP_COLS EXP_FROM "e.asset = $3 AND (CAST($1 AS TEXT) IS NULL OR e.cve = $1)"
        EXP_REST,
    /* the components of one (name, version), in no order (reg.c sorts them) */
    [Q_COMP_BY_NV] = "SELECT asset, ckey, product, grp, name, version, purl, path, jndilookup,"
                     " first_seen, last_seen, gone_at, gone_scan, scan FROM components"
                     " WHERE name = $1 AND version = $2 AND product IS NOT NULL",
    [Q_COMP_BY_N_NOVERSION] = "SELECT asset, ckey, product, grp, name, version, purl, path,"
                              " jndilookup, first_seen, last_seen, gone_at, gone_scan, scan"
                              " FROM components WHERE name = $1 AND version IS NULL"
                              " AND product IS NOT NULL",
    /* the stored exposures of the components of one (name, version), with
     * the component's asset and group first */
#define EXP_EVAL_COLS_E                                                                            \
    "c.asset, c.grp, e.ckey, e.cve, e.state, e.certain, e.opened_at, e.due_at, e.closed_at,"     \
    " e.evidence, e.env, e.product, e.version, e.purl, e.path, e.owner, e.exposure, e.kind"
    [Q_EXP_BY_NV] = "SELECT " EXP_EVAL_COLS_E " FROM components c JOIN exposures e"
                    " ON e.asset = c.asset AND e.ckey = c.ckey"
                    " WHERE c.name = $1 AND c.version = $2 AND c.product IS NOT NULL",
    [Q_EXP_BY_N_NOVERSION] = "SELECT " EXP_EVAL_COLS_E " FROM components c JOIN exposures e"
                             " ON e.asset = c.asset AND e.ckey = c.ckey"
                             " WHERE c.name = $1 AND c.version IS NULL AND c.product IS NOT NULL",
    [Q_CTL_ALL] = "SELECT asset, cve, kind, control, evidence, by_user, at, expires FROM controls",
    [Q_ASSET_ATTRS] = "SELECT name, env, owner, exposure, kind FROM assets ORDER BY name",
    [Q_MATCH_LIST] = "SELECT triple, sig FROM matches",
    [Q_MATCH_GET] = "SELECT sig FROM matches WHERE triple = $1",
    [Q_MATCH_PUT] = "INSERT INTO matches (triple, sig) VALUES ($1, $2)"
                    " ON CONFLICT (triple) DO UPDATE SET sig = excluded.sig",
    [Q_MATCH_CLEAR] = "DELETE FROM matches",
    [Q_META_GET] = "SELECT value FROM reg_meta WHERE name = $1",
    [Q_META_PUT] = "INSERT INTO reg_meta (name, value) VALUES ($1, $2)"
                   " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    /* assets whose controls expired in ($1, $2] */
    [Q_CTL_EXPIRED] = "SELECT DISTINCT asset FROM controls WHERE expires > $1 AND expires <= $2",
    [Q_CTL_LIST_ASSET] = "SELECT cve, kind, control, evidence, by_user, at, expires FROM controls"
                         " WHERE asset = $1",
    [Q_CTL_UPSERT] = "INSERT INTO controls (asset, cve, kind, control, evidence, by_user, at,"
                     " expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                     " ON CONFLICT (asset, cve, kind) DO UPDATE SET control = excluded.control,"
                     " evidence = excluded.evidence, by_user = excluded.by_user,"
                     " at = excluded.at, expires = excluded.expires",
    [Q_HIST_INSERT] = "INSERT INTO history (asset, at, by_user, event, cve, ckey, old_state,"
                      " new_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [Q_HIST_LIST] = "SELECT at, by_user, event, cve, ckey, old_state, new_state, detail"
                    " FROM history WHERE asset = $1 ORDER BY at, event, cve, ckey",
    [Q_SLA_LIST] = "SELECT severity, env, hours FROM sla_policy",
    [Q_SLA_SET] = "INSERT INTO sla_policy (severity, env, hours) VALUES ($1, $2, $3)"
                  " ON CONFLICT (severity, env) DO UPDATE SET hours = excluded.hours",
    [Q_VENDOR_UPSERT] =
        "INSERT INTO vendors (name, products, data_access, status, statement, contacted_at,"
        " answered_at, access_limit, limit_lifted_at, next_followup, owner, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (name) DO UPDATE SET products = excluded.products,"
        " data_access = excluded.data_access, status = excluded.status,"
        " statement = excluded.statement, contacted_at = excluded.contacted_at,"
        " answered_at = excluded.answered_at, access_limit = excluded.access_limit,"
        " limit_lifted_at = excluded.limit_lifted_at, next_followup = excluded.next_followup,"
        " owner = excluded.owner, updated_at = excluded.updated_at",
    [Q_VENDOR_LIST] = "SELECT name, products, data_access, status, statement, contacted_at,"
                      " answered_at, access_limit, limit_lifted_at, next_followup, owner,"
                      " updated_at FROM vendors"
                      " WHERE (CAST($1 AS BIGINT) IS NULL OR (next_followup IS NOT NULL AND next_followup <= $1))"
                      " ORDER BY name",
};
