// Package s3server starts versitygw, a real S3-compatible server that checks SigV4 signatures,
// on loopback for tests and benchmarks, and uploads generated flow logs to it.
package s3server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/flowsql/flowsql/internal/awscfg"
)

// Credentials of the server's root user.
const (
	AccessKey = "flowsql-test"
	SecretKey = "flowsql-test-secret"
	Region    = "us-east-1"
)

// ErrNotInstalled says versitygw is not on $PATH.
var ErrNotInstalled = errors.New("versitygw is not installed: go install github.com/versity/versitygw/cmd/versitygw@v1.0.14")

// Server is a running versitygw.
type Server struct {
	URL  string
	cmd  *exec.Cmd
	logs bytes.Buffer
}

// Start starts versitygw on a free loopback port, storing objects under dir.
func Start(dir string) (*Server, error) {
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		return nil, ErrNotInstalled
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	s := &Server{URL: "http://" + addr}
	s.cmd = exec.Command(bin, "--port", addr, "--quiet", "posix", dir)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	s.cmd.Stdout, s.cmd.Stderr = &s.logs, &s.logs
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return s, nil
		}
	}
	s.Stop()
	return nil, fmt.Errorf("versitygw did not start: %s", s.logs.String())
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop stops the server.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// Env is the environment that points AWS SDKs (flowsql's too) at the server, and nowhere else.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey, "AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL_S3=" + s.URL, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
	}
}

// Client is an S3 client for the server.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		BaseEndpoint: aws.String(s.URL),
		UsePathStyle: true,
		HTTPClient:   awscfg.HTTPClient(),
	})
}

// UploadTree creates the bucket if needed and uploads every file under dir, keyed by its path
// under dir after prefix.
func (s *Server) UploadTree(ctx context.Context, bucket, prefix, dir string) (int, error) {
	c := s.Client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		var exists interface{ ErrorCode() string }
		if !errors.As(err, &exists) || (exists.ErrorCode() != "BucketAlreadyOwnedByYou" && exists.ErrorCode() != "BucketAlreadyExists") {
			return 0, err
		}
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + filepath.ToSlash(rel)), Body: bytes.NewReader(data)})
		n++
		return err
	})
	return n, err
}
