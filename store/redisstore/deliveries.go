package redisstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var _ store.Deliveries = (*Store)(nil)

// deliveryScripts are the scripts behind host failures and delivery records.
type deliveryScripts struct {
	hostFailed, recordDelivery, countDeliveries *redis.Script
}

func (s *Store) kDeliveryOrder(obj string) string   { return s.p + "dl:" + obj }
func (s *Store) kDeliveryRecords(obj string) string { return s.p + "dr:" + obj }
func (s *Store) kDeliveryObjects() string           { return s.p + "dlo" }
func (s *Store) kDeliveryObjectSet() string         { return s.p + "dlobjs" }
func (s *Store) kDeliveryObjectsFilled() string     { return s.p + "dlobjs:filled" }
func (s *Store) kDeliveryUpdates() string           { return s.p + "du" }
func (s *Store) kDeliveryUpdatesFilled() string     { return s.p + "du:filled" }

// updateScoreLua defines updateScore(rec), the score of a record JSON in the updates set: its
// update time "u" (Unix nanoseconds as a string) in Unix microseconds, cut on the string so that
// no digit is lost to Lua's doubles.
const updateScoreLua = `
local function updateScore(rec)
  local u = cjson.decode(rec).u
  if #u > 3 then
    return tonumber(string.sub(u, 1, -4))
  end
  return 0
end
`

// recordDeliveryLua: KEYS record index (activity and inbox to object); ARGV key prefix, then
// member, object id, rank of the state ([store.DeliveryState.Rank]) and record JSON for each
// record. A record further on than the new one stays; one filed under another object moves.
// The set dlobjs lists the objects with records, for [Store.DeliveryObjects]; the updates set
// ("du") scores each member by its record's update time in Unix microseconds, for
// CountDeliveries.
const recordDeliveryLua = updateScoreLua + `
local ranks = {queued = 1, retrying = 2, delivered = 3, failed = 3}
for i = 2, #ARGV, 4 do
  local member, obj, rank, rec = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  local old = redis.call('HGET', KEYS[1], member)
  local keep = false
  if old then
    local prev = cjson.decode(redis.call('HGET', ARGV[1] .. 'dr:' .. old, member) or '{}')
    keep = (ranks[prev.s] or 0) > rank
  end
  if not keep then
    if old and old ~= obj then
      redis.call('ZREM', ARGV[1] .. 'dl:' .. old, member)
      redis.call('HDEL', ARGV[1] .. 'dr:' .. old, member)
    end
    redis.call('ZADD', ARGV[1] .. 'dl:' .. obj, 0, member)
    redis.call('ZADD', ARGV[1] .. 'dlobjs', 0, obj)
    redis.call('HSET', ARGV[1] .. 'dr:' .. obj, member, rec)
    redis.call('HSET', KEYS[1], member, obj)
    redis.call('ZADD', ARGV[1] .. 'du', updateScore(rec), member)
  end
end
return 1
`

// indexSet is a set that recordDeliveryLua keeps for every record it writes and that records
// written before the set existed are missing from, until fillFromIndex adds them.
type indexSet struct {
	key, mark string        // the set, and the key that marks it filled
	add       *redis.Script // KEYS the set; ARGV key prefix, then member and object pairs of the record index
	filled    *atomic.Bool  // set once this Store has seen the mark
}

// objectSet is the set of objects with records, which DeliveryObjects reads.
func (s *Store) objectSet() indexSet {
	return indexSet{s.kDeliveryObjectSet(), s.kDeliveryObjectsFilled(), s.sc.fillObjects, &s.objectsFilled}
}

// updateSet is the updates set, which CountDeliveries reads.
func (s *Store) updateSet() indexSet {
	return indexSet{s.kDeliveryUpdates(), s.kDeliveryUpdatesFilled(), s.sc.fillUpdates, &s.updatesFilled}
}

// fillFromIndex adds to set what the records written before it existed need, once per store: it
// walks the record index with HSCAN, pruneBatch entries at a time, hands each batch's member and
// object pairs to set.add, which skips the records that are gone by then, and marks the set
// filled. It is idempotent, so Stores filling at once, or one after another that stopped midway,
// add what is missing and nothing else.
func (s *Store) fillFromIndex(ctx context.Context, set indexSet) error {
	if set.filled.Load() {
		return nil
	}
	done, err := s.c.Exists(ctx, set.mark).Result()
	if err != nil {
		return err
	}
	for cursor := uint64(0); done == 0; {
		var kv []string
		if kv, cursor, err = s.c.HScan(ctx, s.kDeliveryObjects(), cursor, "", pruneBatch).Result(); err != nil {
			return err
		}
		// kv holds field and value by turns: an activity and inbox pair, then its object.
		if len(kv) > 0 {
			if err := set.add.Run(ctx, s.c, []string{set.key}, appendStrings([]any{s.p}, kv)...).Err(); err != nil {
				return err
			}
		}
		if cursor == 0 {
			if err := s.c.Set(ctx, set.mark, 1, 0).Err(); err != nil {
				return err
			}
			done = 1
		}
	}
	set.filled.Store(true)
	return nil
}

// deliveryRecord is what the records hash holds; object, activity and inbox are in the keys.
type deliveryRecord struct {
	H string `json:"h"`
	S string `json:"s"`
	A int    `json:"a"`
	E string `json:"e"`
	U string `json:"u"`
}

// RecordDelivery stores records under their objects: a sorted set of activity and inbox pairs
// (score 0, read in byte order) and a hash of records, written by one script for all of them, so
// all or none are stored. Activity ids holding a NUL byte are refused, as NUL separates the pair.
func (s *Store) RecordDelivery(ctx context.Context, records ...store.DeliveryRecord) error {
	const op = "record delivery"
	if err := begin(ctx, op); err != nil {
		return err
	}
	if len(records) == 0 {
		return nil
	}
	args, err := s.recordArgs(records)
	if err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if err := s.hsc.recordDelivery.Run(ctx, s.c, []string{s.kDeliveryObjects()}, args...).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// recordArgs encodes records as the arguments of the recordDelivery script; a zero UpdatedAt
// becomes the current time.
func (s *Store) recordArgs(records []store.DeliveryRecord) ([]any, error) {
	now := s.now()
	args := make([]any, 0, 1+4*len(records))
	args = append(args, s.p)
	for _, r := range records {
		if strings.ContainsRune(r.ActivityID, 0) {
			return nil, fmt.Errorf("activity id %q holds a NUL byte", r.ActivityID)
		}
		if r.UpdatedAt.IsZero() {
			r.UpdatedAt = now
		}
		rec, err := json.Marshal(deliveryRecord{H: r.Host, S: string(r.State), A: r.Attempts, E: r.LastError, U: fmtTime(r.UpdatedAt)})
		if err != nil {
			return nil, err
		}
		args = append(args, r.ActivityID+"\x00"+r.Inbox, r.ObjectID, r.State.Rank(), rec)
	}
	return args, nil
}

// DeliveriesPage lists an object's delivery records by activity, then inbox, in byte order, with
// ZRANGEBYLEX from the last pair of the previous page.
func (s *Store) DeliveriesPage(ctx context.Context, objectID, cursor string, limit int) (store.Page[store.DeliveryRecord], error) {
	const op = "deliveries page"
	var p store.Page[store.DeliveryRecord]
	if err := beginPage(ctx, op, limit); err != nil {
		return p, err
	}
	lo := "-"
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || !strings.ContainsRune(string(b), 0) {
			return p, fmt.Errorf("redisstore: %s: cursor %q: %w", op, cursor, store.ErrBadCursor)
		}
		lo = "(" + string(b)
	}
	members, err := s.c.ZRangeByLex(ctx, s.kDeliveryOrder(objectID), &redis.ZRangeBy{Min: lo, Max: "+", Count: int64(limit) + 1}).Result()
	if err != nil {
		return p, wrap(op, err)
	}
	if len(members) > limit {
		members = members[:limit]
		p.Next = base64.RawURLEncoding.EncodeToString([]byte(members[limit-1]))
	}
	if len(members) == 0 {
		return p, nil
	}
	recs, err := s.records(ctx, objectID, members)
	if err != nil {
		return store.Page[store.DeliveryRecord]{}, wrap(op, err)
	}
	for i, dr := range recs {
		if dr == nil {
			// Moved to another object between the two reads.
			continue
		}
		activity, inbox, _ := strings.Cut(members[i], "\x00")
		updated, err := parseTime(dr.U)
		if err != nil {
			return store.Page[store.DeliveryRecord]{}, wrap(op, err)
		}
		p.Items = append(p.Items, store.DeliveryRecord{
			ObjectID: objectID, ActivityID: activity, Inbox: inbox, Host: dr.H,
			State: store.DeliveryState(dr.S), Attempts: dr.A, LastError: dr.E, UpdatedAt: updated,
		})
	}
	return p, nil
}

// DeliveryStates reads the records of activityID's delivery to inboxes from the object's records
// hash with one HMGET. An activity id holding a NUL byte has no records (RecordDelivery refuses
// it), so it is answered without asking: its members would be read as another pair's.
func (s *Store) DeliveryStates(ctx context.Context, objectID, activityID string, inboxes ...string) ([]store.DeliveryState, error) {
	const op = "delivery states"
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	out := make([]store.DeliveryState, len(inboxes))
	if len(inboxes) == 0 || strings.ContainsRune(activityID, 0) {
		return out, nil
	}
	members := make([]string, len(inboxes))
	for i, inbox := range inboxes {
		members[i] = activityID + "\x00" + inbox
	}
	recs, err := s.records(ctx, objectID, members)
	if err != nil {
		return nil, wrap(op, err)
	}
	for i, dr := range recs {
		if dr != nil {
			out[i] = store.DeliveryState(dr.S)
		}
	}
	return out, nil
}

// records reads the records filed under objectID with the given members (activity NUL inbox) with
// one HMGET, nil where there is none.
func (s *Store) records(ctx context.Context, objectID string, members []string) ([]*deliveryRecord, error) {
	vals, err := s.c.HMGet(ctx, s.kDeliveryRecords(objectID), members...).Result()
	if err != nil {
		return nil, err
	}
	out := make([]*deliveryRecord, len(vals))
	for i, v := range vals {
		data, ok := v.(string)
		if !ok {
			continue
		}
		out[i] = new(deliveryRecord)
		if err := json.Unmarshal([]byte(data), out[i]); err != nil {
			return nil, fmt.Errorf("bad stored delivery record: %w", err)
		}
	}
	return out, nil
}
