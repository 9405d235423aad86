package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
)

// Store is a [store.Store]; each file beside this one asserts the contract or the optional
// capability it implements.
var _ store.Store = (*Store)(nil)

// Config configures a [Store]. Only Client is required.
type Config struct {
	// Client is the Redis connection. Required. The caller owns it: the Store never closes it.
	Client redis.UniversalClient
	// Prefix starts every key the Store writes, so several sites or test runs can share one Redis.
	// default: "fedsite:".
	Prefix string
	// AuditMaxLen caps the audit stream at about this many entries, trimming the oldest.
	// default: 0, no cap.
	AuditMaxLen int64
	// Logger receives debug messages. default: nil, which discards them.
	Logger *slog.Logger
	// QueuePrefix starts every key of the job queue (its stream, sorted sets and job hashes), so
	// sites sharing a Redis can keep their queues apart or share one. default: Prefix + "queue:".
	QueuePrefix string
	// Consumer is this Store's consumer name in the queue's consumer group. Instances sharing the
	// queue need distinct names. Jobs are taken back from a consumer by their lease end, not by
	// name: a process restarting alone takes its predecessor's back with ReleaseLeases.
	// default: a random name per Store.
	Consumer string
	// Now tells the time to the queue and the delivery records: lease ends, due times and the
	// default UpdatedAt. Tests set a fake clock to drive leases without sleeping.
	// default: time.Now.
	Now func() time.Time
}

// Store is a [store.Store] over Redis. Make one with [New]; it is safe for concurrent use.
type Store struct {
	c      redis.UniversalClient
	p      string
	maxLen int64
	log    *slog.Logger
	sc     scripts
	now    func() time.Time

	qp       string
	consumer string
	qsc      queueScripts
	hsc      deliveryScripts
	rec      recordAppender // AppendRecord's lock and last head (record.go)

	// objectsFilled and updatesFilled are set once the set of objects with delivery records and
	// the updates set are known to hold what the records written before them need (see
	// fillFromIndex).
	objectsFilled, updatesFilled atomic.Bool
}

// New returns a Store over cfg.Client. It does not contact the server; the first operation does.
func New(cfg Config) (*Store, error) {
	if cfg.Client == nil {
		return nil, errors.New("redisstore: Config.Client is nil")
	}
	if cfg.AuditMaxLen < 0 {
		return nil, fmt.Errorf("redisstore: Config.AuditMaxLen %d is negative", cfg.AuditMaxLen)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "fedsite:"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.QueuePrefix == "" {
		cfg.QueuePrefix = cfg.Prefix + "queue:"
	}
	if cfg.Consumer == "" {
		cfg.Consumer = "c-" + rand.Text()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{
		now:      cfg.Now,
		qp:       cfg.QueuePrefix,
		consumer: cfg.Consumer,
		qsc:      newQueueScripts(),
		hsc: deliveryScripts{hostFailed: redis.NewScript(hostFailedLua), recordDelivery: redis.NewScript(recordDeliveryLua),
			countDeliveries: redis.NewScript(countDeliveriesLua)},
		c:      cfg.Client,
		p:      cfg.Prefix,
		maxLen: cfg.AuditMaxLen,
		log:    cfg.Logger.With("component", "redisstore"),
		sc:     newScripts(),
	}, nil
}

// Key names: the prefix, a tag naming the structure, then the IRI, so two tags never collide.
func (s *Store) kSeq() string                   { return s.p + "seq" }
func (s *Store) kFollowOrder(a string) string   { return s.p + "fz:" + a }
func (s *Store) kFollowRec(a string) string     { return s.p + "fh:" + a }
func (s *Store) kInboxes(a string) string       { return s.p + "fi:" + a }
func (s *Store) kInboxCount(a string) string    { return s.p + "fc:" + a }
func (s *Store) kFollowDays(a string) string    { return s.p + "fd:" + a }
func (s *Store) kFollowIDs() string             { return s.p + "fid" }
func (s *Store) kByInboxPrefix() string         { return s.p + "fb:" }
func (s *Store) kObject(id string) string       { return s.p + "o:" + id }
func (s *Store) kOutbox(a string) string        { return s.p + "ob:" + a }
func (s *Store) kAbout(id string) string        { return s.p + "ab:" + id }
func (s *Store) kSeen(id string) string         { return s.p + "s:" + id }
func (s *Store) kRemote(id string) string       { return s.p + "ra:" + id }
func (s *Store) kRemoteKeys(id string) string   { return s.p + "rs:" + id }
func (s *Store) kRemoteKeyPrefix() string       { return s.p + "rk:" }
func (s *Store) kKeyPair(a, name string) string { return s.p + "kp:" + joinPair(a, name) }
func (s *Store) kAudit() string                 { return s.p + "audit" }
func (s *Store) kFollowHosts() string           { return s.p + "fr" }
func (s *Store) kBlocks() string                { return s.p + "bk" }
func (s *Store) kBlockOrder() string            { return s.p + "bz" }

// wrap names the operation and keeps the cause for errors.Is.
func wrap(op string, err error) error {
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// record reads the field of the hash key and decodes it. A missing field is an error matching
// store.ErrNotFound that names what was asked for.
func record[T any](ctx context.Context, c redis.UniversalClient, op, what, key, field string, decode func(data string) (T, error)) (T, error) {
	var zero T
	data, err := c.HGet(ctx, key, field).Result()
	if errors.Is(err, redis.Nil) {
		return zero, fmt.Errorf("redisstore: %s %s: %w", op, what, store.ErrNotFound)
	}
	if err != nil {
		return zero, wrap(op, err)
	}
	v, err := decode(data)
	if err != nil {
		return zero, wrap(op, err)
	}
	return v, nil
}

// begin fails fast on a finished context, so no command is sent that the caller gave up on.
func begin(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// beginPage is begin for the methods that read a page: it also refuses a limit below one.
func beginPage(ctx context.Context, op string, limit int) error {
	if err := begin(ctx, op); err != nil {
		return err
	}
	if limit < 1 {
		return fmt.Errorf("redisstore: %s: limit %d is not positive", op, limit)
	}
	return nil
}

// fmtTime encodes t as Unix nanoseconds; the zero time is "".
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q", s)
	}
	return time.Unix(0, n).UTC(), nil
}

// zcard counts the members of the sorted set at key.
func (s *Store) zcard(ctx context.Context, op, key string) (int, error) {
	if err := begin(ctx, op); err != nil {
		return 0, err
	}
	n, err := s.c.ZCard(ctx, key).Result()
	if err != nil {
		return 0, wrap(op, err)
	}
	return int(n), nil
}

// seqCursor parses a cursor that holds an insertion sequence and returns the exclusive bound
// ZREVRANGEBYSCORE takes; "" is the newest end.
func seqCursor(op, cursor string) (string, error) {
	if cursor == "" {
		return "+inf", nil
	}
	if n, err := strconv.ParseUint(cursor, 10, 63); err != nil || n == 0 {
		return "", fmt.Errorf("redisstore: %s: cursor %q: %w", op, cursor, store.ErrBadCursor)
	}
	return "(" + cursor, nil
}

// seqIDs reads one page of members of a sorted set scored by the sequence, newest first, and the
// cursor of the next page.
func (s *Store) seqIDs(ctx context.Context, op, key, cursor string, limit int) ([]string, string, error) {
	if err := beginPage(ctx, op, limit); err != nil {
		return nil, "", err
	}
	maxScore, err := seqCursor(op, cursor)
	if err != nil {
		return nil, "", err
	}
	zs, err := s.c.ZRevRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{Max: maxScore, Min: "-inf", Count: int64(limit) + 1}).Result()
	if err != nil {
		return nil, "", wrap(op, err)
	}
	var next string
	if len(zs) > limit {
		zs = zs[:limit]
		next = strconv.FormatInt(int64(zs[limit-1].Score), 10)
	}
	ids := make([]string, len(zs))
	for i, z := range zs {
		ids[i], _ = z.Member.(string)
	}
	return ids, next, nil
}

// hashPage reads one page, newest first, of a listing kept as a sorted set of ids scored by the
// sequence (order, read with seqIDs) beside a hash of their records by id (records), and decodes
// each record with decode. An id whose record went away between the two reads is left out.
func hashPage[T any](ctx context.Context, s *Store, op, order, records, cursor string, limit int, decode func(id, data string) (T, error)) (store.Page[T], error) {
	ids, next, err := s.seqIDs(ctx, op, order, cursor, limit)
	if err != nil || len(ids) == 0 {
		return store.Page[T]{}, err
	}
	recs, err := s.c.HMGet(ctx, records, ids...).Result()
	if err != nil {
		return store.Page[T]{}, wrap(op, err)
	}
	p := store.Page[T]{Next: next, Items: make([]T, 0, len(ids))}
	for i, r := range recs {
		data, ok := r.(string)
		if !ok {
			continue
		}
		v, err := decode(ids[i], data)
		if err != nil {
			return store.Page[T]{}, wrap(op, err)
		}
		p.Items = append(p.Items, v)
	}
	return p, nil
}

// hashAll reads the whole hash at key, a small one, with HGETALL, and decodes each field's record
// with decode, in byte order of the fields.
func hashAll[T any](ctx context.Context, s *Store, op, key string, decode func(field, data string) (T, error)) ([]T, error) {
	if err := begin(ctx, op); err != nil {
		return nil, err
	}
	m, err := s.c.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]T, 0, len(m))
	for _, f := range slices.Sorted(maps.Keys(m)) {
		v, err := decode(f, m[f])
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// joinPair packs two strings into one without ambiguity: the length of the first, a colon, then both.
func joinPair(a, b string) string {
	return strconv.Itoa(len(a)) + ":" + a + b
}

// splitPair undoes joinPair.
func splitPair(s string) (a, b string, ok bool) {
	for i := 0; i < len(s) && i < 20; i++ {
		if s[i] == ':' {
			n, err := strconv.Atoi(s[:i])
			if err != nil || n < 0 || i+1+n > len(s) {
				return "", "", false
			}
			return s[i+1 : i+1+n], s[i+1+n:], true
		}
	}
	return "", "", false
}
