package ingest

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestScreenSpeed(t *testing.T) {
	dir := os.Getenv("SCREEN_DIR")
	if dir == "" {
		t.Skip()
	}
	var files []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if strings.HasSuffix(p, ".gz") {
			files = append(files, p)
		}
		return nil
	})
	for _, mode := range []string{"gunzip", "screen"} {
		start := time.Now()
		ch := make(chan string, len(files))
		for _, f := range files {
			ch <- f
		}
		close(ch)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range ch {
					f, _ := os.Open(p)
					g, _ := newGzipStream(f)
					if mode == "gunzip" {
						io.Copy(io.Discard, g)
					} else {
						screen(g, io.Discard, screenOptions{fields: 14, header: true}, newIssueLog(t.TempDir()+"/x"))
					}
					f.Close()
				}
			}()
		}
		wg.Wait()
		t.Logf("%s: %v", mode, time.Since(start))
	}
}

func TestPlainSpacing(t *testing.T) {
	base := "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 400 1700000000 1700000060 ACCEPT OK\n"
	for i := 0; i < len(base); i++ {
		for _, c := range []byte{' ', '\n'} {
			b := []byte(base + base)
			b[len(base)+i] = c // every position, every kind of trouble, across word boundaries
			want := plainSpacingSlow(b)
			if got := plainSpacing(b); got != want {
				t.Fatalf("plainSpacing(%q) = %v, want %v", b, got, want)
			}
		}
	}
}

func plainSpacingSlow(b []byte) bool {
	s := string(b)
	return !strings.Contains(s, "  ") && !strings.Contains(s, " \n") && !strings.Contains(s, "\n ")
}

func TestParseIPv4Bytes(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "10.0.1.5", "255.255.255.255", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
		"1.2.3.-4", "a.b.c.d", "1..2.3", ".1.2.3", "1.2.3.", "", "-", "::1", "1.2.3.04", "1.2.3.0", "999.1.1.1"} {
		got, ok := parseIPv4Bytes([]byte(s))
		want, wok := parseIPv4(s)
		if ok != wok || got != want {
			t.Errorf("parseIPv4Bytes(%q) = %d %v, net/netip %d %v", s, got, ok, want, wok)
		}
	}
}
