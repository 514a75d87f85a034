package repl_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/repl"
	"github.com/flowsql/flowsql/pkg/queries"
)

func TestSplitter(t *testing.T) {
	cases := []struct {
		lines []string
		want  []string
		rest  []string // what Flush returns at the end
	}{
		{[]string{"SELECT 1;"}, []string{"SELECT 1"}, nil},
		{[]string{"SELECT", "  1", ";"}, []string{"SELECT\n  1"}, nil},
		{[]string{"SELECT 1; SELECT 2;"}, []string{"SELECT 1", "SELECT 2"}, nil},
		{[]string{"SELECT 'a;b', \"c;d\" -- e;f", ", 'it''s;' ;"}, []string{"SELECT 'a;b', \"c;d\" -- e;f\n, 'it''s;'"}, nil},
		{[]string{"SELECT /* ; */ 1;"}, []string{"SELECT /* ; */ 1"}, nil},
		{[]string{"SELECT 'open", ";still open';"}, []string{"SELECT 'open\n;still open'"}, nil},
		{[]string{".tables", "SELECT 1", ".tables;"}, []string{".tables", "SELECT 1\n.tables"}, nil},
		{[]string{"-- only a comment;", ".mode csv"}, []string{".mode csv"}, nil},
		{[]string{"SELECT 1; SELECT 2"}, []string{"SELECT 1"}, []string{"SELECT 2"}},
		{[]string{";;", "  "}, nil, nil},
	}
	for _, c := range cases {
		var sp repl.Splitter
		var got []string
		for _, l := range c.lines {
			got = append(got, sp.Add(l)...)
		}
		if rest := sp.Flush(); !slices.Equal(got, c.want) || !slices.Equal(rest, c.rest) {
			t.Errorf("%q:\n got %q, rest %q\nwant %q, rest %q", c.lines, got, rest, c.want, c.rest)
		}
	}
}

func session(t *testing.T) (*repl.Session, *bytes.Buffer) {
	t.Helper()
	db, err := flowsql.Open(context.Background(), filepath.Join(t.TempDir(), "r.duckdb"), flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	set, err := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	return repl.New(db, set, &out, &out), &out
}

func TestComplete(t *testing.T) {
	s, _ := session(t)
	dir := t.TempDir()
	for _, f := range []string{"logs-a.log.gz", "logs-b.log.gz", "other.txt"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "logsdir"), 0o755)
	c := &repl.Completer{S: s}
	cases := []struct {
		line string
		want []string // candidates that must be among those offered
		n    int
		none []string // candidates that must not be
	}{
		{".ta", []string{"bles"}, 3, nil},
		{".run top-d", []string{"estinations"}, 5, []string{"alkers"}},
		{".run top-sources --d", []string{"st"}, 3, nil},
		{".run nat-sources --nat-", []string{"eni"}, 6, nil},
		{".mode c", []string{"sv"}, 1, nil},
		{".load " + dir + "/logs", []string{"-a.log.gz", "-b.log.gz", "dir/"}, 4, []string{"other.txt"}},
		{"SELECT * FROM ingested_f", []string{"iles"}, 10, nil},
		{"SELECT dstpo", []string{"rt"}, 5, nil},
		{"sel", []string{"ect "}, 3, []string{"ECT "}},
		{"SELECT * FROM flow", []string{"s", "_records"}, 4, []string{"s_1", "sql_meta"}},
	}
	for _, cs := range cases {
		got, n := c.Complete(cs.line)
		for _, w := range cs.want {
			if !slices.Contains(got, w) {
				t.Errorf("%q: %q not among %q", cs.line, w, got)
			}
		}
		for _, w := range cs.none {
			if slices.Contains(got, w) {
				t.Errorf("%q: %q offered", cs.line, w)
			}
		}
		if n != cs.n {
			t.Errorf("%q: length %d, want %d", cs.line, n, cs.n)
		}
	}
}

// TestSessionErrors: a mistake gives a message that says what to do, and the session goes on.
func TestSessionErrors(t *testing.T) {
	s, out := session(t)
	ctx := context.Background()
	for stmt, want := range map[string]string{
		"SELEC 1":                   "syntax error",
		".maxrows many":             "usage: .maxrows N",
		".once":                     "usage: .once FILE",
		".export x.parquet":         "no result to export yet",
		".run top-sources":          "--dst: report top-sources needs it",
		".run top-sources --dst":    "flag needs an argument: -dst",
		".run top-sources 10.0.0.1": `"10.0.0.1": give parameters as --name value`,
		".read /no/such/file":       "no such file",
		".export x.xlsx SELECT 1":   "name the file .parquet",
	} {
		err := s.Execute(ctx, stmt)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", stmt, err, want)
		}
	}
	out.Reset()
	if err := s.Execute(ctx, "SELECT 41 + 1 AS answer"); err != nil || !strings.Contains(out.String(), "42") {
		t.Errorf("after the errors: %v %q", err, out.String())
	}
	if err := s.Execute(ctx, ".quit"); err != repl.ErrQuit {
		t.Errorf(".quit: %v", err)
	}
}
