package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Compile-time proof that Store keeps every contract.
var _ store.Store = (*Store)(nil)

// pruneEvery is how many MarkSeen calls pass between sweeps of expired entries.
const pruneEvery = 1024

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

	// q, hosts and deliveries have locks of their own.
	q          *queue
	hosts      *hosts
	deliveries *deliveries
	social     *social
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

		q:          newQueue(now),
		hosts:      &hosts{m: make(map[string]store.HostState)},
		social:     newSocial(),
		deliveries: &deliveries{now: now, byObject: make(map[string]map[deliveryKey]store.DeliveryRecord), objectOf: make(map[deliveryKey]string)},
	}
}

type followerKey struct{ a, b string }

type followerEntry struct {
	seq int64
	f   store.Follower
}

type actorFollowers struct {
	byID  map[string]*followerEntry
	order []*followerEntry // ascending seq
	// inboxes counts followers per delivery inbox; sorted is its keys in order, rebuilt lazily.
	inboxes map[string]int
	sorted  []string
	dirty   bool
}

type seqID struct {
	seq int64
	id  string
}

type auditEntry struct {
	seq int64
	e   store.AuditEntry
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

// AddFollower records f, keeping the CreatedAt and listing place of a follower that exists.
func (s *Store) AddFollower(ctx context.Context, f store.Follower) error {
	if err := check(ctx, "add follower"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.actors[f.ActorID]
	if a == nil {
		a = &actorFollowers{byID: make(map[string]*followerEntry), inboxes: make(map[string]int)}
		s.actors[f.ActorID] = a
	}
	if old, ok := a.byID[f.FollowerID]; ok {
		f.CreatedAt = old.f.CreatedAt
		a.dropInbox(old.f.DeliveryInbox())
		if old.f.FollowID != "" {
			delete(s.followIDs, old.f.FollowID)
		}
		old.f = f
	} else {
		if f.CreatedAt.IsZero() {
			f.CreatedAt = time.Now()
		}
		s.seq++
		e := &followerEntry{seq: s.seq, f: f}
		a.byID[f.FollowerID] = e
		a.order = append(a.order, e)
	}
	a.addInbox(f.DeliveryInbox())
	if f.FollowID != "" {
		s.followIDs[f.FollowID] = followerKey{f.ActorID, f.FollowerID}
	}
	return nil
}

// RemoveFollower deletes a follower, or returns [store.ErrNotFound].
func (s *Store) RemoveFollower(ctx context.Context, actorID, followerID string) error {
	if err := check(ctx, "remove follower"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.actors[actorID]
	if a == nil || a.byID[followerID] == nil {
		return fmt.Errorf("memstore: remove follower %s of %s: %w", followerID, actorID, store.ErrNotFound)
	}
	e := a.byID[followerID]
	delete(a.byID, followerID)
	i, _ := slices.BinarySearchFunc(a.order, e.seq, func(x *followerEntry, seq int64) int { return cmp.Compare(x.seq, seq) })
	a.order = slices.Delete(a.order, i, i+1)
	a.dropInbox(e.f.DeliveryInbox())
	if e.f.FollowID != "" {
		delete(s.followIDs, e.f.FollowID)
	}
	return nil
}

// Follower returns one follower, or [store.ErrNotFound].
func (s *Store) Follower(ctx context.Context, actorID, followerID string) (store.Follower, error) {
	if err := check(ctx, "follower"); err != nil {
		return store.Follower{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a := s.actors[actorID]; a != nil {
		if e := a.byID[followerID]; e != nil {
			return e.f, nil
		}
	}
	return store.Follower{}, fmt.Errorf("memstore: follower %s of %s: %w", followerID, actorID, store.ErrNotFound)
}

// FollowerByFollowID returns the follower recorded with a Follow activity id, or [store.ErrNotFound].
func (s *Store) FollowerByFollowID(ctx context.Context, followID string) (store.Follower, error) {
	if err := check(ctx, "follower by follow id"); err != nil {
		return store.Follower{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k, ok := s.followIDs[followID]; ok {
		if a := s.actors[k.a]; a != nil {
			if e := a.byID[k.b]; e != nil {
				return e.f, nil
			}
		}
	}
	return store.Follower{}, fmt.Errorf("memstore: follower by follow id %s: %w", followID, store.ErrNotFound)
}

// FollowersPage lists an actor's followers, newest first.
func (s *Store) FollowersPage(ctx context.Context, actorID, cursor string, limit int) (store.Page[store.Follower], error) {
	const op = "followers page"
	if err := check(ctx, op); err != nil {
		return store.Page[store.Follower]{}, err
	}
	if err := checkLimit(op, limit); err != nil {
		return store.Page[store.Follower]{}, err
	}
	before, err := parseCursor(op, cursor)
	if err != nil {
		return store.Page[store.Follower]{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.actors[actorID]
	if a == nil {
		return store.Page[store.Follower]{}, nil
	}
	return newestFirst(a.order, func(e *followerEntry) int64 { return e.seq }, before, limit,
		func(e *followerEntry) store.Follower { return e.f }), nil
}

// CountFollowers returns how many followers an actor has.
func (s *Store) CountFollowers(ctx context.Context, actorID string) (int, error) {
	if err := check(ctx, "count followers"); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a := s.actors[actorID]; a != nil {
		return len(a.byID), nil
	}
	return 0, nil
}

// DeliveryInboxes lists the distinct delivery inboxes of an actor's followers in ascending order
// after the inbox named by after.
func (s *Store) DeliveryInboxes(ctx context.Context, actorID, after string, limit int) ([]string, error) {
	const op = "delivery inboxes"
	if err := check(ctx, op); err != nil {
		return nil, err
	}
	if err := checkLimit(op, limit); err != nil {
		return nil, err
	}
	s.mu.RLock()
	a := s.actors[actorID]
	if a == nil {
		s.mu.RUnlock()
		return nil, nil
	}
	if a.dirty {
		// Sorting needs the write lock; take it and look again, as another reader may have sorted.
		s.mu.RUnlock()
		s.mu.Lock()
		if a.dirty {
			a.sorted = a.sorted[:0]
			for in := range a.inboxes {
				a.sorted = append(a.sorted, in)
			}
			slices.Sort(a.sorted)
			a.dirty = false
		}
		s.mu.Unlock()
		s.mu.RLock()
	}
	defer s.mu.RUnlock()
	if a.dirty {
		// A writer came in between; the answer is still right, only slower.
		return s.deliveryInboxesSlow(a, after, limit), nil
	}
	i, found := slices.BinarySearch(a.sorted, after)
	if found {
		i++
	}
	end := min(i+limit, len(a.sorted))
	return slices.Clone(a.sorted[i:end]), nil
}

// RemoveFollowersByInbox removes every follower whose delivery inbox is inbox and returns them.
func (s *Store) RemoveFollowersByInbox(ctx context.Context, inbox string) ([]store.Follower, error) {
	if err := check(ctx, "remove followers by inbox"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removeFollowersLocked(func(a *actorFollowers) bool { return a.inboxes[inbox] > 0 },
		func(f store.Follower) bool { return f.DeliveryInbox() == inbox }), nil
}

// removeFollowersLocked removes the followers for which drop is true, of the actors for which
// look is true, and returns them. s.mu is held.
func (s *Store) removeFollowersLocked(look func(*actorFollowers) bool, drop func(store.Follower) bool) []store.Follower {
	var removed []store.Follower
	for _, a := range s.actors {
		if !look(a) {
			continue
		}
		kept := a.order[:0]
		for _, e := range a.order {
			if !drop(e.f) {
				kept = append(kept, e)
				continue
			}
			removed = append(removed, e.f)
			delete(a.byID, e.f.FollowerID)
			a.dropInbox(e.f.DeliveryInbox())
			if e.f.FollowID != "" {
				delete(s.followIDs, e.f.FollowID)
			}
		}
		clear(a.order[len(kept):])
		a.order = kept
	}
	return removed
}

func (s *Store) deliveryInboxesSlow(a *actorFollowers, after string, limit int) []string {
	var out []string
	for in := range a.inboxes {
		if in > after {
			out = append(out, in)
		}
	}
	slices.Sort(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func (a *actorFollowers) addInbox(in string) {
	if a.inboxes[in] == 0 {
		a.dirty = true
	}
	a.inboxes[in]++
}

func (a *actorFollowers) dropInbox(in string) {
	if a.inboxes[in] <= 1 {
		delete(a.inboxes, in)
		a.dirty = true
		return
	}
	a.inboxes[in]--
}

// PutObject stores o, replacing an object with the same id; a deleted id gives [store.ErrConflict].
func (s *Store) PutObject(ctx context.Context, o store.Object) error {
	if err := check(ctx, "put object"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putObjectLocked(o)
}

func (s *Store) putObjectLocked(o store.Object) error {
	if old, ok := s.objects[o.ID]; ok && !old.Deleted.IsZero() {
		return fmt.Errorf("memstore: put object %s: deleted: %w", o.ID, store.ErrConflict)
	}
	o.Document = slices.Clone(o.Document)
	s.objects[o.ID] = o
	return nil
}

// Object returns an object, deleted ones included, or [store.ErrNotFound].
func (s *Store) Object(ctx context.Context, id string) (store.Object, error) {
	if err := check(ctx, "object"); err != nil {
		return store.Object{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.objects[id]
	if !ok {
		return store.Object{}, fmt.Errorf("memstore: object %s: %w", id, store.ErrNotFound)
	}
	o.Document = slices.Clone(o.Document)
	return o, nil
}

// DeleteObject turns an object into a tombstone and takes the activities about it out of their
// outboxes, or returns [store.ErrNotFound]. Deleting a tombstone again keeps the first deletion
// time.
func (s *Store) DeleteObject(ctx context.Context, id string, at time.Time) error {
	if err := check(ctx, "delete object"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[id]
	if !ok {
		return fmt.Errorf("memstore: delete object %s: %w", id, store.ErrNotFound)
	}
	if o.Deleted.IsZero() {
		if at.IsZero() {
			at = time.Now()
		}
		o.Deleted = at
		o.Document = nil
		s.objects[id] = o
	}
	for _, act := range s.about[id] {
		actor := s.objects[act].ActorID
		s.outbox[actor] = slices.DeleteFunc(s.outbox[actor], func(e seqID) bool { return e.id == act })
	}
	delete(s.about, id)
	return nil
}

// AppendOutbox stores activity and objects and appends activity to its actor's outbox, all or
// nothing. An activity id that is stored already, or an activity or object naming a deleted
// object, gives [store.ErrConflict].
func (s *Store) AppendOutbox(ctx context.Context, activity store.Object, objects ...store.Object) error {
	if err := check(ctx, "append outbox"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[activity.ID]; ok {
		return fmt.Errorf("memstore: append outbox %s: %w", activity.ID, store.ErrConflict)
	}
	if o, ok := s.objects[activity.ObjectID]; ok && activity.ObjectID != "" && !o.Deleted.IsZero() {
		return fmt.Errorf("memstore: append outbox %s: about deleted %s: %w", activity.ID, o.ID, store.ErrConflict)
	}
	for _, o := range objects {
		if old, ok := s.objects[o.ID]; (ok && !old.Deleted.IsZero()) || o.ID == activity.ID {
			return fmt.Errorf("memstore: append outbox %s: object %s: %w", activity.ID, o.ID, store.ErrConflict)
		}
	}
	// Every check passed, so none of the puts below can fail.
	for _, o := range append([]store.Object{activity}, objects...) {
		if err := s.putObjectLocked(o); err != nil {
			return err
		}
	}
	s.seq++
	s.outbox[activity.ActorID] = append(s.outbox[activity.ActorID], seqID{s.seq, activity.ID})
	if activity.ObjectID != "" {
		s.about[activity.ObjectID] = append(s.about[activity.ObjectID], activity.ID)
	}
	return nil
}

// OutboxPage lists an actor's activities, newest first.
func (s *Store) OutboxPage(ctx context.Context, actorID, cursor string, limit int) (store.Page[store.Object], error) {
	const op = "outbox page"
	if err := check(ctx, op); err != nil {
		return store.Page[store.Object]{}, err
	}
	if err := checkLimit(op, limit); err != nil {
		return store.Page[store.Object]{}, err
	}
	before, err := parseCursor(op, cursor)
	if err != nil {
		return store.Page[store.Object]{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return newestFirst(s.outbox[actorID], func(e seqID) int64 { return e.seq }, before, limit,
		func(e seqID) store.Object {
			o := s.objects[e.id]
			o.Document = slices.Clone(o.Document)
			return o
		}), nil
}

// CountOutbox returns how many activities an actor's outbox holds.
func (s *Store) CountOutbox(ctx context.Context, actorID string) (int, error) {
	if err := check(ctx, "count outbox"); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.outbox[actorID]), nil
}

// MarkSeen records id for ttl and reports whether it was not recorded already.
func (s *Store) MarkSeen(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if err := check(ctx, "mark seen"); err != nil {
		return false, err
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seenCalls++
	if s.seenCalls%pruneEvery == 0 {
		for k, exp := range s.seen {
			if !now.Before(exp) {
				delete(s.seen, k)
			}
		}
	}
	if exp, ok := s.seen[id]; ok && now.Before(exp) {
		return false, nil
	}
	s.seen[id] = now.Add(ttl)
	return true, nil
}

// ForgetSeen implements [store.Seen].
func (s *Store) ForgetSeen(ctx context.Context, id string) error {
	if err := check(ctx, "forget seen"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seen, id)
	return nil
}

// PutRemoteActor stores a, replacing an earlier copy and its keys.
func (s *Store) PutRemoteActor(ctx context.Context, a store.RemoteActor) error {
	if err := check(ctx, "put remote actor"); err != nil {
		return err
	}
	a = cloneRemote(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.remote[a.ID]; ok {
		for _, k := range old.Keys {
			if s.remoteKey[k.ID] == a.ID {
				delete(s.remoteKey, k.ID)
			}
		}
	}
	s.remote[a.ID] = a
	for _, k := range a.Keys {
		s.remoteKey[k.ID] = a.ID
	}
	return nil
}

// RemoteActor returns a cached actor, or [store.ErrNotFound].
func (s *Store) RemoteActor(ctx context.Context, id string) (store.RemoteActor, error) {
	if err := check(ctx, "remote actor"); err != nil {
		return store.RemoteActor{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.remote[id]
	if !ok {
		return store.RemoteActor{}, fmt.Errorf("memstore: remote actor %s: %w", id, store.ErrNotFound)
	}
	return cloneRemote(a), nil
}

// RemoteActorByKey returns the cached actor that published a key, or [store.ErrNotFound].
func (s *Store) RemoteActorByKey(ctx context.Context, keyID string) (store.RemoteActor, error) {
	if err := check(ctx, "remote actor by key"); err != nil {
		return store.RemoteActor{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id, ok := s.remoteKey[keyID]; ok {
		if a, ok := s.remote[id]; ok {
			return cloneRemote(a), nil
		}
	}
	return store.RemoteActor{}, fmt.Errorf("memstore: remote actor by key %s: %w", keyID, store.ErrNotFound)
}

func cloneRemote(a store.RemoteActor) store.RemoteActor {
	a.Keys = slices.Clone(a.Keys)
	a.Document = slices.Clone(a.Document)
	return a
}

// KeyPair returns an actor's key of that name, or [store.ErrNotFound].
func (s *Store) KeyPair(ctx context.Context, actorID, name string) (store.KeyPair, error) {
	if err := check(ctx, "key pair"); err != nil {
		return store.KeyPair{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[followerKey{actorID, name}]
	if !ok {
		return store.KeyPair{}, fmt.Errorf("memstore: key pair %s#%s: %w", actorID, name, store.ErrNotFound)
	}
	k.PrivateKeyPEM = slices.Clone(k.PrivateKeyPEM)
	return k, nil
}

// CreateKeyPair stores a new key, or returns [store.ErrConflict] when the actor has one of that name.
// A zero CreatedAt is set to the current time.
func (s *Store) CreateKeyPair(ctx context.Context, k store.KeyPair) error {
	if err := check(ctx, "create key pair"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := followerKey{k.ActorID, k.Name}
	if _, ok := s.keys[id]; ok {
		return fmt.Errorf("memstore: create key pair %s#%s: %w", k.ActorID, k.Name, store.ErrConflict)
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	k.PrivateKeyPEM = slices.Clone(k.PrivateKeyPEM)
	s.keys[id] = k
	return nil
}

// AppendAudit adds e to the log, setting a zero Time to the current time.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	if err := check(ctx, "append audit"); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.audit = append(s.audit, auditEntry{s.seq, e})
	return nil
}

// AuditPage lists audit entries, newest first.
func (s *Store) AuditPage(ctx context.Context, cursor string, limit int) (store.Page[store.AuditEntry], error) {
	const op = "audit page"
	if err := check(ctx, op); err != nil {
		return store.Page[store.AuditEntry]{}, err
	}
	if err := checkLimit(op, limit); err != nil {
		return store.Page[store.AuditEntry]{}, err
	}
	before, err := parseCursor(op, cursor)
	if err != nil {
		return store.Page[store.AuditEntry]{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return newestFirst(s.audit, func(e auditEntry) int64 { return e.seq }, before, limit,
		func(e auditEntry) store.AuditEntry { return e.e }), nil
}
