package athena_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsathena "github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/athena"
	"github.com/flowsql/flowsql/internal/fakeaws"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/internal/output"
	"github.com/flowsql/flowsql/pkg/ingest"
	"github.com/flowsql/flowsql/pkg/queries"
)

// world loads generated default-format logs into a flowsql database and makes the table that
// Athena would read over the same files; it returns the database and an Athena client on a
// loopback fake that runs statements on it.
func world(t *testing.T, fake *fakeaws.Athena) (*sql.DB, *awsathena.Client) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := flowgen.Config{Seed: 21, Files: 12, RowsPerFile: 800, Fields: flowgen.DefaultFields, NoIPv6: true,
		Start: time.Date(2024, 6, 1, 23, 30, 0, 0, time.UTC)} // across midnight: two day partitions
	if _, _, err := flowgen.New(cfg).WriteTree(dir); err != nil {
		t.Fatal(err)
	}
	db, err := flowsql.Open(ctx, filepath.Join(t.TempDir(), "a.duckdb"), flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, _ := ingest.LocalFiles([]string{dir})
	if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := fakeaws.AthenaTable(db, "vpc_flow_logs"); err != nil {
		t.Fatal(err)
	}
	fake.DB = db
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := awsathena.New(awsathena.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""), RetryMaxAttempts: 1})
	return db, client
}

var fast = athena.Options{Workgroup: "primary", Poll: time.Millisecond, MaxPoll: 5 * time.Millisecond}

// TestEveryReportOnBothEngines runs every report on each engine it claims: on DuckDB for real,
// and each Athena body through the Athena path (on the fake, which executes it on DuckDB over
// the table Athena would read) with the common filters; the two must agree.
func TestEveryReportOnBothEngines(t *testing.T) {
	fake := &fakeaws.Athena{PageSize: 7, ScannedBytes: 123456789}
	db, client := world(t, fake)
	ctx := context.Background()
	set, err := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	if err != nil {
		t.Fatal(err)
	}
	filters := []queries.Filters{
		{},
		{Since: time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 6, 2, 0, 20, 0, 0, time.UTC), CIDR: "10.0.0.0/16"},
		{Account: flowgen.Account, Where: "dstport = 443"},
	}
	now := time.Now()
	athenaReports := 0
	for _, name := range set.Names() {
		q, _ := set.Lookup(name)
		vals := queries.Values{}
		for _, p := range q.Params {
			if v, ok := flowgen.NATArgument(p.Name); ok {
				vals[p.Name] = v
			}
			switch p.Name {
			case "addr":
				vals[p.Name] = flowgen.NATAddr
			case "limit":
				vals[p.Name] = "1000"
			}
		}
		if !slices.Contains(q.RunsOn(), "duckdb") {
			t.Errorf("%s does not run on DuckDB", name)
		}
		if !slices.Contains(q.RunsOn(), "athena") {
			if _, err := q.Statement(ctx, queries.Athena{Table: "t"}, vals, queries.Filters{}, nil, now); err == nil || !strings.Contains(err.Error(), "runs on duckdb only") {
				t.Errorf("%s on Athena: %v", name, err)
			}
			continue
		}
		athenaReports++
		for _, f := range filters {
			local, err := q.Statement(ctx, queries.DuckDB{}, vals, f, queries.DBKeys{DB: db}, now)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.Query(local.SQL, local.Args...)
			if err != nil {
				t.Fatalf("%s on DuckDB: %v", name, err)
			}
			want, _ := output.Read(rows, 0)
			st, err := q.Statement(ctx, queries.Athena{Table: `"vpc_flow_logs"`}, vals, f, nil, now)
			if err != nil {
				t.Fatal(err)
			}
			got, stats, err := athena.Run(ctx, client, st.Inline(), fast)
			if err != nil {
				t.Fatalf("%s on Athena: %v\n%s", name, err, st.Inline())
			}
			if stats.ScannedBytes != 123456789 {
				t.Errorf("scanned %d", stats.ScannedBytes)
			}
			if len(got.Rows) == 0 && name != "rejected" {
				t.Errorf("%s %+v: no rows on Athena", name, f)
			}
			if a, b := digest(want, got), digest(got, got); a != b {
				t.Errorf("%s %+v: DuckDB and Athena differ\nduckdb %s\nathena %s", name, f, a, b)
			}
		}
	}
	if athenaReports < 7 {
		t.Errorf("%d reports run on Athena", athenaReports)
	}
}

// digest renders the columns of res that shape names, as text that compares across engines
// (times to the second, shares to 9 digits).
func digest(res, shape *output.Result) string {
	var b strings.Builder
	for _, r := range res.Rows {
		for _, c := range shape.Columns {
			i := slices.IndexFunc(res.Columns, func(x output.Column) bool { return x.Name == c.Name })
			if i < 0 {
				return "no column " + c.Name
			}
			switch v := r[i].(type) {
			case time.Time:
				fmt.Fprintf(&b, "%s|", v.UTC().Format(time.DateTime))
			case float64:
				fmt.Fprintf(&b, "%.9f|", v)
			default:
				fmt.Fprintf(&b, "%s|", output.Text(v, ""))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestRunStates(t *testing.T) {
	fake := &fakeaws.Athena{Polls: 3, PageSize: 2}
	_, client := world(t, fake)
	ctx := context.Background()

	// Success, through status checks and result pages.
	res, stats, err := athena.Run(ctx, client, `SELECT dstport, count(*) AS n FROM vpc_flow_logs GROUP BY 1 ORDER BY 2 DESC LIMIT 5`, fast)
	if err != nil || len(res.Rows) != 5 || res.Columns[1].Type != "BIGINT" || stats.QueryID == "" {
		t.Fatalf("%+v %+v %v", res, stats, err)
	}
	if fake.Requests["GetQueryResults"] != 3 || fake.Requests["GetQueryExecution"] < 4 {
		t.Errorf("requests %v: 5 rows and a header in pages of 2 take 3 pages", fake.Requests)
	}
	if _, ok := res.Rows[0][1].(int64); !ok {
		t.Errorf("a bigint came back as %T", res.Rows[0][1])
	}
	// A query that fails says why.
	_, _, err = athena.Run(ctx, client, `SELECT nosuchcolumn FROM vpc_flow_logs`, fast)
	var qe *athena.QueryError
	if !errors.As(err, &qe) || qe.State != "FAILED" || !strings.Contains(err.Error(), "nosuchcolumn") {
		t.Errorf("failed query: %v", err)
	}
	// A workgroup Athena does not know.
	if _, _, err := athena.Run(ctx, client, `SELECT 1`, athena.Options{Workgroup: "nosuchgroup", Poll: time.Millisecond}); err == nil || !strings.Contains(err.Error(), "nosuchgroup is not found") {
		t.Errorf("unknown workgroup: %v", err)
	}
	// Cancellation stops the query on Athena.
	fake.Hold = true
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, stats, err = athena.Run(cctx, client, `SELECT count(*) FROM vpc_flow_logs`, fast)
	if !errors.Is(err, context.DeadlineExceeded) || len(fake.Stopped) != 1 || fake.Stopped[0] != stats.QueryID {
		t.Errorf("cancelled: %v, stopped %v (query %s)", err, fake.Stopped, stats.QueryID)
	}
	if got := (athena.Stats{ScannedBytes: 2e12}).Cost(); got != 10 {
		t.Errorf("2 TB cost $%v", got)
	}
	if got := (athena.Stats{ScannedBytes: 1}).Cost(); got != float64(athena.MinimumBytes)/1e12*5 {
		t.Errorf("the 10 MB minimum: $%v", got)
	}
}

// TestPartitionPredicates: a time window selects the day partitions of the layout.
func TestPartitionPredicates(t *testing.T) {
	since := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	until := time.Date(2024, 6, 3, 23, 30, 0, 0, time.UTC)
	cond, _, err := queries.Athena{Table: "t"}.FilterSQL(queries.Filters{Since: since, Until: until}, 1)
	if err != nil || !strings.Contains(cond, "day >= '2024/06/01' AND day <= '2024/06/04'") {
		t.Errorf("default layout: %s %v", cond, err)
	}
	cond, _, _ = queries.Athena{Table: "t", Layout: "hive"}.FilterSQL(queries.Filters{Since: since, Until: until}, 1)
	if !strings.Contains(cond, "(year = '2024' AND month = '06' AND day = '01') OR") || !strings.Contains(cond, "day = '04')") {
		t.Errorf("hive layout: %s", cond)
	}
	cond, _, _ = queries.Athena{Table: "t", Layout: "hive"}.FilterSQL(queries.Filters{Since: since}, 1)
	if !strings.Contains(cond, "year >= '2024'") {
		t.Errorf("hive layout, open-ended: %s", cond)
	}
}
