package activitypub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// errForbidden reports an activity whose actor may not do what it asks, such as undoing someone
// else's Follow or sending an object of another origin.
var errForbidden = errors.New("activitypub: forbidden")

// seenTTL is how long an activity id is remembered as processed. Senders retry for a few days at
// most (Mastodon's Sidekiq schedule ends after about 3 days); a week covers that.
const seenTTL = 7 * 24 * time.Hour

// serveInbox accepts an activity POSTed to the shared inbox or an actor's inbox. The order of the
// checks keeps bad input cheap and the store untouched by anything that fails them:
//
//  1. size (413), media type (415), JSON shape and depth (400);
//  2. blocks (403) on the actor, before any fetch; the keyId's host is checked by the key
//     resolver before it fetches anything (403), and the verified signer once more;
//  3. the HTTP signature (401) and signer == actor (401);
//  4. the origin rules (403, see origin.go);
//  5. de-duplication by activity id: a duplicate is answered 202 without effect;
//  6. the activity's effects (202 once applied). If they fail, the id is forgotten again, so the
//     sender's retry is processed: nothing is lost.
func (f *Federation) serveInbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if name := r.PathValue("name"); name != "" {
		if _, err := f.lookupActor(ctx, name); err != nil {
			f.notFoundOr(w, r, "inbox owner", err)
			return
		}
	}
	if r.ContentLength > f.cfg.MaxBodyBytes {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, f.cfg.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if !jsonMediaType(r.Header.Get("Content-Type")) {
		http.Error(w, "content type must be application/activity+json", http.StatusUnsupportedMediaType)
		return
	}
	act, err := vocab.Decode(body)
	if err != nil {
		http.Error(w, "malformed activity", http.StatusBadRequest)
		return
	}
	if act.ID == "" || len(act.Type) == 0 || act.Actor.ID() == "" {
		http.Error(w, "malformed activity: id, type and actor are required", http.StatusBadRequest)
		return
	}
	if _, ok := origin(act.Actor.ID()); !ok {
		http.Error(w, "malformed activity: actor is not an http(s) IRI", http.StatusBadRequest)
		return
	}
	if err := f.checkBlocked(ctx, act.Actor.ID()); err != nil {
		f.inboxError(w, r, act, err)
		return
	}
	v, err := f.verifier.Verify(ctx, r, body)
	if err != nil {
		if errors.Is(err, ErrBlocked) {
			f.inboxError(w, r, act, err)
			return
		}
		// Every other verification failure is 401, so that a sender trying RFC 9421 first
		// (Fedify, Mastodon 4.7) falls back to draft-cavage.
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: signature rejected",
			slog.String("actor", act.Actor.ID()), slog.Any("err", err))
		http.Error(w, "signature rejected", http.StatusUnauthorized)
		return
	}
	if v.Owner != act.Actor.ID() {
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: signer is not the actor",
			slog.String("actor", act.Actor.ID()), slog.String("signer", v.Owner))
		http.Error(w, "the signer is not the activity's actor", http.StatusUnauthorized)
		return
	}
	act, err = checkOrigins(act)
	if err != nil {
		f.inboxError(w, r, act, err)
		return
	}
	first, release, err := f.claim(ctx, act.ID)
	if err != nil {
		f.inboxError(w, r, act, err)
		return
	}
	if !first {
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: duplicate activity",
			slog.String("id", act.ID), slog.String("actor", act.Actor.ID()))
		w.WriteHeader(http.StatusAccepted)
		return
	}
	err = f.handleActivity(withInboxRequest(ctx, inboxRequest{owner: r.PathValue("name"), body: body,
		signer: v.Owner, signerDoc: v.OwnerDocument}), act)
	release(ctx, err == nil)
	if err != nil {
		f.inboxError(w, r, act, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// inboxError maps an error met while handling an inbox POST to its status; the body says little,
// the details go to the log.
func (f *Federation) inboxError(w http.ResponseWriter, r *http.Request, act *vocab.Object, err error) {
	var status int
	var invalidErr *InvalidError
	switch {
	case errors.Is(err, ErrBlocked):
		status = http.StatusForbidden
	case errors.As(err, &invalidErr):
		status = http.StatusBadRequest
	case errors.Is(err, errForbidden):
		status = http.StatusForbidden
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	default:
		f.fail(w, r, "inbox", err)
		return
	}
	attrs := []slog.Attr{slog.Int("status", status), slog.Any("err", err)}
	if act != nil {
		attrs = append(attrs, slog.String("id", act.ID), slog.String("actor", act.Actor.ID()))
	}
	f.log.LogAttrs(r.Context(), slog.LevelDebug, "activitypub: inbox refused", attrs...)
	http.Error(w, http.StatusText(status), status)
}

// claim marks an activity id as seen and reports whether it was new. Within the process the
// processing of one id is serialized: a concurrent duplicate waits for the first copy and is then
// answered from its outcome, so it is neither processed twice nor lost if the first copy fails.
// release must be called with the outcome when first is true: on failure the id is forgotten, so
// the sender's retry is processed.
func (f *Federation) claim(ctx context.Context, id string) (first bool, release func(ctx context.Context, ok bool), err error) {
	f.dedupMu.Lock()
	for {
		wait, busy := f.inflight[id]
		if !busy {
			break
		}
		f.dedupMu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return false, nil, fmt.Errorf("activitypub: wait for duplicate %s: %w", id, ctx.Err())
		}
		f.dedupMu.Lock()
	}
	done := make(chan struct{})
	f.inflight[id] = done
	f.dedupMu.Unlock()

	unlock := func() {
		f.dedupMu.Lock()
		defer f.dedupMu.Unlock()
		delete(f.inflight, id)
		close(done)
	}
	isNew, err := f.cfg.Store.MarkSeen(ctx, id, seenTTL)
	if err != nil {
		unlock()
		return false, nil, fmt.Errorf("activitypub: mark %s seen: %w", id, err)
	}
	if !isNew {
		unlock()
		return false, nil, nil
	}
	return true, func(ctx context.Context, ok bool) {
		defer unlock()
		if ok {
			return
		}
		// Forget under a context that outlives a cancelled request: the id must not stay marked.
		if err := f.cfg.Store.ForgetSeen(context.WithoutCancel(ctx), id); err != nil {
			f.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: forget seen", slog.String("id", id), slog.Any("err", err))
		}
	}, nil
}

// jsonMediaType reports whether a Content-Type is one ActivityPub servers send. Mastodon does not
// check it; GoToSocial requires it, so we keep to the JSON family and refuse the rest.
func jsonMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/activity+json", "application/ld+json", "application/json":
		return true
	}
	return false
}

// handleActivity applies a verified activity's effects. Types fedsite does not act on yet are
// accepted and logged.
func (f *Federation) handleActivity(ctx context.Context, act *vocab.Object) error {
	switch {
	case act.Type.Has("Follow"):
		return f.handleFollow(ctx, act)
	case act.Type.Has("Undo"):
		return f.handleUndo(ctx, act)
	case act.Type.Has("Create"):
		return f.handleCreate(ctx, act)
	case act.Type.Has("Update"):
		return f.handleUpdate(ctx, act)
	case act.Type.Has("Delete"):
		return f.handleDelete(ctx, act)
	case act.Type.Has("Like"):
		return f.handleReaction(ctx, act, store.InteractionLike)
	case act.Type.Has("Announce"):
		return f.handleReaction(ctx, act, store.InteractionAnnounce)
	case act.Type.Has("Flag"):
		return f.handleFlag(ctx, act)
	case act.Type.Has("Move"):
		return f.handleMove(ctx, act)
	case act.Type.Has("Block"):
		return f.handleBlock(ctx, act)
	}
	return f.ignore(ctx, act)
}

// handleFollow records the follower and answers with an Accept that embeds the Follow and is
// addressed to the follower, as Mastodon expects (INTEROP §6 item 6). A Follow of a site actor
// that moved away, or from an actor that did, is rejected instead (see rejectMovedFollow).
func (f *Federation) handleFollow(ctx context.Context, follow *vocab.Object) error {
	username := f.urls.username(follow.Object.ID())
	if username == "" {
		return invalid("object", "%q is not an actor of this site", follow.Object.ID())
	}
	a, err := f.lookupActor(ctx, username)
	if err != nil {
		return err
	}
	localID := f.urls.actor(a.Username)
	remote, err := f.remoteActor(ctx, follow.Actor.ID())
	if err != nil {
		return err
	}
	// Mastodon rejects a Follow of an account that moved (ActivityPub::Activity::Follow checks
	// target_account.moved?): its followers belong to the new account.
	target, err := f.movedTo(ctx, a)
	if err != nil {
		return err
	}
	if target != "" {
		return f.rejectMovedFollow(ctx, "activitypub: follow of a moved actor rejected", localID, remote, target, follow)
	}
	if target := movedTarget(remote.Document); target != "" {
		return f.rejectMovedFollow(ctx, "activitypub: follow from a moved actor rejected", localID, remote, target, follow)
	}
	if a.ManuallyApprovesFollowers {
		if _, err := f.cfg.Store.Follower(ctx, localID, remote.ID); errors.Is(err, store.ErrNotFound) {
			return f.keepFollowRequest(ctx, localID, remote, follow)
		}
	}
	err = f.cfg.Store.AddFollower(ctx, store.Follower{
		ActorID:     localID,
		FollowerID:  remote.ID,
		Inbox:       remote.Inbox,
		SharedInbox: remote.SharedInbox,
		FollowID:    follow.ID,
		CreatedAt:   f.cfg.Now(),
	})
	if err != nil {
		return fmt.Errorf("activitypub: follow: %w", err)
	}
	f.audit(ctx, store.AuditEntry{Actor: remote.ID, Action: "follow", Object: localID, Detail: follow.ID})
	return f.answerFollow(ctx, "Accept", localID, remote.ID, remote.Inbox, follow)
}

// rejectMovedFollow answers a Follow with a Reject embedding it when one side moved away to the
// account target: the site actor followed (Move or Actor.MovedTo), or the follower (movedTo in its
// document). Followers were meant to follow the new account (Move), so the old one gains none: no
// follower or follow request is stored and OnFollowRequest is not called. A follow made before
// the move is ended too, since the Reject ends it on the follower's server as well. msg is the
// message of the Info record that tells why.
func (f *Federation) rejectMovedFollow(ctx context.Context, msg, localID string, remote store.RemoteActor, target string, follow *vocab.Object) error {
	f.log.LogAttrs(ctx, slog.LevelInfo, msg,
		slog.String("actor", remote.ID), slog.String("moved_to", target), slog.String("object", localID))
	if err := f.unfollow(ctx, localID, remote.ID, follow.ID); err != nil {
		return err
	}
	f.audit(ctx, store.AuditEntry{Actor: remote.ID, Action: "reject follow", Object: localID, Detail: follow.ID})
	return f.answerFollow(ctx, "Reject", localID, remote.ID, remote.Inbox, follow)
}

// handleUndo handles Undo{Follow}, Undo{Like} and Undo{Announce}, whether the undone activity is
// embedded or named by its id, and Undo{Create} of a reply or mention when it embeds the Create.
// Undoing someone else's activity is forbidden.
func (f *Federation) handleUndo(ctx context.Context, undo *vocab.Object) error {
	actor := undo.Actor.ID()
	if inner := undo.Object.Object; inner != nil && len(inner.Type) > 0 {
		if inner.Actor.ID() != "" && inner.Actor.ID() != actor {
			return fmt.Errorf("activitypub: undo of %s's %s by %s: %w", inner.Actor.ID(), inner.Type, actor, errForbidden)
		}
		switch {
		case inner.Type.Has("Like") || inner.Type.Has("Announce"):
			_, err := f.undoReaction(ctx, actor, inner.ID, inner)
			return err
		case inner.Type.Has("Create"):
			// Taking a post back is deleting it.
			return f.forgetPost(ctx, undo, inner.Object.ID())
		case !inner.Type.Has("Follow"):
			return nil // nothing kept for other types
		}
		username := f.urls.username(inner.Object.ID())
		if username == "" {
			return nil // a follow of someone else
		}
		return f.unfollow(ctx, f.urls.actor(username), actor, inner.ID)
	}
	if known, err := f.undoReaction(ctx, actor, undo.Object.ID(), nil); known || err != nil {
		return err
	}
	fl, err := f.cfg.Store.FollowerByFollowID(ctx, undo.Object.ID())
	if errors.Is(err, store.ErrNotFound) {
		return nil // not a follow we know: nothing to undo
	}
	if err != nil {
		return fmt.Errorf("activitypub: undo: %w", err)
	}
	if fl.FollowerID != actor {
		return fmt.Errorf("activitypub: undo of %s's follow by %s: %w", fl.FollowerID, actor, errForbidden)
	}
	return f.unfollow(ctx, fl.ActorID, actor, fl.FollowID)
}

func (f *Federation) unfollow(ctx context.Context, localID, followerID, followID string) error {
	err := f.cfg.Store.RemoveFollower(ctx, localID, followerID)
	if errors.Is(err, store.ErrNotFound) {
		// A repeated Undo, or a withdrawn follow request.
		if err := f.cfg.Store.RemoveFollowRequest(ctx, localID, followerID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("activitypub: unfollow: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("activitypub: unfollow: %w", err)
	}
	f.audit(ctx, store.AuditEntry{Actor: followerID, Action: "unfollow", Object: localID, Detail: followID})
	return nil
}

// audit records an entry; a failure to audit is logged and does not undo what happened.
func (f *Federation) audit(ctx context.Context, e store.AuditEntry) {
	if e.Time.IsZero() {
		e.Time = f.cfg.Now()
	}
	if err := store.AppendAudit(ctx, f.cfg.Store, e); err != nil {
		f.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: audit", slog.Any("err", err))
	}
}
