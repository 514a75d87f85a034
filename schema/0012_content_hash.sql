-- The SHA-256 of each loaded file's bytes: a file whose content is already loaded under
-- another name (a copy, a fetched file beside its S3 original) is skipped, so that its
-- records do not count twice. Files loaded before this column was added have none.
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS content_sha256 VARCHAR;
