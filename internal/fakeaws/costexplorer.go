package fakeaws

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowsql/flowsql/internal/flowgen"
)

// CostExplorer answers GetCostAndUsage (AWS JSON 1.1, daily, grouped by usage type and region)
// with a bill: the NAT gateway days it holds in Region, one other region's NAT charges and an
// unrelated usage type each day, PageSize days a page with a NextPageToken, and errors on demand.
type CostExplorer struct {
	Region   string
	PageSize int
	// Throttle is how many of the next requests get LimitExceededException; Deny makes every
	// request fail with AccessDeniedException.
	Throttle atomic.Int64
	Deny     atomic.Bool
	Requests atomic.Int64
	mu       sync.Mutex
	days     []flowgen.NATBillDay
}

// NewCostExplorer bills the days given in the generated world's region.
func NewCostExplorer(days []flowgen.NATBillDay) *CostExplorer {
	return &CostExplorer{Region: flowgen.Region, PageSize: 1, days: days}
}

// SetDays replaces the bill.
func (c *CostExplorer) SetDays(days []flowgen.NATBillDay) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.days = days
}

type ceMetric struct {
	Amount string `json:"Amount"`
	Unit   string `json:"Unit"`
}

type ceGroup struct {
	Keys    []string            `json:"Keys"`
	Metrics map[string]ceMetric `json:"Metrics"`
}

func (c *CostExplorer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.Requests.Add(1)
	if r.Header.Get("X-Amz-Target") != "AWSInsightsIndexService.GetCostAndUsage" || r.Header.Get("Authorization") == "" {
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "this server answers signed GetCostAndUsage requests only")
		return
	}
	if c.Deny.Load() {
		jsonError(w, http.StatusBadRequest, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/test is not authorized to perform: ce:GetCostAndUsage")
		return
	}
	if c.Throttle.Add(-1) >= 0 {
		jsonError(w, http.StatusBadRequest, "LimitExceededException", "Rate exceeded")
		return
	}
	c.Throttle.Store(0)
	var in struct {
		TimePeriod    struct{ Start, End string }
		Granularity   string
		Metrics       []string
		GroupBy       []struct{ Type, Key string }
		NextPageToken string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if in.Granularity != "DAILY" || len(in.GroupBy) != 2 || in.GroupBy[0].Key != "USAGE_TYPE" || in.GroupBy[1].Key != "REGION" ||
		in.TimePeriod.Start == "" || in.TimePeriod.End <= in.TimePeriod.Start {
		jsonError(w, http.StatusBadRequest, "ValidationException", "this server answers DAILY costs grouped by USAGE_TYPE and REGION, for a time period")
		return
	}
	metric := func(cost, qty float64, unit string) map[string]ceMetric {
		return map[string]ceMetric{
			"UnblendedCost": {strconv.FormatFloat(cost, 'f', -1, 64), "USD"},
			"UsageQuantity": {strconv.FormatFloat(qty, 'f', -1, 64), unit},
		}
	}
	c.mu.Lock()
	var results []map[string]any
	for _, d := range c.days {
		if d.Day < in.TimePeriod.Start || d.Day >= in.TimePeriod.End {
			continue
		}
		groups := []ceGroup{
			{[]string{"BoxUsage:t3.micro", c.Region}, metric(2.496, 240, "Hrs")},
			{[]string{"EUW1-NatGateway-Bytes", "eu-west-1"}, metric(4.8, 100, "GB")},
			{[]string{"EUW1-NatGateway-Hours", "eu-west-1"}, metric(1.152, 24, "Hrs")},
			{[]string{"NatGateway-Bytes", c.Region}, metric(d.ProcessingCost, d.ProcessedGB, "GB")},
			{[]string{"NatGateway-Hours", c.Region}, metric(d.HoursCost, d.Hours, "Hrs")},
		}
		day, _ := time.Parse(time.DateOnly, d.Day)
		end := day.AddDate(0, 0, 1).Format(time.DateOnly) // Cost Explorer's end is exclusive
		results = append(results, map[string]any{"TimePeriod": map[string]string{"Start": d.Day, "End": end},
			"Groups": groups, "Total": map[string]any{}, "Estimated": false})
	}
	c.mu.Unlock()
	offset := 0
	if in.NextPageToken != "" {
		offset, _ = strconv.Atoi(in.NextPageToken)
	}
	page := results[min(offset, len(results)):]
	out := map[string]any{"GroupDefinitions": in.GroupBy, "DimensionValueAttributes": []any{}}
	if len(page) > c.PageSize {
		page = page[:c.PageSize]
		out["NextPageToken"] = strconv.Itoa(offset + c.PageSize)
	}
	out["ResultsByTime"] = page
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}
