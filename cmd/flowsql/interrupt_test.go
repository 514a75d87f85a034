package main

import (
	"bufio"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/flowsql/flowsql/internal/flowgen"
)

// TestInterruptedLoad stops a load process after its first batch commits, by SIGKILL (a crash)
// and by SIGINT (Ctrl-C). Either way the database holds whole files only, a second load
// finishes the job, and the result equals a load that was never interrupted.
func TestInterruptedLoad(t *testing.T) {
	bin, err := exec.LookPath("flowsql") // installed on $PATH by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	logs := t.TempDir()
	if _, _, err := flowgen.New(flowgen.Config{Seed: 21, Files: 30, RowsPerFile: 6000}).WriteTree(logs); err != nil {
		t.Fatal(err)
	}
	flowsql := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("flowsql %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	clean := filepath.Join(t.TempDir(), "clean.duckdb")
	flowsql("load", "--quiet", "--db", clean, logs)
	count := `SELECT count(*) || ' ' || sum(bytes) || ' ' || count(DISTINCT file_id) FROM flows`
	want := flowsql("sql", "--db", clean, "--format", "csv", count)

	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "interrupted.duckdb")
			cmd := exec.Command(bin, "load", "--verbose", "--batch-files", "3", "--db", db, logs)
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stderr)
			var seen []string
			for sc.Scan() {
				seen = append(seen, sc.Text())
				if strings.HasPrefix(sc.Text(), "loaded ") {
					cmd.Process.Signal(sig) // a batch has committed: stop the rest
					break
				}
			}
			for sc.Scan() {
				seen = append(seen, sc.Text())
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if err == nil || !errors.As(err, &exit) {
				t.Fatalf("load was not stopped: %v\n%s", err, strings.Join(seen, "\n"))
			}
			if sig == syscall.SIGINT {
				if exit.ExitCode() != exitInterrupted || !strings.Contains(strings.Join(seen, "\n"), "flowsql load: interrupted") {
					t.Errorf("Ctrl-C: exit %d, stderr:\n%s", exit.ExitCode(), strings.Join(seen, "\n"))
				}
			}
			consistent := flowsql("sql", "--db", db, "--format", "csv",
				`SELECT (SELECT count(*) FROM flows) = (SELECT coalesce(sum(rows_loaded), 0) FROM ingested_files)`)
			if !strings.Contains(consistent, "true") {
				t.Fatalf("rows and ingested_files disagree after %s:\n%s", sig, consistent)
			}
			out := flowsql("load", "--db", db, logs)
			m := regexp.MustCompile(`; (\d+) files skipped`).FindStringSubmatch(out)
			if m == nil || m[1] == "0" || m[1] == "30" {
				t.Errorf("the second load should skip the files of the committed batches: %s", out)
			}
			if got := flowsql("sql", "--db", db, "--format", "csv", count); got != want {
				t.Errorf("after %s and a second load: %s; an uninterrupted load: %s", sig, got, want)
			}
		})
	}
}
