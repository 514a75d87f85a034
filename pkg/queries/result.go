package queries

import (
	"database/sql"
	"slices"
)

// A Result is a query's columns and rows, read into memory.
type Result struct {
	Columns []Column
	Rows    [][]any
	// Omitted counts rows that were not read because of a row limit.
	Omitted int64
}

// A Column is a result column's name and DuckDB type name.
type Column struct {
	Name string
	Type string
}

// ReadRows reads rows into a Result, and closes them. With maxRows > 0 it keeps the first maxRows rows and counts
// the others in Omitted.
func ReadRows(rows *sql.Rows, maxRows int) (*Result, error) {
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, t := range types {
		res.Columns = append(res.Columns, Column{Name: t.Name(), Type: t.DatabaseTypeName()})
	}
	for rows.Next() {
		if maxRows > 0 && len(res.Rows) >= maxRows {
			res.Omitted++
			continue
		}
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// DropEmpty removes the named columns where every row is NULL (for example the columns of a
// lookup table that has not been filled yet), keeping the others in order.
func (r *Result) DropEmpty(names []string) {
	var keep []int
	for i, c := range r.Columns {
		empty := slices.Contains(names, c.Name)
		for _, row := range r.Rows {
			if !empty {
				break
			}
			empty = row[i] == nil
		}
		if !empty {
			keep = append(keep, i)
		}
	}
	if len(keep) == len(r.Columns) {
		return
	}
	cols := make([]Column, len(keep))
	for j, i := range keep {
		cols[j] = r.Columns[i]
	}
	r.Columns = cols
	for n, row := range r.Rows {
		out := make([]any, len(keep))
		for j, i := range keep {
			out[j] = row[i]
		}
		r.Rows[n] = out
	}
}
