package ingest

import (
	"context"
	"database/sql"
	"fmt"
)

// The rejected-traffic rollup, flow_rejected_hourly, holds the VPC flow records that security
// groups and network ACLs rejected (action REJECT, log status OK) added up by the hour of their
// start and of their end, account, VPC, interface, source, destination, destination port and
// protocol: packets and records, with the earliest start and latest end of each group. The
// summary has no ports, so the rejected report would otherwise read eleven columns of every
// record to find the few rejected ones (6M of 100M in the bench: 4-9 s); this table is what it
// reads instead, and pkg/queries builds the flow_rejected relation from it as it builds
// flow_summary from the summary, or from the records when the filters need them.
//
// Invariant: flow_rejected_hourly is the rollup of every rejected OK record in flow_records. It
// changes with the summary, in the same transactions (summarizeRecords, and the deletion of a
// reload's hours in resummarizeHours): a batch adds its files' rejected records; RebuildSummary
// makes it anew. Reports use it only when the summary is current and the two agree on the
// number of rejected records (queries.RejectedCurrent).

// RejectedTable is the rollup of rejected traffic.
const RejectedTable = "flow_rejected_hourly"

// rejectedDDL creates the rollup of rejected traffic.
const rejectedDDL = `CREATE TABLE IF NOT EXISTS flow_rejected_hourly (
    start_hour   BIGINT,   -- "start" // 3600 of the group's records
    end_hour     BIGINT,   -- "end" // 3600
    "start"      BIGINT,   -- the earliest start among them
    "end"        BIGINT,   -- the latest end
    account_id   VARCHAR,
    vpc_id       VARCHAR,
    interface_id VARCHAR,
    src_ip       BIGINT,
    dst_ip       BIGINT,
    dstport      INTEGER,
    protocol     INTEGER,
    packets      BIGINT,   -- sum; NULL when no record of the group has the field
    records      BIGINT)`

// RejectedCondition selects the records the rollup of rejected traffic holds.
const RejectedCondition = `"action" = 'REJECT'::flow_action AND log_status = 'OK'::flow_log_status`

// rejectedColumns are the columns of flow_records that the rollup reads.
const rejectedColumns = `"start", "end", account_id, vpc_id, interface_id, src_ip, dst_ip, dstport, protocol, packets`

// rejectedSelect sums the rejected records of flow_records that cond selects into rollup rows,
// reading them in parts (see inParts). A group whose packets do not fit 64 bits is left out (the
// record counts then differ, and reports read the records).
func rejectedSelect(cond string, parts int) string {
	return `SELECT "start" // 3600, "end" // 3600, min("start"), max("end"),
       account_id, vpc_id, interface_id, src_ip, dst_ip, dstport, protocol,
       TRY_CAST(sum(packets) AS BIGINT), count(*)
FROM ` + inParts(VPC.RecordsView(), rejectedColumns, "("+cond+") AND "+RejectedCondition, parts) + `
GROUP BY ALL
HAVING sum(packets) IS NULL OR TRY_CAST(sum(packets) AS BIGINT) IS NOT NULL`
}

// CreateRejected creates the rollup of rejected traffic and fills it from the records (a schema
// step).
func CreateRejected(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, rejectedDDL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+RejectedTable); err != nil {
		return err
	}
	return rollUpRejected(ctx, tx, "true", 1)
}

// rollUpRejected adds the rejected records that cond selects to the rollup.
func rollUpRejected(ctx context.Context, tx *sql.Tx, cond string, parts int) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+RejectedTable+" "+rejectedSelect(cond, parts)); err != nil {
		return fmt.Errorf("add up rejected records: %w", err)
	}
	return nil
}
