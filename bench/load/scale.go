package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/pkg/queries"
)

// scale is the benchmark at a month of a busy VPC: flowsql load against raw read_csv on the
// first small files of the data set and on all of it, the cost per million rows at both sizes
// side by side, then every canned report and flowsql nat on the large database, each in its
// own process as a user runs it, for wall time and peak RSS.
func scale(dir string, nfiles, nrows, small, reps int, bin string) error {
	paths, err := ensureData(dir, nfiles, nrows)
	if err != nil {
		return err
	}
	slices.Sort(paths)
	if small <= 0 || small >= len(paths) {
		return fmt.Errorf("-small %d: want fewer than the %d files of the data set", small, len(paths))
	}
	var gz int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			gz += st.Size()
		}
	}
	work, err := os.MkdirTemp(filepath.Dir(dir), "scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	fmt.Printf("flowsql scale benchmark: %d files, %d rows, %.0f MB gzip, %d cores, %s\n\n",
		len(paths), int64(nfiles)*int64(nrows), mb(gz), runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))

	type size struct {
		files                []string
		flows, raws, summeds []result
		// tuneds: raw read_csv through DuckDB as flowsql opens it (the smaller size only)
		tuneds []result
	}
	sizes := []*size{{files: paths[:small]}, {files: paths}}
	var bigDB string
	for _, s := range sizes {
		big := len(s.files) == len(paths)
		// The load and raw read_csv run reps times each at both sizes, alternating: the speed of a
		// shared machine drifts over the minutes a 100M-row load takes (raw read_csv of the same
		// files took 95 s in one run and 108 s in another), and one run of each would compare
		// two different machines. Raw read_csv and its summary, minutes more, runs once there.
		for i := range reps {
			dbPath := filepath.Join(work, fmt.Sprintf("flowsql-%d-%d.duckdb", len(s.files), i))
			r, err := measure(fmt.Sprintf("flowsql load, %d files", len(s.files)), dbPath, bin,
				append([]string{"load", "--verbose", "--db", dbPath}, s.files...)...)
			if err != nil {
				return err
			}
			r.rows, _ = countRows(dbPath, "flows")
			s.flows = append(s.flows, r)
			if big {
				if bigDB != "" {
					os.Remove(bigDB) // 3 GB: the reports run on the last one
				}
				bigDB = dbPath
			} else {
				os.Remove(dbPath)
			}
			rawPath := filepath.Join(work, fmt.Sprintf("raw-%d-%d.duckdb", len(s.files), i))
			self, _ := os.Executable()
			// The baselines: raw read_csv, and raw read_csv followed by the summary's GROUP BYs;
			// at the smaller size also raw read_csv with flowsql's DuckDB settings, which speed
			// any load up, so that what they give is told apart from what flowsql does.
			type baseline struct {
				step, what string
				into       *[]result
			}
			baselines := []baseline{{"raw", "raw read_csv", &s.raws}}
			if i == 0 || !big {
				baselines = append(baselines, baseline{"raw+summary", "raw read_csv and its summary", &s.summeds})
			}
			if !big {
				baselines = append(baselines, baseline{"raw-settings", "raw read_csv with flowsql's settings", &s.tuneds})
			}
			for _, b := range baselines {
				r, err := measure(fmt.Sprintf("%s, %d files", b.what, len(s.files)), rawPath, self,
					append([]string{"-step", b.step, "-db", rawPath}, s.files...)...)
				if err != nil {
					return err
				}
				r.rows, _ = countRows(rawPath, "raw")
				*b.into = append(*b.into, r)
				os.Remove(rawPath)
			}
		}
	}
	best := func(rs []result) result {
		return slices.MinFunc(rs, func(a, b result) int { return int(a.wall - b.wall) })
	}
	perM := func(r result) float64 { return r.wall.Seconds() / (float64(r.rows) / 1e6) }
	walls := func(rs []result) string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = fmt.Sprintf("%.1f s", r.wall.Seconds())
		}
		return strings.Join(out, ", ")
	}
	fmt.Printf("flowsql load against raw read_csv, the best of %d runs of each, alternating:\n", reps)
	fmt.Printf("%-12s %10s %10s %10s %10s %8s %10s %12s %12s %12s\n", "rows", "load", "s/M rows", "raw", "s/M rows", "ratio", "CPU ratio", "load RSS", "raw RSS", "DB MB/M rows")
	var ratios []float64
	var loadRSS float64
	for _, s := range sizes {
		f, r := best(s.flows), best(s.raws)
		ratio := r.wall.Seconds() / f.wall.Seconds()
		ratios = append(ratios, ratio)
		for _, x := range s.flows {
			loadRSS = max(loadRSS, x.rssMB)
		}
		fmt.Printf("%-12d %9.1fs %10.2f %9.1fs %10.2f %7.2fx %9.2fx %9.0f MB %9.0f MB %12.1f\n", f.rows, f.wall.Seconds(), perM(f),
			r.wall.Seconds(), perM(r), ratio, f.cpu.Seconds()/r.cpu.Seconds(), f.rssMB, r.rssMB, f.dbMB/(float64(f.rows)/1e6))
	}
	for _, s := range sizes {
		fmt.Printf("  every run at %d rows: load %s; raw read_csv %s\n", best(s.flows).rows, walls(s.flows), walls(s.raws))
	}
	smallF, bigF := best(sizes[0].flows), best(sizes[1].flows)
	rowsX := float64(bigF.rows) / float64(smallF.rows)
	timeX := bigF.wall.Seconds() / smallF.wall.Seconds()
	fmt.Printf("\n%.1fx the rows took %.1fx the time\n", rowsX, timeX)
	fmt.Println("\nraw read_csv followed by the GROUP BYs of flowsql's summary and rollups on its table (addresses as text):")
	for _, s := range sizes {
		f, r := best(s.flows), best(s.summeds)
		fmt.Printf("  %d rows: %.1f s (%.2f s per M rows): flowsql load at %.2fx its speed, %.2fx its CPU time\n",
			r.rows, r.wall.Seconds(), perM(r), r.wall.Seconds()/f.wall.Seconds(), f.cpu.Seconds()/r.cpu.Seconds())
	}
	if s := sizes[0]; len(s.tuneds) > 0 {
		f, r := best(s.flows), best(s.tuneds)
		fmt.Printf("\nraw read_csv through DuckDB as flowsql opens it (memory limit, block allocator), %d rows: %.1f s: flowsql load at %.2fx its speed\n",
			r.rows, r.wall.Seconds(), r.wall.Seconds()/f.wall.Seconds())
	}
	fmt.Println("\nwhere the load's time went (its best run), beside raw read_csv's whole time:")
	for _, s := range sizes {
		f, r := best(s.flows), best(s.raws)
		fmt.Printf("  %d rows: raw read_csv %.2f s; flowsql load's %s\n", f.rows, r.wall.Seconds(), phasesOf(f.stderr))
	}

	fmt.Println("\ntargets (issue: scale, load):")
	check(timeX <= 1.1*rowsX, "load time grows at most 1.1x the rows (11x for 10x): %.1fx for %.1fx", timeX, rowsX)
	for i, s := range sizes {
		check(ratios[i] >= 0.9, "at least 0.9x raw read_csv at %d rows: %.2fx", best(s.flows).rows, ratios[i])
	}
	check(loadRSS <= 2048, "load peak RSS at most 2 GB: %.0f MB", loadRSS)

	if err := loadResolverLogs(dir, nfiles, nrows, bin, bigDB); err != nil {
		return err
	}
	if err := reportsAtScale(bigDB, bigF.rows, bin); err != nil {
		return err
	}
	return nil
}

// reportsAtScale runs every canned report, and flowsql nat, as separate processes on the
// large database: one warm-up, then the best of two.
func reportsAtScale(dbPath string, rows int64, bin string) error {
	ctx := context.Background()
	db, err := flowsql.Open(ctx, dbPath, flowsql.Options{MustExist: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := enrichForReports(ctx, db); err != nil {
		return err
	}
	set, err := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	if err != nil {
		return err
	}
	fmt.Printf("\ncanned reports on %d rows, each its own process (best of 2 after a warm-up):\n", rows)
	// The reports that need a field the generator's format lacks do not run (they say so).
	args := map[string][]string{}
	var names []string
	for _, name := range set.Names() {
		q, _ := set.Lookup(name)
		vals := queries.Values{}
		args[name] = []string{"report", name, "--db", dbPath, "--format", "csv"}
		for _, p := range q.Params {
			if v, ok := flowgen.NATArgument(p.Name); ok {
				vals[p.Name] = v
				args[name] = append(args[name], queries.FlagName(p.Name), v)
			}
		}
		var missing *queries.MissingFieldError
		if _, err := set.Prepare(ctx, db, name, vals, queries.Filters{}); errors.As(err, &missing) {
			fmt.Printf("  %-22s not run: the data set has no %s field\n", name, missing.Field)
			continue
		} else if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		names = append(names, name)
	}
	db.Close() // the reports open it in their own processes
	run := func(name string, args ...string) (result, error) {
		var rs []result
		for i := range 3 {
			r, err := measure(name, "", bin, args...)
			if err != nil {
				return result{}, err
			}
			if i > 0 {
				rs = append(rs, r)
			}
		}
		return slices.MinFunc(rs, func(a, b result) int { return int(a.wall - b.wall) }), nil
	}
	var slowest, slowestRSS float64
	headline := map[string]float64{"top-destinations": 0, "top-sources": 0, "nat-summary": 0}
	for _, name := range names {
		r, err := run(name, args[name]...)
		if err != nil {
			return err
		}
		fmt.Printf("  %-22s %7.2f s %8.0f MB\n", name, r.wall.Seconds(), r.rssMB)
		slowest, slowestRSS = max(slowest, r.wall.Seconds()), max(slowestRSS, r.rssMB)
		if _, ok := headline[name]; ok {
			headline[name] = r.wall.Seconds()
		}
	}
	n, err := run("nat", "nat", "--db", dbPath, "--nat-ip", flowgen.NATAddr)
	if err != nil {
		return err
	}
	fmt.Printf("  %-22s %7.2f s %8.0f MB\n", "flowsql nat", n.wall.Seconds(), n.rssMB)

	fmt.Println("\ntargets (issue: scale, reports):")
	for _, name := range []string{"top-destinations", "top-sources", "nat-summary"} {
		check(headline[name] <= 1, "%s in at most 1 s: %.2f s", name, headline[name])
	}
	check(slowest <= 5, "every canned report in at most 5 s: slowest %.2f s", slowest)
	check(slowestRSS <= 3072, "every canned report in at most 3 GB: largest %.0f MB", slowestRSS)
	check(n.wall.Seconds() <= 15, "flowsql nat in at most 15 s: %.2f s", n.wall.Seconds())
	return nil
}

// check prints a target as met or missed.
func check(ok bool, format string, args ...any) {
	mark := "MET "
	if !ok {
		mark = "MISS"
	}
	fmt.Printf("  [%s] %s\n", mark, fmt.Sprintf(format, args...))
}

// phasesOf finds the time by phase that flowsql load --verbose prints last.
func phasesOf(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "time by phase") {
			return lines[i]
		}
	}
	return "time by phase: not printed"
}
