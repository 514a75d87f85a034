package flowdb

import (
	"context"
	"database/sql"
	"time"
)

// DuckDB writes a load's rows to the database file as it goes, and at each commit waits for
// the disk (fsync) to hold them. The kernel starts writing such pages back on its own only
// once they are 30 seconds old or make up a tenth of the memory, so each commit waited for
// all the batch had written: 0.2-0.3 s per batch of 64 files, 2.3 s of a load of 100M
// records. WriteBehind asks the kernel, every writeBehindEvery, to start writing back what is
// dirty (sync_file_range with SYNC_FILE_RANGE_WRITE, as PostgreSQL's *_flush_after settings
// do), so the disk works while DuckDB computes, and a commit waits for little. Nothing about
// durability changes: DuckDB still syncs at each commit. Measured on loads of 30M records
// (two batches, alternating): the commits took 0.06-0.30 s instead of 0.50-0.64 s; in the
// benchmark's 100M-record load, 0.96-1.31 s instead of 2.3 s. Asked every 0.2 or 0.5 s, they
// took hardly less than without: DuckDB writes much of a batch just before it commits.

// writeBehindEvery is how often WriteBehind asks for the writeback.
const writeBehindEvery = 100 * time.Millisecond

// rowQuerier is what WriteBehind needs of a database: a *sql.DB, *sql.Conn or *sql.Tx.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// WriteBehind starts the writeback of the database file that db has open, until stop is
// called (see above). It does nothing for an in-memory database, where the file cannot be
// found, or off Linux.
func WriteBehind(ctx context.Context, db rowQuerier) (stop func()) {
	var path sql.NullString
	err := db.QueryRowContext(ctx, `SELECT path FROM duckdb_databases() WHERE database_name = current_database()`).Scan(&path)
	if err != nil || path.String == "" {
		return func() {}
	}
	return writeBehind(path.String, writeBehindEvery)
}
