package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/flowsql/flowsql/internal/words"
	"github.com/flowsql/flowsql/pkg/enrich"
)

const enrichAbout = `
Answer "whose address is this?" and keep the answers in the database, as lookup tables that
reports join: top-sources and top-destinations gain interface, network and AWS service columns,
and by-network and aws-services group by them.

Sources:
  eni         the VPC's network interfaces, from EC2 DescribeNetworkInterfaces (table eni)
  whois       who holds external addresses: network name, organisation, country, from RDAP or
              whois (table ip_owner)
  aws-ranges  AWS's published IP ranges, ip-ranges.json, for the AWS service of an address
              (table aws_ip_ranges)
  nat-metrics what CloudWatch metered for the NAT gateways, by the hour, for flowsql nat to
              set beside the logs (table nat_metrics)
  cost        what the bill says about NAT gateways, by day, from Cost Explorer, for flowsql
              nat to set beside its own figures and price with (table billed_cost)

Each reaches the network only when run: eni, nat-metrics and cost your AWS account, whois the
registries' RDAP and whois servers, aws-ranges ip-ranges.amazonaws.com (or none of them, with
a file).

Examples:
  flowsql enrich eni --region us-east-1
  flowsql enrich whois --top 25                # the top 25 senders to the top destination
  flowsql enrich whois --top 25 --dst 10.0.101.10
  flowsql enrich aws-ranges
  flowsql enrich nat-metrics --region us-east-1
  flowsql enrich cost
  flowsql report by-network --dst 10.0.101.10

Run 'flowsql enrich SOURCE -h' for a source's flags.`

var enrichSources = []command{
	{"eni", "network interfaces from EC2 DescribeNetworkInterfaces", runEnrichENI},
	{"whois", "owners of external addresses from RDAP, or whois", runEnrichWhois},
	{"aws-ranges", "AWS's published IP ranges (ip-ranges.json)", runEnrichAWSRanges},
	{"nat-metrics", "what CloudWatch metered for the NAT gateways, by the hour", runEnrichNATMetrics},
	{"cost", "what the bill says about NAT gateways, by day, from Cost Explorer", runEnrichCost},
}

func runEnrich(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		for _, s := range enrichSources {
			if args[0] == s.name {
				return s.run(ctx, e, args[1:])
			}
		}
	}
	fs := newFlagSet(e, "enrich", "SOURCE [flags]", enrichAbout)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	names := make([]string, len(enrichSources))
	for i, s := range enrichSources {
		names[i] = s.name
	}
	if len(args) == 0 {
		return usagef("Example: flowsql enrich whois --top 25", "name a source: %s", strings.Join(names, ", "))
	}
	return usagef("The sources are "+strings.Join(names, ", ")+".", "unknown source %q", args[0])
}

const eniAbout = `
Record the region's network interfaces (EC2 DescribeNetworkInterfaces, every page) in the eni
table: each private address, secondary and IPv6 ones too, with the interface's type
(nat_gateway, vpc_endpoint, lambda, ...), description, public address, instance, subnet, VPC,
availability zone, security groups and tags.

Snapshots accumulate: an address seen before gets its attributes and last_seen updated, and
an interface deleted since keeps its rows, so last month's interfaces still explain last
month's traffic. Run it once per region whose flow logs you load.

AWS access uses the SDK's default chain (AWS_PROFILE or --profile, AWS_REGION or --region);
the identity needs ec2:DescribeNetworkInterfaces. AWS_ENDPOINT_URL_EC2 sends the requests
elsewhere (a test server).

Examples:
  flowsql enrich eni --region us-east-1
  flowsql enrich eni --profile prod --region eu-west-1`

func runEnrichENI(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "enrich eni", "[flags]", eniAbout)
	db := dbFlag(fs, e)
	var af awsFlags
	af.registerAccount(fs, "AWS `REGION` whose interfaces to record (default $AWS_REGION or the profile's)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("Example: flowsql enrich eni --region us-east-1", "enrich eni takes no arguments, only flags (got %q)", pos[0])
	}
	cfg, _, err := af.config(ctx)
	if err != nil {
		return err
	}
	conn, err := e.openDB(ctx, *db, writeDB)
	if err != nil {
		return err
	}
	defer conn.Close()
	sum, err := enrich.SnapshotENIs(ctx, conn, ec2.NewFromConfig(cfg), cfg.Region)
	if err != nil {
		return err
	}
	types := make([]string, 0, len(sum.ByType))
	for t, n := range sum.ByType {
		types = append(types, fmt.Sprintf("%s %d", t, n))
	}
	sort.Strings(types)
	fmt.Fprintf(e.stdout, "recorded %s in %s with %s addresses (%d new): %s\n",
		plural(sum.Interfaces, "network interface"), cfg.Region, words.Count(int64(sum.Addresses)), sum.New, strings.Join(types, ", "))
	return nil
}

const awsRangesAbout = `
Load AWS's published IP ranges (ip-ranges.json) into the aws_ip_ranges table, replacing the
ranges loaded before, so that aws_service(address) and the aws-services report name the AWS
service and region of an address.

AWS lists many addresses under several services: AMAZON covers everything, EC2's ranges
contain S3's and DynamoDB's (an S3 /28 inside EC2's 44.192.0.0/11), and many S3 and DynamoDB
prefixes are listed under EC2 too at the same length. Every service is kept (aws_services);
the one that names an address is the most specific prefix of a named service, else EC2's, else
AMAZON's. The NAT analysis counts as avoidable whatever S3's and DynamoDB's lists hold.

The file is downloaded from ` + enrich.AWSRangesURL + ` unless --file
names a copy.

Examples:
  flowsql enrich aws-ranges
  curl -O ` + enrich.AWSRangesURL + ` && flowsql enrich aws-ranges --file ip-ranges.json`

func runEnrichAWSRanges(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "enrich aws-ranges", "[flags]", awsRangesAbout)
	db := dbFlag(fs, e)
	file := fs.String("file", "", "read the ranges from this ip-ranges.json `FILE` (or a gzip of it) instead of downloading them")
	defURL := e.getenv("FLOWSQL_AWS_RANGES_URL")
	if defURL == "" {
		defURL = enrich.AWSRangesURL
	}
	url := fs.String("url", defURL, "download the ranges from this `URL` (default $FLOWSQL_AWS_RANGES_URL or AWS's)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("Example: flowsql enrich aws-ranges --file ip-ranges.json", "enrich aws-ranges takes no arguments (got %q)", pos[0])
	}
	path := *file
	if path == "" {
		dir, err := os.MkdirTemp("", "flowsql-ranges-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(e.stderr, "downloading %s\n", *url)
		if path, err = enrich.DownloadAWSRanges(ctx, http.DefaultClient, *url, dir); err != nil {
			return fmt.Errorf("%w\nDownload it some other way and pass --file ip-ranges.json", err)
		}
	}
	conn, err := e.openDB(ctx, *db, writeDB)
	if err != nil {
		return err
	}
	defer conn.Close()
	sum, err := enrich.LoadAWSRanges(ctx, conn, path)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "loaded %s IPv4 and %s IPv6 prefixes (published %s, syncToken %s)\n",
		words.Count(int64(sum.IPv4)), words.Count(int64(sum.IPv6)), sum.CreateDate, sum.SyncToken)
	return nil
}
