-- The lookup tables that flowsql enrich writes and reports join, with their views and macros.
-- Statements are separated by lines holding only ";".

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
)
;
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
)
;
-- ip_owner's IPv4 ranges flattened: disjoint, each with its most specific owner.
CREATE TABLE IF NOT EXISTS ip_owner_segments (
    lo BIGINT, hi BIGINT, network_name VARCHAR, organisation VARCHAR, country VARCHAR, origin_as VARCHAR,
    range_start VARCHAR, range_end VARCHAR
)
;
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
)
;
-- aws_ip_ranges' IPv4 ranges flattened: disjoint, each with the service of its most specific
-- prefix (a named service before AMAZON for the same prefix).
CREATE TABLE IF NOT EXISTS aws_ip_segments (
    lo BIGINT, hi BIGINT, ip_prefix VARCHAR, service VARCHAR, region VARCHAR, network_border_group VARCHAR
)
;
-- The latest interface of each address, with the address's key in flows.
CREATE OR REPLACE VIEW eni_latest AS
SELECT * EXCLUDE (rn) FROM (
    SELECT e.*, coalesce(CAST(ip4_int(e.address) AS BIGINT), k.key) AS addr_key,
           row_number() OVER (PARTITION BY e.address ORDER BY e.last_seen DESC, e.interface_id) AS rn
    FROM eni e LEFT JOIN flowsql_addr_keys k ON k.addr = e.address
) WHERE rn = 1
;
-- aws_service('52.216.10.5') = 'S3': the service of the most specific AWS prefix that holds an
-- address (NULL outside AWS). aws_region likewise.
CREATE OR REPLACE MACRO aws_service(a) AS (
    CASE WHEN contains(a, ':') THEN
        (SELECT service FROM aws_ip_ranges WHERE family = 'ipv6' AND ip6_int(a) BETWEEN lo6 AND hi6
         ORDER BY prefix_length DESC, service = 'AMAZON', service LIMIT 1)
    ELSE (SELECT service FROM aws_ip_segments WHERE ip4_int(a) BETWEEN lo AND hi)
    END
)
;
CREATE OR REPLACE MACRO aws_region(a) AS (
    CASE WHEN contains(a, ':') THEN
        (SELECT region FROM aws_ip_ranges WHERE family = 'ipv6' AND ip6_int(a) BETWEEN lo6 AND hi6
         ORDER BY prefix_length DESC, service = 'AMAZON', service LIMIT 1)
    ELSE (SELECT region FROM aws_ip_segments WHERE ip4_int(a) BETWEEN lo AND hi)
    END
)
;
-- ip_network('23.52.1.1') = 'AT-88-Z': the network name of the most specific range looked up.
CREATE OR REPLACE MACRO ip_network(a) AS (
    CASE WHEN contains(a, ':') THEN
        (SELECT network_name FROM ip_owner WHERE lo6 IS NOT NULL AND ip6_int(a) BETWEEN lo6 AND hi6
         ORDER BY hi6 - lo6 LIMIT 1)
    ELSE (SELECT network_name FROM ip_owner_segments WHERE ip4_int(a) BETWEEN lo AND hi)
    END
)
;
CREATE OR REPLACE MACRO ip_organisation(a) AS (
    CASE WHEN contains(a, ':') THEN
        (SELECT organisation FROM ip_owner WHERE lo6 IS NOT NULL AND ip6_int(a) BETWEEN lo6 AND hi6
         ORDER BY hi6 - lo6 LIMIT 1)
    ELSE (SELECT organisation FROM ip_owner_segments WHERE ip4_int(a) BETWEEN lo AND hi)
    END
)
;
-- The same lookups by address key (src_ip, dst_ip), for reports. IPv6 keys are looked up
-- through flowsql_addr_keys by join: calling the text macros on ip_text(k) would cost a report
-- tens of milliseconds per column.
CREATE OR REPLACE MACRO key_aws_service(k) AS (
    CASE WHEN k >= 0 THEN (SELECT service FROM aws_ip_segments WHERE k BETWEEN lo AND hi)
    ELSE (SELECT r.service FROM aws_ip_ranges r, flowsql_addr_keys a
          WHERE a.key = k AND r.family = 'ipv6' AND ip6_int(a.addr) BETWEEN r.lo6 AND r.hi6
          ORDER BY r.prefix_length DESC, r.service = 'AMAZON', r.service LIMIT 1)
    END
)
;
CREATE OR REPLACE MACRO key_aws_region(k) AS (
    CASE WHEN k >= 0 THEN (SELECT region FROM aws_ip_segments WHERE k BETWEEN lo AND hi)
    ELSE (SELECT r.region FROM aws_ip_ranges r, flowsql_addr_keys a
          WHERE a.key = k AND r.family = 'ipv6' AND ip6_int(a.addr) BETWEEN r.lo6 AND r.hi6
          ORDER BY r.prefix_length DESC, r.service = 'AMAZON', r.service LIMIT 1)
    END
)
;
CREATE OR REPLACE MACRO key_network(k) AS (
    CASE WHEN k >= 0 THEN (SELECT network_name FROM ip_owner_segments WHERE k BETWEEN lo AND hi)
    ELSE (SELECT o.network_name FROM ip_owner o, flowsql_addr_keys a
          WHERE a.key = k AND o.lo6 IS NOT NULL AND ip6_int(a.addr) BETWEEN o.lo6 AND o.hi6
          ORDER BY o.hi6 - o.lo6 LIMIT 1)
    END
)
;
CREATE OR REPLACE MACRO key_organisation(k) AS (
    CASE WHEN k >= 0 THEN (SELECT organisation FROM ip_owner_segments WHERE k BETWEEN lo AND hi)
    ELSE (SELECT o.organisation FROM ip_owner o, flowsql_addr_keys a
          WHERE a.key = k AND o.lo6 IS NOT NULL AND ip6_int(a.addr) BETWEEN o.lo6 AND o.hi6
          ORDER BY o.hi6 - o.lo6 LIMIT 1)
    END
)
;
CREATE OR REPLACE MACRO key_interface_type(k) AS (
    (SELECT interface_type FROM eni_latest WHERE addr_key = k)
)
;
CREATE OR REPLACE MACRO key_interface(k) AS (
    (SELECT interface_id FROM eni_latest WHERE addr_key = k)
)
;
-- key_interface_name(k): what the interface is called: its Name tag, or else its description
-- ("Interface for NAT Gateway nat-...").
CREATE OR REPLACE MACRO key_interface_name(k) AS (
    (SELECT coalesce(tags['Name'], nullif(description, '')) FROM eni_latest WHERE addr_key = k)
)
