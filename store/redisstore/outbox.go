package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.Outbox        = (*Store)(nil)
	_ store.OutboxCounter = (*Store)(nil)
)

// appendOutboxLua: KEYS outbox, sequence, the set of the outbox activities about the activity's
// object and that object, then one object key per object, the activity first. ARGV activity id,
// then five values per object (type, actor, document, published, object id), so ARGV[6] is the
// activity's object id. Returns 0 when the activity exists, 2 when the object it is about is a
// tombstone, -i when object i is one; nothing is written then.
const appendOutboxLua = `
if redis.call('EXISTS', KEYS[5]) == 1 then
  return 0
end
if ARGV[6] ~= '' and redis.call('HGET', KEYS[4], 'x') then
  return 2
end
for i = 6, #KEYS do
  if redis.call('HGET', KEYS[i], 'x') then
    return -(i - 5)
  end
end
for i = 5, #KEYS do
  local j = (i - 5) * 5 + 2
  redis.call('HSET', KEYS[i], 't', ARGV[j], 'a', ARGV[j+1], 'd', ARGV[j+2], 'p', ARGV[j+3], 'b', ARGV[j+4])
end
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
if ARGV[6] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[1])
end
return 1
`

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
	return s.zcard(ctx, "count outbox", s.kOutbox(actorID))
}
