package repl

import (
	"strings"

	"github.com/flowsql/flowsql/pkg/queries"
)

// Splitter gathers input lines into complete statements: SQL runs at a ";" outside literals,
// quoted names, comments and parentheses (queries.SplitStatements), a dot command at the end
// of its line.
type Splitter struct {
	buf strings.Builder
}

// Pending reports whether a statement has begun and not ended (comments alone are none).
func (s *Splitter) Pending() bool { return !queries.OnlyComments(s.buf.String()) }

// Reset drops what has been gathered (Ctrl-C at a continuation prompt).
func (s *Splitter) Reset() { s.buf.Reset() }

// Add takes one line and returns the statements it completes, in order.
func (s *Splitter) Add(line string) []string {
	if !s.Pending() && strings.HasPrefix(strings.TrimSpace(line), ".") {
		return []string{strings.TrimSpace(line)}
	}
	s.buf.WriteString(line)
	s.buf.WriteByte('\n')
	stmts, rest := queries.SplitStatements(s.buf.String())
	s.buf.Reset()
	s.buf.WriteString(rest)
	if !s.Pending() {
		s.buf.Reset()
	}
	return stmts
}

// Flush returns what is left at the end of the input as a last statement, if anything.
func (s *Splitter) Flush() []string {
	rest := strings.TrimSpace(s.buf.String())
	s.buf.Reset()
	if rest == "" || queries.OnlyComments(rest) {
		return nil
	}
	return []string{rest}
}
