package flowsql

import "github.com/flowsql/flowsql/pkg/enrich"

// The migrations that need Go, by the name that orders them among schema/*.sql.
func init() {
	// Flatten AWS's ranges again: the service that names an address now prefers a named
	// service to EC2 at any length, and every segment lists all the services that hold it.
	goMigrations["0004_aws_segments"] = enrich.RebuildAWSSegments
}
