// Package repl is flowsql's interactive SQL shell: statements and dot commands against the
// flow database, in the manner of the DuckDB CLI (.mode, .timer, .maxrows, .output, .once,
// .schema, .tables, .read) plus flow-log commands (.reports, .run, .load, .export).
//
// A Session executes one complete statement or dot command at a time; a Splitter gathers
// input lines into them. The line editor, history and signals are the command's business
// (cmd/flowsql/repl.go), so that a Session runs the same under a terminal, a script and a test.
package repl

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowsql/flowsql/internal/flowdb"
	"github.com/flowsql/flowsql/internal/output"
	"github.com/flowsql/flowsql/pkg/queries"
)

// Session is the state of one shell: the database, the output settings, the last result.
type Session struct {
	DB      *sql.DB
	Queries *queries.Set
	// Stdout receives results (unless .output or .once sends them to a file); Stderr
	// receives messages.
	Stdout, Stderr io.Writer
	// Load loads flow-log files into DB as "flowsql load" does, for .load.
	Load func(ctx context.Context, paths []string) error
	// Now is the clock for relative times in .run (default time.Now).
	Now func() time.Time

	mode    output.Format
	timer   bool
	maxRows int
	file    *os.File // .output or .once target
	once    bool
	last    *query // the last statement that returned rows, for .export
	depth   int    // .read nesting
}

type query struct {
	sql  string
	args []any
}

// DefaultMaxRows is how many rows a table shows before it says how many it left out.
const DefaultMaxRows = 100

// New returns a session with table output and the default row limit.
func New(db *sql.DB, set *queries.Set, stdout, stderr io.Writer) *Session {
	return &Session{DB: db, Queries: set, Stdout: stdout, Stderr: stderr, mode: output.Table, maxRows: DefaultMaxRows, Now: time.Now}
}

// Close closes an .output file.
func (s *Session) Close() error {
	if s.file != nil {
		err := s.file.Close()
		s.file = nil
		return err
	}
	return nil
}

// ErrQuit is returned by Execute for .quit and .exit.
var ErrQuit = errors.New("quit")

// Execute runs one complete statement (without its ";") or dot command.
func (s *Session) Execute(ctx context.Context, stmt string) error {
	stmt = strings.TrimSpace(stmt)
	if stmt == "" {
		return nil
	}
	if strings.HasPrefix(stmt, ".") {
		return s.dot(ctx, stmt)
	}
	return s.runSQL(ctx, stmt, nil)
}

// runSQL runs a statement and writes its result, if it has columns.
func (s *Session) runSQL(ctx context.Context, stmt string, args []any) error {
	start := time.Now()
	rows, err := s.DB.QueryContext(ctx, stmt, args...)
	if err != nil {
		return cleanError(err)
	}
	limit := 0
	if s.mode == output.Table || s.mode == output.Markdown || s.mode == output.Line {
		limit = s.maxRows
	}
	res, err := output.Read(rows, limit)
	if err != nil {
		return cleanError(err)
	}
	elapsed := time.Since(start)
	if len(res.Columns) > 0 {
		s.last = &query{stmt, args}
		if err := s.write(res); err != nil {
			return err
		}
	}
	if s.timer {
		fmt.Fprintf(s.Stderr, "Run Time: %.3f s\n", elapsed.Seconds())
	}
	return nil
}

// write sends a result to the output in the current mode.
func (s *Session) write(res *output.Result) error {
	w := s.Stdout
	if s.file != nil {
		w = s.file
	}
	err := output.Write(w, res, s.mode, output.Options{Footer: s.mode == output.Table})
	if s.once {
		s.once = false
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// cleanError keeps DuckDB's message and drops the driver's wrapping.
func cleanError(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return errors.New(strings.TrimSpace(err.Error()))
}

// dotCommand is a dot command: its name, its arguments and help for .help (and completion),
// and what it does with its arguments (split at spaces, quotes kept together) and the text
// after its name.
type dotCommand struct {
	name, args, help string
	run              func(s *Session, ctx context.Context, args []string, rest string) error
}

// dotCommands are the shell's dot commands, in the order .help lists them.
var dotCommands []dotCommand

func init() {
	dotCommands = []dotCommand{
		{".help", "", "this list", (*Session).help},
		{".tables", "[PATTERN]", "the tables and views (flowsql's internal ones left out)",
			func(s *Session, ctx context.Context, _ []string, rest string) error { return s.tables(ctx, rest) }},
		{".schema", "[TABLE]", "the columns of a table or view, or the CREATE statements of all",
			func(s *Session, ctx context.Context, _ []string, rest string) error { return s.schema(ctx, rest) }},
		{".reports", "", "the canned reports of queries.sql, with their parameters",
			func(s *Session, _ context.Context, _ []string, _ string) error {
				fmt.Fprint(s.Stdout, "Reports (.run NAME --param value ...):\n")
				s.Queries.Describe(s.Stdout)
				return nil
			}},
		{".run", "NAME [--param value ...]", "run a canned report (also --since, --until, --account, --interface, --cidr, --where)",
			func(s *Session, ctx context.Context, args []string, _ string) error { return s.run(ctx, args) }},
		{".mode", "table|csv|json|ndjson|markdown|line", "how results are written", (*Session).setMode},
		{".timer", "on|off", "print each statement's run time", (*Session).setTimer},
		{".maxrows", "N", "rows a table shows before it says how many it left out (0: all)", (*Session).setMaxRows},
		{".output", "[FILE]", "send results to FILE, or back to the screen",
			func(s *Session, _ context.Context, args []string, _ string) error { return s.redirect(".output", args) }},
		{".once", "FILE", "send the next result to FILE",
			func(s *Session, _ context.Context, args []string, _ string) error { return s.redirect(".once", args) }},
		{".export", "FILE.parquet|.csv|.json [QUERY]", "write a query's result, or the last result, to a file", (*Session).export},
		{".load", "PATH...", "load flow-log files (as flowsql load; the shell needs --write)", (*Session).load},
		{".read", "FILE", "run the statements in a file",
			func(s *Session, ctx context.Context, args []string, _ string) error {
				if len(args) != 1 {
					return fmt.Errorf("usage: .read FILE")
				}
				return s.read(ctx, args[0])
			}},
		{".quit", "", "leave (also .exit, Ctrl-D)", func(*Session, context.Context, []string, string) error { return ErrQuit }},
		{".exit", "", "", func(*Session, context.Context, []string, string) error { return ErrQuit }},
	}
}

func (s *Session) dot(ctx context.Context, line string) error {
	name, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	for _, c := range dotCommands {
		if c.name == name {
			return c.run(s, ctx, fields(rest), rest)
		}
	}
	return fmt.Errorf("unknown command %s: .help lists the commands", name)
}

func (s *Session) help(context.Context, []string, string) error {
	for _, c := range dotCommands {
		if c.help != "" {
			fmt.Fprintf(s.Stdout, "%-9s %-36s %s\n", c.name, c.args, c.help)
		}
	}
	fmt.Fprintln(s.Stdout, "\nSQL statements end with \";\" and may span lines. Ctrl-C cancels a running query.")
	return nil
}

func (s *Session) setMode(_ context.Context, args []string, _ string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: .mode table|csv|json|ndjson|markdown|line (now %s)", s.mode)
	}
	f, err := output.ParseFormat(args[0])
	if err != nil {
		return err
	}
	s.mode = f
	return nil
}

func (s *Session) setTimer(_ context.Context, args []string, _ string) error {
	if len(args) != 1 || args[0] != "on" && args[0] != "off" {
		return fmt.Errorf("usage: .timer on|off")
	}
	s.timer = args[0] == "on"
	return nil
}

func (s *Session) setMaxRows(_ context.Context, args []string, _ string) error {
	n, err := strconv.Atoi(strings.Join(args, ""))
	if err != nil || n < 0 {
		return fmt.Errorf("usage: .maxrows N (now %d; 0 shows every row)", s.maxRows)
	}
	s.maxRows = n
	return nil
}

func (s *Session) load(ctx context.Context, args []string, _ string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: .load PATH... (files, directories or globs of flow logs)")
	}
	if s.Load == nil {
		return fmt.Errorf(".load is not available here")
	}
	return s.Load(ctx, args)
}

// internalTable matches flowsql's own tables: the per-format segments behind the flows views,
// and its bookkeeping.
var internalTable = regexp.MustCompile(`^((tgw_)?flows_\d+|flowsql_.*|eni_snapshot)$`)

// objects lists the tables and views that users query, with their kind.
func (s *Session) objects(ctx context.Context) ([][2]string, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT table_name, CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END
        FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var name, kind string
		if err := rows.Scan(&name, &kind); err != nil {
			return nil, err
		}
		if !internalTable.MatchString(name) {
			out = append(out, [2]string{name, kind})
		}
	}
	return out, rows.Err()
}

func (s *Session) tables(ctx context.Context, pattern string) error {
	objs, err := s.objects(ctx)
	if err != nil {
		return err
	}
	res := &output.Result{Columns: []output.Column{{Name: "name", Type: "VARCHAR"}, {Name: "kind", Type: "VARCHAR"}}}
	for _, o := range objs {
		if ok, _ := filepath.Match(pattern, o[0]); pattern == "" || ok || strings.Contains(o[0], pattern) {
			res.Rows = append(res.Rows, []any{o[0], o[1]})
		}
	}
	return output.Write(s.Stdout, res, output.Table, output.Options{})
}

func (s *Session) schema(ctx context.Context, table string) error {
	if table != "" {
		return s.runSQL(ctx, "DESCRIBE "+flowdb.QuoteIdent(table), nil)
	}
	objs, err := s.objects(ctx)
	if err != nil {
		return err
	}
	for _, o := range objs {
		var stmt string
		err := s.DB.QueryRowContext(ctx, `SELECT sql FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'
            UNION ALL SELECT sql FROM duckdb_views() WHERE view_name = ? AND schema_name = 'main' LIMIT 1`, o[0], o[0]).Scan(&stmt)
		if err != nil {
			return err
		}
		fmt.Fprintln(s.Stdout, strings.TrimSpace(stmt))
	}
	return nil
}

// run runs a canned report: .run NAME [--param value | --param=value ...], with the flags of
// flowsql report (the report's parameters and the common filters), and writes it as flowsql
// report does.
func (s *Session) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: .run NAME [--param value ...]; .reports lists them")
	}
	q, ok := s.Queries.Lookup(args[0])
	if !ok {
		return fmt.Errorf("unknown report %q: .reports lists them", args[0])
	}
	fs := flag.NewFlagSet(".run "+q.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var filters queries.FilterFlags
	filters.Register(fs)
	params, err := queries.BindParams(fs, q)
	if err != nil {
		return err
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(s.Stdout, ".run %s [flags]\n\n%s\n\n", q.Name, q.Description)
			fs.SetOutput(s.Stdout)
			fs.PrintDefaults()
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%q: give parameters as --name value", fs.Arg(0))
	}
	f, err := filters.Filters(s.Now())
	if err != nil {
		return err
	}
	out, err := s.Queries.Run(ctx, s.DB, q.Name, params.Values(), f)
	if err != nil {
		return cleanError(err)
	}
	for _, n := range out.Notes {
		fmt.Fprintln(s.Stderr, n)
	}
	s.last = &query{out.SQL, out.Args}
	w := s.Stdout
	if s.file != nil {
		w = s.file
	}
	err = output.WriteReport(w, out.Result, s.mode, q.Optional)
	if s.once {
		s.once = false
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (s *Session) redirect(name string, args []string) error {
	if err := s.Close(); err != nil {
		return err
	}
	s.once = false
	if len(args) == 0 {
		if name == ".once" {
			return fmt.Errorf("usage: .once FILE")
		}
		return nil // back to the screen
	}
	f, err := os.Create(args[0])
	if err != nil {
		return err
	}
	s.file, s.once = f, name == ".once"
	return nil
}

// export writes a query's result, or the last result, to a Parquet, CSV or JSON file.
func (s *Session) export(ctx context.Context, args []string, rest string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: .export FILE.parquet [QUERY] (the last result when no query)")
	}
	path := args[0]
	q := s.last
	if text := strings.TrimSpace(strings.TrimPrefix(rest, args[0])); text != "" {
		q = &query{sql: strings.TrimSuffix(text, ";")}
	}
	if q == nil {
		return fmt.Errorf("no result to export yet: run a query first, or give one: .export %s SELECT ...", path)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".parquet":
		n, err := flowdb.CopyToParquet(ctx, s.DB, path, q.sql, q.args...)
		if err != nil {
			return cleanError(err)
		}
		fmt.Fprintf(s.Stderr, "wrote %d rows to %s\n", n, path)
		return nil
	case ".csv", ".json", ".ndjson", ".md":
		rows, err := s.DB.QueryContext(ctx, q.sql, q.args...)
		if err != nil {
			return cleanError(err)
		}
		res, err := output.Read(rows, 0)
		if err != nil {
			return cleanError(err)
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		format, _ := output.ForFile(path)
		if err := output.Write(f, res, format, output.Options{}); err != nil {
			f.Close()
			return err
		}
		fmt.Fprintf(s.Stderr, "wrote %d rows to %s\n", len(res.Rows), path)
		return f.Close()
	default:
		return fmt.Errorf("name the file .parquet, .csv, .json, .ndjson or .md")
	}
}

// read runs the statements of a file, stopping at the first error.
func (s *Session) read(ctx context.Context, path string) error {
	if s.depth > 8 {
		return fmt.Errorf(".read %s: nested too deep", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s.depth++
	defer func() { s.depth-- }()
	var sp Splitter
	for i, line := range strings.Split(string(data), "\n") {
		for _, st := range sp.Add(line) {
			if err := s.Execute(ctx, st); err != nil {
				return fmt.Errorf("%s:%d: %w", path, i+1, err)
			}
		}
	}
	for _, st := range sp.Flush() {
		if err := s.Execute(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// fields splits dot-command arguments at spaces, keeping quoted ones ('a b' or "a b") whole.
func fields(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	inField := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inField = r, true
		case r == ' ' || r == '\t':
			if inField {
				out = append(out, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteRune(r)
			inField = true
		}
	}
	if inField {
		out = append(out, cur.String())
	}
	return out
}

// DotCommandNames lists the dot commands, for completion.
func DotCommandNames() []string {
	names := make([]string, len(dotCommands))
	for i, c := range dotCommands {
		names[i] = c.name
	}
	sort.Strings(names)
	return names
}
