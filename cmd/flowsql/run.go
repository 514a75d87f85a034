package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flowsql/flowsql/internal/flowdb"
	"golang.org/x/term"
)

// Exit codes that scripts can rely on.
const (
	exitOK          = 0
	exitFailure     = 1   // the command ran and something failed (a file, a query)
	exitUsage       = 2   // the command line is wrong
	exitInterrupted = 130 // Ctrl-C (SIGTERM 143, SIGHUP 129: 128 + the signal)
)

// env is what a command may touch: its streams and environment.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// isTerminal reports whether a stream (stdin, stdout, stderr) is a terminal: progress is
// drawn only there, and the shell starts only there.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"load", "load flow-log files (local or s3://) into the database", runLoad},
		{"fetch", "download flow-log files from S3", runFetch},
		{"report", "run a canned report (top destinations, top sources, ...)", runReport},
		{"nat", "explain a NAT gateway bill: bytes, dollars, sources, what was avoidable", runNAT},
		{"sql", "run a SQL query against the database", runSQL},
		{"repl", "an interactive SQL shell (also: flowsql with no arguments on a terminal)", runREPL},
		{"athena", "run the reports on Amazon Athena: the table DDL (reports: --engine athena)", runAthena},
		{"enrich", "name addresses: network interfaces, whois/RDAP owners, AWS ranges", runEnrich},
		{"export", "write a table, view or query to Parquet (optionally Hive-partitioned), CSV or JSON", runExport},
		{"version", "print flowsql's version and the DuckDB it embeds", runVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `flowsql turns AWS VPC Flow Logs into answers.

Usage:
  flowsql <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every command works on one DuckDB database file: flowsql.duckdb in the current directory, or
the file that --db or $FLOWSQL_DB names (":memory:" for one that vanishes on exit). Any DuckDB
client can open that file too.

Run 'flowsql <command> -h' for a command's flags and examples.
`)
}

// run is the whole program: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	if len(args) == 0 && isTerminal(stdin) {
		return report(ctx, e, "repl", runREPL(ctx, e, nil))
	}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-v", "--version":
		return report(ctx, e, "version", runVersion(ctx, e, nil))
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, stdin, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == name {
			return report(ctx, e, name, c.run(ctx, e, args[1:]))
		}
	}
	fmt.Fprintf(stderr, "flowsql: unknown command %q\nRun 'flowsql help' for the list of commands.\n", name)
	return exitUsage
}

// report prints a command's error and turns it into an exit code.
func report(ctx context.Context, e *env, name string, err error) int {
	var ue *usageError
	var xe *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "flowsql %s: %s\n", name, ue.msg)
		hint := ue.hint
		if hint == "" {
			hint = fmt.Sprintf("Run 'flowsql %s -h' for usage.", name)
		}
		fmt.Fprintln(e.stderr, hint)
		return exitUsage
	case errors.As(err, &xe):
		return xe.code
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		var stop *stopSignal
		if errors.As(context.Cause(ctx), &stop) && stop.sig != os.Interrupt {
			fmt.Fprintf(e.stderr, "flowsql %s: stopped by %s\n", name, stop.sig)
			return signalExitCode(stop.sig)
		}
		fmt.Fprintf(e.stderr, "flowsql %s: interrupted\n", name)
		return exitInterrupted
	default:
		msg := err.Error()
		if errors.Is(err, flowdb.ErrNoDatabase) {
			msg += "\nLoad flow logs first: flowsql load PATH... (or point --db at your database)"
		}
		fmt.Fprintf(e.stderr, "flowsql %s: %s\n", name, msg)
		return exitFailure
	}
}

// usageError is a mistake on the command line; hint says what to type instead.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }

func usagef(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// exitError ends a command with a code, its message already printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// newFlagSet makes a command's flag set. Its Usage prints the command's help, with its flags,
// on stdout: for -h only (see parseArgs); a mistake is one line on stderr.
func newFlagSet(e *env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: flowsql %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(about))
		// The flags that have a usage: a renamed flag's old name has none and stays unlisted.
		listed := flag.NewFlagSet(name, flag.ContinueOnError)
		fs.VisitAll(func(f *flag.Flag) {
			if f.Usage != "" {
				listed.Var(f.Value, f.Name, f.Usage)
			}
		})
		listed.SetOutput(e.stdout)
		listed.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags that may come before, between or after the positional arguments,
// as users type them ("flowsql report top-sources --dst 10.0.0.5 logs/"); "--" ends flags.
// -h prints the help on stdout and ends the command; a flag that is wrong is a usage error,
// printed once, on stderr, by the command's caller.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	help := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = help }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
				return nil, err
			}
			return nil, &usageError{msg: err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// dbFlag adds the --db flag, defaulting to $FLOWSQL_DB or flowsql.duckdb.
func dbFlag(fs *flag.FlagSet, e *env) *string {
	def := e.getenv("FLOWSQL_DB")
	if def == "" {
		def = flowdb.DefaultPath
	}
	return fs.String("db", def, "database `FILE` (\":memory:\" for a throwaway one; $FLOWSQL_DB sets the default)")
}

// renamedFlag keeps a flag's old name as a mistake that says the new one.
func renamedFlag(fs *flag.FlagSet, old, now string) {
	fs.Func(old, "", func(string) error {
		return fmt.Errorf("--%s is now --%s (--format means the output format in every command)", old, now)
	})
}
