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
	// The spans of files loaded before the load left times no record can have out of them (a
	// start in milliseconds stretched a file's, and every report's window, by millennia).
	"0018_record_spans": func(ctx context.Context, tx *sql.Tx) error {
		for _, k := range []ingest.Kind{ingest.VPC, ingest.TransitGateway} {
			_, err := tx.ExecContext(ctx, `
                UPDATE ingested_files AS f SET first_start = s.first_start, last_end = s.last_end
                FROM (SELECT file_id,
                             make_timestamp(min("start") FILTER (WHERE record_time("start") AND record_time("end")) * 1000000) AS first_start,
                             make_timestamp(max("end") FILTER (WHERE record_time("start") AND record_time("end")) * 1000000) AS last_end
                      FROM `+k.RecordsView()+`
                      WHERE file_id IN (SELECT file_id FROM ingested_files WHERE target = $1 AND rows_suspicious > 0)
                      GROUP BY file_id) AS s
                WHERE f.file_id = s.file_id`, k.Table())
			if err != nil {
				return err
			}
		}
		return nil
	},
}
