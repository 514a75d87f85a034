package flowsql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/flowsql/flowsql/internal/flowdb"
	"github.com/flowsql/flowsql/pkg/ingest"
	"github.com/flowsql/flowsql/pkg/queries"
)

// The schema of a flowsql database has one owner: the steps below, applied in order by Open
// (Migrate) and recorded in the flowsql_schema table.
//
//   - schema/NNNN_name.sql are migrations: applied once each, in number order, never edited
//     once released (a change is a new file). 0001 holds the first release's tables with IF NOT
//     EXISTS, so that a file made by that release, which predates this table, upgrades.
//   - Some migrations need Go (flattening ranges): they are listed in goMigrations, and
//     ordered among the files by their number.
//   - schema/functions.sql holds the macros and the views over fixed tables; it is applied
//     whole again whenever it changes (each statement replaces its macro or view).
//   - The flows and tgw_flows views are generated from the tables that loads create
//     (pkg/ingest); they are rebuilt whenever their generator changes.
//   - Migrations that read the records through those views (lateMigrations) apply after them.
//   - Last, the summary's scope numbers are worked out anew whenever network_scope's value for
//     a fixed pair changes (its checksum is that value): they come from DuckDB's hash().
//
// Each step applies in a transaction of its own, with its row in flowsql_schema: a file is
// upgraded step by step, each whole or not at all, and an upgrade cut short goes on at the
// next Open.

//go:embed schema/*.sql
var schemaFS embed.FS

// SchemaTable records the steps applied to a database.
const SchemaTable = "flowsql_schema"

// step is one step of the schema.
type step struct {
	name     string
	checksum string
	repeat   bool // re-applied whenever its checksum changes
	// checksumQuery, when set, works out the checksum in the database: for a step whose
	// values depend on DuckDB's own functions (hash()), which change with its version.
	checksumQuery string
	apply         func(ctx context.Context, tx *sql.Tx) error
}

// goMigrations are the migrations written in Go, by the name that orders them.
var goMigrations = map[string]func(ctx context.Context, tx *sql.Tx) error{}

var migrationName = regexp.MustCompile(`^\d{4}_[a-z0-9_]+$`)

// steps lists the schema's steps in the order they apply.
func steps() ([]step, error) {
	var out []step
	files, err := fs.Glob(schemaFS, "schema/*.sql")
	if err != nil {
		return nil, err
	}
	var repeat []step
	for _, f := range files {
		data, err := fs.ReadFile(schemaFS, f)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(path.Base(f), ".sql")
		s := sqlStep(name, string(data))
		switch {
		case migrationName.MatchString(name):
			out = append(out, s)
		case name == "functions":
			s.repeat = true
			repeat = append(repeat, s)
		default:
			return nil, fmt.Errorf("schema file %s: name migrations NNNN_what.sql", f)
		}
	}
	for name, apply := range goMigrations {
		out = append(out, step{name: name, checksum: "go", apply: apply})
	}
	slices.SortFunc(out, func(a, b step) int { return strings.Compare(a.name, b.name) })
	numbered := slices.Sorted(maps.Keys(lateMigrations))
	for _, s := range out {
		numbered = append(numbered, s.name)
	}
	slices.Sort(numbered)
	for i := 1; i < len(numbered); i++ {
		if numbered[i][:4] == numbered[i-1][:4] {
			return nil, fmt.Errorf("schema steps %s and %s share a number", numbered[i-1], numbered[i])
		}
	}
	out = append(out, repeat...)
	out = append(out, step{name: "flow views", checksum: ingest.ViewsChecksum(), repeat: true, apply: ingest.RebuildViews})
	late := slices.Sorted(maps.Keys(lateMigrations))
	for _, name := range late {
		out = append(out, step{name: name, checksum: "go", apply: lateMigrations[name]})
	}
	out = append(out, step{name: "summary scope", checksumQuery: ingest.ScopeChecksum, repeat: true, apply: ingest.ScopeSummary})
	// The rollups that rejected and top-ports read, of the records loaded so far: made when
	// they are new, and again when how they add up changes (service_port's definition too).
	out = append(out, step{name: "rollups", checksumQuery: ingest.RollupsChecksum(), repeat: true, apply: ingest.FillRollups})
	return out, nil
}

// sqlStep is a step that runs the statements of a SQL file.
func sqlStep(name, text string) step {
	sum := sha256.Sum256([]byte(text))
	return step{name: name, checksum: hex.EncodeToString(sum[:8]), apply: func(ctx context.Context, tx *sql.Tx) error {
		stmts, rest := queries.SplitStatements(text)
		if !queries.OnlyComments(rest) {
			stmts = append(stmts, strings.TrimSpace(rest))
		}
		for i, st := range stmts {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("statement %d: %w", i+1, err)
			}
		}
		return nil
	}}
}

// queryer is what *sql.DB and *sql.Tx offer for reading.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// pendingSteps lists the steps that a database has not had, or has had in another version.
func pendingSteps(ctx context.Context, db queryer) ([]step, error) {
	all, err := steps()
	if err != nil {
		return nil, err
	}
	applied := map[string]string{}
	var exists bool
	if err := queryRow(ctx, db, `SELECT count(*) > 0 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'flowsql_schema'`, &exists); err != nil {
		return nil, err
	}
	if exists {
		rows, err := db.QueryContext(ctx, `SELECT step, checksum FROM flowsql_schema`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name, sum string
			if err := rows.Scan(&name, &sum); err != nil {
				rows.Close()
				return nil, err
			}
			applied[name] = sum
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var pending []step
	for _, s := range all {
		if s.checksumQuery != "" && (len(pending) > 0 || queryRow(ctx, db, s.checksumQuery, &s.checksum) != nil) {
			// A step before it may change what the query computes (the macros), or the query
			// needs one not yet applied: this one is pending too (its checksum is worked out
			// once the others are applied).
			pending = append(pending, s)
			continue
		}
		sum, done := applied[s.name]
		if !done || s.repeat && sum != s.checksum {
			pending = append(pending, s)
		}
	}
	return pending, nil
}

// queryRow reads one value.
func queryRow(ctx context.Context, db queryer, query string, dest any) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest); err != nil {
		return err
	}
	return rows.Close()
}

// migrate applies steps in order, each in a transaction of its own with its row in
// flowsql_schema: DuckDB cannot commit a transaction that alters a table it also changed the
// rows of (a step that adds a column after one that updates rows), and a step that a crash
// cuts short is applied again, whole, by the next Open.
func migrate(ctx context.Context, db *sql.DB, pending []step) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS flowsql_schema (
        step       VARCHAR PRIMARY KEY, -- 0001_release1, functions, flow views
        checksum   VARCHAR,             -- of the step's SQL when it was applied
        applied_at TIMESTAMP)`); err != nil {
		return fmt.Errorf("create flowsql_schema: %w", err)
	}
	for _, s := range pending {
		if err := applyStep(ctx, db, s); err != nil {
			return fmt.Errorf("upgrade the database (schema step %s): %w", s.name, err)
		}
	}
	return nil
}

// applyStep applies one step and records it, in one transaction.
func applyStep(ctx context.Context, db *sql.DB, s step) error {
	tx, err := flowdb.BeginTx(ctx, db)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.apply(ctx, tx); err != nil {
		return err
	}
	if s.checksumQuery != "" {
		if err := queryRow(ctx, tx, s.checksumQuery, &s.checksum); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO flowsql_schema VALUES (?, ?, now()::TIMESTAMP)`, s.name, s.checksum); err != nil {
		return err
	}
	return tx.Commit()
}

// Migrate brings a database opened without Open (a DuckDB handle of the caller's) to this
// release's schema. Open does this itself.
func Migrate(ctx context.Context, db *sql.DB) error {
	pending, err := pendingSteps(ctx, db)
	if err != nil || len(pending) == 0 {
		return err
	}
	return migrate(ctx, db, pending)
}
