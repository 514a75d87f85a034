package queries_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/flowsql/flowsql/pkg/enrich"
	"github.com/flowsql/flowsql/pkg/queries"
)

// TestOwnIPv6NotEC2: a VPC's IPv6 addresses are in AWS's EC2 ranges (2600:1f18::/33 in
// us-east-1 in the real ip-ranges.json), and an interface logs its own address on every
// record. aws-services counts the logged VPCs' /56 apart, "(logged VPCs' IPv6)", rather than
// as traffic with EC2: only the other VPC's address 2600:1f18:8123::5 is EC2's here. An
// interface with one peer has two addresses in every record; the eni table names its own.
func TestOwnIPv6NotEC2(t *testing.T) {
	const (
		a1 = "2600:1f18:4a00:1201::10" // eni-0a's own
		b1 = "2600:1f18:4a00:1202::20" // eni-0b's own
		p  = "2600:1f18:4a00:1203::30" // another host of the VPC, not logged
		r  = "2600:1f18:8123::5"       // another VPC's
		cf = "2600:9000:20a0::1"       // CloudFront
		c1 = "2600:1f18:4b00:1201::40" // eni-0c's own, in another VPC: with one peer, only the eni table tells
	)
	lines := []string{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"}
	flow := func(eni, src, dst string, bytes int) {
		lines = append(lines, fmt.Sprintf("2 123456789012 %s %s %s 40000 443 6 10 %d 1717200000 1717200060 ACCEPT OK", eni, src, dst, bytes))
	}
	flow("eni-0a", a1, cf, 100)
	flow("eni-0a", cf, a1, 1000)
	flow("eni-0a", a1, r, 200)
	flow("eni-0a", r, a1, 2000)
	flow("eni-0a", a1, p, 300)
	flow("eni-0a", p, a1, 3000)
	flow("eni-0b", b1, cf, 10)
	flow("eni-0b", cf, b1, 20)
	flow("eni-0b", b1, r, 40)
	flow("eni-0b", r, b1, 80)
	flow("eni-0c", c1, r, 5)
	flow("eni-0c", r, c1, 7)
	db := loadFiles(t, t.TempDir(), map[string][]string{"v6.log": lines})
	if _, err := enrich.LoadAWSRanges(context.Background(), db, "../../testdata/ip-ranges.json.gz"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO eni (interface_id, address) VALUES ('eni-0c', $1)`, c1); err != nil {
		t.Fatal(err)
	}
	var ec2 string
	if err := db.QueryRow(`SELECT aws_service($1) || ' ' || aws_region($1)`, r).Scan(&ec2); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		ec2:                    "245 2087", // to r, from r
		"(logged VPCs' IPv6) ": "6407 3655",
		"CLOUDFRONT GLOBAL":    "110 1020",
	}
	for _, d := range []queries.DuckDB{{Summary: true}, {}} {
		got := map[string]string{}
		for _, row := range runOn(t, db, d, "aws-services", queries.Values{}, queries.Filters{}) {
			region := ""
			if row[1] != nil {
				region = fmt.Sprint(row[1])
			}
			got[fmt.Sprint(row[0])+" "+region] = fmt.Sprint(row[2], " ", row[3])
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("aws-services (summary %v): %v\nwant %v", d.Summary, got, want)
		}
	}
}
