package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/flowsql/flowsql/internal/output"
	"github.com/flowsql/flowsql/internal/words"
	"github.com/flowsql/flowsql/pkg/enrich"
	"github.com/flowsql/flowsql/pkg/queries"
)

const whoisAbout = `
Find who holds external addresses (network name such as AT-88-Z, organisation, country, origin
AS) and keep the answers in the ip_owner table, which top-sources, top-destinations and
by-network join.

The addresses are the ADDR arguments, or with --top N the addresses in the first N rows of a
report: top-sources by default, the senders to --dst, or without --dst to the top destination
(a NAT gateway's address, when NAT traffic is the bill). --report names other reports; the
first column of addresses in each is taken.

RDAP is asked first, at the registry that IANA's bootstrap files name for the address; whois
(port 43, following referrals such as ARIN's to RIPE) when RDAP fails. Answers are cached by
range for --ttl: an address inside a range already held is not looked up again, so a second
run asks nothing, and --offline answers from the cache alone. Private and reserved addresses
are never sent anywhere. At most --per-registry requests are in flight to one registry, and
rate limits (HTTP 429 with Retry-After, whois limit notices) are waited out with backoff.

--rdap-url and --whois-server (or $FLOWSQL_RDAP_URL and $FLOWSQL_WHOIS_SERVER) send every
lookup to one server instead of the registries' (a mirror, a test server); "off" leaves that
protocol out.

The exit status is 1 when any address could not be looked up; the others are kept.

Examples:
  flowsql enrich whois --top 25
  flowsql enrich whois --top 50 --dst 10.0.101.10 --since 7d
  flowsql enrich whois 23.52.1.9 2600:9000:2000::1
  flowsql enrich whois --top 25 --report top-destinations --report top-sources
  flowsql enrich whois --offline --top 100 --format csv`

// stringList is a flag that may be given more than once.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runEnrichWhois(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "enrich whois", "[flags] [ADDR...]", whoisAbout)
	db := dbFlag(fs, e)
	top := fs.Int("top", 0, "look up the addresses of a report's first `N` rows")
	var reports stringList
	fs.Var(&reports, "report", "the report `NAME` whose addresses --top takes (default top-sources; may be repeated)")
	dst := fs.String("dst", "", "the --dst `ADDR` of the report (default: the top destination)")
	var window queries.FilterFlags
	window.RegisterWindow(fs)
	offline := fs.Bool("offline", false, "answer from the cache alone: send nothing")
	ttl := fs.String("ttl", "30d", "how long an answer stays good (`DURATION`: 12h, 30d)")
	rdapURL := fs.String("rdap-url", e.getenv("FLOWSQL_RDAP_URL"), "send RDAP lookups to this server `URL` instead of the registries' (\"off\": no RDAP)")
	whoisServer := fs.String("whois-server", e.getenv("FLOWSQL_WHOIS_SERVER"), "send whois lookups to this `HOST:PORT` instead of the registries' (\"off\": no whois)")
	perRegistry := fs.Int("per-registry", 2, "at most `N` requests in flight to one registry")
	quiet := fs.Bool("quiet", false, "print no progress and no summary")
	format := fs.String("format", "table", "output `FORMAT`: table, csv, json, ndjson, markdown, line")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	f, err := output.ParseFormat(*format)
	if err != nil {
		return usagef("", "--format: %v", err)
	}
	var addrs []netip.Addr
	for _, p := range pos {
		a, err := netip.ParseAddr(p)
		if err != nil {
			return usagef("Example: flowsql enrich whois 23.52.1.9, or --top 25 for a report's addresses", "%q is not an IP address", p)
		}
		addrs = append(addrs, a.Unmap())
	}
	switch {
	case *top < 0:
		return usagef("", "--top must be positive")
	case *top == 0 && len(reports) > 0:
		return usagef("Example: flowsql enrich whois --top 25 --report "+reports[0], "--report needs --top N: how many of its rows")
	case *top == 0 && *dst != "":
		return usagef("Example: flowsql enrich whois --top 25 --dst "+*dst, "--dst needs --top N: how many senders")
	case *top == 0 && len(addrs) == 0:
		return usagef("Example: flowsql enrich whois --top 25 (the top senders to the top destination)", "give addresses, or --top N")
	case *perRegistry < 1:
		return usagef("", "--per-registry must be at least 1")
	}
	if *top > 0 && len(reports) == 0 {
		reports = stringList{"top-sources"}
	}
	ttlDur, err := queries.ParseDuration(*ttl)
	if err != nil {
		return usagef("Example: --ttl 30d", "--ttl: %v", err)
	}
	opts := enrich.LookupOptions{TTL: ttlDur, Offline: *offline, PerRegistry: *perRegistry}
	if *rdapURL != "off" {
		if opts.RDAP, err = enrich.NewRDAPResolver(*rdapURL); err != nil {
			return usagef("Example: --rdap-url https://rdap.arin.net/registry/", "--rdap-url: %v", err)
		}
	}
	if *whoisServer != "off" {
		if *whoisServer != "" && !strings.Contains(*whoisServer, ":") {
			*whoisServer += ":43"
		}
		opts.Whois = enrich.NewWhoisResolver(*whoisServer)
	}
	if opts.RDAP == nil && opts.Whois == nil && !*offline {
		return usagef("Leave one of them on, or pass --offline.", "--rdap-url off and --whois-server off leave nothing to ask")
	}
	filters, err := window.Filters(time.Now())
	if err != nil {
		return usagef("", "%v", err)
	}

	mode := writeDB
	if *top > 0 {
		mode = writeExistingDB
	}
	conn, err := e.openDB(ctx, *db, mode)
	if err != nil {
		return err
	}
	defer conn.Close()
	if *top > 0 {
		more, err := reportAddrs(ctx, e, conn, reports, *top, *dst, filters)
		if err != nil {
			return err
		}
		addrs = append(addrs, more...)
	}
	addrs = uniqueAddrs(addrs)

	var bar *progressBar
	if !*quiet && isTerminal(e.stderr) {
		bar = newCountBar(e.stderr)
		opts.Progress = func(done, total int) { bar.update(int64(total), int64(done), "looking up") }
	}
	results, err := enrich.LookupOwners(ctx, conn, addrs, opts)
	bar.finish()
	if err != nil {
		return err
	}
	if err := output.Write(e.stdout, ownersResult(results), f, output.Options{Footer: f == output.Table}); err != nil {
		return err
	}
	counts := map[enrich.LookupStatus]int{}
	var failures []string
	for _, r := range results {
		counts[r.Status]++
		if r.Status == enrich.NotFound {
			failures = append(failures, fmt.Sprintf("%s: %v", r.Addr, r.Err))
		}
	}
	for i, msg := range failures {
		if i == 10 {
			fmt.Fprintf(e.stderr, "flowsql enrich whois: and %d more failures\n", len(failures)-10)
			break
		}
		fmt.Fprintf(e.stderr, "flowsql enrich whois: %s\n", msg)
	}
	if !*quiet {
		var parts []string
		for _, s := range []enrich.LookupStatus{enrich.Found, enrich.SameRange, enrich.Cached, enrich.Private, enrich.NotCached, enrich.NotFound} {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		fmt.Fprintf(e.stderr, "%s addresses: %s\n", words.Count(int64(len(results))), strings.Join(parts, ", "))
	}
	if len(failures) > 0 {
		return &exitError{exitFailure}
	}
	return nil
}

// reportAddrs runs reports with --limit n and takes the addresses of each one's first
// column of addresses. A report with a dst parameter gets dst, or the top destination.
func reportAddrs(ctx context.Context, e *env, db *sql.DB, names []string, n int, dst string, f queries.Filters) ([]netip.Addr, error) {
	set, err := loadQueries("")
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	for _, name := range names {
		q, ok := set.Lookup(name)
		if !ok {
			return nil, usagef("Run 'flowsql report' for the list.", "--report: unknown report %q", name)
		}
		if _, ok := q.Param("limit"); !ok {
			return nil, usagef("", "--report %s: the report has no --limit, so --top cannot take its first rows", name)
		}
		vals := queries.Values{"limit": strconv.Itoa(n)}
		if _, ok := q.Param("dst"); ok {
			d := dst
			if d == "" {
				if d, err = topDestination(ctx, e, db, set, f); err != nil {
					return nil, err
				}
				fmt.Fprintf(e.stderr, "flowsql enrich whois: taking the senders to %s, the top destination (--dst chooses another)\n", d)
			}
			vals["dst"] = d
		} else if dst != "" {
			return nil, usagef("", "--dst: report %s has no dst parameter", name)
		}
		res, err := reportInto(ctx, e, db, set, name, vals, f)
		if err != nil {
			return nil, err
		}
		col := addressColumn(res)
		if col < 0 {
			return nil, fmt.Errorf("report %s has no column of addresses", name)
		}
		for _, row := range res.Rows {
			if s, ok := row[col].(string); ok {
				addrs = append(addrs, netip.MustParseAddr(s).Unmap())
			}
		}
	}
	return addrs, nil
}

// topDestination is the address that receives the most bytes.
func topDestination(ctx context.Context, e *env, db *sql.DB, set *queries.Set, f queries.Filters) (string, error) {
	if _, ok := set.Lookup("top-destinations"); !ok {
		return "", fmt.Errorf("no top-destinations report to find the top destination with: pass --dst")
	}
	res, err := reportInto(ctx, e, db, set, "top-destinations", queries.Values{"limit": "1"}, f)
	if err != nil {
		return "", err
	}
	if len(res.Rows) == 0 {
		return "", fmt.Errorf("no traffic loaded to find the top destination in: load flow logs first, or pass --dst")
	}
	return fmt.Sprint(res.Rows[0][0]), nil
}

// reportInto runs a named report into memory, its notes on stderr.
func reportInto(ctx context.Context, e *env, db *sql.DB, set *queries.Set, name string, vals queries.Values, f queries.Filters) (*output.Result, error) {
	out, err := set.Run(ctx, db, name, vals, f)
	if err != nil {
		var ae *queries.ArgError
		if errors.As(err, &ae) {
			return nil, usagef("", "report %s: %s", name, ae.Error())
		}
		return nil, err
	}
	for _, n := range out.Notes {
		fmt.Fprintf(e.stderr, "flowsql enrich whois: report %s: %s\n", name, n)
	}
	return out.Result, nil
}

// addressColumn is the first text column whose values are all IP addresses, or -1.
func addressColumn(res *output.Result) int {
	for i := range res.Columns {
		seen := false
		all := true
		for _, row := range res.Rows {
			if row[i] == nil {
				continue
			}
			s, ok := row[i].(string)
			if _, err := netip.ParseAddr(s); !ok || err != nil {
				all = false
				break
			}
			seen = true
		}
		if seen && all {
			return i
		}
	}
	return -1
}

// uniqueAddrs drops repeated addresses, keeping the first of each.
func uniqueAddrs(addrs []netip.Addr) []netip.Addr {
	seen := map[netip.Addr]bool{}
	out := addrs[:0:0]
	for _, a := range addrs {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// ownersResult is the table that enrich whois prints: one row per address.
func ownersResult(results []enrich.LookupResult) *output.Result {
	res := &output.Result{}
	for _, c := range []string{"address", "status", "network", "organisation", "country", "range", "answered_by"} {
		res.Columns = append(res.Columns, output.Column{Name: c, Type: "VARCHAR"})
	}
	for _, r := range results {
		row := []any{r.Addr.String(), string(r.Status), nil, nil, nil, nil, nil}
		if o := r.Owner; o != nil {
			row[2], row[3], row[4], row[5] = nullable(o.Network), nullable(o.Organisation), nullable(o.Country), o.Range()
			row[6] = nullable(strings.TrimSpace(o.Source + " " + o.Registry))
		}
		res.Rows = append(res.Rows, row)
	}
	return res
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
