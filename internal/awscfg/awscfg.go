// Package awscfg loads the AWS configuration that flowsql's S3, EC2 and Athena commands share
// (the SDK's default chain, a profile, a region), checks it up front, and says in one line what
// to set when something is missing.
package awscfg

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Options select the configuration.
type Options struct {
	Profile string // a profile of ~/.aws/config; "" for AWS_PROFILE or the default
	Region  string // the region; "" for AWS_REGION or the profile's
	// Endpoint sends S3 requests to an S3-compatible store (or a test server) instead of AWS;
	// AWS_ENDPOINT_URL_S3 does the same.
	Endpoint string
	// RetryMaxAttempts bounds the SDK's retries of throttled and failed requests (default 5).
	RetryMaxAttempts int
}

// ErrNoRegion and ErrNoCredentials mark a configuration that cannot make requests.
var (
	ErrNoRegion      = errors.New("no AWS region: pass --region, or set AWS_REGION, or give your profile a region in ~/.aws/config")
	ErrNoCredentials = errors.New("no AWS credentials: set AWS_PROFILE (or --profile) to a profile in ~/.aws, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run 'aws sso login'")
)

// Load loads the configuration and checks that it has a region and credentials.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	if o.RetryMaxAttempts <= 0 {
		o.RetryMaxAttempts = 5
	}
	opts := []func(*config.LoadOptions) error{config.WithRetryMaxAttempts(o.RetryMaxAttempts)}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var nope config.SharedConfigProfileNotExistError
		if errors.As(err, &nope) {
			return cfg, fmt.Errorf("AWS profile %q does not exist: check ~/.aws/config or AWS_PROFILE", nope.Profile)
		}
		return cfg, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return cfg, ErrNoRegion
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		if ctx.Err() != nil {
			return cfg, ctx.Err()
		}
		return cfg, fmt.Errorf("%w (%v)", ErrNoCredentials, shortCause(err))
	}
	return cfg, nil
}

// shortCause keeps the innermost error, the one that says why.
func shortCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// HTTPClient keeps enough idle connections for concurrent downloads: the SDK's default keeps
// ten per host, and more workers than that open and close a connection per request.
func HTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = 128
	})
}

// S3 returns an S3 client for the configuration. A custom endpoint (Options.Endpoint or
// AWS_ENDPOINT_URL_S3/AWS_ENDPOINT_URL) gets path-style addressing, which S3-compatible stores
// expect.
func S3(cfg aws.Config, o Options) *s3.Client {
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		so.HTTPClient = HTTPClient()
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		if o.Endpoint != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
			so.UsePathStyle = true
		}
	})
}
