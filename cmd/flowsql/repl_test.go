package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
	// While the shell holds the database, another flowsql says which process has it.
	stderr.Reset()
	if code := run(context.Background(), []string{"sql", "--db", db, "SELECT 1"}, nil, io.Discard, &stderr); code != exitFailure ||
		!strings.Contains(stderr.String(), fmt.Sprintf("is in use by process %d", cmd.Process.Pid)) {
		t.Errorf("a second process: exit %d, %s", code, stderr.String())
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
	time.Sleep(700 * time.Millisecond)
	term.send("\x03")
	term.expect("Interrupted: the statement was cancelled.")
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
