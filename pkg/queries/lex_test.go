package queries

import (
	"slices"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	for _, c := range []struct {
		text  string
		stmts []string
		rest  string
	}{
		{"SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}, ""},
		{"SELECT $$a;b$$;", []string{"SELECT $$a;b$$"}, ""},
		{"SELECT $x$a;$$;b$x$; SELECT 2", []string{"SELECT $x$a;$$;b$x$"}, " SELECT 2"},
		{"SELECT 'it''s;'; SELECT 2;", []string{"SELECT 'it''s;'", "SELECT 2"}, ""},
		{`SELECT E'it\'s;'; SELECT 2;`, []string{`SELECT E'it\'s;'`, "SELECT 2"}, ""},
		{`SELECT "a;""b" FROM t;`, []string{`SELECT "a;""b" FROM t`}, ""},
		{"SELECT 1 -- not here;\n, 2;", []string{"SELECT 1 -- not here;\n, 2"}, ""},
		{"SELECT /* ; */ 1;", []string{"SELECT /* ; */ 1"}, ""},
		{"CREATE MACRO m(a) AS (a; );", []string{"CREATE MACRO m(a) AS (a; )"}, ""},
		{"SELECT (a; b", nil, "SELECT (a; b"},
		{"SELECT (1);", []string{"SELECT (1)"}, ""},
		{"SELECT 'open;", nil, "SELECT 'open;"},
		{"SELECT $$open;", nil, "SELECT $$open;"},
		{"-- only a comment;\n;", nil, ""},
		{"SELECT $1, $limit;", []string{"SELECT $1, $limit"}, ""},
		{"SELECT a$b$c FROM t;", []string{"SELECT a$b$c FROM t"}, ""},
	} {
		stmts, rest := SplitStatements(c.text)
		if !slices.Equal(stmts, c.stmts) || rest != c.rest {
			t.Errorf("SplitStatements(%q) = %q, %q; want %q, %q", c.text, stmts, rest, c.stmts, c.rest)
		}
	}
}

func TestRewriteParams(t *testing.T) {
	sql := "SELECT $dst, '$dst', \"$dst\", $$ $dst $$, E'\\' $dst', $1 -- $dst\nFROM t WHERE x = $limit /* $dst */"
	got := rewriteParams(sql, func(name string) (string, bool) {
		return "<" + name + ">", name != "1"
	})
	want := "SELECT <dst>, '$dst', \"$dst\", $$ $dst $$, E'\\' $dst', $1 -- $dst\nFROM t WHERE x = <limit> /* $dst */"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
