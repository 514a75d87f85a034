-- The tables of flowsql's first release. Every statement is IF NOT EXISTS: a database made by
-- that release has them already, and this step leaves them as they are.

-- The ids of the addresses that are not IPv4 (address keys below zero), in RFC 5952 form for
-- IPv6: flows stores each address as an integer key (see the ip_text macro).
CREATE TABLE IF NOT EXISTS flowsql_addr_keys (key BIGINT, addr VARCHAR);

CREATE TYPE IF NOT EXISTS flow_action AS ENUM ('ACCEPT', 'REJECT');
CREATE TYPE IF NOT EXISTS flow_log_status AS ENUM ('OK', 'NODATA', 'SKIPDATA');

-- One row per loaded file: the manifest that makes loads idempotent.
CREATE TABLE IF NOT EXISTS ingested_files (
    file_id        INTEGER,   -- flows.file_id of this file's rows
    uri            VARCHAR,   -- absolute path or s3://bucket/key
    size           BIGINT,
    modified       TIMESTAMP, -- modification time (local) or LastModified (S3)
    etag           VARCHAR,
    container      VARCHAR,   -- text, text+gzip, parquet, json, json+gzip
    header         VARCHAR,   -- the header line, or the format given for headerless files
    target         VARCHAR,   -- flows or tgw_flows
    table_name     VARCHAR,   -- the table under that view that holds the rows
    rows_loaded    BIGINT,
    rows_rejected  BIGINT,    -- lines that no parse could read (see load_errors)
    rows_recovered BIGINT,    -- lines the fast parser rejected and the tolerant parse read
    nodata         BIGINT,    -- NODATA records: an interface with no traffic in the window
    skipdata       BIGINT,    -- SKIPDATA records: AWS skipped records in the window
    first_start    TIMESTAMP,
    last_end       TIMESTAMP,
    account        VARCHAR,   -- from the S3 key or file name
    region         VARCHAR,
    log_date       DATE,
    flow_log_id    VARCHAR,
    load_seconds   DOUBLE,    -- the file's share, by size, of its batch's load time
    loaded_at      TIMESTAMP
);

-- One row per line that could not be read, or per file that failed as a whole.
CREATE TABLE IF NOT EXISTS load_errors (
    uri       VARCHAR,  -- the file
    line      BIGINT,   -- line number in the file (record number for JSON); NULL when the whole file failed
    raw       VARCHAR,  -- the line as read
    reason    VARCHAR,
    logged_at TIMESTAMP
);

-- The tables under the flows and tgw_flows views, one per set of fields.
CREATE TABLE IF NOT EXISTS flowsql_segments (
    name    VARCHAR, -- flows_1, tgw_flows_1, ...
    kind    VARCHAR, -- vpc or transit-gateway
    columns VARCHAR  -- "name type, ..." in table order
);

-- Network interfaces, one row per interface and address (secondary and IPv6 addresses too),
-- from every DescribeNetworkInterfaces snapshot: first_seen and last_seen bound when the
-- interface had the address.
CREATE TABLE IF NOT EXISTS eni (
    interface_id         VARCHAR,
    address              VARCHAR,  -- private IPv4 or IPv6 address (RFC 5952)
    primary_address      BOOLEAN,
    public_ip            VARCHAR,  -- the Elastic or public IPv4 address associated with it
    interface_type       VARCHAR,  -- interface, nat_gateway, vpc_endpoint, lambda, ...
    description          VARCHAR,
    requester_id         VARCHAR,
    requester_managed    BOOLEAN,
    instance_id          VARCHAR,
    subnet_id            VARCHAR,
    vpc_id               VARCHAR,
    availability_zone    VARCHAR,
    availability_zone_id VARCHAR,
    security_groups      VARCHAR[],
    tags                 MAP(VARCHAR, VARCHAR),
    status               VARCHAR,
    owner_id             VARCHAR,
    region               VARCHAR,
    first_seen           TIMESTAMP,
    last_seen            TIMESTAMP
);

-- Who holds an address range, from RDAP or whois. IPv4 ranges as integers comparable with the
-- address keys of flows (lo, hi); IPv6 ranges as 128-bit integers (lo6, hi6).
CREATE TABLE IF NOT EXISTS ip_owner (
    range_start  VARCHAR,
    range_end    VARCHAR,
    cidrs        VARCHAR[],
    lo           BIGINT,
    hi           BIGINT,
    lo6          UHUGEINT,
    hi6          UHUGEINT,
    network_name VARCHAR,  -- NetName / netname, like AT-88-Z
    organisation VARCHAR,
    country      VARCHAR,
    origin_as    VARCHAR,
    handle       VARCHAR,
    registry     VARCHAR,  -- the server that answered
    source       VARCHAR,  -- rdap or whois
    looked_up_at TIMESTAMP
);

-- ip_owner's IPv4 ranges flattened: disjoint, each with its most specific owner.
CREATE TABLE IF NOT EXISTS ip_owner_segments (
    lo BIGINT, hi BIGINT, network_name VARCHAR, organisation VARCHAR, country VARCHAR, origin_as VARCHAR,
    range_start VARCHAR, range_end VARCHAR
);

-- AWS's published ranges (ip-ranges.json).
CREATE TABLE IF NOT EXISTS aws_ip_ranges (
    ip_prefix            VARCHAR,
    family               VARCHAR,  -- ipv4 or ipv6
    prefix_length        INTEGER,
    lo                   BIGINT,
    hi                   BIGINT,
    lo6                  UHUGEINT,
    hi6                  UHUGEINT,
    service              VARCHAR,  -- S3, DYNAMODB, EC2, AMAZON (every service), ...
    region               VARCHAR,
    network_border_group VARCHAR,
    sync_token           VARCHAR,
    create_date          VARCHAR
);

-- aws_ip_ranges' IPv4 ranges flattened: disjoint, each with the service of its most specific
-- prefix.
CREATE TABLE IF NOT EXISTS aws_ip_segments (
    lo BIGINT, hi BIGINT, ip_prefix VARCHAR, service VARCHAR, region VARCHAR, network_border_group VARCHAR
);
