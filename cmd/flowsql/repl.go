package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/ergochat/readline"
	"github.com/flowsql/flowsql/internal/repl"
)

const replAbout = `
An interactive SQL shell on the flow database, with line editing, history (kept in
$FLOWSQL_HISTORY, or flowsql/history in your config directory), and tab completion of SQL
keywords, tables, columns, report names and file paths. Statements end with ";" and may span
lines. Ctrl-C cancels a running query and keeps the session; Ctrl-D leaves.

Dot commands (.help lists them): .tables, .schema [TABLE], .reports, .run NAME [--param value],
.mode table|csv|json|ndjson|markdown|line, .timer on|off, .maxrows N, .output [FILE],
.once FILE, .export FILE.parquet [QUERY], .load PATH..., .read FILE, .quit.

When standard input is not a terminal, the statements are read from it without prompts and the
first error ends the run with exit status 1, so a script can drive the shell:

  flowsql repl < queries.sql
  echo 'SELECT count(*) FROM flows;' | flowsql repl

'flowsql' with no arguments on a terminal starts the shell too.`

func runREPL(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "repl", "[flags]", replAbout)
	db := dbFlag(fs, e)
	write := fs.Bool("write", false, "open the database for writing (CREATE, INSERT, .load): it then needs the file to itself")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("Example: flowsql repl --db flows.duckdb", "repl takes no arguments (got %q); statements come from the prompt or standard input", pos[0])
	}
	mode := readDB
	if *write {
		mode = writeDB
	}
	conn, err := e.openDB(ctx, *db, mode)
	if err != nil {
		return err
	}
	defer conn.Close()
	set, err := loadQueries("")
	if err != nil {
		return err
	}
	s := repl.New(conn, set, e.stdout, e.stderr)
	defer s.Close()
	s.Load = func(ctx context.Context, paths []string) error {
		if !*write {
			return fmt.Errorf("the shell opened the database read-only, so that other readers can share it: start it with 'flowsql repl --write' to load")
		}
		files, err := localFiles(paths)
		if err != nil {
			return err
		}
		sum, err := loadFiles(ctx, e, conn, files, loadFlags{batchFiles: 64}, e.stderr)
		if err == nil && sum.Failed > 0 {
			err = fmt.Errorf("%s could not be loaded", plural(sum.Failed, "file"))
		}
		return err
	}
	if isTerminal(e.stdin) {
		return interactive(ctx, e, s, *db)
	}
	return script(ctx, e, s)
}

// script runs statements from standard input, stopping at the first error (like duckdb -bail).
// Lines are read in a goroutine of their own, so that a signal stops the script even while
// standard input has nothing to give.
func script(ctx context.Context, e *env, s *repl.Session) error {
	type input struct {
		line string
		err  error
		eof  bool
	}
	lines := make(chan input)
	go func() {
		sc := bufio.NewScanner(e.stdin)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			select {
			case lines <- input{line: sc.Text()}:
			case <-ctx.Done():
				return
			}
		}
		select {
		case lines <- input{err: sc.Err(), eof: true}:
		case <-ctx.Done():
		}
	}()
	var sp repl.Splitter
	n := 0
	run := func(stmts []string) error {
		for _, st := range stmts {
			if err := s.Execute(ctx, st); err != nil {
				if errors.Is(err, repl.ErrQuit) || ctx.Err() != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "flowsql repl: line %d: %v\n", n, err)
				return &exitError{exitFailure}
			}
		}
		return nil
	}
	for {
		var in input
		select {
		case in = <-lines:
		case <-ctx.Done():
			return ctx.Err()
		}
		if in.eof {
			if in.err != nil {
				return in.err
			}
			return quitIsOK(run(sp.Flush()))
		}
		n++
		if err := run(sp.Add(in.line)); err != nil {
			return quitIsOK(err)
		}
	}
}

func quitIsOK(err error) error {
	if errors.Is(err, repl.ErrQuit) {
		return nil
	}
	return err
}

// interactive runs the prompt. Ctrl-C at the prompt clears the line; during a query it
// cancels the query alone: the shell takes SIGINT over from the command's handler for that.
func interactive(ctx context.Context, e *env, s *repl.Session, dbPath string) error {
	history := historyFile(e)
	cfg := &readline.Config{
		Prompt:          "flowsql> ",
		HistoryFile:     history,
		AutoComplete:    &repl.Completer{S: s},
		Stdout:          e.stdout,
		Stderr:          e.stderr,
		InterruptPrompt: "^C",
		EOFPrompt:       "\n",
	}
	// A terminal that does not answer the editor's cursor queries gets plain lines instead.
	editing := true
	if in, ok := e.stdin.(*os.File); ok {
		if out, ok := e.stdout.(*os.File); ok {
			answered, typed := probeTerminal(in, out)
			editing = answered
			if !answered {
				typed = rawInput(typed)
				cfg.FuncIsTerminal = func() bool { return false }
				// Cooked mode: the terminal echoes and ends lines, and Ctrl-C is a signal.
				cfg.FuncMakeRaw = func() error { return nil }
				cfg.FuncExitRaw = func() error { return nil }
			}
			cfg.Stdin = io.MultiReader(bytes.NewReader(typed), in)
		}
	}
	rl, err := readline.NewFromConfig(cfg)
	if err != nil {
		return err
	}
	defer rl.Close()
	signal.Reset(os.Interrupt)
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)

	// A signal that stops the command (SIGTERM, SIGHUP) ends the prompt: closing the line
	// editor makes a waiting Readline return.
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			rl.Close()
		case <-stopped:
		}
	}()
	fmt.Fprintf(e.stderr, "flowsql shell on %s: .help for commands, \";\" ends a statement, Ctrl-D leaves.\n", dbPath)
	var sp repl.Splitter
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		prompt := "flowsql> "
		if sp.Pending() {
			prompt = "    ...> "
		}
		rl.SetPrompt(prompt)
		if !editing {
			fmt.Fprint(e.stdout, prompt) // the editor prints none without a terminal that answers
		}
		line, err := rl.Readline()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			sp.Reset()
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		for _, st := range sp.Add(line) {
			err := cancellable(ctx, interrupts, func(qctx context.Context) error { return s.Execute(qctx, st) })
			switch {
			case errors.Is(err, repl.ErrQuit):
				return nil
			case ctx.Err() != nil:
				return ctx.Err()
			case errors.Is(err, context.Canceled):
				fmt.Fprintln(e.stderr, "Interrupted: the statement was cancelled.")
			case err != nil:
				fmt.Fprintf(e.stderr, "Error: %v\n", err)
			}
		}
	}
}

// cancellable runs f with a context that an interrupt cancels.
func cancellable(ctx context.Context, interrupts chan os.Signal, f func(context.Context) error) error {
	for len(interrupts) > 0 { // an interrupt from before this statement is not for it
		<-interrupts
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-interrupts:
			cancel()
		case <-done:
		}
	}()
	err := f(qctx)
	if err != nil && qctx.Err() != nil && ctx.Err() == nil {
		return context.Canceled
	}
	return err
}

// historyFile is where the shell keeps its history: $FLOWSQL_HISTORY, or flowsql/history in
// the user's config directory ("" when there is none).
func historyFile(e *env) string {
	if p := e.getenv("FLOWSQL_HISTORY"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	dir = filepath.Join(dir, "flowsql")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ""
	}
	return filepath.Join(dir, "history")
}
