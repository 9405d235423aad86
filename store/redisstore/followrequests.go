package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.FollowRequests = (*Store)(nil)

// addRequestLua: KEYS records, order set, sequence; ARGV follower id, record JSON. A request that
// exists keeps its place and created time "c".
const addRequestLua = keepCreatedLua + `
local rec = ARGV[2]
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  rec = keepCreated(old, rec)
else
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], rec)
return 1
`

// removeRequestLua: KEYS records, order set; ARGV follower id. Returns 0 when absent.
const removeRequestLua = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`

// Follow requests live per actor in a hash of records by follower and a sorted set of followers
// scored by the store's sequence.
func (s *Store) kReqRec(a string) string   { return s.p + "rh:" + a }
func (s *Store) kReqOrder(a string) string { return s.p + "rz:" + a }

// requestRecord is the JSON a follow request is kept as.
type requestRecord struct {
	I string `json:"i"`
	S string `json:"s"`
	F string `json:"f"`
	D []byte `json:"d,omitempty"`
	C string `json:"c"`
}

// AddFollowRequest records r in one script, replacing a pending request of the same follower to
// the same actor while keeping its place and CreatedAt.
func (s *Store) AddFollowRequest(ctx context.Context, r store.FollowRequest) error {
	const op = "add follow request"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if r.ActorID == "" || r.FollowerID == "" {
		return fmt.Errorf("redisstore: %s: ActorID and FollowerID are required", op)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now()
	}
	rec, err := json.Marshal(requestRecord{I: r.Inbox, S: r.SharedInbox, F: r.FollowID, D: r.Document, C: fmtTime(r.CreatedAt)})
	if err != nil {
		return wrap(op, err)
	}
	keys := []string{s.kReqRec(r.ActorID), s.kReqOrder(r.ActorID), s.kSeq()}
	return wrapNil(op, s.sc.addRequest.Run(ctx, s.c, keys, r.FollowerID, rec).Err())
}

func decodeRequest(actorID, followerID, data string) (store.FollowRequest, error) {
	var r requestRecord
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return store.FollowRequest{}, fmt.Errorf("bad stored follow request %s: %w", followerID, err)
	}
	created, err := parseTime(r.C)
	if err != nil {
		return store.FollowRequest{}, err
	}
	return store.FollowRequest{ActorID: actorID, FollowerID: followerID, Inbox: r.I, SharedInbox: r.S, FollowID: r.F, Document: r.D, CreatedAt: created}, nil
}

// FollowRequest returns the pending request, or [store.ErrNotFound].
func (s *Store) FollowRequest(ctx context.Context, actorID, followerID string) (store.FollowRequest, error) {
	const op = "follow request"
	if err := begin(ctx, op); err != nil {
		return store.FollowRequest{}, err
	}
	return record(ctx, s.c, op, followerID+" of "+actorID, s.kReqRec(actorID), followerID,
		func(data string) (store.FollowRequest, error) { return decodeRequest(actorID, followerID, data) })
}

// RemoveFollowRequest deletes the pending request in one script, or returns [store.ErrNotFound].
func (s *Store) RemoveFollowRequest(ctx context.Context, actorID, followerID string) error {
	const op = "remove follow request"
	if err := begin(ctx, op); err != nil {
		return err
	}
	n, err := s.sc.removeRequest.Run(ctx, s.c, []string{s.kReqRec(actorID), s.kReqOrder(actorID)}, followerID).Int()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s %s of %s: %w", op, followerID, actorID, store.ErrNotFound)
	}
	return nil
}

// FollowRequestsPage lists an actor's pending requests, newest first, paged as
// [Store.InteractionsPage].
func (s *Store) FollowRequestsPage(ctx context.Context, actorID, cursor string, limit int) (store.Page[store.FollowRequest], error) {
	return hashPage(ctx, s, "follow requests page", s.kReqOrder(actorID), s.kReqRec(actorID), cursor, limit,
		func(id, data string) (store.FollowRequest, error) { return decodeRequest(actorID, id, data) })
}
