-- The first release kept two hashes in flowsql_meta to know when to re-run its DDL;
-- flowsql_schema (written by the migration runner) replaces it.
DROP TABLE IF EXISTS flowsql_meta;
