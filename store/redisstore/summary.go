package redisstore

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.FollowerSummarizer = (*Store)(nil)
	_ store.DeliverySummarizer = (*Store)(nil)
)

// recountDaysLua: KEYS records, days. Counts the days hash again from every follower record, for
// followers added before the scripts kept it.
const recountDaysLua = dayLua + `
redis.call('DEL', KEYS[2])
local recs = redis.call('HVALS', KEYS[1])
for _, r in ipairs(recs) do
  redis.call('HINCRBY', KEYS[2], dayOf(cjson.decode(r).c), 1)
end
return #recs
`

// SummarizeFollowers implements [store.FollowerSummarizer] from the counts the follower scripts
// keep: the inbox reference counts and the days hash, read together in one MULTI. When the days
// do not add up to the followers (a store written before the days hash existed), the days are
// counted again from the records, once, by a script.
func (s *Store) SummarizeFollowers(ctx context.Context, actorID string, since time.Time, hosts int) (store.FollowerSummary, error) {
	const op = "summarize followers"
	if err := begin(ctx, op); err != nil {
		return store.FollowerSummary{}, err
	}
	for recounted := false; ; recounted = true {
		var inboxes, days *redis.MapStringStringCmd
		if _, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			inboxes = p.HGetAll(ctx, s.kInboxCount(actorID))
			days = p.HGetAll(ctx, s.kFollowDays(actorID))
			return nil
		}); err != nil {
			return store.FollowerSummary{}, wrap(op, err)
		}
		var t store.FollowerTally
		total, err := addCounts(inboxes.Val(), func(inbox string, n int) error { t.AddInbox(inbox, n); return nil })
		if err != nil {
			return store.FollowerSummary{}, wrap(op, err)
		}
		dayTotal, err := addCounts(days.Val(), func(day string, n int) error {
			d, err := strconv.ParseInt(day, 10, 64)
			if err == nil {
				t.AddDay(time.Unix(d*24*60*60, 0), n)
			}
			return err
		})
		if err != nil {
			return store.FollowerSummary{}, wrap(op, err)
		}
		if dayTotal == total || recounted {
			return t.Summary(since, hosts), nil
		}
		if err := s.sc.recountDays.Run(ctx, s.c, []string{s.kFollowRec(actorID), s.kFollowDays(actorID)}).Err(); err != nil {
			return store.FollowerSummary{}, wrap(op, err)
		}
	}
}

// addCounts calls add for each field of a hash of counts and returns their sum.
func addCounts(h map[string]string, add func(field string, n int) error) (int, error) {
	sum := 0
	for k, v := range h {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, err
		}
		if err := add(k, n); err != nil {
			return 0, err
		}
		sum += n
	}
	return sum, nil
}

// countDeliveriesLua: KEYS updates set, record index; ARGV key prefix, the earliest update time
// in Unix nanoseconds ("" for any), the same in microseconds, rounded down (the set's score).
// Counts the records of the members updated since, by host and state, and returns host, state
// and count for each pair.
const countDeliveriesLua = `
local since = ARGV[2]
local counts = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[3], '+inf')) do
  local obj = redis.call('HGET', KEYS[2], m)
  local data = obj and redis.call('HGET', ARGV[1] .. 'dr:' .. obj, m)
  if data then
    local r = cjson.decode(data)
    if since == '' or #r.u > #since or (#r.u == #since and r.u >= since) then
      local k = r.h .. '\0' .. r.s
      counts[k] = (counts[k] or 0) + 1
    end
  end
end
local out = {}
for k, n in pairs(counts) do
  local z = string.find(k, '\0', 1, true)
  table.insert(out, string.sub(k, 1, z - 1))
  table.insert(out, string.sub(k, z + 1))
  table.insert(out, n)
end
return out
`

// fillUpdatesLua: KEYS the updates set; ARGV key prefix, then member and object pairs of the
// record index. Adds the member of each pair whose record is still there, scored as
// recordDeliveryLua scores it.
const fillUpdatesLua = updateScoreLua + `
for i = 2, #ARGV, 2 do
  local rec = redis.call('HGET', ARGV[1] .. 'dr:' .. ARGV[i + 1], ARGV[i])
  if rec then
    redis.call('ZADD', KEYS[1], updateScore(rec), ARGV[i])
  end
end
return 1
`

// CountDeliveries implements [store.DeliverySummarizer] with one script over the updates set,
// which the delivery record script keeps: it reads the records updated since since, whatever
// the number before. The first call of a Store fills the set from the records written before it
// existed (see fillFromIndex), unless that was done.
func (s *Store) CountDeliveries(ctx context.Context, since time.Time) ([]store.HostDeliveries, error) {
	const op = "count deliveries"
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	if err := s.fillFromIndex(ctx, s.updateSet()); err != nil {
		return nil, wrap(op, err)
	}
	nanos, micros := "", "-inf"
	if since.After(time.Unix(0, 0)) {
		nanos, micros = fmtTime(since), strconv.FormatInt(since.UnixMicro(), 10)
	}
	vals, err := s.hsc.countDeliveries.Run(ctx, s.c, []string{s.kDeliveryUpdates(), s.kDeliveryObjects()}, s.p, nanos, micros).Slice()
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]store.HostDeliveries, 0, len(vals)/3)
	for i := 0; i+2 < len(vals); i += 3 {
		host, _ := vals[i].(string)
		state, _ := vals[i+1].(string)
		n, _ := vals[i+2].(int64)
		out = append(out, store.HostDeliveries{Host: host, State: store.DeliveryState(state), Count: int(n)})
	}
	slices.SortFunc(out, store.HostDeliveries.Compare)
	return out, nil
}
