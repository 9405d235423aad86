package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// A collection is served as an OrderedCollection with totalItems and a first page, which Mastodon
// needs to show the counts at all (INTEROP §1.2); pages follow the store's keyset cursors, so a
// page does not shift while followers arrive.

// collectionPage is one page of a collection: the items and the cursor of the next page.
type collectionPage struct {
	items []vocab.Ref
	next  string
}

func (s *server) serveOutbox(w http.ResponseWriter, r *http.Request) {
	s.serveCollection(w, r, s.urls.outbox,
		func(actorID string) (int, error) { return store.CountOutbox(r.Context(), s.outbox, actorID) },
		func(actorID, cursor string) (collectionPage, error) {
			p, err := s.outbox.OutboxPage(r.Context(), actorID, cursor, s.pageSize)
			if err != nil {
				return collectionPage{}, err
			}
			items := make([]vocab.Ref, 0, len(p.Items))
			for _, o := range p.Items {
				a, err := vocab.Decode(o.Document)
				if err != nil {
					return collectionPage{}, err
				}
				a.Context = nil
				if err := currentObject(r.Context(), s.objects, a); err != nil {
					return collectionPage{}, err
				}
				items = append(items, vocab.Ref{Object: a})
			}
			return collectionPage{items: items, next: p.Next}, nil
		})
}

func (s *server) serveFollowers(w http.ResponseWriter, r *http.Request) {
	s.serveCollection(w, r, s.urls.followers,
		func(actorID string) (int, error) { return store.CountFollowers(r.Context(), s.followers, actorID) },
		func(actorID, cursor string) (collectionPage, error) {
			p, err := s.followers.FollowersPage(r.Context(), actorID, cursor, s.pageSize)
			if err != nil {
				return collectionPage{}, err
			}
			items := make([]vocab.Ref, 0, len(p.Items))
			for _, fl := range p.Items {
				items = append(items, vocab.Ref{IRI: fl.FollowerID})
			}
			return collectionPage{items: items, next: p.Next}, nil
		})
}

// serveFollowing serves an empty collection: site actors follow no one.
func (s *server) serveFollowing(w http.ResponseWriter, r *http.Request) {
	s.serveCollection(w, r, s.urls.following,
		func(string) (int, error) { return 0, nil },
		func(string, string) (collectionPage, error) { return collectionPage{}, nil })
}

// serveCollection serves the collection id(actorID) itself, or with ?page=true one page of it
// (?page=true&cursor=… for the following ones).
func (s *server) serveCollection(w http.ResponseWriter, r *http.Request, id func(actorID string) string,
	count func(actorID string) (int, error), page func(actorID, cursor string) (collectionPage, error)) {
	if !s.authorizeFetch(w, r) {
		return
	}
	a, err := s.actors.lookup(r.Context(), r.PathValue("name"))
	if err != nil {
		notFoundOr(s.log, w, r, "collection owner", err)
		return
	}
	actorID := s.urls.actor(a.Username)
	collID := id(actorID)
	q := r.URL.Query()
	if q.Get("page") == "" {
		n, err := count(actorID)
		if err != nil {
			fail(s.log, w, r, "count collection", err)
			return
		}
		writeJSON(s.log, w, r, http.StatusOK, &vocab.Object{
			Context:    vocab.ContextActivityStreams,
			ID:         collID,
			Type:       vocab.Types{"OrderedCollection"},
			TotalItems: &n,
			First:      vocab.Ref{IRI: s.urls.page(collID, "")},
		})
		return
	}
	cursor := q.Get("cursor")
	p, err := page(actorID, cursor)
	if err != nil {
		notFoundOr(s.log, w, r, "collection page", err)
		return
	}
	doc := &vocab.Object{
		Context:      vocab.ContextActivityStreams,
		ID:           s.urls.page(collID, cursor),
		Type:         vocab.Types{"OrderedCollectionPage"},
		PartOf:       vocab.Ref{IRI: collID},
		OrderedItems: p.items,
	}
	if doc.OrderedItems == nil {
		// An empty page still lists its (empty) items.
		doc.Extra = map[string]json.RawMessage{"orderedItems": json.RawMessage(`[]`)}
	}
	if p.next != "" {
		doc.Next = vocab.Ref{IRI: s.urls.page(collID, p.next)}
	}
	writeJSON(s.log, w, r, http.StatusOK, doc)
}

// currentObject replaces the object an outbox activity embeds with its current state: the edited
// document after an Update, a Tombstone after a Delete. A Delete takes the activities about the
// object out of the outbox, but a page read just before it, and activities stored before stores
// kept Object.ObjectID, still list them: the Tombstone keeps the outbox from serving deleted text.
func currentObject(ctx context.Context, objects store.Objects, a *vocab.Object) error {
	emb := a.Object.Object
	if emb == nil || emb.ID == "" {
		return nil
	}
	o, err := objects.Object(ctx, emb.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case !o.Deleted.IsZero():
		ts := tombstone(o)
		ts.Context = nil
		a.Object = vocab.Ref{Object: ts}
		return nil
	}
	cur, err := vocab.Decode(o.Document)
	if err != nil {
		return err
	}
	cur.Context = nil
	a.Object = vocab.Ref{Object: cur}
	return nil
}
