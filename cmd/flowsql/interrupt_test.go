package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowsql/flowsql/internal/flowgen"
)

// TestInterruptedLoad stops a load process after its first batch commits, by SIGKILL (a crash),
// by SIGINT (Ctrl-C), SIGTERM and SIGHUP, and by SIGKILL at random moments. Either way the
// database holds whole files only, a second load finishes the job, and the result equals a load
// that was never interrupted.
func TestInterruptedLoad(t *testing.T) {
	bin, err := exec.LookPath("flowsql") // installed on $PATH by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	logs := t.TempDir()
	if _, _, err := flowgen.New(flowgen.Config{Seed: 21, Files: 30, RowsPerFile: 6000}).WriteTree(logs); err != nil {
		t.Fatal(err)
	}
	// flowsql runs a command that must succeed, failing the test (or subtest) t.
	flowsql := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("flowsql %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	clean := filepath.Join(t.TempDir(), "clean.duckdb")
	flowsql(t, "load", "--quiet", "--db", clean, logs)
	count := `SELECT count(*) || ' ' || sum(bytes) || ' ' || count(DISTINCT file_id) FROM flows`
	want := flowsql(t, "sql", "--db", clean, "--format", "csv", count)

	type stop struct {
		sig   syscall.Signal
		after time.Duration // 0: when the first batch has committed
	}
	stops := []stop{{sig: syscall.SIGKILL}, {sig: syscall.SIGINT}, {sig: syscall.SIGTERM}, {sig: syscall.SIGHUP}}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for range 3 { // a crash at a random moment of the load
		stops = append(stops, stop{sig: syscall.SIGKILL, after: time.Duration(100+r.IntN(1500)) * time.Millisecond})
	}
	for _, st := range stops {
		sig := st.sig
		t.Run(fmt.Sprintf("%s after %s", sig, st.after), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "interrupted.duckdb")
			cmd := exec.Command(bin, "load", "--verbose", "--batch-files", "3", "--db", db, logs)
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			signal := func() {
				cmd.Process.Signal(sig)
				// A process still there well inside the command's own grace (stopGrace) is
				// stuck: SIGQUIT makes Go print every goroutine's stack, which the failure
				// below then shows.
				time.AfterFunc(stopGrace*2/3, func() { cmd.Process.Signal(syscall.SIGQUIT) })
			}
			if st.after > 0 {
				time.AfterFunc(st.after, signal)
			}
			sc := bufio.NewScanner(stderr)
			var seen []string
			for sc.Scan() {
				seen = append(seen, sc.Text())
				if st.after == 0 && strings.HasPrefix(sc.Text(), "loaded ") {
					signal() // a batch has committed: stop the rest
					break
				}
			}
			for sc.Scan() {
				seen = append(seen, sc.Text())
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if st.after > 0 && err == nil {
				t.Skipf("the load finished before the crash at %s", st.after)
			}
			if err == nil || !errors.As(err, &exit) {
				t.Fatalf("load was not stopped: %v\n%s", err, strings.Join(seen, "\n"))
			}
			if sig != syscall.SIGKILL {
				want, said := 128+int(sig), "stopped by "+sig.String()
				if sig == syscall.SIGINT {
					said = "flowsql load: interrupted"
				}
				if exit.ExitCode() != want || !strings.Contains(strings.Join(seen, "\n"), said) {
					t.Errorf("%s: exit %d (want %d), stderr:\n%s", sig, exit.ExitCode(), want, strings.Join(seen, "\n"))
				}
			}
			// Killed before it made the database (a slow start on a fresh machine), the load
			// left things as they were: no database, which the second load makes.
			if _, err := os.Stat(db); err == nil || !errors.Is(err, fs.ErrNotExist) {
				consistent := flowsql(t, "sql", "--db", db, "--format", "csv",
					`SELECT (SELECT count(*) FROM flows) = (SELECT coalesce(sum(rows_loaded), 0) FROM ingested_files)`)
				if !strings.Contains(consistent, "true") {
					t.Fatalf("rows and ingested_files disagree after %s:\n%s", sig, consistent)
				}
			}
			out := flowsql(t, "load", "--db", db, logs)
			m := regexp.MustCompile(`; (\d+) files skipped`).FindStringSubmatch(out)
			if st.after == 0 && (m == nil || m[1] == "0" || m[1] == "30") {
				t.Errorf("the second load should skip the files of the committed batches: %s", out)
			}
			if got := flowsql(t, "sql", "--db", db, "--format", "csv", count); got != want {
				t.Errorf("after %s and a second load: %s; an uninterrupted load: %s", sig, got, want)
			}
		})
	}
}

// TestStoppedStatement: SIGTERM stops a command while DuckDB is inside a long statement, at
// once, with exit status 143.
func TestStoppedStatement(t *testing.T) {
	bin, err := exec.LookPath("flowsql")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "s.duckdb")
	if out, err := exec.Command(bin, "sql", "--db", db, "--write", "SELECT 1").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	cmd := exec.Command(bin, "sql", "--db", db, "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 143 || time.Since(start) > 5*time.Second || !strings.Contains(stderr.String(), "stopped by terminated") {
		t.Errorf("exit %v after %s: %s", err, time.Since(start), stderr.String())
	}
}
