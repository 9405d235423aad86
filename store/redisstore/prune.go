package redisstore

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var _ store.Pruner = (*Store)(nil)

// pruneBatch is how many keys or members a prune reads and deletes per round trip.
const pruneBatch = 500

// pruneDeliveriesLua: KEYS an object's order set, its records hash, the record index, the set of
// objects with records, the updates set; ARGV the object id, then member and record JSON pairs as they were read.
// A record written since it was read stays; an object left without records leaves the set.
// Returns how many it deleted.
const pruneDeliveriesLua = `
local n = 0
for i = 2, #ARGV, 2 do
  local m = ARGV[i]
  if redis.call('HGET', KEYS[2], m) == ARGV[i + 1] then
    redis.call('ZREM', KEYS[1], m)
    redis.call('HDEL', KEYS[2], m)
    if redis.call('HGET', KEYS[3], m) == ARGV[1] then
      redis.call('HDEL', KEYS[3], m)
      redis.call('ZREM', KEYS[5], m)
    end
    n = n + 1
  end
end
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[4], ARGV[1])
end
return n
`

// pruneDeadLua: ARGV[4] the cut-off (ms), then ids. Each dead letter that died before the
// cut-off goes. Returns how many.
const pruneDeadLua = `
local n = 0
for i = 5, #ARGV do
  local id = ARGV[i]
  local died = redis.call('ZSCORE', Q .. 'dead', id)
  if died and tonumber(died) < tonumber(ARGV[4]) then
    redis.call('ZREM', Q .. 'dead', id)
    redis.call('DEL', Q .. 'd:' .. id)
    n = n + 1
  end
end
return n
`

// pruneActorLua: KEYS the actor, its key-id set; ARGV the actor JSON as read, actor id, key-index
// prefix. An actor stored again since it was read stays. Returns 1 when it deleted the actor.
const pruneActorLua = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
for _, k in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('GET', ARGV[3] .. k) == ARGV[2] then
    redis.call('DEL', ARGV[3] .. k)
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`

// PruneOperational implements [store.Pruner]: it reads a batch of 500 at a time and deletes
// with a script what is still as it read it. Remote actors are found with SCAN over their keys;
// seen ids are never counted, as Redis expires them itself.
func (s *Store) PruneOperational(ctx context.Context, p store.PruneBefore) (store.PruneCounts, error) {
	const op = "prune"
	var n store.PruneCounts
	if err := begin(ctx, op); err != nil {
		return n, err
	}
	var err error
	if !p.Deliveries.IsZero() {
		for _, obj := range p.Objects {
			k, err := s.pruneDeliveries(ctx, obj, p.Deliveries)
			n.Deliveries += k
			if err != nil {
				return n, wrap(op, err)
			}
		}
	}
	if !p.DeadLetters.IsZero() {
		if n.DeadLetters, err = s.pruneDead(ctx, p.DeadLetters); err != nil {
			return n, wrap(op, err)
		}
	}
	if !p.RemoteActors.IsZero() {
		if n.RemoteActors, err = s.pruneActors(ctx, p.RemoteActors); err != nil {
			return n, wrap(op, err)
		}
	}
	return n, nil
}

// pruneDeliveries deletes obj's finished records updated before the cut-off.
func (s *Store) pruneDeliveries(ctx context.Context, obj string, before time.Time) (int, error) {
	total, lo := 0, "-"
	keys := []string{s.kDeliveryOrder(obj), s.kDeliveryRecords(obj), s.kDeliveryObjects(), s.kDeliveryObjectSet(), s.kDeliveryUpdates()}
	for {
		members, err := s.c.ZRangeByLex(ctx, keys[0], &redis.ZRangeBy{Min: lo, Max: "+", Count: pruneBatch}).Result()
		if err != nil || len(members) == 0 {
			return total, err
		}
		vals, err := s.c.HMGet(ctx, keys[1], members...).Result()
		if err != nil {
			return total, err
		}
		args := []any{obj}
		for i, v := range vals {
			rec, ok := v.(string)
			if !ok {
				continue
			}
			var r deliveryRecord
			if err := json.Unmarshal([]byte(rec), &r); err != nil {
				return total, err
			}
			u, err := parseTime(r.U)
			if err != nil {
				return total, err
			}
			if store.DeliveryState(r.S).Final() && u.Before(before) {
				args = append(args, members[i], rec)
			}
		}
		if len(args) > 1 {
			k, err := s.sc.pruneDeliveries.Run(ctx, s.c, keys, args...).Int()
			total += k
			if err != nil {
				return total, err
			}
		}
		if len(members) < pruneBatch {
			return total, nil
		}
		lo = "(" + members[len(members)-1]
	}
}

// pruneDead deletes the dead letters that died before the cut-off, read off the dead set by score.
func (s *Store) pruneDead(ctx context.Context, before time.Time) (int, error) {
	total := 0
	upTo := "(" + strconv.FormatInt(before.UnixMilli(), 10)
	for {
		ids, err := s.c.ZRangeByScore(ctx, s.qp+"dead", &redis.ZRangeBy{Min: "-inf", Max: upTo, Count: pruneBatch}).Result()
		if err != nil || len(ids) == 0 {
			return total, err
		}
		k, err := s.runQueue(ctx, s.qsc.pruneDead, s.now(), appendStrings([]any{before.UnixMilli()}, ids)...).Int()
		total += k
		if err != nil || k == 0 {
			return total, err
		}
	}
}

// pruneActors deletes the remote actors fetched before the cut-off, found with SCAN.
func (s *Store) pruneActors(ctx context.Context, before time.Time) (int, error) {
	total, prefix := 0, s.kRemote("")
	iter := s.c.Scan(ctx, 0, globEscaper.Replace(prefix)+"*", pruneBatch).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		data, err := s.c.Get(ctx, key).Result()
		if err == redis.Nil {
			continue
		}
		if err != nil {
			return total, err
		}
		var r remoteRecord
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			return total, err
		}
		if !r.FetchedAt.Before(before) {
			continue
		}
		id := strings.TrimPrefix(key, prefix)
		k, err := s.sc.pruneActor.Run(ctx, s.c, []string{key, s.kRemoteKeys(id)}, data, id, s.kRemoteKeyPrefix()).Int()
		total += k
		if err != nil {
			return total, err
		}
	}
	return total, iter.Err()
}

// fillObjectsLua: KEYS the set of objects with records; ARGV key prefix, then member and object
// pairs of the record index. Adds the object of each pair whose record is still there.
const fillObjectsLua = `
for i = 2, #ARGV, 2 do
  if redis.call('HEXISTS', ARGV[1] .. 'dr:' .. ARGV[i + 1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[1], 0, ARGV[i + 1])
  end
end
return 1
`

// DeliveryObjects implements [store.Pruner] in byte order, with ZRANGEBYLEX over the set of
// objects that delivery records were written for; the cursor is the last id of the previous
// page. The first call of a Store fills the set from the records written before it existed (see
// fillFromIndex), unless that was done.
func (s *Store) DeliveryObjects(ctx context.Context, cursor string, limit int) (store.Page[string], error) {
	const op = "delivery objects"
	var p store.Page[string]
	if err := beginPage(ctx, op, limit); err != nil {
		return p, err
	}
	if err := s.fillFromIndex(ctx, s.objectSet()); err != nil {
		return p, wrap(op, err)
	}
	lo := "-"
	if cursor != "" {
		lo = "(" + cursor
	}
	ids, err := s.c.ZRangeByLex(ctx, s.kDeliveryObjectSet(), &redis.ZRangeBy{Min: lo, Max: "+", Count: int64(limit) + 1}).Result()
	if err != nil {
		return p, wrap(op, err)
	}
	if len(ids) > limit {
		ids = ids[:limit]
		p.Next = ids[limit-1]
	}
	p.Items = ids
	return p, nil
}
