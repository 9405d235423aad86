package activitypub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// Deliveries go through the durable engine of package delivery, over Config.DeliveryStore: Publish
// enqueues one fan-out job and returns, and Run's workers expand and send it.

// newEngine builds the delivery engine from the Federation's Config.
func (f *Federation) newEngine() (*delivery.Engine, error) {
	cfg := f.cfg
	e, err := delivery.New(delivery.Config{
		Store:     cfg.DeliveryStore,
		Inboxes:   cfg.Store,
		Documents: cfg.Store,
		Followers: cfg.Store,
		OnGone:    delivery.GoneFunc(cfg.OnFollowersGone),
		Blocks:    cfg.Store,
		Keys:      f.deliveryKey,
		Client:    cfg.Client,
		UserAgent: cfg.UserAgent,
		Logger:    cfg.Logger.With("component", "delivery"),
		Options:   cfg.Delivery,
		Now:       cfg.Now,

		MeterProvider:  cfg.Telemetry.MeterProvider,
		TracerProvider: cfg.Telemetry.TracerProvider,
	})
	if err != nil {
		return nil, fmt.Errorf("activitypub: delivery: %w", err)
	}
	return e, nil
}

func (f *Federation) deliveryKey(ctx context.Context, actorID string) (signing.Key, error) {
	k, err := f.keys.actorKey(ctx, actorID)
	return k.key, err
}

// Run runs the delivery workers until ctx is done and returns nil. Deliveries are leased from
// Config.DeliveryStore, so several processes sharing a store may each call Run: each delivery is sent by
// one of them. Jobs left unfinished when ctx ends stay in the queue for the next Run, here or in
// another process. Nothing is delivered while no Run is running. While it runs, the gauges of
// Config.Telemetry (queue depth, followers) are observed.
func (f *Federation) Run(ctx context.Context) error {
	stop, err := f.tel.observeFollowers(f.cfg.Actors, f.cfg.Store, f.urls.actor)
	if err != nil {
		f.log.LogAttrs(ctx, slog.LevelWarn, "activitypub: followers not observed", slog.Any("err", err))
	}
	defer stop()
	return f.engine.Run(ctx)
}

// DeliveryStatus summarises, per remote host, the deliveries of the activities about the object
// with that URL (an article's URL): how many are queued, delivered, retrying and failed.
func (f *Federation) DeliveryStatus(ctx context.Context, objectURL string) (delivery.Status, error) {
	s, err := f.engine.Status(ctx, objectURL)
	if err != nil {
		return s, fmt.Errorf("activitypub: %w", err)
	}
	return s, nil
}

// DeliveryStats returns this process's delivery counters (delivered, failed, retried,
// dead-lettered) and the depth of the shared queue.
func (f *Federation) DeliveryStats(ctx context.Context) (delivery.Stats, error) {
	s, err := f.engine.Stats(ctx)
	if err != nil {
		return s, fmt.Errorf("activitypub: %w", err)
	}
	return s, nil
}

// enqueue queues the delivery of a stored activity about objectID: to inbox, or with inbox
// empty to every distinct inbox of the actor's followers.
func (f *Federation) enqueue(ctx context.Context, activityID, objectID, actorID, inbox string) error {
	return f.engine.Enqueue(ctx, delivery.Activity{ID: activityID, ObjectID: objectID, ActorID: actorID, Inbox: inbox})
}

// send stores an activity the site sends so that its id can be dereferenced, and queues its
// delivery about objectID: to inbox (an Accept, say), or with inbox empty to every follower.
func (f *Federation) send(ctx context.Context, act *vocab.Object, actorID, objectID, inbox string) error {
	doc, err := json.Marshal(act)
	if err != nil {
		return fmt.Errorf("activitypub: send %s: %w", act.Type, err)
	}
	err = f.cfg.Store.PutObject(ctx, store.Object{
		ID: act.ID, ActorID: actorID, Type: act.Type[0], Document: doc, Published: f.cfg.Now(),
	})
	if err != nil {
		return fmt.Errorf("activitypub: send %s: %w", act.Type, err)
	}
	if err := f.enqueue(ctx, act.ID, objectID, actorID, inbox); err != nil {
		return fmt.Errorf("activitypub: send %s: %w", act.Type, err)
	}
	return nil
}
