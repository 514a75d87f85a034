// Package flowgen generates realistic VPC flow logs, deterministically from a seed, for tests,
// benchmarks and the bundled sample: one VPC in us-east-1 with a NAT gateway, application
// servers in two availability zones, public web servers, a database, IPv6, internet scanners,
// and a NAT traffic pattern where a few senders dominate. Files follow AWS's S3 key layouts
// and file names, in the default format or a custom one. The generator also keeps the ground
// truth that reports and the NAT analysis must reproduce.
package flowgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
)

// Fixed facts about the generated account: tests and the README refer to them.
const (
	Account   = "123456789012"
	Region    = "us-east-1"
	VPCID     = "vpc-0a1b2c3d4e5f60718"
	FlowLogID = "fl-0123456789abcdef0"
	// NATAddr is the NAT gateway's private address, NATENI its interface.
	NATAddr = "10.0.101.10"
	NATENI  = "eni-0a1b2c3d4e5f6a7b8"
	NATID   = "nat-0f1e2d3c4b5a69788"
	NATAZ   = "use1-az1"
	// NATPublicIP is the NAT gateway's Elastic IP (flow logs show the private address).
	NATPublicIP = "3.219.12.34"
	// CDNNetwork is the external network the heavy NAT traffic comes from, and CDNNetName
	// the network name a whois server gives for it.
	CDNNetwork = "23.52.0.0/14"
	CDNNetName = "AT-88-Z"
	CDNOrg     = "Akamai Technologies, Inc."
)

// A Subnet of the generated VPC.
type Subnet struct {
	ID     string
	CIDR   string
	AZ     string // AZ id, like use1-az1
	AZName string // AZ name, like us-east-1a
	Public bool
}

// An ENI is a network interface of the generated VPC.
type ENI struct {
	ID          string
	Type        string // interface, nat_gateway
	Description string
	PrivateIP   string
	Secondary   []string // secondary private addresses
	IPv6        string   // "" when it has none
	PublicIP    string   // "" when it has none
	Subnet      *Subnet
	InstanceID  string // "" for requester-managed interfaces
	Requester   string // requester id of requester-managed interfaces
	Name        string // Name tag
	SecurityGrp string
}

// World is the generated account: its subnets, interfaces and the external addresses its
// traffic goes to.
type World struct {
	Subnets []*Subnet
	ENIs    []*ENI
	NAT     *ENI
	Apps    []*ENI // application servers in the private subnets (they use the NAT gateway)
	Webs    []*ENI // web servers in the public subnets (they use the internet gateway)
	DB      *ENI
	Idle    *ENI // a bastion host without traffic: its records are NODATA

	// External address pools, each with its AWS service code ("" when not AWS).
	CDN, S3, DynamoDB, EC2, Google, CloudFront6 []string
	Scanners                                    []string
	// Heavy are the application servers that send most NAT traffic, heaviest first.
	Heavy []*ENI
}

var world = newWorld()

// TheWorld returns the generated account. It is the same for every seed.
func TheWorld() *World { return world }

func newWorld() *World {
	r := rand.New(rand.NewPCG(42, 4242))
	w := &World{}
	sub := func(id, cidr, az, name string, public bool) *Subnet {
		s := &Subnet{ID: id, CIDR: cidr, AZ: az, AZName: name, Public: public}
		w.Subnets = append(w.Subnets, s)
		return s
	}
	privA := sub("subnet-0aa1111111111111a", "10.0.1.0/24", "use1-az1", "us-east-1a", false)
	privB := sub("subnet-0bb2222222222222b", "10.0.2.0/24", "use1-az2", "us-east-1b", false)
	pubA := sub("subnet-0cc3333333333333c", "10.0.101.0/24", "use1-az1", "us-east-1a", true)
	pubB := sub("subnet-0dd4444444444444d", "10.0.102.0/24", "use1-az2", "us-east-1b", true)

	eniID := func() string { return fmt.Sprintf("eni-0%016x", r.Uint64()>>4) }
	instID := func() string { return fmt.Sprintf("i-0%016x", r.Uint64()>>4) }

	w.NAT = &ENI{ID: NATENI, Type: "nat_gateway", Description: "Interface for NAT Gateway " + NATID,
		PrivateIP: NATAddr, PublicIP: NATPublicIP, Subnet: pubA, Requester: "amazon-vpc-nat"}
	w.ENIs = append(w.ENIs, w.NAT)

	appIP := []struct {
		s    *Subnet
		host int
	}{{privA, 21}, {privB, 34}, {privA, 40}, {privA, 11}, {privA, 12}, {privA, 13}, {privB, 11}, {privB, 12}, {privB, 13}, {privB, 14}}
	for i, a := range appIP {
		e := &ENI{ID: eniID(), Type: "interface", Description: "Primary network interface",
			PrivateIP: fmt.Sprintf("10.0.%d.%d", map[*Subnet]int{privA: 1, privB: 2}[a.s], a.host),
			Subnet:    a.s, InstanceID: instID(), Name: fmt.Sprintf("app-%02d", i+1), SecurityGrp: "sg-0app00000000000a1"}
		e.IPv6 = fmt.Sprintf("2600:1f18:abcd:12%02x::%x", map[*Subnet]int{privA: 1, privB: 2}[a.s], 0x100+a.host)
		w.Apps = append(w.Apps, e)
		w.ENIs = append(w.ENIs, e)
	}
	w.Heavy = w.Apps[:3]
	w.Apps[0].Secondary = []string{"10.0.1.121"}
	for i, s := range []*Subnet{pubA, pubB} {
		e := &ENI{ID: eniID(), Type: "interface", Description: "Primary network interface",
			PrivateIP: fmt.Sprintf("10.0.%d.20", 101+i), PublicIP: fmt.Sprintf("54.86.%d.%d", 10+i, 200+i),
			Subnet: s, InstanceID: instID(), Name: fmt.Sprintf("web-%02d", i+1), SecurityGrp: "sg-0web00000000000b2"}
		w.Webs = append(w.Webs, e)
		w.ENIs = append(w.ENIs, e)
	}
	w.DB = &ENI{ID: eniID(), Type: "interface", Description: "RDSNetworkInterface", PrivateIP: "10.0.2.50",
		Subnet: privB, Requester: "amazon-rds", Name: "db", SecurityGrp: "sg-0db000000000000c3"}
	w.ENIs = append(w.ENIs, w.DB)
	w.Idle = &ENI{ID: eniID(), Type: "interface", Description: "Primary network interface", PrivateIP: "10.0.102.5",
		Subnet: pubB, InstanceID: instID(), Name: "bastion", SecurityGrp: "sg-0bst00000000000d4"}
	w.ENIs = append(w.ENIs, w.Idle)

	pool := func(n int, f func() string) []string {
		seen := map[string]bool{}
		var out []string
		for len(out) < n {
			if a := f(); !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
		return out
	}
	w.CDN = pool(40, func() string { return fmt.Sprintf("23.%d.%d.%d", 52+r.IntN(4), r.IntN(256), 1+r.IntN(254)) })
	w.S3 = pool(30, func() string {
		if r.IntN(6) == 0 { // S3 /28s inside EC2's 44.192.0.0/11: most-specific prefix must win
			return fmt.Sprintf("44.192.134.%d", 241+r.IntN(14))
		}
		return fmt.Sprintf("52.%d.%d.%d", 216+r.IntN(2), r.IntN(256), 1+r.IntN(254))
	})
	w.DynamoDB = pool(10, func() string { return fmt.Sprintf("3.218.%d.%d", 180+r.IntN(4), 1+r.IntN(254)) })
	w.EC2 = pool(20, func() string { return fmt.Sprintf("3.%d.%d.%d", 80+r.IntN(16), r.IntN(256), 1+r.IntN(254)) })
	w.Google = pool(10, func() string { return fmt.Sprintf("142.250.%d.%d", r.IntN(256), 1+r.IntN(254)) })
	w.CloudFront6 = pool(20, func() string {
		return fmt.Sprintf("2600:9000:2%03x:%x::%x", r.IntN(4096), r.IntN(65536), 1+r.IntN(65535))
	})
	w.Scanners = pool(5, func() string { return fmt.Sprintf("45.%d.%d.%d", 128+r.IntN(64), r.IntN(256), 1+r.IntN(254)) })
	return w
}

// publicPool holds the internet addresses that talk to the VPC: web clients, scanners and
// the long tail of NAT destinations. Real clients come back, so traffic draws from a pool,
// a few addresses often and most rarely, rather than a new address each time.
type publicPool struct {
	once  sync.Once
	addrs []string
}

var internet publicPool

const internetSize = 200_000

func (p *publicPool) get() []string {
	p.once.Do(func() {
		r := rand.New(rand.NewPCG(7, 77))
		seen := make(map[string]bool, internetSize)
		for len(p.addrs) < internetSize {
			if a := randomPublic(r); !seen[a] {
				seen[a] = true
				p.addrs = append(p.addrs, a)
			}
		}
	})
	return p.addrs
}

// internetAddr draws an internet address, skewed towards the start of the pool.
func internetAddr(r *rand.Rand) string {
	pool := internet.get()
	return pool[int(math.Pow(r.Float64(), 3)*float64(len(pool)))]
}

// randomPublic returns a random public IPv4 address outside the pools' ranges.
func randomPublic(r *rand.Rand) string {
	for {
		a := netip.AddrFrom4([4]byte{byte(1 + r.IntN(222)), byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))})
		if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
			continue
		}
		b := a.As4()
		if b[0] == 100 && b[1]&0xc0 == 64 || b[0] == 3 || b[0] == 23 || b[0] == 52 || b[0] == 44 || b[0] == 142 || b[0] == 45 {
			continue // carrier-grade NAT, and the first octets of the pools
		}
		if slices.ContainsFunc(reserved, func(p netip.Prefix) bool { return p.Contains(a) }) {
			continue
		}
		return a.String()
	}
}

// reserved are the ranges besides RFC 1918 that no registry assigns (documentation,
// benchmarking, IETF protocol assignments, 6to4 relay anycast): not internet hosts.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("192.0.0.0/24"), netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"),
}

// NATArgument is what the generated world gives a report parameter that names the NAT gateway
// (dst and nat: its private address; nat_eni: its interface; from and to: a period of its
// records), for running every canned report
// on generated data; ok is false for other parameters.
func NATArgument(param string) (value string, ok bool) {
	switch param {
	case "dst", "nat":
		return NATAddr, true
	case "nat_eni":
		return NATENI, true
	case "nat_gateway":
		return NATID, true
	case "bill_region":
		return Region, true
	case "from": // a period inside the generated records (nat-edges)
		return "2024-06-01T00:10:00Z", true
	case "to":
		return "2024-06-01T00:20:00Z", true
	}
	return "", false
}
