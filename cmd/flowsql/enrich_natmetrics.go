package main

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/flowsql/flowsql/internal/words"
	"github.com/flowsql/flowsql/pkg/enrich"
	"github.com/flowsql/flowsql/pkg/queries"
)

const natMetricsAbout = `
Fetch what CloudWatch metered for NAT gateways, hour by hour, into the nat_metrics table: the
AWS/NATGateway metrics BytesInFromSource, BytesInFromDestination, BytesOutToSource,
BytesOutToDestination (sums) and ActiveConnectionCount (maximum), from GetMetricData, every
page. 'flowsql nat' then sets the bytes the gateway processed, as metered, beside the bytes
its flow logs explain, hour by hour, and names the hours where the logs fall short (sampling,
files not loaded, interfaces without flow logs).

The gateways are those the eni table knows (flowsql enrich eni first), or --nat-gateway. The
window is the span of the loaded records, in whole hours, or --since/--until. Fetching the
same hours again replaces them.

AWS access uses the SDK's default chain (AWS_PROFILE or --profile, AWS_REGION or --region,
the gateways' region); the identity needs cloudwatch:GetMetricData.
AWS_ENDPOINT_URL_CLOUDWATCH sends the requests elsewhere (a test server).

Examples:
  flowsql enrich eni --region us-east-1 && flowsql enrich nat-metrics --region us-east-1
  flowsql enrich nat-metrics --nat-gateway nat-0f1e2d3c4b5a69788 --since 2024-06-01 --until 2024-06-08`

var natGatewayID = regexp.MustCompile(`^nat-[0-9a-f]{8,17}$`)

func runEnrichNATMetrics(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "enrich nat-metrics", "[flags]", natMetricsAbout)
	db := dbFlag(fs, e)
	var af awsFlags
	af.registerAccount(fs, "AWS `REGION` of the gateways (default $AWS_REGION or the profile's)")
	var gateways stringList
	fs.Var(&gateways, "nat-gateway", "a NAT gateway `ID` (nat-...; may be repeated; default: the eni table's gateways)")
	var window queries.FilterFlags
	window.RegisterWindow(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("Example: flowsql enrich nat-metrics --nat-gateway nat-0f1e2d3c4b5a69788", "enrich nat-metrics takes no arguments, only flags (got %q)", pos[0])
	}
	for _, g := range gateways {
		if !natGatewayID.MatchString(g) {
			return usagef("Example: --nat-gateway nat-0f1e2d3c4b5a69788", "--nat-gateway %q is not a NAT gateway ID", g)
		}
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
	if len(gateways) == 0 {
		if gateways, err = knownNATGateways(ctx, conn); err != nil {
			return err
		}
		if len(gateways) == 0 {
			return usagef("Example: flowsql enrich eni --region us-east-1, or --nat-gateway nat-0f1e2d3c4b5a69788",
				"the eni table knows no NAT gateway: record the VPC's interfaces first, or name the gateways with --nat-gateway")
		}
	}
	start, end, err := fetchWindow(ctx, conn, filters)
	if err != nil {
		return err
	}
	cfg, _, err := af.config(ctx)
	if err != nil {
		return err
	}
	sum, err := enrich.FetchNATMetrics(ctx, conn, cloudwatch.NewFromConfig(cfg), cfg.Region, gateways, start, end)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "recorded %s of CloudWatch metrics for %s (%s to %s UTC): %s processed, as metered\n",
		plural(sum.Hours, "gateway-hour"), plural(sum.Gateways, "NAT gateway"),
		sum.Start.Format("2006-01-02 15:04"), sum.End.Format("2006-01-02 15:04"), words.Bytes(float64(sum.Processed)))
	if sum.Hours == 0 {
		fmt.Fprintln(e.stderr, "flowsql enrich nat-metrics: CloudWatch has no datapoint for these gateways in the window: check the region and the gateway IDs (CloudWatch keeps hourly data for 455 days)")
	}
	return nil
}

// knownNATGateways are the gateway IDs of the eni table (the nat-gateways report).
func knownNATGateways(ctx context.Context, db *sql.DB) ([]string, error) {
	set, err := loadQueries("")
	if err != nil {
		return nil, err
	}
	out, err := set.Run(ctx, db, "nat-gateways", nil, queries.Filters{})
	if err != nil {
		return nil, err
	}
	rows, err := queries.Scan[struct {
		ID string `col:"nat_gateway_id"`
	}](out.Result)
	if err != nil {
		return nil, fmt.Errorf("nat-gateways: %w", err)
	}
	var ids []string
	for _, r := range rows {
		if r.ID != "" && !slices.Contains(ids, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

// fetchWindow is the time to fetch what AWS measured for: --since and --until, or else the
// first start and the last end of the loaded VPC records.
func fetchWindow(ctx context.Context, db *sql.DB, f queries.Filters) (time.Time, time.Time, error) {
	start, end := f.Since, f.Until
	if !start.IsZero() && !end.IsZero() {
		return start, end, nil
	}
	var first, last sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT min("start"), max("end") FROM flow_records`).Scan(&first, &last); err != nil {
		return start, end, err
	}
	if !first.Valid || !last.Valid {
		return start, end, usagef("Example: --since 2024-06-01 --until 2024-06-08", "no records are loaded to take the window from: load flow logs first, or give --since and --until")
	}
	if start.IsZero() {
		start = time.Unix(first.Int64, 0)
	}
	if end.IsZero() {
		end = time.Unix(last.Int64, 0)
	}
	return start, end, nil
}
