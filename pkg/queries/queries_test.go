package queries_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/fakeaws"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/internal/output"
	"github.com/flowsql/flowsql/pkg/enrich"
	"github.com/flowsql/flowsql/pkg/ingest"
	"github.com/flowsql/flowsql/pkg/queries"
)

func TestParseErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"SELECT 1", "x.sql:1: SQL before the first -- name: annotation"},
		{"-- name: a\n-- description: d\nSELECT 1\n-- name: a\n-- description: d\nSELECT 2", `x.sql:4: duplicate query name "a" (first at line 1)`},
		{"-- name: Top_Dest\n-- description: d\nSELECT 1", `x.sql:1: query name "Top_Dest"`},
		{"-- name: a\nSELECT 1", `x.sql:1: query "a" has no -- description:`},
		{"-- name: a\n-- description: d\n-- params: x int: y\nSELECT 1", `x.sql:3: unknown annotation "-- params:"`},
		{"-- name: a\n-- description: d\n-- param: x\nSELECT 1", "x.sql:3: parameter \"x\": write"},
		{"-- name: a\n-- description: d\n-- param: x float: y\nSELECT $x", `x.sql:3: parameter x: unknown type "float"`},
		{"-- name: a\n-- description: d\n-- param: x int = ten: y\nSELECT $x", `x.sql:3: parameter x: default "ten": "ten" is not a whole number`},
		{"-- name: a\n-- description: d\nSELECT $x", "x.sql:1: query \"a\" (all): $x is used but not declared"},
		{"-- name: a\n-- description: d\n-- param: x int: y\nSELECT 1", `x.sql:1: query "a" (all): parameter x is declared but not used`},
		{"-- name: a\n-- description: d\n-- param: x int: y\n-- param: x int: z\nSELECT $x", "x.sql:4: parameter x declared twice"},
		{"-- name: a\n-- description: d\n", `x.sql:1: query "a" has no SQL`},
		{"-- name: a\n-- description: d\n-- optional: x, y z\nSELECT 1", `x.sql:3: optional column "y z"`},
		{"-- name: a\n-- description: d\n-- optional: x, x\nSELECT 1", `x.sql:3: optional column x named twice`},
		{"-- name: a\n-- description: d\nSELECT 1\n-- engine: oracle\nSELECT 1", `x.sql:4: unknown engine "oracle"`},
		{"-- name: a\n-- description: d\n-- param: x int: y\nSELECT $x\n-- engine: athena\nSELECT 1", `query "a" (athena): parameter x is declared but not used`},
		{"-- name: a\n-- description: d\nSELECT 1; DROP TABLE ingested_files;", `x.sql:3: query "a" (all) is 2 statements: a report is exactly one`},
		{"-- name: a\n-- description: d\nSELECT 1;\n\nDELETE FROM load_errors", `query "a" (all) is 2 statements`},
		{"-- name: a\n-- description: d\n-- needs: Bytes\nSELECT 1", `x.sql:3: needed field "Bytes"`},
		{"-- name: a\n-- description: d\n-- shows: Packets\nSELECT 1", `x.sql:3: shown field "Packets"`},
		{"-- name: a\n-- description: d\n-- list: load errors\nSELECT 1", `x.sql:3: list "load errors": write '-- list: TABLE' once`},
		{"-- name: a\n-- description: d\n-- needs: packets\n-- shows: packets\nSELECT 1", `x.sql:4: field packets shown twice, or both needed and shown`},
		{"-- name: a\n-- description: d\n-- shows: packets\n-- needs: packets\nSELECT 1", `x.sql:4: field packets shown twice, or both needed and shown`},
		{"-- name: a\n-- description: d\n-- series: b\n-- param: b int = 1: y\nSELECT $b", `x.sql:1: query "a": -- series: b is no interval (1h) and names no interval parameter of it`},
		{"-- name: a\n-- description: d\n-- series: c\n-- param: b interval = 1h: y\nSELECT $b", `x.sql:1: query "a": -- series: c is no interval`},
		{"-- name: a\n-- description: d\n-- series: 1x\nSELECT 1", `x.sql:3: series "1x": write '-- series: PARAM'`},
		{"-- name: a\n-- description: d\n-- needs: packets if by\nSELECT 1", `x.sql:3: needed field "packets if by": write '-- needs: packets if by = packets'`},
		{"-- name: a\n-- description: d\n-- needs: packets if by = bits\n-- param: by choice(bytes|packets) = bytes: y\nSELECT $by", `x.sql:1: query "a": -- needs: packets if by = bits: bits is no choice of a parameter by`},
		{"-- name: a\n-- description: d\n-- lookup: t\nSELECT 1", `x.sql:3: lookup "t": write '-- lookup: TABLE: what fills it'`},
		{"-- name: a\n-- description: d\n-- lookup: t: x\n-- lookup: t: y\nSELECT 1", `x.sql:4: lookup table t named twice`},
		{"-- name: a\n-- description: d\n-- series: b\n-- series: b\nSELECT 1", `x.sql:4: query "a" has two series annotations`},
		{"-- name: a\n-- description: d\n-- empty: x\n-- empty: y\nSELECT 1", `x.sql:4: empty "y": write '-- empty: what an answer without rows may mean' once`},
	}
	for _, c := range cases {
		_, err := queries.Parse("x.sql", c.text)
		var pe *queries.ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q):\n got %v\nwant %s", c.text, err, c.want)
		}
	}
}

// TestOneStatement: a report whose text holds a semicolon inside a string, a quoted name or a
// dollar-quoted string is still one statement.
func TestOneStatement(t *testing.T) {
	text := "-- name: a\n-- description: d\nSELECT 'a;b', \"c;d\", $$e;f$$ -- g;h\n;"
	if _, err := queries.Parse("x.sql", text); err != nil {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	text := `-- a file comment
-- name: one
-- description: The first.
-- param: n int = 5: How many.
-- param: who addr: Whose.
-- param: how choice(a|b) = a: How.
SELECT '$not_a_param', "$neither" -- $nor_this
FROM t WHERE x = $who AND y = $how LIMIT $n;
-- engine: athena
SELECT $who, $how, $n;

-- name: two
-- description: The second.
-- filters: none
-- optional: network, aws_service
WITH a AS (SELECT 1) SELECT * FROM a`
	set, err := queries.Parse("q.sql", text)
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Names(); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("names %v", got)
	}
	q, _ := set.Lookup("one")
	if len(q.Params) != 3 || q.Params[2].Choices[1] != "b" || !q.Params[1].Required() || q.Params[0].Required() {
		t.Errorf("params %+v", q.Params)
	}
	if b, _ := q.Body("athena"); b != "SELECT $who, $how, $n" {
		t.Errorf("athena body %q", b)
	}
	if b, _ := q.Body("duckdb"); !strings.HasSuffix(b, "LIMIT $n") {
		t.Errorf("duckdb body %q", b)
	}
	two, _ := set.Lookup("two")
	if two.Filters {
		t.Error("filters: none ignored")
	}
	if !slices.Equal(two.Optional, []string{"network", "aws_service"}) || len(q.Optional) != 0 {
		t.Errorf("optional columns %v, %v", two.Optional, q.Optional)
	}
	// A user's file replaces built-in queries by name and adds its own.
	mine, err := queries.Parse("mine.sql", "-- name: two\n-- description: Mine.\nSELECT 2\n-- name: three\n-- description: New.\nSELECT 3")
	if err != nil {
		t.Fatal(err)
	}
	set.Merge(mine)
	if q, _ := set.Lookup("two"); q.Description != "Mine." || !slices.Equal(set.Names(), []string{"one", "two", "three"}) {
		t.Errorf("merge: %v %q", set.Names(), q.Description)
	}
}

func builtin(t testing.TB) *queries.Set {
	t.Helper()
	set, err := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestStatement(t *testing.T) {
	q, _ := builtin(t).Lookup("top-sources")
	ctx := context.Background()
	now := time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC)
	st, err := q.Statement(ctx, queries.DuckDB{}, queries.Values{"dst": "10.0.101.10"},
		queries.Filters{Since: now.Add(-24 * time.Hour), CIDR: "10.0.0.0/16", Where: "srcport > 0"}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.SQL, "WITH flows AS NOT MATERIALIZED (SELECT * FROM flow_records WHERE \"end\" >= $3 AND (src_ip BETWEEN $4 AND $5 OR dst_ip BETWEEN $4 AND $5) AND (srcport > 0))") {
		t.Errorf("SQL:\n%s", st.SQL)
	}
	want := []any{int64(167798026), int64(10), now.Add(-24 * time.Hour).Unix(), int64(167772160), int64(167837695)}
	if !slices.Equal(st.Args, want) {
		t.Errorf("args %v, want %v", st.Args, want)
	}
	bad := []struct {
		vals queries.Values
		f    queries.Filters
		want string
	}{
		{queries.Values{}, queries.Filters{}, "--dst: report top-sources needs it"},
		{queries.Values{"dst": "10.0.0.300"}, queries.Filters{}, `--dst: "10.0.0.300" is not an IP address`},
		{queries.Values{"dst": "10.0.0.1", "limit": "ten"}, queries.Filters{}, `--limit: "ten" is not a whole number`},
		{queries.Values{"dst": "10.0.0.1", "bogus": "1"}, queries.Filters{}, "--bogus: report top-sources has no such parameter"},
		{queries.Values{"dst": "10.0.0.1"}, queries.Filters{CIDR: "10.0.0.0/33"}, `--cidr: "10.0.0.0/33" is not a CIDR`},
	}
	for _, b := range bad {
		_, err := q.Statement(ctx, queries.DuckDB{}, b.vals, b.f, nil, now)
		var ae *queries.ArgError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v %+v: %v, want %s", b.vals, b.f, err, b.want)
		}
	}
	summary, _ := builtin(t).Lookup("ingest-summary")
	if _, err := summary.Statement(ctx, queries.DuckDB{}, nil, queries.Filters{Account: "1"}, nil, now); err == nil {
		t.Error("a report without filters took --account")
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2024, 6, 2, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2024-06-01T10:00:00Z":      time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC),
		"2024-06-01T12:00:00+02:00": time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC),
		"2024-06-01":                time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		"2024-06-01 10:30":          time.Date(2024, 6, 1, 10, 30, 0, 0, time.UTC),
		"24h":                       now.Add(-24 * time.Hour),
		"7d":                        now.Add(-7 * 24 * time.Hour),
	} {
		got, err := queries.ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := queries.ParseTime("yesterday", now); err == nil {
		t.Error("yesterday parsed")
	}
}

// loaded generates and loads flow logs; it returns the database and the generator's records.
func loaded(t *testing.T, cfg flowgen.Config) (*sql.DB, []flowgen.Record) {
	t.Helper()
	dir := t.TempDir()
	g := flowgen.New(cfg)
	if _, _, err := g.WriteTree(dir); err != nil {
		t.Fatal(err)
	}
	db, _ := openLoaded(t, dir)
	var recs []flowgen.Record
	for i := range cfg.Files {
		recs = append(recs, g.File(i).Records...)
	}
	return db, recs
}

// TestSummaryCurrentNoted: whether the summary is current comes from what the last load noted
// (ingest.SummaryStateTable) while both tables hold the rows it left, and from adding up the
// summary otherwise: a record or a summary row deleted by hand makes it not current, a state
// that does not say current, or none at all (a database no load of this release changed), is
// checked anew.
func TestSummaryCurrentNoted(t *testing.T) {
	current := func(db *sql.DB) bool {
		t.Helper()
		ok, err := queries.SummaryCurrent(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	exec := func(db *sql.DB, q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cfg := flowgen.Config{Seed: 4, Files: 2, RowsPerFile: 300}
	db, _ := loaded(t, cfg)
	if !current(db) {
		t.Fatal("not current after a load")
	}
	exec(db, `UPDATE `+ingest.SummaryStateTable+` SET current = false`)
	if !current(db) {
		t.Error("not current when the noted state says not: the summary is, added up")
	}
	exec(db, `DELETE FROM `+ingest.SummaryStateTable)
	if !current(db) {
		t.Error("not current without the noted state")
	}

	db, _ = loaded(t, cfg)
	exec(db, `DELETE FROM flows_1 WHERE rowid IN (SELECT min(rowid) FROM flows_1)`)
	if current(db) {
		t.Error("current after a record was deleted by hand")
	}
	db, _ = loaded(t, cfg)
	exec(db, `DELETE FROM flow_hourly WHERE rowid IN (SELECT min(rowid) FROM flow_hourly)`)
	if current(db) {
		t.Error("current after a row of the summary was deleted by hand")
	}
}

// openLoaded loads the files under dir into a new database, closed when the test ends.
func openLoaded(t *testing.T, dir string) (*sql.DB, *ingest.Summary) {
	t.Helper()
	db, err := flowsql.Open(context.Background(), filepath.Join(t.TempDir(), "q.duckdb"), flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, _ := ingest.LocalFiles([]string{dir})
	sum, err := ingest.Load(context.Background(), db, files, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db, sum
}

type row struct {
	addr  string
	bytes int64
}

// run runs a report as flowsql does: reading flow_hourly where it can.
func run(t *testing.T, db *sql.DB, name string, vals queries.Values, f queries.Filters) [][]any {
	t.Helper()
	current, err := queries.SummaryCurrent(context.Background(), db)
	if err != nil || !current {
		t.Fatalf("the hourly summary is not current (%v)", err)
	}
	return runOn(t, db, queries.DuckDB{Summary: true}, name, vals, f)
}

// runOn runs a report on an engine.
func runOn(t *testing.T, db *sql.DB, d queries.DuckDB, name string, vals queries.Values, f queries.Filters) [][]any {
	t.Helper()
	q, ok := builtin(t).Lookup(name)
	if !ok {
		t.Fatalf("no report %s", name)
	}
	st, err := q.Statement(context.Background(), d, vals, f, queries.DBKeys{DB: db}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(st.SQL, st.Args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, st.SQL)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// top computes a top-N of bytes by address from the generator's records, in Go.
func top(recs []flowgen.Record, n int, keep func(flowgen.Record) bool, addr func(flowgen.Record) string) []row {
	sums := map[string]int64{}
	for _, r := range recs {
		if r.Status == "OK" && keep(r) {
			sums[addr(r)] += r.Bytes
		}
	}
	var out []row
	for a, b := range sums {
		out = append(out, row{a, b})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].bytes != out[j].bytes {
			return out[i].bytes > out[j].bytes
		}
		return out[i].addr < out[j].addr
	})
	return out[:min(n, len(out))]
}

// TestTopReportsIndependently checks top-destinations and top-sources (IPv4 and IPv6, with and
// without filters) against sums computed in Go from the generator's records.
func TestTopReportsIndependently(t *testing.T) {
	db, recs := loaded(t, flowgen.Config{Seed: 17, Files: 8, RowsPerFile: 2000})
	check := func(name string, got [][]any, want []row) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", name, len(got), len(want))
		}
		for i, w := range want {
			if got[i][0] != w.addr || fmt.Sprint(got[i][1]) != fmt.Sprint(w.bytes) {
				t.Errorf("%s row %d: %v %v, want %s %d", name, i, got[i][0], got[i][1], w.addr, w.bytes)
			}
		}
	}
	all := func(flowgen.Record) bool { return true }
	dst := func(r flowgen.Record) string { return r.Dst }
	src := func(r flowgen.Record) string { return r.Src }
	check("top-destinations", run(t, db, "top-destinations", queries.Values{"limit": "15"}, queries.Filters{}), top(recs, 15, all, dst))
	if got := run(t, db, "top-destinations", nil, queries.Filters{}); got[0][0] != flowgen.NATAddr {
		t.Errorf("the top destination is %v, not the NAT gateway", got[0][0])
	}
	check("top-sources", run(t, db, "top-sources", queries.Values{"dst": flowgen.NATAddr, "limit": "12"}, queries.Filters{}),
		top(recs, 12, func(r flowgen.Record) bool { return r.Dst == flowgen.NATAddr }, src))
	// IPv6: the senders to one CloudFront address.
	v6 := flowgen.TheWorld().CloudFront6[0]
	check("top-sources IPv6", run(t, db, "top-sources", queries.Values{"dst": v6}, queries.Filters{}),
		top(recs, 10, func(r flowgen.Record) bool { return r.Dst == v6 }, src))
	// Filters: an interface, a CIDR, a time window.
	nat := flowgen.NATENI
	check("top-destinations --interface", run(t, db, "top-destinations", nil, queries.Filters{Interface: nat}),
		top(recs, 10, func(r flowgen.Record) bool { return r.ENI.ID == nat }, dst))
	inCIDR := func(a string) bool { return strings.HasPrefix(a, "10.0.2.") }
	check("top-destinations --cidr", run(t, db, "top-destinations", nil, queries.Filters{CIDR: "10.0.2.0/24"}),
		top(recs, 10, func(r flowgen.Record) bool { return inCIDR(r.Src) || inCIDR(r.Dst) }, dst))
	start := time.Date(2024, 6, 1, 0, 10, 0, 0, time.UTC)
	end := start.Add(15 * time.Minute)
	check("top-destinations --since --until", run(t, db, "top-destinations", nil, queries.Filters{Since: start, Until: end}),
		top(recs, 10, func(r flowgen.Record) bool { return r.End >= start.Unix() && r.Start < end.Unix() }, dst))
}

func toInt(v any) int64 {
	var n int64
	fmt.Sscan(fmt.Sprint(v), &n)
	return n
}

// TestEveryReportRuns runs each built-in report on generated data and checks what can be
// checked cheaply; the exact output is held by the golden files of cmd/flowsql.
func TestEveryReportRuns(t *testing.T) {
	db, recs := loaded(t, flowgen.Config{Seed: 3, Files: 4, RowsPerFile: 1000, ResolverLogs: true})
	var rejected int64
	for _, r := range recs {
		if r.Action == "REJECT" && r.Status == "OK" {
			rejected++
		}
	}
	for _, name := range builtin(t).Names() {
		vals := queries.Values{}
		q, _ := builtin(t).Lookup(name)
		for _, p := range q.Params {
			if v, ok := flowgen.NATArgument(p.Name); ok {
				vals[p.Name] = v
			}
		}
		if name == "aws-services" {
			if _, err := enrich.LoadAWSRanges(context.Background(), db, "../../testdata/ip-ranges-sample.json"); err != nil {
				t.Fatal(err)
			}
		}
		rows := run(t, db, name, vals, queries.Filters{})
		if len(rows) == 0 && name != "load-errors" && name != "nat-gateways" && name != "nat-metered" { // no errors, no ENI snapshot, no CloudWatch metrics
			t.Errorf("%s: no rows", name)
		}
		if name == "rejected" {
			var n int64
			for _, r := range run(t, db, name, queries.Values{"limit": "100000"}, queries.Filters{}) {
				n += toInt(r[3])
			}
			if n != rejected {
				t.Errorf("rejected flows %d, generator rejected %d", n, rejected)
			}
		}
	}
}

// TestRejectedSaid: a report whose figures change when rejected records are left out says, in
// its description, that they count and how to leave them out (rejected traffic is bytes sent,
// not delivered: a figure that holds it and does not say so reads as traffic).
func TestRejectedSaid(t *testing.T) {
	db, _ := loaded(t, flowgen.Config{Seed: 3, Files: 4, RowsPerFile: 1000, ResolverLogs: true})
	if _, err := enrich.LoadAWSRanges(context.Background(), db, "../../testdata/ip-ranges-sample.json"); err != nil {
		t.Fatal(err)
	}
	const leaveOut = "action IS DISTINCT FROM 'REJECT'"
	// Reports of rejected traffic, or with a column of it, say so by what they are;
	// log-coverage counts the records of every action, as coverage, not traffic.
	about := map[string]bool{"rejected": true, "interfaces": true, "log-coverage": true}
	changed := 0
	for _, name := range builtin(t).Names() {
		q, _ := builtin(t).Lookup(name)
		if !q.Filters {
			continue
		}
		vals := queries.Values{}
		for _, p := range q.Params {
			if v, ok := flowgen.NATArgument(p.Name); ok {
				vals[p.Name] = v
			}
		}
		all := fmt.Sprint(run(t, db, name, vals, queries.Filters{}))
		kept := fmt.Sprint(runOn(t, db, queries.DuckDB{}, name, vals, queries.Filters{Where: leaveOut}))
		if all == kept || about[name] {
			continue
		}
		changed++
		if !strings.Contains(q.Description, "Rejected traffic counts too") || !strings.Contains(q.Description, leaveOut) {
			t.Errorf("%s: its figures change when rejected records are left out, and its description does not say that they count, and how to leave them out (--where %q)", name, leaveOut)
		}
	}
	if changed < 5 {
		t.Errorf("only %d reports changed when rejected records were left out: the logs hold too few", changed)
	}
}

// awsService classifies an address by the ranges file as AWS documents it, independently of
// the segments flowsql builds: the longest prefix wins, a named service before AMAZON.
func awsService(t *testing.T, path string) func(a string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Prefixes []struct {
			Prefix  string `json:"ip_prefix"`
			Service string `json:"service"`
		} `json:"prefixes"`
		IPv6 []struct {
			Prefix  string `json:"ipv6_prefix"`
			Service string `json:"service"`
		} `json:"ipv6_prefixes"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		p       netip.Prefix
		service string
	}
	var all []entry
	for _, p := range f.Prefixes {
		all = append(all, entry{netip.MustParsePrefix(p.Prefix), p.Service})
	}
	for _, p := range f.IPv6 {
		all = append(all, entry{netip.MustParsePrefix(p.Prefix), p.Service})
	}
	return func(a string) string {
		addr := netip.MustParseAddr(a)
		var best *entry
		for i, e := range all {
			if !e.p.Contains(addr) {
				continue
			}
			if best == nil || e.p.Bits() > best.p.Bits() || e.p.Bits() == best.p.Bits() && best.service == "AMAZON" {
				best = &all[i]
			}
		}
		if best == nil {
			return ""
		}
		return best.service
	}
}

// TestEnrichedReports checks aws-services against the ranges file read independently, and
// by-network and the owner columns of top-sources after a lookup through a loopback RDAP server.
func TestEnrichedReports(t *testing.T) {
	ctx := context.Background()
	db, recs := loaded(t, flowgen.Config{Seed: 5, Files: 6, RowsPerFile: 2000})
	const ranges = "../../testdata/ip-ranges-sample.json"
	if _, err := enrich.LoadAWSRanges(ctx, db, ranges); err != nil {
		t.Fatal(err)
	}
	service := awsService(t, ranges)
	type dir struct{ to, from int64 }
	want := map[string]*dir{}
	for _, r := range recs {
		if r.Status != "OK" {
			continue
		}
		if s := service(r.Dst); s != "" {
			if want[s] == nil {
				want[s] = &dir{}
			}
			want[s].to += r.Bytes
		}
		if s := service(r.Src); s != "" {
			if want[s] == nil {
				want[s] = &dir{}
			}
			want[s].from += r.Bytes
		}
	}
	got := map[string]dir{}
	for _, row := range run(t, db, "aws-services", nil, queries.Filters{}) {
		got[fmt.Sprint(row[0])] = dir{toInt(row[2]), toInt(row[3])}
	}
	if len(got) != len(want) || len(want) < 4 {
		t.Errorf("services %v, want %d of them", got, len(want))
	}
	for s, w := range want {
		if got[s] != *w {
			t.Errorf("aws-services %s: to %d from %d, want %d %d", s, got[s].to, got[s].from, w.to, w.from)
		}
	}

	// Name the top 25 senders to the NAT gateway, as "flowsql enrich whois --top 25" does.
	srv := httptest.NewServer(&fakeaws.RDAP{})
	defer srv.Close()
	rd, err := enrich.NewRDAPResolver(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var top []netip.Addr
	for _, row := range run(t, db, "top-sources", queries.Values{"dst": flowgen.NATAddr, "limit": "25"}, queries.Filters{}) {
		top = append(top, netip.MustParseAddr(row[0].(string)))
	}
	v6 := flowgen.TheWorld().CloudFront6[0]
	if _, err := enrich.LookupOwners(ctx, db, append(top, netip.MustParseAddr(v6)), enrich.LookupOptions{RDAP: rd}); err != nil {
		t.Fatal(err)
	}
	// The lookups by key that reports use, for an IPv6 key too.
	var network, svc string
	if err := db.QueryRow(`SELECT key_network(addr_key(?)), key_aws_service(addr_key(?))`, v6, v6).Scan(&network, &svc); err != nil || network != "AMAZON-CF" || svc != "CLOUDFRONT" {
		t.Errorf("key_network, key_aws_service of %s: %q %q %v", v6, network, svc, err)
	}
	rows := run(t, db, "top-sources", queries.Values{"dst": flowgen.NATAddr, "limit": "25"}, queries.Filters{})
	for _, row := range rows {
		a := netip.MustParseAddr(row[0].(string))
		if enrich.IsPublic(a) && fmt.Sprint(row[9]) != fakeaws.Owner(a).Name {
			t.Errorf("top-sources %s: network %v, want %s", a, row[9], fakeaws.Owner(a).Name)
		}
	}
	// by-network: every byte to the NAT gateway counted once; a network's bytes are those of
	// its senders; the senders not named are counted as such.
	var total, cdn, private int64
	cdnNet := netip.MustParsePrefix(flowgen.CDNNetwork)
	for _, r := range recs {
		if r.Status != "OK" || r.Dst != flowgen.NATAddr {
			continue
		}
		total += r.Bytes
		a := netip.MustParseAddr(r.Src)
		if cdnNet.Contains(a) {
			cdn += r.Bytes
		}
		if !enrich.IsPublic(a) {
			private += r.Bytes
		}
	}
	byNet := run(t, db, "by-network", queries.Values{"dst": flowgen.NATAddr, "limit": "1000"}, queries.Filters{})
	var sum int64
	nets := map[string]int64{}
	for _, row := range byNet {
		sum += toInt(row[3])
		nets[fmt.Sprint(row[0])] = toInt(row[3])
	}
	if sum != total {
		t.Errorf("by-network sums to %d bytes, the NAT gateway received %d", sum, total)
	}
	if byNet[0][0] != flowgen.CDNNetName || nets[flowgen.CDNNetName] != cdn || byNet[0][1] != flowgen.CDNOrg {
		t.Errorf("by-network leads with %v (%v), want %s with %d bytes", byNet[0][0], byNet[0][3], flowgen.CDNNetName, cdn)
	}
	if nets["(private)"] != private {
		t.Errorf("(private): %d bytes, want %d", nets["(private)"], private)
	}
}

// TestInline: a statement with its values inlined gives the same rows as the bound one, and
// quotes survive.
func TestInline(t *testing.T) {
	db, _ := loaded(t, flowgen.Config{Seed: 9, Files: 2, RowsPerFile: 500})
	q, _ := builtin(t).Lookup("top-sources")
	st, err := q.Statement(context.Background(), queries.DuckDB{}, queries.Values{"dst": flowgen.NATAddr, "limit": "3"},
		queries.Filters{Account: flowgen.Account, Where: "protocol = 6 OR srcaddr = 'it''s'"}, queries.DBKeys{DB: db}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sql := st.Inline()
	if strings.Contains(sql, "$1") || !strings.Contains(sql, "'"+flowgen.Account+"'") || !strings.Contains(sql, "LIMIT 3") {
		t.Fatalf("inlined:\n%s", sql)
	}
	read := func(query string, args ...any) string {
		rows, err := db.Query(query, args...)
		if err != nil {
			t.Fatal(err)
		}
		res, err := output.Read(rows, 0)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(res.Rows)
	}
	if a, b := read(st.SQL, st.Args...), read(sql); a != b || a == "[]" {
		t.Errorf("bound %s\ninlined %s", a, b)
	}
}

// TestSummaryMatchesRecords: every report that reads flow_summary gives the same answer from
// flow_hourly as from the records, with no filter and with each filter: windows on whole hours
// and cutting hours, account, interface, IPv4 and IPv6 CIDRs, a WHERE of the user's.
func TestSummaryMatchesRecords(t *testing.T) {
	db, recs := loaded(t, flowgen.Config{Seed: 23, Files: 30, RowsPerFile: 300, ResolverLogs: true})
	if _, err := enrich.LoadAWSRanges(context.Background(), db, "../../testdata/ip-ranges-sample.json"); err != nil {
		t.Fatal(err)
	}
	first := time.Unix(recs[0].Start, 0).UTC().Truncate(time.Hour)
	hour := func(h, m int) time.Time { return first.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	filters := map[string]queries.Filters{
		"none":          {},
		"whole hours":   {Since: hour(1, 0), Until: hour(2, 0)},
		"cut hours":     {Since: hour(0, 17), Until: hour(2, 6)},
		"since only":    {Since: hour(1, 41)},
		"until only":    {Until: hour(1, 3)},
		"empty":         {Since: hour(40, 0)},
		"account":       {Account: flowgen.Account},
		"other account": {Account: "999999999999"},
		"interface":     {Interface: flowgen.NATENI},
		"cidr":          {CIDR: "10.0.1.0/24", Since: hour(0, 30)},
		"ipv6 cidr":     {CIDR: "2600:9000::/28"},
		"where":         {Where: "dstport = 443"},
	}
	var names []string
	for _, name := range builtin(t).Names() {
		q, _ := builtin(t).Lookup(name)
		if body, _ := q.Body("duckdb"); queries.ReferencesName(body, queries.SummaryName) || queries.ReferencesName(body, queries.DestinationsName) ||
			queries.ReferencesName(body, queries.RejectedName) || queries.ReferencesName(body, queries.PortsName) {
			names = append(names, name)
		}
	}
	if len(names) < 10 {
		t.Fatalf("only %d reports read %s: %v", len(names), queries.SummaryName, names)
	}
	for _, name := range names {
		q, _ := builtin(t).Lookup(name)
		vals := queries.Values{}
		for _, p := range q.Params {
			if v, ok := flowgen.NATArgument(p.Name); ok {
				vals[p.Name] = v
			}
			if p.Name == "limit" {
				vals[p.Name] = "100000"
			}
		}
		for fname, f := range filters {
			if !q.Filters && fname != "none" {
				continue
			}
			fromRecords := runOn(t, db, queries.DuckDB{}, name, vals, f)
			// The destinations rollup, when a report reads it, is used only without filters.
			for _, d := range []queries.DuckDB{{Summary: true}, {Summary: true, Destinations: true, Rejected: true, Ports: true}} {
				fromSummary := runOn(t, db, d, name, vals, f)
				if fmt.Sprint(fromSummary) != fmt.Sprint(fromRecords) {
					t.Errorf("%s, %s: from flow_hourly (%+v) %d rows, from the records %d rows\nsummary: %.600v\nrecords: %.600v",
						name, fname, d, len(fromSummary), len(fromRecords), fromSummary, fromRecords)
				}
			}
		}
	}
}

// TestRecreatedFormat: a flow log recreated with vpc-id and account-id in its format (the
// first half hour in the default format, the rest in a custom one with them). Each report
// that tells hosts apart by account and VPC reads the records without them as of the VPC their
// interface's other records give: no private address is two rows of top-destinations, whose
// totals are those of the addresses whatever the format, and the records and the summary
// give the same answers.
func TestRecreatedFormat(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	var recs []flowgen.Record
	for i, fields := range [][]string{flowgen.DefaultFields, flowgen.CustomFields} {
		g := flowgen.New(flowgen.Config{Seed: 31, Files: 6, RowsPerFile: 300, Fields: fields, Start: start.Add(time.Duration(i) * 30 * time.Minute)})
		if _, _, err := g.WriteTree(dir); err != nil {
			t.Fatal(err)
		}
		for f := range 6 {
			recs = append(recs, g.File(f).Records...)
		}
	}
	db, _ := openLoaded(t, dir)
	out, err := builtin(t).Run(context.Background(), db, "top-destinations", queries.Values{"limit": "100000"}, queries.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(out.Notes, "\n"); !strings.Contains(notes, "records without an account or VPC (or of account \"unknown\") that other records tell") {
		t.Errorf("notes: %s", notes)
	}
	got := out.Result.Rows
	seen := map[any]bool{}
	for _, r := range got {
		if seen[r[0]] {
			t.Errorf("top-destinations lists %v twice", r[0])
		}
		seen[r[0]] = true
	}
	want := top(recs, len(got), func(flowgen.Record) bool { return true }, func(r flowgen.Record) string { return r.Dst })
	for i, w := range want {
		if got[i][0] != w.addr || fmt.Sprint(got[i][1]) != fmt.Sprint(w.bytes) {
			t.Errorf("top-destinations row %d: %v %v, want %s %d", i, got[i][0], got[i][1], w.addr, w.bytes)
		}
	}
	vals := queries.Values{"dst": flowgen.NATAddr, "limit": "100000"}
	for _, name := range []string{"top-destinations", "top-sources", "top-talkers", "rejected", "by-network"} {
		q, _ := builtin(t).Lookup(name)
		v := queries.Values{}
		for _, p := range q.Params {
			if x, ok := vals[p.Name]; ok {
				v[p.Name] = x
			}
		}
		for fname, f := range map[string]queries.Filters{"none": {}, "account": {Account: flowgen.Account}, "cut hours": {Since: start.Add(17 * time.Minute)}} {
			fromRecords := runOn(t, db, queries.DuckDB{Networks: true}, name, v, f)
			for _, d := range []queries.DuckDB{{Summary: true, Networks: true}, {Summary: true, Destinations: true, Rejected: true, Ports: true, Networks: true}} {
				if fromSummary := runOn(t, db, d, name, v, f); fmt.Sprint(fromSummary) != fmt.Sprint(fromRecords) {
					t.Errorf("%s, %s: from flow_hourly (%+v) %d rows, from the records %d rows\nsummary: %.600v\nrecords: %.600v",
						name, fname, d, len(fromSummary), len(fromRecords), fromSummary, fromRecords)
				}
			}
		}
	}
}

// TestUnknownAccountResolved: an interface endpoint's own records say account "unknown"; in a
// VPC whose other interfaces are all of one account they count as of it, and in a shared VPC
// (two accounts) they stay "unknown" (and the shared VPC's host is a row per account that
// logs it). The records and the summary agree.
func TestUnknownAccountResolved(t *testing.T) {
	const head = "version account-id vpc-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
	dir := t.TempDir()
	logs := head +
		"5 111111111111 vpc-p eni-inst 10.0.1.5 10.0.4.4 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK\n" +
		"5 unknown vpc-p eni-vpce 10.0.1.5 10.0.4.4 40000 443 6 10 7000 1717200000 1717200060 ACCEPT OK\n" +
		"5 111111111111 vpc-s eni-s1 10.0.1.7 10.0.5.5 40000 443 6 10 1000 1717200000 1717200060 ACCEPT OK\n" +
		"5 222222222222 vpc-s eni-s2 10.0.1.8 10.0.5.5 40000 443 6 10 2000 1717200000 1717200060 ACCEPT OK\n" +
		"5 unknown vpc-s eni-nlb 10.0.1.8 10.0.5.5 40000 443 6 10 3000 1717203600 1717203660 ACCEPT OK\n"
	if err := os.WriteFile(filepath.Join(dir, "a.log"), []byte(logs), 0o644); err != nil {
		t.Fatal(err)
	}
	db, _ := openLoaded(t, dir)
	rows, _ := destinationRows(t, db, 5)
	third := 1.0 / 6
	want := []string{fmt.Sprint([]any{"10.0.4.4", 12000, 2.0 / 3, "111111111111", "vpc-p"}), fmt.Sprint([]any{"10.0.5.5", 3000, third, "unknown", "vpc-s"}),
		fmt.Sprint([]any{"10.0.5.5", 2000, third * 2 / 3, "222222222222", "vpc-s"}), fmt.Sprint([]any{"10.0.5.5", 1000, third / 3, "111111111111", "vpc-s"})}
	if !slices.Equal(rows, want) {
		t.Errorf("top-destinations:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	networksAgree(t, db, "10.0.4.4", queries.DuckDB{Summary: true, Networks: true}, queries.DuckDB{Summary: true, Destinations: true, Networks: true})
}

// TestNetworksFollowLoads: the interfaces whose records count as of another VPC are found once
// for a database while its files stay the same; a load that brings another such interface is
// seen by the next report.
func TestNetworksFollowLoads(t *testing.T) {
	const v2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
	const v3 = "version vpc-id account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
	write := func(dir, name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	write(dir, "a.log", v2+"2 123456789012 eni-1 52.216.1.1 10.0.1.5 443 40000 6 10 1000 1717200000 1717200060 ACCEPT OK\n")
	write(dir, "b.log", v3+"3 vpc-1 123456789012 eni-1 52.216.1.1 10.0.1.5 443 40000 6 10 2000 1717203600 1717203660 ACCEPT OK\n")
	db, _ := openLoaded(t, dir)
	set := builtin(t) // one set, as flowsql nat and the REPL keep
	rowsOf := func(addr string) (n int) {
		t.Helper()
		out, err := set.Run(context.Background(), db, "top-destinations", nil, queries.Filters{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Result.Rows {
			if r[0] == addr {
				n++
			}
		}
		return n
	}
	if n := rowsOf("10.0.1.5"); n != 1 {
		t.Fatalf("10.0.1.5 is %d rows", n)
	}
	more := t.TempDir()
	write(more, "c.log", v2+"2 123456789012 eni-2 52.216.1.1 10.0.2.9 443 40000 6 10 1000 1717200000 1717200060 ACCEPT OK\n")
	write(more, "d.log", v3+"3 vpc-1 123456789012 eni-2 52.216.1.1 10.0.2.9 443 40000 6 10 2000 1717203600 1717203660 ACCEPT OK\n")
	files, _ := ingest.LocalFiles([]string{more})
	if _, err := ingest.Load(context.Background(), db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := rowsOf("10.0.2.9"); n != 1 {
		t.Errorf("after the second load, 10.0.2.9 is %d rows", n)
	}
}

// TestSkippedNote: a report says how many SKIPDATA records its window and scope hold, the same
// whether it counts them in the hourly summary (no window) or in the records, and nothing when
// they hold none.
func TestSkippedNote(t *testing.T) {
	db, recs := loaded(t, flowgen.Config{Seed: 23, Files: 30, RowsPerFile: 300})
	var want int64
	for _, r := range recs {
		if r.Status == "SKIPDATA" {
			want++
		}
	}
	if want == 0 {
		t.Fatal("the generated logs have no SKIPDATA record: choose another seed")
	}
	ctx := context.Background()
	for _, name := range []string{"top-destinations", "top-talkers", "rejected"} {
		p, err := builtin(t).Prepare(ctx, db, name, nil, queries.Filters{})
		if err != nil {
			t.Fatal(err)
		}
		records, err := queries.CheckSkipped(ctx, db, queries.Filters{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Skipped == nil || records == nil || *p.Skipped != *records || p.Skipped.Records != want {
			t.Fatalf("%s: SKIPDATA %+v, from the records %+v, want %d records", name, p.Skipped, records, want)
		}
		if !slices.Contains(p.Notes, p.Skipped.Error()) {
			t.Fatalf("%s: notes %q lack the SKIPDATA note", name, p.Notes)
		}
	}
	p, err := builtin(t).Prepare(ctx, db, "top-destinations", nil, queries.Filters{Interface: "eni-none"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Skipped != nil {
		t.Fatalf("another interface: %+v", p.Skipped)
	}
}

// TestShownFieldsDeclared: a report with a column of bytes or packets declares the field
// (-- needs: or -- shows:), so that logs whose format lacks it say so rather than show a
// column that counts only some records.
func TestShownFieldsDeclared(t *testing.T) {
	db, _ := loaded(t, flowgen.Config{Seed: 5, Files: 2, RowsPerFile: 300})
	set := builtin(t)
	for _, name := range set.Names() {
		q, _ := set.Lookup(name)
		if !q.Filters {
			continue // it reads no records
		}
		vals := queries.Values{}
		for _, p := range q.Params {
			if v, ok := flowgen.NATArgument(p.Name); ok {
				vals[p.Name] = v
			}
		}
		out, err := set.Run(context.Background(), db, name, vals, queries.Filters{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		declared := slices.Concat(q.Needs, q.Shows)
		for _, n := range q.NeedsIf {
			declared = append(declared, n.Field)
		}
		for _, c := range out.Result.Columns {
			for _, field := range []string{"bytes", "packets"} {
				if (c.Name == field || strings.HasPrefix(c.Name, field+"_")) && !slices.Contains(declared, field) {
					t.Errorf("%s: column %s, and %s is neither needed nor shown", name, c.Name, field)
				}
			}
		}
	}
}

// TestWindowRelation: flow_window is one row whatever the window (a row per file made a
// series cross every summary row with each: 17 s instead of 0.8 s on 100M records), and its
// bounds are the window's within the span of the records loaded.
func TestWindowRelation(t *testing.T) {
	db, recs := loaded(t, flowgen.Config{Seed: 3, Files: 4, RowsPerFile: 50})
	first, last := recs[0].Start, recs[0].End
	for _, r := range recs {
		first, last = min(first, r.Start), max(last, r.End)
	}
	for _, c := range []struct {
		f      queries.Filters
		lo, hi sql.NullInt64
	}{
		{queries.Filters{}, sql.NullInt64{}, sql.NullInt64{}},
		{queries.Filters{Since: time.Unix(first+600, 0), Until: time.Unix(first+1200, 0)}, sql.NullInt64{Int64: first + 600, Valid: true}, sql.NullInt64{Int64: first + 1199, Valid: true}},
		{queries.Filters{Since: time.Unix(first-86400, 0), Until: time.Unix(last+86400, 0)}, sql.NullInt64{Int64: first, Valid: true}, sql.NullInt64{Int64: last, Valid: true}},
	} {
		var n int
		var lo, hi sql.NullInt64
		if err := db.QueryRow(`SELECT count(*), min(lo), min(hi) FROM (`+queries.DuckDB{}.WindowSQL(c.f)+`)`).Scan(&n, &lo, &hi); err != nil {
			t.Fatal(err)
		}
		if n != 1 || lo != c.lo || hi != c.hi {
			t.Errorf("window %v to %v: %d rows, %v to %v; want 1 row, %v to %v", c.f.Since, c.f.Until, n, lo, hi, c.lo, c.hi)
		}
	}
}

// TestKeyAccounts: two accounts' flow logs of a format without account-id or vpc-id, whose
// templated VPCs reuse private addresses, name two hosts by each address: the account in their
// files' S3 keys tells them apart, as account-id would (one row each, merged before, unsaid),
// from the summary as from the records; a note says where the account comes from.
func TestKeyAccounts(t *testing.T) {
	dir := t.TempDir()
	for _, a := range []string{"111111111111", "222222222222"} {
		d := filepath.Join(dir, "AWSLogs", a, "vpcflowlogs", "us-east-1", "2024", "06", "01")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		log := "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
			"2 eni-" + a + " 10.0.1.5 10.0.2.6 40000 443 6 10 1000 1717200000 1717200060 ACCEPT OK\n"
		if err := os.WriteFile(filepath.Join(d, a+"_vpcflowlogs_us-east-1_fl-0aaa"+a[:4]+"_20240601T0005Z_abcd1234.log"), []byte(log), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, _ := openLoaded(t, dir)
	rows, notes := destinationRows(t, db, 4)
	want := []string{fmt.Sprint([]any{"10.0.2.6", 1000, 0.5, "111111111111"}), fmt.Sprint([]any{"10.0.2.6", 1000, 0.5, "222222222222"})}
	if !slices.Equal(rows, want) {
		t.Errorf("top-destinations:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if notes := strings.Join(notes, " "); !strings.Contains(notes, "the one account in the S3 keys of the files that log it") {
		t.Errorf("notes: %s", notes)
	}
	networksAgree(t, db, "10.0.2.6", queries.DuckDB{Summary: true, Networks: true}, queries.DuckDB{Summary: true, Destinations: true, Networks: true})
}

// destinationRows runs top-destinations on db: its rows' first n columns as text, and its notes.
func destinationRows(t *testing.T, db *sql.DB, n int) ([]string, []string) {
	t.Helper()
	out, err := builtin(t).Run(context.Background(), db, "top-destinations", nil, queries.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range out.Result.Rows {
		rows = append(rows, fmt.Sprint(r[:n]))
	}
	return rows, out.Notes
}

// networksAgree checks that the top reports (top-sources of dst) read with networks resolved
// give the same rows from the records and from each of the summary's engines.
func networksAgree(t *testing.T, db *sql.DB, dst string, engines ...queries.DuckDB) {
	t.Helper()
	for _, name := range []string{"top-destinations", "top-sources", "top-talkers"} {
		v := queries.Values{}
		if name == "top-sources" {
			v["dst"] = dst
		}
		fromRecords := runOn(t, db, queries.DuckDB{Networks: true}, name, v, queries.Filters{})
		for _, d := range engines {
			if fromSummary := runOn(t, db, d, name, v, queries.Filters{}); fmt.Sprint(fromSummary) != fmt.Sprint(fromRecords) {
				t.Errorf("%s: from flow_hourly (%+v) %v, from the records %v", name, d, fromSummary, fromRecords)
			}
		}
	}
}

// TestRejectedRollup: the rejected report reads the load's rollup of rejected traffic when it
// holds every rejected record, and the records when it does not (rows deleted by hand), with
// the same answers either way; top-ports reads the rollup of traffic by port.
func TestRejectedRollup(t *testing.T) {
	ctx := context.Background()
	db, _ := loaded(t, flowgen.Config{Seed: 41, Files: 6, RowsPerFile: 400})
	for _, by := range []string{"source", "destination"} {
		vals := queries.Values{"by": by, "limit": "100000"}
		want := runOn(t, db, queries.DuckDB{}, "rejected", vals, queries.Filters{})
		if len(want) < 20 {
			t.Fatalf("rejected by %s: %d rows", by, len(want))
		}
		p, err := builtin(t).Prepare(ctx, db, "rejected", vals, queries.Filters{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Statement.SQL, ingest.RejectedTable) {
			t.Errorf("rejected by %s does not read %s:\n%s", by, ingest.RejectedTable, p.Statement.SQL)
		}
		out, err := builtin(t).Run(ctx, db, "rejected", vals, queries.Filters{})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(out.Result.Rows) != fmt.Sprint(want) {
			t.Errorf("rejected by %s from the rollup:\n%.800v\nfrom the records:\n%.800v", by, out.Result.Rows, want)
		}
	}
	// top-ports likewise reads the rollup of traffic by port.
	if p, err := builtin(t).Prepare(ctx, db, "top-ports", queries.Values{}, queries.Filters{}); err != nil || !strings.Contains(p.Statement.SQL, ingest.PortsTable) {
		t.Errorf("top-ports does not read %s (%v)", ingest.PortsTable, err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM `+ingest.RejectedTable+` WHERE rowid % 3 = 0`); err != nil {
		t.Fatal(err)
	}
	if ok, err := queries.RollupCurrent(ctx, db, ingest.RejectedTable); err != nil || ok {
		t.Fatalf("the rollup with rows deleted is current: %v (%v)", ok, err)
	}
	vals := queries.Values{"limit": "100000"}
	p, err := builtin(t).Prepare(ctx, db, "rejected", vals, queries.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Statement.SQL, ingest.RejectedTable) {
		t.Errorf("rejected reads %s with rows missing", ingest.RejectedTable)
	}
	out, err := builtin(t).Run(ctx, db, "rejected", vals, queries.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	if want := runOn(t, db, queries.DuckDB{}, "rejected", vals, queries.Filters{}); fmt.Sprint(out.Result.Rows) != fmt.Sprint(want) {
		t.Errorf("rejected without its rollup:\n%.800v\nfrom the records:\n%.800v", out.Result.Rows, want)
	}
}

// TestNatEdgesParts: nat-edges, which reads the summary's whole hours and the records of the
// hours of the period's ends, adds up what one test of each record gives (start before the
// period or end after it; its bytes in proportion to its time inside), for periods inside an
// hour, across hours, on hour boundaries, and before and after the records; with and without
// a window that cuts the summary's hours.
func TestNatEdgesParts(t *testing.T) {
	ctx := context.Background()
	db, recs := loaded(t, flowgen.Config{Seed: 43, Files: 12, RowsPerFile: 400})
	first := time.Unix(recs[0].Start, 0).UTC().Truncate(time.Hour)
	at := func(h, m int) time.Time { return first.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	periods := [][2]time.Time{
		{at(0, 10), at(0, 20)}, {at(0, 50), at(1, 40)}, {at(1, 0), at(2, 0)}, {at(0, 0), at(3, 0)},
		{at(-5, 0), at(0, 7)}, {at(1, 59), at(30, 0)}, {at(-9, 0), at(-8, 0)}, {at(40, 0), at(41, 0)},
	}
	var direct int
	for _, p := range periods {
		from, to := p[0].Unix(), p[1].Unix()
		vals := queries.Values{"nat": flowgen.NATAddr, "nat_eni": flowgen.NATENI, "from": p[0].Format(time.RFC3339), "to": p[1].Format(time.RFC3339)}
		for fname, f := range map[string]queries.Filters{"none": {}, "window": {Since: p[0], Until: p[1]}} {
			window := "true"
			if fname == "window" { // the records outside the window are not read
				window = `"end" >= $1 AND "start" < $2`
			}
			var whole, prorated int64
			if err := db.QueryRowContext(ctx, `SELECT coalesce(sum(bytes), 0),
                    CAST(round(coalesce(sum(bytes * greatest(least("end", $2) - greatest("start", $1), 0) / greatest("end" - "start", 1)), 0)) AS BIGINT)
                FROM flow_records
                WHERE interface_id = $3 AND log_status = 'OK'::flow_log_status AND dst_ip = addr_key($4) AND nat_processed("action", true)
                  AND ("start" < $1 OR "end" > $2) AND `+window, from, to, flowgen.NATENI, flowgen.NATAddr).Scan(&whole, &prorated); err != nil {
				t.Fatal(err)
			}
			if prorated > 0 {
				direct++
			}
			for _, d := range []queries.DuckDB{{Summary: true}, {}} {
				if got, want := runOn(t, db, d, "nat-edges", vals, f), fmt.Sprint([][]any{{whole, prorated}}); fmt.Sprint(got) != want {
					t.Errorf("nat-edges %s to %s, %s (%+v): %v, want %s", p[0].Format(time.TimeOnly), p[1].Format(time.TimeOnly), fname, d, got, want)
				}
			}
		}
	}
	if direct < 6 {
		t.Fatalf("only %d periods cut the gateway's records", direct)
	}
}

// TestRejectedOddTimes: a rejected record whose end is in milliseconds counts in its row's flows
// and packets, and leaves its row's first and last seen to the records whose times are known
// (it showed the year 56386); a row of such records alone has neither. From the rollup and
// from the records alike.
func TestRejectedOddTimes(t *testing.T) {
	dir := t.TempDir()
	logs := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"2 111111111111 eni-1 198.51.100.7 10.0.0.2 40000 22 6 1 40 1717203590 1717203650000 REJECT OK\n" +
		"2 111111111111 eni-1 198.51.100.7 10.0.0.2 40001 22 6 1 40 1717203600 1717203660 REJECT OK\n" +
		"2 111111111111 eni-1 198.51.100.8 10.0.0.2 40001 22 6 1 40 1717203600000 1717203660000 REJECT OK\n"
	if err := os.WriteFile(filepath.Join(dir, "a.log"), []byte(logs), 0o644); err != nil {
		t.Fatal(err)
	}
	db, _ := openLoaded(t, dir)
	want := "[[198.51.100.7 22 TCP 2 2 1 2024-06-01 01:00:00 +0000 UTC 2024-06-01 01:01:00 +0000 UTC <nil> <nil>] [198.51.100.8 22 TCP 1 1 1 <nil> <nil> <nil> <nil>]]"
	for _, d := range []queries.DuckDB{{}, {Summary: true, Rejected: true}} {
		if got := runOn(t, db, d, "rejected", queries.Values{}, queries.Filters{}); fmt.Sprint(got) != want {
			t.Errorf("rejected (%+v): %v\nwant %s", d, got, want)
		}
	}
}

// TestTopSourcesRepeatedHost: top-sources shows the account and VPC of a sender that is a host
// in more than one of them, even when its other row is not among the top rows, and not of a
// sender that is one host; here the scopes of all senders differ only by a flow log that
// names neither (so only the sender's own rows tell), read from the records and the summary.
func TestTopSourcesRepeatedHost(t *testing.T) {
	const head = "version account-id vpc-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
	dir := t.TempDir()
	for name, text := range map[string]string{
		"a.log": head + "5 111111111111 vpc-a eni-1 10.0.1.5 10.0.9.9 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK\n" +
			"5 111111111111 vpc-a eni-1 10.0.1.6 10.0.9.9 40000 443 6 10 9000 1717200000 1717200060 ACCEPT OK\n",
		"b.log": "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
			"5 eni-9 10.0.1.5 10.0.9.9 40000 443 6 10 3000 1717200000 1717200060 ACCEPT OK\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, _ := openLoaded(t, dir)
	for _, d := range []queries.DuckDB{{Networks: true}, {Summary: true, Networks: true}} {
		for limit, want := range map[string]string{
			"2": "[10.0.1.6 9000 <nil> <nil>] [10.0.1.5 5000 111111111111 vpc-a]",
			"3": "[10.0.1.6 9000 <nil> <nil>] [10.0.1.5 5000 111111111111 vpc-a] [10.0.1.5 3000 <nil> <nil>]",
		} {
			var got []string
			for _, r := range runOn(t, db, d, "top-sources", queries.Values{"dst": "10.0.9.9", "limit": limit}, queries.Filters{}) {
				got = append(got, fmt.Sprint([]any{r[0], r[1], r[5], r[6]}))
			}
			if strings.Join(got, " ") != want {
				t.Errorf("%+v, --limit %s:\n got %s\nwant %s", d, limit, strings.Join(got, " "), want)
			}
		}
	}
}
