package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/fedsite/fedsite/store"
)

// maxBatch bounds how many finished deliveries one flush of the completer writes.
const maxBatch = 64

// A flush waits, after the first finished delivery it takes, for others to join it: up to
// gatherFactor times as long as the previous flush took, at most gatherWindow, and no longer once
// every worker has handed over (or maxBatch have). Stores that pay far more per commit than per
// record (SQLite writes its WAL and takes its locks at each) then commit many deliveries at once:
// without the wait a busy Run's flushes carried under 3 deliveries each on SQLite — 3,569 commits
// for 10,000 deliveries — and the fan-out reached 72–74% of the signing rate, against 74–78% with
// it (internal/testbed/deliverybench -store sqlite). A store whose flushes cost next to nothing
// (memstore) waits next to nothing, so few workers are not held back. The wait delays only the ack
// of a delivery already made.
const (
	gatherFactor = 4
	gatherWindow = 5 * time.Millisecond
)

// gatherFor returns how long a flush may wait for deliveries after one that took last.
func gatherFor(last time.Duration) time.Duration {
	return min(gatherWindow, gatherFactor*last)
}

// flushTimeout bounds one flush of the completer once Run is stopping.
const flushTimeout = 5 * time.Second

// completion is a delivery an inbox accepted, waiting for its status record and, for a job, its
// ack.
type completion struct {
	l    store.Lease
	ack  bool // false for a page's delivery, which has no job of its own
	rec  store.DeliveryRecord
	done chan struct{}
}

// completer writes the ends of successful deliveries for every worker of one Run, as a group
// commit: it takes what the workers hand over while it waits (see gatherFor), writes the status
// records and acks the leases with [store.AckBatch] — in one call when the store is a
// [store.BatchAcker], otherwise one record call and one Ack each — and only then lets each worker
// go on. A worker thus holds its slot until its job is acked, or its page's delivery recorded, so
// the deliveries a crash can send twice are still at most the workers in flight.
//
// The status records are written before the acks: a crash between the two leaves a job that was
// delivered, recorded "delivered" and not acked; it is sent again and recorded "delivered" again.
// A record is never behind its acked job.
type completer struct {
	e      *Engine
	in     chan completion
	window func(last time.Duration) time.Duration // gatherFor, but for tests
}

func (e *Engine) newCompleter() *completer {
	return &completer{e: e, in: make(chan completion, e.cfg.Workers), window: gatherFor}
}

// run flushes until in is closed and drained. ctx is only for values: flushes outlive Run's
// cancellation, as each job they end was delivered.
func (c *completer) run(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	// No more than every worker can hand over before the flush lets them go.
	most := min(maxBatch, c.e.cfg.Workers)
	batch := make([]completion, 0, most)
	window := time.NewTimer(0)
	var last time.Duration // how long the previous flush took
	for first := range c.in {
		batch = append(batch[:0], first)
		window.Reset(c.window(last))
	more:
		for len(batch) < most {
			select {
			case x, ok := <-c.in:
				if !ok {
					break more
				}
				batch = append(batch, x)
			case <-window.C:
				break more
			}
		}
		window.Stop()
		start := time.Now()
		c.flush(ctx, batch)
		last = time.Since(start)
	}
}

// flush writes one batch, then lets its workers go. A failed ack is logged only: the job's lease
// runs out and it is delivered again, as after a crash.
func (c *completer) flush(ctx context.Context, batch []completion) {
	ctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	e := c.e
	recs := make([]store.DeliveryRecord, len(batch))
	leases := make([]store.Lease, 0, len(batch))
	for i, x := range batch {
		recs[i] = x.rec
		if x.ack {
			leases = append(leases, x.l)
		}
	}
	if len(leases) == 0 {
		e.writeRecords(ctx, recs...)
	} else if err := store.AckBatch(ctx, e.cfg.Store, leases, recs...); err != nil {
		e.log.LogAttrs(ctx, slog.LevelWarn, "delivery: ack batch", slog.Int("jobs", len(leases)), slog.Any("err", err))
	}
	for _, x := range batch {
		close(x.done)
	}
}

// complete hands a delivery's status record, and the lease of its job to ack if ack is set, to c
// and waits until they are written.
func (c *completer) complete(l store.Lease, ack bool, rec store.DeliveryRecord) {
	done := make(chan struct{})
	c.in <- completion{l: l, ack: ack, rec: rec, done: done}
	<-done
}
