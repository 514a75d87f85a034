-- What became of each line in load_errors: failed (the whole file, nothing loaded), rejected (the
-- line is not loaded), altered (loaded after a change: NUL bytes or a byte-order mark removed,
-- bad UTF-8 replaced), suspicious (loaded as it is, with a value no record can have). Rows of
-- the first release were failed files (no line) and rejected lines.
ALTER TABLE load_errors ADD COLUMN IF NOT EXISTS kind VARCHAR;
UPDATE load_errors SET kind = CASE WHEN line IS NULL THEN 'failed' ELSE 'rejected' END WHERE kind IS NULL;

-- Per file: the lines loaded after a change, and those loaded with suspicious values.
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS rows_altered BIGINT DEFAULT 0;
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS rows_suspicious BIGINT DEFAULT 0;
