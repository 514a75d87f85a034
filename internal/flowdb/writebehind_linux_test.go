package flowdb

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWriteBehind: while it runs, the kernel is asked, again and again, to write back the
// database's own file (the real call, which must succeed here); after stop, no more; and an
// in-memory database has no file to ask for.
func TestWriteBehind(t *testing.T) {
	type call struct {
		file  string
		flags int
		err   error
	}
	var mu sync.Mutex
	var calls []call
	syncFileRange = func(fd int, off, n int64, flags int) error {
		file, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		err := unix.SyncFileRange(fd, off, n, flags)
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{file, flags, err})
		return err
	}
	defer func() { syncFileRange = unix.SyncFileRange }()
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(calls)
	}

	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop := WriteBehind(ctx, db)
	for deadline := time.Now().Add(10 * time.Second); count() < 3; {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("%d writebacks asked for in 10 s, want 3 or more", count())
		}
		time.Sleep(writeBehindEvery / 2)
	}
	stop()
	after := count()
	time.Sleep(3 * writeBehindEvery)
	if n := count(); n != after {
		t.Errorf("%d writebacks asked for after stop", n-after)
	}
	want, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.file != want || c.flags != unix.SYNC_FILE_RANGE_WRITE || c.err != nil {
			t.Fatalf("asked for %+v, want the writeback of %s (flags %d), done", c, want, unix.SYNC_FILE_RANGE_WRITE)
		}
	}

	mem, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	before := count()
	stop = WriteBehind(ctx, mem)
	time.Sleep(3 * writeBehindEvery)
	stop()
	if n := count(); n != before {
		t.Errorf("an in-memory database asked for %d writebacks", n-before)
	}
}
