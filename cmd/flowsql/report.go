package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/words"
	"github.com/flowsql/flowsql/pkg/queries"
)

const reportAbout = `
Run a canned report: a named query from queries.sql, with its parameters as flags. Without a
NAME, list the reports and their parameters.

Flow-log paths given after the report are loaded first (into --db), so that one command answers
a question about a folder of logs; files loaded before are skipped.

Every report that reads flow records takes the common filters: --since and --until (RFC 3339, a
date, or how long ago: 24h, 7d), --account, --interface, --cidr (source or destination in it),
--where (a SQL condition on the flows columns), and --limit.

The table output is for people: bytes in binary units, a share of the total with a bar, costs
in cents (<$0.01 for less than half of one). Other formats are exact. --out writes a file in the
format its extension names; .parquet goes through DuckDB (zstd).

The reports that have an Athena body (flowsql report lists where each runs) also run on Amazon
Athena over the logs in S3, with --engine athena and a table that 'flowsql athena ddl' creates;
time filters then also select the day partitions, so Athena reads only the days asked for.

Examples:
  flowsql report top-destinations testdata/sample
  flowsql report top-sources --dst 10.0.101.10 --since 2024-06-01T00:00:00Z --limit 25
  flowsql report traffic-over-time --bucket 5m --addr 10.0.1.21 --format csv
  flowsql report rejected --by destination --out rejected.parquet
  flowsql report --queries my-reports.sql my-report
  flowsql report top-talkers --engine athena --workgroup primary --database logs --since 7d`

// reportFlags are the flags every report takes.
type reportFlags struct {
	db          *string
	queriesFile string
	filters     queries.FilterFlags
	output      outputFlags
	load        loadFlags
	showSQL     bool
	athena      athenaFlags
}

func (rf *reportFlags) register(fs *flag.FlagSet, e *env) {
	rf.db = dbFlag(fs, e)
	fs.StringVar(&rf.queriesFile, "queries", "", "a queries `FILE` of your own: its reports are added, and replace built-in ones of the same name")
	rf.filters.Register(fs)
	rf.output.register(fs, "table")
	fs.StringVar(&rf.load.format, "log-format", "", "`FORMAT` of headerless files among the PATHs (as load --log-format)")
	fs.BoolVar(&rf.load.force, "force", false, "reload PATH files that are already loaded")
	fs.BoolVar(&rf.load.quiet, "quiet", false, "print no load progress or summary")
	fs.BoolVar(&rf.showSQL, "show-sql", false, "print the statement, with its values, on standard error before running it")
	rf.load.batchFiles = 64
	rf.athena.register(fs)
}

// loadQueries reads the built-in reports and the user's file, if any.
func loadQueries(file string) (*queries.Set, error) {
	set, err := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	if err != nil {
		return nil, err
	}
	if file == "" {
		return set, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--queries: %w", err)
	}
	mine, err := queries.Parse(file, string(data))
	if err != nil {
		return nil, err
	}
	set.Merge(mine)
	return set, nil
}

// reportName finds the report's name among the arguments: the first that is neither a flag
// nor a flag's value. Flags of the common set take a value unless they are booleans; any other
// flag is a report parameter, which always takes one.
func reportName(common *flag.FlagSet, args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") {
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if hasValue {
				continue
			}
			if f := common.Lookup(name); f != nil {
				if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
					continue
				}
			}
			i++ // the flag's value
			continue
		}
		return a, append(slices.Clone(args[:i]), args[i+1:]...)
	}
	return "", args
}

func runReport(ctx context.Context, e *env, args []string) error {
	var rf reportFlags
	common := newFlagSet(e, "report", "NAME [flags] [PATH...]", reportAbout)
	rf.register(common, e)
	name, rest := reportName(common, args)
	// The user's --queries file decides which reports exist, so find it before the flags.
	for i, a := range rest {
		if v, ok := strings.CutPrefix(a, "--queries="); ok {
			rf.queriesFile = v
		} else if (a == "--queries" || a == "-queries") && i+1 < len(rest) {
			rf.queriesFile = rest[i+1]
		}
	}
	set, err := loadQueries(rf.queriesFile)
	if err != nil {
		return err
	}
	if name == "" {
		if _, err := parseArgs(common, rest); err != nil {
			return err
		}
		listReports(e.stdout, set)
		return nil
	}
	q, ok := set.Lookup(name)
	if !ok {
		return usagef("Run 'flowsql report' for the list: "+strings.Join(set.Names(), ", "), "unknown report %q", name)
	}
	rf = reportFlags{}
	fs := newFlagSet(e, "report "+name, "[flags] [PATH...]", reportUsage(q))
	rf.register(fs, e)
	params, err := queries.BindParams(fs, q)
	if err != nil {
		return err
	}
	paths, err := parseArgs(fs, rest)
	if err != nil {
		return err
	}
	rf.output.human = true
	rf.output.optional = q.Optional
	if err := rf.output.check(); err != nil {
		return err
	}
	vals := params.Values()
	now := time.Now()
	filters, err := rf.filters.Filters(now)
	if err != nil {
		return usagef("", "%v", err)
	}
	if rf.load.format != "" {
		if err := rf.load.check(); err != nil {
			return err
		}
	}
	if rf.athena.engine == "athena" {
		if len(paths) > 0 {
			return usagef("Athena reads the logs where they are in S3: flowsql athena ddl makes the table", "--engine athena takes no flow-log paths")
		}
		return runOnAthena(ctx, e, q, vals, filters, rf, now)
	}
	if rf.athena.engine != "duckdb" {
		return usagef("", "--engine %q: duckdb (local) or athena", rf.athena.engine)
	}
	addrFlag := "--cidr"
	for _, p := range q.Params {
		if p.Type == "addr" {
			addrFlag = queries.FlagName(p.Name)
			break
		}
	}
	db, err := openAndLoad(ctx, e, "report", *rf.db, paths, rf.load, addrFlag)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := set.Prepare(ctx, db, name, vals, filters)
	if err != nil {
		var ae *queries.ArgError
		if errors.As(err, &ae) {
			return usagef(fmt.Sprintf("Run 'flowsql report %s -h' for its parameters.", name), "%s", ae.Error())
		}
		return err
	}
	for _, n := range p.Notes {
		fmt.Fprintf(e.stderr, "flowsql report %s: %s\n", name, n)
	}
	if rf.showSQL {
		fmt.Fprintf(e.stderr, "%s;\n", p.Inline())
	}
	rows, err := writeResult(ctx, e, db, rf.output, p.SQL, p.Args...)
	if note := p.LimitNote(rows); err == nil && note != "" {
		fmt.Fprintf(e.stderr, "flowsql report %s: %s\n", name, note)
	}
	return err
}

// reportUsage is the help text of one report: what it answers, its parameters, and a pointer
// to the flags every report takes.
func reportUsage(q *queries.Query) string {
	var b strings.Builder
	b.WriteString(strings.Join(words.Wrap(q.Description, 95), "\n"))
	if len(q.Params) > 0 {
		b.WriteString("\n\nParameters:\n")
		width := 0
		names := make([]string, len(q.Params))
		for i, p := range q.Params {
			names[i] = queries.FlagName(p.Name) + " " + queries.Placeholder(p)
			width = max(width, len(names[i]))
		}
		for i, p := range q.Params {
			line := fmt.Sprintf("  %-*s  %s", width, names[i], p.Description)
			switch {
			case p.Required():
				line += " (required)"
			case p.Default != "":
				line += fmt.Sprintf(" (default %s)", p.Default)
			}
			if p.Type == "choice" {
				line += " One of: " + strings.Join(p.Choices, ", ") + "."
			}
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("\nThe other flags below are those of every report (see 'flowsql report -h').")
	if !q.Filters {
		b.WriteString(" This report reads the load records, not flow records,\nso the time, account, interface, CIDR and WHERE filters do not apply.")
	}
	return b.String()
}

// listReports prints the reports with their descriptions and parameters.
func listReports(w io.Writer, set *queries.Set) {
	fmt.Fprintln(w, "Reports (flowsql report NAME [--param value ...] [PATH ...]):")
	set.Describe(w)
}
