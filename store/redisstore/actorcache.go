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

var _ store.ActorCache = (*Store)(nil)

// putRemoteLua: KEYS actor, actor's key-id set; ARGV actor JSON, actor id, key-index prefix, then
// the new key ids. Index entries of keys the new copy no longer has are removed.
const putRemoteLua = `
local old = redis.call('SMEMBERS', KEYS[2])
for _, k in ipairs(old) do
  local ik = ARGV[3] .. k
  if redis.call('GET', ik) == ARGV[2] then
    redis.call('DEL', ik)
  end
end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1])
for i = 4, #ARGV do
  redis.call('SADD', KEYS[2], ARGV[i])
  redis.call('SET', ARGV[3] .. ARGV[i], ARGV[2])
end
return 1
`

// remoteRecord is the stored form of a remote actor.
type remoteRecord struct {
	Inbox       string            `json:"inbox"`
	SharedInbox string            `json:"sharedInbox,omitempty"`
	Keys        []store.RemoteKey `json:"keys,omitempty"`
	Document    []byte            `json:"document,omitempty"`
	FetchedAt   time.Time         `json:"fetchedAt"`
}

// PutRemoteActor stores a, replacing an earlier copy; keys the new copy lacks stop resolving.
func (s *Store) PutRemoteActor(ctx context.Context, a store.RemoteActor) error {
	const op = "put remote actor"
	if err := begin(ctx, op); err != nil {
		return err
	}
	data, err := json.Marshal(remoteRecord{Inbox: a.Inbox, SharedInbox: a.SharedInbox, Keys: a.Keys, Document: a.Document, FetchedAt: a.FetchedAt})
	if err != nil {
		return wrap(op, err)
	}
	args := []any{data, a.ID, s.kRemoteKeyPrefix()}
	for _, k := range a.Keys {
		args = append(args, k.ID)
	}
	if err := s.sc.putRemote.Run(ctx, s.c, []string{s.kRemote(a.ID), s.kRemoteKeys(a.ID)}, args...).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// RemoteActor returns a cached actor, or [store.ErrNotFound].
func (s *Store) RemoteActor(ctx context.Context, id string) (store.RemoteActor, error) {
	const op = "remote actor"
	if err := begin(ctx, op); err != nil {
		return store.RemoteActor{}, err
	}
	data, err := s.c.Get(ctx, s.kRemote(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return store.RemoteActor{}, fmt.Errorf("redisstore: %s %s: %w", op, id, store.ErrNotFound)
	}
	if err != nil {
		return store.RemoteActor{}, wrap(op, err)
	}
	var r remoteRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return store.RemoteActor{}, wrap(op, fmt.Errorf("bad stored actor %s: %w", id, err))
	}
	return store.RemoteActor{ID: id, Inbox: r.Inbox, SharedInbox: r.SharedInbox, Keys: r.Keys, Document: r.Document, FetchedAt: r.FetchedAt}, nil
}

// RemoteActorByKey returns the cached actor that published a key, or [store.ErrNotFound].
func (s *Store) RemoteActorByKey(ctx context.Context, keyID string) (store.RemoteActor, error) {
	const op = "remote actor by key"
	if err := begin(ctx, op); err != nil {
		return store.RemoteActor{}, err
	}
	id, err := s.c.Get(ctx, s.kRemoteKeyPrefix()+keyID).Result()
	if errors.Is(err, redis.Nil) {
		return store.RemoteActor{}, fmt.Errorf("redisstore: %s %s: %w", op, keyID, store.ErrNotFound)
	}
	if err != nil {
		return store.RemoteActor{}, wrap(op, err)
	}
	return s.RemoteActor(ctx, id)
}
