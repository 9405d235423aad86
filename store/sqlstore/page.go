package sqlstore

import (
	"context"
	"database/sql"

	"github.com/fedsite/fedsite/store"
)

// count runs query, which counts rows, on the read pool.
func (s *Store) count(ctx context.Context, op, query string, args ...any) (int, error) {
	if err := s.check(op); err != nil {
		return 0, err
	}
	var n int
	err := s.rdb.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, wrap(op, err)
}

// eachRow calls scan for each row of a query's result and closes it; err is the query's own
// error, returned as it is.
func eachRow(rows *sql.Rows, err error, scan func(*sql.Rows) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// collectRows reads every row of a query's result with scan, as eachRow does, into a slice.
func collectRows[T any](rows *sql.Rows, err error, scan func(*sql.Rows) (T, error)) ([]T, error) {
	var out []T
	err = eachRow(rows, err, func(rows *sql.Rows) error {
		v, err := scan(rows)
		out = append(out, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// rowScanner scans one row of a page query into an item and the cursor that points after it.
type rowScanner[T any] func(rows *sql.Rows) (item T, next string, err error)

// seqPage reads one page of a listing keyed by an insertion sequence: the first page with query
// first when cursor is empty, else a later one with query after and the decoded sequence.
func seqPage[T any](ctx context.Context, s *Store, op, first, after string, fixed []any, cursor string, limit int, scan rowScanner[T]) (store.Page[T], error) {
	if cursor == "" {
		return page(ctx, s, op, first, fixed, limit, nil, scan)
	}
	seq, err := parseCursor(cursor)
	if err != nil {
		return store.Page[T]{}, wrap(op, err)
	}
	return page(ctx, s, op, after, fixed, limit, []any{seq}, scan)
}

// page runs a page query, whose arguments are the fixed ones, the cursor's, then the row limit,
// and reads at most limit items; it asks for one row more only to tell whether a next page exists.
func page[T any](ctx context.Context, s *Store, op, query string, fixed []any, limit int, cursor []any, scan rowScanner[T]) (store.Page[T], error) {
	var p store.Page[T]
	if err := s.check(op); err != nil {
		return p, err
	}
	limit, err := checkLimit(op, limit)
	if err != nil {
		return p, err
	}
	args := append(append(append(make([]any, 0, len(fixed)+len(cursor)+1), fixed...), cursor...), limit+1)
	var next string
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	err = eachRow(rows, err, func(rows *sql.Rows) error {
		if len(p.Items) == limit {
			// The row past the limit: there is a next page.
			p.Next = next
			return nil
		}
		item, n, err := scan(rows)
		next = n
		p.Items = append(p.Items, item)
		return err
	})
	if err != nil {
		return store.Page[T]{}, wrap(op, err)
	}
	return p, nil
}
