package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.Interactions       = (*Store)(nil)
	_ store.InteractionCounter = (*Store)(nil)
)

// Interactions live in one hash of records by id and, per object and kind, a sorted set of ids
// scored by the store's sequence; one more hash maps each one-per-actor interaction's actor,
// object, kind and emoji (actorField) to its id.
func (s *Store) kInterRec() string                 { return s.p + "ih" }
func (s *Store) kInterByActor() string             { return s.p + "ia" }
func (s *Store) kInterOrderPrefix() string         { return s.p + "iz:" }
func (s *Store) kInterOrder(o, kind string) string { return s.kInterOrderPrefix() + joinPair(o, kind) }

// interactionRecord is the JSON an interaction is kept as. C is Unix nanoseconds as a string, so
// Lua's cjson keeps every digit.
type interactionRecord struct {
	K string `json:"k"`
	O string `json:"o"`
	A string `json:"a"`
	E string `json:"e,omitempty"`
	D []byte `json:"d,omitempty"`
	C string `json:"c"`
}

// actorField is the field of [Store.kInterByActor] for an actor's interaction of a kind (and
// emoji, for a reaction) on an object; removeInteractionLua builds it the same way. Without an
// emoji it is what it was before reactions existed, so that likes kept then are still found.
func actorField(objectID, kind, actorID, emoji string) string {
	f := joinPair(joinPair(objectID, kind), actorID)
	if emoji != "" {
		f = joinPair(f, emoji)
	}
	return f
}

// addInteractionLua: KEYS records, order set, sequence, by-actor hash; ARGV id, record JSON,
// by-actor field ("" for a kind an actor may have many of). An id that exists gets the new
// document "d" and keeps the rest; a field that exists keeps the older interaction. Returns 1
// when the interaction is recorded (added, or its id updated), 0 when the older one stays.
const addInteractionLua = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local o = cjson.decode(old)
  local n = cjson.decode(ARGV[2])
  o.d = n.d
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(o))
  return 1
end
if ARGV[3] ~= '' and redis.call('HSETNX', KEYS[4], ARGV[3], ARGV[1]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`

// removeInteractionLua: KEYS records, by-actor hash; ARGV id, order-set key prefix. Returns 0
// when absent. The by-actor field goes only if it names this id (replies have none).
const removeInteractionLua = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local o = cjson.decode(old)
redis.call('HDEL', KEYS[1], ARGV[1])
local pair = string.len(o.o) .. ':' .. o.o .. o.k
redis.call('ZREM', ARGV[2] .. pair, ARGV[1])
local field = string.len(pair) .. ':' .. pair .. o.a
if o.e and o.e ~= '' then
  field = string.len(field) .. ':' .. field .. o.e
end
if redis.call('HGET', KEYS[2], field) == ARGV[1] then
  redis.call('HDEL', KEYS[2], field)
end
return 1
`

// AddInteraction records i in one script and reports whether it did. An id that exists gets the
// new Document and keeps its place, CreatedAt, kind, object, actor and emoji; a Like, Announce,
// Dislike or reaction by an actor that has one of that kind (and emoji) on the object is dropped,
// and only then is added false.
func (s *Store) AddInteraction(ctx context.Context, i store.Interaction) (bool, error) {
	const op = "add interaction"
	if err := begin(ctx, op); err != nil {
		return false, err
	}
	if i.ID == "" || i.ObjectID == "" || i.Kind == "" {
		return false, fmt.Errorf("redisstore: %s: ID, Kind and ObjectID are required", op)
	}
	if i.CreatedAt.IsZero() {
		i.CreatedAt = time.Now()
	}
	rec, err := json.Marshal(interactionRecord{K: string(i.Kind), O: i.ObjectID, A: i.ActorID, E: i.Emoji, D: i.Document, C: fmtTime(i.CreatedAt)})
	if err != nil {
		return false, wrap(op, err)
	}
	field := ""
	if i.Kind.OnePerActor() {
		field = actorField(i.ObjectID, string(i.Kind), i.ActorID, i.Emoji)
	}
	keys := []string{s.kInterRec(), s.kInterOrder(i.ObjectID, string(i.Kind)), s.kSeq(), s.kInterByActor()}
	n, err := s.sc.addInteraction.Run(ctx, s.c, keys, i.ID, rec, field).Int()
	if err != nil {
		return false, wrap(op, err)
	}
	return n == 1, nil
}

func wrapNil(op string, err error) error {
	if err == nil {
		return nil
	}
	return wrap(op, err)
}

func decodeInteraction(id, data string) (store.Interaction, error) {
	var r interactionRecord
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return store.Interaction{}, fmt.Errorf("bad stored interaction %s: %w", id, err)
	}
	created, err := parseTime(r.C)
	if err != nil {
		return store.Interaction{}, err
	}
	return store.Interaction{ID: id, Kind: store.InteractionKind(r.K), ObjectID: r.O, ActorID: r.A, Emoji: r.E, Document: r.D, CreatedAt: created}, nil
}

// Interaction returns the interaction with that id, or [store.ErrNotFound].
func (s *Store) Interaction(ctx context.Context, id string) (store.Interaction, error) {
	const op = "interaction"
	if err := begin(ctx, op); err != nil {
		return store.Interaction{}, err
	}
	return record(ctx, s.c, op, id, s.kInterRec(), id,
		func(data string) (store.Interaction, error) { return decodeInteraction(id, data) })
}

// InteractionBy returns actorID's interaction of a one-per-actor kind (with emoji) on objectID,
// or [store.ErrNotFound]: it reads the id from the by-actor hash, then the record.
func (s *Store) InteractionBy(ctx context.Context, actorID, objectID string, kind store.InteractionKind, emoji string) (store.Interaction, error) {
	const op = "interaction by"
	if err := begin(ctx, op); err != nil {
		return store.Interaction{}, err
	}
	id, err := s.c.HGet(ctx, s.kInterByActor(), actorField(objectID, string(kind), actorID, emoji)).Result()
	if err == nil {
		var data string
		if data, err = s.c.HGet(ctx, s.kInterRec(), id).Result(); err == nil {
			i, err := decodeInteraction(id, data)
			return i, wrapNil(op, err)
		}
	}
	if errors.Is(err, redis.Nil) { // none, or removed between the two reads
		return store.Interaction{}, fmt.Errorf("redisstore: %s %s: %s of %s: %w", op, actorID, kind, objectID, store.ErrNotFound)
	}
	return store.Interaction{}, wrap(op, err)
}

// RemoveInteraction deletes the interaction with that id in one script, or returns [store.ErrNotFound].
func (s *Store) RemoveInteraction(ctx context.Context, id string) error {
	const op = "remove interaction"
	if err := begin(ctx, op); err != nil {
		return err
	}
	n, err := s.sc.removeInteraction.Run(ctx, s.c, []string{s.kInterRec(), s.kInterByActor()}, id, s.kInterOrderPrefix()).Int()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s %s: %w", op, id, store.ErrNotFound)
	}
	return nil
}

// InteractionsPage lists an object's interactions of one kind, newest first. The cursor is the
// insertion sequence of the last interaction of the previous page.
func (s *Store) InteractionsPage(ctx context.Context, objectID string, kind store.InteractionKind, cursor string, limit int) (store.Page[store.Interaction], error) {
	return hashPage(ctx, s, "interactions page", s.kInterOrder(objectID, string(kind)), s.kInterRec(), cursor, limit,
		decodeInteraction)
}

// CountInteractions counts an object's interactions by kind with one ZCARD per kind in a pipeline.
func (s *Store) CountInteractions(ctx context.Context, objectID string) (map[store.InteractionKind]int, error) {
	const op = "count interactions"
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	kinds := store.InteractionKinds()
	cmds := make([]*redis.IntCmd, len(kinds))
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range kinds {
			cmds[i] = p.ZCard(ctx, s.kInterOrder(objectID, string(k)))
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	counts := make(map[store.InteractionKind]int)
	for i, c := range cmds {
		if n := c.Val(); n > 0 {
			counts[kinds[i]] = int(n)
		}
	}
	return counts, nil
}
