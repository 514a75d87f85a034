package ingest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// What loading writes. flows and tgw_flows are views: one row per record, every field as a
// column (known fields typed, unknown ones as text), addresses as text and as integer keys,
// start and end as timestamps, and where each row came from. flow_records and
// tgw_flow_records are the same without the files' details, and faster to scan.
//
// Underneath, each set of fields has a table of its own (flows_1, flows_2, ...: a narrow table
// loads twice as fast as one with every field, most of them NULL), which stores each address
// once, as an integer key (see addrKeys), and the file's id rather than its name.
const (
	TableFlows    = "flows"
	TableTGWFlows = "tgw_flows"
	TableFiles    = "ingested_files"
	TableErrors   = "load_errors"
)

// ViewsChecksum identifies how this build writes the flows and tgw_flows views: when it
// differs from what built a database's views, RebuildViews runs (flowsql.Open sees to it).
func ViewsChecksum() string {
	h := sha256.New()
	for _, k := range []Kind{VPC, TransitGateway} {
		seg := segmentInfo{name: k.Table() + "_0", cols: map[string]string{}}
		for _, c := range segmentColumns(Format{Kind: k, Fields: knownFields(k)}) {
			seg.cols[c.name] = c.typ
		}
		h.Write([]byte(viewSQL(k, []segmentInfo{seg}, []string{"extra"})))
		h.Write([]byte(viewSQL(k, nil, nil)))
		h.Write([]byte(formatsViewSQL([]segmentInfo{seg})))
	}
	h.Write([]byte(formatsViewSQL(nil)))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// RebuildViews (re)creates the views over the tables that loads have created so far: flows,
// flow_records, tgw_flows, tgw_flow_records, and flow_formats, which lists those tables with
// their fields.
func RebuildViews(ctx context.Context, tx *sql.Tx) error {
	var all []segmentInfo
	for _, k := range []Kind{VPC, TransitGateway} {
		segs, err := rebuildView(ctx, tx, k)
		if err != nil {
			return err
		}
		all = append(all, segs...)
	}
	if _, err := tx.ExecContext(ctx, formatsViewSQL(all)); err != nil {
		return fmt.Errorf("create view flow_formats: %w", err)
	}
	return nil
}

// quoteIdent quotes a SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteString quotes a SQL string literal.
func quoteString(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}

// column is a column of a segment table.
type column struct {
	name, typ string
	field     Field // the field it is loaded from
	role      columnRole
}

type columnRole int

const (
	plainColumn    columnRole = iota
	addrKeyColumn             // an address field's integer key
	addrTextColumn            // an address field's text, kept when it is not IPv4
	fileIDColumn
)

// knownFields returns the fields of a kind, in documented order.
func knownFields(k Kind) []Field {
	if k == TransitGateway {
		return tgwFields
	}
	return vpcFields
}

// addressPrefix returns the key column name of an address field ("" for other fields).
func addressPrefix(k Kind, column string) string {
	for _, a := range addressColumns {
		if a.text == column && (k == VPC || !strings.HasPrefix(column, "pkt_")) {
			return a.prefix
		}
	}
	return ""
}

// segmentColumns lists the table columns for a format: its known fields in documented order
// (each address as a key and a text column), its unknown fields by name, and file_id. Formats
// with the same fields, in whatever order, share a table.
func segmentColumns(f Format) []column {
	var out []column
	have := map[string]Field{}
	var unknown []Field
	for _, fd := range f.Fields {
		have[fd.Name] = fd
		if !fd.Known() {
			unknown = append(unknown, fd)
		}
	}
	for _, known := range knownFields(f.Kind) {
		fd, ok := have[known.Name]
		if !ok {
			continue
		}
		if p := addressPrefix(f.Kind, fd.Column); p != "" {
			out = append(out, column{p, typeBigInt, fd, addrKeyColumn}, column{p + "6", typeText, fd, addrTextColumn})
			continue
		}
		out = append(out, column{fd.Column, fd.Type, fd, plainColumn})
	}
	slices.SortFunc(unknown, func(a, b Field) int { return strings.Compare(a.Column, b.Column) })
	for _, fd := range unknown {
		out = append(out, column{fd.Column, typeText, fd, plainColumn})
	}
	return append(out, column{name: "file_id", typ: typeInt, role: fileIDColumn})
}

func columnsSignature(cols []column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = quoteIdent(c.name) + " " + c.typ
	}
	return strings.Join(parts, ", ")
}

// ensureSegment returns the table for a format's rows, creating it (and rebuilding the view
// over it) the first time a set of fields is loaded.
func ensureSegment(ctx context.Context, tx *sql.Tx, f Format) (string, []column, error) {
	cols := segmentColumns(f)
	sig := columnsSignature(cols)
	var name string
	err := tx.QueryRowContext(ctx, `SELECT name FROM flowsql_segments WHERE kind = ? AND columns = ?`, f.Kind.String(), sig).Scan(&name)
	if err == nil {
		return name, cols, nil
	}
	if err != sql.ErrNoRows {
		return "", nil, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM flowsql_segments WHERE kind = ?`, f.Kind.String()).Scan(&n); err != nil {
		return "", nil, err
	}
	name = fmt.Sprintf("%s_%d", f.Kind.Table(), n+1)
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", name, sig)); err != nil {
		return "", nil, fmt.Errorf("create %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO flowsql_segments VALUES (?, ?, ?)`, name, f.Kind.String(), sig); err != nil {
		return "", nil, err
	}
	return name, cols, RebuildViews(ctx, tx)
}

type segmentInfo struct {
	name  string
	kind  Kind
	cols  map[string]string // column -> type
	order []string          // the columns in table order
}

// fields returns the flow-log fields whose values a segment table holds, in table order.
func (s segmentInfo) fields() []string {
	var out []string
	for _, c := range s.order {
		switch {
		case c == "file_id" || strings.HasSuffix(c, "_ip6"):
		case addressField(s.kind, c) != "":
			out = append(out, addressField(s.kind, c))
		default:
			out = append(out, fieldName(strings.TrimSuffix(c, "_field")))
		}
	}
	return out
}

// addressField returns the address field whose key a column holds ("" for other columns).
func addressField(k Kind, column string) string {
	for _, a := range addressColumns {
		if a.prefix == column && (k == VPC || !strings.HasPrefix(column, "pkt_")) {
			return fieldName(a.text)
		}
	}
	return ""
}

// rebuildView (re)creates the flows or tgw_flows view over every table of that kind, and
// returns the tables.
func rebuildView(ctx context.Context, tx *sql.Tx, k Kind) ([]segmentInfo, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, columns FROM flowsql_segments WHERE kind = ? ORDER BY name`, k.String())
	if err != nil {
		return nil, err
	}
	var segs []segmentInfo
	unknown := map[string]bool{}
	for rows.Next() {
		var name, sig string
		if err := rows.Scan(&name, &sig); err != nil {
			rows.Close()
			return nil, err
		}
		s := segmentInfo{name: name, kind: k, cols: map[string]string{}}
		for _, part := range strings.Split(sig, ", ") {
			i := strings.LastIndex(part, " ")
			col := strings.ReplaceAll(strings.Trim(part[:i], `"`), `""`, `"`)
			s.cols[col] = part[i+1:]
			s.order = append(s.order, col)
		}
		segs = append(segs, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	known := map[string]bool{"file_id": true}
	for _, c := range segmentColumns(Format{Kind: k, Fields: knownFields(k)}) {
		known[c.name] = true
	}
	var extra []string
	for _, s := range segs {
		for c := range s.cols {
			if !known[c] && !unknown[c] {
				unknown[c] = true
				extra = append(extra, c)
			}
		}
	}
	slices.Sort(extra)
	_, err = tx.ExecContext(ctx, viewSQL(k, segs, extra))
	if err != nil {
		return nil, fmt.Errorf("create view %s: %w", k.Table(), err)
	}
	return segs, nil
}

// formatsViewSQL builds flow_formats: one row per table under flows and tgw_flows, with the
// fields its records have and how many files and records the manifest holds of it. A report
// reads it to say which fields the loaded logs lack.
func formatsViewSQL(segs []segmentInfo) string {
	var rows []string
	for _, s := range segs {
		fields := make([]string, 0, len(s.order))
		for _, f := range s.fields() {
			fields = append(fields, quoteString(f))
		}
		rows = append(rows, fmt.Sprintf("(%s, %s, [%s]::VARCHAR[])", quoteString(s.kind.Table()), quoteString(s.name), strings.Join(fields, ", ")))
	}
	values := "SELECT NULL::VARCHAR AS target, NULL::VARCHAR AS table_name, NULL::VARCHAR[] AS fields WHERE false"
	if len(rows) > 0 {
		values = "SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") AS v(target, table_name, fields)"
	}
	return `CREATE OR REPLACE VIEW flow_formats AS
SELECT f.target, f.table_name, f.fields, coalesce(m.files, 0) AS files, coalesce(m.records, 0) AS records
FROM (` + values + `) AS f
LEFT JOIN (SELECT table_name, count(*) AS files, sum(rows_loaded) AS records FROM ingested_files GROUP BY table_name) AS m
       ON m.table_name = f.table_name`
}

// trafficColumns are the columns whose values only a record of traffic has: NODATA and SKIPDATA
// records carry none of them.
var trafficColumns = []string{"bytes", "packets", "src_ip", "dst_ip", "srcport", "dstport", "protocol", "action"}

// derivedStatus is the log_status of the records of a table whose format has no log-status
// field (AWS allows any subset of fields; its own NAT example has no status): OK for a record
// that carries traffic (any of trafficColumns), else NULL. Reports count OK records, so
// without this a format without the field would show no traffic at all.
func derivedStatus(s segmentInfo) string {
	var present []string
	for _, c := range trafficColumns {
		if _, ok := s.cols[c]; ok {
			present = append(present, quoteIdent(c)+" IS NOT NULL")
		}
	}
	if len(present) == 0 {
		return "CAST(NULL AS flow_log_status)"
	}
	return "CAST(CASE WHEN " + strings.Join(present, " OR ") + " THEN 'OK' END AS flow_log_status)"
}

// RecordsView is the view under flows (or tgw_flows) without the files' details: the same
// rows and columns otherwise, for the fastest scans (the canned reports use it).
func (k Kind) RecordsView() string {
	if k == TransitGateway {
		return "tgw_flow_records"
	}
	return "flow_records"
}

// viewSQL builds the views of a kind: the records view, the union of its tables with every
// column (NULL where a table lacks one), addresses as text and keys, and timestamps; and the
// flows view, which adds the details of each row's file.
func viewSQL(k Kind, segs []segmentInfo, extra []string) string {
	var inner []column // the union's columns
	inner = append(inner, segmentColumns(Format{Kind: k, Fields: knownFields(k)})...)
	inner = inner[:len(inner)-1] // file_id goes last, after the unknown fields
	for _, e := range extra {
		inner = append(inner, column{name: e, typ: typeText})
	}
	inner = append(inner, column{name: "file_id", typ: typeInt})

	var branches []string
	for _, s := range segs {
		sel := make([]string, len(inner))
		for i, c := range inner {
			_, ok := s.cols[c.name]
			switch {
			case ok:
				sel[i] = quoteIdent(c.name)
			case c.name == "log_status":
				sel[i] = derivedStatus(s) + " AS log_status"
			default:
				sel[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", c.typ, quoteIdent(c.name))
			}
		}
		branches = append(branches, "SELECT "+strings.Join(sel, ", ")+" FROM "+s.name)
	}
	if len(branches) == 0 {
		sel := make([]string, len(inner))
		for i, c := range inner {
			sel[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", c.typ, quoteIdent(c.name))
		}
		branches = append(branches, "SELECT "+strings.Join(sel, ", ")+" WHERE false")
	}

	var outer []string
	for _, fd := range knownFields(k) {
		if p := addressPrefix(k, fd.Column); p != "" {
			// IPv4 text is computed from the key; other text is stored. No lookup, so a
			// query that does not read the column does not pay for it.
			outer = append(outer, fmt.Sprintf("CASE WHEN %[1]s >= 0 THEN ip4_text(%[1]s) ELSE %[1]s6 END AS %[2]s", p, fd.Column))
		} else {
			outer = append(outer, quoteIdent(fd.Column))
		}
	}
	for _, e := range extra {
		outer = append(outer, quoteIdent(e))
	}
	outer = append(outer,
		`make_timestamp("start" * 1000000) AS start_time`,
		`make_timestamp("end" * 1000000) AS end_time`)
	for _, c := range inner {
		if c.role == addrKeyColumn || c.role == addrTextColumn {
			outer = append(outer, c.name)
		}
	}
	outer = append(outer, "file_id")
	return fmt.Sprintf(`CREATE OR REPLACE VIEW %s AS
SELECT %s
FROM (%s) AS records;
CREATE OR REPLACE VIEW %s AS
SELECT *,
       (SELECT uri FROM flowsql_file_lists)[file_id] AS source_file,
       (SELECT account FROM flowsql_file_lists)[file_id] AS source_account,
       (SELECT region FROM flowsql_file_lists)[file_id] AS source_region,
       (SELECT log_date FROM flowsql_file_lists)[file_id] AS source_date
FROM %s`,
		k.RecordsView(), strings.Join(outer, ",\n       "), strings.Join(branches, "\nUNION ALL\n"),
		k.Table(), k.RecordsView())
}
