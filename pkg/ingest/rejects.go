package ingest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/flowsql/flowsql/internal/words"
)

// What goes to load_errors: the lines the screen rejected or altered (screen.go), the lines
// whose values DuckDB could not convert (rejects), the lines loaded with values no record can
// have (suspicious), and the files that failed as a whole.

// statementError is a load statement that failed on the data (as opposed to the database).
type statementError struct{ err error }

func (e *statementError) Error() string { return e.err.Error() }
func (e *statementError) Unwrap() error { return e.err }

// culprit returns the task whose file (or the pipe it streams through) the error names, if
// any.
func (e *statementError) culprit(tasks []*task) *task {
	msg := e.err.Error()
	var best *task
	for _, t := range tasks {
		for _, p := range []string{t.readPath, t.pipe} {
			if p != "" && strings.Contains(msg, p) && (best == nil || len(p) > len(best.readPath)) {
				best = t
			}
		}
	}
	return best
}

// reason is the first line of DuckDB's message, which is the useful part.
func (e *statementError) reason() string {
	msg, _, _ := strings.Cut(e.err.Error(), "\n")
	return "DuckDB could not read it: " + msg
}

// asStatementError sorts a load statement's failure by DuckDB's error type: what a file's data
// can cause (a value that does not convert, input DuckDB cannot read, an I/O error on a file)
// fails the file, and the batch runs again without it; anything else (out of memory, an
// interruption, a full disk while writing the database, an internal error) stops the load.
func asStatementError(err error) error {
	var de *duckdb.Error
	if err == nil || !errors.As(err, &de) {
		return err
	}
	switch de.Type {
	case duckdb.ErrorTypeConversion, duckdb.ErrorTypeInvalidInput, duckdb.ErrorTypeOutOfRange, duckdb.ErrorTypeIO,
		duckdb.ErrorTypeMismatchType, duckdb.ErrorTypeInvalidType, duckdb.ErrorTypeSerialization:
		return &statementError{err}
	}
	return err
}

// typeRejects reads the lines of a group's streams whose values DuckDB could not convert, as
// load_errors rows with the field that failed, at their line in the file.
func (l *loader) typeRejects(ctx context.Context, tx *sql.Tx, g *group, streams []*stream) ([]loadError, error) {
	byPipe := map[string]*stream{}
	for _, s := range streams {
		byPipe[s.pipe] = s
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`
        SELECT s.file_path, e.line, any_value(e.csv_line), string_agg(DISTINCT e.error_message, '; ')
        FROM temp.%s e JOIN temp.%s s ON e.scan_id = s.scan_id AND e.file_id = s.file_id
        GROUP BY s.file_path, e.line ORDER BY 1, 2`, csvRejects.errors, csvRejects.scans))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []loadError
	for rows.Next() {
		var path string
		var line sql.NullInt64
		var text, msgs sql.NullString
		if err := rows.Scan(&path, &line, &text, &msgs); err != nil {
			return nil, err
		}
		s := byPipe[path]
		if s == nil || !line.Valid || s.res == nil {
			continue
		}
		t := s.task
		fields := t.format.Fields
		if t.sn.tsPrefix {
			fields = append([]Field{tsColumn}, fields...)
		}
		out = append(out, loadError{URI: t.file.URI, Line: s.res.sourceLine(line.Int64), Raw: text.String, Kind: kindRejected,
			Reason: explainReject(Format{Fields: streamFields(t.format.Kind, fields)}, text.String, false, msgs.String)})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The stream's lines hold keys where the file has addresses: load_errors keeps the file's.
	byTask := map[*task][]int{}
	for i, e := range out {
		for _, s := range streams {
			if s.task.file.URI == e.URI {
				byTask[s.task] = append(byTask[s.task], i)
			}
		}
	}
	for t, idx := range byTask {
		want := map[int64]bool{}
		for _, i := range idx {
			want[out[i].Line] = true
		}
		raw, err := readLines(t, want)
		if err != nil {
			return nil, err
		}
		for _, i := range idx {
			if r, ok := raw[out[i].Line]; ok {
				out[i].Raw = r
			}
		}
	}
	return out, nil
}

// readLines reads the lines of a file with the given numbers (clipped to maxRaw bytes).
func readLines(t *task, want map[int64]bool) (map[int64]string, error) {
	r, f, err := openRecords(t.readPath, t.sn.gzip)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[int64]string{}
	lr := newLineReader(r)
	for len(out) < len(want) && lr.next() {
		if want[lr.n] {
			out[lr.n] = clipRaw(lr.line)
		}
	}
	return out, lr.err
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

// writeLoadErrors inserts rows into load_errors: those given, and those of JSON lines files
// (the screens' logs), each in one statement, whatever their number.
func (l *loader) writeLoadErrors(ctx context.Context, tx *sql.Tx, errs []loadError, files ...string) error {
	if len(errs) > 0 {
		log := newIssueLog(l.tempPath("errors", "json"))
		for _, e := range errs {
			if err := log.add(e); err != nil {
				return err
			}
		}
		path, err := log.close()
		if err != nil {
			return err
		}
		files = append(files, path)
	}
	for _, path := range files {
		if path == "" {
			continue
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO load_errors (uri, line, raw, reason, logged_at, kind)
            SELECT uri, line, raw, reason, now()::TIMESTAMP, kind
            FROM read_json(?, format = 'newline_delimited',
                           columns = {uri: 'VARCHAR', line: 'BIGINT', raw: 'VARCHAR', reason: 'VARCHAR', kind: 'VARCHAR'})`, path)
		if err != nil {
			return err
		}
	}
	return nil
}

// maxPacket is the most bytes an IP packet can hold (IPv4's total length, IPv6's payload
// length without jumbograms, which a VPC does not carry).
const maxPacket = 65535

// flowLogsBegan is when AWS launched VPC Flow Logs (June 2015): no record starts or ends before.
var flowLogsBegan = time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC)

// timeBounds are the times in Unix seconds that a record's start and end can fall in, for a
// load begun at a time: from VPC Flow Logs' launch to a day after the load began. A start of
// 0 (a broken export, say) would otherwise stretch every period and rate to 1970.
type timeBounds struct{ lo, hi int64 }

func boundsAt(now time.Time) timeBounds {
	return timeBounds{flowLogsBegan.Unix(), now.Add(24 * time.Hour).Unix()}
}

// suspiciousSQL is the condition of the values no record can have, found after a load by
// countRows (in SQL, over every row) and, for the files that have any, by findSuspicious (in
// Go, line by line, for load_errors).
func (b timeBounds) suspiciousSQL() string {
	return fmt.Sprintf(`srcport NOT BETWEEN 0 AND 65535 OR dstport NOT BETWEEN 0 AND 65535
    OR protocol NOT BETWEEN 0 AND 255 OR packets < 0 OR bytes < 0 OR "end" < "start"
    OR bytes > packets * %[3]d
    OR "start" NOT BETWEEN %[1]d AND %[2]d OR "end" NOT BETWEEN %[1]d AND %[2]d
    OR log_status IN ('NODATA'::flow_log_status, 'SKIPDATA'::flow_log_status) AND (packets > 0 OR bytes > 0)`, b.lo, b.hi, maxPacket)
}

// timesSQL is the condition of a record whose start and end a record can have (record_time in
// schema/functions.sql, with the load's own bounds): the time spans kept of a file count only
// those.
func (b timeBounds) timesSQL() string {
	return fmt.Sprintf(`"start" BETWEEN %[1]d AND %[2]d AND "end" BETWEEN %[1]d AND %[2]d`, b.lo, b.hi)
}

// findSuspicious reads a file again and returns its records that hold a value no record can
// have: a port outside 0-65535, a protocol outside 0-255, negative packets or bytes, an end
// before its start, traffic in a NODATA or SKIPDATA record, or an address that is not one. The
// rows are loaded as they are; these say which and why. A Parquet file's records are read
// through DuckDB (suspiciousParquet).
func findSuspicious(ctx context.Context, tx *sql.Tx, t *task, invalid []int64, b timeBounds) ([]loadError, error) {
	if t.sn.container == containerParquet {
		return suspiciousParquet(ctx, tx, t, invalid, b)
	}
	r, f, err := openRecords(t.readPath, t.sn.gzip)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pos := map[string]int{}
	offset := 0
	if t.sn.tsPrefix {
		offset = 1
	}
	for i, fd := range t.format.Fields {
		pos[fd.Name] = i + offset
	}
	var out []loadError
	lr := newLineReader(r)
	for lr.next() {
		if lr.n == 1 && t.header || lr.long {
			continue
		}
		fields := bytes.Fields(lr.line)
		if len(fields) != t.fieldCount() {
			continue
		}
		why := suspicious(b, func(name string) (string, bool) {
			i, ok := pos[name]
			if !ok || string(fields[i]) == "-" {
				return "", false
			}
			return string(fields[i]), true
		})
		if len(why) > 0 {
			out = append(out, loadError{URI: t.file.URI, Line: lr.n, Raw: clipRaw(lr.line), Kind: kindSuspicious,
				Reason: strings.Join(why, "; ") + " (loaded as it is)"})
		}
	}
	if lr.err != nil {
		return out, lr.err
	}
	return out, nil
}

// suspicious says what in a record no record can have, given its fields' values by name
// (false for a field it lacks, or "-"), and the times its start and end can fall in.
func suspicious(b timeBounds, value func(name string) (string, bool)) []string {
	var why []string
	for _, c := range []struct {
		field  string
		lo, hi int64
	}{{"srcport", 0, 65535}, {"dstport", 0, 65535}, {"protocol", 0, 255}, {"packets", 0, -1}, {"bytes", 0, -1}} {
		v, ok := value(c.field)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
		case n < c.lo && c.hi < 0:
			why = append(why, fmt.Sprintf("%s %d is negative", c.field, n))
		case n < c.lo || c.hi >= 0 && n > c.hi:
			why = append(why, fmt.Sprintf("%s %d is outside %d-%d", c.field, n, c.lo, c.hi))
		}
	}
	if s, ok := value("start"); ok {
		if e, ok := value("end"); ok {
			start, err1 := strconv.ParseInt(s, 10, 64)
			end, err2 := strconv.ParseInt(e, 10, 64)
			if err1 == nil && err2 == nil && end < start {
				why = append(why, fmt.Sprintf("end %d is before start %d", end, start))
			}
		}
	}
	if p, ok := value("packets"); ok {
		if v, ok := value("bytes"); ok {
			count, err1 := strconv.ParseInt(p, 10, 64)
			size, err2 := strconv.ParseInt(v, 10, 64)
			if err1 == nil && err2 == nil && count >= 0 && size > count*maxPacket {
				why = append(why, fmt.Sprintf("bytes %d is more than %s can carry (%d bytes each at most)", size, words.Plural(count, "packet"), maxPacket))
			}
		}
	}
	// A NODATA or SKIPDATA record carries no traffic: AWS writes "-" in its traffic fields, and
	// the reports count none of it, so traffic in one would count nowhere unsaid.
	if status, ok := value("log-status"); ok && (status == "NODATA" || status == "SKIPDATA") {
		var carried []string
		for _, name := range []string{"packets", "bytes"} {
			if v, ok := value(name); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
					carried = append(carried, fmt.Sprintf("%s %d", name, n))
				}
			}
		}
		if len(carried) > 0 {
			why = append(why, fmt.Sprintf("log-status %s with %s: AWS writes \"-\" there, and reports count no traffic of %s records", status, strings.Join(carried, " and "), status))
		}
	}
	for _, name := range []string{"start", "end"} {
		v, ok := value(name)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
		case n < b.lo:
			why = append(why, fmt.Sprintf("%s %d (%s) is before VPC Flow Logs began (June 2015)", name, n, time.Unix(n, 0).UTC().Format(time.DateTime)))
		case n > b.hi:
			why = append(why, fmt.Sprintf("%s %d (%s) is after the load began, by more than a day", name, n, time.Unix(n, 0).UTC().Format(time.DateTime)))
		}
	}
	for _, name := range []string{"srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"} {
		if v, ok := value(name); ok {
			if _, err := netip.ParseAddr(v); err != nil {
				why = append(why, fmt.Sprintf("%s %q is not an IP address", name, clip(v, 60)))
			}
		}
	}
	return why
}

// suspiciousParquet finds a Parquet file's suspicious records among the rows it loaded (invalid
// are the keys of texts that are no address): a Parquet file has no lines, so each is named by
// its values (line 0).
func suspiciousParquet(ctx context.Context, tx *sql.Tx, t *task, invalid []int64, b timeBounds) ([]loadError, error) {
	var fields []Field // those the records view has a column of
	var cols []string
	for _, fd := range t.format.Fields {
		if fd.Known() {
			fields = append(fields, fd)
			cols = append(cols, fmt.Sprintf("CAST(%s AS VARCHAR)", quoteIdent(fd.Column)))
		}
	}
	bad := b.suspiciousSQL() + ` OR list_contains($2::BIGINT[], src_ip) OR list_contains($2::BIGINT[], dst_ip)`
	if t.format.Kind == VPC {
		bad += ` OR list_contains($2::BIGINT[], pkt_src_ip) OR list_contains($2::BIGINT[], pkt_dst_ip)`
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE file_id = $1 AND (%s) LIMIT 1000`,
		strings.Join(cols, ", "), t.format.Kind.RecordsView(), bad), t.id, append([]int64{}, invalid...))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []loadError
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		byName := map[string]string{}
		raw := make([]string, len(fields))
		for i, fd := range fields {
			v := "-"
			if vals[i].Valid {
				v = vals[i].String
				byName[fd.Name] = v
			}
			raw[i] = fd.Name + "=" + v
		}
		why := suspicious(b, func(name string) (string, bool) { v, ok := byName[name]; return v, ok })
		if len(why) > 0 {
			out = append(out, loadError{URI: t.file.URI, Raw: clipRaw([]byte(strings.Join(raw, " "))), Kind: kindSuspicious,
				Reason: "a record: " + strings.Join(why, "; ") + " (loaded as it is)"})
		}
	}
	return out, rows.Err()
}
