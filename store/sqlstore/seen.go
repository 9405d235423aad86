package sqlstore

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Seen = (*Store)(nil)

// pruneEvery is how many MarkSeen calls pass between two prunes of expired ids; each prune deletes
// at most pruneBatch rows, so it never stalls the caller.
const (
	pruneEvery = 1024
	pruneBatch = 1000
)

// seenHash is the key an id is stored under: the first 16 bytes of its SHA-256, so every row has
// the same small size however long the id (a URL) is. Two ids collide with probability 2⁻¹²⁸.
func seenHash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:16]
}

// MarkSeen implements [store.Seen] with one statement: insert the id's hash, or, when it is stored
// but expired, renew it. The id is new exactly when a row changed, and the database's unique index
// makes one of several concurrent callers win. Every 1024th call also deletes up to 1000 expired
// ids. A ttl of zero or less records an id that has expired at once.
//
// On SQLite, whose one writer would make every inbox request wait for its own commit, concurrent
// calls are committed together (see groupCommit), each with its own result or error. A call whose
// ctx ends before its group is taken returns ctx's error and records nothing.
func (s *Store) MarkSeen(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	const op = "mark seen"
	if err := s.check(op); err != nil {
		return false, err
	}
	now := time.Now().UnixNano()
	var n int64
	err := s.groupCommit(ctx, func(ctx context.Context, q querier) error {
		res, err := bind(ctx, q, s.markSeen).ExecContext(ctx, seenHash(id), now+int64(max(ttl, 0)), now)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
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
	_, err := s.db.ExecContext(ctx, s.q.forgetSeen, seenHash(id))
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
