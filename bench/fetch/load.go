package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flowsql/flowsql/internal/flowgen"
)

// loadBench measures flowsql load s3:// through a proxy of limited bandwidth against flowsql
// fetch followed by flowsql load of the downloaded files, in one run, alternating.
type loadBench struct {
	bin           string
	objects, rows int
	mbps          float64
}

func (b loadBench) run(latency time.Duration) error {
	ctx := context.Background()
	work, srv, total, err := serveLogs(ctx, "load", flowgen.Config{Seed: 2, Files: b.objects, RowsPerFile: b.rows})
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	defer srv.Stop()
	proxy := httptest.NewServer(delayed(srv.URL, latency, b.mbps*1e6))
	defer proxy.Close()
	env := os.Environ()
	for _, e := range srv.Env() {
		env = append(env, strings.Replace(e, srv.URL, proxy.URL, 1))
	}
	flowsql := func(args ...string) (time.Duration, string, error) {
		cmd := exec.Command(b.bin, args...)
		cmd.Env = env
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return 0, "", fmt.Errorf("flowsql %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return time.Since(start), string(out), nil
	}
	fmt.Printf("\nflowsql load from S3: %d objects, %.1f MB, %d records, through a proxy at %.0f MB/s adding %v to each request:\n",
		b.objects, float64(total)/1e6, b.objects*b.rows, b.mbps, latency)
	var direct, twoStep time.Duration
	var wait string
	for i := range 2 {
		db := filepath.Join(work, fmt.Sprintf("direct-%d.duckdb", i))
		d, out, err := flowsql("load", "--verbose", "--db", db, "s3://load/AWSLogs/")
		if err != nil {
			return err
		}
		if direct == 0 || d < direct {
			direct, wait = d, waitedFor(out)
		}
		dest := filepath.Join(work, fmt.Sprintf("fetched-%d", i))
		f, _, err := flowsql("fetch", "s3://load/AWSLogs/", "--dest", dest)
		if err != nil {
			return err
		}
		l, _, err := flowsql("load", "--quiet", "--db", filepath.Join(work, fmt.Sprintf("two-step-%d.duckdb", i)), dest)
		if err != nil {
			return err
		}
		if twoStep == 0 || f+l < twoStep {
			twoStep = f + l
		}
		fmt.Printf("  run %d: load s3:// %.1f s; fetch %.1f s then load %.1f s, %.1f s\n", i+1, d.Seconds(), f.Seconds(), l.Seconds(), (f + l).Seconds())
	}
	fmt.Printf("  best of 2: load s3:// %.1f s (it waited %s for downloads), fetch then load %.1f s: %.2fx the speed\n",
		direct.Seconds(), wait, twoStep.Seconds(), twoStep.Seconds()/direct.Seconds())
	return nil
}

// waitedFor finds, in flowsql load --verbose's output, how long the load waited for its files
// to be downloaded and prepared.
func waitedFor(out string) string {
	if m := regexp.MustCompile(`fetch and prepare ([0-9.]+) s`).FindStringSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		return fmt.Sprintf("%.1f s", v)
	}
	return "an unknown time"
}

// tokenBucket paces reads shared by several connections to a rate.
type tokenBucket struct {
	rate float64
	mu   sync.Mutex
	next time.Time
}

// take waits until n more bytes fit the rate.
func (b *tokenBucket) take(n int) {
	b.mu.Lock()
	now := time.Now()
	if b.next.Before(now) {
		b.next = now
	}
	b.next = b.next.Add(time.Duration(float64(n) / b.rate * float64(time.Second)))
	wait := b.next.Sub(now)
	b.mu.Unlock()
	time.Sleep(wait)
}

type throttledBody struct {
	io.ReadCloser
	bucket *tokenBucket
}

func (t *throttledBody) Read(p []byte) (int, error) {
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	n, err := t.ReadCloser.Read(p)
	t.bucket.take(n)
	return n, err
}
