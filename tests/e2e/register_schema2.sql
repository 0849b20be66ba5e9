-- register_schema2.sql -- turns a register of schema 3 back into schema 2
-- (as a build before migration 3 left it), so that tests can open it with
-- this build and check that migration 3 fills what it adds.  Runs on
-- SQLite (>= 3.35, DROP COLUMN) and PostgreSQL.
DROP TABLE matches;
DROP TABLE reg_meta;
DROP INDEX exposures_query;
DROP INDEX components_nv;
CREATE INDEX exposures_cve_env ON exposures (cve, env);
ALTER TABLE exposures DROP COLUMN product;
ALTER TABLE exposures DROP COLUMN version;
ALTER TABLE exposures DROP COLUMN purl;
ALTER TABLE exposures DROP COLUMN path;
ALTER TABLE exposures DROP COLUMN owner;
ALTER TABLE exposures DROP COLUMN exposure;
ALTER TABLE exposures DROP COLUMN kind;
DELETE FROM reg_migrations WHERE version = 3;
