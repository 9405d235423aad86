package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.Outbox        = (*Store)(nil)
	_ store.OutboxCounter = (*Store)(nil)
)

// AppendOutbox stores activity and objects and appends activity to its actor's outbox, all or
// nothing. An activity id that is stored already, or an activity or object naming a deleted
// object, gives [store.ErrConflict].
func (s *Store) AppendOutbox(ctx context.Context, activity store.Object, objects ...store.Object) error {
	if err := check(ctx, "append outbox"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[activity.ID]; ok {
		return fmt.Errorf("memstore: append outbox %s: %w", activity.ID, store.ErrConflict)
	}
	if o, ok := s.objects[activity.ObjectID]; ok && activity.ObjectID != "" && !o.Deleted.IsZero() {
		return fmt.Errorf("memstore: append outbox %s: about deleted %s: %w", activity.ID, o.ID, store.ErrConflict)
	}
	for _, o := range objects {
		if old, ok := s.objects[o.ID]; (ok && !old.Deleted.IsZero()) || o.ID == activity.ID {
			return fmt.Errorf("memstore: append outbox %s: object %s: %w", activity.ID, o.ID, store.ErrConflict)
		}
	}
	// Every check passed, so none of the puts below can fail.
	for _, o := range append([]store.Object{activity}, objects...) {
		if err := s.putObjectLocked(o); err != nil {
			return err
		}
	}
	s.seq++
	s.outbox[activity.ActorID] = append(s.outbox[activity.ActorID], seqID{s.seq, activity.ID})
	if activity.ObjectID != "" {
		s.about[activity.ObjectID] = append(s.about[activity.ObjectID], activity.ID)
	}
	return nil
}

// OutboxPage lists an actor's activities, newest first.
func (s *Store) OutboxPage(ctx context.Context, actorID, cursor string, limit int) (store.Page[store.Object], error) {
	const op = "outbox page"
	before, err := pageStart(ctx, op, cursor, limit)
	if err != nil {
		return store.Page[store.Object]{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return newestFirst(s.outbox[actorID], func(e seqID) int64 { return e.seq }, before, limit,
		func(e seqID) store.Object {
			o := s.objects[e.id]
			o.Document = slices.Clone(o.Document)
			return o
		}), nil
}

// CountOutbox returns how many activities an actor's outbox holds.
func (s *Store) CountOutbox(ctx context.Context, actorID string) (int, error) {
	if err := check(ctx, "count outbox"); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.outbox[actorID]), nil
}

type seqID struct {
	seq int64
	id  string
}
