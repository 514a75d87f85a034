-- The interfaces each loaded VPC file records (its OK records of each, and their span), kept by
-- the load in the file's transaction: the index that finding overlapping flow logs reads
-- instead of the records.
CREATE TABLE IF NOT EXISTS file_interfaces (
    file_id      INTEGER,
    interface_id VARCHAR,
    first_start  BIGINT,
    last_end     BIGINT,
    records      BIGINT
);

-- Interfaces that more than one flow log recorded at the same time (a VPC's flow log and a
-- subnet's, say, both loaded): their traffic counts once per flow log there. Each load
-- rewrites it; reports say so when their window holds any.
CREATE TABLE IF NOT EXISTS flow_log_overlaps (
    interface_id VARCHAR,
    flow_logs    VARCHAR[], -- the flow logs' ids (from the file names), or "format: <header>" where the name has none
    first_start  BIGINT,    -- the overlap's span: the earliest start and the latest end of its records
    last_end     BIGINT,
    records      BIGINT     -- the records of those minutes, of all the flow logs
);
