// Package nat explains a NAT gateway bill from flow logs: what each gateway processed (the
// billed quantity, counted once although the logs show each flow up to three times), what it
// cost, who sent it and where it went, what was avoidable (S3 and DynamoDB through the gateway,
// sources in another availability zone), when it happened, and how far the logs can be trusted.
//
// Every figure is a named query of queries.sql (nat-summary, nat-sources, ...), run with the
// gateway's address and interface; the Go here finds the gateways (find.go), prices the bytes
// and reads the figures (figures.go), and lays them out (render.go). Each figure keeps the SQL
// that produced it.
package nat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/flowsql/flowsql/internal/output"
	"github.com/flowsql/flowsql/pkg/queries"
)

// Options say what to analyse.
type Options struct {
	// NATIPs are the gateways' private addresses; none means the gateways that the eni table
	// knows, or else that the records show.
	NATIPs []string
	// Filters narrow the records (--since, --until, --account).
	Filters queries.Filters
	// Region chooses the list prices; "" takes the gateway's region, else us-east-1.
	Region string
	// PerGB, PerHour, CrossAZPerGB, EndpointPerHour and EndpointPerGB override the list
	// prices when positive.
	PerGB, PerHour, CrossAZPerGB, EndpointPerHour, EndpointPerGB float64
	// Top is how many rows the source, destination and avoidable tables show (default 10).
	Top int
}

// ErrNoGateway is returned when no NAT gateway can be found.
var ErrNoGateway = errors.New("no NAT gateway found")

// Report is the analysis of every gateway found.
type Report struct {
	Since    *time.Time `json:"since,omitempty"`
	Until    *time.Time `json:"until,omitempty"`
	Gateways []*Gateway `json:"gateways"`
	// Together adds up the gateways' figures when there are several (one per zone, as AWS
	// advises, or several VPCs): the NAT part of the bill.
	Together *Together `json:"together,omitempty"`
}

// Together is what several gateways processed and cost between them. A gateway whose bytes or
// period are unknown adds only what is known of it, and Unknown names it: the sums are then
// at least what they say.
type Together struct {
	Gateways       int      `json:"gateways"`
	ProcessedBytes int64    `json:"processed_bytes"`
	ProcessingCost float64  `json:"processing_cost"`
	HourlyCost     float64  `json:"hourly_cost"`
	TotalCost      float64  `json:"total_cost"`
	MonthlyRate    float64  `json:"cost_per_30_days_at_this_rate"`
	AvoidableCost  float64  `json:"avoidable_cost"`
	CrossAZCost    float64  `json:"cross_az_cost"`
	Unknown        []string `json:"figures_unknown_for,omitempty"`
}

// together adds up the gateways' figures (nil for fewer than two).
func together(gws []*Gateway) *Together {
	if len(gws) < 2 {
		return nil
	}
	t := &Together{Gateways: len(gws)}
	for _, gw := range gws {
		t.ProcessedBytes += gw.ProcessedBytes
		t.ProcessingCost += gw.ProcessingCost
		t.HourlyCost += gw.HourlyCost
		t.TotalCost += gw.TotalCost
		t.MonthlyRate += gw.MonthlyRate
		t.AvoidableCost += gw.AvoidableCost
		t.CrossAZCost += gw.CrossAZCost
		if gw.figuresUnknown() {
			t.Unknown = append(t.Unknown, gw.Address)
		}
	}
	return t
}

// figuresUnknown reports whether some of the gateway's figures could not be computed, or AWS
// skipped some of its records, or its interface carried traffic they leave out, so that sums
// over gateways count what is known of it.
func (gw *Gateway) figuresUnknown() bool {
	return gw.BytesUnknown || gw.PeriodUnknown || gw.RecordsWithoutBytes > 0 || gw.Coverage.SkipDataRecords > 0 || gw.UncountedBytes > 0
}

// Gateway is the analysis of one NAT gateway.
type Gateway struct {
	Address      string `json:"address"`
	InterfaceID  string `json:"interface_id"`
	NATGatewayID string `json:"nat_gateway_id,omitempty"`
	AZ           string `json:"availability_zone_id,omitempty"`
	// Account is set when other accounts or VPCs use the same address: whose gateway this is.
	Account string `json:"account_id,omitempty"`
	Region  string `json:"region,omitempty"`
	FoundBy string `json:"found_by"`
	// Evidence says whether the records and the eni table agree that the address is a NAT
	// gateway: "confirmed", "contradicted" (the figures are computed anyway, and Notes say
	// why) or "unchecked" (nothing here could tell).
	Evidence string `json:"evidence"`
	Prices   Prices `json:"prices"`
	// filled says that fillFromRecords ran for the gateway: what the records tell of its
	// interface, zone and region is in, and its notes said.
	filled bool

	ProcessedBytes       int64 `json:"processed_bytes"`
	BytesFromSource      int64 `json:"bytes_in_from_source"`
	BytesFromDestination int64 `json:"bytes_in_from_destination"`
	// RecordsWithoutBytes counts the gateway's records that have no bytes (a format without
	// them): the bytes and costs count only the others, so they are low; when no other
	// record has bytes, BytesUnknown is set, and the processed bytes, the data processing
	// charge, the total and the rate are unknown (zero here, and the total and rate left out
	// of JSON).
	RecordsWithoutBytes int64 `json:"records_without_bytes,omitempty"`
	BytesUnknown        bool  `json:"bytes_unknown,omitempty"`
	// RecordsWithoutAction counts the gateway's records that have no action (a format without
	// it): rejected traffic, which the gateway did not process, cannot be told apart in them
	// and counts as processed, so the bytes and costs may be high by what of
	// BytesWithoutAction, the processed bytes they hold, was rejected.
	RecordsWithoutAction int64 `json:"records_without_action,omitempty"`
	BytesWithoutAction   int64 `json:"processed_bytes_without_action,omitempty"`
	// OverlappingFlowLogs are the flow logs that record the gateway's interface at the same
	// time, in the period (a VPC's flow log and its subnet's, say): each counts the traffic,
	// so the bytes and costs are too high by what the others repeat (the notes say where).
	OverlappingFlowLogs []string `json:"overlapping_flow_logs,omitempty"`
	// UncountedBytes is the traffic on the gateway's interface neither to nor from its address
	// (NAT64's IPv6, its secondary addresses'): the processed bytes leave it out, so they are
	// low by what of it the gateway received.
	UncountedBytes int64 `json:"uncounted_bytes_on_interface,omitempty"`
	// PeriodUnknown is set when the gateway's records have no start and end times (a format
	// without them): the figures of time below are then zero, and left out of JSON.
	PeriodUnknown bool `json:"period_unknown,omitempty"`
	// FirstRecord and LastRecord are the first start and the last end of the records, within
	// the period asked for. BeyondPeriod is set when records overlap its edges: they count
	// whole in the bytes and costs, and BytesInPeriod is the processed bytes with those
	// records' bytes in proportion to their time inside the period, what the rate is of.
	FirstRecord   time.Time `json:"first_record,omitzero"`
	LastRecord    time.Time `json:"last_record,omitzero"`
	BeyondPeriod  bool      `json:"records_beyond_period,omitempty"`
	BytesInPeriod int64     `json:"bytes_in_period,omitempty"`
	// BytesOddTime is what the gateway processed in records whose start or end no record can
	// have (before VPC Flow Logs began, after tomorrow: times in milliseconds, say; flagged at
	// load). They count in the bytes and costs, and are left out of the period, the hours and
	// the rates, whose time they would stretch by millennia.
	BytesOddTime int64 `json:"bytes_with_odd_times,omitempty"`
	// CoveredSeconds is the time the records cover, from the first start to the last end:
	// what the processing rate is measured over.
	CoveredSeconds int64 `json:"seconds_of_records,omitzero"`
	// Hours are the gateway-hours billed for that time: each clock hour the records touch
	// counts whole, as AWS bills partial hours.
	Hours          int64   `json:"gateway_hours,omitzero"`
	ProcessingCost float64 `json:"processing_cost"`
	HourlyCost     float64 `json:"hourly_cost,omitzero"`
	TotalCost      float64 `json:"total_cost,omitzero"`
	// MonthlyRate is what 30 days cost at this rate: the processing charge per second of
	// records (of BytesInPeriod when records cross the period's edges), for 30 days, plus 720
	// gateway-hours.
	MonthlyRate float64 `json:"cost_per_30_days_at_this_rate,omitzero"`
	// RateWithoutGaps is MonthlyRate over the part of the time covered whose hours have
	// records of the gateway's interface, when some hours have none (as if logs were lost
	// there, rather than traffic absent); 0 when every hour has records.
	RateWithoutGaps float64 `json:"cost_per_30_days_over_logged_hours,omitempty"`

	// Method says how sources were paired with destinations: "exact" when the VPC-side
	// records carry pkt-* addresses, "estimate" when none do, "mixed" in between.
	Method     string `json:"method"`
	MethodNote string `json:"method_note"`

	AvoidableBytes map[string]int64 `json:"avoidable_bytes"` // S3, DYNAMODB: through the NAT, free by gateway endpoint
	AvoidableCost  float64          `json:"avoidable_cost"`
	// UnknownServiceBytes went to addresses whose AWS service nothing loaded can tell (no AWS
	// ranges, formats without pkt-*-aws-service): the avoidable figures are a floor.
	UnknownServiceBytes int64 `json:"unknown_service_bytes"`
	// OtherRegionBytes went to S3 and DynamoDB in other regions than the gateway's, which no
	// gateway endpoint reaches; RegionUnknownBytes, of the avoidable bytes, to addresses whose
	// region (or the gateway's) is not known.
	OtherRegionBytes   int64          `json:"other_region_bytes"`
	RegionUnknownBytes int64          `json:"region_unknown_bytes"`
	CrossAZBytes       int64          `json:"cross_az_bytes"`
	CrossAZCost        float64        `json:"cross_az_cost"`
	UnknownAZBytes     int64          `json:"unknown_az_bytes"`
	Endpoints          []EndpointCase `json:"interface_endpoints,omitempty"`
	StandOut           []string       `json:"hours_that_stand_out,omitempty"`
	Coverage           Coverage       `json:"coverage"`
	// Metered is what CloudWatch counted for the gateway against what the logs explain; nil
	// when flowsql enrich nat-metrics has not fetched its metrics.
	Metered *Metered `json:"cloudwatch,omitempty"`
	// Billed is what Cost Explorer billed on the days of the records; nil when flowsql enrich
	// cost has not fetched the bill.
	Billed *Billed `json:"bill,omitempty"`
	// ByDomain is the processed bytes by the name the sources resolved each destination from
	// (Route 53 Resolver query logs); nil without them. Traffic to addresses no answer
	// named is not in it.
	ByDomain map[string]int64 `json:"bytes_by_domain,omitempty"`
	Notes    []string         `json:"notes,omitempty"`
	hints    []string         // where more could be learnt: one note at the end

	// Figures are the tables, each with its query, in the order they are shown.
	Figures []*Figure `json:"figures"`
}

// EndpointCase weighs an interface endpoint against the NAT gateway for one AWS service.
type EndpointCase struct {
	Service      string  `json:"service"`
	Bytes        int64   `json:"bytes"`
	NATCost      float64 `json:"nat_cost"`
	EndpointCost float64 `json:"endpoint_cost,omitzero"` // over the records' period; left out when it is unknown
	AZs          int     `json:"availability_zones"`
	// BreakEvenGBPerMonth is the monthly volume above which the endpoint is cheaper.
	BreakEvenGBPerMonth float64 `json:"break_even_gb_per_month"`
}

// Coverage is how much of the period and of the interfaces the logs hold.
type Coverage struct {
	OKRecords       int64 `json:"ok_records" col:"ok_records"`
	NoDataRecords   int64 `json:"nodata_records" col:"nodata_records"`
	SkipDataRecords int64 `json:"skipdata_records" col:"skipdata_records"`
	// StatusUnknown counts the records without traffic of a format that has no log-status
	// field: NODATA or SKIPDATA, which cannot be told apart.
	StatusUnknown    int64 `json:"status_unknown_records" col:"status_unknown_records"`
	HoursWithRecords int64 `json:"hours_with_records" col:"hours_with_records"`
	HoursSpanned     int64 `json:"hours_spanned" col:"hours_spanned"`
	InterfacesLogged int64 `json:"interfaces_logged" col:"interfaces_logged"`
	InterfacesKnown  int64 `json:"interfaces_known" col:"interfaces_known"`
	KnownNotLogged   int64 `json:"known_interfaces_not_logged" col:"known_not_logged"`
	// The first start and last end of the interface's records of every status (Unix seconds;
	// nil without times).
	FirstStart *int64 `json:"-" col:"first_start"`
	LastEnd    *int64 `json:"-" col:"last_end"`
}

// Metered sets the bytes CloudWatch counted as processed (BytesInFromSource +
// BytesInFromDestination) in the hours of the records against the bytes the records explain.
type Metered struct {
	Hours        int64   `json:"hours"`
	MeteredBytes int64   `json:"metered_bytes"`
	LoggedBytes  int64   `json:"logged_bytes"`
	Explained    float64 `json:"share_explained"`
	MeteredCost  float64 `json:"metered_processing_cost"`
	// ShortHours are the hours where the logs explain less than 95% of the meter, or nothing.
	ShortHours []string `json:"hours_logs_fall_short,omitempty"`
}

// Billed is the bill (Cost Explorer's unblended cost) on the days the gateway's records touch,
// for every NAT gateway of the account in its region, beside what this analysis computed.
type Billed struct {
	Region         string  `json:"region"`
	Days           int64   `json:"days"`
	ProcessedGB    float64 `json:"billed_gb"`
	ProcessingCost float64 `json:"billed_processing_cost"`
	Hours          float64 `json:"billed_gateway_hours"`
	HoursCost      float64 `json:"billed_hours_cost"`
	Currency       string  `json:"currency"`
	// LoggedBytes are this gateway's processed bytes in its records on those days; Explained
	// is their share of the GB billed.
	LoggedBytes int64   `json:"logged_bytes"`
	Explained   float64 `json:"share_explained"`
	// Computed is this analysis's cost (processing and hours) of the records; Difference is
	// the bill's total less it: traffic and hours the records do not hold.
	Computed   float64  `json:"computed_cost"`
	Difference float64  `json:"difference"`
	Unbilled   []string `json:"days_not_in_bill,omitempty"`
}

// Figure is one table of the analysis and the query that produced it.
type Figure struct {
	Name   string         `json:"name"`  // the query in queries.sql
	Title  string         `json:"title"` // what the table shows
	SQL    string         `json:"sql"`   // the statement with its values, runnable in any DuckDB client
	Result *output.Result `json:"-"`
}

// Analyze finds the NAT gateways and analyses each.
func Analyze(ctx context.Context, db *sql.DB, set *queries.Set, opts Options) (*Report, error) {
	if opts.Top <= 0 {
		opts.Top = 10
	}
	r := &runner{db: db, set: set, opts: opts}
	if empty, err := queries.CheckWindow(ctx, db, opts.Filters); err != nil || empty != nil {
		if empty != nil {
			return nil, empty
		}
		return nil, err
	}
	gws, err := r.find(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{Gateways: gws}
	r.interfaces = map[string]bool{}
	for _, gw := range gws {
		r.interfaces[gw.InterfaceID] = true
	}
	if !opts.Filters.Since.IsZero() {
		rep.Since = &opts.Filters.Since
	}
	if !opts.Filters.Until.IsZero() {
		rep.Until = &opts.Filters.Until
	}
	for _, gw := range gws {
		if (gw.AZ == "" || gw.Region == "") && !gw.filled {
			if err := r.fillFromRecords(ctx, gw); err != nil {
				return nil, err
			}
		}
		if err := r.analyze(ctx, gw); err != nil {
			var mf *queries.MissingFieldError
			if errors.As(err, &mf) {
				named := *mf
				named.Report = "the analysis" // not the name of one of its queries (nat-billed)
				err = &named
			}
			name := gw.Address
			if gw.Account != "" {
				name += " in account " + gw.Account
			}
			return nil, fmt.Errorf("NAT gateway %s: %w", name, err)
		}
	}
	rep.Together = together(gws)
	return rep, nil
}

// runner runs the named queries of one analysis.
type runner struct {
	db   *sql.DB
	set  *queries.Set
	opts Options
	// interfaces are those of the gateways this run analyses, once found.
	interfaces map[string]bool
}

// run runs a named query with its values and the filters (for the queries that take them). A
// window that holds no record is an error (*queries.EmptyWindow): there is nothing to
// analyse. The notes (fields some logs lack) go to the gateway, when there is one.
func (r *runner) run(ctx context.Context, gw *Gateway, name string, vals queries.Values) (*queries.Outcome, error) {
	q, ok := r.set.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("queries.sql has no query %s", name)
	}
	f := r.opts.Filters
	if !q.Filters {
		f = queries.Filters{}
	}
	out, err := r.set.Run(ctx, r.db, name, vals, f)
	if err != nil {
		return nil, err
	}
	if out.Empty != nil {
		return nil, out.Empty
	}
	if gw != nil {
		for _, n := range out.Notes {
			if out.Skipped != nil && n == out.Skipped.Error() {
				continue // the coverage figures count the gateway's SKIPDATA records, and a note says what they mean
			}
			if out.Edges != nil && n == out.Edges.Error() {
				continue // the gateway's figures say how the period's edges count, and rate the bytes inside it
			}
			if slices.ContainsFunc(out.Shared, func(a *queries.SharedAddress) bool { return n == a.Error() }) {
				continue // the analysis is of one interface, and says who else has the address
			}
			if out.Overlaps != nil && n == out.Overlaps.Error() {
				n = out.Overlaps.Summary() // flowsql nat has no --where
			}
			n = sentence(n) // the report's notes are clauses after its name; here they stand alone
			if !slices.Contains(gw.Notes, n) {
				gw.Notes = append(gw.Notes, n)
			}
		}
	}
	return out, nil
}

// sentence makes a note a sentence: a capital first letter and a full stop.
func sentence(note string) string {
	if note == "" {
		return note
	}
	if r, size := utf8.DecodeRuneInString(note); unicode.IsLower(r) {
		note = string(unicode.ToUpper(r)) + note[size:]
	}
	if !strings.HasSuffix(note, ".") {
		note += "."
	}
	return note
}

// scanOne runs a named query that returns one row and reads it into a T.
func scanOne[T any](ctx context.Context, r *runner, gw *Gateway, name string, vals queries.Values) (T, *queries.Outcome, error) {
	var zero T
	out, err := r.run(ctx, gw, name, vals)
	if err != nil {
		return zero, nil, err
	}
	v, err := queries.ScanOne[T](out.Result)
	if err != nil {
		return zero, nil, fmt.Errorf("%s: %w", name, err)
	}
	return v, out, nil
}
