package sqlstore

import (
	"context"
	"log/slog"
	"time"
)

// pruneEvery is how many MarkSeen calls pass between two prunes of expired ids; each prune deletes
// at most pruneBatch rows, so it never stalls the caller.
const (
	pruneEvery = 1024
	pruneBatch = 1000
)

// MarkSeen implements [store.Seen] with one statement: insert the id, or, when it is stored but
// expired, renew it. The id is new exactly when a row changed, and the database's unique index
// makes one of several concurrent callers win. Every 1024th call also deletes up to 1000 expired
// ids. A ttl of zero or less records an id that has expired at once.
func (s *Store) MarkSeen(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	const op = "mark seen"
	if err := s.check(op); err != nil {
		return false, err
	}
	now := time.Now().UnixNano()
	res, err := s.db.ExecContext(ctx, s.q.markSeen, id, now+int64(max(ttl, 0)), now)
	if err != nil {
		return false, wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap(op, err)
	}
	if s.seenCalls.Add(1)%pruneEvery == 0 {
		s.pruneSeen(ctx, now)
	}
	return n > 0, nil
}

// ForgetSeen implements [store.Seen].
func (s *Store) ForgetSeen(ctx context.Context, id string) error {
	const op = "forget seen"
	if err := s.check(op); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q.forgetSeen, id)
	return wrap(op, err)
}

// pruneSeen deletes a batch of expired ids. A failure only costs disk space, so it is logged, not
// returned.
func (s *Store) pruneSeen(ctx context.Context, now int64) {
	res, err := s.db.ExecContext(ctx, s.q.pruneSeen, now, pruneBatch)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelDebug, "pruning expired seen ids failed", slog.Any("error", err))
		return
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		s.log.LogAttrs(ctx, slog.LevelDebug, "pruned expired seen ids", slog.Int64("count", n))
	}
}
