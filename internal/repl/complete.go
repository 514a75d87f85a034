package repl

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/flowsql/flowsql/pkg/queries"
)

// Completer completes what is typed at the prompt: dot commands, report names and their
// parameters after .run, file paths after the commands that take files, and SQL (keywords,
// tables, columns, functions) through DuckDB's sql_auto_complete.
type Completer struct {
	S *Session
}

// Complete returns the candidates for the word that ends at the cursor, each as the text to
// insert after what is typed, and the length of the word typed so far.
func (c *Completer) Complete(line string) ([]string, int) {
	if strings.HasPrefix(strings.TrimLeft(line, " "), ".") {
		return c.dot(strings.TrimLeft(line, " "))
	}
	return c.sql(line)
}

// Do is the line editor's completion hook (github.com/ergochat/readline's AutoCompleter).
func (c *Completer) Do(line []rune, pos int) ([][]rune, int) {
	cands, n := c.Complete(string(line[:pos]))
	out := make([][]rune, len(cands))
	for i, s := range cands {
		out[i] = []rune(s)
	}
	return out, n
}

func (c *Completer) dot(line string) ([]string, int) {
	words := strings.Fields(line)
	current := ""
	if !strings.HasSuffix(line, " ") && len(words) > 0 {
		current = words[len(words)-1]
		words = words[:len(words)-1]
	}
	if len(words) == 0 {
		return withPrefix(DotCommandNames(), current, false)
	}
	switch words[0] {
	case ".run":
		if len(words) == 1 {
			return withPrefix(c.S.Queries.Names(), current, false)
		}
		if q, ok := c.S.Queries.Lookup(words[1]); ok && strings.HasPrefix(current, "-") {
			flags := []string{"--since", "--until", "--account", "--interface", "--cidr", "--where"}
			for _, p := range q.Params {
				flags = append(flags, queries.FlagName(p.Name))
			}
			return withPrefix(flags, current, false)
		}
	case ".load", ".read", ".output", ".once", ".export":
		return paths(current)
	case ".mode":
		return withPrefix([]string{"table", "csv", "json", "ndjson", "markdown", "line"}, current, false)
	case ".timer":
		return withPrefix([]string{"on", "off"}, current, false)
	case ".schema":
		return c.objectNames(current)
	}
	return nil, 0
}

func (c *Completer) objectNames(current string) ([]string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	objs, err := c.S.objects(ctx)
	if err != nil {
		return nil, 0
	}
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = o[0]
	}
	return withPrefix(names, current, false)
}

// sql asks DuckDB for the words that can follow, and keeps those that extend what is typed.
func (c *Completer) sql(line string) ([]string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	rows, err := c.S.DB.QueryContext(ctx, `SELECT suggestion, suggestion_start, suggestion_type FROM sql_auto_complete(?)`, line)
	if err != nil {
		return nil, 0
	}
	defer rows.Close()
	var words []string
	start := -1
	for rows.Next() {
		var word, kind string
		var at int
		if err := rows.Scan(&word, &at, &kind); err != nil {
			return nil, 0
		}
		if kind == "table" && internalTable.MatchString(word) {
			continue
		}
		start = at
		words = append(words, word)
	}
	if start < 0 || start > len(line) {
		return nil, 0
	}
	return withPrefix(words, line[start:], true)
}

// withPrefix keeps the candidates that begin with typed (ignoring case) and returns what each
// adds; with matchCase, a keyword follows the case of what was typed.
func withPrefix(cands []string, typed string, matchCase bool) ([]string, int) {
	var out []string
	seen := map[string]bool{}
	lower := typed != "" && strings.ToLower(typed) == typed && strings.IndexFunc(typed, unicode.IsLetter) >= 0
	for _, c := range cands {
		if !strings.HasPrefix(strings.ToLower(c), strings.ToLower(typed)) || len(c) < len(typed) {
			continue
		}
		if matchCase && lower {
			c = strings.ToLower(c)
		}
		rest := c[len(typed):]
		if !seen[rest] {
			seen[rest] = true
			out = append(out, rest)
		}
	}
	sort.Strings(out)
	return out, len([]rune(typed))
}

// paths completes a file path: the entries of its directory that begin with its last element.
func paths(typed string) ([]string, int) {
	dir, base := filepath.Split(typed)
	list := dir
	if list == "" {
		list = "."
	}
	entries, err := os.ReadDir(list)
	if err != nil {
		return nil, 0
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		if e.IsDir() {
			name += "/"
		}
		out = append(out, name[len(base):])
	}
	sort.Strings(out)
	return out, len([]rune(base))
}
