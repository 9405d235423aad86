package redisstore

import (
	"context"
	"fmt"

	"github.com/fedsite/fedsite/store"
)

var _ store.ReplyHider = (*Store)(nil)

// hideReplyLua: KEYS records; ARGV id, kind from, kind to, order-set key prefix. The record's
// kind changes and its id moves from the object's set of one kind to the other's with its score,
// and so its place. Returns 0 when no interaction of kind from has the id.
const hideReplyLua = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local o = cjson.decode(old)
if o.k ~= ARGV[2] then return 0 end
local function set(kind)
  local pair = string.len(o.o) .. ':' .. o.o .. kind
  return ARGV[4] .. pair
end
local score = redis.call('ZSCORE', set(ARGV[2]), ARGV[1])
redis.call('ZREM', set(ARGV[2]), ARGV[1])
redis.call('ZADD', set(ARGV[3]), score, ARGV[1])
o.k = ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(o))
return 1
`

// HideReply implements [store.ReplyHider]: it changes a reply's kind in one script.
func (s *Store) HideReply(ctx context.Context, id string, hidden bool) error {
	const op = "hide reply"
	if err := begin(ctx, op); err != nil {
		return err
	}
	from, to := store.HideKinds(hidden)
	n, err := s.sc.hideReply.Run(ctx, s.c, []string{s.kInterRec()}, id, string(from), string(to),
		s.kInterOrderPrefix()).Int()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s %s: no %s: %w", op, id, from, store.ErrNotFound)
	}
	return nil
}
