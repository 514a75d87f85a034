package flowgen

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Field lists of the formats the generator writes.
var (
	// DefaultFields is AWS's default format.
	DefaultFields = strings.Fields("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")
	// CustomFields is a version 5 custom format with the fields a NAT analysis needs, in the
	// order AWS documents them.
	CustomFields = strings.Fields("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path")
	// ShuffledFields is a custom format in an order of its own, to prove columns are mapped
	// by header name rather than by position.
	ShuffledFields = strings.Fields("version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status az-id")
)

// Layout is the S3 key layout of generated files.
type Layout int

const (
	// LayoutDefault: AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/
	LayoutDefault Layout = iota
	// LayoutHourly adds <HH>/ to the default layout.
	LayoutHourly
	// LayoutHive: AWSLogs/aws-account-id=<a>/aws-service=vpcflowlogs/aws-region=<r>/year=/month=/day=/
	LayoutHive
)

// Config says what to generate.
type Config struct {
	Seed        uint64
	Start       time.Time // start of the first 5-minute file (truncated to 5 minutes, UTC)
	Files       int       // number of files, one per 5 minutes
	RowsPerFile int       // records per file, roughly (at least this many)
	Fields      []string  // the format; nil means CustomFields
	Layout      Layout
	Prefix      string // key prefix before AWSLogs/
	NoHeader    bool   // write no header line (as CloudWatch Logs exports are)
	Plain       bool   // write .log instead of .log.gz
	NoIPv6      bool   // leave out IPv6 traffic
	// SurgeFrom, when positive, is the first file in which the cross-AZ uploader sends 20
	// times as much to S3 through the NAT gateway: a bill that started at a known hour.
	SurgeFrom int
	// ResolverLogs writes, beside each flow-log file, the Route 53 Resolver query log of its
	// window (the lookups of its NAT traffic), as AWS delivers it to S3.
	ResolverLogs bool
	// S3Prefixes and DynamoDBPrefixes, when set, are the IPv4 prefixes that the S3 and DynamoDB
	// hosts are drawn from (AWS's published ones, say) instead of the world's fixed pools.
	S3Prefixes, DynamoDBPrefixes []string
}

// Generator produces the files of a Config.
type Generator struct {
	cfg   Config
	world *World
	// s3 and dynamoDB are the hosts of those services that NAT traffic goes to.
	s3, dynamoDB []string
}

// New returns a generator for cfg.
func New(cfg Config) *Generator {
	if cfg.Fields == nil {
		cfg.Fields = CustomFields
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	cfg.Start = cfg.Start.UTC().Truncate(5 * time.Minute)
	if cfg.RowsPerFile <= 0 {
		cfg.RowsPerFile = 1000
	}
	g := &Generator{cfg: cfg, world: world, s3: world.S3, dynamoDB: world.DynamoDB}
	r := rand.New(rand.NewPCG(cfg.Seed, 99))
	if len(cfg.S3Prefixes) > 0 {
		g.s3 = hostsIn(r, cfg.S3Prefixes, 3)
	}
	if len(cfg.DynamoDBPrefixes) > 0 {
		g.dynamoDB = hostsIn(r, cfg.DynamoDBPrefixes, 3)
	}
	return g
}

// hostsIn draws n addresses from each IPv4 prefix (fewer where a prefix holds fewer).
func hostsIn(r *rand.Rand, prefixes []string, n int) []string {
	var out []string
	for _, p := range prefixes {
		pfx := netip.MustParsePrefix(p).Masked()
		b := pfx.Addr().As4()
		base := binary.BigEndian.Uint32(b[:])
		size := uint32(1) << (32 - pfx.Bits())
		seen := map[uint32]bool{}
		for len(seen) < min(n, int(size)) {
			seen[base+uint32(r.Uint64N(uint64(size)))] = true
		}
		for a := range seen {
			var ab [4]byte
			binary.BigEndian.PutUint32(ab[:], a)
			out = append(out, netip.AddrFrom4(ab).String())
		}
	}
	slices.Sort(out)
	return out
}

// Record is one flow-log record.
type Record struct {
	ENI                  *ENI
	Src, Dst             string
	PktSrc, PktDst       string
	SrcPort, DstPort     int
	Protocol             int
	Packets, Bytes       int64
	Start, End           int64
	Action, Status       string
	TCPFlags             int
	PktSrcSvc, PktDstSvc string
	Direction            string
	TrafficPath          int
}

// File is one generated file: its S3 key and its records.
type File struct {
	Key     string
	Records []Record
	Truth   Truth
	// Queries are the DNS lookups of the window's NAT traffic, for the Route 53 Resolver
	// query log that Config.ResolverLogs writes beside the flow logs.
	Queries []Query
}

// Query is a DNS lookup that the VPC's resolver logged: a source asked for a name and got an
// address, at a time (Unix seconds).
type Query struct {
	Time          int64
	Src, Instance string
	Name, Answer  string
}

// Truth is what a NAT analysis of a file must find.
type Truth struct {
	// NATBytes is what the NAT gateway processed (and AWS bills): what it received from
	// both sides, each byte once.
	NATBytes int64
	// NATBySource, NATByDest and NATByService split NATBytes by the private address that
	// started the flow, the external address, and the external address's AWS service
	// ("" for non-AWS addresses).
	NATBySource  map[string]int64
	NATByDest    map[string]int64
	NATByService map[string]int64
	// NATByHour splits NATBytes by the hour of the records' start; NATFromSourceByHour is the
	// part of each hour that the gateway received from the sources in the VPC (the rest it
	// received from the destinations).
	NATByHour           map[int64]int64
	NATFromSourceByHour map[int64]int64
	// NATFlowsByHour counts the connections through the gateway that start in each hour.
	NATFlowsByHour map[int64]int64
	// NATByDomain splits NATBytes by the name the source resolved the external address from.
	NATByDomain map[string]int64
	// CrossAZ holds the NAT bytes of sources in another availability zone than the NAT.
	CrossAZ map[string]int64
	// NATBySourceService splits NATBytes by source and service, keyed "10.0.2.34 S3".
	NATBySourceService map[string]int64
	// NATStart and NATEnd are the first start and the last end of the NAT gateway's records
	// (Unix seconds): the time its traffic covers.
	NATStart, NATEnd int64
}

func newTruth() Truth {
	return Truth{NATBySource: map[string]int64{}, NATByDest: map[string]int64{}, NATByService: map[string]int64{},
		NATByHour: map[int64]int64{}, NATFromSourceByHour: map[int64]int64{}, NATFlowsByHour: map[int64]int64{}, NATByDomain: map[string]int64{},
		CrossAZ: map[string]int64{}, NATBySourceService: map[string]int64{}}
}

// Add adds another truth into t.
func (t *Truth) Add(o Truth) {
	t.NATBytes += o.NATBytes
	if o.NATStart != 0 && (t.NATStart == 0 || o.NATStart < t.NATStart) {
		t.NATStart = o.NATStart
	}
	t.NATEnd = max(t.NATEnd, o.NATEnd)
	for _, p := range []struct{ dst, src map[string]int64 }{
		{t.NATBySource, o.NATBySource}, {t.NATByDest, o.NATByDest}, {t.NATByService, o.NATByService}, {t.CrossAZ, o.CrossAZ},
		{t.NATBySourceService, o.NATBySourceService}, {t.NATByDomain, o.NATByDomain}} {
		for k, v := range p.src {
			p.dst[k] += v
		}
	}
	for _, p := range []struct{ dst, src map[int64]int64 }{
		{t.NATByHour, o.NATByHour}, {t.NATFromSourceByHour, o.NATFromSourceByHour}, {t.NATFlowsByHour, o.NATFlowsByHour}} {
		for k, v := range p.src {
			p.dst[k] += v
		}
	}
}

// NATHour is what CloudWatch counts for a NAT gateway in one hour (namespace AWS/NATGateway).
type NATHour struct {
	Hour                                                              int64 // Unix seconds
	BytesInFromSource, BytesInFromDestination                         int64
	BytesOutToSource, BytesOutToDestination, MaxActiveConnectionCount int64
}

// NATBillDay is what Cost Explorer bills for the NAT gateway on one UTC day.
type NATBillDay struct {
	Day                       string  // 2006-01-02
	ProcessedGB, Hours        float64 // usage: GB (2^30 bytes) processed, gateway-hours
	ProcessingCost, HoursCost float64
}

// NATBill is the daily bill of the NAT gateway at the given prices, for the days its records
// touch, with the unlogged bytes of NATMetrics: it processed what the records and the unlogged
// traffic hold, and it ran all day, every day.
func (t Truth) NATBill(unlogged map[int64]int64, perGB, perHour float64) []NATBillDay {
	bytes := map[int64]int64{}
	for _, h := range t.NATMetrics(unlogged) {
		bytes[h.Hour-h.Hour%86400] += h.BytesInFromSource + h.BytesInFromDestination
	}
	var out []NATBillDay
	for d, b := range bytes {
		gb := float64(b) / (1 << 30)
		out = append(out, NATBillDay{Day: time.Unix(d, 0).UTC().Format(time.DateOnly), ProcessedGB: gb, Hours: 24,
			ProcessingCost: gb * perGB, HoursCost: 24 * perHour})
	}
	slices.SortFunc(out, func(a, b NATBillDay) int { return strings.Compare(a.Day, b.Day) })
	return out
}

// NATMetrics is what CloudWatch counts for the NAT gateway, hour by hour, when its traffic is
// that of the records plus, in the hours that unlogged names, that many bytes more from
// sources whose flows no log holds (an interface without flow logs, say). The gateway sends
// on what it receives: out to destinations what came in from sources, and back.
func (t Truth) NATMetrics(unlogged map[int64]int64) []NATHour {
	hours := map[int64]bool{}
	for h := range t.NATByHour {
		hours[h] = true
	}
	for h := range unlogged {
		hours[h] = true
	}
	var out []NATHour
	for h := range hours {
		src := t.NATFromSourceByHour[h] + unlogged[h]
		dst := t.NATByHour[h] - t.NATFromSourceByHour[h]
		out = append(out, NATHour{Hour: h, BytesInFromSource: src, BytesInFromDestination: dst,
			BytesOutToDestination: src, BytesOutToSource: dst, MaxActiveConnectionCount: t.NATFlowsByHour[h]})
	}
	slices.SortFunc(out, func(a, b NATHour) int { return int(a.Hour - b.Hour) })
	return out
}

// Version is the version field the format's records carry: the highest of its fields.
func (g *Generator) Version() int {
	v := 2
	for _, f := range g.cfg.Fields {
		switch {
		case strings.HasPrefix(f, "ecs-"):
			v = max(v, 7)
		case f == "reject-reason":
			v = max(v, 8)
		case f == "pkt-src-aws-service" || f == "pkt-dst-aws-service" || f == "flow-direction" || f == "traffic-path":
			v = max(v, 5)
		case f == "region" || f == "az-id" || f == "sublocation-type" || f == "sublocation-id":
			v = max(v, 4)
		case f == "vpc-id" || f == "subnet-id" || f == "instance-id" || f == "tcp-flags" || f == "type" || f == "pkt-srcaddr" || f == "pkt-dstaddr":
			v = max(v, 3)
		}
	}
	return v
}

// Key returns the S3 key of file i.
func (g *Generator) Key(i int) string {
	start := g.cfg.Start.Add(time.Duration(i) * 5 * time.Minute)
	stamp := start.Add(5 * time.Minute)
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%d", g.cfg.Seed, i)
	ext := ".log.gz"
	if g.cfg.Plain {
		ext = ".log"
	}
	name := fmt.Sprintf("%s_vpcflowlogs_%s_%s_%s_%08x%s", Account, Region, FlowLogID, stamp.Format("20060102T1504Z"), h.Sum32(), ext)
	var dir string
	switch g.cfg.Layout {
	case LayoutHive:
		dir = fmt.Sprintf("AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/year=%s/month=%s/day=%s/",
			Account, Region, stamp.Format("2006"), stamp.Format("01"), stamp.Format("02"))
	case LayoutHourly:
		dir = fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%s/", Account, Region, stamp.Format("2006/01/02/15"))
	default:
		dir = fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%s/", Account, Region, stamp.Format("2006/01/02"))
	}
	return g.cfg.Prefix + dir + name
}

// File generates file i.
func (g *Generator) File(i int) File {
	r := rand.New(rand.NewPCG(g.cfg.Seed, uint64(i)+1))
	f := File{Key: g.Key(i), Truth: newTruth()}
	wstart := g.cfg.Start.Add(time.Duration(i) * 5 * time.Minute).Unix()
	s := &session{g: g, r: r, wstart: wstart, f: &f, surge: g.cfg.SurgeFrom > 0 && i >= g.cfg.SurgeFrom}
	for len(f.Records) < g.cfg.RowsPerFile {
		s.conversation()
	}
	// Every file reports an idle interface; some files a window where AWS skipped records.
	s.status(g.world.Idle, "NODATA")
	if i%7 == 3 {
		s.status(g.world.DB, "SKIPDATA")
	}
	return f
}

// session generates the records of one file.
type session struct {
	g      *Generator
	r      *rand.Rand
	wstart int64
	f      *File
	surge  bool // the cross-AZ uploader's surge is on
}

func (s *session) times() (int64, int64) {
	end := s.wstart + 1 + s.r.Int64N(299)
	return end - s.r.Int64N(60), end
}

// lognormal draws a positive size around median m with spread sigma.
func (s *session) lognormal(m float64, sigma float64) int64 {
	return max(1, int64(m*math.Exp(sigma*s.r.NormFloat64())))
}

func (s *session) add(rec Record) {
	if rec.Status == "" {
		rec.Status = "OK"
	}
	s.f.Records = append(s.f.Records, rec)
}

func (s *session) status(e *ENI, status string) {
	start, end := s.times()
	s.add(Record{ENI: e, Start: start, End: end, Status: status})
}

func (s *session) conversation() {
	switch x := s.r.Float64(); {
	case x < 0.30:
		s.nat()
	case x < 0.55:
		s.web()
	case x < 0.75:
		s.scan()
	case x < 0.92:
		s.intra()
	default:
		if !s.g.cfg.NoIPv6 {
			s.ipv6()
		} else {
			s.web()
		}
	}
}

func (s *session) pick(list []string) string { return list[s.r.IntN(len(list))] }

// nat generates a flow from an application server through the NAT gateway: four records on
// the NAT's interface (private leg in, public leg out, public leg back, private leg back, as in
// AWS's documented example) and two on the server's own interface.
func (s *session) nat() {
	w := s.g.world
	var src *ENI
	switch x := s.r.Float64(); {
	case x < 0.40:
		src = w.Heavy[0]
	case x < 0.65:
		src = w.Heavy[1]
	case x < 0.75:
		src = w.Heavy[2]
	default:
		src = w.Apps[3+s.r.IntN(len(w.Apps)-3)]
	}
	var ext, svc, domain string
	var out, in int64
	switch x := s.r.Float64(); {
	case x < 0.45: // downloads from a CDN
		ext, out, in = s.pick(w.CDN), s.lognormal(2e3, 0.5), s.lognormal(4e6, 0.8)
		domain = "registry-1.docker.io"
	case x < 0.70: // S3 through the NAT: avoidable with a gateway endpoint
		ext, svc, domain = s.pick(s.g.s3), "S3", "s3.us-east-1.amazonaws.com"
		out, in = s.lognormal(3e6, 0.9), s.lognormal(8e3, 0.5)
		if src == w.Heavy[1] {
			out *= 4 // the cross-AZ uploader
			if s.surge {
				out *= 20
			}
		}
	case x < 0.80:
		ext, svc, out, in = s.pick(s.g.dynamoDB), "DYNAMODB", s.lognormal(2e5, 0.6), s.lognormal(6e5, 0.6)
		domain = "dynamodb.us-east-1.amazonaws.com"
	case x < 0.85:
		ext, svc, out, in = s.pick(w.EC2), "EC2", s.lognormal(5e4, 0.6), s.lognormal(1e5, 0.6)
		domain = "api.partner.example.com"
	case x < 0.90:
		ext, out, in = s.pick(w.Google), s.lognormal(3e3, 0.5), s.lognormal(1e5, 0.7)
		domain = "www.googleapis.com"
	default:
		ext, out, in = internetAddr(s.r), s.lognormal(2e3, 0.6), s.lognormal(3e4, 0.9)
		domain = "updates.example.org"
	}
	sport, nport, dport := 32768+s.r.IntN(28000), 1024+s.r.IntN(64000), 443
	start, end := s.times()
	pkts := func(b int64) int64 { return max(1, b/1200) }
	nat := w.NAT.PrivateIP
	// The server's own interface.
	s.add(Record{ENI: src, Src: src.PrivateIP, Dst: ext, PktSrc: src.PrivateIP, PktDst: ext, SrcPort: sport, DstPort: dport,
		Protocol: 6, Packets: pkts(out), Bytes: out, Start: start, End: end, Action: "ACCEPT", TCPFlags: 3,
		PktDstSvc: svc, Direction: "egress", TrafficPath: 1})
	s.add(Record{ENI: src, Src: ext, Dst: src.PrivateIP, PktSrc: ext, PktDst: src.PrivateIP, SrcPort: dport, DstPort: sport,
		Protocol: 6, Packets: pkts(in), Bytes: in, Start: start, End: end, Action: "ACCEPT", TCPFlags: 19,
		PktSrcSvc: svc, Direction: "ingress"})
	// The NAT gateway's interface.
	s.add(Record{ENI: w.NAT, Src: src.PrivateIP, Dst: nat, PktSrc: src.PrivateIP, PktDst: ext, SrcPort: sport, DstPort: dport,
		Protocol: 6, Packets: pkts(out), Bytes: out, Start: start, End: end, Action: "ACCEPT", TCPFlags: 3,
		PktDstSvc: svc, Direction: "ingress"})
	s.add(Record{ENI: w.NAT, Src: nat, Dst: ext, PktSrc: nat, PktDst: ext, SrcPort: nport, DstPort: dport,
		Protocol: 6, Packets: pkts(out), Bytes: out, Start: start, End: end, Action: "ACCEPT", TCPFlags: 3,
		PktDstSvc: svc, Direction: "egress", TrafficPath: 8})
	s.add(Record{ENI: w.NAT, Src: ext, Dst: nat, PktSrc: ext, PktDst: nat, SrcPort: dport, DstPort: nport,
		Protocol: 6, Packets: pkts(in), Bytes: in, Start: start, End: end, Action: "ACCEPT", TCPFlags: 19,
		PktSrcSvc: svc, Direction: "ingress"})
	s.add(Record{ENI: w.NAT, Src: nat, Dst: src.PrivateIP, PktSrc: ext, PktDst: src.PrivateIP, SrcPort: dport, DstPort: sport,
		Protocol: 6, Packets: pkts(in), Bytes: in, Start: start, End: end, Action: "ACCEPT", TCPFlags: 19,
		PktSrcSvc: svc, Direction: "egress", TrafficPath: 1})

	t := &s.f.Truth
	b := out + in
	t.NATBytes += b
	if t.NATStart == 0 || start < t.NATStart {
		t.NATStart = start
	}
	t.NATEnd = max(t.NATEnd, end)
	t.NATBySource[src.PrivateIP] += b
	t.NATByDest[ext] += b
	t.NATByService[svc] += b
	t.NATBySourceService[src.PrivateIP+" "+svc] += b
	t.NATByHour[start-start%3600] += b
	t.NATByDomain[domain] += b
	// The source looked the name up shortly before (a Route 53 Resolver query log record).
	s.f.Queries = append(s.f.Queries, Query{Time: start - 1 - start%30, Src: src.PrivateIP, Instance: src.InstanceID, Name: domain, Answer: ext})
	t.NATFromSourceByHour[start-start%3600] += out
	t.NATFlowsByHour[start-start%3600]++
	if src.Subnet.AZ != w.NAT.Subnet.AZ {
		t.CrossAZ[src.PrivateIP] += b
	}
}

// web generates a request from an internet client to a public web server, and its answer.
func (s *session) web() {
	e := s.g.world.Webs[s.r.IntN(len(s.g.world.Webs))]
	client := internetAddr(s.r)
	cport := 1024 + s.r.IntN(64000)
	req, resp := s.lognormal(800, 0.5), s.lognormal(6e4, 1.2)
	start, end := s.times()
	s.add(Record{ENI: e, Src: client, Dst: e.PrivateIP, PktSrc: client, PktDst: e.PrivateIP, SrcPort: cport, DstPort: 443,
		Protocol: 6, Packets: max(1, req/500), Bytes: req, Start: start, End: end, Action: "ACCEPT", TCPFlags: 3, Direction: "ingress"})
	s.add(Record{ENI: e, Src: e.PrivateIP, Dst: client, PktSrc: e.PrivateIP, PktDst: client, SrcPort: 443, DstPort: cport,
		Protocol: 6, Packets: max(1, resp/1200), Bytes: resp, Start: start, End: end, Action: "ACCEPT", TCPFlags: 19,
		Direction: "egress", TrafficPath: 8})
}

var scanPorts = []int{22, 23, 445, 3389, 5900, 8080, 6379, 1433}

// scan generates a rejected probe from the internet.
func (s *session) scan() {
	w := s.g.world
	e := w.Webs[s.r.IntN(len(w.Webs))]
	src := internetAddr(s.r)
	if s.r.IntN(3) == 0 {
		src = s.pick(w.Scanners)
	}
	proto, port := 6, scanPorts[s.r.IntN(len(scanPorts))]
	if s.r.IntN(10) == 0 {
		proto, port = 17, 53
	}
	if s.r.IntN(20) == 0 {
		proto, port = 1, 0
	}
	start, end := s.times()
	flags := 2
	if proto != 6 {
		flags = 0
	}
	s.add(Record{ENI: e, Src: src, Dst: e.PrivateIP, PktSrc: src, PktDst: e.PrivateIP, SrcPort: 1024 + s.r.IntN(64000), DstPort: port,
		Protocol: proto, Packets: 1, Bytes: 40 + s.r.Int64N(24), Start: start, End: end, Action: "REJECT", TCPFlags: flags, Direction: "ingress"})
}

// intra generates traffic inside the VPC: servers to the database and to each other, often
// across availability zones, seen on both interfaces.
func (s *session) intra() {
	w := s.g.world
	a := w.Apps[s.r.IntN(len(w.Apps))]
	b, port := w.DB, 5432
	if s.r.IntN(3) == 0 {
		b, port = w.Apps[s.r.IntN(len(w.Apps))], 8080
		if b == a {
			b = w.Webs[0]
		}
	}
	sport := 32768 + s.r.IntN(28000)
	q, resp := s.lognormal(2e3, 0.7), s.lognormal(5e4, 1.0)
	start, end := s.times()
	for _, e := range []*ENI{a, b} {
		dir, back := "egress", "ingress"
		if e == b {
			dir, back = "ingress", "egress"
		}
		s.add(Record{ENI: e, Src: a.PrivateIP, Dst: b.PrivateIP, PktSrc: a.PrivateIP, PktDst: b.PrivateIP, SrcPort: sport, DstPort: port,
			Protocol: 6, Packets: max(1, q/900), Bytes: q, Start: start, End: end, Action: "ACCEPT", TCPFlags: 3, Direction: dir, TrafficPath: pathOf(dir)})
		s.add(Record{ENI: e, Src: b.PrivateIP, Dst: a.PrivateIP, PktSrc: b.PrivateIP, PktDst: a.PrivateIP, SrcPort: port, DstPort: sport,
			Protocol: 6, Packets: max(1, resp/1200), Bytes: resp, Start: start, End: end, Action: "ACCEPT", TCPFlags: 19, Direction: back, TrafficPath: pathOf(back)})
	}
}

func pathOf(direction string) int {
	if direction == "egress" {
		return 1
	}
	return 0
}

// ipv6 generates IPv6 traffic from a server to CloudFront through an egress-only gateway.
func (s *session) ipv6() {
	w := s.g.world
	e := w.Apps[s.r.IntN(len(w.Apps))]
	ext := s.pick(w.CloudFront6)
	sport := 32768 + s.r.IntN(28000)
	out, in := s.lognormal(1500, 0.5), s.lognormal(2e5, 1.0)
	start, end := s.times()
	s.add(Record{ENI: e, Src: e.IPv6, Dst: ext, PktSrc: e.IPv6, PktDst: ext, SrcPort: sport, DstPort: 443, Protocol: 6,
		Packets: max(1, out/1200), Bytes: out, Start: start, End: end, Action: "ACCEPT", TCPFlags: 3,
		PktDstSvc: "CLOUDFRONT", Direction: "egress", TrafficPath: 8})
	s.add(Record{ENI: e, Src: ext, Dst: e.IPv6, PktSrc: ext, PktDst: e.IPv6, SrcPort: 443, DstPort: sport, Protocol: 6,
		Packets: max(1, in/1200), Bytes: in, Start: start, End: end, Action: "ACCEPT", TCPFlags: 19,
		PktSrcSvc: "CLOUDFRONT", Direction: "ingress"})
}

// Header is the header line of the generator's format.
func (g *Generator) Header() string { return strings.Join(g.cfg.Fields, " ") }

// Write writes a file's records as text, with the header unless the config says otherwise.
func (g *Generator) Write(w io.Writer, f File) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if !g.cfg.NoHeader {
		bw.WriteString(g.Header())
		bw.WriteByte('\n')
	}
	version := strconv.Itoa(g.Version())
	var buf []byte
	for i := range f.Records {
		buf = g.appendRecord(buf[:0], &f.Records[i], version)
		bw.Write(buf)
	}
	return bw.Flush()
}

func (g *Generator) appendRecord(b []byte, rec *Record, version string) []byte {
	ok := rec.Status == "OK"
	for i, field := range g.cfg.Fields {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendField(b, field, rec, ok, version)
	}
	return append(b, '\n')
}

func appendField(b []byte, field string, rec *Record, ok bool, version string) []byte {
	dash := func() []byte { return append(b, '-') }
	str := func(s string) []byte {
		if s == "" {
			return dash()
		}
		return append(b, s...)
	}
	num := func(n int64) []byte { return strconv.AppendInt(b, n, 10) }
	e := rec.ENI
	switch field {
	case "version":
		return append(b, version...)
	case "account-id":
		return append(b, Account...)
	case "interface-id":
		return append(b, e.ID...)
	case "vpc-id":
		return append(b, VPCID...)
	case "subnet-id":
		return append(b, e.Subnet.ID...)
	case "instance-id":
		return str(e.InstanceID)
	case "region":
		return append(b, Region...)
	case "az-id":
		return append(b, e.Subnet.AZ...)
	case "start":
		return num(rec.Start)
	case "end":
		return num(rec.End)
	case "log-status":
		return append(b, rec.Status...)
	case "sublocation-type", "sublocation-id":
		return dash()
	}
	if !ok {
		return dash() // NODATA and SKIPDATA records carry no traffic fields
	}
	switch field {
	case "srcaddr":
		return append(b, rec.Src...)
	case "dstaddr":
		return append(b, rec.Dst...)
	case "pkt-srcaddr":
		return append(b, rec.PktSrc...)
	case "pkt-dstaddr":
		return append(b, rec.PktDst...)
	case "srcport":
		return num(int64(rec.SrcPort))
	case "dstport":
		return num(int64(rec.DstPort))
	case "protocol":
		return num(int64(rec.Protocol))
	case "packets":
		return num(rec.Packets)
	case "bytes":
		return num(rec.Bytes)
	case "action":
		return append(b, rec.Action...)
	case "tcp-flags":
		return num(int64(rec.TCPFlags))
	case "type":
		if strings.Contains(rec.Src, ":") {
			return append(b, "IPv6"...)
		}
		return append(b, "IPv4"...)
	case "pkt-src-aws-service":
		return str(rec.PktSrcSvc)
	case "pkt-dst-aws-service":
		return str(rec.PktDstSvc)
	case "flow-direction":
		return str(rec.Direction)
	case "traffic-path":
		if rec.TrafficPath == 0 {
			return dash()
		}
		return num(int64(rec.TrafficPath))
	}
	return dash()
}

// WriteTree writes every file under dir, keeping the key layout, several files at a time, and
// returns their paths and the combined ground truth.
func (g *Generator) WriteTree(dir string) ([]string, Truth, error) {
	paths := make([]string, g.cfg.Files)
	truths := make([]Truth, g.cfg.Files)
	errs := make([]error, g.cfg.Files)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i := range g.cfg.Files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f := g.File(i)
			paths[i] = filepath.Join(dir, filepath.FromSlash(f.Key))
			truths[i] = f.Truth
			errs[i] = g.writeFile(paths[i], f)
			if errs[i] == nil && g.cfg.ResolverLogs {
				errs[i] = g.writeResolverLog(dir, i, f)
			}
		}()
	}
	wg.Wait()
	total := newTruth()
	for i := range truths {
		if errs[i] != nil {
			return nil, total, errs[i]
		}
		total.Add(truths[i])
	}
	return paths, total, nil
}

func (g *Generator) writeFile(path string, f File) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	var w io.Writer = out
	var zw *gzip.Writer
	if !g.cfg.Plain {
		zw = gzip.NewWriter(out)
		w = zw
	}
	if err := g.Write(w, f); err != nil {
		out.Close()
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			out.Close()
			return err
		}
	}
	return out.Close()
}

// writeResolverLog writes the Route 53 Resolver query log of file i's window under dir, at the
// key AWS gives it: AWSLogs/{account}/vpcdnsquerylogs/{vpc}/{yyyy}/{mm}/{dd}/....log.gz.
func (g *Generator) writeResolverLog(dir string, i int, f File) error {
	t := g.cfg.Start.Add(time.Duration(i) * 5 * time.Minute).UTC()
	key := fmt.Sprintf("AWSLogs/%s/vpcdnsquerylogs/%s/%s/%s_vpcdnsquerylogs_%s_%s_%08x.log.gz", Account, VPCID,
		t.Format("2006/01/02"), Account, VPCID, t.Format("20060102T1504Z"), uint32(g.cfg.Seed)*2654435761+uint32(i))
	path := filepath.Join(dir, filepath.FromSlash(g.cfg.Prefix+key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	enc := json.NewEncoder(zw)
	for _, q := range f.Queries {
		enc.Encode(map[string]any{
			"version": "1.100000", "account_id": Account, "region": Region, "vpc_id": VPCID,
			"query_timestamp": time.Unix(q.Time, 0).UTC().Format(time.RFC3339), "query_name": q.Name + ".",
			"query_type": "A", "query_class": "IN", "rcode": "NOERROR",
			"answers": []map[string]string{{"Rdata": q.Answer, "Type": "A", "Class": "IN"}},
			"srcaddr": q.Src, "srcport": strconv.Itoa(1024 + int(q.Time%60000)), "transport": "UDP",
			"srcids": map[string]string{"instance": q.Instance},
		})
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
