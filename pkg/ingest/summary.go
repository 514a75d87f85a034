package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// The hourly summary, flow_hourly, holds the VPC flow records added up by the hour of their
// start and of their end, account, VPC, interface, the four addresses, the AWS services the
// logs name (pkt-src-aws-service, pkt-dst-aws-service), action and log status:
// bytes, packets and records, with the earliest start and latest end of each group, and the
// number that stands for its account and VPC (network_scope in schema/functions.sql). Reports
// that need no other column read it instead of the records (a tenth of the rows, or fewer),
// and give the same answers: pkg/queries builds the flow_summary relation they read from it
// or, when their filters need the records, from the records themselves.
//
// Invariant: flow_hourly is the summary of every record in flow_records. Each load keeps it
// in the transaction that adds or replaces records: a batch adds the summary of its files'
// records; a reload first replaces the summary of the hours its file's old records start in.
// A group whose sums would overflow 64 bits is left out: the summary then covers fewer
// records than the table holds, and reports read the records (queries.SummaryCurrent).

// SummaryTable is the hourly summary of the VPC flow records.
const SummaryTable = "flow_hourly"

// hourlyColumns are the first columns of the summary and of the rollups: the hours their
// groups' records start and end in, their first start and last end, and the account, VPC and
// interface.
const hourlyColumns = `start_hour   BIGINT,          -- "start" // 3600 of the group's records
    end_hour     BIGINT,          -- "end" // 3600
    "start"      BIGINT,          -- the earliest start among them
    "end"        BIGINT,          -- the latest end
    account_id   VARCHAR,
    vpc_id       VARCHAR,
    interface_id VARCHAR,`

// SummaryDDL creates the summary table.
const SummaryDDL = `CREATE TABLE IF NOT EXISTS flow_hourly (
    ` + hourlyColumns + `
    src_ip       BIGINT,
    dst_ip       BIGINT,
    pkt_src_ip   BIGINT,
    pkt_dst_ip   BIGINT,
    pkt_src_aws_service VARCHAR,
    pkt_dst_aws_service VARCHAR,
    "action"     flow_action,
    log_status   flow_log_status,
    bytes        BIGINT,          -- sums; NULL when no record of the group has the field
    packets      BIGINT,
    records      BIGINT,
    scope        UBIGINT)         -- network_scope(account_id, vpc_id)`

// SummaryStateTable (schema/0019_summary_state.sql) holds what flow_records and flow_hourly held
// when a load, or a rebuild, last changed them: their counts of rows, and whether flow_hourly
// then summed every record. A report
// that finds both counts as they were trusts the flag, instead of adding up the summary's
// records column to compare with the records (0.1-0.2 s of a report's second on 100M records,
// most of it reading the column): see queries.SummaryCurrent.
const SummaryStateTable = "flowsql_summary_state"

// SummaryAddsUp is the SQL condition that flow_hourly sums every record of flow_records: what
// a load notes in SummaryStateTable, and what a report checks when no such note stands
// (queries.SummaryCurrent).
const SummaryAddsUp = `(SELECT count(*) FROM flow_records) = (SELECT coalesce(sum(records), 0) FROM flow_hourly)`

// noteSummaryState records what the summary and the records hold now (see SummaryStateTable),
// in the transaction that changed them.
func noteSummaryState(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []string{
		`DELETE FROM flowsql_summary_state`,
		`INSERT INTO flowsql_summary_state SELECT (SELECT count(*) FROM flow_records), (SELECT count(*) FROM flow_hourly), ` + SummaryAddsUp,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("record the summary's state: %w", err)
		}
	}
	return nil
}

// summarySelect sums the records of flow_records that cond selects into summary rows. Groups
// whose sums do not fit 64 bits are left out (see SummaryCurrent). The rows come sorted by
// destination: stored in that order, a batch's rows of one address sit in few row groups,
// which DuckDB's zone maps skip to (top-sources --dst: 0.9 s on 100M records where unsorted
// rows take 1.5 s) and groups by faster (about 0.8 s instead of 1.2 s for top-destinations).
// Sorting by the source too cost 0.3 s more per 10M records and served no report. The records are read in parts
// (see inParts), and the scope is worked out for each group, not each record.
//
// The grouping columns in absent are NULL in every record cond selects (their formats lack the
// field: absentKeys): they are not read or grouped by, only written as NULL. Grouping by
// columns of NULLs (vpc_id and the pkt-* fields of the default format) cost the summary of
// 10M records a tenth of its CPU time.
//
// With byNetwork, the records are grouped by their network's number, and the rows sorted before
// the networks table gives them their account, VPC and interface (networks.go): the join keeps
// the order of the sorted rows, which it reads as they come.
func summarySelect(cond string, parts fileParts, absent map[string]bool, byNetwork bool) string {
	nets := networkGrouping{byNetwork, absent}
	group, out := nets.group(), nets.columns() // the grouping columns; every one's value
	read := append([]string{`"start"`, `"end"`}, nets.read()...)
	value := func(k summaryKey) string { return orNull(quoteIdent(k.name), k.name, k.typ, absent) }
	for _, k := range summaryKeys[len(networkColumns):] {
		out = append(out, value(k))
		if !absent[k.name] {
			group = append(group, quoteIdent(k.name))
			read = append(read, quoteIdent(k.name))
		}
	}
	read = append(read, summarySums...)
	sums := make([]string, len(summarySums))
	for i, c := range summarySums {
		sums[i] = sumSQL(c) + " AS " + c
	}
	scope := "network_scope(" + out[0] + ", " + out[1] + ")"
	if byNetwork {
		scope = "n.scope"
	}
	groups := `
    SELECT "start" // 3600 AS start_hour, "end" // 3600 AS end_hour, min("start") AS first_start, max("end") AS last_end,
           ` + strings.Join(group, ", ") + `,
           ` + strings.Join(sums, ", ") + `, count(*) AS records
    FROM ` + inParts(VPC.RecordsView(), strings.Join(read, ", "), cond, parts) + `
    GROUP BY ALL
    HAVING ` + fitSQL(summarySums)
	head := `SELECT start_hour, end_hour, first_start, last_end,
       ` + strings.Join(out, ", ") + `,
       ` + strings.Join(summarySums, ", ") + `, records, ` + scope
	if byNetwork {
		return head + `
FROM (` + groups + `
    ORDER BY dst_ip
) AS groups` + nets.join()
	}
	return head + `
FROM (` + groups + `
) AS groups
ORDER BY dst_ip`
}

// A summaryKey is a column of the records that the summary groups by (beside the hours).
type summaryKey struct{ name, typ string }

// summaryKeys are the summary's grouping columns after the hours, in the table's order; the
// first two are the account and the VPC, of which the scope is worked out.
var summaryKeys = []summaryKey{
	{"account_id", typeText}, {"vpc_id", typeText}, {"interface_id", typeText},
	{"src_ip", typeBigInt}, {"dst_ip", typeBigInt}, {"pkt_src_ip", typeBigInt}, {"pkt_dst_ip", typeBigInt},
	{"pkt_src_aws_service", typeText}, {"pkt_dst_aws_service", typeText},
	{"action", typeAction}, {"log_status", typeLogStatus},
}

// absentKeys returns the summary's grouping columns that no table of formats has, and which the
// records view therefore gives as NULL: all but log_status, which it derives (derivedStatus).
// It is nil when formats is empty: nothing is known to be absent.
func absentKeys(formats []Format) map[string]bool {
	if len(formats) == 0 {
		return nil
	}
	have := map[string]bool{}
	for _, f := range formats {
		for _, c := range segmentColumns(f) {
			have[c.name] = true
		}
	}
	absent := map[string]bool{}
	for _, k := range summaryKeys {
		if !have[k.name] && k.name != "log_status" {
			absent[k.name] = true
		}
	}
	return absent
}

// orNull is the column expression col of the records' column name, or a NULL of type typ when
// name is in absent (absentKeys): what the summary and the rollups write for a column that no
// record they read has.
func orNull(col, name, typ string, absent map[string]bool) string {
	if absent[name] {
		return "NULL::" + typ
	}
	return col
}

// inParts is what a statement that reads the rows of a batch puts after FROM: the columns cols
// of table's rows that cond selects. DuckDB gives a scan one thread per 122,880 rows its table
// held at the last commit, so a scan of the rows a load has just inserted into a new table
// runs on one core; split into parts (fileParts), the rows are read as that many runs of
// consecutive files, each scanned on its own thread (the summary of 10M records: 1.4-1.8 s
// instead of 2.1-2.3 s on two cores).
//
// A run is a range of file ids, which DuckDB tests in the scan: it skips the row groups of
// other files by their least and greatest file_id, and reads the other columns of the rows in
// range only. Sets of files taken every n-th (file_id % n) were tested after the scan, so that
// each part read every column of every row of the batch: grouping 30M records in two such
// sets took 3.9 s of CPU time, in two runs 3.45 s.
func inParts(table, cols, cond string, p fileParts) string {
	if p.n <= 1 {
		return table + " WHERE " + cond
	}
	branches := make([]string, p.n)
	span := p.last - p.first + 1
	for k := range branches {
		lo, hi := p.first+span*int64(k)/int64(p.n), p.first+span*int64(k+1)/int64(p.n)-1
		branches[k] = fmt.Sprintf("SELECT %s FROM %s WHERE (%s) AND file_id BETWEEN %d AND %d", cols, table, cond, lo, hi)
	}
	return "(" + strings.Join(branches, "\n      UNION ALL\n      ") + ") AS records"
}

// fileParts splits the rows of the files with ids first to last (a batch's) into n runs of
// consecutive files (see inParts). With n of 1 or less, or the zero value, they are read as
// one.
type fileParts struct {
	first, last int64
	n           int
}

// scanParts is how to read the rows of a batch's files, files of them with ids first to last
// (see inParts): in as many parts as DuckDB has threads, or files if fewer.
func (l *loader) scanParts(first, last int64, files int) fileParts {
	return fileParts{first, last, max(1, min(l.threads, files))}
}

// summarySums are the columns the summary adds up.
var summarySums = []string{"bytes", "packets"}

// summarizeRecords adds the summary of the records that cond selects to flow_hourly, and the
// records to the rollups (rollups.go), reading them in parts (see summarySelect). Every
// change to the summary comes with one (a reload's deletion of its hours too), so it empties the
// destinations rollup, which the end of a load, or the caller, fills again. absent are the
// summary's grouping columns that no record cond selects has (absentKeys; nil when unknown).
// clock, if not nil, times the summary and each rollup.
func summarizeRecords(ctx context.Context, tx *sql.Tx, cond string, parts fileParts, absent map[string]bool, clock *phaseClock) error {
	if err := staleDestinations(ctx, tx); err != nil {
		return err
	}
	byNetwork, err := findNetworks(ctx, tx, cond, parts, absent)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO flow_hourly "+summarySelect(cond, parts, absent, byNetwork)); err != nil {
		return fmt.Errorf("summarise records by hour: %w", err)
	}
	clock.lap("summary")
	for _, r := range rollups {
		if err := r.add(ctx, tx, cond, parts, networkGrouping{byNetwork, absent}); err != nil {
			return err
		}
		clock.lap("rollup " + r.table)
	}
	return dropNetworks(ctx, tx)
}

// RebuildSummary makes flow_hourly and the rollups anew from the records (a migration, or after
// the records were changed by hand).
func RebuildSummary(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, SummaryDDL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, destinationsDDL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM flow_hourly"); err != nil {
		return err
	}
	for _, r := range rollups {
		if err := r.reset(ctx, tx); err != nil {
			return err
		}
	}
	if err := summarizeRecords(ctx, tx, "true", fileParts{}, nil, nil); err != nil {
		return err
	}
	if err := noteSummaryState(ctx, tx); err != nil {
		return err
	}
	return fillDestinations(ctx, tx)
}

// ScopeSummary gives the summary's rows the scope column if they lack it, and works out its
// values anew, and the destinations rollup with them (a schema step, run again whenever
// network_scope's values change, and with every upgrade).
func ScopeSummary(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `ALTER TABLE flow_hourly ADD COLUMN IF NOT EXISTS scope UBIGINT`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE flow_hourly SET scope = network_scope(account_id, vpc_id)`); err != nil {
		return err
	}
	return fillDestinations(ctx, tx)
}

// ScopeChecksum is what tells whether the summary's scope values are current: network_scope's
// value for a fixed pair, which changes when DuckDB's hash() or the macro does.
const ScopeChecksum = `SELECT CAST(network_scope('flowsql', 'scope') AS VARCHAR)`

// resummarizeHours replaces the summary rows (and the rollups') of the hours
// in which a file's records start (whose records are about to go) by those of the other records
// of those hours.
func resummarizeHours(ctx context.Context, tx *sql.Tx, table string, fileID int64) error {
	hours := fmt.Sprintf(`SELECT DISTINCT "start" // 3600 FROM %s WHERE file_id = %d`, quoteIdent(table), fileID)
	for _, t := range append([]RollupTable{{Name: SummaryTable}}, RollupTables()...) {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %[4]s WHERE start_hour IN (%[1]s)
        OR start_hour IS NULL AND EXISTS (SELECT 1 FROM %[2]s WHERE file_id = %[3]d AND "start" IS NULL)`, hours, quoteIdent(table), fileID, t.Name)); err != nil {
			return err
		}
	}
	return summarizeRecords(ctx, tx, fmt.Sprintf(`file_id <> %[3]d AND ("start" // 3600 IN (%[1]s)
        OR "start" IS NULL AND EXISTS (SELECT 1 FROM %[2]s WHERE file_id = %[3]d AND "start" IS NULL))`, hours, quoteIdent(table), fileID), fileParts{}, nil, nil)
}

// isSummarized reports whether a table's records are in the summary: the VPC tables.
func isSummarized(table string) bool {
	return strings.HasPrefix(table, VPC.Table()+"_")
}

// summarize adds the VPC records of a batch's files to the summary, read in parts (scanParts).
func (l *loader) summarize(ctx context.Context, tx *sql.Tx, tasks []*task) error {
	var ids []string
	var formats []Format
	var first, last int64
	for _, t := range tasks {
		if t.format.Kind == VPC {
			if len(ids) == 0 {
				first, last = t.id, t.id
			}
			first, last = min(first, t.id), max(last, t.id)
			ids = append(ids, strconv.FormatInt(t.id, 10))
			formats = append(formats, t.format)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return summarizeRecords(ctx, tx, fmt.Sprintf("file_id BETWEEN %d AND %d AND file_id IN (%s)", first, last, strings.Join(ids, ", ")), l.scanParts(first, last, len(ids)), absentKeys(formats), l.clock)
}

// summarizedChange reports whether a batch changes the VPC records (and so the summary): it
// loads VPC files, or replaces a file's VPC records.
func summarizedChange(tasks []*task) bool {
	for _, t := range tasks {
		if t.format.Kind == VPC || t.oldID >= 0 && isSummarized(t.oldTable) {
			return true
		}
	}
	return false
}
