package main

import (
	"context"
	"fmt"
	"time"

	"github.com/flowsql/flowsql/internal/awscfg"
	"github.com/flowsql/flowsql/internal/words"
	"github.com/flowsql/flowsql/pkg/s3logs"
)

const fetchAbout = `
Download flow-log files from S3 into a local directory, keeping their keys as paths.

The keys of the default, hourly and Hive-compatible layouts and AWS's file names give each file's
account, region and 5-minute window, so --since, --until, --account and --region leave out files
before anything is downloaded (a prefix that stops at the region is listed one day at a time).
Route 53 Resolver query logs (AWSLogs/ACCOUNT/vpcdnsquerylogs/VPC/...) are chosen by their
account and day, from an hour before --since: their answers name the addresses of the records
that follow (the reports' --window).
Objects download a few at a time, each into a temporary name renamed when complete; files
already there with the same size and ETag are skipped, so running the same fetch again resumes
it. Access denied or a missing object fails that object only; the exit status is then 1.

AWS access uses the SDK's default chain: AWS_PROFILE or --profile, AWS_REGION or --region,
credentials from the environment, ~/.aws, SSO or an instance role. --endpoint (or
AWS_ENDPOINT_URL_S3) points at an S3-compatible store.

Examples:
  flowsql fetch s3://my-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/ --since 2024-06-01 --until 2024-06-02
  flowsql fetch s3://my-logs/AWSLogs/ --account 123456789012 --since 24h --dest ./logs
  flowsql load ./logs`

func runFetch(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "fetch", "s3://BUCKET/PREFIX [flags]", fetchAbout)
	dest := fs.String("dest", ".", "`DIR` to download into (the keys become paths under it)")
	concurrency := fs.Int("concurrency", s3logs.DefaultFetchConcurrency, "download `N` objects at once")
	quiet := fs.Bool("quiet", false, "print no progress and no summary, only errors")
	verbose := fs.Bool("verbose", false, "print a line for each object")
	var sf s3Flags
	sf.register(fs)
	var af awsFlags
	af.register(fs, "only files of this `REGION`, as their key says; also the AWS region to use when none is configured")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("Example: flowsql fetch s3://my-logs/AWSLogs/ --since 24h", "give one s3://BUCKET/PREFIX")
	}
	loc, err := s3logs.ParseURI(pos[0])
	if err != nil {
		return usagef("Example: s3://my-logs/AWSLogs/", "%v", err)
	}
	if *concurrency < 1 {
		return usagef("", "--concurrency must be at least 1")
	}
	filter, err := sf.filter(af.region, time.Now())
	if err != nil {
		return err
	}
	cfg, o, err := af.config(ctx)
	if err != nil {
		return err
	}
	client := awscfg.S3(cfg, o)
	listing, err := s3logs.List(ctx, client, loc, filter)
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(e.stderr, "listed %s under %s: %s to fetch\n", plural(listing.Listed, "object"), loc, listedFiles(listing.Objects))
	}
	opts := s3logs.FetchOptions{Concurrency: *concurrency}
	var bar *progressBar
	if !*quiet && isTerminal(e.stderr) {
		bar = newProgressBar(e.stderr)
		opts.Progress = func(p s3logs.FetchProgress) {
			bar.update(p.Bytes, p.BytesDone, fmt.Sprintf("%d/%d objects", p.ObjectsDone, p.Objects))
		}
	}
	if *verbose {
		opts.Done = func(r s3logs.FetchResult) {
			switch r.Status {
			case s3logs.Downloaded:
				fmt.Fprintf(e.stderr, "fetched %s\n", loc.URI(r.Object.Key))
			case s3logs.Present:
				fmt.Fprintf(e.stderr, "present %s\n", loc.URI(r.Object.Key))
			}
		}
	}
	sum, err := s3logs.Fetch(ctx, client, loc, listing.Objects, *dest, opts)
	bar.finish()
	for _, r := range sum.Results {
		if r.Status == s3logs.FetchFailed && r.Err != nil {
			fmt.Fprintf(e.stderr, "flowsql fetch: %v\n", r.Err)
		}
	}
	if err != nil {
		return err
	}
	if !*quiet {
		secs := sum.Duration.Seconds()
		fmt.Fprintf(e.stdout, "fetched %s, %s in %.1f s (%.1f MB/s); %s already present",
			plural(sum.Downloaded, "object"), words.Bytes(float64(sum.Bytes)), secs, float64(sum.Bytes)/1e6/max(secs, 1e-9), plural(sum.Present, "object"))
		if sum.Failed > 0 {
			fmt.Fprintf(e.stdout, "; %s failed", plural(sum.Failed, "object"))
		}
		fmt.Fprintln(e.stdout)
	}
	if sum.Failed > 0 {
		return &exitError{exitFailure}
	}
	return nil
}
