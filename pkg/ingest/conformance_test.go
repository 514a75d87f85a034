package ingest_test

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowsql/flowsql/pkg/ingest"
)

// sample finds a flow-log sample that another project published, by its path in the shared
// collection: there ($FLOWSQL_SAMPLES, else ../shared/samples next to the repository), else in
// testdata/samples, which bundles those whose licence allows a copy. A test of a sample that is
// in neither place skips.
func sample(t *testing.T, rel string) string {
	t.Helper()
	shared := os.Getenv("FLOWSQL_SAMPLES")
	if shared == "" {
		shared = filepath.Join("..", "..", "..", "shared", "samples")
	}
	for _, dir := range []string{shared, filepath.Join("testdata", "samples")} {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	t.Skipf("no sample %s in %s or testdata/samples (set FLOWSQL_SAMPLES)", rel, shared)
	return ""
}

// lineTotals is an independent reading of flow-log lines: records, and the sum of a field.
func lineTotals(t *testing.T, format string, lines []string, field string) (n int, sum int64) {
	t.Helper()
	names := strings.Fields(format)
	idx := -1
	for i, f := range names {
		if strings.Trim(f, "${}") == field {
			idx = i
		}
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != len(names) {
			continue
		}
		n++
		if v, err := strconv.ParseInt(f[idx], 10, 64); err == nil {
			sum += v
		}
	}
	return n, sum
}

func readLines(t *testing.T, path string, skipHeader bool) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if skipHeader {
		lines = lines[1:]
	}
	return lines
}

// TestConformanceHeaderFiles: S3-style files with a header load with no format given.
func TestConformanceHeaderFiles(t *testing.T) {
	for _, name := range []string{
		"grafana-vpc-flow-logs-analyzer/aws-flow-logs-10.3.11.57-142.250.185.91.log",
		"grafana-vpc-flow-logs-analyzer/aws-test_flow_logs.log",
		"opentelemetry-collector-contrib/valid_vpc_flow_log.log",
		"opentelemetry-collector-contrib/valid_vpc_flow_log_ecs.log",
	} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			path := sample(t, name)
			lines := readLines(t, path, false)
			n, bytes := lineTotals(t, lines[0], lines[1:], "bytes")
			db := newDB(t)
			sum := load(t, db, ingest.Options{}, path)
			if sum.Loaded != 1 || sum.Rejected != 0 || sum.Rows != int64(n) {
				t.Fatalf("%+v, want %d rows", sum.Results[0], n)
			}
			if got := queryInt(t, db, `SELECT coalesce(sum(bytes), 0) FROM flows`); got != bytes {
				t.Errorf("sum(bytes) = %d, want %d", got, bytes)
			}
		})
	}
	t.Run("grafana", func(t *testing.T) {
		db := newDB(t)
		load(t, db, ingest.Options{}, sample(t, "grafana-vpc-flow-logs-analyzer"))
		checkStrings(t, db, map[string]string{
			`SELECT pkt_srcaddr FROM flows WHERE bytes = 737`:                                  "142.250.185.91",
			`SELECT pkt_dst_aws_service FROM flows WHERE dstaddr = '3.5.246.198'`:              "S3",
			`SELECT pkt_src_aws_service FROM flows WHERE pkt_srcaddr = '3.78.206.74'`:          "AMAZON",
			`SELECT log_status || ' ' || start FROM flows WHERE log_status = 'SKIPDATA'`:       "SKIPDATA 1754324989",
			`SELECT CAST(count(*) AS VARCHAR) FROM flows WHERE pkt_dstaddr = '142.250.185.91'`: "15",
		})
	})
	t.Run("ecs", func(t *testing.T) {
		ecs := newDB(t)
		load(t, ecs, ingest.Options{}, sample(t, "opentelemetry-collector-contrib/valid_vpc_flow_log_ecs.log"))
		if got := queryString(t, ecs, `SELECT ecs_service_name || ' ' || ecs_task_id || ' ' || ecs_cluster_name FROM flows`); got != "my-service abcdef1234567890 my-cluster" {
			t.Errorf("ECS fields: %q", got)
		}
	})
}

// checkStrings runs each query and compares its one value with the text wanted.
func checkStrings(t *testing.T, db *sql.DB, checks map[string]string) {
	t.Helper()
	for q, want := range checks {
		if got := queryString(t, db, q); got != want {
			t.Errorf("%s = %q, want %q", q, got, want)
		}
	}
}

// TestConformanceTransitGateway: the Transit Gateway samples, with header and without.
func TestConformanceTransitGateway(t *testing.T) {
	db := newDB(t)
	load(t, db, ingest.Options{}, sample(t, "opentelemetry-collector-contrib/valid_tgw_flow_log.log"))
	if got := queryString(t, db, `SELECT tgw_src_az_id || ' ' || tgw_pair_attachment_id || ' ' || flow_direction || ' ' || tcp_flags FROM tgw_flows`); got != "use1-az1 tgw-attach-0def12345abc67890 ingress 2" {
		t.Errorf("tgw row: %q", got)
	}
	t.Run("headerless", func(t *testing.T) {
		path := sample(t, "elastic-integrations/test-tgw-samples.log")
		lines := readLines(t, path, false)
		n, bytes := lineTotals(t, ingest.Presets["tgw"], lines, "bytes")
		db := newDB(t)
		sum := load(t, db, ingest.Options{Format: "tgw"}, path)
		if sum.Rows != int64(n) || sum.Rejected != 0 || sum.Results[0].Table != "tgw_flows" {
			t.Fatalf("%+v, want %d rows", sum.Results[0], n)
		}
		if got := queryInt(t, db, `SELECT sum(bytes) FROM tgw_flows`); got != bytes {
			t.Errorf("sum(bytes) %d, want %d", got, bytes)
		}
		if got := queryString(t, db, `SELECT tgw_attachment_id FROM tgw_flows WHERE srcport = 39464`); got != "tgw-attach-0789ijkl" {
			t.Errorf("tgw_attachment_id %q", got)
		}
	})
}

// TestConformanceHeaderless: Elastic's headerless lines of 14, 29, 39 and 40 fields, with the
// format the integration documents for each.
func TestConformanceHeaderless(t *testing.T) {
	all := strings.Fields(ingest.Presets["all"])
	cases := []struct {
		file   string
		format string
		check  string
		want   string
	}{
		{"test-extra-samples.log", "default", `SELECT srcaddr FROM flows WHERE bytes = 8855`, "2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6"},
		{"test-v5-all-fields.log", strings.Join(all[:29], " "), `SELECT az_id || ' ' || pkt_dst_aws_service || ' ' || traffic_path FROM flows`, "use1-az5 CLOUDFRONT 1"},
		{"test-ecs-samples.log", strings.Join(all[:39], " "), `SELECT ecs_cluster_name FROM flows WHERE bytes = 14927`, "frontend-cluster"},
		{"test-v8-samples.log", "all", `SELECT reject_reason || ' ' || ecs_service_name FROM flows`, "BPA payments-service"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := sample(t, "elastic-integrations/"+c.file)
			format := c.format
			if p, ok := ingest.Presets[format]; ok {
				format = p
			}
			n, bytes := lineTotals(t, format, readLines(t, path, false), "bytes")
			db := newDB(t)
			sum := load(t, db, ingest.Options{Format: c.format}, path)
			if sum.Loaded != 1 || sum.Rows != int64(n) || sum.Rejected != 0 {
				t.Fatalf("%+v, want %d rows", sum.Results[0], n)
			}
			if got := queryInt(t, db, `SELECT coalesce(sum(bytes), 0) FROM flows`); got != bytes {
				t.Errorf("sum(bytes) %d, want %d", got, bytes)
			}
			if got := queryString(t, db, c.check); got != c.want {
				t.Errorf("%s = %q, want %q", c.check, got, c.want)
			}
		})
	}
}

// TestConformanceJSON: the {"message": ...} wrapper and a CloudWatch Logs subscription envelope.
func TestConformanceJSON(t *testing.T) {
	t.Run("cloudwatch", func(t *testing.T) {
		db := newDB(t)
		sum := load(t, db, ingest.Options{Format: "${version} ${interface-id} ${srcaddr} ${dstaddr}"},
			sample(t, "opentelemetry-collector-contrib/valid_vpc_flow_cw_custom.json"))
		if sum.Rows != 2 || queryString(t, db, `SELECT string_agg(dstaddr, ',' ORDER BY dstaddr) FROM flows`) != "172.31.16.21,172.31.9.12" {
			t.Fatalf("CloudWatch envelope: %+v", sum.Results[0])
		}
	})
	t.Run("message", func(t *testing.T) {
		db := newDB(t)
		sum := load(t, db, ingest.Options{Format: "default"}, sample(t, "elastic-integrations/test-with-message-field.log"))
		if sum.Rows != 1 || queryString(t, db, `SELECT log_status || ' ' || account_id FROM flows`) != "NODATA 428961148399" {
			t.Fatalf("message wrapper: %+v", sum.Results[0])
		}
	})
}

// TestConformanceParquet: the Parquet file flowlogs-reader tests with (written by pandas:
// account_id as a number, ports as strings, "None" for missing values).
func TestConformanceParquet(t *testing.T) {
	db := newDB(t)
	sum := load(t, db, ingest.Options{}, sample(t, "flowlogs-reader/flows.parquet"))
	if sum.Rows != 3 || sum.Failed != 0 {
		t.Fatalf("%+v", sum.Results[0])
	}
	if got := queryString(t, db, `SELECT account_id || ' ' || srcaddr || ' ' || dstport || ' ' || coalesce(CAST(packets AS VARCHAR), 'NULL') FROM flows WHERE srcaddr = '198.51.100.7'`); got != "123456789010 198.51.100.7 100 NULL" {
		t.Errorf("row: %q", got)
	}
	if got := queryInt(t, db, `SELECT count(*) FROM flows WHERE log_status = 'NODATA' AND srcaddr IS NULL`); got != 1 {
		t.Errorf("NODATA rows with srcaddr '-': %d", got)
	}
	// Its record with protocol 8080 is noted by its values: a Parquet file has no lines to quote
	// (they were its binary read as text, with the wrong reasons).
	if got := queryString(t, db, `SELECT coalesce(CAST(line AS VARCHAR), '-') || ' ' || reason || ' | ' || raw FROM load_errors`); !strings.HasPrefix(got,
		"- a record: protocol 8080 is outside 0-255 (loaded as it is) | version=2 account-id=123456789010 interface-id=eni-202010ab srcaddr=198.51.100.7 ") {
		t.Errorf("load_errors: %q", got)
	}
}

// TestConformanceElasticDocExamples: every AWS documentation example in Elastic's test file,
// each section loaded with its own format (one line has a double space).
func TestConformanceElasticDocExamples(t *testing.T) {
	dir := sample(t, "elastic-beats")
	sections := parseElasticYAML(t, filepath.Join(dir, "aws-vpc-flow-logs.yml"))
	if len(sections) < 6 {
		t.Fatalf("read %d sections", len(sections))
	}
	for name, s := range sections {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), name+".log", strings.Join(s.samples, "\n")+"\n")
			db := newDB(t)
			sum := load(t, db, ingest.Options{Format: s.format}, path)
			if sum.Loaded != 1 || sum.Rows != int64(len(s.samples)) || sum.Rejected != 0 {
				t.Fatalf("%+v, want %d rows", sum.Results[0], len(s.samples))
			}
			if !strings.Contains(s.format, "srcaddr") {
				return
			}
			fields := strings.Fields(s.format)
			for i, f := range fields {
				if f != "srcaddr" {
					continue
				}
				first := strings.Fields(s.samples[0])[i]
				if first == "-" {
					break
				}
				if n := queryInt(t, db, `SELECT count(*) FROM flows WHERE srcaddr = ?`, first); n == 0 {
					t.Errorf("no row has srcaddr %s", first)
				}
			}
		})
	}
	bad := filepath.Join(dir, "bad.log")
	db := newDB(t)
	sum := load(t, db, ingest.Options{}, bad)
	if sum.Failed != 1 || !strings.Contains(sum.Results[0].Note, "no header line") {
		t.Errorf("bad.log: %+v", sum.Results[0])
	}
}

type docSection struct {
	format  string
	samples []string
}

// parseElasticYAML reads the format and sample lines of each section of Elastic's test file:
// just enough YAML for that file (sections with anchors and no samples are left out).
func parseElasticYAML(t *testing.T, path string) map[string]docSection {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]docSection{}
	var name string
	var cur docSection
	flush := func() {
		if name != "" && cur.format != "" && len(cur.samples) > 0 {
			out[name] = cur
		}
		cur = docSection{}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		switch {
		case trim == "" || strings.HasPrefix(trim, "#") || trim == "---":
		case !strings.HasPrefix(line, " ") && strings.HasSuffix(trim, ":") || !strings.HasPrefix(line, " ") && strings.Contains(trim, ": &"):
			flush()
			name, _, _ = strings.Cut(trim, ":")
		case strings.HasPrefix(trim, "format:"):
			cur.format = strings.TrimSpace(strings.TrimPrefix(trim, "format:"))
		case strings.HasPrefix(trim, "- "):
			v := strings.TrimSpace(strings.TrimPrefix(trim, "- "))
			if strings.HasPrefix(v, "'") {
				v = strings.Trim(v, "'")
			} else if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
			cur.samples = append(cur.samples, v)
		}
	}
	flush()
	return out
}

// TestConformanceSekoia: the raw lines of SEKOIA's test cases (default and version 5 lines,
// and JSON records), checked against the values each case expects.
func TestConformanceSekoia(t *testing.T) {
	dir := sample(t, "SEKOIA-IO-intake-formats")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Fields(ingest.Presets["all"])
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			var tc struct {
				Input struct {
					Message string `json:"message"`
				} `json:"input"`
				Expected struct {
					Source struct {
						Address string      `json:"address"`
						Bytes   json.Number `json:"bytes"`
					} `json:"source"`
					Destination struct {
						Port json.Number `json:"port"`
					} `json:"destination"`
					Cloud struct {
						Account struct {
							ID string `json:"id"`
						} `json:"account"`
					} `json:"cloud"`
				} `json:"expected"`
			}
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			if err := json.Unmarshal(data, &tc); err != nil {
				t.Fatal(err)
			}
			msg := strings.TrimSpace(tc.Input.Message)
			var path, format string
			switch {
			case strings.HasPrefix(msg, "{"):
				path = writeFile(t, t.TempDir(), "record.json", msg+"\n")
			case len(strings.Fields(msg)) == 14:
				path, format = writeFile(t, t.TempDir(), "line.log", msg+"\n"), "default"
			default:
				path, format = writeFile(t, t.TempDir(), "line.log", msg+"\n"), strings.Join(all[:len(strings.Fields(msg))], " ")
			}
			db := newDB(t)
			sum := load(t, db, ingest.Options{Format: format}, path)
			if sum.Loaded != 1 || sum.Rows != 1 {
				t.Fatalf("%+v", sum.Results[0])
			}
			if got := queryString(t, db, `SELECT account_id FROM flows`); got != tc.Expected.Cloud.Account.ID {
				t.Errorf("account_id %q, want %q", got, tc.Expected.Cloud.Account.ID)
			}
			if tc.Expected.Source.Address == "" {
				return
			}
			want := tc.Expected.Source.Address + " " + intText(tc.Expected.Source.Bytes) + " " + intText(tc.Expected.Destination.Port)
			if got := queryString(t, db, `SELECT srcaddr || ' ' || bytes || ' ' || dstport FROM flows`); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func intText(n json.Number) string {
	f, _ := n.Float64()
	return strconv.FormatInt(int64(f), 10)
}
