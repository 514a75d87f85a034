package ingest

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// The destinations rollup, flow_by_destination, holds flow_hourly's traffic added up by
// destination address and scope (the number for an account and VPC): what top-destinations
// ranks, 200k rows where the summary of 100M records has 18M. It is the same relation that
// DestinationTotals makes of the summary, and it is either that or empty:
//
//   - a transaction that changes the summary (a batch of a load, a reload's hours) empties it,
//     in summarizeRecords, which each of them runs;
//   - the end of a load (refreshDestinations), RebuildSummary and ScopeSummary fill it anew.
//
// Empty means not known: reports then add up the summary themselves (pkg/queries), with the same
// answers, so a load stopped between its last batch and the refill loses nothing, and the next
// load fills it.

// DestinationsTable is the destinations rollup.
const DestinationsTable = "flow_by_destination"

// destinationsDDL creates the destinations rollup.
const destinationsDDL = `CREATE TABLE IF NOT EXISTS flow_by_destination (
    dst_ip   BIGINT,
    scope    UBIGINT,  -- network_scope(account_id, vpc_id) of the records
    bytes    HUGEINT,  -- of the records whose log_status is OK
    last_end BIGINT)   -- the latest end among them`

// DestinationTotals is the query that adds up a relation with flow_hourly's columns by
// destination address and scope: the bytes of its OK records and their latest end.
func DestinationTotals(from string) string {
	return `SELECT dst_ip, scope, sum(bytes) AS bytes, max("end") AS last_end
FROM ` + from + `
WHERE log_status = 'OK'::flow_log_status AND dst_ip IS NOT NULL
GROUP BY ALL`
}

// CreateDestinations creates the destinations rollup, empty (a schema step; ScopeSummary, which
// runs with every upgrade, fills it).
func CreateDestinations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, destinationsDDL)
	return err
}

// staleDestinations empties the destinations rollup: the summary is about to change.
func staleDestinations(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM flow_by_destination"); err != nil {
		return fmt.Errorf("clear %s: %w", DestinationsTable, err)
	}
	return nil
}

// fillDestinations makes the destinations rollup anew from flow_hourly.
func fillDestinations(ctx context.Context, tx *sql.Tx) error {
	if err := staleDestinations(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO flow_by_destination "+DestinationTotals(SummaryTable)); err != nil {
		return fmt.Errorf("add up %s by destination: %w", SummaryTable, err)
	}
	return nil
}

// refreshDestinations fills the destinations rollup if it is empty and the summary has traffic
// to add up (after a load, or a load that stopped before it could). About a second on the
// summary of 100M records.
func refreshDestinations(ctx context.Context, conn *sql.Conn) error {
	var stale bool
	if err := conn.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM flow_by_destination)
        AND EXISTS (SELECT 1 FROM flow_hourly WHERE log_status = 'OK'::flow_log_status AND dst_ip IS NOT NULL)`).Scan(&stale); err != nil || !stale {
		return err
	}
	tx, err := flowdb.BeginTx(ctx, conn)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fillDestinations(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}
