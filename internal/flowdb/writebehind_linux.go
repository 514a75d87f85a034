package flowdb

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// syncFileRange is sync_file_range(2); a test replaces it to see the calls.
var syncFileRange = unix.SyncFileRange

// writeBehind asks the kernel every interval to start writing back the dirty pages of the file
// at path, until stop is called; stop returns once the asking has ended.
func writeBehind(path string, every time.Duration) (stop func()) {
	f, err := os.Open(path)
	if err != nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		defer f.Close()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				// A failure (a file system without it) costs nothing: the commit syncs anyway.
				syncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
