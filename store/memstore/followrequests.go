package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.FollowRequests = (*Store)(nil)

type reqEntry struct {
	seq int64
	r   store.FollowRequest
}

// AddFollowRequest records r, replacing a pending request of the same follower to the same actor
// while keeping its place and CreatedAt.
func (s *Store) AddFollowRequest(ctx context.Context, r store.FollowRequest) error {
	const op = "add follow request"
	if err := check(ctx, op); err != nil {
		return err
	}
	if r.ActorID == "" || r.FollowerID == "" {
		return fmt.Errorf("memstore: %s: ActorID and FollowerID are required", op)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now()
	}
	r.Document = slices.Clone(r.Document)
	so := s.social
	so.mu.Lock()
	defer so.mu.Unlock()
	k := followerKey{r.ActorID, r.FollowerID}
	if e, ok := so.reqs[k]; ok {
		r.CreatedAt = e.r.CreatedAt
		e.r = r
		return nil
	}
	so.seq++
	e := &reqEntry{seq: so.seq, r: r}
	so.reqs[k] = e
	so.reqOrder[r.ActorID] = append(so.reqOrder[r.ActorID], e)
	return nil
}

// FollowRequest returns the pending request, or [store.ErrNotFound].
func (s *Store) FollowRequest(ctx context.Context, actorID, followerID string) (store.FollowRequest, error) {
	const op = "follow request"
	if err := check(ctx, op); err != nil {
		return store.FollowRequest{}, err
	}
	s.social.mu.RLock()
	defer s.social.mu.RUnlock()
	e, ok := s.social.reqs[followerKey{actorID, followerID}]
	if !ok {
		return store.FollowRequest{}, fmt.Errorf("memstore: %s %s of %s: %w", op, followerID, actorID, store.ErrNotFound)
	}
	r := e.r
	r.Document = slices.Clone(r.Document)
	return r, nil
}

// RemoveFollowRequest deletes the pending request, or returns [store.ErrNotFound].
func (s *Store) RemoveFollowRequest(ctx context.Context, actorID, followerID string) error {
	const op = "remove follow request"
	if err := check(ctx, op); err != nil {
		return err
	}
	so := s.social
	so.mu.Lock()
	defer so.mu.Unlock()
	k := followerKey{actorID, followerID}
	e, ok := so.reqs[k]
	if !ok {
		return fmt.Errorf("memstore: %s %s of %s: %w", op, followerID, actorID, store.ErrNotFound)
	}
	delete(so.reqs, k)
	list := so.reqOrder[actorID]
	if j := slices.Index(list, e); j >= 0 {
		list = slices.Delete(list, j, j+1)
	}
	if len(list) == 0 {
		delete(so.reqOrder, actorID)
	} else {
		so.reqOrder[actorID] = list
	}
	return nil
}

// FollowRequestsPage lists an actor's pending requests, newest first.
func (s *Store) FollowRequestsPage(ctx context.Context, actorID, cursor string, limit int) (store.Page[store.FollowRequest], error) {
	const op = "follow requests page"
	var p store.Page[store.FollowRequest]
	before, err := pageStart(ctx, op, cursor, limit)
	if err != nil {
		return p, err
	}
	s.social.mu.RLock()
	defer s.social.mu.RUnlock()
	return newestFirst(s.social.reqOrder[actorID], func(e *reqEntry) int64 { return e.seq }, before, limit,
		func(e *reqEntry) store.FollowRequest {
			r := e.r
			r.Document = slices.Clone(r.Document)
			return r
		}), nil
}
