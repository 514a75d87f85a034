package enrich

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/likexian/whois"
)

// WhoisResolver looks owners up over whois (port 43), following the registries' referrals.
type WhoisResolver struct {
	Client *whois.Client
	// Server is "host:port" to ask instead of the registries (a mirror, or a test server).
	Server string
}

// NewWhoisResolver returns a resolver with a 15-second timeout, that reads at most
// MaxWhoisReply bytes of a reply.
func NewWhoisResolver(server string) *WhoisResolver {
	c := whois.NewClient().SetTimeout(15 * time.Second)
	c.SetDialer(limitedDialer{d: &net.Dialer{Timeout: 15 * time.Second}, max: MaxWhoisReply})
	return &WhoisResolver{Client: c, Server: server}
}

// Registry names where a lookup goes, for limiting requests per registry.
func (w *WhoisResolver) Registry(netip.Addr) string {
	if w.Server != "" {
		return "whois " + w.Server
	}
	return "whois"
}

// Lookup asks whois who holds an address.
func (w *WhoisResolver) Lookup(ctx context.Context, a netip.Addr) (*Owner, error) {
	type answer struct {
		text string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		var servers []string
		if w.Server != "" {
			servers = []string{w.Server}
		}
		text, err := w.Client.Whois(a.String(), servers...)
		ch <- answer{text, err}
	}()
	var ans answer
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case ans = <-ch:
	}
	registry := w.Registry(a)
	if ans.err != nil {
		return nil, fmt.Errorf("whois %s: %w", a, ans.err)
	}
	if rateLimitNotice.MatchString(ans.text) {
		return nil, &RateLimited{Registry: registry, Msg: strings.TrimSpace(rateLimitNotice.FindString(ans.text))}
	}
	o, err := ParseWhois(ans.text, a)
	if err != nil {
		return nil, fmt.Errorf("whois %s: %w", a, err)
	}
	o.Source, o.Registry = "whois", w.Server
	if o.Registry == "" {
		o.Registry = "whois.iana.org"
	}
	if s := referralServer.FindStringSubmatch(ans.text); s != nil {
		o.Registry = s[1]
	}
	return o, nil
}

// rateLimitNotice matches the registries' ways of saying "too many queries".
var rateLimitNotice = regexp.MustCompile(`(?im)^.*(rate limit|query limit|limit exceeded|too many (queries|requests)|%ERROR:201|exceeded the (daily|maximum)).*$`)

var referralServer = regexp.MustCompile(`(?im)^\s*(?:ReferralServer|refer|whois):\s*(?:r?whois://)?([^\s:/]+)`)

// whoisBlock is one object of a whois reply: the "key: value" lines between blank lines.
type whoisBlock map[string][]string

func (b whoisBlock) first(keys ...string) string {
	for _, k := range keys {
		if v := b[k]; len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

// ParseWhois reads an IP network whois reply (ARIN's NetRange/OrgName style, or the
// inetnum/netname/org-name style of RIPE, APNIC, AFRINIC and LACNIC): the smallest network that
// holds the address, its name, organisation, country and origin AS.
func ParseWhois(text string, addr netip.Addr) (*Owner, error) {
	var blocks []whoisBlock
	cur := whoisBlock{}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "%") {
			if len(cur) > 0 && t == "" {
				blocks = append(blocks, cur)
				cur = whoisBlock{}
			}
			continue
		}
		k, v, ok := strings.Cut(t, ":")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		cur[k] = append(cur[k], strings.TrimSpace(v))
	}
	if len(cur) > 0 {
		blocks = append(blocks, cur)
	}
	var best *Owner
	bestIndex := -1
	for i, b := range blocks {
		r := b.first("netrange", "inetnum", "inet6num")
		if r == "" {
			continue
		}
		start, end, ok := parseRange(r)
		if !ok || !rangeHolds(start, end, addr) {
			continue
		}
		o := &Owner{Start: start, End: end}
		// On a tie the later block wins: a referral's answer follows the referring one.
		if best == nil || rangeSize(start, end).Cmp(rangeSize(best.Start, best.End)) <= 0 {
			best, bestIndex = o, i
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no network in the reply holds the address")
	}
	b := blocks[bestIndex]
	best.Network = b.first("netname")
	best.Handle = b.first("nethandle", "ownerid")
	best.Country = strings.ToUpper(b.first("country"))
	best.OriginAS = b.first("originas", "origin", "aut-num")
	best.Organisation = b.first("orgname", "org-name", "owner", "organization", "descr")
	// The organisation, country and origin may be in objects of their own. A referral's reply
	// follows the referring registry's, so look after the chosen network first, then before it.
	for _, blk := range append(blocks[bestIndex+1:len(blocks):len(blocks)], blocks[:bestIndex]...) {
		if best.Organisation == "" || strings.HasPrefix(best.Organisation, "ORG-") {
			if v := blk.first("orgname", "org-name"); v != "" {
				best.Organisation = v
			}
		}
		if best.Country == "" {
			best.Country = strings.ToUpper(blk.first("country"))
		}
		if best.OriginAS == "" {
			best.OriginAS = blk.first("originas", "origin")
		}
	}
	if c := b["cidr"]; len(c) > 0 {
		for _, part := range strings.Split(strings.Join(c, ","), ",") {
			if p, err := netip.ParsePrefix(strings.TrimSpace(part)); err == nil {
				best.CIDRs = append(best.CIDRs, p.String())
			}
		}
	}
	if len(best.CIDRs) == 0 {
		best.CIDRs = rangeCIDRs(best.Start, best.End)
	}
	return best, nil
}

// parseRange reads "a - b", a CIDR, or LACNIC's shortened CIDR ("200.3.12/22").
func parseRange(s string) (netip.Addr, netip.Addr, bool) {
	if a, b, ok := strings.Cut(s, " - "); ok {
		lo, err1 := netip.ParseAddr(strings.TrimSpace(a))
		hi, err2 := netip.ParseAddr(strings.TrimSpace(b))
		return lo, hi, err1 == nil && err2 == nil && lo.BitLen() == hi.BitLen()
	}
	s = strings.TrimSpace(s)
	if ip, bits, ok := strings.Cut(s, "/"); ok && !strings.Contains(ip, ":") {
		for strings.Count(ip, ".") < 3 {
			ip += ".0"
		}
		s = ip + "/" + bits
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Addr{}, netip.Addr{}, false
	}
	p = p.Masked()
	return p.Addr(), lastAddr(p), true
}
