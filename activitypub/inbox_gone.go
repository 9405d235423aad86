package activitypub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// Deletes of actors that are gone. When an account is deleted its server sends a Delete of the
// actor to every server that knows it, signed with the key it still holds, while the actor's
// document and key URL already answer 410 Gone: the signature cannot be checked, yet the actor must
// stop being a follower. Such a Delete is accepted when fedsite's own fetch of the actor finds it
// gone too.

// auditActorDeleted is the Action of the audit entry of a remote actor's deletion, once per site
// actor it followed or asked to follow.
const auditActorDeleted = "actor deleted"

// confirmGone authenticates act when verifyErr, the failure of its HTTP signature check, is that
// the key answered 410 Gone and act is its actor's Delete of itself: the actor's document is then
// fetched afresh, through the same guarded client as every fetch, and must answer 410 too. The 410
// of the key must come from the actor's origin. It returns verifyErr when act is not such a
// Delete, and an error wrapping it when the actor is not gone, so that the refusal stays the 401
// of the failed signature.
func (in *inbox) confirmGone(ctx context.Context, act *vocab.Object, verifyErr error) (*signing.Verified, error) {
	actor := act.Actor.ID()
	keyGone, ok := errors.AsType[*signing.StatusError](verifyErr)
	if !ok || keyGone.StatusCode != http.StatusGone || !act.Type.Has("Delete") || act.Object.ID() != actor {
		return nil, verifyErr
	}
	if !sameOrigin(keyGone.URL, actor) {
		return nil, fmt.Errorf("activitypub: gone key %s is not on the origin of %s: %w", keyGone.URL, actor, verifyErr)
	}
	_, _, err := in.remote.fetch(in.tel.fetching(ctx, fetchActor), actor)
	if gone, ok := errors.AsType[*signing.StatusError](err); !ok || gone.StatusCode != http.StatusGone {
		return nil, fmt.Errorf("activitypub: %s deletes itself with a gone key, but its document is not gone (%v): %w", actor, err, verifyErr)
	}
	var keyID string
	if ve, ok := errors.AsType[*signing.VerifyError](verifyErr); ok {
		keyID = ve.KeyID
	}
	return &signing.Verified{KeyID: keyID, Owner: actor}, nil
}

// actorDeleted applies an actor's Delete of itself, verified by its signature or confirmed gone
// (confirmGone): it stops following every site actor it followed, its pending follow requests are
// dropped, each is audited, and Config.OnFollowersGone is told.
func (in *inbox) actorDeleted(ctx context.Context, req *inboxRequest) error {
	gone := req.act.Actor.ID()
	locals, err := in.moveCandidates(ctx, req)
	if err != nil {
		return err
	}
	var removed []store.Follower
	for _, local := range locals {
		fl, err := in.followers.Follower(ctx, local, gone)
		switch {
		case err == nil:
			if err := in.followers.RemoveFollower(ctx, local, gone); err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("activitypub: delete of actor %s: %w", gone, err)
			}
			removed = append(removed, fl)
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("activitypub: delete of actor %s: %w", gone, err)
		}
		err = in.requests.RemoveFollowRequest(ctx, local, gone)
		switch {
		case err == nil:
		case errors.Is(err, store.ErrNotFound):
			if fl.FollowerID == "" {
				continue // neither a follower nor asking
			}
		default:
			return fmt.Errorf("activitypub: delete of actor %s: %w", gone, err)
		}
		in.audit.record(ctx, store.AuditEntry{Actor: gone, Action: auditActorDeleted, Object: local, Detail: req.act.ID})
	}
	if len(removed) == 0 {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: deleted actor followed no site actor", slog.String("actor", gone))
	}
	followersGone(ctx, in.onFollowersGone, removed)
	return nil
}
