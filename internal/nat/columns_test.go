package nat

import (
	"context"
	"testing"

	"github.com/flowsql/flowsql"
	"github.com/flowsql/flowsql/internal/flowgen"
	"github.com/flowsql/flowsql/pkg/ingest"
	"github.com/flowsql/flowsql/pkg/queries"
)

// TestQueryColumns: every nat-* query of queries.sql has the columns the analysis reads, by
// name: a column renamed or dropped in queries.sql fails here, not as a zero in a bill.
func TestQueryColumns(t *testing.T) {
	ctx := context.Background()
	db, err := flowsql.Open(ctx, flowsql.Memory, flowsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	if _, _, err := flowgen.New(flowgen.Config{Seed: 3, Files: 2, RowsPerFile: 300}).WriteTree(dir); err != nil {
		t.Fatal(err)
	}
	files, _ := ingest.LocalFiles([]string{dir})
	if _, err := ingest.Load(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	set, err := queries.ParseFS(flowsql.Queries, flowsql.QueriesFile)
	if err != nil {
		t.Fatal(err)
	}
	gw := queries.Values{"nat": flowgen.NATAddr, "nat_eni": flowgen.NATENI}
	scans := map[string]struct {
		vals queries.Values
		scan func(*queries.Result) error
	}{
		"nat-gateways":   {nil, func(r *queries.Result) error { _, err := queries.Scan[knownGateway](r); return err }},
		"nat-candidates": {nil, func(r *queries.Result) error { _, err := queries.Scan[candidate](r); return err }},
		"nat-interface":  {queries.Values{"nat": flowgen.NATAddr}, func(r *queries.Result) error { _, err := queries.Scan[natInterface](r); return err }},
		"nat-evidence":   {gw, func(r *queries.Result) error { _, err := queries.Scan[evidence](r); return err }},
		"nat-summary":    {gw, func(r *queries.Result) error { _, err := queries.Scan[summaryRow](r); return err }},
		"nat-unmeasured": {gw, func(r *queries.Result) error { _, err := queries.Scan[unmeasuredRow](r); return err }},
		"nat-edges": {queries.Values{"nat": flowgen.NATAddr, "nat_eni": flowgen.NATENI, "from": "2024-06-01T00:10:00Z", "to": "2024-06-01T00:20:00Z"},
			func(r *queries.Result) error { _, err := queries.Scan[edgesRow](r); return err }},
		"nat-sources":      {gw, func(r *queries.Result) error { _, err := queries.Scan[sourceRow](r); return err }},
		"nat-destinations": {gw, func(r *queries.Result) error { _, err := queries.Scan[bytesRow](r); return err }},
		"nat-services":     {gw, func(r *queries.Result) error { _, err := queries.Scan[serviceRow](r); return err }},
		"nat-avoidable":    {gw, func(r *queries.Result) error { _, err := queries.Scan[bytesRow](r); return err }},
		"nat-cross-az":     {gw, func(r *queries.Result) error { _, err := queries.Scan[crossAZRow](r); return err }},
		"nat-hourly":       {gw, func(r *queries.Result) error { _, err := queries.Scan[hourRow](r); return err }},
		"nat-coverage":     {queries.Values{"nat_eni": flowgen.NATENI}, func(r *queries.Result) error { _, err := queries.Scan[Coverage](r); return err }},
		"nat-billed": {queries.Values{"nat": flowgen.NATAddr, "nat_eni": flowgen.NATENI, "bill_region": flowgen.Region},
			func(r *queries.Result) error { _, err := queries.Scan[billedRow](r); return err }},
		"nat-domains": {gw, func(r *queries.Result) error { _, err := queries.Scan[domainRow](r); return err }},
		"nat-metered": {queries.Values{"nat": flowgen.NATAddr, "nat_eni": flowgen.NATENI, "nat_gateway": flowgen.NATID},
			func(r *queries.Result) error { _, err := queries.Scan[meteredRow](r); return err }},
	}
	for _, name := range set.Names() {
		if len(name) < 4 || name[:4] != "nat-" {
			continue
		}
		s, ok := scans[name]
		if !ok {
			t.Errorf("%s: the analysis reads no columns of it: add it here, or drop it from queries.sql", name)
			continue
		}
		out, err := set.Run(ctx, db, name, s.vals, queries.Filters{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := s.scan(out.Result); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		delete(scans, name)
	}
	for name := range scans {
		t.Errorf("queries.sql has no %s", name)
	}
	// A missing column is an error, not a zero.
	res := &queries.Result{Columns: []queries.Column{{Name: "processed_bytes", Type: "BIGINT"}}, Rows: [][]any{{int64(5)}}}
	if _, err := queries.Scan[summaryRow](res); err == nil {
		t.Error("a result without bytes_in_from_source scanned")
	}
}

// TestSmallAmounts: an amount or a volume too small for cents or hundredths still reads as
// what it is, not as none.
func TestSmallAmounts(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{money(0), "$0.00"},
		{money(0.0000069), "$0.0000069"},
		{money(0.0038), "$0.0038"},
		{money(1234.5), "$1,234.50"},
		{gb(0), "0.00"},
		{gb(161_600), "0.00015"},
		{gb(28 * GB), "28.00"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}
