// Command fetch is flowsql's S3 fetch benchmark: it starts versitygw (a real S3-compatible
// server) on loopback, uploads generated flow-log files, and fetches them at concurrency 1 and
// at the default concurrency, in one run, printing objects/s and MB/s for both. With -flowsql,
// it then loads larger objects from S3 through a proxy that limits the bandwidth, as between
// a laptop and S3: flowsql load s3://, which downloads the next batch while a batch loads,
// against flowsql fetch followed by flowsql load of the downloaded files.
//
//	go run ./bench/fetch -objects 2000 -flowsql bench/out/flowsql
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/flowsql/flowsql/internal/awscfg"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/internal/s3server"
	"github.com/flowsql/flowsql/pkg/s3logs"
)

func main() {
	objects := flag.Int("objects", 2000, "objects to fetch")
	latency := flag.Duration("latency", 20*time.Millisecond, "also fetch through a proxy that delays each request this long (0: do not)")
	rows := flag.Int("rows", 300, "records per object")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the fetches to `file`")
	var lb loadBench
	flag.StringVar(&lb.bin, "flowsql", "", "flowsql binary `path` for the load from S3 (none: no load)")
	flag.IntVar(&lb.objects, "load-objects", 48, "objects for the load from S3")
	flag.IntVar(&lb.rows, "load-rows", 100000, "records per object for the load from S3")
	flag.Float64Var(&lb.mbps, "bandwidth", 10, "the proxy's bandwidth for the load from S3, in MB/s")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	err := run(*objects, *rows, *latency)
	if err == nil && lb.bin != "" {
		err = lb.run(*latency)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(objects, rows int, latency time.Duration) error {
	ctx := context.Background()
	work, srv, _, err := serveLogs(ctx, "bench", flowgen.Config{Seed: 1, Files: objects, RowsPerFile: rows})
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	defer srv.Stop()
	client := srv.Client()
	loc := s3logs.Location{Bucket: "bench", Prefix: "AWSLogs/"}
	listing, err := s3logs.List(ctx, client, loc, s3logs.Filter{})
	if err != nil {
		return err
	}
	var total int64
	for _, o := range listing.Objects {
		total += o.Size
	}
	fmt.Printf("flowsql fetch benchmark: %d objects, %.1f MB, from versitygw on loopback, %d cores, %s\n\n",
		len(listing.Objects), float64(total)/1e6, runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("%-28s %9s %11s %9s %16s\n", "concurrency", "wall", "objects/s", "MB/s", "CPU (both ends)")
	rate := map[int]float64{}
	cpu := map[int]float64{}
	for _, c := range []int{1, s3logs.DefaultFetchConcurrency} {
		dest := filepath.Join(work, fmt.Sprintf("dest-%d", c))
		cpuBefore := cpuSeconds(os.Getpid()) + cpuSeconds(srv.PID())
		sum, err := s3logs.Fetch(ctx, client, loc, listing.Objects, dest, s3logs.FetchOptions{Concurrency: c})
		cpu[c] = cpuSeconds(os.Getpid()) + cpuSeconds(srv.PID()) - cpuBefore
		if err != nil {
			return err
		}
		if sum.Downloaded != len(listing.Objects) {
			return fmt.Errorf("concurrency %d: downloaded %d of %d", c, sum.Downloaded, len(listing.Objects))
		}
		secs := sum.Duration.Seconds()
		rate[c] = float64(sum.Downloaded) / secs
		name := fmt.Sprint(c)
		if c == s3logs.DefaultFetchConcurrency {
			name += " (the default)"
		}
		fmt.Printf("%-28s %8.2fs %11.0f %9.1f %8.2fs (%3.0f%%)\n", name, secs, rate[c], float64(sum.Bytes)/1e6/secs, cpu[c], cpu[c]/secs/float64(runtime.NumCPU())*100)
	}
	ratio := rate[s3logs.DefaultFetchConcurrency] / rate[1]
	mark := "MET "
	if ratio < 4 {
		mark = "MISS"
	}
	if latency > 0 {
		// The same fetches through a proxy that adds latency to each request, as between a
		// laptop and S3: what concurrency is for, and what loopback cannot show.
		proxy := httptest.NewServer(delayed(srv.URL, latency, 0))
		defer proxy.Close()
		slow := s3.New(s3.Options{Region: s3server.Region, BaseEndpoint: aws.String(proxy.URL), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(s3server.AccessKey, s3server.SecretKey, ""), HTTPClient: awscfg.HTTPClient()})
		n := min(len(listing.Objects), 400)
		fmt.Printf("\nthe first %d objects through a proxy that adds %v to each request:\n", n, latency)
		var r1, rd float64
		for _, c := range []int{1, s3logs.DefaultFetchConcurrency} {
			sum, err := s3logs.Fetch(ctx, slow, loc, listing.Objects[:n], filepath.Join(work, fmt.Sprintf("slow-%d", c)), s3logs.FetchOptions{Concurrency: c})
			if err != nil {
				return err
			}
			r := float64(sum.Downloaded) / sum.Duration.Seconds()
			if c == 1 {
				r1 = r
			} else {
				rd = r
			}
			fmt.Printf("%-28d %8.2fs %11.0f %9.1f\n", c, sum.Duration.Seconds(), r, float64(sum.Bytes)/1e6/sum.Duration.Seconds())
		}
		fmt.Printf("  the default concurrency is %.1fx concurrency 1 with latency\n", rd/r1)
	}
	fmt.Printf("\ntargets (issue: S3):\n  [%s] on loopback, the default concurrency at least 4x concurrency 1: %.1fx", mark, ratio)
	if ratio < 4 {
		fmt.Printf(" (client and server share %d cores: concurrency 1 already keeps %.0f%% of them busy)", runtime.NumCPU(), cpu[1]/(float64(len(listing.Objects))/rate[1])/float64(runtime.NumCPU())*100)
	}
	fmt.Println()
	return nil
}

// delayed is a reverse proxy that waits before forwarding each request and, when bytesPerSec
// is above 0, sends the bodies of all responses together at no more than that rate.
func delayed(target string, d time.Duration, bytesPerSec float64) http.Handler {
	u, _ := url.Parse(target)
	p := httputil.NewSingleHostReverseProxy(u)
	if bytesPerSec > 0 {
		bucket := &tokenBucket{rate: bytesPerSec}
		p.ModifyResponse = func(r *http.Response) error {
			r.Body = &throttledBody{ReadCloser: r.Body, bucket: bucket}
			return nil
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		p.ServeHTTP(w, r)
	})
}

// cpuSeconds reads a process's user and system CPU time from /proc.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // clock ticks
}

// serveLogs starts versitygw in a new work directory and puts the files cfg generates in its
// bucket: the caller stops the server and removes work. size is the files' bytes.
func serveLogs(ctx context.Context, bucket string, cfg flowgen.Config) (work string, srv *s3server.Server, size int64, err error) {
	if work, err = os.MkdirTemp("", "flowsql-fetch-bench-"); err != nil {
		return "", nil, 0, err
	}
	if srv, err = s3server.Start(filepath.Join(work, "server")); err != nil {
		os.RemoveAll(work)
		return "", nil, 0, err
	}
	logs := filepath.Join(work, "logs")
	paths, _, err := flowgen.New(cfg).WriteTree(logs)
	if err == nil {
		for _, p := range paths {
			if st, serr := os.Stat(p); serr == nil {
				size += st.Size()
			}
		}
		fmt.Fprintf(os.Stderr, "uploading %d objects of %d records to versitygw at %s ...\n", cfg.Files, cfg.RowsPerFile, srv.URL)
		_, err = srv.UploadTree(ctx, bucket, "", logs)
	}
	if err != nil {
		srv.Stop()
		os.RemoveAll(work)
	}
	return work, srv, size, err
}
