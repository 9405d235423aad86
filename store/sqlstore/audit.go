package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Audit = (*Store)(nil)

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
	_, err := s.db.ExecContext(ctx, s.q.appendAudit, at.UnixNano(), e.Actor, e.User, e.Action, e.Object, e.Detail)
	return wrap(op, err)
}

// AuditPage implements [store.Audit], newest first in the order entries were appended. Cursors
// and limits work as in [Store.FollowersPage].
func (s *Store) AuditPage(ctx context.Context, cursor string, limit int) (store.Page[store.AuditEntry], error) {
	return seqPage(ctx, s, "audit page", s.q.auditFirst, s.q.auditAfter, nil, cursor, limit,
		func(rows *sql.Rows) (store.AuditEntry, string, error) {
			var e store.AuditEntry
			var seq, at int64
			err := rows.Scan(&seq, &at, &e.Actor, &e.User, &e.Action, &e.Object, &e.Detail)
			e.Time = fromNanos(at)
			return e, formatCursor(seq), err
		})
}
