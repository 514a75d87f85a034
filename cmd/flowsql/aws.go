package main

import (
	"context"
	"flag"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/flowsql/flowsql/internal/awscfg"
	"github.com/flowsql/flowsql/pkg/queries"
	"github.com/flowsql/flowsql/pkg/s3logs"
)

// awsFlags are the flags of every command that talks to AWS.
type awsFlags struct {
	profile  string
	region   string
	endpoint string
}

func (a *awsFlags) register(fs *flag.FlagSet, regionUsage string) {
	a.registerAccount(fs, regionUsage)
	fs.StringVar(&a.endpoint, "endpoint", "", "send S3 requests to this `URL` (an S3-compatible store), with path-style addressing; AWS_ENDPOINT_URL_S3 does the same")
}

// registerAccount adds --profile and --region only (commands that do not talk to S3).
func (a *awsFlags) registerAccount(fs *flag.FlagSet, regionUsage string) {
	fs.StringVar(&a.profile, "profile", "", "AWS `PROFILE` to use (default $AWS_PROFILE, or the default chain)")
	fs.StringVar(&a.region, "region", "", regionUsage)
}

// config loads the AWS configuration; region is the region to use when none is configured.
func (a *awsFlags) config(ctx context.Context) (aws.Config, awscfg.Options, error) {
	o := awscfg.Options{Profile: a.profile, Region: a.region, Endpoint: a.endpoint}
	cfg, err := awscfg.Load(ctx, o)
	return cfg, o, err
}

// s3Flags are the flags that choose which flow-log objects to read.
type s3Flags struct {
	since, until string
	account      string
	limit        int
}

func (s *s3Flags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.since, "since", "", "only files that may hold records at or after `TIME` (RFC 3339, a date, or how long ago: 24h, 7d), as their key says")
	fs.StringVar(&s.until, "until", "", "only files that may hold records before `TIME`")
	fs.StringVar(&s.account, "account", "", "only files of this AWS account `ID`, as their key says")
	fs.IntVar(&s.limit, "limit", 0, "at most `N` objects, in key order (0: all)")
}

// filter builds the S3 filter; region is the --region flag.
func (s *s3Flags) filter(region string, now time.Time) (s3logs.Filter, error) {
	f := s3logs.Filter{Account: s.account, Region: region, Limit: s.limit}
	var err error
	f.Since, f.Until, err = parseWindow(s.since, s.until, now)
	return f, err
}

// parseWindow reads the --since and --until flags (RFC 3339, a date, or how long ago); an empty
// flag leaves its end of the window open.
func parseWindow(since, until string, now time.Time) (time.Time, time.Time, error) {
	f, err := queries.ParseWindow(since, until, now)
	if err != nil {
		return time.Time{}, time.Time{}, usagef("Example: --since 2024-06-01 --until 2024-06-02", "%v", err)
	}
	return f.Since, f.Until, nil
}

// splitS3 separates s3:// URIs from local paths.
func splitS3(paths []string) (local []string, remote []s3logs.Location, err error) {
	for _, p := range paths {
		if !strings.HasPrefix(p, "s3://") {
			local = append(local, p)
			continue
		}
		loc, err := s3logs.ParseURI(p)
		if err != nil {
			return nil, nil, usagef("Example: s3://my-bucket/AWSLogs/", "%v", err)
		}
		remote = append(remote, loc)
	}
	return local, remote, nil
}
