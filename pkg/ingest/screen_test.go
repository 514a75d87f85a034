package ingest

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func TestScreenSpeed(t *testing.T) {
	dir := os.Getenv("SCREEN_DIR")
	if dir == "" {
		t.Skip()
	}
	var files []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if strings.HasSuffix(p, ".gz") {
			files = append(files, p)
		}
		return nil
	})
	for _, mode := range []string{"gunzip", "screen"} {
		start := time.Now()
		ch := make(chan string, len(files))
		for _, f := range files {
			ch <- f
		}
		close(ch)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range ch {
					f, _ := os.Open(p)
					g, _ := newGzipStream(f)
					if mode == "gunzip" {
						io.Copy(io.Discard, g)
					} else {
						screen(g, io.Discard, screenOptions{fields: 14, header: true}, newIssueLog(t.TempDir()+"/x"))
					}
					f.Close()
				}
			}()
		}
		wg.Wait()
		t.Logf("%s: %v", mode, time.Since(start))
	}
}

func TestPlainSpacing(t *testing.T) {
	base := "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 400 1700000000 1700000060 ACCEPT OK\n"
	for i := 0; i < len(base); i++ {
		for _, c := range []byte{' ', '\n'} {
			b := []byte(base + base)
			b[len(base)+i] = c // every position, every kind of trouble, across word boundaries
			want := plainSpacingSlow(b)
			if got := plainSpacing(b); got != want {
				t.Fatalf("plainSpacing(%q) = %v, want %v", b, got, want)
			}
		}
	}
}

func plainSpacingSlow(b []byte) bool {
	s := string(b)
	return !strings.Contains(s, "  ") && !strings.Contains(s, " \n") && !strings.Contains(s, "\n ")
}

func TestParseIPv4Bytes(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "10.0.1.5", "255.255.255.255", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
		"1.2.3.-4", "a.b.c.d", "1..2.3", ".1.2.3", "1.2.3.", "", "-", "::1", "1.2.3.04", "1.2.3.0", "999.1.1.1"} {
		got, ok := parseIPv4Bytes([]byte(s))
		want, wok := parseIPv4(s)
		if ok != wok || got != want {
			t.Errorf("parseIPv4Bytes(%q) = %d %v, net/netip %d %v", s, got, ok, want, wok)
		}
	}
}

// TestStatementErrorTypes: a load statement's failure is sorted by DuckDB's error type, not by
// its text: a value that does not convert fails a file; an interruption stops the load.
func TestStatementErrorTypes(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, conv := db.Exec(`SELECT CAST('x' AS INTEGER)`)
	var se *statementError
	if !errors.As(asStatementError(conv), &se) {
		t.Errorf("a conversion error: %v is not a file's fault", conv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	_, stop := db.ExecContext(ctx, `SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b`)
	if stop == nil || errors.As(asStatementError(stop), &se) {
		t.Errorf("an interruption: %v became a file's fault", stop)
	}
	_, parse := db.Exec(`SELEC 1`)
	if errors.As(asStatementError(parse), &se) {
		t.Errorf("a syntax error: %v became a file's fault", parse)
	}
}

// TestAbandonedStreams: streams that DuckDB never reads, or stops reading part way, end when
// finished, however far their writers have got: not yet at the pipe (the writer then opens it
// after finish began, and must not wait for a reader forever), waiting to open it, or blocked
// writing a file larger than the pipe holds; and a reader that opens a pipe as it finishes
// gets through.
func TestAbandonedStreams(t *testing.T) {
	dir := t.TempDir()
	f, err := ParseFormatString("default")
	if err != nil {
		t.Fatal(err)
	}
	line := "2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 1025 6 10 1000 1717200000 1717200060 ACCEPT OK\n"
	big := filepath.Join(dir, "big.log")
	if err := os.WriteFile(big, []byte(strings.Repeat(line, 20000)), 0o644); err != nil {
		t.Fatal(err)
	}
	keys := &addrKeys{ids: map[string]int64{}, next: -1}
	seq := 0
	next := func() int { seq++; return seq }
	grace := lateReaderGrace
	lateReaderGrace = 20 * time.Millisecond // a late reader waits this long for the end
	defer func() { lateReaderGrace = grace }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 300 {
			tasks := []*task{{file: &File{URI: big}, readPath: big, format: f}, {file: &File{URI: big}, readPath: big, format: f}}
			streams, err := startStreams(dir, tasks, newEncoder(VPC, f.Fields, keys), next)
			if err != nil {
				t.Error(err)
				return
			}
			if i%3 == 2 { // a reader that stops after part of the first file
				r, err := os.Open(streams[0].pipe)
				if err != nil {
					t.Error(err)
					return
				}
				io.CopyN(io.Discard, r, 4096)
				r.Close()
			}
			// A reader that opens the second pipe as the streams finish, as a worker of a
			// stopped statement may: it must get to the end of the stream, or find no pipe,
			// not wait for a writer forever.
			late := make(chan struct{})
			go func() {
				defer close(late)
				time.Sleep(time.Duration(i%7) * 50 * time.Microsecond)
				if r, err := os.Open(streams[1].pipe); err == nil {
					io.Copy(io.Discard, r)
					r.Close()
				}
			}()
			finishAll(streams)
			<-late
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("finishing abandoned streams hangs")
	}
}
