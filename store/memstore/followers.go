package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.Followers       = (*Store)(nil)
	_ store.FollowerCounter = (*Store)(nil)
)

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
	before, err := pageStart(ctx, op, cursor, limit)
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
