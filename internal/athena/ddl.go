// Package athena runs flowsql's reports on Amazon Athena, over the flow logs where they lie in
// S3: the CREATE EXTERNAL TABLE for a bucket's layout (with partition projection, so no
// partitions need adding), and the execution of a statement (start, poll with backoff, page
// through the results, stop on cancellation) with the data it scanned.
package athena

import (
	"fmt"
	"strings"

	"github.com/flowsql/flowsql/pkg/ingest"
	"github.com/flowsql/flowsql/pkg/s3logs"
)

// DDLOptions describe the flow logs a table reads.
type DDLOptions struct {
	// Location is the S3 prefix of the logs: s3://bucket/[prefix/]AWSLogs/[account/vpcflowlogs/region/]
	// for the default layout, or .../AWSLogs/[aws-account-id=A/aws-service=vpcflowlogs/aws-region=R/]
	// for the Hive-compatible one.
	Location string
	Format   string   // text (gzip) or parquet
	Layout   string   // default or hive
	Hourly   bool     // the logs are partitioned by hour too
	Fields   string   // the flow log's format ("${version} ${account-id} ..."); "" for the default
	Table    string   // the table's name (default vpc_flow_logs)
	Database string   // the database to create it in ("" for the query's)
	Accounts []string // when the location stops above the account: the accounts to read
	Regions  []string // when the location stops above the region: the regions to read
	From     string   // the first day of the projection (yyyy/MM/dd, default 2020/01/01)
}

// athenaTypes maps the DuckDB types of flow-log columns to Athena's.
var athenaTypes = map[string]string{"INTEGER": "int", "BIGINT": "bigint", "VARCHAR": "string"}

// DDL returns the CREATE EXTERNAL TABLE statement for the flow logs under a location.
func DDL(o DDLOptions) (string, error) {
	if o.Table == "" {
		o.Table = "vpc_flow_logs"
	}
	if o.From == "" {
		o.From = "2020/01/01"
	}
	if o.Format == "" {
		o.Format = "text"
	}
	if o.Layout == "" {
		o.Layout = "default"
	}
	if o.Format != "text" && o.Format != "parquet" {
		return "", fmt.Errorf("--file-format %q: text or parquet", o.Format)
	}
	if o.Layout != "default" && o.Layout != "hive" {
		return "", fmt.Errorf("--layout %q: default or hive", o.Layout)
	}
	fields := o.Fields
	if fields == "" {
		fields = ingest.Presets["default"]
	}
	format, err := ingest.ParseFormatString(fields)
	if err != nil {
		return "", fmt.Errorf("--log-format: %w", err)
	}
	loc, err := s3logs.ParseURI(o.Location)
	if err != nil {
		return "", err
	}
	base, parts, err := locationParts(loc.Prefix, o.Layout)
	if err != nil {
		return "", err
	}
	bucket := "s3://" + loc.Bucket + "/"

	var cols []string
	for _, f := range format.Fields {
		t := athenaTypes[f.Type]
		if t == "" {
			t = "string"
		}
		cols = append(cols, fmt.Sprintf("  `%s` %s", f.Column, t))
	}
	// Partitions: what the location does not fix, then the day (and hour).
	type partition struct{ name, typ string }
	var partCols []partition
	props := [][2]string{{"projection.enabled", "true"}}
	template := bucket + base
	addEnum := func(name string, values []string, flag string) error {
		if len(values) == 0 {
			return fmt.Errorf("the location stops above the %s: name them with %s, or give a location down to the region", strings.TrimPrefix(name, "aws_")+"s", flag)
		}
		partCols = append(partCols, partition{name, "string"})
		props = append(props, [2]string{"projection." + name + ".type", "enum"}, [2]string{"projection." + name + ".values", strings.Join(values, ",")})
		return nil
	}
	for _, p := range parts {
		switch p {
		case "account":
			if err := addEnum("aws_account", o.Accounts, "--accounts"); err != nil {
				return "", err
			}
			if o.Layout == "hive" {
				template += "aws-account-id=${aws_account}/aws-service=vpcflowlogs/"
			} else {
				template += "${aws_account}/vpcflowlogs/"
			}
		case "region":
			if err := addEnum("aws_region", o.Regions, "--regions"); err != nil {
				return "", err
			}
			if o.Layout == "hive" {
				template += "aws-region=${aws_region}/"
			} else {
				template += "${aws_region}/"
			}
		}
	}
	if o.Layout == "hive" {
		partCols = append(partCols, partition{"year", "string"}, partition{"month", "string"}, partition{"day", "string"})
		props = append(props,
			[2]string{"projection.year.type", "integer"}, [2]string{"projection.year.range", o.From[:4] + ",2099"},
			[2]string{"projection.month.type", "integer"}, [2]string{"projection.month.range", "1,12"}, [2]string{"projection.month.digits", "2"},
			[2]string{"projection.day.type", "integer"}, [2]string{"projection.day.range", "1,31"}, [2]string{"projection.day.digits", "2"})
		template += "year=${year}/month=${month}/day=${day}/"
	} else {
		partCols = append(partCols, partition{"day", "string"})
		props = append(props,
			[2]string{"projection.day.type", "date"}, [2]string{"projection.day.format", "yyyy/MM/dd"},
			[2]string{"projection.day.range", o.From + ",NOW"}, [2]string{"projection.day.interval", "1"},
			[2]string{"projection.day.interval.unit", "DAYS"})
		template += "${day}/"
	}
	if o.Hourly {
		partCols = append(partCols, partition{"hour", "string"})
		props = append(props, [2]string{"projection.hour.type", "integer"}, [2]string{"projection.hour.range", "0,23"}, [2]string{"projection.hour.digits", "2"})
		if o.Layout == "hive" {
			template += "hour=${hour}/"
		} else {
			template += "${hour}/"
		}
	}
	props = append(props, [2]string{"storage.location.template", template})
	if o.Format == "text" {
		props = append([][2]string{{"skip.header.line.count", "1"}}, props...)
	}

	var b strings.Builder
	name := "`" + o.Table + "`"
	if o.Database != "" {
		name = "`" + o.Database + "`." + name
	}
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS %s (\n%s\n)\n", name, strings.Join(cols, ",\n"))
	var pcols []string
	for _, p := range partCols {
		pcols = append(pcols, fmt.Sprintf("  `%s` %s", p.name, p.typ))
	}
	fmt.Fprintf(&b, "PARTITIONED BY (\n%s\n)\n", strings.Join(pcols, ",\n"))
	if o.Format == "text" {
		b.WriteString("ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '\n")
	} else {
		b.WriteString("STORED AS PARQUET\n")
	}
	fmt.Fprintf(&b, "LOCATION '%s'\nTBLPROPERTIES (\n", bucket+base)
	for i, p := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  '%s' = '%s'%s\n", p[0], p[1], sep)
	}
	b.WriteString(");\n")
	return b.String(), nil
}

// locationParts splits a prefix into the part that is fixed (up to the region, or above it)
// and the elements of the layout that the table must project (account, region).
func locationParts(prefix, layout string) (string, []string, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	i := strings.Index(prefix+"/", "AWSLogs/")
	if i < 0 {
		return "", nil, fmt.Errorf("the location has no AWSLogs/ element: give the prefix that AWS writes the flow logs under, like s3://bucket/AWSLogs/123456789012/vpcflowlogs/us-east-1/")
	}
	head := prefix[:i] + "AWSLogs/"
	var rest []string
	if len(prefix) > i+len("AWSLogs") {
		rest = strings.Split(prefix[i+len("AWSLogs/"):], "/")
	}
	// The elements after AWSLogs/, in order: account, service, region.
	var want []string
	if layout == "hive" {
		want = []string{"aws-account-id=", "aws-service=", "aws-region="}
	} else {
		want = []string{"", "vpcflowlogs", ""}
	}
	for j, r := range rest {
		if j >= 3 {
			return "", nil, fmt.Errorf("the location goes below the region (%s): give the prefix down to the region at most; days are partitions", r)
		}
		if layout == "hive" && !strings.HasPrefix(r, want[j]) || layout != "hive" && j == 1 && r != "vpcflowlogs" {
			return "", nil, fmt.Errorf("the location's element %q is not where the %s layout has it: is the layout right?", r, layout)
		}
	}
	base := head
	if len(rest) > 0 {
		base += strings.Join(rest, "/") + "/"
	}
	var parts []string
	switch {
	case len(rest) == 0:
		parts = []string{"account", "region"}
	case len(rest) == 1:
		base += map[bool]string{true: "aws-service=vpcflowlogs/", false: "vpcflowlogs/"}[layout == "hive"]
		parts = []string{"region"}
	case len(rest) == 2:
		parts = []string{"region"}
	}
	return base, parts, nil
}
