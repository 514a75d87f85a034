// Package ingest loads AWS VPC and Transit Gateway flow logs into a DuckDB database.
//
// Each file's format is detected from its first line: the header that AWS writes at the top of
// every text file it delivers to S3 (default format, any custom format of version 2 to 8
// fields, Transit Gateway logs), Parquet delivery files, and CloudWatch Logs JSON. Files without
// a header take the format the caller gives. Files that share a format load together through
// DuckDB's own CSV and Parquet readers, so rows never pass through Go one by one.
//
// Loads are idempotent and atomic: every loaded file is recorded in the ingested_files table in
// the same transaction as its rows, a file already recorded is skipped, and an interrupted load
// leaves whole files or nothing. A file whose bytes are loaded already under another name (a
// copy) is skipped, so that its records do not count twice. Lines that cannot be read are
// counted and kept in load_errors; files that cannot be read at all are reported and leave
// nothing behind.
//
// The tables are:
//
//	flows                one row per VPC flow-log record
//	tgw_flows            one row per Transit Gateway flow-log record
//	ingested_files       one row per loaded file
//	load_errors          one row per unreadable line, or per file that failed as a whole
//	flow_log_overlaps    one row per interface that more than one flow log recorded at once
//	flow_hourly          the VPC records added up by the hour (see SummaryTable)
//	flow_by_destination  flow_hourly's traffic added up by destination (see DestinationsTable)
//	flow_rejected_hourly the rejected records added up by the hour and port (see rollups.go)
//	flow_ports_hourly    the records added up by the hour and service port (see rollups.go)
package ingest
