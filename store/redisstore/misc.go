package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

// MarkSeen records id for ttl with SET NX PX and reports whether it was not recorded already;
// Redis expires the entry. A ttl below one millisecond counts as one millisecond.
func (s *Store) MarkSeen(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	const op = "mark seen"
	if err := begin(ctx, op); err != nil {
		return false, err
	}
	ttl = max(ttl, time.Millisecond)
	ok, err := s.c.SetNX(ctx, s.kSeen(id), 1, ttl).Result()
	if err != nil {
		return false, wrap(op, err)
	}
	return ok, nil
}

// ForgetSeen implements [store.Seen].
func (s *Store) ForgetSeen(ctx context.Context, id string) error {
	const op = "forget seen"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if err := s.c.Del(ctx, s.kSeen(id)).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}

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

// AppendAudit adds e to the audit stream, setting a zero Time to the current time.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	const op = "append audit"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	args := &redis.XAddArgs{
		Stream: s.kAudit(),
		Values: []any{"t", fmtTime(e.Time), "a", e.Actor, "n", e.Action, "o", e.Object, "d", e.Detail},
	}
	if s.maxLen > 0 {
		args.MaxLen, args.Approx = s.maxLen, true
	}
	if err := s.c.XAdd(ctx, args).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// isStreamID reports whether s has the form of a Redis stream entry id, the audit cursor:
// milliseconds, a dash, a sequence number.
func isStreamID(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	return ok && isDigits(ms) && isDigits(seq)
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// AuditPage lists audit entries, newest first. The cursor is the stream id of the last entry of
// the previous page.
func (s *Store) AuditPage(ctx context.Context, cursor string, limit int) (store.Page[store.AuditEntry], error) {
	const op = "audit page"
	var p store.Page[store.AuditEntry]
	if err := begin(ctx, op); err != nil {
		return p, err
	}
	if err := checkLimit(op, limit); err != nil {
		return p, err
	}
	end := "+"
	if cursor != "" {
		if !isStreamID(cursor) {
			return p, fmt.Errorf("redisstore: %s: cursor %q: %w", op, cursor, store.ErrBadCursor)
		}
		end = "(" + cursor
	}
	msgs, err := s.c.XRevRangeN(ctx, s.kAudit(), end, "-", int64(limit)+1).Result()
	if err != nil {
		return p, wrap(op, err)
	}
	if len(msgs) > limit {
		msgs = msgs[:limit]
		p.Next = msgs[limit-1].ID
	}
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		t, err := parseTime(str("t"))
		if err != nil {
			return store.Page[store.AuditEntry]{}, wrap(op, err)
		}
		p.Items = append(p.Items, store.AuditEntry{Time: t, Actor: str("a"), Action: str("n"), Object: str("o"), Detail: str("d")})
	}
	return p, nil
}
