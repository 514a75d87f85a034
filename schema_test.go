package flowsql_test

import (
	"compress/gzip"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/pkg/ingest"
)

func openTest(t *testing.T) *sql.DB {
	t.Helper()
	db, err := flowsql.Open(context.Background(), flowsql.Memory, flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestInvalidAddresses: text that is not an address gives NULL from the conversion macros,
// never an error.
func TestInvalidAddresses(t *testing.T) {
	db := openTest(t)
	bad := []string{"", "-", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d",
		"1:2:3:4:5:6:7:8:9", "1::2::3", "12345::1", "g::1", "1:2:3:4:5:6:7::8", ":::", "fe80::1%eth0", "eni-123"}
	for _, a := range bad {
		var v4 sql.NullInt64
		var v6 sql.NullString
		err := db.QueryRow(`SELECT ip4_int(?), CAST(ip6_int(?) AS VARCHAR)`, a, a).Scan(&v4, &v6)
		if err != nil {
			t.Fatalf("%q: %v", a, err)
		}
		if v4.Valid || v6.Valid {
			t.Errorf("%q: ip4_int=%v ip6_int=%v, want both NULL", a, v4, v6)
		}
	}
}

func TestOtherMacros(t *testing.T) {
	db := openTest(t)
	var p1, p2, f1, f2, f3 string
	var priv, pub, priv6, pub6, mapped bool
	err := db.QueryRow(`SELECT protocol_name(6), protocol_name(250), tcp_flags_text(19), tcp_flags_text(3), tcp_flags_text(22),
        is_private_ip('10.1.2.3'), is_private_ip('8.8.8.8'), is_private_ip('fd00::1'), is_private_ip('2600:9000::1'),
        is_private_ip('::ffff:192.168.1.1')`).Scan(&p1, &p2, &f1, &f2, &f3, &priv, &pub, &priv6, &pub6, &mapped)
	if err != nil {
		t.Fatal(err)
	}
	if p1 != "TCP" || p2 != "250" || f1 != "FIN,SYN-ACK" || f2 != "FIN,SYN" || f3 != "SYN-ACK,RST" {
		t.Errorf("protocol_name/tcp_flags_text: %s %s %s %s %s", p1, p2, f1, f2, f3)
	}
	if !priv || pub || !priv6 || pub6 || !mapped {
		t.Errorf("is_private_ip: %v %v %v %v %v", priv, pub, priv6, pub6, mapped)
	}
}

// TestMacrosPersist: the macros live in the file, so a second open (as the duckdb CLI would)
// finds them without flowsql installing anything.
func TestMacrosPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.duckdb")
	db, err := flowsql.Open(context.Background(), path, flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int64
	if err := raw.QueryRow(`SELECT ip4_int('10.0.0.1')`).Scan(&n); err != nil || n != 167772161 {
		t.Fatalf("macro in a plain DuckDB connection: %d, %v", n, err)
	}
}

// release1 copies testdata/release1.duckdb.gz, a database that flowsql's first release made
// (one sample file, a headerless-status file, AWS ranges and an ENI snapshot), to a temporary
// file and returns its path.
func release1(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "release1.duckdb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "release1.duckdb")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUpgradeRelease1: a file made by the first release opens, is upgraded in one go, keeps
// every row, and answers reports; opening it again applies nothing.
func TestUpgradeRelease1(t *testing.T) {
	ctx := context.Background()
	path := release1(t)
	for _, readOnly := range []bool{true, false} {
		db, err := flowsql.Open(ctx, path, flowsql.Options{MustExist: true, ReadOnly: readOnly})
		if err != nil {
			t.Fatal(err)
		}
		var flows, files, eni, ranges, steps, meta int64
		err = db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM flows), (SELECT count(*) FROM ingested_files),
            (SELECT count(*) FROM eni_latest), (SELECT count(*) FROM aws_ip_ranges), (SELECT count(*) FROM flowsql_schema),
            (SELECT count(*) FROM duckdb_tables() WHERE table_name = 'flowsql_meta')`).Scan(&flows, &files, &eni, &ranges, &steps, &meta)
		if err != nil {
			t.Fatal(err)
		}
		if flows != 1006 || files != 2 || eni != 26 || ranges != 37 || steps < 4 || meta != 0 {
			t.Errorf("after the upgrade: %d flows, %d files, %d interfaces, %d ranges, %d steps, flowsql_meta %d",
				flows, files, eni, ranges, steps, meta)
		}
		// The release-1 file's format without log-status reads as traffic now, and its AWS
		// segments list every service.
		var noStatus, unlisted int64
		if err := db.QueryRowContext(ctx, `SELECT (SELECT sum(bytes) FROM flow_records WHERE log_status = 'OK' AND dst_ip = addr_key('10.0.2.6')),
            (SELECT count(*) FROM aws_ip_segments WHERE services IS NULL)`).Scan(&noStatus, &unlisted); err != nil || noStatus != 12000 || unlisted != 0 {
			t.Errorf("records without log-status: %d bytes as OK; segments without services: %d (%v)", noStatus, unlisted, err)
		}
		var top string
		if err := db.QueryRowContext(ctx, `SELECT ip_text(dst_ip) FROM flow_records GROUP BY dst_ip ORDER BY sum(bytes) DESC LIMIT 1`).Scan(&top); err != nil || top != "10.0.101.10" {
			t.Errorf("top destination %q, %v", top, err)
		}
		// The hourly summary is made from the records loaded before, and the addresses that are
		// not IPv4 know whether they are private.
		var records, summarized, v6, unknown int64
		if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM flow_records), (SELECT sum(records) FROM flow_hourly),
            (SELECT count(*) FROM flowsql_addr_keys), (SELECT count(*) FROM flowsql_addr_keys WHERE private IS NULL)`).Scan(&records, &summarized, &v6, &unknown); err != nil ||
			records == 0 || summarized != records || v6 == 0 || unknown != 0 {
			t.Errorf("records %d, in flow_hourly %d; addresses not IPv4 %d, %d without private (%v)", records, summarized, v6, unknown, err)
		}
		// Its rows have the number of their account and VPC.
		var unscoped int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM flow_hourly WHERE scope IS DISTINCT FROM network_scope(account_id, vpc_id)`).Scan(&unscoped); err != nil || unscoped != 0 {
			t.Errorf("%d summary rows without their scope (%v)", unscoped, err)
		}
		// The destinations rollup holds the summary's totals.
		var rolled, totals int64
		if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM flow_by_destination),
            (SELECT count(*) FROM (SELECT * FROM flow_by_destination INTERSECT ALL `+ingest.DestinationTotals(ingest.SummaryTable)+`))`).Scan(&rolled, &totals); err != nil || rolled == 0 || rolled != totals {
			t.Errorf("flow_by_destination: %d rows, %d of them the summary's totals (%v)", rolled, totals, err)
		}
		// The rollup of rejected traffic holds every rejected record loaded before it.
		var rejected, rolledUp int64
		if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM flow_records WHERE `+ingest.RejectedCondition+`),
            (SELECT sum(records) FROM `+ingest.RejectedTable+`)`).Scan(&rejected, &rolledUp); err != nil || rejected == 0 || rolledUp != rejected {
			t.Errorf("%s holds %d rejected records of %d (%v)", ingest.RejectedTable, rolledUp, rejected, err)
		}
		// And that of traffic by port every OK record.
		var okRecords, byPort int64
		if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM flow_records WHERE `+ingest.PortsCondition+`),
            (SELECT sum(records) FROM `+ingest.PortsTable+`)`).Scan(&okRecords, &byPort); err != nil || okRecords == 0 || byPort != okRecords {
			t.Errorf("%s holds %d OK records of %d (%v)", ingest.PortsTable, byPort, okRecords, err)
		}
		// Each file's interfaces are noted (for finding flow logs that overlap), and the files
		// loaded before content hashes have none.
		var indexed, ok, hashed int64
		if err := db.QueryRowContext(ctx, `SELECT (SELECT sum(records) FROM file_interfaces),
            (SELECT count(*) FROM flow_records WHERE log_status = 'OK' AND interface_id IS NOT NULL),
            (SELECT count(content_sha256) FROM ingested_files)`).Scan(&indexed, &ok, &hashed); err != nil || indexed == 0 || indexed != ok || hashed != 0 {
			t.Errorf("file_interfaces holds %d records of %d; %d files hashed (%v)", indexed, ok, hashed, err)
		}
		// The file whose format has no log-status cannot count NODATA and SKIPDATA records:
		// unknown, where release 1 said 0; the other's counts stay.
		var unknown2, counted int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE nodata IS NULL AND skipdata IS NULL AND header NOT LIKE '%log-status%'),
            count(*) FILTER (WHERE nodata IS NOT NULL AND header LIKE '%log-status%') FROM ingested_files`).Scan(&unknown2, &counted); err != nil || unknown2 != 1 || counted != 1 {
			t.Errorf("files without log-status with unknown counts: %d; with it, counted: %d (%v)", unknown2, counted, err)
		}
		db.Close()
	}
}

// TestScopeFollowsHash: the summary's scope numbers come from DuckDB's hash(), which may change
// with its version: when network_scope's value for a fixed pair is not the one recorded, the
// next open works every row's number out anew, and an open after that changes nothing.
func TestScopeFollowsHash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	db, err := flowsql.Open(ctx, path, flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A summary row numbered by another hash, and the record of the step as that hash left it.
	for _, q := range []string{
		`INSERT INTO flow_hourly (account_id, vpc_id, dst_ip, log_status, bytes, records, scope) VALUES ('111122223333', 'vpc-1', 167772161, 'OK', 100, 1, 42), ('111122223333', NULL, 167772161, 'OK', 200, 1, 42)`,
		`INSERT INTO flow_by_destination VALUES (167772161, 42, 300, NULL)`,
		`UPDATE flowsql_schema SET checksum = '42' WHERE step = 'summary scope'`,
	} {
		if n := execRows(t, db, q); n == 0 {
			t.Fatalf("%s: no rows", q)
		}
	}
	db.Close()
	reopenTwice(t, path, "summary scope", func(db *sql.DB) {
		var stale, scopes int64
		if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM flow_hourly WHERE scope IS DISTINCT FROM network_scope(account_id, vpc_id)),
            (SELECT count(DISTINCT scope) FROM flow_hourly)`).Scan(&stale, &scopes); err != nil {
			t.Fatal(err)
		}
		if stale != 0 || scopes != 2 {
			t.Fatalf("after reopening: %d rows with another scope than their account and VPC's, %d scopes for 2 VPCs", stale, scopes)
		}
		// The destinations rollup is numbered anew with the summary.
		if rolled := queryText(t, db, `SELECT string_agg(bytes::VARCHAR || CASE WHEN scope IN (SELECT scope FROM flow_hourly) THEN '' ELSE ' (old scope)' END, ',' ORDER BY bytes)
            FROM flow_by_destination`); rolled != "100,200" {
			t.Fatalf("flow_by_destination's rows with the summary's scopes: %q", rolled)
		}
	})
}

// TestRecordSpansUpgrade: a database whose files' spans hold a time no record can have (loaded
// before the load left such times out of them: a start in milliseconds) has them worked out
// anew from the records whose times a record can have, at the next open.
func TestRecordSpansUpgrade(t *testing.T) {
	ctx := context.Background()
	db, path := loadedLog(t, logHeader+
		"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 500 1700000000 1700000060 ACCEPT OK\n"+
		"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 500 1700000000000 1700000060000 ACCEPT OK\n")
	span := func(db *sql.DB) string {
		return queryText(t, db, `SELECT first_start::VARCHAR || ' ' || last_end::VARCHAR FROM ingested_files`)
	}
	const want = "2023-11-14 22:13:20 2023-11-14 22:14:20"
	if got := span(db); got != want {
		t.Fatalf("span loaded: %s, want %s", got, want)
	}
	// As an earlier release left it.
	for _, q := range []string{
		`UPDATE ingested_files SET last_end = make_timestamp(1700000060000 * 1000000)`,
		`DELETE FROM flowsql_schema WHERE step = '0018_record_spans'`,
	} {
		if n := execRows(t, db, q); n != 1 {
			t.Fatalf("%s: %d rows", q, n)
		}
	}
	db.Close()
	db, err := flowsql.Open(ctx, path, flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := span(db); got != want {
		t.Errorf("span after the upgrade: %s, want %s", got, want)
	}
}

// TestRollupsFollowMacros: the rollup of traffic by port holds each record under its
// service_port; when the macro's definition is not the one the rollups were made with (a
// release that changes it; here, a definition by hand), the next open makes them anew, and an
// open after that changes nothing.
func TestRollupsFollowMacros(t *testing.T) {
	ctx := context.Background()
	db, path := loadedLog(t, logHeader+
		"2 111111111111 eni-1 10.0.0.1 10.0.0.2 50000 443 6 10 1000 1717203590 1717203650 ACCEPT OK\n"+
		"2 111111111111 eni-1 10.0.0.2 10.0.0.1 443 50000 6 10 9000 1717203590 1717203650 ACCEPT OK\n")
	ports := func(db *sql.DB) string {
		t.Helper()
		return queryText(t, db, `SELECT string_agg(port::VARCHAR || ':' || bytes::VARCHAR, ',' ORDER BY port, bytes) FROM `+ingest.PortsTable)
	}
	if got := ports(db); got != "443:10000" {
		t.Fatalf("ports after the load: %s", got)
	}
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE MACRO service_port(sport, dport, proto, flags, side) AS (dport)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	reopenTwice(t, path, "rollups", func(db *sql.DB) {
		if got := ports(db); got != "443:1000,50000:9000" {
			t.Fatalf("ports %s, want them by the macro as it is now", got)
		}
	})
}

// reopenTwice opens the database at path read-only twice, runs check on each, and makes sure
// the second open did not apply the schema step named step again.
func reopenTwice(t *testing.T, path, step string, check func(*sql.DB)) {
	t.Helper()
	var first string
	for i := range 2 {
		db, err := flowsql.Open(context.Background(), path, flowsql.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		check(db)
		applied := queryText(t, db, `SELECT applied_at::VARCHAR FROM flowsql_schema WHERE step = '`+step+`'`)
		if i == 0 {
			first = applied
		} else if applied != first {
			t.Errorf("the second open applied step %s again (%s, then %s)", step, first, applied)
		}
		db.Close()
	}
}

// queryText runs a query of one text value.
func queryText(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	var s string
	if err := db.QueryRowContext(context.Background(), q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

// execRows runs a statement and returns how many rows it changed.
func execRows(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	res, err := db.ExecContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	n, _ := res.RowsAffected()
	return n
}

// logHeader is the header of the flow logs these tests write: the default format's fields.
const logHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

// loadedLog writes a flow log of the text logs, loads it into a new database, and returns the
// database (open) and its path.
func loadedLog(t *testing.T, logs string) (*sql.DB, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.log"), []byte(logs), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "l.duckdb")
	db, err := flowsql.Open(ctx, path, flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := ingest.LocalFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	return db, path
}
