package activitypub

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// writeJSON answers with an AS2 document. Servers reject AS2 served as plain application/json
// (INTEROP §7 item 5), so the type is always application/activity+json.
func writeJSON(log *slog.Logger, w http.ResponseWriter, r *http.Request, status int, doc any) {
	body, err := json.Marshal(doc)
	if err != nil {
		fail(log, w, r, "encode document", err)
		return
	}
	w.Header().Set("Content-Type", vocab.MediaType)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// writeRaw answers with a stored AS2 document.
func writeRaw(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	w.Header().Set("Content-Type", vocab.MediaType)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// fail logs an internal error and answers 500 without details.
func fail(log *slog.Logger, w http.ResponseWriter, r *http.Request, what string, err error) {
	log.LogAttrs(r.Context(), slog.LevelError, "activitypub: "+what, slog.Any("err", err), slog.String("path", r.URL.Path))
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// notFoundOr answers 404 for ErrNotFound (from the site or the store, one sentinel), 400 for a page cursor the
// store did not issue, and 500 otherwise.
func notFoundOr(log *slog.Logger, w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		http.Error(w, "not found", http.StatusNotFound)
	case errors.Is(err, store.ErrBadCursor):
		http.Error(w, "bad page cursor", http.StatusBadRequest)
	default:
		fail(log, w, r, what, err)
	}
}

// authorizeFetch applies Config.RequireSignedFetch to a GET of one of the site's documents and
// reports whether to answer it; when it returns false it has answered 401 (no valid signature) or
// 403 (a blocked signer or key host). With the option set, the answer depends on the Signature
// header, which "Vary: Signature" tells caches. Any verified signer may fetch, as with Mastodon's
// authorized fetch; the instance actor, WebFinger and host-meta never come here.
func (f *Federation) authorizeFetch(w http.ResponseWriter, r *http.Request) bool {
	if !f.cfg.RequireSignedFetch {
		return true
	}
	w.Header().Add("Vary", "Signature")
	ctx := r.Context()
	v, err := f.verifier.Verify(ctx, r, nil)
	if err == nil {
		err = checkBlocked(ctx, f.blocks, v.Owner)
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrBlocked):
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: fetch by a blocked signer", slog.String("path", r.URL.Path), slog.Any("err", err))
		http.Error(w, "forbidden", http.StatusForbidden)
	case errors.Is(err, signing.ErrNoSignature) || errors.Is(err, signing.ErrInvalidSignature) || errors.Is(err, signing.ErrKeyUnavailable):
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: unsigned or badly signed fetch", slog.String("path", r.URL.Path), slog.Any("err", err))
		http.Error(w, "a valid HTTP signature is required", http.StatusUnauthorized)
	default:
		fail(f.log, w, r, "authorize fetch", err)
	}
	return false
}

func (f *Federation) serveActor(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Add("Vary", "Accept")
	// A deleted actor answers 410 with a Tombstone, whatever the site still says (see DeleteActor).
	if name := r.PathValue("name"); usernameRE.MatchString(name) {
		id := f.urls.actor(name)
		if gone, err := f.actors.gone(ctx, id); err != nil {
			fail(f.log, w, r, "actor", err)
			return
		} else if gone {
			f.serveStored(w, r, id)
			return
		}
	}
	a, err := f.actors.lookup(ctx, r.PathValue("name"))
	if err != nil {
		notFoundOr(f.log, w, r, "actor", err)
		return
	}
	if negotiate(r.Header) == offerHTML && a.ProfileURL != "" {
		// Browsers go to the profile page, which is public anyway.
		http.Redirect(w, r, a.ProfileURL, http.StatusSeeOther)
		return
	}
	if !f.authorizeFetch(w, r) {
		return
	}
	k, err := f.keys.actorKey(ctx, f.urls.actor(a.Username))
	if err != nil {
		fail(f.log, w, r, "actor key", err)
		return
	}
	target, err := movedTo(ctx, f.cfg.Store, f.urls.actor(a.Username), a)
	if err != nil {
		fail(f.log, w, r, "actor move", err)
		return
	}
	writeJSON(f.log, w, r, http.StatusOK, f.actorDocument(a, k, target))
}

func (f *Federation) serveInstanceActor(w http.ResponseWriter, r *http.Request) {
	k, err := f.keys.actorKey(r.Context(), f.urls.instanceActor())
	if err != nil {
		fail(f.log, w, r, "instance actor key", err)
		return
	}
	writeJSON(f.log, w, r, http.StatusOK, instanceActorDocument(f.urls, k))
}

// serveActivity serves an activity the site sent, such as a Create or an Accept.
func (f *Federation) serveActivity(w http.ResponseWriter, r *http.Request) {
	f.serveStored(w, r, f.urls.activity(r.PathValue("id")))
}

// serveNote serves a note the site sent: an answer of a site actor (see Federation.Answer).
func (f *Federation) serveNote(w http.ResponseWriter, r *http.Request) {
	f.serveStored(w, r, f.urls.note(r.PathValue("id")))
}

// serveSiteObject answers an AS2 request for one of the site's own URLs with the document
// published there, and reports whether it answered. A URL with nothing published is left to the
// site.
func (f *Federation) serveSiteObject(w http.ResponseWriter, r *http.Request) bool {
	id := f.urls.requestURL(r.URL.RequestURI())
	if _, err := f.cfg.Store.Object(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return false
	}
	f.serveStored(w, r, id)
	return true
}

// serveStored serves a stored object: its document, a Tombstone with 410 once deleted, 404 when
// unknown. An activity about a deleted article, such as its Create or an Update embedding its
// text, is gone with it, as a deleted status's activities are on Mastodon.
func (f *Federation) serveStored(w http.ResponseWriter, r *http.Request, id string) {
	if !f.authorizeFetch(w, r) {
		return
	}
	o, err := f.cfg.Store.Object(r.Context(), id)
	if err != nil {
		notFoundOr(f.log, w, r, "object", err)
		return
	}
	if o.Deleted.IsZero() && o.ObjectID != "" {
		about, err := f.cfg.Store.Object(r.Context(), o.ObjectID)
		switch {
		case err == nil && !about.Deleted.IsZero():
			o.Deleted = about.Deleted
		case err != nil && !errors.Is(err, store.ErrNotFound):
			fail(f.log, w, r, "object", err)
			return
		}
	}
	if !o.Deleted.IsZero() {
		writeJSON(f.log, w, r, http.StatusGone, tombstone(o))
		return
	}
	if (f.urls.isNote(o.ID) || f.urls.isNote(o.ObjectID)) && !f.authorizePrivate(w, r, o.Document) {
		return
	}
	writeRaw(w, r, http.StatusOK, o.Document)
}

// authorizePrivate reports whether a GET may have doc, an answer of a site actor or one of its
// activities, and answers 404 when it may not: an answer that is not public goes only to a GET
// signed by an actor it is addressed to, as Mastodon serves a direct status only to its
// recipients; others learn nothing, not even that it exists. The answer then depends on the
// Signature header, which "Vary: Signature" tells caches.
func (f *Federation) authorizePrivate(w http.ResponseWriter, r *http.Request, doc []byte) bool {
	v, err := vocab.Decode(doc)
	if err != nil {
		fail(f.log, w, r, "stored answer", err)
		return false
	}
	if v.To.HasPublic() || v.Cc.HasPublic() {
		return true
	}
	w.Header().Add("Vary", "Signature")
	ctx := r.Context()
	signed, err := f.verifier.Verify(ctx, r, nil)
	if err == nil && (v.To.Has(signed.Owner) || v.Cc.Has(signed.Owner)) {
		return true
	}
	f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: private answer refused", slog.String("path", r.URL.Path), slog.Any("err", err))
	http.Error(w, "not found", http.StatusNotFound)
	return false
}

func tombstone(o store.Object) *vocab.Object {
	t := &vocab.Object{
		Context: vocab.ContextActivityStreams,
		ID:      o.ID,
		Type:    vocab.Types{"Tombstone"},
		Extra: map[string]json.RawMessage{
			"formerType": mustJSON(o.Type),
			"deleted":    mustJSON(o.Deleted.UTC().Format(time.RFC3339)),
		},
	}
	return t
}
