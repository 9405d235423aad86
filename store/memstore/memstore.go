package memstore

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Store is a [store.Store]; each file beside this one asserts the contract or the optional
// capability it implements.
var _ store.Store = (*Store)(nil)

// Store is an in-memory [store.Store]. The zero value is not usable; call [New]. A Store is safe for
// concurrent use by multiple goroutines.
type Store struct {
	mu sync.RWMutex
	// seq orders followers, outbox entries and audit entries; cursors are its values.
	seq int64

	actors    map[string]*actorFollowers // by local actor id
	followIDs map[string]followerKey     // by Follow activity id

	objects map[string]store.Object
	outbox  map[string][]seqID  // by local actor id, ascending seq
	about   map[string][]string // object id to the ids of the outbox activities about it

	seen      map[string]time.Time // id to expiry
	seenCalls int

	remote    map[string]store.RemoteActor
	remoteKey map[string]string // key id to remote actor id

	keys map[followerKey]store.KeyPair // {actor, name}

	audit []auditEntry // ascending seq

	blocks     map[string]*blockEntry // by target
	blockOrder []*blockEntry          // ascending seq

	relays map[string]map[string]store.Relay // by local actor id, then relay id

	// q, hosts and deliveries have locks of their own.
	q          *queue
	hosts      *hosts
	deliveries *deliveries
	social     *social
	record     *record
}

// New returns an empty Store that tells the time with time.Now.
func New() *Store {
	return NewWithClock(time.Now)
}

// NewWithClock returns an empty Store whose queue and delivery records tell the time with now:
// lease ends, due times and the default UpdatedAt. Tests pass a fake clock to drive leases and
// retries without sleeping.
func NewWithClock(now func() time.Time) *Store {
	return &Store{
		actors:    make(map[string]*actorFollowers),
		followIDs: make(map[string]followerKey),
		objects:   make(map[string]store.Object),
		outbox:    make(map[string][]seqID),
		about:     make(map[string][]string),
		seen:      make(map[string]time.Time),
		remote:    make(map[string]store.RemoteActor),
		remoteKey: make(map[string]string),
		keys:      make(map[followerKey]store.KeyPair),
		blocks:    make(map[string]*blockEntry),
		relays:    make(map[string]map[string]store.Relay),

		record:     &record{holds: make(map[string]store.LegalHold)},
		q:          newQueue(now),
		hosts:      &hosts{m: make(map[string]store.HostState)},
		social:     newSocial(),
		deliveries: &deliveries{now: now, byObject: make(map[string]map[deliveryKey]store.DeliveryRecord), objectOf: make(map[deliveryKey]string)},
	}
}

func check(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	return nil
}

func checkLimit(op string, limit int) error {
	if limit < 1 {
		return fmt.Errorf("memstore: %s: limit %d is not positive", op, limit)
	}
	return nil
}

// pageStart checks a page request (ctx not done, a positive limit) and returns the sequence its
// cursor names (see parseCursor).
func pageStart(ctx context.Context, op, cursor string, limit int) (int64, error) {
	if err := check(ctx, op); err != nil {
		return 0, err
	}
	if err := checkLimit(op, limit); err != nil {
		return 0, err
	}
	return parseCursor(op, cursor)
}

// parseCursor returns the sequence a cursor names; an empty cursor is the newest end.
func parseCursor(op, cursor string) (int64, error) {
	if cursor == "" {
		return int64(^uint64(0) >> 1), nil
	}
	n, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("memstore: %s: cursor %q: %w", op, cursor, store.ErrBadCursor)
	}
	return n, nil
}

// newestFirst returns a page of list, which is in ascending sequence order (seq gives an entry's):
// up to limit entries older than the sequence before, newest first, each made an item by item,
// and Next set to the last one's sequence when older entries remain.
func newestFirst[E, T any](list []E, seq func(E) int64, before int64, limit int, item func(E) T) store.Page[T] {
	var p store.Page[T]
	// i is the number of entries older than the cursor; walk them down from the newest.
	i := sort.Search(len(list), func(i int) bool { return seq(list[i]) >= before })
	if i > 0 {
		p.Items = make([]T, 0, min(i, limit))
	}
	for j := i - 1; j >= 0 && len(p.Items) < limit; j-- {
		p.Items = append(p.Items, item(list[j]))
		if len(p.Items) == limit && j > 0 {
			p.Next = strconv.FormatInt(seq(list[j]), 10)
		}
	}
	return p
}
