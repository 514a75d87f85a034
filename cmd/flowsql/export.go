package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/flowsql/flowsql/internal/flowdb"
	"github.com/flowsql/flowsql/internal/words"
)

const exportAbout = `
Write a table, a view or the result of a query to Parquet (zstd), for Athena, Spark, pandas or
another DuckDB, or to CSV or JSON: --out's extension says which (.parquet, .csv, .json for one
JSON array, .ndjson for one object per line). The source is the flows view unless a table, view
or SELECT statement is given. flowsql load reads its own Parquet exports back.

With --partition-by, --out names a directory that receives a Hive-partitioned data set
(account_id=.../date=.../data_0.parquet), which those tools read with partition pruning. A
partition column that the source lacks may be date or hour: they come from start_time.

Examples:
  flowsql export --out flows.parquet
  flowsql export --out lake/ --partition-by account_id,date
  flowsql export --out nat.parquet "SELECT * FROM flows WHERE dstaddr = '10.0.101.10'"
  flowsql export --out files.parquet ingested_files`

// exportFormats are the COPY options for each extension --out may have.
var exportFormats = map[string]string{
	".parquet": "FORMAT parquet, COMPRESSION zstd",
	".csv":     "FORMAT csv, HEADER true",
	".json":    "FORMAT json, ARRAY true",
	".ndjson":  "FORMAT json",
}

var queryStart = regexp.MustCompile(`(?i)^\s*(select|with|from|values|\()`)

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "export", "[flags] [TABLE | 'SELECT ...']", exportAbout)
	db := dbFlag(fs, e)
	out := fs.String("out", "", "the `FILE` to write (.parquet, .csv, .json, .ndjson), or the directory for a partitioned data set (required)")
	partition := fs.String("partition-by", "", "write a Hive-partitioned directory, by these comma-separated `COLUMNS` (date and hour are derived from start_time)")
	overwrite := fs.Bool("overwrite", false, "replace what is already at --out")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("Example: flowsql export --out flows.parquet", "--out is required")
	}
	copyFormat, ok := exportFormats[strings.ToLower(filepath.Ext(*out))]
	switch {
	case *partition != "" && filepath.Ext(*out) != "":
		return usagef("Example: --out lake/ --partition-by account_id,date", "--out %s: a partitioned data set is a directory of Parquet files; name a directory", *out)
	case *partition != "":
		copyFormat = "FORMAT parquet, COMPRESSION zstd"
	case !ok:
		return usagef("Example: --out flows.parquet", "--out %s: name the file .parquet, .csv, .json or .ndjson", *out)
	}
	if len(pos) > 1 {
		return usagef(`Quote a query: flowsql export --out x.parquet "SELECT ..."`, "give one table or query, not %d arguments", len(pos))
	}
	source := "flows"
	if len(pos) == 1 {
		source = pos[0]
	}
	from := flowdb.QuoteIdent(source)
	if queryStart.MatchString(source) {
		from = "(" + strings.TrimSuffix(strings.TrimSpace(source), ";") + ")"
	}
	if _, err := os.Stat(*out); err == nil && !*overwrite {
		return usagef("Add --overwrite to replace it.", "%s already exists", *out)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := checkOutDir(filepath.Clean(*out)); err != nil {
		return err
	}
	conn, err := e.openDB(ctx, *db, readDB)
	if err != nil {
		return err
	}
	defer conn.Close()

	var cols []string
	rows, err := conn.QueryContext(ctx, "SELECT * FROM "+from+" AS source LIMIT 0")
	if err != nil {
		return err
	}
	cols, _ = rows.Columns()
	rows.Close()

	selectList := "*"
	options := []string{copyFormat}
	if *partition != "" {
		var parts []string
		for _, p := range strings.Split(*partition, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if !slices.Contains(cols, p) {
				derived, ok := map[string]string{"date": "CAST(start_time AS DATE)", "hour": "hour(start_time)"}[p]
				if !ok || !slices.Contains(cols, "start_time") {
					return usagef("Its columns: "+strings.Join(cols, ", "), "--partition-by: the source has no column %q", p)
				}
				selectList += fmt.Sprintf(", %s AS %s", derived, flowdb.QuoteIdent(p))
			}
			parts = append(parts, flowdb.QuoteIdent(p))
		}
		options = append(options, "PARTITION_BY ("+strings.Join(parts, ", ")+")")
		if *overwrite {
			options = append(options, "OVERWRITE true")
		}
	} else if *overwrite {
		os.Remove(*out)
	}
	var n int64
	copySQL := fmt.Sprintf("COPY (SELECT %s FROM %s AS source) TO %s (%s)", selectList, from, flowdb.QuoteString(*out), strings.Join(options, ", "))
	if err := conn.QueryRowContext(ctx, copySQL).Scan(&n); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s to %s\n", words.Plural(n, "row"), *out)
	if *partition != "" {
		notes, err := defaultPartitions(ctx, conn, *out)
		if err != nil {
			return err
		}
		for _, n := range notes {
			fmt.Fprintf(e.stderr, "flowsql export: %s\n", n)
		}
	}
	return nil
}

// hiveDefault is the partition value DuckDB (like Hive) writes for NULL.
const hiveDefault = "__HIVE_DEFAULT_PARTITION__"

// defaultPartitions says, of a partitioned data set written to dir, how many rows have no
// value of a partition column (date and hour: records without a start time), which went to
// its column=__HIVE_DEFAULT_PARTITION__ directories.
func defaultPartitions(ctx context.Context, conn *sql.DB, dir string) ([]string, error) {
	byColumn := map[string][]string{}
	var order []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".parquet" {
			return err
		}
		for _, part := range strings.Split(filepath.ToSlash(filepath.Dir(path)), "/") {
			if col, ok := strings.CutSuffix(part, "="+hiveDefault); ok {
				if _, seen := byColumn[col]; !seen {
					order = append(order, col)
				}
				byColumn[col] = append(byColumn[col], path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var notes []string
	for _, col := range order {
		var rows int64
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet(?::VARCHAR[], hive_partitioning = false)", byColumn[col]).Scan(&rows); err != nil {
			return nil, err
		}
		why := ""
		if col == "date" || col == "hour" {
			why = " (records without a start time)"
		}
		notes = append(notes, fmt.Sprintf("%s %s no %s%s: %s=%s/ holds those (Athena, Spark and DuckDB read the value as NULL)",
			words.Plural(rows, "row"), words.Has(rows), col, why, col, hiveDefault))
	}
	return notes, nil
}
