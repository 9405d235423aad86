package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Objects = (*Store)(nil)

// putObjectLua: KEYS object; ARGV type, actor, document, published, object id. Returns 0 for a
// tombstone.
const putObjectLua = `
if redis.call('HGET', KEYS[1], 'x') then
  return 0
end
redis.call('HSET', KEYS[1], 't', ARGV[1], 'a', ARGV[2], 'd', ARGV[3], 'p', ARGV[4], 'b', ARGV[5])
return 1
`

// deleteObjectLua: KEYS object, the set of the outbox activities about it; ARGV deletion time,
// object key prefix, outbox key prefix. Returns 0 for an unknown object; a tombstone keeps its
// first deletion time. Each activity in the set leaves the outbox of its actor (its hash's "a").
const deleteObjectLua = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if not redis.call('HGET', KEYS[1], 'x') then
  redis.call('HSET', KEYS[1], 'x', ARGV[1])
  redis.call('HDEL', KEYS[1], 'd')
end
for _, act in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local actor = redis.call('HGET', ARGV[2] .. act, 'a')
  if actor then
    redis.call('ZREM', ARGV[3] .. actor, act)
  end
end
redis.call('DEL', KEYS[2])
return 1
`

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
