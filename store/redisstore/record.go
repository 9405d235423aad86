package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

var _ store.Record = (*Store)(nil)

// The record of activities: a hash of the chain's head (fields "s", its Seq, and "h", its hash),
// a hash of the entries by Seq, a sorted set of their Seqs for ranges, and a hash of the legal
// holds by ID.
func (s *Store) kRecordHead() string  { return s.p + "rch" }
func (s *Store) kRecord() string      { return s.p + "rc" }
func (s *Store) kRecordOrder() string { return s.p + "rcz" }
func (s *Store) kLegalHolds() string  { return s.p + "lh" }

// appendRecordLua: KEYS head, entries, order; ARGV the head's Seq the entry was chained after,
// the entry's Seq, its hash, its JSON, the head's hash it was chained after. It stores the entry
// only when the head is still the one it was chained after, Seq and hash (a head another
// instance wrote at the same Seq, after a failover lost the one this instance remembers, is
// another head), and returns 1; else 0, and the caller chains it again: a compare-and-set that
// keeps the chain from forking across instances, as SHA-256 is not in Redis's Lua.
const appendRecordLua = `
local cur = redis.call('HGET', KEYS[1], 's') or '0'
if cur ~= ARGV[1] or (redis.call('HGET', KEYS[1], 'h') or '') ~= ARGV[5] then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[2])
redis.call('HSET', KEYS[1], 's', ARGV[2], 'h', ARGV[3])
return 1
`

// maxAppendTries bounds how often AppendRecord chains an entry again after losing a race.
const maxAppendTries = 1000

// recordJSON is an entry as stored; Seq is its field.
type recordJSON struct {
	Time      int64  `json:"t"`
	Direction string `json:"d"`
	Activity  string `json:"i"`
	Type      string `json:"y"`
	Actor     string `json:"a"`
	User      string `json:"u,omitempty"`
	Scheme    string `json:"s,omitempty"`
	KeyID     string `json:"k,omitempty"`
	Document  []byte `json:"doc"`
	Prev      []byte `json:"p,omitempty"`
}

// recordAppender takes a Store's appends to the record one at a time, so that those of one
// process never race each other for the head, and keeps the head its last append left: the next
// append is chained after it and sent at once, and the head is read only when it is unknown or
// another process moved it.
type recordAppender struct {
	mu    sync.Mutex
	known bool // seq and hash are the head as this Store last saw it
	seq   int64
	hash  []byte
}

// AppendRecord implements [store.Record]: it chains e after the head and stores it with a script
// that succeeds only if the head has not moved meanwhile, reading the head and trying again if it
// has. The Store's own appends wait for each other rather than race.
func (s *Store) AppendRecord(ctx context.Context, e store.RecordEntry) (store.RecordEntry, error) {
	const op = "append record"
	if err := begin(ctx, op); err != nil {
		return store.RecordEntry{}, err
	}
	a := &s.rec
	a.mu.Lock()
	defer a.mu.Unlock()
	for range maxAppendTries {
		if !a.known {
			seq, hash, err := s.RecordHead(ctx)
			if err != nil {
				return store.RecordEntry{}, err
			}
			a.seq, a.hash, a.known = seq, hash, true
		}
		c := e.Chain(a.seq, a.hash)
		data, err := json.Marshal(recordJSON{Time: c.Time.UnixNano(), Direction: c.Direction, Activity: c.ActivityID,
			Type: c.Type, Actor: c.Actor, User: c.User, Scheme: c.Scheme, KeyID: c.KeyID, Document: c.Document, Prev: c.Prev})
		if err != nil {
			return store.RecordEntry{}, wrap(op, err)
		}
		hash := c.Hash()
		a.known = false // until the script says whether the head moved to c
		ok, err := s.sc.appendRecord.Run(ctx, s.c, []string{s.kRecordHead(), s.kRecord(), s.kRecordOrder()},
			a.seq, c.Seq, hash, data, a.hash).Int()
		if err != nil {
			return store.RecordEntry{}, wrap(op, err)
		}
		if ok == 1 {
			a.seq, a.hash, a.known = c.Seq, hash, true
			return c, nil
		}
	}
	return store.RecordEntry{}, fmt.Errorf("redisstore: %s: the head moved %d times in a row", op, maxAppendTries)
}

// RecordHead implements [store.Record].
func (s *Store) RecordHead(ctx context.Context) (int64, []byte, error) {
	const op = "record head"
	if err := begin(ctx, op); err != nil {
		return 0, nil, err
	}
	v, err := s.c.HMGet(ctx, s.kRecordHead(), "s", "h").Result()
	if err != nil {
		return 0, nil, wrap(op, err)
	}
	if v[0] == nil {
		return 0, nil, nil
	}
	seqText, _ := v[0].(string)
	hash, _ := v[1].(string)
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil {
		return 0, nil, wrap(op, fmt.Errorf("bad stored head %q", seqText))
	}
	return seq, []byte(hash), nil
}

// RecordRange implements [store.Record].
func (s *Store) RecordRange(ctx context.Context, after int64, limit int) ([]store.RecordEntry, error) {
	const op = "record range"
	if err := beginPage(ctx, op, limit); err != nil {
		return nil, err
	}
	seqs, err := s.c.ZRangeByScore(ctx, s.kRecordOrder(), &redis.ZRangeBy{
		Min: "(" + strconv.FormatInt(after, 10), Max: "+inf", Count: int64(limit)}).Result()
	if err != nil {
		return nil, wrap(op, err)
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	vals, err := s.c.HMGet(ctx, s.kRecord(), seqs...).Result()
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]store.RecordEntry, 0, len(seqs))
	for i, v := range vals {
		data, ok := v.(string)
		if !ok {
			continue // deleted between the two reads
		}
		var r recordJSON
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			return nil, wrap(op, fmt.Errorf("entry %s: %w", seqs[i], err))
		}
		seq, err := strconv.ParseInt(seqs[i], 10, 64)
		if err != nil {
			return nil, wrap(op, fmt.Errorf("bad stored seq %q", seqs[i]))
		}
		doc := r.Document
		if doc == nil {
			doc = []byte{}
		}
		out = append(out, store.RecordEntry{Seq: seq, Time: time.Unix(0, r.Time).UTC(), Direction: r.Direction,
			ActivityID: r.Activity, Type: r.Type, Actor: r.Actor, User: r.User, Scheme: r.Scheme, KeyID: r.KeyID,
			Document: doc, Prev: r.Prev})
	}
	return out, nil
}

// DeleteRecords implements [store.Record], in one transaction.
func (s *Store) DeleteRecords(ctx context.Context, seqs ...int64) error {
	const op = "delete records"
	if err := begin(ctx, op); err != nil {
		return err
	}
	for chunk := range slices.Chunk(seqs, 1000) {
		members := make([]string, len(chunk))
		for i, q := range chunk {
			members[i] = strconv.FormatInt(q, 10)
		}
		_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HDel(ctx, s.kRecord(), members...)
			anys := make([]any, len(members))
			for i, m := range members {
				anys[i] = m
			}
			p.ZRem(ctx, s.kRecordOrder(), anys...)
			return nil
		})
		if err != nil {
			return wrap(op, err)
		}
	}
	return nil
}

// holdJSON is a legal hold as stored.
type holdJSON struct {
	Actor     string `json:"a,omitempty"`
	Since     string `json:"s,omitempty"`
	Until     string `json:"u,omitempty"`
	Reason    string `json:"r,omitempty"`
	CreatedBy string `json:"b,omitempty"`
	CreatedAt string `json:"c,omitempty"`
}

// PutLegalHold implements [store.Record].
func (s *Store) PutLegalHold(ctx context.Context, h store.LegalHold) (store.LegalHold, error) {
	const op = "put legal hold"
	if err := begin(ctx, op); err != nil {
		return store.LegalHold{}, err
	}
	if h.ID == "" {
		h.ID = rand.Text()
	}
	data, err := json.Marshal(holdJSON{Actor: h.Actor, Since: fmtTime(h.Since), Until: fmtTime(h.Until),
		Reason: h.Reason, CreatedBy: h.CreatedBy, CreatedAt: fmtTime(h.CreatedAt)})
	if err != nil {
		return store.LegalHold{}, wrap(op, err)
	}
	if err := s.c.HSet(ctx, s.kLegalHolds(), h.ID, data).Err(); err != nil {
		return store.LegalHold{}, wrap(op, err)
	}
	return h, nil
}

// RemoveLegalHold implements [store.Record].
func (s *Store) RemoveLegalHold(ctx context.Context, id string) error {
	const op = "remove legal hold"
	if err := begin(ctx, op); err != nil {
		return err
	}
	n, err := s.c.HDel(ctx, s.kLegalHolds(), id).Result()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: %s %q: %w", op, id, store.ErrNotFound)
	}
	return nil
}

// LegalHolds implements [store.Record].
func (s *Store) LegalHolds(ctx context.Context) ([]store.LegalHold, error) {
	return hashAll(ctx, s, "legal holds", s.kLegalHolds(), decodeHold)
}

// decodeHold decodes the record of the hold id.
func decodeHold(id, data string) (store.LegalHold, error) {
	var j holdJSON
	if err := json.Unmarshal([]byte(data), &j); err != nil {
		return store.LegalHold{}, fmt.Errorf("hold %s: %w", id, err)
	}
	h := store.LegalHold{ID: id, Actor: j.Actor, Reason: j.Reason, CreatedBy: j.CreatedBy}
	var errs []error
	var e error
	h.Since, e = parseTime(j.Since)
	errs = append(errs, e)
	h.Until, e = parseTime(j.Until)
	errs = append(errs, e)
	h.CreatedAt, e = parseTime(j.CreatedAt)
	errs = append(errs, e)
	return h, errors.Join(errs...)
}
