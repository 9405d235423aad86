package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var _ store.Blocks = (*Store)(nil)

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

// blockRecord is the stored form of a block, in the blocks hash under its target.
type blockRecord struct {
	Domain    string `json:"d,omitempty"`
	ActorID   string `json:"a,omitempty"`
	Reason    string `json:"r"`
	CreatedBy string `json:"b"`
	CreatedAt string `json:"c"`
}

// reverseHost reverses the labels of a host name, "sub.evil.example" to "example.evil.sub", so
// that a domain's subdomains are one lexical range of the hosts set.
func reverseHost(host string) string {
	labels := strings.Split(host, ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".")
}

// AddBlock implements [store.Blocks] in one script. The followers a block may cover are found in
// the hosts set, which orders "<reversed host> <pair>" entries so that a host, and a domain's
// subdomains, are each one range: a domain block removes the followers in its two ranges, an
// actor block those of its host whose id is the actor's. Followers added before the hosts set
// existed (stores written by an earlier fedsite) are not in it; re-adding them indexes them, and
// deliveries to their inboxes stop at the block all the same.
func (s *Store) AddBlock(ctx context.Context, b store.Block) ([]store.Follower, error) {
	const op = "add block"
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	b, err := b.Normalized()
	if err != nil {
		return nil, wrap(op, err)
	}
	created := b.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	rec, err := json.Marshal(blockRecord{Domain: b.Domain, ActorID: b.ActorID, Reason: b.Reason, CreatedBy: b.CreatedBy, CreatedAt: fmtTime(created)})
	if err != nil {
		return nil, wrap(op, err)
	}
	host, actor := b.Domain, ""
	if b.ActorID != "" {
		host, _ = store.HostOf(b.ActorID) // Normalized checked it has one
		actor = b.ActorID
	}
	r := reverseHost(host)
	args := []any{s.p, b.Target(), rec, actor, "[" + r + " ", "(" + r + "!"}
	if b.Domain != "" {
		args = append(args, "["+r+".", "("+r+"/")
	}
	keys := []string{s.kBlocks(), s.kBlockOrder(), s.kSeq(), s.kFollowIDs(), s.kFollowHosts()}
	return removedFollowers(op, s.sc.addBlock.Run(ctx, s.c, keys, args...))
}

// RemoveBlock implements [store.Blocks] in one MULTI.
func (s *Store) RemoveBlock(ctx context.Context, target string) error {
	const op = "remove block"
	if err := begin(ctx, op); err != nil {
		return err
	}
	var del *redis.IntCmd
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.HDel(ctx, s.kBlocks(), target)
		p.ZRem(ctx, s.kBlockOrder(), target)
		return nil
	})
	if err != nil {
		return wrap(op, err)
	}
	if del.Val() == 0 {
		return fmt.Errorf("redisstore: %s %s: %w", op, target, store.ErrNotFound)
	}
	return nil
}

// BlocksPage implements [store.Blocks]. The cursor is the insertion sequence of the last block
// of the previous page.
func (s *Store) BlocksPage(ctx context.Context, cursor string, limit int) (store.Page[store.Block], error) {
	return hashPage(ctx, s, "blocks page", s.kBlockOrder(), s.kBlocks(), cursor, limit, decodeBlock)
}

// decodeBlock decodes the record of the block of target.
func decodeBlock(target, data string) (store.Block, error) {
	var br blockRecord
	if err := json.Unmarshal([]byte(data), &br); err != nil {
		return store.Block{}, fmt.Errorf("bad stored block %s: %w", target, err)
	}
	created, err := parseTime(br.CreatedAt)
	if err != nil {
		return store.Block{}, err
	}
	return store.Block{Domain: br.Domain, ActorID: br.ActorID, Reason: br.Reason, CreatedBy: br.CreatedBy, CreatedAt: created}, nil
}

// Blocked implements [store.Blocks] with one HMGET of every target the IRIs may be blocked by.
func (s *Store) Blocked(ctx context.Context, iris ...string) ([]bool, error) {
	const op = "blocked"
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	out := make([]bool, len(iris))
	if len(iris) == 0 {
		return out, nil
	}
	var targets []string
	owner := make([]int, 0, len(iris)*4) // the IRI each target is for
	for i, iri := range iris {
		for _, t := range store.BlockTargets(iri) {
			targets = append(targets, t)
			owner = append(owner, i)
		}
	}
	vals, err := s.c.HMGet(ctx, s.kBlocks(), targets...).Result()
	if err != nil {
		return nil, wrap(op, err)
	}
	for j, v := range vals {
		if v != nil {
			out[owner[j]] = true
		}
	}
	return out, nil
}
