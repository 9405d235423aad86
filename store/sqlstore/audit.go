package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

// AppendAudit implements [store.Audit]. A zero Time is stored as the current time.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	const op = "append audit"
	if err := s.check(op); err != nil {
		return err
	}
	at := e.Time
	if at.IsZero() {
		at = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.q.appendAudit, at.UnixNano(), e.Actor, e.Action, e.Object, e.Detail)
	return wrap(op, err)
}

// AuditPage implements [store.Audit], newest first in the order entries were appended. Cursors
// and limits work as in [Store.FollowersPage].
func (s *Store) AuditPage(ctx context.Context, cursor string, limit int) (store.Page[store.AuditEntry], error) {
	const op = "audit page"
	var page store.Page[store.AuditEntry]
	if err := s.check(op); err != nil {
		return page, err
	}
	limit, err := checkLimit(op, limit)
	if err != nil {
		return page, err
	}
	var rows *sql.Rows
	if cursor == "" {
		rows, err = s.db.QueryContext(ctx, s.q.auditFirst, limit+1)
	} else {
		seq, perr := parseCursor(cursor)
		if perr != nil {
			return page, fmt.Errorf("sqlstore: %s: %w", op, perr)
		}
		rows, err = s.db.QueryContext(ctx, s.q.auditAfter, limit+1, seq)
	}
	if err != nil {
		return page, wrap(op, err)
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		if len(page.Items) == limit {
			page.Next = formatCursor(last)
			break
		}
		var e store.AuditEntry
		var at int64
		if err := rows.Scan(&last, &at, &e.Actor, &e.Action, &e.Object, &e.Detail); err != nil {
			return store.Page[store.AuditEntry]{}, wrap(op, err)
		}
		e.Time = fromNanos(at)
		page.Items = append(page.Items, e)
	}
	if err := rows.Err(); err != nil {
		return store.Page[store.AuditEntry]{}, wrap(op, err)
	}
	return page, nil
}
