package nat

import (
	"fmt"
	"sort"
	"strings"
)

// GB is the unit AWS bills data in: 2^30 bytes.
const GB = 1 << 30

// Prices are the rates a NAT analysis charges, in US dollars.
type Prices struct {
	Region string `json:"region"`
	// PerGB is the NAT gateway data processing charge, on the bytes it receives from both sides.
	PerGB float64 `json:"nat_per_gb"`
	// PerHour is the NAT gateway's charge for each hour it exists.
	PerHour float64 `json:"nat_per_hour"`
	// CrossAZPerGB is charged in each direction (out of one zone, into the other): a byte
	// that crosses zones pays it twice.
	CrossAZPerGB float64 `json:"cross_az_per_gb_each_way"`
	// EndpointPerHour (per availability zone) and EndpointPerGB are an interface endpoint's.
	EndpointPerHour float64 `json:"interface_endpoint_per_hour_per_az"`
	EndpointPerGB   float64 `json:"interface_endpoint_per_gb"`
	// Source says where the NAT rates come from.
	Source string `json:"source"`
}

// natListPrices are the NAT gateway list prices by region (per hour and per GB processed are the
// same number), from https://aws.amazon.com/vpc/pricing/ as published in 2024.
var natListPrices = map[string]float64{
	"us-east-1": 0.045, "us-east-2": 0.045, "us-west-1": 0.048, "us-west-2": 0.045,
	"ca-central-1": 0.050, "sa-east-1": 0.093,
	"eu-west-1": 0.048, "eu-west-2": 0.050, "eu-west-3": 0.050, "eu-central-1": 0.052, "eu-north-1": 0.046,
	"ap-south-1": 0.056, "ap-southeast-1": 0.059, "ap-southeast-2": 0.059,
	"ap-northeast-1": 0.062, "ap-northeast-2": 0.059,
}

// DefaultRegion is the region whose prices apply when nothing says which.
const DefaultRegion = "us-east-1"

// ListPrices returns the list prices of a region. A region the table does not hold is an
// error that names the ones it does.
func ListPrices(region string) (Prices, error) {
	rate, ok := natListPrices[region]
	if !ok {
		var known []string
		for r := range natListPrices {
			known = append(known, r)
		}
		sort.Strings(known)
		return Prices{}, fmt.Errorf("no NAT gateway list price for region %q: pass --price-per-gb and --price-per-hour (known regions: %s)", region, strings.Join(known, ", "))
	}
	return Prices{Region: region, PerGB: rate, PerHour: rate, CrossAZPerGB: 0.01, EndpointPerHour: 0.01, EndpointPerGB: 0.01,
		Source: fmt.Sprintf("AWS list prices for %s (2024)", region)}, nil
}

// Cost is what bytes cost at a rate per GB.
func Cost(bytes int64, perGB float64) float64 { return float64(bytes) / GB * perGB }
