package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/pkg/ingest"
)

func newDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := flowsql.Open(context.Background(), filepath.Join(t.TempDir(), "test.duckdb"), flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func generate(t testing.TB, cfg flowgen.Config) (string, *flowgen.Generator) {
	t.Helper()
	dir := t.TempDir()
	g := flowgen.New(cfg)
	if _, _, err := g.WriteTree(dir); err != nil {
		t.Fatal(err)
	}
	return dir, g
}

func load(t testing.TB, db *sql.DB, opts ingest.Options, paths ...string) *ingest.Summary {
	t.Helper()
	files, err := ingest.LocalFiles(paths)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Load(context.Background(), db, files, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func queryInt(t testing.TB, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n.Int64
}

func queryString(t testing.TB, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	data := []byte(content)
	if strings.HasSuffix(name, ".gz") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadGenerated loads generated logs in each format and key layout and checks the rows
// against the generator's own records: counts, sums by interface and address, and every field
// of chosen records.
func TestLoadGenerated(t *testing.T) {
	cases := []struct {
		name   string
		fields []string
		layout flowgen.Layout
	}{
		{"default", flowgen.DefaultFields, flowgen.LayoutDefault},
		{"custom-hive", flowgen.CustomFields, flowgen.LayoutHive},
		{"shuffled-hourly", flowgen.ShuffledFields, flowgen.LayoutHourly},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := flowgen.Config{Seed: 7, Files: 6, RowsPerFile: 400, Fields: c.fields, Layout: c.layout}
			dir, g := generate(t, cfg)
			db := newDB(t)
			sum := load(t, db, ingest.Options{}, dir)
			if sum.Loaded != 6 || sum.Failed != 0 || sum.Rejected != 0 {
				t.Fatalf("summary %+v", sum)
			}
			var rows int64
			bytesByENI := map[string]int64{}
			bytesByDst := map[string]int64{}
			var nodata int64
			for i := range cfg.Files {
				for _, r := range g.File(i).Records {
					rows++
					if r.Status == "OK" {
						bytesByENI[r.ENI.ID] += r.Bytes
						bytesByDst[r.Dst] += r.Bytes
					}
					if r.Status == "NODATA" {
						nodata++
					}
				}
			}
			if got := queryInt(t, db, `SELECT count(*) FROM flows`); got != rows || sum.Rows != rows {
				t.Fatalf("flows has %d rows, summary %d, generator wrote %d", got, sum.Rows, rows)
			}
			if got := queryInt(t, db, `SELECT sum(nodata) FROM ingested_files`); got != nodata {
				t.Errorf("ingested_files counts %d NODATA records, generator wrote %d", got, nodata)
			}
			checkFileInterfaces(t, db)
			for eni, want := range bytesByENI {
				if got := queryInt(t, db, `SELECT sum(bytes) FROM flows WHERE interface_id = ?`, eni); got != want {
					t.Errorf("bytes of %s: %d, want %d", eni, got, want)
				}
			}
			// The integer forms group exactly as the text does.
			rs, err := db.Query(`SELECT ip_text(dst_ip), sum(bytes) FROM flows WHERE log_status = 'OK' GROUP BY dst_ip`)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rs.Next() {
				var dst string
				var b int64
				rs.Scan(&dst, &b)
				if bytesByDst[dst] != b {
					t.Errorf("bytes to %s: %d, want %d", dst, b, bytesByDst[dst])
				}
				n++
			}
			rs.Close()
			if n != len(bytesByDst) {
				t.Errorf("%d destinations, want %d", n, len(bytesByDst))
			}
			// Every field of the first NAT record of file 2, found by its time and ports.
			f := g.File(2)
			var rec flowgen.Record
			for _, r := range f.Records {
				if r.ENI.Type == "nat_gateway" && r.Status == "OK" {
					rec = r
					break
				}
			}
			path := filepath.Join(dir, filepath.FromSlash(f.Key))
			var got struct {
				version                 int
				account, eni, src, dst  string
				sport, dport, proto     int
				packets, bytes, s, e    int64
				action, status, srcDate string
				pktDst, az, srcAcct     sql.NullString
				srcIP                   int64
			}
			err = db.QueryRow(`SELECT version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol,
                    packets, bytes, start, "end", action, log_status, CAST(source_date AS VARCHAR),
                    pkt_dstaddr, az_id, source_account, src_ip
                FROM flows WHERE source_file = ? AND start = ? AND srcport = ? AND dstport = ? AND interface_id = ? AND srcaddr = ?`,
				path, rec.Start, rec.SrcPort, rec.DstPort, rec.ENI.ID, rec.Src).Scan(
				&got.version, &got.account, &got.eni, &got.src, &got.dst, &got.sport, &got.dport, &got.proto,
				&got.packets, &got.bytes, &got.s, &got.e, &got.action, &got.status, &got.srcDate,
				&got.pktDst, &got.az, &got.srcAcct, &got.srcIP)
			if err != nil {
				t.Fatal(err)
			}
			if got.version != g.Version() || got.account != flowgen.Account || got.eni != rec.ENI.ID || got.dst != rec.Dst ||
				got.proto != rec.Protocol || got.packets != rec.Packets || got.bytes != rec.Bytes || got.e != rec.End ||
				got.action != rec.Action || got.status != rec.Status {
				t.Errorf("record %+v\nloaded as %+v", rec, got)
			}
			if n := ip4(rec.Src); got.srcIP != n {
				t.Errorf("src_ip %d, want %d", got.srcIP, n)
			}
			if got.srcAcct.String != flowgen.Account || !strings.HasPrefix(got.srcDate, "2024-06-01") {
				t.Errorf("source_account %v source_date %v", got.srcAcct, got.srcDate)
			}
			hasPkt := strings.Contains(strings.Join(c.fields, " "), "pkt-dstaddr")
			if hasPkt != got.pktDst.Valid || (hasPkt && got.pktDst.String != rec.PktDst) {
				t.Errorf("pkt_dstaddr %v, want %q (in format: %v)", got.pktDst, rec.PktDst, hasPkt)
			}
		})
	}
}

// TestLoadIdempotent: a second load of the same files loads nothing; --force replaces rows.
func TestLoadIdempotent(t *testing.T) {
	dir, _ := generate(t, flowgen.Config{Seed: 3, Files: 4, RowsPerFile: 200})
	db := newDB(t)
	first := load(t, db, ingest.Options{}, dir)
	rows := queryInt(t, db, `SELECT count(*) FROM flows`)
	second := load(t, db, ingest.Options{}, dir)
	if second.Loaded != 0 || second.Skipped != 4 || second.Rows != 0 {
		t.Fatalf("second load: %+v", second)
	}
	if got := queryInt(t, db, `SELECT count(*) FROM flows`); got != rows || rows != first.Rows {
		t.Fatalf("rows after a second load: %d, want %d", got, rows)
	}
	forced := load(t, db, ingest.Options{Force: true}, dir)
	if forced.Loaded != 4 || !forced.Results[0].Reloaded {
		t.Fatalf("forced load: %+v", forced)
	}
	if got := queryInt(t, db, `SELECT count(*) FROM flows`); got != rows {
		t.Fatalf("rows after --force: %d, want %d", got, rows)
	}
	if got := queryInt(t, db, `SELECT count(*) FROM ingested_files`); got != 4 {
		t.Fatalf("ingested_files has %d rows after --force, want 4", got)
	}
	// A file that changed since it was loaded is left alone, and said so.
	f := filepath.Join(dir, filepath.FromSlash(flowgen.New(flowgen.Config{Seed: 3}).Key(0)))
	data, _ := os.ReadFile(f)
	os.WriteFile(f, append(data, 0), 0o644)
	changed := load(t, db, ingest.Options{}, dir)
	if changed.Skipped != 4 || !strings.Contains(changed.Results[0].Note+changed.Results[1].Note+changed.Results[2].Note+changed.Results[3].Note, "changed since") {
		t.Fatalf("changed file: %+v", changed.Results)
	}
}

// TestLoadPhases: a load says where its time went, phase by phase, each phase once, in the
// order they first ran, adding up to no more than the load took; a forced reload's batch runs
// the same phases plus the replacement of the old rows.
func TestLoadPhases(t *testing.T) {
	dir, _ := generate(t, flowgen.Config{Seed: 5, Files: 3, RowsPerFile: 300})
	db := newDB(t)
	phases := func(sum *ingest.Summary) []string {
		t.Helper()
		var names []string
		var total time.Duration
		for _, p := range sum.Phases {
			if slices.Contains(names, p.Phase) {
				t.Errorf("phase %q listed twice: %+v", p.Phase, sum.Phases)
			}
			if p.Time < 0 {
				t.Errorf("phase %q took %v", p.Phase, p.Time)
			}
			names = append(names, p.Phase)
			total += p.Time
		}
		if total > sum.Duration {
			t.Errorf("the phases add up to %v, more than the load's %v", total, sum.Duration)
		}
		return names
	}
	want := []string{"plan", "fetch and prepare", "replace", "read files", "count", "summary",
		"rollup " + ingest.RejectedTable, "rollup " + ingest.PortsTable, "load errors", "manifest", "address keys", "commit", "overlaps", "destinations"}
	if got := phases(load(t, db, ingest.Options{BatchFiles: 2}, dir)); !slices.Equal(got, want) {
		t.Errorf("phases of a load:\n got %q\nwant %q", got, want)
	}
	if got := phases(load(t, db, ingest.Options{Force: true}, dir)); !slices.Equal(got, want) {
		t.Errorf("phases of a forced reload:\n got %q\nwant %q", got, want)
	}
	// Nothing to load: only the plan, the end's checks, and no batch.
	if got := phases(load(t, db, ingest.Options{}, dir)); !slices.Equal(got, []string{"plan", "overlaps", "destinations"}) {
		t.Errorf("phases of a load of nothing: %q", got)
	}
}

// TestCopiesSkipped: a file whose bytes are already loaded under another name (a copy of the
// logs, fetched files beside their S3 originals) is skipped and said so, in a later load and
// within one load, so that no record counts twice; a forced reload of the same file is no copy.
func TestCopiesSkipped(t *testing.T) {
	dir, _ := generate(t, flowgen.Config{Seed: 4, Files: 3, RowsPerFile: 100})
	db := newDB(t)
	first := load(t, db, ingest.Options{}, dir)
	rows := queryInt(t, db, `SELECT count(*) FROM flows`)
	total := queryInt(t, db, `SELECT sum(bytes) FROM flows`)
	if first.Loaded != 3 || rows == 0 {
		t.Fatalf("first load: %+v", first)
	}
	// The same files under other names, and one file twice in one load.
	copyDir := t.TempDir()
	var copies []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			c := filepath.Join(copyDir, fmt.Sprintf("copy-%d-%s", len(copies), d.Name()))
			os.WriteFile(c, data, 0o644)
			copies = append(copies, c)
		}
		return nil
	})
	if len(copies) != 3 {
		t.Fatalf("copied %d files, want 3", len(copies))
	}
	again := load(t, db, ingest.Options{}, copyDir)
	if again.Loaded != 0 || again.Copies != 3 || again.Skipped != 3 || again.Rows != 0 {
		t.Fatalf("load of copies: %+v", again)
	}
	if !strings.Contains(again.Results[0].Note, "the same content as "+dir) || !strings.HasPrefix(again.Results[0].CopyOf, dir) {
		t.Fatalf("note: %q", again.Results[0].Note)
	}
	if got := queryInt(t, db, `SELECT sum(bytes) FROM flows`); got != total {
		t.Fatalf("bytes after loading copies: %d, want %d", got, total)
	}
	if got := queryInt(t, db, `SELECT sum(records) FROM flow_hourly`); got != rows {
		t.Fatalf("summary after loading copies: %d records, want %d", got, rows)
	}

	fresh, _ := generate(t, flowgen.Config{Seed: 5, Files: 1, RowsPerFile: 50})
	twin := t.TempDir()
	var orig string
	filepath.WalkDir(fresh, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			orig = p
		}
		return nil
	})
	data, _ := os.ReadFile(orig)
	os.WriteFile(filepath.Join(twin, "twin.log.gz"), data, 0o644)
	both := load(t, db, ingest.Options{}, fresh, twin)
	if both.Loaded != 1 || both.Copies != 1 || both.Rows < 50 {
		t.Fatalf("a file and its copy in one load: %+v", both)
	}
	if got := queryInt(t, db, `SELECT count(*) FROM flows`); got != rows+both.Rows {
		t.Fatalf("rows: %d, want %d", got, rows+both.Rows)
	}
	forced := load(t, db, ingest.Options{Force: true}, dir)
	if forced.Loaded != 3 || forced.Copies != 0 {
		t.Fatalf("forced reload: %+v", forced)
	}
	if got := queryInt(t, db, `SELECT count(*) FROM flows`); got != rows+both.Rows {
		t.Fatalf("rows after a forced reload: %d, want %d", got, rows+both.Rows)
	}
}

// checkFileInterfaces: what the loads added to file_interfaces is what indexing every file
// anew gives (the migration's way).
func checkFileInterfaces(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`CREATE TEMP TABLE loaded_interfaces AS SELECT * FROM file_interfaces`); err != nil {
		t.Fatal(err)
	}
	if err := ingest.IndexAllFiles(ctx, tx); err != nil {
		t.Fatal(err)
	}
	var n, differ int64
	if err := tx.QueryRow(`SELECT (SELECT count(*) FROM loaded_interfaces), (SELECT count(*) FROM (
        (SELECT * FROM loaded_interfaces EXCEPT ALL SELECT * FROM file_interfaces)
        UNION ALL (SELECT * FROM file_interfaces EXCEPT ALL SELECT * FROM loaded_interfaces)))`).Scan(&n, &differ); err != nil {
		t.Fatal(err)
	}
	if n == 0 || differ != 0 {
		t.Errorf("file_interfaces: %d rows, %d of them not as indexing the files anew gives", n, differ)
	}
}

// gunzipTo writes the text of the gzip file at path to out, compressed again at level when
// level is not gzip.NoCompression.
func gunzipTo(t *testing.T, path, out string, level int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if _, err := text.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	if level != gzip.NoCompression {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, level)
		zw.Write(text.Bytes())
		zw.Close()
		if bytes.Equal(z.Bytes(), data) {
			t.Fatalf("%s compressed again at level %d is the same bytes", path, level)
		}
		text = z
	}
	if err := os.WriteFile(out, text.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTextCopiesSkipped: a flow-log file gunzipped beside the original, or compressed again,
// holds the same records in other bytes; loaded with it, or after it, it is skipped as a
// copy, whichever comes first, and nothing counts twice. So with Resolver query logs.
func TestTextCopiesSkipped(t *testing.T) {
	dir, _ := generate(t, flowgen.Config{Seed: 6, Files: 2, RowsPerFile: 200})
	var gz []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			gz = append(gz, p)
		}
		return nil
	})
	slices.Sort(gz)
	if len(gz) != 2 {
		t.Fatalf("generated %d files, want 2", len(gz))
	}
	db := newDB(t)
	first := load(t, db, ingest.Options{}, gz[0])
	rows := queryInt(t, db, `SELECT count(*) FROM flows`)
	if first.Loaded != 1 || rows == 0 {
		t.Fatalf("first load: %+v", first)
	}

	// After the original: its text, and its text compressed again.
	later := t.TempDir()
	gunzipTo(t, gz[0], filepath.Join(later, "a.log"), gzip.NoCompression)
	gunzipTo(t, gz[0], filepath.Join(later, "b.log.gz"), gzip.BestCompression)
	again := load(t, db, ingest.Options{}, later)
	if again.Loaded != 0 || again.Copies != 2 || again.Rows != 0 {
		t.Fatalf("load of the text of a loaded file: %+v", again)
	}
	for _, r := range again.Results {
		if r.CopyOf != gz[0] || !strings.Contains(r.Note, "the same lines as "+gz[0]) {
			t.Errorf("%s: copy of %q, note %q", r.File.URI, r.CopyOf, r.Note)
		}
	}

	// In one load: the text first (by name), then the original, then another file.
	together := t.TempDir()
	gunzipTo(t, gz[1], filepath.Join(together, "1.log"), gzip.NoCompression)
	data, _ := os.ReadFile(gz[1])
	os.WriteFile(filepath.Join(together, "2.log.gz"), data, 0o644)
	gunzipTo(t, gz[1], filepath.Join(together, "3.log.gz"), gzip.BestSpeed)
	other, _ := generate(t, flowgen.Config{Seed: 7, Files: 1, RowsPerFile: 100})
	both := load(t, db, ingest.Options{}, together, other)
	if both.Loaded != 2 || both.Copies != 2 {
		t.Fatalf("a file and its copies in one load: %+v", both)
	}
	if both.Results[0].Status != ingest.Loaded || both.Results[1].CopyOf != both.Results[0].File.URI || both.Results[2].CopyOf != both.Results[0].File.URI {
		t.Fatalf("which loaded: %+v", both.Results)
	}
	if got := queryInt(t, db, `SELECT count(*) FROM flows`); got != rows+both.Rows || both.Rows <= 100 {
		t.Fatalf("rows: %d, want %d + %d", got, rows, both.Rows)
	}
	checkSummary(t, db)
	if got := queryInt(t, db, `SELECT count(*) FROM ingested_files WHERE text_hash IS NULL`); got != 0 {
		t.Fatalf("%d files without a text hash", got)
	}

	// A Route 53 Resolver query log and its text.
	dns, _ := filepath.Glob("../../testdata/sample/AWSLogs/*/vpcdnsquerylogs/*/*/*/*/*.log.gz")
	if len(dns) == 0 {
		t.Fatal("no Resolver query log in testdata/sample")
	}
	resolver := t.TempDir()
	gunzipTo(t, dns[0], filepath.Join(resolver, "dns.log"), gzip.NoCompression)
	data, _ = os.ReadFile(dns[0])
	os.WriteFile(filepath.Join(resolver, "dns.log.gz"), data, 0o644)
	queries := load(t, db, ingest.Options{}, resolver)
	if queries.Loaded != 1 || queries.Copies != 1 || queries.Rows == 0 {
		t.Fatalf("a Resolver log and its text: %+v", queries)
	}
	if got := queryInt(t, db, `SELECT count(*) FROM dns_queries`); got != queries.Rows {
		t.Fatalf("dns_queries: %d rows, want %d", got, queries.Rows)
	}
}

// TestFlowLogOverlaps: an interface that two flow logs record in the same minute, with the
// same action, is listed in flow_log_overlaps (its traffic counts once per flow log); flow logs
// of accepted and of rejected traffic only, or of different minutes, do not overlap; nor do two
// files of one flow log.
func TestFlowLogOverlaps(t *testing.T) {
	dir := t.TempDir()
	name := func(flowLog, hash string) string {
		return "123456789012_vpcflowlogs_us-east-1_" + flowLog + "_20240601T0005Z_" + hash + ".log"
	}
	const m = 1717200000 // 2024-06-01 00:00:00
	rec := func(eni string, at int64, action string) string {
		return fmt.Sprintf("2 123456789012 %s 10.0.1.5 52.216.1.1 40000 443 6 10 1000 %d %d %s OK\n", eni, at, at+50, action)
	}
	writeFile(t, dir, name("fl-0aaa", "1"), header14+rec("eni-1", m, "ACCEPT")+rec("eni-2", m, "ACCEPT")+rec("eni-3", m, "ACCEPT"))
	writeFile(t, dir, name("fl-0aaa", "2"), header14+rec("eni-1", m+5, "ACCEPT")+rec("eni-3", m+5, "ACCEPT"))
	writeFile(t, dir, name("fl-0bbb", "3"), header14+rec("eni-1", m+10, "ACCEPT")+rec("eni-3", m+1800, "ACCEPT"))
	writeFile(t, dir, name("fl-0ccc", "4"), header14+rec("eni-2", m, "REJECT"))
	db := newDB(t)
	sum := load(t, db, ingest.Options{}, dir)
	if sum.Loaded != 4 || sum.Overlapping != 1 {
		t.Fatalf("load: %d files, %d interfaces overlapping, want 4 and 1", sum.Loaded, sum.Overlapping)
	}
	got := queryString(t, db, `SELECT interface_id || ' ' || array_to_string(flow_logs, ',') || ' ' || records || ' ' || first_start || '-' || last_end FROM flow_log_overlaps`)
	if want := fmt.Sprintf("eni-1 fl-0aaa,fl-0bbb 3 %d-%d", m, m+60); got != want {
		t.Fatalf("flow_log_overlaps: %q, want %q", got, want)
	}
	// Leaving the second flow log out (as a user would, by loading anew without it) leaves none.
	db2 := newDB(t)
	os.Remove(filepath.Join(dir, name("fl-0bbb", "3")))
	if sum := load(t, db2, ingest.Options{}, dir); sum.Overlapping != 0 {
		t.Fatalf("without fl-0bbb: %d interfaces overlapping", sum.Overlapping)
	}
}

const header14 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

// TestBadFiles: files that cannot be read are reported by name with the reason, leave nothing
// behind, and do not stop the other files.
func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.log", header14+"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 400 1700000000 1700000060 ACCEPT OK\n")
	var full bytes.Buffer
	zw := gzip.NewWriter(&full)
	fmt.Fprint(zw, header14)
	for i := range 2000 {
		fmt.Fprintf(zw, "2 123456789012 eni-1 10.0.0.%d 10.0.0.2 %d 443 6 3 400 1700000000 1700000060 ACCEPT OK\n", i%250, i)
	}
	zw.Close()
	data := full.Bytes()
	os.WriteFile(filepath.Join(dir, "truncated.log.gz"), data[:len(data)*2/3], 0o644)
	corrupt := bytes.Clone(data)
	for i := len(corrupt) / 2; i < len(corrupt)/2+64; i++ {
		corrupt[i] ^= 0x5a // damage the compressed data itself
	}
	os.WriteFile(filepath.Join(dir, "corrupt.log.gz"), corrupt, 0o644)
	os.WriteFile(filepath.Join(dir, "empty.log"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "binary.log"), []byte("\x00\x01\x02garbage\x03"), 0o644)
	writeFile(t, dir, "headerless.log", "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 400 1700000000 1700000060 ACCEPT OK\n")
	writeFile(t, dir, "phony.log", "Phony unsupported log format.\n")
	os.WriteFile(filepath.Join(dir, "fake.parquet"), []byte("PAR1 this is not parquet PAR1"), 0o644)

	db := newDB(t)
	sum := load(t, db, ingest.Options{}, dir)
	want := map[string]string{
		"truncated.log.gz": "truncated gzip",
		"corrupt.log.gz":   "corrupt gzip",
		"empty.log":        "empty file",
		"binary.log":       "not a flow-log file",
		"headerless.log":   "--log-format default",
		"phony.log":        "no header line",
		"fake.parquet":     "DuckDB could not read it",
	}
	for _, r := range sum.Results {
		name := filepath.Base(r.File.URI)
		if name == "good.log" {
			if r.Status != ingest.Loaded || r.Rows != 1 {
				t.Errorf("good.log: %+v", r)
			}
			continue
		}
		if r.Status != ingest.Failed || !strings.Contains(r.Note, want[name]) {
			t.Errorf("%s: %s %q, want failed with %q", name, r.Status, r.Note, want[name])
		}
	}
	if sum.Failed != len(want) || sum.Loaded != 1 {
		t.Fatalf("loaded %d, failed %d", sum.Loaded, sum.Failed)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM flows`); n != 1 {
		t.Fatalf("flows has %d rows, want only good.log's 1", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM load_errors WHERE line IS NULL`); n != int64(len(want)) {
		t.Errorf("load_errors has %d file-level rows, want %d", n, len(want))
	}
	if n := queryInt(t, db, `SELECT count(*) FROM ingested_files WHERE uri = ?`, good); n != 1 {
		t.Errorf("good.log is in ingested_files %d times", n)
	}
	// A second run tries the failed files again, without duplicating their errors.
	sum = load(t, db, ingest.Options{}, dir)
	if sum.Failed != len(want) || sum.Skipped != 1 {
		t.Fatalf("second run: loaded %d, skipped %d, failed %d", sum.Loaded, sum.Skipped, sum.Failed)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM load_errors WHERE line IS NULL`); n != int64(len(want)) {
		t.Errorf("after a second run, load_errors has %d file-level rows, want %d", n, len(want))
	}
	// A failed file, mended, loads on the next run, and its failure goes from load_errors.
	fixed := writeFile(t, dir, "headerless.log", header14+"2 123456789012 eni-1 10.0.0.3 10.0.0.2 1 2 6 3 400 1700000000 1700000060 ACCEPT OK\n")
	if sum = load(t, db, ingest.Options{}, dir); sum.Loaded != 1 || sum.Failed != len(want)-1 {
		t.Fatalf("third run: loaded %d, failed %d", sum.Loaded, sum.Failed)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM load_errors WHERE uri = ?`, fixed); n != 0 {
		t.Errorf("the mended file, loaded, still has %d rows in load_errors", n)
	}
}

// TestVerifyGzip: every gzip file is read whole on its way in, so one whose data is whole but
// whose CRC is wrong fails, and nothing of it stays.
func TestVerifyGzip(t *testing.T) {
	dir, g := generate(t, flowgen.Config{Seed: 4, Files: 2, RowsPerFile: 500})
	p := filepath.Join(dir, filepath.FromSlash(g.Key(1)))
	data, _ := os.ReadFile(p)
	data[len(data)-6] ^= 0xff
	os.WriteFile(p, data, 0o644)
	db := newDB(t)
	sum := load(t, db, ingest.Options{}, dir)
	if sum.Loaded != 1 || sum.Failed != 1 || !strings.Contains(sum.Results[1].Note, "invalid checksum") {
		t.Fatalf("%+v", sum.Results)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM flows`); n != sum.Results[0].Rows {
		t.Errorf("%d rows in flows, the good file has %d", n, sum.Results[0].Rows)
	}
}

// TestBadLines: lines the fast parser rejects get a tolerant second parse; those that still do
// not read are counted and kept in load_errors with file, line, raw text and reason.
func TestBadLines(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 400 1700000000 1700000060 ACCEPT OK",    // 2: good
		"2 123456789012 eni-1 10.0.0.1  10.0.0.3 1 2 6 3 500 1700000000 1700000060 ACCEPT OK",   // 3: double space
		"2 123456789012 eni-1 10.0.0.1 10.0.0.4 1 2 6 x 600 1700000000 1700000060 ACCEPT OK",    // 4: packets not a number
		"2 123456789012 eni-1 10.0.0.1 10.0.0.5 1 2 6 3 700 1700000000 1700000060 ACCEPT",       // 5: a field short
		"2 123456789012 eni-1 10.0.0.1 10.0.0.6 1 2 6 3 800 1700000000 1700000060 MAYBE OK",     // 6: unknown action
		"2 123456789012 eni-1 10.0.0.1 10.0.0.7 1 2 6 3 900 1700000000 1700000060 ACCEPT OK\t ", // 7: trailing whitespace
		"2\t123456789012 eni-1 10.0.0.1 10.0.0.8 1 2 6 3 1000 1700000000 1700000060 REJECT OK",  // 8: a tab
		"2 012345678901 eni-1 10.0.0.1 10.0.0.9 1 2 6 3 1100 1700000000 1700000060 ACCEPT OK",   // 9: good, account with a leading zero
	}
	p := writeFile(t, dir, "lines.log.gz", header14+strings.Join(lines, "\n")+"\n")
	db := newDB(t)
	sum := load(t, db, ingest.Options{}, p)
	r := sum.Results[0]
	if r.Status != ingest.Loaded || r.Rows != 5 || r.Rejected != 3 || r.Recovered != 3 {
		t.Fatalf("result %+v, want 5 rows, 3 rejected, 3 recovered (lines 3, 7 and 8)", r)
	}
	got := queryString(t, db, `SELECT string_agg(dstaddr, ' ' ORDER BY dstaddr) FROM flows`)
	if got != "10.0.0.2 10.0.0.3 10.0.0.7 10.0.0.8 10.0.0.9" {
		t.Errorf("loaded destinations %q", got)
	}
	if acct := queryString(t, db, `SELECT account_id FROM flows WHERE dstaddr = '10.0.0.9'`); acct != "012345678901" {
		t.Errorf("account_id %q lost its leading zero", acct)
	}
	rows, err := db.Query(`SELECT uri, line, raw, reason FROM load_errors ORDER BY line`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	wantErr := []struct {
		line   int64
		reason string
	}{{4, `packets: "x" is not a whole number`}, {5, "expected 14 fields, found 13"}, {6, `action: "MAYBE" is not ACCEPT, REJECT or -`}}
	i := 0
	for rows.Next() {
		var uri, raw, reason string
		var line int64
		rows.Scan(&uri, &line, &raw, &reason)
		if i >= len(wantErr) {
			t.Errorf("unexpected error row: line %d %q", line, reason)
			continue
		}
		w := wantErr[i]
		if uri != p || line != w.line || raw != lines[w.line-2] || !strings.Contains(reason, w.reason) {
			t.Errorf("load_errors row %d: %s:%d %q %q; want line %d, raw %q, reason containing %q", i, uri, line, raw, reason, w.line, lines[w.line-2], w.reason)
		}
		i++
	}
	if i != len(wantErr) {
		t.Errorf("%d load_errors rows, want %d", i, len(wantErr))
	}
	if n := queryInt(t, db, `SELECT rows_rejected * 100 + rows_recovered FROM ingested_files`); n != 303 {
		t.Errorf("ingested_files rows_rejected*100+rows_recovered = %d, want 303", n)
	}
}

// TestNoReadableLine: a file none of whose lines parses fails as a whole.
func TestNoReadableLine(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "phony.log", "Phony unsupported log format.\n")
	db := newDB(t)
	sum := load(t, db, ingest.Options{Format: "default"}, p)
	if sum.Failed != 1 || !strings.Contains(sum.Results[0].Note, "no line of it reads") {
		t.Fatalf("%+v", sum.Results[0])
	}
	// Its lines are in load_errors too, with why they did not read.
	if got := queryString(t, db, `SELECT reason FROM load_errors WHERE line = 1`); got != "expected 14 fields, found 4" {
		t.Errorf("line error: %q", got)
	}
	load(t, db, ingest.Options{Format: "default"}, p)
	if n := queryInt(t, db, `SELECT count(*) FROM load_errors`); n != 2 {
		t.Errorf("after a second attempt load_errors has %d rows, want 2", n)
	}
}

// TestHeaderless: CloudWatch Logs exports have no header, and start each line with a time.
func TestHeaderless(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a/export.gz", "2024-06-01T00:00:05.000Z 2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 400 1700000000 1700000060 ACCEPT OK\n"+
		"2024-06-01T00:00:06.000Z 2 123456789012 eni-1 10.0.0.1 10.0.0.3 1 2 6 3 500 1700000000 1700000060 ACCEPT OK\n")
	writeFile(t, dir, "b/plain.log", "eni-9 10.1.1.1 10.1.1.2 99\n")
	db := newDB(t)
	sum := load(t, db, ingest.Options{Format: "default"}, filepath.Join(dir, "a"))
	if sum.Loaded != 1 || sum.Rows != 2 {
		t.Fatalf("%+v", sum.Results)
	}
	if n := queryInt(t, db, `SELECT sum(bytes) FROM flows`); n != 900 {
		t.Errorf("sum(bytes) = %d", n)
	}
	sum = load(t, db, ingest.Options{Format: "${interface-id} ${srcaddr} ${dstaddr} ${bytes}"}, filepath.Join(dir, "b"))
	if sum.Loaded != 1 || queryInt(t, db, `SELECT bytes FROM flows WHERE interface_id = 'eni-9'`) != 99 {
		t.Fatalf("custom headerless: %+v", sum.Results)
	}
}

// TestUnknownFields: fields flowsql does not know load as text columns.
func TestUnknownFields(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "new.log", "version srcaddr dstaddr bytes resource-id encryption-status\n5 10.0.0.1 10.0.0.2 77 vpc-123 1\n")
	db := newDB(t)
	load(t, db, ingest.Options{}, p)
	if got := queryString(t, db, `SELECT resource_id || '/' || encryption_status FROM flows`); got != "vpc-123/1" {
		t.Fatalf("unknown fields: %q", got)
	}
}

// TestTransitGateway: Transit Gateway logs go to tgw_flows.
func TestTransitGateway(t *testing.T) {
	dir := t.TempDir()
	line := "6 TransitGateway 123456789012 tgw-1 tgw-attach-1 - - vpc-1 vpc-2 subnet-1 subnet-2 eni-1 eni-2 use1-az1 use1-az2 tgw-attach-2 10.0.0.1 10.1.0.1 1234 443 6 10 1000 1700000000 1700000060 OK IPv4 0 0 0 0 2 us-east-1 ingress - -"
	p := writeFile(t, dir, "tgw.log", ingest.Presets["tgw"]+"\n"+line+"\n")
	db := newDB(t)
	sum := load(t, db, ingest.Options{}, p)
	if sum.Results[0].Table != "tgw_flows" {
		t.Fatalf("%+v", sum.Results[0])
	}
	if got := queryString(t, db, `SELECT tgw_attachment_id || ' ' || ip_text(dst_ip) || ' ' || packets_lost_no_route FROM tgw_flows`); got != "tgw-attach-1 10.1.0.1 0" {
		t.Errorf("tgw row: %q", got)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM flows`); n != 0 {
		t.Errorf("flows has %d rows", n)
	}
}

// TestJSON: CloudWatch Logs subscription envelopes, {"message": ...} lines and records.
func TestJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "env/cw.json.gz", `{"messageType":"CONTROL_MESSAGE","logEvents":[{"message":"CWL CONTROL MESSAGE"}]}`+
		`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 400 1700000000 1700000060 ACCEPT OK"},`+
		`{"message":"2 123456789012 eni-1 10.0.0.1 10.0.0.3 1 2 6 3 500 1700000000 1700000060 ACCEPT OK"}]}`)
	writeFile(t, dir, "msg/m.json", `{"message":"2 123456789012 eni-2 - - - - - - - 1700000000 1700000060 - NODATA"}`+"\n")
	writeFile(t, dir, "rec/r.json", `{"version":5,"account_id":"012345678901","interface_id":"eni-3","srcaddr":"1.2.3.4","dstaddr":"5.6.7.8","srcport":25238.0,"bytes":412.0,"start":1726491185,"end":1726491211,"action":"ACCEPT","log_status":"OK","traffic_path":null}`+"\n")
	db := newDB(t)
	sum := load(t, db, ingest.Options{Format: "default"}, filepath.Join(dir, "env"), filepath.Join(dir, "msg"), filepath.Join(dir, "rec"))
	if sum.Loaded != 3 || sum.Failed != 0 {
		t.Fatalf("%+v", sum.Results)
	}
	if got := queryInt(t, db, `SELECT sum(bytes) FROM flows WHERE interface_id = 'eni-1'`); got != 900 {
		t.Errorf("envelope bytes %d", got)
	}
	if got := queryString(t, db, `SELECT log_status FROM flows WHERE interface_id = 'eni-2'`); got != "NODATA" {
		t.Errorf("message line: %q", got)
	}
	if got := queryString(t, db, `SELECT account_id || ' ' || srcport || ' ' || bytes FROM flows WHERE interface_id = 'eni-3'`); got != "012345678901 25238 412" {
		t.Errorf("record: %q", got)
	}
}

// TestParquet: Parquet delivery files load into the same table as text, with NULL or "-" for
// missing values, and give the same rows as the text they were made from.
func TestParquet(t *testing.T) {
	dir, _ := generate(t, flowgen.Config{Seed: 11, Files: 2, RowsPerFile: 300})
	text := newDB(t)
	load(t, text, ingest.Options{}, dir)
	pq := filepath.Join(t.TempDir(), "AWSLogs", "x.log.parquet")
	os.MkdirAll(filepath.Dir(pq), 0o755)
	// As AWS writes them: underscore names, int32/int64 numbers, NULL for missing numbers and
	// "-" for missing strings in half the rows.
	_, err := text.Exec(fmt.Sprintf(`COPY (SELECT version, account_id, interface_id,
            CASE WHEN file_id %% 2 = 0 THEN coalesce(srcaddr, '-') ELSE srcaddr END AS srcaddr, dstaddr,
            srcport, dstport, protocol, packets, bytes, start, "end", CAST(action AS VARCHAR) AS action,
            CAST(log_status AS VARCHAR) AS log_status, pkt_srcaddr, pkt_dstaddr, pkt_dst_aws_service
        FROM flows) TO '%s' (FORMAT parquet)`, pq))
	if err != nil {
		t.Fatal(err)
	}
	db := newDB(t)
	sum := load(t, db, ingest.Options{}, pq)
	if sum.Loaded != 1 {
		t.Fatalf("%+v", sum.Results)
	}
	q := `SELECT count(*), sum(bytes), count(srcaddr), sum(src_ip) FILTER (WHERE src_ip >= 0), count(DISTINCT srcaddr), sum(start) FROM flows`
	var a, b [6]sql.NullInt64
	text.QueryRow(q).Scan(&a[0], &a[1], &a[2], &a[3], &a[4], &a[5])
	db.QueryRow(q).Scan(&b[0], &b[1], &b[2], &b[3], &b[4], &b[5])
	if a != b {
		t.Errorf("text %v, parquet %v", a, b)
	}
}

// TestCancel: a load cancelled part-way leaves whole files or nothing, and loading again
// completes the job with no duplicates.
func TestCancel(t *testing.T) {
	dir, _ := generate(t, flowgen.Config{Seed: 5, Files: 24, RowsPerFile: 3000})
	files, _ := ingest.LocalFiles([]string{dir})
	db := newDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	var once bool
	opts := ingest.Options{BatchFiles: 4, Progress: func(p ingest.Progress) {
		if p.FilesDone >= 8 && !once {
			once = true
			cancel()
		}
	}}
	sum, err := ingest.Load(ctx, db, files, opts)
	if err == nil {
		t.Fatal("a cancelled load returned no error")
	}
	if sum.Loaded < 8 || sum.Loaded >= 24 {
		t.Fatalf("%d files loaded before the cancel took effect", sum.Loaded)
	}
	check := func() {
		n := queryInt(t, db, `SELECT count(*) FROM flows`)
		m := queryInt(t, db, `SELECT coalesce(sum(rows_loaded), 0) FROM ingested_files`)
		orphans := queryInt(t, db, `SELECT count(*) FROM flows WHERE file_id NOT IN (SELECT file_id FROM ingested_files)`)
		if n != m || orphans != 0 {
			t.Fatalf("flows has %d rows, ingested_files accounts for %d, %d rows of no loaded file", n, m, orphans)
		}
	}
	check()
	// The batches that committed emptied the destinations rollup, and the load stopped before
	// it could fill it: reports add up the summary until the next load does.
	if n := queryInt(t, db, `SELECT count(*) FROM flow_by_destination`); n != 0 {
		t.Fatalf("flow_by_destination holds %d rows after a load stopped part-way", n)
	}
	rest := load(t, db, ingest.Options{}, dir)
	if rest.Loaded+sum.Loaded != 24 || rest.Skipped != sum.Loaded {
		t.Fatalf("second run loaded %d, skipped %d; first loaded %d", rest.Loaded, rest.Skipped, sum.Loaded)
	}
	check()
	checkSummary(t, db)
	clean := newDB(t)
	load(t, clean, ingest.Options{}, dir)
	if a, b := queryInt(t, db, `SELECT count(*) FROM flows`), queryInt(t, clean, `SELECT count(*) FROM flows`); a != b {
		t.Fatalf("interrupted then resumed: %d rows; loaded in one go: %d", a, b)
	}
}

// ip4 is an IPv4 address as the integer that is its key.
func ip4(s string) int64 {
	b := netip.MustParseAddr(s).As4()
	return int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
}

// record is a default-format line whose bytes field is n, so that each line's row can be told.
func record(n int) string {
	return fmt.Sprintf("2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 %d 1700000000 1700000060 ACCEPT OK", n)
}

// gzipMember is text as one gzip member; members joined (cat a.gz b.gz) are one gzip file.
func gzipMember(text string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(text))
	zw.Close()
	return b.Bytes()
}

// TestJoinedFiles: files joined into one (cat a.log.gz b.log.gz > all.log.gz) hold a header
// where the second begins. Of one format, its records all load and the header is no record;
// of another format with the same number of fields (ports in the other order), the file fails,
// naming the line, where its lines after it loaded into the wrong columns.
func TestJoinedFiles(t *testing.T) {
	dir := t.TempDir()
	same := filepath.Join(dir, "same.log.gz")
	os.WriteFile(same, append(gzipMember(header14+record(1)+"\n"+record(2)+"\n"), gzipMember(header14+record(3)+"\n")...), 0o644)
	swapped := strings.Replace(header14, "srcport dstport", "dstport srcport", 1)
	other := filepath.Join(dir, "other.log.gz")
	os.WriteFile(other, append(gzipMember(header14+record(4)+"\n"), gzipMember(swapped+record(5)+"\n")...), 0o644)
	db := newDB(t)
	sum := load(t, db, ingest.Options{}, same, other)
	if r := sum.Results[0]; r.Status != ingest.Loaded || r.Rows != 3 || r.Rejected != 0 {
		t.Errorf("files of one format joined: %+v", r)
	}
	if r := sum.Results[1]; r.Status != ingest.Failed || !strings.Contains(r.Note, "line 3 is the header of another format (version account-id interface-id srcaddr dstaddr dstport srcport") {
		t.Errorf("files of two formats joined: %+v", r)
	}
	if got := queryString(t, db, `SELECT string_agg(CAST(bytes AS VARCHAR), ',' ORDER BY bytes) FROM flows`); got != "1,2,3" {
		t.Errorf("bytes of the rows loaded: %s, want 1,2,3", got)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM load_errors WHERE uri = ?`, same); n != 0 {
		t.Errorf("%d load_errors rows for the files of one format", n)
	}
}

// TestRecordTimeMacro: the record_time macro that reports measure periods with holds the times
// the load flags as no record's (a start in milliseconds, or of 0), no more and no fewer.
func TestRecordTimeMacro(t *testing.T) {
	db := newDB(t)
	lo, hi := ingest.RecordTimes(time.Now())
	for _, c := range []struct {
		t    int64
		want bool
	}{{lo - 1, false}, {lo, true}, {time.Now().Unix(), true}, {hi - 60, true}, {hi + 3600, false}, {time.Now().Unix() * 1000, false}, {0, false}} {
		var got bool
		if err := db.QueryRow(`SELECT record_time($1::BIGINT)`, c.t).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("record_time(%d) = %v, want %v (the load's bounds: %d to %d)", c.t, got, c.want, lo, hi)
		}
	}
}

// TestHostileLines: what a crashed disk, a broken writer or an attacker leaves in a file. Every
// line that does not load is counted and kept in load_errors (its text cut short), repairs and
// suspicious values are kept there too, each sound record loads exactly once, and none of it
// costs more than a pass over the file.
func TestHostileLines(t *testing.T) {
	glued := make([]string, 20000)
	for i := range glued {
		glued[i] = record(100000 + i)
	}
	cases := []struct {
		name     string
		content  []byte
		rows     []int // the bytes values of the rows that load
		kind     string
		line     int64
		reason   string
		rejected int64
	}{
		{"long line", []byte(header14 + record(1) + "\n" + strings.Repeat("x", 40<<20) + "\n" + record(2) + "\n"),
			[]int{1, 2}, "rejected", 3, "a line of 41,943,040 bytes, longer than a record can be", 1},
		{"NUL run before a record", []byte(header14 + record(1) + "\n" + strings.Repeat("\x00", 40<<20) + record(2) + "\n" + record(3) + "\n"),
			[]int{1, 2, 3}, "altered", 3, "41,943,040 NUL bytes in it were removed", 0},
		{"glued records", []byte(header14 + record(1) + "\n" + strings.Join(glued, " ") + "\n" + record(3) + "\n"),
			[]int{1, 3}, "rejected", 3, "longer than a record can be", 1},
		{"a few glued records", []byte(header14 + record(1) + "\n" + strings.Join(glued[:3], " ") + "\n" + record(3) + "\n"),
			[]int{1, 3}, "rejected", 3, "expected 14 fields, found 42", 1},
		{"byte-order mark", []byte("\xef\xbb\xbf" + header14 + record(1) + "\n"),
			[]int{1}, "altered", 1, "a UTF-8 byte-order mark before it was removed", 0},
		{"not UTF-8", []byte(header14 + strings.Replace(record(1), "eni-1", "eni-\xe9", 1) + "\n"),
			[]int{1}, "altered", 2, "bytes that are not UTF-8 were replaced by U+FFFD", 0},
		{"suspicious values", []byte(header14 + record(1) + "\n" +
			"2 123456789012 eni-1 999.1.1.1 10.0.0.2 70000 2 6 3 -5 1700000000 1700000060 ACCEPT OK\n"),
			[]int{1, -5}, "suspicious", 3, `srcport 70000 is outside 0-65535; bytes -5 is negative; srcaddr "999.1.1.1" is not an IP address (loaded as it is)`, 0},
		{"times no record can have", []byte(header14 + record(1) + "\n" +
			"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 7 0 60 ACCEPT OK\n"),
			[]int{1, 7}, "suspicious", 3, `start 0 (1970-01-01 00:00:00) is before VPC Flow Logs began (June 2015); end 60 (1970-01-01 00:01:00) is before VPC Flow Logs began (June 2015) (loaded as it is)`, 0},
		{"more bytes than the packets carry", []byte(header14 + record(1) + "\n" +
			"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 9000000000000 1700000000 1700000060 ACCEPT OK\n"),
			[]int{1, 9000000000000}, "suspicious", 3, `bytes 9000000000000 is more than 3 packets can carry (65535 bytes each at most) (loaded as it is)`, 0},
		{"traffic in a NODATA record", []byte(header14 + record(1) + "\n" +
			"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 51 33615 1700000000 1700000060 REJECT NODATA\n"),
			[]int{1, 33615}, "suspicious", 3, `log-status NODATA with packets 51 and bytes 33615: AWS writes "-" there, and reports count no traffic of NODATA records (loaded as it is)`, 0},
		{"a time after the load", []byte(header14 + record(1) + "\n" +
			"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 7 1700000000 4102444800 ACCEPT OK\n"),
			[]int{1, 7}, "suspicious", 3, `end 4102444800 (2100-01-01 00:00:00) is after the load began, by more than a day (loaded as it is)`, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "hostile.log")
			if err := os.WriteFile(p, c.content, 0o644); err != nil {
				t.Fatal(err)
			}
			db := newDB(t)
			start := time.Now()
			sum := load(t, db, ingest.Options{}, p)
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("took %s", took) // a guard against the quadratic: a pass over 40 MB takes well under a second
			}
			if sum.Loaded != 1 || sum.Rejected != c.rejected || sum.Rows != int64(len(c.rows)) {
				t.Errorf("summary: %d loaded, %d rows, %d rejected; want 1, %d, %d", sum.Loaded, sum.Rows, sum.Rejected, len(c.rows), c.rejected)
			}
			// Each sound record once, and nothing else.
			var want []string
			for _, n := range c.rows {
				want = append(want, fmt.Sprint(n))
			}
			slices.Sort(want)
			if got := queryString(t, db, `SELECT string_agg(CAST(bytes AS VARCHAR), ',' ORDER BY CAST(bytes AS VARCHAR)) FROM flows`); got != strings.Join(want, ",") {
				t.Errorf("rows %s, want %s", got, strings.Join(want, ","))
			}
			var kind, reason, raw string
			var line int64
			if err := db.QueryRow(`SELECT kind, line, reason, raw FROM load_errors`).Scan(&kind, &line, &reason, &raw); err != nil {
				t.Fatalf("load_errors: %v", err)
			}
			if kind != c.kind || line != c.line || !strings.Contains(reason, c.reason) || len(raw) > 1100 {
				t.Errorf("load_errors: %s line %d %q (%d bytes of text); want %s line %d %q", kind, line, reason, len(raw), c.kind, c.line, c.reason)
			}
		})
	}
}

// TestPaddedGzip: zero bytes after a gzip stream, which gunzip ignores, are ignored and noted;
// anything else after it fails the file.
func TestPaddedGzip(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(header14 + record(1) + "\n" + record(2) + "\n"))
	zw.Close()
	padded := filepath.Join(dir, "padded.log.gz")
	os.WriteFile(padded, append(slices.Clone(b.Bytes()), make([]byte, 4096)...), 0o644)
	garbage := filepath.Join(dir, "garbage.log.gz")
	os.WriteFile(garbage, append(slices.Clone(b.Bytes()), "trailing junk"...), 0o644)
	db := newDB(t)
	sum := load(t, db, ingest.Options{}, padded, garbage)
	if sum.Results[0].Status != ingest.Loaded || sum.Results[0].Rows != 2 || sum.Results[1].Status != ingest.Failed ||
		!strings.Contains(sum.Results[1].Note, "follow the compressed stream") {
		t.Fatalf("%+v", sum.Results)
	}
	if got := queryString(t, db, `SELECT kind || ': ' || reason FROM load_errors WHERE uri = ?`, padded); got != "altered: 4,096 zero bytes after the gzip stream were ignored (padding)" {
		t.Errorf("load_errors: %q", got)
	}
	// Files converted before they load (JSON flow records, Resolver query logs) read their gzip
	// the same way, and say so the same way.
	for name, content := range map[string]string{
		"records.json.gz": `{"version": 2, "account_id": "123456789012", "interface_id": "eni-1", "srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "bytes": 100}` + "\n",
		"resolver.log.gz": `{"query_timestamp": "2024-06-01T00:00:05Z", "query_name": "example.com.", "srcaddr": "10.0.0.1", "answers": [{"Rdata": "93.184.215.14", "Type": "A"}]}` + "\n",
	} {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(content))
		zw.Close()
		path := filepath.Join(dir, name)
		os.WriteFile(path, append(slices.Clone(b.Bytes()), make([]byte, 512)...), 0o644)
		sum := load(t, db, ingest.Options{}, path)
		if sum.Loaded != 1 || sum.Rows != 1 || sum.Altered != 1 {
			t.Errorf("%s: %+v", name, sum.Results)
		}
		if got := queryString(t, db, `SELECT kind || ': ' || reason FROM load_errors WHERE uri = ?`, path); got != "altered: 512 zero bytes after the gzip stream were ignored (padding)" {
			t.Errorf("%s: load_errors %q", name, got)
		}
	}
}

// TestSpecialFiles: a named pipe given to load is refused at once, with what it is (reading it
// would wait forever), as is one found in a directory; a symbolic link to a file, or to a
// directory, inside a directory loads what it points to.
func TestSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ingest.LocalFiles([]string{fifo}); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "pipe.log is a named pipe (FIFO), not a regular file") {
			t.Errorf("a named pipe: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LocalFiles waits on a named pipe")
	}
	if _, err := ingest.LocalFiles([]string{dir}); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("a named pipe in a directory: %v", err)
	}
	os.Remove(fifo)

	real := t.TempDir()
	target := writeFile(t, real, "a.log", header14+record(1)+"\n")
	sub := writeFile(t, real, "sub/b.log", header14+record(2)+"\n")
	logs := filepath.Join(t.TempDir(), "logs")
	os.MkdirAll(logs, 0o755)
	os.Symlink(target, filepath.Join(logs, "a.log"))
	os.Symlink(filepath.Dir(sub), filepath.Join(logs, "linked"))
	os.Symlink(logs, filepath.Join(logs, "loop")) // a link back: walked once
	db := newDB(t)
	sum := load(t, db, ingest.Options{}, logs)
	if sum.Loaded != 2 || sum.Rows != 2 {
		t.Errorf("through links: %+v", sum.Results)
	}
}

// TestDirectorySpellings: a directory finds its files however it is spelled on the command
// line: with the slash a shell's completion adds, with ./ or /., relative or absolute, and a
// link to it.
func TestDirectorySpellings(t *testing.T) {
	base := t.TempDir()
	writeFile(t, base, "AWSLogs/123456789012/a.log", header14+record(1)+"\n")
	writeFile(t, base, "AWSLogs/123456789012/sub/b.log.gz", header14+record(2)+"\n")
	os.Symlink(filepath.Join(base, "AWSLogs"), filepath.Join(base, "link"))
	t.Chdir(base)
	for _, arg := range []string{"AWSLogs", "AWSLogs/", "./AWSLogs/", "AWSLogs/.", "AWSLogs//123456789012/",
		filepath.Join(base, "AWSLogs") + "/", ".", "./", "link/", "link"} {
		files, err := ingest.LocalFiles([]string{arg})
		if err != nil || len(files) != 2 {
			t.Errorf("%q: %d files, %v", arg, len(files), err)
		}
	}
}

// TestLoadTextCompression: a load stores text without FSST (a flow log's text is identifiers
// that repeat, which DuckDB keeps as a dictionary, and trying FSST on every row group costs the
// load time), and leaves the database's setting as it found it.
func TestLoadTextCompression(t *testing.T) {
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr bytes start end action log-status ecs-task-arn\n")
	// More records than a row group holds, so that the load itself compresses them; task ARNs
	// that never repeat and share most of their text, which FSST would be chosen for.
	for i := range 130_000 {
		fmt.Fprintf(&b, "7 123456789012 eni-%d 10.0.%d.%d 10.1.0.1 %d 1700000000 1700000060 ACCEPT OK arn:aws:ecs:us-east-1:123456789012:task/web/%032x\n",
			i%50, i%200, i%250, i, i)
	}
	p := writeFile(t, t.TempDir(), "ecs.log.gz", b.String())
	db := newDB(t)
	if _, err := db.Exec(`SET disabled_compression_methods = 'chimp'`); err != nil {
		t.Fatal(err)
	}
	load(t, db, ingest.Options{}, p)
	if n := queryInt(t, db, `SELECT count(*) FROM flows`); n != 130_000 {
		t.Fatalf("loaded %d records", n)
	}
	if got := queryString(t, db, `SELECT current_setting('disabled_compression_methods')`); got != "Chimp" {
		t.Errorf("disabled_compression_methods after the load: %q, want it as it was (Chimp)", got)
	}
	if _, err := db.Exec(`CHECKPOINT`); err != nil {
		t.Fatal(err)
	}
	table := queryString(t, db, `SELECT name FROM flowsql_segments WHERE kind = 'vpc'`)
	rows, err := db.Query(`SELECT DISTINCT column_name, compression FROM pragma_storage_info(?) WHERE segment_type = 'VARCHAR'`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var col, compression string
		if err := rows.Scan(&col, &compression); err != nil {
			t.Fatal(err)
		}
		seen++
		if compression == "FSST" {
			t.Errorf("%s.%s is stored with FSST", table, col)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen == 0 {
		t.Errorf("no text column in %s's storage", table)
	}
}
