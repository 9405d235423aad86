package activitypub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fedsite/fedsite/store"
)

// pruneObjectsPage is how many objects with delivery records a prune reads per store call.
const pruneObjectsPage = 500

// pruner prunes the operational data (see Retention.Operational) with the [store.Pruner] of
// Config.Store, which prunes remote actors and seen ids, and that of Config.DeliveryStore, which
// prunes dead letters and delivery records; either is nil for a store without one.
type pruner struct {
	site, deliveries store.Pruner
	// objects tells whether an object with delivery records was deleted, and when.
	objects store.Objects
	log     *slog.Logger
	now     func() time.Time
	// keep is Retention.Operational, every Retention.Every.
	keep, every time.Duration
}

// newPruner returns the pruner of cfg's stores, or nil when neither prunes. A store without a
// pruner keeps that data for ever, which it logs once.
func newPruner(ctx context.Context, cfg Config) *pruner {
	site, _ := store.PrunerOf(cfg.Store)
	deliveries, _ := store.PrunerOf(cfg.DeliveryStore)
	if site == nil {
		cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "activitypub: the store does not prune: remote actors and seen ids are kept for ever",
			slog.String("store", fmt.Sprintf("%T", cfg.Store)))
	}
	if deliveries == nil {
		cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "activitypub: the delivery store does not prune: delivery records and dead letters are kept for ever",
			slog.String("store", fmt.Sprintf("%T", cfg.DeliveryStore)))
	}
	if site == nil && deliveries == nil {
		return nil
	}
	return &pruner{site: site, deliveries: deliveries, objects: cfg.Store, log: cfg.Logger, now: cfg.Now,
		keep: cfg.Retention.Operational, every: cfg.Retention.Every}
}

// run prunes at once and then every p.every until ctx ends.
func (p *pruner) run(ctx context.Context) {
	atOnceThenEvery(ctx, p.every, func() {
		n, err := p.once(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			p.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: prune operational data", slog.Any("err", err))
		case n != (store.PruneCounts{}):
			p.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: pruned operational data",
				slog.Int("deliveries", n.Deliveries), slog.Int("dead_letters", n.DeadLetters),
				slog.Int("remote_actors", n.RemoteActors), slog.Int("seen", n.Seen))
		}
	})
}

// atOnceThenEvery runs fn at once, then every d, until ctx ends: the schedule of Run's prunes.
func atOnceThenEvery(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		fn()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// once deletes what is older than p.keep: remote actors fetched before the cut-off and expired
// seen ids through p.site, dead letters that died before it through p.deliveries, and the
// finished delivery records updated before it of the objects deleted before it. An object's
// records stay while Config.Store holds it undeleted, or does not hold it at all (the records of
// a remote object, such as a Like's, are not the site's to judge). It returns what it deleted,
// also when it stops on an error.
func (p *pruner) once(ctx context.Context) (store.PruneCounts, error) {
	now := p.now()
	cut := now.Add(-p.keep)
	var total store.PruneCounts
	prune := func(pr store.Pruner, b store.PruneBefore) error {
		n, err := pr.PruneOperational(ctx, b)
		total.Deliveries += n.Deliveries
		total.DeadLetters += n.DeadLetters
		total.RemoteActors += n.RemoteActors
		total.Seen += n.Seen
		return err
	}
	if p.site != nil {
		if err := prune(p.site, store.PruneBefore{RemoteActors: cut, Seen: now}); err != nil {
			return total, err
		}
	}
	if p.deliveries == nil {
		return total, nil
	}
	if err := prune(p.deliveries, store.PruneBefore{DeadLetters: cut}); err != nil {
		return total, err
	}
	cursor := ""
	for {
		page, err := p.deliveries.DeliveryObjects(ctx, cursor, pruneObjectsPage)
		if err != nil {
			return total, err
		}
		var gone []string
		for _, id := range page.Items {
			o, err := p.objects.Object(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return total, err
			}
			if !o.Deleted.IsZero() && o.Deleted.Before(cut) {
				gone = append(gone, id)
			}
		}
		if len(gone) > 0 {
			if err := prune(p.deliveries, store.PruneBefore{Deliveries: cut, Objects: gone}); err != nil {
				return total, err
			}
		}
		if page.Next == "" {
			return total, nil
		}
		cursor = page.Next
	}
}
