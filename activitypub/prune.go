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

// operationalPruners returns the [store.Pruner] of Config.Store, which prunes remote actors and
// seen ids, and that of Config.DeliveryStore, which prunes dead letters and delivery records;
// nil for a store without one, which keeps that data for ever, as Run logs once.
func (f *Federation) operationalPruners(ctx context.Context) (site, deliveries store.Pruner) {
	site, _ = store.PrunerOf(f.cfg.Store)
	deliveries, _ = store.PrunerOf(f.cfg.DeliveryStore)
	if site == nil {
		f.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: the store does not prune: remote actors and seen ids are kept for ever",
			slog.String("store", fmt.Sprintf("%T", f.cfg.Store)))
	}
	if deliveries == nil {
		f.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: the delivery store does not prune: delivery records and dead letters are kept for ever",
			slog.String("store", fmt.Sprintf("%T", f.cfg.DeliveryStore)))
	}
	return site, deliveries
}

// pruneOperational prunes the operational data under Config.Retention.Operational with the
// pruners it is given (either may be nil), at once and then every Retention.Every until ctx ends.
func (f *Federation) pruneOperational(ctx context.Context, site, deliveries store.Pruner) {
	t := time.NewTicker(f.cfg.Retention.Every)
	defer t.Stop()
	for {
		n, err := f.pruneOperationalOnce(ctx, site, deliveries)
		switch {
		case err != nil && ctx.Err() == nil:
			f.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: prune operational data", slog.Any("err", err))
		case n != (store.PruneCounts{}):
			f.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: pruned operational data",
				slog.Int("deliveries", n.Deliveries), slog.Int("dead_letters", n.DeadLetters),
				slog.Int("remote_actors", n.RemoteActors), slog.Int("seen", n.Seen))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pruneOperationalOnce deletes what is older than Retention.Operational: remote actors fetched
// before the cut-off and expired seen ids through site, dead letters that died before it through
// deliveries, and the finished delivery records updated before it of the objects deleted before
// it. An object's records stay while Config.Store holds it undeleted, or does not hold it at all
// (the records of a remote object, such as a Like's, are not the site's to judge). It returns
// what it deleted, also when it stops on an error.
func (f *Federation) pruneOperationalOnce(ctx context.Context, site, deliveries store.Pruner) (store.PruneCounts, error) {
	now := f.cfg.Now()
	cut := now.Add(-f.cfg.Retention.Operational)
	var total store.PruneCounts
	prune := func(p store.Pruner, b store.PruneBefore) error {
		n, err := p.PruneOperational(ctx, b)
		total.Deliveries += n.Deliveries
		total.DeadLetters += n.DeadLetters
		total.RemoteActors += n.RemoteActors
		total.Seen += n.Seen
		return err
	}
	if site != nil {
		if err := prune(site, store.PruneBefore{RemoteActors: cut, Seen: now}); err != nil {
			return total, err
		}
	}
	if deliveries == nil {
		return total, nil
	}
	if err := prune(deliveries, store.PruneBefore{DeadLetters: cut}); err != nil {
		return total, err
	}
	cursor := ""
	for {
		p, err := deliveries.DeliveryObjects(ctx, cursor, pruneObjectsPage)
		if err != nil {
			return total, err
		}
		var gone []string
		for _, id := range p.Items {
			o, err := f.cfg.Store.Object(ctx, id)
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
			if err := prune(deliveries, store.PruneBefore{Deliveries: cut, Objects: gone}); err != nil {
				return total, err
			}
		}
		if p.Next == "" {
			return total, nil
		}
		cursor = p.Next
	}
}
