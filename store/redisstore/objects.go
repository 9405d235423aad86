package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Objects = (*Store)(nil)

// objectArgs are the five script arguments that describe an object.
func objectArgs(o store.Object) []any {
	return []any{o.Type, o.ActorID, o.Document, fmtTime(o.Published), o.ObjectID}
}

// decodeObject builds an object from its hash; an empty hash means there is none.
func decodeObject(id string, h map[string]string) (store.Object, bool, error) {
	if len(h) == 0 {
		return store.Object{}, false, nil
	}
	o := store.Object{ID: id, Type: h["t"], ActorID: h["a"], ObjectID: h["b"]}
	if d := h["d"]; d != "" {
		o.Document = []byte(d)
	}
	var err error
	if o.Published, err = parseTime(h["p"]); err != nil {
		return store.Object{}, false, err
	}
	if o.Deleted, err = parseTime(h["x"]); err != nil {
		return store.Object{}, false, err
	}
	return o, true, nil
}

// PutObject stores o, replacing an object with the same id; a deleted id gives [store.ErrConflict].
func (s *Store) PutObject(ctx context.Context, o store.Object) error {
	const op = "put object"
	if err := begin(ctx, op); err != nil {
		return err
	}
	n, err := s.sc.putObject.Run(ctx, s.c, []string{s.kObject(o.ID)}, objectArgs(o)...).Int()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s %s: deleted: %w", op, o.ID, store.ErrConflict)
	}
	return nil
}

// Object returns an object, deleted ones included, or [store.ErrNotFound].
func (s *Store) Object(ctx context.Context, id string) (store.Object, error) {
	const op = "object"
	if err := begin(ctx, op); err != nil {
		return store.Object{}, err
	}
	// An object hash has at most six small fields, so HGETALL is bounded.
	h, err := s.c.HGetAll(ctx, s.kObject(id)).Result()
	if err != nil {
		return store.Object{}, wrap(op, err)
	}
	o, ok, err := decodeObject(id, h)
	if err != nil {
		return store.Object{}, wrap(op, err)
	}
	if !ok {
		return store.Object{}, fmt.Errorf("redisstore: %s %s: %w", op, id, store.ErrNotFound)
	}
	return o, nil
}

// DeleteObject turns an object into a tombstone and takes the activities about it out of their
// outboxes, in one script, or returns [store.ErrNotFound]. A zero at is the current time; deleting
// a tombstone again keeps its first deletion time.
func (s *Store) DeleteObject(ctx context.Context, id string, at time.Time) error {
	const op = "delete object"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if at.IsZero() {
		at = time.Now()
	}
	n, err := s.sc.deleteObject.Run(ctx, s.c, []string{s.kObject(id), s.kAbout(id)},
		fmtTime(at), s.kObject(""), s.kOutbox("")).Int()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s %s: %w", op, id, store.ErrNotFound)
	}
	return nil
}
