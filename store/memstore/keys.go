package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Keys = (*Store)(nil)

// KeyPair returns an actor's key of that name, or [store.ErrNotFound].
func (s *Store) KeyPair(ctx context.Context, actorID, name string) (store.KeyPair, error) {
	if err := check(ctx, "key pair"); err != nil {
		return store.KeyPair{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[followerKey{actorID, name}]
	if !ok {
		return store.KeyPair{}, fmt.Errorf("memstore: key pair %s#%s: %w", actorID, name, store.ErrNotFound)
	}
	k.PrivateKeyPEM = slices.Clone(k.PrivateKeyPEM)
	return k, nil
}

// CreateKeyPair stores a new key, or returns [store.ErrConflict] when the actor has one of that name.
// A zero CreatedAt is set to the current time.
func (s *Store) CreateKeyPair(ctx context.Context, k store.KeyPair) error {
	if err := check(ctx, "create key pair"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := followerKey{k.ActorID, k.Name}
	if _, ok := s.keys[id]; ok {
		return fmt.Errorf("memstore: create key pair %s#%s: %w", k.ActorID, k.Name, store.ErrConflict)
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	k.PrivateKeyPEM = slices.Clone(k.PrivateKeyPEM)
	s.keys[id] = k
	return nil
}
