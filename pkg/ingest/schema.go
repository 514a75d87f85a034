package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// The tables that loading writes. flows and tgw_flows hold one row per record: every field of
// the format (known fields typed, unknown ones as text), the addresses also as integers, the
// start and end as timestamps, and where the row came from.
const (
	TableFlows    = "flows"
	TableTGWFlows = "tgw_flows"
	TableFiles    = "ingested_files"
	TableErrors   = "load_errors"
)

const filesDDL = `CREATE TABLE IF NOT EXISTS ingested_files (
    file_id        INTEGER,   -- flows.file_id of this file's rows
    uri            VARCHAR,   -- absolute path or s3://bucket/key
    size           BIGINT,
    modified       TIMESTAMP, -- modification time (local) or LastModified (S3)
    etag           VARCHAR,
    container      VARCHAR,   -- text, text+gzip, parquet, json, json+gzip
    header         VARCHAR,   -- the header line, or the format given for headerless files
    target         VARCHAR,   -- flows or tgw_flows
    rows_loaded    BIGINT,
    rows_rejected  BIGINT,    -- lines that no parse could read (see load_errors)
    rows_recovered BIGINT,    -- lines the fast parser rejected and the tolerant parse read
    nodata         BIGINT,    -- NODATA records: an interface with no traffic in the window
    skipdata       BIGINT,    -- SKIPDATA records: AWS skipped records in the window
    first_start    TIMESTAMP,
    last_end       TIMESTAMP,
    account        VARCHAR,   -- from the S3 key or file name
    region         VARCHAR,
    log_date       DATE,
    flow_log_id    VARCHAR,
    load_seconds   DOUBLE,    -- the file's share, by size, of its batch's load time
    loaded_at      TIMESTAMP
)`

const errorsDDL = `CREATE TABLE IF NOT EXISTS load_errors (
    uri       VARCHAR,  -- the file
    line      BIGINT,   -- line number in the file (record number for JSON); NULL when the whole file failed
    raw       VARCHAR,  -- the line as read
    reason    VARCHAR,
    logged_at TIMESTAMP
)`

// EnsureSchema creates the tables that loads write, if they do not exist yet.
func EnsureSchema(ctx context.Context, db *sql.DB) error {
	ok, err := flowdb.TableExists(ctx, db, TableFlows)
	if err != nil || ok {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := []string{
		`CREATE TYPE flow_action AS ENUM ('ACCEPT', 'REJECT')`,
		`CREATE TYPE flow_log_status AS ENUM ('OK', 'NODATA', 'SKIPDATA')`,
		recordTableDDL(TableFlows, vpcFields, true),
		recordTableDDL(TableTGWFlows, tgwFields, false),
		filesDDL,
		errorsDDL,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	return tx.Commit()
}

// recordTableDDL builds the CREATE TABLE of a record table from its fields.
func recordTableDDL(table string, fields []Field, pkt bool) string {
	var cols []string
	for _, f := range fields {
		cols = append(cols, fmt.Sprintf("%s %s", flowdb.QuoteIdent(f.Column), f.Type))
	}
	cols = append(cols,
		`start_time TIMESTAMP GENERATED ALWAYS AS (make_timestamp("start" * 1000000)) VIRTUAL`,
		`end_time TIMESTAMP GENERATED ALWAYS AS (make_timestamp("end" * 1000000)) VIRTUAL`)
	for _, a := range addressColumns {
		if !pkt && strings.HasPrefix(a.text, "pkt_") {
			continue
		}
		// IPv6 integers are stored uncompressed: DuckDB's bit-packing of 128-bit integers
		// makes scans of clustered addresses (one VPC's /56) ten times slower.
		cols = append(cols, a.prefix+" UINTEGER", a.prefix+"6 UHUGEINT USING COMPRESSION uncompressed")
	}
	cols = append(cols, "file_id INTEGER", "source_file VARCHAR", "source_account VARCHAR",
		"source_region VARCHAR", "source_date DATE")
	return "CREATE TABLE " + table + " (\n    " + strings.Join(cols, ",\n    ") + "\n)"
}

// ensureColumns adds text columns for fields the table does not have yet (unknown fields).
func ensureColumns(ctx context.Context, tx *sql.Tx, table string, fields []Field) error {
	rows, err := tx.QueryContext(ctx,
		`SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?`, table)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		have[c] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range fields {
		if have[f.Column] {
			continue
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s VARCHAR", table, flowdb.QuoteIdent(f.Column))); err != nil {
			return fmt.Errorf("add column %s to %s: %w", f.Column, table, err)
		}
	}
	return nil
}
