// Package output renders query results: aligned tables for people, and CSV, JSON, NDJSON,
// Markdown and one-value-per-line for other programs and documents.
package output

import (
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/flowsql/flowsql/pkg/queries"
)

// Result is a query's columns and rows, read into memory (queries.ReadRows reads one).
type Result = queries.Result

// Column is a result column's name and DuckDB type name.
type Column = queries.Column

// Read reads rows into a Result, at most maxRows of them when maxRows > 0.
func Read(rows *sql.Rows, maxRows int) (*Result, error) { return queries.ReadRows(rows, maxRows) }

// Text renders one value as plain text ("" for NULL), exactly: no rounding, no units.
func Text(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return hex.EncodeToString(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint16:
		return strconv.FormatUint(uint64(x), 10)
	case uint8:
		return strconv.FormatUint(uint64(x), 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case *big.Int:
		return x.String()
	case duckdb.Decimal:
		return x.String()
	case time.Time:
		switch typ {
		case "DATE":
			return x.Format("2006-01-02")
		case "TIME":
			return x.Format("15:04:05.999999")
		case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
			return x.Format("2006-01-02 15:04:05.999999Z07:00")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d us", x.Months, x.Days, x.Micros)
	case fmt.Stringer:
		return x.String()
	default:
		b, err := json.Marshal(jsonValue(v, typ))
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}

// jsonValue turns a value into what encoding/json should write for it: numbers stay numbers
// (128-bit integers and decimals included, as exact JSON numbers), times become strings, and
// NaN and the infinities, which JSON has no number for, null.
func jsonValue(v any, typ string) any {
	switch x := v.(type) {
	case nil, bool, string, int64, int32, int16, int8, uint64, uint32, uint16, uint8:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		return jsonValue(float64(x), typ)
	case *big.Int:
		return json.Number(x.String())
	case duckdb.Decimal:
		return json.Number(x.String())
	case []byte, time.Time, duckdb.Interval:
		return Text(x, typ)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e, "")
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonValue(e, "")
		}
		return out
	default:
		return fmt.Sprint(v)
	}
}

// isNumeric reports whether a DuckDB type is a number, for right alignment.
func isNumeric(typ string) bool {
	switch {
	case strings.HasPrefix(typ, "DECIMAL"):
		return true
	}
	switch typ {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
		"UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL":
		return true
	}
	return false
}
