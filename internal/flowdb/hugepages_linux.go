package flowdb

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// DuckDB's block allocator reserves virtual memory for its pool when a database opens (80% of
// the machine's memory) and, the first time it hands out a buffer of the pool, faults in each of
// its 4 KiB pages. Page faults are dear on virtual machines: a load of 10M records took 229k of
// them, two thirds in the pool, and spent a tenth of its CPU time on them. Most kernels give a
// process transparent huge pages only where it asks for them (transparent_hugepage/enabled is
// "madvise"), so flowsql asks for them on the pool (MADV_HUGEPAGE): a 2 MiB page comes in where
// 512 came one by one. The load of 10M records: 73k faults, 11.2-11.7 s instead of 12.3-12.8 s
// (three pairs, alternating). The pool's memory was touched in full anyway, so memory use is the
// same.
//
// DuckDB does not say where its pool is. It is the largest private anonymous mapping that
// appeared while the database opened; one smaller than the pool is not it, and is left alone.
// The whole mapping is advised: the kernel may have merged the reservation with a mapping beside
// it, so where the pool begins in it is not known, and memory that is never touched costs
// nothing. The advice changes nothing but the size of pages, and a kernel without huge pages
// refuses it.

// mapping is a range of addresses of the process.
type mapping struct{ start, end uintptr }

// anonymousMappings lists the process's private anonymous read-write mappings (nil when
// /proc/self/maps cannot be read).
func anonymousMappings() map[mapping]bool {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[mapping]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// address perms offset dev inode [path]
		fields := strings.Fields(sc.Text())
		if len(fields) != 5 || fields[1] != "rw-p" || fields[4] != "0" {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if ok && err1 == nil && err2 == nil {
			out[mapping{uintptr(start), uintptr(end)}] = true
		}
	}
	if sc.Err() != nil {
		return nil
	}
	return out
}

// allowHugePages asks for transparent huge pages on DuckDB's block allocator's reservation: the
// largest anonymous mapping not among before, if it can hold pool bytes. It reports whether the
// kernel took the advice.
func allowHugePages(before map[mapping]bool, pool int64) bool {
	if before == nil {
		return false
	}
	var best mapping
	for m := range anonymousMappings() {
		if !before[m] && m.end-m.start > best.end-best.start {
			best = m
		}
	}
	if pool <= 0 || best.end-best.start < uintptr(pool) {
		return false
	}
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, best.start, best.end-best.start, syscall.MADV_HUGEPAGE)
	return errno == 0
}
