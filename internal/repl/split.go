package repl

import "strings"

// Splitter gathers input lines into complete statements: SQL runs at a ";" outside quotes and
// comments, a dot command at the end of its line.
type Splitter struct {
	buf strings.Builder
}

// Pending reports whether a statement has begun and not ended (comments alone are none).
func (s *Splitter) Pending() bool { return !onlyComments(s.buf.String()) }

// Reset drops what has been gathered (Ctrl-C at a continuation prompt).
func (s *Splitter) Reset() { s.buf.Reset() }

// Add takes one line and returns the statements it completes, in order.
func (s *Splitter) Add(line string) []string {
	if !s.Pending() && strings.HasPrefix(strings.TrimSpace(line), ".") {
		return []string{strings.TrimSpace(line)}
	}
	s.buf.WriteString(line)
	s.buf.WriteByte('\n')
	stmts, rest := splitSQL(s.buf.String())
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
	if rest == "" || onlyComments(rest) {
		return nil
	}
	return []string{rest}
}

// splitSQL cuts text at each ";" outside string literals, quoted identifiers and comments,
// and returns the complete statements (without the ";") and the unfinished rest.
func splitSQL(text string) (stmts []string, rest string) {
	start := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(text) {
				if text[j] == c {
					if j+1 < len(text) && text[j+1] == c { // '' inside a literal
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(text) {
				return stmts, text[start:]
			}
			i = j
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				return stmts, text[start:]
			}
			i += end + 3
		case c == ';':
			if st := strings.TrimSpace(text[start:i]); st != "" && !onlyComments(st) {
				stmts = append(stmts, st)
			}
			start = i + 1
		}
	}
	return stmts, text[start:]
}

// onlyComments reports whether SQL text holds nothing but comments.
func onlyComments(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
			return false
		}
	}
	return true
}
