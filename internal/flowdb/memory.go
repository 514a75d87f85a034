package flowdb

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// DuckDB takes 80% of the machine's memory unless told otherwise, and a load or a report on a
// hundred million records would use it: a laptop starts swapping, a container is killed.
// flowsql gives DuckDB a limit instead, and DuckDB spills what does not fit to a temporary
// directory beside the database (database.duckdb.tmp), at some cost in speed.

// Memory limits for DuckDB, before they are capped by the machine's memory.
const (
	// WriterMemory is the limit of a process that loads: a batch's rows stream through DuckDB
	// to disk, so more memory buys little.
	WriterMemory = 1 << 30
	// ReaderMemory is the limit of a process that runs reports: their hash tables grow with
	// the distinct addresses and pairs they group.
	ReaderMemory = 2 << 30
)

// memoryLimit is the memory limit of a process that wants want bytes, in whole MiB: at most a
// quarter of the memory that the machine, or the container it runs in, has.
func memoryLimit(want int64) int64 {
	if total := physicalMemory(); total > 0 {
		want = min(want, max(total/4, 128<<20))
	}
	return want >> 20 << 20
}

// poolMemory is the size of DuckDB's pool of buffers (block_allocator_memory) for a memory
// limit: twice the limit. With a pool only as large as the limit, a load of 100M records spent
// 17.6-28.0 s in the kernel and took 101-111 s; with room in the pool (twice the limit, or a
// limit of 640 MiB under a 1 GiB pool), 13.4-15.5 s and 97-101 s. A 640 MiB limit under a
// 640 MiB pool was as slow as the first, so it is the room that counts. The kernel time is
// most likely fresh memory being faulted in, which this virtual machine takes 1.6 s per GiB to
// do even in huge pages: presumably DuckDB, out of pool buffers, took the ones it lacked from
// the C allocator, fresh each time (its block allocator keeps some buffers per thread, so a
// pool the size of the limit can run dry before the limit is reached). The pool costs nothing
// until DuckDB uses it: the load's peak memory grew by a few percent (1.66-1.68 GB against
// 1.56-1.64 GB).
func poolMemory(limit int64) int64 { return 2 * limit }

// memorySetting is a number of bytes as a DuckDB memory setting ("1024MB").
func memorySetting(bytes int64) string {
	return fmt.Sprintf("%dMB", bytes>>20)
}

// physicalMemory is the memory this process may use: the machine's, or its cgroup's limit
// when lower; 0 when unknown.
func physicalMemory() int64 {
	var total int64
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
					total = kb << 10
				}
			}
		}
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	return total
}
