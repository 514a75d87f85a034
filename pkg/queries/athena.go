package queries

import (
	"fmt"
	"strings"
	"time"
)

// Athena is the dialect of Amazon Athena (Trino) over a flow-log table made by
// "flowsql athena ddl": the record columns as AWS's Athena documentation names them
// (srcaddr, dstaddr and pkt_* as text), partitioned by day as the S3 layout gives it.
type Athena struct {
	// Table is the flow-log table, qualified with its database when needed ("logs"."flows").
	Table string
	// Layout is the table's partitioning: "default" (a day partition "yyyy/MM/dd") or "hive"
	// (year, month and day partitions).
	Layout string
}

// Engine names the engine.
func (Athena) Engine() string { return "athena" }

// Records is the flow-log table.
func (a Athena) Records() string { return a.Table }

// maxPartitionDays bounds the days a Hive-layout time filter lists one by one.
const maxPartitionDays = 92

// FilterSQL turns the filters into a condition on the table. Times compare with start and end,
// and also with the day partitions, so that Athena reads only the days asked for: a record
// ending at or after Since is in a file of Since's day or later (a file's day is that of its
// records' end), and one starting before Until ends within the hour after it.
func (a Athena) FilterSQL(f Filters, first int) (string, []any, error) {
	return filterSQL(f, first, func(c string, param func(any) string) string {
		p := param(c)
		return fmt.Sprintf("(contains(%[1]s, TRY_CAST(srcaddr AS IPADDRESS)) OR contains(%[1]s, TRY_CAST(dstaddr AS IPADDRESS)))", p)
	}, a.partitions)
}

// partitions is the partition predicate for a time window ("" when it does not narrow).
func (a Athena) partitions(since, until time.Time) string {
	if since.IsZero() && until.IsZero() {
		return ""
	}
	var from, to time.Time
	if !since.IsZero() {
		from = since.UTC().Truncate(24 * time.Hour)
	}
	if !until.IsZero() {
		to = until.UTC().Add(time.Hour).Truncate(24 * time.Hour)
	}
	if a.Layout != "hive" {
		var c []string
		if !from.IsZero() {
			c = append(c, fmt.Sprintf("day >= '%s'", from.Format("2006/01/02")))
		}
		if !to.IsZero() {
			c = append(c, fmt.Sprintf("day <= '%s'", to.Format("2006/01/02")))
		}
		return strings.Join(c, " AND ")
	}
	if from.IsZero() || to.IsZero() || to.Sub(from) > maxPartitionDays*24*time.Hour {
		var c []string // a range the partitions cannot list: years at least
		if !from.IsZero() {
			c = append(c, fmt.Sprintf("year >= '%d'", from.Year()))
		}
		if !to.IsZero() {
			c = append(c, fmt.Sprintf("year <= '%d'", to.Year()))
		}
		return strings.Join(c, " AND ")
	}
	var days []string
	for d := from; !d.After(to); d = d.Add(24 * time.Hour) {
		days = append(days, fmt.Sprintf("(year = '%d' AND month = '%02d' AND day = '%02d')", d.Year(), d.Month(), d.Day()))
	}
	return "(" + strings.Join(days, " OR ") + ")"
}
