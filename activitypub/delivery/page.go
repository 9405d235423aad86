package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/fedsite/fedsite/store"
)

// page is a page job under way: its inboxes are handed to the workers as tasks of their own,
// straight from memory, and the job stays leased until every one of them has settled. A delivery
// settles when it is made or fails for good (its record is then written), or when it is put back
// as a deliver job of its own, which the page's ack enqueues. The first attempt of a fan-out's
// delivery therefore costs the queue nothing: one page job serves PageSize inboxes.
//
// A crash leaves the page job leased; once its lease ends (the heartbeat no longer extends it) it
// runs again, and the delivery records
// (Deliveries.DeliveryStates) tell which of its deliveries were made or failed for good: only the
// others are sent again — those in flight at the crash, and those not yet begun.
type page struct {
	l store.Lease
	p payload

	mu sync.Mutex
	// todo holds the inboxes not yet handed to a worker, each with its host.
	todo []target
	// running counts the tasks handed out and not yet settled.
	running int
	// jobs are the deliveries put back, enqueued by the page's ack; records are their "retrying"
	// records, written after it.
	jobs    []store.Job
	records []store.DeliveryRecord
	acked   bool
}

// openPage reads what a page job's earlier runs settled and returns the page with the inboxes
// still to deliver. Blocked inboxes (Config.Blocks) are dropped and recorded failed. Deliveries that must keep their place behind the object's earlier ones are
// put back at once (see ordered). A page with nothing left is acked at once (nil).
func (e *Engine) openPage(ctx context.Context, t task) (*page, error) {
	p := t.p
	states, err := e.cfg.Store.DeliveryStates(ctx, p.Object, p.Activity, p.Inboxes...)
	if err != nil {
		return nil, fmt.Errorf("delivery: page states: %w", err)
	}
	if len(states) != len(p.Inboxes) {
		return nil, fmt.Errorf("delivery: page states: %d for %d inboxes", len(states), len(p.Inboxes))
	}
	refused, err := e.refused(ctx, p.Inboxes...)
	if err != nil {
		return nil, err
	}
	pg := &page{l: t.l, p: p}
	var inboxes, keys, hosts []string
	var dropped []store.DeliveryRecord
	for i, inbox := range p.Inboxes {
		if final(states[i]) {
			continue
		}
		host, err := inboxHost(inbox)
		if refused[inbox] {
			q := p
			q.Inbox = inbox
			dropped = append(dropped, newRecord(q, host, store.DeliveryFailed, 0, errBlockedInbox.Error(), e.cfg.Now()))
			continue
		}
		if err != nil {
			// The fan-out wrote only valid inboxes: this page job was not written by it.
			e.log.LogAttrs(ctx, slog.LevelWarn, "delivery: page: skipping inbox", slog.String("inbox", inbox), slog.Any("err", err))
			continue
		}
		pg.todo = append(pg.todo, target{inbox: inbox, host: host})
		inboxes = append(inboxes, inbox)
		keys = append(keys, deliverKey(p.Object, host))
		hosts = append(hosts, host)
	}
	if len(dropped) > 0 {
		e.writeRecords(ctx, dropped...)
		e.tel.countMany(ctx, tallyBlocked, len(dropped))
		e.log.LogAttrs(ctx, slog.LevelDebug, "delivery: page: blocked inboxes dropped", slog.String("activity", p.Activity), slog.Int("inboxes", len(dropped)))
	}
	// The breaker states of the page's hosts in one read, rather than a read per group handed out.
	e.prefetchHosts(ctx, hosts...)
	wait, err := e.ordered(ctx, p, inboxes, keys)
	if err != nil {
		return nil, err
	}
	if len(wait) > 0 {
		todo := pg.todo[:0]
		for _, to := range pg.todo {
			if wait[to.inbox] {
				pg.putBack(e, to.inbox, time.Time{}, 0, nil)
			} else {
				todo = append(todo, to)
			}
		}
		pg.todo = todo
	}
	if len(pg.todo) == 0 {
		pg.acked = true
		e.ackPage(ctx, pg)
		return nil, nil
	}
	return pg, nil
}

// target is an inbox of a page with its host.
type target struct{ inbox, host string }

// final reports whether a delivery record's state is the end of that delivery.
func final(s store.DeliveryState) bool {
	return s == store.DeliveryDelivered || s == store.DeliveryFailed
}

// ordered returns those of a page's inboxes whose delivery must go back to the queue to keep its
// place behind the object's earlier deliveries there (keys holds each inbox's deliver ordering
// key). A page that stays behind earlier activities (Activity.Behind) asks their records: an
// inbox where one is queued or retrying waits, as a deliver job that looks again later. Any other
// page asks the queue: an inbox whose host has unfinished deliver jobs of the object goes behind
// them.
func (e *Engine) ordered(ctx context.Context, p payload, inboxes, keys []string) (map[string]bool, error) {
	if len(p.Behind) > 0 {
		return e.blocked(ctx, p, inboxes...)
	}
	busy, err := e.cfg.Store.UnfinishedKeys(ctx, keys...)
	if err != nil {
		return nil, fmt.Errorf("delivery: page ordering: %w", err)
	}
	out := make(map[string]bool)
	for i, inbox := range inboxes {
		if slices.Contains(busy, keys[i]) {
			out[inbox] = true
		}
	}
	return out, nil
}

// take hands out up to n of the page's inboxes as tasks. Once the page's lease is lapsing (the
// heartbeat could not extend it), it puts the rest back instead and hands out none.
func (pg *page) take(ctx context.Context, e *Engine, n int) []task {
	if e.lapsing(pg.l) {
		pg.stop(ctx, e) // only the lease loop hands out or takes todo
		return nil
	}
	pg.mu.Lock()
	k := min(n, len(pg.todo))
	tasks := make([]task, k)
	for i, to := range pg.todo[:k] {
		p := payload{Activity: pg.p.Activity, Object: pg.p.Object, Actor: pg.p.Actor, Inbox: to.inbox}
		tasks[i] = task{l: pg.l, p: p, host: to.host, page: pg}
	}
	pg.todo = pg.todo[k:]
	pg.running += k
	pg.mu.Unlock()
	return tasks
}

// empty reports whether every inbox of the page was handed out.
func (pg *page) empty() bool {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	return len(pg.todo) == 0
}

// putBack adds a deliver job for inbox, not to run before at, to the page's ack, with rec (if
// not nil) to write after it. pg.mu is held, or pg is not shared yet.
func (pg *page) putBack(e *Engine, inbox string, at time.Time, failed int, rec *store.DeliveryRecord) {
	p := payload{Activity: pg.p.Activity, Object: pg.p.Object, Actor: pg.p.Actor, Inbox: inbox, Failed: failed, Behind: pg.p.Behind}
	if rec != nil {
		p.Error = rec.LastError
	}
	j, err := deliverJob(p)
	if err != nil {
		// Only valid inboxes reach a page's todo (see openPage).
		e.log.Error("delivery: put back", slog.String("inbox", inbox), slog.Any("err", err))
		return
	}
	j.NotBefore = at
	pg.jobs = append(pg.jobs, j)
	if rec != nil {
		pg.records = append(pg.records, *rec)
	}
}

// settle ends one of the page's tasks; the last one acks the page. If inbox is not empty, the
// delivery to it is put back (see putBack).
func (pg *page) settle(ctx context.Context, e *Engine, inbox string, at time.Time, failed int, rec *store.DeliveryRecord) {
	pg.mu.Lock()
	if inbox != "" {
		pg.putBack(e, inbox, at, failed, rec)
	}
	pg.running--
	last := pg.lastLocked()
	pg.mu.Unlock()
	if last {
		e.ackPage(ctx, pg)
	}
}

// done ends one of the page's tasks whose delivery has settled.
func (pg *page) done(ctx context.Context, e *Engine) {
	pg.settle(ctx, e, "", time.Time{}, 0, nil)
}

// giveBack ends one of the page's tasks by putting its delivery back as it was, not tried: Run is
// stopping, the page's lease would end first, or its host is busy.
func (pg *page) giveBack(ctx context.Context, e *Engine, inbox string) {
	pg.settle(ctx, e, inbox, time.Time{}, 0, nil)
}

// stop puts back the inboxes not handed out, as Run does when it stops and take once the page's
// lease would end first.
func (pg *page) stop(ctx context.Context, e *Engine) {
	pg.mu.Lock()
	for _, to := range pg.todo {
		pg.putBack(e, to.inbox, time.Time{}, 0, nil)
	}
	pg.todo = nil
	last := pg.lastLocked()
	pg.mu.Unlock()
	if last {
		e.ackPage(ctx, pg)
	}
}

// lastLocked reports, once, that the page is done: nothing left to hand out, nothing running.
func (pg *page) lastLocked() bool {
	if pg.acked || len(pg.todo) > 0 || pg.running > 0 {
		return false
	}
	pg.acked = true
	return true
}

// ackPage acks a page job with the deliveries it put back, then writes their records. It runs
// even when Run is stopping: each delivery it ends was settled. A lost lease is logged only: the
// page then runs again, on this instance or another, and sends only what was not settled.
func (e *Engine) ackPage(ctx context.Context, pg *page) {
	defer e.held.drop(pg.l)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	if err := e.cfg.Store.Ack(ctx, pg.l, pg.jobs...); err != nil {
		e.finish(ctx, "page ack", err, pg.l)
		return
	}
	e.writeRecords(ctx, pg.records...)
	if len(pg.jobs) > 0 {
		e.notify()
	}
	e.log.LogAttrs(ctx, slog.LevelDebug, "delivery: page done", slog.String("activity", pg.p.Activity),
		slog.Int("page", pg.p.Page), slog.Int("inboxes", len(pg.p.Inboxes)), slog.Int("put back", len(pg.jobs)))
}
