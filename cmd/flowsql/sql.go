package main

import (
	"context"
	"io"
	"strings"

	"github.com/flowsql/flowsql/internal/output"
)

const sqlAbout = `
Run one SQL statement against the database and print its result.

The database is DuckDB: its whole SQL dialect works, plus flowsql's tables and macros:
  flows, tgw_flows        one row per flow-log record (fields as columns: account_id, pkt_srcaddr, ...;
                          addresses also as integers: src_ip, dst_ip; start_time and end_time)
  ingested_files          one row per loaded file; load_errors: lines that could not be read
  in_cidr(addr, cidr)     ip_text(ip, ip6)   is_private_ip(addr)   protocol_name(p)

A statement of "-" is read from standard input. The database is opened read-only, so that
several readers can share it; --write opens it to change it.

Examples:
  flowsql sql 'SELECT dstaddr, sum(bytes) AS bytes FROM flows GROUP BY ALL ORDER BY 2 DESC LIMIT 10'
  flowsql sql --format csv "SELECT * FROM flows WHERE in_cidr(srcaddr, '10.0.0.0/16')" > out.csv
  flowsql sql - < query.sql`

func runSQL(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "sql", "[flags] 'STATEMENT'", sqlAbout)
	db := dbFlag(fs, e)
	format := fs.String("format", "table", "output `FORMAT`: table, csv, json, ndjson, markdown, line")
	maxRows := fs.Int("max-rows", 0, "print at most `N` rows of a table (0: all)")
	write := fs.Bool("write", false, "open the database for writing (CREATE, INSERT, ...): it then needs the file to itself")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	f, err := output.ParseFormat(*format)
	if err != nil {
		return usagef("", "%v", err)
	}
	stmt := strings.TrimSpace(strings.Join(pos, " "))
	if stmt == "-" {
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return err
		}
		stmt = strings.TrimSpace(string(b))
	}
	if stmt == "" {
		return usagef(`Example: flowsql sql 'SELECT count(*) FROM flows'`, "no SQL statement")
	}
	mode := readDB
	if *write {
		mode = writeDB
	}
	conn, err := e.openDB(ctx, *db, mode)
	if err != nil {
		return err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, stmt)
	if err != nil {
		return err
	}
	limit := 0
	if f == output.Table {
		limit = *maxRows
	}
	res, err := output.Read(rows, limit)
	if err != nil {
		return err
	}
	return output.Write(e.stdout, res, f, output.Options{Footer: f == output.Table})
}
