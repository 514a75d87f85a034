package s3logs_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/pkg/ingest"
	"github.com/flowsql/flowsql/pkg/s3logs"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 is an in-process S3 (gofakes3) behind a handler that can refuse or fail requests.
type fakeS3 struct {
	t      testing.TB
	srv    *httptest.Server
	client *s3.Client

	mu      sync.Mutex
	deny    map[string]bool // keys that answer 403 AccessDenied
	flaky   map[string]int  // keys that answer 503 SlowDown this many more times
	gets    map[string]int  // GETs per key
	slow    map[string]bool // keys whose body arrives slowly
	delayed chan struct{}   // closed to let slow bodies finish
}

func newFakeS3(t testing.TB, bucket string) *fakeS3 {
	t.Helper()
	f := &fakeS3{t: t, deny: map[string]bool{}, flaky: map[string]int{}, gets: map[string]int{}, slow: map[string]bool{}, delayed: make(chan struct{})}
	faker := gofakes3.New(s3mem.New())
	inner := faker.Server()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/"+bucket+"/")
		if r.Method == http.MethodGet && r.URL.RawQuery == "" || r.Method == http.MethodGet && !strings.Contains(r.URL.RawQuery, "list-type") && key != "" {
			f.mu.Lock()
			f.gets[key]++
			denied, flaky, slow := f.deny[key], f.flaky[key], f.slow[key]
			if flaky > 0 {
				f.flaky[key]--
			}
			f.mu.Unlock()
			switch {
			case denied:
				s3Error(w, 403, "AccessDenied", "Access Denied")
				return
			case flaky > 0:
				s3Error(w, 503, "SlowDown", "Please reduce your request rate.")
				return
			case slow:
				inner.ServeHTTP(&slowWriter{ResponseWriter: w, wait: f.delayed}, r)
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	f.client = s3.New(s3.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("key", "secret", ""),
		BaseEndpoint:     aws.String(f.srv.URL),
		UsePathStyle:     true,
		RetryMaxAttempts: 4,
	})
	if _, err := f.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return f
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

// slowWriter sends the first part of a body, then waits.
type slowWriter struct {
	http.ResponseWriter
	wait <-chan struct{}
	sent bool
}

func (s *slowWriter) Write(p []byte) (int, error) {
	if !s.sent && len(p) > 10 {
		s.sent = true
		n, err := s.ResponseWriter.Write(p[:10])
		s.ResponseWriter.(http.Flusher).Flush()
		<-s.wait
		return n, err
	}
	return s.ResponseWriter.Write(p)
}

func (f *fakeS3) put(bucket, key string, data []byte) {
	f.t.Helper()
	if _, err := f.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		f.t.Fatal(err)
	}
}

// upload generates files and puts them under prefix; it returns the generator.
func (f *fakeS3) upload(bucket, prefix string, cfg flowgen.Config) *flowgen.Generator {
	f.t.Helper()
	cfg.Prefix = prefix
	g := flowgen.New(cfg)
	dir := f.t.TempDir()
	paths, _, err := g.WriteTree(dir)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, p := range paths {
		data, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		f.put(bucket, filepath.ToSlash(rel), data)
	}
	return g
}

var night = time.Date(2024, 6, 1, 22, 0, 0, 0, time.UTC)

// TestListS3 lists the default and Hive layouts with time, account and region filters: every file
// that holds a record of the window is kept, and the files far from it are not.
func TestListS3(t *testing.T) {
	const bucket = "logs"
	f := newFakeS3(t, bucket)
	cfg := flowgen.Config{Seed: 1, Start: night, Files: 48, RowsPerFile: 20} // 22:00 to 02:00, across midnight
	g := f.upload(bucket, "", cfg)
	cfg.Layout = flowgen.LayoutHive
	f.upload(bucket, "hive/", cfg)
	f.put(bucket, "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/01/notes.txt.bak", []byte("x"))

	since, until := night.Add(110*time.Minute), night.Add(130*time.Minute) // 23:50 to 00:10
	var want []string
	for i := range cfg.Files {
		for _, r := range g.File(i).Records {
			if r.End >= since.Unix() && r.Start < until.Unix() {
				want = append(want, g.Key(i))
				break
			}
		}
	}
	for _, c := range []struct {
		loc  string
		days int // day prefixes listed; 0 for one listing
	}{
		{"s3://logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/", 2},
		{"s3://logs/hive/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/", 2},
		{"s3://logs/AWSLogs/", 0},
	} {
		loc, err := s3logs.ParseURI(c.loc)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s3logs.List(context.Background(), f.client, loc, s3logs.Filter{Since: since, Until: until, Account: flowgen.Account, Region: "us-east-1"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, o := range res.Objects {
			got[strings.TrimPrefix(o.Key, "hive/")] = true
		}
		for _, k := range want {
			if c.loc == "s3://logs/hive/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/" {
				k = strings.Replace(k, "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/01/", "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=06/day=01/", 1)
				k = strings.Replace(k, "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/02/", "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=06/day=02/", 1)
			}
			if !got[k] {
				t.Errorf("%s: %s holds records of the window but was left out", c.loc, k)
			}
		}
		if len(res.Objects) > len(want)+4 {
			t.Errorf("%s: kept %d objects for %d files of the window", c.loc, len(res.Objects), len(want))
		}
		if c.days > 0 && len(res.Scanned) != c.days {
			t.Errorf("%s: listed %v, want %d day prefixes", c.loc, res.Scanned, c.days)
		}
	}
	// Another account or region, or a window outside the logs, keeps nothing.
	loc, _ := s3logs.ParseURI("s3://logs/AWSLogs/")
	for _, flt := range []s3logs.Filter{{Account: "210987654321"}, {Region: "eu-west-1"}, {Since: night.Add(48 * time.Hour)}, {Until: night.Add(-time.Hour)}} {
		res, err := s3logs.List(context.Background(), f.client, loc, flt)
		if err != nil || len(res.Objects) != 0 {
			t.Errorf("%+v kept %d objects (%v)", flt, len(res.Objects), err)
		}
	}
	res, _ := s3logs.List(context.Background(), f.client, loc, s3logs.Filter{Limit: 5})
	if len(res.Objects) != 5 {
		t.Errorf("--limit 5 kept %d", len(res.Objects))
	}
}

// TestListS3Resolver: Route 53 Resolver query logs are chosen by the account and day of their
// keys, kept from an hour before the window (ingest.ResolverLead: their answers name the
// addresses of later records), and a prefix that stops at the VPC is listed a day at a time.
func TestListS3Resolver(t *testing.T) {
	const bucket = "logs"
	f := newFakeS3(t, bucket)
	g := flowgen.New(flowgen.Config{Seed: 1, Start: night, Files: 48, RowsPerFile: 20, ResolverLogs: true}) // 22:00 to 02:00
	dir := t.TempDir()
	if _, _, err := g.WriteTree(dir); err != nil {
		t.Fatal(err)
	}
	days := map[string]int{} // resolver logs uploaded, by the day of their folder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, "vpcdnsquerylogs") {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			f.put(bucket, filepath.ToSlash(rel), data)
			days[filepath.ToSlash(filepath.Dir(rel))[len(filepath.ToSlash(filepath.Dir(rel)))-10:]]++
		}
		return nil
	})
	if days["2024/06/01"] == 0 || days["2024/06/02"] == 0 {
		t.Fatalf("resolver logs by day: %v", days)
	}
	resolver := func(res *s3logs.Listing) map[string]int {
		out := map[string]int{}
		for _, o := range res.Objects {
			if o.Info.Resolver {
				out[o.Info.Date.Format("2006/01/02")]++
			}
		}
		return out
	}
	vpc := "s3://logs/AWSLogs/123456789012/vpcdnsquerylogs/" + flowgen.VPCID + "/"
	for _, c := range []struct {
		loc          string
		since, until time.Time
		want         []string // days whose logs are kept
		scanned      int      // day prefixes listed; 0 for one listing
	}{
		// Records from 00:30: the answers of 23:30 on the day before may name their addresses.
		{vpc, night.Add(150 * time.Minute), night.Add(3 * time.Hour), []string{"2024/06/01", "2024/06/02"}, 2},
		{"s3://logs/AWSLogs/", night.Add(150 * time.Minute), night.Add(3 * time.Hour), []string{"2024/06/01", "2024/06/02"}, 0},
		// Records from 02:00: the day before holds no answer of the hour before.
		{vpc, night.Add(4 * time.Hour), night.Add(5 * time.Hour), []string{"2024/06/02"}, 1},
		{"s3://logs/AWSLogs/", night.Add(4 * time.Hour), night.Add(5 * time.Hour), []string{"2024/06/02"}, 0},
		// Records of the day before the logs: none (a day's folder may hold any hour of it).
		{vpc, night.Add(-30 * time.Hour), night.Add(-27 * time.Hour), nil, 1},
	} {
		loc, err := s3logs.ParseURI(c.loc)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s3logs.List(context.Background(), f.client, loc, s3logs.Filter{Since: c.since, Until: c.until, Account: flowgen.Account, Region: "us-east-1"})
		if err != nil {
			t.Fatal(err)
		}
		got := resolver(res)
		if len(got) != len(c.want) {
			t.Errorf("%s from %s: kept the logs of %v, want the days %v", c.loc, c.since.Format(time.Kitchen), got, c.want)
		}
		for _, d := range c.want {
			if got[d] != days[d] {
				t.Errorf("%s from %s: kept %d of the %d logs of %s", c.loc, c.since.Format(time.Kitchen), got[d], days[d], d)
			}
		}
		if c.scanned > 0 && len(res.Scanned) != c.scanned {
			t.Errorf("%s: listed %v, want %d day prefixes", c.loc, res.Scanned, c.scanned)
		}
	}
	loc, _ := s3logs.ParseURI("s3://logs/AWSLogs/")
	if res, err := s3logs.List(context.Background(), f.client, loc, s3logs.Filter{Account: "210987654321"}); err != nil || len(res.Objects) != 0 {
		t.Errorf("another account kept %d objects (%v)", len(res.Objects), err)
	}
}

// TestListS3Pages: more objects than one page holds.
func TestListS3Pages(t *testing.T) {
	f := newFakeS3(t, "many")
	for i := range 1234 {
		f.put("many", fmt.Sprintf("x/%04d.log", i), []byte("x"))
	}
	res, err := s3logs.List(context.Background(), f.client, s3logs.Location{Bucket: "many", Prefix: "x/"}, s3logs.Filter{})
	if err != nil || len(res.Objects) != 1234 {
		t.Fatalf("listed %d objects, %v", len(res.Objects), err)
	}
}

// TestFetch downloads, resumes, and downloads again what changed.
func TestFetch(t *testing.T) {
	f := newFakeS3(t, "logs")
	g := f.upload("logs", "", flowgen.Config{Seed: 2, Start: night, Files: 6, RowsPerFile: 50})
	loc, _ := s3logs.ParseURI("s3://logs/AWSLogs/")
	list := func() []s3logs.Object {
		res, err := s3logs.List(context.Background(), f.client, loc, s3logs.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Objects
	}
	dest := t.TempDir()
	sum, err := s3logs.Fetch(context.Background(), f.client, loc, list(), dest, s3logs.FetchOptions{Concurrency: 3})
	if err != nil || sum.Downloaded != 6 || sum.Failed != 0 {
		t.Fatalf("%+v, %v", sum, err)
	}
	var b bytes.Buffer
	g.Write(&b, g.File(3))
	local, _ := os.ReadFile(filepath.Join(dest, filepath.FromSlash(g.Key(3))))
	if len(local) == 0 || sum.Bytes == 0 {
		t.Fatal("nothing written")
	}
	sum, err = s3logs.Fetch(context.Background(), f.client, loc, list(), dest, s3logs.FetchOptions{})
	if err != nil || sum.Downloaded != 0 || sum.Present != 6 {
		t.Fatalf("second fetch: %+v, %v", sum, err)
	}
	f.put("logs", g.Key(3), []byte("replaced, and longer than it was before"))
	sum, err = s3logs.Fetch(context.Background(), f.client, loc, list(), dest, s3logs.FetchOptions{})
	if err != nil || sum.Downloaded != 1 || sum.Present != 5 {
		t.Fatalf("after a change: %+v, %v", sum, err)
	}
	// Files fetched by other means are recognised by their MD5 (a simple upload's ETag).
	other := t.TempDir()
	os.MkdirAll(filepath.Dir(filepath.Join(other, filepath.FromSlash(g.Key(0)))), 0o755)
	os.Rename(filepath.Join(dest, filepath.FromSlash(g.Key(0))), filepath.Join(other, filepath.FromSlash(g.Key(0))))
	sum, err = s3logs.Fetch(context.Background(), f.client, loc, list()[:1], other, s3logs.FetchOptions{})
	if err != nil || sum.Present != 1 {
		t.Fatalf("copied file: %+v, %v", sum, err)
	}
}

// TestFetchErrors: access denied and a missing object fail those objects only, with a reason;
// throttling is retried; nothing is left where a file is expected.
func TestFetchErrors(t *testing.T) {
	f := newFakeS3(t, "logs")
	for _, k := range []string{"a/ok.log", "a/denied.log", "a/gone.log", "a/flaky.log"} {
		f.put("logs", k, []byte("version srcaddr\n2 10.0.0.1\n"))
	}
	loc, _ := s3logs.ParseURI("s3://logs/a/")
	res, err := s3logs.List(context.Background(), f.client, loc, s3logs.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	f.client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("logs"), Key: aws.String("a/gone.log")})
	f.deny["a/denied.log"] = true
	f.flaky["a/flaky.log"] = 2
	dest := t.TempDir()
	sum, err := s3logs.Fetch(context.Background(), f.client, loc, res.Objects, dest, s3logs.FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, r := range sum.Results {
		if r.Status == s3logs.FetchFailed {
			reasons[r.Object.Key] = r.Err.Error()
		}
	}
	if sum.Downloaded != 2 || sum.Failed != 2 ||
		!strings.Contains(reasons["a/denied.log"], "get s3://logs/a/denied.log: access denied (AccessDenied)") ||
		!strings.Contains(reasons["a/gone.log"], "get s3://logs/a/gone.log: the object does not exist") {
		t.Fatalf("%+v\n%v", sum, reasons)
	}
	if f.gets["a/flaky.log"] != 3 {
		t.Errorf("flaky.log was asked for %d times, want 3 (two SlowDown, then the object)", f.gets["a/flaky.log"])
	}
	entries, _ := os.ReadDir(filepath.Join(dest, "a"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "flaky.log ok.log" {
		t.Errorf("files left: %v", names)
	}
}

// TestFetchInterrupted: a download stopped midway leaves no file, not even a temporary one.
func TestFetchInterrupted(t *testing.T) {
	f := newFakeS3(t, "logs")
	f.put("logs", "a/big.log", bytes.Repeat([]byte("2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 400 1 2 ACCEPT OK\n"), 1000))
	f.slow["a/big.log"] = true
	loc, _ := s3logs.ParseURI("s3://logs/a/")
	res, _ := s3logs.List(context.Background(), f.client, loc, s3logs.Filter{})
	ctx, cancel := context.WithCancel(context.Background())
	dest := t.TempDir()
	done := make(chan error)
	go func() {
		_, err := s3logs.Fetch(ctx, f.client, loc, res.Objects, dest, s3logs.FetchOptions{})
		done <- err
	}()
	for f.getsOf("a/big.log") == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	close(f.delayed)
	if err := <-done; err == nil {
		t.Fatal("an interrupted fetch returned no error")
	}
	entries, _ := os.ReadDir(filepath.Join(dest, "a"))
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func (f *fakeS3) getsOf(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets[key]
}

// TestLoadFromS3: loading s3:// objects gives exactly the rows that loading the same files from
// disk gives, and a second load of the objects loads nothing.
func TestLoadFromS3(t *testing.T) {
	f := newFakeS3(t, "logs")
	f.upload("logs", "", flowgen.Config{Seed: 8, Start: night, Files: 5, RowsPerFile: 300})
	loc, _ := s3logs.ParseURI("s3://logs/AWSLogs/")
	res, err := s3logs.List(context.Background(), f.client, loc, s3logs.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := s3logs.Fetch(context.Background(), f.client, loc, res.Objects, dir, s3logs.FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	local := newDB(t)
	onDisk, err := ingest.LocalFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Load(context.Background(), local, onDisk, ingest.Options{}); err != nil {
		t.Fatal(err)
	}

	remote := newDB(t)
	tmp := t.TempDir()
	fetch, cleanup := s3logs.Loader(f.client, tmp)
	files := s3logs.Files(loc, res.Objects)
	sum, err := ingest.Load(context.Background(), remote, files, ingest.Options{Fetch: fetch, Cleanup: cleanup, BatchFiles: 2})
	if err != nil || sum.Loaded != 5 {
		t.Fatalf("%+v %v", sum, err)
	}
	q := `SELECT count(*) || ' ' || sum(bytes) || ' ' || count(DISTINCT srcaddr) || ' ' || min(source_account) || ' ' || min(source_date) FROM flows`
	if a, b := queryString(t, local, q), queryString(t, remote, q); a != b {
		t.Errorf("from disk: %s; from S3: %s", a, b)
	}
	if uri := queryString(t, remote, `SELECT min(uri) FROM ingested_files`); !strings.HasPrefix(uri, "s3://logs/AWSLogs/") {
		t.Errorf("uri %s", uri)
	}
	if etag := queryString(t, remote, `SELECT min(etag) FROM ingested_files`); len(etag) != 32 {
		t.Errorf("etag %q", etag)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("downloads left behind: %v", left)
	}
	sum, err = ingest.Load(context.Background(), remote, s3logs.Files(loc, res.Objects), ingest.Options{Fetch: fetch, Cleanup: cleanup})
	if err != nil || sum.Skipped != 5 || sum.Loaded != 0 {
		t.Fatalf("second load: %+v %v", sum, err)
	}
}

// TestFetchManifestKeys: object keys come from the bucket, and a tab or a newline in one must
// not forge a line of the fetch manifest: the object is known again by its own key, and the
// key its newline tried to plant is not.
func TestFetchManifestKeys(t *testing.T) {
	f := newFakeS3(t, "logs")
	evil := "AWSLogs/a\tb\nAWSLogs/forged.log.gz\t5\tplanted.log.gz"
	f.put("logs", evil, []byte("version srcaddr\n"))
	f.put("logs", "AWSLogs/forged.log.gz", []byte("version srcaddr\n2 10.0.0.1\n"))
	loc, _ := s3logs.ParseURI("s3://logs/AWSLogs/")
	res, err := s3logs.List(context.Background(), f.client, loc, s3logs.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var objs []s3logs.Object
	for _, o := range res.Objects {
		if o.Key == evil {
			objs = append(objs, o)
		}
	}
	if len(objs) != 1 {
		t.Fatalf("listing: %+v", res.Objects)
	}
	dest := t.TempDir()
	if sum, err := s3logs.Fetch(context.Background(), f.client, loc, objs, dest, s3logs.FetchOptions{}); err != nil || sum.Downloaded != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	manifest, _ := os.ReadFile(filepath.Join(dest, ".flowsql-fetch.tsv"))
	if n := bytes.Count(manifest, []byte("\n")); n != 1 {
		t.Errorf("the manifest has %d lines for one object:\n%q", n, manifest)
	}
	sum, err := s3logs.Fetch(context.Background(), f.client, loc, res.Objects, dest, s3logs.FetchOptions{})
	if err != nil || sum.Present != 1 || sum.Downloaded != 1 {
		t.Errorf("second fetch (the evil key known, the forged one not): %+v %v", sum, err)
	}
}

func newDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := flowsql.Open(context.Background(), filepath.Join(t.TempDir(), "s3.duckdb"), flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func queryString(t testing.TB, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

// listed puts the files cfg generates in a fake S3's bucket "logs", and lists them.
func listed(t *testing.T, cfg flowgen.Config) (*fakeS3, s3logs.Location, []s3logs.Object) {
	t.Helper()
	f := newFakeS3(t, "logs")
	f.upload("logs", "", cfg)
	loc, _ := s3logs.ParseURI("s3://logs/AWSLogs/")
	res, err := s3logs.List(context.Background(), f.client, loc, s3logs.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return f, loc, res.Objects
}

// sixInBatches puts six generated files in a fake S3 and lists them as a load takes them, two
// to a batch: the files, the objects, the batch of each file's URI (0, 1, 2), and a loader's
// fetch and cleanup into tmp.
func sixInBatches(t *testing.T, seed uint64, tmp string) (f *fakeS3, files []ingest.File, objs []s3logs.Object, batch map[string]int,
	fetch func(context.Context, *ingest.File) error, cleanup func(*ingest.File)) {
	t.Helper()
	f, loc, objs := listed(t, flowgen.Config{Seed: seed, Start: night, Files: 6, RowsPerFile: 200})
	files = s3logs.Files(loc, objs)
	batch = map[string]int{}
	for i, file := range files {
		batch[file.URI] = i / 2
	}
	fetch, cleanup = s3logs.Loader(f.client, tmp)
	return f, files, objs, batch, fetch, cleanup
}

// TestLoadFetchesAhead: a load from S3 downloads the next batch's objects while a batch loads,
// not after it. The first batch's files wait, as they commit, for a download of the second
// batch to begin: the load passes only if that download does not wait for them.
func TestLoadFetchesAhead(t *testing.T) {
	tmp := t.TempDir()
	_, files, _, batch, fetch, cleanup := sixInBatches(t, 9, tmp)
	ahead := make(chan struct{})
	var once sync.Once
	opts := ingest.Options{BatchFiles: 2, Cleanup: cleanup,
		Fetch: func(ctx context.Context, file *ingest.File) error {
			if batch[file.URI] == 1 {
				once.Do(func() { close(ahead) })
			}
			return fetch(ctx, file)
		},
		Done: func(r ingest.FileResult) {
			if batch[r.File.URI] != 0 {
				return
			}
			select {
			case <-ahead:
			case <-time.After(10 * time.Second):
				t.Errorf("%s: committed, and no object of the next batch has begun to download", r.File.URI)
			}
		}}
	sum, err := ingest.Load(context.Background(), newDB(t), files, opts)
	if err != nil || sum.Loaded != 6 {
		t.Fatalf("%+v %v", sum, err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("downloads left behind: %v", left)
	}
}

// TestLoadStoppedWhileFetchingAhead: Ctrl-C while a batch loads and the next one downloads
// stops both. The database holds whole batches only, every download is removed, and running
// the load again loads the rest: the same rows as one uninterrupted load.
func TestLoadStoppedWhileFetchingAhead(t *testing.T) {
	tmp := t.TempDir()
	f, files, objs, batch, fetch, cleanup := sixInBatches(t, 10, tmp)
	// The third batch's objects send a few bytes, then hang until the test ends.
	f.mu.Lock()
	for _, o := range objs {
		if batch["s3://logs/"+o.Key] == 2 {
			f.slow[o.Key] = true
		}
	}
	f.mu.Unlock()
	defer close(f.delayed)
	var fetched, cleaned sync.Map
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := ingest.Options{BatchFiles: 2,
		Fetch: func(fctx context.Context, file *ingest.File) error {
			if batch[file.URI] == 2 {
				cancel() // Ctrl-C as the second batch begins to load
			}
			err := fetch(fctx, file)
			if err == nil {
				fetched.Store(file.URI, true)
			}
			return err
		},
		Cleanup: func(file *ingest.File) {
			cleaned.Store(file.URI, true)
			cleanup(file)
		}}
	db := newDB(t)
	sum, err := ingest.Load(ctx, db, files, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a load stopped part-way returned %v", err)
	}
	if sum.Loaded != 2 && sum.Loaded != 4 {
		t.Fatalf("%d files committed: want whole batches of 2, and not the batch whose objects hang", sum.Loaded)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("downloads left behind: %v", left)
	}
	fetched.Range(func(uri, _ any) bool {
		if _, ok := cleaned.Load(uri); !ok {
			t.Errorf("%s was downloaded and never cleaned up", uri)
		}
		return true
	})
	q := `SELECT count(*) || ' ' || (SELECT sum(rows_loaded) FROM ingested_files) || ' ' || (SELECT count(*) FROM ingested_files) FROM flows`
	if got, want := queryString(t, db, q), queryString(t, db, `SELECT (SELECT sum(rows_loaded) FROM ingested_files) || ' ' || (SELECT sum(rows_loaded) FROM ingested_files) || ' ' || ?`, sum.Loaded); got != want {
		t.Errorf("rows, rows the manifest counts, files: %s; want %s", got, want)
	}

	f.mu.Lock()
	clear(f.slow)
	f.mu.Unlock()
	rest, err := ingest.Load(context.Background(), db, files, ingest.Options{BatchFiles: 2, Fetch: fetch, Cleanup: cleanup})
	if err != nil || rest.Loaded+sum.Loaded != 6 || rest.Skipped != sum.Loaded {
		t.Fatalf("the second run: %+v %v", rest, err)
	}
	whole := newDB(t)
	if _, err := ingest.Load(context.Background(), whole, files, ingest.Options{Fetch: fetch, Cleanup: cleanup}); err != nil {
		t.Fatal(err)
	}
	q = `SELECT count(*) || ' ' || sum(bytes) || ' ' || count(DISTINCT srcaddr) FROM flows`
	if a, b := queryString(t, db, q), queryString(t, whole, q); a != b {
		t.Errorf("stopped and run again: %s; in one run: %s", a, b)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("downloads left behind: %v", left)
	}
}

// TestLoadStartsSmall: a load from S3 does not wait for a whole batch of 64 downloads before
// DuckDB starts: its first batch holds 8 files, the next 16, then 32. When the first batch
// commits, the second is downloading and the rest wait.
func TestLoadStartsSmall(t *testing.T) {
	f, loc, objs := listed(t, flowgen.Config{Seed: 11, Start: night, Files: 40, RowsPerFile: 20})
	files := s3logs.Files(loc, objs)
	fetch, cleanup := s3logs.Loader(f.client, t.TempDir())
	var mu sync.Mutex
	started, done := 0, 0
	atFirstCommit := -1
	opts := ingest.Options{Cleanup: cleanup,
		Fetch: func(ctx context.Context, file *ingest.File) error {
			mu.Lock()
			started++
			mu.Unlock()
			return fetch(ctx, file)
		},
		Done: func(ingest.FileResult) {
			mu.Lock()
			defer mu.Unlock()
			if done++; done == 1 {
				atFirstCommit = started
			}
		}}
	sum, err := ingest.Load(context.Background(), newDB(t), files, opts)
	if err != nil || sum.Loaded != 40 {
		t.Fatalf("%+v %v", sum, err)
	}
	if atFirstCommit > 8+16 {
		t.Errorf("%d of 40 downloads had begun when the first file committed: want the first batch (8) and the one staged beside it (16) at most", atFirstCommit)
	}
}
