package enrich

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/aws/smithy-go"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// CostExplorerAPI is the part of a Cost Explorer client that FetchNATCost uses;
// *costexplorer.Client has it.
type CostExplorerAPI interface {
	GetCostAndUsage(ctx context.Context, in *costexplorer.GetCostAndUsageInput, opts ...func(*costexplorer.Options)) (*costexplorer.GetCostAndUsageOutput, error)
}

// CostSummary is what FetchNATCost recorded.
type CostSummary struct {
	Days       int // days with a NAT gateway charge
	Rows       int // day, region and usage type
	Regions    []RegionCost
	Currency   string
	Requests   int
	Start, End time.Time // the days fetched: [Start, End)
}

// RegionCost is a region's NAT gateway charges over the days fetched.
type RegionCost struct {
	Region            string
	Processing, Hours float64
}

// NATCharge names the NAT gateway charge of a Cost Explorer usage type ("USE1-NatGateway-Bytes",
// "NatGateway-Hours"): "data processing", "hours", or "" for any other usage type.
func NATCharge(usageType string) string {
	switch {
	case strings.HasSuffix(usageType, "NatGateway-Bytes"):
		return "data processing"
	case strings.HasSuffix(usageType, "NatGateway-Hours"):
		return "hours"
	}
	return ""
}

// FetchNATCost reads the account's NAT gateway charges, day by day and region by region, from
// Cost Explorer (GetCostAndUsage, every page, unblended cost and usage quantity by usage type
// and region) for the days from start to end (whole UTC days: start rounds down, end up), and
// records them in billed_cost in one transaction: the days fetched replace what the table held
// for them.
func FetchNATCost(ctx context.Context, db *sql.DB, client CostExplorerAPI, start, end time.Time) (*CostSummary, error) {
	start, end = wholeUnits(start, end, 24*time.Hour)
	if !end.After(start) {
		return nil, fmt.Errorf("nat cost: the window holds no day")
	}
	sum := &CostSummary{Start: start, End: end}
	type row struct {
		day                       time.Time
		region, usageType, charge string
		quantity, cost            float64
		unit, currency            string
		estimated                 bool
	}
	var rows []row
	days := map[time.Time]bool{}
	in := &costexplorer.GetCostAndUsageInput{
		TimePeriod:  &types.DateInterval{Start: aws.String(start.Format(time.DateOnly)), End: aws.String(end.Format(time.DateOnly))},
		Granularity: types.GranularityDaily,
		Metrics:     []string{"UnblendedCost", "UsageQuantity"},
		GroupBy: []types.GroupDefinition{{Type: types.GroupDefinitionTypeDimension, Key: aws.String("USAGE_TYPE")},
			{Type: types.GroupDefinitionTypeDimension, Key: aws.String("REGION")}},
	}
	for {
		out, err := client.GetCostAndUsage(ctx, in)
		if err != nil {
			return nil, costExplorerError(err)
		}
		sum.Requests++
		for _, r := range out.ResultsByTime {
			if r.TimePeriod == nil {
				continue
			}
			day, err := time.Parse(time.DateOnly, aws.ToString(r.TimePeriod.Start))
			if err != nil {
				return nil, fmt.Errorf("nat cost: Cost Explorer's day %q: %w", aws.ToString(r.TimePeriod.Start), err)
			}
			for _, g := range r.Groups {
				if len(g.Keys) != 2 {
					return nil, fmt.Errorf("nat cost: a group of %d keys, want usage type and region", len(g.Keys))
				}
				charge := NATCharge(g.Keys[0])
				if charge == "" {
					continue
				}
				cost, unit, err := amount(g.Metrics["UnblendedCost"])
				if err != nil {
					return nil, fmt.Errorf("nat cost: %s %s: %w", day.Format(time.DateOnly), g.Keys[0], err)
				}
				qty, qunit, err := amount(g.Metrics["UsageQuantity"])
				if err != nil {
					return nil, fmt.Errorf("nat cost: %s %s: %w", day.Format(time.DateOnly), g.Keys[0], err)
				}
				rows = append(rows, row{day, g.Keys[1], g.Keys[0], charge, qty, cost, qunit, unit, r.Estimated})
				days[day] = true
				i := slices.IndexFunc(sum.Regions, func(rc RegionCost) bool { return rc.Region == g.Keys[1] })
				if i < 0 {
					i = len(sum.Regions)
					sum.Regions = append(sum.Regions, RegionCost{Region: g.Keys[1]})
				}
				if charge == "hours" {
					sum.Regions[i].Hours += cost
				} else {
					sum.Regions[i].Processing += cost
				}
				sum.Currency = unit
			}
		}
		if aws.ToString(out.NextPageToken) == "" {
			break
		}
		in.NextPageToken = out.NextPageToken
	}
	sum.Days, sum.Rows = len(days), len(rows)
	slices.SortFunc(sum.Regions, func(a, b RegionCost) int { return strings.Compare(a.Region, b.Region) })

	tx, err := flowdb.BeginTx(ctx, db)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM billed_cost WHERE day >= ? AND day < ?`, start, end); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO billed_cost VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.day, r.region, r.usageType, r.charge, r.quantity, r.unit, r.cost, r.currency, r.estimated, now); err != nil {
			return nil, fmt.Errorf("record %s %s: %w", r.day.Format(time.DateOnly), r.usageType, err)
		}
	}
	return sum, tx.Commit()
}

// amount reads a Cost Explorer metric value (a decimal string and its unit).
func amount(v types.MetricValue) (float64, string, error) {
	if v.Amount == nil {
		return 0, "", errors.New("no amount")
	}
	x, err := strconv.ParseFloat(*v.Amount, 64)
	if err != nil {
		return 0, "", fmt.Errorf("amount %q: %w", *v.Amount, err)
	}
	return x, aws.ToString(v.Unit), nil
}

// costExplorerError says what to do about the errors a user can fix.
func costExplorerError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException", "AccessDenied":
			return fmt.Errorf("cost explorer GetCostAndUsage: access denied (%s): the credentials in use need ce:GetCostAndUsage (in an organisation, ask from the management account, or have it grant access)", ae.ErrorCode())
		case "DataUnavailableException":
			return fmt.Errorf("cost explorer GetCostAndUsage: no data for these days (%s): Cost Explorer must be enabled, and holds the last 13 months (14 months with multi-year data)", ae.ErrorCode())
		case "BillExpirationException":
			return fmt.Errorf("cost explorer GetCostAndUsage: these days are older than the bill Cost Explorer keeps (%s)", ae.ErrorCode())
		}
	}
	return fmt.Errorf("cost explorer GetCostAndUsage: %w", err)
}
