// Command flowsql turns AWS VPC Flow Logs into answers: it loads flow-log files (local or from
// S3) into a DuckDB database and answers the usual questions with canned reports, SQL and a
// NAT gateway cost analysis.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// stopSignals stop a command as Ctrl-C does: the open transaction rolls back, what committed
// stays, and the exit status is 128 plus the signal's number.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// stopGrace is how long a stopped command may take to roll back and close. DuckDB stops a
// statement within milliseconds when asked; past this, or at a second signal, the process ends
// at once, which the database survives as it survives a crash (whole files only).
const stopGrace = 15 * time.Second

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, stopSignals...)
	go func() {
		sig := <-sigs
		cancel(&stopSignal{sig})
		select {
		case <-sigs:
		case <-time.After(stopGrace):
		}
		fmt.Fprintf(os.Stderr, "flowsql: stopped by %s without waiting for the rollback; the next load finishes the job\n", sig)
		os.Exit(signalExitCode(sig))
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// stopSignal is the cause of a context that a signal cancelled.
type stopSignal struct{ sig os.Signal }

func (s *stopSignal) Error() string { return "stopped by " + s.sig.String() }

// signalExitCode is the exit status a shell gives a process that a signal ended: 128 + its
// number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
func signalExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitInterrupted
}
