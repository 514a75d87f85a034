package main

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/fakeaws"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/pkg/ingest"
	"github.com/klauspost/compress/gzip"
	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script with what the commands print")

// TestMain lets the test binary run as the flowsql command, for the scripts.
func TestMain(m *testing.M) {
	if os.Getenv("FLOWSQL_RUN_MAIN") == "1" { // a test runs the binary as flowsql itself
		main()
	}
	testscript.Main(m, map[string]func(){"flowsql": main})
}

// TestScripts runs the end-to-end scripts in testdata/script. With -update, the expected
// output that a script compares with cmp is rewritten from what the commands printed.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("FLOWSQL_DB", filepath.Join(e.WorkDir, "flows.duckdb"))
			if dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "samples")); err == nil {
				e.Setenv("SAMPLES", dir)
			}
			e.Setenv("TESTDATA", mustAbs(filepath.Join("..", "..", "testdata")))
			// No AWS configuration leaks in, and nothing probes for an instance role.
			e.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			e.Setenv("AWS_CONFIG_FILE", filepath.Join(e.WorkDir, "no-aws-config"))
			e.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(e.WorkDir, "no-aws-credentials"))
			return startFakes(e)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"flowgen":    cmdFlowgen,
			"gzip":       cmdGzip,
			"truncate":   cmdTruncate,
			"corrupt":    cmdCorrupt,
			"cloudwatch": cmdCloudWatch,
		},
	})
}

// startFakes starts, for each script, the servers that enrich talks to, on loopback, and points
// flowsql at them, so that no script can reach AWS or a registry: EC2 with the generated
// world's interfaces, CloudWatch and Cost Explorer with the metrics and the bill of the last
// flow logs generated (cmdFlowgen),
// RDAP and whois that know its networks, and a copy of ip-ranges.json.
func startFakes(e *testscript.Env) error {
	ec2 := httptest.NewServer(fakeaws.NewEC2())
	rdap := httptest.NewServer(&fakeaws.RDAP{})
	ranges := httptest.NewServer(http.FileServer(http.Dir(mustAbs(filepath.Join("..", "..", "testdata")))))
	whois := &fakeaws.Whois{}
	whoisAddr, err := whois.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	e.Defer(func() {
		ec2.Close()
		rdap.Close()
		ranges.Close()
		whois.Close()
	})
	e.Setenv("AWS_ENDPOINT_URL_EC2", ec2.URL)
	cw := fakeaws.NewCloudWatch(flowgen.NATID, nil)
	cwSrv := httptest.NewServer(cw)
	e.Defer(cwSrv.Close)
	e.Values["cloudwatch"] = cw
	e.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", cwSrv.URL)
	ce := fakeaws.NewCostExplorer(nil)
	ceSrv := httptest.NewServer(ce)
	e.Defer(ceSrv.Close)
	e.Values["costexplorer"] = ce
	e.Setenv("AWS_ENDPOINT_URL_COST_EXPLORER", ceSrv.URL)
	e.Setenv("FLOWSQL_RDAP_URL", rdap.URL)
	e.Setenv("FLOWSQL_WHOIS_SERVER", whoisAddr)
	e.Setenv("FLOWSQL_AWS_RANGES_URL", ranges.URL+"/ip-ranges-sample.json")
	athenaURL, err := athenaFake()
	if err != nil {
		return err
	}
	e.Setenv("AWS_ENDPOINT_URL_ATHENA", athenaURL)
	return nil
}

var athenaOnce struct {
	sync.Once
	url string
	err error
}

// athenaFake starts, once for all scripts, an Athena server on loopback whose table
// vpc_flow_logs holds generated default-format logs (flowgen -format default -seed 5 -files 6
// -rows 500), as Athena would read them from S3.
func athenaFake() (string, error) {
	athenaOnce.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "flowsql-athena-")
		if err != nil {
			athenaOnce.err = err
			return
		}
		defer os.RemoveAll(dir)
		cfg := flowgen.Config{Seed: 5, Files: 6, RowsPerFile: 500, Fields: flowgen.DefaultFields}
		if _, _, err := flowgen.New(cfg).WriteTree(dir); err != nil {
			athenaOnce.err = err
			return
		}
		db, err := flowsql.Open(ctx, flowsql.Memory, flowsql.Options{})
		if err != nil {
			athenaOnce.err = err
			return
		}
		files, _ := ingest.LocalFiles([]string{dir})
		if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
			athenaOnce.err = err
			return
		}
		if err := fakeaws.AthenaTable(db, "vpc_flow_logs"); err != nil {
			athenaOnce.err = err
			return
		}
		athenaOnce.url = httptest.NewServer(&fakeaws.Athena{DB: db, PageSize: 4, ScannedBytes: 3 << 30}).URL
	})
	return athenaOnce.url, athenaOnce.err
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

// flowgen [-files N] [-rows N] [-seed N] [-format default|custom|shuffled] [-layout default|hourly|hive] [-no-header] [-surge-from N] DIR
func cmdFlowgen(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("flowgen", flag.ContinueOnError)
	files := fs.Int("files", 6, "")
	rows := fs.Int("rows", 300, "")
	seed := fs.Uint64("seed", 1, "")
	format := fs.String("format", "custom", "")
	layout := fs.String("layout", "default", "")
	noHeader := fs.Bool("no-header", false, "")
	surge := fs.Int("surge-from", 0, "")
	unlogged := fs.Int64("unlogged", 0, "")
	resolver := fs.Bool("resolver-logs", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		ts.Fatalf("usage: flowgen [flags] DIR")
	}
	cfg := flowgen.Config{Seed: *seed, Files: *files, RowsPerFile: *rows, NoHeader: *noHeader, SurgeFrom: *surge, ResolverLogs: *resolver,
		Fields: map[string][]string{"default": flowgen.DefaultFields, "custom": flowgen.CustomFields, "shuffled": flowgen.ShuffledFields}[*format]}
	cfg.Layout = map[string]flowgen.Layout{"default": flowgen.LayoutDefault, "hourly": flowgen.LayoutHourly, "hive": flowgen.LayoutHive}[*layout]
	_, truth, err := flowgen.New(cfg).WriteTree(ts.MkAbs(fs.Arg(0)))
	if err != nil {
		ts.Fatalf("flowgen: %v", err)
	}
	// The loopback CloudWatch meters what the gateway of these logs processed, plus in the
	// first hour -unlogged percent more that no log holds.
	first := truth.NATStart - truth.NATStart%3600
	extra := map[int64]int64{first: truth.NATByHour[first] * *unlogged / 100}
	ts.Value("cloudwatch").(*fakeaws.CloudWatch).SetHours(flowgen.NATID, truth.NATMetrics(extra))
	// The loopback Cost Explorer bills the same at a negotiated $0.04/GB and $0.05/hour.
	ts.Value("costexplorer").(*fakeaws.CostExplorer).SetDays(truth.NATBill(extra, 0.04, 0.05))
}

// cloudwatch deny|allow: the loopback CloudWatch refuses every request (AccessDenied), or not.
func cmdCloudWatch(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || args[0] != "deny" && args[0] != "allow" {
		ts.Fatalf("usage: cloudwatch deny|allow")
	}
	ts.Value("cloudwatch").(*fakeaws.CloudWatch).Deny.Store(args[0] == "deny")
}

// gzip FILE: writes FILE.gz.
func cmdGzip(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: gzip FILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+".gz"), b.Bytes(), 0o644))
}

// truncate PATTERN N: keeps the first N bytes of each file that PATTERN matches.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: truncate PATTERN N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	for _, p := range glob(ts, args[0]) {
		ts.Check(os.Truncate(p, int64(n)))
	}
}

// corrupt [-crc] PATTERN: damages the compressed data in the middle of each matching gzip
// file, or with -crc only the CRC in its trailer (the data stays whole).
func cmdCorrupt(ts *testscript.TestScript, neg bool, args []string) {
	crc := len(args) > 0 && args[0] == "-crc"
	if crc {
		args = args[1:]
	}
	for _, p := range glob(ts, args[0]) {
		data, err := os.ReadFile(p)
		ts.Check(err)
		if crc {
			data[len(data)-6] ^= 0xff
		} else {
			for i := len(data) / 2; i < len(data)/2+64; i++ {
				data[i] ^= 0x5a
			}
		}
		ts.Check(os.WriteFile(p, data, 0o644))
	}
}

func glob(ts *testscript.TestScript, pattern string) []string {
	m, err := filepath.Glob(ts.MkAbs(pattern))
	ts.Check(err)
	if len(m) == 0 {
		ts.Fatalf("no file matches %s", pattern)
	}
	return m
}
