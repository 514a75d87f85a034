-- Route 53 Resolver query logs (flowsql load recognises them by content): one row per address
-- a query was answered with (A and AAAA records; a query without one has one row with a NULL
-- answer). src_ip and answer_ip are address keys, as in the flows, to join with them: the name
-- a source resolved to an address, most recently before a flow, names the flow's destination.
CREATE TABLE IF NOT EXISTS dns_queries (
    file_id     INTEGER,
    query_time  TIMESTAMP,
    account_id  VARCHAR,
    region      VARCHAR,
    vpc_id      VARCHAR,
    srcaddr     VARCHAR,
    src_ip      BIGINT,
    srcport     INTEGER,
    instance_id VARCHAR,
    query_name  VARCHAR,   -- lower case, without the final dot
    query_type  VARCHAR,
    rcode       VARCHAR,
    answer      VARCHAR,
    answer_ip   BIGINT,
    answer_type VARCHAR,
    transport   VARCHAR
);
