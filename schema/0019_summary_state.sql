-- What the records and the hourly summary held when a load, or a rebuild, last changed them, in
-- the same transaction (ingest.SummaryStateTable): a report that finds both tables with these
-- counts of rows takes the flag instead of adding up the summary (queries.SummaryCurrent). One
-- row, or none before the first load of this release.
CREATE TABLE IF NOT EXISTS flowsql_summary_state (
    records      BIGINT,   -- count(*) of flow_records
    summary_rows BIGINT,   -- count(*) of flow_hourly
    current      BOOLEAN   -- flow_hourly's records add up to flow_records' count
);
