package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// After a batch's rows are in: what each file holds (countRows), and its row in the
// ingested_files manifest (writeManifest), written in the batch's transaction.

// countRows reads, per file of the batch, the rows loaded, NODATA and SKIPDATA records, the time
// span (of the records whose times a record can have: a start in milliseconds would stretch it
// by millennia), and the rows with values no record can have (suspiciousSQL, or an address key that
// names no address: invalid). file_id grows with every batch, so DuckDB's zone maps skip older
// rows.
func (l *loader) countRows(ctx context.Context, tx *sql.Tx, groups []*group) error {
	byID := map[int64]*task{}
	ranges := map[Kind][2]int64{}
	for _, g := range groups {
		k := g.format.Kind
		r, ok := ranges[k]
		for _, t := range g.tasks {
			byID[t.id] = t
			if !ok {
				r, ok = [2]int64{t.id, t.id}, true
			}
			r[0], r[1] = min(r[0], t.id), max(r[1], t.id)
		}
		ranges[k] = r
	}
	if r, ok := ranges[VPC]; ok {
		if err := indexFiles(ctx, tx, r[0], r[1], l.scanParts(r[0], r[1], len(byID))); err != nil {
			return err
		}
	}
	invalid := l.keys.invalidKeys()
	for k, r := range ranges {
		bad := boundsAt(l.start).suspiciousSQL()
		if len(invalid) > 0 {
			bad += ` OR list_contains($3::BIGINT[], src_ip) OR list_contains($3::BIGINT[], dst_ip)`
			if k == VPC {
				bad += ` OR list_contains($3::BIGINT[], pkt_src_ip) OR list_contains($3::BIGINT[], pkt_dst_ip)`
			}
		}
		cols := `file_id, log_status, "start", "end", srcport, dstport, protocol, packets, bytes, src_ip, dst_ip`
		if k == VPC {
			cols += ", pkt_src_ip, pkt_dst_ip"
		}
		args := []any{r[0], r[1]}
		if len(invalid) > 0 {
			args = append(args, invalid)
		}
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`
            SELECT file_id, count(*), count(*) FILTER (WHERE log_status = 'NODATA'::flow_log_status),
                   count(*) FILTER (WHERE log_status = 'SKIPDATA'::flow_log_status),
                   min("start") FILTER (WHERE %[3]s), max("end") FILTER (WHERE %[3]s),
                   count(*) FILTER (WHERE %[1]s)
            FROM %[2]s GROUP BY file_id`, bad, inParts(k.RecordsView(), cols, "file_id BETWEEN $1 AND $2", l.scanParts(r[0], r[1], len(byID))), boundsAt(l.start).timesSQL()), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, n, nodata, skipdata, suspicious int64
			var first, last sql.NullInt64
			if err := rows.Scan(&id, &n, &nodata, &skipdata, &first, &last, &suspicious); err != nil {
				rows.Close()
				return err
			}
			if t := byID[id]; t != nil {
				t.rows, t.nodata, t.skipdata, t.firstStart, t.lastEnd, t.suspicious = n, nodata, skipdata, first, last, suspicious
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// writeManifest records the batch's files in ingested_files.
func (l *loader) writeManifest(ctx context.Context, tx *sql.Tx, tasks []*task, took time.Duration) error {
	var total int64
	for _, t := range tasks {
		total += t.file.Size
	}
	// One statement for the batch: a statement per file took 2-3 ms each (1.0-1.4 s of a
	// 100M-record load of 400 files).
	const row = `(?, ?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?,
             make_timestamp(? * 1000000), make_timestamp(? * 1000000),
             NULLIF(?, ''), NULLIF(?, ''), CAST(? AS DATE), NULLIF(?, ''), ?, now()::TIMESTAMP, ?, ?, NULLIF(?, ''), NULLIF(?, ''))`
	var rows []string
	var args []any
	for _, t := range tasks {
		share := took.Seconds()
		if total > 0 {
			share = took.Seconds() * float64(t.file.Size) / float64(total)
		}
		var modified, logDate any
		if !t.file.ModTime.IsZero() {
			modified = t.file.ModTime.UTC()
		}
		if !t.key.Date.IsZero() {
			logDate = t.key.Date.Format("2006-01-02")
		}
		var nodata, skipdata any = t.nodata, t.skipdata
		if t.format.Kind != ResolverQueries && !t.format.Has("log-status") {
			nodata, skipdata = nil, nil // unknown, not none
		}
		header := t.format.String()
		if t.format.Kind == ResolverQueries {
			header = "route53 resolver query log"
		} else if t.sn.container == containerParquet {
			header = "parquet: " + strings.ReplaceAll(header, "-", "_")
		}
		rows = append(rows, row)
		args = append(args, t.id, t.file.URI, t.file.Size, modified, t.file.ETag, t.container, header, t.format.Kind.Table(), t.table,
			t.rows, t.rejected, t.recovered, nodata, skipdata, t.firstStart, t.lastEnd,
			t.key.Account, t.key.Region, logDate, t.key.FlowLogID, share, t.altered, t.suspicious, t.sha256, t.textHash)
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO ingested_files (file_id, uri, size, modified, etag, container, header, target,
                table_name, rows_loaded, rows_rejected, rows_recovered, nodata, skipdata, first_start, last_end, account,
                region, log_date, flow_log_id, load_seconds, loaded_at, rows_altered, rows_suspicious, content_sha256, text_hash) VALUES
            `+strings.Join(rows, ",\n            "), args...)
	if err != nil {
		return fmt.Errorf("record %d files in ingested_files (%s first): %w", len(tasks), tasks[0].file.URI, err)
	}
	return nil
}

// recordFailures writes a load_errors row for each file that failed (and the lines that made it
// fail, when they say why), replacing the rows of an earlier failed attempt.
func (l *loader) recordFailures(ctx context.Context, failed []*task) error {
	if len(failed) == 0 {
		return nil
	}
	tx, err := flowdb.BeginTx(ctx, l.conn)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range failed {
		r := l.sum.Results[t.index]
		if _, err := tx.ExecContext(ctx, `DELETE FROM load_errors WHERE uri = ?`, t.file.URI); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO load_errors (uri, line, raw, reason, logged_at, kind)
            VALUES (?, NULL, NULL, ?, now()::TIMESTAMP, ?)`, t.file.URI, r.Note, kindFailed); err != nil {
			return err
		}
		if err := l.writeLoadErrors(ctx, tx, t.rejects, t.lineLog); err != nil {
			return err
		}
	}
	l.finished(failed)
	return tx.Commit()
}
