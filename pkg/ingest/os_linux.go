package ingest

import (
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// readPositions returns, for each of the given files that this process has open, how far
// into it the reading has got: the offset of its descriptor, from /proc/self/fdinfo. DuckDB
// reads a file front to back, so this is how much of it a load has consumed.
func readPositions(files map[string]int64) map[string]int64 {
	out := map[string]int64{}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return out
	}
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue
		}
		if _, ok := files[target]; !ok {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(string(info), "\n")
		if pos, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(first, "pos:")), 10, 64); err == nil {
			out[target] = max(out[target], pos)
		}
	}
	return out
}

// lowerPriority gives the calling goroutine's thread the lowest CPU priority. The goroutine
// keeps the thread, which ends with it, so no other goroutine inherits the priority.
func lowerPriority() {
	runtime.LockOSThread()
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19)
}
