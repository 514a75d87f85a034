// Package queries reads flowsql's canned reports, named SQL queries with their descriptions and
// parameters kept in queries.sql files, and turns a report with its arguments into a statement
// with bound parameters.
//
// A queries file is a sequence of queries, each introduced by annotations:
//
//	-- name: top-sources
//	-- description: Who sends the most bytes to one address.
//	-- param: dst addr: The address the traffic goes to.
//	-- param: limit int = 10: How many senders to show.
//	SELECT ... WHERE dst_ip = $dst ... LIMIT $limit
//
// Parameters are referenced as $name and bound, never pasted into the SQL. A parameter without
// a default is required. The types are int, text, addr (an IPv4 or IPv6 address, bound as its
// address key), cidr, interval (5m, 1h, 1d), time (RFC 3339, a date, or a duration back from now
// like 24h), and choice(a|b|c). "-- filters: none" marks a query that the common filters (time,
// account, interface, CIDR, WHERE) do not apply to. "-- engine: NAME" starts a body for one
// engine (duckdb, athena); the body before it serves every engine without one of its own, and a
// query whose first body is under "-- engine:" runs only on the engines it names.
// "-- optional: network, aws_service" names result columns that tables for people leave out
// when every row is NULL (enrichment columns before "flowsql enrich" has run); machine formats
// keep them, so their columns do not change under a script. "-- needs: bytes, interface-id"
// names the flow-log fields that the query's figures depend on: running it says how many of
// the loaded records lack one, and fails when all do ("-- needs: packets if by = packets"
// for a field that one choice of a parameter needs); "-- shows: packets" names fields that
// only columns beside the figures come from: running it says how many records lack one, and
// that its columns are blank when all do. "-- series: bucket" marks a time series
// that counts each record in the bucket its start falls in, of the width that the interval
// parameter bucket sets (or a fixed one: "-- series: 1h"): running it says when a --since or
// --until window leaves the buckets at its edges with only some of their records, and when
// its limit parameter cuts the series short. "-- lookup: aws_ip_ranges: 'flowsql enrich
// aws-ranges' loads them" names a table that the query's rows come from and that a command
// fills: running it while the table is empty says so, with that text, rather than answer
// with no rows and no word. "-- list: load_errors" names the table whose rows the query lists
// up to its limit parameter: when the limit cuts the list, running it says how long it is.
// "-- empty: TEXT" is what an answer without rows may mean beyond "none" (a flow log that
// records accepted traffic only has no rejections): running it says so when it has none.
//
// The parser is strict: unknown annotations, duplicate names, parameters declared and not used
// or used and not declared are errors that name the file and line.
package queries

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowsql/flowsql/internal/words"
)

// Engines are the SQL engines a query body can be written for.
var Engines = []string{"duckdb", "athena"}

// A Query is one named report.
type Query struct {
	Name        string
	Description string
	Params      []Param
	// Filters is false for queries that the common filters do not apply to.
	Filters bool
	// Optional names result columns that tables for people leave out when every row is NULL:
	// the columns of lookup tables that may not be filled yet.
	Optional []string
	// Needs names the flow-log fields (bytes, interface-id, ...) without which the query's
	// figures are wrong: a report says when the loaded logs lack one, rather than print zeros.
	Needs []string
	// NeedsIf are fields needed only for one value of a choice parameter ("-- needs: packets
	// if by = packets": ranking by packets needs them).
	NeedsIf []ConditionalNeed
	// Shows names fields that columns beside the figures come from (packets beside bytes): a
	// report says when some loaded records lack one, and runs with the columns blank when all
	// do.
	Shows []string
	// Lookups are the tables the query's rows come from that a command fills (see LookupTable).
	Lookups []LookupTable
	// List is the table whose rows the query lists, up to its limit parameter ("-- list:
	// load_errors"): when the limit cuts the list short, running it says how many there are.
	List string
	// Empty is what an answer with no rows may mean beyond "none" ("-- empty: flow logs of
	// accepted traffic only record no rejections"): running it says so when it has none.
	Empty string
	// Series is the width of the time buckets the query counts records in, by their start: an
	// interval parameter's name, or an interval ("1h"); "" for a query that is no time series.
	Series string
	// Bodies maps an engine to its SQL; "" is the body shared by engines without their own.
	Bodies map[string]string
	File   string
	Line   int
}

// A ConditionalNeed is a flow-log field that a query needs when its choice parameter Param
// is Value.
type ConditionalNeed struct {
	Field, Param, Value string
}

// A LookupTable is a table that a query's rows come from, filled by a command rather than by
// the flow logs: when it is empty the query has no rows, and Fill says what fills it.
type LookupTable struct {
	Table string
	Fill  string
}

// RunsOn lists the engines the query has a body for.
func (q *Query) RunsOn() []string {
	var out []string
	for _, e := range Engines {
		if _, ok := q.Body(e); ok {
			out = append(out, e)
		}
	}
	return out
}

// Body returns the SQL of the query for an engine, and whether it has one.
func (q *Query) Body(engine string) (string, bool) {
	if b, ok := q.Bodies[engine]; ok {
		return b, true
	}
	b, ok := q.Bodies[""]
	return b, ok
}

// Param returns the declared parameter of that name.
func (q *Query) Param(name string) (Param, bool) {
	for _, p := range q.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// A Param is a declared parameter of a query.
type Param struct {
	Name        string
	Type        string   // int, text, addr, cidr, interval, time, choice
	Choices     []string // for choice
	Default     string   // "" for none
	HasDefault  bool
	Description string
}

// Required reports whether the parameter has no default.
func (p Param) Required() bool { return !p.HasDefault }

// Set is the queries of one or more files, by name.
type Set struct {
	byName map[string]*Query
	order  []string
	// networks keeps the interfaces that the last report on a database found to count as of
	// another account or VPC, for the next while its files stay the same (flowsql nat runs
	// twenty reports).
	networks networksCache
}

// Names lists the queries, in the order their files give them.
func (s *Set) Names() []string { return slices.Clone(s.order) }

// Lookup finds a query by name.
func (s *Set) Lookup(name string) (*Query, bool) {
	q, ok := s.byName[name]
	return q, ok
}

// Describe writes each query's name, description (wrapped) and parameters, as
// "--name TYPE (required)" or "--name DEFAULT", for a listing of reports.
func (s *Set) Describe(w io.Writer) {
	for _, n := range s.order {
		q := s.byName[n]
		fmt.Fprintf(w, "\n  %s\n", n)
		for _, line := range words.Wrap(q.Description, 76) {
			fmt.Fprintf(w, "      %s\n", line)
		}
		var ps []string
		for _, p := range q.Params {
			s := FlagName(p.Name)
			switch {
			case p.Required():
				s += " " + strings.ToUpper(p.Type) + " (required)"
			case p.Default != "":
				s += " " + p.Default
			default:
				s += " " + strings.ToUpper(p.Type)
			}
			if p.Type == "choice" {
				s += " (" + strings.Join(p.Choices, "|") + ")"
			}
			ps = append(ps, s)
		}
		if len(ps) > 0 {
			fmt.Fprintf(w, "      %s\n", strings.Join(ps, "  "))
		}
		if on := q.RunsOn(); len(on) > 1 {
			fmt.Fprintf(w, "      runs on: %s\n", strings.Join(on, ", "))
		}
	}
}

// Merge adds other's queries to s; a query of other replaces one of the same name.
func (s *Set) Merge(other *Set) {
	for _, n := range other.order {
		if _, ok := s.byName[n]; !ok {
			s.order = append(s.order, n)
		}
		s.byName[n] = other.byName[n]
	}
}

// ParseFS parses a queries file from a file system.
func ParseFS(fsys fs.FS, name string) (*Set, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	return Parse(name, string(data))
}

// ParseError is a mistake in a queries file, with where it is.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

var (
	annotation   = regexp.MustCompile(`^--\s*([a-z]+):\s*(.*)$`)
	namePattern  = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	paramDecl    = regexp.MustCompile(`^([a-z][a-z0-9_]*)\s+([a-z]+(?:\([^)]*\))?)(?:\s*=\s*(\S+))?\s*:\s*(.+)$`)
	identifier   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	fieldPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	paramTypes   = map[string]bool{"int": true, "text": true, "addr": true, "cidr": true, "interval": true, "time": true, "choice": true}
)

// Parse parses the text of a queries file; file names it in errors.
func Parse(file, text string) (*Set, error) {
	set := &Set{byName: map[string]*Query{}}
	var q *Query
	var body strings.Builder
	engine := ""
	inHeader := false // between "-- name:" and the first line of SQL
	var bodyLine int
	errf := func(line int, format string, args ...any) error {
		return &ParseError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	finishBody := func(line int) error {
		sql := strings.TrimSpace(body.String())
		sql = strings.TrimSpace(strings.TrimSuffix(sql, ";"))
		body.Reset()
		if q == nil {
			return nil
		}
		if sql == "" {
			if engine == "" {
				line = q.Line
			}
			return errf(line, "query %q has no SQL for engine %q", q.Name, engineName(engine))
		}
		if _, dup := q.Bodies[engine]; dup {
			return errf(bodyLine, "query %q has two bodies for engine %q", q.Name, engineName(engine))
		}
		// A report is one statement: what a report file holds is run, and a second statement
		// would run unseen (SELECT 1; DROP TABLE ...).
		if stmts, rest := SplitStatements(sql + "\n;"); len(stmts) != 1 || !OnlyComments(rest) {
			n := len(stmts)
			if !OnlyComments(rest) {
				n++
			}
			return errf(bodyLine, "query %q (%s) is %d statements: a report is exactly one (a SELECT, maybe with WITH)", q.Name, engineName(engine), n)
		}
		q.Bodies[engine] = sql
		return nil
	}
	finishQuery := func(line int) error {
		if q == nil {
			return nil
		}
		if err := finishBody(line); err != nil {
			return err
		}
		if q.Description == "" {
			return errf(q.Line, "query %q has no -- description:", q.Name)
		}
		if len(q.Bodies) == 0 {
			return errf(q.Line, "query %q has no SQL", q.Name)
		}
		for _, n := range q.NeedsIf {
			if p, ok := q.Param(n.Param); !ok || p.Type != "choice" || !slices.Contains(p.Choices, n.Value) {
				return errf(q.Line, "query %q: -- needs: %s if %s = %s: %s is no choice of a parameter %s", q.Name, n.Field, n.Param, n.Value, n.Value, n.Param)
			}
		}
		if p, ok := q.Param(q.Series); q.Series != "" && !fixedWidth(q.Series) && (!ok || p.Type != "interval") {
			return errf(q.Line, "query %q: -- series: %s is no interval (1h) and names no interval parameter of it", q.Name, q.Series)
		}
		return checkParams(q, file)
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trim := strings.TrimSpace(line)
		m := annotation.FindStringSubmatch(trim)
		switch {
		case m != nil && m[1] == "name":
			if err := finishQuery(n); err != nil {
				return nil, err
			}
			name := strings.TrimSpace(m[2])
			if !namePattern.MatchString(name) {
				return nil, errf(n, "query name %q: use lower-case words joined by hyphens", name)
			}
			if prev, dup := set.byName[name]; dup {
				return nil, errf(n, "duplicate query name %q (first at line %d)", name, prev.Line)
			}
			q = &Query{Name: name, Filters: true, Bodies: map[string]string{}, File: file, Line: n}
			set.byName[name] = q
			set.order = append(set.order, name)
			engine, inHeader = "", true
		case q == nil:
			if trim != "" && !strings.HasPrefix(trim, "--") {
				return nil, errf(n, "SQL before the first -- name: annotation")
			}
		case m != nil && m[1] == "engine":
			if engine == "" && strings.TrimSpace(body.String()) == "" {
				body.Reset() // no shared body: the query runs only on the engines it names
			} else if err := finishBody(n); err != nil {
				return nil, err
			}
			e := strings.TrimSpace(m[2])
			if !slices.Contains(Engines, e) {
				return nil, errf(n, "unknown engine %q: use one of %s", e, strings.Join(Engines, ", "))
			}
			engine, inHeader = e, false
			bodyLine = n + 1
		case inHeader && m != nil:
			if err := annotate(q, m[1], strings.TrimSpace(m[2]), func(format string, args ...any) error { return errf(n, format, args...) }); err != nil {
				return nil, err
			}
		default:
			if inHeader && trim != "" && !strings.HasPrefix(trim, "--") {
				inHeader = false
				bodyLine = n
			}
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := finishQuery(n); err != nil {
		return nil, err
	}
	return set, nil
}

func engineName(e string) string {
	if e == "" {
		return "all"
	}
	return e
}

// annotate applies a header annotation to a query.
func annotate(q *Query, key, value string, errf func(string, ...any) error) error {
	switch key {
	case "description":
		if q.Description != "" {
			return errf("query %q has two descriptions", q.Name)
		}
		q.Description = value
	case "filters":
		if value != "none" {
			return errf(`"-- filters:" takes "none"`)
		}
		q.Filters = false
	case "optional":
		for _, c := range strings.Split(value, ",") {
			c = strings.TrimSpace(c)
			if !identifier.MatchString(c) {
				return errf("optional column %q: write '-- optional: column, column'", c)
			}
			if slices.Contains(q.Optional, c) {
				return errf("optional column %s named twice", c)
			}
			q.Optional = append(q.Optional, c)
		}
	case "needs":
		if field, cond, ok := strings.Cut(value, " if "); ok {
			param, choice, ok := strings.Cut(cond, "=")
			n := ConditionalNeed{Field: strings.TrimSpace(field), Param: strings.TrimSpace(param), Value: strings.TrimSpace(choice)}
			if !ok || !fieldPattern.MatchString(n.Field) || !identifier.MatchString(n.Param) || n.Value == "" {
				return errf("needed field %q: write '-- needs: packets if by = packets' (a field, a choice parameter and one of its values)", value)
			}
			q.NeedsIf = append(q.NeedsIf, n)
			break
		}
		for _, f := range strings.Split(value, ",") {
			f = strings.TrimSpace(f)
			if !fieldPattern.MatchString(f) {
				return errf("needed field %q: write '-- needs: bytes, interface-id' (flow-log field names)", f)
			}
			if slices.Contains(q.Needs, f) {
				return errf("field %s needed twice", f)
			}
			if slices.Contains(q.Shows, f) {
				return errf("field %s shown twice, or both needed and shown", f)
			}
			q.Needs = append(q.Needs, f)
		}
	case "shows":
		for _, f := range strings.Split(value, ",") {
			f = strings.TrimSpace(f)
			if !fieldPattern.MatchString(f) {
				return errf("shown field %q: write '-- shows: packets, start' (flow-log field names)", f)
			}
			if slices.Contains(q.Shows, f) || slices.Contains(q.Needs, f) {
				return errf("field %s shown twice, or both needed and shown", f)
			}
			q.Shows = append(q.Shows, f)
		}
	case "lookup":
		table, fill, ok := strings.Cut(value, ":")
		table, fill = strings.TrimSpace(table), strings.TrimSpace(fill)
		if !ok || !identifier.MatchString(table) || fill == "" {
			return errf("lookup %q: write '-- lookup: TABLE: what fills it'", value)
		}
		for _, l := range q.Lookups {
			if l.Table == table {
				return errf("lookup table %s named twice", table)
			}
		}
		q.Lookups = append(q.Lookups, LookupTable{Table: table, Fill: fill})
	case "empty":
		if q.Empty != "" || value == "" {
			return errf("empty %q: write '-- empty: what an answer without rows may mean' once", value)
		}
		q.Empty = value
	case "list":
		if q.List != "" || !identifier.MatchString(value) {
			return errf("list %q: write '-- list: TABLE' once, naming the table whose rows the query lists", value)
		}
		q.List = value
	case "series":
		if q.Series != "" {
			return errf("query %q has two series annotations", q.Name)
		}
		if !identifier.MatchString(value) && !fixedWidth(value) {
			return errf("series %q: write '-- series: PARAM', naming the interval parameter of the buckets, or '-- series: 1h'", value)
		}
		q.Series = value
	case "param":
		m := paramDecl.FindStringSubmatch(value)
		if m == nil {
			return errf("parameter %q: write '-- param: NAME TYPE [= DEFAULT]: DESCRIPTION'", value)
		}
		p := Param{Name: m[1], Type: m[2], Default: m[3], HasDefault: m[3] != "", Description: m[4]}
		if strings.HasPrefix(p.Type, "choice(") {
			p.Choices = strings.Split(strings.TrimSuffix(strings.TrimPrefix(p.Type, "choice("), ")"), "|")
			p.Type = "choice"
		}
		if !paramTypes[p.Type] {
			return errf("parameter %s: unknown type %q (int, text, addr, cidr, interval, time, choice(a|b))", p.Name, p.Type)
		}
		if _, dup := q.Param(p.Name); dup {
			return errf("parameter %s declared twice", p.Name)
		}
		if p.HasDefault {
			if p.Default == "null" {
				p.Default = ""
			} else if _, err := convert(p, p.Default); err != nil {
				return errf("parameter %s: default %q: %v", p.Name, p.Default, err)
			}
		}
		q.Params = append(q.Params, p)
	default:
		return errf("unknown annotation %q (name, description, param, filters, optional, needs, series, lookup, engine)", "-- "+key+":")
	}
	return nil
}

// fixedWidth reports whether a series annotation gives its buckets' width (1h) rather than the
// parameter that sets it.
func fixedWidth(series string) bool {
	d, err := ParseDuration(series)
	return err == nil && d >= time.Second
}

// checkParams holds every body to the declared parameters: each $name used is declared, and each
// declared parameter is used by every body.
func checkParams(q *Query, file string) error {
	for engine, sql := range q.Bodies {
		used := referencedParams(sql)
		for _, name := range used {
			if _, ok := q.Param(name); !ok {
				return &ParseError{File: file, Line: q.Line, Msg: fmt.Sprintf("query %q (%s): $%s is used but not declared", q.Name, engineName(engine), name)}
			}
		}
		for _, p := range q.Params {
			if !slices.Contains(used, p.Name) {
				return &ParseError{File: file, Line: q.Line, Msg: fmt.Sprintf("query %q (%s): parameter %s is declared but not used", q.Name, engineName(engine), p.Name)}
			}
		}
	}
	return nil
}

// referencedParams lists the $name references of SQL text, outside strings, quoted names and
// comments.
func referencedParams(sql string) []string {
	var out []string
	rewriteParams(sql, func(name string) (string, bool) {
		if _, err := strconv.Atoi(name); err != nil && name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
		return "", false
	})
	return out
}
