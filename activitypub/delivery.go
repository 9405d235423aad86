package activitypub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// Delivery here is in-process and in memory: what is queued when the process stops is lost. The
// durable engine (a store-backed queue and Redis Streams) replaces deliveryQueue behind the same
// two calls, push and Run.

// delivery is one unit of delivery work: an activity to one inbox, or, with inbox empty, to every
// distinct inbox of the actor's followers.
type delivery struct {
	activityID string
	actorID    string
	inbox      string
	attempt    int
}

// inboxPageSize is how many follower inboxes a fan-out reads from the store at a time.
const inboxPageSize = 500

// deliveryQueue is an unbounded FIFO that wakes one waiting worker per push.
type deliveryQueue struct {
	mu    sync.Mutex
	items []delivery
	wake  chan struct{}
}

func newDeliveryQueue() *deliveryQueue {
	return &deliveryQueue{wake: make(chan struct{}, 1)}
}

func (q *deliveryQueue) push(d delivery) {
	q.mu.Lock()
	q.items = append(q.items, d)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop waits for an item until ctx is done.
func (q *deliveryQueue) pop(ctx context.Context) (delivery, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			d := q.items[0]
			q.items[0] = delivery{}
			q.items = q.items[1:]
			more := len(q.items) > 0
			q.mu.Unlock()
			if more {
				// Pass the wake-up on so another idle worker takes the next item.
				select {
				case q.wake <- struct{}{}:
				default:
				}
			}
			return d, true
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return delivery{}, false
		}
	}
}

// Run delivers queued activities with Config.DeliveryWorkers workers until ctx is done, then
// waits for the deliveries under way and returns nil. Activities published while Run is not
// running wait in the queue.
func (f *Federation) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range f.cfg.DeliveryWorkers {
		wg.Go(func() {
			for {
				d, ok := f.queue.pop(ctx)
				if !ok {
					return
				}
				f.deliver(ctx, d)
			}
		})
	}
	wg.Wait()
	return nil
}

// send stores an activity the site sends to one inbox (an Accept, say) so that its id can be
// dereferenced, and queues its delivery.
func (f *Federation) send(ctx context.Context, act *vocab.Object, actorID, inbox string) error {
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
	f.queue.push(delivery{activityID: act.ID, actorID: actorID, inbox: inbox})
	return nil
}

func (f *Federation) deliver(ctx context.Context, d delivery) {
	log := f.log.With(slog.String("activity", d.activityID), slog.String("actor", d.actorID))
	if d.inbox == "" {
		if err := f.fanOut(ctx, d); err != nil {
			log.LogAttrs(ctx, slog.LevelError, "activitypub: fan-out", slog.Any("err", err))
		}
		return
	}
	log = log.With(slog.String("inbox", d.inbox))
	retry, err := f.post(ctx, d)
	switch {
	case err == nil:
		log.LogAttrs(ctx, slog.LevelDebug, "activitypub: delivered")
	case retry && d.attempt+1 < f.cfg.DeliveryAttempts && ctx.Err() == nil:
		wait := f.cfg.DeliveryBackoff << d.attempt
		log.LogAttrs(ctx, slog.LevelWarn, "activitypub: delivery failed, will retry",
			slog.Any("err", err), slog.Duration("wait", wait))
		d.attempt++
		time.AfterFunc(wait, func() { f.queue.push(d) })
	default:
		log.LogAttrs(ctx, slog.LevelWarn, "activitypub: delivery failed", slog.Any("err", err))
	}
}

// fanOut queues one delivery per distinct follower inbox, reading the inboxes page by page.
func (f *Federation) fanOut(ctx context.Context, d delivery) error {
	after := ""
	for {
		inboxes, err := f.cfg.Store.DeliveryInboxes(ctx, d.actorID, after, inboxPageSize)
		if err != nil {
			return err
		}
		for _, inbox := range inboxes {
			f.queue.push(delivery{activityID: d.activityID, actorID: d.actorID, inbox: inbox})
		}
		if len(inboxes) < inboxPageSize {
			return nil
		}
		after = inboxes[len(inboxes)-1]
	}
}

// post sends the activity to one inbox, signed with the actor's key, and reports whether a
// failure is worth retrying: network errors, 408, 429 and 5xx are; other answers are final.
func (f *Federation) post(ctx context.Context, d delivery) (retry bool, err error) {
	o, err := f.cfg.Store.Object(ctx, d.activityID)
	if err != nil {
		return false, fmt.Errorf("load activity: %w", err)
	}
	k, err := f.actorKey(ctx, d.actorID)
	if err != nil {
		return true, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.inbox, bytes.NewReader(o.Document))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", vocab.MediaType)
	req.Header.Set("Accept", vocab.MediaType)
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	if err := signing.Sign(req, k.key, o.Document, f.cfg.Now()); err != nil {
		return false, err
	}
	resp, err := f.cfg.Client.Do(req)
	if err != nil {
		return true, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return false, nil
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		return true, fmt.Errorf("status %d", s)
	default:
		return false, fmt.Errorf("status %d", s)
	}
}
