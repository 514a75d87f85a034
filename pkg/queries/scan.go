package queries

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"
)

// Scan reads a result's rows into values of a struct type: each field tagged `col:"name"`
// takes the column of that name, converted to the field's type (integers, floats, strings,
// times, booleans; NULL becomes the zero value). A tagged field whose column the result lacks
// is an error, so that a renamed column fails loudly rather than reading as zero.
func Scan[T any](res *Result) ([]T, error) {
	var zero T
	rt := reflect.TypeOf(zero)
	if rt.Kind() != reflect.Struct {
		return nil, fmt.Errorf("scan into %s: not a struct", rt)
	}
	cols := map[string]int{}
	for i, c := range res.Columns {
		cols[c.Name] = i
	}
	type binding struct{ field, col int }
	var binds []binding
	for i := range rt.NumField() {
		name := rt.Field(i).Tag.Get("col")
		if name == "" {
			continue
		}
		c, ok := cols[name]
		if !ok {
			return nil, fmt.Errorf("scan into %s: the result has no column %q (it has %s)", rt.Name(), name, columnNames(res))
		}
		binds = append(binds, binding{i, c})
	}
	out := make([]T, len(res.Rows))
	for r, row := range res.Rows {
		v := reflect.ValueOf(&out[r]).Elem()
		for _, b := range binds {
			if err := assign(v.Field(b.field), row[b.col]); err != nil {
				return nil, fmt.Errorf("scan into %s: column %s, row %d: %w", rt.Name(), res.Columns[b.col].Name, r+1, err)
			}
		}
	}
	return out, nil
}

// ScanOne reads a result that must hold exactly one row.
func ScanOne[T any](res *Result) (T, error) {
	var zero T
	rows, err := Scan[T](res)
	if err != nil {
		return zero, err
	}
	if len(rows) != 1 {
		return zero, fmt.Errorf("scan into %T: %d rows, want one", zero, len(rows))
	}
	return rows[0], nil
}

func columnNames(res *Result) string {
	var s string
	for i, c := range res.Columns {
		if i > 0 {
			s += ", "
		}
		s += c.Name
	}
	return s
}

// assign sets a field from a value that DuckDB returned. NULL is the zero value, or nil for
// a pointer field (which tells NULL from zero).
func assign(f reflect.Value, v any) error {
	if v == nil {
		f.SetZero()
		return nil
	}
	switch f.Kind() {
	case reflect.Pointer:
		p := reflect.New(f.Type().Elem())
		if err := assign(p.Elem(), v); err != nil {
			return err
		}
		f.Set(p)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := toInt64(v)
		if err != nil {
			return err
		}
		f.SetInt(n)
	case reflect.Float32, reflect.Float64:
		x, err := toFloat64(v)
		if err != nil {
			return err
		}
		f.SetFloat(x)
	case reflect.String:
		switch x := v.(type) {
		case string:
			f.SetString(x)
		case fmt.Stringer:
			f.SetString(x.String())
		default:
			f.SetString(fmt.Sprint(x))
		}
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("%T is not a boolean", v)
		}
		f.SetBool(b)
	default:
		if t, ok := v.(time.Time); ok && f.Type() == reflect.TypeOf(time.Time{}) {
			f.Set(reflect.ValueOf(t))
			return nil
		}
		return fmt.Errorf("cannot read %T into %s", v, f.Type())
	}
	return nil
}

// beyond64 says where a total beyond 64 bits comes from.
const beyond64 = ": only records with values no record can have add up to more than 8 EiB ('flowsql report load-errors' lists them)"

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d does not fit 64 bits%s", x, beyond64)
		}
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case *big.Int:
		if !x.IsInt64() {
			return 0, fmt.Errorf("%s does not fit 64 bits%s", x, beyond64)
		}
		return x.Int64(), nil
	case float64:
		if x != math.Trunc(x) {
			return 0, fmt.Errorf("%v is not a whole number", x)
		}
		return int64(x), nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("%T is not a number", v)
}

func toFloat64(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, nil
	}
	n, err := toInt64(v)
	return float64(n), err
}
