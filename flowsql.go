// Package flowsql holds what flowsql's packages share: the canned reports of queries.sql,
// embedded in the binary (go:embed cannot reach a parent directory, so they live at the root),
// and Open, which gives a database with everything the reports read.
//
// A program that uses flowsql as a library opens the database with Open, loads files with
// pkg/ingest, fills lookup tables with pkg/enrich and runs reports with pkg/queries.
package flowsql

import (
	"context"
	"database/sql"
	"embed"

	"github.com/flowsql/flowsql/internal/flowdb"
	"github.com/flowsql/flowsql/pkg/enrich"
	"github.com/flowsql/flowsql/pkg/ingest"
)

// QueriesFile is the name of the canned reports' file in Queries.
const QueriesFile = "queries.sql"

// Queries holds queries.sql.
//
//go:embed queries.sql
var Queries embed.FS

// Memory is the path of a database that lives in memory and vanishes when closed.
const Memory = flowdb.Memory

// ErrNoDatabase is returned by Open when mustExist is set and the file is not there.
var ErrNoDatabase = flowdb.ErrNoDatabase

// Open opens (or creates) a flowsql database: a DuckDB file holding the address and CIDR
// macros, the tables and views that loads write, and the lookup tables that enrichment fills
// (empty until then), so that every report can run. With mustExist, a missing file is
// ErrNoDatabase rather than a new, empty database. Another process holding the file open for
// writing is an error that names it.
func Open(ctx context.Context, path string, mustExist bool) (*sql.DB, error) {
	db, err := flowdb.Open(ctx, path, flowdb.Options{MustExist: mustExist})
	if err != nil {
		return nil, err
	}
	for _, ensure := range []func(context.Context, *sql.DB) error{ingest.EnsureSchema, enrich.EnsureSchema} {
		if err := ensure(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}
