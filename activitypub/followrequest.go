package activitypub

import (
	"context"
	"errors"
	"fmt"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// ApproveFollow accepts a pending follow request of followerID to the site actor username: the
// follower is recorded and an Accept embedding the Follow is sent. It returns an error matching
// ErrNotFound when no such request is pending, and one matching ErrBlocked, leaving the request
// pending, when the follower was blocked since it asked.
func (f *Federation) ApproveFollow(ctx context.Context, username, followerID string) error {
	if err := f.authorize(ctx, ActionApproveFollow, username, followerID); err != nil {
		return err
	}
	return f.out.decideFollow(ctx, username, followerID, true)
}

// RejectFollow refuses a pending follow request: the request is dropped and a Reject embedding the
// Follow is sent. It returns an error matching ErrNotFound when no such request is pending.
func (f *Federation) RejectFollow(ctx context.Context, username, followerID string) error {
	if err := f.authorize(ctx, ActionRejectFollow, username, followerID); err != nil {
		return err
	}
	return f.out.decideFollow(ctx, username, followerID, false)
}

// decideFollow answers the pending follow request of followerID to the site actor username: an
// Accept, with the follower recorded, when approve is set, else a Reject.
func (p *publisher) decideFollow(ctx context.Context, username, followerID string, approve bool) error {
	a, err := p.actors.lookup(ctx, username)
	if err != nil {
		return err
	}
	localID := p.urls.actor(a.Username)
	r, err := p.requests.FollowRequest(ctx, localID, followerID)
	if err != nil { // ErrNotFound when none is pending
		return fmt.Errorf("activitypub: follow request of %s to %s: %w", followerID, username, err)
	}
	follow, err := vocab.Decode(r.Document)
	if err != nil {
		return fmt.Errorf("activitypub: stored follow request: %w", err)
	}
	kind, action := "Reject", "reject follow"
	if approve {
		if err := checkBlocked(ctx, p.blocks, r.FollowerID); err != nil {
			return fmt.Errorf("activitypub: approve follow: %w", err)
		}
		kind, action = "Accept", "follow"
		err := p.followers.AddFollower(ctx, store.Follower{ActorID: localID, FollowerID: r.FollowerID, Inbox: r.Inbox,
			SharedInbox: r.SharedInbox, FollowID: r.FollowID, CreatedAt: p.now()})
		if err != nil {
			return fmt.Errorf("activitypub: approve follow: %w", err)
		}
	}
	if err := p.requests.RemoveFollowRequest(ctx, localID, followerID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("activitypub: follow request: %w", err)
	}
	p.audit.record(ctx, store.AuditEntry{Actor: r.FollowerID, Action: action, Object: localID, Detail: r.FollowID})
	answer := followAnswer(p.urls, kind, localID, r.FollowerID, follow)
	return p.sender.send(ctx, answer, localID, answer.ID, r.Inbox)
}

// followAnswer is an Accept or Reject (kind) of follow by the site actor localID, embedding the
// Follow and addressed to the follower, as Mastodon expects (INTEROP §6 item 6).
func followAnswer(urls urlLayout, kind, localID, followerID string, follow *vocab.Object) *vocab.Object {
	embedded := *follow
	embedded.Context = nil
	return &vocab.Object{
		Context: vocab.ContextActivityStreams,
		ID:      urls.activity(newID()),
		Type:    vocab.Types{kind},
		Actor:   vocab.Ref{IRI: localID},
		Object:  vocab.Ref{Object: &embedded},
		To:      vocab.Refs{{IRI: followerID}},
	}
}

// FollowRequests lists the pending follow requests of the site actor username, newest first, for
// the site to answer with [Federation.ApproveFollow] or [Federation.RejectFollow]; only actors
// with ManuallyApprovesFollowers get any. cursor is "" for the first page or a previous page's
// Next; a limit below 1 is Config.Publishing.PageSize. An unknown actor is an error matching
// ErrNotFound.
func (f *Federation) FollowRequests(ctx context.Context, username, cursor string, limit int) (store.Page[store.FollowRequest], error) {
	a, err := f.actors.lookup(ctx, username)
	if err != nil {
		return store.Page[store.FollowRequest]{}, err
	}
	if limit < 1 {
		limit = f.cfg.Publishing.PageSize
	}
	p, err := f.cfg.Store.FollowRequestsPage(ctx, f.urls.actor(a.Username), cursor, limit)
	if err != nil {
		return store.Page[store.FollowRequest]{}, fmt.Errorf("activitypub: follow requests of %s: %w", username, err)
	}
	return p, nil
}
