package activitypub

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/fedsite/fedsite/store"
)

// Backfill puts articles the site published before it federated into the actor's outbox, each
// with its Create activity, oldest first, without delivering them: they show when a server reads
// the outbox (Misskey and GoToSocial do when they first meet the actor; Mastodon links to the
// site's profile instead and shows the featured collection), and their URLs answer AS2 requests,
// but no follower's timeline is flooded with old posts. Each article needs Published. Articles
// already published (or deleted) are skipped, so Backfill may run at every start. Every article
// is checked before anything is stored: one that Publish would refuse gives an *InvalidError and
// nothing is backfilled. The outbox keeps the order of appending, so backfill before publishing
// new articles.
func (f *Federation) Backfill(ctx context.Context, username string, articles []Article) error {
	actor, err := f.actAs(ctx, ActionPublish, username, "")
	if err != nil {
		return err
	}
	return f.out.backfill(ctx, actor, articles)
}

// backfill is the work of Backfill, once the call is authorized.
func (p *publisher) backfill(ctx context.Context, actor *Actor, articles []Article) error {
	for _, a := range articles {
		if err := checkArticle(p.urls, a); err != nil {
			return err
		}
		if a.Published.IsZero() {
			return invalid("Article.Published", "%s: required to backfill", a.URL)
		}
	}
	sorted := slices.Clone(articles)
	slices.SortStableFunc(sorted, func(a, b Article) int { return a.Published.Compare(b.Published) })
	actorID := p.urls.actor(actor.Username)
	for _, a := range sorted {
		_, err := p.objects.Object(ctx, a.URL)
		switch {
		case err == nil:
			continue // published before: Backfill is idempotent
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("activitypub: backfill %s: %w", a.URL, err)
		}
		create, err := p.storeArticle(ctx, actor, a)
		if errors.Is(err, store.ErrConflict) {
			continue // stored meanwhile by another instance
		}
		if err != nil {
			return err
		}
		p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "backfill", Object: a.URL, Detail: create.ID})
	}
	return nil
}
