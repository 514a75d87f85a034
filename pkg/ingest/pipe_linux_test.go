package ingest

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGrowPipe: a stream's pipe holds 1 MiB, where Linux gives 64 KiB.
func TestGrowPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	size := func() int {
		n, err := unix.FcntlInt(w.Fd(), unix.F_GETPIPE_SZ, 0)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := size()
	growPipe(w)
	if got := size(); got != pipeSize {
		t.Fatalf("pipe size after growPipe: %d (before: %d), want %d", got, before, pipeSize)
	}
}
