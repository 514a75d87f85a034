// Package enrich answers "whose address is this?" for the addresses in flow logs and writes the
// answers as lookup tables that reports join:
//
//	eni             network interfaces from EC2 DescribeNetworkInterfaces, snapshot after
//	                snapshot (first_seen, last_seen), so last month's deleted interfaces still
//	                explain last month's traffic
//	ip_owner        who holds an address range, from RDAP or whois: network name, organisation,
//	                country, origin AS; cached by range with a time to live
//	aws_ip_ranges   AWS's published ranges (ip-ranges.json) with their service and region
//
// One file per source (eni.go, owners.go, awsranges.go), each behind a small interface over
// the client it needs. Nested ranges (an S3 /28 inside an EC2 /11, a customer's /24 inside its
// ISP's /16) are flattened into disjoint segments where the most specific range wins, so that a
// lookup is one range test and "AMAZON" or "EC2" never hides "S3".
package enrich
