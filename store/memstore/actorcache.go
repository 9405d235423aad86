package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/fedsite/fedsite/store"
)

var _ store.ActorCache = (*Store)(nil)

// PutRemoteActor stores a, replacing an earlier copy and its keys.
func (s *Store) PutRemoteActor(ctx context.Context, a store.RemoteActor) error {
	if err := check(ctx, "put remote actor"); err != nil {
		return err
	}
	a = cloneRemote(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.remote[a.ID]; ok {
		for _, k := range old.Keys {
			if s.remoteKey[k.ID] == a.ID {
				delete(s.remoteKey, k.ID)
			}
		}
	}
	s.remote[a.ID] = a
	for _, k := range a.Keys {
		s.remoteKey[k.ID] = a.ID
	}
	return nil
}

// RemoteActor returns a cached actor, or [store.ErrNotFound].
func (s *Store) RemoteActor(ctx context.Context, id string) (store.RemoteActor, error) {
	if err := check(ctx, "remote actor"); err != nil {
		return store.RemoteActor{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.remote[id]
	if !ok {
		return store.RemoteActor{}, fmt.Errorf("memstore: remote actor %s: %w", id, store.ErrNotFound)
	}
	return cloneRemote(a), nil
}

// RemoteActorByKey returns the cached actor that published a key, or [store.ErrNotFound].
func (s *Store) RemoteActorByKey(ctx context.Context, keyID string) (store.RemoteActor, error) {
	if err := check(ctx, "remote actor by key"); err != nil {
		return store.RemoteActor{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id, ok := s.remoteKey[keyID]; ok {
		if a, ok := s.remote[id]; ok {
			return cloneRemote(a), nil
		}
	}
	return store.RemoteActor{}, fmt.Errorf("memstore: remote actor by key %s: %w", keyID, store.ErrNotFound)
}

func cloneRemote(a store.RemoteActor) store.RemoteActor {
	a.Keys = slices.Clone(a.Keys)
	a.Document = slices.Clone(a.Document)
	return a
}
