package flowsql

import (
	"context"
	"database/sql"

	"github.com/flowsql/flowsql/pkg/enrich"
	"github.com/flowsql/flowsql/pkg/ingest"
)

// The migrations that need Go, by the name that orders them among schema/*.sql.
func init() {
	// Flatten AWS's ranges again: the service that names an address now prefers a named
	// service to EC2 at any length, and every segment lists all the services that hold it.
	goMigrations["0004_aws_segments"] = enrich.RebuildAWSSegments
}

// lateMigrations are migrations that read the records through the macros and views: they
// apply after those, in name order.
var lateMigrations = map[string]func(ctx context.Context, tx *sql.Tx) error{
	// The hourly summary that reports read (flow_hourly), of the records loaded so far.
	"0006_flow_hourly": ingest.RebuildSummary,
	// The column 0007_addr_private added, for the addresses loaded before it.
	"0008_addr_private_values": func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE flowsql_addr_keys SET private = is_private_ip(addr) WHERE private IS NULL`)
		return err
	},
	// The interfaces of each file loaded before 0013 added file_interfaces.
	"0014_file_interfaces": ingest.IndexAllFiles,
	// The destinations rollup that top-destinations reads; the summary scope step fills it.
	"0016_flow_by_destination": ingest.CreateDestinations,
}
