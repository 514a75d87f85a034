-- The XXH3-128 of each loaded file's text (what DuckDB read of it: a text file's lines after
-- gunzip, a JSON or Resolver log as converted): a file of the same records compressed
-- otherwise, or not at all (a .log beside the .log.gz it came from), is skipped, so that its
-- records do not count twice. Files loaded before this column was added have none.
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS text_hash VARCHAR;
