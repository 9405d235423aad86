package activitypub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Author is a remote account as a comment list shows it, read from the actor document in the
// store's actor cache, which fedsite fills when the account replies or follows (mostly with the
// document its signature check fetched). Every field but ID may be empty; a field that holds a
// URL holds an absolute http(s) one.
type Author struct {
	// ID is the actor's id.
	ID string
	// Name is the display name, else the preferredUsername; "" when the actor document is not
	// cached or has neither. It is plain text: escape it.
	Name string
	// Handle is "@user@host", WebFinger-style, from the preferredUsername and the host of the
	// actor's id; "" without a preferredUsername.
	Handle string
	// AvatarURL is the actor's icon (its first image); "" for none.
	AvatarURL string
	// ProfileURL is the actor's page for people: its url when that is on the actor's own host
	// (Mastodon drops a url on another host), else its id.
	ProfileURL string
}

// lookupAuthor returns what the actor cache knows of the remote actor id. An actor that is not cached,
// or whose cached document does not decode, gets an Author with only ID and ProfileURL (its id)
// and no error; only a failing store is an error.
func lookupAuthor(ctx context.Context, log *slog.Logger, cache store.ActorCache, id string) (Author, error) {
	a := Author{ID: id, ProfileURL: id}
	if !absHTTP(id) {
		a.ProfileURL = ""
	}
	cached, err := cache.RemoteActor(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, nil
	}
	if err != nil {
		return a, fmt.Errorf("activitypub: author %s: %w", id, err)
	}
	doc, err := vocab.Decode(cached.Document)
	if err != nil || doc.ID != id {
		log.LogAttrs(ctx, slog.LevelDebug, "activitypub: cached actor unreadable", slog.String("actor", id), slog.Any("err", err))
		return a, nil
	}
	return authorOf(doc), nil
}

// pageAuthors looks up the authors of one page of posts, each once: a page often holds several
// posts of one author. A remote author is what the actor cache knows (see lookupAuthor); a site
// actor, the author of an answer, is read with site.
type pageAuthors struct {
	log   *slog.Logger
	cache store.ActorCache
	// site looks up a site actor; nil when the page holds no answers.
	site  func(ctx context.Context, actorID string) (Author, error)
	known map[string]Author
}

// author returns the author id, a site actor when site is set.
func (p *pageAuthors) author(ctx context.Context, id string, site bool) (Author, error) {
	if a, ok := p.known[id]; ok {
		return a, nil
	}
	var a Author
	var err error
	if site {
		a, err = p.site(ctx, id)
	} else {
		a, err = lookupAuthor(ctx, p.log, p.cache, id)
	}
	if err != nil {
		return Author{}, err
	}
	if p.known == nil {
		p.known = make(map[string]Author)
	}
	p.known[id] = a
	return a, nil
}

// authorOf reads an Author from a decoded actor document.
func authorOf(doc *vocab.Object) Author {
	a := Author{ID: doc.ID, ProfileURL: doc.ID}
	if !absHTTP(doc.ID) {
		a.ProfileURL = ""
	}
	user := strings.TrimSpace(doc.PreferredUsername)
	a.Name = strings.TrimSpace(doc.Name)
	if a.Name == "" {
		a.Name = user
	}
	if u, err := url.Parse(doc.ID); err == nil && u.Host != "" && user != "" && !strings.ContainsAny(user, "@/ ") {
		a.Handle = "@" + user + "@" + u.Host
	}
	for _, icon := range doc.Icon {
		if src := imageURL(icon); src != "" {
			a.AvatarURL = src
			break
		}
	}
	if u := doc.URLString(); absHTTP(u) && sameHost(u, doc.ID) {
		a.ProfileURL = u
	}
	return a
}

// imageURL returns the address of an icon or image value: a bare URL, an Image object's url (a
// string or a Link), or a Link's href; "" when it has no absolute http(s) one.
func imageURL(r vocab.Ref) string {
	u := r.IRI
	if r.Object != nil {
		if s := r.Object.URLString(); s != "" {
			u = s
		} else {
			u = r.Object.Href
		}
	}
	if !absHTTP(u) {
		return ""
	}
	return u
}

// sameHost reports whether two absolute URLs name the same host, as Mastodon compares an actor's
// url with its id.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Hostname(), ub.Hostname())
}
