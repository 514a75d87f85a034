package ingest

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"
)

// Addresses are stored as integer keys: an IPv4 address is its own value (0 to 2^32-1);
// anything else (an IPv6 address, or text that is no address) gets a dense negative id from
// the flowsql_addr_keys table, the same id for every spelling of an IPv6 address. Keys group
// exactly, compress to about four bytes, and the IPv4 ones compare directly with CIDR ranges.
// ip_text(key) turns a key back into text.

// parseIPv4 returns the integer form of a dotted-quad IPv4 address.
func parseIPv4(s string) (uint32, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return binary.BigEndian.Uint32(b[:]), true
}

// canonicalAddr is the text that names a non-IPv4 address in flowsql_addr_keys: RFC 5952 for
// IPv6, the text itself otherwise.
func canonicalAddr(s string) string {
	if a, err := netip.ParseAddr(s); err == nil && a.Is6() && a.Zone() == "" {
		return a.String()
	}
	return s
}

// addrKeys assigns address keys during a load, through a function that DuckDB calls for each
// address (far faster than the SQL ip4_int). New ids are held until the load's transaction
// commits them with Save, or forgets them with Discard.
type addrKeys struct {
	name string

	mu      sync.Mutex
	ids     map[string]int64
	next    int64 // the next id to give out (negative)
	pending []string
	invalid []int64 // the ids of texts that are no address at all (999.1.1.1)
}

var addrKeysSeq atomic.Int64

// newAddrKeys reads the keys given so far and registers the key function on conn under a name
// of its own (Func).
func newAddrKeys(ctx context.Context, conn *sql.Conn) (*addrKeys, error) {
	k := &addrKeys{name: fmt.Sprintf("flowsql_addr_key_%d", addrKeysSeq.Add(1)), ids: map[string]int64{}, next: -1}
	rows, err := conn.QueryContext(ctx, `SELECT key, addr FROM flowsql_addr_keys`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var addr string
		if err := rows.Scan(&id, &addr); err != nil {
			rows.Close()
			return nil, err
		}
		k.ids[addr] = id
		k.next = min(k.next, id-1)
		if !isAddr(addr) {
			k.invalid = append(k.invalid, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := duckdb.RegisterScalarUDF(conn, k.name, addrKeyFunc{k}); err != nil {
		return nil, fmt.Errorf("register %s: %w", k.name, err)
	}
	return k, nil
}

// invalidKeys returns the keys of texts that are no address (999.1.1.1 in an address field),
// for finding the rows that hold them.
func (k *addrKeys) invalidKeys() []int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.invalid)
}

// isAddr reports whether a key's text is an address (IPv6; IPv4 addresses have no text).
func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// Func is the name of the SQL function that gives an address's key.
func (k *addrKeys) Func() string { return k.name }

// Key returns the key of an address text; false for "", "-" (no address).
func (k *addrKeys) Key(s string) (int64, bool) {
	if s == "" || s == "-" {
		return 0, false
	}
	if n, ok := parseIPv4(s); ok {
		return int64(n), true
	}
	c := canonicalAddr(s)
	k.mu.Lock()
	defer k.mu.Unlock()
	id, ok := k.ids[c]
	if !ok {
		id = k.next
		k.next--
		k.ids[c] = id
		k.pending = append(k.pending, c)
		if !isAddr(c) {
			k.invalid = append(k.invalid, id)
		}
	}
	return id, true
}

// Save writes the ids given out since the last Save into flowsql_addr_keys, inside tx.
func (k *addrKeys) Save(ctx context.Context, tx *sql.Tx) error {
	k.mu.Lock()
	pending := k.pending
	ids := make([]int64, len(pending))
	for i, a := range pending {
		ids[i] = k.ids[a]
	}
	k.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO flowsql_addr_keys (key, addr, private)
        SELECT k, a, is_private_ip(a) FROM (SELECT unnest(?::BIGINT[]) AS k, unnest(?::VARCHAR[]) AS a)`, ids, pending)
	return err
}

// Saved marks the ids written by Save as committed.
func (k *addrKeys) Saved() {
	k.mu.Lock()
	k.pending = nil
	k.mu.Unlock()
}

// Discard forgets the ids given out since the last commit: their transaction rolled back.
func (k *addrKeys) Discard() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, a := range k.pending {
		if id := k.ids[a]; !isAddr(a) {
			k.invalid = slices.DeleteFunc(k.invalid, func(x int64) bool { return x == id })
		}
		delete(k.ids, a)
	}
	k.next += int64(len(k.pending))
	k.pending = nil
}

type addrKeyFunc struct{ k *addrKeys }

func (addrKeyFunc) Config() duckdb.ScalarFuncConfig {
	in, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	out, _ := duckdb.NewTypeInfo(duckdb.TYPE_BIGINT)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{in}, ResultTypeInfo: out}
}

func (f addrKeyFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: func(_ context.Context, st *duckdb.ChunkIteratorState) error {
		for r, err := range st.Rows() {
			if err != nil {
				return err
			}
			s, _ := (*r.GetValuePtr(0)).(string)
			if key, ok := f.k.Key(s); ok {
				err = r.SetResult(key)
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
