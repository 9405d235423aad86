package memstore

import (
	"context"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Seen = (*Store)(nil)

// MarkSeen records id for ttl and reports whether it was not recorded already.
func (s *Store) MarkSeen(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if err := check(ctx, "mark seen"); err != nil {
		return false, err
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seenCalls++
	if s.seenCalls%pruneEvery == 0 {
		for k, exp := range s.seen {
			if !now.Before(exp) {
				delete(s.seen, k)
			}
		}
	}
	if exp, ok := s.seen[id]; ok && now.Before(exp) {
		return false, nil
	}
	s.seen[id] = now.Add(ttl)
	return true, nil
}

// ForgetSeen implements [store.Seen].
func (s *Store) ForgetSeen(ctx context.Context, id string) error {
	if err := check(ctx, "forget seen"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seen, id)
	return nil
}

// pruneEvery is how many MarkSeen calls pass between sweeps of expired entries.
const pruneEvery = 1024
