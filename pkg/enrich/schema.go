// Package enrich answers "whose address is this?" for the addresses in flow logs and writes the
// answers as lookup tables that reports join:
//
//	eni             network interfaces from EC2 DescribeNetworkInterfaces, snapshot after
//	                snapshot (first_seen, last_seen), so last month's deleted interfaces still
//	                explain last month's traffic
//	ip_owner        who holds an address range, from RDAP or whois: network name, organisation,
//	                country, origin AS; cached by range with a time to live
//	aws_ip_ranges   AWS's published ranges (ip-ranges.json) with their service and region
//
// One file per source (eni.go, owners.go, awsranges.go), each behind a small interface over
// the client it needs. Nested ranges (an S3 /28 inside an EC2 /11, a customer's /24 inside its
// ISP's /16) are flattened into disjoint segments where the most specific range wins, so that a
// lookup is one range test and "AMAZON" or "EC2" never hides "S3".
package enrich

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"fmt"

	"github.com/flowsql/flowsql/internal/flowdb"
)

//go:embed schema.sql
var schemaSQL string

// EnsureSchema creates the lookup tables, their views and the macros that read them, if they
// do not exist yet, and brings the views and macros up to this build's. The tables start empty,
// so that reports can always join them.
func EnsureSchema(ctx context.Context, db *sql.DB) error {
	sum := sha256.Sum256([]byte(schemaSQL))
	version := hex.EncodeToString(sum[:8])
	if v, err := flowdb.Meta(ctx, db, "enrich_schema"); err != nil || v == version {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, stmt := range flowdb.Statements(schemaSQL) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create enrichment schema (statement %d): %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM flowsql_meta WHERE key = 'enrich_schema'`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO flowsql_meta VALUES ('enrich_schema', ?)`, version); err != nil {
		return err
	}
	return tx.Commit()
}
