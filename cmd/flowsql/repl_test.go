package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/flowsql/flowsql/internal/flowgen"
)

// terminal is a process on a pseudo-terminal, and what it has written so far.
type terminal struct {
	t    *testing.T
	f    *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	seen int // output before this offset has been matched
}

func (term *terminal) send(s string) {
	term.t.Helper()
	if _, err := term.f.WriteString(s); err != nil {
		term.t.Fatal(err)
	}
}

// interruptUntil sends Ctrl-C, again and again, until text appears.
func (term *terminal) interruptUntil(text string) {
	term.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		term.send("\x03")
		term.mu.Lock()
		i := strings.Index(term.out.String()[term.seen:], text)
		if i >= 0 {
			term.seen += i + len(text)
			term.mu.Unlock()
			return
		}
		term.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
	term.t.Fatalf("no %q after Ctrl-C", text)
}

// expect waits for text to appear after what earlier expectations matched.
func (term *terminal) expect(text string) {
	term.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		term.mu.Lock()
		i := strings.Index(term.out.String()[term.seen:], text)
		if i >= 0 {
			term.seen += i + len(text)
			term.mu.Unlock()
			return
		}
		term.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	term.mu.Lock()
	defer term.mu.Unlock()
	term.t.Fatalf("no %q in the terminal after:\n%q", text, term.out.String()[term.seen:])
}

// TestREPLTerminal drives the real line editor through a pseudo-terminal: "flowsql" with no
// arguments starts the shell; a table name is completed with Tab; the up arrow recalls the
// statement from history; Ctrl-C cancels a long query and the session goes on; Ctrl-D leaves.
func TestREPLTerminal(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, _, err := flowgen.New(flowgen.Config{Seed: 2, Files: 3, RowsPerFile: 200}).WriteTree(logs); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "t.duckdb")
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"load", "--db", db, "--quiet", logs}, nil, io.Discard, &stderr); code != 0 {
		t.Fatalf("load: %d %s", code, stderr.String())
	}
	history := filepath.Join(dir, "history")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "FLOWSQL_RUN_MAIN=1", "FLOWSQL_DB="+db, "FLOWSQL_HISTORY="+history, "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer f.Close()
	term := &terminal{t: t, f: f}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			// The line editor asks where the cursor is (DSR); a terminal answers.
			for range bytes.Count(buf[:n], []byte("\x1b[6n")) {
				f.WriteString("\x1b[1;1R")
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	term.expect("flowsql> ")
	// The shell reads: other readers share the database; a load, which writes, is told which
	// process has it.
	stderr.Reset()
	if code := run(context.Background(), []string{"sql", "--db", db, "SELECT 1"}, nil, io.Discard, &stderr); code != 0 {
		t.Errorf("a second reader: exit %d, %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"load", "--db", db, "--quiet", logs}, nil, io.Discard, &stderr); code != exitFailure ||
		!strings.Contains(stderr.String(), fmt.Sprintf("is in use by process %d", cmd.Process.Pid)) {
		t.Errorf("a writer: exit %d, %s", code, stderr.String())
	}
	term.send("SELECT count(*) AS files FROM ingested_f\t")
	term.expect("ingested_files")
	term.send(";\r")
	term.expect("(1 row)")
	term.expect("flowsql> ")
	// History: the up arrow brings the statement back.
	term.send("\x1b[A")
	term.expect("ingested_files;")
	term.send("\r")
	term.expect("(1 row)")
	term.expect("flowsql> ")
	// Ctrl-C during a long query cancels it alone.
	term.send("SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b;\r")
	term.expect("range(1000000) b;")
	// Ctrl-C until the query is cancelled: one that arrives before the query runs is not for
	// it, and is dropped.
	term.interruptUntil("Interrupted: the statement was cancelled.")
	term.expect("flowsql> ")
	term.send("SELECT 40 + 2 AS answer;\r")
	term.expect("42")
	term.expect("flowsql> ")
	term.send("\x04")
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the shell ended with %v", err)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("Ctrl-D did not end the shell")
	}
	h, err := os.ReadFile(history)
	if err != nil || !strings.Contains(string(h), "SELECT count(*) AS files FROM ingested_files;") {
		t.Errorf("history %q: %v", h, err)
	}
}

// startShell starts "flowsql" on a pseudo-terminal. With answerDSR, the terminal answers the
// line editor's cursor queries as a terminal emulator does; without, it is script(1) fed from a
// pipe, which never answers.
func startShell(t *testing.T, db string, answerDSR bool) (*terminal, *exec.Cmd, chan error) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "FLOWSQL_RUN_MAIN=1", "FLOWSQL_DB="+db, "FLOWSQL_HISTORY="+filepath.Join(t.TempDir(), "history"), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	term := &terminal{t: t, f: f}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if answerDSR {
				for range bytes.Count(buf[:n], []byte("\x1b[6n")) {
					f.WriteString("\x1b[1;1R")
				}
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return term, cmd, exited
}

// exitCode waits for the shell to end and returns its exit status.
func exitCode(t *testing.T, cmd *exec.Cmd, exited chan error, what string) int {
	t.Helper()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return 0
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%s: the shell did not end", what)
		return -1
	}
}

// TestShellTypeAhead: keystrokes that arrive before the prompt, on a terminal that never
// answers the line editor's cursor queries (script -qc flowsql < keys), are read and run; the
// shell does not wait after its banner, and leaves at the end of its input.
func TestShellTypeAhead(t *testing.T) {
	db := newDatabase(t)
	term, cmd, exited := startShell(t, db, false)
	term.send("SELECT 6 * 7 AS answer;\r.quit\r") // before any prompt
	term.expect("42")
	if code := exitCode(t, cmd, exited, ".quit"); code != 0 {
		t.Errorf("exit %d", code)
	}
	// And with a terminal that answers, typed-ahead input is not lost either.
	term, cmd, exited = startShell(t, db, true)
	term.send("SELECT 6 * 9 AS answer;\r")
	term.expect("54")
	term.expect("(1 row)")
	term.expect("flowsql> ") // Ctrl-D at the prompt: sent earlier, it may reach the editor mid-redraw
	term.send("\x04")
	if code := exitCode(t, cmd, exited, "Ctrl-D"); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestShellSignals: SIGTERM and SIGHUP end a shell waiting at its prompt, and one running a
// long statement, as Ctrl-C ends a load: at once, with 128 + the signal's number, and the
// database free for the next process.
func TestShellSignals(t *testing.T) {
	db := newDatabase(t)
	for _, c := range []struct {
		sig     syscall.Signal
		running bool
	}{{syscall.SIGTERM, false}, {syscall.SIGHUP, false}, {syscall.SIGTERM, true}} {
		for _, answer := range []bool{true, false} {
			t.Logf("%s, running %v, answering %v", c.sig, c.running, answer)
			term, cmd, exited := startShell(t, db, answer)
			term.expect("flowsql> ")
			if c.running {
				term.send("SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b;\r")
				term.expect("range(1000000) b;")
			}
			cmd.Process.Signal(c.sig)
			start := time.Now()
			if code := exitCode(t, cmd, exited, c.sig.String()); code != 128+int(c.sig) {
				t.Errorf("%s (running %v, answering %v): exit %d, want %d", c.sig, c.running, answer, code, 128+int(c.sig))
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("%s took %s", c.sig, took)
			}
			var stderr bytes.Buffer
			if code := run(context.Background(), []string{"sql", "--db", db, "SELECT 1"}, nil, io.Discard, &stderr); code != 0 {
				t.Errorf("after %s the database is still held: %s", c.sig, stderr.String())
			}
		}
	}
}

// newDatabase makes an empty flowsql database.
func newDatabase(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "t.duckdb")
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"sql", "--db", db, "--write", "SELECT 1"}, nil, io.Discard, &stderr); code != 0 {
		t.Fatalf("make %s: %s", db, stderr.String())
	}
	return db
}
