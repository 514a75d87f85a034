package ingest

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// Two flow logs can record the same interface: one of its VPC and one of its subnet, or a flow
// log recreated with a new format while the old one still runs. Loaded together, their
// records of that interface count its traffic twice. AWS names each file after its flow log,
// so:
//
//   - each batch adds to file_interfaces, in its transaction, the interfaces each of its VPC
//     files records, with their span (indexFiles);
//   - after every load, findOverlaps rewrites flow_log_overlaps: the interfaces that records
//     of more than one flow log (by the id in the file name, else by the file's format) cover
//     in the same minute with the same action (flow logs of accepted and of rejected traffic
//     only do not overlap). It reads file_interfaces to find the interfaces and files that
//     could overlap, and the records of those alone, so a database of one flow log, or of
//     flow logs of different VPCs, costs no scan of the records.
//
// Reports read flow_log_overlaps to say so (pkg/queries).

// indexFiles adds the interfaces that the VPC files with ids in [first, last] record to
// file_interfaces, reading their records in parts (inParts).
func indexFiles(ctx context.Context, tx *sql.Tx, first, last int64, parts fileParts) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO file_interfaces
        SELECT file_id, interface_id, min("start"), max("end"), count(*)
        FROM `+inParts(VPC.RecordsView(), `file_id, interface_id, "start", "end"`,
		`file_id BETWEEN $1 AND $2 AND interface_id IS NOT NULL AND log_status = 'OK'::flow_log_status`, parts)+`
        GROUP BY file_id, interface_id`, first, last)
	if err != nil {
		return fmt.Errorf("index the files' interfaces: %w", err)
	}
	return nil
}

// IndexAllFiles makes file_interfaces anew from the records (a migration).
func IndexAllFiles(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM file_interfaces`); err != nil {
		return err
	}
	return indexFiles(ctx, tx, 0, 1<<31-1, fileParts{})
}

// overlapsSQL finds the overlaps: the spans of each flow log's records of each interface,
// those that meet another flow log's span of the same interface, the files of those, and the
// minutes in which their records meet.
const overlapsSQL = `
WITH indexed AS (
    SELECT i.file_id, i.interface_id, i.first_start, i.last_end, flow_log_of(f.flow_log_id, f.header) AS flow_log
    FROM file_interfaces i JOIN ingested_files f ON f.file_id = i.file_id
),
spans AS (
    SELECT flow_log, interface_id, min(first_start) AS first_start, max(last_end) AS last_end
    FROM indexed GROUP BY flow_log, interface_id
),
shared AS (
    SELECT a.interface_id, a.flow_log AS log_a, b.flow_log AS log_b,
           greatest(a.first_start, b.first_start) AS first_start, least(a.last_end, b.last_end) AS last_end
    FROM spans a JOIN spans b ON a.interface_id = b.interface_id AND a.flow_log < b.flow_log
        AND a.first_start <= b.last_end AND b.first_start <= a.last_end
),
candidates AS (
    SELECT DISTINCT i.file_id, i.interface_id, i.flow_log
    FROM indexed i JOIN shared s ON i.interface_id = s.interface_id AND i.flow_log IN (s.log_a, s.log_b)
        AND i.first_start <= s.last_end AND s.first_start <= i.last_end
),
minutes AS (
    SELECT r.interface_id, list(DISTINCT c.flow_log) AS flow_logs, min(r."start") AS first_start,
           max(r."end") AS last_end, count(*) AS records
    FROM flow_records r JOIN candidates c ON c.file_id = r.file_id AND c.interface_id = r.interface_id
    WHERE r.file_id IN (SELECT file_id FROM candidates) AND r.log_status = 'OK'::flow_log_status
    GROUP BY r.interface_id, r."start" // 60, r."action"
    HAVING count(DISTINCT c.flow_log) > 1
)
SELECT interface_id, list_sort(list_distinct(flatten(list(flow_logs)))), min(first_start), max(last_end), sum(records)
FROM minutes GROUP BY interface_id`

// findOverlaps rewrites flow_log_overlaps and returns how many interfaces it lists.
func findOverlaps(ctx context.Context, conn *sql.Conn) (int, error) {
	tx, err := flowdb.BeginTx(ctx, conn)
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
