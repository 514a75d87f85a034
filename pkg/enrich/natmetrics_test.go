package enrich_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/flowsql/flowsql/internal/fakeaws"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/pkg/enrich"
)

// cloudWatchClient is a real SDK client of the loopback server, retrying at once.
func cloudWatchClient(url string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""), Retryer: retryAtOnce()})
}

// retryAtOnce is the SDK's standard retryer without the wait between attempts.
func retryAtOnce() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

// TestFetchNATMetrics: every hour of every metric across pages, through a throttled request,
// exact to the byte; a second fetch replaces the hours it covers; access denied says which
// permission is missing.
func TestFetchNATMetrics(t *testing.T) {
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).Unix()
	var hours []flowgen.NATHour
	for i := range int64(30) {
		hours = append(hours, flowgen.NATHour{Hour: base + 3600*i, BytesInFromSource: 3_000_000_000_017 + i,
			BytesInFromDestination: 9_000_000_000 + i, BytesOutToSource: 9_000_000_000 + i,
			BytesOutToDestination: 3_000_000_000_017 + i, MaxActiveConnectionCount: 100 + i})
	}
	other := []flowgen.NATHour{{Hour: base, BytesInFromSource: 5, BytesInFromDestination: 7}}
	fake := fakeaws.NewCloudWatch(flowgen.NATID, hours)
	fake.SetHours("nat-0000000000000000a", other)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := cloudWatchClient(srv.URL)
	db := newDB(t)
	ctx := context.Background()

	fake.Throttle.Store(1)
	// The window cuts the first and last hours: 01:30 rounds down to 01:00, 24:10 up to 25:00.
	start, end := time.Unix(base+3600+1800, 0), time.Unix(base+24*3600+600, 0)
	sum, err := enrich.FetchNATMetrics(ctx, db, client, "us-east-1", []string{flowgen.NATID, "nat-0000000000000000a"}, start, end)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, h := range hours[1:25] {
		want += h.BytesInFromSource + h.BytesInFromDestination
	}
	if sum.Hours != 24 || sum.Processed != want || sum.Requests < 10 {
		t.Errorf("summary %+v, want 24 hours, %d bytes, one page per 7 datapoints", sum, want)
	}
	if got := fake.Requests.Load(); got != int64(sum.Requests)+1 {
		t.Errorf("%d requests for %d pages: the throttled one should be retried once", got, sum.Requests)
	}
	if got := str(t, db, `SELECT sum(bytes_in_from_source + bytes_in_from_destination)::BIGINT FROM nat_metrics WHERE nat_gateway_id = ?`, flowgen.NATID); got != itoa(want) {
		t.Errorf("recorded %s processed bytes, want %d", got, want)
	}
	h := hours[7]
	got := str(t, db, `SELECT concat_ws(' ', bytes_in_from_source, bytes_in_from_destination, bytes_out_to_source, bytes_out_to_destination, active_connections_max, region)
        FROM nat_metrics WHERE nat_gateway_id = ? AND hour = ?`, flowgen.NATID, time.Unix(h.Hour, 0).UTC())
	if wantRow := strings.Join([]string{itoa(h.BytesInFromSource), itoa(h.BytesInFromDestination), itoa(h.BytesOutToSource),
		itoa(h.BytesOutToDestination), itoa(h.MaxActiveConnectionCount), "us-east-1"}, " "); got != wantRow {
		t.Errorf("hour 7: %q, want %q", got, wantRow)
	}
	if got := str(t, db, `SELECT count(*) FROM nat_metrics WHERE nat_gateway_id = 'nat-0000000000000000a'`); got != "0" {
		t.Errorf("the other gateway's hour lies before the window, yet %s rows", got)
	}

	// Again, with new figures for the same hours: replaced, not added.
	for i := range hours {
		hours[i].BytesInFromSource++
	}
	fake.SetHours(flowgen.NATID, hours)
	if _, err := enrich.FetchNATMetrics(ctx, db, client, "us-east-1", []string{flowgen.NATID}, start, end); err != nil {
		t.Fatal(err)
	}
	if got := str(t, db, `SELECT count(*) || ' ' || sum(bytes_in_from_source + bytes_in_from_destination)::BIGINT FROM nat_metrics`); got != "24 "+itoa(want+24) {
		t.Errorf("after a second fetch: %s, want 24 rows of %d bytes", got, want+24)
	}

	fake.Deny.Store(true)
	_, err = enrich.FetchNATMetrics(ctx, db, client, "us-east-1", []string{flowgen.NATID}, start, end)
	if err == nil || !strings.Contains(err.Error(), "cloudwatch:GetMetricData") {
		t.Errorf("access denied: %v", err)
	}
	if got := str(t, db, `SELECT count(*) FROM nat_metrics`); got != "24" {
		t.Errorf("a failed fetch changed the table: %s rows", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
