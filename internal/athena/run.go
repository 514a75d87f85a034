package athena

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/flowsql/flowsql/internal/output"
)

// API is the part of the Athena client that running a query uses; *athena.Client has it.
type API interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, opts ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, opts ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, opts ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
	StopQueryExecution(ctx context.Context, in *athena.StopQueryExecutionInput, opts ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
}

// Options say where a query runs.
type Options struct {
	Workgroup string
	Output    string // s3:// location for the results ("" for the workgroup's)
	Database  string
	Catalog   string
	// Poll is the first wait between status checks (default 250 ms); it grows by half each
	// time up to MaxPoll (default 3 s).
	Poll, MaxPoll time.Duration
	// PageSize is how many rows each GetQueryResults returns (default and most 1000).
	PageSize int32
}

// PricePerTB is what Athena charges per terabyte (10^12 bytes) scanned, with 10 MB the least
// a query is billed.
const (
	PricePerTB   = 5.0
	MinimumBytes = 10 << 20
)

// Stats are what Athena says about a finished query.
type Stats struct {
	QueryID      string
	ScannedBytes int64
	EngineTime   time.Duration
	TotalTime    time.Duration
}

// Cost is what the scan costs at PricePerTB.
func (s Stats) Cost() float64 { return float64(max(s.ScannedBytes, MinimumBytes)) / 1e12 * PricePerTB }

// QueryError is a query that Athena ran and failed or cancelled.
type QueryError struct {
	QueryID, State, Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("Athena query %s %s: %s", e.QueryID, strings.ToLower(e.State), e.Reason)
}

// Run runs a statement and reads its whole result. When ctx ends first, the query is
// stopped on Athena (so that it does not go on scanning) and ctx's error returned.
func Run(ctx context.Context, client API, query string, o Options) (*output.Result, *Stats, error) {
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.MaxPoll <= 0 {
		o.MaxPoll = 3 * time.Second
	}
	if o.PageSize <= 0 || o.PageSize > 1000 {
		o.PageSize = 1000
	}
	in := &athena.StartQueryExecutionInput{QueryString: aws.String(query)}
	if o.Workgroup != "" {
		in.WorkGroup = aws.String(o.Workgroup)
	}
	if o.Output != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(o.Output)}
	}
	if o.Database != "" || o.Catalog != "" {
		in.QueryExecutionContext = &types.QueryExecutionContext{}
		if o.Database != "" {
			in.QueryExecutionContext.Database = aws.String(o.Database)
		}
		if o.Catalog != "" {
			in.QueryExecutionContext.Catalog = aws.String(o.Catalog)
		}
	}
	start, err := client.StartQueryExecution(ctx, in)
	if err != nil {
		return nil, nil, fmt.Errorf("start the Athena query: %w", err)
	}
	id := aws.ToString(start.QueryExecutionId)
	stats := &Stats{QueryID: id}
	wait := o.Poll
	for {
		select {
		case <-ctx.Done():
			stop(client, id)
			return nil, stats, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*3/2, o.MaxPoll)
		ex, err := client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			if ctx.Err() != nil {
				stop(client, id)
				return nil, stats, ctx.Err()
			}
			return nil, stats, fmt.Errorf("Athena query %s: %w", id, err)
		}
		qe := ex.QueryExecution
		if qe == nil || qe.Status == nil {
			continue
		}
		if s := qe.Statistics; s != nil {
			stats.ScannedBytes = aws.ToInt64(s.DataScannedInBytes)
			stats.EngineTime = time.Duration(aws.ToInt64(s.EngineExecutionTimeInMillis)) * time.Millisecond
			stats.TotalTime = time.Duration(aws.ToInt64(s.TotalExecutionTimeInMillis)) * time.Millisecond
		}
		switch qe.Status.State {
		case types.QueryExecutionStateSucceeded:
			res, err := results(ctx, client, id, o.PageSize)
			if err != nil && ctx.Err() != nil {
				return nil, stats, ctx.Err()
			}
			return res, stats, err
		case types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			reason := aws.ToString(qe.Status.StateChangeReason)
			if qe.Status.AthenaError != nil && aws.ToString(qe.Status.AthenaError.ErrorMessage) != "" && reason == "" {
				reason = aws.ToString(qe.Status.AthenaError.ErrorMessage)
			}
			return nil, stats, &QueryError{QueryID: id, State: string(qe.Status.State), Reason: reason}
		}
	}
}

// stop asks Athena to stop a query, on a context of its own: the caller's has ended.
func stop(client API, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client.StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)})
}

// results pages through a query's result. The first row of the first page is the header.
func results(ctx context.Context, client API, id string, pageSize int32) (*output.Result, error) {
	res := &output.Result{}
	p := athena.NewGetQueryResultsPaginator(client, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id), MaxResults: aws.Int32(pageSize)})
	first := true
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the results of Athena query %s: %w", id, err)
		}
		if page.ResultSet == nil {
			continue
		}
		if res.Columns == nil && page.ResultSet.ResultSetMetadata != nil {
			for _, c := range page.ResultSet.ResultSetMetadata.ColumnInfo {
				res.Columns = append(res.Columns, output.Column{Name: aws.ToString(c.Name), Type: duckType(aws.ToString(c.Type))})
			}
		}
		rows := page.ResultSet.Rows
		if first && len(rows) > 0 && isHeader(rows[0], res.Columns) {
			rows = rows[1:]
		}
		first = false
		for _, r := range rows {
			row := make([]any, len(res.Columns))
			for i := range row {
				if i < len(r.Data) && r.Data[i].VarCharValue != nil {
					row[i] = value(*r.Data[i].VarCharValue, res.Columns[i].Type)
				}
			}
			res.Rows = append(res.Rows, row)
		}
	}
	return res, nil
}

func isHeader(r types.Row, cols []output.Column) bool {
	if len(r.Data) != len(cols) {
		return false
	}
	for i, d := range r.Data {
		if aws.ToString(d.VarCharValue) != cols[i].Name {
			return false
		}
	}
	return true
}

// duckType names an Athena type as the output package knows types (DuckDB's names).
func duckType(t string) string {
	switch strings.ToLower(t) {
	case "tinyint", "smallint", "integer", "int":
		return "INTEGER"
	case "bigint":
		return "BIGINT"
	case "double", "float", "real":
		return "DOUBLE"
	case "boolean":
		return "BOOLEAN"
	case "timestamp", "timestamp with time zone":
		return "TIMESTAMP"
	case "date":
		return "DATE"
	}
	if strings.HasPrefix(strings.ToLower(t), "decimal") {
		return "DOUBLE"
	}
	return "VARCHAR"
}

// value turns Athena's text of a value into a Go value of its column's type.
func value(s, typ string) any {
	switch typ {
	case "INTEGER", "BIGINT":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	case "DOUBLE":
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case "BOOLEAN":
		return s == "true"
	case "TIMESTAMP":
		for _, layout := range []string{"2006-01-02 15:04:05.000", "2006-01-02 15:04:05", "2006-01-02 15:04:05.000 MST", "2006-01-02 15:04:05.000 UTC"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t
			}
		}
	}
	return s
}
