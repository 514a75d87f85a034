package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// container is how a file holds its records.
type container int

const (
	containerText    container = iota // space-separated lines, maybe gzip'd
	containerParquet                  // AWS Parquet delivery (or any Parquet with flow-log columns)
	containerJSON                     // CloudWatch Logs JSON: subscription envelopes, {"message": ...} lines, or records
)

// sniffed is what flowsql learnt from the first bytes of a file.
type sniffed struct {
	container container
	gzip      bool
	header    bool   // the first line is a header
	firstLine string // the first line, for headers and error messages
	// tsPrefix is set when each line starts with an RFC 3339 timestamp, as in CloudWatch
	// Logs exports to S3; that column is skipped.
	tsPrefix bool
}

const maxSniffLine = 1 << 20

// errNotFlowLog marks files that are readable but hold no flow-log records.
var errNotFlowLog = errors.New("not a flow-log file")

// sniff reads the start of a file: its compression, its container and its first line.
func sniff(path string) (sniffed, error) {
	f, err := os.Open(path)
	if err != nil {
		return sniffed{}, err
	}
	defer f.Close()
	var s sniffed
	br := bufio.NewReaderSize(f, 64<<10)
	magic, err := br.Peek(4)
	if len(magic) == 0 && (err == io.EOF || err == nil) {
		return s, fmt.Errorf("empty file")
	}
	if bytes.HasPrefix(magic, []byte("PAR1")) {
		s.container = containerParquet
		return s, nil
	}
	var r io.Reader = br
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		s.gzip = true
		zr, err := gzip.NewReader(br)
		if err != nil {
			return s, fmt.Errorf("corrupt gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	br2 := bufio.NewReaderSize(r, 64<<10)
	line, err := readFirstLine(br2)
	line = strings.TrimPrefix(line, string(bom)) // the screen drops it too, and says so
	if err != nil {
		if s.gzip {
			return s, fmt.Errorf("corrupt gzip: %w", err)
		}
		return s, err
	}
	if strings.TrimSpace(line) == "" {
		return s, fmt.Errorf("empty file")
	}
	s.firstLine = line
	if strings.HasPrefix(strings.TrimSpace(line), "{") {
		s.container = containerJSON
		return s, nil
	}
	if !isText(line) {
		return s, fmt.Errorf("%w: its first line is binary data", errNotFlowLog)
	}
	if _, err := ParseHeader(line); err == nil {
		s.header = true
		return s, nil
	}
	if w := strings.Fields(line); len(w) > 1 {
		if _, err := time.Parse(time.RFC3339Nano, w[0]); err == nil {
			s.tsPrefix = true
		}
	}
	return s, nil
}

// readFirstLine returns the first line of r without its line ending.
func readFirstLine(r io.Reader) (string, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	var buf []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		buf = append(buf, chunk...)
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				return string(buf), nil
			}
			if err == io.EOF {
				return "", nil
			}
			return "", err
		}
		if !isPrefix {
			return string(buf), nil
		}
		if len(buf) > maxSniffLine {
			return "", fmt.Errorf("%w: first line longer than %d bytes", errNotFlowLog, maxSniffLine)
		}
	}
}

// isText reports whether a line looks like text rather than binary data.
func isText(line string) bool {
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c < 0x20 && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
