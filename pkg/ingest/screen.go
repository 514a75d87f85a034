package ingest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"github.com/flowsql/flowsql/internal/words"
)

// Every text file passes through a screen on its way to DuckDB: Go reads it (gunzipping it,
// which checks its CRC and length), hands DuckDB only lines that are records of the format, and
// keeps what it did to the others. DuckDB's CSV reader must never see a pathological line: one
// longer than its buffer vanishes without a trace, a run of NUL bytes swallows the record after
// it, and a line of many records glued together costs it time quadratic in the line's length.
// The screen is linear in its input, holds at most one buffer and one record-sized line in
// memory, and costs about what DuckDB's own gunzip would.
//
// A line that reaches DuckDB has exactly the format's fields separated by single spaces. What
// happens to the others:
//
//	blank                             skipped
//	header, byte-order mark           the header is not a record; a BOM before it is dropped (altered)
//	runs of white space, tabs, CR     normalised to single spaces (recovered)
//	NUL bytes                         dropped, and the rest screened (altered)
//	invalid UTF-8                     each bad sequence replaced by U+FFFD (altered)
//	another number of fields          rejected, with the count (glued records, cut lines)
//	the file's header again           skipped (files joined into one: cat a.log.gz b.log.gz)
//	the header of another format      fails the file: the lines after it are not of the format
//	longer than maxLine               rejected, its first bytes kept
//
// Rejected, altered and (later) suspicious lines go to load_errors with their kind.

// maxLine is the longest line that can be a record: every field of version 8, with the longest
// ECS ARNs, fits many times over.
const maxLine = 64 << 10

// maxRaw is how much of a bad line load_errors keeps.
const maxRaw = 1024

// The kinds of load_errors rows.
const (
	kindFailed     = "failed"     // the whole file: nothing of it is loaded
	kindRejected   = "rejected"   // a line that is not loaded
	kindAltered    = "altered"    // a line loaded after a change
	kindSuspicious = "suspicious" // a line loaded as it is, with a value no record can have
)

// loadError is one row of load_errors.
type loadError struct {
	URI    string `json:"uri"`
	Line   int64  `json:"line,omitempty"` // 0: the file as a whole
	Raw    string `json:"raw"`
	Reason string `json:"reason"`
	Kind   string `json:"kind"`
}

// screening is what the screen did with one file.
type screening struct {
	lines     int64 // lines read, the header included
	written   int64 // records handed to DuckDB
	rejected  int64
	recovered int64 // records whose white space was normalised
	altered   int64
	// skipped are the numbers of the lines not handed on (header, blank, rejected), in order,
	// for turning DuckDB's line numbers in the screened stream back into the file's.
	skipped []int64
	issues  *issueLog
	uri     string
	// padding is set when zero bytes followed the gzip stream (as some tools pad files).
	padding int64
	err     error // the file could not be read to its end: nothing of it may load
}

// sourceLine turns the number of a line in the screened stream (1-based) into the number of
// the line in the file.
func (s *screening) sourceLine(stream int64) int64 {
	line := stream
	for _, sk := range s.skipped {
		if sk > line {
			break
		}
		line++
	}
	return line
}

// issueLog writes a file's load_errors rows to a JSON lines file as they are found, so that a
// file with millions of bad lines costs disk, not memory.
type issueLog struct {
	path string
	f    *os.File
	w    *bufio.Writer
	enc  *json.Encoder
	n    int64
}

func newIssueLog(path string) *issueLog { return &issueLog{path: path} }

func (l *issueLog) add(e loadError) error {
	if l.f == nil {
		f, err := os.Create(l.path)
		if err != nil {
			return err
		}
		l.f, l.w = f, bufio.NewWriter(f)
		l.enc = json.NewEncoder(l.w)
	}
	l.n++
	return l.enc.Encode(e)
}

// close finishes the file; it returns its path, or "" when nothing was logged.
func (l *issueLog) close() (string, error) {
	if l == nil || l.f == nil {
		return "", nil
	}
	err := l.w.Flush()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return l.path, err
}

// screenOptions describe the records of a file.
type screenOptions struct {
	uri    string // for load_errors
	fields int    // fields per record (a CloudWatch export's time prefix included)
	header bool   // the first line is a header
	enc    *encoder
	// format is the file's format as a header line (Format.String): a line further on that
	// is a header is this one again, or another format's (see screen).
	format string
}

// screen reads a text file's lines from r and writes its records to out (see above).
func screen(r io.Reader, out io.Writer, o screenOptions, issues *issueLog) *screening {
	s := &screening{issues: issues, uri: o.uri}
	w := bufio.NewWriterSize(out, 256<<10)
	lr := newLineReader(r)
	var fixed, enc []byte
	write := func(line []byte) {
		enc = o.enc.encode(enc[:0], line)
		w.Write(enc)
		s.written++
	}
	for lr.next() {
		s.lines++
		n := lr.n
		line := lr.line
		if lr.inBuffer && lr.clean && lr.valid && !(n == 1 && (o.header || bytes.HasPrefix(line, bom))) &&
			len(line) > 0 && bytes.Count(line, space) == o.fields-1 && !startsWithFieldName(line) {
			write(line)
			continue
		}
		var notes []string
		if n == 1 && bytes.HasPrefix(line, bom) {
			line = line[len(bom):]
			notes = append(notes, "a UTF-8 byte-order mark before it was removed")
		}
		if lr.nuls > 0 {
			notes = append(notes, fmt.Sprintf("%s NUL bytes in it were removed", words.Count(lr.nuls)))
		}
		if lr.long {
			s.reject(n, line, fmt.Sprintf("a line of %s bytes, longer than a record can be (%s): records glued together, or not a flow log", words.Count(lr.length), words.Count(maxLine)))
			continue
		}
		if !lr.valid && !utf8.Valid(line) {
			line = []byte(strings.ToValidUTF8(string(line), "\uFFFD"))
			notes = append(notes, "bytes that are not UTF-8 were replaced by U+FFFD")
		}
		if n == 1 && o.header {
			s.skip(n)
			if len(notes) > 0 {
				s.alter(n, line, "the header: "+strings.Join(notes, "; "))
			}
			continue
		}
		if n > 1 && startsWithFieldName(line) {
			if f, err := ParseHeader(string(line)); err == nil {
				if f.String() == o.format {
					s.skip(n) // the header again, of a file joined to this one
					continue
				}
				s.err = fmt.Errorf("line %s is the header of another format (%s): files of two flow logs joined into one? Load each as a file of its own", words.Count(n), clip(f.String(), 120))
				return s
			}
		}
		if !isRecord(line, o.fields) {
			f := bytes.Fields(line)
			switch {
			case len(f) == 0:
				s.skip(n) // a blank line is not a record
				continue
			case len(f) != o.fields:
				s.reject(n, line, fmt.Sprintf("expected %d fields, found %d", o.fields, len(f)))
				continue
			}
			fixed = append(fixed[:0], f[0]...)
			for _, x := range f[1:] {
				fixed = append(fixed, ' ')
				fixed = append(fixed, x...)
			}
			line = fixed
			s.recovered++
		}
		if len(notes) > 0 {
			s.alter(n, line, strings.Join(notes, "; "))
		}
		write(line)
	}
	s.padding = lr.padding
	if err := lr.err; err != nil {
		s.err = err
	} else if err := w.Flush(); err != nil {
		s.err = err
	}
	return s
}

var bom = []byte("\xef\xbb\xbf")

// startsWithFieldName reports whether a line's first word is the name of a flow-log field, as
// a header's is and no record's (a record's first value is a number, an id like eni-..., or
// "-"): only such a line can be a header.
func startsWithFieldName(line []byte) bool {
	if len(line) == 0 || line[0] < 'a' || line[0] > 'z' {
		return false
	}
	word := line
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		word = line[:i]
	}
	if _, ok := vpcByName[string(word)]; ok {
		return true
	}
	_, ok := tgwByName[string(word)]
	return ok
}

// isRecord reports whether a line is fields separated by single spaces, the number a record
// has: what DuckDB reads without help.
func isRecord(line []byte, fields int) bool {
	return len(line) > 0 && line[0] != ' ' && line[len(line)-1] != ' ' &&
		bytes.Count(line, space) == fields-1 && !bytes.Contains(line, doubleSpace) &&
		bytes.IndexByte(line, '\t') < 0 && bytes.IndexByte(line, '\r') < 0
}

var space, doubleSpace = []byte(" "), []byte("  ")

// plainSpacing reports whether text has no two spaces in a row and no space next to a newline.
// It reads eight bytes at a time (bytes.Index would stop at every one of a flow log's many
// spaces).
func plainSpacing(b []byte) bool {
	const (
		ones  = 0x0101010101010101
		lows  = 0x7f7f7f7f7f7f7f7f
		highs = 0x8080808080808080
	)
	// is marks the bytes of x that equal c: the high bit of each such byte, exactly.
	is := func(x, c uint64) uint64 {
		v := x ^ (c * ones)
		return ^(((v & lows) + lows) | v | lows)
	}
	var carrySpace, carryNewline uint64 // the previous word's last byte, as a mark in byte 0
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		sp, nl := is(x, ' '), is(x, '\n')
		prevSp, prevNl := sp<<8|carrySpace, nl<<8|carryNewline
		if sp&prevSp|nl&prevSp|sp&prevNl != 0 {
			return false
		}
		carrySpace, carryNewline = sp>>56, nl>>56
	}
	prev := byte(0)
	if carrySpace != 0 {
		prev = ' '
	} else if carryNewline != 0 {
		prev = '\n'
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c == ' ' && (prev == ' ' || prev == '\n') || c == '\n' && prev == ' ' {
			return false
		}
		prev = c
	}
	return true
}

func (s *screening) skip(n int64) { s.skipped = append(s.skipped, n) }

func (s *screening) reject(n int64, line []byte, reason string) {
	s.skip(n)
	s.rejected++
	s.log(loadError{Line: n, Raw: clipRaw(line), Reason: reason, Kind: kindRejected})
}

func (s *screening) alter(n int64, line []byte, reason string) {
	s.altered++
	s.log(loadError{Line: n, Raw: clipRaw(line), Reason: reason, Kind: kindAltered})
}

func (s *screening) log(e loadError) {
	e.URI = s.uri
	if err := s.issues.add(e); err != nil && s.err == nil {
		s.err = err
	}
}

// clipRaw keeps the first maxRaw bytes of a line, as valid UTF-8.
func clipRaw(line []byte) string {
	if len(line) > maxRaw {
		line = line[:maxRaw]
	}
	return strings.ToValidUTF8(string(line), "\uFFFD")
}

// lineReader splits a stream into lines in bounded memory: a line is the bytes before a '\n'
// (or the end), without its NUL bytes; a line longer than maxLine is read to its end but only
// its first maxRaw bytes are kept.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	eof        bool
	err        error
	hasNUL     bool // the buffer holds a NUL byte
	bufValid   bool // the buffer is valid UTF-8 (up to a sequence cut at its end)
	// clean is set when the buffer holds no tab, CR, double space, and no line that starts or
	// ends with a space: its lines need only their spaces counted.
	clean   bool
	acc     []byte
	padding int64

	n      int64  // the line's number
	line   []byte // the line (valid until the next call)
	length int64  // its length, NUL bytes left out
	nuls   int64  // NUL bytes dropped from it
	long   bool   // longer than maxLine: line holds its first maxRaw bytes
	valid  bool   // known to be valid UTF-8
	// inBuffer is set when line is a slice of buf (not gathered from several reads).
	inBuffer bool
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: r, buf: make([]byte, 1<<20)}
}

// fill reads more input after moving what is left to the front; false at the end.
func (lr *lineReader) fill() bool {
	if lr.eof {
		return false
	}
	n := copy(lr.buf, lr.buf[lr.start:lr.end])
	lr.start, lr.end = 0, n
	m, err := io.ReadFull(lr.r, lr.buf[n:])
	lr.end += m
	if err != nil {
		lr.eof = true
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			lr.err = err
		} else if err == io.ErrUnexpectedEOF {
			err = nil
		}
		if pe, ok := lr.r.(interface{ padded() int64 }); ok {
			lr.padding = pe.padded()
		}
	}
	data := lr.buf[:lr.end]
	lr.hasNUL = bytes.IndexByte(data, 0) >= 0
	lr.bufValid = utf8.Valid(trimPartialRune(data))
	lr.clean = len(data) > 0 && data[0] != ' ' && bytes.IndexByte(data, '\t') < 0 && bytes.IndexByte(data, '\r') < 0 &&
		plainSpacing(data)
	return m > 0 || lr.end > lr.start
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of a buffer (the next read
// completes it).
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return b
		}
		if c >= 0xC0 { // the start of a sequence
			if utf8.FullRune(b[len(b)-i:]) {
				return b
			}
			return b[:len(b)-i]
		}
	}
	return b
}

// next reads the next line; false at the end of the input (or on an error, in err).
func (lr *lineReader) next() bool {
	lr.acc = lr.acc[:0]
	lr.length, lr.nuls, lr.long, lr.inBuffer = 0, 0, false, false
	lr.valid = true
	for {
		if lr.start == lr.end && !lr.fill() {
			if lr.length == 0 && lr.nuls == 0 {
				return false
			}
			break // a last line without a newline
		}
		lr.valid = lr.valid && lr.bufValid
		data := lr.buf[lr.start:lr.end]
		i := bytes.IndexByte(data, '\n')
		part := data
		if i >= 0 {
			part = data[:i]
		}
		// The fast path: a whole line in the buffer, with no NUL.
		if i >= 0 && lr.length == 0 && lr.nuls == 0 && !lr.hasNUL && len(part) <= maxLine {
			lr.inBuffer = true
			lr.start += i + 1
			lr.n++
			lr.line, lr.length = part, int64(len(part))
			return true
		}
		lr.add(part)
		if i >= 0 {
			lr.start += i + 1
			break
		}
		lr.start = lr.end
	}
	lr.n++
	lr.line = lr.acc
	return true
}

// add appends part of a line, dropping NUL bytes and keeping at most maxLine bytes.
func (lr *lineReader) add(part []byte) {
	for len(part) > 0 {
		j := bytes.IndexByte(part, 0)
		chunk := part
		if j >= 0 {
			chunk = part[:j]
		}
		lr.length += int64(len(chunk))
		if !lr.long {
			if len(lr.acc)+len(chunk) > maxLine {
				lr.long = true
				lr.acc = append(lr.acc, chunk[:max(0, min(len(chunk), maxRaw-len(lr.acc)))]...)
				if len(lr.acc) > maxRaw {
					lr.acc = lr.acc[:maxRaw]
				}
			} else {
				lr.acc = append(lr.acc, chunk...)
			}
		}
		if j < 0 {
			return
		}
		k := j
		for k < len(part) && part[k] == 0 {
			k++
		}
		lr.nuls += int64(k - j)
		part = part[k:]
	}
}

// gzipStream reads the members of a gzip file one after another, as gunzip does, and checks
// each one's CRC and length. Zero bytes after the last member (some tools pad files to a block)
// end the stream, counted in padded; anything else there is an error.
type gzipStream struct {
	br      *bufio.Reader
	zr      *gzip.Reader
	padding int64
}

// openRecords opens a file for reading its lines, through gzip when gz is set, as the screen
// reads it: gzip members one after another and zero padding after the last are read as gunzip
// does, and a stream cut short says so. Close the file when done.
func openRecords(path string, gz bool) (io.Reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if !gz {
		return f, f, nil
	}
	g, err := newGzipStream(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return g, f, nil
}

// paddingOf returns the zero bytes after the gzip stream that a reader of openRecords skipped
// (0 for a plain file), once it has been read to its end.
func paddingOf(r io.Reader) int64 {
	if g, ok := r.(*gzipStream); ok {
		return g.padded()
	}
	return 0
}

// paddingNote is the load_errors note for zero padding ignored after a file's gzip stream.
func paddingNote(uri string, n int64) loadError {
	return loadError{URI: uri, Reason: fmt.Sprintf("%s zero bytes after the gzip stream were ignored (padding)", words.Count(n)), Kind: kindAltered}
}

func newGzipStream(r io.Reader) (*gzipStream, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("corrupt gzip: %w", err)
	}
	zr.Multistream(false)
	return &gzipStream{br: br, zr: zr}, nil
}

func (g *gzipStream) padded() int64 { return g.padding }

func (g *gzipStream) Read(p []byte) (int, error) {
	for {
		n, err := g.zr.Read(p)
		if err != io.EOF {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = errors.New("truncated gzip: the file ends before its compressed data does")
			} else if err != nil {
				err = fmt.Errorf("corrupt gzip: %w", err)
			}
			return n, err
		}
		// The end of a member: another member, zero padding, or the end.
		next, perr := g.br.Peek(2)
		switch {
		case len(next) == 0 && perr == io.EOF:
			return n, io.EOF
		case len(next) == 2 && next[0] == 0x1f && next[1] == 0x8b:
			if err := g.zr.Reset(g.br); err != nil {
				return n, fmt.Errorf("corrupt gzip: %w", err)
			}
			g.zr.Multistream(false)
			if n > 0 {
				return n, nil
			}
		default:
			rest, rerr := io.ReadAll(g.br)
			if rerr != nil {
				return n, rerr
			}
			if bytes.Count(rest, []byte{0}) != len(rest) {
				return n, fmt.Errorf("corrupt gzip: %d bytes that are not gzip data follow the compressed stream", len(rest))
			}
			g.padding = int64(len(rest))
			return n, io.EOF
		}
	}
}
