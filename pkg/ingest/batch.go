package ingest

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// group is the files of a batch that share a format and load with one statement.
type group struct {
	format  Format
	tasks   []*task
	parquet map[string]string // Parquet column -> DuckDB type, for Parquet groups
	table   string            // the table the group's rows go into
}

// statementError is a load statement that failed on the data (as opposed to the database).
type statementError struct{ err error }

func (e *statementError) Error() string { return e.err.Error() }
func (e *statementError) Unwrap() error { return e.err }

// culprit returns the task whose file the error names, if any.
func (e *statementError) culprit(tasks []*task) *task {
	msg := e.err.Error()
	var best *task
	for _, t := range tasks {
		if strings.Contains(msg, t.readPath) && (best == nil || len(t.readPath) > len(best.readPath)) {
			best = t
		}
	}
	return best
}

// reason is the first line of DuckDB's message, which is the useful part.
func (e *statementError) reason() string {
	msg, _, _ := strings.Cut(e.err.Error(), "\n")
	return "DuckDB could not read it: " + msg
}

// fatalPattern matches errors that no change of input would avoid.
var fatalPattern = regexp.MustCompile(`(?i)out of memory|no space left|could not write|disk full|database is closed|INTERNAL Error|FATAL Error`)

func asStatementError(err error) error {
	if err == nil || fatalPattern.MatchString(err.Error()) {
		return err
	}
	return &statementError{err}
}

// attempt loads tasks in one transaction. It commits, or rolls back and says why.
func (l *loader) attempt(ctx context.Context, tasks []*task) error {
	began := time.Now()
	tx, err := l.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	committed := false
	defer func() {
		if !committed {
			l.keys.Discard() // the address ids this attempt gave out were rolled back
		}
	}()

	// What an earlier load left for these files: errors, and rows a forced reload replaces.
	for _, t := range tasks {
		if _, err := tx.ExecContext(ctx, `DELETE FROM load_errors WHERE uri = ?`, t.file.URI); err != nil {
			return err
		}
		if t.oldID < 0 {
			continue
		}
		if t.oldTable != "" {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE file_id = ?", quoteIdent(t.oldTable)), t.oldID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ingested_files WHERE file_id = ?`, t.oldID); err != nil {
			return err
		}
	}

	waitVerify := func() map[*task]string { return nil }
	if l.opts.VerifyGzip {
		waitVerify = verifyAsync(tasks, true)
	}
	groups, err := l.group(ctx, tx, tasks)
	if err != nil {
		waitVerify()
		return err
	}
	id := l.nextID
	for _, g := range groups {
		for _, t := range g.tasks {
			t.id = id
			t.rows, t.rejected, t.recovered, t.nodata, t.skipdata, t.firstPassRejects = 0, 0, 0, 0, 0, 0
			t.lineErrors = nil
			id++
		}
	}
	stopWatch := l.watchProgress(tasks)
	for _, g := range groups {
		if err := l.insertGroup(ctx, tx, g); err != nil {
			stopWatch()
			waitVerify()
			return err
		}
	}
	stopWatch()
	bad := waitVerify()
	if err := l.countRows(ctx, tx, groups); err != nil {
		return err
	}
	if !l.opts.VerifyGzip {
		// DuckDB's gzip reader checks neither CRC nor length, so a truncated or corrupt file
		// could load in part. Reading every file again in Go would cost a quarter of the load;
		// instead the files that look wrong are checked: those with rejected lines (a cut
		// ends mid-line, corrupt data rarely parses) and those whose gzip trailer gives a
		// length that their rows cannot explain.
		var suspects []*task
		for _, t := range tasks {
			if t.sn.gzip && t.sn.container == containerText && (t.firstPassRejects > 0 || !plausibleLength(t)) {
				suspects = append(suspects, t)
			}
		}
		bad = verifyAsync(suspects, false)()
	}
	if len(bad) > 0 {
		var failed []*task
		for t, reason := range bad {
			l.fail(t, reason)
			t.lineErrors = nil // lines of a corrupt stream say nothing about the log
			failed = append(failed, t)
		}
		return &errFileFailed{failed}
	}
	var unreadable []*task
	for _, t := range tasks {
		if t.rows == 0 && t.rejected > 0 {
			l.fail(t, fmt.Sprintf("no line of it reads as a %s flow log with fields: %s", t.format.Kind, clip(t.format.String(), 120)))
			unreadable = append(unreadable, t)
		}
	}
	if len(unreadable) > 0 {
		return &errFileFailed{unreadable}
	}
	if err := l.writeManifest(ctx, tx, tasks, time.Since(began)); err != nil {
		return err
	}
	if err := l.keys.Save(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	committed = true
	l.keys.Saved()
	l.nextID = id
	l.mu.Lock()
	for _, t := range tasks {
		r := &l.sum.Results[t.index]
		r.Status, r.Table = Loaded, t.format.Kind.Table()
		r.Rows, r.Rejected, r.Recovered = t.rows, t.rejected, t.recovered
		l.sum.Loaded++
		l.sum.Rows += t.rows
		l.sum.Rejected += t.rejected
		l.sum.Recovered += t.recovered
		l.sum.Bytes += t.file.Size
		l.progress.FilesDone++
		l.progress.BytesDone += t.file.Size
		l.progress.Rows += t.rows
	}
	l.mu.Unlock()
	if l.opts.Done != nil {
		for _, t := range tasks {
			l.opts.Done(l.sum.Results[t.index])
		}
	}
	l.report()
	return nil
}

// group splits tasks by format. Parquet files are grouped by their schema, read here.
func (l *loader) group(ctx context.Context, tx *sql.Tx, tasks []*task) ([]*group, error) {
	byKey := map[string]*group{}
	var order []string
	for _, t := range tasks {
		var key string
		var pq map[string]string
		if t.sn.container == containerParquet {
			cols, err := parquetSchema(ctx, tx, t.readPath)
			if err != nil {
				return nil, err
			}
			cols, fromPath := parquetFields(cols, t.file.URI)
			names := make([]string, 0, len(cols)+len(fromPath))
			for _, c := range cols {
				names = append(names, fieldName(c.name))
			}
			for _, kv := range fromPath {
				names = append(names, fieldName(kv[0]))
			}
			f, err := newFormat(names)
			if err != nil {
				return nil, &statementError{fmt.Errorf("%s: %w", t.readPath, err)}
			}
			t.format, t.header, t.fromPath = f, true, fromPath
			pq = map[string]string{}
			var sig []string
			for _, c := range cols {
				pq[c.name] = c.typ
				sig = append(sig, c.name+" "+c.typ)
			}
			for _, kv := range fromPath {
				pq[kv[0]] = pathColumn
				sig = append(sig, kv[0]+" "+pathColumn)
			}
			key = "parquet\x00" + strings.Join(sig, ",")
		} else {
			key = fmt.Sprintf("text\x00%s\x00%v\x00%v\x00%v", t.format, t.header, t.sn.gzip, t.sn.tsPrefix)
		}
		g, ok := byKey[key]
		if !ok {
			g = &group{format: t.format, parquet: pq}
			byKey[key] = g
			order = append(order, key)
		}
		g.tasks = append(g.tasks, t)
	}
	out := make([]*group, len(order))
	for i, k := range order {
		out[i] = byKey[k]
	}
	return out, nil
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

// source is a table function call reading a group's files, with its arguments.
type source struct {
	sql  string
	args []any
	// expr returns the SQL expression that yields a field's value from the source.
	expr func(Field) string
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

var (
	firstPass  = rejectTables{"flowsql_rejects", "flowsql_reject_scans"}
	secondPass = rejectTables{"flowsql_rejects2", "flowsql_reject_scans2"}
)

// csvSource reads space-separated text with DuckDB's CSV reader. prefix columns are read and
// not loaded: the line number of recovered lines, the timestamp of CloudWatch exports.
func csvSource(paths []string, f Format, prefix []Field, header, gzip bool, rejects rejectTables) source {
	var cols []string
	for _, c := range append(slices.Clone(prefix), f.Fields...) {
		cols = append(cols, fmt.Sprintf("%s: '%s'", quoteString(c.Name), c.Type))
	}
	compression := "none"
	if gzip {
		compression = "gzip"
	}
	q := fmt.Sprintf(`read_csv(?::VARCHAR[], delim = ' ', quote = '', escape = '', header = %v, auto_detect = false,
        nullstr = '-', compression = '%s', columns = {%s}, %s)`,
		header, compression, strings.Join(cols, ", "), rejects.options())
	return source{sql: q, args: []any{paths}, expr: func(fd Field) string { return quoteIdent(fd.Name) }}
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
			exprs = append(exprs, fmt.Sprintf("%s(%s)", keyFunc, src.expr(c.field)))
		case addrTextColumn:
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

var tsColumn = Field{Name: "flowsql_ts", Column: "flowsql_ts", Type: typeText}

// insertGroup loads a group of files with one statement, then gives the lines DuckDB's CSV
// reader rejected a second, tolerant parse.
func (l *loader) insertGroup(ctx context.Context, tx *sql.Tx, g *group) error {
	table, cols, err := ensureSegment(ctx, tx, g.format)
	if err != nil {
		return err
	}
	g.table = table
	for _, t := range g.tasks {
		t.table = table
	}
	paths := make([]string, len(g.tasks))
	for i, t := range g.tasks {
		paths[i] = t.readPath
	}
	t0 := g.tasks[0]
	var src source
	if g.parquet != nil {
		src = parquetSource(paths, g.parquet, g.tasks)
	} else {
		if err := firstPass.drop(ctx, tx); err != nil {
			return err
		}
		var prefix []Field
		if t0.sn.tsPrefix {
			prefix = []Field{tsColumn}
		}
		src = csvSource(paths, g.format, prefix, t0.header, t0.sn.gzip, firstPass)
	}
	q, args := insertSQL(table, cols, src, l.keys.Func(), taskIDs(g.tasks))
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return asStatementError(err)
	}
	if g.parquet != nil {
		return nil
	}
	return l.recoverRejects(ctx, tx, g, cols)
}

// A rejected line is read again with fields split on runs of whitespace (FLOWLOGS.md: one of
// AWS's own examples has a double space). Lines that still do not read go to load_errors.
func (l *loader) recoverRejects(ctx context.Context, tx *sql.Tx, g *group, cols []column) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM temp."+firstPass.errors).Scan(&n); err != nil || n == 0 {
		return err
	}
	byPath := map[string]*task{}
	for _, t := range g.tasks {
		byPath[t.readPath] = t
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`
        SELECT s.file_path, e.line, any_value(e.csv_line)
        FROM temp.%s e JOIN temp.%s s ON e.scan_id = s.scan_id AND e.file_id = s.file_id
        GROUP BY ALL ORDER BY 1, 2`, firstPass.errors, firstPass.scans))
	if err != nil {
		return err
	}
	want := len(g.format.Fields)
	if g.tasks[0].sn.tsPrefix {
		want++
	}
	type lineKey struct {
		t    *task
		line int64
	}
	raw := map[lineKey]string{}
	var errs []loadError
	recFiles := map[*task]*bufio.Writer{}
	var recOrder []*task
	var closers []*os.File
	defer func() {
		for _, f := range closers {
			f.Close()
		}
	}()
	for rows.Next() {
		var path string
		var line sql.NullInt64
		var text sql.NullString
		if err := rows.Scan(&path, &line, &text); err != nil {
			rows.Close()
			return err
		}
		t := byPath[path]
		if t == nil || !line.Valid {
			continue
		}
		fields := strings.Fields(text.String)
		t.firstPassRejects++
		t.recovered++ // counted back down for each line that fails again
		if len(fields) != want {
			errs = append(errs, loadError{URI: t.file.URI, Line: line.Int64, Raw: text.String,
				Reason: fmt.Sprintf("expected %d fields, found %d", want, len(fields))})
			continue
		}
		w := recFiles[t]
		if w == nil {
			f, err := os.Create(fmt.Sprintf("%s/recover-%d.log", l.tmp, t.id))
			if err != nil {
				rows.Close()
				return err
			}
			closers = append(closers, f)
			w = bufio.NewWriter(f)
			recFiles[t] = w
			recOrder = append(recOrder, t)
		}
		raw[lineKey{t, line.Int64}] = text.String
		fmt.Fprintf(w, "%d %s\n", line.Int64, strings.Join(fields, " "))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(recOrder) > 0 {
		paths := make([]string, len(recOrder))
		for i, t := range recOrder {
			if err := recFiles[t].Flush(); err != nil {
				return err
			}
			paths[i] = fmt.Sprintf("%s/recover-%d.log", l.tmp, t.id)
		}
		if err := secondPass.drop(ctx, tx); err != nil {
			return err
		}
		prefix := []Field{{Name: "flowsql_line", Column: "flowsql_line", Type: typeBigInt}}
		if g.tasks[0].sn.tsPrefix {
			prefix = append(prefix, tsColumn)
		}
		q, args := insertSQL(g.table, cols, csvSource(paths, g.format, prefix, false, false, secondPass), l.keys.Func(), taskIDs(recOrder))
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return asStatementError(err)
		}
		byRec := map[string]*task{}
		for i, t := range recOrder {
			byRec[paths[i]] = t
		}
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`
            SELECT s.file_path, TRY_CAST(split_part(any_value(e.csv_line), ' ', 1) AS BIGINT),
                   string_agg(DISTINCT e.error_message, '; ')
            FROM temp.%s e JOIN temp.%s s ON e.scan_id = s.scan_id AND e.file_id = s.file_id
            GROUP BY s.file_path, e.line ORDER BY 1, 2`, secondPass.errors, secondPass.scans))
		if err != nil {
			return err
		}
		for rows.Next() {
			var path, reason string
			var line sql.NullInt64
			if err := rows.Scan(&path, &line, &reason); err != nil {
				rows.Close()
				return err
			}
			t := byRec[path]
			if t == nil || !line.Valid {
				continue
			}
			rawLine := raw[lineKey{t, line.Int64}]
			errs = append(errs, loadError{URI: t.file.URI, Line: line.Int64, Raw: rawLine,
				Reason: explainReject(g.format, rawLine, t.sn.tsPrefix, reason)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	byURI := map[string]*task{}
	for _, t := range g.tasks {
		byURI[t.file.URI] = t
	}
	for _, e := range errs {
		t := byURI[e.URI]
		t.recovered--
		t.rejected++
		if len(t.lineErrors) < maxKeptLineErrors {
			t.lineErrors = append(t.lineErrors, e)
		}
	}
	return l.writeLoadErrors(ctx, tx, errs)
}

// loadError is one row of load_errors.
type loadError struct {
	URI    string `json:"uri"`
	Line   int64  `json:"line"`
	Raw    string `json:"raw"`
	Reason string `json:"reason"`
}

var convertMessage = regexp.MustCompile(`Could not convert string "(.*)" to '(.*)'$`)

// explainReject turns DuckDB's conversion messages for a line into a reason that names the
// field. DuckDB's message may name the wrong column (it counts only the columns a query
// reads), so the field is found by its value and type in the line itself.
func explainReject(f Format, raw string, tsPrefix bool, msgs string) string {
	fields := strings.Fields(raw)
	if tsPrefix && len(fields) > 0 {
		fields = fields[1:]
	}
	var out []string
	for _, msg := range strings.Split(msgs, "; ") {
		m := convertMessage.FindStringSubmatch(msg)
		if m == nil {
			out = append(out, msg)
			continue
		}
		value, typ := m[1], m[2]
		reason := fmt.Sprintf("%q is not a valid %s", value, typ)
		for i, fd := range f.Fields {
			if i < len(fields) && fields[i] == value && typeMatches(fd.Type, typ) {
				reason = fmt.Sprintf("%s: %q is not %s", fd.Name, value, describeType(fd.Type))
				break
			}
		}
		if !slices.Contains(out, reason) {
			out = append(out, reason)
		}
	}
	return strings.Join(out, "; ")
}

func typeMatches(fieldType, messageType string) bool {
	switch fieldType {
	case typeAction:
		return strings.HasPrefix(messageType, "ENUM('ACCEPT'")
	case typeLogStatus:
		return strings.HasPrefix(messageType, "ENUM('OK'")
	}
	return fieldType == messageType
}

func describeType(t string) string {
	switch t {
	case typeInt:
		return "a whole number (32-bit)"
	case typeBigInt:
		return "a whole number"
	case typeAction:
		return "ACCEPT, REJECT or -"
	case typeLogStatus:
		return "OK, NODATA, SKIPDATA or -"
	}
	return "a valid " + t
}

// writeLoadErrors inserts errors through a JSON file: one statement, whatever their number.
func (l *loader) writeLoadErrors(ctx context.Context, tx *sql.Tx, errs []loadError) error {
	if len(errs) == 0 {
		return nil
	}
	l.mu.Lock()
	l.seq++
	path := fmt.Sprintf("%s/errors-%d.json", l.tmp, l.seq)
	l.mu.Unlock()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, e := range errs {
		if err := enc.Encode(e); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO load_errors
        SELECT uri, line, raw, reason, now()::TIMESTAMP
        FROM read_json(?, format = 'newline_delimited',
                       columns = {uri: 'VARCHAR', line: 'BIGINT', raw: 'VARCHAR', reason: 'VARCHAR'})`, path)
	return err
}

// countRows reads, per file of the batch, the rows loaded, NODATA and SKIPDATA records and
// the time span. file_id grows with every batch, so DuckDB's zone maps skip older rows.
func (l *loader) countRows(ctx context.Context, tx *sql.Tx, groups []*group) error {
	byID := map[int64]*task{}
	ranges := map[Kind][2]int64{}
	for _, g := range groups {
		k := g.format.Kind
		r, ok := ranges[k]
		for _, t := range g.tasks {
			byID[t.id] = t
			if !ok {
				r, ok = [2]int64{t.id, t.id}, true
			}
			r[0], r[1] = min(r[0], t.id), max(r[1], t.id)
		}
		ranges[k] = r
	}
	for k, r := range ranges {
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`
            SELECT file_id, count(*), count(*) FILTER (WHERE log_status = 'NODATA'),
                   count(*) FILTER (WHERE log_status = 'SKIPDATA'), min("start"), max("end")
            FROM %s WHERE file_id BETWEEN ? AND ? GROUP BY file_id`, k.RecordsView()), r[0], r[1])
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, n, nodata, skipdata int64
			var first, last sql.NullInt64
			if err := rows.Scan(&id, &n, &nodata, &skipdata, &first, &last); err != nil {
				rows.Close()
				return err
			}
			if t := byID[id]; t != nil {
				t.rows, t.nodata, t.skipdata, t.firstStart, t.lastEnd = n, nodata, skipdata, first, last
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// writeManifest records the batch's files in ingested_files.
func (l *loader) writeManifest(ctx context.Context, tx *sql.Tx, tasks []*task, took time.Duration) error {
	var total int64
	for _, t := range tasks {
		total += t.file.Size
	}
	for _, t := range tasks {
		share := took.Seconds()
		if total > 0 {
			share = took.Seconds() * float64(t.file.Size) / float64(total)
		}
		var modified, logDate any
		if !t.file.ModTime.IsZero() {
			modified = t.file.ModTime.UTC()
		}
		if !t.key.Date.IsZero() {
			logDate = t.key.Date.Format("2006-01-02")
		}
		header := t.format.String()
		if t.sn.container == containerParquet {
			header = "parquet: " + strings.ReplaceAll(header, "-", "_")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ingested_files VALUES
            (?, ?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?,
             make_timestamp(? * 1000000), make_timestamp(? * 1000000),
             NULLIF(?, ''), NULLIF(?, ''), CAST(? AS DATE), NULLIF(?, ''), ?, now()::TIMESTAMP)`,
			t.id, t.file.URI, t.file.Size, modified, t.file.ETag, t.container, header, t.format.Kind.Table(), t.table,
			t.rows, t.rejected, t.recovered, t.nodata, t.skipdata, t.firstStart, t.lastEnd,
			t.key.Account, t.key.Region, logDate, t.key.FlowLogID, share)
		if err != nil {
			return fmt.Errorf("record %s in ingested_files: %w", t.file.URI, err)
		}
	}
	return nil
}

// verifyAsync checks the gzip files of a batch in the background; with background set, at the
// lowest CPU priority, so that it takes what DuckDB leaves idle. The returned function waits
// and returns the files found corrupt, with the reason.
func verifyAsync(tasks []*task, background bool) func() map[*task]string {
	var todo []*task
	for _, t := range tasks {
		if t.sn.gzip && t.sn.container == containerText {
			todo = append(todo, t)
		}
	}
	bad := map[*task]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan *task)
	for range min(len(todo), runtime.NumCPU()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if background {
				lowerPriority()
			}
			for t := range work {
				if err := verifyGzip(t.readPath); err != nil {
					mu.Lock()
					bad[t] = err.Error()
					mu.Unlock()
				}
			}
		}()
	}
	go func() {
		for _, t := range todo {
			work <- t
		}
		close(work)
	}()
	return func() map[*task]string {
		wg.Wait()
		return bad
	}
}

// plausibleLength compares the uncompressed length that a gzip file's trailer gives (modulo
// 2^32) with what its rows and its first lines' length suggest. A truncated file ends in
// compressed data that, read as a length, is most often absurd.
func plausibleLength(t *task) bool {
	isize, ok := gzipTrailerLength(t.readPath)
	if !ok {
		return false
	}
	lines := t.rows + t.firstPassRejects
	if t.header {
		lines++
	}
	expected := float64(lines) * t.sn.lineLength
	if expected <= 0 || expected > 3<<30 {
		return true // no estimate, or the length wraps around 2^32: nothing to compare
	}
	ratio := float64(isize) / expected
	return ratio > 0.5 && ratio < 2
}

// watchProgress reports, while a batch's statement runs, how far DuckDB has read its files.
func (l *loader) watchProgress(tasks []*task) (stop func()) {
	if l.opts.Progress == nil {
		return func() {}
	}
	l.mu.Lock()
	base := l.progress.BytesDone
	l.mu.Unlock()
	sizes := map[string]int64{}
	for _, t := range tasks {
		sizes[t.readPath] = t.file.Size
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		seen := map[string]int64{}
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			open := readPositions(sizes)
			for p, pos := range open {
				seen[p] = max(seen[p], pos)
			}
			var read int64
			for p, pos := range seen {
				if _, still := open[p]; !still {
					pos = sizes[p] // opened and closed since: read through
				}
				read += min(pos, sizes[p])
			}
			l.mu.Lock()
			l.progress.BytesDone = base + read
			l.mu.Unlock()
			l.report()
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		l.mu.Lock()
		l.progress.BytesDone = base // the batch's bytes count once it commits
		l.mu.Unlock()
	}
}
