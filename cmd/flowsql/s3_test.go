package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/internal/s3server"
)

// TestS3EndToEnd runs fetch and load against versitygw, a real S3-compatible server that checks
// signatures, on loopback: objects in the default and the Hive layouts, a fetch with date
// filters (only the right objects arrive), a re-run (nothing downloaded), and a load from
// s3:// that gives exactly the rows a load of the local files gives. .ci/run installs versitygw;
// without it the test is skipped, unless FLOWSQL_REQUIRE_S3SERVER is set.
func TestS3EndToEnd(t *testing.T) {
	srv, err := s3server.Start(t.TempDir())
	if errors.Is(err, s3server.ErrNotInstalled) && os.Getenv("FLOWSQL_REQUIRE_S3SERVER") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	bin, err := exec.LookPath("flowsql")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Date(2024, 6, 1, 23, 0, 0, 0, time.UTC)
	logs := t.TempDir()
	g := flowgen.New(flowgen.Config{Seed: 31, Start: start, Files: 24, RowsPerFile: 200})
	if _, _, err := g.WriteTree(logs); err != nil {
		t.Fatal(err)
	}
	hive := t.TempDir()
	if _, _, err := flowgen.New(flowgen.Config{Seed: 31, Start: start, Files: 24, RowsPerFile: 200, Layout: flowgen.LayoutHive}).WriteTree(hive); err != nil {
		t.Fatal(err)
	}
	for dir, prefix := range map[string]string{logs: "", hive: "hive/"} {
		if _, err := srv.UploadTree(ctx, "flowlogs", prefix, dir); err != nil {
			t.Fatal(err)
		}
	}
	flowsql := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), srv.Env()...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := flowsql(args...)
		if err != nil {
			t.Fatalf("flowsql %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}

	// Fetch with a window: 23:40 to 00:20, across midnight (two day folders).
	dest := t.TempDir()
	out := must("fetch", "s3://flowlogs/AWSLogs/123456789012/vpcflowlogs/us-east-1/", "--since", "2024-06-01T23:40:00Z",
		"--until", "2024-06-02T00:20:00Z", "--dest", dest, "--concurrency", "4")
	var want []string
	for i := range 24 {
		for _, r := range g.File(i).Records {
			if r.End >= start.Add(40*time.Minute).Unix() && r.Start < start.Add(80*time.Minute).Unix() {
				want = append(want, g.Key(i))
				break
			}
		}
	}
	var got []string
	filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".log.gz") {
			rel, _ := filepath.Rel(dest, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	for _, k := range want {
		if !contains(got, k) {
			t.Errorf("%s holds records of the window but was not fetched", k)
		}
	}
	if len(got) > len(want)+4 || len(got) >= 24 {
		t.Errorf("fetched %d files for %d of the window: %s", len(got), len(want), out)
	}
	out = must("fetch", "s3://flowlogs/AWSLogs/123456789012/vpcflowlogs/us-east-1/", "--since", "2024-06-01T23:40:00Z",
		"--until", "2024-06-02T00:20:00Z", "--dest", dest)
	if !regexp.MustCompile(`fetched 0 objects, 0 B .*; \d+ objects already present`).MatchString(out) {
		t.Errorf("second fetch downloaded again: %s", out)
	}

	// Load from S3 (the Hive copy) and from the local files: the same rows.
	local := filepath.Join(t.TempDir(), "local.duckdb")
	remote := filepath.Join(t.TempDir(), "remote.duckdb")
	must("load", "--quiet", "--db", local, logs)
	out = must("load", "--db", remote, "s3://flowlogs/hive/AWSLogs/")
	if !strings.Contains(out, "loaded 24 files") {
		t.Errorf("load from s3: %s", out)
	}
	q := "SELECT count(*) || ' ' || sum(bytes) || ' ' || count(DISTINCT srcaddr) FROM flows"
	if a, b := must("sql", "--db", local, "--format", "csv", q), must("sql", "--db", remote, "--format", "csv", q); a != b {
		t.Errorf("local files: %s; s3: %s", a, b)
	}
	out = must("load", "--db", remote, "s3://flowlogs/hive/AWSLogs/")
	if !strings.Contains(out, "nothing to load: 24 files already loaded") {
		t.Errorf("second load from s3: %s", out)
	}
	// Route 53 Resolver query logs beside flow logs: a window keeps the flow logs of its time
	// and the query logs of its days, from an hour before it (their answers name the addresses).
	withDNS := t.TempDir()
	if _, _, err := flowgen.New(flowgen.Config{Seed: 32, Start: start, Files: 24, RowsPerFile: 200, ResolverLogs: true}).WriteTree(withDNS); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.UploadTree(ctx, "flowlogs", "dns/", withDNS); err != nil {
		t.Fatal(err)
	}
	out = must("load", "--db", filepath.Join(t.TempDir(), "dns.duckdb"), "s3://flowlogs/dns/AWSLogs/",
		"--since", "2024-06-02T00:30:00Z", "--until", "2024-06-02T00:50:00Z")
	if m := regexp.MustCompile(`listed 48 objects under s3://flowlogs/dns/AWSLogs/: (\d+) flow-log files and 24 Route 53 Resolver query logs to load`).FindStringSubmatch(out); m == nil || m[1] == "24" {
		t.Errorf("load with resolver logs listed:\n%s", out)
	}
	if !regexp.MustCompile(`\d+ flow records and [\d,]+ Route 53 Resolver answers`).MatchString(out) {
		t.Errorf("load with resolver logs:\n%s", out)
	}

	// A bucket that is not there is one clear line, and exit 1.
	out, err = flowsql("fetch", "s3://no-such-bucket/AWSLogs/", "--dest", t.TempDir())
	if err == nil || !strings.Contains(out, "list s3://no-such-bucket/AWSLogs/: the bucket does not exist") {
		t.Errorf("missing bucket: %v\n%s", err, out)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
