package ingest_test

import (
	"context"
	"database/sql"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/pkg/ingest"
)

func openTest(t *testing.T) *sql.DB {
	t.Helper()
	db, err := flowsql.Open(context.Background(), flowsql.Memory, flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// randomAddrs returns IPv4 and IPv6 addresses that exercise every text form: zero runs of
// every length and position, IPv4-mapped addresses, the extremes.
func randomAddrs(r *rand.Rand, n int) []netip.Addr {
	out := []netip.Addr{
		netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255"), netip.MustParseAddr("10.0.1.5"),
		netip.MustParseAddr("::"), netip.MustParseAddr("::1"), netip.MustParseAddr("1::"),
		netip.MustParseAddr("2001:db8::1:0:0:1"), netip.MustParseAddr("::ffff:1.2.3.4"),
		netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), netip.MustParseAddr("fe80::1:2"),
	}
	for len(out) < n {
		if r.IntN(2) == 0 {
			out = append(out, netip.AddrFrom4([4]byte{byte(r.UintN(256)), byte(r.UintN(256)), byte(r.UintN(256)), byte(r.UintN(256))}))
			continue
		}
		var b [16]byte
		for i := 0; i < 16; i += 2 {
			if r.IntN(3) > 0 { // many zero hextets, in runs
				b[i], b[i+1] = byte(r.UintN(256)), byte(r.UintN(256))
			}
		}
		out = append(out, netip.AddrFrom16(b))
	}
	return out
}

// saveKeys commits the keys an AddrKeys gave out.
func saveKeys(t *testing.T, db *sql.DB, k *ingest.AddrKeys) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Save(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	k.Saved()
}

// TestAddressMacros holds the SQL macros to Go's net/netip (integer form and RFC 5952 text
// both ways, IPv4 and IPv6) and the key function that loads use to the macros: ip_text of a
// key is the address, addr_key of the address is the key.
func TestAddressMacros(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	keys, err := ingest.NewAddrKeys(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	addrs := randomAddrs(rand.New(rand.NewPCG(1, 2)), 3000)
	var texts []string
	for _, a := range addrs {
		texts = append(texts, a.String())
	}
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE probe_keys AS SELECT a, `+keys.Func()+`(a) AS key FROM unnest(?::VARCHAR[]) t(a)`, texts); err != nil {
		t.Fatal(err)
	}
	saveKeys(t, db, keys)
	rows, err := conn.QueryContext(ctx, `
        SELECT a, ip4_int(a), CAST(ip6_int(a) AS VARCHAR), ip6_text(ip6_int(a)), key, ip_text(key)
        FROM temp.probe_keys`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var a string
		var v4, key, back sql.NullInt64
		var v6, text6, text sql.NullString
		if err := rows.Scan(&a, &v4, &v6, &text6, &key, &text); err != nil {
			t.Fatal(err)
		}
		n++
		addr := netip.MustParseAddr(a)
		if addr.Is4() {
			b := addr.As4()
			want := int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
			if !v4.Valid || v4.Int64 != want || v6.Valid {
				t.Errorf("ip4_int(%s) = %v, ip6_int = %v; want %d and NULL", a, v4, v6, want)
			}
			if key != v4 {
				t.Errorf("key of %s = %v, ip4_int = %v", a, key, v4)
			}
		} else {
			b := addr.As16()
			want := new(big.Int).SetBytes(b[:]).String()
			if v4.Valid || !v6.Valid || v6.String != want {
				t.Errorf("ip6_int(%s) = %v, ip4_int = %v; want %s", a, v6, v4, want)
			}
			if text6.String != addr.String() {
				t.Errorf("ip6_text(ip6_int(%s)) = %q", a, text6.String)
			}
			if !key.Valid || key.Int64 >= 0 {
				t.Errorf("key of %s = %v, want a negative key", a, key)
			}
		}
		if text.String != addr.String() {
			t.Errorf("ip_text(key of %s) = %q, want %q", a, text.String, addr.String())
		}
		if n%20 == 0 { // addr_key takes a literal or a parameter, as reports give it
			if err := db.QueryRow(`SELECT addr_key(?)`, a).Scan(&back); err != nil || back != key {
				t.Errorf("addr_key(%s) = %v, key %v (%v)", a, back, key, err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(addrs) {
		t.Fatalf("got %d rows, want %d", n, len(addrs))
	}
}

// TestAddrKeys: every spelling of an IPv6 address has one key; keys are dense; text that is no
// address has a key of its own; keys of a rolled-back load are given again; a second loader
// knows the keys the first one saved.
func TestAddrKeys(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conn, _ := db.Conn(ctx)
	defer conn.Close()
	k, err := ingest.NewAddrKeys(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	key := func(s string) int64 {
		n, ok := k.Key(s)
		if !ok {
			t.Fatalf("no key for %q", s)
		}
		return n
	}
	if key("10.0.1.5") != 167772421 {
		t.Error("IPv4 key is not the address")
	}
	a := key("2001:db8::1")
	for _, s := range []string{"2001:DB8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8:0:0:0:0:0:1"} {
		if key(s) != a {
			t.Errorf("%s has another key than 2001:db8::1", s)
		}
	}
	b, c := key("::ffff:1.2.3.4"), key("not-an-address")
	if a != -1 || b != -2 || c != -3 {
		t.Errorf("keys %d %d %d, want -1 -2 -3", a, b, c)
	}
	for _, s := range []string{"", "-"} {
		if _, ok := k.Key(s); ok {
			t.Errorf("%q has a key", s)
		}
	}
	saveKeys(t, db, k)
	if key("fe80::1") != -4 {
		t.Error("not dense")
	}
	k.Discard()
	if key("2600::1") != -4 {
		t.Error("a discarded key was not given again")
	}
	k.Discard()
	k2, err := ingest.NewAddrKeys(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := k2.Key("2001:db8::1"); n != -1 {
		t.Errorf("a new loader gives 2001:db8::1 key %d", n)
	}
	if n, _ := k2.Key("2600::1"); n != -4 {
		t.Errorf("a new loader gives a new address key %d, want -4", n)
	}
}

func TestCIDRMacros(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conn, _ := db.Conn(ctx)
	defer conn.Close()
	keys, err := ingest.NewAddrKeys(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr, cidr string
		want       bool
	}{
		{"10.2.3.4", "10.0.0.0/8", true},
		{"11.2.3.4", "10.0.0.0/8", false},
		{"10.0.1.5", "10.0.1.5", true},
		{"10.0.1.6", "10.0.1.5/32", false},
		{"8.8.8.8", "0.0.0.0/0", true},
		{"172.31.255.255", "172.16.0.0/12", true},
		{"172.32.0.0", "172.16.0.0/12", false},
		{"2001:db8::5", "2001:db8::/32", true},
		{"2001:db9::5", "2001:db8::/32", false},
		{"::1", "::/0", true},
		{"2600:1f18:abcd:1201::115", "2600:1f18:abcd:1200::/56", true},
		{"2600:1f18:abcd:1301::115", "2600:1f18:abcd:1200::/56", false},
	}
	for _, c := range cases {
		keys.Key(c.addr)
	}
	saveKeys(t, db, keys)
	for _, c := range cases {
		var got, fast sql.NullBool
		k, _ := keys.Key(c.addr)
		err := db.QueryRow(`SELECT in_cidr($1, $2), ip_in_cidr($3, $2)`, c.addr, c.cidr, k).Scan(&got, &fast)
		if err != nil {
			t.Fatal(err)
		}
		if got.Bool != c.want || fast.Bool != c.want {
			t.Errorf("in_cidr(%s, %s) = %v, ip_in_cidr = %v; want %v", c.addr, c.cidr, got, fast, c.want)
		}
	}
	var lo, hi string
	if err := db.QueryRow(`SELECT ip6_text(cidr6_lo('2001:db8::/32')), ip6_text(cidr6_hi('2001:db8::/32'))`).Scan(&lo, &hi); err != nil {
		t.Fatal(err)
	}
	if lo != "2001:db8::" || hi != "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff" {
		t.Errorf("2001:db8::/32 spans %s - %s", lo, hi)
	}
}
