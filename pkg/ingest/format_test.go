package ingest

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseHeader(t *testing.T) {
	cases := []struct {
		line    string
		kind    Kind
		columns string
		err     string
	}{
		{line: "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
			columns: "version account_id interface_id srcaddr dstaddr srcport dstport protocol packets bytes start end action log_status"},
		{line: "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr", // any order, any subset
			columns: "instance_id interface_id srcaddr dstaddr pkt_srcaddr pkt_dstaddr"},
		{line: "version  srcaddr dstaddr resource-id encryption-status", // unknown fields, a double space
			columns: "version srcaddr dstaddr resource_id encryption_status"},
		{line: "version account-id tgw-id tgw-attachment-id srcaddr dstaddr packets bytes start end log-status",
			kind: TransitGateway, columns: "version account_id tgw_id tgw_attachment_id srcaddr dstaddr packets bytes start end log_status"},
		{line: "version srcaddr src-ip", columns: "version srcaddr src_ip_field"}, // clashes with a derived column
		{line: "2 123456789012 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", err: "not a header"},
		{line: "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5", err: "not a header"},
		{line: "Phony unsupported log format.", err: "not a header"},
		{line: "foo bar baz", err: "none of its words"},
		{line: "version srcaddr srcaddr", err: "appears twice"},
		{line: "   ", err: "empty"},
	}
	for _, c := range cases {
		f, err := ParseHeader(c.line)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseHeader(%q) err = %v, want %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseHeader(%q): %v", c.line, err)
			continue
		}
		var cols []string
		for _, fd := range f.Fields {
			cols = append(cols, fd.Column)
		}
		if got := strings.Join(cols, " "); got != c.columns || f.Kind != c.kind {
			t.Errorf("ParseHeader(%q) = %s %q, want %s %q", c.line, f.Kind, got, c.kind, c.columns)
		}
	}
}

func TestFieldTypes(t *testing.T) {
	f, err := ParseHeader("version account-id srcport packets start action log-status tcp-flags traffic-path resource-id")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"INTEGER", "VARCHAR", "INTEGER", "BIGINT", "BIGINT", "flow_action", "flow_log_status", "INTEGER", "INTEGER", "VARCHAR"}
	for i, fd := range f.Fields {
		if fd.Type != want[i] {
			t.Errorf("%s: type %s, want %s", fd.Name, fd.Type, want[i])
		}
	}
	if f.Fields[9].Known() || !f.Fields[0].Known() {
		t.Error("Known() is wrong")
	}
}

func TestParseFormatString(t *testing.T) {
	f, err := ParseFormatString("${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr}")
	if err != nil {
		t.Fatal(err)
	}
	if f.String() != "version vpc-id subnet-id instance-id interface-id account-id type srcaddr" {
		t.Errorf("got %q", f.String())
	}
	for preset, n := range map[string]int{"default": 14, "all": 40, "tgw": 36} {
		f, err := ParseFormatString(preset)
		if err != nil || len(f.Fields) != n {
			t.Errorf("preset %s: %d fields, %v; want %d", preset, len(f.Fields), err, n)
		}
	}
	if f, _ := ParseFormatString("tgw"); f.Kind != TransitGateway {
		t.Error("the tgw preset is not a Transit Gateway format")
	}
	for _, bad := range []string{"", "${version} $account-id", "${Version}", "version 2"} {
		if _, err := ParseFormatString(bad); err == nil {
			t.Errorf("ParseFormatString(%q) accepted", bad)
		}
	}
}

func TestParseKey(t *testing.T) {
	day := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	name := "123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20240601T0105Z_0a1b2c3d.log.gz"
	cases := []struct {
		key    string
		want   KeyInfo
		parsed bool
	}{
		{"logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/01/" + name,
			KeyInfo{Account: "123456789012", Region: "us-east-1", Date: day, Hour: 1, FlowLogID: "fl-0123456789abcdef0", Time: day.Add(65 * time.Minute)}, true},
		{"AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=06/day=01/hour=07/x.log.gz",
			KeyInfo{Account: "123456789012", Region: "eu-west-1", Date: day, Hour: 7, Hive: true}, true},
		{"AWSLogs/o-abc123/210987654321/vpcflowlogs/ap-southeast-2/2024/06/01/13/x.log.gz", // organisation layout, hourly
			KeyInfo{Account: "210987654321", Region: "ap-southeast-2", Date: day, Hour: 13}, true},
		{"/home/me/downloads/" + name,
			KeyInfo{Account: "123456789012", Region: "us-east-1", Date: day, Hour: 1, FlowLogID: "fl-0123456789abcdef0", Time: day.Add(65 * time.Minute)}, true},
		{"AWSLogs/123456789012/vpcdnsquerylogs/vpc-0a1b2c3d4e5f60718/2024/06/01/123456789012_vpcdnsquerylogs_vpc-0a1b2c3d4e5f60718_20240601T0035Z_9e3779b8.log.gz",
			KeyInfo{Account: "123456789012", Date: day, Hour: -1, Resolver: true}, true},
		{"dns/AWSLogs/o-abc123/210987654321/vpcdnsquerylogs/vpc-0a1b/2024/06/01/q.log", // folders only
			KeyInfo{Account: "210987654321", Date: day, Hour: -1, Resolver: true}, true},
		{"/home/me/210987654321_vpcdnsquerylogs_vpc-0a1b_20240601T2355Z_1f.log.gz", // file name only
			KeyInfo{Account: "210987654321", Date: day, Hour: -1, Resolver: true}, true},
		{"/tmp/flows.log", KeyInfo{Hour: -1}, false},
	}
	for _, c := range cases {
		got, ok := ParseKey(c.key)
		if ok != c.parsed || got != c.want {
			t.Errorf("ParseKey(%q) = %+v, %v\nwant %+v, %v", c.key, got, ok, c.want, c.parsed)
		}
	}
}

// TestAbsentKeys: the summary leaves out of its grouping the columns that no format of a batch
// has, and only those.
func TestAbsentKeys(t *testing.T) {
	parse := func(header string) Format {
		f, err := ParseHeader(header)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	v2 := parse("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")
	nat := parse("version vpc-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr bytes start end action")
	services := parse("interface-id srcaddr dstaddr pkt-src-aws-service pkt-dst-aws-service bytes start end log-status")
	for _, c := range []struct {
		formats []Format
		want    string
	}{
		{nil, ""},
		{[]Format{v2}, "pkt_dst_aws_service pkt_dst_ip pkt_src_aws_service pkt_src_ip vpc_id"},
		{[]Format{nat}, "account_id pkt_dst_aws_service pkt_src_aws_service"},
		{[]Format{v2, nat}, "pkt_dst_aws_service pkt_src_aws_service"},
		{[]Format{v2, nat, services}, ""},
		{[]Format{services}, "account_id action pkt_dst_ip pkt_src_ip vpc_id"},
	} {
		var got []string
		for k := range absentKeys(c.formats) {
			got = append(got, k)
		}
		slices.Sort(got)
		if strings.Join(got, " ") != c.want {
			t.Errorf("absentKeys(%v) = %v, want %s", c.formats, got, c.want)
		}
	}
}
