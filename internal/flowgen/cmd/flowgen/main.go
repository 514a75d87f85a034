// Command flowgen writes generated flow logs in AWS's S3 key layout, for benchmarks and for
// the sample under testdata/:
//
//	go run ./internal/flowgen/cmd/flowgen -dir /tmp/logs -files 40 -rows 250000
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/flowsql/flowsql/internal/flowgen"
)

func main() {
	dir := flag.String("dir", "", "directory to write the files under (required)")
	files := flag.Int("files", 12, "number of 5-minute files")
	rows := flag.Int("rows", 1000, "records per file, roughly")
	seed := flag.Uint64("seed", 1, "random seed: the same seed writes the same files")
	format := flag.String("format", "custom", "record format: default, custom (version 5 with pkt-* fields) or shuffled")
	layout := flag.String("layout", "default", "S3 key layout: default, hourly or hive")
	start := flag.String("start", "2024-06-01T00:00:00Z", "start of the first file (RFC 3339)")
	noHeader := flag.Bool("no-header", false, "write no header line, as CloudWatch Logs exports")
	plain := flag.Bool("plain", false, "write .log files instead of .log.gz")
	surge := flag.Int("surge-from", 0, "from this file on, one server sends 20x as much to S3 through the NAT gateway (0: never)")
	resolver := flag.Bool("resolver-logs", false, "write the Route 53 Resolver query logs of the NAT traffic too")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "flowgen: -dir is required")
		os.Exit(2)
	}
	t, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "flowgen: -start:", err)
		os.Exit(2)
	}
	cfg := flowgen.Config{Seed: *seed, Start: t, Files: *files, RowsPerFile: *rows, NoHeader: *noHeader, Plain: *plain, SurgeFrom: *surge,
		ResolverLogs: *resolver}
	switch *format {
	case "default":
		cfg.Fields = flowgen.DefaultFields
	case "custom":
		cfg.Fields = flowgen.CustomFields
	case "shuffled":
		cfg.Fields = flowgen.ShuffledFields
	default:
		fmt.Fprintln(os.Stderr, "flowgen: -format must be default, custom or shuffled")
		os.Exit(2)
	}
	switch *layout {
	case "default":
	case "hourly":
		cfg.Layout = flowgen.LayoutHourly
	case "hive":
		cfg.Layout = flowgen.LayoutHive
	default:
		fmt.Fprintln(os.Stderr, "flowgen: -layout must be default, hourly or hive")
		os.Exit(2)
	}
	paths, _, err := flowgen.New(cfg).WriteTree(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "flowgen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "flowgen: wrote %d files under %s\n", len(paths), *dir)
}
