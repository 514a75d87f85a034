package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	"github.com/flowsql/flowsql/pkg/enrich"
	"github.com/flowsql/flowsql/pkg/queries"
)

const costAbout = `
Fetch what the bill says about NAT gateways into the billed_cost table: Cost Explorer's
GetCostAndUsage, daily, unblended cost and usage by usage type and region, every page, keeping
the usage types *NatGateway-Bytes (data processing, GB) and *NatGateway-Hours. 'flowsql nat'
then prints the billed dollars beside its own for the same days, prices at the bill's rates
(what you pay, discounts included) instead of list prices, and gives the difference.

The bill covers every NAT gateway of the account in a region, and whole days: the figures from
the records cover one gateway and the hours the records hold. The window is the span of the
loaded records, in whole UTC days, or --since/--until; fetching the same days again replaces
them. Cost Explorer must be enabled; each request costs $0.01.

AWS access uses the SDK's default chain (AWS_PROFILE or --profile); Cost Explorer answers in
us-east-1 whatever the region. The identity needs ce:GetCostAndUsage (in an organisation, the
management account sees every account's bill). AWS_ENDPOINT_URL_COST_EXPLORER sends the
requests elsewhere (a test server).

Examples:
  flowsql enrich cost
  flowsql enrich cost --since 2024-06-01 --until 2024-07-01 --profile billing`

func runEnrichCost(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "enrich cost", "[flags]", costAbout)
	db := dbFlag(fs, e)
	var af awsFlags
	af.registerAccount(fs, "AWS `REGION` whose partition to ask (Cost Explorer answers in us-east-1, or cn-northwest-1 in China)")
	var window queries.FilterFlags
	window.RegisterWindow(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("Example: flowsql enrich cost --since 2024-06-01 --until 2024-07-01", "enrich cost takes no arguments, only flags (got %q)", pos[0])
	}
	filters, err := window.Filters(time.Now())
	if err != nil {
		return usagef("", "%v", err)
	}
	conn, err := e.openDB(ctx, *db, writeExistingDB)
	if err != nil {
		return err
	}
	defer conn.Close()
	start, end, err := fetchWindow(ctx, conn, filters)
	if err != nil {
		return err
	}
	cfg, _, err := af.config(ctx)
	if err != nil {
		return err
	}
	cfg.Region = "us-east-1" // Cost Explorer has one endpoint per partition
	if strings.HasPrefix(af.region, "cn-") {
		cfg.Region = "cn-northwest-1"
	}
	sum, err := enrich.FetchNATCost(ctx, conn, costexplorer.NewFromConfig(cfg), start, end)
	if err != nil {
		return err
	}
	var regions []string
	for _, rc := range sum.Regions {
		regions = append(regions, fmt.Sprintf("%s %s data processing and %s gateway-hours", rc.Region,
			costText(rc.Processing, sum.Currency), costText(rc.Hours, sum.Currency)))
	}
	fmt.Fprintf(e.stdout, "recorded the NAT gateway charges of %s (%s to %s): %s\n",
		plural(sum.Days, "day"), sum.Start.Format(time.DateOnly), sum.End.AddDate(0, 0, -1).Format(time.DateOnly), strings.Join(regions, "; "))
	if sum.Days == 0 {
		fmt.Fprintln(e.stderr, "flowsql enrich cost: the bill has no NAT gateway charge on these days (Cost Explorer is a day or so behind, and keeps 13 months)")
	}
	return nil
}

// costText is an amount of a currency: "$12.34", or "12.34 EUR".
func costText(v float64, currency string) string {
	if currency == "USD" || currency == "" {
		return fmt.Sprintf("$%.2f", v)
	}
	return fmt.Sprintf("%.2f %s", v, currency)
}
