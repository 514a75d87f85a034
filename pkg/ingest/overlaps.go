package ingest

import (
	"context"
	"database/sql"
)

// Two flow logs can record the same interface: one of its VPC and one of its subnet, or a flow
// log recreated with a new format while the old one still runs. Loaded together, their
// records of that interface count its traffic twice. AWS names each file after its flow log,
// so after every load findOverlaps rewrites flow_log_overlaps: the interfaces that records of
// more than one flow log (by the id in the file name, else by the file's format) cover in the
// same minute, with the same action (flow logs of accepted and of rejected traffic only do not
// overlap), and reports read it to say so.

// OverlapsTable lists the interfaces that more than one loaded flow log recorded at once.
const OverlapsTable = "flow_log_overlaps"

// overlapsSQL finds the overlaps. Only files of different flow logs whose spans meet are read,
// so a database of one flow log costs a query of ingested_files alone.
const overlapsSQL = `
WITH files AS (
    SELECT file_id, coalesce(flow_log_id, 'format: ' || header) AS flow_log, first_start, last_end
    FROM ingested_files WHERE target = 'flows' AND rows_loaded > 0
),
candidates AS (
    SELECT DISTINCT unnest([a.file_id, b.file_id]) AS file_id
    FROM files a JOIN files b ON a.flow_log < b.flow_log AND a.first_start <= b.last_end AND b.first_start <= a.last_end
),
minutes AS (
    SELECT r.interface_id, list(DISTINCT f.flow_log) AS flow_logs, min(r."start") AS first_start,
           max(r."end") AS last_end, count(*) AS records
    FROM flow_records r JOIN files f ON f.file_id = r.file_id
    WHERE r.file_id IN (SELECT file_id FROM candidates) AND r.interface_id IS NOT NULL
      AND r.log_status = 'OK'::flow_log_status
    GROUP BY r.interface_id, r."start" // 60, r."action"
    HAVING count(DISTINCT f.flow_log) > 1
)
SELECT interface_id, list_sort(list_distinct(flatten(list(flow_logs)))), min(first_start), max(last_end), sum(records)
FROM minutes GROUP BY interface_id`

// findOverlaps rewrites flow_log_overlaps and returns how many interfaces it lists.
func findOverlaps(ctx context.Context, conn *sql.Conn) (int, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM flow_log_overlaps`); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO flow_log_overlaps `+overlapsSQL); err != nil {
		return 0, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM flow_log_overlaps`).Scan(&n); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}
