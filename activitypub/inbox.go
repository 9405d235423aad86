package activitypub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// errForbidden reports an activity whose actor may not do what it asks, such as undoing someone
// else's Follow.
var errForbidden = errors.New("activitypub: forbidden")

// serveInbox accepts an activity POSTed to the shared inbox or an actor's inbox. The order of the
// checks keeps bad input cheap and the store untouched by anything that fails them: size (413),
// media type (415), JSON shape (400), then the HTTP signature and its signer (401), and only then
// the activity's effects (202 once applied).
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
		http.Error(w, "malformed activity: "+err.Error(), http.StatusBadRequest)
		return
	}
	if act.ID == "" || len(act.Type) == 0 || act.Actor.ID() == "" {
		http.Error(w, "malformed activity: id, type and actor are required", http.StatusBadRequest)
		return
	}
	v, err := f.verifier.Verify(ctx, r, body)
	if err != nil {
		// Every verification failure is 401, so that a sender trying RFC 9421 first (Fedify,
		// Mastodon 4.7) falls back to draft-cavage.
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
	if err := f.handleActivity(ctx, act); err != nil {
		var invalidErr *InvalidError
		switch {
		case errors.As(err, &invalidErr):
			http.Error(w, err.Error(), http.StatusBadRequest)
		case errors.Is(err, errForbidden):
			http.Error(w, "forbidden", http.StatusForbidden)
		case errors.Is(err, ErrNotFound):
			http.Error(w, "not found", http.StatusNotFound)
		default:
			f.fail(w, r, "inbox", err)
		}
		return
	}
	w.WriteHeader(http.StatusAccepted)
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
	}
	f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: activity ignored",
		slog.Any("type", []string(act.Type)), slog.String("id", act.ID), slog.String("actor", act.Actor.ID()))
	return nil
}

// handleFollow records the follower and answers with an Accept that embeds the Follow and is
// addressed to the follower, as Mastodon expects (INTEROP §6 item 6).
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

	embedded := *follow
	embedded.Context = nil
	accept := &vocab.Object{
		Context: vocab.ContextActivityStreams,
		ID:      f.urls.activity(newID()),
		Type:    vocab.Types{"Accept"},
		Actor:   vocab.Ref{IRI: localID},
		Object:  vocab.Ref{Object: &embedded},
		To:      vocab.Refs{{IRI: remote.ID}},
	}
	return f.send(ctx, accept, localID, remote.Inbox)
}

// handleUndo handles Undo{Follow}, whether the Follow is embedded or named by its id.
func (f *Federation) handleUndo(ctx context.Context, undo *vocab.Object) error {
	actor := undo.Actor.ID()
	if inner := undo.Object.Object; inner != nil && len(inner.Type) > 0 {
		if !inner.Type.Has("Follow") {
			return nil // Undo of Like, Announce…: nothing kept yet
		}
		if inner.Actor.ID() != "" && inner.Actor.ID() != actor {
			return fmt.Errorf("activitypub: undo of %s's follow by %s: %w", inner.Actor.ID(), actor, errForbidden)
		}
		username := f.urls.username(inner.Object.ID())
		if username == "" {
			return nil // a follow of someone else
		}
		return f.unfollow(ctx, f.urls.actor(username), actor, inner.ID)
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
		return nil // repeated Undo
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
	if err := f.cfg.Store.AppendAudit(ctx, e); err != nil {
		f.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: audit", slog.Any("err", err))
	}
}
