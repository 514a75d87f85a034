package flowdb

import (
	"context"
	"database/sql"
	"errors"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func openTest(t *testing.T) *sql.DB {
	t.Helper()
	db, err := Open(context.Background(), Memory, Options{})
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

// TestAddressMacros holds the SQL macros to Go's net/netip: integer form and RFC 5952 text
// both ways, for IPv4 and IPv6, and the Go functions loads use to the same values.
func TestAddressMacros(t *testing.T) {
	db := openTest(t)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := RegisterFuncs(conn); err != nil {
		t.Fatal(err)
	}
	addrs := randomAddrs(rand.New(rand.NewPCG(1, 2)), 3000)
	var texts []string
	for _, a := range addrs {
		texts = append(texts, a.String())
	}
	rows, err := conn.QueryContext(context.Background(), `
        SELECT a, ip4_int(a), CAST(ip6_int(a) AS VARCHAR), ip_text(ip4_int(a), ip6_int(a)),
               flowsql_ip4(a), CAST(flowsql_ip6(a) AS VARCHAR)
        FROM unnest(?::VARCHAR[]) t(a)`, texts)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var a string
		var v4, u4 sql.NullInt64
		var v6, text, u6 sql.NullString
		if err := rows.Scan(&a, &v4, &v6, &text, &u4, &u6); err != nil {
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
			if u4 != v4 {
				t.Errorf("flowsql_ip4(%s) = %v, ip4_int = %v", a, u4, v4)
			}
		} else {
			b := addr.As16()
			want := new(big.Int).SetBytes(b[:]).String()
			if v4.Valid || !v6.Valid || v6.String != want {
				t.Errorf("ip6_int(%s) = %v, ip4_int = %v; want %s", a, v6, v4, want)
			}
			if u6 != v6 {
				t.Errorf("flowsql_ip6(%s) = %v, ip6_int = %v", a, u6, v6)
			}
		}
		if text.String != addr.String() {
			t.Errorf("ip_text(%s) = %q, want %q", a, text.String, addr.String())
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(addrs) {
		t.Fatalf("got %d rows, want %d", n, len(addrs))
	}
}

// TestInvalidAddresses: text that is not an address gives NULL from both macros and both
// Go functions, never an error.
func TestInvalidAddresses(t *testing.T) {
	db := openTest(t)
	conn, _ := db.Conn(context.Background())
	defer conn.Close()
	if err := RegisterFuncs(conn); err != nil {
		t.Fatal(err)
	}
	bad := []string{"", "-", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d",
		"1:2:3:4:5:6:7:8:9", "1::2::3", "12345::1", "g::1", "1:2:3:4:5:6:7::8", ":::", "fe80::1%eth0", "eni-123"}
	for _, a := range bad {
		var v4, u4 sql.NullInt64
		var v6, u6 sql.NullString
		err := conn.QueryRowContext(context.Background(),
			`SELECT ip4_int(?), CAST(ip6_int(?) AS VARCHAR), flowsql_ip4(?), CAST(flowsql_ip6(?) AS VARCHAR)`, a, a, a, a).
			Scan(&v4, &v6, &u4, &u6)
		if err != nil {
			t.Fatalf("%q: %v", a, err)
		}
		if v4.Valid || v6.Valid || u4.Valid || u6.Valid {
			t.Errorf("%q: ip4_int=%v ip6_int=%v flowsql_ip4=%v flowsql_ip6=%v, want all NULL", a, v4, v6, u4, u6)
		}
	}
}

func TestCIDRMacros(t *testing.T) {
	db := openTest(t)
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
		var got, fast sql.NullBool
		err := db.QueryRow(`SELECT in_cidr($1, $2), ip_in_cidr(ip4_int($1), ip6_int($1), $2)`, c.addr, c.cidr).Scan(&got, &fast)
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

func TestOtherMacros(t *testing.T) {
	db := openTest(t)
	var p1, p2, f1, f2, f3 string
	var priv, pub, priv6, pub6, mapped bool
	err := db.QueryRow(`SELECT protocol_name(6), protocol_name(250), tcp_flags_text(19), tcp_flags_text(3), tcp_flags_text(22),
        is_private_ip('10.1.2.3'), is_private_ip('8.8.8.8'), is_private_ip('fd00::1'), is_private_ip('2600:9000::1'),
        is_private_ip('::ffff:192.168.1.1')`).Scan(&p1, &p2, &f1, &f2, &f3, &priv, &pub, &priv6, &pub6, &mapped)
	if err != nil {
		t.Fatal(err)
	}
	if p1 != "TCP" || p2 != "250" || f1 != "FIN,SYN-ACK" || f2 != "FIN,SYN" || f3 != "SYN-ACK,RST" {
		t.Errorf("protocol_name/tcp_flags_text: %s %s %s %s %s", p1, p2, f1, f2, f3)
	}
	if !priv || pub || !priv6 || pub6 || !mapped {
		t.Errorf("is_private_ip: %v %v %v %v %v", priv, pub, priv6, pub6, mapped)
	}
}

// TestMacrosPersist: the macros live in the file, so a second open (as the duckdb CLI would)
// finds them without flowsql installing anything.
func TestMacrosPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.duckdb")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int64
	if err := raw.QueryRow(`SELECT ip4_int('10.0.0.1')`).Scan(&n); err != nil || n != 167772161 {
		t.Fatalf("macro in a plain DuckDB connection: %d, %v", n, err)
	}
}

func TestMustExist(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "none.duckdb"), Options{MustExist: true})
	if !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("err = %v, want ErrNoDatabase", err)
	}
}

// TestLockedDatabase: a second process gets an error that names the process holding the file.
func TestLockedDatabase(t *testing.T) {
	if os.Getenv("FLOWDB_HOLD") != "" {
		db, err := Open(context.Background(), os.Getenv("FLOWDB_HOLD"), Options{})
		if err != nil {
			os.Exit(3)
		}
		defer db.Close()
		os.Stdout.WriteString("ready\n")
		buf := make([]byte, 1)
		os.Stdin.Read(buf) // hold until the parent closes stdin
		return
	}
	path := filepath.Join(t.TempDir(), "locked.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockedDatabase$")
	cmd.Env = append(os.Environ(), "FLOWDB_HOLD="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	buf := make([]byte, 6)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("holder did not start: %q %v", buf, err)
	}
	_, err := Open(context.Background(), path, Options{})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a LockedError", err)
	}
	if le.PID != itoa(cmd.Process.Pid) || !strings.Contains(le.Error(), "TestLockedDatabase") {
		t.Errorf("error %q does not name process %d", le.Error(), cmd.Process.Pid)
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }
