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
}

// NewRDAPResolver returns a resolver that asks server, or the registries when server is "".
func NewRDAPResolver(server string) (*RDAPResolver, error) {
	hc := &http.Client{Timeout: 20 * time.Second, Transport: limitedTransport{base: http.DefaultTransport, max: MaxRDAPBody}}
	r := &RDAPResolver{Client: &rdap.Client{HTTP: hc, Bootstrap: &bootstrap.Client{}}}
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
	if r.Server != nil {
		return r.Server.Host
	}
	q := &bootstrap.Question{RegistryType: bootstrap.IPv4, Query: a.String()}
	if a.Is6() {
		q.RegistryType = bootstrap.IPv6
	}
	if ans, err := r.Client.Bootstrap.Lookup(q); err == nil && len(ans.URLs) > 0 {
		return ans.URLs[0].Host
	}
	return "rdap"
}

// Lookup asks RDAP who holds an address. A 429 answer becomes a RateLimited error with the
// server's Retry-After.
func (r *RDAPResolver) Lookup(ctx context.Context, a netip.Addr) (*Owner, error) {
	req := rdap.NewIPRequest(a.AsSlice()).WithContext(ctx)
	if r.Server != nil {
		req = req.WithServer(r.Server)
	}
	resp, err := r.Client.Do(req)
	registry := r.Registry(a)
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
