package nat_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
	ctx := context.Background()
	dir := t.TempDir()
	_, truth, err := flowgen.New(cfg).WriteTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := flowsql.Open(ctx, filepath.Join(t.TempDir(), "nat.duckdb"), flowsql.Options{})
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
	return db, truth
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

// TestFromENISnapshot: the gateway and the sources' zones come from the eni table; the output
// formats carry the figures and their SQL.
func TestFromENISnapshot(t *testing.T) {
	ctx := context.Background()
	db, truth := scenario(t, flowgen.Config{Seed: 13, Files: 6, RowsPerFile: 1000, Fields: flowgen.DefaultFields})
	srv := httptest.NewServer(fakeaws.NewEC2())
	defer srv.Close()
	client := ec2.New(ec2.Options{Region: flowgen.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	if _, err := enrich.SnapshotENIs(ctx, db, client, flowgen.Region); err != nil {
		t.Fatal(err)
	}
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
