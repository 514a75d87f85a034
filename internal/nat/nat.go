// Package nat explains a NAT gateway bill from flow logs: what each gateway processed (the
// billed quantity, counted once although the logs show each flow up to three times), what it
// cost, who sent it and where it went, what was avoidable (S3 and DynamoDB through the gateway,
// sources in another availability zone), when it happened, and how far the logs can be trusted.
//
// Every figure is a named query of queries.sql (nat-summary, nat-sources, ...), run with the
// gateway's address and interface; the Go here finds the gateways, prices the bytes and lays
// the figures out. Each figure keeps the SQL that produced it.
package nat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

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
	Now time.Time
}

// ErrNoGateway is returned when no NAT gateway can be found.
var ErrNoGateway = errors.New("no NAT gateway found")

// Report is the analysis of every gateway found.
type Report struct {
	Since    *time.Time `json:"since,omitempty"`
	Until    *time.Time `json:"until,omitempty"`
	Gateways []*Gateway `json:"gateways"`
}

// Gateway is the analysis of one NAT gateway.
type Gateway struct {
	Address      string `json:"address"`
	InterfaceID  string `json:"interface_id"`
	NATGatewayID string `json:"nat_gateway_id,omitempty"`
	AZ           string `json:"availability_zone_id,omitempty"`
	Region       string `json:"region,omitempty"`
	FoundBy      string `json:"found_by"`
	Prices       Prices `json:"prices"`

	ProcessedBytes       int64     `json:"processed_bytes"`
	BytesFromSource      int64     `json:"bytes_in_from_source"`
	BytesFromDestination int64     `json:"bytes_in_from_destination"`
	FirstRecord          time.Time `json:"first_record"`
	LastRecord           time.Time `json:"last_record"`
	Hours                int64     `json:"hours"`
	ProcessingCost       float64   `json:"processing_cost"`
	HourlyCost           float64   `json:"hourly_cost"`
	TotalCost            float64   `json:"total_cost"`
	MonthlyRate          float64   `json:"cost_per_30_days_at_this_rate"`

	// Method says how sources were paired with destinations: "exact" when the VPC-side
	// records carry pkt-* addresses, "estimate" when none do, "mixed" in between.
	Method     string `json:"method"`
	MethodNote string `json:"method_note"`

	AvoidableBytes map[string]int64 `json:"avoidable_bytes"` // S3, DYNAMODB: through the NAT, free by gateway endpoint
	AvoidableCost  float64          `json:"avoidable_cost"`
	CrossAZBytes   int64            `json:"cross_az_bytes"`
	CrossAZCost    float64          `json:"cross_az_cost"`
	UnknownAZBytes int64            `json:"unknown_az_bytes"`
	Endpoints      []EndpointCase   `json:"interface_endpoints,omitempty"`
	StandOut       []string         `json:"hours_that_stand_out,omitempty"`
	Coverage       Coverage         `json:"coverage"`
	Notes          []string         `json:"notes,omitempty"`

	// Figures are the tables, each with its query, in the order they are shown.
	Figures []*Figure `json:"figures"`
}

// EndpointCase weighs an interface endpoint against the NAT gateway for one AWS service.
type EndpointCase struct {
	Service      string  `json:"service"`
	Bytes        int64   `json:"bytes"`
	NATCost      float64 `json:"nat_cost"`
	EndpointCost float64 `json:"endpoint_cost"`
	AZs          int     `json:"availability_zones"`
	// BreakEvenGBPerMonth is the monthly volume above which the endpoint is cheaper.
	BreakEvenGBPerMonth float64 `json:"break_even_gb_per_month"`
}

// Coverage is how much of the period and of the interfaces the logs hold.
type Coverage struct {
	OKRecords        int64 `json:"ok_records"`
	NoDataRecords    int64 `json:"nodata_records"`
	SkipDataRecords  int64 `json:"skipdata_records"`
	HoursWithRecords int64 `json:"hours_with_records"`
	HoursSpanned     int64 `json:"hours_spanned"`
	InterfacesLogged int64 `json:"interfaces_logged"`
	InterfacesKnown  int64 `json:"interfaces_known"`
	KnownNotLogged   int64 `json:"known_interfaces_not_logged"`
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
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	r := &runner{db: db, set: set, opts: opts}
	gws, err := r.find(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{Gateways: gws}
	if !opts.Filters.Since.IsZero() {
		rep.Since = &opts.Filters.Since
	}
	if !opts.Filters.Until.IsZero() {
		rep.Until = &opts.Filters.Until
	}
	for _, gw := range gws {
		if gw.AZ == "" || gw.Region == "" {
			if err := r.fillFromRecords(ctx, gw); err != nil {
				return nil, err
			}
		}
		if err := r.analyze(ctx, gw); err != nil {
			return nil, fmt.Errorf("NAT gateway %s: %w", gw.Address, err)
		}
	}
	return rep, nil
}

type runner struct {
	db   *sql.DB
	set  *queries.Set
	opts Options
}

// run runs a named query with its values and the filters (for the queries that take them).
func (r *runner) run(ctx context.Context, name string, vals queries.Values) (*output.Result, string, error) {
	q, ok := r.set.Lookup(name)
	if !ok {
		return nil, "", fmt.Errorf("queries.sql has no query %s", name)
	}
	f := r.opts.Filters
	if !q.Filters {
		f = queries.Filters{}
	}
	st, err := q.Statement(ctx, queries.DuckDB{}, vals, f, queries.DBKeys{DB: r.db}, r.opts.Now)
	if err != nil {
		return nil, "", err
	}
	rows, err := r.db.QueryContext(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	res, err := output.Read(rows, 0)
	return res, st.Inline(), err
}

// find returns the gateways: those given, or those of the eni table, or those the records show.
func (r *runner) find(ctx context.Context) ([]*Gateway, error) {
	res, _, err := r.run(ctx, "nat-gateways", nil)
	if err != nil {
		return nil, err
	}
	var known []*Gateway // the eni table's
	for _, row := range res.Rows {
		known = append(known, &Gateway{Address: str(row[0]), InterfaceID: str(row[1]), NATGatewayID: str(row[2]),
			AZ: str(row[4]), Region: str(row[6]), FoundBy: "eni table (flowsql enrich eni)"})
	}
	if len(r.opts.NATIPs) > 0 {
		var gws []*Gateway
		for _, ip := range r.opts.NATIPs {
			a, err := netip.ParseAddr(ip)
			if err != nil || !a.Is4() {
				return nil, fmt.Errorf("--nat-ip %q is not an IPv4 address: give the NAT gateway's private address", ip)
			}
			gw := &Gateway{Address: a.String()}
			if i := slices.IndexFunc(known, func(k *Gateway) bool { return k.Address == gw.Address }); i >= 0 {
				*gw = *known[i]
			} else if err := r.fillFromRecords(ctx, gw); err != nil {
				return nil, err
			}
			gw.FoundBy = "--nat-ip"
			gws = append(gws, gw)
		}
		return gws, nil
	}
	if len(known) > 0 {
		return known, nil
	}
	res, _, err = r.run(ctx, "nat-candidates", queries.Values{"limit": "10"})
	if err != nil {
		return nil, err
	}
	var gws []*Gateway
	for _, row := range res.Rows {
		gws = append(gws, &Gateway{Address: str(row[0]), InterfaceID: str(row[1]),
			FoundBy: "the records: packets to its address carry other pkt-dstaddr (address translation)"})
	}
	if len(gws) == 0 {
		return nil, fmt.Errorf("%w: record the VPC's interfaces with 'flowsql enrich eni', or pass --nat-ip with the gateway's private address (often the top destination: flowsql report top-destinations)", ErrNoGateway)
	}
	return gws, nil
}

// fillFromRecords completes a gateway from its records: the interface that logs the most
// records addressed to it, with their zone and region.
func (r *runner) fillFromRecords(ctx context.Context, gw *Gateway) error {
	res, _, err := r.run(ctx, "nat-interface", queries.Values{"nat": gw.Address})
	if err != nil {
		return err
	}
	if len(res.Rows) == 0 {
		return fmt.Errorf("%w at %s: no record in the period is addressed to it; is it the gateway's private address? (flowsql report top-destinations lists the busiest addresses)", ErrNoGateway, gw.Address)
	}
	v := row(res, 0)
	if gw.InterfaceID == "" {
		gw.InterfaceID = v.str("interface_id")
	}
	if gw.AZ == "" {
		gw.AZ = v.str("az")
	}
	if gw.Region == "" {
		gw.Region = v.str("region")
	}
	return nil
}

// analyze runs every figure for one gateway and prices it.
func (r *runner) analyze(ctx context.Context, gw *Gateway) error {
	if err := r.price(gw); err != nil {
		return err
	}
	vals := func(extra ...string) queries.Values {
		v := queries.Values{"nat": gw.Address, "nat_eni": gw.InterfaceID}
		for i := 0; i+1 < len(extra); i += 2 {
			v[extra[i]] = extra[i+1]
		}
		return v
	}
	top := strconv.Itoa(r.opts.Top)
	figures := []struct {
		name, title string
		vals        queries.Values
	}{
		{"nat-summary", "What the gateway processed", vals()},
		{"nat-sources", "Top sources: the instances whose traffic it processed", vals("limit", top)},
		{"nat-destinations", "Top destinations", vals("limit", top)},
		{"nat-services", "By AWS service at the other end", vals()},
		{"nat-avoidable", "Avoidable: S3 and DynamoDB through the gateway, by source", vals("limit", top)},
		{"nat-cross-az", "Sources in another availability zone", vals()},
		{"nat-hourly", "Bytes per hour", vals()},
		{"nat-coverage", "Coverage of the logs", queries.Values{"nat_eni": gw.InterfaceID}},
	}
	results := map[string]*output.Result{}
	for _, f := range figures {
		res, sql, err := r.run(ctx, f.name, f.vals)
		if err != nil {
			return err
		}
		results[f.name] = res
		gw.Figures = append(gw.Figures, &Figure{Name: f.name, Title: f.title, SQL: sql, Result: res})
	}
	if err := gw.summarise(results["nat-summary"], r.opts.Filters.Since, r.opts.Filters.Until); err != nil {
		return err
	}
	p := gw.Prices
	gw.ProcessingCost = Cost(gw.ProcessedBytes, p.PerGB)
	gw.HourlyCost = float64(gw.Hours) * p.PerHour
	gw.TotalCost = gw.ProcessingCost + gw.HourlyCost
	if gw.Hours > 0 {
		gw.MonthlyRate = gw.TotalCost / float64(gw.Hours) * 24 * 30
	}
	for _, f := range []string{"nat-sources", "nat-destinations", "nat-services", "nat-avoidable"} {
		addCost(results[f], "cost", p.PerGB)
	}
	addCost(results["nat-cross-az"], "cost_cross_az", 2*p.CrossAZPerGB)
	gw.avoidable(results["nat-services"])
	gw.crossAZ(results["nat-cross-az"])
	gw.endpoints(results["nat-services"], results["nat-cross-az"], results["nat-sources"])
	gw.hourly(results["nat-hourly"])
	gw.coverage(results["nat-coverage"])
	return nil
}

// price chooses the rates: the flags' where given, else the region's list prices.
func (r *runner) price(gw *Gateway) error {
	region := r.opts.Region
	if region == "" {
		region = gw.Region
	}
	if region == "" {
		region = DefaultRegion
		gw.Notes = append(gw.Notes, "The region is not known (no eni snapshot, no region field in the logs): "+DefaultRegion+" prices apply; --region chooses another.")
	}
	p, err := ListPrices(region)
	if err != nil && r.opts.PerGB <= 0 {
		return err
	}
	p.Region = region
	for _, o := range []struct {
		flag float64
		dst  *float64
	}{{r.opts.PerGB, &p.PerGB}, {r.opts.PerHour, &p.PerHour}, {r.opts.CrossAZPerGB, &p.CrossAZPerGB},
		{r.opts.EndpointPerHour, &p.EndpointPerHour}, {r.opts.EndpointPerGB, &p.EndpointPerGB}} {
		if o.flag > 0 {
			*o.dst = o.flag
			p.Source = "given on the command line, with list prices for the rest"
		}
	}
	if p.CrossAZPerGB == 0 {
		p.CrossAZPerGB = 0.01
	}
	if p.EndpointPerHour == 0 {
		p.EndpointPerHour = 0.01
	}
	if p.EndpointPerGB == 0 {
		p.EndpointPerGB = 0.01
	}
	gw.Prices = p
	return nil
}

// summarise reads nat-summary: the billed bytes, the span (within since and until, when
// given: records that overlap the period's edges do not add hours) and the pairing method.
func (gw *Gateway) summarise(res *output.Result, since, until time.Time) error {
	if len(res.Rows) != 1 {
		return fmt.Errorf("nat-summary returned %d rows", len(res.Rows))
	}
	v := row(res, 0)
	gw.ProcessedBytes, gw.BytesFromSource, gw.BytesFromDestination = v.int("processed_bytes"), v.int("bytes_in_from_source"), v.int("bytes_in_from_destination")
	if gw.ProcessedBytes == 0 {
		gw.Notes = append(gw.Notes, fmt.Sprintf("No traffic through %s (interface %s) in the records of the period.", gw.Address, gw.InterfaceID))
		gw.Method = "none"
		return nil
	}
	first, last := v.int("first_start"), v.int("last_end")
	if !since.IsZero() && first < since.Unix() {
		first = since.Unix()
	}
	if !until.IsZero() && last > until.Unix() {
		last = until.Unix()
	}
	gw.FirstRecord, gw.LastRecord = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
	gw.Hours = int64(math.Ceil(float64(last)/3600) - math.Floor(float64(first)/3600))
	withPkt, vpcSide := v.int("vpc_side_with_pkt"), v.int("vpc_side_records")
	switch {
	case withPkt == vpcSide:
		gw.Method = "exact"
		gw.MethodNote = "The records carry pkt-srcaddr/pkt-dstaddr: each source is paired with its destinations exactly."
	case withPkt == 0:
		gw.Method = "estimate"
		gw.MethodNote = "The records have no pkt-srcaddr/pkt-dstaddr (the default format): the processed bytes, the sources and the destinations are still exact, " +
			"from the gateway's VPC-side and outside legs, which are told apart by private addresses. Which source talked to which service is estimated " +
			"from each source's own interface records, in proportion; add pkt-srcaddr and pkt-dstaddr to the flow log format for exact pairs."
	default:
		gw.Method = "mixed"
		gw.MethodNote = fmt.Sprintf("%.0f%% of the VPC-side records carry pkt-srcaddr/pkt-dstaddr and are paired exactly; the rest are estimated from the sources' own interface records.",
			100*float64(withPkt)/float64(vpcSide))
	}
	if bySource := v.int("bytes_by_source"); bySource != gw.ProcessedBytes {
		gw.Notes = append(gw.Notes, fmt.Sprintf("The VPC-side records hold %s, the processed bytes %s: the sources' figures cover %.1f%% of the bill.",
			output.Bytes(float64(bySource)), output.Bytes(float64(gw.ProcessedBytes)), 100*float64(bySource)/float64(gw.ProcessedBytes)))
	}
	return nil
}

// avoidable sums the bytes to S3 and DynamoDB: a gateway endpoint carries them free.
func (gw *Gateway) avoidable(services *output.Result) {
	gw.AvoidableBytes = map[string]int64{}
	for i := range services.Rows {
		v := row(services, i)
		if s := v.str("service"); s == "S3" || s == "DYNAMODB" {
			gw.AvoidableBytes[s] += v.int("bytes")
			gw.AvoidableCost += Cost(v.int("bytes"), gw.Prices.PerGB)
		}
	}
	if len(services.Rows) == 1 && row(services, 0).str("service") == "(not AWS)" {
		gw.Notes = append(gw.Notes, "No destination is known to be AWS: the logs have no pkt-dst-aws-service field and no AWS ranges are loaded. Run 'flowsql enrich aws-ranges' to find S3 and DynamoDB traffic.")
	}
}

// crossAZ sums the sources in another zone; each of their bytes crosses twice (out, back).
func (gw *Gateway) crossAZ(res *output.Result) {
	for i := range res.Rows {
		v := row(res, i)
		if v.str("source_az") == "" || v.str("nat_az") == "" {
			gw.UnknownAZBytes += v.int("bytes")
			continue
		}
		gw.CrossAZBytes += v.int("bytes")
	}
	gw.CrossAZCost = Cost(gw.CrossAZBytes, 2*gw.Prices.CrossAZPerGB)
	if gw.UnknownAZBytes > 0 {
		gw.Notes = append(gw.Notes, fmt.Sprintf("%s of the sources' traffic has no known availability zone: run 'flowsql enrich eni', or add az-id to the flow log format.",
			output.Bytes(float64(gw.UnknownAZBytes))))
	}
}

// endpoints weighs an interface endpoint for each AWS service other than S3 and DynamoDB.
func (gw *Gateway) endpoints(services, crossAZ, sources *output.Result) {
	azs := map[string]bool{}
	for i := range sources.Rows {
		if az := row(sources, i).str("az"); az != "" {
			azs[az] = true
		}
	}
	n := max(len(azs), 1)
	p := gw.Prices
	for i := range services.Rows {
		v := row(services, i)
		s := v.str("service")
		if s == "" || s == "(not AWS)" || s == "S3" || s == "DYNAMODB" {
			continue
		}
		b := v.int("bytes")
		c := EndpointCase{Service: s, Bytes: b, AZs: n, NATCost: Cost(b, p.PerGB),
			EndpointCost: float64(gw.Hours)*float64(n)*p.EndpointPerHour + Cost(b, p.EndpointPerGB)}
		if p.PerGB > p.EndpointPerGB {
			c.BreakEvenGBPerMonth = 24 * 30 * float64(n) * p.EndpointPerHour / (p.PerGB - p.EndpointPerGB)
		}
		gw.Endpoints = append(gw.Endpoints, c)
	}
}

// hourly lists the hours that stand out.
func (gw *Gateway) hourly(res *output.Result) {
	for i := range res.Rows {
		v := row(res, i)
		if v.str("note") == "stands out" {
			gw.StandOut = append(gw.StandOut, fmt.Sprintf("%s (%s, %sx the median hour)", v.str("hour"), output.Bytes(float64(v.int("bytes"))), v.str("times_median")))
		}
	}
}

// coverage reads nat-coverage.
func (gw *Gateway) coverage(res *output.Result) {
	if len(res.Rows) == 0 {
		return
	}
	v := row(res, 0)
	gw.Coverage = Coverage{OKRecords: v.int("ok_records"), NoDataRecords: v.int("nodata_records"), SkipDataRecords: v.int("skipdata_records"),
		HoursWithRecords: v.int("hours_with_records"), HoursSpanned: v.int("hours_spanned"), InterfacesLogged: v.int("interfaces_logged"),
		InterfacesKnown: v.int("interfaces_known"), KnownNotLogged: v.int("known_not_logged")}
	c := gw.Coverage
	if c.SkipDataRecords > 0 {
		gw.Notes = append(gw.Notes, fmt.Sprintf("%d SKIPDATA records: AWS dropped records of the gateway's interface in some windows, so the figures are low.", c.SkipDataRecords))
	}
	if c.HoursSpanned > c.HoursWithRecords {
		gw.Notes = append(gw.Notes, fmt.Sprintf("%d of the %d hours spanned have no record of the gateway's interface (see the hourly table).", c.HoursSpanned-c.HoursWithRecords, c.HoursSpanned))
	}
}

// addCost appends a cost column (bytes at a rate per GB) to a table with a bytes column.
func addCost(res *output.Result, name string, perGB float64) {
	col := columnIndex(res, "bytes")
	if col < 0 {
		return
	}
	res.Columns = append(res.Columns, output.Column{Name: name, Type: "DOUBLE"})
	for i, r := range res.Rows {
		res.Rows[i] = append(r, Cost(toInt(r[col]), perGB))
	}
}

func columnIndex(res *output.Result, name string) int {
	for i, c := range res.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// rowValues reads one row's values by column name.
type rowValues struct {
	res *output.Result
	i   int
}

func row(res *output.Result, i int) rowValues { return rowValues{res, i} }

func (v rowValues) get(name string) any {
	if c := columnIndex(v.res, name); c >= 0 {
		return v.res.Rows[v.i][c]
	}
	return nil
}

func (v rowValues) int(name string) int64  { return toInt(v.get(name)) }
func (v rowValues) str(name string) string { return str(v.get(name)) }

func str(v any) string {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format("2006-01-02 15:04")
	}
	return output.Text(v, "")
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case uint64:
		return int64(x)
	case float64:
		return int64(math.Round(x))
	case *big.Int:
		return x.Int64()
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(output.Text(v, "")), 10, 64)
	return n
}

// sortedKeys lists a map's keys in order.
func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
