package output

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/flowsql/flowsql/internal/words"
)

// Format is an output format.
type Format string

// The output formats.
const (
	Table    Format = "table"
	CSV      Format = "csv"
	JSON     Format = "json"
	NDJSON   Format = "ndjson"
	Markdown Format = "markdown"
	Line     Format = "line"
)

// Formats lists the formats in the order help texts show them.
var Formats = []Format{Table, CSV, JSON, NDJSON, Markdown, Line}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown format %q: choose one of %s", s, strings.Join(names, ", "))
}

// extensions maps the file extensions that name a format to it.
var extensions = map[string]Format{".csv": CSV, ".json": JSON, ".ndjson": NDJSON, ".jsonl": NDJSON, ".md": Markdown}

// ForFile returns the format that a file name's extension names (.csv, .json, .ndjson, .jsonl,
// .md), ignoring case.
func ForFile(name string) (Format, bool) {
	f, ok := extensions[strings.ToLower(filepath.Ext(name))]
	return f, ok
}

// Options change how a result is written.
type Options struct {
	// Human makes the table and Markdown formats easier to read: byte counts in binary units,
	// counts with thousands separators, a "share" column (a fraction) as a percentage with a
	// bar. Machine formats are always exact.
	Human bool
	// Footer adds a row count under tables.
	Footer bool
}

// Write writes res in format f.
func Write(w io.Writer, res *Result, f Format, opts Options) error {
	bw := bufio.NewWriter(w)
	var err error
	switch f {
	case Table, "":
		err = writeTable(bw, res, opts)
	case Markdown:
		err = writeMarkdown(bw, res, opts)
	case CSV:
		err = writeCSV(bw, res)
	case JSON:
		err = writeJSON(bw, res)
	case NDJSON:
		err = writeNDJSON(bw, res)
	case Line:
		err = writeLines(bw, res)
	default:
		err = fmt.Errorf("unknown format %q", f)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// rendered is a result turned into table cells, with the bar column of a share column.
type rendered struct {
	header []string
	right  []bool
	rows   [][]string
}

const barWidth = 24

func render(res *Result, opts Options) rendered {
	var r rendered
	shareCol := -1
	for i, c := range res.Columns {
		r.header = append(r.header, c.Name)
		r.right = append(r.right, isNumeric(c.Type))
		if opts.Human && c.Name == "share" && isNumeric(c.Type) && shareCol < 0 {
			shareCol = i
		}
	}
	maxShare := 0.0
	if shareCol >= 0 {
		for _, row := range res.Rows {
			maxShare = math.Max(maxShare, toFloat(row[shareCol]))
		}
		r.header = append(r.header, "")
		r.right = append(r.right, false)
	}
	for _, row := range res.Rows {
		out := make([]string, 0, len(r.header))
		for i, v := range row {
			out = append(out, humanText(v, res.Columns[i], opts))
		}
		if shareCol >= 0 {
			out = append(out, bar(toFloat(row[shareCol]), maxShare))
		}
		r.rows = append(r.rows, out)
	}
	return r
}

// humanText renders a value for a table: with Human, NULL as an empty cell and numbers in the
// units of their column; without, NULL as NULL (as the DuckDB CLI shows it, telling it from ”).
func humanText(v any, c Column, opts Options) string {
	if v == nil {
		if opts.Human {
			return ""
		}
		return "NULL"
	}
	if !opts.Human || !isNumeric(c.Type) {
		return Text(v, c.Type)
	}
	name := strings.ToLower(c.Name)
	switch {
	case strings.HasPrefix(name, "records") || strings.HasSuffix(name, "_records"):
		// A count of records, whatever it is of (records_without_bytes is no number of bytes).
	case name == "bytes" || strings.HasSuffix(name, "_bytes") || strings.HasPrefix(name, "bytes_"):
		return words.Bytes(toFloat(v))
	case name == "share" || strings.HasSuffix(name, "_share"):
		return fmt.Sprintf("%.1f%%", toFloat(v)*100)
	case strings.HasPrefix(name, "usd") || strings.HasSuffix(name, "_usd") || strings.HasPrefix(name, "cost"):
		if f := toFloat(v); f > 0 && f < 0.005 {
			return "<$0.01" // a cost that rounds to no cent is still not none
		}
		return "$" + Cents(toFloat(v))
	case strings.HasSuffix(name, "_gb") || name == "gb":
		return fmt.Sprintf("%.2f", toFloat(v))
	}
	s := Text(v, c.Type)
	if _, err := strconv.ParseInt(s, 10, 64); err == nil && !strings.HasSuffix(name, "port") && name != "protocol" {
		return commas(s)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && strings.Contains(s, ".") {
		return strconv.FormatFloat(f, 'f', 2, 64)
	}
	return s
}

// Cents writes an amount of money to the cent, half a cent up (as people round, where %.2f
// would write the $0.045 of one NAT gateway-hour, 0.04499... in binary, as 0.04), with its
// thousands separated: 1234.565 -> "1,234.57".
func Cents(v float64) string {
	return commas(fmt.Sprintf("%.2f", math.Round(v*100)/100))
}

// commas puts thousands separators into a decimal integer (or the integer part of a number).
func commas(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

func bar(v, max float64) string {
	if !(max > 0) || !(v > 0) || math.IsInf(max, 0) { // NaN and infinities draw nothing
		return ""
	}
	eighths := int(math.Round(min(v/max, 1) * barWidth * 8))
	blocks := []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}
	return strings.Repeat("█", eighths/8) + blocks[eighths%8]
}

func toFloat(v any) float64 {
	f, _ := strconv.ParseFloat(Text(v, ""), 64)
	return f
}

func writeTable(w *bufio.Writer, res *Result, opts Options) error {
	r := render(res, opts)
	widths := make([]int, len(r.header))
	for i, h := range r.header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, row := range r.rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string, right []bool) {
		var b strings.Builder
		for i, c := range cells {
			pad := widths[i] - utf8.RuneCountInString(c)
			if i > 0 {
				b.WriteString("  ")
			}
			if right[i] {
				b.WriteString(strings.Repeat(" ", pad) + c)
			} else if i < len(cells)-1 {
				b.WriteString(c + strings.Repeat(" ", pad))
			} else {
				b.WriteString(c)
			}
		}
		w.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
	line(r.header, r.right)
	rules := make([]string, len(widths))
	for i, n := range widths {
		rules[i] = strings.Repeat("-", n)
	}
	line(rules, make([]bool, len(widths)))
	for _, row := range r.rows {
		line(row, r.right)
	}
	if opts.Footer {
		footer(w, res)
	}
	return nil
}

func footer(w *bufio.Writer, res *Result) {
	n := len(res.Rows)
	noun := "rows"
	if n == 1 {
		noun = "row"
	}
	if res.Omitted > 0 {
		fmt.Fprintf(w, "(%d %s shown, %d more not shown)\n", n, noun, res.Omitted)
		return
	}
	fmt.Fprintf(w, "(%d %s)\n", n, noun)
}

func writeMarkdown(w *bufio.Writer, res *Result, opts Options) error {
	r := render(res, opts)
	esc := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	row := func(cells []string) {
		w.WriteString("|")
		for _, c := range cells {
			w.WriteString(" " + esc(c) + " |")
		}
		w.WriteString("\n")
	}
	row(r.header)
	w.WriteString("|")
	for i := range r.header {
		if r.right[i] {
			w.WriteString("---:|")
		} else {
			w.WriteString("---|")
		}
	}
	w.WriteString("\n")
	for _, cells := range r.rows {
		row(cells)
	}
	if res.Omitted > 0 {
		fmt.Fprintf(w, "\n%d more rows not shown.\n", res.Omitted)
	}
	return nil
}

func writeCSV(w *bufio.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	header := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		header[i] = c.Name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, row := range res.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = Text(v, res.Columns[i].Type)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// object is a row as a JSON object that keeps the column order.
type object struct {
	cols []Column
	vals []any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range o.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c.Name)
		v, err := json.Marshal(jsonValue(o.vals[i], c.Type))
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func writeJSON(w *bufio.Writer, res *Result) error {
	w.WriteString("[")
	for i, row := range res.Rows {
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n  ")
		b, err := json.Marshal(object{res.Columns, row})
		if err != nil {
			return err
		}
		w.Write(b)
	}
	if len(res.Rows) > 0 {
		w.WriteString("\n")
	}
	w.WriteString("]\n")
	return nil
}

func writeNDJSON(w *bufio.Writer, res *Result) error {
	for _, row := range res.Rows {
		b, err := json.Marshal(object{res.Columns, row})
		if err != nil {
			return err
		}
		w.Write(b)
		w.WriteString("\n")
	}
	return nil
}

// writeLines writes each row as "column = value" lines, rows separated by blank lines, like
// the DuckDB CLI's .mode line.
func writeLines(w *bufio.Writer, res *Result) error {
	width := 0
	for _, c := range res.Columns {
		width = max(width, utf8.RuneCountInString(c.Name))
	}
	for i, row := range res.Rows {
		if i > 0 {
			w.WriteString("\n")
		}
		for j, c := range res.Columns {
			v := "NULL"
			if row[j] != nil {
				v = Text(row[j], c.Type)
			}
			fmt.Fprintf(w, "%*s = %s\n", width, c.Name, v)
		}
	}
	return nil
}

// WriteReport writes a canned report's result as flowsql report does on a terminal: tables and
// Markdown for people (binary units, shares with a bar, the optional columns that no row fills
// left out, a row count under tables), other formats exact and whole.
func WriteReport(w io.Writer, res *Result, f Format, optional []string) error {
	human := f == Table || f == Markdown
	if human {
		res.DropEmpty(optional)
	}
	return Write(w, res, f, Options{Human: human, Footer: f == Table})
}
