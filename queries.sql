-- flowsql's canned reports: named queries with a description and declared parameters (the
-- syntax is documented in pkg/queries). List them with `flowsql report`; run one with
-- `flowsql report NAME --param value`. A file given with --queries adds reports of its own and
-- replaces these by name.
--
-- Every report reads "flows". flowsql runs it with the common filters (--since, --until,
-- --account, --interface, --cidr, --where) applied: "flows" then stands for the matching rows of
-- flow_records. Run as written in the duckdb CLI (with values for the $parameters), a report
-- reads the whole flows view.
--
-- Each report has a body per engine it runs on: "-- engine: duckdb" for the local database, and
-- "-- engine: athena" (Trino) for the reports that also run on Amazon Athena over the table that
-- `flowsql athena ddl` creates. There "flows" stands for that table's rows, addresses are text
-- (srcaddr, dstaddr; "-" where the record has none), and there are no flowsql macros.
--
-- Addresses are grouped by their integer keys (src_ip, dst_ip), which is 2-5x faster than by
-- text, and turned into text with ip_text() only for the rows shown, after the LIMIT (before
-- it, every group would be turned into text). Each extra aggregate costs a top-N report a
-- quarter of its time on ten million rows, so top-destinations shows bytes only. Records whose log_status
-- is NODATA or SKIPDATA carry no traffic and are left out of every sum of traffic; where a
-- flow log's format has no log-status field, a record that carries traffic (an address, bytes,
-- packets, ports or an action) reads as OK. log_status and action are compared with typed
-- values ('OK'::flow_log_status): against a plain string DuckDB turns every row's value into
-- text first, and the test is no longer one it can push into the scan (10-15% of a top-N
-- report's time on the summary of 100M records). "-- needs:" names the fields a report's figures
-- depend on: running it says how many loaded records lack one, and refuses when all do;
-- "-- shows:" the fields of columns beside them (packets), which are blank when all lack one. "share" is a
-- row's part of the total of all rows the report grouped, in what the report ranks by (bytes
-- unless --by says otherwise).

-- name: top-destinations
-- description: The addresses that receive the most bytes: the first question about a traffic bill. What each address is comes from flowsql enrich: its interface (type and name), its network and organisation, its AWS service; and from Route 53 Resolver query logs loaded with the flow logs, the name last resolved to it. Each interface that logs a flow counts it (a flow through a NAT gateway is on the instance's interface and the gateway's; one between two instances, on both of theirs), so a row can count the same traffic twice: --interface counts at one interface, and flowsql nat counts what a gateway processed once. Rejected traffic counts too, as bytes sent, not delivered: --where "action IS DISTINCT FROM 'REJECT'" leaves it out.
-- needs: dstaddr, bytes
-- param: limit int = 10: How many addresses to show.
-- optional: account_id, vpc_id, interface_type, interface_name, network, organisation, aws_service, domain
-- engine: duckdb
-- A private address names one host per account and VPC (organisations reuse them), told apart
-- by the summary's number for them (scope), which groups faster than the two strings; a public
-- address names one host, whichever account logged it. flow_destinations holds the bytes by
-- address and scope (the load keeps them: 0.2 s instead of 1 s on 100M records). The top rows'
-- accounts and VPCs are then read from records of their addresses.
WITH top AS (
    SELECT *,
           CAST(bytes AS DOUBLE) / nullif(sum(bytes) OVER (), 0) AS share,
           count(*) OVER (PARTITION BY dst_ip) > 1 OR min(scope) OVER () <> max(scope) OVER () AS shown
    FROM (
        SELECT dst_ip, CASE WHEN key_is_private(dst_ip) THEN scope END AS scope,
               sum(bytes) AS bytes, max(last_end) AS last_end
        FROM flow_destinations
        GROUP BY ALL
    ) AS by_host
    ORDER BY bytes DESC, dst_ip, scope
    LIMIT $limit
), scopes AS (
    SELECT scope, any_value(account_id) AS account_id, any_value(vpc_id) AS vpc_id
    FROM flow_summary
    WHERE dst_ip IN (SELECT dst_ip FROM top WHERE scope IS NOT NULL) AND scope IN (SELECT scope FROM top)
    GROUP BY scope
)
SELECT ip_text(dst_ip) AS dstaddr, bytes, share,
       CASE WHEN shown THEN scope_account END AS account_id,
       CASE WHEN shown THEN scope_vpc END AS vpc_id,
       key_interface_type(scope_account, scope_vpc, dst_ip) AS interface_type,
       key_interface_name(scope_account, scope_vpc, dst_ip) AS interface_name,
       key_network(dst_ip) AS network,
       key_organisation(dst_ip) AS organisation,
       key_aws_service(dst_ip) AS aws_service,
       key_domain(dst_ip, last_end, scope_account, scope_vpc) AS domain
FROM (
    SELECT top.*, scopes.account_id AS scope_account, scopes.vpc_id AS scope_vpc
    FROM top LEFT JOIN scopes ON scopes.scope = top.scope
) AS named
ORDER BY bytes DESC, dstaddr, account_id, vpc_id;
-- engine: athena
SELECT dstaddr, bytes, share
FROM (
    SELECT dstaddr,
           sum(bytes) AS bytes,
           CAST(sum(bytes) AS DOUBLE) / nullif(sum(sum(bytes)) OVER (), 0) AS share
    FROM flows
    WHERE log_status = 'OK' AND dstaddr <> '-'
    GROUP BY dstaddr
    ORDER BY bytes DESC, dstaddr
    LIMIT $limit
) AS top
ORDER BY bytes DESC, dstaddr;

-- name: top-domains
-- description: Traffic by the name its sources resolved the other end from (Route 53 Resolver query logs, loaded with the flow logs): for the traffic of each hour, the last answer with its destination's (or source's) address before the hour ends, if given no more than --window before the hour began; the traffic no answer names is a row of its own. A private address is named by the answers of its own account; a public one by those of every VPC loaded (a CDN address that serves many names takes the name last answered, wherever). Bytes as the records count them: a flow through a NAT gateway is on the instance's interface and the gateway's. Rejected traffic counts too, as bytes sent, not delivered: --where "action IS DISTINCT FROM 'REJECT'" leaves it out.
-- needs: srcaddr, dstaddr, bytes, start
-- lookup: dns_queries: it holds the answers of Route 53 Resolver query logs, which flowsql load reads beside the flow logs (AWSLogs/ACCOUNT/vpcdnsquerylogs/...)
-- param: window interval = 1h: How long before the hour an answer still names its address.
-- param: limit int = 10: How many names to show.
-- engine: duckdb
-- Each hourly answer (dns_hourly_answers: the last of its hour) names its address in each hour
-- from its own until the next answer's, or until --window after it, or the records' last hour:
-- a row per address, scope and hour, which the traffic's rows then join by equality. (An ASOF
-- join of the traffic, first added up by address and hour, took 6-7 s on 100M records with 9M
-- answers where this takes 4.5-5; with sparse answers and a long --window it makes more rows.)
WITH names AS (
    SELECT addr, scope, query_name,
           unnest(range(t // 3600, least(lead(t // 3600, 1, 9223372036854775807) OVER (PARTITION BY addr, scope ORDER BY t),
                                         (t + $window) // 3600 + 1,
                                         (SELECT max(start_hour) + 1 FROM flow_summary)))) AS hour
    FROM dns_hourly_answers()
),
-- A private address is named by the answers its own account was given (answer_scope).
named AS (
    SELECT n.query_name AS domain, f.addr, f.bytes, f.records
    FROM (
        SELECT dst_ip AS addr, answer_scope(dst_ip, account_id) AS scope, start_hour, bytes, records
        FROM flow_summary
        WHERE log_status = 'OK'::flow_log_status
        UNION ALL
        SELECT src_ip, answer_scope(src_ip, account_id), start_hour, bytes, records
        FROM flow_summary
        WHERE log_status = 'OK'::flow_log_status
    ) AS f
    JOIN names AS n ON f.addr = n.addr AND f.scope = n.scope AND f.start_hour = n.hour
),
-- The traffic that no answer names is a row of its own, so that the names' share shows: the
-- total less what the names hold, taken over the names' rows (named, once: its join is the
-- report's cost).
listed AS (
    SELECT domain, CAST(sum(bytes) AS BIGINT) AS bytes, CAST(sum(records) AS BIGINT) AS records,
           count(DISTINCT addr) AS addresses, false AS rest
    FROM named
    GROUP BY domain
    UNION ALL
    SELECT '(no answer names it)', CAST(coalesce(sum(bytes), 0) AS BIGINT), CAST(coalesce(sum(records), 0) AS BIGINT), NULL, true
    FROM flow_summary WHERE log_status = 'OK'::flow_log_status AND (src_ip IS NOT NULL OR dst_ip IS NOT NULL)
),
domains AS (
    SELECT domain,
           CASE WHEN rest THEN greatest(bytes - coalesce(sum(bytes) FILTER (WHERE NOT rest) OVER (), 0), 0) ELSE bytes END AS bytes,
           CASE WHEN rest THEN greatest(records - coalesce(sum(records) FILTER (WHERE NOT rest) OVER (), 0), 0) ELSE records END AS records,
           addresses
    FROM listed
)
SELECT domain, bytes, records, addresses
FROM domains
WHERE records > 0
ORDER BY bytes DESC, domain
LIMIT $limit;

-- name: top-sources
-- description: Who sends the most bytes to one address, for example a NAT gateway's, with what each sender is (from flowsql enrich). Each interface that logs a flow counts it (a flow through a NAT gateway is on the instance's interface and the gateway's; one between two instances, on both of theirs), so a row can count the same traffic twice: --interface counts at one interface, and flowsql nat counts what a gateway processed once. Rejected traffic counts too, as bytes sent, not delivered: --where "action IS DISTINCT FROM 'REJECT'" leaves it out.
-- needs: srcaddr, dstaddr, bytes
-- shows: packets
-- param: dst addr: The address the traffic goes to.
-- param: limit int = 10: How many senders to show.
-- optional: account_id, vpc_id, interface_type, interface_name, network, organisation, aws_service
-- engine: duckdb
WITH by_host AS MATERIALIZED (
    -- A private address names one host per account and VPC (organisations reuse them): a
    -- private sender, or any sender to a private destination, is told apart by the account and
    -- VPC of the records. by_host is read twice: to rank the senders, and to find which of the
    -- top ones are hosts in several accounts or VPCs, a lookup of the top rows' addresses (a
    -- window over every sender took 0.05-0.07 s more of the report's 0.8 s on 100M records).
    SELECT src_ip,
           CASE WHEN key_is_private(src_ip) OR key_is_private($dst) THEN account_id END AS scope_account,
           CASE WHEN key_is_private(src_ip) OR key_is_private($dst) THEN vpc_id END AS scope_vpc,
           sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows
    FROM (
        SELECT src_ip, account_id, vpc_id, sum(bytes) AS bytes, sum(packets) AS packets,
               CAST(sum(records) AS BIGINT) AS flows
        FROM flow_summary
        WHERE log_status = 'OK'::flow_log_status AND dst_ip = $dst AND src_ip IS NOT NULL
        GROUP BY ALL
    ) AS by_account
    GROUP BY ALL
), top AS (
    SELECT *,
           CAST(bytes AS DOUBLE) / nullif(sum(bytes) OVER (), 0) AS share,
           min(scope_account) OVER () <> max(scope_account) OVER ()
               OR min(scope_vpc) OVER () <> max(scope_vpc) OVER () AS scopes_differ
    FROM by_host
    ORDER BY bytes DESC, src_ip, scope_account, scope_vpc
    LIMIT $limit
)
SELECT ip_text(src_ip) AS srcaddr, bytes, packets, flows, share,
       CASE WHEN shown THEN scope_account END AS account_id,
       CASE WHEN shown THEN scope_vpc END AS vpc_id,
       key_interface_type(scope_account, scope_vpc, src_ip) AS interface_type,
       key_interface_name(scope_account, scope_vpc, src_ip) AS interface_name,
       key_network(src_ip) AS network,
       key_organisation(src_ip) AS organisation,
       key_aws_service(src_ip) AS aws_service
FROM (
    SELECT *,
           scopes_differ OR src_ip IN (
               SELECT src_ip FROM by_host WHERE src_ip IN (SELECT src_ip FROM top)
               GROUP BY src_ip HAVING count(*) > 1) AS shown
    FROM top
) AS top
ORDER BY bytes DESC, srcaddr, account_id, vpc_id;
-- engine: athena
SELECT srcaddr, bytes, packets, flows, share
FROM (
    SELECT srcaddr,
           sum(bytes) AS bytes,
           sum(packets) AS packets,
           count(*) AS flows,
           CAST(sum(bytes) AS DOUBLE) / nullif(sum(sum(bytes)) OVER (), 0) AS share
    FROM flows
    WHERE log_status = 'OK' AND dstaddr = $dst AND srcaddr <> '-'
    GROUP BY srcaddr
    ORDER BY bytes DESC, srcaddr
    LIMIT $limit
) AS top
ORDER BY bytes DESC, srcaddr;

-- name: by-network
-- description: The bytes sent to one address grouped by the network that sent them, as flowsql enrich whois named it (the last table of a NAT gateway investigation). Senders not looked up yet are counted as such; 'flowsql enrich whois --top N --dst ADDR' names them. Rejected traffic counts too, as bytes sent, not delivered: --where "action IS DISTINCT FROM 'REJECT'" leaves it out.
-- needs: srcaddr, dstaddr, bytes
-- param: dst addr: The address the traffic goes to, for example a NAT gateway's private address.
-- param: limit int = 20: How many networks to show.
-- engine: duckdb
WITH scopes AS (
    -- Whether the records are of several accounts or VPCs, which may reuse private addresses.
    SELECT count(DISTINCT account_id) > 1 OR count(DISTINCT vpc_id) > 1 AS many FROM flow_summary
),
senders AS (
    -- A private sender is a host in each account and VPC.
    SELECT src_ip,
           CASE WHEN (SELECT many FROM scopes) AND is_private_ip4_int(src_ip) THEN account_id END AS scope_account,
           CASE WHEN (SELECT many FROM scopes) AND is_private_ip4_int(src_ip) THEN vpc_id END AS scope_vpc,
           sum(bytes) AS bytes, CAST(sum(records) AS BIGINT) AS flows
    FROM flow_summary
    WHERE log_status = 'OK'::flow_log_status AND dst_ip = $dst AND src_ip IS NOT NULL
    GROUP BY ALL
),
named AS (
    SELECT s.src_ip, s.bytes, s.flows,
           CASE WHEN s.src_ip <= o.hi THEN o.network_name END AS network,
           CASE WHEN s.src_ip <= o.hi THEN o.organisation END AS organisation,
           CASE WHEN s.src_ip <= o.hi THEN o.country END AS country,
           is_private_ip4_int(s.src_ip) AS private
    FROM senders AS s ASOF LEFT JOIN ip_owner_segments AS o ON s.src_ip >= o.lo
    WHERE s.src_ip >= 0
    UNION ALL
    SELECT s.src_ip, s.bytes, s.flows, ip_network(k.addr), ip_organisation(k.addr), NULL, is_private_ip(k.addr)
    FROM senders AS s JOIN flowsql_addr_keys AS k ON k.key = s.src_ip
    WHERE s.src_ip < 0
),
grouped AS (
    SELECT coalesce(network, CASE WHEN private THEN '(private)' ELSE '(not looked up)' END) AS network,
           organisation, country,
           sum(bytes) AS bytes,
           sum(flows) AS flows,
           count(*) AS senders,
           arg_max(src_ip, bytes) AS top_sender_key,
           CAST(sum(bytes) AS DOUBLE) / nullif(sum(sum(bytes)) OVER (), 0) AS share
    FROM named
    GROUP BY 1, 2, 3
    ORDER BY bytes DESC, network
    LIMIT $limit
)
SELECT network, organisation, country, bytes, flows, senders, ip_text(top_sender_key) AS top_sender, share
FROM grouped
ORDER BY bytes DESC, network;

-- name: aws-services
-- description: Traffic to and from AWS's published ranges by service and region, as flowsql enrich aws-ranges named them; the most specific prefix names the service, so S3 inside an EC2 range is S3. A VPC's own IPv6 addresses are in EC2's ranges too: the traffic of the /56 blocks of the logged VPCs (found from the eni table, or from an interface's records: the address in every one of them) is a row of its own, "(logged VPCs' IPv6)", not EC2; a VPC whose interfaces each have several addresses, and no eni snapshot, stays under EC2. Each interface that logs a flow counts it (a flow through a NAT gateway is logged by the instance and twice by the gateway); --interface counts at one. Rejected traffic counts too, as bytes sent, not delivered: --where "action IS DISTINCT FROM 'REJECT'" leaves it out.
-- needs: srcaddr, dstaddr, bytes
-- lookup: aws_ip_ranges: 'flowsql enrich aws-ranges' loads AWS's published ranges
-- param: limit int = 20: How many rows to show.
-- engine: duckdb
WITH ends AS (
    SELECT 'to' AS direction, dst_ip AS addr, sum(bytes) AS bytes, CAST(sum(records) AS BIGINT) AS flows
    FROM flow_summary
    WHERE log_status = 'OK'::flow_log_status AND dst_ip IS NOT NULL
    GROUP BY dst_ip
    UNION ALL
    SELECT 'from', src_ip, sum(bytes), CAST(sum(records) AS BIGINT)
    FROM flow_summary
    WHERE log_status = 'OK'::flow_log_status AND src_ip IS NOT NULL
    GROUP BY src_ip
),
-- An interface's own IPv6 address is in every one of its records (with two peers or more, it
-- is the one address that is); the eni table lists them too. Their /56 is their VPC's block.
v6_rows AS (
    SELECT interface_id, src_ip, dst_ip
    FROM flow_summary
    WHERE log_status = 'OK'::flow_log_status AND (src_ip < 0 OR dst_ip < 0) AND src_ip <> dst_ip AND interface_id IS NOT NULL
),
v6_own AS (
    SELECT addr
    FROM (
        SELECT interface_id, addr, count(*) AS rows_with,
               count(*) OVER (PARTITION BY interface_id) AS addrs
        FROM (SELECT interface_id, src_ip AS addr FROM v6_rows UNION ALL SELECT interface_id, dst_ip FROM v6_rows)
        GROUP BY interface_id, addr
    ) AS a
    JOIN (SELECT interface_id, count(*) AS n FROM v6_rows GROUP BY interface_id) AS r USING (interface_id)
    WHERE a.addr < 0 AND a.rows_with = r.n AND a.addrs >= 3
),
own_blocks AS (
    SELECT DISTINCT ip6_int(k.addr) >> 72 AS block FROM v6_own AS o JOIN flowsql_addr_keys AS k ON k.key = o.addr
    UNION
    SELECT DISTINCT ip6_int(address) >> 72 FROM eni WHERE contains(address, ':')
),
named AS (
    SELECT e.direction, e.addr, e.bytes, e.flows, s.service, s.region
    FROM ends AS e ASOF JOIN aws_ip_segments AS s ON e.addr >= s.lo
    WHERE e.addr >= 0 AND e.addr <= s.hi
    UNION ALL
    SELECT direction, addr, bytes, flows,
           CASE WHEN service IS NOT NULL AND own THEN '(logged VPCs'' IPv6)' ELSE service END,
           CASE WHEN NOT own THEN region END
    FROM (
        SELECT e.*, aws_service(k.addr) AS service, aws_region(k.addr) AS region,
               ip6_int(k.addr) >> 72 IN (SELECT block FROM own_blocks) AS own
        FROM ends AS e JOIN flowsql_addr_keys AS k ON k.key = e.addr
        WHERE e.addr < 0
    ) AS v6
)
SELECT service, region, bytes_to, bytes_from, bytes, flows, addresses, share
FROM (
    SELECT service, region,
           coalesce(sum(bytes) FILTER (WHERE direction = 'to'), 0) AS bytes_to,
           coalesce(sum(bytes) FILTER (WHERE direction = 'from'), 0) AS bytes_from,
           sum(bytes) AS bytes,
           sum(flows) AS flows,
           count(DISTINCT addr) AS addresses,
           CAST(sum(bytes) AS DOUBLE) / nullif(sum(sum(bytes)) OVER (), 0) AS share
    FROM named
    WHERE service IS NOT NULL
    GROUP BY service, region
    ORDER BY bytes DESC, service, region
    LIMIT $limit
) AS top
ORDER BY bytes DESC, service, region;

-- name: top-talkers
-- description: The source and destination pairs that exchange the most traffic. Each interface that logs a flow counts it (a flow through a NAT gateway is on the instance's interface and the gateway's; one between two instances, on both of theirs), so a row can count the same traffic twice: --interface counts at one interface, and flowsql nat counts what a gateway processed once. Rejected traffic counts too, as bytes sent, not delivered: --where "action IS DISTINCT FROM 'REJECT'" leaves it out.
-- needs: srcaddr, dstaddr
-- needs: bytes if by = bytes
-- needs: packets if by = packets
-- shows: bytes, packets
-- param: by choice(bytes|packets|flows) = bytes: What to rank the pairs by.
-- param: limit int = 10: How many pairs to show.
-- optional: account_id, vpc_id
-- engine: duckdb
WITH scopes AS (
    -- Whether the records are of several accounts or VPCs, which may reuse private addresses.
    SELECT count(DISTINCT account_id) > 1 OR count(DISTINCT vpc_id) > 1 AS many FROM flow_summary
)
SELECT ip_text(src_ip) AS srcaddr, ip_text(dst_ip) AS dstaddr, bytes, packets, flows, share,
       CASE WHEN scopes OR count(*) OVER (PARTITION BY src_ip, dst_ip) > 1 THEN scope_account END AS account_id,
       CASE WHEN scopes OR count(*) OVER (PARTITION BY src_ip, dst_ip) > 1 THEN scope_vpc END AS vpc_id
FROM (
    SELECT *,
           CAST(CASE $by WHEN 'packets' THEN packets WHEN 'flows' THEN flows ELSE bytes END AS DOUBLE)
               / nullif(sum(CASE $by WHEN 'packets' THEN packets WHEN 'flows' THEN flows ELSE bytes END) OVER (), 0) AS share,
           (SELECT many FROM scopes) AS scopes
    FROM (
        -- A pair with a private address is a pair of hosts in each account and VPC (templated
        -- VPCs reuse addresses); a pair of public addresses is one, whichever account logged it.
        SELECT src_ip, dst_ip,
               CASE WHEN (SELECT many FROM scopes) AND (is_private_ip4_int(src_ip) OR is_private_ip4_int(dst_ip)) THEN account_id END AS scope_account,
               CASE WHEN (SELECT many FROM scopes) AND (is_private_ip4_int(src_ip) OR is_private_ip4_int(dst_ip)) THEN vpc_id END AS scope_vpc,
               sum(bytes) AS bytes, sum(packets) AS packets, CAST(sum(records) AS BIGINT) AS flows
        FROM flow_summary
        WHERE log_status = 'OK'::flow_log_status AND src_ip IS NOT NULL AND dst_ip IS NOT NULL
        GROUP BY ALL
    ) AS by_hosts
    ORDER BY CASE $by WHEN 'packets' THEN packets WHEN 'flows' THEN flows ELSE bytes END DESC, src_ip, dst_ip, scope_account, scope_vpc
    LIMIT $limit
) AS top
ORDER BY CASE $by WHEN 'packets' THEN packets WHEN 'flows' THEN flows ELSE bytes END DESC, srcaddr, dstaddr, account_id, vpc_id;
-- engine: athena
SELECT srcaddr, dstaddr, bytes, packets, flows, share
FROM (
    SELECT srcaddr, dstaddr,
           sum(bytes) AS bytes,
           sum(packets) AS packets,
           count(*) AS flows,
           CAST(CASE $by WHEN 'packets' THEN sum(packets) WHEN 'flows' THEN count(*) ELSE sum(bytes) END AS DOUBLE)
               / nullif(sum(CASE $by WHEN 'packets' THEN sum(packets) WHEN 'flows' THEN count(*) ELSE sum(bytes) END) OVER (), 0) AS share
    FROM flows
    WHERE log_status = 'OK' AND srcaddr <> '-' AND dstaddr <> '-'
    GROUP BY srcaddr, dstaddr
    ORDER BY CASE $by WHEN 'packets' THEN sum(packets) WHEN 'flows' THEN count(*) ELSE sum(bytes) END DESC, srcaddr, dstaddr
    LIMIT $limit
) AS top
ORDER BY CASE $by WHEN 'packets' THEN packets WHEN 'flows' THEN flows ELSE bytes END DESC, srcaddr, dstaddr;

-- name: top-ports
-- description: The ports and protocols that carry the traffic, protocols by name. A flow counts under its service's port (service_port): where the record holds the TCP handshake, the port the SYN went to; otherwise the lower of its two (a client's port is ephemeral: 32768 and above on Linux, 49152 and above on Windows), so that a download's bytes, which go to the client's port, count under the service's. Past a flow's first capture window (and on Athena, always), a service on a port above its clients' (a NAT gateway's translated ports start at 1024) counts under theirs. --side destination ranks the destination ports as the records have them. Each interface that logs a flow counts it (a flow through a NAT gateway is on the instance's interface and the gateway's; one between two instances, on both of theirs), so a row can count the same traffic twice: --interface counts at one interface, and flowsql nat counts what a gateway processed once. Rejected traffic counts too, as bytes sent, not delivered: --where "action IS DISTINCT FROM 'REJECT'" leaves it out.
-- needs: dstport, protocol
-- needs: srcport if side = service
-- needs: bytes if by = bytes
-- shows: bytes, packets
-- param: by choice(bytes|flows) = bytes: What to rank the ports by.
-- param: side choice(service|destination) = service: Which port of a flow counts: its service's (the one the handshake's SYN went to, else the lower of the two) or its destination's.
-- param: limit int = 10: How many ports to show.
-- engine: duckdb
-- The service ports from flow_ports (the OK records added up by the hour and service port,
-- which the load keeps: 0.3 s on 100M records where reading the records took 4-5.4 s); the
-- destination ports from the records. A branch whose side is not asked for reads nothing.
WITH ports AS (
    SELECT port, protocol, bytes, packets, records
    FROM flow_ports
    WHERE $side = 'service'
    UNION ALL
    SELECT dstport, protocol, bytes, packets, 1
    FROM flows
    WHERE $side = 'destination' AND log_status = 'OK'::flow_log_status
)
SELECT port, protocol_name(protocol) AS protocol, bytes, packets, flows, share
FROM (
    SELECT port, protocol,
           sum(bytes) AS bytes,
           sum(packets) AS packets,
           CAST(sum(records) AS BIGINT) AS flows,
           CAST(CASE $by WHEN 'flows' THEN sum(records) ELSE sum(bytes) END AS DOUBLE)
               / nullif(sum(CASE $by WHEN 'flows' THEN sum(records) ELSE sum(bytes) END) OVER (), 0) AS share
    FROM ports
    GROUP BY port, protocol
    ORDER BY CASE $by WHEN 'flows' THEN sum(records) ELSE sum(bytes) END DESC, port, protocol
    LIMIT $limit
) AS top
ORDER BY CASE $by WHEN 'flows' THEN flows ELSE bytes END DESC, port, protocol;
-- engine: athena
SELECT port,
       CASE protocol WHEN 1 THEN 'ICMP' WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 47 THEN 'GRE'
                     WHEN 50 THEN 'ESP' WHEN 58 THEN 'ICMPv6' WHEN 132 THEN 'SCTP'
                     ELSE CAST(protocol AS VARCHAR) END AS protocol,
       bytes, packets, flows, share
FROM (
    -- the lower of the two ports (the Athena table has tcp_flags only when the format has it)
    SELECT CASE WHEN $side = 'destination' THEN dstport ELSE least(srcport, dstport) END AS port, protocol,
           sum(bytes) AS bytes,
           sum(packets) AS packets,
           count(*) AS flows,
           CAST(CASE $by WHEN 'flows' THEN count(*) ELSE sum(bytes) END AS DOUBLE)
               / nullif(sum(CASE $by WHEN 'flows' THEN count(*) ELSE sum(bytes) END) OVER (), 0) AS share
    FROM flows
    WHERE log_status = 'OK'
    GROUP BY 1, protocol
    ORDER BY CASE $by WHEN 'flows' THEN count(*) ELSE sum(bytes) END DESC, 1, protocol
    LIMIT $limit
) AS top
ORDER BY CASE $by WHEN 'flows' THEN flows ELSE bytes END DESC, port, protocol;

-- name: rejected
-- description: Traffic that security groups and network ACLs rejected, most flows first: by source (who probes, and which port) or by destination (what is probed).
-- needs: action, srcaddr, dstaddr, dstport, protocol
-- shows: packets, start, end
-- empty: no record selected is of rejected traffic; a flow log that records accepted traffic only (traffic type ACCEPT) has none, whatever was rejected: 'flowsql sql "SELECT flow_log_id, count(*) FROM ingested_files GROUP BY 1"' lists the flow logs loaded
-- param: by choice(source|destination) = source: Group by the rejected traffic's source or its destination.
-- param: limit int = 20: How many rows to show.
-- optional: account_id, vpc_id
-- engine: duckdb
WITH scopes AS (
    -- Whether the records are of several accounts or VPCs, which may reuse private addresses.
    SELECT count(DISTINCT account_id) > 1 OR count(DISTINCT vpc_id) > 1 AS many FROM flow_summary
),
-- The rejected traffic (flow_rejected: the rejected records of OK status added up by the hour,
-- source, destination and port, which the load keeps), read once: ranked without the count of
-- distinct peers, which is then taken for the top rows alone.
rejects AS MATERIALIZED (
    -- A private address is a host in each account and VPC (templated VPCs reuse them).
    SELECT CASE WHEN $by = 'destination' THEN dst_ip ELSE src_ip END AS addr,
           CASE WHEN $by = 'destination' THEN src_ip ELSE dst_ip END AS peer,
           dstport, protocol,
           CASE WHEN (SELECT many FROM scopes) AND is_private_ip4_int(addr) THEN account_id END AS scope_account,
           CASE WHEN (SELECT many FROM scopes) AND is_private_ip4_int(addr) THEN vpc_id END AS scope_vpc,
           packets, records, "start", "end"
    FROM flow_rejected
),
top AS (
    SELECT addr, dstport, protocol, scope_account, scope_vpc,
           CAST(sum(records) AS BIGINT) AS flows,
           sum(packets) AS packets,
           -- not the times no record can have (in milliseconds, say), which are not known
           make_timestamp(min("start") FILTER (WHERE record_time("start") AND record_time("end")) * 1000000) AS first_seen,
           make_timestamp(max("end") FILTER (WHERE record_time("start") AND record_time("end")) * 1000000) AS last_seen
    FROM rejects
    GROUP BY ALL
    ORDER BY flows DESC, addr, dstport, protocol, scope_account, scope_vpc
    LIMIT $limit
),
peers AS (
    SELECT t.*, count(DISTINCT r.peer) AS peers
    FROM top AS t JOIN rejects AS r
      ON r.addr = t.addr AND r.dstport IS NOT DISTINCT FROM t.dstport AND r.protocol IS NOT DISTINCT FROM t.protocol
     AND r.scope_account IS NOT DISTINCT FROM t.scope_account AND r.scope_vpc IS NOT DISTINCT FROM t.scope_vpc
    GROUP BY ALL
)
SELECT ip_text(addr) AS address, dstport, protocol_name(protocol) AS protocol, flows, packets, peers,
       first_seen, last_seen,
       CASE WHEN (SELECT many FROM scopes) OR count(*) OVER (PARTITION BY addr, dstport, protocol) > 1 THEN scope_account END AS account_id,
       CASE WHEN (SELECT many FROM scopes) OR count(*) OVER (PARTITION BY addr, dstport, protocol) > 1 THEN scope_vpc END AS vpc_id
FROM peers
ORDER BY flows DESC, address, dstport, protocol, account_id, vpc_id;
-- engine: athena
SELECT address, dstport,
       CASE protocol WHEN 1 THEN 'ICMP' WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 47 THEN 'GRE'
                     WHEN 50 THEN 'ESP' WHEN 58 THEN 'ICMPv6' WHEN 132 THEN 'SCTP'
                     ELSE CAST(protocol AS VARCHAR) END AS protocol,
       flows, packets, peers, from_unixtime(first_start) AS first_seen, from_unixtime(last_end) AS last_seen
FROM (
    SELECT CASE WHEN $by = 'destination' THEN dstaddr ELSE srcaddr END AS address,
           dstport, protocol,
           count(*) AS flows,
           sum(packets) AS packets,
           count(DISTINCT CASE WHEN $by = 'destination' THEN srcaddr ELSE dstaddr END) AS peers,
           min("start") AS first_start,
           max("end") AS last_end
    FROM flows
    WHERE action = 'REJECT' AND log_status = 'OK'
    GROUP BY 1, 2, 3
    ORDER BY flows DESC, address, dstport, protocol
    LIMIT $limit
) AS top
ORDER BY flows DESC, address, dstport, protocol;

-- name: traffic-over-time
-- description: Bytes, packets and flows per time bucket (by each record's start), overall or from and to one address. Every bucket from the first record's to the last's is a row: 0 where records cover it (NODATA included) without such traffic, blank with a note where no record covers it, the logs loaded having none of its time; with --addr, only the records of the interfaces that log the address's traffic count as covering it (on Athena, any interface's). Each interface that logs a flow counts it (a flow through a NAT gateway is on the instance's interface and the gateway's; one between two instances, on both of theirs), so a row can count the same traffic twice: --interface counts at one interface, and flowsql nat counts what a gateway processed once. Rejected traffic counts too, as bytes sent, not delivered: --where "action IS DISTINCT FROM 'REJECT'" leaves it out.
-- needs: start, bytes
-- shows: packets
-- series: bucket
-- param: bucket interval = 1h: Width of a bucket: 5m, 1h, 1d.
-- param: addr addr = null: Only the traffic from or to this address.
-- param: limit int = 1000: How many buckets to show.
-- optional: note
-- engine: duckdb
-- Every bucket from the first record's to the last's is a row. A bucket that records cover (from
-- their start to their end, NODATA and SKIPDATA included) without traffic shows 0; one that no
-- record covers is blank: the logs loaded do not cover it, and its traffic is not known.
-- Buckets of whole hours (1h, 1d) add up the hourly summary's groups, whose records all begin
-- in one such bucket and end in one (at 100M records, 1 s instead of 4); others read the
-- records. DuckDB drops the branch whose condition on $bucket is false before it runs.
-- With --addr, each interface's records are added up apart (without, the key is NULL): what
-- covers a bucket is the records of the interfaces that log the address's traffic, since
-- another interface's logs say nothing of its hours. The buckets run over the window asked
-- for, as far as the records loaded reach (flow_window), so that those of it that no record
-- covers show as such. Records whose times no record can have
-- (record_time: in milliseconds, say) are in no bucket; a note counts them.
WITH timed AS (
    SELECT start_hour * 3600 // $bucket AS b, end_hour * 3600 // $bucket AS e,
           CASE WHEN $addr IS NOT NULL THEN coalesce(interface_id, '') END AS logged_by, bytes, packets, records,
           log_status = 'OK'::flow_log_status AND (src_ip = $addr OR dst_ip = $addr OR $addr IS NULL) AS traffic
    FROM flow_summary
    WHERE $bucket % 3600 = 0 AND record_time(start_hour * 3600) AND record_time(end_hour * 3600)
    UNION ALL
    SELECT "start" // $bucket, "end" // $bucket, CASE WHEN $addr IS NOT NULL THEN coalesce(interface_id, '') END, bytes, packets, 1,
           log_status = 'OK'::flow_log_status AND (src_ip = $addr OR dst_ip = $addr OR $addr IS NULL)
    FROM flows
    WHERE $bucket % 3600 <> 0 AND record_time("start") AND record_time("end")
), per_interface AS (
    SELECT b, logged_by,
           max(e) AS reach,
           sum(bytes) FILTER (WHERE traffic) AS bytes,
           sum(packets) FILTER (WHERE traffic) AS packets,
           sum(records) FILTER (WHERE traffic) AS flows
    FROM timed
    GROUP BY 1, 2
), per_bucket AS (
    SELECT b,
           max(reach) FILTER (WHERE $addr IS NULL OR logged_by IN (SELECT logged_by FROM per_interface WHERE flows > 0)) AS reach,
           sum(bytes) AS bytes, sum(packets) AS packets, CAST(sum(flows) AS BIGINT) AS flows
    FROM per_interface
    GROUP BY 1
), series AS (
    SELECT b, per_bucket.* EXCLUDE (b),
           coalesce(max(reach) OVER (ORDER BY b ROWS UNBOUNDED PRECEDING) >= b, false) AS covered
    FROM (SELECT unnest(range(lo, least(hi, lo + $limit - 1) + 1)) AS b
          FROM (SELECT least(s.lo, w.lo // $bucket) AS lo, greatest(s.hi, w.hi // $bucket) AS hi
                FROM (SELECT min(b) AS lo, max(b) AS hi FROM per_bucket) AS s, flow_window AS w
                WHERE s.lo IS NOT NULL)) AS buckets
    LEFT JOIN per_bucket USING (b)
)
SELECT make_timestamp(b * $bucket * 1000000) AS bucket,
       CASE WHEN covered THEN CASE WHEN coalesce(flows, 0) = 0 THEN 0 ELSE bytes END END AS bytes,
       CASE WHEN covered THEN CASE WHEN coalesce(flows, 0) = 0 THEN 0 ELSE packets END END AS packets,
       CASE WHEN covered THEN coalesce(flows, 0) END AS flows,
       CASE WHEN NOT covered THEN 'no records: the logs loaded do not cover it' END AS note
FROM series
ORDER BY b
LIMIT $limit;
-- engine: athena
-- As on DuckDB: a row for every bucket (Trino's sequence refuses more than 10,000: a --limit
-- above that over more buckets is an error, not a series cut short unsaid); but any
-- interface's records cover a bucket, with --addr too (the table may have no interface_id).
WITH per_bucket AS (
    SELECT "start" - "start" % $bucket AS b,
           max("end" - "end" % $bucket) AS reach,
           sum(bytes) FILTER (WHERE traffic) AS bytes,
           sum(packets) FILTER (WHERE traffic) AS packets,
           count(*) FILTER (WHERE traffic) AS flows
    FROM (
        SELECT "start", "end", bytes, packets,
               log_status = 'OK' AND (srcaddr = $addr OR dstaddr = $addr OR $addr IS NULL) AS traffic
        FROM flows
    ) AS records
    WHERE "start" IS NOT NULL
    GROUP BY 1
), bounds AS (
    SELECT min(b) AS lo, least(max(b), min(b) + ($limit - 1) * $bucket) AS hi FROM per_bucket
), series AS (
    SELECT buckets.b, p.bytes, p.packets, p.flows,
           coalesce(max(p.reach) OVER (ORDER BY buckets.b ROWS UNBOUNDED PRECEDING) >= buckets.b, false) AS covered
    FROM bounds CROSS JOIN UNNEST(sequence(bounds.lo, bounds.hi, $bucket)) AS buckets (b)
    LEFT JOIN per_bucket AS p ON p.b = buckets.b
)
SELECT from_unixtime(b) AS bucket,
       CASE WHEN covered THEN CASE WHEN coalesce(flows, 0) = 0 THEN 0 ELSE bytes END END AS bytes,
       CASE WHEN covered THEN CASE WHEN coalesce(flows, 0) = 0 THEN 0 ELSE packets END END AS packets,
       CASE WHEN covered THEN coalesce(flows, 0) END AS flows,
       CASE WHEN NOT covered THEN 'no records: the logs loaded do not cover it' END AS note
FROM series
ORDER BY b
LIMIT $limit;

-- name: interfaces
-- description: Traffic per network interface: bytes, flows, rejected flows, and when it was seen.
-- needs: interface-id, bytes
-- shows: packets, action, start, end
-- param: limit int = 20: How many interfaces to show.
-- engine: duckdb
SELECT interface_id, bytes, packets, flows, rejected, share, first_seen, last_seen
FROM (
    SELECT *, CAST(bytes AS DOUBLE) / nullif(sum(bytes) OVER (), 0) AS share
    FROM (
        SELECT interface_id,
               -- 0 for an idle interface; blank for one whose traffic records all lack the field
               CASE WHEN count(bytes) > 0 OR count(*) FILTER (WHERE log_status = 'OK'::flow_log_status) = 0 THEN coalesce(sum(bytes), 0) END AS bytes,
               CASE WHEN count(packets) > 0 OR count(*) FILTER (WHERE log_status = 'OK'::flow_log_status) = 0 THEN coalesce(sum(packets), 0) END AS packets,
               CAST(coalesce(sum(records) FILTER (WHERE log_status = 'OK'::flow_log_status), 0) AS BIGINT) AS flows,
               -- blank for an interface whose traffic records all lack the action field
               CASE WHEN count(action) > 0 OR count(*) FILTER (WHERE log_status = 'OK'::flow_log_status) = 0
                    THEN CAST(coalesce(sum(records) FILTER (WHERE action = 'REJECT'::flow_action), 0) AS BIGINT) END AS rejected,
               -- times no record can have (in milliseconds, say) are not when it was seen
               make_timestamp(min("start") FILTER (WHERE record_time("start") AND record_time("end")) * 1000000) AS first_seen,
               make_timestamp(max("end") FILTER (WHERE record_time("start") AND record_time("end")) * 1000000) AS last_seen
        FROM flow_summary
        GROUP BY interface_id
    ) AS per_interface
    ORDER BY bytes DESC, interface_id
    LIMIT $limit
) AS top
ORDER BY bytes DESC, interface_id;
-- engine: athena
SELECT interface_id, bytes, packets, flows, rejected, share,
       from_unixtime(first_start) AS first_seen, from_unixtime(last_end) AS last_seen
FROM (
    SELECT *, CAST(bytes AS DOUBLE) / nullif(sum(bytes) OVER (), 0) AS share
    FROM (
        SELECT interface_id,
               CASE WHEN count(bytes) > 0 OR count(*) FILTER (WHERE log_status = 'OK') = 0 THEN coalesce(sum(bytes), 0) END AS bytes,
               CASE WHEN count(packets) > 0 OR count(*) FILTER (WHERE log_status = 'OK') = 0 THEN coalesce(sum(packets), 0) END AS packets,
               count(*) FILTER (WHERE log_status = 'OK') AS flows,
               CASE WHEN count(action) > 0 OR count(*) FILTER (WHERE log_status = 'OK') = 0
                    THEN count(*) FILTER (WHERE action = 'REJECT') END AS rejected,
               min("start") AS first_start,
               max("end") AS last_end
        FROM flows
        GROUP BY interface_id
    ) AS per_interface
    ORDER BY bytes DESC, interface_id
    LIMIT $limit
) AS top
ORDER BY bytes DESC, interface_id;

-- name: log-coverage
-- description: Records per interface and hour by log status, with the hours that have none: gaps in the evidence. NODATA is an idle interface; SKIPDATA means AWS dropped records.
-- needs: interface-id, start, log-status
-- shows: bytes
-- series: 1h
-- param: limit int = 1000: How many rows to show.
-- engine: duckdb
WITH per_hour AS (
    SELECT interface_id, start_hour * 3600 AS hour,
           CAST(coalesce(sum(records) FILTER (WHERE log_status = 'OK'::flow_log_status), 0) AS BIGINT) AS ok,
           CAST(coalesce(sum(records) FILTER (WHERE log_status = 'NODATA'::flow_log_status), 0) AS BIGINT) AS nodata,
           CAST(coalesce(sum(records) FILTER (WHERE log_status = 'SKIPDATA'::flow_log_status), 0) AS BIGINT) AS skipdata,
           -- blank where its traffic records all lack the field
           CASE WHEN count(bytes) > 0 OR count(*) FILTER (WHERE log_status = 'OK'::flow_log_status) = 0 THEN coalesce(sum(bytes), 0) END AS bytes
    FROM flow_summary
    -- not the hours no record can begin in (in milliseconds, say); by start_hour, which the
    -- grouping reads anyway (testing "start" and "end" too costs a fifth more)
    WHERE interface_id IS NOT NULL AND record_time(start_hour * 3600)
    GROUP BY 1, 2
),
-- The span of the logs: of the records, and of the window asked for as far as the records
-- loaded reach (flow_window), whose hours without records are gaps too.
span AS (
    SELECT least(s.first_start, w.lo) AS first_start, greatest(s.last_end, w.hi) AS last_end
    FROM (SELECT min("start") AS first_start, max("end") AS last_end FROM flow_summary
          WHERE interface_id IS NOT NULL AND record_time("start") AND record_time("end")) AS s, flow_window AS w
    WHERE s.first_start IS NOT NULL
),
hours AS (
    -- at most $limit hours: the rows are ordered by interface, then hour, so no later hour shows
    SELECT unnest(range(lo, least(hi, lo + ($limit - 1) * 3600) + 1, 3600)) AS hour
    FROM (SELECT first_start // 3600 * 3600 AS lo, last_end // 3600 * 3600 AS hi FROM span)
),
-- The seconds of each hour that the logs cover: the first and last hours of the span are
-- partial, and an interface without records in the minute the logs hold of one is no gap.
covered AS (
    SELECT h.hour, least(h.hour + 3600, s.last_end + 1) - greatest(h.hour, s.first_start) AS seconds
    FROM hours AS h, span AS s
),
grid AS (
    SELECT i.interface_id, h.hour
    FROM (SELECT DISTINCT interface_id FROM per_hour) AS i CROSS JOIN hours AS h
)
SELECT g.interface_id, make_timestamp(g.hour * 1000000) AS hour,
       coalesce(p.ok, 0) AS ok, coalesce(p.nodata, 0) AS nodata, coalesce(p.skipdata, 0) AS skipdata,
       p.bytes, -- blank in an hour without records: unknown, not none
       CASE WHEN p.interface_id IS NULL AND c.seconds < 3600
                THEN 'no records in the ' || CASE WHEN c.seconds < 120 THEN c.seconds || ' s' ELSE c.seconds // 60 || ' min' END || ' of it the logs cover'
            WHEN p.interface_id IS NULL THEN 'no records'
            WHEN p.skipdata > 0 THEN 'records skipped'
            WHEN p.ok = 0 THEN 'idle' ELSE '' END AS note
FROM grid AS g
JOIN covered AS c ON c.hour = g.hour
LEFT JOIN per_hour AS p ON p.interface_id = g.interface_id AND p.hour = g.hour
ORDER BY g.interface_id, g.hour
LIMIT $limit;

-- The NAT gateway analysis (flowsql nat). A flow through a NAT gateway leaves four records on
-- the gateway's interface (AWS's documented example) and two more on the instance's: a sum over
-- every record counts its bytes up to three times. What the gateway processed, and AWS bills,
-- is what it received from both sides: the records addressed to it (inbound: 'in from source'
-- and 'in from destination', see the nat_leg macro; nat_vpc_side tells the two sides apart).
-- The VPC-side legs name the instances, the
-- outside legs the destinations, so sources and destinations are exact with or without the
-- pkt-* fields; pairing a source with a destination needs pkt-dstaddr/pkt-srcaddr.

-- name: nat-gateways
-- description: The NAT gateways that flowsql enrich eni recorded, by their interfaces: address, interface, gateway id, public address, availability zone, account.
-- filters: none
-- engine: duckdb
SELECT address, interface_id, regexp_extract(description, 'nat-[0-9a-f]+') AS nat_gateway_id, public_ip,
       availability_zone_id AS az, availability_zone, region, vpc_id, subnet_id, owner_id AS account_id, last_seen
FROM eni_latest
WHERE (interface_type = 'nat_gateway' OR description LIKE 'Interface for NAT Gateway nat-%') AND NOT contains(address, ':')
ORDER BY address;

-- name: nat-candidates
-- description: Interfaces that act as NAT gateways by the records alone: packets addressed to the interface's own address whose pkt-dstaddr is another (address translation). Needs pkt-* fields in the logs.
-- needs: dstaddr, interface-id, pkt-dstaddr
-- shows: bytes
-- param: limit int = 10: How many interfaces to show.
-- engine: duckdb
SELECT ip_text(dst_ip) AS address, interface_id, records, bytes
FROM (
    SELECT dst_ip, interface_id, CAST(sum(records) AS BIGINT) AS records, sum(bytes) AS bytes
    FROM flow_summary
    WHERE log_status = 'OK'::flow_log_status AND pkt_dst_ip IS NOT NULL AND pkt_dst_ip <> dst_ip AND interface_id IS NOT NULL
    GROUP BY dst_ip, interface_id
    ORDER BY bytes DESC, dst_ip, interface_id
    LIMIT $limit
) AS translated
ORDER BY bytes DESC, address, interface_id;

-- name: nat-interface
-- description: The network interface that logs a NAT gateway's traffic, found from the records alone: the one that logs the most records addressed to the gateway's address, with its zone and region (the region field, else the region of the files' S3 keys); and, where other accounts or VPCs use the same private address, theirs (one row each, the most records first).
-- needs: dstaddr, interface-id
-- param: nat addr: The NAT gateway's private address.
-- engine: duckdb
SELECT interface_id, records, az,
       -- the region field where the format has it, else the one in the S3 key of a file of
       -- the interface's records (an interface is in one region)
       coalesce(region, (SELECT i.region FROM ingested_files AS i WHERE i.file_id = per_interface.file_id)) AS region,
       account_id, vpc_id, subnet_id
FROM (
    SELECT interface_id, count(*) AS records, mode(az_id) AS az, mode(region) AS region, any_value(file_id) AS file_id,
           mode(account_id) AS account_id, mode(vpc_id) AS vpc_id, mode(subnet_id) AS subnet_id
    FROM flows
    WHERE dst_ip = $nat AND interface_id IS NOT NULL
    GROUP BY interface_id
) AS per_interface
QUALIFY row_number() OVER (PARTITION BY account_id, vpc_id ORDER BY records DESC, interface_id) = 1
ORDER BY records DESC, interface_id;

-- name: nat-evidence
-- description: Whether an address behaves as a NAT gateway: how many of the records addressed to it on its interface carry pkt-dstaddr, how many of those show address translation (a pkt-dstaddr other than the address itself), and what type the eni table gives the interface.
-- needs: dstaddr, interface-id
-- param: nat addr: The address said to be a NAT gateway's private address.
-- param: nat_eni text: Its network interface.
-- engine: duckdb
SELECT CAST(coalesce(sum(records), 0) AS BIGINT) AS records,
       CAST(coalesce(sum(records) FILTER (WHERE pkt_dst_ip IS NOT NULL), 0) AS BIGINT) AS with_pkt,
       CAST(coalesce(sum(records) FILTER (WHERE pkt_dst_ip <> dst_ip), 0) AS BIGINT) AS translated,
       (SELECT any_value(interface_type) FROM eni_latest WHERE interface_id = $nat_eni) AS interface_type,
       (SELECT any_value(coalesce(tags['Name'], nullif(description, ''))) FROM eni_latest WHERE interface_id = $nat_eni) AS interface_name
FROM flow_summary
WHERE log_status = 'OK'::flow_log_status AND interface_id = $nat_eni AND dst_ip = $nat;

-- name: nat-summary
-- description: What one NAT gateway processed, the billed quantity: the bytes it received from both sides, counted once (CloudWatch's BytesInFromSource + BytesInFromDestination), rejected traffic (dropped by a network ACL before the gateway) apart, and the records with no action field to tell it by; with the span of its records, how many carry pkt-* addresses, and the traffic on its interface that the analysis, by the gateway's address, does not count: IPv6 (NAT64), and IPv4 neither to nor from the address (a gateway's secondary addresses).
-- needs: interface-id, srcaddr, dstaddr, bytes
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- engine: duckdb
-- The gateway interface's records, added up by what each figure tells apart (a few dozen rows:
-- one pass over them, where fifteen filtered sums over the records took half as long again).
WITH parts AS (
    SELECT dst_ip = $nat AS inbound,
           nat_vpc_side(src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, $nat) AS vpc_side,
           src_ip = $nat OR inbound AS at_nat,
           at_nat AND nat_processed("action", inbound) AS leg,
           -- the records that name the other end: pkt-dstaddr on the way out, pkt-srcaddr on the way in
           CASE WHEN inbound THEN pkt_dst_ip ELSE pkt_src_ip END IS NOT NULL AS with_pkt,
           src_ip < 0 OR dst_ip < 0 AS ipv6,
           "start" IS NULL OR "end" IS NULL AS without_time,
           -- a format without the action field: rejected traffic cannot be told apart
           "action" IS NULL AS without_action,
           -- times no record can have (in milliseconds, say): left out of the span and the hours
           NOT without_time AND NOT (record_time("start") AND record_time("end")) AS odd_time,
           start_hour,
           sum(bytes) AS bytes, sum(records) AS records, min("start") AS first_start, max("end") AS last_end
    FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status
    GROUP BY ALL
)
SELECT coalesce(sum(bytes) FILTER (WHERE leg AND inbound), 0) AS processed_bytes,
       coalesce(sum(bytes) FILTER (WHERE leg AND inbound AND vpc_side), 0) AS bytes_in_from_source,
       coalesce(sum(bytes) FILTER (WHERE leg AND inbound AND NOT vpc_side), 0) AS bytes_in_from_destination,
       coalesce(sum(bytes) FILTER (WHERE leg AND vpc_side), 0) AS bytes_by_source,
       CAST(coalesce(sum(records) FILTER (WHERE leg), 0) AS BIGINT) AS records,
       CAST(coalesce(sum(records) FILTER (WHERE leg AND vpc_side AND with_pkt), 0) AS BIGINT) AS vpc_side_with_pkt,
       CAST(coalesce(sum(records) FILTER (WHERE leg AND vpc_side), 0) AS BIGINT) AS vpc_side_records,
       min(first_start) FILTER (WHERE leg AND NOT odd_time) AS first_start,
       max(last_end) FILTER (WHERE leg AND NOT odd_time) AS last_end,
       CAST(coalesce(sum(records) FILTER (WHERE leg AND without_time), 0) AS BIGINT) AS records_without_time,
       CAST(coalesce(sum(records) FILTER (WHERE leg AND odd_time), 0) AS BIGINT) AS records_odd_time,
       coalesce(sum(bytes) FILTER (WHERE leg AND inbound AND odd_time), 0) AS processed_bytes_odd_time,
       count(DISTINCT start_hour) FILTER (WHERE leg AND NOT odd_time) AS hours_with_records,
       -- traffic that a network ACL rejected on its way in, dropped before the gateway: not processed
       CAST(coalesce(sum(records) FILTER (WHERE at_nat AND NOT leg), 0) AS BIGINT) AS rejected_records,
       coalesce(sum(bytes) FILTER (WHERE at_nat AND NOT leg), 0) AS rejected_bytes,
       -- records with no action to say whether they were rejected, and the bytes of theirs counted as processed
       CAST(coalesce(sum(records) FILTER (WHERE at_nat AND without_action), 0) AS BIGINT) AS records_without_action,
       coalesce(sum(bytes) FILTER (WHERE leg AND inbound AND without_action), 0) AS processed_bytes_without_action,
       -- IPv6 traffic on the gateway's interface: NAT64 (to 64:ff9b::/96), not addressed to its IPv4 address
       CAST(coalesce(sum(records) FILTER (WHERE ipv6), 0) AS BIGINT) AS ipv6_records,
       coalesce(sum(bytes) FILTER (WHERE ipv6), 0) AS ipv6_bytes,
       -- IPv4 traffic on its interface neither to nor from the address: its secondary addresses'
       CAST(coalesce(sum(records) FILTER (WHERE NOT at_nat AND NOT ipv6), 0) AS BIGINT) AS other_records,
       coalesce(sum(bytes) FILTER (WHERE NOT at_nat AND NOT ipv6), 0) AS other_bytes
FROM parts;

-- name: nat-edges
-- description: What a NAT gateway received in the records that overlap the edges of a period, whole and in proportion to each record's time inside it (its bytes spread evenly over its time): flowsql nat's rate over a period that cuts records, which count whole in its bytes.
-- needs: interface-id, srcaddr, dstaddr, bytes, start, end
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- param: from time: The start of the period.
-- param: to time: Its end.
-- engine: duckdb
-- Each part reads what zone maps on start and end narrow to the edges, or the summary: an OR of
-- the two conditions read every record of the gateway (4.5-5.8 s on 100M records).
WITH received AS NOT MATERIALIZED (
    SELECT "start", "end", bytes
    FROM flows
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND dst_ip = $nat
),
-- The records that start before the period, or end after it. The summary's groups tell by their
-- hours where they start before the hour of $from, or start after it and end after the hour of
-- $to; the records that start in the hour of $from, and those that start after it and end in
-- the hour of $to, are read one by one.
whole AS (
    SELECT sum(bytes) AS bytes FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND dst_ip = $nat
      AND (start_hour < $from // 3600 OR start_hour > $from // 3600 AND end_hour > $to // 3600)
    UNION ALL
    SELECT sum(bytes) FROM received
    WHERE "start" >= $from // 3600 * 3600 AND "start" < ($from // 3600 + 1) * 3600 AND ("start" < $from OR "end" > $to)
    UNION ALL
    SELECT sum(bytes) FROM received
    WHERE "start" >= ($from // 3600 + 1) * 3600 AND "end" >= $to // 3600 * 3600 AND "end" < ($to // 3600 + 1) * 3600 AND "end" > $to
    UNION ALL
    SELECT sum(bytes) FROM received WHERE "start" IS NULL AND "end" > $to
),
-- The records across $from or across $to, which alone have time inside the period (and those
-- without a start that end after it, counted whole as the end of the period).
across AS (
    SELECT * FROM received WHERE "start" < $from AND "end" > $from
    UNION ALL
    SELECT * FROM received WHERE "start" >= $from AND "start" < $to AND "end" > $to
    UNION ALL
    SELECT * FROM received WHERE "start" IS NULL AND "end" > $to
)
SELECT coalesce((SELECT sum(bytes) FROM whole), 0) AS whole_bytes,
       CAST(round(coalesce((SELECT sum(bytes * greatest(least("end", $to) - greatest("start", $from), 0) / greatest("end" - "start", 1)) FROM across), 0)) AS BIGINT) AS prorated_bytes;

-- name: nat-unmeasured
-- description: How many of a NAT gateway's records have no bytes field (their flow log format has no ${bytes}), of how many: what its processed bytes and costs leave out. flowsql nat reads it when some loaded records lack bytes.
-- needs: interface-id, srcaddr, dstaddr
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- engine: duckdb
-- The records without bytes are few, or all of them: the test of bytes first, alone, finds them
-- fastest (2.2 s on 100M records, where one count of both read every record of the gateway, 4.8
-- s); the summary counts them all.
SELECT (SELECT CAST(count(*) AS BIGINT)
        FROM flows
        WHERE bytes IS NULL AND interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND (src_ip = $nat OR dst_ip = $nat)) AS records_without_bytes,
       (SELECT CAST(coalesce(sum(records), 0) AS BIGINT)
        FROM flow_summary
        WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND (src_ip = $nat OR dst_ip = $nat)) AS records;

-- name: nat-sources
-- description: The instances whose traffic a NAT gateway processed, by bytes (sent through it plus received back), with their interface, instance, subnet and availability zone from flowsql enrich eni or else from their own records.
-- needs: interface-id, srcaddr, dstaddr, bytes
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- param: limit int = 10: How many sources to show.
-- engine: duckdb
WITH legs AS (
    SELECT *, dst_ip = $nat AS inbound, nat_vpc_side(src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, $nat) AS vpc_side
    FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND (src_ip = $nat OR dst_ip = $nat)
),
by_source AS (
    SELECT CASE WHEN inbound THEN src_ip ELSE dst_ip END AS addr,
           sum(bytes) AS bytes,
           coalesce(sum(bytes) FILTER (WHERE inbound), 0) AS bytes_sent,
           coalesce(sum(bytes) FILTER (WHERE NOT inbound), 0) AS bytes_received
    FROM legs
    WHERE vpc_side
    GROUP BY 1
),
top AS (
    SELECT *, CAST(bytes AS DOUBLE) / nullif(sum(bytes) OVER (), 0) AS share
    FROM by_source
    ORDER BY bytes DESC, addr
    LIMIT $limit
),
-- The gateway's account and VPC: its sources' addresses are theirs (another account or VPC may
-- reuse them).
scope AS (
    SELECT any_value(account_id) AS acct, any_value(vpc_id) AS vpc FROM legs
),
own AS (
    SELECT f.src_ip AS addr, mode(f.interface_id) AS interface_id, mode(f.instance_id) AS instance_id,
           mode(f.subnet_id) AS subnet_id, mode(f.az_id) AS az
    FROM flows AS f JOIN top AS t ON f.src_ip = t.addr, scope
    WHERE f.interface_id <> $nat_eni AND same_network(f.account_id, f.vpc_id, scope.acct, scope.vpc)
    GROUP BY 1
)
SELECT ip_text(t.addr) AS source, t.bytes, t.bytes_sent, t.bytes_received, t.share,
       coalesce(e.interface_id, o.interface_id) AS interface_id,
       coalesce(e.instance_id, o.instance_id) AS instance_id,
       coalesce(e.subnet_id, o.subnet_id) AS subnet_id,
       coalesce(e.availability_zone_id, o.az) AS az,
       coalesce(e.tags['Name'], nullif(e.description, '')) AS name
FROM top AS t
CROSS JOIN scope
LEFT JOIN LATERAL (SELECT * FROM eni_at(scope.acct, scope.vpc, t.addr)) AS e ON true
LEFT JOIN own AS o ON o.addr = t.addr
ORDER BY t.bytes DESC, source;

-- name: nat-destinations
-- description: The destinations a NAT gateway's traffic went to, by bytes (sent to them plus received from them), with their AWS service (from flowsql enrich aws-ranges, or the logs' pkt-*-aws-service) and owner network (from flowsql enrich whois).
-- needs: interface-id, srcaddr, dstaddr, bytes
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- param: limit int = 10: How many destinations to show.
-- engine: duckdb
WITH legs AS (
    SELECT *, dst_ip = $nat AS inbound, nat_vpc_side(src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, $nat) AS vpc_side
    FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND (src_ip = $nat OR dst_ip = $nat)
),
by_dest AS (
    SELECT CASE WHEN inbound THEN src_ip ELSE dst_ip END AS addr,
           sum(bytes) AS bytes,
           coalesce(sum(bytes) FILTER (WHERE NOT inbound), 0) AS bytes_sent,
           coalesce(sum(bytes) FILTER (WHERE inbound), 0) AS bytes_received,
           any_value(CASE WHEN inbound THEN pkt_src_aws_service ELSE pkt_dst_aws_service END) AS logged_service
    FROM legs
    WHERE NOT vpc_side
    GROUP BY 1
),
top AS (
    SELECT *, CAST(bytes AS DOUBLE) / nullif(sum(bytes) OVER (), 0) AS share
    FROM by_dest
    ORDER BY bytes DESC, addr
    LIMIT $limit
)
SELECT ip_text(addr) AS destination, bytes, bytes_sent, bytes_received, share,
       nat_destination_service(key_aws_services(addr), key_aws_service(addr), logged_service) AS aws_service,
       key_network(addr) AS network,
       key_organisation(addr) AS organisation
FROM top
ORDER BY bytes DESC, destination;

-- name: nat-services
-- description: A NAT gateway's bytes by the AWS service at the other end, with the remedy (nat_remedy): S3 and DynamoDB have free gateway endpoints; EC2's ranges hold hosts (instances, load balancers), not an AWS API, and no endpoint carries CloudFront's, Global Accelerator's or Route 53's traffic; AMAZON's ranges hold many services' APIs, each with its own interface endpoint where it has one. An address that S3's or DynamoDB's prefix lists hold counts as S3 or DYNAMODB, whatever else lists it (AWS lists many under EC2 too); others count under the service that names them (flowsql enrich aws-ranges), else the logs' pkt-*-aws-service. Addresses neither names are "(not AWS)" when AWS's ranges are loaded or every format of the files that record the gateway's interface has pkt-src-aws-service and pkt-dst-aws-service, else "(unknown)": without either, nothing here can tell S3 from the rest. A gateway endpoint reaches S3 and DynamoDB in its own region only: their addresses in another region than the gateway's (by AWS's ranges) are a row of their own, "S3 (us-west-2)" say, that no gateway endpoint avoids; region_unknown_bytes are those of S3's and DynamoDB's whose region, or the gateway's, is not known (blank when none).
-- needs: interface-id, srcaddr, dstaddr, bytes
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- param: nat_region text = null: The NAT gateway's region, where known.
-- optional: region_unknown_bytes
-- engine: duckdb
WITH legs AS (
    SELECT *, dst_ip = $nat AS inbound, nat_vpc_side(src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, $nat) AS vpc_side
    FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND (src_ip = $nat OR dst_ip = $nat)
),
by_dest AS (
    SELECT CASE WHEN inbound THEN src_ip ELSE dst_ip END AS addr,
           sum(bytes) AS bytes,
           coalesce(sum(bytes) FILTER (WHERE NOT inbound), 0) AS bytes_sent,
           coalesce(sum(bytes) FILTER (WHERE inbound), 0) AS bytes_received,
           any_value(CASE WHEN inbound THEN pkt_src_aws_service ELSE pkt_dst_aws_service END) AS logged_service
    FROM legs
    WHERE NOT vpc_side
    GROUP BY 1
),
named AS (
    SELECT d.*, nat_destination_service(CASE WHEN d.addr <= s.hi THEN s.services END,
                                        CASE WHEN d.addr <= s.hi THEN s.service END, d.logged_service) AS service,
           CASE WHEN d.addr <= s.hi THEN s.region END AS region
    FROM by_dest AS d ASOF LEFT JOIN aws_ip_segments AS s ON d.addr >= s.lo
    WHERE d.addr >= 0
    UNION ALL
    SELECT d.*, nat_destination_service(key_aws_services(d.addr), key_aws_service(d.addr), d.logged_service), key_aws_region(d.addr)
    FROM by_dest AS d
    WHERE d.addr < 0
),
located AS (
    SELECT * REPLACE (nat_endpoint_service(service, region, $nat_region) AS service),
           service IN ('S3', 'DYNAMODB') AND (region IS NULL OR $nat_region IS NULL) AS region_unknown
    FROM named
),
-- An address that nothing names as AWS's is known not to be when AWS's ranges are loaded, or
-- every format of the files that record the gateway's interface (of every file, where the
-- database does not know which) has pkt-src-aws-service and pkt-dst-aws-service; otherwise
-- S3 looks like the internet.
gateway_formats AS (
    SELECT f.fields
    FROM file_interfaces AS fi JOIN ingested_files AS i USING (file_id) JOIN flow_formats AS f ON f.table_name = i.table_name
    WHERE fi.interface_id = $nat_eni
),
services_known AS (
    SELECT EXISTS (SELECT 1 FROM aws_ip_ranges)
           OR NOT EXISTS (
               SELECT 1
               FROM (SELECT fields FROM gateway_formats
                     UNION ALL
                     SELECT fields FROM flow_formats WHERE target = 'flows' AND NOT EXISTS (SELECT 1 FROM gateway_formats))
               WHERE NOT (list_contains(fields, 'pkt-src-aws-service') AND list_contains(fields, 'pkt-dst-aws-service'))) AS known
)
SELECT coalesce(service, CASE WHEN (SELECT known FROM services_known) THEN '(not AWS)' ELSE '(unknown)' END) AS service,
       sum(bytes) AS bytes, sum(bytes_sent) AS bytes_sent, sum(bytes_received) AS bytes_received,
       count(*) AS destinations,
       CAST(sum(bytes) AS DOUBLE) / nullif(sum(sum(bytes)) OVER (), 0) AS share,
       nat_remedy(service) AS remedy,
       sum(bytes) FILTER (WHERE region_unknown) AS region_unknown_bytes
FROM located
GROUP BY service
ORDER BY bytes DESC, service;

-- name: nat-avoidable
-- description: The bytes each source sent to and received from S3 and DynamoDB through a NAT gateway: avoidable, since a gateway endpoint carries them free (in the gateway's own region only: S3 elsewhere, by AWS's ranges, is not counted). Exact where the records have pkt-* addresses; otherwise estimated from the source's own interface records (its bytes to each service, in proportion), and said so in the method column.
-- needs: interface-id, srcaddr, dstaddr, bytes
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- param: nat_region text = null: The NAT gateway's region, where known.
-- param: limit int = 20: How many rows to show.
-- engine: duckdb
WITH legs AS (
    SELECT *, dst_ip = $nat AS inbound, nat_vpc_side(src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, $nat) AS vpc_side
    FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND (src_ip = $nat OR dst_ip = $nat)
),
vpc_side AS (
    SELECT CASE WHEN inbound THEN src_ip ELSE dst_ip END AS source,
           CASE WHEN inbound THEN pkt_dst_ip ELSE pkt_src_ip END AS peer,
           CASE WHEN inbound THEN pkt_dst_aws_service ELSE pkt_src_aws_service END AS logged_service,
           inbound AS sent, bytes
    FROM legs
    WHERE vpc_side
),
paired AS (
    SELECT v.source, nat_endpoint_service(nat_destination_service(CASE WHEN v.peer <= s.hi THEN s.services END,
                                                                  CASE WHEN v.peer <= s.hi THEN s.service END, v.logged_service),
                                          CASE WHEN v.peer <= s.hi THEN s.region END, $nat_region) AS service,
           CAST(sum(v.bytes) AS DOUBLE) AS bytes, 'pkt-dstaddr' AS method
    FROM vpc_side AS v ASOF LEFT JOIN aws_ip_segments AS s ON v.peer >= s.lo
    WHERE v.peer IS NOT NULL
    GROUP BY 1, 2
),
-- The bytes that the records cannot pair with their other end (no pkt-dstaddr on the way
-- out, no pkt-srcaddr on the way in) are shared out, each way, as the source's own interface
-- sent (or received) its bytes to the services.
unpaired AS (
    SELECT source, sent, sum(bytes) AS bytes FROM vpc_side WHERE peer IS NULL GROUP BY 1, 2
),
scope AS (
    SELECT any_value(account_id) AS acct, any_value(vpc_id) AS vpc FROM legs
),
own AS (
    -- with the service the records name at the other end (pkt-dst-aws-service on the way
    -- out, pkt-src-aws-service on the way in), for logs without AWS's ranges loaded
    SELECT f.src_ip AS source, true AS sent, f.dst_ip AS peer, f.pkt_dst_aws_service AS logged_service, f.bytes
    FROM flow_summary AS f JOIN (SELECT DISTINCT source FROM unpaired) AS u ON f.src_ip = u.source, scope
    WHERE f.log_status = 'OK'::flow_log_status AND nat_processed(f."action", true) AND f.interface_id <> $nat_eni
      AND f.dst_ip >= 0 AND NOT is_private_ip4_int(f.dst_ip) AND same_network(f.account_id, f.vpc_id, scope.acct, scope.vpc)
    UNION ALL
    SELECT f.dst_ip, false, f.src_ip, f.pkt_src_aws_service, f.bytes
    FROM flow_summary AS f JOIN (SELECT DISTINCT source FROM unpaired) AS u ON f.dst_ip = u.source, scope
    WHERE f.log_status = 'OK'::flow_log_status AND f.interface_id <> $nat_eni
      AND f.src_ip >= 0 AND NOT is_private_ip4_int(f.src_ip) AND same_network(f.account_id, f.vpc_id, scope.acct, scope.vpc)
),
own_services AS (
    SELECT o.source, o.sent, nat_endpoint_service(nat_destination_service(CASE WHEN o.peer <= s.hi THEN s.services END,
                                                                          CASE WHEN o.peer <= s.hi THEN s.service END, o.logged_service),
                                                  CASE WHEN o.peer <= s.hi THEN s.region END, $nat_region) AS service,
           sum(o.bytes) AS bytes
    FROM own AS o ASOF LEFT JOIN aws_ip_segments AS s ON o.peer >= s.lo
    GROUP BY 1, 2, 3
),
estimated AS (
    SELECT u.source, o.service,
           u.bytes * CAST(o.bytes AS DOUBLE) / nullif(sum(o.bytes) OVER (PARTITION BY u.source, u.sent), 0) AS bytes,
           'estimate: own interface' AS method
    FROM unpaired AS u JOIN own_services AS o ON o.source = u.source AND o.sent = u.sent
),
avoidable AS (
    SELECT source, service, sum(bytes) AS bytes, method
    FROM (SELECT * FROM paired UNION ALL SELECT * FROM estimated)
    WHERE service IN ('S3', 'DYNAMODB')
    GROUP BY source, service, method
)
SELECT ip_text(source) AS source, service, CAST(round(bytes) AS BIGINT) AS bytes, method
FROM avoidable
ORDER BY bytes DESC, source, service
LIMIT $limit;

-- name: nat-cross-az
-- description: The sources of a NAT gateway's traffic in another availability zone than the gateway (from flowsql enrich eni, or the logs' az-id): each byte they send or receive through it crosses zones, which AWS charges on both sides ($0.01/GB each way), on top of the gateway's charge. Sources whose zone is unknown are listed with a NULL zone, and with source_vpc where their own records are of another VPC (or account) than the gateway's: their traffic reaches it from outside its VPC (a Transit Gateway, a firewall), whose zones their own do not tell.
-- needs: interface-id, srcaddr, dstaddr, bytes
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- engine: duckdb
WITH legs AS (
    SELECT *, dst_ip = $nat AS inbound, nat_vpc_side(src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, $nat) AS vpc_side
    FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND (src_ip = $nat OR dst_ip = $nat)
),
by_source AS (
    SELECT CASE WHEN inbound THEN src_ip ELSE dst_ip END AS addr, sum(bytes) AS bytes
    FROM legs
    WHERE vpc_side
    GROUP BY 1
),
nat_az AS (
    SELECT coalesce((SELECT any_value(availability_zone_id) FROM eni_latest WHERE interface_id = $nat_eni),
                    -- an interface is in one zone: the first record that names it will do
                    (SELECT az_id FROM flows WHERE interface_id = $nat_eni AND az_id IS NOT NULL LIMIT 1)) AS az
),
scope AS (
    SELECT any_value(account_id) AS acct, any_value(vpc_id) AS vpc FROM legs
),
own_az AS (
    SELECT f.src_ip AS addr, mode(f.az_id) AS az
    FROM flows AS f JOIN by_source AS b ON f.src_ip = b.addr, scope
    WHERE f.interface_id <> $nat_eni AND f.az_id IS NOT NULL
      AND same_network(f.account_id, f.vpc_id, scope.acct, scope.vpc)
    GROUP BY 1
),
zoned AS (
    SELECT b.addr, b.bytes, coalesce(e.availability_zone_id, o.az) AS az
    FROM by_source AS b
    CROSS JOIN scope
    LEFT JOIN LATERAL (SELECT * FROM eni_at(scope.acct, scope.vpc, b.addr)) AS e ON true
    LEFT JOIN own_az AS o ON o.addr = b.addr
),
-- For the sources whose zone is unknown, the VPC (or account) of the records addressed to them
-- that interfaces of another network than the gateway's log (their own, mostly); the summary
-- is ordered by destination, which finds them fast.
elsewhere AS (
    SELECT s.dst_ip AS addr, min(coalesce(s.vpc_id, 'account ' || s.account_id)) AS network
    FROM (SELECT addr FROM zoned WHERE az IS NULL) AS u
    JOIN flow_summary AS s ON s.dst_ip = u.addr
    CROSS JOIN scope
    WHERE s.interface_id <> $nat_eni AND NOT same_network(s.account_id, s.vpc_id, scope.acct, scope.vpc)
    GROUP BY 1
)
SELECT ip_text(z.addr) AS source, z.az AS source_az, n.az AS nat_az, z.bytes, w.network AS source_vpc
FROM zoned AS z CROSS JOIN nat_az AS n LEFT JOIN elsewhere AS w ON w.addr = z.addr
WHERE z.az IS DISTINCT FROM n.az OR n.az IS NULL
ORDER BY z.az IS NULL, z.bytes DESC, source;

-- name: nat-hourly
-- description: A NAT gateway's processed bytes per hour, with the hours that stand out (more than three times the median hour) and the hours without records. An hour whose records (NODATA ones too) show no processed traffic is 0; one in which no record of the gateway's interface begins is blank: a logged interface has records every hour, so logs may be missing there and its traffic is not known.
-- needs: interface-id, srcaddr, dstaddr, bytes
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- param: limit int = 10000: How many hours to show.
-- engine: duckdb
WITH legs AS (
    SELECT *, dst_ip = $nat AS inbound, nat_vpc_side(src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, $nat) AS vpc_side
    FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND (src_ip = $nat OR dst_ip = $nat)
),
hours AS (
    SELECT start_hour * 3600 AS hour, sum(bytes) AS bytes
    FROM legs
    WHERE inbound AND record_time(start_hour * 3600)
    GROUP BY 1
),
recorded AS (
    -- the hours in which a record of the interface begins, whatever its status (as nat-coverage
    -- counts them), but for hours no record can begin in (times in milliseconds, say)
    SELECT DISTINCT start_hour * 3600 AS hour FROM flow_summary
    WHERE interface_id = $nat_eni AND record_time("start") AND record_time("end")
),
span AS (
    -- at most $limit hours, the first: the rows are ordered by hour
    SELECT unnest(range(min(hour), least(max(hour), min(hour) + ($limit - 1) * 3600) + 1, 3600)) AS hour FROM recorded
),
typical AS (
    SELECT median(bytes) AS median FROM hours
)
SELECT make_timestamp(s.hour * 1000000) AS hour,
       CASE WHEN r.hour IS NOT NULL THEN coalesce(h.bytes, 0) END AS bytes,
       round(coalesce(h.bytes, 0) / nullif(t.median, 0), 2) AS times_median,
       CASE WHEN r.hour IS NULL THEN 'no records'
            WHEN h.bytes > 3 * t.median THEN 'stands out' ELSE '' END AS note
FROM span AS s
LEFT JOIN recorded AS r ON r.hour = s.hour
LEFT JOIN hours AS h ON h.hour = s.hour
CROSS JOIN typical AS t
ORDER BY s.hour
LIMIT $limit;

-- name: nat-coverage
-- description: How far to trust a NAT gateway's figures: its interface's records by log status (status_unknown_records: those of a format without log-status that carry no traffic, NODATA or SKIPDATA), the hours they span and the hours without any, and how many of the interfaces that flowsql enrich eni knows appear in the logs.
-- needs: interface-id
-- param: nat_eni text: The NAT gateway's network interface.
-- engine: duckdb
WITH nat AS (
    SELECT log_status, records,
           -- the span and the hours leave out times no record can have (in milliseconds, say)
           CASE WHEN record_time("start") AND record_time("end") THEN start_hour END AS start_hour,
           CASE WHEN record_time("start") AND record_time("end") THEN "start" END AS "start",
           CASE WHEN record_time("start") AND record_time("end") THEN "end" END AS "end"
    FROM flow_summary WHERE interface_id = $nat_eni
),
logged AS (
    SELECT DISTINCT interface_id FROM flow_summary WHERE interface_id IS NOT NULL
)
SELECT CAST(coalesce(sum(records) FILTER (WHERE log_status = 'OK'::flow_log_status), 0) AS BIGINT) AS ok_records,
       CAST(coalesce(sum(records) FILTER (WHERE log_status = 'NODATA'::flow_log_status), 0) AS BIGINT) AS nodata_records,
       CAST(coalesce(sum(records) FILTER (WHERE log_status = 'SKIPDATA'::flow_log_status), 0) AS BIGINT) AS skipdata_records,
       -- records of a format without log-status that carry no traffic: NODATA or SKIPDATA
       CAST(coalesce(sum(records) FILTER (WHERE log_status IS NULL), 0) AS BIGINT) AS status_unknown_records,
       min("start") AS first_start,
       max("end") AS last_end,
       count(DISTINCT start_hour) AS hours_with_records,
       CAST(ceil(max("end") / 3600.0) - floor(min("start") / 3600.0) AS BIGINT) AS hours_spanned,
       (SELECT count(*) FROM logged) AS interfaces_logged,
       (SELECT count(DISTINCT interface_id) FROM eni_latest) AS interfaces_known,
       (SELECT count(DISTINCT interface_id) FROM eni_latest WHERE interface_id NOT IN (SELECT interface_id FROM logged)) AS known_not_logged
FROM nat;

-- name: nat-domains
-- description: What a NAT gateway processed, by the name its sources resolved each destination from (Route 53 Resolver query logs, loaded with the flow logs): for the traffic of each hour, the last answer with the address before the hour ends, if given no more than --window before the hour began. The destinations are public addresses, which the answers of every VPC loaded name (a CDN address that serves many names takes the name last answered, wherever). Which service eats the bill, by name; a NULL domain is traffic to addresses no logged answer named.
-- needs: interface-id, srcaddr, dstaddr, bytes
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- param: window interval = 1h: How long before the hour an answer still names its address.
-- param: limit int = 10: How many names to show.
-- engine: duckdb
WITH legs AS (
    SELECT *, dst_ip = $nat AS inbound, nat_vpc_side(src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, $nat) AS vpc_side
    FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND (src_ip = $nat OR dst_ip = $nat)
),
outside AS (
    SELECT CASE WHEN inbound THEN src_ip ELSE dst_ip END AS addr, start_hour, bytes
    FROM legs
    WHERE NOT vpc_side
),
answers AS (
    -- the gateway's outside legs are of public addresses: any account's answers name them
    SELECT addr, t, query_name FROM dns_hourly_answers() WHERE scope = 0
),
named AS (
    SELECT CASE WHEN a.t >= o.start_hour * 3600 - $window THEN a.query_name END AS domain, o.addr, o.bytes
    FROM outside AS o
    ASOF LEFT JOIN answers AS a ON o.addr = a.addr AND (o.start_hour + 1) * 3600 - 1 >= a.t
)
SELECT domain, sum(bytes) AS bytes, CAST(sum(bytes) AS DOUBLE) / nullif(sum(sum(bytes)) OVER (), 0) AS share,
       count(DISTINCT addr) AS addresses
FROM named
GROUP BY domain
ORDER BY bytes DESC, domain
LIMIT $limit;

-- name: nat-metered
-- description: A NAT gateway's processed bytes per hour as CloudWatch metered them (flowsql enrich nat-metrics) against the bytes its flow logs explain: the share explained, and the hours where the logs fall short (sampling, missing files, interfaces without flow logs) or have no records. Hours are those of the loaded records' span; give --since/--until on whole hours.
-- needs: interface-id, srcaddr, dstaddr, bytes
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- param: nat_gateway text: The NAT gateway's ID (nat-...).
-- param: limit int = 10000: How many hours to show.
-- engine: duckdb
WITH span AS (
    SELECT min(start_hour) AS first, max(start_hour) AS last FROM flow_summary
),
logged AS (
    SELECT start_hour * 3600 AS hour, sum(bytes) AS bytes
    FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND dst_ip = $nat
    GROUP BY 1
),
metered AS (
    SELECT CAST(epoch(hour) AS BIGINT) AS hour, bytes_in_from_source + bytes_in_from_destination AS bytes
    FROM nat_metrics, span
    WHERE nat_gateway_id = $nat_gateway AND epoch(hour) BETWEEN span.first * 3600 AND span.last * 3600
)
SELECT make_timestamp(m.hour * 1000000) AS hour, m.bytes AS metered_bytes, coalesce(l.bytes, 0) AS logged_bytes,
       m.bytes - coalesce(l.bytes, 0) AS unexplained_bytes,
       round(coalesce(l.bytes, 0) / nullif(m.bytes, 0), 4) AS explained,
       CASE WHEN m.bytes IS NULL THEN 'no metric'
            WHEN l.bytes IS NULL AND m.bytes > 0 THEN 'no records'
            WHEN l.bytes < 0.95 * m.bytes THEN 'logs fall short'
            WHEN l.bytes > 1.05 * m.bytes THEN 'logs exceed the meter' ELSE '' END AS note
FROM metered AS m
LEFT JOIN logged AS l ON l.hour = m.hour
ORDER BY m.hour
LIMIT $limit;

-- name: nat-billed
-- description: What the bill says (flowsql enrich cost: Cost Explorer, for every NAT gateway of the account in the region) on each day a NAT gateway's records touch, beside the bytes its logs explain that day.
-- needs: interface-id, dstaddr, bytes
-- param: nat addr: The NAT gateway's private address.
-- param: nat_eni text: The NAT gateway's network interface.
-- param: bill_region text: The gateway's region, as the bill names it (us-east-1).
-- engine: duckdb
WITH logged AS (
    SELECT CAST(make_timestamp(start_hour * 3600000000) AS DATE) AS day,
           count(DISTINCT start_hour) AS hours_with_records, sum(bytes) AS bytes
    FROM flow_summary
    WHERE interface_id = $nat_eni AND log_status = 'OK'::flow_log_status AND nat_processed("action", dst_ip = $nat) AND dst_ip = $nat
    GROUP BY 1
),
billed AS (
    SELECT day,
           sum(quantity) FILTER (WHERE charge = 'data processing') AS billed_gb,
           sum(cost) FILTER (WHERE charge = 'data processing') AS billed_processing,
           sum(quantity) FILTER (WHERE charge = 'hours') AS billed_hours,
           sum(cost) FILTER (WHERE charge = 'hours') AS billed_hourly,
           any_value(currency) AS currency
    FROM billed_cost
    WHERE region = $bill_region
    GROUP BY day
)
SELECT l.day, l.hours_with_records, l.bytes AS logged_bytes, round(l.bytes / 1073741824.0, 6) AS logged_gb,
       b.billed_gb, b.billed_processing, b.billed_hours, b.billed_hourly, b.currency,
       CASE WHEN b.day IS NULL THEN 'not in the bill (flowsql enrich cost)' ELSE '' END AS note
FROM logged AS l
LEFT JOIN billed AS b ON b.day = l.day
ORDER BY l.day;

-- name: ingest-summary
-- description: What has been loaded, by table and file kind: files, rows, lines that could not be read, NODATA and SKIPDATA records (blank where a file's format has no log-status field to count them by), the time covered; and the files that failed.
-- filters: none
-- param: limit int = 100: How many rows to show.
-- engine: duckdb
SELECT loaded_into, container, formats, files, file_bytes, rows_loaded, rows_rejected, rows_recovered,
       nodata, skipdata, first_record, last_record
FROM (
    SELECT target AS loaded_into, container,
           count(DISTINCT header) AS formats,
           count(*) AS files,
           sum(size) AS file_bytes,
           sum(rows_loaded) AS rows_loaded,
           sum(rows_rejected) AS rows_rejected,
           sum(rows_recovered) AS rows_recovered,
           -- blank where a file's format has no log-status field: its count is unknown
           CASE WHEN count(nodata) = count(*) THEN sum(nodata) END AS nodata,
           CASE WHEN count(skipdata) = count(*) THEN sum(skipdata) END AS skipdata,
           min(first_start) AS first_record,
           max(last_end) AS last_record
    FROM ingested_files
    GROUP BY target, container
    UNION ALL
    SELECT 'failed', NULL, NULL, count(DISTINCT uri), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM load_errors
    WHERE line IS NULL AND uri NOT IN (SELECT uri FROM ingested_files)
    HAVING count(*) > 0
) AS summary
ORDER BY loaded_into = 'failed', loaded_into, container
LIMIT $limit;

-- name: load-errors
-- description: The lines that could not be read and the files that failed, with the reason.
-- filters: none
-- param: limit int = 50: How many errors to show.
-- list: load_errors
-- engine: duckdb
SELECT uri AS file, line, reason, raw
FROM load_errors
ORDER BY logged_at DESC, uri, line
LIMIT $limit;
