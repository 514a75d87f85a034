package ingest

import (
	"bytes"
	"strconv"
)

// The screen hands DuckDB each address already turned into its key (see addrKeys): an IPv4
// address is its own number, and is parsed here, on the line the screen holds anyway, rather
// than by a Go function that DuckDB would call back for every value. Each address field of a
// line becomes two fields of the stream: the key, and the text for keys below zero (IPv6, and
// text that is no address), "-" otherwise.

// encoder rewrites a record's address fields as key and text. One stream uses it at a time
// (forStream).
type encoder struct {
	addrs []int // the indices of the line's address fields, ascending
	keys  *addrKeys
	// seen are the keys of the texts this stream met that are no IPv4 address: a VPC's IPv6
	// hosts repeat, and parsing each again (as addrKeys must, to find its canonical text)
	// cost twice the rest of the line.
	seen map[string]int64
}

// forStream returns an encoder of its own for one stream, which keeps the keys it meets for
// as long as the stream runs (within one transaction: keys a rollback discards are not kept).
func (e *encoder) forStream() *encoder {
	return &encoder{addrs: e.addrs, keys: e.keys, seen: map[string]int64{}}
}

// maxSeen bounds the keys a stream keeps (a file of random addresses would otherwise keep them
// all).
const maxSeen = 1 << 16

// newEncoder returns the encoder for lines of fields (the format's, after any time prefix).
func newEncoder(k Kind, fields []Field, keys *addrKeys) *encoder {
	e := &encoder{keys: keys}
	for i, f := range fields {
		if addressPrefix(k, f.Column) != "" && f.Known() {
			e.addrs = append(e.addrs, i)
		}
	}
	return e
}

// streamFields are the fields of the stream that DuckDB reads: each address field as its key
// (BIGINT) and its text.
func streamFields(k Kind, fields []Field) []Field {
	out := make([]Field, 0, len(fields)+4)
	for _, f := range fields {
		if addressPrefix(k, f.Column) != "" && f.Known() {
			out = append(out, Field{Name: f.Name, Column: f.Column, Type: typeBigInt, Version: f.Version},
				Field{Name: f.Name + " text", Column: f.Column + "_text", Type: typeText})
			continue
		}
		out = append(out, f)
	}
	return out
}

// encode appends a record line, its addresses as keys, and a newline to dst.
func (e *encoder) encode(dst, line []byte) []byte {
	field, start, last := 0, 0, 0
	for _, a := range e.addrs {
		for field < a {
			start += bytes.IndexByte(line[start:], ' ') + 1
			field++
		}
		end := bytes.IndexByte(line[start:], ' ')
		if end < 0 {
			end = len(line)
		} else {
			end += start
		}
		dst = append(dst, line[last:start]...)
		dst = e.appendKey(dst, line[start:end])
		last = end
	}
	dst = append(dst, line[last:]...)
	return append(dst, '\n')
}

// appendKey appends an address's key and text fields: "167772421 -" for 10.0.1.5, "-1 2001:db8::1"
// for an IPv6 address, "- -" for none.
func (e *encoder) appendKey(dst, addr []byte) []byte {
	if len(addr) == 1 && addr[0] == '-' {
		return append(dst, "- -"...)
	}
	if n, ok := parseIPv4Bytes(addr); ok {
		dst = strconv.AppendUint(dst, uint64(n), 10)
		return append(dst, " -"...)
	}
	key, ok := e.seen[string(addr)]
	if !ok {
		key, _ = e.keys.Key(string(addr))
		if e.seen != nil && len(e.seen) < maxSeen {
			e.seen[string(addr)] = key
		}
	}
	dst = strconv.AppendInt(dst, key, 10)
	dst = append(dst, ' ')
	return append(dst, addr...)
}

// parseIPv4Bytes reads a dotted-quad IPv4 address as net/netip does: four decimal parts of 0 to
// 255, without leading zeros.
func parseIPv4Bytes(b []byte) (uint32, bool) {
	var n uint32
	part, digits, dots := uint32(0), 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || (i < len(b) && dots == 3) {
				return 0, false
			}
			n = n<<8 | part
			if i < len(b) {
				dots++
			}
			part, digits = 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || digits > 0 && part == 0 {
			return 0, false // not a digit, or a leading zero
		}
		part = part*10 + uint32(c-'0')
		digits++
		if part > 255 {
			return 0, false
		}
	}
	if dots != 3 {
		return 0, false
	}
	return n, true
}
