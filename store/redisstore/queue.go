package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.Queue         = (*Store)(nil)
	_ store.LeaseReleaser = (*Store)(nil)
	_ store.BatchAcker    = (*Store)(nil)
)

// queueGroup is the consumer group every Store reads the stream with, so that all instances share
// the work.
const queueGroup = "workers"

// queueScripts are the queue's Lua scripts, those of its operators' views and its prune
// included; each is the common preamble plus a body.
type queueScripts struct {
	enqueue, lease, extend, release, ack, retry, deadLetter, depth *redis.Script
	replay, keyed, hurry, pruneDead                                *redis.Script
}

func newQueueScripts() queueScripts {
	s := func(body string) *redis.Script { return redis.NewScript(queuePreamble + body) }
	return queueScripts{
		enqueue:    s(enqueueLua),
		lease:      s(leaseLua),
		extend:     s(extendLua),
		release:    s(releaseLua),
		ack:        s(ackLua),
		retry:      s(retryLua),
		deadLetter: s(deadLetterLua),
		depth:      s(depthLua),
		replay:     s(replayLua),
		keyed:      s(keyedLua),
		hurry:      s(hurryLua),
		pruneDead:  s(pruneDeadLua),
	}
}

// queuePreamble: ARGV[1] the queue key prefix, ARGV[2] the time in Unix milliseconds, ARGV[3] the
// group; each script's own arguments follow. Keys under the prefix:
//
//	stream   the stream of jobs that may be leased (the head of their ordering key, if any)
//	delayed  sorted set of job ids by the time they may enter the stream (NotBefore, Retry at)
//	leased   sorted set of leased job ids by the end of their lease
//	waiting  sorted set of keyed job ids that wait behind the head of their key, by NotBefore
//	dead     sorted set of dead-lettered job ids by time of death
//	j:<id>   hash of an unfinished job; d:<id> of a dead one
//	k:<key>  list of the unfinished job ids of an ordering key, head first
//
// Job hash fields: k kind, o ordering key, p payload, nb NotBefore (Unix ns, "" for none), nbm
// NotBefore in ms (0 for none), a attempts, e last error, t enqueued (Unix ns), tok lease token
// ("" when not leased), u lease end (ms), eid the stream entry while in the stream.
const queuePreamble = `
local Q, now, GROUP = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local STREAM = Q .. 'stream'

-- admit puts a job in the stream, or in delayed when it is not due.
local function admit(id, nbm)
  if tonumber(nbm) > now then
    redis.call('ZADD', Q .. 'delayed', nbm, id)
  else
    local eid = redis.call('XADD', STREAM, '*', 'id', id)
    redis.call('HSET', Q .. 'j:' .. id, 'eid', eid)
  end
end

-- conflict returns the first of count jobs from ARGV index first (6 values each) whose id an
-- unfinished job has, freed excepted.
local function conflict(first, count, freed)
  for i = 0, count - 1 do
    local id = ARGV[first + i * 6]
    if id ~= freed and redis.call('EXISTS', Q .. 'j:' .. id) == 1 then
      return id
    end
  end
  return false
end

-- add enqueues one job, enqueued at enq (ns): the head of its ordering key is admitted, the
-- others wait behind it.
local function add(id, kind, key, payload, nb, nbm, enq)
  redis.call('HSET', Q .. 'j:' .. id, 'k', kind, 'o', key, 'p', payload, 'nb', nb,
    'nbm', nbm, 'a', '0', 'e', '', 't', enq, 'tok', '', 'u', '0', 'eid', '')
  if key == '' or redis.call('RPUSH', Q .. 'k:' .. key, id) == 1 then
    admit(id, nbm)
  else
    redis.call('ZADD', Q .. 'waiting', nbm, id)
  end
end

-- enqueue adds count jobs from ARGV index first: id, kind, key, payload, nb, nbm.
local function enqueue(first, count, enq)
  for i = 0, count - 1 do
    local b = first + i * 6
    add(ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5], enq)
  end
end

-- current reports whether token is the job's current lease token.
local function current(id, token)
  local tok = redis.call('HGET', Q .. 'j:' .. id, 'tok')
  return tok and tok ~= '' and tok == token
end

-- leave takes a leased job out of the stream and the leased set.
local function leave(id)
  local eid = redis.call('HGET', Q .. 'j:' .. id, 'eid')
  if eid and eid ~= '' then
    redis.call('XACK', STREAM, GROUP, eid)
    redis.call('XDEL', STREAM, eid)
  end
  redis.call('ZREM', Q .. 'leased', id)
end

-- release drops a finished job from its ordering key and admits the key's next job.
local function release(id, key)
  if key == '' then
    return
  end
  local lk = Q .. 'k:' .. key
  redis.call('LREM', lk, 1, id)
  local head = redis.call('LINDEX', lk, 0)
  if head then
    redis.call('ZREM', Q .. 'waiting', head)
    admit(head, redis.call('HGET', Q .. 'j:' .. head, 'nbm'))
  end
end
`

// enqueueLua: ARGV[4] enqueue time (ns), ARGV[5] count, then the jobs. Returns the conflicting id
// or "".
const enqueueLua = `
local c = conflict(6, tonumber(ARGV[5]), '')
if c then
  return c
end
enqueue(6, tonumber(ARGV[5]), ARGV[4])
return ''
`

// leaseLua: ARGV[4] lease end (ms), ARGV[5] max, ARGV[6] consumer, ARGV[7] token prefix.
// Due delayed jobs enter the stream; jobs whose lease ran out are claimed (XCLAIM) from whichever
// consumer held them; then new entries are read with XREADGROUP. Returns per job: id, kind, key,
// payload, nb, attempts, last error, enqueued, token.
const leaseLua = `
redis.pcall('XGROUP', 'CREATE', STREAM, GROUP, '0', 'MKSTREAM')
local max, consumer = tonumber(ARGV[5]), ARGV[6]
for _, id in ipairs(redis.call('ZRANGEBYSCORE', Q .. 'delayed', '-inf', now, 'LIMIT', 0, 1000)) do
  redis.call('ZREM', Q .. 'delayed', id)
  local eid = redis.call('XADD', STREAM, '*', 'id', id)
  redis.call('HSET', Q .. 'j:' .. id, 'eid', eid)
end
local out, n = {}, 0
local function take(e)
  local eid, id = e[1], e[2] and e[2][2]
  local jk = Q .. 'j:' .. (id or '')
  if not id or redis.call('HGET', jk, 'eid') ~= eid then
    -- The job was finished; its entry is left over.
    redis.call('XACK', STREAM, GROUP, eid)
    redis.call('XDEL', STREAM, eid)
    return
  end
  n = n + 1
  local tok = ARGV[7] .. n
  redis.call('HSET', jk, 'tok', tok, 'u', ARGV[4])
  redis.call('ZADD', Q .. 'leased', ARGV[4], id)
  local h = redis.call('HMGET', jk, 'k', 'o', 'p', 'nb', 'a', 'e', 't')
  table.insert(out, {id, h[1], h[2], h[3], h[4], h[5], h[6], h[7], tok})
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', Q .. 'leased', '-inf', now, 'LIMIT', 0, max)) do
  local eid = redis.call('HGET', Q .. 'j:' .. id, 'eid')
  local claimed = eid and redis.call('XCLAIM', STREAM, GROUP, consumer, 0, eid) or {}
  if claimed[1] then
    take(claimed[1])
  else
    redis.call('ZREM', Q .. 'leased', id)
  end
end
if n < max then
  local r = redis.call('XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', max - n, 'STREAMS', STREAM, '>')
  if r then
    for _, e in ipairs(r[1][2]) do
      take(e)
    end
  end
end
return out
`

// extendLua: ARGV[4] id, ARGV[5] token, ARGV[6] new lease end (ms). Returns "lost" or "ok".
const extendLua = `
local id = ARGV[4]
if not current(id, ARGV[5]) then
  return 'lost'
end
redis.call('HSET', Q .. 'j:' .. id, 'u', ARGV[6])
redis.call('ZADD', Q .. 'leased', ARGV[6], id)
return 'ok'
`

// releaseLua ends every lease that has not ended: its job's score in leased becomes 0, so the
// next Lease claims it. Returns how many.
const releaseLua = `
local ids = redis.call('ZRANGEBYSCORE', Q .. 'leased', '(' .. now, '+inf')
for _, id in ipairs(ids) do
  redis.call('ZADD', Q .. 'leased', 0, id)
  redis.call('HSET', Q .. 'j:' .. id, 'u', '0')
end
return #ids
`

// ackLua: ARGV[4] id, ARGV[5] token, ARGV[6] enqueue time (ns), ARGV[7] count, then the next jobs.
// Returns "lost", "conflict:<id>" or "ok"; nothing changes unless "ok".
const ackLua = `
local id = ARGV[4]
if not current(id, ARGV[5]) then
  return 'lost'
end
local count = tonumber(ARGV[7])
local c = conflict(8, count, id)
if c then
  return 'conflict:' .. c
end
local key = redis.call('HGET', Q .. 'j:' .. id, 'o')
leave(id)
redis.call('DEL', Q .. 'j:' .. id)
release(id, key)
enqueue(8, count, ARGV[6])
return 'ok'
`

// retryLua: ARGV[4] id, ARGV[5] token, ARGV[6] at (ns), ARGV[7] at (ms), ARGV[8] reason. The job
// keeps its place at the head of its ordering key and waits in delayed.
const retryLua = `
local id = ARGV[4]
if not current(id, ARGV[5]) then
  return 'lost'
end
leave(id)
local jk = Q .. 'j:' .. id
redis.call('HINCRBY', jk, 'a', 1)
redis.call('HSET', jk, 'tok', '', 'u', '0', 'eid', '', 'nb', ARGV[6], 'nbm', ARGV[7], 'e', ARGV[8])
redis.call('ZADD', Q .. 'delayed', ARGV[7], id)
return 'ok'
`

// deadLetterLua: ARGV[4] id, ARGV[5] token, ARGV[6] reason.
const deadLetterLua = `
local id = ARGV[4]
if not current(id, ARGV[5]) then
  return 'lost'
end
local jk = Q .. 'j:' .. id
local key = redis.call('HGET', jk, 'o')
leave(id)
redis.call('HSET', jk, 'e', ARGV[6], 'tok', '', 'eid', '')
redis.call('RENAME', jk, Q .. 'd:' .. id)
redis.call('ZADD', Q .. 'dead', now, id)
release(id, key)
return 'ok'
`

// depthLua returns ready, delayed, leased and dead counts. Stream entries not leased are ready,
// and so are leased ones whose lease ran out.
const depthLua = `
local xlen = redis.call('XLEN', STREAM)
local leased = redis.call('ZCARD', Q .. 'leased')
local expired = redis.call('ZCOUNT', Q .. 'leased', '-inf', now)
local function split(set)
  return redis.call('ZCOUNT', Q .. set, '-inf', now), redis.call('ZCOUNT', Q .. set, '(' .. ARGV[2], '+inf')
end
local dr, dd = split('delayed')
local wr, wd = split('waiting')
return {xlen - leased + expired + dr + wr, dd + wd, leased - expired, redis.call('ZCARD', Q .. 'dead')}
`

// queueKeys are the keys every queue script names: its stream, whose slot, on a Redis Cluster,
// the other keys under the queue prefix share.
func (s *Store) queueKeys() []string {
	return []string{s.qp + "stream"}
}

// queueArgs starts the arguments every queue script takes.
func (s *Store) queueArgs(now time.Time) []any {
	return []any{s.qp, now.UnixMilli(), queueGroup}
}

// runQueue runs sc, one of the queueScripts, at now: with the queue's keys and the arguments
// every queue script begins with, then args.
func (s *Store) runQueue(ctx context.Context, sc *redis.Script, now time.Time, args ...any) *redis.Cmd {
	return sc.Run(ctx, s.c, s.queueKeys(), append(s.queueArgs(now), args...)...)
}

// appendStrings appends each of ss to args, one script argument each.
func appendStrings(args []any, ss []string) []any {
	for _, v := range ss {
		args = append(args, v)
	}
	return args
}

// jobArgs appends the six script values of each job, giving ids to jobs without one, and reports
// an id given twice.
func jobArgs(args []any, jobs []store.Job) ([]any, error) {
	seen := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		if j.ID == "" {
			j.ID = rand.Text()
		} else if seen[j.ID] {
			return nil, fmt.Errorf("job %s given twice: %w", j.ID, store.ErrConflict)
		}
		seen[j.ID] = true
		var nbm int64
		if !j.NotBefore.IsZero() {
			nbm = j.NotBefore.UnixMilli()
		}
		args = append(args, j.ID, j.Kind, j.OrderingKey, j.Payload, fmtTime(j.NotBefore), nbm)
	}
	return args, nil
}

// Enqueue adds jobs in one script, all or nothing; an ID a queued or leased job has is
// [store.ErrConflict].
func (s *Store) Enqueue(ctx context.Context, jobs ...store.Job) error {
	const op = "enqueue"
	if err := begin(ctx, op); err != nil {
		return err
	}
	now := s.now()
	args, err := jobArgs([]any{now.UnixNano(), len(jobs)}, jobs)
	if err != nil {
		return wrap(op, err)
	}
	c, err := s.runQueue(ctx, s.qsc.enqueue, now, args...).Text()
	if err != nil {
		return wrap(op, err)
	}
	if c != "" {
		return fmt.Errorf("redisstore: %s: job %s: %w", op, c, store.ErrConflict)
	}
	return nil
}

// Lease hands out up to max jobs for visibility each, in one script: due delayed jobs enter the
// stream, jobs whose lease ran out are claimed from the consumer that held them, and new
// entries are read with XREADGROUP under this Store's consumer name.
func (s *Store) Lease(ctx context.Context, max int, visibility time.Duration) ([]store.Lease, error) {
	const op = "lease"
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	if max < 1 || visibility <= 0 {
		return nil, fmt.Errorf("redisstore: %s: max %d and visibility %v must be positive", op, max, visibility)
	}
	now := s.now()
	until := now.Add(visibility)
	res, err := s.runQueue(ctx, s.qsc.lease, now, until.UnixMilli(), max, s.consumer, rand.Text()+":").Slice()
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]store.Lease, 0, len(res))
	for _, r := range res {
		l, err := decodeLease(r)
		if err != nil {
			return nil, wrap(op, err)
		}
		l.Until = until
		out = append(out, l)
	}
	return out, nil
}

func decodeLease(r any) (store.Lease, error) {
	v, ok := r.([]any)
	if !ok || len(v) != 9 {
		return store.Lease{}, fmt.Errorf("bad lease reply %v", r)
	}
	f := make([]string, 9)
	for i := range v {
		f[i], _ = v[i].(string)
	}
	var l store.Lease
	var err error
	l.ID, l.Kind, l.OrderingKey, l.Payload, l.LastError, l.Token = f[0], f[1], f[2], []byte(f[3]), f[6], f[8]
	if l.NotBefore, err = parseTime(f[4]); err != nil {
		return l, err
	}
	if l.Attempts, err = strconv.Atoi(f[5]); err != nil {
		return l, fmt.Errorf("bad stored attempts %q", f[5])
	}
	if l.EnqueuedAt, err = parseTime(f[7]); err != nil {
		return l, err
	}
	return l, nil
}

// finishResult turns a script's "ok", "lost" or "conflict:<id>" into an error.
func finishResult(op, id, res string, err error) error {
	switch {
	case err != nil:
		return wrap(op, err)
	case res == "ok":
		return nil
	case res == "lost":
		return fmt.Errorf("redisstore: %s %s: %w", op, id, store.ErrLeaseLost)
	case strings.HasPrefix(res, "conflict:"):
		return fmt.Errorf("redisstore: %s %s: next job %s: %w", op, id, strings.TrimPrefix(res, "conflict:"), store.ErrConflict)
	}
	return fmt.Errorf("redisstore: %s %s: unexpected script reply %q", op, id, res)
}

// Extend moves the lease end of a current lease, in its job hash and the leased set, in one
// script.
func (s *Store) Extend(ctx context.Context, l store.Lease, visibility time.Duration) (store.Lease, error) {
	const op = "extend"
	if err := begin(ctx, op); err != nil {
		return l, err
	}
	if visibility <= 0 {
		return l, fmt.Errorf("redisstore: %s: visibility %v must be positive", op, visibility)
	}
	now := s.now()
	until := now.Add(visibility)
	res, err := s.runQueue(ctx, s.qsc.extend, now, l.ID, l.Token, until.UnixMilli()).Text()
	if err := finishResult(op, l.ID, res, err); err != nil {
		return l, err
	}
	l.Until = until
	return l, nil
}

// Ack finishes a leased job (XACK and XDEL of its entry), admits the next job of its ordering
// key and enqueues next, in one script.
func (s *Store) Ack(ctx context.Context, l store.Lease, next ...store.Job) error {
	const op = "ack"
	if err := begin(ctx, op); err != nil {
		return err
	}
	now := s.now()
	args, err := jobArgs([]any{l.ID, l.Token, now.UnixNano(), len(next)}, next)
	if err != nil {
		return wrap(op, err)
	}
	res, err := s.runQueue(ctx, s.qsc.ack, now, args...).Text()
	return finishResult(op, l.ID, res, err)
}

// AckBatch implements [store.BatchAcker]: the records and the acks (the Ack script, once per lease)
// go in one MULTI/EXEC transaction, one round trip, which Redis runs with nothing in between. Like
// any Redis script, a script that fails midway does not undo its earlier writes.
func (s *Store) AckBatch(ctx context.Context, leases []store.Lease, records ...store.DeliveryRecord) error {
	const op = "ack batch"
	if err := begin(ctx, op); err != nil {
		return err
	}
	var recArgs []any
	if len(records) > 0 {
		var err error
		if recArgs, err = s.recordArgs(records); err != nil {
			return fmt.Errorf("redisstore: %s: %w", op, err)
		}
	}
	now := s.now()
	// One script call per entry: the records first (when there are any), then an ack per lease.
	calls := make([]func(redis.Scripter) *redis.Cmd, 0, 1+len(leases))
	if recArgs != nil {
		calls = append(calls, func(c redis.Scripter) *redis.Cmd {
			return s.hsc.recordDelivery.EvalSha(ctx, c, []string{s.kDeliveryObjects()}, recArgs...)
		})
	}
	for _, l := range leases {
		args := append(s.queueArgs(now), l.ID, l.Token, now.UnixNano(), 0)
		calls = append(calls, func(c redis.Scripter) *redis.Cmd {
			return s.qsc.ack.EvalSha(ctx, c, s.queueKeys(), args...)
		})
	}
	results, err := s.evalShaTx(ctx, calls, s.hsc.recordDelivery, s.qsc.ack)
	if err != nil {
		return wrap(op, err)
	}
	if recArgs != nil {
		if err := results[0].Err(); err != nil {
			return wrap(op, err)
		}
		results = results[1:]
	}
	var lost []error
	for i, c := range results {
		res, err := c.Text()
		if err := finishResult(op, leases[i].ID, res, err); err != nil {
			lost = append(lost, err)
		}
	}
	return errors.Join(lost...)
}

// evalShaTx runs script calls made with EvalSha in one MULTI/EXEC and returns their results, each
// with its own error. A pipelined EvalSha cannot fall back to EVAL as Script.Run does, so when Redis
// has lost the scripts (a restart, SCRIPT FLUSH) it loads them and runs once more the calls that
// found none; those had written nothing.
func (s *Store) evalShaTx(ctx context.Context, calls []func(redis.Scripter) *redis.Cmd, scripts ...*redis.Script) ([]*redis.Cmd, error) {
	out := make([]*redis.Cmd, len(calls))
	todo := make([]int, len(calls))
	for i := range todo {
		todo[i] = i
	}
	for range 2 {
		// The error returned is one of the commands'; each is read from its command.
		_, _ = s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range todo {
				out[i] = calls[i](p)
			}
			return nil
		})
		var missing []int
		for _, i := range todo {
			if redis.HasErrorPrefix(out[i].Err(), "NOSCRIPT") {
				missing = append(missing, i)
			}
		}
		if len(missing) == 0 {
			break
		}
		for _, sc := range scripts {
			if err := sc.Load(ctx, s.c).Err(); err != nil {
				return nil, err
			}
		}
		todo = missing
	}
	return out, nil
}

// Retry returns a leased job to the delayed set with one more attempt.
func (s *Store) Retry(ctx context.Context, l store.Lease, at time.Time, reason string) error {
	const op = "retry"
	if err := begin(ctx, op); err != nil {
		return err
	}
	var atm int64
	if !at.IsZero() {
		atm = at.UnixMilli()
	}
	res, err := s.runQueue(ctx, s.qsc.retry, s.now(), l.ID, l.Token, fmtTime(at), atm, reason).Text()
	return finishResult(op, l.ID, res, err)
}

// DeadLetter parks a leased job in the dead set and admits the next job of its ordering key.
func (s *Store) DeadLetter(ctx context.Context, l store.Lease, reason string) error {
	const op = "dead letter"
	if err := begin(ctx, op); err != nil {
		return err
	}
	res, err := s.runQueue(ctx, s.qsc.deadLetter, s.now(), l.ID, l.Token, reason).Text()
	return finishResult(op, l.ID, res, err)
}

// ReleaseLeases implements [store.LeaseReleaser] in one script over the leased set.
func (s *Store) ReleaseLeases(ctx context.Context) (int, error) {
	const op = "release leases"
	if err := begin(ctx, op); err != nil {
		return 0, err
	}
	n, err := s.runQueue(ctx, s.qsc.release, s.now()).Int()
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}

// Depth counts the jobs by state from XLEN and the sizes of the queue's sorted sets.
func (s *Store) Depth(ctx context.Context) (store.QueueDepth, error) {
	const op = "depth"
	var d store.QueueDepth
	if err := begin(ctx, op); err != nil {
		return d, err
	}
	v, err := s.runQueue(ctx, s.qsc.depth, s.now()).Int64Slice()
	if err != nil {
		return d, wrap(op, err)
	}
	if len(v) != 4 {
		return d, wrap(op, errors.New("bad depth reply"))
	}
	d.Ready, d.Delayed, d.Leased, d.Dead = int(v[0]), int(v[1]), int(v[2]), int(v[3])
	return d, nil
}

// UnfinishedKeys reports the keys whose list of unfinished jobs (k:<key> under the queue prefix)
// exists, with one EXISTS each in one pipeline: Redis deletes a list when its last job is acked
// or dead-lettered, and a retried job stays in it. Repeated and empty keys are not asked.
func (s *Store) UnfinishedKeys(ctx context.Context, keys ...string) ([]string, error) {
	const op = "unfinished keys"
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	wanted := store.DistinctKeys(keys)
	if len(wanted) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.IntCmd, len(wanted))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range wanted {
			cmds[i] = p.Exists(ctx, s.qp+"k:"+k)
		}
		return nil
	}); err != nil {
		return nil, wrap(op, err)
	}
	var out []string
	for i, k := range wanted {
		if cmds[i].Val() > 0 {
			out = append(out, k)
		}
	}
	return out, nil
}
