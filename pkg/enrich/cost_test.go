package enrich_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	"github.com/flowsql/flowsql/internal/fakeaws"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/pkg/enrich"
)

// TestFetchNATCost: the NAT gateway charges of every day and region across pages, through a
// throttled request, other usage types left out; a second fetch replaces its days; access
// denied says which permission is missing.
func TestFetchNATCost(t *testing.T) {
	days := []flowgen.NATBillDay{
		{Day: "2024-06-01", ProcessedGB: 812.25, Hours: 48, ProcessingCost: 36.55125, HoursCost: 2.16},
		{Day: "2024-06-02", ProcessedGB: 20.5, Hours: 48, ProcessingCost: 0.9225, HoursCost: 2.16},
		{Day: "2024-06-03", ProcessedGB: 1, Hours: 48, ProcessingCost: 0.045, HoursCost: 2.16},
	}
	fake := fakeaws.NewCostExplorer(days)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := costexplorer.New(costexplorer.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""), Retryer: retryAtOnce()})
	db := newDB(t)
	ctx := context.Background()
	fake.Throttle.Store(1)
	// 2024-06-01 10:00 to 2024-06-02 01:00: the days 06-01 and 06-02.
	start := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	sum, err := enrich.FetchNATCost(ctx, db, client, start, start.Add(15*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Days != 2 || sum.Rows != 8 || sum.Requests != 2 || fake.Requests.Load() != 3 {
		t.Errorf("summary %+v after %d requests; want 2 days, 8 rows (two regions, two charges), 2 pages and a retry", sum, fake.Requests.Load())
	}
	got := str(t, db, `SELECT string_agg(concat_ws(' ', day, charge, quantity, round(cost, 5), currency), '; ' ORDER BY day, charge)
        FROM billed_cost WHERE region = 'us-east-1'`)
	if want := "2024-06-01 data processing 812.25 36.55125 USD; 2024-06-01 hours 48.0 2.16 USD; 2024-06-02 data processing 20.5 0.9225 USD; 2024-06-02 hours 48.0 2.16 USD"; got != want {
		t.Errorf("billed_cost:\n got %s\nwant %s", got, want)
	}
	if got := str(t, db, `SELECT count(*) FROM billed_cost WHERE usage_type LIKE 'BoxUsage%'`); got != "0" {
		t.Errorf("%s rows of another usage type", got)
	}
	days[0].ProcessingCost = 40
	fake.SetDays(days)
	if _, err := enrich.FetchNATCost(ctx, db, client, start, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := str(t, db, `SELECT count(*) || ' ' || sum(cost) FILTER (WHERE day = '2024-06-01' AND region = 'us-east-1' AND charge = 'data processing') FROM billed_cost`); got != "8 40.0" {
		t.Errorf("after fetching 06-01 again: %s, want 8 rows, 40.0 for its processing", got)
	}
	fake.Deny.Store(true)
	if _, err := enrich.FetchNATCost(ctx, db, client, start, start.Add(time.Hour)); err == nil || !strings.Contains(err.Error(), "ce:GetCostAndUsage") {
		t.Errorf("access denied: %v", err)
	}
}
