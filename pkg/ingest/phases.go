package ingest

import "time"

// A PhaseTime is how long one phase of a load took, added up over its batches: where the time
// of a load goes (flowsql load --verbose prints them, the benchmark sets them beside DuckDB's
// raw read_csv).
type PhaseTime struct {
	// Phase is what the load did: "plan" (connect, read the manifest, choose the files),
	// "fetch and prepare" (waiting for a batch's files to be downloaded from S3, sniffed and
	// hashed; this runs while the batch before loads, so after the first batch only the wait
	// shows), "replace" (a forced reload's old rows), "read files" (the files into the
	// tables), "count" (what each file holds), "summary", "rollup <table>", "load errors",
	// "manifest", "address keys", "commit", "rolled back" (attempts that failed on a file),
	// "overlaps", "destinations".
	Phase string
	Time  time.Duration
}

// phaseClock times the phases of a load: lap ends the phase that has been running since the
// last lap and adds its time to the phase named. A nil clock times nothing.
type phaseClock struct {
	last   time.Time
	phases []PhaseTime
}

func newPhaseClock() *phaseClock { return &phaseClock{last: time.Now()} }

// lap adds the time since the last lap to phase.
func (c *phaseClock) lap(phase string) {
	if c == nil {
		return
	}
	now := time.Now()
	d := now.Sub(c.last)
	c.last = now
	for i := range c.phases {
		if c.phases[i].Phase == phase {
			c.phases[i].Time += d
			return
		}
	}
	c.phases = append(c.phases, PhaseTime{Phase: phase, Time: d})
}
