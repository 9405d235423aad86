package main

import (
	"context"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/operator"
	"github.com/fedsite/fedsite/store/sqlstore"

	// The SQLite driver, which sqlstore.OpenSQLite opens.
	_ "modernc.org/sqlite"
)

// federate is everything fedsite adds to the site: its state in a SQLite file, the organization
// actor @news and an actor per writer (actors.go), earlier articles backfilled, the ActivityPub
// routes around the site's own handler, publish, edit and delete hooks, the fediverse replies and
// counts on article pages, the delivery report for the editor, the editors' inbox of mentions and
// direct messages, the operator pages at /admin/fediverse for the editors, the handles readers can
// follow, and the fediverse links in the pages' <head>.
// local lists the addresses a local demo may reach over plain http (nil on a public server);
// configure, if not nil, makes a last change to the Config.
func federate(ctx context.Context, s *site, baseURL, dbPath string, local []netip.Prefix, log *slog.Logger, configure func(*activitypub.Config)) (http.Handler, io.Closer, error) {
	st, err := sqlstore.OpenSQLite(ctx, dbPath, sqlstore.Config{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	cfg := activitypub.Config{
		BaseURL: baseURL, Store: st, Logger: log, Actors: siteActors(s, baseURL),
		// The site's roles decide who may act as which actor.
		Authorize: authorize(s),
		Node:      activitypub.Node{Name: s.cfg.Name, Description: s.cfg.Tagline}, // what other servers call the site
		Insecure:  activitypub.Insecure{AllowHTTP: local != nil, AllowAddresses: local},
		// The one process on its SQLite file: a restart after a crash takes back at once the
		// jobs the dead run held, rather than after their leases end.
		Delivery: delivery.Options{SoleInstance: true},
	}
	if configure != nil {
		configure(&cfg)
	}
	fed, err := activitypub.New(cfg)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	op, err := operator.New(operator.Config{Federation: fed, Actors: newsroomActors{s: s, baseURL: baseURL}, User: s.editor, Logger: log})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	if err := backfill(ctx, fed, s, baseURL); err != nil {
		log.Warn("newsroom: backfill", "err", err) // the site runs; the profile is only emptier
	}
	go fed.Run(ctx)
	s.signIn = activitypub.WithUser // the signed-in editor, whom Authorize and the audit see
	s.onPublish = func(ctx context.Context, a article) error { return publishArticle(ctx, fed, baseURL, a) }
	s.onEdit = func(ctx context.Context, a article) error { return fed.Update(ctx, actorFor(a), toArticle(baseURL, a)) }
	s.onDelete = func(ctx context.Context, a article) error { return fed.Delete(ctx, actorFor(a), baseURL+a.Path()) }
	s.comments = articleComments(fed, baseURL, log)
	s.inbox = siteInbox(fed, newsroomActors{s: s, baseURL: baseURL})
	s.delivery = articleDelivery(fed, baseURL, log)
	s.answers = fedAnswers{fed: fed, baseURL: baseURL}
	// The operator pages: followers, deliveries, hosts, dead letters, follow requests, replies,
	// blocks, reports, mentions and the audit log.
	s.handleEditor("/admin/fediverse", op)
	s.handle = func(au *author) string { // the handle readers follow: @news, or the writer's
		if au == nil {
			return fed.Handle(newsActor)
		}
		return fed.Handle(au.Slug)
	}
	s.head = func(a *article) template.HTML { // rel=me everywhere; on articles, the AS2 link and byline
		if a == nil {
			return activitypub.MeLink(baseURL + "/")
		}
		return activitypub.MeLink(baseURL+"/") + fed.AlternateLink(baseURL+a.Path()) + activitypub.CreatorMeta(fed.Handle(actorFor(*a)))
	}
	return fed.Middleware(s), st, nil
}
