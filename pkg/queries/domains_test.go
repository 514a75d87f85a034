package queries_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/pkg/ingest"
	"github.com/flowsql/flowsql/pkg/queries"
)

// TestDomainMatching pins down how traffic gets the name of its address from Route 53 Resolver
// answers: for the traffic of an hour, the last answer by the end of that hour (even one given
// after the traffic began), if given no more than --window before the hour began; answers of
// the same instant are decided the same way by every report.
func TestDomainMatching(t *testing.T) {
	h0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return h0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	dir := t.TempDir()
	flows := []string{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"}
	flow := func(dst string, start time.Time, bytes int) {
		flows = append(flows, fmt.Sprintf("2 123456789012 eni-0a1 10.0.1.5 %s 40000 443 6 10 %d %d %d ACCEPT OK", dst, bytes, start.Unix(), start.Unix()+60))
	}
	flow("54.0.0.1", at(0, 10), 100)  // named by the answer at 00:40, after it began
	flow("54.0.0.1", at(1, 20), 200)  // by the same answer, the last by 01:59, within the hour before
	flow("54.0.0.2", at(0, 5), 400)   // by an answer at 00:50
	flow("54.0.0.3", at(3, 30), 800)  // its answer, at 01:00, is older than an hour before 03:00
	flow("54.0.0.4", at(0, 30), 1600) // two answers at 00:20:00 name it
	var answers []string
	answer := func(name, addr string, t time.Time) {
		answers = append(answers, fmt.Sprintf(`{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-0a1b","query_timestamp":"%s","query_name":"%s.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"%s","Type":"A","Class":"IN"}],"srcaddr":"10.0.1.5","srcport":"53211","transport":"UDP","srcids":{"instance":"i-0abc"}}`,
			t.Format(time.RFC3339), name, addr))
	}
	answer("a-old.example", "54.0.0.1", at(0, 2))
	answer("a-new.example", "54.0.0.1", at(0, 40))
	answer("a-later.example", "54.0.0.1", at(2, 10)) // after all its traffic
	answer("b.example", "54.0.0.2", at(0, 50))
	answer("c.example", "54.0.0.3", at(1, 0))
	answer("d-one.example", "54.0.0.4", at(0, 20))
	answer("d-two.example", "54.0.0.4", at(0, 20))
	for name, lines := range map[string][]string{"flows.log": flows, "AWSLogs/123456789012/vpcdnsquerylogs/vpc-0a1b/2024/06/01/q.log": answers} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := flowsql.Open(context.Background(), filepath.Join(t.TempDir(), "d.duckdb"), flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, _ := ingest.LocalFiles([]string{dir})
	if sum, err := ingest.Load(context.Background(), db, files, ingest.Options{}); err != nil || sum.Loaded != 2 {
		t.Fatalf("load: %+v, %v", sum, err)
	}

	domains := func(d queries.DuckDB, window string) map[string]string {
		vals := queries.Values{}
		if window != "" {
			vals["window"] = window
		}
		out := map[string]string{}
		for _, r := range runOn(t, db, d, "top-domains", vals, queries.Filters{}) {
			out[fmt.Sprint(r[0])] = fmt.Sprint(r[1])
		}
		return out
	}
	got := domains(queries.DuckDB{Summary: true}, "")
	d := "d-one.example"
	if _, ok := got[d]; !ok {
		d = "d-two.example"
	}
	// The traffic no answer names is a row of its own: 54.0.0.3's, until --window reaches back
	// to its answer.
	want := map[string]string{"a-new.example": "300", "b.example": "400", d: "1600", "(no answer names it)": "800"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("top-domains: %v\nwant %v", got, want)
	}
	if rec := domains(queries.DuckDB{}, ""); fmt.Sprint(rec) != fmt.Sprint(got) {
		t.Errorf("top-domains from the records: %v; from the summary %v", rec, got)
	}
	want["c.example"] = "800"
	delete(want, "(no answer names it)")
	if got := domains(queries.DuckDB{Summary: true}, "2h"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("top-domains --window 2h: %v\nwant %v", got, want)
	}
	// top-destinations labels each address with the last answer before its last traffic ended,
	// however old: 54.0.0.2's came after its traffic, 54.0.0.3's two hours before.
	names := map[string]string{}
	for _, r := range runOn(t, db, queries.DuckDB{Summary: true}, "top-destinations", queries.Values{}, queries.Filters{}) {
		names[fmt.Sprint(r[0])] = fmt.Sprint(r[len(r)-1])
	}
	if want := fmt.Sprint(map[string]string{"54.0.0.1": "a-new.example", "54.0.0.2": "<nil>", "54.0.0.3": "c.example", "54.0.0.4": d}); fmt.Sprint(names) != want {
		t.Errorf("top-destinations' domain column: %v\nwant %v", names, want)
	}
}
