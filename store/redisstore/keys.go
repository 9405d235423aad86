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

var _ store.Keys = (*Store)(nil)

// keyRecord is the stored form of a key pair.
type keyRecord struct {
	PrivateKeyPEM []byte    `json:"pem"`
	CreatedAt     time.Time `json:"createdAt"`
}

// KeyPair returns an actor's key of that name, or [store.ErrNotFound].
func (s *Store) KeyPair(ctx context.Context, actorID, name string) (store.KeyPair, error) {
	const op = "key pair"
	if err := begin(ctx, op); err != nil {
		return store.KeyPair{}, err
	}
	data, err := s.c.Get(ctx, s.kKeyPair(actorID, name)).Bytes()
	if errors.Is(err, redis.Nil) {
		return store.KeyPair{}, fmt.Errorf("redisstore: %s %s#%s: %w", op, actorID, name, store.ErrNotFound)
	}
	if err != nil {
		return store.KeyPair{}, wrap(op, err)
	}
	var r keyRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return store.KeyPair{}, wrap(op, fmt.Errorf("bad stored key %s#%s: %w", actorID, name, err))
	}
	return store.KeyPair{ActorID: actorID, Name: name, PrivateKeyPEM: r.PrivateKeyPEM, CreatedAt: r.CreatedAt}, nil
}

// CreateKeyPair stores a new key with SET NX, or returns [store.ErrConflict] when the actor has
// one of that name. A zero CreatedAt is set to the current time.
func (s *Store) CreateKeyPair(ctx context.Context, k store.KeyPair) error {
	const op = "create key pair"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	data, err := json.Marshal(keyRecord{PrivateKeyPEM: k.PrivateKeyPEM, CreatedAt: k.CreatedAt})
	if err != nil {
		return wrap(op, err)
	}
	ok, err := s.c.SetNX(ctx, s.kKeyPair(k.ActorID, k.Name), data, 0).Result()
	if err != nil {
		return wrap(op, err)
	}
	if !ok {
		return fmt.Errorf("redisstore: %s %s#%s: %w", op, k.ActorID, k.Name, store.ErrConflict)
	}
	return nil
}
