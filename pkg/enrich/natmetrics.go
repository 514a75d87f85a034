package enrich

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// CloudWatchAPI is the part of a CloudWatch client that FetchNATMetrics uses; *cloudwatch.Client
// has it.
type CloudWatchAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// natMetricNames are the AWS/NATGateway metrics fetched, with the statistic of each and the
// nat_metrics column it fills.
var natMetricNames = []struct{ name, stat, column string }{
	{"BytesInFromSource", "Sum", "bytes_in_from_source"},
	{"BytesInFromDestination", "Sum", "bytes_in_from_destination"},
	{"BytesOutToSource", "Sum", "bytes_out_to_source"},
	{"BytesOutToDestination", "Sum", "bytes_out_to_destination"},
	{"ActiveConnectionCount", "Maximum", "active_connections_max"},
}

// NATMetricsSummary is what FetchNATMetrics recorded.
type NATMetricsSummary struct {
	Gateways  int
	Hours     int   // gateway-hours with at least one datapoint
	Processed int64 // bytes in from sources and destinations, over every gateway and hour
	Requests  int   // GetMetricData pages
	// Start and End are the window fetched, in whole hours.
	Start, End time.Time
}

// FetchNATMetrics reads the hourly AWS/NATGateway metrics of the gateways (nat-... IDs) from
// start to end (whole hours: start rounds down, end up) and records them in nat_metrics, in
// one transaction: the hours fetched replace what the table held for them, so fetching again
// is harmless. CloudWatch keeps hourly datapoints for 455 days.
func FetchNATMetrics(ctx context.Context, db *sql.DB, client CloudWatchAPI, region string, gateways []string, start, end time.Time) (*NATMetricsSummary, error) {
	start, end = wholeUnits(start, end, time.Hour)
	if !end.After(start) {
		return nil, fmt.Errorf("nat metrics: the window %s to %s holds no hour", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	type key struct {
		gateway string
		hour    time.Time
	}
	values := map[key][]*int64{}
	var order []key
	sum := &NATMetricsSummary{Gateways: len(gateways), Start: start, End: end}
	// A request holds at most 500 queries: a hundred gateways of five metrics.
	for first := 0; first < len(gateways); first += 100 {
		batch := gateways[first:min(first+100, len(gateways))]
		var qs []types.MetricDataQuery
		for gi, gw := range batch {
			for mi, m := range natMetricNames {
				qs = append(qs, types.MetricDataQuery{
					Id: aws.String(fmt.Sprintf("m%d_%d", first+gi, mi)),
					MetricStat: &types.MetricStat{
						Metric: &types.Metric{Namespace: aws.String("AWS/NATGateway"), MetricName: aws.String(m.name),
							Dimensions: []types.Dimension{{Name: aws.String("NatGatewayId"), Value: aws.String(gw)}}},
						Period: aws.Int32(3600),
						Stat:   aws.String(m.stat),
					},
					ReturnData: aws.Bool(true),
				})
			}
		}
		p := cloudwatch.NewGetMetricDataPaginator(client, &cloudwatch.GetMetricDataInput{
			MetricDataQueries: qs, StartTime: aws.Time(start), EndTime: aws.Time(end), ScanBy: types.ScanByTimestampAscending})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, cloudWatchError(err)
			}
			sum.Requests++
			for _, res := range page.MetricDataResults {
				var gi, mi int
				if _, err := fmt.Sscanf(aws.ToString(res.Id), "m%d_%d", &gi, &mi); err != nil || gi < first || gi >= first+len(batch) || mi >= len(natMetricNames) {
					return nil, fmt.Errorf("nat metrics: CloudWatch answered a query not asked: %q", aws.ToString(res.Id))
				}
				if len(res.Timestamps) != len(res.Values) {
					return nil, fmt.Errorf("nat metrics: %s: %d timestamps for %d values", aws.ToString(res.Id), len(res.Timestamps), len(res.Values))
				}
				for i, t := range res.Timestamps {
					k := key{gateways[gi], t.UTC()}
					if values[k] == nil {
						values[k] = make([]*int64, len(natMetricNames))
						order = append(order, k)
					}
					v := int64(res.Values[i])
					values[k][mi] = &v
				}
			}
		}
	}

	tx, err := flowdb.BeginTx(ctx, db)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM nat_metrics WHERE hour >= ? AND hour < ? AND list_contains(?::VARCHAR[], nat_gateway_id)`,
		start, end, gateways); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, k := range order {
		v := values[k]
		args := []any{k.gateway, k.hour}
		for _, x := range v {
			if x == nil {
				args = append(args, nil)
			} else {
				args = append(args, *x)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO nat_metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, region, now)...); err != nil {
			return nil, fmt.Errorf("record nat metrics of %s: %w", k.gateway, err)
		}
		sum.Hours++
		for _, i := range []int{0, 1} {
			if v[i] != nil {
				sum.Processed += *v[i]
			}
		}
	}
	return sum, tx.Commit()
}

// wholeUnits widens a window to whole units of a duration (hours, days) in UTC: its start
// rounds down, its end up.
func wholeUnits(start, end time.Time, unit time.Duration) (time.Time, time.Time) {
	start, end = start.UTC(), end.UTC()
	if t := end.Truncate(unit); t.Before(end) {
		end = t.Add(unit)
	}
	return start.Truncate(unit), end
}

// cloudWatchError says what to do about the errors a user can fix.
func cloudWatchError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException":
			return fmt.Errorf("cloudwatch GetMetricData: access denied (%s): the credentials in use need cloudwatch:GetMetricData", ae.ErrorCode())
		case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException":
			return fmt.Errorf("cloudwatch GetMetricData: the AWS credentials were refused (%s): check AWS_PROFILE or the access keys", ae.ErrorCode())
		}
	}
	return fmt.Errorf("cloudwatch GetMetricData: %w", err)
}
