package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
)

// This file is the editors' Inbox page: the fediverse posts that mention or address @news or a
// writer — readers' questions, tips, complaints and direct messages — as fedsite keeps them.

// inboxPage is one page of an actor's inbox.
type inboxPage struct {
	// Actor is the actor whose inbox it is; Actors all the site's actors, to switch between.
	Actor  string
	Actors []string
	Items  []inboxItem
	// Next is the cursor of the next (older) page, "" on the last.
	Next string
}

// inboxItem is one mention or direct message.
type inboxItem struct {
	// ID is the post's id, which an editor's answer names.
	ID string
	// Author is the sender as fedsite knows them (name, handle, picture); URL the post's page.
	Author activitypub.Author
	URL    string
	// Content was sanitized by fedsite when the post arrived; Summary is its content warning, as
	// text.
	Content template.HTML
	Summary string
	// Label says who the post is for; Private marks followers-only posts and direct messages,
	// which stay between the sender and the newsroom.
	Label     string
	Private   bool
	Sensitive bool
	InReplyTo string
	Received  time.Time
	Edited    bool
}

// maxInboxItems is how many posts an inbox page shows.
const maxInboxItems = 50

// visibilityLabel is the Inbox page's words for a visibility; one fedsite may add later is
// private.
func visibilityLabel(v activitypub.Visibility) string {
	switch v {
	case activitypub.VisibilityPublic:
		return "Public"
	case activitypub.VisibilityUnlisted:
		return "Public, unlisted"
	case activitypub.VisibilityFollowers:
		return "Private: followers only"
	case activitypub.VisibilityDirect:
		return "Private: direct message"
	}
	return "Private"
}

// siteInbox returns the site's inbox hook: a page of the posts that mention or address one of the
// site's actors, newest first, from fedsite's store. An unknown actor is an error matching
// activitypub.ErrNotFound, a bad cursor one matching store.ErrBadCursor.
func siteInbox(fed *activitypub.Federation, actors activitypub.ActorLister) func(ctx context.Context, actor, cursor string) (inboxPage, error) {
	return func(ctx context.Context, actor, cursor string) (inboxPage, error) {
		names, err := actors.FederatedActorNames(ctx)
		if err != nil {
			return inboxPage{}, err
		}
		p, err := fed.Mentions(ctx, actor, cursor, maxInboxItems)
		if err != nil {
			return inboxPage{}, err
		}
		page := inboxPage{Actor: actor, Actors: names, Next: p.Next}
		for _, m := range p.Items {
			page.Items = append(page.Items, inboxItem{ID: m.ID, Author: m.Author, URL: m.URL, Content: template.HTML(m.Content),
				Summary: m.Summary, Label: visibilityLabel(m.Visibility), Private: m.Visibility.Private(), Sensitive: m.Sensitive,
				InReplyTo: m.InReplyTo, Received: m.ReceivedAt, Edited: !m.Updated.IsZero()})
		}
		return page, nil
	}
}

// serveInbox shows the editors the inbox of the actor named by ?actor= (@news by default), a page
// at a time (?cursor=).
func (s *site) serveInbox(w http.ResponseWriter, r *http.Request) {
	actor := r.URL.Query().Get("actor")
	if actor == "" {
		actor = newsActor
	}
	if s.inbox == nil {
		s.notFound(w)
		return
	}
	p, err := s.inbox(r.Context(), actor, r.URL.Query().Get("cursor"))
	switch {
	case errors.Is(err, activitypub.ErrNotFound):
		s.notFound(w)
		return
	case errors.Is(err, activitypub.ErrForbidden):
		http.Error(w, fmt.Sprintf("%s may not read the inbox of @%s", loginOf(r.Context()).User, actor), http.StatusForbidden)
		return
	case errors.Is(err, store.ErrBadCursor):
		http.Error(w, "bad cursor", http.StatusBadRequest)
		return
	case err != nil:
		s.fail(w, "could not read the inbox", "inbox", err, "actor", actor)
		return
	}
	// Direct messages must not stay in a shared cache.
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, http.StatusOK, "inbox.html", map[string]any{"Title": "Inbox", "Inbox": p})
}
