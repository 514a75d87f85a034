package queries

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// DuckDB is the local engine: reports read flow_records in the flowsql database.
type DuckDB struct{}

// Engine names the engine.
func (DuckDB) Engine() string { return "duckdb" }

// Records is the view of the flow records without the files' details (faster to scan).
func (DuckDB) Records() string { return "flow_records" }

// FilterSQL turns the filters into a condition on flow_records. Times compare with the start
// and end seconds (zone maps skip what is out of range); an IPv4 CIDR compares address keys
// with its first and last address, an IPv6 CIDR the stored IPv6 text.
func (DuckDB) FilterSQL(f Filters, first int) (string, []any, error) {
	return filterSQL(f, first, func(c string, param func(any) string) string {
		p := netip.MustParsePrefix(c)
		if p.Addr().Is4() {
			lo, hi := cidr4Range(p)
			l, h := param(lo), param(hi)
			return fmt.Sprintf("(src_ip BETWEEN %[1]s AND %[2]s OR dst_ip BETWEEN %[1]s AND %[2]s)", l, h)
		}
		c = param(c)
		return fmt.Sprintf("(in_cidr(src_ip6, %[1]s) OR in_cidr(dst_ip6, %[1]s))", c)
	}, nil)
}

// filterSQL builds the condition of the common filters that every engine spells alike (times,
// account, interface, WHERE), asking the engine for its CIDR test and for any conditions of
// its own on the time window (partitions). Values become $N parameters numbered from first.
func filterSQL(f Filters, first int, cidr func(c string, param func(any) string) string, window func(since, until time.Time) string) (string, []any, error) {
	var conds []string
	var args []any
	param := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", first+len(args)-1)
	}
	if !f.Since.IsZero() {
		conds = append(conds, `"end" >= `+param(f.Since.Unix()))
	}
	if !f.Until.IsZero() {
		conds = append(conds, `"start" < `+param(f.Until.Unix()))
	}
	if window != nil {
		if w := window(f.Since, f.Until); w != "" {
			conds = append(conds, w)
		}
	}
	if f.Account != "" {
		conds = append(conds, "account_id = "+param(f.Account))
	}
	if f.Interface != "" {
		conds = append(conds, "interface_id = "+param(f.Interface))
	}
	if f.CIDR != "" {
		c, err := ParseCIDR(f.CIDR)
		if err != nil {
			return "", nil, &ArgError{Param: "cidr", Msg: err.Error()}
		}
		conds = append(conds, cidr(c, param))
	}
	if strings.TrimSpace(f.Where) != "" {
		conds = append(conds, "("+f.Where+")")
	}
	if len(conds) == 0 {
		return "true", nil, nil
	}
	return strings.Join(conds, " AND "), args, nil
}

// cidr4Range returns the first and last address of an IPv4 prefix, as address keys.
func cidr4Range(p netip.Prefix) (int64, int64) {
	b := p.Masked().Addr().As4()
	lo := int64(binary.BigEndian.Uint32(b[:]))
	return lo, lo + (int64(1) << (32 - p.Bits())) - 1
}

// DBKeys looks up IPv6 address keys in a flowsql database.
type DBKeys struct{ DB *sql.DB }

// AddrKey returns the key an address is stored under.
func (k DBKeys) AddrKey(ctx context.Context, canonical string) (int64, bool, error) {
	var key int64
	err := k.DB.QueryRowContext(ctx, `SELECT key FROM flowsql_addr_keys WHERE addr = ?`, canonical).Scan(&key)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return key, err == nil, err
}
