package flowdb

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hugePageMappings returns the sizes of the process's mappings that may have transparent huge
// pages (VmFlags "hg" in /proc/self/smaps).
func hugePageMappings(t *testing.T) []int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	var out []int64
	var size int64
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			lo, hi, _ := strings.Cut(fields[0], "-")
			start, _ := strconv.ParseUint(lo, 16, 64)
			end, _ := strconv.ParseUint(hi, 16, 64)
			size = int64(end - start)
		case len(fields) > 0 && fields[0] == "VmFlags:" && strings.Contains(line, " hg"):
			out = append(out, size)
		}
	}
	return out
}

// TestHugePagesOnPool: each database's block allocator pool may have huge pages, and nothing else
// of its size does.
func TestHugePagesOnPool(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("the kernel has no transparent huge pages")
	}
	pool := memoryLimit(WriterMemory)
	count := func() int {
		n := 0
		for _, size := range hugePageMappings(t) {
			if size >= pool {
				n++
			}
		}
		return n
	}
	before := count()
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		db, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if got := count(); got != before+i {
			t.Errorf("after opening %d databases: %d mappings of at least %d bytes may have huge pages, want %d", i, got, pool, before+i)
		}
	}
	// Without the mappings from before the open, no mapping is taken for the pool.
	if allowHugePages(nil, pool) {
		t.Error("allowHugePages without the mappings from before: advised a mapping")
	}
}
