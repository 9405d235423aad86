package redisstore

import "github.com/redis/go-redis/v9"

// scripts are the Lua scripts behind writes that touch several keys. Each runs atomically on the
// server, which is what makes read-then-write rules (a follower's place, inbox reference counts,
// tombstones blocking reuse) hold under concurrency.
type scripts struct {
	addFollower, removeFollower, putObject, deleteObject, appendOutbox, putRemote *redis.Script
	removeByInbox                                                                 *redis.Script
	addInteraction, removeInteraction, addRequest, removeRequest                  *redis.Script
	addBlock                                                                      *redis.Script
	appendRecord                                                                  *redis.Script
	recountDays                                                                   *redis.Script
	putRelay, hideReply                                                           *redis.Script
	pruneDeliveries, pruneActor, fillObjects                                      *redis.Script
}

func newScripts() scripts {
	return scripts{
		addFollower:    redis.NewScript(addFollowerLua),
		removeFollower: redis.NewScript(removeFollowerLua),
		putObject:      redis.NewScript(putObjectLua),
		deleteObject:   redis.NewScript(deleteObjectLua),
		appendOutbox:   redis.NewScript(appendOutboxLua),
		putRemote:      redis.NewScript(putRemoteLua),
		removeByInbox:  redis.NewScript(removeByInboxLua),

		addInteraction:    redis.NewScript(addInteractionLua),
		removeInteraction: redis.NewScript(removeInteractionLua),
		addRequest:        redis.NewScript(addRequestLua),
		removeRequest:     redis.NewScript(removeRequestLua),

		addBlock:     redis.NewScript(addBlockLua),
		appendRecord: redis.NewScript(appendRecordLua),
		recountDays:  redis.NewScript(recountDaysLua),
		putRelay:     redis.NewScript(putRelayLua),
		hideReply:    redis.NewScript(hideReplyLua),

		pruneDeliveries: redis.NewScript(pruneDeliveriesLua),
		pruneActor:      redis.NewScript(pruneActorLua),
		fillObjects:     redis.NewScript(fillObjectsLua),
	}
}

// dayLua defines dayOf(c), the UTC day number from the Unix epoch of a follower's created time
// "c" (Unix nanoseconds as a string), computed on the seconds so that no digit is lost to Lua's
// doubles. The days hash of an actor ("fd:" and the actor) counts its followers by that day.
const dayLua = `
local function dayOf(c)
  local secs = 0
  if #c > 9 then
    secs = tonumber(string.sub(c, 1, -10))
  end
  return math.floor(secs / 86400)
end
`

// keepCreatedLua defines keepCreated(old, rec), which returns the record JSON rec with the
// created time "c" of the record JSON old it replaces, so that a record written again keeps it.
const keepCreatedLua = `
local function keepCreated(old, rec)
  local n = cjson.decode(rec)
  n.c = cjson.decode(old).c
  return cjson.encode(n)
end
`

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

// removeFollowerLua: KEYS as addFollowerLua without the sequence (the days last); ARGV follower
// id, follow-id value, by-inbox key prefix. Returns 0 when there was no such follower.
const removeFollowerLua = dayLua + `
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then
  return 0
end
local o = cjson.decode(old)
redis.call('SREM', ARGV[3] .. o.d, ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('HINCRBY', KEYS[7], dayOf(o.c), -1) <= 0 then
  redis.call('HDEL', KEYS[7], dayOf(o.c))
end
if redis.call('HINCRBY', KEYS[4], o.d, -1) <= 0 then
  redis.call('HDEL', KEYS[4], o.d)
  redis.call('ZREM', KEYS[3], o.d)
end
if o.f ~= '' and redis.call('HGET', KEYS[5], o.f) == ARGV[2] then
  redis.call('HDEL', KEYS[5], o.f)
end
if o.h then
  redis.call('ZREM', KEYS[6], o.h .. ' ' .. ARGV[2])
end
return 1
`

// putObjectLua: KEYS object; ARGV type, actor, document, published, object id. Returns 0 for a
// tombstone.
const putObjectLua = `
if redis.call('HGET', KEYS[1], 'x') then
  return 0
end
redis.call('HSET', KEYS[1], 't', ARGV[1], 'a', ARGV[2], 'd', ARGV[3], 'p', ARGV[4], 'b', ARGV[5])
return 1
`

// deleteObjectLua: KEYS object, the set of the outbox activities about it; ARGV deletion time,
// object key prefix, outbox key prefix. Returns 0 for an unknown object; a tombstone keeps its
// first deletion time. Each activity in the set leaves the outbox of its actor (its hash's "a").
const deleteObjectLua = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if not redis.call('HGET', KEYS[1], 'x') then
  redis.call('HSET', KEYS[1], 'x', ARGV[1])
  redis.call('HDEL', KEYS[1], 'd')
end
for _, act in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local actor = redis.call('HGET', ARGV[2] .. act, 'a')
  if actor then
    redis.call('ZREM', ARGV[3] .. actor, act)
  end
end
redis.call('DEL', KEYS[2])
return 1
`

// appendOutboxLua: KEYS outbox, sequence, the set of the outbox activities about the activity's
// object and that object, then one object key per object, the activity first. ARGV activity id,
// then five values per object (type, actor, document, published, object id), so ARGV[6] is the
// activity's object id. Returns 0 when the activity exists, 2 when the object it is about is a
// tombstone, -i when object i is one; nothing is written then.
const appendOutboxLua = `
if redis.call('EXISTS', KEYS[5]) == 1 then
  return 0
end
if ARGV[6] ~= '' and redis.call('HGET', KEYS[4], 'x') then
  return 2
end
for i = 6, #KEYS do
  if redis.call('HGET', KEYS[i], 'x') then
    return -(i - 5)
  end
end
for i = 5, #KEYS do
  local j = (i - 5) * 5 + 2
  redis.call('HSET', KEYS[i], 't', ARGV[j], 'a', ARGV[j+1], 'd', ARGV[j+2], 'p', ARGV[j+3], 'b', ARGV[j+4])
end
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
if ARGV[6] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[1])
end
return 1
`

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

// removePairLua defines removePair(out, p, pair, fids, hosts), which removes the follower of an
// actor and follower pair, as removeFollowerLua does, given the key prefix, the follow-ids hash and
// the hosts set, and appends the actor, the follower and the record JSON to out; nothing when there
// is no such follower.
// Pairs are split as splitPair does: length of the actor id, a colon, the actor id, the follower
// id.
const removePairLua = dayLua + `
local function splitPair(pair)
  local c = string.find(pair, ':', 1, true)
  local n = tonumber(string.sub(pair, 1, c - 1))
  return string.sub(pair, c + 1, c + n), string.sub(pair, c + n + 1)
end
local function removePair(out, p, pair, fids, hosts)
  local a, f = splitPair(pair)
  local recs = p .. 'fh:' .. a
  local old = redis.call('HGET', recs, f)
  if not old then
    return
  end
  local o = cjson.decode(old)
  redis.call('HDEL', recs, f)
  redis.call('ZREM', p .. 'fz:' .. a, f)
  if redis.call('HINCRBY', p .. 'fd:' .. a, dayOf(o.c), -1) <= 0 then
    redis.call('HDEL', p .. 'fd:' .. a, dayOf(o.c))
  end
  if redis.call('HINCRBY', p .. 'fc:' .. a, o.d, -1) <= 0 then
    redis.call('HDEL', p .. 'fc:' .. a, o.d)
    redis.call('ZREM', p .. 'fi:' .. a, o.d)
  end
  if o.f ~= '' and redis.call('HGET', fids, o.f) == pair then
    redis.call('HDEL', fids, o.f)
  end
  redis.call('SREM', p .. 'fb:' .. o.d, pair)
  if o.h then
    redis.call('ZREM', hosts, o.h .. ' ' .. pair)
  end
  table.insert(out, a)
  table.insert(out, f)
  table.insert(out, old)
end
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

// addBlockLua: KEYS blocks hash, blocks order, sequence, follow ids, hosts; ARGV key prefix,
// target, record JSON, the blocked actor (empty for a domain block), then pairs of ZRANGEBYLEX
// bounds of the hosts set that hold the followers the block may cover. Records the block unless
// its target is there, then removes the followers in those ranges (for an actor block, those
// whose id is the actor's or lies under it, as store.BlockTargets says) and returns them as
// removeByInboxLua does.
const addBlockLua = removePairLua + `
if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 1 then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[2])
end
local actor = ARGV[4]
local out = {}
for i = 5, #ARGV, 2 do
  for _, m in ipairs(redis.call('ZRANGEBYLEX', KEYS[5], ARGV[i], ARGV[i + 1])) do
    local pair = string.sub(m, string.find(m, ' ', 1, true) + 1)
    local _, id = splitPair(pair)
    local sep = string.sub(id, #actor + 1, #actor + 1)
    if actor == '' or id == actor or (string.sub(id, 1, #actor) == actor and (sep == '#' or sep == '/' or sep == '?')) then
      removePair(out, ARGV[1], pair, KEYS[4], KEYS[5])
    end
  end
end
return out
`
