-- A file whose format has no log-status field cannot say how many of its records are NODATA or
-- SKIPDATA: ingested_files holds NULL for it, not 0 (ingest-summary shows them blank). Files
-- loaded before said 0.
UPDATE ingested_files SET nodata = NULL, skipdata = NULL
WHERE target IN ('flows', 'tgw_flows') AND NOT regexp_matches(header, '(^|[ :])log[-_]status( |$)');
