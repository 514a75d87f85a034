package ingest

import (
	"fmt"
	"testing"
)

// BenchmarkEncodeIPv6: the encoder on dual-stack records, whose IPv6 addresses repeat as a
// VPC's hosts do.
func BenchmarkEncodeIPv6(b *testing.B) {
	f, err := ParseFormatString("default")
	if err != nil {
		b.Fatal(err)
	}
	enc := newEncoder(VPC, f.Fields, &addrKeys{ids: map[string]int64{}, next: -1}).forStream()
	var lines [][]byte
	for i := range 64 {
		lines = append(lines, fmt.Appendf(nil, "2 123456789012 eni-1 2600:1f18:1::%x 2600:1f18:2::%x 443 1025 6 10 1000 1717200000 1717200060 ACCEPT OK", i%16, i%8))
	}
	var dst []byte
	b.ResetTimer()
	for i := range b.N {
		dst = enc.encode(dst[:0], lines[i%len(lines)])
	}
}
