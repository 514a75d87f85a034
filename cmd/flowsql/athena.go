package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenarun "github.com/flowsql/flowsql/internal/athena"
	"github.com/flowsql/flowsql/internal/output"
	"github.com/flowsql/flowsql/internal/words"
	"github.com/flowsql/flowsql/pkg/enrich"
	"github.com/flowsql/flowsql/pkg/queries"
)

// athenaFlags choose the engine of a report and, for Athena, where it runs.
type athenaFlags struct {
	engine    string
	workgroup string
	output    string
	database  string
	catalog   string
	table     string
	layout    string
	aws       awsFlags
}

func (a *athenaFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.engine, "engine", "duckdb", "where the report runs (`ENGINE`): duckdb (the local database) or athena (Amazon Athena, over the logs in S3)")
	fs.StringVar(&a.workgroup, "workgroup", "primary", "Athena `WORKGROUP` (with --engine athena)")
	fs.StringVar(&a.output, "output", "", "Athena result location, `S3URI` like s3://bucket/prefix/ (default: the workgroup's)")
	fs.StringVar(&a.database, "database", "default", "Athena `DATABASE` of the flow-log table")
	fs.StringVar(&a.catalog, "catalog", "", "Athena data `CATALOG` (default: AwsDataCatalog)")
	fs.StringVar(&a.table, "table", "vpc_flow_logs", "Athena flow-log `TABLE`, as flowsql athena ddl made it")
	fs.StringVar(&a.layout, "layout", "default", "the table's partitioning (`LAYOUT`), as for flowsql athena ddl: default or hive")
	a.aws.registerAccount(fs, "AWS `REGION` for Athena (default $AWS_REGION or the profile's)")
}

// runOnAthena runs a report on Athena and prints its result, then what it scanned and cost.
func runOnAthena(ctx context.Context, e *env, q *queries.Query, vals queries.Values, f queries.Filters, rf reportFlags, now time.Time) error {
	a := rf.athena
	if a.layout != "default" && a.layout != "hive" {
		return usagef("", "--layout %q: default or hive", a.layout)
	}
	dialect := queries.Athena{Table: quoteTrino(a.table), Layout: a.layout}
	st, err := q.Statement(ctx, dialect, vals, f, nil, now)
	if err != nil {
		var ae *queries.ArgError
		if errors.As(err, &ae) {
			return usagef(fmt.Sprintf("Run 'flowsql report %s -h' for its parameters.", q.Name), "%s", ae.Error())
		}
		return err
	}
	for _, n := range q.SeriesNotes(vals, f) {
		fmt.Fprintf(e.stderr, "flowsql report %s: %s\n", q.Name, n)
	}
	sql := st.Inline()
	if rf.showSQL {
		fmt.Fprintf(e.stderr, "%s;\n", sql)
	}
	cfg, _, err := a.aws.config(ctx)
	if err != nil {
		return err
	}
	client := athena.NewFromConfig(cfg)
	res, stats, err := athenarun.Run(ctx, client, sql, athenarun.Options{Workgroup: a.workgroup, Output: a.output, Database: a.database, Catalog: a.catalog})
	if stats != nil && stats.QueryID != "" && err != nil && ctx.Err() != nil {
		fmt.Fprintf(e.stderr, "flowsql report: stopped Athena query %s\n", stats.QueryID)
	}
	if err != nil {
		return err
	}
	rf.output.human = true
	rf.output.optional = q.Optional
	if err := writeRows(e, rf.output, res); err != nil {
		return err
	}
	if note := q.LimitNote(vals, int64(len(res.Rows))); note != "" {
		fmt.Fprintf(e.stderr, "flowsql report %s: %s\n", q.Name, note)
	}
	if note := privateHostsNote(q, vals, res, f); note != "" {
		fmt.Fprintf(e.stderr, "flowsql report %s: %s\n", q.Name, note)
	}
	fmt.Fprintf(e.stderr, "Athena query %s: scanned %s in %.1f s, about %s at $%.0f per TB\n",
		stats.QueryID, words.Bytes(float64(stats.ScannedBytes)), stats.TotalTime.Seconds(), dollars(stats.Cost()), athenarun.PricePerTB)
	return nil
}

// privateHostsNote says, for a report whose local body tells apart the hosts that several
// accounts number alike (templated VPCs reuse private addresses), that its Athena body does not
// when a private address (one the local body's key_is_private tells, enrich.IsPublic's
// complement) is among its rows: the Athena table may have no account column
// (a custom format without account-id) to tell them apart by. "" when --account chose one.
func privateHostsNote(q *queries.Query, vals queries.Values, res *output.Result, f queries.Filters) string {
	body, _ := q.Body("duckdb")
	if f.Account != "" || !strings.Contains(body, "key_is_private(") && !strings.Contains(body, "is_private_ip4_int(") {
		return ""
	}
	var addrs []string // the rows' addresses, and the one asked about (top-sources --dst)
	for _, p := range q.Params {
		if p.Type == "addr" {
			addrs = append(addrs, vals[p.Name])
		}
	}
	for i, c := range res.Columns {
		if c.Name == "srcaddr" || c.Name == "dstaddr" || c.Name == "address" {
			for _, row := range res.Rows {
				addrs = append(addrs, output.Text(row[i], ""))
			}
		}
	}
	for _, s := range addrs {
		if a, err := netip.ParseAddr(s); err == nil && !enrich.IsPublic(a) {
			return fmt.Sprintf("on Athena, a private address (%s, say) counts the hosts that have it in every account the table reads, as one row: templated VPCs reuse addresses, "+
				"which the local report tells apart by account and VPC; --account counts one account's", a)
		}
	}
	return ""
}

// quoteTrino quotes a table name, qualified or not, for Trino: logs.flows -> "logs"."flows".
func quoteTrino(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}

func dollars(v float64) string {
	if v < 0.01 {
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

const athenaAbout = `
Run flowsql's reports on Amazon Athena, over the flow logs where they are in S3: for the
terabytes a month of an organisation with many accounts, which one machine would spend long
downloading. The same canned reports run there (those with an Athena body; 'flowsql report'
lists where each runs) with 'flowsql report NAME --engine athena'.

Commands:
  ddl LOCATION   print the CREATE EXTERNAL TABLE for the logs under LOCATION, with partition
                 projection for their layout (no partitions to add, ever), ready to paste into
                 the Athena console or to run with the AWS CLI

Examples:
  flowsql athena ddl s3://my-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/
  flowsql athena ddl s3://my-logs/AWSLogs/ --accounts 111111111111,222222222222 --regions us-east-1,eu-west-1
  flowsql athena ddl s3://my-logs/AWSLogs/ --layout hive --hourly --file-format parquet --accounts 111111111111 --regions us-east-1
  flowsql report top-talkers --engine athena --database default --since 2024-06-01 --until 2024-06-08`

const ddlAbout = `
Print the CREATE EXTERNAL TABLE statement for the flow logs under an S3 location, with partition
projection for their layout: a day partition ("yyyy/MM/dd") for AWS's default layout, year,
month and day for the Hive-compatible one, and an hour with --hourly. A location that stops
above the account or the region makes those partitions too, with the values --accounts and
--regions give.

The columns follow the flow log's format (--log-format, as 'aws ec2 describe-flow-logs' prints it;
default: AWS's default format), named as in AWS's Parquet and Athena documentation (account_id,
pkt_srcaddr, ...). Text files skip their header line.

Examples:
  flowsql athena ddl s3://my-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/
  flowsql athena ddl s3://my-logs/AWSLogs/ --accounts 111111111111 --regions us-east-1 --file-format parquet
  flowsql athena ddl s3://my-logs/prefix/AWSLogs/ --layout hive --hourly --accounts 111111111111 --regions us-east-1 \
      --log-format '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr} ...'`

func runAthena(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "ddl" {
		return runAthenaDDL(ctx, e, args[1:])
	}
	fs := newFlagSet(e, "athena", "COMMAND [flags]", athenaAbout)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if len(args) == 0 {
		return usagef("Example: flowsql athena ddl s3://my-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/", "name a command: ddl")
	}
	return usagef("The command is ddl; reports run with flowsql report NAME --engine athena.", "unknown athena command %q", args[0])
}

func runAthenaDDL(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "athena ddl", "s3://BUCKET/PREFIX/ [flags]", ddlAbout)
	var o athenarun.DDLOptions
	fs.StringVar(&o.Format, "file-format", "text", "`KIND` of files AWS delivers: text (gzip) or parquet")
	renamedFlag(fs, "format", "file-format")
	fs.StringVar(&o.Layout, "layout", "default", "the S3 key `LAYOUT`: default or hive (Hive-compatible prefixes)")
	fs.BoolVar(&o.Hourly, "hourly", false, "the logs are partitioned by hour too")
	fs.StringVar(&o.Fields, "log-format", "", "the flow log's `FORMAT`: '${version} ${account-id} ...' (default: AWS's default format)")
	renamedFlag(fs, "fields", "log-format")
	fs.StringVar(&o.Table, "table", "vpc_flow_logs", "the table's `NAME`")
	fs.StringVar(&o.Database, "database", "", "the `DATABASE` to create it in (default: the query's)")
	accounts := fs.String("accounts", "", "the account `IDS` to read, comma-separated, when the location stops above the account")
	regions := fs.String("regions", "", "the `REGIONS` to read, comma-separated, when the location stops above the region")
	fs.StringVar(&o.From, "from", "2020/01/01", "the first `DAY` of the partition projection (yyyy/MM/dd)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("Example: flowsql athena ddl s3://my-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/", "give one s3:// location")
	}
	o.Location = pos[0]
	o.Accounts = splitList(*accounts)
	o.Regions = splitList(*regions)
	ddl, err := athenarun.DDL(o)
	if err != nil {
		return usagef("", "%v", err)
	}
	fmt.Fprint(e.stdout, ddl)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
