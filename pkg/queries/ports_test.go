package queries_test

import (
	"fmt"
	"testing"

	"github.com/flowsql/flowsql/pkg/queries"
)

// TestServicePorts: a download's bytes go to the client's ephemeral port; top-ports counts
// them under the service's port (from the handshake's tcp-flags where a record holds it, else
// the lower of the two), and --side destination as recorded.
func TestServicePorts(t *testing.T) {
	lines := []string{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"}
	flow := func(src, dst string, sport, dport, bytes int) {
		lines = append(lines, fmt.Sprintf("2 123456789012 eni-0a1 %s %s %d %d 6 10 %d 1717200000 1717200060 ACCEPT OK", src, dst, sport, dport, bytes))
	}
	flow("10.0.1.5", "54.0.0.1", 40000, 443, 100)  // the request
	flow("54.0.0.1", "10.0.1.5", 443, 40000, 5000) // the download
	flow("10.0.1.5", "10.0.2.9", 51000, 5432, 30)  // a query
	flow("10.0.2.9", "10.0.1.5", 5432, 51000, 700) // its answer
	// A client port below the service's (a NAT gateway's translated ports start at 1024): the
	// records that hold the handshake say which end is the server (SYN 2 out, SYN-ACK 18 back).
	handshake := []string{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags",
		"3 123456789012 eni-0a1 10.0.101.10 54.0.0.2 3000 8080 6 10 50 1717200000 1717200060 ACCEPT OK 3",
		"3 123456789012 eni-0a1 54.0.0.2 10.0.101.10 8080 3000 6 10 900 1717200000 1717200060 ACCEPT OK 19"}
	db := loadFiles(t, t.TempDir(), map[string][]string{"ports.log": lines, "handshake.log": handshake})
	ports := func(side string) string {
		vals := queries.Values{}
		if side != "" {
			vals["side"] = side
		}
		got := map[string]string{}
		for _, r := range runOn(t, db, queries.DuckDB{}, "top-ports", vals, queries.Filters{}) {
			got[fmt.Sprint(r[0])] = fmt.Sprint(r[2])
		}
		return fmt.Sprint(got)
	}
	if got, want := ports(""), fmt.Sprint(map[string]string{"443": "5100", "5432": "730", "8080": "950"}); got != want {
		t.Errorf("top-ports: %s, want %s", got, want)
	}
	if got, want := ports("destination"), fmt.Sprint(map[string]string{"443": "100", "40000": "5000", "5432": "30", "51000": "700", "8080": "50", "3000": "900"}); got != want {
		t.Errorf("top-ports --side destination: %s, want %s", got, want)
	}
}
