package redisstore

import (
	"context"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Seen = (*Store)(nil)

// MarkSeen records id for ttl with SET NX PX and reports whether it was not recorded already;
// Redis expires the entry. A ttl below one millisecond counts as one millisecond.
func (s *Store) MarkSeen(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	const op = "mark seen"
	if err := begin(ctx, op); err != nil {
		return false, err
	}
	ttl = max(ttl, time.Millisecond)
	ok, err := s.c.SetNX(ctx, s.kSeen(id), 1, ttl).Result()
	if err != nil {
		return false, wrap(op, err)
	}
	return ok, nil
}

// ForgetSeen implements [store.Seen].
func (s *Store) ForgetSeen(ctx context.Context, id string) error {
	const op = "forget seen"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if err := s.c.Del(ctx, s.kSeen(id)).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}
