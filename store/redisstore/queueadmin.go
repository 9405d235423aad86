package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var _ store.QueueAdmin = (*Store)(nil)

// replayLua: ARGV[4] enqueue time (ns), then the ids. Each dead job whose id no unfinished job
// has is enqueued again, as Enqueue adds a job due now, and its dead letter dropped. Returns how
// many.
const replayLua = `
local n = 0
for i = 5, #ARGV do
  local id = ARGV[i]
  local dk = Q .. 'd:' .. id
  local h = redis.call('HMGET', dk, 'k', 'o', 'p')
  if h[1] and redis.call('EXISTS', Q .. 'j:' .. id) == 0 then
    redis.call('DEL', dk)
    redis.call('ZREM', Q .. 'dead', id)
    add(id, h[1], h[2], h[3], '', '0', ARGV[4])
    n = n + 1
  end
end
return n
`

// keyedLua: ARGV[4] onwards the ordering keys' job lists. Returns the number of jobs, then the
// id of the delayed, unleased one due first, or "".
const keyedLua = `
local jobs, best, next = 0, nil, ''
for i = 4, #ARGV do
  for _, id in ipairs(redis.call('LRANGE', ARGV[i], 0, -1)) do
    jobs = jobs + 1
    local h = redis.call('HMGET', Q .. 'j:' .. id, 'nbm', 'u')
    local due = tonumber(h[1] or '0')
    if due > now and tonumber(h[2] or '0') <= now and (best == nil or due < best) then
      best, next = due, id
    end
  end
end
return {jobs, next}
`

// hurryLua: ARGV[4] onwards the ordering keys' job lists. Each delayed, unleased job of them is
// made due: the head of its key enters the stream, the others wait behind it with no NotBefore.
// Returns how many.
const hurryLua = `
local n = 0
for i = 4, #ARGV do
  for _, id in ipairs(redis.call('LRANGE', ARGV[i], 0, -1)) do
    local jk = Q .. 'j:' .. id
    local h = redis.call('HMGET', jk, 'nbm', 'u')
    if tonumber(h[1] or '0') > now and tonumber(h[2] or '0') <= now then
      redis.call('HSET', jk, 'nb', '', 'nbm', '0')
      if redis.call('ZREM', Q .. 'delayed', id) == 1 then
        admit(id, 0)
      else
        redis.call('ZADD', Q .. 'waiting', 0, id)
      end
      n = n + 1
    end
  end
end
return n
`

// globEscaper quotes the characters SCAN's MATCH pattern treats specially.
var globEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)

// scanKeys returns every key that match, a MATCH pattern, names, in no order.
func (s *Store) scanKeys(ctx context.Context, match string) ([]string, error) {
	var keys []string
	it := s.c.Scan(ctx, 0, match, 1000).Iterator()
	for it.Next(ctx) {
		keys = append(keys, it.Val())
	}
	return keys, it.Err()
}

// DeadLettersPage lists the dead set, latest death first; a cursor is the score and id of the
// last dead letter of the previous page.
func (s *Store) DeadLettersPage(ctx context.Context, cursor string, limit int) (store.Page[store.DeadLetter], error) {
	const op = "dead letters page"
	var p store.Page[store.DeadLetter]
	if err := beginPage(ctx, op, limit); err != nil {
		return p, err
	}
	max, afterID := "+inf", ""
	if cursor != "" {
		score, id, ok := strings.Cut(cursor, " ")
		if _, err := strconv.ParseInt(score, 10, 64); !ok || err != nil || id == "" {
			return p, fmt.Errorf("redisstore: %s: cursor %q: %w", op, cursor, store.ErrBadCursor)
		}
		max, afterID = score, id
	}
	// Members of one score come in descending byte order: past the cursor are the lower scores
	// and, at its score, the lower ids.
	var dead []redis.Z
	for offset := int64(0); len(dead) <= limit; {
		batch, err := s.c.ZRevRangeByScoreWithScores(ctx, s.qp+"dead", &redis.ZRangeBy{
			Max: max, Min: "-inf", Offset: offset, Count: int64(limit + 1)}).Result()
		if err != nil {
			return p, wrap(op, err)
		}
		for _, z := range batch {
			id, _ := z.Member.(string)
			if afterID != "" && strconv.FormatInt(int64(z.Score), 10) == max && id >= afterID {
				continue
			}
			dead = append(dead, z)
		}
		if len(batch) <= limit {
			break
		}
		offset += int64(len(batch))
	}
	if len(dead) > limit {
		last := dead[limit-1]
		p.Next = strconv.FormatInt(int64(last.Score), 10) + " " + last.Member.(string)
		dead = dead[:limit]
	}
	cmds := make([]*redis.SliceCmd, len(dead))
	if _, err := s.c.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for i, z := range dead {
			cmds[i] = pl.HMGet(ctx, s.qp+"d:"+z.Member.(string), "k", "o", "p", "nb", "a", "e", "t")
		}
		return nil
	}); err != nil {
		return p, wrap(op, err)
	}
	for i, z := range dead {
		j, err := storedJob(z.Member.(string), cmds[i].Val())
		if err != nil {
			return store.Page[store.DeadLetter]{}, wrap(op, err)
		}
		p.Items = append(p.Items, store.DeadLetter{Job: j, DiedAt: time.UnixMilli(int64(z.Score)).UTC()})
	}
	return p, nil
}

// Replay enqueues the dead jobs again in one script.
func (s *Store) Replay(ctx context.Context, ids ...string) (int, error) {
	const op = "replay"
	if err := begin(ctx, op); err != nil {
		return 0, err
	}
	wanted := store.DistinctKeys(ids)
	if len(wanted) == 0 {
		return 0, nil
	}
	now := s.now()
	n, err := s.runQueue(ctx, s.qsc.replay, now, appendStrings([]any{now.UnixNano()}, wanted)...).Int()
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}

// HostsPage lists the host hashes, found with SCAN, by name; the cursor is the last host of the
// previous page.
func (s *Store) HostsPage(ctx context.Context, cursor string, limit int) (store.Page[store.HostState], error) {
	const op = "hosts page"
	var p store.Page[store.HostState]
	if err := beginPage(ctx, op, limit); err != nil {
		return p, err
	}
	keys, err := s.scanKeys(ctx, globEscaper.Replace(s.kHost(""))+"*")
	if err != nil {
		return p, wrap(op, err)
	}
	var names []string
	for _, k := range keys {
		if h := strings.TrimPrefix(k, s.kHost("")); h > cursor {
			names = append(names, h)
		}
	}
	slices.Sort(names)
	if len(names) > limit {
		names, p.Next = names[:limit], names[limit-1]
	}
	states, err := s.HostStates(ctx, names...)
	if err != nil {
		return p, err
	}
	for _, h := range states {
		// A host that succeeded since the scan has the zero state.
		if h.Failures != 0 || !h.LastFailure.IsZero() || !h.OpenUntil.IsZero() {
			p.Items = append(p.Items, h)
		}
	}
	return p, nil
}

// runOnKeys finds, with SCAN, the job lists of the ordering keys that end with suffix and runs
// sc, one of the queueScripts, over them; nil when there are none.
func (s *Store) runOnKeys(ctx context.Context, op, suffix string, sc *redis.Script) (*redis.Cmd, error) {
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	if suffix == "" {
		return nil, wrap(op, errors.New("empty key suffix"))
	}
	lists, err := s.scanKeys(ctx, globEscaper.Replace(s.qp+"k:")+"*"+globEscaper.Replace(suffix))
	if err != nil {
		return nil, wrap(op, err)
	}
	if len(lists) == 0 {
		return nil, nil
	}
	return s.runQueue(ctx, sc, s.now(), appendStrings(nil, lists)...), nil
}

// KeyedJobs reads the job lists of the ordering keys that end with suffix in one script.
func (s *Store) KeyedJobs(ctx context.Context, suffix string) (store.KeyedJobs, error) {
	const op = "keyed jobs"
	var k store.KeyedJobs
	cmd, err := s.runOnKeys(ctx, op, suffix, s.qsc.keyed)
	if err != nil || cmd == nil {
		return k, err
	}
	v, err := cmd.Slice()
	if err == nil && len(v) != 2 {
		err = errors.New("bad keyed jobs reply")
	}
	if err != nil {
		return k, wrap(op, err)
	}
	n, _ := v[0].(int64)
	id, _ := v[1].(string)
	k.Jobs = int(n)
	if id == "" {
		return k, nil
	}
	// The job may finish between the script and this read: it then no longer waits.
	h, err := s.c.HMGet(ctx, s.qp+"j:"+id, "k", "o", "p", "nb", "a", "e", "t").Result()
	if err != nil {
		return k, wrap(op, err)
	}
	if h[0] == nil {
		return k, nil
	}
	if k.Next, err = storedJob(id, h); err != nil {
		return k, wrap(op, err)
	}
	return k, nil
}

// HurryJobs makes due the delayed jobs of the ordering keys that end with suffix in one script.
func (s *Store) HurryJobs(ctx context.Context, suffix string) (int, error) {
	const op = "hurry jobs"
	cmd, err := s.runOnKeys(ctx, op, suffix, s.qsc.hurry)
	if err != nil || cmd == nil {
		return 0, err
	}
	n, err := cmd.Int()
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}

// storedJob decodes the fields k, o, p, nb, a, e and t of the hash of the job id, as HMGET
// returned them.
func storedJob(id string, fields []any) (store.Job, error) {
	l, err := decodeLease(append(append([]any{id}, fields...), ""))
	if err != nil {
		return store.Job{}, fmt.Errorf("job %s: %w", id, err)
	}
	return l.Job, nil
}
