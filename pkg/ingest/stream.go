package ingest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zeebo/xxh3"
)

// A stream feeds one text file, screened, to DuckDB through a named pipe: DuckDB's read_csv
// reads the pipe as a plain file while a goroutine gunzips and screens the file into it. The
// file's bytes thus pass once through Go and once through DuckDB's CSV reader, as they would
// through DuckDB's own gunzip, and DuckDB never sees a line that the screen did not pass.
type stream struct {
	task *task
	enc  *encoder
	pipe string // the named pipe DuckDB reads
	done chan struct{}
	res  *screening
	// textHash is the XXH3-128 of the text the screen read (see task.textHash), when it read
	// all of it.
	textHash string
	read     atomic.Int64 // bytes of the file read so far, for progress
	// abandoned is set when DuckDB will read no more of the pipe (finish before the writer
	// is done): the writer then stops at its next write, or as soon as it has the pipe open.
	abandoned atomic.Bool
}

// errAbandoned ends a writer whose pipe DuckDB will read no more of.
var errAbandoned = errors.New("the statement reading it ended")

// abandonable is a stream's pipe as its writer writes to it: once the stream is abandoned, a
// write fails rather than waits for a reader that is gone.
type abandonable struct {
	w *os.File
	s *stream
}

func (a abandonable) Write(p []byte) (int, error) {
	if a.s.abandoned.Load() {
		return 0, errAbandoned
	}
	return a.w.Write(p)
}

// startStreams makes a pipe for each task and starts screening its file into it. Each writer
// waits until DuckDB opens its pipe; finish releases those that DuckDB never opened.
func startStreams(dir string, tasks []*task, enc *encoder, seq func() int) ([]*stream, error) {
	out := make([]*stream, len(tasks))
	for i, t := range tasks {
		p := fmt.Sprintf("%s/stream-%d.log", dir, seq())
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			for _, s := range out[:i] {
				s.finish()
			}
			return nil, fmt.Errorf("make a pipe for %s: %w", t.file.URI, err)
		}
		s := &stream{task: t, enc: enc.forStream(), pipe: p, done: make(chan struct{})}
		out[i] = s
		go s.run(fmt.Sprintf("%s/issues-%d.json", dir, seq()))
	}
	return out, nil
}

func (s *stream) run(issuesPath string) {
	defer close(s.done)
	t := s.task
	issues := newIssueLog(issuesPath)
	fail := func(err error) { s.res = &screening{issues: issues, err: err} }
	w, err := os.OpenFile(s.pipe, os.O_WRONLY, 0) // blocks until DuckDB opens it
	if err != nil {
		fail(err)
		return
	}
	defer w.Close()
	growPipe(w)
	if s.abandoned.Load() {
		fail(errAbandoned)
		return
	}
	f, err := os.Open(t.readPath)
	if err != nil {
		fail(err)
		return
	}
	defer f.Close()
	var r io.Reader = &countingReader{r: f, n: &s.read}
	if t.sn.gzip {
		g, err := newGzipStream(r)
		if err != nil {
			fail(err)
			return
		}
		r = g
	}
	h := xxh3.New128()
	s.res = screen(hashingReader{r, h}, abandonable{w, s}, screenOptions{uri: t.file.URI, fields: t.fieldCount(), header: t.header, enc: s.enc, format: t.format.String()}, issues)
	if s.res.err == nil {
		s.textHash = hashText(h)
	}
}

// lateReaderGrace is how long an abandoned pipe keeps a write end after it is removed (see
// finish). A variable for the tests.
var lateReaderGrace = time.Second

// finish waits for the writer, first releasing it if DuckDB did not read its pipe to the end
// (the statement failed or was cancelled), and removes the pipe.
func (s *stream) finish() *screening {
	if s.done == nil {
		return nil
	}
	var r, w *os.File // a read end and a write end held while the pipe is removed, if abandoned
	select {
	case <-s.done:
	default:
		// The writer may be waiting to open the pipe, about to, or blocked writing to a pipe
		// that DuckDB stopped reading. A read end held open until the writer is done lets it
		// open the pipe at once whenever it gets there (one opened and closed at once would
		// release only a writer already waiting: a later one would wait for a reader forever),
		// and reading what is in flight unblocks a write; either way it then sees the stream
		// abandoned and ends.
		s.abandoned.Store(true)
		r, _ = os.OpenFile(s.pipe, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if r != nil {
			go io.Copy(io.Discard, r)
		}
		<-s.done
		if r != nil {
			// The statement was stopped, but DuckDB's workers may still open the pipe: a
			// reader that opens it once the writer has closed it would wait for a writer
			// forever, and DuckDB's next statement (the rollback) with it. A write end held
			// open while the pipe goes, and for lateReaderGrace after (an open that found the
			// pipe before it went may reach it later), lets such a reader through to the end
			// of the stream; one that comes later finds no pipe.
			w, _ = os.OpenFile(s.pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0) // r is a reader
		}
	}
	os.Remove(s.pipe)
	if r != nil {
		r.Close()
	}
	if w != nil {
		time.AfterFunc(lateReaderGrace, func() { w.Close() })
	}
	return s.res
}

// finishAll finishes streams in parallel.
func finishAll(streams []*stream) {
	var wg sync.WaitGroup
	for _, s := range streams {
		wg.Add(1)
		go func() { defer wg.Done(); s.finish() }()
	}
	wg.Wait()
}

// hashingReader gives a hash what is read through it, and passes on the padding after the
// gzip stream it reads, if any (see lineReader.fill).
type hashingReader struct {
	r io.Reader
	h *xxh3.Hasher128
}

func (h hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

func (h hashingReader) padded() int64 {
	if pe, ok := h.r.(interface{ padded() int64 }); ok {
		return pe.padded()
	}
	return 0
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
