package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Relays = (*Store)(nil)

// PutRelay implements [store.Relays]: it records r, keeping the CreatedAt of the subscription it
// replaces.
func (s *Store) PutRelay(ctx context.Context, r store.Relay) error {
	const op = "put relay"
	if err := check(ctx, op); err != nil {
		return err
	}
	if r.ActorID == "" || r.ID == "" {
		return fmt.Errorf("memstore: %s: ActorID and ID are required", op)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.relays[r.ActorID]
	if m == nil {
		m = make(map[string]store.Relay)
		s.relays[r.ActorID] = m
	}
	if old, ok := m[r.ID]; ok {
		r.CreatedAt = old.CreatedAt
	}
	m[r.ID] = r
	return nil
}

// RemoveRelay implements [store.Relays].
func (s *Store) RemoveRelay(ctx context.Context, actorID, id string) error {
	const op = "remove relay"
	if err := check(ctx, op); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.relays[actorID]
	if _, ok := m[id]; !ok {
		return fmt.Errorf("memstore: %s %s of %s: %w", op, id, actorID, store.ErrNotFound)
	}
	delete(m, id)
	if len(m) == 0 {
		delete(s.relays, actorID)
	}
	return nil
}

// ActorRelays implements [store.Relays].
func (s *Store) ActorRelays(ctx context.Context, actorID string) ([]store.Relay, error) {
	if err := check(ctx, "actor relays"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.relays[actorID]
	out := make([]store.Relay, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[id])
	}
	return out, nil
}
