package ingest

import "time"

// What the external tests reach inside the package.
type AddrKeys = addrKeys

var NewAddrKeys = newAddrKeys

// RecordTimes are the times a record's start and end can fall in, for a load begun now.
func RecordTimes(now time.Time) (lo, hi int64) {
	b := boundsAt(now)
	return b.lo, b.hi
}

// SetNetworkKey makes the networks' numbers key(cols) until the test ends (see networkKey).
func SetNetworkKey(t interface{ Cleanup(func()) }, key func(cols []string) string) {
	old := networkKey
	networkKey = key
	t.Cleanup(func() { networkKey = old })
}
