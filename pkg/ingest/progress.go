package ingest

import (
	"sync"
	"time"
)

// report sends a snapshot of the load's progress to Options.Progress.
func (l *loader) report() {
	if l.opts.Progress == nil {
		return
	}
	l.mu.Lock()
	p := l.progress
	l.mu.Unlock()
	p.Elapsed = time.Since(l.start)
	l.opts.Progress(p)
}

// watchProgress reports, while a group's statement runs, how much of its files the screens
// have read. The bytes of a batch count for good once it commits.
func (l *loader) watchProgress(streams []*stream) (stop func()) {
	if l.opts.Progress == nil || len(streams) == 0 {
		return func() {}
	}
	l.mu.Lock()
	base := l.progress.BytesDone
	l.mu.Unlock()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			var read int64
			for _, s := range streams {
				read += min(s.read.Load(), s.task.file.Size)
			}
			l.mu.Lock()
			l.progress.BytesDone = base + read
			l.mu.Unlock()
			l.report()
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		l.mu.Lock()
		l.progress.BytesDone = base
		l.mu.Unlock()
	}
}
