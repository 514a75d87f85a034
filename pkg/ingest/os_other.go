//go:build !linux

package ingest

// readPositions is only implemented on Linux; elsewhere progress moves file by file.
func readPositions(files map[string]int64) map[string]int64 { return nil }

// lowerPriority is only implemented on Linux.
func lowerPriority() {}
