package queries

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/flowsql/flowsql/internal/words"
)

// A time series (a query with Series) counts each record in the bucket its start falls in,
// and a window takes the records that overlap it: the buckets at a window's edges hold only
// some of their records, and its limit parameter may cut the series short. These say so.

// SeriesNotes says which buckets of a time series a --since/--until window leaves with only
// some of their records (nil for a query that is no series), for an engine that does not
// know the span of the records it reads (Athena); the local engine also compares the window
// with the records loaded, and counts the buckets they fill (Prepare).
func (q *Query) SeriesNotes(vals Values, f Filters) []string {
	notes, _ := q.seriesNotes(vals, f, time.Time{}, time.Time{})
	return notes
}

// LimitNote says what the size of an answer of rows rows leaves unsaid: for a time series,
// that its limit parameter may have cut it short; for an empty answer, what the query's
// "-- empty:" text says it may mean ("" when there is nothing to say).
func (q *Query) LimitNote(vals Values, rows int64) string {
	if rows == 0 && q.Empty != "" {
		return q.Empty
	}
	if q.Series == "" {
		return ""
	}
	raw, limit, ok := q.intValue(vals, "limit")
	if !ok || rows < limit {
		return ""
	}
	return fmt.Sprintf("the series stops at --limit %s rows, and the records may hold more: a larger --limit shows them", raw)
}

// seriesNotes says where the series is not whole, for records from first to last (zero when
// not known): the buckets at the edges of the window; and when the records fill more buckets
// than the limit shows, in which case cut is set.
func (q *Query) seriesNotes(vals Values, f Filters, first, last time.Time) (notes []string, cut bool) {
	width, w, ok := q.intValue(vals, q.Series)
	if q.Series == "" || !ok {
		return nil, false
	}
	known := !first.IsZero() && !last.IsZero()
	at := func(sec int64) time.Time { return time.Unix(sec, 0) }
	from, to, before := first.Unix(), last.Unix(), int64(0)
	if s := f.Since.Unix(); !f.Since.IsZero() && (!known || from < s) {
		whole := (s + w - 1) / w * w
		notes = append(notes, fmt.Sprintf("each record counts in the %s bucket it began in, and --since takes the records that last into the window: a bucket that begins before %s holds only those of its records, so the series is whole from %s",
			width, stamp(f.Since), stamp(at(whole))))
		from, before = s, 1 // and the bucket before, of records that began before --since
	}
	if u := f.Until.Unix(); !f.Until.IsZero() && (!known || u <= to) {
		if u%w != 0 {
			notes = append(notes, fmt.Sprintf("the %s bucket that begins at %s holds only its records that began before --until %s",
				width, stamp(at(u/w*w)), stamp(f.Until)))
		}
		to = u - 1
	}
	// A series whose width is a parameter has a row per bucket (one of a fixed width may
	// have more, an interface's hours, say): the rows it fills are known before it runs.
	raw, limit, ok := q.intValue(vals, "limit")
	if !known || !ok || fixedWidth(q.Series) {
		return notes, false
	}
	if buckets := to/w - from/w + 1 + before; buckets > limit {
		notes = append(notes, fmt.Sprintf("the records from %s to %s fill up to %s buckets of %s, and --limit %s shows only the first %s: --limit %d shows them all (or a wider %s, fewer)",
			stamp(at(from)), stamp(at(to)), words.Count(buckets), width, raw, raw, buckets, FlagName(q.Series)))
		return notes, true
	}
	return notes, false
}

// intValue is the value of an int or interval parameter (in seconds) as vals give it or its
// default, with the text it was written as; name may also be a fixed interval ("1h", see
// Series). ok is false when there is no such parameter, or no positive value.
func (q *Query) intValue(vals Values, name string) (raw string, n int64, ok bool) {
	if fixedWidth(name) {
		d, _ := ParseDuration(name)
		return name, int64(d / time.Second), true
	}
	p, found := q.Param(name)
	if !found {
		return "", 0, false
	}
	raw = chosen(p, vals)
	v, err := convert(p, raw)
	n, isInt := v.(int64)
	return raw, n, err == nil && isInt && n > 0
}

// spillShare is the share of the bytes, counted in the buckets their records began in, that
// those records carried after their bucket ended, at and above which a series says that its
// buckets are short beside the records: with 10-minute records (AWS's default aggregation
// interval) hourly buckets spill about 8%, 5-minute ones more than half.
const spillShare = 0.10

// spillSample is about how many records spillNote reads: those of files taken in a
// scattered order until they hold this many (zone maps skip the others' row groups: 0.2 s on
// 100M records, where a TABLESAMPLE read them all).
const spillSample = 2_000_000

// spillNote says when the buckets of a series of width seconds (label, as its interval
// parameter param was given) are short beside the records loaded ("" when not): each record
// counts whole in the bucket it began in, and when a tenth or more of the bytes (each
// record's spread evenly over its time) flowed after that bucket ended, the series shows the
// traffic earlier and burstier than it was. It reads the records of a
// sample of the files when there are many: the records' length is the flow log's aggregation
// interval, much the same throughout.
func spillNote(ctx context.Context, db *sql.DB, width int64, label, param string) (string, error) {
	var total, beyond sql.NullFloat64
	var typical sql.NullInt64
	err := db.QueryRowContext(ctx, `
        WITH files AS (
            SELECT file_id, sum(rows_loaded) OVER (ORDER BY hash(file_id), file_id ROWS UNBOUNDED PRECEDING) - rows_loaded AS before
            FROM ingested_files WHERE target = 'flows'
        )
        SELECT sum(bytes), sum(bytes * greatest(0, "end" + 1 - ("start" // $1 + 1) * $1) / ("end" + 1 - "start")),
               quantile_disc("end" - "start", 0.5)
        FROM flow_records
        WHERE file_id IN (SELECT file_id FROM files WHERE before < $2)
          AND log_status = 'OK'::flow_log_status AND bytes > 0 AND "end" >= "start" AND record_time("start") AND record_time("end")`, width, spillSample).Scan(&total, &beyond, &typical)
	if err != nil || !total.Valid || total.Float64 <= 0 || !beyond.Valid || beyond.Float64/total.Float64 < spillShare {
		return "", err
	}
	return fmt.Sprintf("a record counts whole in the bucket it began in, and the records last about %s (half of them longer): "+
		"%.0f%% of their bytes flowed after the %s bucket they count in ended, so the series shows the traffic earlier and burstier than it was: "+
		"a wider %s smooths it", seconds(typical.Int64), 100*beyond.Float64/total.Float64, label, FlagName(param)), nil
}

// seconds says a length of time in seconds, or minutes when longer than two.
func seconds(n int64) string {
	if n < 120 {
		return words.Plural(n, "second")
	}
	return span(time.Duration(n) * time.Second)
}
