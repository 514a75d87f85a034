package fakeaws

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Athena speaks enough of Athena's JSON protocol (StartQueryExecution, GetQueryExecution,
// GetQueryResults, StopQueryExecution) to run flowsql's Athena path against it. It runs each
// query on a DuckDB database standing in for Trino, after translating the few functions that
// the two spell differently; a query is QUEUED, then RUNNING for Polls status checks, then
// done, unless Hold keeps it running until it is stopped.
type Athena struct {
	DB *sql.DB
	// Polls is how many status checks a query stays running (default 1).
	Polls int
	// Hold keeps every query running until StopQueryExecution.
	Hold bool
	// PageSize caps the rows of a result page (default 1000), to exercise pagination.
	PageSize int
	// ScannedBytes is what every query reports it scanned.
	ScannedBytes int64

	mu      sync.Mutex
	queries map[string]*athenaQuery
	next    int
	// Started holds the statements received, Stopped the queries stopped, in order.
	Started []string
	Stopped []string
	// Requests counts the requests by action.
	Requests map[string]int
}

type athenaQuery struct {
	sql, workgroup, output, database string
	polls                            int
	state                            string
	reason                           string
	columns                          []map[string]string
	rows                             [][]*string
}

// trinoContains and trinoSequence match what Trino spells differently from DuckDB:
// contains(cidr, TRY_CAST(a AS IPADDRESS)), and sequence(from, to, step) (generate_series).
var (
	trinoContains = regexp.MustCompile(`contains\(([^,]+), TRY_CAST\((\w+) AS IPADDRESS\)\)`)
	trinoSequence = regexp.MustCompile(`\bsequence\(`)
)

func (f *Athena) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	action := strings.TrimPrefix(target, "AmazonAthena.")
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, 400, "InvalidRequestException", "bad JSON: "+err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.queries == nil {
		f.queries = map[string]*athenaQuery{}
		f.Requests = map[string]int{}
	}
	f.Requests[action]++
	id, _ := in["QueryExecutionId"].(string)
	q := f.queries[id]
	if action != "StartQueryExecution" && q == nil {
		jsonError(w, 400, "InvalidRequestException", "QueryExecution "+id+" was not found")
		return
	}
	switch action {
	case "StartQueryExecution":
		f.next++
		id = fmt.Sprintf("00000000-0000-4000-8000-%012d", f.next)
		q = &athenaQuery{sql: str(in["QueryString"]), workgroup: str(in["WorkGroup"]), state: "QUEUED"}
		if rc, ok := in["ResultConfiguration"].(map[string]any); ok {
			q.output = str(rc["OutputLocation"])
		}
		if qc, ok := in["QueryExecutionContext"].(map[string]any); ok {
			q.database = str(qc["Database"])
		}
		if q.workgroup == "nosuchgroup" {
			jsonError(w, 400, "InvalidRequestException", "WorkGroup nosuchgroup is not found.")
			return
		}
		f.queries[id] = q
		f.Started = append(f.Started, q.sql)
		f.execute(q)
		writeJSON(w, map[string]any{"QueryExecutionId": id})
	case "GetQueryExecution":
		q.polls++
		state := q.state
		switch {
		case q.state == "CANCELLED":
		case f.Hold || q.polls <= f.polls():
			state = "RUNNING"
		case q.reason != "":
			state, q.state = "FAILED", "FAILED"
		default:
			state, q.state = "SUCCEEDED", "SUCCEEDED"
		}
		status := map[string]any{"State": state}
		if state == "FAILED" || state == "CANCELLED" {
			status["StateChangeReason"] = q.reason
		}
		writeJSON(w, map[string]any{"QueryExecution": map[string]any{
			"QueryExecutionId": id, "Query": q.sql, "Status": status, "WorkGroup": q.workgroup,
			"Statistics": map[string]any{"DataScannedInBytes": f.ScannedBytes, "EngineExecutionTimeInMillis": 1234, "TotalExecutionTimeInMillis": 1500},
		}})
	case "GetQueryResults":
		if q.state != "SUCCEEDED" {
			jsonError(w, 400, "InvalidRequestException", "Query has not yet finished. Current state: "+q.state)
			return
		}
		size := f.PageSize
		if size <= 0 {
			size = 1000
		}
		if m, ok := in["MaxResults"].(float64); ok && int(m) < size {
			size = int(m)
		}
		// Rows are numbered with the header as row 0, as Athena's first page carries it.
		start, _ := strconv.Atoi(str(in["NextToken"]))
		all := append([][]*string{header(q.columns)}, q.rows...)
		end := min(start+size, len(all))
		var rows []any
		for _, r := range all[start:end] {
			var data []any
			for _, v := range r {
				if v == nil {
					data = append(data, map[string]any{})
				} else {
					data = append(data, map[string]any{"VarCharValue": *v})
				}
			}
			rows = append(rows, map[string]any{"Data": data})
		}
		out := map[string]any{"ResultSet": map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": q.columns}}}
		if end < len(all) {
			out["NextToken"] = strconv.Itoa(end)
		}
		writeJSON(w, out)
	case "StopQueryExecution":
		f.Stopped = append(f.Stopped, id)
		if q.state == "QUEUED" || q.state == "RUNNING" || f.Hold {
			q.state, q.reason = "CANCELLED", "Query cancelled by user"
		}
		writeJSON(w, map[string]any{})
	default:
		jsonError(w, 400, "UnknownOperationException", "unknown operation "+target)
	}
}

func (f *Athena) polls() int {
	if f.Polls <= 0 {
		return 1
	}
	return f.Polls
}

// execute runs the statement on DuckDB now; the states only pretend it takes time.
func (f *Athena) execute(q *athenaQuery) {
	stmt := trinoContains.ReplaceAllString(q.sql, "in_cidr($2, $1)")
	stmt = trinoSequence.ReplaceAllString(stmt, "generate_series(")
	rows, err := f.DB.Query(stmt)
	if err != nil {
		q.reason = "SYNTAX_ERROR: " + err.Error()
		return
	}
	defer rows.Close()
	types, _ := rows.ColumnTypes()
	for _, t := range types {
		q.columns = append(q.columns, map[string]string{"Name": t.Name(), "Label": t.Name(), "Type": trinoType(t.DatabaseTypeName())})
	}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			q.reason = err.Error()
			return
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			if v != nil {
				s := athenaText(v)
				row[i] = &s
			}
		}
		q.rows = append(q.rows, row)
	}
	if err := rows.Err(); err != nil {
		q.reason = err.Error()
	}
}

func header(cols []map[string]string) []*string {
	out := make([]*string, len(cols))
	for i, c := range cols {
		name := c["Name"]
		out[i] = &name
	}
	return out
}

func trinoType(duck string) string {
	switch {
	case duck == "BIGINT" || duck == "HUGEINT" || duck == "UBIGINT":
		return "bigint"
	case duck == "INTEGER" || duck == "SMALLINT" || duck == "TINYINT":
		return "integer"
	case duck == "DOUBLE" || duck == "FLOAT" || strings.HasPrefix(duck, "DECIMAL"):
		return "double"
	case duck == "BOOLEAN":
		return "boolean"
	case strings.HasPrefix(duck, "TIMESTAMP"):
		return "timestamp"
	case duck == "DATE":
		return "date"
	}
	return "varchar"
}

// athenaText writes a value as Athena's results do.
func athenaText(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05.000")
	case *big.Int:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

// jsonError writes an AWS JSON protocol (1.0 and 1.1) error.
func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"__type": code, "Message": msg})
}

// AthenaTable makes, in a flowsql database, the table that "flowsql athena ddl" declares over
// the same logs: the default format's columns as Athena reads text files (a "-" stays "-" in a
// string column and is NULL in a number column) and the day partition (yyyy/MM/dd, from each
// record's end), so that the Athena fake answers what Athena would. It also defines Trino's
// from_unixtime.
func AthenaTable(db *sql.DB, table string) error {
	stmts := []string{
		`CREATE OR REPLACE MACRO from_unixtime(x) AS to_timestamp(x)`,
		fmt.Sprintf(`CREATE OR REPLACE TABLE %s AS
        SELECT version, coalesce(account_id, '-') AS account_id, coalesce(interface_id, '-') AS interface_id,
               coalesce(srcaddr, '-') AS srcaddr, coalesce(dstaddr, '-') AS dstaddr, srcport, dstport,
               CAST(protocol AS BIGINT) AS protocol, packets, bytes, "start", "end",
               coalesce(CAST(action AS VARCHAR), '-') AS action, CAST(log_status AS VARCHAR) AS log_status,
               strftime(to_timestamp("end"), '%%Y/%%m/%%d') AS day
        FROM flows`, table),
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			return err
		}
	}
	return nil
}
