package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// keepFollowRequest records a Follow of an actor that approves its followers and calls
// OnFollowRequest. A follower that is already approved gets its Accept again.
func (f *Federation) keepFollowRequest(ctx context.Context, localID string, remote store.RemoteActor, follow *vocab.Object) error {
	doc, err := json.Marshal(follow)
	if err != nil {
		return fmt.Errorf("activitypub: follow request: %w", err)
	}
	r := store.FollowRequest{ActorID: localID, FollowerID: remote.ID, Inbox: remote.Inbox, SharedInbox: remote.SharedInbox,
		FollowID: follow.ID, Document: doc, CreatedAt: f.cfg.Now()}
	if err := f.cfg.Store.AddFollowRequest(ctx, r); err != nil {
		return fmt.Errorf("activitypub: follow request: %w", err)
	}
	f.audit(ctx, store.AuditEntry{Actor: remote.ID, Action: "follow request", Object: localID, Detail: follow.ID})
	if h := f.cfg.Inbox.OnFollowRequest; h != nil {
		h(ctx, r)
	} else {
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: follow request", slog.String("actor", localID), slog.String("follower", remote.ID))
	}
	return nil
}

// ApproveFollow accepts a pending follow request of followerID to the site actor username: the
// follower is recorded and an Accept embedding the Follow is sent. It returns an error matching
// ErrNotFound when no such request is pending, and one matching ErrBlocked, leaving the request
// pending, when the follower was blocked since it asked.
func (f *Federation) ApproveFollow(ctx context.Context, username, followerID string) error {
	return f.decideFollow(ctx, username, followerID, true)
}

// RejectFollow refuses a pending follow request: the request is dropped and a Reject embedding the
// Follow is sent. It returns an error matching ErrNotFound when no such request is pending.
func (f *Federation) RejectFollow(ctx context.Context, username, followerID string) error {
	return f.decideFollow(ctx, username, followerID, false)
}

func (f *Federation) decideFollow(ctx context.Context, username, followerID string, approve bool) error {
	a, err := f.lookupActor(ctx, username)
	if err != nil {
		return err
	}
	localID := f.urls.actor(a.Username)
	r, err := f.cfg.Store.FollowRequest(ctx, localID, followerID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("activitypub: follow request of %s to %s: %w", followerID, username, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("activitypub: follow request: %w", err)
	}
	follow, err := vocab.Decode(r.Document)
	if err != nil {
		return fmt.Errorf("activitypub: stored follow request: %w", err)
	}
	kind, action := "Reject", "reject follow"
	if approve {
		if err := f.checkBlocked(ctx, r.FollowerID); err != nil {
			return fmt.Errorf("activitypub: approve follow: %w", err)
		}
		kind, action = "Accept", "follow"
		err := f.cfg.Store.AddFollower(ctx, store.Follower{ActorID: localID, FollowerID: r.FollowerID, Inbox: r.Inbox,
			SharedInbox: r.SharedInbox, FollowID: r.FollowID, CreatedAt: f.cfg.Now()})
		if err != nil {
			return fmt.Errorf("activitypub: approve follow: %w", err)
		}
	}
	if err := f.cfg.Store.RemoveFollowRequest(ctx, localID, followerID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("activitypub: follow request: %w", err)
	}
	f.audit(ctx, store.AuditEntry{Actor: r.FollowerID, Action: action, Object: localID, Detail: r.FollowID})
	return f.answerFollow(ctx, kind, localID, r.FollowerID, r.Inbox, follow)
}

// answerFollow sends an Accept or Reject that embeds the Follow and is addressed to the follower,
// as Mastodon expects (INTEROP §6 item 6).
func (f *Federation) answerFollow(ctx context.Context, kind, localID, followerID, inbox string, follow *vocab.Object) error {
	embedded := *follow
	embedded.Context = nil
	answer := &vocab.Object{
		Context: vocab.ContextActivityStreams,
		ID:      f.urls.activity(newID()),
		Type:    vocab.Types{kind},
		Actor:   vocab.Ref{IRI: localID},
		Object:  vocab.Ref{Object: &embedded},
		To:      vocab.Refs{{IRI: followerID}},
	}
	return f.send(ctx, answer, localID, answer.ID, inbox)
}
