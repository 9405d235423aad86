package memstore

import (
	"context"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Audit = (*Store)(nil)

// AppendAudit adds e to the log, setting a zero Time to the current time.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	if err := check(ctx, "append audit"); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.audit = append(s.audit, auditEntry{s.seq, e})
	return nil
}

// AuditPage lists audit entries, newest first.
func (s *Store) AuditPage(ctx context.Context, cursor string, limit int) (store.Page[store.AuditEntry], error) {
	const op = "audit page"
	before, err := pageStart(ctx, op, cursor, limit)
	if err != nil {
		return store.Page[store.AuditEntry]{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return newestFirst(s.audit, func(e auditEntry) int64 { return e.seq }, before, limit,
		func(e auditEntry) store.AuditEntry { return e.e }), nil
}

type auditEntry struct {
	seq int64
	e   store.AuditEntry
}
