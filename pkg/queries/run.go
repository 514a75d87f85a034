package queries

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Prepared is a report bound to its arguments on the local engine, with what its user should
// know before reading the answer.
type Prepared struct {
	Query *Query
	Statement
	// Empty is set when no loaded record falls in the time window asked for (Notes say so too).
	Empty *EmptyWindow
}

// Outcome is a report's answer.
type Outcome struct {
	*Prepared
	Result *Result
}

// MissingFieldError is a report that needs a flow-log field which none of the loaded records
// has: its figures would all be zero or empty, so it does not run.
type MissingFieldError struct {
	Report  string
	Field   string
	Records int64
	Formats []string // the fields of each format loaded, as header lines
}

func (e *MissingFieldError) Error() string {
	return fmt.Sprintf("%s needs the %s field, and none of the %s loaded records has it (their format: %s): add ${%s} to the flow log's format",
		e.Report, e.Field, count(e.Records), strings.Join(e.Formats, "; "), e.Field)
}

// Prepare binds a named report's arguments for the local engine (the flowsql database db) and
// checks what the logs can answer: a field the report needs that some records lack is a note,
// one that all records lack is a *MissingFieldError, and a time window that holds no record
// is a note that gives the span the database holds.
func (s *Set) Prepare(ctx context.Context, db *sql.DB, name string, vals Values, f Filters) (*Prepared, error) {
	q, ok := s.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("no report named %s", name)
	}
	var err error
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return nil, &ArgError{Param: "until", Msg: fmt.Sprintf("%s is not after --since %s", stamp(f.Until), stamp(f.Since))}
	}
	var d DuckDB
	var stale bool
	if body, _ := q.Body(d.Engine()); ReferencesName(body, SummaryName) {
		if d.Summary, err = SummaryCurrent(ctx, db); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		stale = !d.Summary
	}
	st, err := q.Statement(ctx, d, vals, f, DBKeys{DB: db}, time.Now())
	if err != nil {
		return nil, err
	}
	p := &Prepared{Query: q, Statement: st}
	if stale {
		p.Notes = append(p.Notes, "flow_hourly, the hourly summary of the records, does not cover them all (were they changed by hand?): this report read the records, which is slower; 'flowsql load --rebuild-summary' makes it anew")
	}
	if !q.Filters && len(q.Needs) == 0 {
		return p, nil
	}
	notes, empty, err := checkRecords(ctx, db, q, f)
	p.Notes, p.Empty = append(p.Notes, notes...), empty
	return p, err
}

// Run prepares a named report (see Prepare) and runs it.
func (s *Set) Run(ctx context.Context, db *sql.DB, name string, vals Values, f Filters) (*Outcome, error) {
	p, err := s.Prepare(ctx, db, name, vals, f)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, p.SQL, p.Args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	res, err := ReadRows(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Outcome{Prepared: p, Result: res}, nil
}

// format is one row of the flow_formats view: a table of records that share their fields.
type format struct {
	fields         []string
	files, records int64
}

// checkRecords compares what a report needs with the VPC flow records loaded: the fields that
// its figures (and its filters) read, and the span of time its window asks for.
func checkRecords(ctx context.Context, db *sql.DB, q *Query, f Filters) ([]string, *EmptyWindow, error) {
	formats, err := readFormats(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	var total, files int64
	for _, ft := range formats {
		total += ft.records
		files += ft.files
	}
	if total == 0 {
		if q.Filters {
			return []string{"no flow records are loaded: flowsql load PATH... loads them"}, nil, nil
		}
		return nil, nil, nil
	}
	needs := slices.Clone(q.Needs)
	if !f.Since.IsZero() || !f.Until.IsZero() {
		needs = append(needs, "start", "end")
	}
	if f.Account != "" {
		needs = append(needs, "account-id")
	}
	if f.Interface != "" {
		needs = append(needs, "interface-id")
	}
	var notes []string
	for _, field := range slices.Compact(needs) {
		var without, filesWithout int64
		var lacking []string
		for _, ft := range formats {
			if !slices.Contains(ft.fields, field) {
				without += ft.records
				filesWithout += ft.files
				lacking = append(lacking, strings.Join(ft.fields, " "))
			}
		}
		switch {
		case without == total:
			return notes, nil, &MissingFieldError{Report: q.Name, Field: field, Records: total, Formats: lacking}
		case without > 0:
			notes = append(notes, fmt.Sprintf("%s of the %s records loaded (%s of %s files) have no %s field: what this report computes from it covers only the other %s (blank where a row has no record with it); their format is %s",
				count(without), count(total), count(filesWithout), count(files), field, records(total-without), strings.Join(lacking, "; ")))
		}
	}
	if !q.Filters {
		return notes, nil, nil
	}
	empty, err := CheckWindow(ctx, db, f)
	if empty != nil {
		notes = append(notes, empty.Error())
	}
	return notes, empty, err
}

// CheckWindow returns an *EmptyWindow when the filters' time window holds none of the VPC flow
// records loaded (nil when it holds some, or when there is no window or no record).
func CheckWindow(ctx context.Context, db *sql.DB, f Filters) (*EmptyWindow, error) {
	if f.Since.IsZero() && f.Until.IsZero() {
		return nil, nil
	}
	var first, last sql.NullTime
	if err := db.QueryRowContext(ctx, `SELECT min(first_start), max(last_end) FROM ingested_files WHERE target = 'flows'`).Scan(&first, &last); err != nil {
		return nil, err
	}
	if !first.Valid || (f.Since.IsZero() || !last.Time.Before(f.Since)) && (f.Until.IsZero() || first.Time.Before(f.Until)) {
		return nil, nil
	}
	return &EmptyWindow{Since: f.Since, Until: f.Until, First: first.Time, Last: last.Time}, nil
}

// EmptyWindow says that no loaded record falls in the time window a report asked for.
type EmptyWindow struct {
	Since, Until time.Time // the window (zero where open)
	First, Last  time.Time // what the database holds
}

func (w *EmptyWindow) Error() string {
	var window string
	switch {
	case w.Until.IsZero():
		window = "since " + stamp(w.Since)
	case w.Since.IsZero():
		window = "before " + stamp(w.Until)
	default:
		window = "between " + stamp(w.Since) + " and " + stamp(w.Until)
	}
	return fmt.Sprintf("no record falls %s: the database holds records from %s to %s", window, stamp(w.First), stamp(w.Last))
}

// readFormats reads the flow_formats view for VPC flow records.
func readFormats(ctx context.Context, db *sql.DB) ([]format, error) {
	rows, err := db.QueryContext(ctx, `SELECT fields, files, records FROM flow_formats WHERE target = 'flows'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []format
	for rows.Next() {
		var ft format
		var fields []any
		if err := rows.Scan(&fields, &ft.files, &ft.records); err != nil {
			return nil, err
		}
		for _, v := range fields {
			if s, ok := v.(string); ok {
				ft.fields = append(ft.fields, s)
			}
		}
		out = append(out, ft)
	}
	return out, rows.Err()
}

// stamp writes a time as reports show it: UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// count writes a number with thousands separators.
func count(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// records is n records, in words.
func records(n int64) string {
	if n == 1 {
		return "1 record"
	}
	return count(n) + " records"
}
