package ingest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
)

// The rollups are tables that add up some of the VPC flow records by the hour of their start
// and of their end, account, VPC and interface, and the columns a report needs that the summary
// (flow_hourly) does not keep: a report that would read several columns of every record to find
// a few, or to group by a port, reads one of them instead, as pkg/queries builds it under the
// filters (from the table's whole hours and the records of the hours a window cuts, or from the
// records alone when the filters need them).
//
//   - flow_rejected_hourly: the rejected traffic (action REJECT, log status OK) by source,
//     destination, destination port and protocol: packets and records. What rejected reads
//     (the bench's 6M rejected of 100M records: 3.55M rows; 6.6-9.5 s from the records, 2.3 s
//     from it).
//   - flow_ports_hourly: the traffic (log status OK) by service port (service_port in
//     schema/functions.sql) and protocol: bytes, packets and records. What top-ports reads.
//
// Each row has the earliest start and the latest end of its records.
//
// Invariant: each rollup adds up every record of flow_records that its condition selects. It
// changes with the summary, in the same transactions (summarizeRecords, and the deletion of a
// reload's hours in resummarizeHours); RebuildSummary makes it anew. Reports use it only when
// the summary is current and the two count as many of the records it holds (queries.DuckDB).
// A group whose sums do not fit 64 bits is left out: the counts then differ, and reports read
// the records.

// A rollup is a table of some of the records added up by the hour.
type rollup struct {
	table string
	what  string // which records it adds up ("of rejected traffic")
	// ddl creates the table.
	ddl string
	// cond selects its records; key is the rest of its grouping key (beyond the hours, and the
	// account, VPC and interface) as expressions of flow_records' columns with their names;
	// cols are the columns of flow_records they read.
	cond, key, cols string
	// sums are the columns it adds up (a group whose sums do not fit 64 bits is left out).
	sums []string
}

// RejectedTable is the rollup of rejected traffic.
const RejectedTable = "flow_rejected_hourly"

// RejectedCondition selects the records of the rollup of rejected traffic.
const RejectedCondition = `"action" = 'REJECT'::flow_action AND log_status = 'OK'::flow_log_status`

// PortsTable is the rollup of traffic by service port.
const PortsTable = "flow_ports_hourly"

// PortsCondition selects the records of the rollup of traffic by service port.
const PortsCondition = `log_status = 'OK'::flow_log_status`

// ServicePort is the expression of a record's service port, the port top-ports counts it under.
const ServicePort = `service_port(srcport, dstport, protocol, tcp_flags, 'service')`

var rollups = []rollup{{
	table: RejectedTable,
	what:  "of rejected traffic",
	ddl: `CREATE TABLE IF NOT EXISTS flow_rejected_hourly (
    ` + hourlyColumns + `
    src_ip       BIGINT,
    dst_ip       BIGINT,
    dstport      INTEGER,
    protocol     INTEGER,
    packets      BIGINT,   -- sum; NULL when no record of the group has the field
    records      BIGINT)`,
	cond: RejectedCondition,
	key:  `src_ip, dst_ip, dstport, protocol`,
	sums: []string{"packets"},
	cols: `"start", "end", account_id, vpc_id, interface_id, src_ip, dst_ip, dstport, protocol, packets`,
}, {
	table: PortsTable,
	what:  "by service port",
	ddl: `CREATE TABLE IF NOT EXISTS flow_ports_hourly (
    ` + hourlyColumns + `
    port         INTEGER,  -- service_port(srcport, dstport, protocol, tcp_flags, 'service')
    protocol     INTEGER,
    bytes        BIGINT,   -- sums; NULL when no record of the group has the field
    packets      BIGINT,
    records      BIGINT)`,
	cond: PortsCondition,
	key:  ServicePort + ` AS port, protocol`,
	sums: []string{"bytes", "packets"},
	cols: `"start", "end", account_id, vpc_id, interface_id, srcport, dstport, protocol, tcp_flags, bytes, packets`,
}}

// sel sums the records of flow_records that cond selects (and the rollup's condition) into
// rollup rows, reading them in parts (see inParts), grouped by network as nets says. Of the
// account, VPC and interface, those in nets.absent (absentKeys) are NULL in every such record:
// a constant NULL, which DuckDB does not group by, where the records view's NULLs cost the
// grouping a twentieth of its CPU time.
func (r rollup) sel(cond string, parts fileParts, nets networkGrouping) string {
	if !nets.byNetwork {
		return `SELECT "start" // 3600, "end" // 3600, min("start"), max("end"), ` + strings.Join(nets.columns(), ", ") + `,
       ` + r.key + `, ` + sumsSQL(r.sums) + `, count(*)
FROM ` + inParts(VPC.RecordsView(), r.cols, "("+cond+") AND "+r.cond, parts) + `
GROUP BY ALL
HAVING ` + fitSQL(r.sums)
	}
	return `SELECT start_hour, end_hour, first_start, last_end, ` + strings.Join(nets.columns(), ", ") + `, groups.* EXCLUDE (start_hour, end_hour, first_start, last_end, net)
FROM (
    SELECT "start" // 3600 AS start_hour, "end" // 3600 AS end_hour, min("start") AS first_start, max("end") AS last_end, ` + strings.Join(nets.group(), ", ") + `,
           ` + r.key + `, ` + sumsSQL(r.sums) + `, count(*)
    FROM ` + inParts(VPC.RecordsView(), r.cols, "("+cond+") AND "+r.cond, parts) + `
    GROUP BY ALL
    HAVING ` + fitSQL(r.sums) + `
) AS groups` + nets.join()
}

// sumsSQL is the select list of the sums of cols, each a BIGINT (NULL where it is beyond 64
// bits: fitSQL leaves such groups out).
func sumsSQL(cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = sumSQL(c)
	}
	return strings.Join(out, ", ")
}

// sumSQL is the sum of col as a BIGINT (see sumsSQL).
func sumSQL(col string) string {
	return fmt.Sprintf("TRY_CAST(sum(%s) AS BIGINT)", col)
}

// fitSQL is the condition of a group whose sums of cols each fit 64 bits (or are NULL: no record
// of the group has the field).
func fitSQL(cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = fmt.Sprintf("(sum(%[1]s) IS NULL OR TRY_CAST(sum(%[1]s) AS BIGINT) IS NOT NULL)", c)
	}
	return strings.Join(out, "\n   AND ")
}

// add adds the records that cond selects to the rollup (nets: see sel).
func (r rollup) add(ctx context.Context, tx *sql.Tx, cond string, parts fileParts, nets networkGrouping) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+r.table+" "+r.sel(cond, parts, nets)); err != nil {
		return fmt.Errorf("add up the records %s by the hour: %w", r.what, err)
	}
	return nil
}

// reset creates the rollup's table if it is missing, and empties it.
func (r rollup) reset(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, r.ddl); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "DELETE FROM "+r.table)
	return err
}

// fill makes the rollup anew from the records.
func (r rollup) fill(ctx context.Context, tx *sql.Tx) error {
	if err := r.reset(ctx, tx); err != nil {
		return err
	}
	return r.add(ctx, tx, "true", fileParts{}, networkGrouping{})
}

// FillRollups creates the rollups and fills them from the records (a schema step, run again
// whenever RollupsChecksum changes: about 16 s for 100M records).
func FillRollups(ctx context.Context, tx *sql.Tx) error {
	for _, r := range rollups {
		if err := r.fill(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// RollupsChecksum is the query of what tells whether the rollups are current: a hash of their
// tables and statements, and of the definitions of the macros these call (service_port), which
// a release may change.
func RollupsChecksum() string {
	text := ""
	for _, r := range rollups {
		text += r.ddl + r.sel("true", fileParts{}, networkGrouping{})
	}
	sum := sha256.Sum256([]byte(text))
	return `SELECT '` + hex.EncodeToString(sum[:8]) + `-' || md5(coalesce((SELECT string_agg(macro_definition, ';' ORDER BY macro_definition)
        FROM duckdb_functions() WHERE function_name IN ('service_port')), ''))`
}

// A RollupTable is a rollup's table and which records it adds up ("of rejected traffic").
type RollupTable struct{ Name, What string }

// RollupTables lists the rollups' tables.
func RollupTables() []RollupTable {
	var out []RollupTable
	for _, r := range rollups {
		out = append(out, RollupTable{r.table, r.what})
	}
	return out
}

// RollupCurrent is the query whether the rollup named table counts as many records as the
// summary holds of those it adds up (the summary being current).
func RollupCurrent(table string) string {
	for _, r := range rollups {
		if r.table == table {
			return `SELECT (SELECT coalesce(sum(records), 0) FROM ` + SummaryTable + ` WHERE ` + r.cond + `)
        = (SELECT coalesce(sum(records), 0) FROM ` + r.table + `)`
		}
	}
	return "SELECT false"
}
