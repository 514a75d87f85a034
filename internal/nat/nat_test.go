package nat_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/fakeaws"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/internal/nat"
	"github.com/flowsql/flowsql/internal/output"
	"github.com/flowsql/flowsql/pkg/enrich"
	"github.com/flowsql/flowsql/pkg/ingest"
	"github.com/flowsql/flowsql/pkg/queries"
)

// scenario loads generated flow logs and returns the database and the generator's truth.
func scenario(t *testing.T, cfg flowgen.Config) (*sql.DB, flowgen.Truth) {
	t.Helper()
	dir := t.TempDir()
	_, truth, err := flowgen.New(cfg).WriteTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return openLoaded(t, filepath.Join(t.TempDir(), "nat.duckdb"), dir), truth
}

// openLoaded opens a database at path (flowsql.Memory for one in memory) and loads the flow
// logs under dir into it.
func openLoaded(t *testing.T, path, dir string) *sql.DB {
	t.Helper()
	ctx := context.Background()
	db, err := flowsql.Open(ctx, path, flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, err := ingest.LocalFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	return db
}

// snapshotENIs records the generated world's interfaces, as flowsql enrich eni would, from the
// loopback EC2 through a real SDK client.
func snapshotENIs(t *testing.T, db *sql.DB) {
	t.Helper()
	srv := httptest.NewServer(fakeaws.NewEC2())
	defer srv.Close()
	client := ec2.New(ec2.Options{Region: flowgen.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	if _, err := enrich.SnapshotENIs(context.Background(), db, client, flowgen.Region); err != nil {
		t.Fatal(err)
	}
}

func analyze(t *testing.T, db *sql.DB, opts nat.Options) *nat.Report {
	t.Helper()
	set, err := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := nat.Analyze(context.Background(), db, set, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func figure(t *testing.T, gw *nat.Gateway, name string) *output.Result {
	t.Helper()
	for _, f := range gw.Figures {
		if f.Name == name {
			return f.Result
		}
	}
	t.Fatalf("no figure %s", name)
	return nil
}

// column reads a table as a map from its first column to one of its int columns.
func column(t *testing.T, res *output.Result, name string) map[string]int64 {
	t.Helper()
	c := -1
	for i, col := range res.Columns {
		if col.Name == name {
			c = i
		}
	}
	if c < 0 {
		t.Fatalf("no column %s in %v", name, res.Columns)
	}
	m := map[string]int64{}
	for _, r := range res.Rows {
		var n int64
		fmt.Sscan(output.Text(r[c], ""), &n)
		m[output.Text(r[0], "")] += n
	}
	return m
}

func sameMap(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d entries, want %d\n got %v\nwant %v", what, len(got), len(want), got, want)
		return
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s[%s] = %d, want %d", what, k, got[k], w)
		}
	}
}

// TestGroundTruth: on the NAT scenario with pkt-* fields, every figure equals what the
// generator put through the NAT gateway, to the byte and the cent.
func TestGroundTruth(t *testing.T) {
	db, truth := scenario(t, flowgen.Config{Seed: 11, Files: 24, RowsPerFile: 1500, SurgeFrom: 12})
	rep := analyze(t, db, nat.Options{Top: 1000})
	if len(rep.Gateways) != 1 {
		t.Fatalf("%d gateways", len(rep.Gateways))
	}
	gw := rep.Gateways[0]
	if gw.Address != flowgen.NATAddr || gw.InterfaceID != flowgen.NATENI || gw.AZ != flowgen.NATAZ || gw.Region != flowgen.Region {
		t.Errorf("gateway %s %s %s %s", gw.Address, gw.InterfaceID, gw.AZ, gw.Region)
	}
	if gw.ProcessedBytes != truth.NATBytes {
		t.Errorf("processed %d bytes, the generator put %d through the NAT", gw.ProcessedBytes, truth.NATBytes)
	}
	wantCost := float64(truth.NATBytes)/(1<<30)*0.045 + float64(gw.Hours)*0.045
	if math.Abs(gw.TotalCost-wantCost) > 1e-9 || gw.Hours != 3 {
		t.Errorf("cost $%f over %d hours, want $%f over 3", gw.TotalCost, gw.Hours, wantCost)
	}
	if gw.Method != "exact" {
		t.Errorf("method %s", gw.Method)
	}
	sameMap(t, "sources", column(t, figure(t, gw, "nat-sources"), "bytes"), truth.NATBySource)
	sameMap(t, "destinations", column(t, figure(t, gw, "nat-destinations"), "bytes"), truth.NATByDest)
	services := map[string]int64{}
	for svc, b := range truth.NATByService {
		if svc == "" {
			svc = "(not AWS)"
		}
		services[svc] = b
	}
	sameMap(t, "services", column(t, figure(t, gw, "nat-services"), "bytes"), services)
	if gw.AvoidableBytes["S3"] != truth.NATByService["S3"] || gw.AvoidableBytes["DYNAMODB"] != truth.NATByService["DYNAMODB"] {
		t.Errorf("avoidable %v, want S3 %d DYNAMODB %d", gw.AvoidableBytes, truth.NATByService["S3"], truth.NATByService["DYNAMODB"])
	}
	// Without AWS's ranges, the logs' pkt-dst-aws-service names S3 but not its region, which a
	// gateway endpoint must share: said.
	if notes := strings.Join(gw.Notes, " "); gw.RegionUnknownBytes != truth.NATByService["S3"]+truth.NATByService["DYNAMODB"] ||
		!strings.Contains(notes, "is of buckets or tables in a region not compared with the gateway's: the region of their addresses is not known") {
		t.Errorf("S3 and DynamoDB bytes of unknown region: %d; notes: %s", gw.RegionUnknownBytes, notes)
	}
	wantAvoidable := float64(truth.NATByService["S3"]+truth.NATByService["DYNAMODB"]) / (1 << 30) * 0.045
	if math.Abs(gw.AvoidableCost-wantAvoidable) > 1e-9 {
		t.Errorf("avoidable $%f, want $%f", gw.AvoidableCost, wantAvoidable)
	}
	// Avoidable by source and service: "10.0.2.34 S3" -> bytes.
	perSource := map[string]int64{}
	avoid := figure(t, gw, "nat-avoidable")
	for _, r := range avoid.Rows {
		var n int64
		fmt.Sscan(output.Text(r[2], ""), &n)
		perSource[output.Text(r[0], "")+" "+output.Text(r[1], "")] = n
		if r[3] != "pkt-dstaddr" {
			t.Errorf("avoidable method %v", r[3])
		}
	}
	wantPerSource := map[string]int64{}
	for k, b := range truth.NATBySourceService {
		if strings.HasSuffix(k, " S3") || strings.HasSuffix(k, " DYNAMODB") {
			wantPerSource[k] = b
		}
	}
	sameMap(t, "avoidable by source", perSource, wantPerSource)
	// Cross-AZ: the sources outside the NAT's zone, and their charge on top.
	sameMap(t, "cross-AZ", column(t, figure(t, gw, "nat-cross-az"), "bytes"), truth.CrossAZ)
	var crossAZ int64
	for _, b := range truth.CrossAZ {
		crossAZ += b
	}
	if gw.CrossAZBytes != crossAZ || math.Abs(gw.CrossAZCost-float64(crossAZ)/(1<<30)*0.02) > 1e-9 || gw.UnknownAZBytes != 0 {
		t.Errorf("cross-AZ %d bytes $%f (unknown %d), want %d", gw.CrossAZBytes, gw.CrossAZCost, gw.UnknownAZBytes, crossAZ)
	}
	// Per hour; the surge from file 12 (01:00) makes the last hour stand out.
	hourly := map[string]int64{}
	for h, b := range truth.NATByHour {
		hourly[time.Unix(h, 0).UTC().Format("2006-01-02 15:04:05")] = b
	}
	sameMap(t, "hourly", column(t, figure(t, gw, "nat-hourly"), "bytes"), hourly)
	if len(gw.StandOut) != 1 || !strings.HasPrefix(gw.StandOut[0], "2024-06-01 01:00") {
		t.Errorf("hours that stand out: %v", gw.StandOut)
	}
	// Coverage: every 5-minute window has records of the gateway.
	if c := gw.Coverage; c.HoursWithRecords != c.HoursSpanned || c.OKRecords == 0 || c.InterfacesLogged < 10 {
		t.Errorf("coverage %+v", c)
	}
	// Prices: another region's list price, and overrides.
	rep = analyze(t, db, nat.Options{Region: "eu-central-1", PerHour: 0.1})
	if g := rep.Gateways[0]; g.Prices.PerGB != 0.052 || g.Prices.PerHour != 0.1 || math.Abs(g.ProcessingCost-float64(truth.NATBytes)/(1<<30)*0.052) > 1e-9 {
		t.Errorf("eu-central-1 prices: %+v, processing $%f", g.Prices, g.ProcessingCost)
	}
	// A time window: only the records in it.
	since := time.Date(2024, 6, 1, 1, 0, 0, 0, time.UTC)
	rep = analyze(t, db, nat.Options{Filters: queries.Filters{Since: since}})
	var after int64
	for h, b := range truth.NATByHour {
		if h >= since.Unix() {
			after += b
		}
	}
	if got := rep.Gateways[0].ProcessedBytes; got < after || got >= truth.NATBytes {
		t.Errorf("--since 01:00: %d bytes; the hours from 01:00 hold %d of %d", got, after, truth.NATBytes)
	}
}

// TestEstimateWithoutPktFields: in the default format the bill, the sources and the
// destinations stay exact, the pairs are estimated, and the report says so.
func TestEstimateWithoutPktFields(t *testing.T) {
	ctx := context.Background()
	db, truth := scenario(t, flowgen.Config{Seed: 12, Files: 12, RowsPerFile: 1500, Fields: flowgen.DefaultFields})
	set, _ := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	_, err := nat.Analyze(ctx, db, set, nat.Options{})
	if !errors.Is(err, nat.ErrNoGateway) || !strings.Contains(err.Error(), "flowsql enrich eni") || !strings.Contains(err.Error(), "--nat-ip") {
		t.Fatalf("without pkt fields, an ENI snapshot or --nat-ip: %v", err)
	}
	if _, err := nat.Analyze(ctx, db, set, nat.Options{NATIPs: []string{"10.9.9.9"}}); !errors.Is(err, nat.ErrNoGateway) || !strings.Contains(err.Error(), "no record") {
		t.Errorf("an address no record has: %v", err)
	}
	if _, err := enrich.LoadAWSRanges(ctx, db, "../../testdata/ip-ranges-sample.json"); err != nil {
		t.Fatal(err)
	}
	gw := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}, Top: 1000}).Gateways[0]
	if gw.InterfaceID != flowgen.NATENI || gw.FoundBy != "--nat-ip" {
		t.Errorf("gateway %+v", gw)
	}
	if gw.ProcessedBytes != truth.NATBytes {
		t.Errorf("processed %d, want %d", gw.ProcessedBytes, truth.NATBytes)
	}
	if gw.Method != "estimate" || !strings.Contains(gw.MethodNote, "estimated") || !strings.Contains(gw.MethodNote, "pkt-dstaddr") {
		t.Errorf("method %s: %s", gw.Method, gw.MethodNote)
	}
	sameMap(t, "sources", column(t, figure(t, gw, "nat-sources"), "bytes"), truth.NATBySource)
	sameMap(t, "destinations", column(t, figure(t, gw, "nat-destinations"), "bytes"), truth.NATByDest)
	if gw.AvoidableBytes["S3"] != truth.NATByService["S3"] || gw.AvoidableBytes["DYNAMODB"] != truth.NATByService["DYNAMODB"] {
		t.Errorf("avoidable %v, want S3 %d DYNAMODB %d", gw.AvoidableBytes, truth.NATByService["S3"], truth.NATByService["DYNAMODB"])
	}
	// The pairs are an estimate: near the truth here (every source's own interface is
	// logged), and marked as such.
	for _, r := range figure(t, gw, "nat-avoidable").Rows {
		key := output.Text(r[0], "") + " " + output.Text(r[1], "")
		var n int64
		fmt.Sscan(output.Text(r[2], ""), &n)
		want := truth.NATBySourceService[key]
		if r[3] != "estimate: own interface" || math.Abs(float64(n-want)) > 0.05*float64(want) {
			t.Errorf("avoidable %s: %d (%v), truth %d", key, n, r[3], want)
		}
	}
	// No az-id and no ENI snapshot: cross-AZ is unknown, and said so.
	if gw.CrossAZBytes != 0 || gw.UnknownAZBytes == 0 || !strings.Contains(strings.Join(gw.Notes, " "), "flowsql enrich eni") {
		t.Errorf("cross-AZ without zones: %d known, %d unknown, notes %v", gw.CrossAZBytes, gw.UnknownAZBytes, gw.Notes)
	}
}

// TestEstimateOneWay: with pkt-dstaddr but no pkt-srcaddr in the format, what each source sent
// through the gateway pairs with its destination exactly, and what it received is shared out
// as the source's own interface received its bytes from each service (not as it sent them:
// S3 uploads and DynamoDB reads go mostly one way), named by AWS's ranges or, with none
// loaded, by the pkt-src-aws-service of those records.
func TestEstimateOneWay(t *testing.T) {
	var fields []string
	for _, f := range flowgen.CustomFields {
		if f != "pkt-srcaddr" {
			fields = append(fields, f)
		}
	}
	db, truth := scenario(t, flowgen.Config{Seed: 12, Files: 12, RowsPerFile: 1500, Fields: fields})
	check := func(ranges string) {
		t.Helper()
		gw := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}, Top: 1000}).Gateways[0]
		got := map[string]int64{}
		for _, r := range figure(t, gw, "nat-avoidable").Rows {
			var n int64
			fmt.Sscan(output.Text(r[2], ""), &n)
			got[output.Text(r[0], "")+" "+output.Text(r[1], "")] += n
		}
		for key, want := range truth.NATBySourceService {
			if !strings.HasSuffix(key, " S3") && !strings.HasSuffix(key, " DYNAMODB") {
				continue
			}
			if n := got[key]; math.Abs(float64(n-want)) > 0.05*float64(want) {
				t.Errorf("%s: avoidable %s: %d, truth %d", ranges, key, n, want)
			}
		}
	}
	check("no ranges loaded")
	if gw := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]; gw.Method != "mixed" || !strings.Contains(gw.MethodNote, "pkt-srcaddr on the replies out") || !strings.Contains(gw.MethodNote, "are estimated") {
		t.Errorf("pairing %s: %s", gw.Method, gw.MethodNote)
	}
	if _, err := enrich.LoadAWSRanges(context.Background(), db, "../../testdata/ip-ranges-sample.json"); err != nil {
		t.Fatal(err)
	}
	check("AWS's ranges loaded")
}

// TestHoursCut: the hourly figures read at most a fixed number of hours (417 days); a period
// longer says that the later hours are not in them, rather than end the table unsaid.
func TestHoursCut(t *testing.T) {
	db, _ := scenario(t, flowgen.Config{Seed: 11, Files: 24, RowsPerFile: 300})
	gw := analyze(t, db, nat.Options{}).Gateways[0]
	if notes := strings.Join(gw.Notes, " "); strings.Contains(notes, "stop at") {
		t.Errorf("3 hours of records: %s", notes)
	}
	defer nat.SetMaxHours(2)()
	gw = analyze(t, db, nat.Options{}).Gateways[0]
	if rows := len(figure(t, gw, "nat-hourly").Rows); rows != 2 {
		t.Errorf("%d hourly rows", rows)
	}
	if notes := strings.Join(gw.Notes, " "); !strings.Contains(notes, "The hourly table and the hours that stand out or have no records stop at 2 hours from the first") {
		t.Errorf("notes: %s", notes)
	}
}

// zonedHead is the header of a log with zones and pkt-* addresses, for gateways written by hand.
const zonedHead = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status az-id pkt-srcaddr pkt-dstaddr\n"

// TestTogether: with several gateways the analysis adds up what they processed and cost
// between them, the NAT part of the bill, before each gateway's own; with one, it does not.
func TestTogether(t *testing.T) {
	db, _ := loadLog(t, "two.log", zonedHead+
		"5 111111111111 eni-a 10.0.1.5 10.0.101.10 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK use1-az1 10.0.1.5 52.1.2.3\n"+
		"5 111111111111 eni-b 10.0.2.7 10.0.102.10 40002 443 6 10 7000 1717200000 1717200060 ACCEPT OK use1-az2 10.0.2.7 52.1.2.4\n")
	rep := analyze(t, db, nat.Options{})
	if len(rep.Gateways) != 2 || rep.Together == nil {
		t.Fatalf("%d gateways, together %+v", len(rep.Gateways), rep.Together)
	}
	a, b := rep.Gateways[0], rep.Gateways[1]
	tg := rep.Together
	if tg.Gateways != 2 || tg.ProcessedBytes != 12000 || tg.ProcessedBytes != a.ProcessedBytes+b.ProcessedBytes ||
		math.Abs(tg.TotalCost-(a.TotalCost+b.TotalCost)) > 1e-12 || math.Abs(tg.MonthlyRate-(a.MonthlyRate+b.MonthlyRate)) > 1e-9 || len(tg.Unknown) != 0 {
		t.Errorf("together %+v; gateways %d+%d bytes, $%f+$%f", tg, a.ProcessedBytes, b.ProcessedBytes, a.TotalCost, b.TotalCost)
	}
	var text bytes.Buffer
	if err := nat.Render(&text, rep, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text.String(), "2 NAT gateways together\n") || !strings.Contains(text.String(), "10.0.102.10  use1-az2") {
		t.Errorf("text:\n%s", text.String())
	}
	one, _ := loadLog(t, "one.log", zonedHead+
		"5 111111111111 eni-a 10.0.1.5 10.0.101.10 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK use1-az1 10.0.1.5 52.1.2.3\n")
	if rep := analyze(t, one, nat.Options{}); rep.Together != nil {
		t.Errorf("one gateway, together %+v", rep.Together)
	}
}

// TestFromENISnapshot: the gateway and the sources' zones come from the eni table; the output
// formats carry the figures and their SQL.
func TestFromENISnapshot(t *testing.T) {
	db, truth := scenario(t, flowgen.Config{Seed: 13, Files: 6, RowsPerFile: 1000, Fields: flowgen.DefaultFields})
	snapshotENIs(t, db)
	rep := analyze(t, db, nat.Options{})
	gw := rep.Gateways[0]
	if gw.NATGatewayID != flowgen.NATID || gw.AZ != flowgen.NATAZ || !strings.Contains(gw.FoundBy, "eni") {
		t.Errorf("gateway from the eni table: %+v", gw)
	}
	var crossAZ int64
	for _, b := range truth.CrossAZ {
		crossAZ += b
	}
	if gw.CrossAZBytes != crossAZ || gw.UnknownAZBytes != 0 {
		t.Errorf("cross-AZ from the ENI zones: %d (unknown %d), want %d", gw.CrossAZBytes, gw.UnknownAZBytes, crossAZ)
	}
	var md, text, js bytes.Buffer
	if err := nat.Render(&md, rep, nat.RenderOptions{Markdown: true, ShowSQL: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## NAT gateway " + flowgen.NATID, "| source | bytes |", "```sql", "nat_vpc_side(", "app-02"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if err := nat.Render(&text, rep, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "SELECT") || !strings.Contains(text.String(), "Processed") {
		t.Errorf("text report:\n%s", text.String())
	}
	if err := nat.RenderJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Gateways []struct {
			ProcessedBytes int64 `json:"processed_bytes"`
			Figures        []struct {
				Name string           `json:"name"`
				SQL  string           `json:"sql"`
				Rows []map[string]any `json:"rows"`
			} `json:"figures"`
		} `json:"gateways"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	g := back.Gateways[0]
	if g.ProcessedBytes != truth.NATBytes || len(g.Figures) != 8 || g.Figures[1].Name != "nat-sources" ||
		!strings.Contains(g.Figures[1].SQL, "'"+flowgen.NATENI+"'") || g.Figures[1].Rows[0]["source"] == nil {
		t.Errorf("JSON: %.300s", js.String())
	}
}

// realPrefixes reads the us-east-1 prefixes of a service from AWS's real ip-ranges.json.
func realPrefixes(t *testing.T, service string) []string {
	t.Helper()
	f, err := os.Open("../../testdata/ip-ranges.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Prefixes []struct {
			Prefix  string `json:"ip_prefix"`
			Region  string `json:"region"`
			Service string `json:"service"`
		} `json:"prefixes"`
	}
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range doc.Prefixes {
		if p.Region == "us-east-1" && p.Service == service {
			out = append(out, p.Prefix)
		}
	}
	return out
}

// TestRealAWSRanges: S3 and DynamoDB hosts drawn from every us-east-1 prefix of AWS's real
// ip-ranges.json, most of which EC2 lists too: what a gateway endpoint would carry is all of
// their bytes, to the byte, whether the logs name the service (pkt-dst-aws-service) or not.
func TestRealAWSRanges(t *testing.T) {
	ctx := context.Background()
	s3, ddb := realPrefixes(t, "S3"), realPrefixes(t, "DYNAMODB")
	if len(s3) < 20 || len(ddb) < 5 {
		t.Fatalf("%d S3 and %d DynamoDB prefixes in us-east-1", len(s3), len(ddb))
	}
	for _, fields := range [][]string{flowgen.CustomFields, flowgen.DefaultFields} {
		db, truth := scenario(t, flowgen.Config{Seed: 21, Files: 6, RowsPerFile: 1500, Fields: fields,
			S3Prefixes: s3, DynamoDBPrefixes: ddb})
		if _, err := enrich.LoadAWSRanges(ctx, db, "../../testdata/ip-ranges.json.gz"); err != nil {
			t.Fatal(err)
		}
		gw := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}, Top: 1000}).Gateways[0]
		if gw.AvoidableBytes["S3"] != truth.NATByService["S3"] || gw.AvoidableBytes["DYNAMODB"] != truth.NATByService["DYNAMODB"] {
			t.Errorf("%d fields: avoidable %v, want S3 %d DYNAMODB %d", len(fields), gw.AvoidableBytes, truth.NATByService["S3"], truth.NATByService["DYNAMODB"])
		}
		services := column(t, figure(t, gw, "nat-services"), "bytes")
		if services["S3"] != truth.NATByService["S3"] || services["EC2"] != truth.NATByService["EC2"] {
			t.Errorf("%d fields: by service %v, truth %v", len(fields), services, truth.NATByService)
		}
		// EC2's ranges hold hosts, not an AWS API: no interface endpoint carries their traffic.
		for _, e := range gw.Endpoints {
			if e.Service == "EC2" {
				t.Errorf("%d fields: an EC2 interface endpoint weighed for %d bytes", len(fields), e.Bytes)
			}
		}
	}
}

// TestAccountsReuseAddresses: two accounts both use 10.0.1.5, one for a host behind account
// B's NAT gateway in use1-az2, the other for a host of account A in use1-az1. Every report
// that names the interface of an address, and the NAT gateway's sources and zones, must tell
// the two apart by the records' account and VPC.
func TestAccountsReuseAddresses(t *testing.T) {
	ctx := context.Background()
	const (
		acctA, acctB = "111111111111", "222222222222"
		vpcA, vpcB   = "vpc-0aaaaaaaaaaaaaaa1", "vpc-0bbbbbbbbbbbbbbb2"
		host         = "10.0.1.5"
		natAddr      = "10.0.101.10"
		s3           = "52.216.1.1"
	)
	header := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id az-id pkt-srcaddr pkt-dstaddr\n"
	rec := func(acct, vpc, eni, src, dst string, bytes int, az, pktSrc, pktDst string) string {
		return fmt.Sprintf("5 %s %s %s %s 40000 443 6 10 %d 1717200000 1717200060 ACCEPT OK %s subnet-1 - %s %s %s\n",
			acct, eni, src, dst, bytes, vpc, az, pktSrc, pktDst)
	}
	logA := header +
		rec(acctA, vpcA, "eni-a9", "10.0.1.9", host, 1000, "use1-az1", "10.0.1.9", host) +
		rec(acctA, vpcA, "eni-a5", "10.0.1.9", host, 1000, "use1-az1", "10.0.1.9", host) +
		rec(acctA, vpcA, "eni-a5", host, "8.8.8.8", 7000, "use1-az1", host, "8.8.8.8")
	logB := header +
		rec(acctB, vpcB, "eni-b7", "10.0.1.7", host, 3000, "use1-az2", "10.0.1.7", host) +
		rec(acctB, vpcB, "eni-b5", "10.0.1.7", host, 3000, "use1-az2", "10.0.1.7", host) +
		rec(acctB, vpcB, "eni-b5", host, s3, 5000, "use1-az2", host, s3) +
		rec(acctB, vpcB, "eni-b5", s3, host, 20000, "use1-az2", s3, host) +
		rec(acctB, vpcB, "eni-natb", host, natAddr, 5000, "use1-az1", host, s3) +
		rec(acctB, vpcB, "eni-natb", natAddr, s3, 5000, "use1-az1", natAddr, s3) +
		rec(acctB, vpcB, "eni-natb", s3, natAddr, 20000, "use1-az1", s3, natAddr) +
		rec(acctB, vpcB, "eni-natb", natAddr, host, 20000, "use1-az1", s3, host)
	dir := t.TempDir()
	for name, text := range map[string]string{"a.log": logA, "b.log": logB} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := flowsql.Open(ctx, filepath.Join(t.TempDir(), "accounts.duckdb"), flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, _ := ingest.LocalFiles([]string{dir})
	if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	// Each account's interfaces, snapshot by snapshot.
	az1 := &flowgen.Subnet{ID: "subnet-1", AZ: "use1-az1", AZName: "us-east-1a"}
	az2 := &flowgen.Subnet{ID: "subnet-2", AZ: "use1-az2", AZName: "us-east-1b"}
	fake := &fakeaws.EC2{Region: flowgen.Region, PageSize: 5}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := ec2.New(ec2.Options{Region: flowgen.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	for _, acct := range []struct {
		owner, vpc string
		enis       []*flowgen.ENI
	}{
		{acctA, vpcA, []*flowgen.ENI{
			{ID: "eni-a5", Type: "interface", PrivateIP: host, Subnet: az1, InstanceID: "i-a5", Name: "host-a"},
			{ID: "eni-a9", Type: "interface", PrivateIP: "10.0.1.9", Subnet: az1, InstanceID: "i-a9", Name: "client-a"}}},
		{acctB, vpcB, []*flowgen.ENI{
			{ID: "eni-b5", Type: "interface", PrivateIP: host, Subnet: az2, InstanceID: "i-b5", Name: "host-b"},
			{ID: "eni-b7", Type: "interface", PrivateIP: "10.0.1.7", Subnet: az2, InstanceID: "i-b7", Name: "client-b"},
			{ID: "eni-natb", Type: "nat_gateway", Description: "Interface for NAT Gateway nat-0b", PrivateIP: natAddr, Subnet: az1}}},
	} {
		fake.Owner, fake.VPC = acct.owner, acct.vpc
		fake.SetENIs(acct.enis)
		if _, err := enrich.SnapshotENIs(ctx, db, client, flowgen.Region); err != nil {
			t.Fatal(err)
		}
	}

	set, err := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := set.Run(ctx, db, "top-destinations", queries.Values{"limit": "10"}, queries.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range out.Result.Rows {
		row := rowMap(out.Result, r)
		if row["dstaddr"] == host {
			got[row["account_id"]] = row["bytes"] + " " + row["interface_name"]
		}
	}
	want := map[string]string{acctA: "2000 host-a", acctB: "46000 host-b"}
	if len(got) != 2 || got[acctA] != want[acctA] || got[acctB] != want[acctB] {
		t.Errorf("top-destinations rows of %s: %v, want %v", host, got, want)
	}
	out, err = set.Run(ctx, db, "top-sources", queries.Values{"dst": "8.8.8.8"}, queries.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Result.Rows) != 1 || rowMap(out.Result, out.Result.Rows[0])["interface_name"] != "host-a" {
		t.Errorf("top-sources to 8.8.8.8: %v", out.Result.Rows)
	}

	gw := analyze(t, db, nat.Options{NATIPs: []string{natAddr}}).Gateways[0]
	if gw.InterfaceID != "eni-natb" || gw.ProcessedBytes != 25000 {
		t.Errorf("gateway %s processed %d", gw.InterfaceID, gw.ProcessedBytes)
	}
	src := figure(t, gw, "nat-sources")
	if len(src.Rows) != 1 {
		t.Fatalf("nat-sources: %v", src.Rows)
	}
	if r := rowMap(src, src.Rows[0]); r["interface_id"] != "eni-b5" || r["az"] != "use1-az2" || r["name"] != "host-b" {
		t.Errorf("the NAT gateway's source %s: %v", host, r)
	}
	if gw.CrossAZBytes != 25000 {
		t.Errorf("cross-AZ %d bytes, want 25000 (host-b is in use1-az2, the gateway in use1-az1)", gw.CrossAZBytes)
	}
}

// rowMap reads a result row as text by column name.
func rowMap(res *output.Result, r []any) map[string]string {
	m := map[string]string{}
	for i, c := range res.Columns {
		m[c.Name] = output.Text(r[i], c.Type)
	}
	return m
}

// TestProjection: the 30-day rate comes from the time the records cover (an hour and some
// seconds on the sample's 12 files), not from the clock hours they touch, which the hourly
// charge bills whole.
func TestProjection(t *testing.T) {
	db, truth := scenario(t, flowgen.Config{Seed: 1, Files: 12, RowsPerFile: 1000})
	gw := analyze(t, db, nat.Options{}).Gateways[0]
	covered := truth.NATEnd - truth.NATStart
	if gw.CoveredSeconds != covered || gw.Hours != 2 {
		t.Fatalf("covered %d s over %d gateway-hours, want %d s over 2", gw.CoveredSeconds, gw.Hours, covered)
	}
	processing := float64(truth.NATBytes) / (1 << 30) * 0.045
	want := processing*30*24*3600/float64(covered) + 720*0.045
	if math.Abs(gw.MonthlyRate-want) > 1e-9 || math.Abs(gw.HourlyCost-2*0.045) > 1e-12 {
		t.Errorf("30-day rate $%f, hourly $%f; want $%f and $0.09", gw.MonthlyRate, gw.HourlyCost, want)
	}
	var text bytes.Buffer
	if err := nat.Render(&text, &nat.Report{Gateways: []*nat.Gateway{gw}}, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"1 h 0 min of records", "2 gateway-hours", "AWS bills each hour begun", "720 gateway-hours", "from under a day of records"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("the report does not say %q:\n%s", s, text.String())
		}
	}
}

// TestRateOverGaps: records of two stretches a day apart. The 30-day rate counts the hours
// between them as hours without traffic, and says what it would be if logs were lost there
// instead (the gateway's interface is logged every hour it exists); more than a day of records
// needs no caution about the time of day.
func TestRateOverGaps(t *testing.T) {
	ctx := context.Background()
	db, _ := scenario(t, flowgen.Config{Seed: 1, Files: 3, RowsPerFile: 500})
	dir := t.TempDir()
	later := time.Date(2024, 6, 2, 6, 0, 0, 0, time.UTC)
	if _, _, err := flowgen.New(flowgen.Config{Seed: 2, Files: 3, RowsPerFile: 500, Start: later}).WriteTree(dir); err != nil {
		t.Fatal(err)
	}
	files, _ := ingest.LocalFiles([]string{dir})
	if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	// One hour between them that the gateway's interface logged without traffic: NODATA.
	eni := analyze(t, db, nat.Options{}).Gateways[0].InterfaceID
	idle := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC).Unix()
	nodata := fmt.Sprintf("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 %s %s - - - - - - - %d %d - NODATA\n",
		flowgen.Account, eni, idle+60, idle+600)
	if err := os.WriteFile(filepath.Join(dir, "idle.log"), []byte(nodata), 0o644); err != nil {
		t.Fatal(err)
	}
	files, _ = ingest.LocalFiles([]string{dir})
	if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	gw := analyze(t, db, nat.Options{}).Gateways[0]
	c := gw.Coverage
	missing := c.HoursSpanned - c.HoursWithRecords
	if missing < 24 || gw.CoveredSeconds < 24*3600 {
		t.Fatalf("%d of %d hours without records over %d s", missing, c.HoursSpanned, gw.CoveredSeconds)
	}
	// The hourly table shows those hours blank, as without records, and the NODATA hour as 0.
	hourly := figure(t, gw, "nat-hourly")
	blank := 0
	for _, r := range hourly.Rows {
		hour, bytes, note := output.Text(r[0], ""), r[1], output.Text(r[len(r)-1], "")
		switch {
		case note == "no records" && bytes == nil:
			blank++
		case note == "no records" || bytes == nil:
			t.Errorf("hour %s: %v bytes, note %q", hour, bytes, note)
		case strings.HasPrefix(hour, "2024-06-01 12:00") && (note != "" || output.Text(bytes, "") != "0"):
			t.Errorf("the NODATA hour: %v bytes, note %q", bytes, note)
		}
	}
	if blank != int(missing) || len(hourly.Rows) != int(c.HoursSpanned) {
		t.Errorf("%d of %d hourly rows without records; the coverage says %d of %d", blank, len(hourly.Rows), missing, c.HoursSpanned)
	}
	want := gw.ProcessingCost*720*3600/(float64(gw.CoveredSeconds)*float64(c.HoursWithRecords)/float64(c.HoursSpanned)) + 720*0.045
	if math.Abs(gw.RateWithoutGaps-want) > 1e-9 || gw.RateWithoutGaps <= gw.MonthlyRate {
		t.Errorf("rate over the logged hours $%f, want $%f (over the span $%f)", gw.RateWithoutGaps, want, gw.MonthlyRate)
	}
	var text bytes.Buffer
	nat.Render(&text, &nat.Report{Gateways: []*nat.Gateway{gw}}, nat.RenderOptions{})
	if !strings.Contains(text.String(), "if the hours without records lost logs rather than had no traffic") ||
		!strings.Contains(text.String(), "so logs may be missing there, and then the figures are low") ||
		strings.Contains(text.String(), "under a day") {
		t.Errorf("the report:\n%s", text.String())
	}
	// The table shows the hours without records as one run, not an hour a row.
	if run := regexp.MustCompile(`(?m)^2024-06-01 \d\d:00:00 to 2024-06-0\d \d\d:00:00 \((\d+) hours\) .*no records$`).FindAllStringSubmatch(text.String(), -1); len(run) != 2 ||
		mustInt(t, run[0][1])+mustInt(t, run[1][1]) != missing {
		t.Errorf("runs of hours without records %q, want two of %d hours in all:\n%s", run, missing, text.String())
	}
	// The first stretch alone: every hour has records.
	if gw := analyze(t, db, nat.Options{Filters: queries.Filters{Until: time.Unix(idle, 0)}}).Gateways[0]; gw.RateWithoutGaps != 0 {
		t.Errorf("one stretch: rate over the logged hours $%f", gw.RateWithoutGaps)
	}
}

// TestMissingLegs: every byte a gateway processes crosses its VPC side once, so a log of its
// interface whose outside legs hold less than its VPC side lacks records, and the processed
// bytes (what it received) are low: the notes say so, with what the VPC side shows. A complete
// log needs no such note.
func TestMissingLegs(t *testing.T) {
	ctx := context.Background()
	set, _ := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	for _, c := range []struct {
		fromInternet string
		note         bool
	}{{"5000", false}, {"2000", true}} {
		db, err := flowsql.Open(ctx, flowsql.Memory, flowsql.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		eni := flowgen.NATENI
		log := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status pkt-srcaddr pkt-dstaddr\n" +
			"5 111111111111 " + eni + " 10.0.1.5 10.0.101.10 40000 443 6 10 1000 1717200000 1717200060 ACCEPT OK 10.0.1.5 93.184.216.34\n" +
			"5 111111111111 " + eni + " 10.0.101.10 93.184.216.34 40000 443 6 10 1000 1717200000 1717200060 ACCEPT OK 10.0.101.10 93.184.216.34\n" +
			"5 111111111111 " + eni + " 93.184.216.34 10.0.101.10 443 40000 6 10 " + c.fromInternet + " 1717200000 1717200060 ACCEPT OK 93.184.216.34 10.0.101.10\n" +
			"5 111111111111 " + eni + " 10.0.101.10 10.0.1.5 443 40000 6 10 5000 1717200000 1717200060 ACCEPT OK 93.184.216.34 10.0.1.5\n"
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "nat.log"), []byte(log), 0o644)
		files, _ := ingest.LocalFiles([]string{dir})
		if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		rep, err := nat.Analyze(ctx, db, set, nat.Options{NATIPs: []string{flowgen.NATAddr}})
		if err != nil {
			t.Fatal(err)
		}
		gw := rep.Gateways[0]
		notes := strings.Join(gw.Notes, " ")
		said := strings.Contains(notes, "records of them are missing") && strings.Contains(notes, "the VPC-side records alone show at least 5.9 KiB processed")
		if said != c.note || gw.ProcessedBytes != 1000+mustInt(t, c.fromInternet) {
			t.Errorf("%s bytes from the internet: processed %d; notes: %s", c.fromInternet, gw.ProcessedBytes, notes)
		}
		// The logs hold no zones: the source's cross-zone cost is unknown, not $0.
		if rows := figure(t, gw, "nat-cross-az").Rows; len(rows) != 1 || rows[0][len(rows[0])-1] != nil || gw.CrossAZCost != 0 || gw.UnknownAZBytes != 6000 {
			t.Errorf("cross-zone rows %v; cost %f, unknown %d bytes", rows, gw.CrossAZCost, gw.UnknownAZBytes)
		}
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNotANATGateway: --nat-ip on an application server still computes, and says that the
// evidence disagrees: no address translation in its records, and (after enrich eni) an
// interface that is no NAT gateway's. Without pkt fields or an eni table, it says that nothing
// could check.
func TestNotANATGateway(t *testing.T) {
	app := flowgen.TheWorld().Apps[0]
	db, _ := scenario(t, flowgen.Config{Seed: 3, Files: 3, RowsPerFile: 1000})
	gw := analyze(t, db, nat.Options{NATIPs: []string{app.PrivateIP}}).Gateways[0]
	notes := strings.Join(gw.Notes, " ")
	if gw.Evidence != "contradicted" || !strings.Contains(notes, "shows address translation") || gw.ProcessedBytes == 0 {
		t.Errorf("%s: evidence %s, %d bytes, notes %s", app.PrivateIP, gw.Evidence, gw.ProcessedBytes, notes)
	}
	snapshotENIs(t, db)
	gw = analyze(t, db, nat.Options{NATIPs: []string{app.PrivateIP}}).Gateways[0]
	if notes := strings.Join(gw.Notes, " "); !strings.Contains(notes, "is not a NAT gateway (interface, "+app.Name+")") {
		t.Errorf("with the eni table: %s", notes)
	}
	var text bytes.Buffer
	nat.Render(&text, &nat.Report{Gateways: []*nat.Gateway{gw}}, nat.RenderOptions{})
	if !strings.Contains(text.String(), "Caution") {
		t.Errorf("the report does not warn:\n%.600s", text.String())
	}
	if gw := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]; gw.Evidence != "confirmed" || strings.Contains(strings.Join(gw.Notes, " "), "NAT gateway") {
		t.Errorf("the real gateway: %s %v", gw.Evidence, gw.Notes)
	}
	plain, _ := scenario(t, flowgen.Config{Seed: 3, Files: 3, RowsPerFile: 1000, Fields: flowgen.DefaultFields})
	if gw := analyze(t, plain, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]; gw.Evidence != "unchecked" || !strings.Contains(strings.Join(gw.Notes, " "), "Nothing here confirms") {
		t.Errorf("default format, no eni table: %s %v", gw.Evidence, gw.Notes)
	}
}

// TestWindowAndFields: a window that holds no record names the span the database holds, and a
// format without interface-id cannot show a NAT gateway's records, which is said, not zeros.
func TestWindowAndFields(t *testing.T) {
	ctx := context.Background()
	db, _ := scenario(t, flowgen.Config{Seed: 4, Files: 2, RowsPerFile: 500})
	set, _ := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	since := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := nat.Analyze(ctx, db, set, nat.Options{Filters: queries.Filters{Since: since}})
	var empty *queries.EmptyWindow
	if !errors.As(err, &empty) || !strings.Contains(err.Error(), "the database holds records from 2024-05-31 23:5") {
		t.Errorf("since 2025: %v", err)
	}
	_, err = nat.Analyze(ctx, db, set, nat.Options{NATIPs: []string{flowgen.NATAddr}, Filters: queries.Filters{Since: since}})
	if !errors.As(err, &empty) {
		t.Errorf("--nat-ip, since 2025: %v", err)
	}
	noENI, dir := loadLog(t, "noeni.log", "version srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
		"2 10.0.1.5 10.0.101.10 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK\n")
	_, err = nat.Analyze(ctx, noENI, set, nat.Options{NATIPs: []string{"10.0.101.10"}})
	var mf *queries.MissingFieldError
	if !errors.As(err, &mf) || mf.Field != "interface-id" {
		t.Errorf("logs without interface-id: %v", err)
	}
	// Logs without bytes cannot give the analysis: the error names the field and the
	// analysis, not the name of the query that found it missing.
	noBytes, _ := loadLog(t, "nobytes.log", "version interface-id srcaddr dstaddr srcport dstport protocol packets start end action log-status\n"+
		"2 "+flowgen.NATENI+" 10.0.1.5 10.0.101.10 40000 443 6 10 1717200000 1717200060 ACCEPT OK\n")
	_, err = nat.Analyze(ctx, noBytes, set, nat.Options{NATIPs: []string{"10.0.101.10"}})
	if !errors.As(err, &mf) || mf.Field != "bytes" || !strings.Contains(err.Error(), "NAT gateway 10.0.101.10: the analysis needs the bytes field") {
		t.Errorf("logs without bytes: %v", err)
	}
	// Loaded beside logs that have it, the records without interface-id are counted out, and
	// the report says how many.
	files, _ := ingest.LocalFiles([]string{dir})
	if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	gw := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]
	if notes := strings.Join(gw.Notes, " "); !strings.Contains(notes, "1 of the ") || !strings.Contains(notes, "have no interface-id field") {
		t.Errorf("notes: %s", notes)
	}
	// A gateway's records of a format without log-status: a line without traffic is NODATA
	// or SKIPDATA, and the coverage says it cannot tell which rather than count it as neither.
	if gw.Coverage.StatusUnknown != 0 {
		t.Errorf("records of unknown status before: %d", gw.Coverage.StatusUnknown)
	}
	log := "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action\n" +
		"2 " + flowgen.NATENI + " - - - - - - - 1717200000 1717200060 -\n"
	if err := os.WriteFile(filepath.Join(dir, "nostatus.log"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	files, _ = ingest.LocalFiles([]string{filepath.Join(dir, "nostatus.log")})
	if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	gw = analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]
	var text bytes.Buffer
	nat.Render(&text, &nat.Report{Gateways: []*nat.Gateway{gw}}, nat.RenderOptions{})
	if gw.Coverage.StatusUnknown != 1 || !strings.Contains(text.String(), "1 without traffic whose format has no log-status field: NODATA or SKIPDATA") {
		t.Errorf("records of unknown status: %d\n%s", gw.Coverage.StatusUnknown, text.String())
	}
}

// loadLog writes a flow-log file of text, named name, into a directory of its own and loads it
// into a new database; it returns the database and the directory (to load it elsewhere too).
func loadLog(t *testing.T, name, text string) (*sql.DB, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return openLoaded(t, flowsql.Memory, dir), dir
}

// TestReconciliation: with the gateway's CloudWatch metrics and the bill fetched (real SDK
// clients against the loopback CloudWatch and Cost Explorer, made from the generator's truth
// plus traffic that no log holds in one hour), nat sets the meter beside the logs to the byte,
// and the bill beside its own figures to the cent, at the bill's rates.
func TestReconciliation(t *testing.T) {
	ctx := context.Background()
	db, truth := scenario(t, flowgen.Config{Seed: 13, Files: 6, RowsPerFile: 1000, Fields: flowgen.DefaultFields})
	snapshotENIs(t, db)
	first := truth.NATStart - truth.NATStart%3600
	unlogged := map[int64]int64{first: truth.NATByHour[first]} // the first hour: half unlogged
	cw := httptest.NewServer(fakeaws.NewCloudWatch(flowgen.NATID, truth.NATMetrics(unlogged)))
	defer cw.Close()
	cwClient := cloudwatch.New(cloudwatch.Options{Region: flowgen.Region, BaseEndpoint: aws.String(cw.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	if _, err := enrich.FetchNATMetrics(ctx, db, cwClient, flowgen.Region, []string{flowgen.NATID},
		time.Unix(truth.NATStart, 0), time.Unix(truth.NATEnd, 0)); err != nil {
		t.Fatal(err)
	}
	gw := analyze(t, db, nat.Options{}).Gateways[0]
	m := gw.Metered
	if m == nil {
		t.Fatalf("no CloudWatch figures; notes: %v", gw.Notes)
	}
	metered := truth.NATBytes + unlogged[first]
	if m.MeteredBytes != metered || m.LoggedBytes != truth.NATBytes || m.Hours != int64(len(truth.NATByHour)) {
		t.Errorf("metered %d, logged %d in %d hours; want %d, %d in %d", m.MeteredBytes, m.LoggedBytes, m.Hours, metered, truth.NATBytes, len(truth.NATByHour))
	}
	if want := float64(truth.NATBytes) / float64(metered); math.Abs(m.Explained-want) > 1e-12 {
		t.Errorf("explained %v, want %v", m.Explained, want)
	}
	if len(m.ShortHours) != 1 || !strings.HasPrefix(m.ShortHours[0], time.Unix(first, 0).UTC().Format("2006-01-02 15:04")) {
		t.Errorf("hours that fall short: %v, want only the first", m.ShortHours)
	}

	// The bill: Cost Explorer at a negotiated $0.04/GB and $0.05/hour, for the days of the
	// records; the analysis prices at the bill's rates and sets its total beside the bill's.
	bill := truth.NATBill(unlogged, 0.04, 0.05)
	ce := httptest.NewServer(fakeaws.NewCostExplorer(bill))
	defer ce.Close()
	ceClient := costexplorer.New(costexplorer.Options{Region: flowgen.Region, BaseEndpoint: aws.String(ce.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	if _, err := enrich.FetchNATCost(ctx, db, ceClient, time.Unix(truth.NATStart, 0), time.Unix(truth.NATEnd, 0)); err != nil {
		t.Fatal(err)
	}
	gw = analyze(t, db, nat.Options{}).Gateways[0]
	b := gw.Billed
	if b == nil {
		t.Fatalf("no bill; notes: %v", gw.Notes)
	}
	var billGB, billTotal float64
	for _, d := range bill {
		billGB += d.ProcessedGB
		billTotal += d.ProcessingCost + d.HoursCost
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if b.Days != int64(len(bill)) || !near(b.ProcessedGB, billGB) || b.LoggedBytes != truth.NATBytes ||
		!near(b.Explained, float64(truth.NATBytes)/nat.GB/billGB) {
		t.Errorf("bill %+v; want %d days, %v GB, %d logged bytes", b, len(bill), billGB, truth.NATBytes)
	}
	if !near(gw.Prices.PerGB, 0.04) || !near(gw.Prices.PerHour, 0.05) || !strings.Contains(gw.Prices.Source, "the bill") {
		t.Errorf("prices %+v, want the bill's", gw.Prices)
	}
	computed := float64(truth.NATBytes)/nat.GB*0.04 + float64(gw.Hours)*0.05
	if !near(gw.TotalCost, computed) || !near(b.Computed, computed) || !near(b.Difference, billTotal-computed) {
		t.Errorf("computed %v (bill says %v, difference %v); want %v and %v", gw.TotalCost, b.Computed, b.Difference, computed, billTotal-computed)
	}

	var text bytes.Buffer
	if err := nat.Render(&text, &nat.Report{Gateways: []*nat.Gateway{gw}}, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CloudWatch", "the flow logs explain", "logs fall short", "Metered by CloudWatch against the flow logs",
		"Cost Explorer billed", "The bill (Cost Explorer) on the days of the records", "the bill is $"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestDomains: with the Route 53 Resolver query logs of the NAT traffic loaded beside the flow
// logs, nat splits what the gateway processed by the name each destination was resolved from,
// to the byte; without them the figure is left out and a note says what would name them.
func TestDomains(t *testing.T) {
	db, truth := scenario(t, flowgen.Config{Seed: 21, Files: 6, RowsPerFile: 1000, ResolverLogs: true})
	gw := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]
	if len(truth.NATByDomain) < 5 {
		t.Fatalf("the generator named %d domains", len(truth.NATByDomain))
	}
	sameMap(t, "bytes by domain", gw.ByDomain, truth.NATByDomain)
	res := figure(t, gw, "nat-domains")
	if got := column(t, res, "bytes")["registry-1.docker.io"]; got != truth.NATByDomain["registry-1.docker.io"] {
		t.Errorf("nat-domains table: registry-1.docker.io %d, want %d", got, truth.NATByDomain["registry-1.docker.io"])
	}
	var text bytes.Buffer
	if err := nat.Render(&text, &nat.Report{Gateways: []*nat.Gateway{gw}}, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "By domain: the names the sources resolved") || !strings.Contains(text.String(), "s3.us-east-1.amazonaws.com") {
		t.Errorf("text report:\n%s", text.String())
	}

	plain, _ := scenario(t, flowgen.Config{Seed: 21, Files: 2, RowsPerFile: 500})
	gw = analyze(t, plain, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]
	if gw.ByDomain != nil || slices.ContainsFunc(gw.Figures, func(f *nat.Figure) bool { return f.Name == "nat-domains" }) ||
		!strings.Contains(strings.Join(gw.Notes, " "), "Route 53 Resolver query logs") {
		t.Errorf("without resolver logs: %v, notes %v", gw.ByDomain, gw.Notes)
	}
}

// TestWithoutTimes: a gateway whose records have no start and end (a custom format without
// them) has no period, gateway-hours, total or 30-day rate: the analysis says so rather than
// print them as of 1970, with a rate over one second; beside records with times, it says how
// many lack them.
func TestWithoutTimes(t *testing.T) {
	db, dir := loadLog(t, "notimes.log", "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes action log-status\n"+
		"2 "+flowgen.NATENI+" 10.0.1.5 "+flowgen.NATAddr+" 40000 443 6 10 5000 ACCEPT OK\n"+
		"2 "+flowgen.NATENI+" 52.1.2.3 "+flowgen.NATAddr+" 443 40000 6 10 7000 ACCEPT OK\n")
	rep := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}})
	gw := rep.Gateways[0]
	if !gw.PeriodUnknown || gw.ProcessedBytes != 12000 || gw.ProcessingCost <= 0 || gw.Hours != 0 || gw.TotalCost != 0 || gw.MonthlyRate != 0 {
		t.Errorf("period unknown %v, processed %d, processing %v, hours %d, total %v, rate %v",
			gw.PeriodUnknown, gw.ProcessedBytes, gw.ProcessingCost, gw.Hours, gw.TotalCost, gw.MonthlyRate)
	}
	var text, js bytes.Buffer
	nat.Render(&text, rep, nat.RenderOptions{})
	for _, want := range []string{"Records       unknown: the records have no start and end times", "At this rate  unknown",
		"Unknown: the records have no start times.", "the hours with records are unknown", "have no start and end times (their flow log format has no ${start} and ${end})"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("no %q in\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "1970") {
		t.Errorf("a time of 1970:\n%s", text.String())
	}
	nat.RenderJSON(&js, rep)
	for _, absent := range []string{`"gateway_hours"`, `"first_record"`, `"cost_per_30_days_at_this_rate"`, `"total_cost"`} {
		if strings.Contains(js.String(), absent) {
			t.Errorf("JSON has %s, which the records cannot give", absent)
		}
	}
	if !strings.Contains(js.String(), `"period_unknown": true`) && !strings.Contains(js.String(), `"period_unknown":true`) {
		t.Errorf("JSON does not say the period is unknown")
	}
	// Beside records with times, the period comes from those, and the note counts the others.
	withTimes, _ := scenario(t, flowgen.Config{Seed: 4, Files: 2, RowsPerFile: 500})
	files, _ := ingest.LocalFiles([]string{dir})
	if _, err := ingest.Load(context.Background(), withTimes, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	gw = analyze(t, withTimes, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]
	if notes := strings.Join(gw.Notes, " "); gw.PeriodUnknown || gw.Hours == 0 || !strings.Contains(notes, "2 of the gateway's") || !strings.Contains(notes, "have no start or end time") {
		t.Errorf("period unknown %v, hours %d, notes: %s", gw.PeriodUnknown, gw.Hours, notes)
	}
}

// TestOddTimes: records whose times no record can have (in milliseconds, or 0: flagged at
// load) count in the bytes, and stay out of the period, the gateway-hours, the rate and the
// hourly figures, which they stretched by millennia ($21M of gateway-hours for one record in
// milliseconds); a note says so. When every record's times are such, the period is unknown.
func TestOddTimes(t *testing.T) {
	ctx := context.Background()
	odd := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"2 " + flowgen.Account + " " + flowgen.NATENI + " 10.0.1.5 " + flowgen.NATAddr + " 40000 443 6 10 5000 1717200000000 1717200060000 ACCEPT OK\n" +
		"2 " + flowgen.Account + " " + flowgen.NATENI + " 10.0.1.5 " + flowgen.NATAddr + " 40001 443 6 10 7000 0 60 ACCEPT OK\n"
	db, _ := scenario(t, flowgen.Config{Seed: 4, Files: 2, RowsPerFile: 500})
	base := analyze(t, db, nat.Options{}).Gateways[0]
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "odd.log"), []byte(odd), 0o644); err != nil {
		t.Fatal(err)
	}
	files, _ := ingest.LocalFiles([]string{dir})
	if sum, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil || sum.Suspicious != 2 {
		t.Fatalf("load: %v, %+v", err, sum)
	}
	gw := analyze(t, db, nat.Options{}).Gateways[0]
	if gw.ProcessedBytes != base.ProcessedBytes+12000 || gw.BytesOddTime != 12000 {
		t.Errorf("processed %d (before %d), with odd times %d", gw.ProcessedBytes, base.ProcessedBytes, gw.BytesOddTime)
	}
	if !gw.FirstRecord.Equal(base.FirstRecord) || !gw.LastRecord.Equal(base.LastRecord) || gw.Hours != base.Hours ||
		gw.HourlyCost != base.HourlyCost || math.Abs(gw.MonthlyRate-base.MonthlyRate) > 1e-9 || gw.Coverage.HoursSpanned != base.Coverage.HoursSpanned ||
		gw.Coverage.HoursWithRecords != base.Coverage.HoursWithRecords {
		t.Errorf("records %s to %s, %d hours ($%.2f), rate $%.2f, coverage %+v; before: %s to %s, %d hours ($%.2f), rate $%.2f, coverage %+v",
			gw.FirstRecord, gw.LastRecord, gw.Hours, gw.HourlyCost, gw.MonthlyRate, gw.Coverage,
			base.FirstRecord, base.LastRecord, base.Hours, base.HourlyCost, base.MonthlyRate, base.Coverage)
	}
	if got, want := len(figure(t, gw, "nat-hourly").Rows), len(figure(t, base, "nat-hourly").Rows); got != want {
		t.Errorf("%d hourly rows, %d before", got, want)
	}
	if notes := strings.Join(gw.Notes, " "); !strings.Contains(notes, "2 of the gateway's") || !strings.Contains(notes, "time no record can have") ||
		!strings.Contains(notes, "11.7 KiB processed count in the bytes") {
		t.Errorf("notes: %s", notes)
	}
	// Those records alone: no period.
	alone, _ := loadLog(t, "odd.log", odd)
	gw = analyze(t, alone, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]
	if notes := strings.Join(gw.Notes, " "); !gw.PeriodUnknown || gw.ProcessedBytes != 12000 || gw.Hours != 0 || gw.TotalCost != 0 ||
		!strings.Contains(notes, "Every one of the gateway's 2 records with a time has a start or end time no record can have") {
		t.Errorf("period unknown %v, processed %d, %d hours, total $%f; notes: %s", gw.PeriodUnknown, gw.ProcessedBytes, gw.Hours, gw.TotalCost, notes)
	}
}

// TestSilentEdges: when the gateway's flow log runs hours past its last record (another
// interface's records), the gateway's period, hours and rate are of its own records' time, and a
// note says that its interface logged nothing in the rest: missing records, or no gateway then.
// Another flow log's later files do not count; nor the time after a period asked for.
func TestSilentEdges(t *testing.T) {
	ctx := context.Background()
	db, _ := scenario(t, flowgen.Config{Seed: 4, Files: 2, RowsPerFile: 500})
	base := analyze(t, db, nat.Options{}).Gateways[0]
	later := base.LastRecord.Add(5 * time.Hour).Unix()
	dir := t.TempDir()
	other := fmt.Sprintf("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
		"2 %s eni-0other 10.0.1.5 10.0.2.6 40000 443 6 10 5000 %d %d ACCEPT OK\n", flowgen.Account, later, later+60)
	// A file of the gateway's flow log (its ID in the name), and one of another flow log, later still.
	name := fmt.Sprintf("%s_vpcflowlogs_%s_%s_%s_0000abcd.log", flowgen.Account, flowgen.Region, flowgen.FlowLogID, time.Unix(later, 0).UTC().Format("20060102T1504Z"))
	if err := os.WriteFile(filepath.Join(dir, name), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	elsewhere := fmt.Sprintf("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
		"2 %s eni-0other 10.0.1.5 10.0.2.6 40000 443 6 10 5000 %d %d ACCEPT OK\n", flowgen.Account, later+7200, later+7260)
	if err := os.WriteFile(filepath.Join(dir, "elsewhere.log"), []byte(elsewhere), 0o644); err != nil {
		t.Fatal(err)
	}
	files, _ := ingest.LocalFiles([]string{dir})
	if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	gw := analyze(t, db, nat.Options{}).Gateways[0]
	if notes := strings.Join(gw.Notes, " "); gw.Hours != base.Hours || !strings.Contains(notes, "The gateway's interface has no record in the 5 h 1 min from its last, at "+base.LastRecord.Format("2006-01-02 15:04")) ||
		!strings.Contains(notes, "either the gateway did not exist then or its records are missing there") || strings.Contains(notes, "to its first") {
		t.Errorf("%d hours (%d before); notes: %s", gw.Hours, base.Hours, notes)
	}
	gw = analyze(t, db, nat.Options{Filters: queries.Filters{Until: base.LastRecord.Add(30 * time.Minute)}}).Gateways[0]
	if notes := strings.Join(gw.Notes, " "); strings.Contains(notes, "has no record in") {
		t.Errorf("a period that ends with its records: %s", notes)
	}
}

// TestDomainsUnanswered: with Route 53 Resolver answers loaded that name none of the gateway's
// destinations, the by-domain figure goes and a note says why, rather than suggest loading the
// query logs that are loaded: the records have no start times to match answers by, or no answer
// is of the hours of the gateway's traffic.
func TestDomainsUnanswered(t *testing.T) {
	answer := func(when string) string {
		return `{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-0a1b","query_timestamp":"` + when +
			`","query_name":"example.com.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"52.1.2.3","Type":"A","Class":"IN"}],` +
			`"srcaddr":"10.0.1.5","srcport":"53211","transport":"UDP","srcids":{"instance":"i-0abc"}}` + "\n"
	}
	addLog := func(db *sql.DB, name, text string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		files, _ := ingest.LocalFiles([]string{dir})
		if _, err := ingest.Load(context.Background(), db, files, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	untimed, _ := loadLog(t, "notimes.log", "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes action log-status\n"+
		"2 "+flowgen.NATENI+" 10.0.1.5 "+flowgen.NATAddr+" 40000 443 6 10 5000 ACCEPT OK\n"+
		"2 "+flowgen.NATENI+" 52.1.2.3 "+flowgen.NATAddr+" 443 40000 6 10 7000 ACCEPT OK\n")
	addLog(untimed, "dns.log", answer("2024-06-01T00:00:05Z"))
	timed, _ := scenario(t, flowgen.Config{Seed: 4, Files: 2, RowsPerFile: 500})
	addLog(timed, "dns.log", answer("2019-01-01T00:00:05Z"))
	for _, c := range []struct {
		db   *sql.DB
		want string
	}{
		{untimed, "cannot name the gateway's destinations: an answer names an address for the hours after it, and the gateway's records have no start times"},
		{timed, "No Route 53 Resolver answer loaded names a destination of the gateway within an hour before its traffic"},
	} {
		gw := analyze(t, c.db, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]
		notes := strings.Join(gw.Notes, " ")
		if gw.ByDomain != nil || !strings.Contains(notes, c.want) || strings.Contains(notes, "Route 53 Resolver query logs loaded with the flow logs") {
			t.Errorf("by domain %v, notes: %s\nwant %q", gw.ByDomain, notes, c.want)
		}
	}
}

// TestSameAddressElsewhere: accounts (or VPCs) made from one template give their NAT gateways
// the same private address. --nat-ip analyses the interface with the most records addressed to
// it and says, once, that another account has the address too, and how to analyse that one.
func TestSameAddressElsewhere(t *testing.T) {
	const head = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
	db, _ := loadLog(t, "a.log", head+
		"2 111111111111 eni-a 10.0.1.5 10.0.101.10 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK\n"+
		"2 111111111111 eni-a 10.0.1.6 10.0.101.10 40001 443 6 10 6000 1717200000 1717200060 ACCEPT OK\n"+
		"2 222222222222 eni-b 10.0.1.7 10.0.101.10 40002 443 6 10 7000 1717200000 1717200060 ACCEPT OK\n")
	gw := analyze(t, db, nat.Options{NATIPs: []string{"10.0.101.10"}}).Gateways[0]
	notes := strings.Join(gw.Notes, " ")
	if gw.InterfaceID != "eni-a" || strings.Count(notes, "10.0.101.10 is also the address of interface eni-b (account 222222222222), which logs 1 record addressed") != 1 ||
		!strings.Contains(notes, "--account 222222222222 --nat-ip 10.0.101.10 analyses that one") {
		t.Errorf("interface %s, notes: %s", gw.InterfaceID, notes)
	}
	// Nothing tells the region (no region field, no S3 key): the text does not place the
	// gateway in the region whose prices it uses.
	var text strings.Builder
	if err := nat.Render(&text, &nat.Report{Gateways: []*nat.Gateway{gw}}, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "interface eni-a, region not known, account 111111111111;") || !strings.Contains(text.String(), "list prices for us-east-1") {
		t.Errorf("region unknown:\n%s", text.String())
	}
	gw = analyze(t, db, nat.Options{NATIPs: []string{"10.0.101.10"}, Filters: queries.Filters{Account: "222222222222"}}).Gateways[0]
	if gw.InterfaceID != "eni-b" || strings.Contains(strings.Join(gw.Notes, " "), "is also the address") {
		t.Errorf("--account 222222222222: interface %s, notes %q", gw.InterfaceID, gw.Notes)
	}
}

// fileWriter writes files of the given text into dir.
func fileWriter(t *testing.T, dir string) func(name, text string) {
	return func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// gatewayHead is the header of a custom format with the fields a gateway's figures use and no
// account, VPC or pkt-* fields; the tests of a format that leaves one of them out write theirs
// beside it.
const gatewayHead = "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

// TestWithoutBytes: a custom format may leave out ${bytes}. Records of the gateway without
// bytes are not records without traffic: when some have bytes the figures are floors and say
// so; when none has, what it processed is unknown, not "nothing", and the gateway-hours alone
// are priced.
func TestWithoutBytes(t *testing.T) {
	const noBytes = "version interface-id srcaddr dstaddr srcport dstport protocol packets start end action log-status\n"
	dir := t.TempDir()
	write := fileWriter(t, dir)
	// Another interface's records with bytes, so that the logs as a whole have the field.
	write("other.log", gatewayHead+"2 eni-other 10.0.1.5 10.0.2.9 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK\n")
	write("gateway.log", noBytes+
		"2 "+flowgen.NATENI+" 10.0.1.5 "+flowgen.NATAddr+" 40000 443 6 10 1717200000 1717200060 ACCEPT OK\n"+
		"2 "+flowgen.NATENI+" 52.1.2.3 "+flowgen.NATAddr+" 443 40000 6 10 1717200000 1717200060 ACCEPT OK\n")
	db := openLoaded(t, flowsql.Memory, dir)
	rep := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}})
	gw := rep.Gateways[0]
	if !gw.BytesUnknown || gw.RecordsWithoutBytes != 2 || gw.Hours != 1 || gw.HourlyCost <= 0 || gw.TotalCost != 0 || gw.MonthlyRate != 0 {
		t.Errorf("bytes unknown %v, records without %d, hours %d, hourly %v, total %v, rate %v",
			gw.BytesUnknown, gw.RecordsWithoutBytes, gw.Hours, gw.HourlyCost, gw.TotalCost, gw.MonthlyRate)
	}
	var text bytes.Buffer
	nat.Render(&text, rep, nat.RenderOptions{})
	for _, want := range []string{"Processed     unknown: 2 of its records have no bytes field", "Cost          data processing unknown; $0.05 for 1 gateway-hour",
		"None of the gateway's 2 records has a bytes field"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("no %q in\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "nothing in the period") || strings.Contains(text.String(), "No traffic through") {
		t.Errorf("records without bytes read as no traffic:\n%s", text.String())
	}
	// Beside the gateway's records with bytes, the figures are what those hold, and say so.
	write("gateway2.log", gatewayHead+
		"2 "+flowgen.NATENI+" 10.0.1.5 "+flowgen.NATAddr+" 40001 443 6 10 3000 1717200100 1717200160 ACCEPT OK\n")
	db = openLoaded(t, flowsql.Memory, dir)
	rep = analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}})
	gw = rep.Gateways[0]
	text.Reset()
	nat.Render(&text, rep, nat.RenderOptions{})
	if gw.BytesUnknown || gw.ProcessedBytes != 3000 || gw.RecordsWithoutBytes != 2 ||
		!strings.Contains(strings.Join(gw.Notes, " "), "2 of the gateway's 3 records have no bytes field") ||
		!strings.Contains(text.String(), "Processed     at least 2.9 KiB") || !strings.Contains(text.String(), "At this rate  at least $") {
		t.Errorf("bytes unknown %v, processed %d, records without %d:\n%s", gw.BytesUnknown, gw.ProcessedBytes, gw.RecordsWithoutBytes, text.String())
	}
}

// TestWithoutAction: a custom format may leave out ${action}. Traffic that a network ACL
// rejected on its way to the gateway is then not told apart from what the gateway processed:
// it counts as processed, and the analysis says so, with how many of the gateway's records and
// which of their bytes; records that have the field count their rejected traffic apart.
func TestWithoutAction(t *testing.T) {
	const noAction = "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status\n"
	dir := t.TempDir()
	write := fileWriter(t, dir)
	write("gateway.log", gatewayHead+
		"2 "+flowgen.NATENI+" 10.0.1.5 "+flowgen.NATAddr+" 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK\n"+
		"2 "+flowgen.NATENI+" 52.1.2.3 "+flowgen.NATAddr+" 443 40000 6 10 7000 1717200000 1717200060 ACCEPT OK\n"+
		"2 "+flowgen.NATENI+" 198.51.100.7 "+flowgen.NATAddr+" 50000 22 6 1 60 1717200000 1717200060 REJECT OK\n")
	db := openLoaded(t, flowsql.Memory, dir)
	gw := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]
	if gw.ProcessedBytes != 12000 || gw.RecordsWithoutAction != 0 || strings.Contains(strings.Join(gw.Notes, " "), "action field") {
		t.Fatalf("with the action field: processed %d, records without action %d, notes %q", gw.ProcessedBytes, gw.RecordsWithoutAction, gw.Notes)
	}
	// The same gateway's later records, from a format without action: a scan that a network
	// ACL rejected counts as processed, and the analysis says it may.
	write("later.log", noAction+
		"2 "+flowgen.NATENI+" 10.0.1.5 "+flowgen.NATAddr+" 40001 443 6 10 3000 1717200100 1717200160 OK\n"+
		"2 "+flowgen.NATENI+" 198.51.100.7 "+flowgen.NATAddr+" 50001 22 6 1 60 1717200100 1717200160 OK\n")
	db = openLoaded(t, flowsql.Memory, dir)
	rep := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}})
	gw = rep.Gateways[0]
	var text bytes.Buffer
	if err := nat.Render(&text, rep, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if gw.ProcessedBytes != 15060 || gw.RecordsWithoutAction != 2 || gw.BytesWithoutAction != 3060 ||
		!strings.Contains(strings.Join(gw.Notes, " "), "2 of the gateway's 5 records have no action field") ||
		!strings.Contains(text.String(), "may include traffic rejected before the gateway: 2 of its records have no action field") {
		t.Errorf("processed %d, records without action %d and their bytes %d:\n%s", gw.ProcessedBytes, gw.RecordsWithoutAction, gw.BytesWithoutAction, text.String())
	}
	// Beside a second gateway whose records have the field, the sums of the two say that the
	// first's may count rejected traffic.
	write("second.log", gatewayHead+
		"2 eni-0second 10.0.1.6 10.0.102.10 40000 443 6 10 4000 1717200000 1717200060 ACCEPT OK\n")
	db = openLoaded(t, flowsql.Memory, dir)
	rep = analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr, "10.0.102.10"}})
	text.Reset()
	if err := nat.Render(&text, rep, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	together := text.String()[:strings.Index(text.String(), "NAT gateway "+flowgen.NATAddr)]
	if !strings.Contains(together, "May be high") || !strings.Contains(together, "the figures of "+flowgen.NATAddr+",") || strings.Contains(together, "10.0.102.10,") {
		t.Errorf("the gateways' sums:\n%s", together)
	}
}

// TestShortPeriod: a period shorter than the records' aggregation interval (10 minutes, the
// flow log's default) takes in records that overlap its edges whole. The bytes and costs say
// so; the 30-day rate is of the bytes inside the period, each record's in proportion to its
// time inside, not of whole records over the period's minutes (which made it 5x too high).
func TestShortPeriod(t *testing.T) {
	db, _ := loadLog(t, "ten.log", gatewayHead+
		"2 "+flowgen.NATENI+" 10.0.1.5 "+flowgen.NATAddr+" 40000 443 6 10 6000 1717200000 1717200600 ACCEPT OK\n"+
		"2 "+flowgen.NATENI+" "+flowgen.NATAddr+" 52.1.2.3 40000 443 6 10 6000 1717200000 1717200600 ACCEPT OK\n")
	since, until := time.Unix(1717200240, 0), time.Unix(1717200360, 0) // 00:04 to 00:06
	rep := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}, Filters: queries.Filters{Since: since, Until: until}})
	gw := rep.Gateways[0]
	if gw.ProcessedBytes != 6000 || !gw.BeyondPeriod || gw.BytesInPeriod != 1200 || gw.CoveredSeconds != 120 {
		t.Fatalf("processed %d, beyond %v, in period %d, covered %d s", gw.ProcessedBytes, gw.BeyondPeriod, gw.BytesInPeriod, gw.CoveredSeconds)
	}
	want := nat.Cost(1200, 0.045)*30*24*3600/120 + 720*0.045
	if math.Abs(gw.MonthlyRate-want) > 1e-9 {
		t.Errorf("30-day rate $%f, want $%f", gw.MonthlyRate, want)
	}
	var text bytes.Buffer
	nat.Render(&text, rep, nat.RenderOptions{})
	if !strings.Contains(text.String(), "records that overlap its edges count whole in the bytes and costs, and the rate is of the 1.2 KiB inside it") {
		t.Errorf("the period's edges unsaid:\n%s", text.String())
	}
	// A period that cuts no record says nothing of edges, and rates the bytes as they are.
	gw = analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}, Filters: queries.Filters{Since: time.Unix(1717200000, 0)}}).Gateways[0]
	if gw.BeyondPeriod || gw.BytesInPeriod != 0 || gw.CoveredSeconds != 600 {
		t.Errorf("beyond %v, in period %d, covered %d s", gw.BeyondPeriod, gw.BytesInPeriod, gw.CoveredSeconds)
	}
}

// TestSameAddressBothFound: when the records show the gateways of two accounts at one
// address, each analysis names the other one (not itself), takes its zone from its own
// interface, says which account it is, and says the other has an analysis of its own.
func TestSameAddressBothFound(t *testing.T) {
	db, _ := loadLog(t, "two.log", zonedHead+
		"5 111111111111 eni-a 10.0.1.5 10.0.101.10 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK use1-az1 10.0.1.5 52.1.2.3\n"+
		"5 222222222222 eni-b 10.0.1.7 10.0.101.10 40002 443 6 10 7000 1717200000 1717200060 ACCEPT OK use1-az2 10.0.1.7 52.1.2.4\n")
	rep := analyze(t, db, nat.Options{})
	if len(rep.Gateways) != 2 {
		t.Fatalf("%d gateways", len(rep.Gateways))
	}
	for _, gw := range rep.Gateways {
		other, az, account := "eni-b", "use1-az1", "111111111111"
		if gw.InterfaceID == "eni-b" {
			other, az, account = "eni-a", "use1-az2", "222222222222"
		}
		notes := strings.Join(gw.Notes, " ")
		if gw.AZ != az || gw.Account != account || !strings.Contains(notes, "is also the address of interface "+other) ||
			strings.Contains(notes, "is also the address of interface "+gw.InterfaceID) || !strings.Contains(notes, "that one has an analysis of its own here") {
			t.Errorf("%s: zone %s, account %s, notes: %s", gw.InterfaceID, gw.AZ, gw.Account, notes)
		}
	}
	// The text tells them apart: in the table of the two, and in each one's heading.
	var text bytes.Buffer
	if err := nat.Render(&text, rep, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"\n10.0.101.10 in account 111111111111  use1-az1", "\n10.0.101.10 in account 222222222222  use1-az2",
		"\nNAT gateway 10.0.101.10 in account 111111111111\n", "\nNAT gateway 10.0.101.10 in account 222222222222\n"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("the report does not say %q:\n%s", s, text.String())
		}
	}
}

// TestLabels: gateways that share an address are told apart by account, or where the accounts
// do not tell them apart, by interface; others by address alone.
func TestLabels(t *testing.T) {
	a := &nat.Gateway{Address: "10.0.101.10", InterfaceID: "eni-a", Account: "1"}
	b := &nat.Gateway{Address: "10.0.101.10", InterfaceID: "eni-b", Account: "1"}
	c := &nat.Gateway{Address: "10.0.102.10", InterfaceID: "eni-c"}
	var text bytes.Buffer
	if err := nat.Render(&text, &nat.Report{Gateways: []*nat.Gateway{a, b, c}}, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"NAT gateway 10.0.101.10 on eni-a\n", "NAT gateway 10.0.101.10 on eni-b\n", "NAT gateway 10.0.102.10\n"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("the report does not say %q:\n%s", s, text.String())
		}
	}
}

// TestDefaultFormatElsewhere: the default format (no region, az-id or pkt-*-aws-service
// fields) of logs delivered in eu-west-1. The region comes from the files' S3 keys, and with
// it the region's prices; with no AWS ranges loaded, the service of the gateway's traffic and
// the zone of its sources are not known, and the report says so rather than show the traffic
// as "(not AWS)" and none of it avoidable.
func TestDefaultFormatElsewhere(t *testing.T) {
	src := t.TempDir()
	if _, _, err := flowgen.New(flowgen.Config{Seed: 12, Files: 6, RowsPerFile: 1500, Fields: flowgen.DefaultFields}).WriteTree(src); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dir, strings.ReplaceAll(rel, flowgen.Region, "eu-west-1"))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		return os.Rename(path, to)
	})
	if err != nil {
		t.Fatal(err)
	}
	db := openLoaded(t, flowsql.Memory, dir)
	rep := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}, Top: 1000})
	gw := rep.Gateways[0]
	want, err := nat.ListPrices("eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if gw.Region != "eu-west-1" || gw.Prices.PerGB != want.PerGB || gw.Prices.PerGB == 0.045 {
		t.Errorf("region %q, $%v/GB; want eu-west-1's $%v/GB", gw.Region, gw.Prices.PerGB, want.PerGB)
	}
	services := column(t, figure(t, gw, "nat-services"), "bytes")
	if _, ok := services["(not AWS)"]; ok || services["(unknown)"] == 0 || gw.UnknownServiceBytes != services["(unknown)"] || len(gw.AvoidableBytes) != 0 {
		t.Errorf("without AWS ranges: services %v, unknown %d, avoidable %v", services, gw.UnknownServiceBytes, gw.AvoidableBytes)
	}
	var text bytes.Buffer
	if err := nat.Render(&text, rep, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Avoidable     not known", "Cross-AZ      not known", "flowsql enrich aws-ranges", "eu-west-1"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("the report does not say %q:\n%s", s, text.String())
		}
	}
	if strings.Contains(text.String(), "region is not known") {
		t.Errorf("the report says the region is not known:\n%s", text.String())
	}
	// With AWS's ranges, every address is AWS's or known not to be; and the generator's S3 and
	// DynamoDB hosts are us-east-1's, which a gateway endpoint in eu-west-1 does not reach: not
	// avoidable, and said.
	if _, err := enrich.LoadAWSRanges(context.Background(), db, "../../testdata/ip-ranges-sample.json"); err != nil {
		t.Fatal(err)
	}
	rep = analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}, Top: 1000})
	gw = rep.Gateways[0]
	services = column(t, figure(t, gw, "nat-services"), "bytes")
	elsewhere := services["S3 (us-east-1)"] + services["DYNAMODB (us-east-1)"]
	if _, ok := services["(unknown)"]; ok || gw.UnknownServiceBytes != 0 || len(gw.AvoidableBytes) != 0 || services["S3 (us-east-1)"] == 0 || gw.OtherRegionBytes != elsewhere {
		t.Errorf("with AWS ranges: services %v, unknown %d, avoidable %v, in other regions %d", services, gw.UnknownServiceBytes, gw.AvoidableBytes, gw.OtherRegionBytes)
	}
	if rows := figure(t, gw, "nat-avoidable").Rows; len(rows) != 0 {
		t.Errorf("avoidable by source: %v", rows)
	}
	text.Reset()
	if err := nat.Render(&text, rep, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Avoidable     no S3 or DynamoDB traffic of the gateway's region found through the gateway; not ", "to S3 and DynamoDB in other regions, which a gateway endpoint does not reach",
		"none: an endpoint reaches its own region's service only"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("the report does not say %q:\n%s", s, text.String())
		}
	}
	// --region chooses the prices; the gateway's own region, from its files' keys, still decides
	// what a gateway endpoint reaches.
	gw = analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}, Top: 1000, Region: "us-east-1"}).Gateways[0]
	if gw.AvoidableBytes["S3"] != 0 || gw.OtherRegionBytes == 0 {
		t.Errorf("--region us-east-1 prices only: avoidable %v, in other regions %d", gw.AvoidableBytes, gw.OtherRegionBytes)
	}
}

// TestRejectedNotProcessed: traffic to the gateway that a network ACL rejected was dropped
// before it, and is not processed: the figures leave it out and a note says how much there
// was. NAT64 traffic, and a secondary address's, not to or from the gateway's address, are said
// to be left out. A gateway whose records are all rejected (a flow log of rejected traffic only) has no
// processed bytes to show, and says why rather than "no traffic". Whether the destinations'
// services can be told depends on the formats of the gateway's own files alone.
func TestRejectedNotProcessed(t *testing.T) {
	rejected := func(dir string) {
		t.Helper()
		lines := []string{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status pkt-src-aws-service pkt-dst-aws-service"}
		for i := range 3 {
			lines = append(lines, fmt.Sprintf("5 %s %s 203.0.113.9 %s 4444%d 22 6 10 5000 1717200000 1717200060 REJECT OK - -", flowgen.Account, flowgen.NATENI, flowgen.NATAddr, i))
		}
		// NAT64: an IPv6 source to 64:ff9b::/96 through the gateway, not addressed to its IPv4 address
		lines = append(lines, fmt.Sprintf("5 %s %s 2600:1f18:4a00:1201::10 64:ff9b::3400:1 40000 443 6 10 7000 1717200000 1717200060 ACCEPT OK - -", flowgen.Account, flowgen.NATENI))
		// a secondary private address of the gateway, whose outside legs the analysis does not follow
		lines = append(lines, fmt.Sprintf("5 %s %s 10.0.101.11 203.0.113.50 40000 443 6 10 9000 1717200000 1717200060 ACCEPT OK - -", flowgen.Account, flowgen.NATENI),
			fmt.Sprintf("5 %s %s 203.0.113.50 10.0.101.11 443 40000 6 10 1000 1717200000 1717200060 ACCEPT OK - -", flowgen.Account, flowgen.NATENI))
		// and a flow log of another interface in the default format, which tells nothing
		// of the gateway's traffic
		other := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
			"2 123456789012 eni-0other 10.9.9.9 10.9.9.10 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK\n"
		if err := os.WriteFile(filepath.Join(dir, "rejected.log"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "other.log"), []byte(other), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	_, truth, err := flowgen.New(flowgen.Config{Seed: 12, Files: 6, RowsPerFile: 1500}).WriteTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	rejected(dir)
	rep := analyze(t, openLoaded(t, flowsql.Memory, dir), nat.Options{NATIPs: []string{flowgen.NATAddr}})
	gw := rep.Gateways[0]
	// What it leaves out makes the processed bytes a floor, which the Processed line says.
	var text bytes.Buffer
	if err := nat.Render(&text, rep, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "its interface also carried 16.6 KiB that this count, following " + flowgen.NATAddr + ", leaves out (NAT64, secondary addresses; see the notes)"; gw.UncountedBytes != 17000 ||
		!strings.Contains(text.String(), "Processed     at least ") || !strings.Contains(text.String(), want) {
		t.Errorf("uncounted %d bytes; the report does not say %q with 'at least':\n%s", gw.UncountedBytes, want, text.String())
	}
	if notes := strings.Join(gw.Notes, " "); gw.ProcessedBytes != truth.NATBytes || !strings.Contains(notes, "3 records are of traffic to the gateway that a network ACL rejected") ||
		!strings.Contains(notes, "also logged 1 record of IPv6 traffic (6.8 KiB): NAT64") ||
		!strings.Contains(notes, "On the gateway's interface, 2 IPv4 records are neither to nor from "+flowgen.NATAddr+" (9.8 KiB)") {
		t.Errorf("processed %d, want %d; notes %v", gw.ProcessedBytes, truth.NATBytes, gw.Notes)
	}
	// Every file of the gateway's interface has pkt-*-aws-service: what they do not name is
	// not AWS's, whatever the other interface's format.
	if gw.UnknownServiceBytes != 0 {
		t.Errorf("%d bytes of unknown service, though the gateway's formats name services", gw.UnknownServiceBytes)
	}
	only := t.TempDir()
	rejected(only)
	gw = analyze(t, openLoaded(t, flowsql.Memory, only), nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]
	if notes := strings.Join(gw.Notes, " "); !gw.BytesUnknown || !strings.Contains(notes, "rejected traffic only") || strings.Contains(notes, "No traffic") {
		t.Errorf("only rejected records: bytes unknown %v, processed %d; notes %v", gw.BytesUnknown, gw.ProcessedBytes, gw.Notes)
	}
}

// TestEndpointsWeighed: an interface endpoint is weighed for the traffic of a service whose API
// has one (here KINESIS_VIDEO_STREAMS, as the records' pkt-dst-aws-service name it), not for
// EC2's hosts, CloudFront's edges or AMAZON's mix of APIs, whose remedies say why.
func TestEndpointsWeighed(t *testing.T) {
	lines := []string{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service"}
	for i, dst := range []struct{ addr, service string }{
		{"54.240.1.1", "KINESIS_VIDEO_STREAMS"}, {"3.80.1.1", "EC2"}, {"13.32.1.1", "CLOUDFRONT"}, {"52.94.1.1", "AMAZON"},
	} {
		bytes := 1000000 * (i + 1)
		// the VPC-side leg (the source to the gateway) and the outside leg (the gateway to the service)
		lines = append(lines,
			fmt.Sprintf("5 %s %s 10.0.1.5 %s 4000%d 443 6 100 %d 1717200000 1717200060 ACCEPT OK 10.0.1.5 %s - %s", flowgen.Account, flowgen.NATENI, flowgen.NATAddr, i, bytes, dst.addr, dst.service),
			fmt.Sprintf("5 %s %s %s %s 4000%d 443 6 100 %d 1717200000 1717200060 ACCEPT OK %s %s - %s", flowgen.Account, flowgen.NATENI, flowgen.NATAddr, dst.addr, i, bytes, flowgen.NATAddr, dst.addr, dst.service))
	}
	db, _ := loadLog(t, "nat.log", strings.Join(lines, "\n")+"\n")
	gw := analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}}).Gateways[0]
	var weighed []string
	for _, e := range gw.Endpoints {
		weighed = append(weighed, fmt.Sprintf("%s %d", e.Service, e.Bytes))
	}
	if fmt.Sprint(weighed) != "[KINESIS_VIDEO_STREAMS 1000000]" {
		t.Errorf("interface endpoints weighed: %v", weighed)
	}
	remedies := map[string]string{}
	res := figure(t, gw, "nat-services")
	for _, r := range res.Rows {
		remedies[output.Text(r[0], "")] = output.Text(r[6], "")
	}
	for service, want := range map[string]string{"EC2": "none: hosts on EC2", "CLOUDFRONT": "none: no endpoint", "AMAZON": "an interface endpoint for each AWS API", "KINESIS_VIDEO_STREAMS": "interface endpoint"} {
		if !strings.HasPrefix(remedies[service], want) {
			t.Errorf("%s: remedy %q, want %q...", service, remedies[service], want)
		}
	}
	// An endpoint reaches its own region's service only: with AWS's ranges, an API in another
	// region than the gateway's (us-east-1) is not weighed, and the remedy says why.
	lines = lines[:1]
	for i, addr := range []string{"44.220.189.16", "18.246.224.200"} { // Kinesis Video Streams in us-east-1, us-west-2
		bytes := 1000000 * (i + 1)
		lines = append(lines,
			fmt.Sprintf("5 %s %s 10.0.1.5 %s 4000%d 443 6 100 %d 1717200000 1717200060 ACCEPT OK 10.0.1.5 %s - -", flowgen.Account, flowgen.NATENI, flowgen.NATAddr, i, bytes, addr),
			fmt.Sprintf("5 %s %s %s %s 4000%d 443 6 100 %d 1717200000 1717200060 ACCEPT OK %s %s - -", flowgen.Account, flowgen.NATENI, flowgen.NATAddr, addr, i, bytes, flowgen.NATAddr, addr))
	}
	db, _ = loadLog(t, "nat.log", strings.Join(lines, "\n")+"\n")
	if _, err := enrich.LoadAWSRanges(context.Background(), db, "../../testdata/ip-ranges.json.gz"); err != nil {
		t.Fatal(err)
	}
	gw = analyze(t, db, nat.Options{NATIPs: []string{flowgen.NATAddr}, Region: "us-east-1"}).Gateways[0]
	weighed = nil
	for _, e := range gw.Endpoints {
		weighed = append(weighed, fmt.Sprintf("%s %d", e.Service, e.Bytes))
	}
	remedies = map[string]string{}
	for _, r := range figure(t, gw, "nat-services").Rows {
		remedies[output.Text(r[0], "")] = output.Text(r[6], "")
	}
	if fmt.Sprint(weighed) != "[KINESIS_VIDEO_STREAMS 1000000]" || !strings.HasPrefix(remedies["KINESIS_VIDEO_STREAMS (us-west-2)"], "none: an endpoint reaches its own region") {
		t.Errorf("interface endpoints weighed: %v; remedies %v", weighed, remedies)
	}
}

// TestOverlappingFlowLogs: when two flow logs record the gateway's own interface at the same
// time (a VPC's and its subnet's, say), each counts its traffic: the processed bytes and costs
// are too high, and the Processed line says so with the flow logs; another interface recorded
// twice does not make the gateway's figures so.
func TestOverlappingFlowLogs(t *testing.T) {
	dir := t.TempDir()
	name := func(log string) string {
		return filepath.Join(dir, "111111111111_vpcflowlogs_us-east-1_"+log+"_20240601T0000Z_0a1b2c3d.log")
	}
	gateway := "5 111111111111 eni-nat 10.0.1.5 10.0.101.10 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK use1-az1 10.0.1.5 52.1.2.3\n" +
		"5 111111111111 eni-nat 10.0.101.10 52.1.2.3 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK use1-az1 10.0.1.5 52.1.2.3\n"
	instance := "5 111111111111 eni-i 10.0.1.5 52.1.2.3 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK use1-az1 10.0.1.5 52.1.2.3\n"
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(zonedHead+text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	other := "5 111111111111 eni-nat2 10.0.2.5 10.0.102.10 40000 443 6 10 1000 1717200000 1717200060 ACCEPT OK use1-az2 10.0.2.5 52.1.2.4\n"
	write(name("fl-aaa"), gateway+instance+other)
	write(name("fl-bbb"), instance+instance) // the instance's interface again, not the gateway's
	db := openLoaded(t, flowsql.Memory, dir)
	byAddress := func(rep *nat.Report, addr string) *nat.Gateway {
		for _, gw := range rep.Gateways {
			if gw.Address == addr {
				return gw
			}
		}
		t.Fatalf("no gateway %s among %d", addr, len(rep.Gateways))
		return nil
	}
	gw := byAddress(analyze(t, db, nat.Options{}), "10.0.101.10")
	if gw.ProcessedBytes != 5000 || len(gw.OverlappingFlowLogs) != 0 {
		t.Fatalf("another interface recorded twice: processed %d, overlapping flow logs %v", gw.ProcessedBytes, gw.OverlappingFlowLogs)
	}
	write(name("fl-ccc"), gateway) // the gateway's interface again, by a third flow log
	files, err := ingest.LocalFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Load(context.Background(), db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	rep := analyze(t, db, nat.Options{})
	gw = byAddress(rep, "10.0.101.10")
	if other := byAddress(rep, "10.0.102.10"); len(other.OverlappingFlowLogs) != 0 {
		t.Errorf("the other gateway's interface, recorded once: overlapping flow logs %v", other.OverlappingFlowLogs)
	}
	if gw.ProcessedBytes != 10000 || strings.Join(gw.OverlappingFlowLogs, " ") != "fl-aaa fl-ccc" {
		t.Fatalf("the gateway's interface recorded twice: processed %d, overlapping flow logs %v", gw.ProcessedBytes, gw.OverlappingFlowLogs)
	}
	var text bytes.Buffer
	if err := nat.Render(&text, rep, nat.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"each byte counted once per flow log that records the interface: too high, with the costs below, since 2 do at the same time (fl-aaa, fl-ccc; see the notes)",
		"Too high      the figures of 10.0.101.10, whose interface more than one flow log records"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the report does not say %q:\n%s", want, text.String())
		}
	}
}

// TestSkippedRecordsFloor: SKIPDATA records of the gateway's interface (AWS skipped records
// in those windows) make its bytes and costs a floor: the Processed line says "at least", and
// why, where before only a note at the end did.
func TestSkippedRecordsFloor(t *testing.T) {
	records := "5 111111111111 eni-nat 10.0.1.5 10.0.101.10 40000 443 6 10 5000 1717200000 1717200060 ACCEPT OK use1-az1 10.0.1.5 52.1.2.3\n" +
		"5 111111111111 eni-nat 52.1.2.3 10.0.101.10 443 40000 6 10 9000 1717200000 1717200060 ACCEPT OK use1-az1 52.1.2.3 10.0.101.10\n"
	for _, skipped := range []bool{false, true} {
		text := zonedHead + records
		if skipped {
			text += "5 111111111111 eni-nat - - - - - - - 1717200060 1717200120 - SKIPDATA use1-az1 - -\n"
		}
		db, _ := loadLog(t, "nat.log", text)
		rep := analyze(t, db, nat.Options{})
		var out bytes.Buffer
		if err := nat.Render(&out, rep, nat.RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		floor := strings.Contains(out.String(), "Processed     at least 13.7 KiB") &&
			strings.Contains(out.String(), "AWS skipped records of its interface in some windows (1 SKIPDATA record; see the notes)") &&
			strings.Contains(out.String(), "At this rate  at least ")
		if floor != skipped || rep.Gateways[0].ProcessedBytes != 14000 {
			t.Errorf("SKIPDATA %v: processed %d, said to be a floor %v:\n%s", skipped, rep.Gateways[0].ProcessedBytes, floor, out.String())
		}
	}
}

// TestSourcesInOtherVPCs: a centralised egress VPC, whose NAT gateway a spoke VPC of another
// account reaches through a Transit Gateway. The spoke's own records give its host's zone, but
// that zone does not tell which zones its traffic crosses on the way to the gateway: the
// cross-AZ figure leaves it out and says why, rather than ask for az-id, which the format has.
func TestSourcesInOtherVPCs(t *testing.T) {
	const head = "version account-id vpc-id interface-id az-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr srcport dstport protocol packets bytes start end action log-status\n"
	dir := t.TempDir()
	for name, text := range map[string]string{
		"egress.log": head +
			"5 999999999999 vpc-e eni-nat use1-az1 10.1.5.5 10.100.0.10 10.1.5.5 52.216.1.1 40000 443 6 100 1000000 1717200000 1717200060 ACCEPT OK\n" +
			"5 999999999999 vpc-e eni-nat use1-az1 10.100.0.10 52.216.1.1 10.100.0.10 52.216.1.1 40000 443 6 100 1000000 1717200000 1717200060 ACCEPT OK\n" +
			"5 999999999999 vpc-e eni-nat use1-az1 52.216.1.1 10.100.0.10 52.216.1.1 10.100.0.10 443 40000 6 100 2000000 1717200000 1717200060 ACCEPT OK\n" +
			"5 999999999999 vpc-e eni-nat use1-az1 10.100.0.10 10.1.5.5 52.216.1.1 10.1.5.5 443 40000 6 100 2000000 1717200000 1717200060 ACCEPT OK\n" +
			// a host of the egress VPC itself, in the other zone
			"5 999999999999 vpc-e eni-nat use1-az1 10.100.2.7 10.100.0.10 10.100.2.7 52.216.1.1 40001 443 6 10 500000 1717200000 1717200060 ACCEPT OK\n",
		"spoke.log": head +
			"5 111111111111 vpc-s eni-inst use1-az2 10.1.5.5 52.216.1.1 10.1.5.5 52.216.1.1 40000 443 6 100 1000000 1717200000 1717200060 ACCEPT OK\n" +
			"5 111111111111 vpc-s eni-inst use1-az2 52.216.1.1 10.1.5.5 52.216.1.1 10.1.5.5 443 40000 6 100 2000000 1717200000 1717200060 ACCEPT OK\n" +
			"5 999999999999 vpc-e eni-host use1-az2 10.100.2.7 52.216.1.1 10.100.2.7 52.216.1.1 40001 443 6 10 500000 1717200000 1717200060 ACCEPT OK\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := openLoaded(t, flowsql.Memory, dir)
	gw := analyze(t, db, nat.Options{}).Gateways[0]
	notes := strings.Join(gw.Notes, " ")
	if gw.CrossAZBytes != 500000 || gw.UnknownAZBytes != 3000000 ||
		!strings.Contains(notes, "2.9 MiB of the sources' traffic is of hosts whose own records are of another VPC or account than the gateway's (10.1.5.5 in vpc-s)") ||
		strings.Contains(notes, "add az-id") {
		t.Errorf("cross-AZ %d bytes, unknown %d; notes: %s", gw.CrossAZBytes, gw.UnknownAZBytes, notes)
	}
	for _, f := range gw.Figures {
		if f.Name == "nat-cross-az" {
			rows, err := queries.Scan[struct {
				Source    string `col:"source"`
				SourceVPC string `col:"source_vpc"`
			}](f.Result)
			if err != nil || len(rows) != 2 || rows[1].Source != "10.1.5.5" || rows[1].SourceVPC != "vpc-s" || rows[0].SourceVPC != "" {
				t.Errorf("nat-cross-az rows %+v (%v)", rows, err)
			}
		}
	}
}
