package queries

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Values are a report's arguments as the user typed them, by parameter name.
type Values map[string]string

// Filters narrow the records a report reads. They apply to every query whose Filters is true.
type Filters struct {
	Since, Until time.Time // records that overlap [Since, Until)
	Account      string    // account_id
	Interface    string    // interface_id
	CIDR         string    // records whose source or destination is in it
	Where        string    // a SQL condition of the user's own
}

func (f Filters) empty() bool {
	return f.Since.IsZero() && f.Until.IsZero() && f.Account == "" && f.Interface == "" && f.CIDR == "" && f.Where == ""
}

// AddrKeyer gives the key that an IPv6 address is stored under (false when no loaded record
// has it). IPv4 addresses are their own keys and need no lookup.
type AddrKeyer interface {
	AddrKey(ctx context.Context, canonical string) (int64, bool, error)
}

// Dialect is what differs between the engines a report can run on.
type Dialect interface {
	// Engine names the engine, for choosing a query body.
	Engine() string
	// Records is the relation that holds the flow records.
	Records() string
	// FilterSQL turns the common filters into a condition on the records; $N placeholders
	// number from first.
	FilterSQL(f Filters, first int) (string, []any, error)
}

// Statement is a report ready to run: SQL with numbered parameters and their values.
type Statement struct {
	SQL  string
	Args []any
	// Notes are things the user should know about the arguments (an address no record has).
	Notes []string
}

// ArgError is a wrong argument; Param names the parameter (or filter) it was given to.
type ArgError struct {
	Param string
	Msg   string
}

func (e *ArgError) Error() string {
	return FlagName(e.Param) + ": " + e.Msg
}

// Statement binds a query's arguments for an engine: each $name becomes a numbered parameter
// with its converted value, and the common filters become a "flows" CTE over the records that
// the body reads instead of the flows view.
func (q *Query) Statement(ctx context.Context, d Dialect, vals Values, f Filters, keys AddrKeyer, now time.Time) (Statement, error) {
	body, ok := q.Body(d.Engine())
	if !ok {
		return Statement{}, &ArgError{Param: "engine", Msg: fmt.Sprintf("report %s runs on %s only", q.Name, strings.Join(q.RunsOn(), ", "))}
	}
	textAddrs := d.Engine() != "duckdb" // other engines compare addresses as text
	for name := range vals {
		if _, ok := q.Param(name); !ok {
			return Statement{}, &ArgError{Param: name, Msg: fmt.Sprintf("report %s has no such parameter", q.Name)}
		}
	}
	var st Statement
	values := map[string]any{}
	for _, p := range q.Params {
		raw, given := vals[p.Name]
		if !given {
			if p.Required() {
				return Statement{}, &ArgError{Param: p.Name, Msg: fmt.Sprintf("report %s needs it: %s", q.Name, p.Description)}
			}
			raw = p.Default
		}
		if raw == "" {
			values[p.Name] = nil
			continue
		}
		v, err := convertAt(ctx, p, raw, keys, now, textAddrs)
		if err != nil {
			return Statement{}, &ArgError{Param: p.Name, Msg: err.Error()}
		}
		if v == unknownAddr {
			st.Notes = append(st.Notes, unseenNote(p.Name, raw))
			v = nil
		}
		values[p.Name] = v
	}
	sql, args := numberParams(body, values)
	st.SQL, st.Args = sql, args
	if !q.Filters {
		if !f.empty() {
			return Statement{}, &ArgError{Param: "where", Msg: fmt.Sprintf("report %s does not read flow records, so it takes no filters", q.Name)}
		}
		return st, nil
	}
	cond, fargs, err := d.FilterSQL(f, len(st.Args)+1)
	if err != nil {
		return Statement{}, err
	}
	st.Args = append(st.Args, fargs...)
	readsDestinations := ReferencesName(body, DestinationsName)
	if readsDestinations {
		dd, ok := d.(destinationsDialect)
		if !ok {
			return Statement{}, &ArgError{Param: "engine", Msg: fmt.Sprintf("report %s reads %s, which %s lacks", q.Name, DestinationsName, d.Engine())}
		}
		st.SQL = withCTE(st.SQL, DestinationsName+" AS NOT MATERIALIZED ("+dd.DestinationsSQL(f)+")")
	}
	if ReferencesName(body, SummaryName) || readsDestinations { // flow_destinations reads it
		sd, ok := d.(summaryDialect)
		if !ok {
			return Statement{}, &ArgError{Param: "engine", Msg: fmt.Sprintf("report %s reads %s, which %s lacks", q.Name, SummaryName, d.Engine())}
		}
		if err := st.withRelation(SummaryName, sd.SummarySQL, f); err != nil {
			return Statement{}, err
		}
	}
	for _, name := range RollupNames {
		if !ReferencesName(body, name) {
			continue
		}
		rd, ok := d.(rollupDialect)
		if !ok {
			return Statement{}, &ArgError{Param: "engine", Msg: fmt.Sprintf("report %s reads %s, which %s lacks", q.Name, name, d.Engine())}
		}
		build := func(f Filters, first int) (string, []any, error) { return rd.RollupSQL(name, f, first) }
		if err := st.withRelation(name, build, f); err != nil {
			return Statement{}, err
		}
	}
	if ReferencesName(body, WindowName) {
		wd, ok := d.(windowDialect)
		if !ok {
			return Statement{}, &ArgError{Param: "engine", Msg: fmt.Sprintf("report %s reads %s, which %s lacks", q.Name, WindowName, d.Engine())}
		}
		st.SQL = withCTE(st.SQL, WindowName+" AS ("+wd.WindowSQL(f)+")")
	}
	records, networks := d.Records(), ""
	if nd, ok := d.(networksDialect); ok {
		records, networks = nd.RecordsSQL(), nd.NetworksSQL()
	}
	cte := fmt.Sprintf("flows AS NOT MATERIALIZED (SELECT * FROM %s WHERE %s)", records, cond)
	if d.Engine() != "duckdb" {
		cte = fmt.Sprintf("flows AS (SELECT * FROM %s WHERE %s)", records, cond)
	}
	st.SQL = withCTE(st.SQL, cte)
	if networks != "" { // first: flows and flow_summary read it
		st.SQL = withCTE(st.SQL, NetworksName+" AS MATERIALIZED ("+networks+")")
	}
	return st, nil
}

// SummaryName is the relation that reports read for sums by the hour: flow_hourly's columns
// (start_hour, end_hour, "start" and "end" as the earliest and latest, account_id, vpc_id,
// interface_id, the four address keys, pkt_src_aws_service, pkt_dst_aws_service, action,
// log_status, and the sums bytes, packets and
// records), filtered as flows is. It is flow_hourly itself when the filters fall on whole
// hours, with the records of the hours a window cuts through added one by one; and the
// records, one row each (records = 1), when the filters need them (--where, an IPv6 CIDR) or
// the summary does not cover every record. The answers are the same either way; a report
// that reads it counts with sum(records), not count(*).
const SummaryName = "flow_summary"

// DestinationsName is the relation of flow_summary's totals by destination that reports read:
// dst_ip, scope, and of the records whose log_status is OK, bytes and last_end (the latest
// end), a row per address and scope (ingest.DestinationTotals). It is the destinations rollup
// when that holds them and no filter applies, else the totals of flow_summary as filtered.
const DestinationsName = "flow_destinations"

// RejectedName is the relation of rejected traffic that reports read: the records whose action
// is REJECT and log_status OK, added up by the hour (start_hour, end_hour, "start" and "end" as
// the earliest and latest, account_id, vpc_id, interface_id, src_ip, dst_ip, dstport, protocol,
// and the sums packets and records), filtered as flows is. It is the rollup of rejected traffic
// (ingest.RejectedTable) with the records of the hours a window cuts through added one by one,
// as flow_summary is the summary; or the records, one row each, when the filters need them or
// the rollup does not cover every rejected record. A report that reads it counts with
// sum(records).
const RejectedName = "flow_rejected"

// PortsName is the relation of traffic by service port that reports read: the records whose
// log_status is OK added up by the hour, account_id, vpc_id, interface_id, port (their
// service_port) and protocol, with the sums bytes, packets and records, filtered as flows is:
// the rollup ingest.PortsTable, built as flow_rejected is (and from the records under --cidr
// too: it has no addresses).
const PortsName = "flow_ports"

// RollupNames are the relations of the rollups.
var RollupNames = []string{RejectedName, PortsName}

// WindowName is the relation of the window that --since and --until ask for, as far as the
// records loaded reach: one row, lo and hi, its first and last second (Unix seconds; NULL
// where the window is open). A time series runs over it, so that the buckets of the window
// that no record covers show as such, rather than the series stop at the last record.
const WindowName = "flow_window"

// windowDialect is an engine that can give reports the flow_window relation.
type windowDialect interface {
	// WindowSQL returns the relation's query under the filters.
	WindowSQL(f Filters) string
}

// destinationsDialect is an engine that can give reports the flow_destinations relation.
type destinationsDialect interface {
	// DestinationsSQL returns the relation's query under the filters. It may read
	// flow_summary.
	DestinationsSQL(f Filters) string
}

// networksDialect is an engine that can read records that lack account-id or vpc-id as of
// their interface's account and VPC (DuckDB.Networks).
type networksDialect interface {
	// NetworksSQL returns the record_networks relation's query, "" when none is needed.
	NetworksSQL() string
	// RecordsSQL returns what the flows CTE reads.
	RecordsSQL() string
}

// summaryDialect is an engine that can give reports the flow_summary relation.
type summaryDialect interface {
	// SummarySQL returns the relation's query under the filters; $N placeholders number from
	// first. It may read the flows CTE.
	SummarySQL(f Filters, first int) (string, []any, error)
}

// rollupDialect is an engine that can give reports the relations of the rollups.
type rollupDialect interface {
	// RollupSQL returns the relation's query under the filters; $N placeholders number from
	// first. It may read the flows CTE.
	RollupSQL(name string, f Filters, first int) (string, []any, error)
}

// withRelation puts the relation name in front of the statement, as build makes it under the
// filters, with its arguments after the statement's.
func (st *Statement) withRelation(name string, build func(f Filters, first int) (string, []any, error), f Filters) error {
	sql, args, err := build(f, len(st.Args)+1)
	if err != nil {
		return err
	}
	st.SQL = withCTE(st.SQL, name+" AS NOT MATERIALIZED ("+sql+")")
	st.Args = append(st.Args, args...)
	return nil
}

var leadingWith = regexp.MustCompile(`(?is)^((?:\s|--[^\n]*\n)*)WITH\s`)

// withCTE puts a common table expression in front of a query, joining the query's own WITH.
func withCTE(sql, cte string) string {
	if m := leadingWith.FindStringSubmatchIndex(sql); m != nil {
		return sql[:m[3]] + "WITH " + cte + ",\n" + sql[m[1]:]
	}
	return "WITH " + cte + "\n" + sql
}

// numberParams rewrites $name references to $1, $2, ... in order of first use, and returns the
// values in that order.
func numberParams(sql string, values map[string]any) (string, []any) {
	order := referencedParams(sql)
	index := map[string]int{}
	args := make([]any, len(order))
	for i, name := range order {
		index[name] = i + 1
		args[i] = values[name]
	}
	return rewriteParams(sql, func(name string) (string, bool) {
		n, ok := index[name]
		return fmt.Sprintf("$%d", n), ok
	}), args
}

// Inline returns the statement's SQL with each $N replaced by its value as a SQL literal: a
// query to read, or to paste into the duckdb CLI.
func (st Statement) Inline() string {
	return rewriteParams(st.SQL, func(name string) (string, bool) {
		n, err := strconv.Atoi(name)
		if err != nil || n < 1 || n > len(st.Args) {
			return "", false
		}
		return sqlLiteral(st.Args[n-1]), true
	})
}

// sqlLiteral writes a parameter value as SQL.
func sqlLiteral(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case time.Time:
		return "TIMESTAMP '" + x.UTC().Format("2006-01-02 15:04:05.999999") + "'"
	case bool:
		return strings.ToUpper(strconv.FormatBool(x))
	default:
		return fmt.Sprint(x)
	}
}

// ipv4Key is an IPv4 address's key: the address as a number (see flowsql_addr_keys).
func ipv4Key(a netip.Addr) int64 {
	b := a.As4()
	return int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
}

// unknownAddr marks an IPv6 address that no record has.
var unknownAddr = &struct{ unknown bool }{true}

// convert checks a value against a parameter's type without a database (defaults, at parse time).
func convert(p Param, raw string) (any, error) {
	return convertAt(context.Background(), p, raw, nil, time.Now(), false)
}

func convertAt(ctx context.Context, p Param, raw string, keys AddrKeyer, now time.Time, textAddrs bool) (any, error) {
	switch p.Type {
	case "int":
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", raw)
		}
		if p.Name == "limit" && n < 0 {
			return nil, fmt.Errorf("%q is not a number of rows: give 0 or more", raw)
		}
		return n, nil
	case "text":
		return raw, nil
	case "addr":
		a, err := netip.ParseAddr(raw)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address (like 10.0.1.5 or 2001:db8::1)", raw)
		}
		if textAddrs {
			return a.WithZone("").String(), nil
		}
		if a.Is4() {
			return ipv4Key(a), nil
		}
		if keys == nil {
			return a.String(), nil
		}
		k, ok, err := keys.AddrKey(ctx, a.WithZone("").String())
		if err != nil {
			return nil, err
		}
		if !ok {
			return unknownAddr, nil
		}
		return k, nil
	case "cidr":
		return ParseCIDR(raw)
	case "interval":
		d, err := ParseDuration(raw)
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("%q is not an interval like 5m, 1h or 1d", raw)
		}
		return int64(d / time.Second), nil
	case "time":
		t, err := ParseTime(raw, now)
		if err != nil {
			return nil, err
		}
		return t.Unix(), nil
	case "choice":
		if !slices.Contains(p.Choices, raw) {
			return nil, fmt.Errorf("%q is not one of %s", raw, strings.Join(p.Choices, ", "))
		}
		return raw, nil
	}
	return nil, fmt.Errorf("unknown parameter type %q", p.Type)
}

// ParseCIDR checks a CIDR (a bare address is a /32 or /128) and returns it in canonical form.
func ParseCIDR(raw string) (string, error) {
	if !strings.Contains(raw, "/") {
		a, err := netip.ParseAddr(raw)
		if err != nil {
			return "", fmt.Errorf("%q is not a CIDR (like 10.0.0.0/16) or an address", raw)
		}
		return netip.PrefixFrom(a, a.BitLen()).String(), nil
	}
	p, err := netip.ParsePrefix(raw)
	if err != nil {
		return "", fmt.Errorf("%q is not a CIDR like 10.0.0.0/16", raw)
	}
	return p.Masked().String(), nil
}

// ParseDuration reads a duration, with d (days) and w (weeks) besides Go's units.
func ParseDuration(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return 0, err
			}
			return time.Duration(f * float64(unit)), nil
		}
	}
	return time.ParseDuration(s)
}

// ParseTime reads a point in time: RFC 3339, a date, a date and time without a zone (UTC), or a
// duration back from now ("24h", "7d").
func ParseTime(s string, now time.Time) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	if d, err := ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: give RFC 3339 (2024-06-01T10:00:00Z), a date (2024-06-01), or how long ago (24h, 7d)", s)
}
