package activitypub

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// serveFeatured serves an actor's featured (pinned) collection, /ap/users/{name}/featured: the
// articles of Actor.Featured, in that order, embedded in one OrderedCollection without pages, as
// Mastodon serves and reads its own (it shows up to five). An article is left out when fedsite
// did not publish it, when it was deleted, or when another actor published it, since Mastodon
// ignores pinned posts that are not the account's own.
func (s *server) serveFeatured(w http.ResponseWriter, r *http.Request) {
	if !s.authorizeFetch(w, r) {
		return
	}
	ctx := r.Context()
	a, err := s.actors.lookup(ctx, r.PathValue("name"))
	if err != nil {
		notFoundOr(s.log, w, r, "featured owner", err)
		return
	}
	actorID := s.urls.actor(a.Username)
	items := vocab.Refs{}
	for _, u := range a.Featured {
		o, err := s.objects.Object(ctx, u)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (!o.Deleted.IsZero() || o.ActorID != actorID)) {
			s.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: featured article left out: not published by the actor",
				slog.String("actor", actorID), slog.String("object", u))
			continue
		}
		if err != nil {
			fail(s.log, w, r, "featured article", err)
			return
		}
		obj, err := vocab.Decode(o.Document)
		if err != nil {
			fail(s.log, w, r, "featured article", err)
			return
		}
		obj.Context = nil
		items = append(items, vocab.Ref{Object: obj})
	}
	n := len(items)
	doc := &vocab.Object{
		Context:      vocab.ContextActivityStreams,
		ID:           s.urls.featured(actorID),
		Type:         vocab.Types{"OrderedCollection"},
		TotalItems:   &n,
		OrderedItems: items,
	}
	if n == 0 {
		doc.Extra = map[string]json.RawMessage{"orderedItems": json.RawMessage(`[]`)}
	}
	writeJSON(s.log, w, r, http.StatusOK, doc)
}
