package output

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

func sample() *Result {
	big1 := new(big.Int)
	big1.SetString("12345678901234567890123", 10)
	return &Result{
		Columns: []Column{{Name: "dstaddr", Type: "VARCHAR"}, {Name: "bytes", Type: "HUGEINT"}, {Name: "flows", Type: "BIGINT"}, {Name: "share", Type: "DOUBLE"}, {Name: "seen", Type: "TIMESTAMP"}, {Name: "note", Type: "VARCHAR"}},
		Rows: [][]any{
			{"10.0.101.10", big1, int64(1234567), 0.75, time.Date(2024, 6, 1, 0, 5, 0, 0, time.UTC), nil},
			{"2001:db8::1", big.NewInt(1536), int64(3), 0.25, time.Date(2024, 6, 1, 0, 6, 1, 0, time.UTC), `a "quoted", note`},
		},
	}
}

func write(t *testing.T, f Format, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, sample(), f, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestFormats(t *testing.T) {
	cases := map[Format]string{
		CSV: "dstaddr,bytes,flows,share,seen,note\n" +
			"10.0.101.10,12345678901234567890123,1234567,0.75,2024-06-01 00:05:00,\n" +
			"2001:db8::1,1536,3,0.25,2024-06-01 00:06:01,\"a \"\"quoted\"\", note\"\n",
		NDJSON: `{"dstaddr":"10.0.101.10","bytes":12345678901234567890123,"flows":1234567,"share":0.75,"seen":"2024-06-01 00:05:00","note":null}` + "\n" +
			`{"dstaddr":"2001:db8::1","bytes":1536,"flows":3,"share":0.25,"seen":"2024-06-01 00:06:01","note":"a \"quoted\", note"}` + "\n",
		Line: "dstaddr = 10.0.101.10\n  bytes = 12345678901234567890123\n  flows = 1234567\n  share = 0.75\n   seen = 2024-06-01 00:05:00\n   note = NULL\n\n" +
			"dstaddr = 2001:db8::1\n  bytes = 1536\n  flows = 3\n  share = 0.25\n   seen = 2024-06-01 00:06:01\n   note = a \"quoted\", note\n",
	}
	for f, want := range cases {
		if got := write(t, f, Options{}); got != want {
			t.Errorf("%s:\n%s\nwant:\n%s", f, got, want)
		}
	}
	if got := write(t, JSON, Options{}); !strings.HasPrefix(got, "[\n  {\"dstaddr\":\"10.0.101.10\",\"bytes\":12345678901234567890123,") || !strings.HasSuffix(got, "}\n]\n") {
		t.Errorf("json:\n%s", got)
	}
}

func TestHumanTable(t *testing.T) {
	got := write(t, Table, Options{Human: true, Footer: true})
	want := `dstaddr         bytes      flows  share  seen                 note
-----------  --------  ---------  -----  -------------------  ----------------  ------------------------
10.0.101.10  10.5 ZiB  1,234,567  75.0%  2024-06-01 00:05:00                    ████████████████████████
2001:db8::1   1.5 KiB          3  25.0%  2024-06-01 00:06:01  a "quoted", note  ████████
(2 rows)
`
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	md := write(t, Markdown, Options{Human: true})
	if !strings.Contains(md, "| 2001:db8::1 | 1.5 KiB | 3 | 25.0% |") || !strings.Contains(md, "|---|---:|---:|---:|") {
		t.Errorf("markdown:\n%s", md)
	}
}

// TestCountsOfRecords: a count of records is a number, not bytes, whatever its name says it
// counts (nat-unmeasured's records_without_bytes showed "0 B").
func TestCountsOfRecords(t *testing.T) {
	res := &Result{
		Columns: []Column{{Name: "records_without_bytes", Type: "BIGINT"}, {Name: "whole_bytes", Type: "BIGINT"}, {Name: "rejected_records", Type: "BIGINT"}},
		Rows:    [][]any{{int64(0), int64(2048), int64(1234)}, {int64(4096), int64(0), int64(1)}},
	}
	var b strings.Builder
	if err := Write(&b, res, Table, Options{Human: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"                    0      2.0 KiB             1,234", "                4,096          0 B                 1"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table:\n%s\nwant a row %q", b.String(), want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "table, csv, json, ndjson, markdown, line") {
		t.Errorf("ParseFormat(xml): %v", err)
	}
}

// TestDropEmpty: only optional columns where every row is NULL go; the rows stay aligned.
func TestDropEmpty(t *testing.T) {
	res := &Result{
		Columns: []Column{{Name: "a", Type: "VARCHAR"}, {Name: "b", Type: "VARCHAR"}, {Name: "c", Type: "VARCHAR"}, {Name: "d", Type: "VARCHAR"}},
		Rows:    [][]any{{"x", nil, nil, nil}, {"y", "1", nil, nil}},
	}
	res.DropEmpty([]string{"b", "c", "missing"})
	var names []string
	for _, c := range res.Columns {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "a,b,d" || fmt.Sprint(res.Rows) != "[[x <nil> <nil>] [y 1 <nil>]]" {
		t.Errorf("columns %v rows %v", names, res.Rows)
	}
}

// TestCents: money rounds half a cent up, as people do; %.2f alone writes the $0.045 of one
// NAT gateway-hour as $0.04.
func TestCents(t *testing.T) {
	for v, want := range map[float64]string{0.045: "0.05", 0.135: "0.14", 2.675: "2.68", 1234.565: "1,234.57", -0.045: "-0.05", 0: "0.00", 1e6: "1,000,000.00"} {
		if got := Cents(v); got != want {
			t.Errorf("Cents(%v) = %s, want %s", v, got, want)
		}
	}
}

// TestNotANumber: a share of nothing (0 of 0 bytes: NaN) or an infinite value neither crashes
// the human table (its bar) nor makes JSON that no parser reads: JSON has null for them.
func TestNotANumber(t *testing.T) {
	res := &Result{
		Columns: []Column{{Name: "dstaddr", Type: "VARCHAR"}, {Name: "bytes", Type: "BIGINT"}, {Name: "share", Type: "DOUBLE"}},
		Rows: [][]any{
			{"10.0.0.2", int64(0), math.NaN()},
			{"10.0.0.3", int64(0), math.Inf(1)},
			{"10.0.0.4", int64(0), float32(math.Inf(-1))},
		},
	}
	for _, f := range []Format{Table, JSON, NDJSON, CSV, Markdown, Line} {
		var b bytes.Buffer
		if err := Write(&b, res, f, Options{Human: true, Footer: true}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if f == JSON || f == NDJSON {
			if n := strings.Count(b.String(), `"share":null`); n != 3 {
				t.Errorf("%s: %d null shares:\n%s", f, n, b.String())
			}
		}
	}
	for _, v := range [][2]float64{{math.NaN(), 1}, {1, math.NaN()}, {1, math.Inf(1)}, {math.Inf(1), 1}, {2, 1}, {-1, 1}} {
		if got := bar(v[0], v[1]); strings.Count(got, "█") > barWidth {
			t.Errorf("bar(%v, %v) = %q", v[0], v[1], got)
		}
	}
}
