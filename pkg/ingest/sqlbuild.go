package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
)

// The statements that load a group of files: a table function that reads them (read_csv over
// the screened streams, or read_parquet), and the INSERT that turns its columns into a segment
// table's (each address as its key, the file's id).

// source is a table function call reading a group's files, with its arguments.
type source struct {
	sql  string
	args []any
	// expr returns the SQL expression that yields a field's value from the source.
	expr func(Field) string
	// keyed is set when the source gives each address field as its key and its text (a
	// screened stream: see encode.go); otherwise the key function turns the text into keys.
	keyed bool
}

// rejectTables names the temporary tables read_csv writes rejected lines into.
type rejectTables struct{ errors, scans string }

func (r rejectTables) options() string {
	return fmt.Sprintf("store_rejects = true, rejects_table = '%s', rejects_scan = '%s'", r.errors, r.scans)
}

func (r rejectTables) drop(ctx context.Context, tx *sql.Tx) error {
	for _, t := range []string{r.errors, r.scans} {
		if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS temp."+t); err != nil {
			return err
		}
	}
	return nil
}

// csvRejects are the tables read_csv writes the lines it could not convert into.
var csvRejects = rejectTables{"flowsql_rejects", "flowsql_reject_scans"}

// tsColumn is the time that starts each line of a CloudWatch Logs export: read, not loaded.
var tsColumn = Field{Name: "flowsql_ts", Column: "flowsql_ts", Type: typeText}

// csvSource reads screened streams (see screen.go) with DuckDB's CSV reader: the fields, each
// address as its key and text (streamFields), separated by one space, "-" for NULL. A line
// whose values do not convert to the fields' types goes to the rejects tables.
func csvSource(paths []string, k Kind, fields []Field) source {
	var cols []string
	for _, c := range streamFields(k, fields) {
		cols = append(cols, fmt.Sprintf("%s: '%s'", quoteString(c.Name), c.Type))
	}
	q := fmt.Sprintf(`read_csv(?::VARCHAR[], delim = ' ', quote = '', escape = '', header = false, auto_detect = false,
        nullstr = '-', compression = 'none', columns = {%s}, %s)`, strings.Join(cols, ", "), csvRejects.options())
	return source{sql: q, args: []any{paths}, keyed: true, expr: func(fd Field) string { return quoteIdent(fd.Name) }}
}

type parquetColumn struct{ name, typ string }

func parquetSchema(ctx context.Context, tx *sql.Tx, path string) ([]parquetColumn, error) {
	rows, err := tx.QueryContext(ctx, `DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)`, path)
	if err != nil {
		return nil, &statementError{fmt.Errorf("%s: %w", path, err)}
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []parquetColumn
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, parquetColumn{name: fmt.Sprint(vals[0]), typ: fmt.Sprint(vals[1])})
	}
	return out, rows.Err()
}

// pathColumn marks, among a Parquet group's columns, a field whose value comes from the files'
// paths (a Hive partition directory, account_id=...) rather than from the files.
const pathColumn = "path"

// exportColumns are the columns flowsql adds to the records it exports (flowsql export), and
// the date and hour its partitioned exports add: they are derived again when the export loads,
// so a Parquet file of flow records skips them.
var exportColumns = map[string]bool{"date": true, "hour": true}

var partitionDir = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=([^/]*)$`)

// parquetFields sorts a Parquet file's columns into those that load as fields, dropping what
// flowsql derives (when the file holds flow records, as its exports do), and returns the
// fields that its path gives in Hive partition directories (account_id=123456789012, as
// flowsql export --partition-by writes) and the file lacks, with their values.
func parquetFields(cols []parquetColumn, uri string) ([]parquetColumn, [][2]string) {
	have := map[string]bool{}
	for _, c := range cols {
		have[c.name] = true
	}
	records := have["srcaddr"] || have["dstaddr"] || have["interface_id"]
	var keep []parquetColumn
	for _, c := range cols {
		if records && (derivedColumns[c.name] || exportColumns[c.name]) {
			continue
		}
		keep = append(keep, c)
	}
	var fromPath [][2]string
	for _, dir := range strings.Split(filepath.ToSlash(filepath.Dir(uri)), "/") {
		m := partitionDir.FindStringSubmatch(dir)
		if m == nil || have[m[1]] || derivedColumns[m[1]] || exportColumns[m[1]] {
			continue
		}
		if _, known := vpcByName[fieldName(m[1])]; !known {
			continue // AWS's own partition names (aws-account-id, year, ...) repeat what the file holds
		}
		value, err := url.PathUnescape(m[2])
		if err != nil {
			value = m[2]
		}
		fromPath = append(fromPath, [2]string{m[1], value})
		have[m[1]] = true
	}
	return keep, fromPath
}

// parquetSource reads Parquet files, casting each column to the field's type: AWS writes
// typed columns, other writers strings, and a missing value may be NULL or "-". A field that
// the files' paths give takes each file's value from the list in the statement's arguments.
func parquetSource(paths []string, types map[string]string, tasks []*task) source {
	q := `read_parquet(?::VARCHAR[], hive_partitioning = false, union_by_name = true)`
	return source{sql: q, args: []any{paths}, expr: func(fd Field) string {
		if types[fd.Column] == pathColumn {
			values := make([]string, len(tasks))
			for i, t := range tasks {
				values[i] = "NULL"
				for _, kv := range t.fromPath {
					if kv[0] == fd.Column {
						values[i] = quoteString(kv[1])
					}
				}
			}
			v := fmt.Sprintf("([%s]::VARCHAR[])[CAST(file_index AS BIGINT) + 1]", strings.Join(values, ", "))
			if fd.Type == typeText {
				return v
			}
			return fmt.Sprintf("TRY_CAST(%s AS %s)", v, fd.Type)
		}
		col := quoteIdent(parquetColumnOf(fd, types))
		src := types[parquetColumnOf(fd, types)]
		asText := fmt.Sprintf("NULLIF(NULLIF(CAST(%s AS VARCHAR), '-'), '')", col)
		switch {
		case fd.Type == typeText:
			return asText
		case isIntegerType(src):
			return fmt.Sprintf("CAST(%s AS %s)", col, fd.Type)
		default:
			return fmt.Sprintf("TRY_CAST(%s AS %s)", asText, fd.Type)
		}
	}}
}

// parquetColumnOf finds the Parquet column of a field: underscore names, or hyphenated ones.
func parquetColumnOf(fd Field, types map[string]string) string {
	if _, ok := types[fd.Column]; ok {
		return fd.Column
	}
	return fd.Name
}

func isIntegerType(t string) bool {
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT":
		return true
	}
	return false
}

// insertSQL builds the INSERT that loads a source's rows into a table: each field's value,
// each address as its integer key (keyFunc gives it), and the file's id. ids holds the
// file_id of each file of the source, in order.
func insertSQL(table string, cols []column, src source, keyFunc string, ids []int64) (string, []any) {
	var names, exprs []string
	var args []any
	for _, c := range cols {
		names = append(names, quoteIdent(c.name))
		switch c.role {
		case plainColumn:
			exprs = append(exprs, src.expr(c.field))
		case addrKeyColumn:
			if src.keyed {
				exprs = append(exprs, src.expr(c.field))
				break
			}
			exprs = append(exprs, fmt.Sprintf("%s(%s)", keyFunc, src.expr(c.field)))
		case addrTextColumn:
			if src.keyed {
				exprs = append(exprs, quoteIdent(c.field.Name+" text"))
				break
			}
			e := src.expr(c.field)
			exprs = append(exprs, fmt.Sprintf("CASE WHEN %s(%s) < 0 THEN %s END", keyFunc, e, e))
		case fileIDColumn:
			if contiguous(ids) {
				exprs = append(exprs, "CAST(? AS INTEGER) + CAST(file_index AS INTEGER)")
				args = append(args, ids[0])
			} else {
				exprs = append(exprs, "(?::INTEGER[])[CAST(file_index AS BIGINT) + 1]")
				args = append(args, ids)
			}
		}
	}
	args = append(args, src.args...)
	q := fmt.Sprintf("INSERT INTO %s (%s)\nSELECT %s\nFROM %s", quoteIdent(table),
		strings.Join(names, ", "), strings.Join(exprs, ",\n       "), src.sql)
	return q, args
}

func contiguous(ids []int64) bool {
	for i := range ids {
		if ids[i] != ids[0]+int64(i) {
			return false
		}
	}
	return len(ids) > 0
}

func taskIDs(tasks []*task) []int64 {
	ids := make([]int64, len(tasks))
	for i, t := range tasks {
		ids[i] = t.id
	}
	return ids
}
