// Package flowdb opens flowsql's DuckDB database file with the settings every command needs:
// no extension downloads, no DuckDB progress bar on stdout, plain errors when another process
// holds the file; and it writes query results to Parquet.
package flowdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// Memory is the --db value for a database that lives only as long as the process.
const Memory = ":memory:"

// DefaultPath is the database file used when neither --db nor FLOWSQL_DB says otherwise.
const DefaultPath = "flowsql.duckdb"

// ErrNoDatabase is returned by Open with MustExist when the file is not there.
var ErrNoDatabase = errors.New("no database")

// Options change how Open opens a database.
type Options struct {
	// MustExist makes Open fail with ErrNoDatabase instead of creating a new file.
	MustExist bool
	// ReadOnly opens the file for reading only: several processes may read one file at once.
	ReadOnly bool
	// Threads caps DuckDB's worker threads; 0 leaves DuckDB's default (one per core).
	Threads int
	// MemoryLimit is DuckDB's memory_limit ("4GB"); "" chooses one from the machine's memory
	// (see memory.go).
	MemoryLimit string
}

// Open opens the database at path (Memory for an in-memory one), creating it unless
// opts.MustExist or opts.ReadOnly. The schema is the business of the root package's Open.
func Open(ctx context.Context, path string, opts Options) (*sql.DB, error) {
	file := path
	if path == "" || path == Memory {
		file = ""
	} else {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		file = abs
		if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) && (opts.MustExist || opts.ReadOnly) {
			return nil, fmt.Errorf("%w at %s", ErrNoDatabase, path)
		}
	}
	settings := []string{
		"autoinstall_known_extensions=false", // a stray s3:// path or ::INET fails fast, offline
		"autoload_known_extensions=true",     // parquet, json and icu are built in
	}
	if opts.ReadOnly {
		settings = append(settings, "access_mode=READ_ONLY")
	}
	want := int64(WriterMemory)
	if opts.ReadOnly {
		want = ReaderMemory
	}
	own := memoryLimit(want) // flowsql's limit for this process
	limit := opts.MemoryLimit
	if limit == "" {
		limit = memorySetting(own)
	}
	settings = append(settings, "memory_limit="+url.QueryEscape(limit))
	if opts.Threads > 0 {
		settings = append(settings, fmt.Sprintf("threads=%d", opts.Threads))
	}
	mappedBefore := anonymousMappings()
	connector, err := duckdb.NewConnector(file+"?"+strings.Join(settings, "&"), func(c driver.ExecerContext) error {
		// DuckDB would draw its own progress bar on stdout, into the results.
		_, err := c.ExecContext(context.Background(), "SET enable_progress_bar = false", nil)
		return err
	})
	if err != nil {
		return nil, explainOpenError(path, err)
	}
	db := sql.OpenDB(connector)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, explainOpenError(path, err)
	}
	// DuckDB's block allocator keeps up to this much of its buffers (256 KiB each) for reuse,
	// rather than handing them back to the system and faulting fresh zeroed pages in for the
	// next: a load of 10M records took 12.5-13.0 s instead of 14.7-15.4 s, with a third less
	// system time (raw read_csv gains as much). The pool is twice flowsql's own limit (see
	// poolMemory), which is at most a quarter of the memory even when $FLOWSQL_MEMORY_LIMIT
	// asks for more: the pool has to fit in the virtual memory DuckDB reserves for it, 80% of
	// the machine's (with a lower limit the pool is never filled: only buffers within the limit
	// come from it). It is set once the database is open, not with the settings above: a pool
	// that does not fit is then an error, not an abort of the process at open. The pool only
	// makes DuckDB faster, so a failure leaves DuckDB as it is by default.
	pool := poolMemory(own)
	if _, err := db.ExecContext(ctx, "SET block_allocator_memory = "+QuoteString(memorySetting(pool))); err == nil {
		allowHugePages(mappedBefore, pool)
	}
	return db, nil
}

// QuoteIdent quotes a SQL identifier.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteString quotes a SQL string literal.
func QuoteString(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}

// LockedError says that another process holds the database file.
type LockedError struct {
	Path    string
	PID     string
	Command string // the other process's command line, when it can be read
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID != "" {
		who = "process " + e.PID
		if e.Command != "" {
			who += " (" + e.Command + ")"
		}
	}
	return fmt.Sprintf("database %s is in use by %s; DuckDB lets one process write a database file, or several read it, but not both at once: close that process, or choose another file with --db", e.Path, who)
}

var lockPID = regexp.MustCompile(`Conflicting lock is held in (.*?) \(PID (\d+)\)`)

// explainOpenError turns DuckDB's lock conflict (an I/O error) into a LockedError naming the
// other process, whose PID and command the message holds.
func explainOpenError(path string, err error) error {
	var de *duckdb.Error
	if !errors.As(err, &de) || de.Type != duckdb.ErrorTypeIO {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	m := lockPID.FindStringSubmatch(de.Msg)
	if m == nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	le := &LockedError{Path: path, PID: m[2], Command: m[1]}
	if b, rerr := os.ReadFile("/proc/" + m[2] + "/cmdline"); rerr == nil && len(b) > 0 {
		le.Command = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	}
	return le
}

// CopyToParquet writes a query's result to a Parquet file (zstd) and returns the rows written.
// DuckDB's COPY takes no parameters, so a query with arguments goes through a temporary table.
func CopyToParquet(ctx context.Context, db *sql.DB, path, query string, args ...any) (int64, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	source := "(" + query + ")"
	if len(args) > 0 {
		if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE flowsql_out AS "+query, args...); err != nil {
			return 0, err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp.flowsql_out")
		source = "temp.flowsql_out"
	}
	var n int64
	err = conn.QueryRowContext(ctx, fmt.Sprintf("COPY %s TO %s (FORMAT parquet, COMPRESSION zstd)", source, QuoteString(path))).Scan(&n)
	return n, err
}

// A txBeginner begins transactions: a *sql.DB or a *sql.Conn.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// BeginTx begins a transaction on db that ctx does not end: it ends with Commit or Rollback
// (which the caller defers), while the statements in it still take ctx. The driver runs BEGIN
// with the context it is given: stopped just as DuckDB began the transaction, it returned
// the error and left the transaction open on the connection, which went back to the pool
// with it, so that the next user of that connection failed ("cannot start a transaction
// within a transaction": a load run again after a stopped one, 7 times in 60).
func BeginTx(ctx context.Context, db txBeginner) (*sql.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return db.BeginTx(context.WithoutCancel(ctx), nil)
}
