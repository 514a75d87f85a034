// Package fakeaws serves the generated account's interfaces and the owners of its addresses on
// loopback, for tests: an EC2 server that answers DescribeNetworkInterfaces in the Query
// protocol (paginated, and with errors on demand), a CloudWatch server that answers
// GetMetricData for NAT gateway metrics in RPC v2 CBOR (paginated, throttled or denied on
// demand), an Athena server, an RDAP server, and two whois servers with an ARIN-style
// referral from the first to the second.
package fakeaws

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/flowsql/flowsql/internal/flowgen"
)

// EC2 answers DescribeNetworkInterfaces with the interfaces it holds, PageSize at a time.
type EC2 struct {
	ENIs   []*flowgen.ENI
	Region string
	// Owner and VPC are the account and VPC of every interface (default: the generated
	// world's).
	Owner, VPC string
	PageSize   int
	// Fail, when set, is the error code every request gets (UnauthorizedOperation, ...).
	Fail     string
	Requests atomic.Int64
	mu       sync.Mutex
}

// NewEC2 serves the generated world's interfaces.
func NewEC2() *EC2 {
	return &EC2{ENIs: flowgen.TheWorld().ENIs, Region: flowgen.Region, PageSize: 5}
}

func (e *EC2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.Requests.Add(1)
	r.ParseForm()
	if r.Form.Get("Action") != "DescribeNetworkInterfaces" {
		ec2Error(w, 400, "InvalidAction", "The action "+r.Form.Get("Action")+" is not valid for this web service.")
		return
	}
	e.mu.Lock()
	fail, enis, size := e.Fail, e.ENIs, e.PageSize
	owner, vpc := e.Owner, e.VPC
	if owner == "" {
		owner = flowgen.Account
	}
	if vpc == "" {
		vpc = flowgen.VPCID
	}
	e.mu.Unlock()
	if fail != "" {
		ec2Error(w, 403, fail, "You are not authorized to perform this operation.")
		return
	}
	start, _ := strconv.Atoi(r.Form.Get("NextToken"))
	end := min(start+size, len(enis))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><networkInterfaceSet>`)
	for _, n := range enis[start:end] {
		writeENI(&b, n, owner, vpc)
	}
	b.WriteString(`</networkInterfaceSet>`)
	if end < len(enis) {
		fmt.Fprintf(&b, `<nextToken>%d</nextToken>`, end)
	}
	b.WriteString(`</DescribeNetworkInterfacesResponse>`)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Write([]byte(b.String()))
}

// SetFail makes every request fail with an error code ("" to stop).
func (e *EC2) SetFail(code string) {
	e.mu.Lock()
	e.Fail = code
	e.mu.Unlock()
}

// SetENIs replaces the interfaces served.
func (e *EC2) SetENIs(enis []*flowgen.ENI) {
	e.mu.Lock()
	e.ENIs = enis
	e.mu.Unlock()
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeENI(b *strings.Builder, n *flowgen.ENI, owner, vpc string) {
	el := func(name, v string) {
		if v != "" {
			fmt.Fprintf(b, "<%s>%s</%s>", name, esc(v), name)
		}
	}
	b.WriteString("<item>")
	el("networkInterfaceId", n.ID)
	el("subnetId", n.Subnet.ID)
	el("vpcId", vpc)
	el("availabilityZone", n.Subnet.AZName)
	el("availabilityZoneId", n.Subnet.AZ)
	el("description", n.Description)
	el("ownerId", owner)
	el("requesterId", n.Requester)
	el("requesterManaged", strconv.FormatBool(n.Requester != ""))
	el("status", "in-use")
	el("privateIpAddress", n.PrivateIP)
	el("interfaceType", n.Type)
	if n.SecurityGrp != "" {
		fmt.Fprintf(b, "<groupSet><item><groupId>%s</groupId><groupName>default</groupName></item></groupSet>", n.SecurityGrp)
	}
	if n.InstanceID != "" {
		fmt.Fprintf(b, "<attachment><attachmentId>eni-attach-1</attachmentId><instanceId>%s</instanceId><deviceIndex>0</deviceIndex><status>attached</status></attachment>", n.InstanceID)
	}
	if n.PublicIP != "" {
		fmt.Fprintf(b, "<association><publicIp>%s</publicIp></association>", n.PublicIP)
	}
	if n.Name != "" {
		fmt.Fprintf(b, "<tagSet><item><key>Name</key><value>%s</value></item></tagSet>", esc(n.Name))
	}
	b.WriteString("<privateIpAddressesSet>")
	fmt.Fprintf(b, "<item><privateIpAddress>%s</privateIpAddress><primary>true</primary>", n.PrivateIP)
	if n.PublicIP != "" {
		fmt.Fprintf(b, "<association><publicIp>%s</publicIp></association>", n.PublicIP)
	}
	b.WriteString("</item>")
	for _, s := range n.Secondary {
		fmt.Fprintf(b, "<item><privateIpAddress>%s</privateIpAddress><primary>false</primary></item>", s)
	}
	b.WriteString("</privateIpAddressesSet>")
	if n.IPv6 != "" {
		fmt.Fprintf(b, "<ipv6AddressesSet><item><ipv6Address>%s</ipv6Address><isPrimaryIpv6>true</isPrimaryIpv6></item></ipv6AddressesSet>", n.IPv6)
	}
	b.WriteString("</item>")
}

func ec2Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>1</RequestID></Response>`, code, esc(msg))
}

// A Network is an owner that the RDAP and whois fakes know.
type Network struct {
	Prefix   netip.Prefix
	Name     string // NetName
	Org      string
	Country  string
	Handle   string
	OriginAS string
	// RIPE marks networks that the first whois server refers to the second.
	RIPE bool
}

// Networks are the owners of the generated account's external addresses; other addresses
// belong to a made-up network per /8.
var Networks = []Network{
	{Prefix: netip.MustParsePrefix(flowgen.CDNNetwork), Name: flowgen.CDNNetName, Org: flowgen.CDNOrg, Country: "US", Handle: "NET-23-52-0-0-1", OriginAS: "AS16625"},
	{Prefix: netip.MustParsePrefix("52.216.0.0/15"), Name: "AMAZON-2011L", Org: "Amazon Technologies Inc.", Country: "US", Handle: "NET-52-216-0-0-1", OriginAS: "AS16509"},
	{Prefix: netip.MustParsePrefix("3.208.0.0/12"), Name: "AMAZON-IAD-DDB", Org: "Amazon Technologies Inc.", Country: "US", Handle: "NET-3-208-0-0-1"},
	{Prefix: netip.MustParsePrefix("3.80.0.0/12"), Name: "AMAZON-AES", Org: "Amazon.com, Inc.", Country: "US", Handle: "NET-3-80-0-0-1"},
	{Prefix: netip.MustParsePrefix("44.192.0.0/11"), Name: "AMAZON-IAD", Org: "Amazon Technologies Inc.", Country: "US", Handle: "NET-44-192-0-0-1"},
	{Prefix: netip.MustParsePrefix("142.250.0.0/15"), Name: "GOOGLE", Org: "Google LLC", Country: "US", Handle: "NET-142-250-0-0-1", OriginAS: "AS15169"},
	{Prefix: netip.MustParsePrefix("2600:9000::/28"), Name: "AMAZON-CF", Org: "Amazon.com, Inc.", Country: "US", Handle: "NET6-2600-9000-1"},
}

// Owner returns the network that holds an address (a made-up /8 network when none of
// Networks does).
func Owner(a netip.Addr) Network {
	var best *Network
	for i, n := range Networks {
		if n.Prefix.Contains(a) && (best == nil || n.Prefix.Bits() > best.Prefix.Bits()) {
			best = &Networks[i]
		}
	}
	if best != nil {
		return *best
	}
	if a.Is6() {
		p, _ := a.Prefix(32)
		return Network{Prefix: p, Name: "EXAMPLE-V6", Org: "Example IPv6 Network", Country: "NL", RIPE: true}
	}
	p, _ := a.Prefix(8)
	b := a.As4()
	return Network{Prefix: p, Name: fmt.Sprintf("EXAMPLE-NET-%d", b[0]), Org: fmt.Sprintf("Example Network %d", b[0]),
		Country: "DE", RIPE: b[0]%2 == 1, Handle: fmt.Sprintf("NET-%d-0-0-0-1", b[0])}
}

// RDAP answers /ip/ADDR queries. The first RateLimit requests get 429 with Retry-After.
type RDAP struct {
	RateLimit  atomic.Int64
	RetryAfter int // seconds
	Requests   atomic.Int64
	Queried    sync.Map // address -> true
}

func (r *RDAP) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.Requests.Add(1)
	if r.RateLimit.Add(-1) >= 0 {
		w.Header().Set("Retry-After", strconv.Itoa(r.RetryAfter))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	q, ok := strings.CutPrefix(req.URL.Path, "/ip/")
	if !ok {
		http.NotFound(w, req)
		return
	}
	a, err := netip.ParseAddr(q)
	if err != nil {
		http.Error(w, "bad address", 400)
		return
	}
	r.Queried.Store(a.String(), true)
	n := Owner(a)
	last := lastAddr(n.Prefix)
	version := "v4"
	if a.Is6() {
		version = "v6"
	}
	w.Header().Set("Content-Type", "application/rdap+json")
	json.NewEncoder(w).Encode(map[string]any{
		"objectClassName": "ip network", "rdapConformance": []string{"rdap_level_0"},
		"handle": n.Handle, "startAddress": n.Prefix.Addr().String(), "endAddress": last.String(),
		"ipVersion": version, "name": n.Name, "type": "DIRECT ALLOCATION", "country": n.Country,
		"entities": []any{map[string]any{
			"objectClassName": "entity", "handle": "ORG-1", "roles": []string{"registrant"},
			"vcardArray": []any{"vcard", []any{
				[]any{"version", map[string]any{}, "text", "4.0"},
				[]any{"fn", map[string]any{}, "text", n.Org},
				[]any{"kind", map[string]any{}, "text", "org"},
			}},
		}},
	})
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Whois is a whois server on a TCP port: it reads one line and writes the reply, ARIN style, or
// RIPE style when RIPE is set; an ARIN server refers RIPE networks to Referral.
type Whois struct {
	RIPE     bool
	Referral string // host:port of the RIPE server
	// RateLimited answers this many queries with a rate-limit notice first.
	RateLimited atomic.Int64
	Queries     atomic.Int64
	l           net.Listener
}

// Listen starts the server on addr (127.0.0.1:0, or 127.0.0.2:0 for a second host).
func (s *Whois) Listen(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.l = l
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return l.Addr().String(), nil
}

// Close stops the server.
func (s *Whois) Close() { s.l.Close() }

func (s *Whois) serve(c net.Conn) {
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && line == "" {
		return
	}
	s.Queries.Add(1)
	q := strings.TrimSpace(line)
	if i := strings.LastIndex(q, " "); i >= 0 {
		q = q[i+1:] // "n + 1.2.3.4" and other query flags
	}
	if s.RateLimited.Add(-1) >= 0 {
		io.WriteString(c, "%ERROR:201: access denied for 127.0.0.1\n% Queries from your IP address have passed the daily limit of controlled objects.\n")
		return
	}
	a, err := netip.ParseAddr(q)
	if err != nil {
		fmt.Fprintf(c, "%% No entries found for %q\n", q)
		return
	}
	n := Owner(a)
	last := lastAddr(n.Prefix)
	if s.RIPE {
		kind := "inetnum"
		rng := n.Prefix.Addr().String() + " - " + last.String()
		if a.Is6() {
			kind, rng = "inet6num", n.Prefix.String()
		}
		fmt.Fprintf(c, "%% This is the RIPE Database query service.\n\n%s:        %s\nnetname:        %s\ncountry:        %s\norg:            ORG-EX1-RIPE\nstatus:         ASSIGNED PA\nsource:         RIPE\n\norganisation:   ORG-EX1-RIPE\norg-name:       %s\norg-type:       LIR\n\nroute:          %s\norigin:         AS64500\n",
			kind, rng, n.Name, n.Country, n.Org, n.Prefix)
		return
	}
	if n.RIPE && s.Referral != "" {
		fmt.Fprintf(c, "NetRange:       %s - %s\nCIDR:           %s\nNetName:        RIPE-ERX\nOrgName:        RIPE Network Coordination Centre\nReferralServer: whois://%s\n", n.Prefix.Addr(), last, n.Prefix, s.Referral)
		return
	}
	fmt.Fprintf(c, "#\n# ARIN WHOIS data and services are subject to the Terms of Use\n#\n\nNetRange:       %s - %s\nCIDR:           %s\nNetName:        %s\nNetHandle:      %s\nParent:         NET-0-0-0-0-0\nNetType:        Direct Allocation\nOriginAS:       %s\nOrganization:   %s\nCountry:        %s\n\nOrgName:        %s\nOrgId:          ORG-1\nCountry:        %s\n",
		n.Prefix.Addr(), last, n.Prefix, n.Name, n.Handle, n.OriginAS, n.Org, n.Country, n.Org, n.Country)
}
