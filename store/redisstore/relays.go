package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Relays = (*Store)(nil)

// An actor's relay subscriptions live in one hash, a JSON record per relay id.
func (s *Store) kRelays(a string) string { return s.p + "rl:" + a }

// relayRecord is the JSON a relay subscription is kept as.
type relayRecord struct {
	S string `json:"s"`
	I string `json:"i"`
	F string `json:"f"`
	T string `json:"t"`
	C string `json:"c"`
}

// putRelayLua: KEYS relays hash; ARGV relay id, record. A record that exists gives the new one
// its creation time, so the subscription keeps it.
const putRelayLua = keepCreatedLua + `
local old = redis.call('HGET', KEYS[1], ARGV[1])
local rec = ARGV[2]
if old then
  rec = keepCreated(old, rec)
end
redis.call('HSET', KEYS[1], ARGV[1], rec)
return 1
`

// PutRelay implements [store.Relays] in one script, which keeps the CreatedAt of a subscription
// it replaces.
func (s *Store) PutRelay(ctx context.Context, r store.Relay) error {
	const op = "put relay"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if r.ActorID == "" || r.ID == "" {
		return fmt.Errorf("redisstore: %s: ActorID and ID are required", op)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now()
	}
	rec, err := json.Marshal(relayRecord{S: string(r.Style), I: r.Inbox, F: r.FollowID, T: string(r.State), C: fmtTime(r.CreatedAt)})
	if err != nil {
		return wrap(op, err)
	}
	return wrapNil(op, s.sc.putRelay.Run(ctx, s.c, []string{s.kRelays(r.ActorID)}, r.ID, rec).Err())
}

// RemoveRelay implements [store.Relays].
func (s *Store) RemoveRelay(ctx context.Context, actorID, id string) error {
	const op = "remove relay"
	if err := begin(ctx, op); err != nil {
		return err
	}
	n, err := s.c.HDel(ctx, s.kRelays(actorID), id).Result()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s %s of %s: %w", op, id, actorID, store.ErrNotFound)
	}
	return nil
}

// ActorRelays implements [store.Relays] with one HGETALL.
func (s *Store) ActorRelays(ctx context.Context, actorID string) ([]store.Relay, error) {
	return hashAll(ctx, s, "actor relays", s.kRelays(actorID), func(id, data string) (store.Relay, error) {
		var rec relayRecord
		if err := json.Unmarshal([]byte(data), &rec); err != nil {
			return store.Relay{}, fmt.Errorf("bad stored relay %s: %w", id, err)
		}
		created, err := parseTime(rec.C)
		return store.Relay{ActorID: actorID, ID: id, Style: store.RelayStyle(rec.S), Inbox: rec.I,
			FollowID: rec.F, State: store.RelayState(rec.T), CreatedAt: created}, err
	})
}
