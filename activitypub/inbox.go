package activitypub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/jsonld"
	"github.com/fedsite/fedsite/internal/mediatype"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// seenTTL is how long an activity id is remembered as processed. Senders retry for a few days at
// most (Mastodon's Sidekiq schedule ends after about 3 days); a week covers that.
const seenTTL = 7 * 24 * time.Hour

// inbox applies what remote servers POST to the site's inboxes: it checks a request (see
// ServeHTTP), then hands the verified activity to the handler of its type, one file per family:
// follows (inbox_follow.go), replies and mentions (inbox_reply.go), edits and deletes
// (inbox_edit.go), reactions (inbox_reaction.go), moderation (inbox_moderation.go), moves
// (move.go) and quotes (quote.go). It holds only the parts of the store it uses and takes what it needs of the
// Federation as functions. It is safe for concurrent use.
type inbox struct {
	urls    urlLayout
	log     *slog.Logger
	now     func() time.Time
	hooks   InboxOptions // Config.Inbox: the site's hooks, and IgnoreDislikes
	maxBody int64
	// actors are the site's actors, by username; their source lists those a Move may concern.
	actors *siteActors
	// onFollowersGone is Config.OnFollowersGone.
	onFollowersGone func(ctx context.Context, inbox string, removed []store.Follower)

	followers    store.Followers
	objects      store.Objects
	seen         store.Seen
	actorCache   store.ActorCache
	interactions store.Interactions
	requests     store.FollowRequests
	// site is the whole site store, for its optional capabilities (store.Relays).
	site   store.Site
	blocks *blockList
	audit  auditLog
	record recorder

	verifier *signing.Verifier
	proofs   *signing.ProofVerifier
	tel      *telemetry
	ld       compactor
	remote   *remote
	// send queues an activity of a site actor to one inbox.
	send func(ctx context.Context, act *vocab.Object, actorID, objectID, inbox string) error

	handlers []inboxHandler

	dedupMu  sync.Mutex
	inflight map[string]chan struct{} // activity ids being processed, closed when done
}

// inboxRequest is a verified inbox request: the activity and what its handler may need of the
// request beyond it.
type inboxRequest struct {
	act   *vocab.Object
	owner string // username of the inbox, "" for the shared inbox
	body  []byte
	// signer is the verified signer, the activity's actor; signerDoc its actor document when the
	// signature check fetched it, else nil (see signing.Verified.OwnerDocument).
	signer    string
	signerDoc []byte
}

// inboxHandler is the handler of one activity type.
type inboxHandler struct {
	typ    string
	handle func(ctx context.Context, req *inboxRequest) error
}

// dispatchTable lists the handlers in the order they are tried: an activity with several types
// goes to the first that matches. Types absent from it are accepted and logged.
func (in *inbox) dispatchTable() []inboxHandler {
	return []inboxHandler{
		{"Follow", in.follow},
		{"Undo", in.undo},
		{"Create", in.create},
		{"Update", in.update},
		{"Delete", in.delete},
		{"Like", in.like},
		{"EmojiReact", in.like},
		{"Dislike", in.like},
		{"Announce", func(ctx context.Context, req *inboxRequest) error {
			return in.react(ctx, req.act, store.InteractionAnnounce, Emoji{})
		}},
		{"Flag", in.flag},
		{"Move", in.move},
		{"Block", in.block},
		{typeQuoteRequest, in.quoteRequest},
		{"Accept", in.relayAnswer(store.RelayAccepted)},
		{"Reject", in.relayAnswer(store.RelayRejected)},
	}
}

// ServeHTTP accepts an activity POSTed to the shared inbox or an actor's inbox. The order of the
// checks keeps bad input cheap and the store untouched by anything that fails them:
//
//  1. size (413), media type (415), JSON shape and depth (400); a body in a JSON-LD form the
//     lean decoder cannot read is compacted first (see decodeActivity), and one naming a context
//     that is not embedded is refused (400) without any fetch;
//  2. blocks (403) on the actor, before any fetch; the keyId's host is checked by the key
//     resolver before it fetches anything (403); the verified signer must be the actor (step 3),
//     so the actor's check covers it;
//  3. the HTTP signature (401), an FEP-8b32 proof if the body has one (401, see checkProof) and
//     signer == actor (401) unless that proof is by the actor, or, when the signer is another
//     actor (a forwarded reply, a relay), an LD signature by the actor (401 without one); an
//     actor's Delete of itself whose key answers 410 Gone counts as signed when its document is
//     gone too;
//  4. the origin rules (403, see origin.go);
//  5. de-duplication by activity id: a duplicate is answered 202 without effect;
//  6. its entry in the record of activities, then its effects (202 once both are done). If
//     either fails, the id is forgotten again, so the sender's retry is processed (and recorded
//     again, as received again): nothing is lost.
func (in *inbox) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w, r, observed := in.tel.startInbox(rw, r)
	defer observed()
	ctx := r.Context()
	if name := r.PathValue("name"); name != "" {
		if _, err := in.actors.lookup(ctx, name); err != nil {
			notFoundOr(in.log, w, r, "inbox owner", err)
			return
		}
	}
	if r.ContentLength > in.maxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, in.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if !mediatype.IsJSON(r.Header.Get("Content-Type")) {
		http.Error(w, "content type must be "+mediatype.Activity, http.StatusUnsupportedMediaType)
		return
	}
	act, err := decodeActivity(body, in.ld)
	if err != nil {
		if u, ok := errors.AsType[*jsonld.UnknownContextError](err); ok {
			http.Error(w, "malformed activity: unknown JSON-LD context "+u.URL, http.StatusBadRequest)
			return
		}
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
	in.tel.noteActivity(ctx, act.Type, act.ID, act.Actor.ID())
	if err := checkBlocked(ctx, in.blocks, act.Actor.ID()); err != nil {
		in.refuse(w, r, act, err)
		return
	}
	vctx, span := in.tel.start(ctx, "fedsite.inbox.verify")
	v, err := in.verifier.Verify(vctx, r, body)
	if err != nil && !errors.Is(err, ErrBlocked) {
		// A deleted actor's Delete of itself, whose key answers 410 Gone (inbox_gone.go).
		v, err = in.confirmGone(vctx, act, err)
	}
	span.End()
	if err != nil {
		if errors.Is(err, ErrBlocked) {
			in.refuse(w, r, act, err)
			return
		}
		in.tel.refused(ctx, signatureRefusal(err))
		// Every other verification failure is 401, so that a sender trying RFC 9421 first
		// (Fedify, Mastodon 4.7) falls back to draft-cavage.
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: signature rejected",
			slog.String("actor", act.Actor.ID()), slog.Any("err", err))
		http.Error(w, "signature rejected", http.StatusUnauthorized)
		return
	}
	proof, ok := in.checkProof(ctx, w, r, act, body)
	if !ok {
		return
	}
	if v.Owner != act.Actor.ID() && proof != nil {
		v = proof // forwarded or relayed under the actor's proof, which authenticates it
	}
	if v.Owner != act.Actor.ID() {
		// Forwarded or relayed: the actor's LD signature may vouch for it (inbox_ldsig.go).
		forwarded, err := in.verifyForwarded(ctx, body, act)
		if err != nil {
			in.tel.refused(ctx, refusalSignerMismatch)
			in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: signer is not the actor",
				slog.String("actor", act.Actor.ID()), slog.String("signer", v.Owner), slog.Any("err", err))
			http.Error(w, "the signer is not the activity's actor", http.StatusUnauthorized)
			return
		}
		v = forwarded
	}
	act, err = checkOrigins(act)
	if err != nil {
		in.refuse(w, r, act, err)
		return
	}
	first, release, err := in.claim(ctx, act.ID)
	if err != nil {
		in.refuse(w, r, act, err)
		return
	}
	if !first {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: duplicate activity",
			slog.String("id", act.ID), slog.String("actor", act.Actor.ID()))
		w.WriteHeader(http.StatusAccepted)
		return
	}
	// Recorded before its effects, which may send activities of their own (an Accept).
	if err := in.record.received(ctx, act.ID, act.Type[0], act.Actor.ID(), body, v); err != nil {
		release(ctx, false)
		in.refuse(w, r, act, err)
		return
	}
	pctx, span := in.tel.start(ctx, "fedsite.inbox.process")
	err = in.dispatch(pctx, &inboxRequest{act: act, owner: r.PathValue("name"), body: body,
		signer: v.Owner, signerDoc: v.OwnerDocument})
	span.End()
	release(ctx, err == nil)
	if err != nil {
		in.refuse(w, r, act, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// refuse maps an error met while handling an inbox POST to its status; the body says little,
// the details go to the log.
func (in *inbox) refuse(w http.ResponseWriter, r *http.Request, act *vocab.Object, err error) {
	in.tel.refused(r.Context(), errorRefusal(err))
	var status int
	var invalidErr *InvalidError
	switch {
	case errors.Is(err, ErrBlocked):
		status = http.StatusForbidden
	case errors.As(err, &invalidErr):
		status = http.StatusBadRequest
	case errors.Is(err, errNotPermitted):
		status = http.StatusForbidden
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	default:
		fail(in.log, w, r, "inbox", err)
		return
	}
	attrs := []slog.Attr{slog.Int("status", status), slog.Any("err", err)}
	if act != nil {
		attrs = append(attrs, slog.String("id", act.ID), slog.String("actor", act.Actor.ID()))
	}
	in.log.LogAttrs(r.Context(), slog.LevelDebug, "activitypub: inbox refused", attrs...)
	http.Error(w, http.StatusText(status), status)
}

// claim marks an activity id as seen and reports whether it was new. Within the process the
// processing of one id is serialized: a concurrent duplicate waits for the first copy and is then
// answered from its outcome, so it is neither processed twice nor lost if the first copy fails.
// release must be called with the outcome when first is true: on failure the id is forgotten, so
// the sender's retry is processed.
func (in *inbox) claim(ctx context.Context, id string) (first bool, release func(ctx context.Context, ok bool), err error) {
	in.dedupMu.Lock()
	for {
		wait, busy := in.inflight[id]
		if !busy {
			break
		}
		in.dedupMu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return false, nil, fmt.Errorf("activitypub: wait for duplicate %s: %w", id, ctx.Err())
		}
		in.dedupMu.Lock()
	}
	done := make(chan struct{})
	in.inflight[id] = done
	in.dedupMu.Unlock()

	unlock := func() {
		in.dedupMu.Lock()
		defer in.dedupMu.Unlock()
		delete(in.inflight, id)
		close(done)
	}
	isNew, err := in.seen.MarkSeen(ctx, id, seenTTL)
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
		if err := in.seen.ForgetSeen(context.WithoutCancel(ctx), id); err != nil {
			in.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: forget seen", slog.String("id", id), slog.Any("err", err))
		}
	}, nil
}

// dispatch applies a verified activity's effects through the dispatch table. Types fedsite does
// not act on yet are accepted and logged.
func (in *inbox) dispatch(ctx context.Context, req *inboxRequest) error {
	for _, h := range in.handlers {
		if req.act.Type.Has(h.typ) {
			return h.handle(ctx, req)
		}
	}
	return in.ignore(ctx, req.act)
}

// remoteActor returns a remote actor (see remote.actor), from the document the signature check of
// req fetched when id is its signer.
func (in *inbox) remoteActor(ctx context.Context, req *inboxRequest, id string) (store.RemoteActor, error) {
	var signed []byte
	if req.signer == id {
		signed = req.signerDoc
	}
	return in.remote.actor(ctx, id, signed)
}

// ignore logs an activity fedsite does not act on and accepts it.
func (in *inbox) ignore(ctx context.Context, act *vocab.Object) error {
	in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: activity ignored",
		slog.Any("type", []string(act.Type)), slog.String("id", act.ID), slog.String("actor", act.Actor.ID()))
	return nil
}

// undo handles Undo{Follow}, Undo{Like}, Undo{Announce}, Undo{EmojiReact} and Undo{Dislike},
// whether the undone activity is embedded or named by its id, and Undo{Create} of a reply or mention when it embeds the Create.
// Undoing someone else's activity is forbidden.
func (in *inbox) undo(ctx context.Context, req *inboxRequest) error {
	undo := req.act
	actor := undo.Actor.ID()
	if inner := undo.Object.Object; inner != nil && len(inner.Type) > 0 {
		if inner.Actor.ID() != "" && inner.Actor.ID() != actor {
			return fmt.Errorf("activitypub: undo of %s's %s by %s: %w", inner.Actor.ID(), inner.Type, actor, errNotPermitted)
		}
		switch {
		case inner.Type.Has("Like") || inner.Type.Has("Announce") || inner.Type.Has("EmojiReact") || inner.Type.Has("Dislike"):
			_, err := in.undoReaction(ctx, actor, inner.ID, inner)
			return err
		case inner.Type.Has("Create"):
			// Taking a post back is deleting it.
			return in.forgetPost(ctx, undo, inner.Object.ID())
		case !inner.Type.Has("Follow"):
			return nil // nothing kept for other types
		}
		username := in.urls.username(inner.Object.ID())
		if username == "" {
			return nil // a follow of someone else
		}
		return in.unfollow(ctx, in.urls.actor(username), actor, inner.ID)
	}
	if known, err := in.undoReaction(ctx, actor, undo.Object.ID(), nil); known || err != nil {
		return err
	}
	fl, err := in.followers.FollowerByFollowID(ctx, undo.Object.ID())
	if errors.Is(err, store.ErrNotFound) {
		return nil // not a follow we know: nothing to undo
	}
	if err != nil {
		return fmt.Errorf("activitypub: undo: %w", err)
	}
	if fl.FollowerID != actor {
		return fmt.Errorf("activitypub: undo of %s's follow by %s: %w", fl.FollowerID, actor, errNotPermitted)
	}
	return in.unfollow(ctx, fl.ActorID, actor, fl.FollowID)
}
