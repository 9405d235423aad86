package main

import (
	"context"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store/sqlstore"
)

// federate is everything fedsite adds to the site: its state in a SQLite file, the organization
// actor @news, the ActivityPub routes around the site's own handler, and a publish hook.
func federate(ctx context.Context, s *site, baseURL, dbPath string, log *slog.Logger) (http.Handler, io.Closer, error) {
	st, err := sqlstore.OpenSQLite(ctx, dbPath, sqlstore.Config{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: baseURL,
		Store:   st,
		Logger:  log,
		// A site served over plain http is a local demo: let it talk to peers on http and loopback.
		InsecureAllowHTTP:      strings.HasPrefix(baseURL, "http://"),
		InsecureAllowAddresses: demoAddrs(baseURL),
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
	s.onPublish = func(ctx context.Context, a article) error {
		return fed.Publish(ctx, "news", toArticle(baseURL, a, activitypub.ModeDefault))
	}
	// Every page links rel=me to @news's profile; article pages also name their AS2 version and
	// credit @news on link previews.
	s.head = func(a *article) template.HTML {
		h := activitypub.MeLink(baseURL + "/")
		if a != nil {
			h += fed.AlternateLink(baseURL+a.Path()) + activitypub.CreatorMeta(fed.Handle("news"))
		}
		return h
	}
	return fed.Middleware(s), st, nil
}

// toArticle maps a story to what fedsite publishes. The site's summary is a teaser, so it goes in
// Excerpt: as AS2 summary GoToSocial, Misskey and Akkoma would show it as a content warning.
func toArticle(baseURL string, a article, mode activitypub.Mode) activitypub.Article {
	return activitypub.Article{URL: baseURL + a.Path(), Title: a.Title, Mode: mode, Excerpt: a.Summary,
		Content: string(a.HTML()), Language: "en", Published: a.Published}
}

func demoAddrs(baseURL string) []netip.Prefix {
	if !strings.HasPrefix(baseURL, "http://") {
		return nil
	}
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}
