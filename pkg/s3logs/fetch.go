package s3logs

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultFetchConcurrency is how many objects Fetch downloads at once unless told otherwise.
const DefaultFetchConcurrency = 16

// FetchOptions control Fetch.
type FetchOptions struct {
	// Concurrency is how many objects download at once (default DefaultFetchConcurrency).
	Concurrency int
	// Progress, when set, is called as the fetch advances (from several goroutines, one at a
	// time).
	Progress func(FetchProgress)
	// Done, when set, is called for each object once it is downloaded, found present or failed.
	Done func(FetchResult)
}

// FetchProgress is a snapshot of a running fetch.
type FetchProgress struct {
	Objects, ObjectsDone int
	Bytes, BytesDone     int64 // bytes to download, and downloaded so far
	Elapsed              time.Duration
}

// FetchStatus says what Fetch did with an object.
type FetchStatus int

const (
	// Downloaded objects are now complete under the destination.
	Downloaded FetchStatus = iota
	// Present objects were there already, same size and ETag.
	Present
	// FetchFailed objects could not be downloaded; nothing was left at their path.
	FetchFailed
)

// FetchResult is what happened to one object.
type FetchResult struct {
	Object Object
	Path   string
	Status FetchStatus
	Err    error
}

// FetchSummary is the outcome of a fetch.
type FetchSummary struct {
	Results                     []FetchResult
	Downloaded, Present, Failed int
	Bytes                       int64 // downloaded
	Duration                    time.Duration
}

// fetchManifest is the file in a fetch's destination that remembers the ETag of each object
// downloaded, so that a re-run knows what is already there.
const fetchManifest = ".flowsql-fetch.tsv"

var md5ETag = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Fetch downloads objects into dest, keeping their keys as paths. Objects already there with
// the same size and ETag are left alone, so running a fetch again resumes it. Each object is
// written under a temporary name and renamed when complete.
func Fetch(ctx context.Context, client Client, loc Location, objs []Object, dest string, opts FetchOptions) (*FetchSummary, error) {
	start := time.Now()
	sum := &FetchSummary{Results: make([]FetchResult, len(objs))}
	defer func() { sum.Duration = time.Since(start) }()
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultFetchConcurrency
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return sum, err
	}
	known, err := readFetchManifest(dest)
	if err != nil {
		return sum, err
	}
	manifest, err := os.OpenFile(filepath.Join(dest, fetchManifest), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return sum, err
	}
	defer manifest.Close()

	var mu sync.Mutex // guards sum, manifest and progress reports
	var done atomic.Int64
	prog := FetchProgress{Objects: len(objs)}
	var todo []int
	for i, o := range objs {
		path, err := keyPath(dest, o.Key)
		sum.Results[i] = FetchResult{Object: o, Path: path}
		if err != nil {
			sum.Results[i].Status, sum.Results[i].Err = FetchFailed, err
			sum.Failed++
			continue
		}
		if present(path, o, known[o.Key]) {
			sum.Results[i].Status = Present
			sum.Present++
			continue
		}
		todo = append(todo, i)
		prog.Bytes += o.Size
	}
	prog.ObjectsDone = sum.Present + sum.Failed
	report := func() {
		if opts.Progress != nil {
			p := prog
			p.BytesDone = done.Load()
			p.Elapsed = time.Since(start)
			opts.Progress(p)
		}
	}
	report()
	for i := range sum.Results {
		if r := sum.Results[i]; opts.Done != nil && r.Status != Downloaded {
			opts.Done(r)
		}
	}

	stopTicker := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopTicker:
				return
			case <-t.C:
				mu.Lock()
				report()
				mu.Unlock()
			}
		}
	}()
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(opts.Concurrency, max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := &sum.Results[i]
				n, err := download(ctx, client, loc.Bucket, r.Object.Key, r.Path, &done)
				mu.Lock()
				if err != nil {
					r.Status, r.Err = FetchFailed, err
					sum.Failed++
				} else {
					sum.Downloaded++
					sum.Bytes += n
					// Keys come from the bucket: quoted, a tab or a newline in one cannot forge a line.
					fmt.Fprintf(manifest, "%s\t%d\t%s\n", strconv.Quote(r.Object.Key), r.Object.Size, strconv.Quote(r.Object.ETag))
				}
				prog.ObjectsDone++
				report()
				if opts.Done != nil && ctx.Err() == nil {
					opts.Done(*r)
				}
				mu.Unlock()
			}
		}()
	}
	for _, i := range todo {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	close(stopTicker)
	return sum, ctx.Err()
}

// keyPath is where an object goes under dest; keys that would leave dest are refused.
func keyPath(dest, key string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(key))
	if key == "" || filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("object key %q would be written outside the destination", key)
	}
	return filepath.Join(dest, clean), nil
}

// present reports whether an object is already downloaded: same size, and the same ETag as
// recorded, or, for a file fetched otherwise, the MD5 that a simple upload's ETag is.
func present(path string, o Object, etag string) bool {
	st, err := os.Stat(path)
	if err != nil || st.Size() != o.Size {
		return false
	}
	if etag != "" {
		return etag == o.ETag
	}
	if !md5ETag.MatchString(o.ETag) {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == o.ETag
}

// manifestField reads a key or ETag of the manifest: quoted (as written now), or bare (as
// the first release wrote them).
func manifestField(s string) (string, error) {
	if strings.HasPrefix(s, `"`) {
		return strconv.Unquote(s)
	}
	return s, nil
}

func readFetchManifest(dest string) (map[string]string, error) {
	out := map[string]string{}
	f, err := os.Open(filepath.Join(dest, fetchManifest))
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			continue // a line cut short by an interruption
		}
		key, kerr := manifestField(parts[0])
		etag, eerr := manifestField(parts[2])
		if _, err := strconv.ParseInt(parts[1], 10, 64); err == nil && kerr == nil && eerr == nil {
			out[key] = etag
		}
	}
	return out, sc.Err()
}
