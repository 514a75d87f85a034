package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/flowsql/flowsql"
)

const versionAbout = `
Print flowsql's version, the DuckDB it embeds, and the Go it was built with.`

// version is set at build time (-ldflags "-X main.version=v1.2.3"); otherwise the module's
// version, or "devel".
var version = ""

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "version", "", versionAbout)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("Example: flowsql version", "version takes no arguments")
	}
	v := version
	if info, ok := debug.ReadBuildInfo(); ok && v == "" {
		v = info.Main.Version
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	duck := "unknown"
	if db, err := flowsql.Open(ctx, flowsql.Memory, flowsql.Options{}); err == nil {
		db.QueryRowContext(ctx, `SELECT version()`).Scan(&duck)
		db.Close()
	}
	fmt.Fprintf(e.stdout, "flowsql %s\nDuckDB %s\n%s %s/%s\n", v, duck, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
