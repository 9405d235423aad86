package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Engine fans activities out and delivers them through a durable queue. It is safe for
// concurrent use; build it with [New]. Several Engines, in one process or many, may share a queue:
// each job is run by one of them at a time.
type Engine struct {
	cfg  Config
	log  *slog.Logger
	tel  *telemetry // nil without a provider
	wake chan struct{}
	docs docCache
	// hosts keeps healthy hosts' breaker state briefly (see checkBreaker).
	hosts hostCache
	// failing notes the hosts failing since they last answered, to log each outage once at Info.
	failing failingHosts
	// held are the leases of the jobs Run holds, which its heartbeat keeps.
	held heldLeases
	// released is done once the first Run of a SoleInstance released the queue's leases.
	released sync.Once

	clientsMu sync.Mutex
	clients   map[string]*http.Client // by key id: signs with that key, double-knocking per host

	delivered, failed, retried, deadLettered, deferred, gone atomic.Uint64
}

// New checks cfg and builds an Engine. It does no I/O.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.Store == nil:
		return nil, invalid("Store", "required")
	case cfg.Inboxes == nil:
		return nil, invalid("Inboxes", "required")
	case cfg.Documents == nil:
		return nil, invalid("Documents", "required")
	case cfg.Keys == nil:
		return nil, invalid("Keys", "required")
	}
	cfg = cfg.withDefaults()
	tel, err := newTelemetry(cfg.MeterProvider, cfg.TracerProvider)
	if err != nil {
		return nil, err
	}
	return &Engine{
		held:    heldLeases{m: make(map[string]store.Lease)},
		cfg:     cfg,
		log:     cfg.Logger,
		tel:     tel,
		wake:    make(chan struct{}, 1),
		docs:    docCache{m: make(map[string][]byte)},
		clients: make(map[string]*http.Client),
	}, nil
}

// Enqueue queues the delivery of activities, all or nothing, and returns: an Activity with an
// Inbox becomes one deliver job, recorded "queued" first (a failed Enqueue may leave that record), one without becomes a fan-out job that [Engine.Run] expands, a
// page of follower inboxes at a time, in the background. Its cost does not depend on the number of
// followers.
func (e *Engine) Enqueue(ctx context.Context, acts ...Activity) error {
	jobs := make([]store.Job, 0, len(acts))
	var queued []store.DeliveryRecord
	for _, a := range acts {
		if a.ID == "" || a.ActorID == "" {
			return fmt.Errorf("delivery: enqueue: %w", invalid("Activity", "ID and ActorID are required"))
		}
		p := payload{Activity: a.ID, Object: a.ObjectID, Actor: a.ActorID, Inbox: a.Inbox, Behind: a.Behind}
		if p.Object == "" {
			p.Object = a.ID
		}
		var j store.Job
		var err error
		if a.Inbox == "" {
			j, err = fanOutJob(p)
		} else {
			j, err = deliverJob(p)
			host, _ := inboxHost(p.Inbox) // deliverJob checks it
			queued = append(queued, newRecord(p, host, store.DeliveryQueued, 0, "", e.cfg.Now()))
		}
		if err != nil {
			return fmt.Errorf("delivery: enqueue %s: %w", a.ID, err)
		}
		j.ID = a.JobID
		jobs = append(jobs, j)
	}
	// The "queued" records go first: written after the jobs, they could land after a fast
	// worker's "delivered" ones (the store would keep those, as records only move forward).
	if len(queued) > 0 {
		if err := e.cfg.Store.RecordDelivery(ctx, queued...); err != nil {
			return fmt.Errorf("delivery: enqueue: records: %w", err)
		}
	}
	if err := e.cfg.Store.Enqueue(ctx, jobs...); err != nil {
		return fmt.Errorf("delivery: enqueue: %w", err)
	}
	e.notify()
	return nil
}

// notify wakes an idle Run in this process.
func (e *Engine) notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Stats counts what this Engine did since it was built, with the depth of the shared queue.
type Stats struct {
	// Delivered counts deliveries an inbox accepted (2xx).
	Delivered uint64
	// Failed counts deliveries given up: refused for good, gone, or out of attempts.
	Failed uint64
	// Retried counts failed attempts put back for another try.
	Retried uint64
	// DeadLettered counts the Failed deliveries that were dead-lettered in the queue: deliver jobs
	// that failed for good other than by 404 or 410. A page's delivery refused at its first
	// attempt has no job to dead-letter; it is counted Failed and recorded only.
	DeadLettered uint64
	// Gone counts the Failed deliveries whose inbox answered 404 or 410.
	Gone uint64
	// Deferred counts deliveries put back, without an attempt, because their host's circuit
	// breaker was open.
	Deferred uint64
	// Queue is the depth of the queue, every instance's jobs included.
	Queue store.QueueDepth
}

// Stats returns the counters and the queue depth. The counters are this process's; the depth is
// the queue's.
func (e *Engine) Stats(ctx context.Context) (Stats, error) {
	s := Stats{
		Delivered:    e.delivered.Load(),
		Failed:       e.failed.Load(),
		Retried:      e.retried.Load(),
		DeadLettered: e.deadLettered.Load(),
		Gone:         e.gone.Load(),
		Deferred:     e.deferred.Load(),
	}
	d, err := e.cfg.Store.Depth(ctx)
	if err != nil {
		return s, fmt.Errorf("delivery: queue depth: %w", err)
	}
	s.Queue = d
	return s, nil
}

// task is a leased job with its decoded payload, or one delivery of a page job.
type task struct {
	l    store.Lease // the page job's lease for a page's delivery
	p    payload
	host string // "" for fan-out and page jobs, which no host limit applies to
	page *page  // the page job the delivery is part of; nil for a leased job
}

// delivery reports whether t is one delivery, with a record of its own: a deliver job or a
// page's delivery, not a fan-out or page job.
func (t task) delivery() bool { return t.l.Kind == KindDeliver || t.page != nil }

// Run leases jobs and runs them with Config.Workers workers, at most Config.PerHost of them on
// one host, until ctx is done, extending the leases it holds every LeaseTimeout/3 (a heartbeat).
// Then it stops leasing, waits for the jobs under way (their requests are cancelled with ctx),
// puts back jobs it leased but had not started, and returns nil. Jobs of a Run that died without
// returning are run again once their lease ends, by another process or this one restarted: a
// delivery may be sent twice, never lost.
func (e *Engine) Run(ctx context.Context) error {
	if e.cfg.SoleInstance {
		e.released.Do(func() { e.releaseLeases(ctx) })
	}
	stopObserving, err := e.tel.observeQueue(e.cfg.Store)
	if err != nil {
		e.log.LogAttrs(ctx, slog.LevelWarn, "delivery: queue depth not observed", slog.Any("err", err))
	}
	defer stopObserving()
	capacity := 2 * e.cfg.Workers // leased jobs held at once: running plus waiting for a host slot
	tokens := make(chan struct{}, capacity)
	ready := make(chan task, capacity)
	gate := hostGate{active: make(map[string]int), waiting: make(map[string][]task), limit: e.cfg.PerHost}
	done := e.newCompleter()
	var completing sync.WaitGroup
	completing.Go(func() { done.run(ctx) })
	stopBeat := make(chan struct{})
	var beating sync.WaitGroup
	// The heartbeat outlives ctx, as the pages' acks and the completer's flushes do.
	beating.Go(func() { e.heartbeat(context.WithoutCancel(ctx), stopBeat) })
	defer func() {
		close(stopBeat)
		beating.Wait()
	}()
	var wg sync.WaitGroup
	for range e.cfg.Workers {
		wg.Go(func() {
			for t := range ready {
				for {
					e.run(ctx, t, done)
					if t.page == nil {
						e.held.drop(t.l)
					}
					<-tokens
					if t.host == "" {
						break
					}
					next, ok := gate.done(t.host)
					if !ok {
						break
					}
					t = next
				}
			}
		})
	}
	open := e.lease(ctx, tokens, ready, &gate)
	close(ready)
	wg.Wait()
	for _, pg := range open {
		pg.stop(ctx, e)
	}
	close(done.in)
	completing.Wait()
	return nil
}

// releaseLeases ends the leases an earlier run of this sole instance left (Config.SoleInstance).
func (e *Engine) releaseLeases(ctx context.Context) {
	n, err := store.ReleaseLeases(ctx, e.cfg.Store)
	if err != nil {
		e.log.LogAttrs(ctx, slog.LevelWarn, "delivery: release leases", slog.Any("err", err))
		return
	}
	if n > 0 {
		e.log.LogAttrs(ctx, slog.LevelInfo, "delivery: took back the jobs an earlier run left leased", slog.Int("jobs", n))
	}
}

// lease feeds ready until ctx is done, and returns the pages it had not handed out in full.
// Each task handed to ready holds a token until its worker is done with it. Page jobs hold none:
// their deliveries do, and no job is leased until every open page is handed out, so that the
// deliveries in memory stay within the tokens whatever the fan-out.
func (e *Engine) lease(ctx context.Context, tokens chan struct{}, ready chan<- task, gate *hostGate) []*page {
	timer := time.NewTimer(0)
	<-timer.C
	// While jobs are waiting in the queue, lease them in groups of a quarter of the slots rather
	// than as each slot frees: a lease costs the queue about the same for one job as for many.
	group := max(1, cap(tokens)/4)
	busy := false
	var open []*page // pages with inboxes not yet handed out, oldest first
	for {
		want := 1
		if busy && len(open) == 0 {
			want = group
		}
		n := 0
		for n < want {
			select {
			case tokens <- struct{}{}:
				n++
			case <-ctx.Done():
				return open
			}
		}
	fill:
		for n < cap(tokens) {
			select {
			case tokens <- struct{}{}:
				n++
			default:
				break fill
			}
		}
		var tasks []task
		tasks, open = e.feed(ctx, open, n, tasks)
		if len(open) == 0 && len(tasks) < n {
			want := n - len(tasks)
			leases, err := e.cfg.Store.Lease(ctx, want, e.cfg.LeaseTimeout)
			if err != nil && ctx.Err() == nil {
				e.log.LogAttrs(ctx, slog.LevelWarn, "delivery: lease", slog.Any("err", err))
			}
			busy = len(leases) == want
			for _, l := range leases {
				t, err := decode(l)
				if err != nil {
					e.log.LogAttrs(ctx, slog.LevelError, "delivery: bad job", slog.String("job", l.ID), slog.Any("err", err))
					e.finish(ctx, "dead-letter", e.cfg.Store.DeadLetter(ctx, l, reason(0, err.Error())), l)
					continue
				}
				// Held until the worker is done with it (a job) or its ack (a page).
				e.held.hold(l)
				if l.Kind != KindPage {
					tasks = append(tasks, t)
					continue
				}
				pg, err := e.openPage(ctx, t)
				switch {
				case err != nil && ctx.Err() != nil:
					// Run is stopping: the page was not started, it is put back as it was.
					e.held.drop(l)
					e.release(ctx, t)
				case err != nil:
					e.held.drop(l)
					e.retryJob(ctx, e.log.With(slog.String("activity", t.p.Activity)), t, err, 0, false)
				case pg != nil:
					open = append(open, pg)
				}
			}
			tasks, open = e.feed(ctx, open, n-len(tasks), tasks)
		} else {
			busy = true // lease as soon as the open pages are handed out
		}
		for range n - len(tasks) {
			<-tokens
		}
		hosts := make([]string, len(tasks))
		for i, t := range tasks {
			hosts[i] = t.host
		}
		e.prefetchHosts(ctx, hosts...)
		for _, t := range tasks {
			switch {
			case t.host == "":
				ready <- t
			case t.page != nil:
				if gate.tryAdmit(t.host) {
					ready <- t
					continue
				}
				// Its host is busy, with this page's other inboxes there most likely: rather than
				// hold a slot waiting, it goes back as a deliver job, which the queue hands out
				// after the object's other jobs for that host.
				t.page.giveBack(ctx, e, t.p.Inbox)
				<-tokens
			case gate.admit(t):
				ready <- t
			}
		}
		if !busy && len(open) == 0 {
			timer.Reset(e.cfg.PollInterval)
			select {
			case <-e.wake:
				if !timer.Stop() {
					<-timer.C
				}
			case <-timer.C:
			case <-ctx.Done():
				return open
			}
		}
	}
}

// feed appends to tasks up to n deliveries of the open pages, oldest page first, and returns the
// pages that still have some to hand out.
func (e *Engine) feed(ctx context.Context, open []*page, n int, tasks []task) ([]task, []*page) {
	for len(open) > 0 && n > 0 {
		got := open[0].take(ctx, e, n)
		tasks = append(tasks, got...)
		n -= len(got)
		if open[0].empty() {
			open = open[1:]
		}
	}
	return tasks, open
}

func decode(l store.Lease) (task, error) {
	var p payload
	if err := json.Unmarshal(l.Payload, &p); err != nil {
		return task{}, fmt.Errorf("delivery: job %s: %w", l.ID, err)
	}
	t := task{l: l, p: p}
	switch l.Kind {
	case KindFanOut, KindPage:
	case KindDeliver:
		h, err := inboxHost(p.Inbox)
		if err != nil {
			return task{}, err
		}
		t.host = h
	default:
		return task{}, fmt.Errorf("delivery: job %s: unknown kind %q", l.ID, l.Kind)
	}
	return t, nil
}

// run runs one task, or puts it back when Run is stopping or its lease is about to end.
func (e *Engine) run(ctx context.Context, t task, done *completer) {
	if ctx.Err() != nil {
		e.release(ctx, t)
		return
	}
	if e.lapsing(t.l) {
		// The heartbeat could not extend its lease: it may end while the task runs, and another
		// worker would send it too. A page puts it back with its ack; a job's lease is left to
		// run out.
		if t.page != nil {
			t.page.giveBack(ctx, e, t.p.Inbox)
		}
		return
	}
	switch t.l.Kind {
	case KindFanOut:
		e.fanOut(ctx, t)
	default:
		e.deliver(ctx, t, done)
	}
}

// release puts back a task not started, so that it need not wait for its lease to end.
func (e *Engine) release(ctx context.Context, t task) {
	if t.page != nil {
		t.page.giveBack(ctx, e, t.p.Inbox)
		return
	}
	// ctx is done: give the queue a few seconds of its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := e.cfg.Store.Retry(ctx, t.l, e.cfg.Now(), reason(failures(t), lastMessage(t.l)))
	e.finish(ctx, "release", err, t.l)
}

// finish logs the failure of a queue operation ending a job.
func (e *Engine) finish(ctx context.Context, op string, err error, l store.Lease) {
	if err == nil {
		return
	}
	lvl := slog.LevelWarn
	if ctx.Err() != nil {
		lvl = slog.LevelDebug
	}
	e.log.LogAttrs(context.WithoutCancel(ctx), lvl, "delivery: "+op, slog.String("job", l.ID), slog.Any("err", err))
}

// hostGate keeps at most limit tasks per host running; the others wait in order.
type hostGate struct {
	mu      sync.Mutex
	limit   int
	active  map[string]int
	waiting map[string][]task
}

// admit reports whether t may run now; if not, it is kept until a task of its host is done.
func (g *hostGate) admit(t task) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.takeLocked(t.host) {
		return true
	}
	g.waiting[t.host] = append(g.waiting[t.host], t)
	return false
}

// tryAdmit takes a slot of host if one is free, and reports whether it did.
func (g *hostGate) tryAdmit(host string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.takeLocked(host)
}

// takeLocked takes a slot of host if one is free; g.mu is held.
func (g *hostGate) takeLocked(host string) bool {
	if g.active[host] < g.limit {
		g.active[host]++
		return true
	}
	return false
}

// done ends a task of host and returns the next one waiting for it, if any, which takes its slot.
func (g *hostGate) done(host string) (task, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if w := g.waiting[host]; len(w) > 0 {
		t := w[0]
		if len(w) == 1 {
			delete(g.waiting, host)
		} else {
			g.waiting[host] = w[1:]
		}
		return t, true
	}
	if g.active[host]--; g.active[host] <= 0 {
		delete(g.active, host)
	}
	return task{}, false
}

// docCache keeps the documents of the activities being delivered, so that a fan-out to thousands
// of inboxes reads each from the store once. Documents of activities never change.
type docCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

const docCacheSize = 64

func (c *docCache) get(id string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[id]
	return b, ok
}

func (c *docCache) put(id string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= docCacheSize {
		for k := range c.m { // evict one at random
			delete(c.m, k)
			break
		}
	}
	c.m[id] = b
}
