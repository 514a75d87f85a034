// Package flowsql holds what flowsql's packages share: the canned reports of queries.sql,
// embedded in the binary (go:embed cannot reach a parent directory, so they live at the root).
package flowsql

import "embed"

// QueriesFile is the name of the canned reports' file in Queries.
const QueriesFile = "queries.sql"

// Queries holds queries.sql.
//
//go:embed queries.sql
var Queries embed.FS
