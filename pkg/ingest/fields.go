package ingest

import "strings"

// A Field is one flow-log field: its name as a header or format string spells it, the
// column it loads into and that column's DuckDB type.
type Field struct {
	Name    string // as in a header line: "pkt-srcaddr"
	Column  string // the table column, hyphens turned into underscores: "pkt_srcaddr"
	Type    string // DuckDB type of the column
	Version int    // flow-log version that introduced the field; 0 for fields flowsql does not know
}

// Known reports whether flowsql knows the field (and so types it); unknown fields load as text.
func (f Field) Known() bool { return f.Version > 0 }

// Column types shared by the flows and tgw_flows tables. action and log-status are ENUMs:
// AWS documents their values, and an ENUM costs one byte a row where text costs a dictionary.
const (
	typeText      = "VARCHAR"
	typeInt       = "INTEGER"
	typeBigInt    = "BIGINT"
	typeAction    = "flow_action"
	typeLogStatus = "flow_log_status"
)

// vpcFields are the VPC flow-log fields of versions 2 to 8, in the order AWS documents them
// (the order of the console's "all fields" format). The first 14 are the default format.
var vpcFields = []Field{
	{Name: "version", Type: typeInt, Version: 2},
	{Name: "account-id", Type: typeText, Version: 2},
	{Name: "interface-id", Type: typeText, Version: 2},
	{Name: "srcaddr", Type: typeText, Version: 2},
	{Name: "dstaddr", Type: typeText, Version: 2},
	{Name: "srcport", Type: typeInt, Version: 2},
	{Name: "dstport", Type: typeInt, Version: 2},
	{Name: "protocol", Type: typeInt, Version: 2},
	{Name: "packets", Type: typeBigInt, Version: 2},
	{Name: "bytes", Type: typeBigInt, Version: 2},
	{Name: "start", Type: typeBigInt, Version: 2},
	{Name: "end", Type: typeBigInt, Version: 2},
	{Name: "action", Type: typeAction, Version: 2},
	{Name: "log-status", Type: typeLogStatus, Version: 2},
	{Name: "vpc-id", Type: typeText, Version: 3},
	{Name: "subnet-id", Type: typeText, Version: 3},
	{Name: "instance-id", Type: typeText, Version: 3},
	{Name: "tcp-flags", Type: typeInt, Version: 3},
	{Name: "type", Type: typeText, Version: 3},
	{Name: "pkt-srcaddr", Type: typeText, Version: 3},
	{Name: "pkt-dstaddr", Type: typeText, Version: 3},
	{Name: "region", Type: typeText, Version: 4},
	{Name: "az-id", Type: typeText, Version: 4},
	{Name: "sublocation-type", Type: typeText, Version: 4},
	{Name: "sublocation-id", Type: typeText, Version: 4},
	{Name: "pkt-src-aws-service", Type: typeText, Version: 5},
	{Name: "pkt-dst-aws-service", Type: typeText, Version: 5},
	{Name: "flow-direction", Type: typeText, Version: 5},
	{Name: "traffic-path", Type: typeInt, Version: 5},
	{Name: "ecs-cluster-arn", Type: typeText, Version: 7},
	{Name: "ecs-cluster-name", Type: typeText, Version: 7},
	{Name: "ecs-container-instance-arn", Type: typeText, Version: 7},
	{Name: "ecs-container-instance-id", Type: typeText, Version: 7},
	{Name: "ecs-container-id", Type: typeText, Version: 7},
	{Name: "ecs-second-container-id", Type: typeText, Version: 7},
	{Name: "ecs-service-name", Type: typeText, Version: 7},
	{Name: "ecs-task-definition-arn", Type: typeText, Version: 7},
	{Name: "ecs-task-arn", Type: typeText, Version: 7},
	{Name: "ecs-task-id", Type: typeText, Version: 7},
	{Name: "reject-reason", Type: typeText, Version: 8},
}

// tgwFields are the Transit Gateway flow-log fields in the order AWS documents them, which is
// also the order of a Transit Gateway flow log's default format.
var tgwFields = []Field{
	{Name: "version", Type: typeInt, Version: 6},
	{Name: "resource-type", Type: typeText, Version: 6},
	{Name: "account-id", Type: typeText, Version: 6},
	{Name: "tgw-id", Type: typeText, Version: 6},
	{Name: "tgw-attachment-id", Type: typeText, Version: 6},
	{Name: "tgw-src-vpc-account-id", Type: typeText, Version: 6},
	{Name: "tgw-dst-vpc-account-id", Type: typeText, Version: 6},
	{Name: "tgw-src-vpc-id", Type: typeText, Version: 6},
	{Name: "tgw-dst-vpc-id", Type: typeText, Version: 6},
	{Name: "tgw-src-subnet-id", Type: typeText, Version: 6},
	{Name: "tgw-dst-subnet-id", Type: typeText, Version: 6},
	{Name: "tgw-src-eni", Type: typeText, Version: 6},
	{Name: "tgw-dst-eni", Type: typeText, Version: 6},
	{Name: "tgw-src-az-id", Type: typeText, Version: 6},
	{Name: "tgw-dst-az-id", Type: typeText, Version: 6},
	{Name: "tgw-pair-attachment-id", Type: typeText, Version: 6},
	{Name: "srcaddr", Type: typeText, Version: 6},
	{Name: "dstaddr", Type: typeText, Version: 6},
	{Name: "srcport", Type: typeInt, Version: 6},
	{Name: "dstport", Type: typeInt, Version: 6},
	{Name: "protocol", Type: typeInt, Version: 6},
	{Name: "packets", Type: typeBigInt, Version: 6},
	{Name: "bytes", Type: typeBigInt, Version: 6},
	{Name: "start", Type: typeBigInt, Version: 6},
	{Name: "end", Type: typeBigInt, Version: 6},
	{Name: "log-status", Type: typeLogStatus, Version: 6},
	{Name: "type", Type: typeText, Version: 6},
	{Name: "packets-lost-no-route", Type: typeBigInt, Version: 6},
	{Name: "packets-lost-blackhole", Type: typeBigInt, Version: 6},
	{Name: "packets-lost-mtu-exceeded", Type: typeBigInt, Version: 6},
	{Name: "packets-lost-ttl-expired", Type: typeBigInt, Version: 6},
	{Name: "tcp-flags", Type: typeInt, Version: 6},
	{Name: "region", Type: typeText, Version: 6},
	{Name: "flow-direction", Type: typeText, Version: 6},
	{Name: "pkt-src-aws-service", Type: typeText, Version: 6},
	{Name: "pkt-dst-aws-service", Type: typeText, Version: 6},
}

// tgwOnly holds the names that appear in Transit Gateway logs and never in VPC logs: a header
// with any of them is a Transit Gateway log.
var tgwOnly = map[string]bool{}

var (
	vpcByName = map[string]Field{}
	tgwByName = map[string]Field{}
)

func init() {
	for i := range vpcFields {
		vpcFields[i].Column = columnName(vpcFields[i].Name)
		vpcByName[vpcFields[i].Name] = vpcFields[i]
	}
	for i := range tgwFields {
		tgwFields[i].Column = columnName(tgwFields[i].Name)
		tgwByName[tgwFields[i].Name] = tgwFields[i]
		if _, ok := vpcByName[tgwFields[i].Name]; !ok {
			tgwOnly[tgwFields[i].Name] = true
		}
	}
}

// columnName turns a field name into its column name, as AWS's Parquet delivery and Athena do.
func columnName(field string) string { return strings.ReplaceAll(field, "-", "_") }

// fieldName turns a Parquet or JSON column name back into a field name.
func fieldName(column string) string { return strings.ReplaceAll(column, "_", "-") }

// derivedColumns are the columns flowsql adds to every row; a field whose column name would
// clash with one of them is loaded under the name with a "_field" suffix.
var derivedColumns = map[string]bool{
	"start_time": true, "end_time": true,
	"src_ip": true, "dst_ip": true, "pkt_src_ip": true, "pkt_dst_ip": true,
	"src_ip6": true, "dst_ip6": true, "pkt_src_ip6": true, "pkt_dst_ip6": true,
	"file_id": true, "source_file": true, "source_account": true, "source_region": true,
	"source_date": true,
}

// addressColumns maps each address field's column to the column of its integer key.
var addressColumns = []struct{ text, prefix string }{
	{"srcaddr", "src_ip"},
	{"dstaddr", "dst_ip"},
	{"pkt_srcaddr", "pkt_src_ip"},
	{"pkt_dstaddr", "pkt_dst_ip"},
}
