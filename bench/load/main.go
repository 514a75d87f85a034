// Command load is flowsql's load and report benchmark. On one generated data set (default 40 files,
// 10 million rows, default format) and in one run it measures:
//
//   - flowsql load (the real binary, into a new database file);
//   - DuckDB's raw read_csv CREATE TABLE AS over the same files, through the same DuckDB;
//   - the pandas approach users take today (bench/pandas_top.py);
//
// each in its own process, for wall time, rows per second and peak RSS; then the ratios, the
// database size per million rows and the time of the top-10-destinations question on the
// loaded table; then the time of every canned report, and of the top-destinations and
// top-sources questions against pandas. Machines are shared and noisy: flowsql and raw
// read_csv alternate, and the best of each is compared.
//
// With -scale (bench/run.sh scale) it measures a month of a busy VPC instead (400 files, 100M
// rows): load against raw read_csv on the first -small files and on all of them, the cost per
// million rows side by side, then every canned report and flowsql nat on the large database,
// each in its own process, for wall time and peak RSS (scale.go).
//
//	go run ./bench/load -flowsql ./flowsql
//	go run ./bench/load -flowsql ./flowsql -scale -files 400 -dir bench/out/data-400x250000
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/fakeaws"
	"github.com/flowsql/flowsql/internal/flowdb"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/internal/nat"
	"github.com/flowsql/flowsql/pkg/enrich"
	"github.com/flowsql/flowsql/pkg/queries"
)

func main() {
	step := flag.String("step", "", "run one step: raw (internal), or reports (-scale's reports on the database -db)")
	db := flag.String("db", "", "internal: database file of a step")
	dir := flag.String("dir", "bench/out/data", "directory of the generated flow logs (made if missing)")
	files := flag.Int("files", 40, "files to generate")
	rows := flag.Int("rows", 250000, "records per file")
	reps := flag.Int("reps", 2, "runs of flowsql load and of raw read_csv, alternating")
	flowsql := flag.String("flowsql", "bench/out/flowsql", "the flowsql binary")
	pandas := flag.Bool("pandas", true, "run the pandas baseline (needs Debian's python3-pandas)")
	generate := flag.Bool("generate", false, "generate the data set (unless it is there) and stop")
	atScale := flag.Bool("scale", false, "the scale benchmark: load at two sizes (-small files and all), then every report and nat in its own process")
	small := flag.Int("small", 40, "with -scale: files of the smaller size")
	flag.Parse()
	switch {
	case *step == "raw":
		rawLoad(*db, flag.Args(), false)
		return
	case *step == "raw-settings":
		rawLoadAs(*db, flag.Args(), false, true)
		return
	case *step == "raw+summary":
		rawLoad(*db, flag.Args(), true)
		return
	case *step == "rss": // run a command from a small process; write its peak RSS (KB) to -db
		os.Exit(runForRSS(*db, flag.Args()))
	case *step == "reports": // the report half of -scale on an existing database
		rows, _ := countRows(*db, "flows")
		if err := reportsAtScale(*db, rows, *flowsql); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	case *generate:
		if _, err := ensureData(*dir, *files, *rows); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	case *atScale:
		if err := scale(*dir, *files, *rows, *small, *reps, *flowsql); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*dir, *files, *rows, *reps, *flowsql, *pandas); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type result struct {
	name   string
	wall   time.Duration
	cpu    time.Duration // user and system time of the command and its children
	rows   int64
	rssMB  float64
	dbMB   float64
	detail string
	stderr string // what the command printed there (flowsql load --verbose: its time by phase)
}

func run(dir string, nfiles, nrows, reps int, flowsql string, pandas bool) error {
	paths, err := ensureData(dir, nfiles, nrows)
	if err != nil {
		return err
	}
	var gz, rawBytes int64
	for _, p := range paths {
		st, _ := os.Stat(p)
		gz += st.Size()
	}
	rawBytes = textSize(paths[0]) * int64(len(paths))
	work, err := os.MkdirTemp(filepath.Dir(dir), "run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	fmt.Printf("flowsql load benchmark: %d files, %d rows, %.0f MB gzip (about %.0f MB of text), %d cores, %s\n\n",
		len(paths), int64(nfiles)*int64(nrows), mb(gz), mb(rawBytes), runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))

	var flows, raws []result
	var lastDB string
	for i := range reps {
		dbPath := filepath.Join(work, fmt.Sprintf("flowsql-%d.duckdb", i))
		r, err := measure(fmt.Sprintf("flowsql load (run %d)", i+1), dbPath, flowsql, "load", "--quiet", "--db", dbPath, dir)
		if err != nil {
			return err
		}
		r.rows, _ = countRows(dbPath, "flows")
		flows = append(flows, r)
		lastDB = dbPath
		rawPath := filepath.Join(work, fmt.Sprintf("raw-%d.duckdb", i))
		self, _ := os.Executable()
		r, err = measure(fmt.Sprintf("raw read_csv CTAS (run %d)", i+1), rawPath, self, append([]string{"-step", "raw", "-db", rawPath}, paths...)...)
		if err != nil {
			return err
		}
		r.rows, _ = countRows(rawPath, "raw")
		raws = append(raws, r)
		if i < reps-1 {
			os.Remove(rawPath)
		}
	}
	all := append(slices.Clone(flows), raws...)

	var pd *result
	var pdOut pandasResult
	if pandas {
		args := append([]string{filepath.Join("bench", "pandas_top.py"), flowgen.NATAddr}, paths...)
		r, err := measure("pandas (df.append per file)", "", "/usr/bin/python3", args...)
		if err != nil {
			fmt.Printf("pandas baseline skipped: %v\n", err)
		} else if err := json.Unmarshal([]byte(r.detail), &pdOut); err != nil {
			fmt.Printf("pandas baseline printed no result: %v\n%s\n", err, r.detail)
		} else {
			r.rows = pdOut.Rows
			r.detail = fmt.Sprintf("load %.1f s, top destinations %.2f s", pdOut.LoadS, pdOut.TopDestS)
			pd = &r
			all = append(all, r)
		}
	}

	fmt.Printf("%-30s %9s %9s %10s %10s %12s\n", "step", "wall", "CPU", "rows/s", "peak RSS", "DB MB/M rows")
	for _, r := range all {
		perM := ""
		if r.dbMB > 0 && r.rows > 0 {
			perM = fmt.Sprintf("%.1f", r.dbMB/(float64(r.rows)/1e6))
		}
		fmt.Printf("%-30s %8.2fs %8.2fs %9.2fM %8.0f MB %12s\n", r.name, r.wall.Seconds(), r.cpu.Seconds(), rate(r)/1e6, r.rssMB, perM)
	}

	best := func(rs []result) result {
		return slices.MinFunc(rs, func(a, b result) int { return int(a.wall - b.wall) })
	}
	bf, br := best(flows), best(raws)
	fmt.Println()
	q, err := queryTimes(lastDB)
	if err != nil {
		return err
	}
	ratio := br.wall.Seconds() / bf.wall.Seconds()
	perM := bf.dbMB / (float64(bf.rows) / 1e6)
	fmt.Printf("flowsql load vs raw read_csv (best of %d each): %.2fx the speed; %.2fx the CPU time\n", reps, ratio,
		bf.cpu.Seconds()/br.cpu.Seconds())
	var vsPandas float64
	if pd != nil {
		flowsqlEnd := bf.wall.Seconds() + q.topDest.Seconds()
		pandasEnd := pdOut.LoadS + pdOut.TopDestS
		vsPandas = pandasEnd / flowsqlEnd
		fmt.Printf("end to end (load + top destinations): flowsql %.1f s, pandas %.1f s (%.1f s in process, %.1f s with start-up): %.1fx faster\n",
			flowsqlEnd, pd.wall.Seconds(), pandasEnd, pd.wall.Seconds(), vsPandas)
		if same := sameTop(lastDB, pdOut.TopDest); same != "" {
			fmt.Println("WARNING: flowsql and pandas disagree on the top destinations:", same)
		}
	}
	fmt.Printf("top-10 destinations on the loaded table: %.0f ms (median of %d); top-10 sources to the NAT gateway: %.0f ms\n",
		ms(q.topDest), q.n, ms(q.topSrc))
	fmt.Printf("the same top-10 destinations grouped by the text column of the flows view: %.0f ms\n", ms(q.topDestText))

	fmt.Println("\ntargets (issue: flowsql load):")
	check(ratio >= 0.9, "flowsql load at 0.9x or better of raw read_csv: %.2fx", ratio)
	check(rate(bf) >= 1.5e6, "at least 1.5M rows/s: %.2fM", rate(bf)/1e6)
	if pd != nil {
		check(vsPandas >= 5, "at least 5x the pandas approach end to end: %.1fx", vsPandas)
	}
	check(bf.rssMB <= 1536, "peak RSS at most 1.5 GB: %.0f MB", bf.rssMB)
	check(perM <= 35, "at most 35 MB per million rows: %.1f", perM)
	check(q.topDest <= 100*time.Millisecond, "top-10 destinations in at most 100 ms: %.0f ms", ms(q.topDest))

	if err := loadResolverLogs(dir, nfiles, nrows, flowsql, lastDB); err != nil {
		return err
	}
	reports, err := reportTimes(lastDB)
	if err != nil {
		return err
	}
	fmt.Printf("\ncanned reports on %d rows, as flowsql report runs them (median of %d runs after one warm-up):\n", bf.rows, reportRuns)
	slowest := time.Duration(0)
	var topN time.Duration
	for _, r := range reports {
		fmt.Printf("  %-22s %7.0f ms\n", r.name, ms(r.took))
		slowest = max(slowest, r.took)
		if strings.HasPrefix(r.name, "top-") {
			topN = max(topN, r.took)
		}
	}
	fmt.Println("\ntargets (issue: canned reports):")
	check(topN <= 100*time.Millisecond, "top-N reports in at most 100 ms: slowest %.0f ms", ms(topN))
	check(slowest <= time.Second, "every canned report in at most 1 s: slowest %.0f ms", ms(slowest))
	if pd != nil {
		var dest, src time.Duration
		for _, r := range reports {
			switch r.name {
			case "top-destinations":
				dest = r.took
			case "top-sources":
				src = r.took
			}
		}
		rd, rs := pdOut.TopDestS/dest.Seconds(), pdOut.TopSrcS/src.Seconds()
		fmt.Printf("  pandas on the loaded DataFrame: top destinations %.0f ms, top sources %.0f ms\n", pdOut.TopDestS*1000, pdOut.TopSrcS*1000)
		check(min(rd, rs) >= 10, "at least 10x faster than pandas: top-destinations %.0fx, top-sources %.0fx", rd, rs)
	}
	took, err := natTime(lastDB)
	if err != nil {
		return err
	}
	fmt.Printf("\nflowsql nat (every figure of the NAT analysis, the gateway given) on %d rows: %.2f s\n", bf.rows, took.Seconds())
	return nil
}

// natTime runs the whole NAT analysis once, warm.
func natTime(dbPath string) (time.Duration, error) {
	ctx := context.Background()
	db, err := flowsql.Open(ctx, dbPath, flowsql.Options{MustExist: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	set, err := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	if err != nil {
		return 0, err
	}
	var took time.Duration
	for i := range 2 {
		start := time.Now()
		if _, err := nat.Analyze(ctx, db, set, nat.Options{NATIPs: []string{flowgen.NATAddr}}); err != nil {
			return 0, err
		}
		if i == 1 {
			took = time.Since(start)
		}
	}
	return took, nil
}

const reportRuns = 5

type reportTime struct {
	name string
	took time.Duration
}

// reportTimes runs every canned report the way "flowsql report" does (queries.Set.Prepare:
// the checks of what the logs can answer, the statement from queries.sql reading the hourly
// summary where it can), on the flowsql database.
func reportTimes(dbPath string) ([]reportTime, error) {
	ctx := context.Background()
	db, err := flowsql.Open(ctx, dbPath, flowsql.Options{MustExist: true})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := enrichForReports(ctx, db); err != nil {
		return nil, err
	}
	set, err := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	if err != nil {
		return nil, err
	}
	var out []reportTime
	for _, name := range set.Names() {
		q, _ := set.Lookup(name)
		vals := queries.Values{}
		for _, p := range q.Params {
			if v, ok := flowgen.NATArgument(p.Name); ok {
				vals[p.Name] = v
			}
		}
		var ds []time.Duration
		for i := range reportRuns + 1 {
			start := time.Now()
			st, err := set.Prepare(ctx, db, name, vals, queries.Filters{})
			var missing *queries.MissingFieldError
			if errors.As(err, &missing) {
				break // the generator's format lacks a field the report needs: it does not run
			} else if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			rows, err := db.QueryContext(ctx, st.SQL, st.Args...)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for rows.Next() {
			}
			rows.Close()
			if i > 0 {
				ds = append(ds, time.Since(start))
			}
		}
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		out = append(out, reportTime{name, ds[len(ds)/2]})
	}
	return out, nil
}

// enrichForReports fills the lookup tables as "flowsql enrich" would, from the loopback EC2
// and RDAP servers of the tests and the bundled ip-ranges sample, so that the reports' joins
// are measured with data in them.
func enrichForReports(ctx context.Context, db *sql.DB) error {
	if _, err := enrich.LoadAWSRanges(ctx, db, "testdata/ip-ranges-sample.json"); err != nil {
		return err
	}
	ec2srv := httptest.NewServer(fakeaws.NewEC2())
	defer ec2srv.Close()
	client := ec2.New(ec2.Options{Region: flowgen.Region, BaseEndpoint: aws.String(ec2srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	if _, err := enrich.SnapshotENIs(ctx, db, client, flowgen.Region); err != nil {
		return err
	}
	rdapSrv := httptest.NewServer(&fakeaws.RDAP{})
	defer rdapSrv.Close()
	rd, err := enrich.NewRDAPResolver(rdapSrv.URL)
	if err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, `SELECT ip_text(src_ip) FROM flow_records WHERE dst_ip = addr_key(?)
        GROUP BY src_ip ORDER BY sum(bytes) DESC LIMIT 25`, flowgen.NATAddr)
	if err != nil {
		return err
	}
	var addrs []netip.Addr
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return err
		}
		addrs = append(addrs, netip.MustParseAddr(a))
	}
	rows.Close()
	_, err = enrich.LookupOwners(ctx, db, addrs, enrich.LookupOptions{RDAP: rd})
	return err
}

type pandasResult struct {
	Rows     int64    `json:"rows"`
	LoadS    float64  `json:"load_s"`
	TopDestS float64  `json:"top_destinations_s"`
	TopSrcS  float64  `json:"top_sources_s"`
	TopDest  [][2]any `json:"top_destinations"`
	TopSrc   [][2]any `json:"top_sources"`
}

// measure runs a command and reports its wall time, peak RSS and the size of dbPath after.
//
// The command runs under this program's "-step rss": Linux carries a process's peak RSS
// across fork and exec, so a command started from the benchmark itself, which has held
// DuckDB databases of its own, would report the benchmark's peak, not its own.
func measure(name, dbPath, bin string, args ...string) (result, error) {
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	rssFile, err := os.CreateTemp("", "bench-rss-")
	if err != nil {
		return result{}, err
	}
	rssFile.Close()
	defer os.Remove(rssFile.Name())
	cmd := exec.Command(self, append([]string{"-step", "rss", "-db", rssFile.Name(), bin}, args...)...)
	var stderr bytes.Buffer // the reports' notes on the data (SKIPDATA records): shown only if it fails
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("%s: %v\n%s", name, err, stderr.Bytes())
	}
	r := result{name: name, wall: wall, detail: strings.TrimSpace(string(out)), stderr: stderr.String()}
	// wait4 counts the children that the -step rss wrapper waited for in its own usage.
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if b, err := os.ReadFile(rssFile.Name()); err == nil {
		var kb int64
		fmt.Sscan(string(b), &kb)
		r.rssMB = float64(kb) / 1024
	}
	if dbPath != "" {
		if st, err := os.Stat(dbPath); err == nil {
			r.dbMB = mb(st.Size())
		}
	}
	return r, nil
}

// rawLoad is the baseline: one CREATE TABLE AS over read_csv with explicit columns, the
// fastest way DuckDB offers, with the options flowsql's own statement uses. With summarize, it
// then adds the raw table up as flowsql's load does for its summary and rollups (the same
// GROUP BYs, the addresses as text, which is all a raw table has): what DuckDB alone takes to
// leave a database that answers the reports as fast.
func rawLoad(dbPath string, files []string, summarize bool) {
	rawLoadAs(dbPath, files, summarize, false)
}

// rawLoadAs is rawLoad, through DuckDB as flowsql opens it (its memory limit and block
// allocator: flowdb.Open, without flowsql's schema) when settings is set, else with DuckDB's
// defaults.
func rawLoadAs(dbPath string, files []string, summarize, settings bool) {
	var db *sql.DB
	var err error
	if settings {
		db, err = flowdb.Open(context.Background(), dbPath, flowdb.Options{})
	} else {
		db, err = sql.Open("duckdb", dbPath)
	}
	if err != nil {
		panic(err)
	}
	defer db.Close()
	ctx := context.Background()
	stmts := []string{
		"SET preserve_insertion_order = false",
		`CREATE TABLE raw AS SELECT * FROM read_csv(?::VARCHAR[], delim = ' ', quote = '', escape = '', header = true,
            auto_detect = false, nullstr = '-', compression = 'gzip', columns = {
            'version': 'INTEGER', 'account-id': 'VARCHAR', 'interface-id': 'VARCHAR', 'srcaddr': 'VARCHAR',
            'dstaddr': 'VARCHAR', 'srcport': 'INTEGER', 'dstport': 'INTEGER', 'protocol': 'INTEGER',
            'packets': 'BIGINT', 'bytes': 'BIGINT', 'start': 'BIGINT', 'end': 'BIGINT', 'action': 'VARCHAR',
            'log-status': 'VARCHAR'})`,
	}
	if summarize {
		const hours = `"start" // 3600 AS start_hour, "end" // 3600 AS end_hour, min("start"), max("end"), "account-id", "interface-id"`
		stmts = append(stmts,
			`CREATE TABLE raw_hourly AS SELECT `+hours+`, srcaddr, dstaddr, "action", "log-status",
                sum(bytes), sum(packets), count(*) FROM raw GROUP BY ALL ORDER BY dstaddr`,
			`CREATE TABLE raw_rejected AS SELECT `+hours+`, srcaddr, dstaddr, dstport, protocol, sum(packets), count(*)
                FROM raw WHERE "action" = 'REJECT' AND "log-status" = 'OK' GROUP BY ALL`,
			`CREATE TABLE raw_ports AS SELECT `+hours+`, least(srcport, dstport) AS port, protocol, sum(bytes), sum(packets), count(*)
                FROM raw WHERE "log-status" = 'OK' GROUP BY ALL`)
	}
	stmts = append(stmts, "CHECKPOINT")
	for i, s := range stmts {
		var args []any
		if i == 1 {
			args = []any{files}
		}
		if _, err := db.ExecContext(ctx, s, args...); err != nil {
			panic(err)
		}
	}
}

type queryResult struct {
	topDest, topSrc, topDestText time.Duration
	n                            int
}

// queryTimes times the first two questions on the flowsql database: the median of runs
// after one warm-up.
func queryTimes(dbPath string) (queryResult, error) {
	db, err := flowsql.Open(context.Background(), dbPath, flowsql.Options{MustExist: true})
	if err != nil {
		return queryResult{}, err
	}
	defer db.Close()
	const n = 7
	median := func(q string, args ...any) (time.Duration, error) {
		var ds []time.Duration
		for i := range n + 1 {
			start := time.Now()
			rows, err := db.Query(q, args...)
			if err != nil {
				return 0, err
			}
			for rows.Next() {
			}
			rows.Close()
			if i > 0 {
				ds = append(ds, time.Since(start))
			}
		}
		slices.Sort(ds)
		return ds[len(ds)/2], nil
	}
	var r queryResult
	r.n = n
	if r.topDest, err = median(topDestinationsSQL); err != nil {
		return r, err
	}
	nat := netip.MustParseAddr(flowgen.NATAddr).As4()
	if r.topSrc, err = median(topSourcesSQL, int64(binary.BigEndian.Uint32(nat[:]))); err != nil {
		return r, err
	}
	if r.topDestText, err = median(topDestinationsTextSQL); err != nil {
		return r, err
	}
	return r, nil
}

// The questions as the canned reports ask them: on flow_records (flows without the files'
// details), grouped by address key, the address given as its key.
const topDestinationsSQL = `SELECT ip_text(dst_ip) AS dstaddr, bytes FROM (
    SELECT dst_ip, sum(bytes) AS bytes FROM flow_records WHERE log_status = 'OK'
    GROUP BY dst_ip ORDER BY bytes DESC LIMIT 10) ORDER BY bytes DESC`

const topSourcesSQL = `SELECT ip_text(src_ip) AS srcaddr, bytes FROM (
    SELECT src_ip, sum(bytes) AS bytes FROM flow_records WHERE log_status = 'OK' AND dst_ip = ?
    GROUP BY src_ip ORDER BY bytes DESC LIMIT 10) ORDER BY bytes DESC`

// The same question on the flows view, as a user would type it with text addresses.
const topDestinationsTextSQL = `SELECT dstaddr, sum(bytes) AS bytes
FROM flows WHERE log_status = 'OK' GROUP BY dstaddr ORDER BY bytes DESC LIMIT 10`

// sameTop compares flowsql's top destinations with pandas's; "" when they agree.
func sameTop(dbPath string, pandasTop [][2]any) string {
	db, err := flowsql.Open(context.Background(), dbPath, flowsql.Options{MustExist: true})
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	rows, err := db.Query(topDestinationsSQL)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var addr string
		var b int64
		rows.Scan(&addr, &b)
		if i >= len(pandasTop) || fmt.Sprint(pandasTop[i][0]) != addr || toInt(pandasTop[i][1]) != b {
			return fmt.Sprintf("row %d: flowsql %s %d, pandas %v", i+1, addr, b, pandasTop[min(i, len(pandasTop)-1)])
		}
		i++
	}
	return ""
}

func toInt(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

func countRows(dbPath, table string) (int64, error) {
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRow("SELECT count(*) FROM " + table).Scan(&n)
	return n, err
}

// ensureData generates the data set unless it is there already.
func ensureData(dir string, files, rows int) ([]string, error) {
	var paths []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".log.gz") {
			paths = append(paths, p)
		}
		return nil
	})
	marker := filepath.Join(dir, fmt.Sprintf(".generated-%d-%d", files, rows))
	if _, err := os.Stat(marker); err == nil && len(paths) == files {
		return paths, nil
	}
	os.RemoveAll(dir)
	fmt.Fprintf(os.Stderr, "generating %d files of %d rows under %s ...\n", files, rows, dir)
	g := flowgen.New(flowgen.Config{Seed: 1, Files: files, RowsPerFile: rows, Fields: flowgen.DefaultFields})
	paths, _, err := g.WriteTree(dir)
	if err != nil {
		return nil, err
	}
	return paths, os.WriteFile(marker, nil, 0o644)
}

// ensureResolverLogs generates, once, the Route 53 Resolver query logs that go with the data
// set's NAT traffic (the flow logs the generator writes beside them are removed), and returns
// their directory.
func ensureResolverLogs(dir string, files, rows int) (string, error) {
	out := dir + "-resolver"
	logs := filepath.Join(out, "AWSLogs", flowgen.Account, "vpcdnsquerylogs")
	marker := filepath.Join(out, fmt.Sprintf(".generated-%d-%d", files, rows))
	if _, err := os.Stat(marker); err == nil {
		return logs, nil
	}
	os.RemoveAll(out)
	fmt.Fprintf(os.Stderr, "generating the Route 53 Resolver query logs of %d files under %s ...\n", files, out)
	g := flowgen.New(flowgen.Config{Seed: 1, Files: files, RowsPerFile: rows, Fields: flowgen.DefaultFields, ResolverLogs: true})
	if _, _, err := g.WriteTree(out); err != nil {
		return "", err
	}
	if err := os.RemoveAll(filepath.Join(out, "AWSLogs", flowgen.Account, "vpcflowlogs")); err != nil {
		return "", err
	}
	return logs, os.WriteFile(marker, nil, 0o644)
}

// loadResolverLogs loads the data set's resolver logs into a flowsql database, for the reports
// that join them (top-domains, nat-domains, the domain column).
func loadResolverLogs(dir string, files, rows int, bin, dbPath string) error {
	logs, err := ensureResolverLogs(dir, files, rows)
	if err != nil {
		return err
	}
	r, err := measure("flowsql load (resolver logs)", dbPath, bin, "load", "--quiet", "--db", dbPath, logs)
	if err != nil {
		return err
	}
	n, _ := countRows(dbPath, "dns_queries")
	fmt.Printf("\nRoute 53 Resolver query logs of the NAT traffic: %d answers loaded in %.2f s, for the reports that join them\n", n, r.wall.Seconds())
	return nil
}

func textSize(gz string) int64 {
	out, err := exec.Command("sh", "-c", "gzip -dc '"+gz+"' | wc -c").Output()
	if err != nil {
		return 0
	}
	var n int64
	fmt.Sscan(string(out), &n)
	return n
}

func rate(r result) float64 {
	if r.wall <= 0 {
		return 0
	}
	return float64(r.rows) / r.wall.Seconds()
}

func mb(n int64) float64         { return float64(n) / (1 << 20) }
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// runForRSS runs args (a command and its arguments), passing its output through, and writes
// its peak RSS in KB to the file rssPath; it returns the command's exit status.
func runForRSS(rssPath string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		os.WriteFile(rssPath, []byte(fmt.Sprint(ru.Maxrss)), 0o644)
	}
	return cmd.ProcessState.ExitCode()
}
