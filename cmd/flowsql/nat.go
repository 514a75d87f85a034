package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flowsql/flowsql/internal/nat"
	"github.com/flowsql/flowsql/pkg/queries"
)

const natAbout = `
Explain a NAT gateway bill from the flow logs: what each gateway processed and what it cost,
who sent the traffic and where it went, what was avoidable, when it happened, and how far the
logs can be trusted.

What a NAT gateway bills is the bytes it receives from both sides (CloudWatch's
BytesInFromSource + BytesInFromDestination). The logs show each flow up to three times (the
gateway's VPC-side leg, its outside leg, and the instance's own interface), so flowsql counts
the records addressed to the gateway, once. pkt-srcaddr/pkt-dstaddr pair each source with its
destinations exactly; without them the report says what it estimated.

The gateways come from --nat-ip, else from the eni table ('flowsql enrich eni'), else from the
records (address translation shows in pkt-dstaddr). Destinations are named by 'flowsql enrich
aws-ranges' (S3, DynamoDB) and 'flowsql enrich whois' when those have run.

Costs use AWS's list prices for the gateway's region (us-east-1: $0.045 per GB processed and
$0.045 per hour; GB = 2^30 bytes); the flags override them. The hourly charge counts the
gateway-hours the records touch, each begun hour whole, as AWS bills; the 30-day rate takes the
processing charge per second of the time the records cover, plus 720 gateway-hours. Cross-AZ
traffic pays $0.01/GB in each direction. S3 and DynamoDB bytes are avoidable with a gateway
endpoint, which is free.

With --nat-ip, the records and the eni table are asked whether the address is a NAT gateway
(address translation in pkt-dstaddr, the interface's type); where they say it is not, the
figures are still computed, under a caution.

Flow-log paths given after the flags are loaded first (into --db), as with report.

Examples:
  flowsql nat                                  # every gateway the eni table knows
  flowsql nat --nat-ip 10.0.101.10 --since 7d
  flowsql nat --format markdown --show-sql > nat-report.md
  flowsql nat --nat-ip 10.0.101.10 testdata/sample
  flowsql nat --format json | jq '.gateways[].total_cost'`

func runNAT(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "nat", "[flags] [PATH...]", natAbout)
	db := dbFlag(fs, e)
	var natIPs stringList
	fs.Var(&natIPs, "nat-ip", "a NAT gateway's private `ADDR` (may be repeated); default: the gateways the eni table or the records show")
	since := fs.String("since", "", "only records that end at or after `TIME` (RFC 3339, a date, or how long ago: 24h, 7d)")
	until := fs.String("until", "", "only records that start before `TIME`")
	account := fs.String("account", "", "only records of this AWS account `ID`")
	region := fs.String("region", "", "price with the list prices of this `REGION` (default: the gateway's region, else us-east-1)")
	perGB := fs.Float64("price-per-gb", 0, "NAT gateway data processing price in `USD` per GB (default: the region's list price)")
	perHour := fs.Float64("price-per-hour", 0, "NAT gateway price in `USD` per hour (default: the region's list price)")
	crossAZ := fs.Float64("cross-az-per-gb", 0, "cross-AZ data transfer price in `USD` per GB, each way (default 0.01)")
	endpointHour := fs.Float64("endpoint-per-hour", 0, "interface endpoint price in `USD` per hour per zone (default 0.01)")
	endpointGB := fs.Float64("endpoint-per-gb", 0, "interface endpoint data price in `USD` per GB (default 0.01)")
	top := fs.Int("top", 10, "rows in the sources, destinations and avoidable tables")
	format := fs.String("format", "table", "output `FORMAT`: table (for a terminal), markdown (for a ticket or a pull request), json")
	showSQL := fs.Bool("show-sql", false, "follow each table with the SQL that produced it")
	out := fs.String("out", "", "write the report to `FILE` (.md, .json or .txt) instead of stdout")
	var lf loadFlags
	fs.BoolVar(&lf.quiet, "quiet", false, "print no load progress or summary")
	lf.batchFiles = 64
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *out != "" {
		switch strings.ToLower(filepath.Ext(*out)) {
		case ".md":
			*format = "markdown"
		case ".json":
			*format = "json"
		case ".txt":
			*format = "table"
		default:
			return usagef("Example: --out nat-report.md", "--out %s: name the file .md, .json or .txt", *out)
		}
	}
	switch *format {
	case "table", "markdown", "json":
	default:
		return usagef("", "--format %q: table, markdown or json", *format)
	}
	if *top < 1 {
		return usagef("", "--top must be at least 1")
	}
	opts := nat.Options{NATIPs: natIPs, Region: *region, PerGB: *perGB, PerHour: *perHour, CrossAZPerGB: *crossAZ,
		EndpointPerHour: *endpointHour, EndpointPerGB: *endpointGB, Top: *top}
	opts.Filters.Account = *account
	if opts.Filters.Since, opts.Filters.Until, err = parseWindow(*since, *until, time.Now()); err != nil {
		return err
	}
	if *region != "" && *perGB <= 0 {
		if _, err := nat.ListPrices(*region); err != nil {
			return usagef("", "--region: %v", err)
		}
	}
	conn, err := openAndLoad(ctx, e, "nat", *db, paths, lf, "--nat-ip")
	if err != nil {
		return err
	}
	defer conn.Close()
	set, err := loadQueries("")
	if err != nil {
		return err
	}
	rep, err := nat.Analyze(ctx, conn, set, opts)
	if errors.Is(err, nat.ErrNoGateway) {
		return err
	}
	if err != nil {
		var ae *queries.ArgError
		if errors.As(err, &ae) {
			return usagef("", "%v", ae)
		}
		return err
	}
	var w io.Writer = e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if *format == "json" {
		err = nat.RenderJSON(w, rep)
	} else {
		err = nat.Render(w, rep, nat.RenderOptions{Markdown: *format == "markdown", ShowSQL: *showSQL})
	}
	if err == nil && *out != "" {
		fmt.Fprintf(e.stderr, "wrote the NAT report to %s\n", *out)
	}
	return err
}
