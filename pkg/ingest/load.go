package ingest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/flowsql/flowsql/internal/flowdb"
)

// Options control a load.
type Options struct {
	// Format is the format of files without a header line (CloudWatch Logs exports and
	// subscription messages): "${version} ${account-id} ...", a field list, or a preset
	// ("default", "all", "tgw"). Files with a header always use their header.
	Format string
	// Force reloads files that are already loaded, replacing their rows.
	Force bool
	// BatchFiles and BatchBytes bound the files that load in one transaction (defaults 64
	// files, 1 GiB). A batch commits whole or not at all. With Fetch, the first batches are
	// smaller: 8 files, then twice as many each time up to BatchFiles.
	BatchFiles int
	BatchBytes int64
	// TempDir holds converted and recovered lines while a batch loads (default: the system's).
	TempDir string
	// Fetch, when set, is called for each file of a batch without a Path before the batch
	// loads, to make the file readable at File.Path (objects are downloaded this way; see
	// FromS3). An error fails that file only. Cleanup, when set, is called for each fetched
	// file once its batch is done.
	Fetch   func(ctx context.Context, f *File) error
	Cleanup func(f *File)
	// FetchConcurrency bounds concurrent Fetch calls (default 8).
	FetchConcurrency int
	// Progress, when set, is called as the load advances (from another goroutine).
	Progress func(Progress)
	// Done, when set, is called for each file once it is committed, failed or skipped.
	Done func(FileResult)
}

// Progress is a snapshot of a running load.
type Progress struct {
	Files, FilesDone int   // files to load (skipped ones excluded) and files finished
	Bytes, BytesDone int64 // their size, and how much of it has been read
	Rows             int64 // rows committed so far
	Elapsed          time.Duration
}

// Status is what a load did with a file.
type Status int

const (
	// Loaded files have their rows in the database.
	Loaded Status = iota
	// Skipped files were loaded before (or changed since, and were left alone without Force).
	Skipped
	// Failed files could not be read at all; nothing of them is in the database.
	Failed
)

func (s Status) String() string {
	return [...]string{"loaded", "skipped", "failed"}[s]
}

// FileResult is what happened to one file.
type FileResult struct {
	File      File
	Status    Status
	Reloaded  bool   // a loaded file's earlier rows were replaced (Force)
	Note      string // why a file was skipped or failed
	CopyOf    string // for a file skipped as a copy: the URI of the file loaded with the same bytes or text
	Table     string // flows or tgw_flows
	Rows      int64  // rows loaded
	Rejected  int64  // lines that are not loaded (in load_errors)
	Recovered int64  // lines loaded after their white space was normalised
	Altered   int64  // lines loaded after a change (in load_errors: NUL bytes, bad UTF-8, ...)
	// Suspicious counts the lines loaded as they are with a value no record can have (in
	// load_errors): a port above 65535, negative bytes, an address that is none.
	Suspicious int64
}

// Summary is the outcome of a load.
type Summary struct {
	Results                 []FileResult // one per input file, in input order
	Loaded, Skipped, Failed int
	Copies                  int // of the skipped: files whose content was already loaded under another name
	// Overlapping is how many interfaces more than one loaded flow log records at the same
	// time (in flow_log_overlaps): their traffic there counts once per flow log.
	Overlapping               int
	Rows, Rejected, Recovered int64
	Altered, Suspicious       int64
	Bytes                     int64 // size of the files loaded
	Duration                  time.Duration
	// Phases are where the time went, in the order each phase first ran.
	Phases []PhaseTime
}

// Load loads flow-log files into the database: each file's format is detected from its header
// (or taken from Options.Format), files sharing a format load together through DuckDB's
// read_csv or read_parquet, and each batch of files commits in one transaction together with
// its ingested_files rows, so an interruption leaves whole files or nothing. Files loaded
// before are skipped. Lines that no parse can read go to load_errors; files that cannot be
// read at all are reported in the summary and leave nothing behind.
//
// The error is for what stops the whole load (a database error, cancellation); the summary
// holds what was done until then.
func Load(ctx context.Context, db *sql.DB, files []File, opts Options) (*Summary, error) {
	start := time.Now()
	sum := &Summary{Results: make([]FileResult, len(files))}
	for i, f := range files {
		sum.Results[i] = FileResult{File: f}
	}
	clock := newPhaseClock()
	defer func() {
		sum.Duration = time.Since(start)
		sum.Phases = clock.phases
	}()

	var format *Format
	if strings.TrimSpace(opts.Format) != "" {
		f, err := ParseFormatString(opts.Format)
		if err != nil {
			return sum, fmt.Errorf("--log-format: %w", err)
		}
		format = &f
	}
	if opts.BatchFiles <= 0 {
		opts.BatchFiles = 64
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 1 << 30
	}
	if opts.FetchConcurrency <= 0 {
		opts.FetchConcurrency = 8
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return sum, err
	}
	defer conn.Close()
	// The disk writes what the load has written while it computes, not when it commits.
	defer flowdb.WriteBehind(ctx, conn)()
	keys, err := newAddrKeys(ctx, conn)
	if err != nil {
		return sum, err
	}
	var threads int
	if err := conn.QueryRowContext(ctx, `SELECT current_setting('threads')`).Scan(&threads); err != nil {
		return sum, err
	}
	// Without this DuckDB keeps rows in file order, and rewrites the data at the end.
	if _, err := conn.ExecContext(ctx, "SET preserve_insertion_order = false"); err != nil {
		return sum, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "RESET preserve_insertion_order")
	// DuckDB tries each way to compress a column's text, FSST among them, on every row group it
	// writes. A flow log's text is identifiers that repeat (accounts, interfaces, VPCs, ECS
	// tasks, the rare IPv6 address), which a dictionary holds as well: DuckDB chose one for
	// them anyway, and trying FSST cost a load of 10M records 4% of its time (10.9-11.3 s
	// instead of 11.2-11.7 s, alternating; 300 MB written instead of 305 MB). Text that never
	// repeats (a task ARN per record) takes more room without FSST. The setting is the
	// database's: the load puts it back as it was.
	var compression string
	if err := conn.QueryRowContext(ctx, `SELECT current_setting('disabled_compression_methods')`).Scan(&compression); err != nil {
		return sum, err
	}
	if _, err := conn.ExecContext(ctx, "SET disabled_compression_methods = "+quoteString(strings.TrimPrefix(compression+",fsst", ","))); err != nil {
		return sum, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SET disabled_compression_methods = "+quoteString(compression))

	tmp, err := os.MkdirTemp(opts.TempDir, "flowsql-load-")
	if err != nil {
		return sum, err
	}
	defer os.RemoveAll(tmp)

	l := &loader{conn: conn, keys: keys, opts: opts, format: format, tmp: tmp, sum: sum, start: start, threads: threads, clock: clock}
	pending, err := l.plan(ctx)
	if err != nil {
		return sum, err
	}
	l.progress.Files = len(pending)
	for _, t := range pending {
		l.progress.Bytes += t.file.Size
	}
	l.report()
	clock.lap("plan")

	// Each batch's files are fetched and prepared (staged) while the batch before loads: a
	// download from S3, or the sniffing and hashing of local files, runs beside DuckDB's work
	// instead of before it. One batch at most is staged ahead, so at most two batches' files
	// are on disk at once. Nothing loads while the first batch downloads, so a load that
	// downloads its files starts with a batch of firstFetchedBatch files, and each batch after
	// it may hold twice as many as the one before, up to BatchFiles: each download then takes
	// about as long as the load of the batch before, beside which it runs.
	limit := opts.BatchFiles
	if opts.Fetch != nil {
		limit = min(limit, firstFetchedBatch)
	}
	nextBatch := func() []*task {
		n, size := 0, int64(0)
		for n < len(pending) && n < limit && (n == 0 || size+pending[n].file.Size <= opts.BatchBytes) {
			size += pending[n].file.Size
			n++
		}
		batch := pending[:n]
		pending = pending[n:]
		limit = min(2*limit, opts.BatchFiles)
		return batch
	}
	stageCtx, stopStaging := context.WithCancel(ctx)
	defer stopStaging()
	var cur *stagedBatch
	if len(pending) > 0 {
		cur = l.stage(stageCtx, nextBatch())
	}
	for cur != nil {
		<-cur.done
		l.clock.lap("fetch and prepare")
		var ahead *stagedBatch
		if cur.err == nil && len(pending) > 0 {
			ahead = l.stage(stageCtx, nextBatch())
		}
		err := cur.err
		if err == nil {
			err = l.loadBatch(ctx, cur.batch, cur.ready)
		}
		l.cleanup(cur.batch)
		if err != nil {
			if ahead != nil {
				stopStaging()
				<-ahead.done
				l.cleanup(ahead.batch)
			}
			return sum, err
		}
		cur = ahead
	}
	if sum.Overlapping, err = findOverlaps(ctx, conn); err != nil {
		return sum, fmt.Errorf("find interfaces that several flow logs record: %w", err)
	}
	clock.lap("overlaps")
	if err := refreshDestinations(ctx, conn); err != nil {
		return sum, fmt.Errorf("add up the traffic by destination: %w", err)
	}
	clock.lap("destinations")
	return sum, nil
}

// firstFetchedBatch is how many files the first batch of a load that downloads them holds at
// most (see Load).
const firstFetchedBatch = 8

// loader holds the state of one Load call.
type loader struct {
	conn   *sql.Conn
	keys   *addrKeys
	opts   Options
	format *Format
	tmp    string
	sum    *Summary
	start  time.Time
	nextID int64
	seq    atomic.Int64 // names temporary files
	// threads is DuckDB's: how many parts a batch's rows are read in (scanParts).
	threads int
	clock   *phaseClock
	// contents maps the SHA-256 of each file loaded (before, and by this load) to its URI;
	// texts the text hash of each (see copies.go).
	contents, texts map[string]string

	// mu guards progress, and the counts of sum that a batch's load and the staging of the
	// next (fail) both change.
	mu       sync.Mutex
	progress Progress
}

// task is one file on its way into the database.
type task struct {
	index    int // in Summary.Results
	file     *File
	oldID    int64  // file_id of the rows that a forced reload replaces; -1 if none
	oldTable string // and the table they are in
	fetched  bool
	table    string // the table the rows go into

	id        int64
	sn        sniffed
	format    Format
	readPath  string // what DuckDB reads: the file, or its JSON converted to text
	header    bool   // readPath starts with a header line
	container string // for the manifest
	key       KeyInfo
	fromPath  [][2]string // fields a Parquet file's path gives: column, value

	rows, rejected, recovered, altered, suspicious, nodata, skipdata int64
	// pipe is the named pipe DuckDB reads the screened file from; screenErr is why the screen
	// could not read the file to its end.
	pipe      string
	screenErr error
	// lineLog is the JSON lines file of the file's rejected and altered lines (screen.go),
	// rejects those DuckDB could not convert.
	lineLog             string
	rejects             []loadError
	firstStart, lastEnd sql.NullInt64
	// prepared are what preparing the file found (prepareTask): for a Resolver query log the
	// lines that are not query records; for a converted file, padding after its gzip stream.
	prepared []loadError
	// sha256 is the hex SHA-256 of the file's bytes (as read, compressed or not); textHash
	// the XXH3-128 of its text, once read (see copies.go).
	sha256, textHash string
}

// plan reads the manifest and decides which files to load.
func (l *loader) plan(ctx context.Context) ([]*task, error) {
	type entry struct {
		id       int64
		table    sql.NullString
		size     int64
		modified sql.NullTime
		etag     sql.NullString
		loadedAt time.Time
	}
	loaded := map[string]entry{}
	l.nextID = 1
	l.contents, l.texts = map[string]string{}, map[string]string{}
	rows, err := l.conn.QueryContext(ctx, `SELECT file_id, table_name, uri, size, modified, etag, loaded_at, content_sha256, text_hash FROM ingested_files`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e entry
		var uri string
		var sum, text sql.NullString
		if err := rows.Scan(&e.id, &e.table, &uri, &e.size, &e.modified, &e.etag, &e.loadedAt, &sum, &text); err != nil {
			rows.Close()
			return nil, err
		}
		loaded[uri] = e
		if sum.Valid {
			l.contents[sum.String] = uri
		}
		if text.Valid {
			l.texts[text.String] = uri
		}
		l.nextID = max(l.nextID, e.id+1)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var pending []*task
	defer func() {
		if l.opts.Done == nil {
			return
		}
		for _, r := range l.sum.Results {
			if r.Status == Skipped {
				l.opts.Done(r)
			}
		}
	}()
	for i := range l.sum.Results {
		r := &l.sum.Results[i]
		t := &task{index: i, file: &r.File, oldID: -1}
		if e, ok := loaded[r.File.URI]; ok {
			same := e.size == r.File.Size && (r.File.ETag == "" || e.etag.String == r.File.ETag) &&
				(r.File.ModTime.IsZero() || !e.modified.Valid || e.modified.Time.Equal(r.File.ModTime))
			switch {
			case l.opts.Force:
				t.oldID, t.oldTable = e.id, e.table.String
				r.Reloaded = true
			case same:
				r.Status, r.Note = Skipped, "already loaded "+e.loadedAt.Format("2006-01-02 15:04")
				l.sum.Skipped++
				continue
			default:
				r.Status, r.Note = Skipped, "changed since it was loaded "+e.loadedAt.Format("2006-01-02 15:04")+"; --force reloads it"
				l.sum.Skipped++
				continue
			}
		}
		pending = append(pending, t)
	}
	return pending, nil
}

// nextSeq numbers the temporary files of the load.
func (l *loader) nextSeq() int { return int(l.seq.Add(1)) }

// tempPath names a new temporary file of the load.
func (l *loader) tempPath(what, ext string) string {
	return fmt.Sprintf("%s/%s-%d.%s", l.tmp, what, l.nextSeq(), ext)
}

// fieldCount is how many fields each line of a text file has: the format's, and the time
// that starts each line of a CloudWatch Logs export.
func (t *task) fieldCount() int {
	if t.sn.tsPrefix {
		return len(t.format.Fields) + 1
	}
	return len(t.format.Fields)
}

// fail records that a file could not be loaded. It takes l.mu: the files of the next batch
// are staged while a batch loads (stage), and either may fail a file.
func (l *loader) fail(t *task, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &l.sum.Results[t.index]
	r.Status, r.Note, r.Reloaded = Failed, reason, false
	l.sum.Failed++
}

// A stagedBatch is a batch whose files are being fetched and prepared (stage), ready to load
// once done is closed: ready holds the files that can be read; err is set when the load was
// cancelled on the way.
type stagedBatch struct {
	batch, ready []*task
	err          error
	done         chan struct{}
}

// stage fetches and prepares the files of batch on another goroutine. It touches only the
// batch's own tasks and results, and the counts of failures under l.mu (fail).
func (l *loader) stage(ctx context.Context, batch []*task) *stagedBatch {
	s := &stagedBatch{batch: batch, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if s.err = l.fetch(ctx, batch); s.err != nil {
			return
		}
		for _, t := range l.prepare(ctx, batch) {
			if t != nil {
				s.ready = append(s.ready, t)
			}
		}
		s.err = ctx.Err()
	}()
	return s
}

// cleanup runs Options.Cleanup for the batch's fetched files.
func (l *loader) cleanup(batch []*task) {
	if l.opts.Cleanup == nil {
		return
	}
	for _, t := range batch {
		if t.fetched {
			l.opts.Cleanup(t.file)
		}
	}
}

// loadBatch loads the ready files of a staged batch in transactions until the batch commits,
// leaving out the files that turn out unreadable, and records the batch's failures.
func (l *loader) loadBatch(ctx context.Context, batch, ready []*task) error {
	ready = l.skipCopies(ready)
	var failed []*task
	for _, t := range batch {
		if l.sum.Results[t.index].Status == Failed {
			failed = append(failed, t)
		}
	}
	err := l.commitFiles(ctx, ready)
	for _, t := range batch {
		if l.sum.Results[t.index].Status == Failed && !slices.Contains(failed, t) {
			failed = append(failed, t)
		}
	}
	if err != nil {
		return err
	}
	return l.recordFailures(ctx, failed)
}

// fetch runs Options.Fetch for the batch's files, a few at a time.
func (l *loader) fetch(ctx context.Context, batch []*task) error {
	for _, t := range batch {
		if t.file.Path == "" && l.opts.Fetch == nil {
			t.file.Path = t.file.URI
		}
	}
	if l.opts.Fetch == nil {
		return nil
	}
	sem := make(chan struct{}, l.opts.FetchConcurrency)
	var wg sync.WaitGroup
	errs := make([]error, len(batch))
	for i, t := range batch {
		if t.file.Path != "" {
			continue // a local file
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = l.opts.Fetch(ctx, t.file)
			t.fetched = errs[i] == nil
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, t := range batch {
		if errs[i] != nil {
			l.fail(t, errs[i].Error())
		}
	}
	return nil
}

// prepare sniffs the batch's files in parallel; it returns nil for files that failed.
func (l *loader) prepare(ctx context.Context, batch []*task) []*task {
	out := make([]*task, len(batch))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, t := range batch {
		if l.sum.Results[t.index].Status == Failed {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if ctx.Err() != nil {
				return
			}
			if err := l.prepareTask(t, l.nextSeq()); err != nil {
				l.fail(t, err.Error())
				return
			}
			out[i] = t
		}()
	}
	wg.Wait()
	return out
}

// skipCopies leaves out the files whose content is loaded already under another name, or
// comes earlier in this load: their records would count twice.
func (l *loader) skipCopies(tasks []*task) []*task {
	var keep, copies []*task
	for _, t := range tasks {
		if uri, ok := l.contents[t.sha256]; ok && uri != t.file.URI {
			l.skipCopy(t, uri, "the same content as "+uri+", already loaded: its records would count twice")
			copies = append(copies, t)
			continue
		}
		l.contents[t.sha256] = t.file.URI
		keep = append(keep, t)
	}
	if len(copies) > 0 {
		l.finished(copies)
	}
	return keep
}

// finished counts files that did not load (failed, or skipped on the way) as done: in the
// progress, and through Options.Done.
func (l *loader) finished(tasks []*task) {
	if l.opts.Done != nil {
		for _, t := range tasks {
			l.opts.Done(l.sum.Results[t.index])
		}
	}
	l.mu.Lock()
	l.progress.FilesDone += len(tasks)
	for _, t := range tasks {
		l.progress.BytesDone += t.file.Size
	}
	l.mu.Unlock()
	l.report()
}

// fileSHA256 is the hex SHA-256 of a file's bytes.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// prepareTask works out how to read one file: container, compression, format, and the hash
// of its content.
func (l *loader) prepareTask(t *task, seq int) error {
	sn, err := sniff(t.file.Path)
	if err != nil {
		return err
	}
	if t.sha256, err = fileSHA256(t.file.Path); err != nil {
		return err
	}
	t.sn = sn
	t.readPath = t.file.Path
	t.key, _ = ParseKey(t.file.URI)
	switch sn.container {
	case containerParquet:
		t.container = "parquet"
		return nil // the format comes from the Parquet schema, when the batch loads
	case containerJSON:
		t.container = "json"
		if sn.gzip {
			t.container += "+gzip"
		}
		if ok, envelopes := resolverLog(sn.firstLine); ok {
			return l.prepareResolver(t, seq, envelopes)
		}
		out := fmt.Sprintf("%s/json-%d.log", l.tmp, seq)
		header, err := convertJSONTo(t, out)
		if err != nil {
			return err
		}
		t.readPath, t.header = out, header
		t.sn.gzip = false
		if header {
			first, err := readFirstLineOf(out)
			if err != nil {
				return err
			}
			t.format, err = ParseHeader(first)
			return err
		}
	default:
		t.container = "text"
		if sn.gzip {
			t.container += "+gzip"
		}
		if sn.header {
			t.header = true
			t.format, err = ParseHeader(sn.firstLine)
			return err
		}
	}
	// No header: the format must come from the user.
	if l.format == nil {
		n := len(strings.Fields(t.sn.firstLine))
		if t.sn.tsPrefix {
			n--
		}
		hint := ""
		switch n {
		case len(vpcFields[:14]):
			hint = "; its first line has 14 fields, like the default format: --log-format default"
		case len(vpcFields):
			hint = fmt.Sprintf("; its first line has %d fields, like all VPC fields in documented order: --log-format all", n)
		case len(tgwFields):
			hint = fmt.Sprintf("; its first line has %d fields, like a Transit Gateway log's default: --log-format tgw", n)
		default:
			hint = fmt.Sprintf("; its first line has %d fields", n)
		}
		return fmt.Errorf("no header line, so its format is unknown: pass the flow log's format with --log-format '${version} ${account-id} ...' (aws ec2 describe-flow-logs shows it)%s", hint)
	}
	t.format = *l.format
	return nil
}

// writeConverted writes a converted copy of a file at path, a temporary file of the load.
func writeConverted(path string, convert func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = convert(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// convertJSONTo writes a JSON file's records as lines at out (convertJSON), noting padding
// after its gzip stream, and reports whether out starts with a header line.
func convertJSONTo(t *task, out string) (header bool, err error) {
	err = writeConverted(out, func(w io.Writer) error {
		var padding int64
		header, padding, err = convertJSON(t.file.Path, t.sn.gzip, w)
		if padding > 0 {
			t.prepared = append(t.prepared, paddingNote(t.file.URI, padding))
		}
		return err
	})
	return header, err
}

func readFirstLineOf(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return readFirstLine(f)
}

// errFileFailed carries the files of a batch found unreadable in the middle of a
// transaction; the batch rolls back and runs again without them.
type errFileFailed struct{ tasks []*task }

func (e *errFileFailed) Error() string { return fmt.Sprintf("%d files failed", len(e.tasks)) }

// commitFiles loads ready tasks in one transaction, retrying without the files that fail.
func (l *loader) commitFiles(ctx context.Context, tasks []*task) error {
	for len(tasks) > 0 {
		err := l.attempt(ctx, tasks)
		if err == nil {
			return nil
		}
		l.clock.lap("rolled back")
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		var tc *errTextCopies
		if errors.As(err, &tc) {
			var copies []*task
			for _, c := range tc.copies {
				l.skipCopy(c.task, c.of, "the same lines as "+c.of+" (compressed otherwise, or not at all), already loaded: its records would count twice")
				copies = append(copies, c.task)
			}
			l.finished(copies)
			tasks = slices.DeleteFunc(tasks, func(t *task) bool { return slices.Contains(copies, t) })
			continue
		}
		var ff *errFileFailed
		if errors.As(err, &ff) {
			tasks = slices.DeleteFunc(tasks, func(t *task) bool { return slices.Contains(ff.tasks, t) })
			continue
		}
		var se *statementError
		if !errors.As(err, &se) {
			return err
		}
		// A statement failed on the data. Blame the file it names, or halve the batch. An
		// I/O error that names no file of the batch is the database's (a full disk).
		culprit := se.culprit(tasks)
		var de *duckdb.Error
		if culprit == nil && errors.As(err, &de) && de.Type == duckdb.ErrorTypeIO {
			return err
		}
		if culprit != nil {
			l.fail(culprit, se.reason())
			tasks = slices.DeleteFunc(tasks, func(t *task) bool { return t == culprit })
			continue
		}
		if len(tasks) == 1 {
			l.fail(tasks[0], se.reason())
			return nil
		}
		half := len(tasks) / 2
		if err := l.commitFiles(ctx, tasks[:half]); err != nil {
			return err
		}
		tasks = tasks[half:]
	}
	return nil
}
