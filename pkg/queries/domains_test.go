package queries_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	flow("54.0.0.5", at(0, 15), 6400) // by the answer at 00:10
	flow("54.0.0.5", at(1, 30), 3200) // by the one at 01:05, which ends the 00:10 one's hours
	var answers []string
	answer := func(name, addr string, t time.Time) {
		answers = append(answers, answerLine("123456789012", name, addr, t))
	}
	answer("a-old.example", "54.0.0.1", at(0, 2))
	answer("a-new.example", "54.0.0.1", at(0, 40))
	answer("a-later.example", "54.0.0.1", at(2, 10)) // after all its traffic
	answer("b.example", "54.0.0.2", at(0, 50))
	answer("c.example", "54.0.0.3", at(1, 0))
	answer("d-one.example", "54.0.0.4", at(0, 20))
	answer("d-two.example", "54.0.0.4", at(0, 20))
	answer("e-first.example", "54.0.0.5", at(0, 10))
	answer("e-second.example", "54.0.0.5", at(1, 5))
	db := loadFiles(t, dir, map[string][]string{"flows.log": flows, "AWSLogs/123456789012/vpcdnsquerylogs/vpc-0a1b/2024/06/01/q.log": answers})

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
	want := map[string]string{"a-new.example": "300", "b.example": "400", d: "1600", "e-first.example": "6400", "e-second.example": "3200", "(no answer names it)": "800"}
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
	if want := fmt.Sprint(map[string]string{"54.0.0.1": "a-new.example", "54.0.0.2": "<nil>", "54.0.0.3": "c.example", "54.0.0.4": d, "54.0.0.5": "e-second.example"}); fmt.Sprint(names) != want {
		t.Errorf("top-destinations' domain column: %v\nwant %v", names, want)
	}
}

// answerLine is a Route 53 Resolver query log record: an account's answer naming addr at t.
func answerLine(account, name, addr string, t time.Time) string {
	return fmt.Sprintf(`{"version":"1.100000","account_id":"%s","region":"us-east-1","vpc_id":"vpc-0a1b","query_timestamp":"%s","query_name":"%s.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"%s","Type":"A","Class":"IN"}],"srcaddr":"10.0.1.5","srcport":"53211","transport":"UDP","srcids":{"instance":"i-0abc"}}`,
		account, t.Format(time.RFC3339), name, addr)
}

// loadFiles writes files of lines under dir and loads them into a new database.
func loadFiles(t *testing.T, dir string, files map[string][]string) *sql.DB {
	t.Helper()
	for name, lines := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, sum := openLoaded(t, dir)
	if sum.Loaded != len(files) {
		t.Fatalf("load: %+v", sum)
	}
	return db
}

// TestDomainsPerAccount: templated VPCs reuse private addresses for other hosts, so an answer
// that names a private address in one account does not name that address in another; a public
// address is named by any account's answers.
func TestDomainsPerAccount(t *testing.T) {
	h0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	const head = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	flow := func(account, dst string, bytes int) string {
		return fmt.Sprintf("2 %s eni-%s 10.0.1.5 %s 40000 443 6 10 %d %d %d ACCEPT OK", account, account[:3], dst, bytes, h0.Unix()+600, h0.Unix()+660)
	}
	db := loadFiles(t, t.TempDir(), map[string][]string{
		"flows.log": {head, flow("111111111111", "10.0.9.9", 100), flow("222222222222", "10.0.9.9", 200), flow("222222222222", "54.0.0.1", 400)},
		"AWSLogs/111111111111/vpcdnsquerylogs/vpc-0a1b/2024/06/01/q.log": {
			answerLine("111111111111", "db-a.internal", "10.0.9.9", h0.Add(time.Minute)),
			answerLine("111111111111", "api.example", "54.0.0.1", h0.Add(time.Minute))},
		"AWSLogs/222222222222/vpcdnsquerylogs/vpc-0a1b/2024/06/01/q.log": {
			answerLine("222222222222", "db-b.internal", "10.0.9.9", h0.Add(2*time.Minute))},
	})
	got := map[string]string{}
	for _, r := range runOn(t, db, queries.DuckDB{Summary: true}, "top-domains", queries.Values{}, queries.Filters{}) {
		got[fmt.Sprint(r[0])] = fmt.Sprint(r[1])
	}
	if want := fmt.Sprint(map[string]string{"db-a.internal": "100", "db-b.internal": "200", "api.example": "400"}); fmt.Sprint(got) != want {
		t.Errorf("top-domains: %v\nwant %v", got, want)
	}
	names := map[string]string{}
	for _, r := range runOn(t, db, queries.DuckDB{Summary: true}, "top-destinations", queries.Values{}, queries.Filters{}) {
		names[fmt.Sprint(r[0], " ", r[3])] = fmt.Sprint(r[len(r)-1])
	}
	if want := fmt.Sprint(map[string]string{"10.0.9.9 111111111111": "db-a.internal", "10.0.9.9 222222222222": "db-b.internal", "54.0.0.1 <nil>": "api.example"}); fmt.Sprint(names) != want {
		t.Errorf("top-destinations' domain column: %v\nwant %v", names, want)
	}
}
