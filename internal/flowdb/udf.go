package flowdb

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math/big"
	"net/netip"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// The loaders turn address text into integers with these Go functions rather than with the
// ip4_int/ip6_int macros: they compute the same values (a test holds them to it) three times
// faster, which matters at millions of rows. They exist only inside the flowsql process.
const (
	IP4Func = "flowsql_ip4"
	IP6Func = "flowsql_ip6"
)

// ParseIPv4 returns the integer form of a dotted-quad IPv4 address.
func ParseIPv4(s string) (uint32, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return binary.BigEndian.Uint32(b[:]), true
}

// ParseIPv6 returns the integer form of an IPv6 address (IPv4-mapped ones included).
func ParseIPv6(s string) (*big.Int, bool) {
	if !strings.Contains(s, ":") {
		return nil, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return nil, false
	}
	b := a.As16()
	return new(big.Int).SetBytes(b[:]), true
}

// RegisterFuncs makes flowsql_ip4 and flowsql_ip6 callable on conn.
func RegisterFuncs(conn *sql.Conn) error {
	for name, f := range map[string]duckdb.ScalarFunc{IP4Func: ip4Func{}, IP6Func: ip6Func{}} {
		if err := duckdb.RegisterScalarUDF(conn, name, f); err != nil && !strings.Contains(err.Error(), "already exists") {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	return nil
}

type ip4Func struct{}

func (ip4Func) Config() duckdb.ScalarFuncConfig { return addrFuncConfig(duckdb.TYPE_UINTEGER) }

func (ip4Func) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: func(_ context.Context, st *duckdb.ChunkIteratorState) error {
		for r, err := range st.Rows() {
			if err != nil {
				return err
			}
			s, _ := (*r.GetValuePtr(0)).(string)
			if n, ok := ParseIPv4(s); ok {
				err = r.SetResult(n)
			} else {
				err = r.SetResult(nil)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}}
}

type ip6Func struct{}

func (ip6Func) Config() duckdb.ScalarFuncConfig { return addrFuncConfig(duckdb.TYPE_UHUGEINT) }

func (ip6Func) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: func(_ context.Context, st *duckdb.ChunkIteratorState) error {
		for r, err := range st.Rows() {
			if err != nil {
				return err
			}
			s, _ := (*r.GetValuePtr(0)).(string)
			if n, ok := ParseIPv6(s); ok {
				err = r.SetResult(n)
			} else {
				err = r.SetResult(nil)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}}
}

func addrFuncConfig(result duckdb.Type) duckdb.ScalarFuncConfig {
	in, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	out, _ := duckdb.NewTypeInfo(result)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{in}, ResultTypeInfo: out}
}
