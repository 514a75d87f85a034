package enrich

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"sync"
	"time"

	"github.com/flowsql/flowsql/internal/flowdb"
)

// Owner is who holds an address range.
type Owner struct {
	Start, End   netip.Addr
	CIDRs        []string
	Network      string // network name, like AT-88-Z
	Organisation string
	Country      string
	OriginAS     string
	Handle       string
	Registry     string // the server that answered
	Source       string // rdap or whois
}

// Range is the owner's range as "start - end".
func (o *Owner) Range() string { return o.Start.String() + " - " + o.End.String() }

// Resolver finds who holds an address.
type Resolver interface {
	Lookup(ctx context.Context, a netip.Addr) (*Owner, error)
	// Registry names where a lookup of a goes: requests in flight are limited per registry.
	Registry(a netip.Addr) string
}

// RateLimited is a registry asking for fewer queries.
type RateLimited struct {
	Registry   string
	RetryAfter time.Duration // 0 when the registry did not say
	Msg        string
}

func (e *RateLimited) Error() string {
	s := fmt.Sprintf("%s is limiting queries (%s)", e.Registry, e.Msg)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf("; retry after %s", e.RetryAfter)
	}
	return s
}

// LookupOptions control LookupOwners.
type LookupOptions struct {
	// RDAP and Whois are asked in that order; either may be nil.
	RDAP, Whois Resolver
	// TTL is how long an answer stays good (default 30 days).
	TTL time.Duration
	// Offline answers from the cache only.
	Offline bool
	// PerRegistry bounds the requests in flight to one registry (default 2). An address is
	// looked up only if no range known when its turn comes holds it, so two addresses of one
	// new range may both be asked while both are in flight.
	PerRegistry int
	// Retries is how often a rate-limited lookup is tried again (default 3); each wait is the
	// registry's Retry-After, or a backoff from Backoff (default 2s) doubling each time.
	Retries int
	Backoff time.Duration
	// Progress, when set, is called after each address (one call at a time).
	Progress func(done, total int)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// LookupStatus says how an address's owner was found.
type LookupStatus string

// The statuses of a lookup.
const (
	Found     LookupStatus = "looked up"
	Cached    LookupStatus = "cached"
	SameRange LookupStatus = "same range" // in a range that another address of this run found
	Private   LookupStatus = "private"
	NotCached LookupStatus = "not cached (offline)"
	NotFound  LookupStatus = "failed"
)

// LookupResult is what became of one address.
type LookupResult struct {
	Addr   netip.Addr
	Owner  *Owner
	Status LookupStatus
	Err    error
}

// LookupOwners finds who holds each address and records new answers in ip_owner (each as it
// arrives, so an interruption loses nothing). An address inside a range held in ip_owner and
// younger than the TTL is not looked up again, and private and reserved addresses are never
// sent anywhere. RDAP is asked first, whois when RDAP fails.
func LookupOwners(ctx context.Context, db *sql.DB, addrs []netip.Addr, opts LookupOptions) ([]LookupResult, error) {
	if opts.TTL <= 0 {
		opts.TTL = 30 * 24 * time.Hour
	}
	if opts.PerRegistry <= 0 {
		opts.PerRegistry = 2
	}
	if opts.Retries <= 0 {
		opts.Retries = 3
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cache, err := readOwners(ctx, db, opts.Now().Add(-opts.TTL))
	if err != nil {
		return nil, err
	}
	results := make([]LookupResult, len(addrs))
	var todo []int
	for i, a := range addrs {
		results[i].Addr = a
		switch {
		case !IsPublic(a):
			results[i].Status = Private
		case cache.find(a) != nil:
			results[i].Owner, results[i].Status = cache.find(a), Cached
		case opts.Offline:
			results[i].Status = NotCached
		default:
			todo = append(todo, i)
		}
	}
	var mu sync.Mutex // guards cache, results, progress, and the writes to the database
	done := len(addrs) - len(todo)
	if opts.Progress != nil {
		opts.Progress(done, len(addrs))
	}
	sems := map[string]chan struct{}{}
	sem := func(registry string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if sems[registry] == nil {
			sems[registry] = make(chan struct{}, opts.PerRegistry)
		}
		return sems[registry]
	}
	var wg sync.WaitGroup
	var fatal error
	for _, i := range todo {
		a := addrs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			added := false
			o, fromCache, err := lookupOne(ctx, a, opts, sem, func() *Owner {
				mu.Lock()
				defer mu.Unlock()
				return cache.find(a)
			}, func(o *Owner) {
				mu.Lock()
				defer mu.Unlock()
				if !cache.has(o) {
					cache.add(o)
					added = true
				}
			})
			mu.Lock()
			defer mu.Unlock()
			r := &results[i]
			switch {
			case err != nil:
				r.Status, r.Err = NotFound, err
			case fromCache:
				r.Owner, r.Status = o, SameRange
			default:
				r.Owner, r.Status = o, Found
				if added {
					if werr := writeOwner(ctx, db, o, opts.Now()); werr != nil && fatal == nil {
						fatal = werr
					}
				}
			}
			done++
			if opts.Progress != nil {
				opts.Progress(done, len(addrs))
			}
		}()
	}
	wg.Wait()
	if fatal != nil {
		return results, fatal
	}
	if err := ctx.Err(); err != nil {
		return results, err
	}
	return results, rebuildOwnerSegments(ctx, db)
}

// lookupOne asks the resolvers in turn, waiting out rate limits, one request in flight per
// slot of the registry's semaphore. cached is checked after waiting for a slot: another
// lookup may have found a range that holds the address meanwhile; remember records a range
// found before the slot is given up, so the next holder of the slot sees it.
func lookupOne(ctx context.Context, a netip.Addr, opts LookupOptions, sem func(string) chan struct{}, cached func() *Owner, remember func(*Owner)) (o *Owner, fromCache bool, err error) {
	var errs []error
	for _, res := range []Resolver{opts.RDAP, opts.Whois} {
		if res == nil {
			continue
		}
		s := sem(res.Registry(a))
		wait := opts.Backoff
		for attempt := 0; ; attempt++ {
			select {
			case s <- struct{}{}:
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
			if o := cached(); o != nil {
				<-s
				return o, true, nil
			}
			o, err := res.Lookup(ctx, a)
			if err == nil {
				remember(o)
			}
			<-s
			if err == nil {
				return o, false, nil
			}
			var rl *RateLimited
			if !errors.As(err, &rl) || attempt >= opts.Retries {
				errs = append(errs, err)
				break
			}
			d := wait
			if rl.RetryAfter > 0 {
				d = rl.RetryAfter
			}
			wait *= 2
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
		}
	}
	if len(errs) == 0 {
		return nil, false, fmt.Errorf("no RDAP or whois server to ask")
	}
	return nil, false, errors.Join(errs...)
}

// ownerCache holds the ranges known, for finding the most specific that holds an address.
type ownerCache struct{ owners []*Owner }

func (c *ownerCache) find(a netip.Addr) *Owner {
	var best *Owner
	for _, o := range c.owners {
		if rangeHolds(o.Start, o.End, a) && (best == nil || rangeSize(o.Start, o.End).Cmp(rangeSize(best.Start, best.End)) < 0) {
			best = o
		}
	}
	return best
}

func (c *ownerCache) has(o *Owner) bool {
	for _, x := range c.owners {
		if x.Start == o.Start && x.End == o.End {
			return true
		}
	}
	return false
}

func (c *ownerCache) add(o *Owner) { c.owners = append(c.owners, o) }

// readOwners reads the answers looked up since a time.
func readOwners(ctx context.Context, db *sql.DB, since time.Time) (*ownerCache, error) {
	rows, err := db.QueryContext(ctx, `SELECT range_start, range_end, network_name, organisation, country, origin_as, handle, registry, source
        FROM ip_owner WHERE looked_up_at >= ?`, since.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c := &ownerCache{}
	for rows.Next() {
		var start, end string
		var net, org, country, as, handle, registry, source sql.NullString
		if err := rows.Scan(&start, &end, &net, &org, &country, &as, &handle, &registry, &source); err != nil {
			return nil, err
		}
		s, err1 := netip.ParseAddr(start)
		e, err2 := netip.ParseAddr(end)
		if err1 != nil || err2 != nil {
			continue
		}
		c.add(&Owner{Start: s, End: e, Network: net.String, Organisation: org.String, Country: country.String,
			OriginAS: as.String, Handle: handle.String, Registry: registry.String, Source: source.String})
	}
	return c, rows.Err()
}

// writeOwner records an answer, replacing an older answer for the same range.
func writeOwner(ctx context.Context, db *sql.DB, o *Owner, now time.Time) error {
	tx, err := flowdb.BeginTx(ctx, db)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM ip_owner WHERE range_start = ? AND range_end = ?`, o.Start.String(), o.End.String()); err != nil {
		return err
	}
	var lo, hi any
	var lo6, hi6 any
	if o.Start.Is4() {
		lo, hi = int64(addrBig(o.Start).Uint64()), int64(addrBig(o.End).Uint64())
	} else {
		lo6, hi6 = addrBig(o.Start), addrBig(o.End)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO ip_owner VALUES (?, ?, ?::VARCHAR[], ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?)`,
		o.Start.String(), o.End.String(), o.CIDRs, lo, hi, lo6, hi6, o.Network, o.Organisation, o.Country, o.OriginAS, o.Handle,
		o.Registry, o.Source, now.UTC())
	if err != nil {
		return err
	}
	return tx.Commit()
}

// rebuildOwnerSegments flattens the IPv4 ranges of ip_owner: the narrowest range wins.
func rebuildOwnerSegments(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT lo, hi, network_name, organisation, country, origin_as, range_start, range_end
        FROM ip_owner WHERE lo IS NOT NULL`)
	if err != nil {
		return err
	}
	type info struct{ net, org, country, as, start, end sql.NullString }
	var infos []info
	var spans []span
	for rows.Next() {
		var s span
		var in info
		if err := rows.Scan(&s.lo, &s.hi, &in.net, &in.org, &in.country, &in.as, &in.start, &in.end); err != nil {
			rows.Close()
			return err
		}
		s.item = len(infos)
		infos = append(infos, in)
		spans = append(spans, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	segs := flatten(spans, narrower)
	tx, err := flowdb.BeginTx(ctx, db)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM ip_owner_segments`); err != nil {
		return err
	}
	for _, s := range segs {
		in := infos[s.item]
		if _, err := tx.ExecContext(ctx, `INSERT INTO ip_owner_segments VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			s.lo, s.hi, in.net, in.org, in.country, in.as, in.start, in.end); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// IsPublic reports whether an address may be sent to a registry: not private, loopback,
// link-local, carrier-grade NAT, documentation, benchmarking, multicast or otherwise reserved
// (the ranges of the is_private_ip macro).
func IsPublic(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range reserved {
		if p.Contains(a) {
			return false
		}
	}
	return a.IsValid()
}

var reserved = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
		"::/127", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Range arithmetic on netip addresses.

func addrBig(a netip.Addr) *big.Int { return new(big.Int).SetBytes(a.AsSlice()) }

func rangeHolds(start, end, a netip.Addr) bool {
	return start.BitLen() == a.BitLen() && start.Compare(a) <= 0 && a.Compare(end) <= 0
}

func rangeSize(start, end netip.Addr) *big.Int { return new(big.Int).Sub(addrBig(end), addrBig(start)) }

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// rangeCIDRs covers [start, end] with the fewest CIDR prefixes.
func rangeCIDRs(start, end netip.Addr) []string {
	var out []string
	bits := start.BitLen()
	for start.Compare(end) <= 0 && len(out) < 64 {
		n := bits
		for n > 0 {
			p := netip.PrefixFrom(start, n-1)
			if p.Masked().Addr() != start || lastAddr(p).Compare(end) > 0 {
				break
			}
			n--
		}
		p := netip.PrefixFrom(start, n)
		out = append(out, p.String())
		next := lastAddr(p).Next()
		if !next.IsValid() {
			break
		}
		start = next
	}
	return out
}
