//go:build !linux

package flowdb

// Transparent huge pages for DuckDB's block allocator are asked for on Linux only (see
// hugepages_linux.go).

type mapping struct{ start, end uintptr }

func anonymousMappings() map[mapping]bool { return nil }

func allowHugePages(map[mapping]bool, int64) bool { return false }
