package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowsql/flowsql/internal/flowdb"
	"github.com/flowsql/flowsql/internal/output"
	"github.com/flowsql/flowsql/internal/words"
)

// outputFlags are the flags of every command that prints a result.
type outputFlags struct {
	format string
	out    string
	human  bool
	// optional columns are left out of tables for people when every row is NULL.
	optional []string
}

func (o *outputFlags) register(fs interface {
	StringVar(*string, string, string, string)
}, defaultFormat string) {
	fs.StringVar(&o.format, "format", defaultFormat, "output `FORMAT`: table, csv, json, ndjson, markdown, line")
	fs.StringVar(&o.out, "out", "", "write the result to `FILE` instead of stdout, in the format its extension names: .parquet, .csv, .json, .ndjson, .md")
}

// check validates the flags before any work is done.
func (o *outputFlags) check() error {
	if _, err := output.ParseFormat(o.format); err != nil {
		return usagef("", "--format: %v", err)
	}
	if o.out != "" {
		ext := strings.ToLower(filepath.Ext(o.out))
		if _, ok := output.ForFile(o.out); !ok && ext != ".parquet" {
			return usagef("Example: --out top.parquet", "--out %s: name the file .parquet, .csv, .json, .ndjson or .md", o.out)
		}
		return checkOutDir(o.out)
	}
	return nil
}

// checkOutDir fails, before any work is done, when the directory that --out names a file in
// does not exist.
func checkOutDir(out string) error {
	dir := filepath.Dir(out)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return usagef(fmt.Sprintf("Create it first (mkdir -p %s), or name a file in another directory.", dir), "--out %s: the directory %s does not exist", out, dir)
	}
	return nil
}

// writeResult runs a query and writes its result as the flags say: to stdout in --format, or
// to --out in the format of its extension (Parquet through DuckDB's COPY, zstd-compressed).
func writeResult(ctx context.Context, e *env, db *sql.DB, o outputFlags, query string, args ...any) (rows int64, err error) {
	if o.out != "" && strings.EqualFold(filepath.Ext(o.out), ".parquet") {
		return copyToParquet(ctx, e, db, o.out, query, args...)
	}
	r, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	res, err := output.Read(r, 0)
	if err != nil {
		return 0, err
	}
	return int64(len(res.Rows)), writeRows(e, o, res)
}

// writeRows writes a result read already, as writeResult does (but for Parquet).
func writeRows(e *env, o outputFlags, res *output.Result) error {
	f, _ := output.ParseFormat(o.format)
	w := e.stdout
	if o.out != "" {
		if strings.EqualFold(filepath.Ext(o.out), ".parquet") {
			return usagef("Example: --out result.csv", "--out %s: Parquet is written by the local engine; name the file .csv, .json, .ndjson or .md", o.out)
		}
		f, _ = output.ForFile(o.out)
		file, err := os.Create(o.out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	var err error
	if o.human && o.out == "" {
		err = output.WriteReport(w, res, f, o.optional)
	} else {
		err = output.Write(w, res, f, output.Options{Footer: f == output.Table && o.out == ""})
	}
	if err != nil {
		return err
	}
	if o.out != "" {
		fmt.Fprintf(e.stderr, "wrote %s to %s\n", plural(len(res.Rows), "row"), o.out)
	}
	return nil
}

// copyToParquet writes a query's result to a Parquet file.
func copyToParquet(ctx context.Context, e *env, db *sql.DB, path, query string, args ...any) (int64, error) {
	n, err := flowdb.CopyToParquet(ctx, db, path, query, args...)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(e.stderr, "wrote %s to %s\n", words.Plural(n, "row"), path)
	return n, nil
}
