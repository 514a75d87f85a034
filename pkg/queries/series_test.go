package queries_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flowsql/flowsql/pkg/queries"
)

// TestSeriesGaps: traffic-over-time has a row for every bucket from the first record's to the
// last's. A bucket that records cover without traffic (NODATA, or traffic of other addresses
// with --addr) is 0; one that no record covers, the logs being off, is blank and says so, not
// left out (a gap a chart draws a line over) nor 0; with --addr, only the records of the
// interfaces that log the address cover its buckets.
func TestSeriesGaps(t *testing.T) {
	const hour = 1717200000 // 2024-06-01 00:00 UTC
	lines := []string{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"}
	rec := func(h int, src, dst string, bytes int) {
		at := hour + h*3600 + 60
		lines = append(lines, fmt.Sprintf("2 123456789012 eni-0a1 %s %s 40000 443 6 10 %d %d %d ACCEPT OK", src, dst, bytes, at, at+540))
	}
	rec(0, "10.0.1.5", "54.0.0.1", 100)
	rec(1, "10.0.1.6", "54.0.0.1", 200) // another address's traffic
	lines = append(lines, fmt.Sprintf("2 123456789012 eni-0a1 - - - - - - - %d %d - NODATA", hour+2*3600+60, hour+2*3600+600))
	// hour 3: only another interface's record; hour 4: no record at all
	lines = append(lines, fmt.Sprintf("2 123456789012 eni-0b2 10.0.2.7 54.0.0.1 40000 443 6 10 300 %d %d ACCEPT OK", hour+3*3600+60, hour+3*3600+600))
	rec(5, "10.0.1.5", "54.0.0.1", 500)
	db := loadFiles(t, t.TempDir(), map[string][]string{"gaps.log": lines})
	series := func(vals queries.Values) string {
		var out []string
		for _, r := range runOn(t, db, queries.DuckDB{}, "traffic-over-time", vals, queries.Filters{}) {
			out = append(out, fmt.Sprintf("%v/%v/%v", r[1], r[3], r[4]))
		}
		return strings.Join(out, " ")
	}
	const gap = "<nil>/<nil>/no records: the logs loaded do not cover it"
	if got, want := series(queries.Values{}), "100/1/<nil> 200/1/<nil> 0/0/<nil> 300/1/<nil> "+gap+" 500/1/<nil>"; got != want {
		t.Errorf("traffic-over-time:\n got %s\nwant %s", got, want)
	}
	// With --addr, eni-0b2's record of hour 3 says nothing of the address's interface.
	if got, want := series(queries.Values{"addr": "10.0.1.5"}), "100/1/<nil> 0/0/<nil> 0/0/<nil> "+gap+" "+gap+" 500/1/<nil>"; got != want {
		t.Errorf("traffic-over-time --addr 10.0.1.5:\n got %s\nwant %s", got, want)
	}
	// Buckets of other than whole hours read the records: a half hour that no record reaches
	// into is blank too.
	g := " " + gap + " "
	if got, want := series(queries.Values{"bucket": "30m"}), "100/1/<nil>"+g+"200/1/<nil>"+g+"0/0/<nil>"+g+"300/1/<nil>"+g+gap+g+"500/1/<nil>"; got != want {
		t.Errorf("traffic-over-time --bucket 30m:\n got %s\nwant %s", got, want)
	}
	if got, want := series(queries.Values{"limit": "2"}), "100/1/<nil> 200/1/<nil>"; got != want {
		t.Errorf("traffic-over-time --limit 2: %s, want %s", got, want)
	}
}
