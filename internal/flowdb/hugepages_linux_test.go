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

// TestHugePagesOnPool: opening a database makes at least its pool's size more of the process's
// memory eligible for huge pages. (The mappings are added up: the kernel merges two databases'
// reservations that lie side by side once both are advised.)
func TestHugePagesOnPool(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("the kernel has no transparent huge pages")
	}
	pool := poolMemory(memoryLimit(WriterMemory))
	eligible := func() int64 {
		var n int64
		for _, size := range hugePageMappings(t) {
			n += size
		}
		return n
	}
	before := eligible()
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		db, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		after := eligible()
		if after-before < pool {
			t.Errorf("opening database %d made %d bytes more eligible for huge pages, want at least the pool, %d", i, after-before, pool)
		}
		before = after
	}
	// Without the mappings from before the open, no mapping is taken for the pool.
	if allowHugePages(nil, pool) {
		t.Error("allowHugePages without the mappings from before: advised a mapping")
	}
}
