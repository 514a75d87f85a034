package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The summary and the rollups group the records by account, VPC and interface, three columns
// of text. Grouping by text costs DuckDB a copy of each group's strings in its hash table and a
// comparison of them for every record, and sorting the summary by destination moves them again:
// for 30M records, grouping and sorting took 3.5-3.9 s where the same with one number in their
// place took 2.8-2.9 s (in a process of its own, on the committed records).
//
// So a batch first finds its networks, the distinct triples its records name (as many as the
// VPC has interfaces; the benchmark's 100M records name 15), each with a hash of the three
// (networkKey), and the summary and rollups group by that number, sort, and then join the
// networks to write the three columns. A hash could give two triples one number; when the
// batch's networks do, the statements group by the text as before, so no two networks are ever
// added up together. In loads of 30M records, three pairs alternating: the networks, summary
// and rollups took 5.5-6.0 s instead of 6.1-6.2 s (finding the networks 0.2 s of it).

// networksTable is the temporary table of a batch's networks: net (networkKey), account_id,
// vpc_id, interface_id, and scope (network_scope of the account and VPC).
const networksTable = "flowsql_batch_networks"

// networkColumns are the columns of the records that make up a network.
var networkColumns = []string{"account_id", "vpc_id", "interface_id"}

// networkKey is the expression of a record's network number, of the columns of its account, VPC
// and interface as expressions (a NULL for a column absent from every record read). It is a
// variable so that a test can make networks collide.
var networkKey = func(cols []string) string { return "hash(" + strings.Join(cols, ", ") + ")" }

// networkExprs are the network columns as a statement that reads records writes them: each
// column, or a NULL where it is in absent (absentKeys: no record read has it).
func networkExprs(absent map[string]bool) []string {
	out := make([]string, len(networkColumns))
	for i, c := range networkColumns {
		out[i] = orNull(c, c, typeText, absent)
	}
	return out
}

// findNetworks makes the networks table of the records that cond selects, read in parts
// (inParts), and reports whether their numbers tell them all apart. absent: see networkExprs.
func findNetworks(ctx context.Context, tx *sql.Tx, cond string, parts fileParts, absent map[string]bool) (bool, error) {
	read := networkGrouping{absent: absent}.read()
	if len(read) == 0 {
		read = []string{"true AS any"} // one row when there are records, of NULLs
	}
	cols := networkExprs(absent)
	q := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %[1]s AS
    SELECT %[2]s AS net, %[3]s AS account_id, %[4]s AS vpc_id, %[5]s AS interface_id, network_scope(%[3]s, %[4]s) AS scope
    FROM (SELECT DISTINCT %[6]s FROM %[7]s)`, networksTable, networkKey(cols), cols[0], cols[1], cols[2],
		strings.Join(read, ", "), inParts(VPC.RecordsView(), strings.Join(read, ", "), cond, parts))
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return false, fmt.Errorf("find the networks of the records: %w", err)
	}
	var apart bool
	if err := tx.QueryRowContext(ctx, `SELECT count(*) = count(DISTINCT net) FROM `+networksTable).Scan(&apart); err != nil {
		return false, fmt.Errorf("find the networks of the records: %w", err)
	}
	return apart, nil
}

// dropNetworks drops the networks table.
func dropNetworks(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS temp."+networksTable)
	return err
}

// networkGrouping describes how a statement that adds records up groups them by network: by
// the number (byNetwork), joining the networks table as n afterwards, or by the three columns.
type networkGrouping struct {
	byNetwork bool
	absent    map[string]bool
}

// read are the network columns the statement reads of the records.
func (g networkGrouping) read() []string {
	var out []string
	for _, c := range networkColumns {
		if !g.absent[c] {
			out = append(out, c)
		}
	}
	return out
}

// group are the grouping expressions, with names, that stand for the network.
func (g networkGrouping) group() []string {
	if g.byNetwork {
		return []string{networkKey(networkExprs(g.absent)) + " AS net"}
	}
	return g.read()
}

// columns are the account, VPC and interface as the statement writes them, in a select list
// over the groups (joined with the networks table when byNetwork).
func (g networkGrouping) columns() []string {
	if g.byNetwork {
		out := make([]string, len(networkColumns))
		for i, c := range networkColumns {
			out[i] = "n." + c
		}
		return out
	}
	return networkExprs(g.absent)
}

// join is what follows the groups, named groups, in the FROM clause.
func (g networkGrouping) join() string {
	if g.byNetwork {
		return " JOIN " + networksTable + " AS n USING (net)"
	}
	return ""
}
