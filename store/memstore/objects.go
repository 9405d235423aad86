package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Objects = (*Store)(nil)

// PutObject stores o, replacing an object with the same id; a deleted id gives [store.ErrConflict].
func (s *Store) PutObject(ctx context.Context, o store.Object) error {
	if err := check(ctx, "put object"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putObjectLocked(o)
}

func (s *Store) putObjectLocked(o store.Object) error {
	if old, ok := s.objects[o.ID]; ok && !old.Deleted.IsZero() {
		return fmt.Errorf("memstore: put object %s: deleted: %w", o.ID, store.ErrConflict)
	}
	o.Document = slices.Clone(o.Document)
	s.objects[o.ID] = o
	return nil
}

// Object returns an object, deleted ones included, or [store.ErrNotFound].
func (s *Store) Object(ctx context.Context, id string) (store.Object, error) {
	if err := check(ctx, "object"); err != nil {
		return store.Object{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.objects[id]
	if !ok {
		return store.Object{}, fmt.Errorf("memstore: object %s: %w", id, store.ErrNotFound)
	}
	o.Document = slices.Clone(o.Document)
	return o, nil
}

// DeleteObject turns an object into a tombstone and takes the activities about it out of their
// outboxes, or returns [store.ErrNotFound]. Deleting a tombstone again keeps the first deletion
// time.
func (s *Store) DeleteObject(ctx context.Context, id string, at time.Time) error {
	if err := check(ctx, "delete object"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[id]
	if !ok {
		return fmt.Errorf("memstore: delete object %s: %w", id, store.ErrNotFound)
	}
	if o.Deleted.IsZero() {
		if at.IsZero() {
			at = time.Now()
		}
		o.Deleted = at
		o.Document = nil
		s.objects[id] = o
	}
	for _, act := range s.about[id] {
		actor := s.objects[act].ActorID
		s.outbox[actor] = slices.DeleteFunc(s.outbox[actor], func(e seqID) bool { return e.id == act })
	}
	delete(s.about, id)
	return nil
}
