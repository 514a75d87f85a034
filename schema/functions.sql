-- The macros and views that flowsql keeps in every database file, so that they work the same in
-- flowsql, in the stock duckdb CLI and in Python. Unlike the numbered migrations, this file is
-- applied whole again whenever it changes: each statement replaces its macro or view. Macros may
-- call macros defined above them.
--
-- The flows view shows addresses as text (srcaddr). Underneath, each address is stored once,
-- as an integer key (src_ip): an IPv4 address is its own value (ip4_int), anything else (IPv6)
-- a negative id from flowsql_addr_keys. Group and filter by the key for speed; ip_text(key)
-- turns it back into text, addr_key('2001:db8::1') gives the key of an address.

-- Those addresses in a list indexed by -key: looked up in O(1), and computed only by the
-- queries that ask for it.
CREATE OR REPLACE VIEW flowsql_addr_list AS
SELECT list(a.addr ORDER BY g.i) AS addrs
FROM range(1, (SELECT coalesce(-min(key), 0) + 1 FROM flowsql_addr_keys)) g(i)
LEFT JOIN flowsql_addr_keys a ON a.key = -g.i;

-- ip4_int('10.0.1.5') = 167772421; NULL unless the text is a dotted-quad IPv4 address (decimal
-- parts of 0 to 255 without leading zeros, as Go's net/netip reads them).
CREATE OR REPLACE MACRO ip4_int(a) AS (
    CASE WHEN length(a) - length(replace(a, '.', '')) = 3 THEN
        list_reduce(
            list_transform(string_split(a, '.'),
                lambda x: CASE WHEN CAST(TRY_CAST(x AS UTINYINT) AS VARCHAR) = x THEN CAST(x AS UINTEGER) END),
            lambda acc, x: acc * 256 + x)
    END
);

-- ip4_text(167772421) = '10.0.1.5'.
CREATE OR REPLACE MACRO ip4_text(n) AS (
    CAST(n // 16777216 AS VARCHAR) || '.' || CAST((n // 65536) % 256 AS VARCHAR) || '.' ||
    CAST((n // 256) % 256 AS VARCHAR) || '.' || CAST(n % 256 AS VARCHAR)
);

-- The eight hextets of an IPv6 address, '::' expanded and a trailing dotted quad turned into
-- two hextets; NULL when the text cannot be an IPv6 address.
CREATE OR REPLACE MACRO ip6_hextets(a) AS (
    list_transform([
        CASE WHEN NOT contains(a, '.') THEN a
             ELSE regexp_replace(a, '[0-9.]+$', '') ||
                  lower(to_hex(ip4_int(regexp_extract(a, '[0-9.]+$')) // 65536)) || ':' ||
                  lower(to_hex(ip4_int(regexp_extract(a, '[0-9.]+$')) % 65536))
        END], lambda s:
        CASE
            WHEN s NOT LIKE '%::%' THEN string_split(s, ':')
            WHEN s LIKE '%::%::%' OR s LIKE '%:::%' THEN NULL
            ELSE list_transform([[
                    CASE WHEN starts_with(s, '::') THEN []::VARCHAR[]
                         ELSE string_split(split_part(s, '::', 1), ':') END,
                    CASE WHEN ends_with(s, '::') THEN []::VARCHAR[]
                         ELSE string_split(split_part(s, '::', 2), ':') END]], lambda lr:
                CASE WHEN len(lr[1]) + len(lr[2]) <= 7 THEN
                    list_concat(lr[1], list_transform(range(8 - len(lr[1]) - len(lr[2])), lambda i: '0'), lr[2])
                END)[1]
        END)[1]
);

-- ip6_int('2001:db8::1') as UHUGEINT; NULL unless the text is an IPv6 address.
CREATE OR REPLACE MACRO ip6_int(a) AS (
    CASE WHEN contains(a, ':') THEN
        list_transform([ip6_hextets(a)], lambda h:
            CASE WHEN len(h) = 8 THEN
                list_reduce(
                    list_transform(h, lambda x:
                        CASE WHEN length(x) BETWEEN 1 AND 4 THEN TRY_CAST('0x' || x AS USMALLINT)::UHUGEINT END),
                    lambda acc, x: acc * 65536 + x)
            END)[1]
    END
);

-- Drops the sentinel colons that ip6_text puts around its hextets, keeping a '::' at either end.
CREATE OR REPLACE MACRO ip6_trim(r) AS (
    CASE WHEN r = '::' THEN r
         WHEN starts_with(r, '::') THEN r[1:-2]
         WHEN ends_with(r, '::') THEN r[2:]
         ELSE r[2:-2]
    END
);

-- ip6_text(n): RFC 5952 text (lower case, longest run of two or more zero hextets as '::',
-- the leftmost on a tie; IPv4-mapped addresses as ::ffff:a.b.c.d).
CREATE OR REPLACE MACRO ip6_text(n) AS (
    CASE WHEN n // 4294967296 = 65535 THEN '::ffff:' || ip4_text(n % 4294967296)
    ELSE list_transform([':' || array_to_string(
            list_transform(range(7, -1, -1),
                lambda i: lower(to_hex(CAST((n // (1::UHUGEINT << CAST(16 * i AS UHUGEINT))) % 65536 AS INTEGER)))),
            ':') || ':'], lambda j:
        CASE
            WHEN contains(j, ':0:0:0:0:0:0:0:0:') THEN '::'
            WHEN contains(j, ':0:0:0:0:0:0:0:') THEN ip6_trim(regexp_replace(j, ':0:0:0:0:0:0:0:', '::'))
            WHEN contains(j, ':0:0:0:0:0:0:') THEN ip6_trim(regexp_replace(j, ':0:0:0:0:0:0:', '::'))
            WHEN contains(j, ':0:0:0:0:0:') THEN ip6_trim(regexp_replace(j, ':0:0:0:0:0:', '::'))
            WHEN contains(j, ':0:0:0:0:') THEN ip6_trim(regexp_replace(j, ':0:0:0:0:', '::'))
            WHEN contains(j, ':0:0:0:') THEN ip6_trim(regexp_replace(j, ':0:0:0:', '::'))
            WHEN contains(j, ':0:0:') THEN ip6_trim(regexp_replace(j, ':0:0:', '::'))
            ELSE j[2:-2]
        END)[1]
    END
);

-- ip_text(src_ip): the address text of a key.
CREATE OR REPLACE MACRO ip_text(k) AS (
    CASE WHEN k >= 0 THEN ip4_text(k) ELSE (SELECT addrs FROM flowsql_addr_list)[-k] END
);

-- addr_key('10.0.1.5'): the key of an address, to compare with src_ip and dst_ip (NULL for an
-- IPv6 address that no loaded record has).
CREATE OR REPLACE MACRO addr_key(a) AS (
    coalesce(CAST(ip4_int(a) AS BIGINT),
             (SELECT min(key) FROM flowsql_addr_keys WHERE addr = coalesce(ip6_text(ip6_int(a)), a)))
);

-- The prefix length of a CIDR ('10.0.0.0/8' -> 8); a bare address is a /32 or /128.
CREATE OR REPLACE MACRO cidr_bits(c) AS (
    CASE WHEN contains(c, '/') THEN TRY_CAST(split_part(c, '/', 2) AS INTEGER)
         WHEN contains(c, ':') THEN 128 ELSE 32 END
);

-- First and last IPv4 address of a CIDR, as integers comparable with src_ip/dst_ip.
CREATE OR REPLACE MACRO cidr4_lo(c) AS (
    CASE WHEN cidr_bits(c) BETWEEN 0 AND 32 THEN
        CAST((ip4_int(split_part(c, '/', 1)) // (1::BIGINT << (32 - cidr_bits(c))))
             * (1::BIGINT << (32 - cidr_bits(c))) AS UINTEGER)
    END
);

CREATE OR REPLACE MACRO cidr4_hi(c) AS (
    CAST(cidr4_lo(c) + (1::BIGINT << (32 - cidr_bits(c))) - 1 AS UINTEGER)
);

-- First and last IPv6 address of a CIDR, as integers comparable with src_ip6/dst_ip6.
CREATE OR REPLACE MACRO cidr6_lo(c) AS (
    CASE WHEN cidr_bits(c) = 0 AND ip6_int(split_part(c, '/', 1)) IS NOT NULL THEN 0::UHUGEINT
         WHEN cidr_bits(c) BETWEEN 1 AND 128 THEN
            (ip6_int(split_part(c, '/', 1)) // (1::UHUGEINT << CAST(128 - cidr_bits(c) AS UHUGEINT)))
                * (1::UHUGEINT << CAST(128 - cidr_bits(c) AS UHUGEINT))
    END
);

CREATE OR REPLACE MACRO cidr6_hi(c) AS (
    CASE WHEN cidr_bits(c) = 0 THEN 340282366920938463463374607431768211455::UHUGEINT
         ELSE cidr6_lo(c) + ((1::UHUGEINT << CAST(128 - cidr_bits(c) AS UHUGEINT)) - 1)
    END
);

-- in_cidr(dstaddr, '10.0.0.0/8'): the same test on address text, IPv4 or IPv6.
CREATE OR REPLACE MACRO in_cidr(a, c) AS (
    CASE WHEN contains(c, ':') THEN ip6_int(a) BETWEEN cidr6_lo(c) AND cidr6_hi(c)
         ELSE ip4_int(a) BETWEEN cidr4_lo(c) AND cidr4_hi(c) END
);

-- ip_in_cidr(dst_ip, '10.0.0.0/8'): the CIDR test on an address key, fast for IPv4.
CREATE OR REPLACE MACRO ip_in_cidr(k, c) AS (
    CASE WHEN contains(c, ':') THEN k < 0 AND in_cidr(ip_text(k), c)
         ELSE k BETWEEN cidr4_lo(c) AND cidr4_hi(c) END
);

-- is_private_ip4_int(n): IPv4 ranges that no registry owns, for an address as an integer (an
-- IPv4 address key): RFC 1918, carrier-grade NAT, loopback, link-local, documentation,
-- benchmarking, multicast and reserved. Plain comparisons: fast on every row of a report.
CREATE OR REPLACE MACRO is_private_ip4_int(n) AS (
    n BETWEEN 0 AND 16777215                      -- 0.0.0.0/8
    OR n BETWEEN 167772160 AND 184549375          -- 10.0.0.0/8
    OR n BETWEEN 1681915904 AND 1686110207        -- 100.64.0.0/10
    OR n BETWEEN 2130706432 AND 2147483647        -- 127.0.0.0/8
    OR n BETWEEN 2851995648 AND 2852061183        -- 169.254.0.0/16
    OR n BETWEEN 2886729728 AND 2887778303        -- 172.16.0.0/12
    OR n BETWEEN 3221225472 AND 3221225727        -- 192.0.0.0/24
    OR n BETWEEN 3221225984 AND 3221226239        -- 192.0.2.0/24
    OR n BETWEEN 3227017984 AND 3227018239        -- 192.88.99.0/24
    OR n BETWEEN 3232235520 AND 3232301055        -- 192.168.0.0/16
    OR n BETWEEN 3323068416 AND 3323199487        -- 198.18.0.0/15
    OR n BETWEEN 3325256704 AND 3325256959        -- 198.51.100.0/24
    OR n BETWEEN 3405803776 AND 3405804031        -- 203.0.113.0/24
    OR n BETWEEN 3758096384 AND 4294967295        -- 224.0.0.0/3
);

-- is_private_ip4('10.1.2.3'): the same for an IPv4 address as text.
CREATE OR REPLACE MACRO is_private_ip4(a) AS (
    is_private_ip4_int(ip4_int(a))
);

-- is_private_ip(addr): the same for IPv4 or IPv6 (unique-local, link-local, documentation,
-- multicast, and IPv4-mapped private addresses): addresses never sent to whois. The IPv6
-- ranges are their first and last addresses as numbers, and the address is made a number once
-- (list_transform binds it): written as in_cidr tests, the macro took DuckDB 0.13 s to bind
-- in each statement that called it.
CREATE OR REPLACE MACRO is_private_ip(a) AS (
    CASE WHEN contains(a, ':') THEN
        list_transform([ip6_int(a)], lambda v:
            v BETWEEN '0'::UHUGEINT AND '1'::UHUGEINT                                  -- ::/127
            OR v BETWEEN '524413980668812575603097810486951936'::UHUGEINT
                     AND '524413980670021501422712439661658111'::UHUGEINT              -- 64:ff9b:1::/48
            OR v BETWEEN '1329227995784915872903807060280344576'::UHUGEINT
                     AND '1329227995784915891350551133989896191'::UHUGEINT             -- 100::/64
            OR v BETWEEN '42540488161975842760550356425300246528'::UHUGEINT
                     AND '42540528726795050063891204319802818559'::UHUGEINT            -- 2001::/23
            OR v BETWEEN '42540766411282592856903984951653826560'::UHUGEINT
                     AND '42540766490510755371168322545197776895'::UHUGEINT            -- 2001:db8::/32
            OR v BETWEEN '334965454937798799971759379190646833152'::UHUGEINT
                     AND '337623910929368631717566993311207522303'::UHUGEINT           -- fc00::/7
            OR v BETWEEN '338288524927261089654018896841347694592'::UHUGEINT
                     AND '338620831926207318622244848606417780735'::UHUGEINT           -- fe80::/10
            OR v BETWEEN '338953138925153547590470800371487866880'::UHUGEINT
                     AND '340282366920938463463374607431768211455'::UHUGEINT           -- ff00::/8
            OR (v // 4294967296 = 65535 AND is_private_ip4_int(v % 4294967296)))[1]   -- ::ffff:0:0/96
    ELSE is_private_ip4(a)
    END
);

-- protocol_name(6) = 'TCP': IANA protocol numbers seen in flow logs; others as their number.
CREATE OR REPLACE MACRO protocol_name(p) AS (
    CASE p
        WHEN 1 THEN 'ICMP' WHEN 2 THEN 'IGMP' WHEN 4 THEN 'IPv4' WHEN 6 THEN 'TCP'
        WHEN 17 THEN 'UDP' WHEN 41 THEN 'IPv6' WHEN 47 THEN 'GRE' WHEN 50 THEN 'ESP'
        WHEN 51 THEN 'AH' WHEN 58 THEN 'ICMPv6' WHEN 89 THEN 'OSPF' WHEN 103 THEN 'PIM'
        WHEN 112 THEN 'VRRP' WHEN 132 THEN 'SCTP'
        ELSE CAST(p AS VARCHAR)
    END
);

-- tcp_flags_text(19) = 'FIN,SYN-ACK': the flags a flow-log tcp-flags value carries
-- (FIN 1, SYN 2, RST 4, SYN-ACK 18, OR-ed over the aggregation window).
CREATE OR REPLACE MACRO tcp_flags_text(f) AS (
    CASE WHEN f IS NULL THEN NULL WHEN f = 0 THEN '' ELSE
        array_to_string(list_filter([
            CASE WHEN f & 1 = 1 THEN 'FIN' END,
            CASE WHEN f & 18 = 18 THEN 'SYN-ACK' WHEN f & 2 = 2 THEN 'SYN' END,
            CASE WHEN f & 4 = 4 THEN 'RST' END], lambda x: x IS NOT NULL), ',')
    END
);

-- nat_vpc_side(src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, nat): whether a record of a NAT gateway's
-- own interface, given the key of the gateway's private address, is on the gateway's VPC side
-- (instance to gateway or back) rather than its outside (gateway to destination or back).
-- pkt-dstaddr and pkt-srcaddr tell for certain: a packet addressed beyond the gateway is on the
-- VPC side. Without them the VPC side is taken to be the private IPv4 addresses, which a private
-- NAT gateway or a peered network with private addresses defeats.
CREATE OR REPLACE MACRO nat_vpc_side(src, dst, pkt_src, pkt_dst, nat) AS (
    CASE WHEN dst = nat THEN
             CASE WHEN pkt_dst IS NOT NULL THEN pkt_dst <> nat ELSE src >= 0 AND is_private_ip4_int(src) END
         WHEN src = nat THEN
             CASE WHEN pkt_src IS NOT NULL THEN pkt_src <> nat ELSE dst >= 0 AND is_private_ip4_int(dst) END
    END
);

-- nat_leg(src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, nat): which of the four records AWS documents
-- for a flow through a NAT gateway a record of the gateway's own interface is:
--   'in from source'        instance -> gateway: received, so billed (BytesInFromSource)
--   'out to destination'    gateway -> destination: the same bytes, translated
--   'in from destination'   destination -> gateway: received, so billed (BytesInFromDestination)
--   'out to source'         gateway -> instance: the same bytes, translated back
-- (The reports test dst_ip = nat and nat_vpc_side instead: cheaper than comparing the names.)
CREATE OR REPLACE MACRO nat_leg(src, dst, pkt_src, pkt_dst, nat) AS (
    CASE WHEN dst = nat THEN
             CASE WHEN nat_vpc_side(src, dst, pkt_src, pkt_dst, nat) THEN 'in from source' ELSE 'in from destination' END
         WHEN src = nat THEN
             CASE WHEN nat_vpc_side(src, dst, pkt_src, pkt_dst, nat) THEN 'out to source' ELSE 'out to destination' END
    END
);

-- What ingested_files knows of each file, in lists indexed by file_id, so that the flows view
-- can show it per row at no cost when a query does not ask for it (a join would cost every
-- query a pass over the rows).
CREATE OR REPLACE VIEW flowsql_file_lists AS
SELECT list(f.uri ORDER BY g.i) AS uri, list(f.account ORDER BY g.i) AS account,
       list(f.region ORDER BY g.i) AS region, list(f.log_date ORDER BY g.i) AS log_date
FROM range(1, (SELECT coalesce(max(file_id), 0) + 1 FROM ingested_files)) g(i)
LEFT JOIN ingested_files f ON f.file_id = g.i;

-- eni_latest: the latest snapshot of each address of each account and VPC, with the address's
-- key in flows. Organisations reuse private address space across accounts and VPCs, so an
-- address alone does not name an interface: see eni_at.
CREATE OR REPLACE VIEW eni_latest AS
SELECT * EXCLUDE (rn) FROM (
    SELECT e.*, coalesce(CAST(ip4_int(e.address) AS BIGINT), k.key) AS addr_key,
           row_number() OVER (PARTITION BY e.owner_id, e.vpc_id, e.address ORDER BY e.last_seen DESC, e.interface_id) AS rn
    FROM eni e LEFT JOIN flowsql_addr_keys k ON k.addr = e.address
) WHERE rn = 1;

-- eni_at(account_id, vpc_id, k): the interface that held address key k for the records of an
-- account and VPC (either may be NULL, as when the logs lack the field): the one interface of
-- that account and VPC with the address, else the one of that account, else the one in the eni
-- table at all. Where two interfaces match at the first level that has any (private addresses
-- reused across accounts or VPCs that the records do not tell apart), there is no answer rather
-- than a wrong one.
CREATE OR REPLACE MACRO eni_at(acct, vpc, k) AS TABLE
    WITH m AS (
        SELECT e.*, coalesce(e.owner_id = acct AND e.vpc_id = vpc, false) AS same_vpc,
               coalesce(e.owner_id = acct, false) AS same_account
        FROM eni_latest e WHERE e.addr_key = k
    ), n AS (
        SELECT count(*) FILTER (WHERE same_vpc) AS in_vpc, count(*) FILTER (WHERE same_account) AS in_account,
               count(*) AS anywhere
        FROM m
    )
    SELECT m.* EXCLUDE (same_vpc, same_account) FROM m, n
    WHERE CASE WHEN n.in_vpc > 0 THEN m.same_vpc AND n.in_vpc = 1
               WHEN n.in_account > 0 THEN m.same_account AND n.in_account = 1
               ELSE n.anywhere = 1 END;

-- same_network(account_id, vpc_id, account, vpc): whether a record of an account and VPC is in
-- the given account and VPC, as far as the fields tell (a field that either side lacks does
-- not count against it): the VPC decides where both have one, else the account.
CREATE OR REPLACE MACRO same_network(acct, vpc, other_acct, other_vpc) AS (
    CASE WHEN vpc IS NOT NULL AND other_vpc IS NOT NULL THEN vpc = other_vpc
         WHEN acct IS NOT NULL AND other_acct IS NOT NULL AND acct <> 'unknown' AND other_acct <> 'unknown' THEN acct = other_acct
         ELSE true END
);

-- network_scope(account_id, vpc_id): a number for an account and VPC, which the hourly summary
-- stores beside them (its scope column) so that a report can tell the hosts of a private
-- address in several accounts and VPCs apart by a number instead of two strings (at 100M
-- records top-destinations groups by it in half the time). DuckDB's hash(), cheap enough to
-- work out for every record when a report reads the records (an MD5 takes 13 s for 100M);
-- two accounts and VPCs share one with a chance of about n²/2⁶⁵ among n of them. hash() may
-- change between DuckDB's versions: the stored numbers are worked out anew whenever this
-- macro's value for a fixed pair changes (the "summary scope" step in schema.go).
CREATE OR REPLACE MACRO network_scope(acct, vpc) AS (
    hash(acct, vpc)
);

-- key_is_private(k): whether an address key is a private or reserved address (is_private_ip).
CREATE OR REPLACE MACRO key_is_private(k) AS (
    CASE WHEN k >= 0 THEN is_private_ip4_int(k) ELSE (SELECT private FROM flowsql_addr_keys WHERE key = k) END
);


-- aws_service_rank('S3') = 0: how much a service that lists an address says about it. A named
-- service (S3, DYNAMODB, CLOUDFRONT, ...) says most; EC2, which lists whole blocks holding other
-- services' prefixes (and many of the very same prefixes), less; AMAZON (all of AWS) least.
CREATE OR REPLACE MACRO aws_service_rank(service) AS (
    CASE service WHEN 'AMAZON' THEN 2 WHEN 'EC2' THEN 1 ELSE 0 END
);

-- aws6_ranges(addr): the AWS prefixes that hold an IPv6 address (as text), best first.
CREATE OR REPLACE MACRO aws6_ranges(a) AS TABLE
    SELECT * FROM aws_ip_ranges
    WHERE family = 'ipv6' AND ip6_int(a) BETWEEN lo6 AND hi6
    ORDER BY aws_service_rank(service), prefix_length DESC, service;

-- aws_service('52.216.10.5') = 'S3': the service that names an address: the most specific
-- prefix of a named service, else of EC2, else of AMAZON (NULL outside AWS). aws_region is that
-- prefix's region; aws_services lists every service whose prefixes hold the address.
CREATE OR REPLACE MACRO aws_service(a) AS (
    CASE WHEN contains(a, ':') THEN (SELECT service FROM aws6_ranges(a) LIMIT 1)
    ELSE (SELECT service FROM aws_ip_segments WHERE ip4_int(a) BETWEEN lo AND hi)
    END
);

CREATE OR REPLACE MACRO aws_region(a) AS (
    CASE WHEN contains(a, ':') THEN (SELECT region FROM aws6_ranges(a) LIMIT 1)
    ELSE (SELECT region FROM aws_ip_segments WHERE ip4_int(a) BETWEEN lo AND hi)
    END
);

CREATE OR REPLACE MACRO aws_services(a) AS (
    CASE WHEN contains(a, ':') THEN (SELECT list(DISTINCT service ORDER BY service) FROM aws6_ranges(a))
    ELSE (SELECT services FROM aws_ip_segments WHERE ip4_int(a) BETWEEN lo AND hi)
    END
);

-- gateway_endpoint_service(aws_services(addr)) = 'S3' when S3's prefix lists hold the
-- address (DYNAMODB likewise): what a gateway endpoint, which is free, would carry instead of
-- a NAT gateway, whatever other services list the address too.
CREATE OR REPLACE MACRO gateway_endpoint_service(services) AS (
    CASE WHEN list_contains(services, 'S3') THEN 'S3' WHEN list_contains(services, 'DYNAMODB') THEN 'DYNAMODB' END
);

-- service_port(srcport, dstport, protocol, tcp_flags, side) is the port a flow record counts
-- under in top-ports: its destination port for side 'destination'; otherwise its service's
-- port. A TCP record that holds the handshake says which end is the server (tcp-flags: SYN
-- alone, 2, on the client's way to it; SYN-ACK, 18, on its way back); other records, the
-- lower of the two ports (clients' are ephemeral, 32768 and above on Linux).
CREATE OR REPLACE MACRO service_port(sport, dport, proto, flags, side) AS (
    CASE WHEN side = 'destination' THEN dport
         WHEN proto = 6 AND (coalesce(flags, 0) & 18) = 2 THEN dport
         WHEN proto = 6 AND (coalesce(flags, 0) & 18) = 18 THEN sport
         ELSE least(sport, dport)
    END
);

-- flow_log_of(flow_log_id, header) names the flow log a file is of: its ID from the file's
-- name, or, for a file named otherwise, its format ("format: <header>"), one flow log per format.
CREATE OR REPLACE MACRO flow_log_of(id, header) AS (coalesce(id, 'format: ' || header));

-- record_time(t) is whether t, in Unix seconds, can be a flow record's start or end: from VPC
-- Flow Logs' launch (June 2015) to a day from now, the bounds outside which a load flags a
-- record's times (pkg/ingest's timeBounds). A time in milliseconds, or of 0, would stretch a
-- span by millennia or to 1970: the figures that measure a period leave such records out of it.
CREATE OR REPLACE MACRO record_time(t) AS (t BETWEEN 1433116800 AND CAST(epoch(current_timestamp) AS BIGINT) + 86400);

-- nat_processed(action, inbound) is whether a record's traffic was processed by a NAT gateway
-- as far as its action tells: not traffic rejected on its way in (to the gateway, by its
-- subnet's network ACL, or out of a source, by the source's security group or ACL), which was
-- dropped before the gateway; traffic rejected on its way out of the gateway was processed
-- first. A format without the action field has none to say so.
CREATE OR REPLACE MACRO nat_processed(a, inbound) AS (a IS DISTINCT FROM 'REJECT'::flow_action OR NOT inbound);

-- nat_remedy(service) is what could carry a NAT gateway's traffic to an AWS service of the
-- ranges (ip-ranges.json's codes) instead: a gateway endpoint, free, for S3 and DynamoDB; an
-- interface endpoint for a service's API, where it has one. EC2's ranges hold hosts (instances,
-- load balancers, other accounts' too), not an AWS API: the ec2 endpoint carries only EC2's API
-- calls. CloudFront, Global Accelerator, Route 53, WorkSpaces gateways and Chime have no
-- endpoint for their traffic, and CODEBUILD's and EC2_INSTANCE_CONNECT's ranges are where
-- those services connect from. AMAZON's hold many services' APIs, which the ranges do not tell
-- apart. Only the rows whose remedy begins 'interface endpoint' are weighed as one.
CREATE OR REPLACE MACRO nat_remedy(service) AS (
    CASE WHEN service IS NULL THEN NULL
         WHEN service IN ('S3', 'DYNAMODB') THEN 'gateway endpoint (free)'
         WHEN regexp_matches(service, '^[A-Z0-9_]+ \(') THEN 'none: an endpoint reaches its own region''s service only'
         WHEN service = 'EC2' THEN 'none: hosts on EC2, not an AWS API (PrivateLink where their owner offers it)'
         WHEN service = 'AMAZON' THEN 'an interface endpoint for each AWS API among them, where it has one (the domains tell which)'
         WHEN service IN ('CLOUDFRONT', 'CLOUDFRONT_ORIGIN_FACING', 'GLOBALACCELERATOR', 'ROUTE53', 'ROUTE53_HEALTHCHECKS',
                          'ROUTE53_HEALTHCHECKS_PUBLISHING', 'ROUTE53_RESOLVER', 'WORKSPACES_GATEWAYS', 'CHIME_MEETINGS',
                          'CHIME_VOICECONNECTOR', 'CODEBUILD', 'EC2_INSTANCE_CONNECT') THEN 'none: no endpoint carries it'
         ELSE 'interface endpoint, where the service has one'
    END
);

-- nat_destination_service(services, service, logged): what a NAT gateway's traffic to an address
-- is counted under: S3 or DYNAMODB when their prefix lists hold the address (a gateway endpoint
-- would carry it) or the logs' pkt-*-aws-service says so, else the service that names it, else
-- what the logs say. services and service come from aws_ip_segments, logged from the records.
CREATE OR REPLACE MACRO nat_destination_service(services, service, logged) AS (
    coalesce(gateway_endpoint_service(services), CASE WHEN logged IN ('S3', 'DYNAMODB') THEN logged END, service, logged)
);

-- nat_endpoint_service(service, region, nat_region): the service a NAT gateway's traffic counts
-- under, told by where an endpoint reaches: a service that an endpoint could carry (S3's and
-- DynamoDB's gateway endpoints, an interface endpoint, AMAZON's APIs' ones) in another region
-- than the gateway's (both known; not GLOBAL) becomes 'S3 (us-west-2)', say, which no endpoint
-- in the gateway's VPC carries (each reaches its own region's service only).
CREATE OR REPLACE MACRO nat_endpoint_service(service, region, nat_region) AS (
    CASE WHEN region IS NOT NULL AND nat_region IS NOT NULL AND region <> nat_region AND region <> 'GLOBAL'
              AND (service IN ('S3', 'DYNAMODB', 'AMAZON') OR starts_with(nat_remedy(service), 'interface endpoint'))
         THEN service || ' (' || region || ')' ELSE service END
);

-- ip_network('23.52.1.1') = 'AT-88-Z': the network name of the most specific range looked up.
CREATE OR REPLACE MACRO ip_network(a) AS (
    CASE WHEN contains(a, ':') THEN
        (SELECT network_name FROM ip_owner WHERE lo6 IS NOT NULL AND ip6_int(a) BETWEEN lo6 AND hi6
         ORDER BY hi6 - lo6 LIMIT 1)
    ELSE (SELECT network_name FROM ip_owner_segments WHERE ip4_int(a) BETWEEN lo AND hi)
    END
);

CREATE OR REPLACE MACRO ip_organisation(a) AS (
    CASE WHEN contains(a, ':') THEN
        (SELECT organisation FROM ip_owner WHERE lo6 IS NOT NULL AND ip6_int(a) BETWEEN lo6 AND hi6
         ORDER BY hi6 - lo6 LIMIT 1)
    ELSE (SELECT organisation FROM ip_owner_segments WHERE ip4_int(a) BETWEEN lo AND hi)
    END
);

-- The same lookups by address key (src_ip, dst_ip), for reports. IPv6 keys are looked up
-- through flowsql_addr_keys by join: calling the text macros on ip_text(k) would cost a report
-- tens of milliseconds per column.
CREATE OR REPLACE MACRO key_aws_service(k) AS (
    CASE WHEN k >= 0 THEN (SELECT service FROM aws_ip_segments WHERE k BETWEEN lo AND hi)
    ELSE (SELECT aws_service(addr) FROM flowsql_addr_keys WHERE key = k)
    END
);

CREATE OR REPLACE MACRO key_aws_region(k) AS (
    CASE WHEN k >= 0 THEN (SELECT region FROM aws_ip_segments WHERE k BETWEEN lo AND hi)
    ELSE (SELECT aws_region(addr) FROM flowsql_addr_keys WHERE key = k)
    END
);

CREATE OR REPLACE MACRO key_aws_services(k) AS (
    CASE WHEN k >= 0 THEN (SELECT services FROM aws_ip_segments WHERE k BETWEEN lo AND hi)
    ELSE (SELECT aws_services(addr) FROM flowsql_addr_keys WHERE key = k)
    END
);

CREATE OR REPLACE MACRO key_network(k) AS (
    CASE WHEN k >= 0 THEN (SELECT network_name FROM ip_owner_segments WHERE k BETWEEN lo AND hi)
    ELSE (SELECT o.network_name FROM ip_owner o, flowsql_addr_keys a
          WHERE a.key = k AND o.lo6 IS NOT NULL AND ip6_int(a.addr) BETWEEN o.lo6 AND o.hi6
          ORDER BY o.hi6 - o.lo6 LIMIT 1)
    END
);

CREATE OR REPLACE MACRO key_organisation(k) AS (
    CASE WHEN k >= 0 THEN (SELECT organisation FROM ip_owner_segments WHERE k BETWEEN lo AND hi)
    ELSE (SELECT o.organisation FROM ip_owner o, flowsql_addr_keys a
          WHERE a.key = k AND o.lo6 IS NOT NULL AND ip6_int(a.addr) BETWEEN o.lo6 AND o.hi6
          ORDER BY o.hi6 - o.lo6 LIMIT 1)
    END
);

-- key_interface_type(account_id, vpc_id, dst_ip) = 'nat_gateway': the type of the interface
-- that holds an address for records of an account and VPC (see eni_at); key_interface and
-- key_interface_name (its Name tag, or else its description, "Interface for NAT Gateway
-- nat-...") likewise. With the key alone they answer only for an address that one interface
-- in the eni table holds.
CREATE OR REPLACE MACRO key_interface_type
    (k) AS ((SELECT interface_type FROM eni_at(NULL, NULL, k))),
    (acct, vpc, k) AS ((SELECT interface_type FROM eni_at(acct, vpc, k)));

CREATE OR REPLACE MACRO key_interface
    (k) AS ((SELECT interface_id FROM eni_at(NULL, NULL, k))),
    (acct, vpc, k) AS ((SELECT interface_id FROM eni_at(acct, vpc, k)));

CREATE OR REPLACE MACRO key_interface_name
    (k) AS ((SELECT coalesce(tags['Name'], nullif(description, '')) FROM eni_at(NULL, NULL, k))),
    (acct, vpc, k) AS ((SELECT coalesce(tags['Name'], nullif(description, '')) FROM eni_at(acct, vpc, k)));

-- dns_answer_rank(query_time, query_name) orders the answers that named an address: the later
-- one last and, between answers of the same microsecond, one the name's hash chooses, so that
-- every report that looks for "the last answer" picks the same one.
CREATE OR REPLACE MACRO dns_answer_rank(ts, name) AS
    epoch_us(ts) * 1024 + CAST(hash(name) % 1024 AS BIGINT);

-- key_domain(dst_ip, "end") = 'registry-1.docker.io': the name that a Route 53 Resolver query
-- log (loaded with the flow logs, into dns_queries) answered with the address most recently at
-- or before a time (Unix seconds), whoever asked; NULL when no answer named it.
-- key_domain(dst_ip, "end", account_id, vpc_id) is the same for the traffic of an account and
-- VPC (NULL where the logs do not say, or for a public address): an answer given in another
-- account or VPC (same_network) does not name a private address there, which templated VPCs
-- reuse for other hosts.
CREATE OR REPLACE MACRO key_domain
    (k, until_s) AS (
        (SELECT arg_max(query_name, dns_answer_rank(query_time, query_name)) FROM dns_queries
         WHERE answer_ip = k AND query_time <= make_timestamp(CAST(until_s AS BIGINT) * 1000000))),
    (k, until_s, acct, vpc) AS (
        (SELECT arg_max(query_name, dns_answer_rank(query_time, query_name)) FROM dns_queries AS d
         WHERE answer_ip = k AND query_time <= make_timestamp(CAST(until_s AS BIGINT) * 1000000)
           AND same_network(d.account_id, d.vpc_id, acct, vpc)));

-- answer_scope(k, account_id) is the scope of an answer, or of traffic, of an account about
-- address key k: the account (hashed) for a private IPv4 address, 0 for any other. Traffic to
-- a private address of logs that do not name the account (a format without ${account-id})
-- matches no account's answers: it goes unnamed rather than named from another account.
CREATE OR REPLACE MACRO answer_scope(k, acct) AS (
    -- IPv4 alone: a VPC's IPv6 addresses are AWS's, each in one place, and key_is_private
    -- would look every other key up, for each of millions of rows
    CASE WHEN k >= 0 AND is_private_ip4_int(k) THEN hash(coalesce(acct, '')) ELSE 0::UBIGINT END
);

-- dns_hourly_answers() is the last answer (dns_answer_rank) for each address in each hour, its
-- time t in Unix seconds: all that the reports matching traffic to names by the hour need
-- (the last answer by the end of an hour is the last of the latest hour that has one), and a
-- tenth of the answers or fewer, which makes their ASOF joins several times cheaper.
-- Each carries its scope (answer_scope): 0 for a public address, which any account's traffic
-- matches; for a private IPv4 address, the account that asked, whose traffic alone it names.
CREATE OR REPLACE MACRO dns_hourly_answers() AS TABLE
    SELECT answer_ip AS addr, answer_scope(answer_ip, account_id) AS scope, CAST(epoch(max(query_time)) AS BIGINT) AS t,
           arg_max(query_name, dns_answer_rank(query_time, query_name)) AS query_name
    FROM dns_queries
    WHERE answer_ip IS NOT NULL
    GROUP BY answer_ip, scope, CAST(epoch(query_time) AS BIGINT) // 3600;

