package enrich

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openrdap/rdap"
	"github.com/openrdap/rdap/bootstrap"
)

// RDAPResolver looks owners up over RDAP, the registries' HTTP successor to whois (what the
// Python ipwhois lookup_rdap uses).
type RDAPResolver struct {
	Client *rdap.Client
	// Server is the RDAP server to ask; nil finds each address's registry through IANA's
	// bootstrap files.
	Server *url.URL

	// bootstrap guards Client.Bootstrap, which loads and caches IANA's files without locks.
	bootstrap sync.Mutex
}

// NewRDAPResolver returns a resolver that asks server, or the registries when server is "".
func NewRDAPResolver(server string) (*RDAPResolver, error) {
	hc := &http.Client{Timeout: 20 * time.Second, Transport: limitedTransport{base: http.DefaultTransport, max: MaxRDAPBody}}
	// Verbose is set here because Client.Do sets it on first use, which races between
	// lookups in flight at once.
	r := &RDAPResolver{Client: &rdap.Client{HTTP: hc, Bootstrap: &bootstrap.Client{}, Verbose: func(string) {}}}
	if server != "" {
		u, err := url.Parse(server)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("RDAP server %q is not a URL like https://rdap.example.net/", server)
		}
		r.Server = u
	}
	return r, nil
}

// Registry names the server a lookup goes to, for limiting requests per registry.
func (r *RDAPResolver) Registry(a netip.Addr) string {
	if u, err := r.serverFor(a); err == nil {
		return u.Host
	}
	return "rdap"
}

// serverFor is the RDAP server to ask about an address: Server, or the registry that IANA's
// bootstrap files name. Each call gets a URL of its own: the library writes to a request's.
func (r *RDAPResolver) serverFor(a netip.Addr) (*url.URL, error) {
	if r.Server != nil {
		u := *r.Server
		return &u, nil
	}
	q := &bootstrap.Question{RegistryType: bootstrap.IPv4, Query: a.String()}
	if a.Is6() {
		q.RegistryType = bootstrap.IPv6
	}
	r.bootstrap.Lock()
	defer r.bootstrap.Unlock()
	ans, err := r.Client.Bootstrap.Lookup(q)
	if err != nil {
		return nil, fmt.Errorf("rdap bootstrap for %s: %w", a, err)
	}
	if len(ans.URLs) == 0 {
		return nil, fmt.Errorf("rdap bootstrap: no registry serves %s", a)
	}
	u := *ans.URLs[0]
	return &u, nil
}

// Lookup asks RDAP who holds an address. A 429 answer becomes a RateLimited error with the
// server's Retry-After.
func (r *RDAPResolver) Lookup(ctx context.Context, a netip.Addr) (*Owner, error) {
	server, err := r.serverFor(a)
	if err != nil {
		return nil, err
	}
	req := rdap.NewIPRequest(a.AsSlice()).WithContext(ctx).WithServer(server)
	resp, err := r.Client.Do(req)
	registry := server.Host
	if resp != nil {
		for _, h := range resp.HTTP {
			if h.Response != nil {
				registry = h.URL
				if u, perr := url.Parse(h.URL); perr == nil {
					registry = u.Host
				}
				if h.Response.StatusCode == http.StatusTooManyRequests {
					return nil, &RateLimited{Registry: registry, RetryAfter: retryAfter(h.Response.Header.Get("Retry-After")), Msg: "HTTP 429 Too Many Requests"}
				}
			}
			if errors.Is(h.Error, ErrTooLarge) {
				return nil, fmt.Errorf("rdap %s: %w", a, h.Error)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("rdap %s: %w", a, err)
	}
	nw, ok := resp.Object.(*rdap.IPNetwork)
	if !ok {
		return nil, fmt.Errorf("rdap %s: the answer is not an ip network", a)
	}
	start, err1 := netip.ParseAddr(nw.StartAddress)
	end, err2 := netip.ParseAddr(nw.EndAddress)
	if err1 != nil || err2 != nil || !rangeHolds(start, end, a) {
		return nil, fmt.Errorf("rdap %s: the answer's range %s - %s does not hold it", a, nw.StartAddress, nw.EndAddress)
	}
	o := &Owner{Start: start, End: end, Network: nw.Name, Handle: nw.Handle, Country: strings.ToUpper(nw.Country),
		Source: "rdap", Registry: registry, CIDRs: rangeCIDRs(start, end)}
	o.Organisation = registrant(nw.Entities)
	return o, nil
}

// registrant is the name (vCard fn) of the entity that registered a network.
func registrant(entities []rdap.Entity) string {
	var any string
	for _, e := range entities {
		name := ""
		if e.VCard != nil {
			name = e.VCard.Name()
		}
		if name == "" {
			continue
		}
		for _, role := range e.Roles {
			if role == "registrant" {
				return name
			}
		}
		if any == "" {
			any = name
		}
	}
	return any
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}
