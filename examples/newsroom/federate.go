package main

import (
	"context"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store/sqlstore"
)

// federate is everything fedsite adds to the site: its state in a SQLite file, the organization
// actor @news, the ActivityPub routes around the site's own handler, publish, edit and delete
// hooks, and the fediverse links in the pages' <head>. local lists the addresses a local demo may reach over
// plain http (nil on a public server).
func federate(ctx context.Context, s *site, baseURL, dbPath string, local []netip.Prefix, log *slog.Logger) (http.Handler, io.Closer, error) {
	st, err := sqlstore.OpenSQLite(ctx, dbPath, sqlstore.Config{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: baseURL, Store: st, Logger: log,
		InsecureAllowHTTP: local != nil, InsecureAllowAddresses: local,
		Actors: activitypub.ActorSourceFunc(func(ctx context.Context, name string) (*activitypub.Actor, error) {
			if name != "news" {
				return nil, activitypub.ErrNotFound
			}
			return &activitypub.Actor{Username: "news", Type: "Organization", Name: s.cfg.Name,
				Summary: s.cfg.Tagline, ProfileURL: baseURL + "/", Discoverable: true, Indexable: true}, nil
		}),
	})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	go fed.Run(ctx)
	s.onPublish = func(ctx context.Context, a article) error { return fed.Publish(ctx, "news", toArticle(baseURL, a)) }
	s.onEdit = func(ctx context.Context, a article) error { return fed.Update(ctx, "news", toArticle(baseURL, a)) }
	s.onDelete = func(ctx context.Context, a article) error { return fed.Delete(ctx, "news", baseURL+a.Path()) }
	s.head = func(a *article) template.HTML { // rel=me everywhere; on articles, the AS2 link and byline
		if a == nil {
			return activitypub.MeLink(baseURL + "/")
		}
		return activitypub.MeLink(baseURL+"/") + fed.AlternateLink(baseURL+a.Path()) + activitypub.CreatorMeta(fed.Handle("news"))
	}
	return fed.Middleware(s), st, nil
}

// toArticle maps a story to what fedsite publishes. The site's summary is a teaser, so it goes in
// Excerpt: as AS2 summary GoToSocial, Misskey and Akkoma would show it as a content warning.
func toArticle(baseURL string, a article) activitypub.Article {
	return activitypub.Article{URL: baseURL + a.Path(), Title: a.Title, Excerpt: a.Summary,
		Content: string(a.HTML()), Language: "en", Published: a.Published}
}
