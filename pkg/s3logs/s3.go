// Package s3logs lists and downloads flow-log files from S3, where AWS delivers them: it reads
// the account, region and time window of each object from AWS's key layouts and file names, so
// that a prefix can be narrowed before anything is downloaded (List), downloads objects to a
// directory, resumably (Fetch), and hands objects to pkg/ingest to load without keeping a copy
// (Loader, Files).
package s3logs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/flowsql/flowsql/pkg/ingest"
)

// Client is the part of an S3 client that flowsql uses; *s3.Client has it.
type Client interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Location is an s3://bucket/prefix URI.
type Location struct {
	Bucket, Prefix string
}

func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Prefix }

// URI returns the s3:// URI of a key in the location's bucket.
func (l Location) URI(key string) string { return "s3://" + l.Bucket + "/" + key }

// IsURI reports whether a path is an s3:// URI.
func IsURI(s string) bool { return strings.HasPrefix(s, "s3://") }

// ParseURI reads s3://bucket/prefix.
func ParseURI(s string) (Location, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return Location{}, fmt.Errorf("%q is not an s3:// URI", s)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Location{}, fmt.Errorf("%q names no bucket: write s3://BUCKET/PREFIX", s)
	}
	return Location{Bucket: bucket, Prefix: prefix}, nil
}

// Filter keeps the objects whose key says they may hold records of the wanted time,
// account and region. What a key does not say does not exclude the object.
type Filter struct {
	Since, Until    time.Time // records that overlap [Since, Until); zero for no bound
	Account, Region string
	Limit           int // at most this many objects, in key order (0: all)
}

// Object is a listed flow-log object and what its key says.
type Object struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
	Info         ingest.KeyInfo
}

// Listing is the result of List.
type Listing struct {
	Objects []Object
	Listed  int      // objects listed
	Pruned  int      // of those, left out by the filter (or not flow logs by name)
	Scanned []string // the prefixes listed
}

// A flow-log file holds records whose end falls in its 5-minute bucket, and a record starts
// at most an aggregation interval (10 minutes) before it ends; the margins keep every file
// that may hold a record of the wanted time.
const (
	fileBefore = 15 * time.Minute
	fileAfter  = 5 * time.Minute
)

// keep reports whether an object may hold records that the filter wants.
func (f Filter) keep(info ingest.KeyInfo) bool {
	if f.Account != "" && info.Account != "" && info.Account != f.Account {
		return false
	}
	if f.Region != "" && info.Region != "" && info.Region != f.Region {
		return false
	}
	var from, to time.Time
	switch {
	case !info.Time.IsZero():
		from, to = info.Time.Add(-fileBefore), info.Time.Add(fileAfter)
	case !info.Date.IsZero() && info.Hour >= 0:
		from = info.Date.Add(time.Duration(info.Hour) * time.Hour)
		from, to = from.Add(-fileBefore), from.Add(time.Hour+fileAfter)
	case !info.Date.IsZero():
		from, to = info.Date.Add(-fileBefore), info.Date.Add(24*time.Hour+fileAfter)
	default:
		return true
	}
	if info.Resolver {
		to = to.Add(ingest.ResolverLead) // its answers name the addresses of later records
	}
	if !f.Since.IsZero() && to.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !from.Before(f.Until) {
		return false
	}
	return true
}

// prefixes narrows a listing to the prefixes that can hold wanted objects: a prefix that stops
// at the region (AWSLogs/<account>/vpcflowlogs/<region>/, or aws-region=<region>/ in the
// Hive layout) with a time range becomes one prefix per day. Anything else is listed whole.
func (f Filter) prefixes(prefix string) []string {
	if f.Since.IsZero() {
		return []string{prefix}
	}
	until := f.Until
	if until.IsZero() {
		until = time.Now()
	}
	parts := strings.Split(strings.TrimSuffix(prefix, "/"), "/")
	n := len(parts)
	var layout func(time.Time) string
	before := fileBefore
	switch {
	case !strings.HasSuffix(prefix, "/"):
	case n >= 2 && (parts[n-2] == "vpcflowlogs" || parts[n-2] == "transitgatewayflowlogs"):
		layout = func(d time.Time) string { return d.Format("2006/01/02/") }
	case n >= 2 && parts[n-2] == "vpcdnsquerylogs": // .../vpcdnsquerylogs/<vpc-id>/
		layout = func(d time.Time) string { return d.Format("2006/01/02/") }
		before += ingest.ResolverLead
	case n >= 1 && strings.HasPrefix(parts[n-1], "aws-region="):
		layout = func(d time.Time) string { return d.Format("year=2006/month=01/day=02/") }
	}
	first := f.Since.Add(-before).UTC().Truncate(24 * time.Hour)
	last := until.Add(fileAfter).UTC().Truncate(24 * time.Hour)
	days := int(last.Sub(first)/(24*time.Hour)) + 1
	if layout == nil || days > 400 || days < 1 {
		return []string{prefix}
	}
	out := make([]string, 0, days)
	for d := first; !d.After(last); d = d.Add(24 * time.Hour) {
		out = append(out, prefix+layout(d))
	}
	return out
}

// List lists the flow-log objects under a location that the filter keeps, page by page.
func List(ctx context.Context, client Client, loc Location, f Filter) (*Listing, error) {
	res := &Listing{Scanned: f.prefixes(loc.Prefix)}
	for _, prefix := range res.Scanned {
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(loc.Bucket), Prefix: aws.String(prefix)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return res, APIError("list "+loc.URI(prefix), err)
			}
			for _, o := range page.Contents {
				key := aws.ToString(o.Key)
				res.Listed++
				info, _ := ingest.ParseKey(key)
				if !ingest.HasFlowLogExtension(key) || !f.keep(info) {
					res.Pruned++
					continue
				}
				res.Objects = append(res.Objects, Object{Key: key, Size: aws.ToInt64(o.Size),
					ETag: strings.Trim(aws.ToString(o.ETag), `"`), LastModified: aws.ToTime(o.LastModified).UTC(), Info: info})
				if f.Limit > 0 && len(res.Objects) >= f.Limit {
					return res, nil
				}
			}
		}
	}
	return res, nil
}

// Files turns listed objects into files to load, named by their s3:// URI.
func Files(loc Location, objs []Object) []ingest.File {
	out := make([]ingest.File, len(objs))
	for i, o := range objs {
		out[i] = ingest.File{URI: loc.URI(o.Key), Size: o.Size, ModTime: o.LastModified.Truncate(time.Microsecond), ETag: o.ETag}
	}
	return out
}

// Loader returns the Options.Fetch and Options.Cleanup that download the s3:// files of each
// batch into dir, and remove them once the batch is done.
func Loader(client Client, dir string) (fetch func(context.Context, *ingest.File) error, cleanup func(*ingest.File)) {
	var seq atomic.Int64
	fetch = func(ctx context.Context, f *ingest.File) error {
		loc, err := ParseURI(f.URI)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, fmt.Sprintf("%d-%s", seq.Add(1), filepath.Base(loc.Prefix)))
		if _, err := Download(ctx, client, loc.Bucket, loc.Prefix, path); err != nil {
			return err
		}
		f.Path = path
		return nil
	}
	cleanup = func(f *ingest.File) {
		if f.Path != "" && strings.HasPrefix(f.Path, dir) {
			os.Remove(f.Path)
			f.Path = ""
		}
	}
	return fetch, cleanup
}

// KeepFile reports whether a file's path or key may hold records the filter wants.
func (f Filter) KeepFile(uri string) bool {
	info, _ := ingest.ParseKey(uri)
	return f.keep(info)
}

// Download writes an object to dest. It writes to a temporary name beside dest and renames
// it once the whole object has arrived, so that an interrupted download leaves no file that
// could pass for a complete one.
func Download(ctx context.Context, client Client, bucket, key, dest string) (int64, error) {
	return download(ctx, client, bucket, key, dest, nil)
}

// download is Download that adds the bytes it reads to counter, when set, as they arrive.
func download(ctx context.Context, client Client, bucket, key, dest string, counter *atomic.Int64) (int64, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return 0, APIError("get s3://"+bucket+"/"+key, err)
	}
	defer out.Body.Close()
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return 0, err
	}
	var suffix [6]byte
	rand.Read(suffix[:])
	tmp := dest + ".part-" + hex.EncodeToString(suffix[:])
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, contextReader{ctx, out.Body, counter})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && out.ContentLength != nil && n != *out.ContentLength {
		err = fmt.Errorf("got %d of %d bytes", n, *out.ContentLength)
	}
	if err == nil {
		err = os.Rename(tmp, dest)
	}
	if err != nil {
		os.Remove(tmp)
		return n, fmt.Errorf("download s3://%s/%s: %w", bucket, key, err)
	}
	return n, nil
}

// contextReader stops a copy when its context is done, and counts what it reads.
type contextReader struct {
	ctx     context.Context
	r       io.Reader
	counter *atomic.Int64
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if c.counter != nil {
		c.counter.Add(int64(n))
	}
	return n, err
}

// APIError turns an S3 error into one line that says what to do.
func APIError(what string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "Forbidden", "AllAccessDisabled":
			return fmt.Errorf("%s: access denied (%s): the credentials in use lack s3:ListBucket or s3:GetObject here", what, ae.ErrorCode())
		case "NoSuchKey", "NotFound":
			return fmt.Errorf("%s: the object does not exist (deleted since it was listed?)", what)
		case "NoSuchBucket":
			return fmt.Errorf("%s: the bucket does not exist", what)
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken":
			return fmt.Errorf("%s: the AWS credentials were refused (%s): check AWS_PROFILE or the access keys", what, ae.ErrorCode())
		case "PermanentRedirect", "AuthorizationHeaderMalformed":
			return fmt.Errorf("%s: the bucket is in another region: pass --region with the bucket's region", what)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}
