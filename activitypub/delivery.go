package activitypub

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/fedsite/fedsite/activitypub/delivery"
)

// Running the deliveries and reading their state; the sender (sender.go) queues them.

// Run runs the delivery workers until ctx is done and returns nil. Deliveries are leased from
// Config.DeliveryStore, so several processes sharing a store may each call Run: each delivery is sent by
// one of them. Jobs left unfinished when ctx ends stay in the queue for the next Run, here or in
// another process. Nothing is delivered while no Run is running. A domain migration that a crash
// interrupted is resumed first (see [Federation.MigrateDomain]). While it runs, the gauges of
// Config.Telemetry (queue depth, followers) are observed, and the record of activities is pruned
// under Config.Retention (at once, then every Retention.Every) when it sets Record, and so is the
// operational data under Retention.Operational, when the stores prune it (see [store.Pruner]).
// Instances sharing a store may each prune: a second prune of the same entries only declares
// them again, and of operational data finds nothing left.
func (f *Federation) Run(ctx context.Context) error {
	stop, err := f.tel.observeFollowers(f.cfg.Actors, f.cfg.Store, f.urls.actor)
	if err != nil {
		f.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: followers not observed", slog.Any("err", err))
	}
	defer stop()
	if f.migration != nil {
		if err := f.migration.resumeStored(ctx); err != nil {
			f.log.LogAttrs(ctx, slog.LevelError, "activitypub: domain migration not resumed", slog.Any("err", err))
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if f.record.on() && f.cfg.Retention.Record > 0 {
		wg.Go(func() { f.pruneRecord(ctx) })
	}
	if f.cfg.Retention.Operational > 0 {
		if p := newPruner(ctx, f.cfg); p != nil {
			wg.Go(func() { p.run(ctx) })
		}
	}
	return f.sender.engine.Run(ctx)
}

// DeliveryStatus summarises, per remote host, the deliveries of the activities about the object
// with that URL (an article's URL): how many are queued, delivered, retrying and failed.
func (f *Federation) DeliveryStatus(ctx context.Context, objectURL string) (delivery.Status, error) {
	s, err := f.sender.engine.Status(ctx, objectURL)
	if err != nil {
		return s, fmt.Errorf("activitypub: %w", err)
	}
	return s, nil
}

// DeliveryStats returns this process's delivery counters (delivered, failed, retried,
// dead-lettered) and the depth of the shared queue.
func (f *Federation) DeliveryStats(ctx context.Context) (delivery.Stats, error) {
	s, err := f.sender.engine.Stats(ctx)
	if err != nil {
		return s, fmt.Errorf("activitypub: %w", err)
	}
	return s, nil
}
