// Package flowsql holds what flowsql's packages share: the database's schema, applied by Open
// as ordered migrations, and the canned reports of queries.sql, embedded in the binary
// (go:embed cannot reach a parent directory, so both live at the root).
//
// A program that uses flowsql as a library opens the database with Open, loads files with
// pkg/ingest, fills lookup tables with pkg/enrich and runs reports with pkg/queries, all on
// the handle that Open returns.
package flowsql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// QueriesFile is the name of the canned reports' file in Queries.
const QueriesFile = "queries.sql"

// Queries holds queries.sql.
//
//go:embed queries.sql
var Queries embed.FS

// Memory is the path of a database that lives in memory and vanishes when closed.
const Memory = flowdb.Memory

// ErrNoDatabase is returned by Open when MustExist is set and the file is not there.
var ErrNoDatabase = flowdb.ErrNoDatabase

// Options change how Open opens a database.
type Options struct {
	// MustExist makes Open fail with ErrNoDatabase instead of creating a new file.
	MustExist bool
	// ReadOnly opens the file for reading only, as every command that writes nothing does:
	// DuckDB lets several processes read one file at once, but a writer needs it to itself.
	ReadOnly bool
	// Threads caps DuckDB's worker threads; 0 leaves DuckDB's default (one per core).
	Threads int
	// MemoryLimit caps DuckDB's memory ("4GB", as DuckDB's memory_limit takes it); beyond it,
	// DuckDB spills to a directory beside the database. "" chooses from the machine's memory:
	// a quarter of it, at most 1 GiB for a writer and 2 GiB for a reader.
	MemoryLimit string
}

// Open opens (or creates) a flowsql database: a DuckDB file holding the tables and views that
// loads write, the lookup tables that enrichment fills (empty until then) and the address and
// CIDR macros, so that every report can run. A file made by an earlier release is upgraded
// first (see Migrate), which needs the file to itself even when opts.ReadOnly is set. Another
// process holding the file in a way that conflicts is an error that names it.
func Open(ctx context.Context, path string, opts Options) (*sql.DB, error) {
	memory := path == "" || path == Memory
	fo := flowdb.Options{MustExist: opts.MustExist, ReadOnly: opts.ReadOnly && !memory, Threads: opts.Threads, MemoryLimit: opts.MemoryLimit}
	db, err := flowdb.Open(ctx, path, fo)
	if err != nil {
		return nil, err
	}
	pending, err := pendingSteps(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(pending) == 0 {
		return db, nil
	}
	if !fo.ReadOnly {
		if err := migrate(ctx, db, pending); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	// A reader found a file to upgrade: upgrade it as a writer, then read.
	db.Close()
	fo.ReadOnly = false
	w, err := flowdb.Open(ctx, path, fo)
	if err != nil {
		var le *flowdb.LockedError
		if errors.As(err, &le) {
			return nil, fmt.Errorf("database %s was written by an earlier flowsql and needs upgrading, which needs the file to itself: %w", path, err)
		}
		return nil, err
	}
	if pending, err = pendingSteps(ctx, w); err == nil {
		err = migrate(ctx, w, pending)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	fo.ReadOnly = true
	return flowdb.Open(ctx, path, fo)
}
