package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"github.com/flowsql/flowsql"
	"io"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/flowsql/flowsql/internal/awscfg"
	"github.com/flowsql/flowsql/internal/flowdb"
	"github.com/flowsql/flowsql/internal/words"
	"github.com/flowsql/flowsql/pkg/ingest"
	"github.com/flowsql/flowsql/pkg/s3logs"
	"github.com/schollz/progressbar/v3"
)

const loadAbout = `
Load VPC and Transit Gateway flow-log files into the database.

PATH is a file, a directory (searched recursively for .log.gz, .log, .gz, .parquet and .json
files), a glob pattern, or an s3://BUCKET/PREFIX (listed, and downloaded a batch ahead of the
batch that loads, the first batches smaller; see 'flowsql fetch -h' for AWS access and for how
--since, --until, --account and --region choose files by their keys). Each file's format comes
from its first line, the header AWS writes into every file it delivers to S3: the default
format, any custom format of version 2 to 8 fields in any order, and Transit Gateway logs
(which load into tgw_flows). Parquet delivery files and CloudWatch Logs JSON load too. Files
exported from CloudWatch Logs have no header: give their format with --log-format, as 'aws ec2
describe-flow-logs' prints it. Route 53 Resolver query logs (JSON lines as AWS delivers them to
S3, or CloudWatch Logs subscription envelopes of them) are recognised by content and load into
dns_queries: with them, top-domains, nat and top-destinations name the addresses the VPC
resolved.

Loading is idempotent: a file loaded before is skipped, so re-running a load after Ctrl-C or
a crash finishes the job without duplicates. Every line passes a screen on its way in: one that
is not a record of the format (cut, glued to others, megabytes long) is counted and kept in the
load_errors table with its line number and why; NUL bytes, a byte-order mark and bytes that are
not UTF-8 are repaired, and the line loads, noted there too; values no record can have (a port
above 65535, negative bytes) load as they are, noted there. Files that cannot be read at all
(corrupt or truncated gzip, not a flow log) are reported and skipped. The exit status is 1 when
any file or line could not be loaded, 0 when everything was.

Examples:
  flowsql load ./AWSLogs/
  flowsql load --db nat.duckdb 'logs/2024-06-*/*.log.gz'
  flowsql load --log-format '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}' export/
  flowsql load --log-format default cloudwatch-export/
  flowsql load s3://my-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/ --since 2024-06-01 --until 2024-06-08`

func runLoad(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "load", "[flags] PATH...", loadAbout)
	db := dbFlag(fs, e)
	var lf loadFlags
	lf.register(fs)
	var sf s3Flags
	sf.register(fs)
	var af awsFlags
	af.register(fs, "only files of this `REGION`, as their key says; for s3:// PATHs, also the AWS region to use when none is configured")
	rebuild := fs.Bool("rebuild-summary", false, "make flow_hourly, the hourly summary that reports read, and its rollups (flow_rejected_hourly, flow_ports_hourly), anew from the records (after changing them by hand), then load any PATHs")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *rebuild {
		if err := rebuildSummary(ctx, e, *db); err != nil || len(paths) == 0 {
			return err
		}
	}
	if len(paths) == 0 {
		return usagef("Example: flowsql load ./AWSLogs/", "no PATH to load")
	}
	if err := lf.check(); err != nil {
		return err
	}
	filter, err := sf.filter(af.region, time.Now())
	if err != nil {
		return err
	}
	local, remote, err := splitS3(paths)
	if err != nil {
		return err
	}
	var files []ingest.File
	if len(local) > 0 {
		all, err := localFiles(local)
		if err != nil {
			return err
		}
		for _, f := range all {
			if filter.KeepFile(f.URI) {
				files = append(files, f)
			}
		}
	}
	var client s3logs.Client
	if len(remote) > 0 {
		cfg, o, err := af.config(ctx)
		if err != nil {
			return err
		}
		client = awscfg.S3(cfg, o)
		for _, loc := range remote {
			listing, err := s3logs.List(ctx, client, loc, filter)
			if err != nil {
				return err
			}
			if !lf.quiet {
				fmt.Fprintf(e.stderr, "listed %s under %s: %s to load\n", plural(listing.Listed, "object"), loc, listedFiles(listing.Objects))
			}
			files = append(files, s3logs.Files(loc, listing.Objects)...)
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("no flow-log files to load in %s (after --since, --until, --account, --region)", strings.Join(paths, " "))
	}
	conn, err := e.openDB(ctx, *db, writeDB)
	if err != nil {
		return err
	}
	defer conn.Close()
	if client != nil {
		tmp, err := os.MkdirTemp("", "flowsql-s3-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		lf.fetch, lf.cleanup = s3logs.Loader(client, tmp)
	}
	sum, err := loadFiles(ctx, e, conn, files, lf, e.stdout)
	if err != nil {
		return err
	}
	if sum.Failed > 0 || sum.Rejected > 0 {
		return &exitError{exitFailure} // something was not loaded: the summary and load_errors say what
	}
	return nil
}

// loadFlags are the flags of every command that loads files (load, report).
type loadFlags struct {
	fetch      func(context.Context, *ingest.File) error
	cleanup    func(*ingest.File)
	format     string
	force      bool
	verifyGzip bool
	quiet      bool
	verbose    bool
	batchFiles int
}

func (lf *loadFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&lf.format, "log-format", "", "`FORMAT` of files without a header: '${version} ${account-id} ...' as describe-flow-logs prints it, or default, all, tgw")
	renamedFlag(fs, "format", "log-format")
	fs.BoolVar(&lf.force, "force", false, "reload files that are already loaded, replacing their rows")
	fs.BoolVar(&lf.verifyGzip, "verify-gzip", false, "no effect: every gzip file's CRC and length are checked as it loads (kept for old scripts)")
	fs.BoolVar(&lf.quiet, "quiet", false, "print no progress and no summary, only errors")
	fs.BoolVar(&lf.verbose, "verbose", false, "print a line for each file as it is loaded, skipped or fails, and at the end where the time went")
	fs.IntVar(&lf.batchFiles, "batch-files", 64, "load at most `N` files per transaction (an interruption loses at most one batch of work)")
}

// check reports flag values that cannot work, before anything is read.
func (lf *loadFlags) check() error {
	if lf.format != "" {
		if _, err := ingest.ParseFormatString(lf.format); err != nil {
			return usagef("Example: --log-format '${version} ${account-id} ${interface-id} ...' or --log-format default", "--log-format: %v", err)
		}
	}
	if lf.batchFiles < 1 {
		return usagef("", "--batch-files must be at least 1")
	}
	return nil
}

// localFiles expands local paths into files, failing when there is nothing to load.
func localFiles(paths []string) ([]ingest.File, error) {
	files, err := ingest.LocalFiles(paths)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no flow-log files (.log.gz, .log, .gz, .parquet, .json) in %s", strings.Join(paths, " "))
	}
	return files, nil
}

// loadFiles loads files, drawing progress on a terminal and printing the summary to out.
func loadFiles(ctx context.Context, e *env, db *sql.DB, files []ingest.File, lf loadFlags, out io.Writer) (*ingest.Summary, error) {
	opts := ingest.Options{Format: lf.format, Force: lf.force, BatchFiles: lf.batchFiles,
		Fetch: lf.fetch, Cleanup: lf.cleanup, FetchConcurrency: s3logs.DefaultFetchConcurrency}
	if lf.verbose {
		opts.Done = func(r ingest.FileResult) {
			switch r.Status {
			case ingest.Loaded:
				fmt.Fprintf(e.stderr, "loaded %s: %s rows into %s\n", r.File.URI, words.Count(r.Rows), r.Table)
			case ingest.Skipped:
				fmt.Fprintf(e.stderr, "skipped %s: %s\n", r.File.URI, r.Note)
			case ingest.Failed:
				fmt.Fprintf(e.stderr, "failed %s: %s\n", r.File.URI, r.Note)
			}
		}
	}
	var bar *progressBar
	if !lf.quiet && isTerminal(e.stderr) {
		bar = newProgressBar(e.stderr)
		opts.Progress = func(p ingest.Progress) {
			if p.Files > 0 {
				bar.update(p.Bytes, p.BytesDone, fmt.Sprintf("%d/%d files, %s rows", p.FilesDone, p.Files, words.Count(p.Rows)))
			}
		}
	}
	sum, err := ingest.Load(ctx, db, files, opts)
	bar.finish()
	if err != nil {
		// The error says what stopped the load; a summary line would read as success. What
		// was committed before it stays, and the next run skips it.
		if sum != nil && sum.Loaded > 0 && !lf.quiet {
			fmt.Fprintf(e.stderr, "flowsql load: %s were committed before it stopped; running the load again finishes it\n", plural(sum.Loaded, "file"))
		}
		return sum, err
	}
	printLoadResults(e, sum, lf.quiet, lf.verbose, out)
	return sum, nil
}

// printLoadResults reports failed and changed files on stderr and the summary on out.
func printLoadResults(e *env, sum *ingest.Summary, quiet, verbose bool, out io.Writer) {
	if sum == nil {
		return
	}
	copies := 0
	for _, r := range sum.Results {
		switch {
		case r.Status == ingest.Failed && !verbose:
			fmt.Fprintf(e.stderr, "flowsql load: %s: %s\n", r.File.URI, r.Note)
		case r.Status == ingest.Skipped && strings.HasPrefix(r.Note, "changed") && !verbose:
			fmt.Fprintf(e.stderr, "flowsql load: %s: %s\n", r.File.URI, r.Note)
		case r.CopyOf != "" && !verbose:
			if copies++; copies <= maxCopiesListed {
				fmt.Fprintf(e.stderr, "flowsql load: %s: %s\n", r.File.URI, r.Note)
			}
		}
	}
	if sum.Overlapping > 0 {
		fmt.Fprintf(e.stderr, "flowsql load: %s recorded by more than one flow log at the same time: their traffic there counts once per flow log (the flow_log_overlaps table lists them, and reports say so)\n",
			words.PluralIs(int64(sum.Overlapping), "interface"))
	}
	if copies > maxCopiesListed {
		fmt.Fprintf(e.stderr, "flowsql load: and %s more copies of files already loaded, skipped (--verbose lists them)\n", words.Count(int64(copies-maxCopiesListed)))
	}
	if verbose && sum.Loaded > 0 {
		fmt.Fprintln(e.stderr, phasesLine(sum))
	}
	if quiet {
		return
	}
	fmt.Fprintln(out, loadSummaryLine(sum))
}

// phasesLine says where the time of a load went, phase by phase, in the order they first ran.
func phasesLine(sum *ingest.Summary) string {
	parts := make([]string, 0, len(sum.Phases))
	for _, p := range sum.Phases {
		share := 0.0
		if sum.Duration > 0 {
			share = 100 * p.Time.Seconds() / sum.Duration.Seconds()
		}
		parts = append(parts, fmt.Sprintf("%s %.2f s (%.0f%%)", p.Phase, p.Time.Seconds(), share))
	}
	return fmt.Sprintf("time by phase, of %.2f s: %s", sum.Duration.Seconds(), strings.Join(parts, ", "))
}

// maxCopiesListed is how many skipped copies a load names on stderr without --verbose.
const maxCopiesListed = 5

// loadSummaryLine is the one line that ends a load.
func loadSummaryLine(sum *ingest.Summary) string {
	var b strings.Builder
	if sum.Loaded == 0 && sum.Failed == 0 {
		b.WriteString("nothing to load: ")
		if n := sum.Skipped - sum.Copies; n > 0 || sum.Copies == 0 {
			fmt.Fprintf(&b, "%s already loaded (--force reloads)", plural(n, "file"))
		}
		if sum.Copies > 0 {
			if sum.Skipped > sum.Copies {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s with the same content as files already loaded (copies)", plural(sum.Copies, "file"))
		}
		return b.String()
	}
	secs := sum.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(sum.Rows) / secs
	}
	fmt.Fprintf(&b, "loaded %s, %s in %.1f s (%s rows/s)", plural(sum.Loaded, "file"),
		words.Plural(sum.Rows, "row"), secs, shortCount(rate))
	var answers int64 // rows of Route 53 Resolver query logs, which are no flow records
	for _, r := range sum.Results {
		if r.Status == ingest.Loaded && r.Table == ingest.ResolverTable {
			answers += r.Rows
		}
	}
	if answers > 0 {
		fmt.Fprintf(&b, ": %s and %s", words.Plural(sum.Rows-answers, "flow record"), words.Plural(answers, "Route 53 Resolver answer"))
	}
	if sum.Rejected > 0 {
		fmt.Fprintf(&b, "; %s unreadable (in load_errors)", words.Plural(sum.Rejected, "line"))
	}
	if sum.Recovered > 0 {
		fmt.Fprintf(&b, "; %s read by the tolerant parser", words.Plural(sum.Recovered, "line"))
	}
	if sum.Altered > 0 {
		fmt.Fprintf(&b, "; %s loaded after a repair (in load_errors)", words.Plural(sum.Altered, "line"))
	}
	if sum.Suspicious > 0 {
		fmt.Fprintf(&b, "; %s with values no record can have (in load_errors)", words.Plural(sum.Suspicious, "line"))
	}
	if n := sum.Skipped - sum.Copies; n > 0 {
		fmt.Fprintf(&b, "; %s skipped (already loaded)", plural(n, "file"))
	}
	if sum.Copies > 0 {
		fmt.Fprintf(&b, "; %s skipped (the same content as files already loaded: copies)", plural(sum.Copies, "file"))
	}
	if sum.Failed > 0 {
		fmt.Fprintf(&b, "; %s failed", plural(sum.Failed, "file"))
	}
	return b.String()
}

func plural(n int, noun string) string { return words.Plural(int64(n), noun) }

// listedFiles says how many flow-log files, and Route 53 Resolver query logs if any, a listing
// kept.
func listedFiles(objs []s3logs.Object) string {
	resolver := 0
	for _, o := range objs {
		if o.Info.Resolver {
			resolver++
		}
	}
	switch {
	case resolver == 0:
		return plural(len(objs), "flow-log file")
	case resolver == len(objs):
		return plural(resolver, "Route 53 Resolver query log")
	}
	return plural(len(objs)-resolver, "flow-log file") + " and " + plural(resolver, "Route 53 Resolver query log")
}

// shortCount writes a rate like 1.35M or 820k.
func shortCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.0fk", x/1e3)
	default:
		return fmt.Sprintf("%.0f", x)
	}
}

// dbMode is how a command opens the database.
type dbMode int

const (
	// readDB opens an existing database for reading only: several commands that read can
	// hold one file at once (reports, shells, exports, sql).
	readDB dbMode = iota
	// writeDB opens (or creates) the database to change it: a load or an enrichment needs the
	// file to itself.
	writeDB
	// writeExistingDB opens an existing database to change it.
	writeExistingDB
)

// openDB opens the database for a command. Commands that only read open it read-only, and
// need it to exist, so that a mistyped --db is an error rather than a new empty file.
// $FLOWSQL_MEMORY_LIMIT sets DuckDB's memory limit ("4GB"; flowsql chooses one otherwise).
func (e *env) openDB(ctx context.Context, path string, mode dbMode) (*sql.DB, error) {
	limit := strings.TrimSpace(e.getenv("FLOWSQL_MEMORY_LIMIT"))
	if limit != "" && !memorySize.MatchString(limit) {
		return nil, usagef("Example: FLOWSQL_MEMORY_LIMIT=4GB", "FLOWSQL_MEMORY_LIMIT=%s is not a size", limit)
	}
	return flowsql.Open(ctx, path, flowsql.Options{MustExist: mode != writeDB, ReadOnly: mode == readDB, MemoryLimit: limit})
}

// notAPath is the usage error for a PATH argument that is an address or a CIDR naming no file
// ('flowsql report top-sources 10.0.101.10' meant --dst): what to type instead, addrFlag for an
// address (the flag of the command that takes one), --cidr for a range.
func notAPath(p, addrFlag string) error {
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if a, err := netip.ParseAddr(p); err == nil {
		example := addrFlag + " " + a.String()
		if addrFlag == "--cidr" {
			example = "--cidr " + netip.PrefixFrom(a, a.BitLen()).String()
		}
		return usagef("Did you mean: "+example, "%s is an address, not a file or directory of flow logs", p)
	}
	if r, err := netip.ParsePrefix(p); err == nil {
		return usagef("Did you mean: --cidr "+r.String(), "%s is an address range, not a file or directory of flow logs", p)
	}
	return nil
}

// memorySize is a size as DuckDB's memory_limit takes it.
var memorySize = regexp.MustCompile(`(?i)^[0-9]+(\.[0-9]+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)$`)

// openAndLoad opens the database for a command that answers from it, after loading the local
// flow-log paths given with it (the database must exist when there are none, and is then
// opened read-only). The answer goes
// to stdout, so the load's summary goes to stderr; when no file could be loaded the command
// fails.
func openAndLoad(ctx context.Context, e *env, command, dbPath string, paths []string, lf loadFlags, addrFlag string) (*sql.DB, error) {
	for _, p := range paths {
		if s3logs.IsURI(p) {
			return nil, usagef("Load it first: flowsql load "+p, "%s loads local paths only, not %s", command, p)
		}
		if err := notAPath(p, addrFlag); err != nil {
			return nil, err
		}
	}
	var files []ingest.File
	if len(paths) > 0 {
		var err error
		if files, err = localFiles(paths); err != nil {
			return nil, err
		}
	}
	mode := readDB
	if len(files) > 0 {
		mode = writeDB
	}
	db, err := e.openDB(ctx, dbPath, mode)
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		sum, err := loadFiles(ctx, e, db, files, lf, e.stderr)
		if err == nil && sum.Failed > 0 && sum.Loaded == 0 && sum.Skipped == 0 {
			err = &exitError{exitFailure}
		}
		if err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// progressBar draws progress on a terminal: bytes (or things) done of a total, rate and time
// left, with a description (files and rows, objects).
type progressBar struct {
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	w      io.Writer
	counts bool // counting things, not bytes
}

func newProgressBar(w io.Writer) *progressBar { return &progressBar{w: w} }

// newCountBar is a progress bar that counts things (addresses looked up) rather than bytes.
func newCountBar(w io.Writer) *progressBar { return &progressBar{w: w, counts: true} }

func (p *progressBar) update(total, done int64, desc string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionShowBytes(!p.counts),
			progressbar.OptionSetWidth(24),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionUseANSICodes(true),
		}
		if p.counts {
			opts = append(opts, progressbar.OptionShowCount())
		}
		p.bar = progressbar.NewOptions64(max(total, 1), opts...)
	}
	p.bar.Describe(desc)
	p.bar.Set64(done)
}

func (p *progressBar) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar.Clear()
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// rebuildSummary makes the hourly summary anew from the records, in one transaction.
func rebuildSummary(ctx context.Context, e *env, path string) error {
	db, err := e.openDB(ctx, path, writeDB)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := flowdb.BeginTx(ctx, db)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := ingest.RebuildSummary(ctx, tx); err != nil {
		return err
	}
	tables := append([]ingest.RollupTable{{Name: ingest.SummaryTable}}, ingest.RollupTables()...)
	made := make([]string, len(tables))
	for i, t := range tables {
		var groups, records int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(records), 0) FROM `+t.Name).Scan(&groups, &records); err != nil {
			return err
		}
		verb := "adding up"
		if t.Name == ingest.SummaryTable {
			verb = "summarising"
		}
		made[i] = strings.TrimSpace(fmt.Sprintf("%s made anew: %s %s %s %s", t.Name, plural(int(groups), "row"), verb, plural(int(records), "record"), t.What))
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, m := range made {
		fmt.Fprintln(e.stderr, m)
	}
	return nil
}
