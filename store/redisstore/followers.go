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
	_ store.Followers       = (*Store)(nil)
	_ store.FollowerCounter = (*Store)(nil)
)

// addFollowerLua: KEYS order, records, inboxes, inbox counts, follow ids, hosts, sequence, days.
// ARGV follower id, record JSON, delivery inbox, follow id, follow-id value (the actor and
// follower pair), by-inbox key prefix, the follower's reversed host (empty for none). A follower that
// exists keeps its sequence (its place) and its created time "c". The by-inbox set of the
// delivery inbox holds the pair, for RemoveFollowersByInbox, and the hosts set "<reversed host>
// <pair>", for AddBlock.
const addFollowerLua = dayLua + keepCreatedLua + `
local rec = ARGV[2]
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then
  local o = cjson.decode(old)
  rec = keepCreated(old, rec)
  if redis.call('HINCRBY', KEYS[4], o.d, -1) <= 0 then
    redis.call('HDEL', KEYS[4], o.d)
    redis.call('ZREM', KEYS[3], o.d)
  end
  redis.call('SREM', ARGV[6] .. o.d, ARGV[5])
  if o.f ~= '' and redis.call('HGET', KEYS[5], o.f) == ARGV[5] then
    redis.call('HDEL', KEYS[5], o.f)
  end
else
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[7]), ARGV[1])
  redis.call('HINCRBY', KEYS[8], dayOf(cjson.decode(rec).c), 1)
end
redis.call('HSET', KEYS[2], ARGV[1], rec)
if redis.call('HINCRBY', KEYS[4], ARGV[3], 1) == 1 then
  redis.call('ZADD', KEYS[3], 0, ARGV[3])
end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[5], ARGV[4], ARGV[5])
end
redis.call('SADD', ARGV[6] .. ARGV[3], ARGV[5])
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[6], 0, ARGV[7] .. ' ' .. ARGV[5])
end
return 1
`

// removeFollowerLua: KEYS follow ids, hosts; ARGV key prefix, the actor and follower pair (see
// joinPair). Returns 0 when there was no such follower.
const removeFollowerLua = removePairLua + `
local out = {}
removePair(out, ARGV[1], ARGV[2], KEYS[1], KEYS[2])
if #out == 0 then
  return 0
end
return 1
`

// removeByInboxLua: KEYS by-inbox set of the inbox, follow ids, hosts; ARGV key prefix. Removes
// every follower in the set and returns actor, follower and record JSON of each, three values per
// follower.
const removeByInboxLua = removePairLua + `
local out = {}
for _, pair in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  removePair(out, ARGV[1], pair, KEYS[2], KEYS[3])
end
redis.call('DEL', KEYS[1])
return out
`

// followerRecord is what the followers hash holds per follower; the keys are short because there
// may be millions. C is the creation time in Unix nanoseconds, as a string so Lua's cjson keeps
// every digit. D is the delivery inbox, kept so removal can find its reference count.
type followerRecord struct {
	I string `json:"i"`
	S string `json:"s"`
	F string `json:"f"`
	C string `json:"c"`
	D string `json:"d"`
	// H is the follower's reversed host (see reverseHost), its place in the hosts set; absent
	// for a follower id without a host, and in records written before the hosts set existed.
	H string `json:"h,omitempty"`
}

func (r followerRecord) follower(actorID, followerID string) (store.Follower, error) {
	created, err := parseTime(r.C)
	if err != nil {
		return store.Follower{}, err
	}
	return store.Follower{ActorID: actorID, FollowerID: followerID, Inbox: r.I, SharedInbox: r.S, FollowID: r.F, CreatedAt: created}, nil
}

func decodeFollower(actorID, followerID, data string) (store.Follower, error) {
	var r followerRecord
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return store.Follower{}, fmt.Errorf("bad stored follower %s: %w", followerID, err)
	}
	return r.follower(actorID, followerID)
}

func (s *Store) followerKeys(actorID string) []string {
	return []string{s.kFollowOrder(actorID), s.kFollowRec(actorID), s.kInboxes(actorID), s.kInboxCount(actorID), s.kFollowIDs(), s.kFollowHosts(), s.kSeq(), s.kFollowDays(actorID)}
}

// AddFollower records f. A follower that exists keeps its CreatedAt and place; its inboxes and
// FollowID are updated. A zero CreatedAt is set to the current time.
func (s *Store) AddFollower(ctx context.Context, f store.Follower) error {
	const op = "add follower"
	if err := begin(ctx, op); err != nil {
		return err
	}
	keys, args, err := s.addFollowerArgs(f)
	if err != nil {
		return wrap(op, err)
	}
	if err := s.sc.addFollower.Run(ctx, s.c, keys, args...).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// addFollowerArgs returns the keys and arguments of the add-follower script.
func (s *Store) addFollowerArgs(f store.Follower) ([]string, []any, error) {
	if f.CreatedAt.IsZero() {
		f.CreatedAt = time.Now()
	}
	var rhost string
	if host, ok := store.HostOf(f.FollowerID); ok {
		rhost = reverseHost(host)
	}
	rec, err := json.Marshal(followerRecord{I: f.Inbox, S: f.SharedInbox, F: f.FollowID, C: fmtTime(f.CreatedAt), D: f.DeliveryInbox(), H: rhost})
	if err != nil {
		return nil, nil, err
	}
	return s.followerKeys(f.ActorID), []any{f.FollowerID, rec, f.DeliveryInbox(), f.FollowID, joinPair(f.ActorID, f.FollowerID), s.kByInboxPrefix(), rhost}, nil
}

// RemoveFollower deletes a follower, or returns [store.ErrNotFound].
func (s *Store) RemoveFollower(ctx context.Context, actorID, followerID string) error {
	const op = "remove follower"
	if err := begin(ctx, op); err != nil {
		return err
	}
	n, err := s.sc.removeFollower.Run(ctx, s.c, []string{s.kFollowIDs(), s.kFollowHosts()}, s.p, joinPair(actorID, followerID)).Int()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s %s of %s: %w", op, followerID, actorID, store.ErrNotFound)
	}
	return nil
}

// Follower returns one follower, or [store.ErrNotFound].
func (s *Store) Follower(ctx context.Context, actorID, followerID string) (store.Follower, error) {
	const op = "follower"
	if err := begin(ctx, op); err != nil {
		return store.Follower{}, err
	}
	return record(ctx, s.c, op, followerID+" of "+actorID, s.kFollowRec(actorID), followerID,
		func(data string) (store.Follower, error) { return decodeFollower(actorID, followerID, data) })
}

// FollowerByFollowID returns the follower recorded with a Follow activity id, or [store.ErrNotFound].
func (s *Store) FollowerByFollowID(ctx context.Context, followID string) (store.Follower, error) {
	const op = "follower by follow id"
	if err := begin(ctx, op); err != nil {
		return store.Follower{}, err
	}
	v, err := s.c.HGet(ctx, s.kFollowIDs(), followID).Result()
	if errors.Is(err, redis.Nil) {
		return store.Follower{}, fmt.Errorf("redisstore: %s %s: %w", op, followID, store.ErrNotFound)
	}
	if err != nil {
		return store.Follower{}, wrap(op, err)
	}
	actorID, followerID, ok := splitPair(v)
	if !ok {
		return store.Follower{}, fmt.Errorf("redisstore: %s %s: bad stored index entry %q", op, followID, v)
	}
	f, err := s.Follower(ctx, actorID, followerID)
	if err != nil {
		// The follower went away between the two reads.
		return store.Follower{}, err
	}
	return f, nil
}

// FollowersPage lists an actor's followers, newest first. The cursor is the insertion sequence of
// the last follower of the previous page.
func (s *Store) FollowersPage(ctx context.Context, actorID, cursor string, limit int) (store.Page[store.Follower], error) {
	return hashPage(ctx, s, "followers page", s.kFollowOrder(actorID), s.kFollowRec(actorID), cursor, limit,
		func(id, data string) (store.Follower, error) { return decodeFollower(actorID, id, data) })
}

// RemoveFollowersByInbox removes every follower whose delivery inbox is inbox, in one script over
// the inbox's index set, and returns them. Followers added before the index existed (stores
// written by an earlier fedsite) are not in it; re-adding them indexes them.
func (s *Store) RemoveFollowersByInbox(ctx context.Context, inbox string) ([]store.Follower, error) {
	const op = "remove followers by inbox"
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	return removedFollowers(op, s.sc.removeByInbox.Run(ctx, s.c, []string{s.kByInboxPrefix() + inbox, s.kFollowIDs(), s.kFollowHosts()}, s.p))
}

// CountFollowers returns how many followers an actor has.
func (s *Store) CountFollowers(ctx context.Context, actorID string) (int, error) {
	return s.zcard(ctx, "count followers", s.kFollowOrder(actorID))
}

// DeliveryInboxes lists the distinct delivery inboxes of an actor's followers in ascending byte
// order after the inbox named by after. It reads a range of the inbox set, whatever the number
// of followers behind it.
func (s *Store) DeliveryInboxes(ctx context.Context, actorID, after string, limit int) ([]string, error) {
	const op = "delivery inboxes"
	if err := beginPage(ctx, op, limit); err != nil {
		return nil, err
	}
	lo := "-"
	if after != "" {
		lo = "(" + after
	}
	in, err := s.c.ZRangeByLex(ctx, s.kInboxes(actorID), &redis.ZRangeBy{Min: lo, Max: "+", Count: int64(limit)}).Result()
	if err != nil {
		return nil, wrap(op, err)
	}
	return in, nil
}

// removedFollowers decodes the followers a script removed and returned, three values each (see
// decodeFollower); a failed script or a value that does not decode is an error of op.
func removedFollowers(op string, res *redis.Cmd) ([]store.Follower, error) {
	vals, err := res.StringSlice()
	if err != nil {
		return nil, wrap(op, err)
	}
	fs := make([]store.Follower, 0, len(vals)/3)
	for i := 0; i+2 < len(vals); i += 3 {
		f, err := decodeFollower(vals[i], vals[i+1], vals[i+2])
		if err != nil {
			return nil, wrap(op, err)
		}
		fs = append(fs, f)
	}
	return fs, nil
}
