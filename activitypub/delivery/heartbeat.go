package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/fedsite/fedsite/store"
)

// heldLeases are the leases a Run holds: its running and waiting jobs and its open pages. The
// heartbeat extends each of them every LeaseTimeout/3, so a job stays with a live worker however
// long it runs, and a worker that dies leaves its jobs to others within LeaseTimeout.
type heldLeases struct {
	mu sync.Mutex
	m  map[string]store.Lease // by token
}

// hold adds l to the leases the heartbeat keeps.
func (h *heldLeases) hold(l store.Lease) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m[l.Token] = l
}

// drop stops keeping l: its job is finished, put back or given up.
func (h *heldLeases) drop(l store.Lease) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, l.Token)
}

// until returns when l ends, as the latest heartbeat left it.
func (h *heldLeases) until(l store.Lease) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := h.m[l.Token]; ok {
		return cur.Until
	}
	return l.Until
}

// all returns the leases held now.
func (h *heldLeases) all() []store.Lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]store.Lease, 0, len(h.m))
	for _, l := range h.m {
		out = append(out, l)
	}
	return out
}

// extended records the new end of a lease still held.
func (h *heldLeases) extended(l store.Lease) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := h.m[l.Token]; ok && l.Until.After(cur.Until) {
		h.m[l.Token] = l
	}
}

// beatEvery is how often the heartbeat extends the held leases: three beats per lease, so one
// lost beat does not lose a lease (and at most one a millisecond, for a ticker).
func (e *Engine) beatEvery() time.Duration {
	return max(e.cfg.LeaseTimeout/3, time.Millisecond)
}

// heartbeat extends the held leases every beatEvery until stop is closed.
func (e *Engine) heartbeat(ctx context.Context, stop <-chan struct{}) {
	tick := time.NewTicker(e.beatEvery())
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			e.beat(ctx)
		}
	}
}

// beat extends every held lease by LeaseTimeout from now. A lease found lost (its job finished
// meanwhile, or taken by another worker after a stall) is dropped.
func (e *Engine) beat(ctx context.Context) {
	for _, l := range e.held.all() {
		next, err := e.cfg.Store.Extend(ctx, l, e.cfg.LeaseTimeout)
		switch {
		case err == nil:
			e.held.extended(next)
		case errors.Is(err, store.ErrLeaseLost):
			e.held.drop(l)
			e.log.LogAttrs(ctx, slog.LevelDebug, "delivery: heartbeat: lease lost", slog.String("job", l.ID))
		default:
			e.log.LogAttrs(ctx, slog.LevelWarn, "delivery: heartbeat", slog.String("job", l.ID), slog.Any("err", err))
		}
	}
}

// lapsing reports whether l has less than a beat left: the heartbeat has failed to extend it
// twice, and a task started under it could outlast it and be run again by another worker.
func (e *Engine) lapsing(l store.Lease) bool {
	return e.held.until(l).Sub(e.cfg.Now()) < e.beatEvery()
}
