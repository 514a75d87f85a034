package nat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowsql/flowsql/internal/output"
	"github.com/flowsql/flowsql/internal/words"
)

// RenderOptions choose how a report is written.
type RenderOptions struct {
	Markdown bool // Markdown for a ticket or a pull request, else text for a terminal
	ShowSQL  bool // each table followed by the SQL that produced it
}

// Render writes the report for people.
func Render(w io.Writer, rep *Report, o RenderOptions) error {
	r := &renderer{w: w, o: o, labels: labels(rep.Gateways)}
	if t := rep.Together; t != nil {
		r.together(rep, t)
	}
	for i, gw := range rep.Gateways {
		if i > 0 {
			r.printf("\n")
		}
		r.gateway(rep, gw)
	}
	return r.err
}

// together writes what several gateways processed and cost between them, and each one's part.
func (r *renderer) together(rep *Report, t *Together) {
	r.heading(1, fmt.Sprintf("%d NAT gateways together", t.Gateways))
	least := ""
	if len(t.Unknown) > 0 {
		least = "at least "
	}
	cost := fmt.Sprintf("%s%s: %s data processing + %s for the gateway-hours", least, money(t.TotalCost), money(t.ProcessingCost), money(t.HourlyCost))
	facts := [][2]string{
		{"Processed", least + words.Bytes(float64(t.ProcessedBytes))},
		{"Cost", cost},
		{"At this rate", least + money(t.MonthlyRate) + " per 30 days"},
		{"Avoidable", least + money(t.AvoidableCost) + " (S3 and DynamoDB through the gateways)"},
		{"Cross-AZ", least + money(t.CrossAZCost) + " more"},
	}
	if unknown := r.labelsOf(rep, (*Gateway).figuresUnknown); len(unknown) > 0 {
		facts = append(facts, [2]string{"Unknown", "some figures of " + strings.Join(unknown, ", ") + " (see its analysis): the sums count what is known"})
	}
	if twice := r.labelsOf(rep, func(gw *Gateway) bool { return len(gw.OverlappingFlowLogs) > 0 }); len(twice) > 0 {
		facts = append(facts, [2]string{"Too high", "the figures of " + strings.Join(twice, ", ") + ", whose interface more than one flow log records at the same time (see its analysis): the sums count its traffic once per flow log"})
	}
	if noAction := r.labelsOf(rep, func(gw *Gateway) bool { return gw.RecordsWithoutAction > 0 }); len(noAction) > 0 {
		facts = append(facts, [2]string{"May be high", "the figures of " + strings.Join(noAction, ", ") + ", some of whose records have no action field (see its analysis): the sums may count traffic rejected before the gateway as processed"})
	}
	r.facts(facts)
	res := &output.Result{Columns: []output.Column{{Name: "gateway", Type: "VARCHAR"}, {Name: "zone", Type: "VARCHAR"},
		{Name: "bytes", Type: "BIGINT"}, {Name: "cost", Type: "DOUBLE"}, {Name: "cost_per_30_days", Type: "DOUBLE"}}}
	for _, gw := range rep.Gateways {
		name := r.labels[gw]
		var bytes, cost, rate any = gw.ProcessedBytes, gw.TotalCost, gw.MonthlyRate
		if gw.BytesUnknown {
			bytes = nil
		}
		if gw.BytesUnknown || gw.PeriodUnknown {
			cost, rate = nil, nil // unknown, not none: blank
		}
		res.Rows = append(res.Rows, []any{name, gw.AZ, bytes, cost, rate})
	}
	r.table(res)
}

// labelsOf lists the labels of the report's gateways that match.
func (r *renderer) labelsOf(rep *Report, match func(*Gateway) bool) []string {
	var out []string
	for _, gw := range rep.Gateways {
		if match(gw) {
			out = append(out, r.labels[gw])
		}
	}
	return out
}

// RenderJSON writes the report for machines: every figure with its columns, rows and SQL.
func RenderJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// MarshalJSON writes a figure with its rows as objects.
func (f *Figure) MarshalJSON() ([]byte, error) {
	var rows bytes.Buffer
	if err := output.Write(&rows, f.Result, output.JSON, output.Options{}); err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Name  string          `json:"name"`
		Title string          `json:"title"`
		SQL   string          `json:"sql"`
		Rows  json.RawMessage `json:"rows"`
	}{f.Name, f.Title, f.SQL, rows.Bytes()})
}

// sparseColumns are left out of tables for people while no row has a value (the enrichment
// columns before flowsql enrich has run; nat-services' region_unknown_bytes when every S3 and
// DynamoDB address's region was compared; nat-cross-az's source_vpc when no source is of
// another network); JSON keeps them.
var sparseColumns = []string{"interface_id", "instance_id", "subnet_id", "az", "name", "aws_service", "network", "organisation", "region_unknown_bytes", "source_vpc"}

type renderer struct {
	w      io.Writer
	o      RenderOptions
	labels map[*Gateway]string // see labels
	err    error
}

func (r *renderer) printf(format string, args ...any) {
	if r.err == nil {
		_, r.err = fmt.Fprintf(r.w, format, args...)
	}
}

func (r *renderer) heading(level int, text string) {
	if r.o.Markdown {
		r.printf("%s %s\n\n", strings.Repeat("#", level+1), text)
		return
	}
	if level == 1 {
		r.printf("%s\n%s\n\n", text, strings.Repeat("=", len([]rune(text))))
		return
	}
	r.printf("%s\n%s\n", text, strings.Repeat("-", len([]rune(text))))
}

// facts writes label-value lines: a list in Markdown, aligned lines on a terminal.
func (r *renderer) facts(kv [][2]string) {
	width := 0
	for _, f := range kv {
		width = max(width, len(f[0]))
	}
	for _, f := range kv {
		if r.o.Markdown {
			r.printf("- **%s**: %s\n", f[0], f[1])
		} else {
			r.printf("  %-*s  %s\n", width, f[0], f[1])
		}
	}
	r.printf("\n")
}

func (r *renderer) table(res *output.Result) {
	if r.err != nil {
		return
	}
	f := output.Table
	if r.o.Markdown {
		f = output.Markdown
	}
	shown := *res
	shown.Rows = slices.Clone(res.Rows)
	shown.DropEmpty(sparseColumns)
	r.err = output.Write(r.w, &shown, f, output.Options{Human: true})
	r.printf("\n")
}

func (r *renderer) sql(f *Figure) {
	if !r.o.ShowSQL {
		return
	}
	if r.o.Markdown {
		r.printf("<details><summary>SQL (%s)</summary>\n\n```sql\n%s\n```\n\n</details>\n\n", f.Name, strings.TrimSpace(f.SQL))
		return
	}
	r.printf("  SQL (%s):\n", f.Name)
	for _, line := range strings.Split(strings.TrimSpace(f.SQL), "\n") {
		r.printf("    %s\n", line)
	}
	r.printf("\n")
}

// name is how the report names a gateway: its ID and address, or its address.
func (gw *Gateway) name() string {
	if gw.NATGatewayID != "" {
		return gw.NATGatewayID + " (" + gw.Address + ")"
	}
	return gw.Address
}

// labels names each gateway for people: by its id and address, and where two share those
// (accounts whose VPCs are made from one template, and gateways not in the eni table), by its
// account too, or else its interface.
func labels(gws []*Gateway) map[*Gateway]string {
	byName := map[string][]*Gateway{}
	for _, gw := range gws {
		byName[gw.name()] = append(byName[gw.name()], gw)
	}
	out := map[*Gateway]string{}
	for name, same := range byName {
		accounts := map[string]bool{}
		for _, gw := range same {
			accounts[gw.Account] = true
		}
		for _, gw := range same {
			switch {
			case len(same) == 1:
				out[gw] = name
			case len(accounts) == len(same) && gw.Account != "":
				out[gw] = name + " in account " + gw.Account
			default:
				out[gw] = name + " on " + gw.InterfaceID
			}
		}
	}
	return out
}

func (r *renderer) gateway(rep *Report, gw *Gateway) {
	r.heading(1, "NAT gateway "+r.labels[gw])
	p := gw.Prices
	where := []string{"interface " + gw.InterfaceID}
	if gw.AZ != "" {
		where = append(where, gw.AZ)
	}
	if gw.Region != "" {
		where = append(where, gw.Region)
	} else {
		where = append(where, "region not known") // the prices are said, with the region whose they are
	}
	if gw.Account != "" {
		where = append(where, "account "+gw.Account)
	}
	facts := [][2]string{{"Gateway", strings.Join(where, ", ") + "; found by " + gw.FoundBy}}
	if gw.ProcessedBytes == 0 && !gw.BytesUnknown {
		facts = append(facts, [2]string{"Processed", "nothing in the period"})
		r.facts(facts)
		r.notes(gw)
		return
	}
	period := fmt.Sprintf("%s to %s UTC (%s of records)", gw.FirstRecord.Format("2006-01-02 15:04:05"), gw.LastRecord.Format("2006-01-02 15:04:05"),
		span(gw.CoveredSeconds))
	if rep.Since != nil || rep.Until != nil {
		period += ", within the period asked for"
	}
	if gw.BeyondPeriod {
		period += fmt.Sprintf("; records that overlap its edges count whole in the bytes and costs, and the rate is of the %s inside it (their bytes in proportion to their time inside)",
			words.Bytes(float64(gw.BytesInPeriod)))
	}
	hours := fmt.Sprintf("%s for %s (× %s; AWS bills each hour begun, and these are the clock hours the records touch)",
		money(gw.HourlyCost), words.Plural(gw.Hours, "gateway-hour"), rate(p.PerHour))
	prices := [2]string{"Prices", fmt.Sprintf("%s: %s/GB processed, %s/hour (GB = 2^30 bytes)", p.Source, rate(p.PerGB), rate(p.PerHour))}
	cost := fmt.Sprintf("%s data processing (%s GB × %s/GB) + %s = %s",
		money(gw.ProcessingCost), gb(gw.ProcessedBytes), rate(p.PerGB), hours, money(gw.TotalCost))
	if gw.PeriodUnknown {
		period = "unknown: the records have no start and end times"
		cost = fmt.Sprintf("%s data processing (%s GB × %s/GB), and %s per gateway-hour for hours that the records cannot tell",
			money(gw.ProcessingCost), gb(gw.ProcessedBytes), rate(p.PerGB), rate(p.PerHour))
	}
	if gw.Evidence == "contradicted" {
		facts = append(facts, [2]string{"Caution", "the evidence says this address is not a NAT gateway (see the notes); the figures treat it as one"})
	}
	if gw.BytesUnknown {
		// The records say when, not how much: the hours are all that can be priced.
		cost = "data processing unknown; " + hours
		rate30 := fmt.Sprintf("unknown for data processing; %d gateway-hours are %s per 30 days", HoursPer30Days, money(HoursPer30Days*p.PerHour))
		if gw.PeriodUnknown {
			cost, rate30 = "unknown: the records have neither bytes nor times", "unknown"
		}
		facts = append(facts,
			[2]string{"Records", period},
			[2]string{"Processed", fmt.Sprintf("unknown: %s of its records %s no bytes field (see the notes)", words.Count(gw.RecordsWithoutBytes), words.Has(gw.RecordsWithoutBytes))},
			[2]string{"Cost", cost},
			[2]string{"At this rate", rate30},
			prices,
		)
		r.facts(facts)
		r.coverage(gw)
		r.notes(gw)
		return
	}
	once := "each byte counted once"
	if n := len(gw.OverlappingFlowLogs); n > 0 {
		// Each flow log that records the interface counts its traffic: too high.
		once = fmt.Sprintf("each byte counted once per flow log that records the interface: too high, with the costs below, since %d do at the same time (%s; see the notes)",
			n, strings.Join(gw.OverlappingFlowLogs, ", "))
	}
	processed := fmt.Sprintf("%s (%s GB): %s from sources, %s from destinations, %s",
		words.Bytes(float64(gw.ProcessedBytes)), gb(gw.ProcessedBytes), words.Bytes(float64(gw.BytesFromSource)), words.Bytes(float64(gw.BytesFromDestination)), once)
	rate30 := atThisRate(gw)
	if n := gw.Coverage.SkipDataRecords; n > 0 {
		processed += fmt.Sprintf("; AWS skipped records of its interface in some windows (%s; see the notes)", words.Plural(n, "SKIPDATA record"))
	}
	if gw.UncountedBytes > 0 {
		processed += fmt.Sprintf("; its interface also carried %s that this count, following %s, leaves out (NAT64, secondary addresses; see the notes)",
			words.Bytes(float64(gw.UncountedBytes)), gw.Address)
	}
	if gw.RecordsWithoutBytes > 0 || gw.Coverage.SkipDataRecords > 0 || gw.UncountedBytes > 0 {
		// Some records have no bytes, were skipped, or are not counted: a floor.
		processed, cost, rate30 = "at least "+processed, cost+", at least", "at least "+rate30
	}
	if gw.RecordsWithoutAction > 0 {
		// Rejected traffic cannot be told apart in some records: it may count as processed.
		processed += fmt.Sprintf("; may include traffic rejected before the gateway: %s of its records %s no action field (see the notes)",
			words.Count(gw.RecordsWithoutAction), words.Has(gw.RecordsWithoutAction))
	}
	facts = append(facts,
		[2]string{"Records", period},
		[2]string{"Processed", processed},
		[2]string{"Cost", cost},
		[2]string{"At this rate", rate30},
	)
	var avoid []string
	var avoidBytes int64
	for _, s := range sortedKeys(gw.AvoidableBytes) {
		avoid = append(avoid, fmt.Sprintf("%s %s", s, words.Bytes(float64(gw.AvoidableBytes[s]))))
		avoidBytes += gw.AvoidableBytes[s]
	}
	unknownServices := ""
	if gw.UnknownServiceBytes > 0 {
		unknownServices = fmt.Sprintf("the AWS service of %s of it is not known (see the notes)", words.Bytes(float64(gw.UnknownServiceBytes)))
	}
	switch {
	case len(avoid) > 0:
		atLeast := ""
		if unknownServices != "" {
			atLeast, unknownServices = "at least ", "; "+unknownServices
		}
		facts = append(facts, [2]string{"Avoidable", fmt.Sprintf("%s%s (%.0f%% of the processing charge): %s through the gateway; gateway endpoints for S3 and DynamoDB are free%s%s",
			atLeast, money(gw.AvoidableCost), 100*float64(avoidBytes)/float64(gw.ProcessedBytes), strings.Join(avoid, ", "), otherRegions(gw), unknownServices)})
	case unknownServices != "":
		facts = append(facts, [2]string{"Avoidable", "not known: no S3 or DynamoDB traffic of the gateway's region found through the gateway" + otherRegions(gw) + ", and " + unknownServices})
	default:
		facts = append(facts, [2]string{"Avoidable", "no S3 or DynamoDB traffic of the gateway's region found through the gateway" + otherRegions(gw)})
	}
	unknownZones := ""
	if gw.UnknownAZBytes > 0 {
		unknownZones = fmt.Sprintf("the zone of the sources of %s of it is not known (see the notes)", words.Bytes(float64(gw.UnknownAZBytes)))
	}
	switch {
	case gw.CrossAZBytes > 0:
		atLeast := ""
		if unknownZones != "" {
			atLeast, unknownZones = "at least ", "; "+unknownZones
		}
		facts = append(facts, [2]string{"Cross-AZ", fmt.Sprintf("%s from sources in other zones than %s: %s%s more (%s/GB each way; one NAT gateway per zone avoids it)%s",
			words.Bytes(float64(gw.CrossAZBytes)), gw.AZ, atLeast, money(gw.CrossAZCost), rate(p.CrossAZPerGB), unknownZones)})
	case unknownZones != "":
		facts = append(facts, [2]string{"Cross-AZ", "not known: " + unknownZones})
	default:
		facts = append(facts, [2]string{"Cross-AZ", "every source is in the gateway's zone"})
	}
	if b := gw.Billed; b != nil {
		facts = append(facts, [2]string{"Bill", fmt.Sprintf("Cost Explorer billed %s for %s GB processed and %s for %s gateway-hours in %s on the %s of the records, for every NAT gateway of the account there; this gateway's records explain %s GB of it (%.1f%%). Computed here from the records: %s; %s",
			money(b.ProcessingCost), strconv.FormatFloat(b.ProcessedGB, 'f', 2, 64), money(b.HoursCost), strconv.FormatFloat(b.Hours, 'f', -1, 64), b.Region, pluralDays(b.Days),
			gb(b.LoggedBytes), 100*b.Explained, money(b.Computed), difference(b.Difference))})
	}
	if m := gw.Metered; m != nil {
		text := fmt.Sprintf("metered %s processed in the %s of the records (%s at %s/GB); the flow logs explain %s of it (%.1f%%)",
			words.Bytes(float64(m.MeteredBytes)), words.Plural(m.Hours, "hour"), money(m.MeteredCost), rate(p.PerGB),
			words.Bytes(float64(m.LoggedBytes)), 100*m.Explained)
		if len(m.ShortHours) > 0 {
			text += fmt.Sprintf("; in %s the logs fall short by more than 5%%: %s", words.Plural(int64(len(m.ShortHours)), "hour"), strings.Join(m.ShortHours, "; "))
		}
		facts = append(facts, [2]string{"CloudWatch", text})
	}
	if len(gw.StandOut) > 0 {
		facts = append(facts, [2]string{"Stands out", strings.Join(gw.StandOut, "; ")})
	}
	facts = append(facts,
		[2]string{"Pairing", gw.Method + ". " + gw.MethodNote},
		prices,
	)
	r.facts(facts)

	for _, f := range gw.Figures {
		if coverageFigures[f.Name] {
			continue
		}
		switch f.Name {
		case "nat-hourly":
			if gw.PeriodUnknown {
				r.heading(2, f.Title)
				r.printf("Unknown: the records have no start times.\n\n")
				continue
			}
			r.hourlyFigure(f, "none stands out (more than 3x the median hour) and none is without records", "those that stand out or have no records")
			continue
		case "nat-billed":
			r.heading(2, f.Title)
			r.table(f.Result)
			r.printf("The bill covers every NAT gateway of the account in the region, and each whole day; the records, this gateway and the hours they hold.\n\n")
			r.sql(f)
			continue
		case "nat-metered":
			r.hourlyFigure(f, "in each the logs explain the meter within 5%", "those where the logs and the meter differ by more than 5%")
			continue
		case "nat-cross-az":
			if len(f.Result.Rows) == 0 {
				continue
			}
		}
		r.heading(2, f.Title)
		r.table(f.Result)
		r.sql(f)
	}
	if len(gw.Endpoints) > 0 {
		r.heading(2, "Interface endpoints for the other AWS services")
		res := &output.Result{Columns: []output.Column{{Name: "service", Type: "VARCHAR"}, {Name: "bytes", Type: "BIGINT"},
			{Name: "cost_nat", Type: "DOUBLE"}, {Name: "cost_endpoint", Type: "DOUBLE"}, {Name: "zones", Type: "INTEGER"}, {Name: "break_even_gb", Type: "DOUBLE"}}}
		for _, e := range gw.Endpoints {
			var endpoint any = e.EndpointCost
			if gw.PeriodUnknown {
				endpoint = nil // its hours are unknown
			}
			res.Rows = append(res.Rows, []any{e.Service, e.Bytes, e.NATCost, endpoint, int64(e.AZs), e.BreakEvenGBPerMonth})
		}
		r.table(res)
		r.printf("An interface endpoint costs %s per hour per zone plus %s/GB; it pays off above break_even_gb a month.\n\n", rate(p.EndpointPerHour), rate(p.EndpointPerGB))
	}
	r.coverage(gw)
	r.notes(gw)
}

// hourlyFigure shows the hours of a figure whose last column (a note) is set: quiet says
// what it means that none is, marked what the hours shown are. Consecutive hours alike in
// every column but the first (a month of logs missing: hundreds of hours without records)
// show as one row, from the first to the last.
func (r *renderer) hourlyFigure(f *Figure, quiet, marked string) {
	r.heading(2, f.Title)
	noted := &output.Result{Columns: slices.Clone(f.Result.Columns)}
	noted.Columns[0].Type = "VARCHAR" // an hour, or a run of them
	rows := f.Result.Rows
	for i := 0; i < len(rows); i++ {
		row := rows[i]
		if output.Text(row[len(row)-1], "") == "" {
			continue
		}
		j := i
		for j+1 < len(rows) && slices.EqualFunc(rows[j+1][1:], row[1:], func(a, b any) bool { return output.Text(a, "") == output.Text(b, "") }) {
			j++
		}
		hours := output.Text(row[0], f.Result.Columns[0].Type)
		if j > i {
			hours = fmt.Sprintf("%s to %s (%s)", hours, output.Text(rows[j][0], f.Result.Columns[0].Type), words.Plural(int64(j-i+1), "hour"))
		}
		noted.Rows = append(noted.Rows, append([]any{hours}, row[1:]...))
		i = j
	}
	if len(noted.Rows) == 0 {
		r.printf("%s; %s.\n\n", words.Plural(int64(len(f.Result.Rows)), "hour"), quiet)
	} else {
		r.printf("%s; %s:\n\n", words.Plural(int64(len(f.Result.Rows)), "hour"), marked)
		r.table(noted)
	}
	r.sql(f)
}

// coverageFigures are the figures whose tables the facts say: their SQL goes under the coverage.
var coverageFigures = map[string]bool{"nat-summary": true, "nat-coverage": true, "nat-unmeasured": true, "nat-edges": true}

func (r *renderer) coverage(gw *Gateway) {
	c := gw.Coverage
	r.heading(2, "Coverage of the logs")
	status := fmt.Sprintf("%s OK, %s NODATA, %s SKIPDATA records", words.Count(c.OKRecords), words.Count(c.NoDataRecords), words.Count(c.SkipDataRecords))
	if c.StatusUnknown > 0 {
		status += fmt.Sprintf(", and %d without traffic whose format has no log-status field: NODATA or SKIPDATA, which it cannot tell apart (SKIPDATA would mean the figures are low)", c.StatusUnknown)
	}
	hours := fmt.Sprintf("%d of %s %s records", c.HoursWithRecords, words.Plural(c.HoursSpanned, "hour"), words.Has(c.HoursWithRecords))
	if gw.PeriodUnknown {
		hours = "the hours with records are unknown (no start times)"
	}
	lines := [][2]string{
		{"Gateway interface", hours + "; " + status},
	}
	if c.InterfacesKnown > 0 {
		lines = append(lines, [2]string{"Interfaces", fmt.Sprintf("%d in the logs; %d of the %d that flowsql enrich eni recorded do not appear",
			c.InterfacesLogged, c.KnownNotLogged, c.InterfacesKnown)})
	} else {
		lines = append(lines, [2]string{"Interfaces", fmt.Sprintf("%d in the logs (run flowsql enrich eni to compare with the VPC's)", c.InterfacesLogged)})
	}
	r.facts(lines)
	for _, f := range gw.Figures {
		if coverageFigures[f.Name] {
			r.sql(f)
		}
	}
}

func (r *renderer) notes(gw *Gateway) {
	if len(gw.Notes) == 0 {
		return
	}
	r.heading(2, "Notes")
	for _, n := range gw.Notes {
		if r.o.Markdown {
			r.printf("- %s\n", n)
		} else {
			r.printf("  - %s\n", n)
		}
	}
	r.printf("\n")
}

// money writes an amount of dollars: cents, more digits below a cent, thousands separated.
// difference says how the bill compares with the figures computed from the records.
func difference(d float64) string {
	if d >= 0 {
		return "the bill is " + money(d) + " more: traffic and hours the records do not hold"
	}
	return "the bill is " + money(-d) + " less: the records hold more than was billed (another account's bill, or days not final)"
}

// atThisRate is the 30-day rate, with what it stands on: under a day of records holds no
// daily cycle, and hours of the span without records count as hours without traffic.
func atThisRate(gw *Gateway) string {
	if gw.PeriodUnknown {
		return "unknown: a rate needs the time the records cover"
	}
	s := fmt.Sprintf("%s per 30 days: data processing at the rate of the %s the records cover, plus %d gateway-hours",
		money(gw.MonthlyRate), span(gw.CoveredSeconds), HoursPer30Days)
	if gw.RateWithoutGaps > 0 {
		s += fmt.Sprintf("; %s if the hours without records lost logs rather than had no traffic", money(gw.RateWithoutGaps))
	}
	if gw.CoveredSeconds < 24*3600 {
		s += "; from under a day of records, so traffic that follows the time of day can make it far off either way"
	}
	return s
}

func money(v float64) string {
	if v != 0 && v < 0.01 && v > -0.01 {
		return "$" + small(v)
	}
	return "$" + output.Cents(v)
}

// rate writes a price as given: $0.045.
// rate is a price per unit: as given ($0.045), or at most six decimals when derived from a bill.
func rate(v float64) string {
	return "$" + strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

func gb(b int64) string {
	if v := float64(b) / GB; v != 0 && v < 0.01 {
		return small(v)
	}
	return fmt.Sprintf("%.2f", float64(b)/GB)
}

// small writes a number under 0.01 (and not 0) with at least four decimals and two
// significant digits, so that a small amount does not read as none: 0.0050, 0.0000069.
func small(v float64) string {
	d := max(4, int(-math.Floor(math.Log10(math.Abs(v))))+1)
	return strconv.FormatFloat(v, 'f', min(d, 12), 64)
}

// span writes a length of time as people read it: 1 h 0 min, 3 d 4 h, 45 s.
func span(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d d %d h", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%d h %d min", d/time.Hour, d%time.Hour/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%d min %d s", d/time.Minute, d%time.Minute/time.Second)
	}
	return fmt.Sprintf("%d s", seconds)
}

// otherRegions says how much went to S3 and DynamoDB in other regions, which no gateway
// endpoint reaches ("" when none did).
func otherRegions(gw *Gateway) string {
	if gw.OtherRegionBytes == 0 {
		return ""
	}
	return fmt.Sprintf("; not %s to S3 and DynamoDB in other regions, which a gateway endpoint does not reach (one reaches its own region's only)", words.Bytes(float64(gw.OtherRegionBytes)))
}
