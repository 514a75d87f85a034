package nat

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowsql/flowsql/internal/output"
	"github.com/flowsql/flowsql/internal/words"
	"github.com/flowsql/flowsql/pkg/queries"
)

// The rows of the figures that the analysis reads, by column name (queries.Scan fails on a
// column that a query no longer has).
type (
	summaryRow struct {
		ProcessedBytes       int64  `col:"processed_bytes"`
		BytesFromSource      int64  `col:"bytes_in_from_source"`
		BytesFromDestination int64  `col:"bytes_in_from_destination"`
		BytesBySource        int64  `col:"bytes_by_source"`
		Records              int64  `col:"records"`
		VPCSideWithPkt       int64  `col:"vpc_side_with_pkt"`
		VPCSideRecords       int64  `col:"vpc_side_records"`
		FirstStart           *int64 `col:"first_start"` // nil when no record has a start
		LastEnd              *int64 `col:"last_end"`
		RecordsWithoutTime   int64  `col:"records_without_time"`
		RecordsOddTime       int64  `col:"records_odd_time"` // times no record can have: not in the span
		BytesOddTime         int64  `col:"processed_bytes_odd_time"`
		RejectedRecords      int64  `col:"rejected_records"` // dropped by a network ACL: not processed
		RejectedBytes        int64  `col:"rejected_bytes"`
		RecordsWithoutAction int64  `col:"records_without_action"` // a format without action: rejected traffic not told apart
		BytesWithoutAction   int64  `col:"processed_bytes_without_action"`
		IPv6Records          int64  `col:"ipv6_records"` // NAT64: not addressed to the gateway's IPv4 address
		IPv6Bytes            int64  `col:"ipv6_bytes"`
		OtherRecords         int64  `col:"other_records"` // IPv4, neither to nor from the address: secondary addresses
		OtherBytes           int64  `col:"other_bytes"`
	}
	edgesRow struct {
		WholeBytes    int64 `col:"whole_bytes"`
		ProratedBytes int64 `col:"prorated_bytes"`
	}
	unmeasuredRow struct {
		RecordsWithoutBytes int64 `col:"records_without_bytes"`
		Records             int64 `col:"records"`
	}
	serviceRow struct {
		Service            string `col:"service"`
		Bytes              int64  `col:"bytes"`
		Remedy             string `col:"remedy"`
		RegionUnknownBytes int64  `col:"region_unknown_bytes"`
	}
	crossAZRow struct {
		Source    string `col:"source"`
		SourceAZ  string `col:"source_az"`
		NATAZ     string `col:"nat_az"`
		Bytes     int64  `col:"bytes"`
		SourceVPC string `col:"source_vpc"`
	}
	sourceRow struct {
		AZ string `col:"az"`
	}
	hourRow struct {
		Hour        time.Time `col:"hour"`
		Bytes       *int64    `col:"bytes"` // nil: no record of the interface begins in the hour
		TimesMedian float64   `col:"times_median"`
		Note        string    `col:"note"`
	}
	bytesRow struct {
		Bytes int64 `col:"bytes"`
	}
	billedRow struct {
		Day            time.Time `col:"day"`
		LoggedBytes    int64     `col:"logged_bytes"`
		GB             *float64  `col:"billed_gb"`
		ProcessingCost *float64  `col:"billed_processing"`
		Hours          *float64  `col:"billed_hours"`
		HoursCost      *float64  `col:"billed_hourly"`
		Currency       string    `col:"currency"`
	}
	domainRow struct {
		Domain *string `col:"domain"`
		Bytes  int64   `col:"bytes"`
	}
	meteredRow struct {
		Hour    time.Time `col:"hour"`
		Metered *int64    `col:"metered_bytes"`
		Logged  int64     `col:"logged_bytes"`
		Note    string    `col:"note"`
	}
)

// analyze runs every figure for one gateway and prices it.
func (r *runner) analyze(ctx context.Context, gw *Gateway) error {
	if err := r.price(gw); err != nil {
		return err
	}
	billFigure, err := r.bill(ctx, gw)
	if err != nil {
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
	// Where an endpoint in the gateway's VPC reaches: its region, or the one given.
	endpointRegion := cmp.Or(gw.Region, r.opts.Region)
	var region []string
	if endpointRegion != "" {
		region = []string{"nat_region", endpointRegion}
	}
	figures := []struct {
		name, title string
		vals        queries.Values
	}{
		{"nat-summary", "What the gateway processed", vals()},
		{"nat-sources", "Top sources: the instances whose traffic it processed", vals("limit", top)},
		{"nat-destinations", "Top destinations", vals("limit", top)},
		{"nat-services", "By AWS service at the other end", vals(region...)},
		{"nat-avoidable", "Avoidable: S3 and DynamoDB through the gateway, by source", vals(append([]string{"limit", top}, region...)...)},
		{"nat-cross-az", "Sources in another availability zone", vals()},
		{"nat-hourly", "Bytes per hour", vals("limit", strconv.Itoa(maxHours))},
		{"nat-domains", "By domain: the names the sources resolved (Route 53 Resolver query logs)", vals("limit", top)},
		{"nat-coverage", "Coverage of the logs", queries.Values{"nat_eni": gw.InterfaceID}},
	}
	// Without a Resolver answer loaded, no destination has a name: nat-domains would scan the
	// gateway's records for nothing.
	var answered bool
	if err := r.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM dns_queries WHERE answer_ip IS NOT NULL)`).Scan(&answered); err != nil {
		return err
	}
	results := map[string]*output.Result{}
	var lacking map[string]int64
	for _, f := range figures {
		if f.name == "nat-domains" && !answered {
			continue
		}
		out, err := r.run(ctx, gw, f.name, f.vals)
		if err != nil {
			return err
		}
		results[f.name] = out.Result
		gw.Figures = append(gw.Figures, &Figure{Name: f.name, Title: f.title, SQL: out.Inline(), Result: out.Result})
		if f.name == "nat-summary" {
			lacking = out.Lacking
		}
	}
	summary, err := queries.ScanOne[summaryRow](results["nat-summary"])
	if err != nil {
		return fmt.Errorf("nat-summary: %w", err)
	}
	// Some loaded records have no bytes: how many of the gateway's, counted one by one (the
	// hourly summary adds up records with bytes and without alike).
	var unmeasured unmeasuredRow
	if lacking["bytes"] > 0 {
		var out *queries.Outcome
		if unmeasured, out, err = scanOne[unmeasuredRow](ctx, r, gw, "nat-unmeasured", vals()); err != nil {
			return err
		}
		gw.Figures = append(gw.Figures, &Figure{Name: "nat-unmeasured", Title: "Records without bytes", SQL: out.Inline(), Result: out.Result})
	}
	// A period asked for may cut records: how much of theirs lies inside it, for the rate.
	var edges edgesRow
	if f := r.opts.Filters; (!f.Since.IsZero() || !f.Until.IsZero()) && summary.FirstStart != nil && summary.LastEnd != nil {
		from, to := f.Since, f.Until
		if from.IsZero() {
			from = time.Unix(*summary.FirstStart, 0)
		}
		if to.IsZero() {
			to = time.Unix(*summary.LastEnd, 0)
		}
		var out *queries.Outcome
		if edges, out, err = scanOne[edgesRow](ctx, r, gw, "nat-edges", vals("from", from.UTC().Format(time.RFC3339), "to", to.UTC().Format(time.RFC3339))); err != nil {
			return err
		}
		gw.Figures = append(gw.Figures, &Figure{Name: "nat-edges", Title: "Records across the edges of the period", SQL: out.Inline(), Result: out.Result})
	}
	gw.summarise(summary, unmeasured, edges, r.opts.Filters.Since, r.opts.Filters.Until)
	// Flow logs that record the gateway's own interface at once each count its traffic.
	overlaps, err := queries.CheckOverlaps(ctx, r.db, queries.Filters{Interface: gw.InterfaceID, Since: r.opts.Filters.Since, Until: r.opts.Filters.Until})
	if err != nil {
		return err
	}
	if overlaps != nil {
		gw.OverlappingFlowLogs = overlaps.FlowLogs
	}
	for _, f := range []string{"nat-sources", "nat-destinations", "nat-services", "nat-avoidable"} {
		if err := addCost(results[f], "cost", gw.Prices.PerGB); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	if err := addCost(results["nat-cross-az"], "cost_cross_az", 2*gw.Prices.CrossAZPerGB); err != nil {
		return fmt.Errorf("nat-cross-az: %w", err)
	}
	services, err := queries.Scan[serviceRow](results["nat-services"])
	if err != nil {
		return fmt.Errorf("nat-services: %w", err)
	}
	crossAZ, err := queries.Scan[crossAZRow](results["nat-cross-az"])
	if err != nil {
		return fmt.Errorf("nat-cross-az: %w", err)
	}
	// A source or gateway whose zone is unknown may or may not cross: no cost, rather than $0.
	costCol := slices.IndexFunc(results["nat-cross-az"].Columns, func(c queries.Column) bool { return c.Name == "cost_cross_az" })
	for k, v := range crossAZ {
		if v.SourceAZ == "" || v.NATAZ == "" {
			results["nat-cross-az"].Rows[k][costCol] = nil
		}
	}
	sources, err := queries.Scan[sourceRow](results["nat-sources"])
	if err != nil {
		return fmt.Errorf("nat-sources: %w", err)
	}
	hours, err := queries.Scan[hourRow](results["nat-hourly"])
	if err != nil {
		return fmt.Errorf("nat-hourly: %w", err)
	}
	gw.hoursCut("hourly table and the hours that stand out or have no records", len(hours))
	coverage, err := queries.ScanOne[Coverage](results["nat-coverage"])
	if err != nil {
		return fmt.Errorf("nat-coverage: %w", err)
	}
	gw.avoidable(endpointRegion, services)
	gw.crossAZ(crossAZ)
	gw.endpoints(services, sources)
	gw.hourly(hours)
	gw.coverage(coverage)
	if err := r.silentEdges(ctx, gw, coverage); err != nil {
		return err
	}
	var domains []domainRow
	if res := results["nat-domains"]; res != nil {
		if domains, err = queries.Scan[domainRow](res); err != nil {
			return fmt.Errorf("nat-domains: %w", err)
		}
	}
	gw.domains(domains, answered)
	if b := gw.Billed; b != nil {
		billed := b.ProcessingCost + b.HoursCost
		b.Computed = gw.TotalCost
		switch {
		case gw.PeriodUnknown && gw.BytesUnknown: // nothing of the records can be priced
			b.Computed, billed = 0, 0
		case gw.PeriodUnknown: // the records' hours are not known: compare data processing alone
			b.Computed, billed = gw.ProcessingCost, b.ProcessingCost
		case gw.BytesUnknown: // their bytes are not: compare the hours alone
			b.Computed, billed = gw.HourlyCost, b.HoursCost
		}
		b.Difference = billed - b.Computed
		gw.Figures = append(gw.Figures, billFigure)
	}
	if err := r.metered(ctx, gw, vals); err != nil {
		return err
	}
	if len(gw.hints) > 0 {
		gw.Notes = append(gw.Notes, "To check these figures against AWS's own and name the destinations: "+strings.Join(gw.hints, "; ")+".")
	}
	return nil
}

// domains reads nat-domains: the bytes by the name the sources resolved; when no answer names
// a destination (or no Resolver query log is loaded) there is none, and the figure goes. answered
// says whether some Resolver answer is loaded: then the figure's absence is not for want of one.
func (gw *Gateway) domains(rows []domainRow, answered bool) {
	for _, v := range rows {
		if v.Domain != nil {
			if gw.ByDomain == nil {
				gw.ByDomain = map[string]int64{}
			}
			gw.ByDomain[*v.Domain] = v.Bytes
		}
	}
	if gw.ByDomain == nil {
		gw.Figures = slices.DeleteFunc(gw.Figures, func(f *Figure) bool { return f.Name == "nat-domains" })
		switch {
		case !answered:
			gw.hints = append(gw.hints, "Route 53 Resolver query logs loaded with the flow logs (the names behind the destinations)")
		case gw.PeriodUnknown:
			gw.Notes = append(gw.Notes, "The Route 53 Resolver answers loaded cannot name the gateway's destinations: "+
				"an answer names an address for the hours after it, and the gateway's records have no start times.")
		default:
			gw.Notes = append(gw.Notes, "No Route 53 Resolver answer loaded names a destination of the gateway within an hour before its traffic "+
				"(the query logs loaded may be of other VPCs or other days).")
		}
	}
}

// bill reads what Cost Explorer billed in the gateway's region on the days of its records
// (flowsql enrich cost) and, unless the command line gives prices, prices the analysis at the
// bill's rates: its unblended cost per GB processed and per gateway-hour.
func (r *runner) bill(ctx context.Context, gw *Gateway) (*Figure, error) {
	out, err := r.run(ctx, gw, "nat-billed", queries.Values{"nat": gw.Address, "nat_eni": gw.InterfaceID, "bill_region": gw.Prices.Region})
	if err != nil {
		return nil, err
	}
	rows, err := queries.Scan[billedRow](out.Result)
	if err != nil {
		return nil, fmt.Errorf("nat-billed: %w", err)
	}
	b := &Billed{Region: gw.Prices.Region}
	var loggedAll int64
	for _, v := range rows {
		loggedAll += v.LoggedBytes
		if v.GB == nil && v.Hours == nil {
			b.Unbilled = append(b.Unbilled, v.Day.Format(time.DateOnly))
			continue
		}
		b.Days++
		b.LoggedBytes += v.LoggedBytes
		for _, x := range []struct{ dst, src *float64 }{{&b.ProcessedGB, v.GB}, {&b.ProcessingCost, v.ProcessingCost}, {&b.Hours, v.Hours}, {&b.HoursCost, v.HoursCost}} {
			if x.src != nil {
				*x.dst += *x.src
			}
		}
		b.Currency = v.Currency
	}
	if b.Days == 0 {
		if loggedAll > 0 {
			gw.hints = append(gw.hints, "'flowsql enrich cost' (what the bill charged, by day, and its rates)")
		}
		return nil, nil
	}
	if b.ProcessedGB > 0 {
		b.Explained = float64(b.LoggedBytes) / GB / b.ProcessedGB
	}
	if len(b.Unbilled) > 0 {
		gw.Notes = append(gw.Notes, fmt.Sprintf("The bill fetched has no NAT gateway charge in %s on %s: run 'flowsql enrich cost' again once those days are billed.", b.Region, strings.Join(b.Unbilled, ", ")))
	}
	p := &gw.Prices
	if r.opts.PerGB <= 0 && b.ProcessedGB > 0 {
		p.PerGB = b.ProcessingCost / b.ProcessedGB
		p.Source = fmt.Sprintf("the bill: Cost Explorer's unblended cost per unit in %s on the %s of the records", b.Region, pluralDays(b.Days))
	}
	if r.opts.PerHour <= 0 && b.Hours > 0 {
		p.PerHour = b.HoursCost / b.Hours
	}
	gw.Billed = b
	return &Figure{Name: "nat-billed", Title: "The bill (Cost Explorer) on the days of the records", SQL: out.Inline(), Result: out.Result}, nil
}

func pluralDays(n int64) string {
	if n == 1 {
		return "day"
	}
	return strconv.FormatInt(n, 10) + " days"
}

// metered sets what CloudWatch metered against what the logs explain, when the gateway's ID
// is known and its metrics were fetched.
func (r *runner) metered(ctx context.Context, gw *Gateway, vals func(...string) queries.Values) error {
	if gw.NATGatewayID == "" {
		return nil
	}
	out, err := r.run(ctx, gw, "nat-metered", vals("nat_gateway", gw.NATGatewayID, "limit", strconv.Itoa(maxHours)))
	if err != nil {
		return err
	}
	rows, err := queries.Scan[meteredRow](out.Result)
	if err != nil {
		return fmt.Errorf("nat-metered: %w", err)
	}
	if len(rows) == 0 {
		gw.hints = append(gw.hints, "'flowsql enrich nat-metrics' (what CloudWatch metered for "+gw.NATGatewayID+", by the hour)")
		return nil
	}
	gw.hoursCut("comparison with CloudWatch's meter", len(rows))
	gw.Figures = append(gw.Figures, &Figure{Name: "nat-metered", Title: "Metered by CloudWatch against the flow logs", SQL: out.Inline(), Result: out.Result})
	m := &Metered{}
	for _, v := range rows {
		m.Hours++
		if v.Metered != nil {
			m.MeteredBytes += *v.Metered
		}
		m.LoggedBytes += v.Logged
		if v.Note == "logs fall short" || v.Note == "no records" {
			m.ShortHours = append(m.ShortHours, fmt.Sprintf("%s (%s of %s)", v.Hour.UTC().Format("2006-01-02 15:04"),
				words.Bytes(float64(v.Logged)), words.Bytes(float64(*v.Metered))))
		}
	}
	if m.MeteredBytes > 0 {
		m.Explained = float64(m.LoggedBytes) / float64(m.MeteredBytes)
	}
	m.MeteredCost = Cost(m.MeteredBytes, gw.Prices.PerGB)
	gw.Metered = m
	return nil
}

// maxHours is how many hours the hourly figures (nat-hourly, nat-metered) read: 417 days.
var maxHours = 10_000

// hoursCut says, when an hourly figure of rows rows reached maxHours, that its hours stop
// there: the later ones are not in what covers them.
func (gw *Gateway) hoursCut(what string, rows int) {
	if rows < maxHours {
		return
	}
	gw.Notes = append(gw.Notes, fmt.Sprintf("The %s stop at %s hours from the first: the later hours are not in them. "+
		"A --since and --until of less time shows those.", what, words.Count(int64(maxHours))))
}

// price chooses the rates: the flags' where given, else the region's list prices.
func (r *runner) price(gw *Gateway) error {
	region := r.opts.Region
	if region == "" {
		region = gw.Region
	}
	if region == "" {
		region = DefaultRegion
		gw.Notes = append(gw.Notes, "The region is not known (no eni snapshot, no region field in the logs, no region in the files' S3 keys): "+DefaultRegion+" prices apply; --region chooses another.")
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

// rateProcessing is the processing charge the 30-day rates are of: of the bytes inside the
// period asked for when records cross its edges (BytesInPeriod), else of the bytes whose
// records' times are in the period (all but BytesOddTime).
func (gw *Gateway) rateProcessing() float64 {
	switch {
	case gw.BeyondPeriod:
		return Cost(gw.BytesInPeriod, gw.Prices.PerGB)
	case gw.BytesOddTime > 0:
		return Cost(gw.ProcessedBytes-gw.BytesOddTime, gw.Prices.PerGB)
	}
	return gw.ProcessingCost
}

// recordsLacking says how many of the gateway's records (of all) have no field: "None of the
// gateway's 2 records has a bytes field", "2 of the gateway's 3 records have no bytes field".
func recordsLacking(field string, without, all int64) string {
	if without >= all {
		return fmt.Sprintf("None of the gateway's %s has %s field", words.Plural(all, "record"), words.A(field))
	}
	return fmt.Sprintf("%s of the gateway's %s %s no %s field", words.Count(without), words.Plural(all, "record"), words.Has(without), field)
}

// HoursPer30Days is how many gateway-hours 30 days bill.
const HoursPer30Days = 30 * 24

// summarise reads nat-summary: the billed bytes, the time the records cover (within since and
// until, when given: records that overlap the period's edges count whole in the bytes, and in
// the rate in proportion to their time inside it, from nat-edges), its cost, the rate it runs
// at, and the pairing method.
func (gw *Gateway) summarise(v summaryRow, u unmeasuredRow, e edgesRow, since, until time.Time) {
	gw.ProcessedBytes, gw.BytesFromSource, gw.BytesFromDestination = v.ProcessedBytes, v.BytesFromSource, v.BytesFromDestination
	gw.RecordsWithoutBytes = u.RecordsWithoutBytes
	// The traffic on its interface that following its address leaves out (each note below says
	// which): what it processed is higher by what of it the gateway received.
	gw.UncountedBytes = v.IPv6Bytes + v.OtherBytes
	if v.IPv6Records > 0 {
		gw.Notes = append(gw.Notes, fmt.Sprintf("The gateway's interface also logged %s of IPv6 traffic (%s): NAT64, from IPv6 sources to 64:ff9b::/96, "+
			"which this analysis, following the gateway's IPv4 address %s, does not count: what it processed is higher by what of it the gateway received.",
			words.Plural(v.IPv6Records, "record"), words.Bytes(float64(v.IPv6Bytes)), gw.Address))
	}
	if v.OtherRecords > 0 {
		gw.Notes = append(gw.Notes, fmt.Sprintf("On the gateway's interface, %s neither to nor from %s (%s): a NAT gateway with secondary private addresses "+
			"sends and receives its outside traffic on them too, and this analysis, which follows %s alone, leaves that traffic out, so what the gateway processed is higher "+
			"by what of it the gateway received ('flowsql sql' on flows WHERE interface_id = '%s' shows those records).",
			words.PluralIs(v.OtherRecords, "IPv4 record"), gw.Address, words.Bytes(float64(v.OtherBytes)), gw.Address, gw.InterfaceID))
	}
	switch {
	case v.RejectedRecords > 0 && v.Records == 0:
		gw.Notes = append(gw.Notes, fmt.Sprintf("Every record of %s's traffic on its interface %s is of rejected traffic (%s): its flow log may record rejected traffic only "+
			"(traffic type REJECT), so what the gateway processed is not in the logs and cannot be computed. Record all traffic, or accepted traffic, on the gateway's subnet.",
			gw.Address, gw.InterfaceID, words.Plural(v.RejectedRecords, "record")))
		gw.BytesUnknown = true
		gw.Method = "none"
		return
	case v.RejectedRecords > 0:
		gw.Notes = append(gw.Notes, fmt.Sprintf("%s of traffic to the gateway that a network ACL rejected (%s): dropped before the gateway, it was not processed, and is not counted.",
			words.PluralIs(v.RejectedRecords, "record"), words.Bytes(float64(v.RejectedBytes))))
	}
	gw.RecordsWithoutAction, gw.BytesWithoutAction = v.RecordsWithoutAction, v.BytesWithoutAction
	if v.RecordsWithoutAction > 0 {
		gw.Notes = append(gw.Notes, recordsLacking("action", v.RecordsWithoutAction, v.Records+v.RejectedRecords)+fmt.Sprintf(" (a flow log format without ${action}): traffic that a network ACL rejected on its way to the gateway, which it did not process, "+
			"cannot be told apart in them and counts as processed, so the bytes processed, the costs, the 30-day rate and the tables may be high by what of their %s was rejected. "+
			"Add ${action} to the flow log format.", words.Bytes(float64(v.BytesWithoutAction))))
	}
	switch {
	case gw.ProcessedBytes == 0 && u.RecordsWithoutBytes > 0:
		// Records without bytes are not records without traffic.
		gw.BytesUnknown = true
		which := recordsLacking("bytes", u.RecordsWithoutBytes, u.Records)
		if u.RecordsWithoutBytes < u.Records {
			which += ", and the others record none processed"
		}
		gw.Notes = append(gw.Notes, which+" (a flow log format without ${bytes}): what it processed, the data processing charge, the total, the 30-day rate "+
			"and the tables of bytes cannot be computed; the gateway-hours can. Add ${bytes} to the flow log format.")
	case gw.ProcessedBytes == 0:
		gw.Notes = append(gw.Notes, fmt.Sprintf("No traffic through %s (interface %s) in the records of the period.", gw.Address, gw.InterfaceID))
		gw.Method = "none"
		return
	case u.RecordsWithoutBytes > 0:
		gw.Notes = append(gw.Notes, recordsLacking("bytes", u.RecordsWithoutBytes, u.Records)+" (a flow log format without ${bytes}): the bytes processed, the costs, "+
			"the 30-day rate and the tables count only the others, so they are low (at least what they say). Add ${bytes} to the flow log format.")
	}
	p := gw.Prices
	gw.ProcessingCost = Cost(gw.ProcessedBytes, p.PerGB)
	// Times no record can have (flagged at load): in milliseconds, or 0, they would stretch the
	// period, and the gateway-hours priced, by millennia or back to 1970.
	gw.BytesOddTime = v.BytesOddTime
	oddTimes := fmt.Sprintf("a start or end time no record can have (before VPC Flow Logs began in June 2015, or later than a day from now: in milliseconds, say; "+
		"'flowsql report load-errors' lists them), which the period, the gateway-hours, the rates and the hourly table leave out; their %s processed count in the bytes",
		words.Bytes(float64(v.BytesOddTime)))
	switch {
	case (v.FirstStart == nil || v.LastEnd == nil) && v.RecordsOddTime > 0:
		gw.PeriodUnknown = true
		gw.Notes = append(gw.Notes, fmt.Sprintf("Every one of the gateway's %s with a time has %s. So the period they cover, the gateway-hours, the total cost "+
			"and the 30-day rate cannot be computed, and the cost is that of data processing only.", words.Plural(v.Records, "record"), oddTimes))
	case v.FirstStart == nil || v.LastEnd == nil:
		gw.PeriodUnknown = true
		gw.Notes = append(gw.Notes, "The gateway's records have no start and end times (their flow log format has no ${start} and ${end}): "+
			"the period they cover, the gateway-hours, the total cost, the 30-day rate and the hours that stand out or lack records cannot be computed, "+
			"and the cost is that of data processing only. Add ${start} and ${end} to the flow log format.")
	default:
		// The records counted are those that overlap the period asked for, whole; the time is
		// the period's part that they cover, and the rate that of the bytes in it: the records
		// that overlap its edges in proportion to their time inside it (edges). A 2-minute
		// period can take in records of 10 minutes.
		first, last := *v.FirstStart, *v.LastEnd
		if !since.IsZero() && first < since.Unix() {
			first, gw.BeyondPeriod = since.Unix(), true
		}
		if !until.IsZero() && last > until.Unix() {
			last, gw.BeyondPeriod = until.Unix(), true
		}
		gw.FirstRecord, gw.LastRecord = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		gw.CoveredSeconds = max(last-first, 1)
		if gw.BeyondPeriod {
			gw.BytesInPeriod = gw.ProcessedBytes - e.WholeBytes + e.ProratedBytes
		}
		gw.Hours = int64(math.Ceil(float64(last)/3600) - math.Floor(float64(first)/3600))
		gw.HourlyCost = float64(gw.Hours) * p.PerHour
		gw.TotalCost = gw.ProcessingCost + gw.HourlyCost
		gw.MonthlyRate = gw.rateProcessing()*float64(HoursPer30Days*3600)/float64(gw.CoveredSeconds) + HoursPer30Days*p.PerHour
		if v.RecordsWithoutTime > 0 {
			gw.Notes = append(gw.Notes, fmt.Sprintf("%s of the gateway's %s %s no start or end time (a flow log format without ${start} or ${end}): "+
				"their bytes are counted, but the period, the gateway-hours and the rates come from the others' times only.",
				words.Count(v.RecordsWithoutTime), words.Plural(v.Records, "record"), words.Has(v.RecordsWithoutTime)))
		}
		if v.RecordsOddTime > 0 {
			gw.Notes = append(gw.Notes, fmt.Sprintf("%s of the gateway's %s %s %s.",
				words.Count(v.RecordsOddTime), words.Plural(v.Records, "record"), words.Has(v.RecordsOddTime), oddTimes))
		}
	}
	if gw.BytesUnknown {
		gw.TotalCost, gw.MonthlyRate = 0, 0 // the hours' part alone is no total
		gw.Method = "none"
		return
	}
	switch {
	case v.VPCSideWithPkt == v.VPCSideRecords:
		gw.Method = "exact"
		gw.MethodNote = "The records carry pkt-srcaddr/pkt-dstaddr: each source is paired with its destinations exactly."
	case v.VPCSideWithPkt == 0:
		gw.Method = "estimate"
		gw.MethodNote = "The records have no pkt-srcaddr/pkt-dstaddr (the default format): the processed bytes, the sources and the destinations are still exact, " +
			"from the gateway's VPC-side and outside legs, which are told apart by private addresses. Which source talked to which service is estimated " +
			"from each source's own interface records, in proportion; add pkt-srcaddr and pkt-dstaddr to the flow log format for exact pairs."
	default:
		gw.Method = "mixed"
		gw.MethodNote = fmt.Sprintf("%.0f%% of the VPC-side records carry the field that pairs them (pkt-dstaddr on a source's packets in, pkt-srcaddr on the replies out) and are paired exactly; "+
			"the rest, of formats without it, are estimated from the sources' own interface records.",
			100*float64(v.VPCSideWithPkt)/float64(v.VPCSideRecords))
	}
	// Every byte the gateway processes crosses its VPC side once, in or out: in a complete log
	// of its interface the VPC-side legs hold the processed bytes. Where they do not, legs of
	// one side are missing (records lost, a flow log begun late or filtered by address).
	if v.BytesBySource != gw.ProcessedBytes {
		note := fmt.Sprintf("The VPC-side records hold %s, the processed bytes %s: the sources' figures cover %.1f%% of the bill",
			words.Bytes(float64(v.BytesBySource)), words.Bytes(float64(gw.ProcessedBytes)), 100*float64(v.BytesBySource)/float64(gw.ProcessedBytes))
		switch {
		case v.BytesBySource > gw.ProcessedBytes*101/100:
			note += fmt.Sprintf(". The gateway's outside legs hold less than its VPC side, which a complete log of its interface does not show: records of them are missing, "+
				"so the processed bytes (what it received, as CloudWatch meters them) and the costs are low; the VPC-side records alone show at least %s processed",
				words.Bytes(float64(v.BytesBySource)))
		case v.BytesBySource < gw.ProcessedBytes*99/100:
			note += ": records of some sources' legs are missing, so the sources' tables are low"
		}
		gw.Notes = append(gw.Notes, note+".")
	}
}

// avoidable sums the bytes to S3 and DynamoDB: a gateway endpoint carries them free. region is
// the one nat-services compared their addresses' with ("" when not known).
func (gw *Gateway) avoidable(region string, services []serviceRow) {
	gw.AvoidableBytes = map[string]int64{}
	for _, s := range services {
		switch s.Service {
		case "S3", "DYNAMODB":
			gw.AvoidableBytes[s.Service] += s.Bytes
			gw.AvoidableCost += Cost(s.Bytes, gw.Prices.PerGB)
			gw.RegionUnknownBytes += s.RegionUnknownBytes
		case unknownService:
			gw.UnknownServiceBytes += s.Bytes
		default:
			if strings.HasPrefix(s.Service, "S3 (") || strings.HasPrefix(s.Service, "DYNAMODB (") {
				gw.OtherRegionBytes += s.Bytes
			}
		}
	}
	if gw.RegionUnknownBytes > 0 {
		why := "the region of their addresses is not known (AWS's ranges are not loaded: 'flowsql enrich aws-ranges' loads them)"
		if region == "" {
			why = "the gateway's region is not known (--region gives it)"
		}
		gw.Notes = append(gw.Notes, fmt.Sprintf("%s of the S3 and DynamoDB traffic counted as avoidable is of buckets or tables in a region not compared with the gateway's: %s. "+
			"A gateway endpoint reaches its own region's only, so what of it is elsewhere is not avoidable that way.", words.Bytes(float64(gw.RegionUnknownBytes)), why))
	}
	if gw.UnknownServiceBytes > 0 {
		gw.Notes = append(gw.Notes, fmt.Sprintf("%s of the gateway's traffic is with addresses whose AWS service nothing loaded tells (no AWS ranges are loaded, and not every flow log format has pkt-src-aws-service and pkt-dst-aws-service): "+
			"S3 and DynamoDB among them, which a gateway endpoint carries free, look like the internet, so the avoidable cost is a floor. Run 'flowsql enrich aws-ranges' to tell them apart.",
			words.Bytes(float64(gw.UnknownServiceBytes))))
	}
}

// unknownService is nat-services' row of the destinations whose service cannot be told.
const unknownService = "(unknown)"

// crossAZ sums the sources in another zone. Each byte they send or receive through the
// gateway crosses between zones once, and AWS charges it on both sides ($0.01/GB out of one
// zone, $0.01/GB into the other).
func (gw *Gateway) crossAZ(rows []crossAZRow) {
	var elsewhere int64 // of sources whose own records are of another network
	var where []string
	for _, v := range rows {
		if v.SourceAZ == "" || v.NATAZ == "" {
			gw.UnknownAZBytes += v.Bytes
			if v.SourceAZ == "" && v.SourceVPC != "" {
				elsewhere += v.Bytes
				if len(where) < 3 {
					where = append(where, v.Source+" in "+v.SourceVPC)
				}
			}
			continue
		}
		gw.CrossAZBytes += v.Bytes
	}
	gw.CrossAZCost = Cost(gw.CrossAZBytes, 2*gw.Prices.CrossAZPerGB)
	if rest := gw.UnknownAZBytes - elsewhere; rest > 0 {
		gw.Notes = append(gw.Notes, fmt.Sprintf("%s of the sources' traffic has no known availability zone: run 'flowsql enrich eni', or add az-id to the flow log format.",
			words.Bytes(float64(rest))))
	}
	if elsewhere > 0 {
		gw.Notes = append(gw.Notes, fmt.Sprintf("%s of the sources' traffic is of hosts whose own records are of another VPC or account than the gateway's (%s): "+
			"it reaches the gateway from outside its VPC (through a Transit Gateway, say), so their zones do not tell which zones it crosses on the way, and the cross-AZ figure leaves it out.",
			words.Bytes(float64(elsewhere)), strings.Join(where, ", ")))
	}
}

// endpoints weighs an interface endpoint for each AWS service other than S3 and DynamoDB.
func (gw *Gateway) endpoints(services []serviceRow, sources []sourceRow) {
	azs := map[string]bool{}
	for _, s := range sources {
		if s.AZ != "" {
			azs[s.AZ] = true
		}
	}
	n := max(len(azs), 1)
	p := gw.Prices
	for _, s := range services {
		if !strings.HasPrefix(s.Remedy, "interface endpoint") {
			continue // S3 and DynamoDB have free gateway endpoints; EC2's hosts, CloudFront's, AMAZON's mixed APIs, none of their own (nat_remedy)
		}
		c := EndpointCase{Service: s.Service, Bytes: s.Bytes, AZs: n, NATCost: Cost(s.Bytes, p.PerGB)}
		if !gw.PeriodUnknown {
			c.EndpointCost = float64(gw.Hours)*float64(n)*p.EndpointPerHour + Cost(s.Bytes, p.EndpointPerGB)
		}
		if p.PerGB > p.EndpointPerGB {
			c.BreakEvenGBPerMonth = HoursPer30Days * float64(n) * p.EndpointPerHour / (p.PerGB - p.EndpointPerGB)
		}
		gw.Endpoints = append(gw.Endpoints, c)
	}
}

// hourly lists the hours that stand out.
func (gw *Gateway) hourly(rows []hourRow) {
	for _, v := range rows {
		if v.Note == "stands out" {
			gw.StandOut = append(gw.StandOut, fmt.Sprintf("%s (%s, %sx the median hour)", v.Hour.UTC().Format("2006-01-02 15:04"),
				words.Bytes(float64(*v.Bytes)), strconv.FormatFloat(v.TimesMedian, 'f', -1, 64)))
		}
	}
}

// coverage reads nat-coverage.
func (gw *Gateway) coverage(c Coverage) {
	gw.Coverage = c
	if c.SkipDataRecords > 0 {
		gw.Notes = append(gw.Notes, words.Plural(c.SkipDataRecords, "SKIPDATA record")+": AWS dropped records of the gateway's interface in some windows, so the figures are low.")
	}
	if missing := c.HoursSpanned - c.HoursWithRecords; missing > 0 {
		note := fmt.Sprintf("%s of the %s hours spanned have no record of the gateway's interface (see the hourly table)", words.Count(missing), words.Count(c.HoursSpanned))
		// Those hours count in the 30-day rate as hours without traffic; if logs are missing
		// there, the rate is that of the part of the time covered that has records: its share
		// of the hours spanned (the rendering says both rates).
		if processing := gw.rateProcessing(); processing > 0 && c.HoursWithRecords > 0 {
			logged := float64(gw.CoveredSeconds) * float64(c.HoursWithRecords) / float64(c.HoursSpanned)
			gw.RateWithoutGaps = processing*float64(HoursPer30Days*3600)/logged + HoursPer30Days*gw.Prices.PerHour
		}
		note += ": a logged interface has records every hour, NODATA ones when it carries no traffic, so logs may be missing there, and then the figures are low"
		gw.Notes = append(gw.Notes, note+".")
	}
}

// silentEdges notes when the gateway's interface has no record in more than an hour at the
// start or the end of the flow logs that record it (their files', within the period asked
// for): the span of its records, which the hours, the hourly table and the rates are of, is
// then shorter than its logs', and nothing else says so. A logged interface has records every
// hour (NODATA ones when idle): the gateway did not exist then, or its records are missing.
// Files without a flow log ID in their name count as one flow log per format (flow_log_of).
func (r *runner) silentEdges(ctx context.Context, gw *Gateway, c Coverage) error {
	if c.FirstStart == nil || c.LastEnd == nil {
		return nil
	}
	var first, last sql.NullTime
	err := r.db.QueryRowContext(ctx, `
        WITH logs AS (
            SELECT DISTINCT flow_log_of(f.flow_log_id, f.header) AS flow_log
            FROM file_interfaces AS i JOIN ingested_files AS f ON f.file_id = i.file_id
            WHERE i.interface_id = $1
        )
        SELECT min(first_start), max(last_end) FROM ingested_files
        WHERE target = 'flows' AND flow_log_of(flow_log_id, header) IN (SELECT flow_log FROM logs)`, gw.InterfaceID).Scan(&first, &last)
	if err != nil || !first.Valid || !last.Valid {
		return err
	}
	f := r.opts.Filters
	from, to := first.Time.Unix(), last.Time.Unix()
	if !f.Since.IsZero() {
		from = max(from, f.Since.Unix())
	}
	if !f.Until.IsZero() {
		to = min(to, f.Until.Unix())
	}
	stamp := func(sec int64) string { return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04") }
	var silent []string
	if d := *c.FirstStart - from; d > 3600 {
		silent = append(silent, fmt.Sprintf("in the %s from %s to its first, at %s", span(d), stamp(from), stamp(*c.FirstStart)))
	}
	if d := to - *c.LastEnd; d > 3600 {
		silent = append(silent, fmt.Sprintf("in the %s from its last, at %s, to %s", span(d), stamp(*c.LastEnd), stamp(to)))
	}
	if len(silent) == 0 {
		return nil
	}
	gw.Notes = append(gw.Notes, fmt.Sprintf("The gateway's interface has no record %s, where the flow logs that record it hold others: a logged interface has records every hour "+
		"(NODATA ones when it is idle), so either the gateway did not exist then or its records are missing there. Its period, gateway-hours, rates and hourly table are of its records' time only.",
		strings.Join(silent, ", nor ")))
	return nil
}

// addCost appends a cost column (bytes at a rate per GB) to a table with a bytes column.
func addCost(res *output.Result, name string, perGB float64) error {
	rows, err := queries.Scan[bytesRow](res)
	if err != nil {
		return err
	}
	res.Columns = append(res.Columns, output.Column{Name: name, Type: "DOUBLE"})
	for i, r := range rows {
		res.Rows[i] = append(res.Rows[i], Cost(r.Bytes, perGB))
	}
	return nil
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
