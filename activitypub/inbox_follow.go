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

// Follows: Follow, the Undo of one, and follow requests of actors that approve their followers.

// follow records the follower and answers with an Accept that embeds the Follow and is
// addressed to the follower, as Mastodon expects (INTEROP §6 item 6). A Follow of a site actor
// that moved away, or from an actor that did, is rejected instead (see rejectMovedFollow).
func (in *inbox) follow(ctx context.Context, req *inboxRequest) error {
	follow := req.act
	username := in.urls.username(follow.Object.ID())
	if username == "" {
		return invalid("object", "%q is not an actor of this site", follow.Object.ID())
	}
	a, err := in.actors.lookup(ctx, username)
	if err != nil {
		return err
	}
	localID := in.urls.actor(a.Username)
	remote, err := in.remoteActor(ctx, req, follow.Actor.ID())
	if err != nil {
		return err
	}
	// Mastodon rejects a Follow of an account that moved (ActivityPub::Activity::Follow checks
	// target_account.moved?): its followers belong to the new account.
	target, err := movedTo(ctx, in.objects, localID, a)
	if err != nil {
		return err
	}
	if target != "" {
		return in.rejectMovedFollow(ctx, "activitypub: follow of a moved actor rejected", localID, remote, target, follow)
	}
	if target := movedTarget(remote.Document); target != "" {
		return in.rejectMovedFollow(ctx, "activitypub: follow from a moved actor rejected", localID, remote, target, follow)
	}
	if a.ManuallyApprovesFollowers {
		if _, err := in.followers.Follower(ctx, localID, remote.ID); errors.Is(err, store.ErrNotFound) {
			return in.keepFollowRequest(ctx, localID, remote, follow)
		}
	}
	err = in.followers.AddFollower(ctx, store.Follower{
		ActorID:     localID,
		FollowerID:  remote.ID,
		Inbox:       remote.Inbox,
		SharedInbox: remote.SharedInbox,
		FollowID:    follow.ID,
		CreatedAt:   in.now(),
	})
	if err != nil {
		return fmt.Errorf("activitypub: follow: %w", err)
	}
	in.audit.record(ctx, store.AuditEntry{Actor: remote.ID, Action: "follow", Object: localID, Detail: follow.ID})
	return in.answerFollow(ctx, "Accept", localID, remote.ID, remote.Inbox, follow)
}

// rejectMovedFollow answers a Follow with a Reject embedding it when one side moved away to the
// account target: the site actor followed (Move or Actor.MovedTo), or the follower (movedTo in its
// document). Followers were meant to follow the new account (Move), so the old one gains none: no
// follower or follow request is stored and OnFollowRequest is not called. A follow made before
// the move is ended too, since the Reject ends it on the follower's server as well. msg is the
// message of the Info record that tells why.
func (in *inbox) rejectMovedFollow(ctx context.Context, msg, localID string, remote store.RemoteActor, target string, follow *vocab.Object) error {
	in.log.LogAttrs(ctx, slog.LevelInfo, msg,
		slog.String("actor", remote.ID), slog.String("moved_to", target), slog.String("object", localID))
	if err := in.unfollow(ctx, localID, remote.ID, follow.ID); err != nil {
		return err
	}
	in.audit.record(ctx, store.AuditEntry{Actor: remote.ID, Action: "reject follow", Object: localID, Detail: follow.ID})
	return in.answerFollow(ctx, "Reject", localID, remote.ID, remote.Inbox, follow)
}

func (in *inbox) unfollow(ctx context.Context, localID, followerID, followID string) error {
	err := in.followers.RemoveFollower(ctx, localID, followerID)
	if errors.Is(err, store.ErrNotFound) {
		// A repeated Undo, or a withdrawn follow request.
		if err := in.requests.RemoveFollowRequest(ctx, localID, followerID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("activitypub: unfollow: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("activitypub: unfollow: %w", err)
	}
	in.audit.record(ctx, store.AuditEntry{Actor: followerID, Action: "unfollow", Object: localID, Detail: followID})
	return nil
}

// keepFollowRequest records a Follow of an actor that approves its followers and calls
// OnFollowRequest. A follower that is already approved gets its Accept again.
func (in *inbox) keepFollowRequest(ctx context.Context, localID string, remote store.RemoteActor, follow *vocab.Object) error {
	doc, err := json.Marshal(follow)
	if err != nil {
		return fmt.Errorf("activitypub: follow request: %w", err)
	}
	r := store.FollowRequest{ActorID: localID, FollowerID: remote.ID, Inbox: remote.Inbox, SharedInbox: remote.SharedInbox,
		FollowID: follow.ID, Document: doc, CreatedAt: in.now()}
	if err := in.requests.AddFollowRequest(ctx, r); err != nil {
		return fmt.Errorf("activitypub: follow request: %w", err)
	}
	in.audit.record(ctx, store.AuditEntry{Actor: remote.ID, Action: "follow request", Object: localID, Detail: follow.ID})
	if h := in.hooks.OnFollowRequest; h != nil {
		h(ctx, r)
	} else {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: follow request", slog.String("actor", localID), slog.String("follower", remote.ID))
	}
	return nil
}

// answerFollow sends an Accept or Reject of follow (see followAnswer) to the follower's inbox.
func (in *inbox) answerFollow(ctx context.Context, kind, localID, followerID, inbox string, follow *vocab.Object) error {
	answer := followAnswer(in.urls, kind, localID, followerID, follow)
	return in.send(ctx, answer, localID, answer.ID, inbox)
}
