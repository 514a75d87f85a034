package queries

import (
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

// LimitNote says, for a time series whose answer has rows rows, that its limit parameter may
// have cut it short ("" when it cannot have, and for a query that is no series).
func (q *Query) LimitNote(vals Values, rows int64) string {
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
