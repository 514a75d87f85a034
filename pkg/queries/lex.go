package queries

import "strings"

// flowsql reads SQL text in three places: the shell cuts what is typed into statements, a
// report's $name parameters are found and numbered, and the schema's migration files are cut
// into statements. All three use the one scanner here, which knows DuckDB's lexical rules for
// the parts of a statement that are not code:
//
//	'it''s'          string literals, '' standing for a quote
//	E'it\'s'         escape strings, where a backslash escapes the next character
//	"a ""b"""        quoted identifiers
//	$$a;b$$ $x$..$x$ dollar-quoted strings (a $name that is not followed by $ is a parameter)
//	-- ... /* ... */ comments
//
// and the depth of parentheses, inside which a ";" does not end a statement.

// SpanKind says what a piece of SQL text is.
type SpanKind int

// The kinds of span the scanner reports.
const (
	Code    SpanKind = iota // SQL outside literals and comments
	Literal                 // a string literal, escape string or dollar-quoted string
	QuotedName
	Comment
)

// Span is a piece of SQL text of one kind: text[Start:End].
type Span struct {
	Kind       SpanKind
	Start, End int
	// Closed is false for a literal, quoted name or block comment that the text ends inside.
	Closed bool
}

// ScanSQL cuts SQL text into spans of code, literals, quoted names and comments, in order,
// covering the whole text.
func ScanSQL(text string) []Span {
	var out []Span
	code := 0 // start of the current code span
	emit := func(s Span) {
		if code < s.Start {
			out = append(out, Span{Kind: Code, Start: code, End: s.Start, Closed: true})
		}
		out = append(out, s)
		code = s.End
	}
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '\'' || c == '"':
			kind := Literal
			if c == '"' {
				kind = QuotedName
			}
			escapes := c == '\'' && i > 0 && (text[i-1] == 'E' || text[i-1] == 'e') && (i < 2 || !isIdentChar(text[i-2]))
			end, closed := quoted(text, i, c, escapes)
			emit(Span{Kind: kind, Start: i, End: end, Closed: closed})
			i = end
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			end := strings.IndexByte(text[i:], '\n')
			if end < 0 {
				end = len(text)
			} else {
				end += i
			}
			emit(Span{Kind: Comment, Start: i, End: end, Closed: true})
			i = end
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			end := strings.Index(text[i+2:], "*/")
			closed := end >= 0
			if closed {
				end += i + 4
			} else {
				end = len(text)
			}
			emit(Span{Kind: Comment, Start: i, End: end, Closed: closed})
			i = end
		case c == '$':
			tag, ok := dollarTag(text, i)
			if !ok {
				i++ // a parameter ($name, $1) or a lone $: code
				continue
			}
			body := i + len(tag)
			end := strings.Index(text[body:], tag)
			closed := end >= 0
			if closed {
				end += body + len(tag)
			} else {
				end = len(text)
			}
			emit(Span{Kind: Literal, Start: i, End: end, Closed: closed})
			i = end
		default:
			i++
		}
	}
	if code < len(text) {
		out = append(out, Span{Kind: Code, Start: code, End: len(text), Closed: true})
	}
	return out
}

// quoted returns the end of the quoted text that starts at text[i] (the quote q), and whether
// the quote is closed. A doubled quote stands for one; with escapes, a backslash escapes the
// next character.
func quoted(text string, i int, q byte, escapes bool) (int, bool) {
	for j := i + 1; j < len(text); j++ {
		switch text[j] {
		case '\\':
			if escapes {
				j++
			}
		case q:
			if j+1 < len(text) && text[j+1] == q {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return len(text), false
}

// dollarTag returns the opening tag of a dollar-quoted string at text[i] ("$$" or "$tag$"), if
// one starts there.
func dollarTag(text string, i int) (string, bool) {
	if i > 0 && isIdentChar(text[i-1]) {
		return "", false // part of a name, as in a$b
	}
	j := i + 1
	for j < len(text) && isIdentChar(text[j]) {
		j++
	}
	if j < len(text) && text[j] == '$' && (j == i+1 || !isDigit(text[i+1])) {
		return text[i : j+1], true
	}
	return "", false
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// SplitStatements cuts SQL text at each ";" that is outside literals, quoted names, comments
// and parentheses, and returns the complete statements (trimmed, without the ";"; those that
// hold only comments are dropped) and the unfinished rest of the text.
func SplitStatements(text string) (stmts []string, rest string) {
	start, depth := 0, 0
	for _, s := range ScanSQL(text) {
		if !s.Closed {
			return stmts, text[start:]
		}
		if s.Kind != Code {
			continue
		}
		for i := s.Start; i < s.End; i++ {
			switch text[i] {
			case '(':
				depth++
			case ')':
				depth = max(0, depth-1)
			case ';':
				if depth > 0 {
					continue
				}
				if st := strings.TrimSpace(text[start:i]); !OnlyComments(st) {
					stmts = append(stmts, st)
				}
				start = i + 1
			}
		}
	}
	return stmts, text[start:]
}

// OnlyComments reports whether SQL text holds nothing but comments and white space.
func OnlyComments(text string) bool {
	for _, s := range ScanSQL(text) {
		if s.Kind != Comment && strings.TrimSpace(text[s.Start:s.End]) != "" {
			return false
		}
	}
	return true
}

// rewriteParams finds each $name (and $N) in the code of SQL text and replaces it with what
// replace returns when its second result is true.
func rewriteParams(sql string, replace func(name string) (string, bool)) string {
	var b strings.Builder
	for _, s := range ScanSQL(sql) {
		if s.Kind != Code {
			b.WriteString(sql[s.Start:s.End])
			continue
		}
		for i := s.Start; i < s.End; i++ {
			c := sql[i]
			if c != '$' || i > s.Start && isIdentChar(sql[i-1]) {
				b.WriteByte(c)
				continue
			}
			j := i + 1
			for j < s.End && (sql[j] == '_' || sql[j] >= 'a' && sql[j] <= 'z' || isDigit(sql[j])) {
				j++
			}
			if text, ok := replace(sql[i+1 : j]); ok && j > i+1 {
				b.WriteString(text)
			} else {
				b.WriteString(sql[i:j])
			}
			i = j - 1
		}
	}
	return b.String()
}

// ReferencesName reports whether SQL code (outside literals and comments) uses a name as a
// word of its own: a table or CTE name, say. Case does not matter.
func ReferencesName(sql, name string) bool {
	name = strings.ToLower(name)
	for _, s := range ScanSQL(sql) {
		if s.Kind != Code {
			continue
		}
		code := strings.ToLower(sql[s.Start:s.End])
		for i := 0; ; {
			j := strings.Index(code[i:], name)
			if j < 0 {
				break
			}
			j += i
			end := j + len(name)
			if (j == 0 || !isIdentChar(code[j-1])) && (end == len(code) || !isIdentChar(code[end])) {
				return true
			}
			i = j + 1
		}
	}
	return false
}
