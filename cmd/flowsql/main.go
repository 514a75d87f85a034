// Command flowsql turns AWS VPC Flow Logs into answers: it loads flow-log files (local or from
// S3) into a DuckDB database and answers the usual questions with canned reports, SQL and a
// NAT gateway cost analysis.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
