package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.FollowRequests = (*Store)(nil)

const requestCols = `actor_id, follower_id, inbox, shared_inbox, follow_id, document, created_at`

// AddFollowRequest implements [store.FollowRequests]. One upsert keeps the row's sequence number
// and CreatedAt.
func (s *Store) AddFollowRequest(ctx context.Context, r store.FollowRequest) error {
	const op = "add follow request"
	if err := s.check(op); err != nil {
		return err
	}
	if r.ActorID == "" || r.FollowerID == "" {
		return fmt.Errorf("sqlstore: %s: ActorID and FollowerID are required", op)
	}
	created := r.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.q.social.addRequest, r.ActorID, r.FollowerID, r.Inbox, r.SharedInbox, r.FollowID,
		nonNilBytes(r.Document), created.UnixNano())
	return wrap(op, err)
}

// FollowRequest implements [store.FollowRequests].
func (s *Store) FollowRequest(ctx context.Context, actorID, followerID string) (store.FollowRequest, error) {
	const op = "follow request"
	if err := s.check(op); err != nil {
		return store.FollowRequest{}, err
	}
	r, err := scanRequest(s.db.QueryRowContext(ctx, s.q.social.request, actorID, followerID))
	return r, wrap(op, err)
}

// RemoveFollowRequest implements [store.FollowRequests].
func (s *Store) RemoveFollowRequest(ctx context.Context, actorID, followerID string) error {
	return s.execOne(ctx, "remove follow request", s.q.social.removeRequest, actorID, followerID)
}

// FollowRequestsPage implements [store.FollowRequests], paged as [Store.InteractionsPage].
func (s *Store) FollowRequestsPage(ctx context.Context, actorID, cursor string, limit int) (store.Page[store.FollowRequest], error) {
	return seqPage(ctx, s, "follow requests page", s.q.social.requestsFirst, s.q.social.requestsAfter,
		[]any{actorID}, cursor, limit,
		func(rows *sql.Rows) (store.FollowRequest, string, error) {
			var seq int64
			r, err := scanRequest(rows, &seq)
			return r, formatCursor(seq), err
		})
}

func scanRequest(sc scanner, seq ...*int64) (store.FollowRequest, error) {
	var r store.FollowRequest
	var created int64
	dest := []any{&r.ActorID, &r.FollowerID, &r.Inbox, &r.SharedInbox, &r.FollowID, &r.Document, &created}
	if len(seq) > 0 {
		dest = append([]any{seq[0]}, dest...)
	}
	if err := sc.Scan(dest...); err != nil {
		return store.FollowRequest{}, err
	}
	if len(r.Document) == 0 {
		r.Document = nil
	}
	r.CreatedAt = fromNanos(created)
	return r, nil
}
