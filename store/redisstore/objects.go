package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

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

// AppendOutbox stores activity and objects and appends activity to its actor's outbox in one
// script, so all or nothing is written. An activity id that is stored already, or an object or
// activity.ObjectID whose id was deleted, gives [store.ErrConflict].
func (s *Store) AppendOutbox(ctx context.Context, activity store.Object, objects ...store.Object) error {
	const op = "append outbox"
	if err := begin(ctx, op); err != nil {
		return err
	}
	keys := []string{s.kOutbox(activity.ActorID), s.kSeq(), s.kAbout(activity.ObjectID), s.kObject(activity.ObjectID),
		s.kObject(activity.ID)}
	args := append([]any{activity.ID}, objectArgs(activity)...)
	for _, o := range objects {
		if o.ID == activity.ID {
			return fmt.Errorf("redisstore: %s %s: carries itself: %w", op, activity.ID, store.ErrConflict)
		}
		keys = append(keys, s.kObject(o.ID))
		args = append(args, objectArgs(o)...)
	}
	n, err := s.sc.appendOutbox.Run(ctx, s.c, keys, args...).Int()
	if err != nil {
		return wrap(op, err)
	}
	switch {
	case n == 0:
		return fmt.Errorf("redisstore: %s %s: %w", op, activity.ID, store.ErrConflict)
	case n == 2:
		return fmt.Errorf("redisstore: %s %s: about deleted %s: %w", op, activity.ID, activity.ObjectID, store.ErrConflict)
	case n < 0 && -n <= len(objects):
		return fmt.Errorf("redisstore: %s %s: object %s deleted: %w", op, activity.ID, objects[-n-1].ID, store.ErrConflict)
	case n < 0:
		return fmt.Errorf("redisstore: %s %s: unexpected script result %d", op, activity.ID, n)
	}
	return nil
}

// OutboxPage lists an actor's activities, newest first. The cursor is the sequence of the last
// activity of the previous page.
func (s *Store) OutboxPage(ctx context.Context, actorID, cursor string, limit int) (store.Page[store.Object], error) {
	const op = "outbox page"
	var p store.Page[store.Object]
	ids, next, err := s.seqIDs(ctx, op, s.kOutbox(actorID), cursor, limit)
	if err != nil || len(ids) == 0 {
		return p, err
	}
	p.Next = next
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.c.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = pl.HGetAll(ctx, s.kObject(id))
		}
		return nil
	})
	if err != nil {
		return store.Page[store.Object]{}, wrap(op, err)
	}
	for i, c := range cmds {
		o, ok, err := decodeObject(ids[i], c.Val())
		if err != nil {
			return store.Page[store.Object]{}, wrap(op, err)
		}
		if ok {
			p.Items = append(p.Items, o)
		}
	}
	return p, nil
}

// CountOutbox returns how many activities an actor's outbox holds.
func (s *Store) CountOutbox(ctx context.Context, actorID string) (int, error) {
	const op = "count outbox"
	if err := begin(ctx, op); err != nil {
		return 0, err
	}
	n, err := s.c.ZCard(ctx, s.kOutbox(actorID)).Result()
	if err != nil {
		return 0, wrap(op, err)
	}
	return int(n), nil
}
