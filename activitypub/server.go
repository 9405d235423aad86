package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// server answers the site's fediverse side over HTTP: the GETs of its actors, their collections,
// the activities and notes the site sent and the AS2 form of its article pages (in this file,
// collections.go and featured.go), WebFinger (discovery.go) and NodeInfo (nodeinfo.go); it routes
// the POSTs to the inbox. It holds only the parts of the store it reads. It is safe for
// concurrent use.
type server struct {
	urls     urlLayout
	log      *slog.Logger
	now      func() time.Time
	acctHost string // the host of the site's handles
	pageSize int
	node     Node
	// requireSignedFetch is Config.RequireSignedFetch (see authorizeFetch).
	requireSignedFetch bool

	actors    *siteActors
	objects   store.Objects
	outbox    store.Outbox
	followers store.Followers
	keys      *keyring
	blocks    *blockList
	verifier  *signing.Verifier

	webfinger http.Handler
	mux       *http.ServeMux // the routes under prefix

	// formerURLs is the layout of Config.FormerBaseURL on the server of a site that moved from
	// there: its actors carry their former ids in alsoKnownAs. nil when the site never moved.
	formerURLs *urlLayout
	// movedTo is, on the server that answers a former origin, the site that moved from it: its
	// pages redirect there and WebFinger points to its actors. nil on the site's own server.
	movedTo *movedSite
}

// routes are the server's routes under prefix, with the inboxes going to inbox.
func (s *server) routes(inbox http.Handler) *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc(routeInstanceActor, s.serveInstanceActor)
	m.HandleFunc(routeActor, s.serveActor)
	m.Handle(routeActorInbox, inbox)
	m.HandleFunc(routeOutbox, s.serveOutbox)
	m.HandleFunc(routeFollowers, s.serveFollowers)
	m.HandleFunc(routeFollowing, s.serveFollowing)
	m.HandleFunc(routeFeatured, s.serveFeatured)
	m.Handle(routeSharedInbox, inbox)
	m.HandleFunc(routeActivity, s.serveActivity)
	m.HandleFunc(routeNote, s.serveNote)
	m.Handle(routeNodeInfo, newNodeInfoHandler(s))
	return m
}

// middleware is Federation.Middleware.
func (s *server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == "/.well-known/webfinger" || p == "/.well-known/host-meta" || p == "/.well-known/host-meta.json":
			s.webfinger.ServeHTTP(w, r)
			return
		case p == nodeInfoWellKnown:
			s.serveNodeInfoLinks(w, r)
			return
		case isRoutePath(p):
			s.mux.ServeHTTP(w, r)
			return
		case s.movedTo != nil:
			s.movedTo.redirect(w, r)
			return
		}
		w.Header().Add("Vary", "Accept")
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && negotiate(r.Header) == offerAS2 {
			if s.serveSiteObject(w, r) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

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
func (s *server) authorizeFetch(w http.ResponseWriter, r *http.Request) bool {
	if !s.requireSignedFetch {
		return true
	}
	w.Header().Add("Vary", "Signature")
	ctx := r.Context()
	v, err := s.verifier.Verify(ctx, r, nil)
	if err == nil {
		err = checkBlocked(ctx, s.blocks, v.Owner)
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrBlocked):
		s.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: fetch by a blocked signer", slog.String("path", r.URL.Path), slog.Any("err", err))
		http.Error(w, "forbidden", http.StatusForbidden)
	case errors.Is(err, signing.ErrNoSignature) || errors.Is(err, signing.ErrInvalidSignature) || errors.Is(err, signing.ErrKeyUnavailable):
		s.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: unsigned or badly signed fetch", slog.String("path", r.URL.Path), slog.Any("err", err))
		http.Error(w, "a valid HTTP signature is required", http.StatusUnauthorized)
	default:
		fail(s.log, w, r, "authorize fetch", err)
	}
	return false
}

func (s *server) serveActor(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Add("Vary", "Accept")
	// A deleted actor answers 410 with a Tombstone, whatever the site still says (see DeleteActor).
	if name := r.PathValue("name"); usernameRE.MatchString(name) {
		id := s.urls.actor(name)
		if gone, err := s.actors.gone(ctx, id); err != nil {
			fail(s.log, w, r, "actor", err)
			return
		} else if gone {
			s.serveStored(w, r, id)
			return
		}
	}
	a, err := s.actors.lookup(ctx, r.PathValue("name"))
	if err != nil {
		notFoundOr(s.log, w, r, "actor", err)
		return
	}
	if negotiate(r.Header) == offerHTML && a.ProfileURL != "" {
		// Browsers go to the profile page, which is public anyway.
		http.Redirect(w, r, a.ProfileURL, http.StatusSeeOther)
		return
	}
	if !s.authorizeFetch(w, r) {
		return
	}
	doc, err := s.actorDocument(ctx, a)
	if err != nil {
		fail(s.log, w, r, "actor", err)
		return
	}
	writeJSON(s.log, w, r, http.StatusOK, doc)
}

// actorDocument is the document of the site actor a as the server serves it: with its keys, the
// account it moved to, and, on a site that moved from another origin, its former id in
// alsoKnownAs.
func (s *server) actorDocument(ctx context.Context, a *Actor) (*vocab.Object, error) {
	id := s.urls.actor(a.Username)
	k, err := s.keys.actorKey(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("actor key: %w", err)
	}
	target, err := movedTo(ctx, s.objects, id, a)
	if err != nil {
		return nil, err
	}
	if s.formerURLs != nil {
		a = withAlias(a, s.formerURLs.actor(a.Username))
	}
	return actorDocument(s.urls, s.acctHost, a, k, target), nil
}

func (s *server) serveInstanceActor(w http.ResponseWriter, r *http.Request) {
	k, err := s.keys.actorKey(r.Context(), s.urls.instanceActor())
	if err != nil {
		fail(s.log, w, r, "instance actor key", err)
		return
	}
	writeJSON(s.log, w, r, http.StatusOK, instanceActorDocument(s.urls, k))
}

// serveActivity serves an activity the site sent, such as a Create or an Accept.
func (s *server) serveActivity(w http.ResponseWriter, r *http.Request) {
	s.serveStored(w, r, s.urls.activity(r.PathValue("id")))
}

// serveNote serves a note the site sent: an answer of a site actor (see Federation.Answer).
func (s *server) serveNote(w http.ResponseWriter, r *http.Request) {
	s.serveStored(w, r, s.urls.note(r.PathValue("id")))
}

// serveSiteObject answers an AS2 request for one of the site's own URLs with the document
// published there, and reports whether it answered. A URL with nothing published is left to the
// site.
func (s *server) serveSiteObject(w http.ResponseWriter, r *http.Request) bool {
	id := s.urls.requestURL(r.URL.RequestURI())
	if _, err := s.objects.Object(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return false
	}
	s.serveStored(w, r, id)
	return true
}

// serveStored serves a stored object: its document, a Tombstone with 410 once deleted, 404 when
// unknown. An activity about a deleted article, such as its Create or an Update embedding its
// text, is gone with it, as a deleted status's activities are on Mastodon.
func (s *server) serveStored(w http.ResponseWriter, r *http.Request, id string) {
	if !s.authorizeFetch(w, r) {
		return
	}
	o, err := s.objects.Object(r.Context(), id)
	if err != nil {
		notFoundOr(s.log, w, r, "object", err)
		return
	}
	if o.Deleted.IsZero() && o.ObjectID != "" {
		about, err := s.objects.Object(r.Context(), o.ObjectID)
		switch {
		case err == nil && !about.Deleted.IsZero():
			o.Deleted = about.Deleted
		case err != nil && !errors.Is(err, store.ErrNotFound):
			fail(s.log, w, r, "object", err)
			return
		}
	}
	if !o.Deleted.IsZero() {
		writeJSON(s.log, w, r, http.StatusGone, tombstone(o))
		return
	}
	if (s.urls.isNote(o.ID) || s.urls.isNote(o.ObjectID)) && !s.authorizePrivate(w, r, o.Document) {
		return
	}
	writeRaw(w, r, http.StatusOK, o.Document)
}

// authorizePrivate reports whether a GET may have doc, an answer of a site actor or one of its
// activities, and answers 404 when it may not: an answer that is not public goes only to a GET
// signed by an actor it is addressed to, as Mastodon serves a direct status only to its
// recipients; others learn nothing, not even that it exists. The answer then depends on the
// Signature header, which "Vary: Signature" tells caches.
func (s *server) authorizePrivate(w http.ResponseWriter, r *http.Request, doc []byte) bool {
	v, err := vocab.Decode(doc)
	if err != nil {
		fail(s.log, w, r, "stored answer", err)
		return false
	}
	if v.To.HasPublic() || v.Cc.HasPublic() {
		return true
	}
	w.Header().Add("Vary", "Signature")
	ctx := r.Context()
	signed, err := s.verifier.Verify(ctx, r, nil)
	if err == nil && (v.To.Has(signed.Owner) || v.Cc.Has(signed.Owner)) {
		return true
	}
	s.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: private answer refused", slog.String("path", r.URL.Path), slog.Any("err", err))
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
