package redisstore

import "github.com/redis/go-redis/v9"

// scripts are the Lua scripts behind writes that touch several keys. Each runs atomically on the
// server, which is what makes read-then-write rules (a follower's place, inbox reference counts,
// tombstones blocking reuse) hold under concurrency. Each script's source stands in the file of
// the contract it serves; this file holds the Lua functions several of them share.
type scripts struct {
	addFollower, removeFollower, putObject, deleteObject, appendOutbox, putRemote *redis.Script
	removeByInbox                                                                 *redis.Script
	addInteraction, removeInteraction, addRequest, removeRequest                  *redis.Script
	addBlock                                                                      *redis.Script
	appendRecord                                                                  *redis.Script
	recountDays                                                                   *redis.Script
	putRelay, hideReply                                                           *redis.Script
	pruneDeliveries, pruneActor, fillObjects, fillUpdates                         *redis.Script
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
		fillUpdates:     redis.NewScript(fillUpdatesLua),
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

// removePairLua defines removePair(out, p, pair, fids, hosts), which removes the follower of an
// actor and follower pair, given the key prefix, the follow-ids hash and the hosts set, and appends the actor, the follower and the record JSON to out; nothing when there
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
