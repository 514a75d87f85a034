package enrich_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/fakeaws"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/pkg/enrich"
)

func newDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := flowsql.Open(context.Background(), filepath.Join(t.TempDir(), "e.duckdb"), flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func str(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

// TestAWSRanges: the most specific prefix wins, and a named service wins over AMAZON for the
// same prefix, so S3 and DynamoDB inside EC2's ranges are S3 and DynamoDB.
func TestAWSRanges(t *testing.T) {
	db := newDB(t)
	sum, err := enrich.LoadAWSRanges(context.Background(), db, filepath.Join("..", "..", "testdata", "ip-ranges-sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.IPv4 == 0 || sum.IPv6 == 0 || sum.Segments == 0 || sum.SyncToken == "" {
		t.Fatalf("%+v", sum)
	}
	for addr, want := range map[string]string{
		"52.216.10.5":       "S3",       // AMAZON and S3 list the same /15
		"44.192.134.245":    "S3",       // an S3 /28 inside EC2's 44.192.0.0/11
		"44.192.5.5":        "EC2",      // the rest of that /11
		"3.218.180.10":      "DYNAMODB", // DynamoDB's /22 inside EC2's 3.208.0.0/12
		"3.219.12.34":       "EC2",
		"3.80.5.5":          "EC2",
		"8.8.8.8":           "",
		"2600:9000:2000::1": "CLOUDFRONT",
		"10.0.1.5":          "",
	} {
		if got := str(t, db, `SELECT aws_service(?)`, addr); got != want {
			t.Errorf("aws_service(%s) = %q, want %q", addr, got, want)
		}
	}
	if got := str(t, db, `SELECT aws_region('3.218.180.10')`); got != "us-east-1" {
		t.Errorf("aws_region = %q", got)
	}
	// Loading again replaces, not adds.
	if _, err := enrich.LoadAWSRanges(context.Background(), db, filepath.Join("..", "..", "testdata", "ip-ranges-sample.json")); err != nil {
		t.Fatal(err)
	}
	if got := str(t, db, `SELECT count(*) FROM aws_ip_ranges`); got != "37" {
		t.Errorf("%s ranges after a second load", got)
	}
	if _, err := enrich.LoadAWSRanges(context.Background(), db, filepath.Join("..", "..", "testdata", "README.md")); err == nil {
		t.Error("a file that is not ip-ranges.json loaded")
	}
}

// TestRealAWSRanges: with AWS's real ip-ranges.json, where 169 S3 and 42 DynamoDB prefixes are
// listed under EC2 too at the same length, and S3 /28s sit inside EC2 /11s, the addresses of
// every S3 and DynamoDB prefix are named S3 and DYNAMODB, list EC2 beside them, and are what a
// gateway endpoint carries; EC2's own addresses stay EC2.
func TestRealAWSRanges(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	sum, err := enrich.LoadAWSRanges(ctx, db, filepath.Join("..", "..", "testdata", "ip-ranges.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.IPv4 != 10668 || sum.IPv6 != 6160 || sum.CreateDate != "2026-08-22-15-17-05" {
		t.Fatalf("%+v", sum)
	}
	for addr, want := range map[string]string{
		"16.15.156.9":       "S3 AMAZON,EC2,S3 S3", // S3 and EC2 list the same /22
		"3.5.1.2":           "S3 AMAZON,EC2,S3 S3", // likewise, a /19
		"52.216.10.5":       "S3 AMAZON,S3 S3",     // S3 alone (with AMAZON)
		"44.192.134.245":    "S3 AMAZON,EC2,S3 S3", // an S3 /28 inside an EC2 /11
		"35.71.68.7":        "DYNAMODB AMAZON,DYNAMODB,EC2 DYNAMODB",
		"3.218.180.10":      "DYNAMODB AMAZON,DYNAMODB,EC2 DYNAMODB", // a /22 inside EC2's /12
		"3.80.5.5":          "EC2 AMAZON,EC2 -",
		"2406:daef:e000::1": "S3 AMAZON,EC2,S3 S3", // IPv6: the same tie
		"8.8.8.8":           "- - -",
	} {
		got := str(t, db, `SELECT coalesce(aws_service($1), '-') || ' ' || coalesce(array_to_string(aws_services($1), ','), '-') || ' ' ||
            coalesce(gateway_endpoint_service(aws_services($1)), '-')`, addr)
		if got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
	// Every address of every S3 and DynamoDB prefix (IPv4) is what a gateway endpoint carries.
	var wrong int64
	if err := db.QueryRow(`SELECT count(*) FROM aws_ip_ranges r JOIN aws_ip_segments s ON s.lo BETWEEN r.lo AND r.hi
        WHERE r.family = 'ipv4' AND r.service IN ('S3', 'DYNAMODB')
          AND (gateway_endpoint_service(s.services) IS DISTINCT FROM r.service OR s.service <> r.service)`).Scan(&wrong); err != nil {
		t.Fatal(err)
	}
	if wrong != 0 {
		t.Errorf("%d segments of S3 or DynamoDB prefixes are named otherwise", wrong)
	}
}

func ec2Client(url string) *ec2.Client {
	return ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
}

// TestSnapshotENIs: every interface across pages, every address; a second snapshot updates
// last_seen and keeps interfaces that are gone; errors name the cause.
func TestSnapshotENIs(t *testing.T) {
	fake := fakeaws.NewEC2()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	db := newDB(t)
	ctx := context.Background()
	world := flowgen.TheWorld()
	sum, err := enrich.SnapshotENIs(ctx, db, ec2Client(srv.URL), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	wantAddrs := 0
	for _, e := range world.ENIs {
		wantAddrs += 1 + len(e.Secondary)
		if e.IPv6 != "" {
			wantAddrs++
		}
	}
	if sum.Interfaces != len(world.ENIs) || sum.Addresses != wantAddrs || sum.New != wantAddrs || sum.Pages < 3 || sum.ByType["nat_gateway"] != 1 {
		t.Fatalf("%+v (want %d interfaces, %d addresses)", sum, len(world.ENIs), wantAddrs)
	}
	nat := str(t, db, `SELECT interface_id || ' ' || interface_type || ' ' || description || ' ' || public_ip || ' ' || availability_zone_id || ' ' || requester_managed || ' ' || coalesce(instance_id, '-') FROM eni WHERE address = ?`, flowgen.NATAddr)
	if nat != flowgen.NATENI+" nat_gateway Interface for NAT Gateway "+flowgen.NATID+" "+flowgen.NATPublicIP+" use1-az1 true -" {
		t.Errorf("NAT gateway row: %s", nat)
	}
	app := world.Apps[0]
	if got := str(t, db, `SELECT string_agg(address, ' ' ORDER BY address) FROM eni WHERE interface_id = ?`, app.ID); got != sortedWords(app.PrivateIP, app.Secondary[0], app.IPv6) {
		t.Errorf("%s addresses: %s", app.ID, got)
	}
	if got := str(t, db, `SELECT tags['Name'] || ' ' || security_groups[1] || ' ' || instance_id FROM eni WHERE address = ?`, app.PrivateIP); got != app.Name+" "+app.SecurityGrp+" "+app.InstanceID {
		t.Errorf("tags, groups, instance: %s", got)
	}
	if got := str(t, db, `SELECT key_interface_type(dst) FROM (SELECT ip4_int(?)::BIGINT AS dst)`, flowgen.NATAddr); got != "nat_gateway" {
		t.Errorf("key_interface_type = %q", got)
	}

	// The bastion is deleted; a second snapshot keeps its rows with their old last_seen.
	first := str(t, db, `SELECT CAST(first_seen AS VARCHAR) FROM eni WHERE address = ?`, flowgen.NATAddr)
	var without []*flowgen.ENI
	for _, e := range world.ENIs {
		if e != world.Idle {
			without = append(without, e)
		}
	}
	fake.SetENIs(without)
	sum, err = enrich.SnapshotENIsAt(ctx, db, ec2Client(srv.URL), "us-east-1", time.Now().Add(time.Hour))
	if err != nil || sum.New != 0 {
		t.Fatalf("second snapshot: %+v %v", sum, err)
	}
	if str(t, db, `SELECT CAST(first_seen AS VARCHAR) FROM eni WHERE address = ?`, flowgen.NATAddr) != first ||
		str(t, db, `SELECT CAST(last_seen > first_seen AS VARCHAR) FROM eni WHERE address = ?`, flowgen.NATAddr) != "true" {
		t.Error("first_seen changed, or last_seen did not")
	}
	if str(t, db, `SELECT CAST(last_seen = first_seen AS VARCHAR) FROM eni WHERE interface_id = ?`, world.Idle.ID) != "true" {
		t.Error("the deleted interface's row was lost or touched")
	}
	fake.SetFail("UnauthorizedOperation")
	_, err = enrich.SnapshotENIs(ctx, db, ec2Client(srv.URL), "us-east-1")
	if err == nil || !strings.Contains(err.Error(), "UnauthorizedOperation") {
		t.Errorf("err = %v", err)
	}
}

func TestParseWhois(t *testing.T) {
	arin := `NetRange:       23.32.0.0 - 23.67.255.255
CIDR:           23.32.0.0/11, 23.64.0.0/14
NetName:        AKAMAI
NetHandle:      NET-23-32-0-0-1

NetRange:       23.52.0.0 - 23.55.255.255
CIDR:           23.52.0.0/14
NetName:        AT-88-Z
OriginAS:       AS16625
Organization:   Akamai Technologies, Inc. (AKAMAI)

OrgName:        Akamai Technologies, Inc.
Country:        US
`
	o, err := enrich.ParseWhois(arin, netip.MustParseAddr("23.53.1.1"))
	if err != nil || o.Network != "AT-88-Z" || o.Organisation != "Akamai Technologies, Inc. (AKAMAI)" || o.Country != "US" || o.OriginAS != "AS16625" || o.Range() != "23.52.0.0 - 23.55.255.255" || strings.Join(o.CIDRs, ",") != "23.52.0.0/14" {
		t.Errorf("ARIN: %+v %v", o, err)
	}
	ripe := `% This is the RIPE Database query service.

inetnum:        2.16.0.0 - 2.16.15.255
netname:        AKAMAI-PA
country:        EU
org:            ORG-AT1-RIPE

organisation:   ORG-AT1-RIPE
org-name:       Akamai International B.V.

route:          2.16.0.0/13
origin:         AS20940
`
	o, err = enrich.ParseWhois(ripe, netip.MustParseAddr("2.16.3.4"))
	if err != nil || o.Network != "AKAMAI-PA" || o.Organisation != "Akamai International B.V." || o.OriginAS != "AS20940" || strings.Join(o.CIDRs, ",") != "2.16.0.0/20" {
		t.Errorf("RIPE: %+v %v", o, err)
	}
	lacnic := "inetnum:     200.3.12/22\nowner:       Some Company S.A.\ncountry:     BR\n"
	o, err = enrich.ParseWhois(lacnic, netip.MustParseAddr("200.3.13.1"))
	if err != nil || o.Range() != "200.3.12.0 - 200.3.15.255" || o.Organisation != "Some Company S.A." || o.Country != "BR" {
		t.Errorf("LACNIC: %+v %v", o, err)
	}
	v6 := "inet6num:       2a02:cf40::/29\nnetname:        EXAMPLE-V6\ncountry:        NL\n"
	o, err = enrich.ParseWhois(v6, netip.MustParseAddr("2a02:cf40::1"))
	if err != nil || o.End != netip.MustParseAddr("2a02:cf47:ffff:ffff:ffff:ffff:ffff:ffff") {
		t.Errorf("IPv6: %+v %v", o, err)
	}
	if _, err := enrich.ParseWhois(arin, netip.MustParseAddr("8.8.8.8")); err == nil {
		t.Error("a reply about another network was taken")
	}
}

// owners starts an RDAP server and two whois servers (the first refers RIPE networks to the
// second, on another loopback address).
func owners(t *testing.T) (*fakeaws.RDAP, *fakeaws.Whois, *fakeaws.Whois, enrich.LookupOptions) {
	t.Helper()
	r := &fakeaws.RDAP{RetryAfter: 1}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	ripe := &fakeaws.Whois{RIPE: true}
	ripeAddr, err := ripe.Listen("127.0.0.2:0")
	if err != nil {
		t.Skipf("127.0.0.2 is not usable here: %v", err)
	}
	t.Cleanup(ripe.Close)
	arin := &fakeaws.Whois{Referral: ripeAddr}
	arinAddr, err := arin.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(arin.Close)
	rd, err := enrich.NewRDAPResolver(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return r, arin, ripe, enrich.LookupOptions{RDAP: rd, Whois: enrich.NewWhoisResolver(arinAddr), Backoff: 10 * time.Millisecond}
}

// TestLookupOwners: RDAP first (waiting out a 429's Retry-After), whois when RDAP fails
// (following a referral), the cache by range, private addresses never sent, --offline.
func TestLookupOwners(t *testing.T) {
	r, arin, ripe, opts := owners(t)
	opts.PerRegistry = 1 // one at a time: the second address of a range finds the first's answer
	db := newDB(t)
	ctx := context.Background()
	world := flowgen.TheWorld()
	addrs := []netip.Addr{
		netip.MustParseAddr(world.CDN[0]), netip.MustParseAddr(world.CDN[1]), // one range: looked up once
		netip.MustParseAddr("10.0.1.21"), netip.MustParseAddr("fd00::1"), // private: never sent
		netip.MustParseAddr(world.S3[0]), netip.MustParseAddr(world.CloudFront6[0]),
	}
	r.RateLimit.Store(1) // the first RDAP request gets 429 with Retry-After: 1
	start := time.Now()
	res, err := enrich.LookupOwners(ctx, db, addrs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < time.Second {
		t.Error("a Retry-After of one second was not waited out")
	}
	want := []struct {
		status  enrich.LookupStatus
		network string
	}{{"", flowgen.CDNNetName}, {"", flowgen.CDNNetName}, {enrich.Private, ""}, {enrich.Private, ""}, {enrich.Found, "AMAZON-2011L"}, {enrich.Found, "AMAZON-CF"}}
	for i, w := range want {
		got := res[i]
		if w.status != "" && got.Status != w.status || got.Owner == nil && w.network != "" || got.Owner != nil && got.Owner.Network != w.network {
			t.Errorf("%s: %s %+v %v, want %s %s", got.Addr, got.Status, got.Owner, got.Err, w.status, w.network)
		}
	}
	if res[0].Status == res[1].Status {
		t.Errorf("two addresses of one range: %s and %s; one lookup should serve both", res[0].Status, res[1].Status)
	}
	if _, sent := r.Queried.Load("10.0.1.21"); sent {
		t.Error("a private address was sent to RDAP")
	}
	if got := str(t, db, `SELECT ip_network(?) || ' / ' || ip_organisation(?)`, world.CDN[5], world.CDN[5]); got != flowgen.CDNNetName+" / "+flowgen.CDNOrg {
		t.Errorf("ip_network: %s", got)
	}
	if got := str(t, db, `SELECT ip_network(?)`, world.CloudFront6[0]); got != "AMAZON-CF" {
		t.Errorf("ip_network IPv6: %s", got)
	}
	// A second run answers from the cache: no request at all.
	before := r.Requests.Load()
	res, err = enrich.LookupOwners(ctx, db, addrs, opts)
	if err != nil || r.Requests.Load() != before || res[4].Status != enrich.Cached {
		t.Errorf("second run: %d new RDAP requests, %s, %v", r.Requests.Load()-before, res[4].Status, err)
	}
	// Offline: what is not cached is said so, and nothing is asked.
	off := opts
	off.Offline = true
	res, err = enrich.LookupOwners(ctx, db, []netip.Addr{netip.MustParseAddr("81.2.69.142")}, off)
	if err != nil || res[0].Status != enrich.NotCached || r.Requests.Load() != before {
		t.Errorf("offline: %s %v", res[0].Status, err)
	}
	// Whois when RDAP is not there: an ARIN answer refers to RIPE, whose answer wins.
	noRDAP := opts
	noRDAP.RDAP = nil
	res, err = enrich.LookupOwners(ctx, db, []netip.Addr{netip.MustParseAddr("81.2.69.142"), netip.MustParseAddr("80.1.1.1")}, noRDAP)
	if err != nil || res[0].Owner == nil || res[0].Owner.Network != "EXAMPLE-NET-81" || res[0].Owner.Organisation != "Example Network 81" || res[0].Owner.OriginAS != "AS64500" {
		t.Fatalf("whois with a referral: %+v %v (%v)", res[0].Owner, res[0].Err, err)
	}
	if ripe.Queries.Load() == 0 || arin.Queries.Load() == 0 {
		t.Error("the referral was not followed")
	}
	if res[1].Owner == nil || res[1].Owner.Network != "EXAMPLE-NET-80" || res[1].Owner.Source != "whois" {
		t.Errorf("ARIN answer: %+v %v", res[1].Owner, res[1].Err)
	}
	// A whois rate-limit notice is waited out, then the lookup succeeds.
	arin.RateLimited.Store(2)
	res, err = enrich.LookupOwners(ctx, db, []netip.Addr{netip.MustParseAddr("70.1.1.1")}, noRDAP)
	if err != nil || res[0].Owner == nil || res[0].Owner.Network != "EXAMPLE-NET-70" {
		t.Errorf("after a rate-limit notice: %+v %v", res[0], err)
	}
	// When every lookup fails, the error says why.
	arin.RateLimited.Store(100)
	noRDAP.Retries = 1
	res, _ = enrich.LookupOwners(ctx, db, []netip.Addr{netip.MustParseAddr("60.1.1.1")}, noRDAP)
	var rl *enrich.RateLimited
	if res[0].Status != enrich.NotFound || !errors.As(res[0].Err, &rl) {
		t.Errorf("rate limited: %s %v", res[0].Status, res[0].Err)
	}
}

func TestIsPublic(t *testing.T) {
	for a, want := range map[string]bool{"8.8.8.8": true, "10.1.1.1": false, "100.64.0.1": false, "192.0.2.1": false,
		"2600:9000::1": true, "fd00::1": false, "fe80::1": false, "::ffff:10.0.0.1": false, "::ffff:8.8.8.8": true} {
		if got := enrich.IsPublic(netip.MustParseAddr(a)); got != want {
			t.Errorf("IsPublic(%s) = %v", a, got)
		}
	}
}

func sortedWords(w ...string) string {
	sort.Strings(w)
	return strings.Join(w, " ")
}

// TestIsPublicMatchesMacro: the SQL is_private_ip macro and IsPublic agree, on the edges of
// every reserved range and on random addresses, so that what reports call private is what is
// never sent out.
func TestIsPublicMatchesMacro(t *testing.T) {
	db := newDB(t)
	var addrs []string
	for _, c := range []string{"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
		"::/127", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8"} {
		p := netip.MustParsePrefix(c)
		lo := p.Addr()
		b := lo.AsSlice()
		for i := p.Bits(); i < len(b)*8; i++ {
			b[i/8] |= 1 << (7 - i%8)
		}
		hi, _ := netip.AddrFromSlice(b)
		for _, a := range []netip.Addr{lo.Prev(), lo, hi, hi.Next()} {
			if !a.IsValid() {
				continue
			}
			addrs = append(addrs, a.String())
			if a.Is4() { // and as an IPv4-mapped IPv6 address
				addrs = append(addrs, netip.AddrFrom16(a.As16()).String())
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		addrs = append(addrs, netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}).String())
	}
	for range 500 {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], r.Uint64())
		binary.BigEndian.PutUint64(b[8:], r.Uint64())
		addrs = append(addrs, netip.AddrFrom16(b).String())
	}
	addrs = append(addrs, "fd00::1", "fe80::1", "2600:9000::1", "::ffff:10.1.1.1", "::ffff:8.8.8.8", "2001:db8::5")
	rows, err := db.Query(`SELECT a, is_private_ip(a) FROM unnest(?::VARCHAR[]) AS t(a)`, addrs)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var a string
		var private bool
		if err := rows.Scan(&a, &private); err != nil {
			t.Fatal(err)
		}
		n++
		if private == enrich.IsPublic(netip.MustParseAddr(a)) {
			t.Errorf("%s: is_private_ip %v, IsPublic %v", a, private, !private)
		}
	}
	if n != len(addrs) {
		t.Errorf("%d of %d addresses checked", n, len(addrs))
	}
}

// TestHugeAnswers: an RDAP server that answers with 200 MB, and a whois server that never stops
// talking, fail the lookup with ErrTooLarge after a megabyte, and cost no more memory than that.
func TestHugeAnswers(t *testing.T) {
	chunk := bytes.Repeat([]byte("a"), 1<<16)
	rdapSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rdap+json")
		w.Write([]byte(`{"objectClassName": "ip network", "name": "`))
		for range 200 << 20 / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer rdapSrv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				for range 200 << 20 / len(chunk) {
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
			}()
		}
	}()
	rd, err := enrich.NewRDAPResolver(rdapSrv.URL)
	if err != nil {
		t.Fatal(err)
	}
	wh := enrich.NewWhoisResolver(ln.Addr().String())
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, r := range []enrich.Resolver{rd, wh} {
		_, err := r.Lookup(context.Background(), netip.MustParseAddr("81.2.69.142"))
		if !errors.Is(err, enrich.ErrTooLarge) {
			t.Errorf("%T: %v, want ErrTooLarge", r, err)
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 64<<20 {
		t.Errorf("the lookups allocated %d MB", grew>>20)
	}
}
