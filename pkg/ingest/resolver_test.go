package ingest_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/pkg/ingest"
)

// resolverLog is a Route 53 Resolver query log as AWS delivers it: an answer through a CNAME to
// two addresses, NXDOMAIN, an IPv6 answer, and a line that is no record.
const resolverLog = `{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-0a1b","query_timestamp":"2024-06-01T00:00:05Z","query_name":"registry-1.docker.io.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"registry.docker.io.","Type":"CNAME","Class":"IN"},{"Rdata":"54.1.2.3","Type":"A","Class":"IN"},{"Rdata":"54.1.2.4","Type":"A","Class":"IN"}],"srcaddr":"10.0.2.34","srcport":"53211","transport":"UDP","srcids":{"instance":"i-0abc"}}
{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-0a1b","query_timestamp":"2024-06-01T00:00:06Z","query_name":"nope.example.","query_type":"AAAA","query_class":"IN","rcode":"NXDOMAIN","answers":[],"srcaddr":"10.0.2.35","srcport":"5321","transport":"UDP","srcids":{"instance":"i-0abd"}}
{"query_name": "half a record"}
{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-0a1b","query_timestamp":"2024-06-01T00:00:07Z","query_name":"S3.us-east-1.amazonaws.com.","query_type":"AAAA","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"2600:1f18::1","Type":"AAAA","Class":"IN"}],"srcaddr":"10.0.2.34","srcport":53212,"transport":"UDP","srcids":{"instance":"i-0abc"}}
`

// TestResolverLogs: Route 53 Resolver query logs are recognised by content and load into
// dns_queries, a row per answered address with its key; a line that is no record is counted
// and kept; loading again skips the file, --force replaces its rows.
func TestResolverLogs(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, dir, "AWSLogs/123456789012/vpcdnsquerylogs/vpc-0a1b/2024/06/01/q.log.gz", resolverLog)
	sum := load(t, db, ingest.Options{}, dir)
	if sum.Loaded != 1 || sum.Rows != 4 || sum.Rejected != 1 || sum.Results[0].Table != ingest.ResolverTable {
		t.Fatalf("summary: %+v %+v", sum, sum.Results[0])
	}
	got := queryString(t, db, `SELECT string_agg(concat_ws(' ', strftime(query_time, '%H:%M:%S'), srcaddr, src_ip = ip4_int(srcaddr), instance_id,
        query_name, rcode, coalesce(answer, '-'), coalesce(ip_text(answer_ip), '-')), '; ' ORDER BY query_time, answer)
        FROM dns_queries`)
	want := "00:00:05 10.0.2.34 true i-0abc registry-1.docker.io NOERROR 54.1.2.3 54.1.2.3; " +
		"00:00:05 10.0.2.34 true i-0abc registry-1.docker.io NOERROR 54.1.2.4 54.1.2.4; " +
		"00:00:06 10.0.2.35 true i-0abd nope.example NXDOMAIN - -; " +
		"00:00:07 10.0.2.34 true i-0abc s3.us-east-1.amazonaws.com NOERROR 2600:1f18::1 2600:1f18::1"
	if got != want {
		t.Errorf("dns_queries:\n got %s\nwant %s", got, want)
	}
	if got := queryString(t, db, `SELECT line || ' ' || kind || ': ' || reason FROM load_errors`); !strings.HasPrefix(got, "3 rejected: a Resolver query record needs query_timestamp") {
		t.Errorf("load_errors: %s", got)
	}
	if got := queryString(t, db, `SELECT concat_ws(' ', target, header, rows_loaded, rows_rejected, first_start) FROM ingested_files`); got != "dns_queries route53 resolver query log 4 1 2024-06-01 00:00:05" {
		t.Errorf("ingested_files: %s", got)
	}
	if sum := load(t, db, ingest.Options{}, dir); sum.Skipped != 1 {
		t.Errorf("second load: %+v", sum)
	}
	load(t, db, ingest.Options{Force: true}, dir)
	if n := queryInt(t, db, `SELECT count(*) FROM dns_queries`); n != 4 {
		t.Errorf("after --force: %d rows, want 4", n)
	}
	// As CloudWatch Logs delivers them through a subscription (Firehose to S3): envelopes whose
	// events are the records.
	var events []string
	for _, line := range strings.Split(strings.TrimSpace(resolverLog), "\n")[:2] {
		events = append(events, `{"id":"1","timestamp":1717200005000,"message":`+strconv.Quote(line)+`}`)
	}
	env := `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/route53/resolver","logStream":"vpc-0a1b","subscriptionFilters":["f"],"logEvents":[` + strings.Join(events, ",") + `]}`
	dbEnv := newDB(t)
	sum = load(t, dbEnv, ingest.Options{}, writeFile(t, t.TempDir(), "firehose.gz", env+"\n"))
	if sum.Loaded != 1 || queryInt(t, dbEnv, `SELECT count(*) FROM dns_queries`) != 3 {
		t.Errorf("CloudWatch Logs envelopes: %+v, %d rows, want 3", sum, queryInt(t, dbEnv, `SELECT count(*) FROM dns_queries`))
	}

	// Beside flow logs, in one load: both land, each in its table.
	db2 := newDB(t)
	gen, _ := generate(t, flowgen.Config{Seed: 5, Files: 2, RowsPerFile: 300, ResolverLogs: true})
	sum = load(t, db2, ingest.Options{}, gen)
	if sum.Loaded != 4 || queryInt(t, db2, `SELECT count(*) FROM dns_queries`) == 0 || queryInt(t, db2, `SELECT count(*) FROM flows`) == 0 {
		t.Errorf("flow and resolver logs together: %+v", sum)
	}
}

// TestResolverLogsBatch: the Resolver logs of a batch load with one statement; each file still
// gets its own rows, span and rejected lines, the addresses their keys (IPv6 through the
// load's key function, the same key as in the flows), and a line whose port is no port
// loads without it, noted by its number, rather than failing its file.
func TestResolverLogsBatch(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	lines := strings.Split(strings.TrimSpace(resolverLog), "\n")
	prefix := "AWSLogs/123456789012/vpcdnsquerylogs/vpc-0a1b/2024/06/01/"
	writeFile(t, dir, prefix+"a.log.gz", resolverLog)                            // 4 rows, line 3 rejected
	writeFile(t, dir, prefix+"b.log", lines[3]+"\n")                             // the IPv6 answer only
	bad := strings.Replace(lines[1], `"srcport":"5321"`, `"srcport":"70000"`, 1) // no port
	writeFile(t, dir, prefix+"c.log.gz", lines[0]+"\n"+bad+"\n"+strings.Replace(lines[1], "00:00:06", "00:09:59", 1)+"\n")
	sum := load(t, db, ingest.Options{}, dir)
	if sum.Loaded != 3 || sum.Failed != 0 || sum.Rows != 4+1+4 || sum.Rejected != 1 || sum.Altered != 1 {
		t.Fatalf("summary: %+v", sum)
	}
	got := queryString(t, db, `SELECT string_agg(concat_ws(' ', regexp_extract(uri, '[a-c][.]log'), rows_loaded, rows_rejected,
            strftime(first_start, '%H:%M:%S'), strftime(last_end, '%H:%M:%S'),
            (SELECT count(*) FROM dns_queries q WHERE q.file_id = f.file_id)), '; ' ORDER BY uri) FROM ingested_files f`)
	if want := "a.log 4 1 00:00:05 00:00:07 4; b.log 1 0 00:00:07 00:00:07 1; c.log 4 0 00:00:05 00:09:59 4"; got != want {
		t.Errorf("per file:\n got %s\nwant %s", got, want)
	}
	if got := queryString(t, db, `SELECT string_agg(line || ' ' || kind || ': ' || reason, '; ') FROM load_errors WHERE uri LIKE '%c.log.gz'`); got != "2 altered: srcport 70000 is no port number (0 to 65535): loaded without it" {
		t.Errorf("c.log.gz's altered line: %s", got)
	}
	// Every spelling of an address has one key, the flows' (flowsql_addr_keys): the IPv6
	// answer of a.log and b.log alike.
	if got := queryString(t, db, `SELECT count(DISTINCT answer_ip) || ' ' || bool_and(answer_ip < 0) || ' ' || bool_and(ip_text(answer_ip) = '2600:1f18::1')
            FROM dns_queries WHERE answer_type = 'AAAA'`); got != "1 true true" {
		t.Errorf("IPv6 answer keys: %s", got)
	}
	if got := queryString(t, db, `SELECT count(*) || ' ' || bool_and(src_ip = ip4_int(srcaddr)) || ' ' || count(*) FILTER (WHERE answer_type = 'A' AND answer_ip <> ip4_int(answer))
            FROM dns_queries`); got != "9 true 0" {
		t.Errorf("IPv4 keys: %s", got)
	}
}

// TestStoredClustered: a batch stores its rows of the summary sorted by destination, and its
// Resolver answers sorted by address, so that DuckDB's zone maps let a report that looks a few
// addresses up skip the row groups that cannot hold them (top-sources --dst, key_domain).
func TestStoredClustered(t *testing.T) {
	db := newDB(t)
	gen, _ := generate(t, flowgen.Config{Seed: 7, Files: 4, RowsPerFile: 5000, ResolverLogs: true})
	if sum := load(t, db, ingest.Options{}, gen); sum.Loaded != 8 || sum.Failed != 0 {
		t.Fatalf("load: %+v", sum)
	}
	for _, c := range []struct{ table, column string }{{"dns_queries", "answer_ip"}, {ingest.SummaryTable, "dst_ip"}} {
		// Out of order: a row whose address is lower than the one stored before it, or an
		// address after a row without one (NULLs sort last).
		got := queryString(t, db, `SELECT count(*) || ' rows, ' || count(*) FILTER (WHERE n > 1 AND (before > v OR before IS NULL AND v IS NOT NULL)) || ' out of order'
            FROM (SELECT `+c.column+` AS v, lag(`+c.column+`) OVER (ORDER BY rowid) AS before, row_number() OVER (ORDER BY rowid) AS n FROM `+c.table+`)`)
		if !strings.HasSuffix(got, " 0 out of order") || strings.HasPrefix(got, "0 rows") {
			t.Errorf("%s by %s: %s", c.table, c.column, got)
		}
	}
}
