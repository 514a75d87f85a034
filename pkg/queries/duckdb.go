package queries

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/flowsql/flowsql/pkg/ingest"
)

// DuckDB is the local engine: reports read flow_records in the flowsql database, and
// flow_hourly, its summary by the hour, when Summary says it covers every record; and
// flow_by_destination, the summary's totals by destination, when Destinations says it holds
// them (see ingest.DestinationsTable); and the rollups of rejected traffic and of traffic by
// service port when Rejected and Ports say they hold every record they add up.
type DuckDB struct {
	Summary      bool
	Destinations bool
	// Rejected and Ports are set when the rollup of rejected traffic, and that of traffic by
	// service port, hold every record they add up and the summary is current (RollupCurrent):
	// flow_rejected and flow_ports then read them.
	Rejected, Ports bool
	// Networks is set when some interfaces log records without an account or VPC that other
	// records tell (a flow log recreated with another format; account "unknown" in a VPC of
	// one account): reports then read each such record as of that account and VPC (an
	// interface is in one VPC, of one account), so that one host is not two (see
	// NetworksSQL).
	Networks bool
	// networkRows, when set, is the record_networks relation itself, as Prepare found it (its
	// rows as a VALUES list).
	networkRows string
}

// Engine names the engine.
func (DuckDB) Engine() string { return "duckdb" }

// Records is the view of the flow records without the files' details (faster to scan).
func (DuckDB) Records() string { return "flow_records" }

// FilterSQL turns the filters into a condition on flow_records. Times compare with the start
// and end seconds (zone maps skip what is out of range); an IPv4 CIDR compares address keys
// with its first and last address, an IPv6 CIDR the stored IPv6 text.
func (DuckDB) FilterSQL(f Filters, first int) (string, []any, error) {
	return filterSQL(f, first, cidrSQL, nil)
}

// WindowSQL is the flow_window relation: the window's first and last second within the span of
// the records loaded (ingested_files': a window that begins years before them does not make a
// series of years of nothing).
func (DuckDB) WindowSQL(f Filters) string {
	lo, hi := "NULL", "NULL"
	if !f.Since.IsZero() {
		lo = fmt.Sprintf("greatest(%d, epoch(first))", f.Since.Unix())
	}
	if !f.Until.IsZero() {
		hi = fmt.Sprintf("least(%d, epoch(last))", f.Until.Unix()-1)
	}
	// One row, whatever the window: the bounds are of the files' aggregate.
	return fmt.Sprintf("SELECT CAST(%s AS BIGINT) AS lo, CAST(%s AS BIGINT) AS hi FROM (SELECT min(first_start) AS first, max(last_end) AS last FROM ingested_files WHERE target = 'flows')", lo, hi)
}

// cidrSQL is the CIDR test on flow_records (and, for IPv4, on flow_hourly).
func cidrSQL(c string, param func(any) string) string {
	p := netip.MustParsePrefix(c)
	if p.Addr().Is4() {
		lo, hi := cidr4Range(p)
		l, h := param(lo), param(hi)
		return fmt.Sprintf("(src_ip BETWEEN %[1]s AND %[2]s OR dst_ip BETWEEN %[1]s AND %[2]s)", l, h)
	}
	c = param(c)
	return fmt.Sprintf("(in_cidr(src_ip6, %[1]s) OR in_cidr(dst_ip6, %[1]s))", c)
}

// filterSQL builds the condition of the common filters that every engine spells alike (times,
// account, interface, WHERE), asking the engine for its CIDR test and for any conditions of
// its own on the time window (partitions). Values become $N parameters numbered from first.
func filterSQL(f Filters, first int, cidr func(c string, param func(any) string) string, window func(since, until time.Time) string) (string, []any, error) {
	var conds []string
	var args []any
	param := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", first+len(args)-1)
	}
	if !f.Since.IsZero() {
		conds = append(conds, `"end" >= `+param(f.Since.Unix()))
	}
	if !f.Until.IsZero() {
		conds = append(conds, `"start" < `+param(f.Until.Unix()))
	}
	if window != nil {
		if w := window(f.Since, f.Until); w != "" {
			conds = append(conds, w)
		}
	}
	if f.Account != "" {
		conds = append(conds, "account_id = "+param(f.Account))
	}
	if f.Interface != "" {
		conds = append(conds, "interface_id = "+param(f.Interface))
	}
	if f.CIDR != "" {
		c, err := ParseCIDR(f.CIDR)
		if err != nil {
			return "", nil, &ArgError{Param: "cidr", Msg: err.Error()}
		}
		conds = append(conds, cidr(c, param))
	}
	if strings.TrimSpace(f.Where) != "" {
		conds = append(conds, "("+f.Where+")")
	}
	if len(conds) == 0 {
		return "true", nil, nil
	}
	return strings.Join(conds, " AND "), args, nil
}

// cidr4Range returns the first and last address of an IPv4 prefix, as address keys.
func cidr4Range(p netip.Prefix) (int64, int64) {
	b := p.Masked().Addr().As4()
	lo := int64(binary.BigEndian.Uint32(b[:]))
	return lo, lo + (int64(1) << (32 - p.Bits())) - 1
}

// DBKeys looks up IPv6 address keys in a flowsql database.
type DBKeys struct{ DB *sql.DB }

// AddrKey returns the key an address is stored under.
func (k DBKeys) AddrKey(ctx context.Context, canonical string) (int64, bool, error) {
	var key int64
	err := k.DB.QueryRowContext(ctx, `SELECT key FROM flowsql_addr_keys WHERE addr = ?`, canonical).Scan(&key)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return key, err == nil, err
}

// SummaryCurrent reports whether flow_hourly sums every record of flow_records (a load keeps it
// so; a change to the records by hand, or a sum beyond 64 bits, does not). When both tables
// hold as many rows as the last load left (ingest.SummaryStateTable), that load's answer
// stands; otherwise (no load of this release yet, or a change since) the summary's records are
// added up and compared with the records.
func SummaryCurrent(ctx context.Context, db *sql.DB) (bool, error) {
	var noted sql.NullBool
	if err := db.QueryRowContext(ctx, `SELECT bool_and(current AND records = (SELECT count(*) FROM flow_records)
            AND summary_rows = (SELECT count(*) FROM flow_hourly))
        FROM `+ingest.SummaryStateTable).Scan(&noted); err != nil {
		return false, err
	}
	if noted.Valid && noted.Bool {
		return true, nil
	}
	var ok bool
	err := db.QueryRowContext(ctx, "SELECT "+ingest.SummaryAddsUp).Scan(&ok)
	return ok, err
}

// RollupCurrent reports whether a rollup (ingest.RejectedTable, ingest.PortsTable) adds up as
// many records as a current summary holds of those it adds up.
func RollupCurrent(ctx context.Context, db *sql.DB, table string) (bool, error) {
	var ok bool
	err := db.QueryRowContext(ctx, ingest.RollupCurrent(table)).Scan(&ok)
	return ok, err
}

// NetworksName is the relation of the interfaces whose records lack an account or a VPC that
// other records tell, with that account and VPC (see DuckDB.Networks).
const NetworksName = "record_networks"

// NetworksSQL returns the record_networks relation, "" when DuckDB.Networks is not set: each
// interface that logs records without an account or VPC (or of account "unknown", which AWS
// writes for interfaces that an AWS service made, an endpoint or a load balancer, and which
// says nothing of whose they are) where either its other records give one, or, for the
// account, the other interfaces of its one VPC all have the same one (not so in a shared VPC),
// or else the S3 keys of the files that log it all name one account (AWSLogs/<account>/: the
// account whose flow log it is), so that templated VPCs of two accounts logged without
// account-id are told apart.
func (d DuckDB) NetworksSQL() string {
	if !d.Networks {
		return ""
	}
	if d.networkRows != "" {
		return d.networkRows
	}
	from := recordsOrSummary(d.Summary)
	return `WITH per_interface AS (
    SELECT interface_id, count(*) AS n,
           count(account_id) FILTER (WHERE account_id <> 'unknown') AS with_account,
           count(DISTINCT account_id) FILTER (WHERE account_id <> 'unknown') AS accounts,
           any_value(account_id) FILTER (WHERE account_id <> 'unknown') AS account,
           count(vpc_id) AS with_vpc, count(DISTINCT vpc_id) AS vpcs, any_value(vpc_id) AS vpc
    FROM ` + from + `
    WHERE interface_id IS NOT NULL
    GROUP BY interface_id
), vpc_owner AS (
    SELECT vpc, any_value(account) AS account
    FROM per_interface
    WHERE vpcs = 1 AND accounts = 1
    GROUP BY vpc
    HAVING count(DISTINCT account) = 1
), key_account AS (
    SELECT i.interface_id, any_value(f.account) AS account
    FROM file_interfaces AS i JOIN ingested_files AS f ON f.file_id = i.file_id
    WHERE f.account IS NOT NULL
    GROUP BY i.interface_id
    HAVING count(DISTINCT f.account) = 1
)
SELECT p.interface_id,
       CASE WHEN p.accounts = 1 THEN p.account WHEN p.accounts = 0 THEN coalesce(o.account, k.account) END AS account_id,
       CASE WHEN p.vpcs = 1 THEN p.vpc END AS vpc_id
FROM per_interface AS p LEFT JOIN vpc_owner AS o ON p.vpcs = 1 AND o.vpc = p.vpc
LEFT JOIN key_account AS k ON k.interface_id = p.interface_id
WHERE p.n > p.with_account AND (p.accounts = 1 OR p.accounts = 0 AND coalesce(o.account, k.account) IS NOT NULL)
   OR p.n > p.with_vpc AND p.vpcs = 1`
}

// resolvedNetworks is what a statement reads for table (flow_records or flow_hourly, which
// has scope) under DuckDB.Networks: its rows with each missing (or "unknown") account and
// missing VPC taken from record_networks, and the scope worked out anew where they were.
func resolvedNetworks(table string, scope bool) string {
	account := `CASE WHEN t.account_id IS NULL OR t.account_id = 'unknown' THEN coalesce(n.account_id, t.account_id) ELSE t.account_id END`
	vpc := `coalesce(t.vpc_id, n.vpc_id)`
	cols := account + ` AS account_id, ` + vpc + ` AS vpc_id`
	if scope {
		cols += `,
            CASE WHEN n.interface_id IS NULL THEN t.scope ELSE network_scope(` + account + `, ` + vpc + `) END AS scope`
	}
	return fmt.Sprintf(`(SELECT t.* REPLACE (%s)
        FROM %s AS t LEFT JOIN %s AS n ON n.interface_id = t.interface_id) AS %s`, cols, table, NetworksName, table)
}

// RecordsSQL is what the flows CTE reads: flow_records, with networks resolved under
// DuckDB.Networks.
func (d DuckDB) RecordsSQL() string {
	if d.Networks {
		return resolvedNetworks(d.Records(), false)
	}
	return d.Records()
}

// summaryOfRecords is flow_summary with a row per record of the flows CTE.
const summaryOfRecords = `SELECT "start" // 3600 AS start_hour, "end" // 3600 AS end_hour, "start", "end", account_id, vpc_id,
       interface_id, src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, pkt_src_aws_service, pkt_dst_aws_service,
       "action", log_status, bytes, packets,
       CAST(1 AS BIGINT) AS records, network_scope(account_id, vpc_id) AS scope
FROM flows`

// rejectedOfRecords is flow_rejected with a row per rejected record of the flows CTE.
const rejectedOfRecords = `SELECT "start" // 3600 AS start_hour, "end" // 3600 AS end_hour, "start", "end", account_id, vpc_id,
       interface_id, src_ip, dst_ip, dstport, protocol, packets, CAST(1 AS BIGINT) AS records
FROM flows
WHERE ` + ingest.RejectedCondition

// SummarySQL returns flow_summary under the filters (see SummaryName): flow_hourly's groups
// that lie wholly inside them, and the records of the hours that --since or --until cut, one
// by one, from the flows CTE (which the filters already narrow).
func (d DuckDB) SummarySQL(f Filters, first int) (string, []any, error) {
	return d.hourlySQL(hourly{table: ingest.SummaryTable, scope: true, addresses: true, current: d.Summary, records: summaryOfRecords, where: " WHERE "}, f, first)
}

// portsOfRecords is flow_ports with a row per OK record of the flows CTE.
const portsOfRecords = `SELECT "start" // 3600 AS start_hour, "end" // 3600 AS end_hour, "start", "end", account_id, vpc_id,
       interface_id, ` + ingest.ServicePort + ` AS port, protocol, bytes, packets, CAST(1 AS BIGINT) AS records
FROM flows
WHERE ` + ingest.PortsCondition

// RollupSQL returns a rollup's relation under the filters (flow_rejected, flow_ports; see
// RejectedName, PortsName), as SummarySQL does flow_summary: the rollup's groups that lie wholly
// inside them, and the records it adds up of the hours that --since or --until cut.
func (d DuckDB) RollupSQL(name string, f Filters, first int) (string, []any, error) {
	h, ok := rollupRelations[name]
	if !ok {
		return "", nil, fmt.Errorf("no relation named %s", name)
	}
	h.current = *d.rollupCurrent(name)
	return d.hourlySQL(h, f, first)
}

// rollupRelations are the rollups by the name of the relation reports read (RollupNames).
var rollupRelations = map[string]hourly{
	RejectedName: {table: ingest.RejectedTable, addresses: true, records: rejectedOfRecords, where: " AND "},
	PortsName:    {table: ingest.PortsTable, records: portsOfRecords, where: " AND "},
}

// rollupCurrent is the field that says whether the rollup of the relation name is current.
func (d *DuckDB) rollupCurrent(name string) *bool {
	switch name {
	case RejectedName:
		return &d.Rejected
	case PortsName:
		return &d.Ports
	}
	panic("queries: no rollup relation named " + name) // RollupNames and this switch disagree
}

// hourly is a table of records added up by the hour of their start and of their end, with
// their account, VPC, interface and addresses (flow_hourly, flow_rejected_hourly).
type hourly struct {
	table     string
	scope     bool   // whether it has the scope column
	addresses bool   // whether it has src_ip and dst_ip, which --cidr tests
	current   bool   // whether it adds up every record it should
	records   string // the relation with a row per record of the flows CTE
	where     string // what joins a condition to records
}

// hourlySQL is the relation of a table added up by the hour under the filters: the table's
// groups that lie wholly inside them, and the records of the hours that --since or --until cut,
// one by one; or the records alone when the table is not current or the filters need them.
func (d DuckDB) hourlySQL(h hourly, f Filters, first int) (string, []any, error) {
	if !h.current || strings.TrimSpace(f.Where) != "" {
		return h.records, nil, nil
	}
	if f.CIDR != "" {
		if !h.addresses {
			return h.records, nil, nil
		}
		if c, err := ParseCIDR(f.CIDR); err == nil && !netip.MustParsePrefix(c).Addr().Is4() {
			return h.records, nil, nil // the table has no IPv6 text to test
		}
	}
	// Account, interface and CIDR test the summary's columns as they test the records'.
	scope, args, err := filterSQL(Filters{Account: f.Account, Interface: f.Interface, CIDR: f.CIDR}, first, cidrSQL, nil)
	if err != nil {
		return "", nil, err
	}
	var conds, edges []string
	// A group's records all end in end_hour and start in start_hour: they all end at or after
	// --since when end_hour starts at or after it, and all start before --until when start_hour
	// ends by then. The records of the hour that --since falls inside, and of the hour --until
	// falls inside, are read one by one.
	sinceHour := int64(0)
	if !f.Since.IsZero() {
		s := f.Since.Unix()
		sinceHour = ceilDiv(s, 3600)
		conds = append(conds, fmt.Sprintf("end_hour >= %d", sinceHour))
		if s%3600 != 0 {
			edges = append(edges, fmt.Sprintf(`"end" < %d`, sinceHour*3600))
		}
	}
	if !f.Until.IsZero() {
		u := f.Until.Unix()
		untilHour := floorDiv(u, 3600)
		conds = append(conds, fmt.Sprintf("start_hour < %d", untilHour))
		if u%3600 != 0 {
			e := fmt.Sprintf(`"start" >= %d`, untilHour*3600)
			if !f.Since.IsZero() {
				e += fmt.Sprintf(` AND "end" >= %d`, sinceHour*3600) // not in the first edge
			}
			edges = append(edges, e)
		}
	}
	where := strings.Join(append(conds, scope), " AND ")
	table := h.table
	if d.Networks {
		table = resolvedNetworks(table, h.scope)
	}
	parts := []string{"SELECT * FROM " + table + " WHERE " + where}
	for _, e := range edges {
		parts = append(parts, h.records+h.where+e)
	}
	return strings.Join(parts, "\nUNION ALL\n"), args, nil
}

// DestinationsSQL returns flow_destinations under the filters (see DestinationsName): the
// rollup when it holds the summary's totals and no filter narrows them, else the totals of
// flow_summary, which the filters narrow.
func (d DuckDB) DestinationsSQL(f Filters) string {
	if d.Summary && d.Destinations && !d.Networks && f.empty() { // the table's scopes are the records' own
		return "SELECT * FROM " + ingest.DestinationsTable
	}
	return ingest.DestinationTotals(SummaryName)
}

// destinationsFilled reports whether the destinations rollup holds the summary's totals (it is
// empty while they are not known; see ingest.DestinationsTable).
func destinationsFilled(ctx context.Context, db *sql.DB) (bool, error) {
	var ok bool
	err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+ingest.DestinationsTable+")").Scan(&ok)
	return ok, err
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
