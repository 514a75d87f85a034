package ingest_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/pkg/ingest"
)

// summaryDiff compares flow_hourly with the records added up afresh, group by group: the rows
// of each side that the other lacks (the summary may hold a group in several rows, one per file
// or batch that added to it).
func summaryDiff(t *testing.T, db *sql.DB) []string {
	t.Helper()
	return rollupDiff(t, db, ingest.SummaryTable, "true",
		`account_id, vpc_id, interface_id, src_ip, dst_ip, pkt_src_ip, pkt_dst_ip, pkt_src_aws_service, pkt_dst_aws_service, "action", log_status`,
		`sum(bytes) AS b, sum(packets) AS p`)
}

// rejectedDiff compares the rollup of rejected traffic with the rejected records added up
// afresh, as summaryDiff does the summary.
func rejectedDiff(t *testing.T, db *sql.DB) []string {
	t.Helper()
	return rollupDiff(t, db, ingest.RejectedTable, ingest.RejectedCondition,
		`account_id, vpc_id, interface_id, src_ip, dst_ip, dstport, protocol`, `sum(packets) AS p`)
}

// portsDiff compares the rollup of traffic by service port with the records added up afresh.
func portsDiff(t *testing.T, db *sql.DB) []string {
	t.Helper()
	return rollupDiffOf(t, db, ingest.PortsTable, ingest.PortsCondition, `account_id, vpc_id, interface_id, port, protocol`,
		`account_id, vpc_id, interface_id, `+ingest.ServicePort+` AS port, protocol`, `sum(bytes) AS b, sum(packets) AS p`)
}

// rollupDiff compares table, which adds up the records that cond selects by the hour of their
// start and end and the columns key (sums, with records and their first start and last end),
// with the records added up afresh: the rows of each side that the other lacks.
func rollupDiff(t *testing.T, db *sql.DB, table, cond, key, sums string) []string {
	t.Helper()
	return rollupDiffOf(t, db, table, cond, key, key, sums)
}

// rollupDiffOf is rollupDiff where the key is of other expressions on the records (recordKey)
// than on the table.
func rollupDiffOf(t *testing.T, db *sql.DB, table, cond, key, recordKey, sums string) []string {
	t.Helper()
	q := fmt.Sprintf(`
WITH rollup AS (
    SELECT start_hour, end_hour, %[2]s, min("start") AS s, max("end") AS e, %[3]s, sum(records) AS r
    FROM %[1]s GROUP BY ALL
), records AS (
    SELECT "start" // 3600 AS start_hour, "end" // 3600 AS end_hour, %[5]s,
           min("start") AS s, max("end") AS e, %[3]s, count(*) AS r
    FROM flow_records WHERE %[4]s GROUP BY ALL
)
SELECT 'rollup only: ' || CAST(x AS VARCHAR) FROM (SELECT * FROM rollup EXCEPT ALL SELECT * FROM records) AS x
UNION ALL
SELECT 'records only: ' || CAST(y AS VARCHAR) FROM (SELECT * FROM records EXCEPT ALL SELECT * FROM rollup) AS y
LIMIT 5`, table, key, sums, cond, recordKey)
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func checkSummary(t *testing.T, db *sql.DB) {
	t.Helper()
	if diff := summaryDiff(t, db); len(diff) > 0 {
		t.Fatalf("flow_hourly differs from the records:\n%s", strings.Join(diff, "\n"))
	}
	if n, r := queryInt(t, db, `SELECT count(*) FROM flow_records`), queryInt(t, db, `SELECT coalesce(sum(records), 0) FROM flow_hourly`); n != r {
		t.Fatalf("flow_hourly counts %d records of %d", r, n)
	}
	// What the last change noted of the summary (ingest.SummaryStateTable) is what it holds.
	if n := queryInt(t, db, `SELECT count(*) FROM flow_records`); n > 0 {
		if got := queryInt(t, db, `SELECT count(*) FROM `+ingest.SummaryStateTable+` WHERE current AND records = (SELECT count(*) FROM flow_records)
            AND summary_rows = (SELECT count(*) FROM flow_hourly)`); got != 1 {
			t.Fatalf("%s does not say what the summary and the records hold (%d rows that do)", ingest.SummaryStateTable, got)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM flow_hourly WHERE scope IS DISTINCT FROM network_scope(account_id, vpc_id)`); n > 0 {
		t.Fatalf("%d rows of flow_hourly have another scope than their account and VPC's", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM flow_hourly`); n == 0 && queryInt(t, db, `SELECT count(*) FROM flow_records`) > 0 {
		t.Fatal("flow_hourly is empty")
	}
	if diff := rejectedDiff(t, db); len(diff) > 0 {
		t.Fatalf("%s differs from the rejected records:\n%s", ingest.RejectedTable, strings.Join(diff, "\n"))
	}
	if diff := portsDiff(t, db); len(diff) > 0 {
		t.Fatalf("%s differs from the records:\n%s", ingest.PortsTable, strings.Join(diff, "\n"))
	}
	// After a load the destinations rollup holds the summary's totals, row for row.
	totals := ingest.DestinationTotals(ingest.SummaryTable)
	if n := queryInt(t, db, `SELECT count(*) FROM (
        (SELECT * FROM flow_by_destination EXCEPT ALL `+totals+`)
        UNION ALL
        (`+totals+` EXCEPT ALL SELECT * FROM flow_by_destination))`); n > 0 {
		t.Fatalf("flow_by_destination differs from flow_hourly's totals by destination in %d rows", n)
	}
}

// TestSummary: the hourly summary that loads keep equals the records added up, whatever the
// format (fields in another order, no log-status, no pkt-* fields, a CloudWatch export), across
// batches, forced reloads and Parquet.
func TestSummary(t *testing.T) {
	db := newDB(t)
	custom, _ := generate(t, flowgen.Config{Seed: 3, Files: 4, RowsPerFile: 400})
	def, _ := generate(t, flowgen.Config{Seed: 4, Files: 3, RowsPerFile: 300, Fields: flowgen.DefaultFields, Start: time.Date(2024, 5, 31, 22, 30, 0, 0, time.UTC)})
	shuffled, _ := generate(t, flowgen.Config{Seed: 5, Files: 2, RowsPerFile: 300, Fields: flowgen.ShuffledFields})
	sum := load(t, db, ingest.Options{BatchFiles: 3}, custom, def, shuffled)
	if sum.Failed != 0 {
		t.Fatalf("failed %d", sum.Failed)
	}
	checkSummary(t, db)

	// A format without log-status (its records are OK when they carry traffic), records that
	// span hours, NODATA, IPv6, and no pkt-* fields.
	dir := t.TempDir()
	writeFile(t, dir, "nostatus.log", `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action
2 111111111111 eni-1 10.0.0.1 10.0.0.2 443 1025 6 10 1000 1717203590 1717203650 ACCEPT
2 111111111111 eni-1 10.0.0.1 10.0.0.2 443 1025 6 5 500 1717203500 1717203550 ACCEPT
2 111111111111 eni-1 - - - - - - - 1717203500 1717203550 -
2 111111111111 eni-2 2001:db8::1 2001:db8::2 443 1025 6 1 60 1717207300 1717207310 REJECT
`)
	// A value written unusually (+5).
	writeFile(t, dir, "odd.log", `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 222222222222 eni-3 10.0.0.9 10.0.0.2 443 1025 6 +5 1000 1717203590 1717203650 ACCEPT OK
2 222222222222 eni-3 - - - - - - - 1717203500 1717203550 - NODATA
`)
	sum = load(t, db, ingest.Options{}, dir)
	if sum.Loaded != 2 {
		t.Fatalf("%+v", sum.Results)
	}
	checkSummary(t, db)

	// A forced reload replaces a file's records and its share of the summary.
	path := filepath.Join(dir, "nostatus.log")
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), " 1000 ", " 7000 ", 1)), 0o644)
	load(t, db, ingest.Options{Force: true}, path)
	checkSummary(t, db)
	if got := queryInt(t, db, `SELECT sum(bytes) FROM flow_hourly WHERE interface_id = 'eni-1'`); got != 7500 {
		t.Errorf("eni-1 bytes after the reload: %d", got)
	}

	// Parquet.
	pq := filepath.Join(t.TempDir(), "flows.parquet")
	if _, err := db.Exec(fmt.Sprintf(`COPY (SELECT version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, "start", "end", "action", log_status FROM flows WHERE interface_id = 'eni-1') TO '%s' (FORMAT parquet)`, pq)); err != nil {
		t.Fatal(err)
	}
	sum = load(t, db, ingest.Options{}, pq)
	if sum.Loaded != 1 {
		t.Fatalf("parquet: %+v", sum.Results)
	}
	checkSummary(t, db)

	// A CloudWatch export: a time before each line, no header.
	export := writeFile(t, t.TempDir(), "export.log", "2024-06-01T01:00:00.000Z 2 333333333333 eni-9 10.1.0.1 10.1.0.2 1 2 6 3 300 1717203590 1717203650 ACCEPT OK\n")
	load(t, db, ingest.Options{Format: "default"}, export)
	checkSummary(t, db)
}

// TestSummaryNetworksCollide: when two of a batch's networks (account, VPC, interface) share a
// number, the summary and the rollups group by the text instead, and no two networks are added
// up together. Here every interface of an account shares its account's number; grouped by it,
// the interfaces' traffic would merge. A batch of a format without the three fields (loaded on
// its own, so that no record of the batch has them) groups by none.
func TestSummaryNetworksCollide(t *testing.T) {
	ingest.SetNetworkKey(t, func(cols []string) string { return "hash(" + cols[0] + ")" })
	db := newDB(t)
	gen, _ := generate(t, flowgen.Config{Seed: 11, Files: 3, RowsPerFile: 300})
	dir := t.TempDir()
	writeFile(t, dir, "anonymous.log", `version srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 10.0.0.1 10.0.0.2 443 1025 6 10 1000 1717203590 1717203650 ACCEPT OK
2 10.0.0.1 10.0.0.2 443 1025 6 5 500 1717203500 1717203550 ACCEPT OK
`)
	if sum := load(t, db, ingest.Options{}, gen); sum.Loaded != 3 {
		t.Fatalf("%+v", sum.Results)
	}
	if n := queryInt(t, db, `SELECT count(DISTINCT interface_id) FROM flow_hourly`); n < 2 {
		t.Fatalf("the summary names %d interfaces; the test needs several to collide", n)
	}
	checkSummary(t, db)
	if sum := load(t, db, ingest.Options{}, dir); sum.Loaded != 1 {
		t.Fatalf("%+v", sum.Results)
	}
	checkSummary(t, db)
	if got := queryInt(t, db, `SELECT sum(bytes) FROM flow_hourly WHERE interface_id IS NULL AND account_id IS NULL`); got != 1500 {
		t.Errorf("bytes of the records without account or interface: %d", got)
	}
}

// TestSummaryInParts: a batch summed as several runs of consecutive files (one per DuckDB
// thread: summarySelect) gives the records' sums, across formats in one batch and records
// without a start.
func TestSummaryInParts(t *testing.T) {
	db := newDB(t)
	if _, err := db.Exec("SET threads = 3"); err != nil {
		t.Fatal(err)
	}
	gen, _ := generate(t, flowgen.Config{Seed: 7, Files: 5, RowsPerFile: 300})
	dir := t.TempDir()
	writeFile(t, dir, "nostart.log", `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 111111111111 eni-1 10.0.0.1 10.0.0.2 443 1025 6 10 1000 - - ACCEPT OK
2 111111111111 eni-1 10.0.0.1 10.0.0.2 443 1025 6 5 500 1717203500 1717203550 ACCEPT OK
`)
	writeFile(t, dir, "nostatus.log", `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action
2 111111111111 eni-2 10.0.0.3 10.0.0.2 443 1025 6 10 1000 1717203590 1717203650 ACCEPT
`)
	sum := load(t, db, ingest.Options{BatchFiles: 64}, gen, dir)
	if sum.Loaded != 7 {
		t.Fatalf("%+v", sum.Results)
	}
	checkSummary(t, db)
	if got := queryInt(t, db, `SELECT count(*) FROM flow_hourly WHERE start_hour IS NULL`); got != 1 {
		t.Errorf("groups without a start hour: %d", got)
	}
}
