// Package flowdb opens flowsql's DuckDB database file with the settings every command needs:
// no extension downloads, no DuckDB progress bar on stdout, the address and CIDR macros stored
// in the file, plain errors when another process holds the file, and the Go functions that
// loads use to turn addresses into integers quickly.
package flowdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

//go:embed macros.sql
var macrosSQL string

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
	// Threads caps DuckDB's worker threads; 0 leaves DuckDB's default (one per core).
	Threads int
}

// Open opens the database at path (Memory for an in-memory one), creating it unless
// opts.MustExist, and installs or updates the macros that flowsql keeps in the file.
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
		if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) && opts.MustExist {
			return nil, fmt.Errorf("%w at %s", ErrNoDatabase, path)
		}
	}
	settings := []string{
		"autoinstall_known_extensions=false", // a stray s3:// path or ::INET fails fast, offline
		"autoload_known_extensions=true",     // parquet, json and icu are built in
	}
	if opts.Threads > 0 {
		settings = append(settings, fmt.Sprintf("threads=%d", opts.Threads))
	}
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
	if err := installMacros(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// installMacros creates the macros, or replaces them when this build's differ from the file's.
func installMacros(ctx context.Context, db *sql.DB) error {
	sum := sha256.Sum256([]byte(macrosSQL))
	want := hex.EncodeToString(sum[:8])
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS flowsql_meta (key VARCHAR, value VARCHAR)`); err != nil {
		return fmt.Errorf("create flowsql_meta: %w", err)
	}
	if have, _ := Meta(ctx, db, "macros"); have == want {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, stmt := range Statements(macrosSQL) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("install macro %d: %w", i+1, err)
		}
	}
	if err := setMeta(ctx, tx, "macros", want); err != nil {
		return err
	}
	return tx.Commit()
}

// Statements splits a SQL file whose statements are separated by lines holding only ";".
func Statements(script string) []string {
	var out []string
	for _, s := range regexp.MustCompile(`(?m)^;\s*$`).Split(script, -1) {
		if strings.TrimSpace(stripComments(s)) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// execer is what both *sql.DB, *sql.Conn and *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Meta reads a value from the flowsql_meta table ("" when unset).
func Meta(ctx context.Context, db execer, key string) (string, error) {
	var v string
	err := db.QueryRowContext(ctx, `SELECT value FROM flowsql_meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func setMeta(ctx context.Context, db execer, key, value string) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM flowsql_meta WHERE key = ?`, key); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `INSERT INTO flowsql_meta VALUES (?, ?)`, key, value)
	return err
}

// TableExists reports whether a table or view of that name exists in the main schema.
func TableExists(ctx context.Context, db execer, name string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx,
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?`, name).Scan(&n)
	return n > 0, err
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
	return fmt.Sprintf("database %s is in use by %s; DuckDB lets one process open a database file at a time: close that process, or choose another file with --db", e.Path, who)
}

var lockPID = regexp.MustCompile(`Conflicting lock is held in (.*?) \(PID (\d+)\)`)

// explainOpenError turns DuckDB's lock conflict into a LockedError naming the other process.
func explainOpenError(path string, err error) error {
	m := lockPID.FindStringSubmatch(err.Error())
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
