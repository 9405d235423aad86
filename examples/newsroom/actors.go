package main

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"time"

	"github.com/fedsite/fedsite/activitypub"
)

// This file holds federate.go's helpers: the site's actors from its own data, who publishes an
// article, who may act as which actor, and the backfill at start.
//
// Each staff writer is an actor (@dana-ortiz) that publishes their own articles, and the
// organization @news boosts them. On Mastodon that looks right: the post shows the writer's name
// and avatar, the writer's followers get it from the writer, @news's followers get it as a boost
// by The Riverside Courier, and the link card credits the writer (fediverse:creator on the page,
// the site's host in the writer's attributionDomains). Stories whose byline names no staff writer
// are published by their desk's actor (@sports, an ordinary actor like the others) when they
// have a desk, else by @news itself.

// newsActor is the organization's actor.
const newsActor = "news"

// newsJoined is when the newsroom's account was made: servers show it as the join date, and
// Bridgy Fed bridges only accounts older than a week.
var newsJoined = time.Date(2025, 1, 15, 9, 0, 0, 0, time.UTC)

// newsPinned is how many of its own latest stories @news pins; Mastodon shows up to five, and
// GoToSocial shows a profile's pinned posts rather than its outbox.
const newsPinned = 3

// siteActors describes the organization and its writers as fediverse actors.
func siteActors(s *site, baseURL string) activitypub.ActorSource {
	return newsroomActors{s: s, baseURL: baseURL}
}

// newsroomActors answers for @news and the staff writers. It also lists them (ActorLister), so
// NodeInfo counts them and a follower's Move sent to the shared inbox finds whom it followed.
type newsroomActors struct {
	s       *site
	baseURL string
}

func (n newsroomActors) FederatedActor(_ context.Context, name string) (*activitypub.Actor, error) {
	s, baseURL := n.s, n.baseURL
	if name == newsActor {
		return &activitypub.Actor{Username: newsActor, Type: "Organization", Name: s.cfg.Name,
			Summary: s.cfg.Tagline, ProfileURL: baseURL + "/", Discoverable: true, Indexable: true,
			IconURL: baseURL + "/static/news.png", ImageURL: baseURL + "/static/header.png", Published: newsJoined,
			Fields:   []activitypub.Field{{Name: "Website", Value: baseURL + "/"}},
			Featured: latestBy(s, baseURL, newsActor, newsPinned)}, nil
	}
	if d, ok := deskBySlug(name); ok {
		return &activitypub.Actor{Username: d.Slug, Type: "Organization", Name: d.Name, Summary: "<p>" + d.About + "</p>",
			ProfileURL: baseURL + "/", Discoverable: true, Indexable: true, AttributionDomains: []string{hostOf(baseURL)},
			IconURL: baseURL + "/static/news.png", ImageURL: baseURL + "/static/header.png", Published: newsJoined,
			Featured: latestBy(s, baseURL, d.Slug, 1)}, nil
	}
	au, ok := authorBySlug(name)
	if !ok {
		return nil, activitypub.ErrNotFound
	}
	return &activitypub.Actor{Username: au.Slug, Type: "Person", Name: au.Name, Summary: "<p>" + au.Bio + "</p>",
		ProfileURL: baseURL + au.Path(), Discoverable: true, Indexable: true, AttributionDomains: []string{hostOf(baseURL)},
		IconURL: baseURL + au.Picture(), ImageURL: baseURL + "/static/header.png", Published: au.Joined,
		Fields:   []activitypub.Field{{Name: "Beat", Value: au.Beat}, {Name: "Stories", Value: baseURL + au.Path()}},
		Featured: latestBy(s, baseURL, au.Slug, 1)}, nil
}

func (n newsroomActors) FederatedActorNames(context.Context) ([]string, error) {
	names := []string{newsActor}
	for _, d := range desks() {
		names = append(names, d.Slug)
	}
	for _, au := range staff() {
		names = append(names, au.Slug)
	}
	return names, nil
}

// latestBy returns the URLs of the n newest stories an actor published itself, to pin to its
// profile: a writer pins their newest, @news its own latest (not the writers' it boosts, which
// servers do not show as its pins).
func latestBy(s *site, baseURL, actor string, n int) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var urls []string
	for _, a := range s.articles { // newest first
		if len(urls) < n && actorFor(a) == actor {
			urls = append(urls, baseURL+a.Path())
		}
	}
	return urls
}

// actorFor is the username of the actor that publishes an article: its writer, else its desk,
// else @news.
func actorFor(a article) string {
	if o := owner(a); o != "" {
		return o
	}
	return newsActor
}

// authorize is Config.Authorize: the site's roles decide, as for its own pages (login.mayAct),
// with @news and the site-wide blocks (actor "") the newsroom's own; but @news boosts every
// staff story (publishArticle), whoever publishes it. Every editor's request carries its login
// (requireEditor); a call with none is the site's own backfill at start.
func authorize(s *site) func(context.Context, activitypub.Act) bool {
	return func(_ context.Context, act activitypub.Act) bool {
		if act.User == "" {
			return true
		}
		l, ok := s.loginByUser(act.User)
		if act.Action == activitypub.ActionAnnounce && act.Actor == newsActor {
			return ok
		}
		owner := act.Actor
		if owner == newsActor {
			owner = ""
		}
		return ok && l.mayAct(owner)
	}
}

// publishArticle federates a new article: published by its writer and boosted by @news, or
// published by @news.
func publishArticle(ctx context.Context, fed *activitypub.Federation, baseURL string, a article) error {
	actor := actorFor(a)
	if err := fed.Publish(ctx, actor, toArticle(baseURL, a)); err != nil {
		return err
	}
	if actor == newsActor {
		return nil
	}
	return fed.Announce(ctx, newsActor, baseURL+a.Path())
}

// backfill puts the site's earlier articles in their actors' outboxes, and boosts of the writers'
// ones in @news's, without delivering anything, so a new follower sees a full profile. It may run
// at every start: what is there is skipped.
func backfill(ctx context.Context, fed *activitypub.Federation, s *site, baseURL string) error {
	s.mu.RLock()
	list := slices.Clone(s.articles)
	s.mu.RUnlock()
	slices.Reverse(list) // oldest first
	byActor := map[string][]activitypub.Article{}
	var boosts []string
	for _, a := range list {
		actor := actorFor(a)
		byActor[actor] = append(byActor[actor], toArticle(baseURL, a))
		if actor != newsActor {
			boosts = append(boosts, baseURL+a.Path())
		}
	}
	var errs []error
	for actor, arts := range byActor {
		errs = append(errs, fed.Backfill(ctx, actor, arts))
	}
	errs = append(errs, fed.BackfillAnnounces(ctx, newsActor, boosts))
	return errors.Join(errs...)
}

// toArticle maps a story to what fedsite publishes. The site's summary is a teaser, so it goes in
// Excerpt: as AS2 summary GoToSocial, Misskey and Akkoma would show it as a content warning.
func toArticle(baseURL string, a article) activitypub.Article {
	mode := activitypub.ModeDefault
	switch a.Mode {
	case "note":
		mode = activitypub.ModeNote
	case "article":
		mode = activitypub.ModeArticle
	}
	// The body's links are absolute, as the HTML leaves the site; its hashtags and the form's are
	// sent as Hashtag tags, which Mastodon indexes and links.
	return activitypub.Article{URL: baseURL + a.Path(), Title: a.Title, Excerpt: a.Summary, Mode: mode,
		Content: string(bodyHTML(a.Body, baseURL)), Tags: a.HashTags(), Language: "en", Published: a.Published}
}

func hostOf(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
