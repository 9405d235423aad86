package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

// DeadLetter is a job the engine gave up on: a delivery to one inbox, or a fan-out or page job
// that could not be expanded.
type DeadLetter struct {
	// ID is the job's, which Replay takes.
	ID string
	// Kind is the job's: KindDeliver, KindPage or KindFanOut.
	Kind string
	// Activity is the activity's id, Object the object it is about, Actor the local actor sending it.
	Activity, Object, Actor string
	// Inbox is the inbox of a deliver job; Inboxes counts those of a page job.
	Inbox   string
	Inboxes int
	// Failures counts the failed attempts; Reason is why the last one failed, and so why the
	// engine gave up.
	Failures int
	Reason   string
	// DiedAt is when it gave up.
	DiedAt time.Time
}

// Host is what the engine knows of a remote host whose deliveries failed.
type Host struct {
	store.HostState
	// Jobs counts its unfinished deliver jobs: waiting for a retry or for its breaker, or under way.
	Jobs int
	// NextRetry is when the first of them that waits is due; LastError why it waits. Zero and ""
	// when none waits.
	NextRetry time.Time
	LastError string
}

// Open reports whether the host's circuit breaker holds its deliveries at now.
func (h Host) Open(now time.Time) bool { return now.Before(h.OpenUntil) }

// DeadLetters lists the jobs the engine gave up on, the latest first, limit at most per page.
func (e *Engine) DeadLetters(ctx context.Context, cursor string, limit int) (store.Page[DeadLetter], error) {
	p, err := e.cfg.Store.DeadLettersPage(ctx, cursor, limit)
	if err != nil {
		return store.Page[DeadLetter]{}, fmt.Errorf("delivery: dead letters: %w", err)
	}
	out := store.Page[DeadLetter]{Items: make([]DeadLetter, 0, len(p.Items)), Next: p.Next}
	for _, d := range p.Items {
		dl := DeadLetter{ID: d.ID, Kind: d.Kind, Failures: d.Attempts, Reason: d.LastError, DiedAt: d.DiedAt}
		// A job whose payload does not decode is listed with what the queue knows of it.
		if t, err := decode(store.Lease{Job: d.Job}); err == nil {
			dl.Activity, dl.Object, dl.Actor, dl.Inbox, dl.Inboxes = t.p.Activity, t.p.Object, t.p.Actor, t.p.Inbox, len(t.p.Inboxes)
			dl.Failures, dl.Reason = failures(t), lastError(t)
		}
		out.Items = append(out.Items, dl)
	}
	return out, nil
}

// Replay puts the dead-lettered jobs with those ids back in the queue, due at once with no
// failures counted, and returns how many it replayed (see store.QueueAdmin.Replay).
func (e *Engine) Replay(ctx context.Context, ids ...string) (int, error) {
	n, err := e.cfg.Store.Replay(ctx, ids...)
	if err != nil {
		return 0, fmt.Errorf("delivery: replay: %w", err)
	}
	return n, nil
}

// replayPage is how many dead letters ReplayAll replays at a time.
const replayPage = 500

// ReplayAll replays every dead-lettered job, a page at a time, and returns how many it replayed.
// Jobs that die while it runs may be replayed too.
func (e *Engine) ReplayAll(ctx context.Context) (int, error) {
	total, cursor := 0, ""
	for {
		p, err := e.cfg.Store.DeadLettersPage(ctx, cursor, replayPage)
		if err != nil {
			return total, fmt.Errorf("delivery: replay all: %w", err)
		}
		ids := make([]string, len(p.Items))
		for i, d := range p.Items {
			ids[i] = d.ID
		}
		n, err := e.Replay(ctx, ids...)
		total += n
		if err != nil || p.Next == "" {
			return total, err
		}
		// Replay took this page's dead letters out; the cursor still points past them.
		cursor = p.Next
	}
}

// Hosts lists the hosts with circuit breaker state (a failure counted or the breaker open), by
// name, with their deliver jobs.
func (e *Engine) Hosts(ctx context.Context, cursor string, limit int) (store.Page[Host], error) {
	p, err := e.cfg.Store.HostsPage(ctx, cursor, limit)
	if err != nil {
		return store.Page[Host]{}, fmt.Errorf("delivery: hosts: %w", err)
	}
	out := store.Page[Host]{Items: make([]Host, 0, len(p.Items)), Next: p.Next}
	for _, st := range p.Items {
		k, err := e.cfg.Store.KeyedJobs(ctx, hostSuffix(st.Host))
		if err != nil {
			return store.Page[Host]{}, fmt.Errorf("delivery: jobs of %s: %w", st.Host, err)
		}
		h := Host{HostState: st, Jobs: k.Jobs, NextRetry: k.Next.NotBefore}
		if t, err := decode(store.Lease{Job: k.Next}); err == nil {
			h.LastError = lastError(t)
		}
		out.Items = append(out.Items, h)
	}
	return out, nil
}

// RetryHost closes the host's circuit breaker, forgetting its failures, and makes its waiting
// deliver jobs due at once; it returns how many jobs it hurried. A delivery that waits behind an
// earlier activity's (see Activity.Behind) keeps its own time.
func (e *Engine) RetryHost(ctx context.Context, host string) (int, error) {
	if host == "" {
		return 0, errors.New("delivery: retry host: no host named")
	}
	if err := e.cfg.Store.HostSucceeded(ctx, host); err != nil {
		return 0, fmt.Errorf("delivery: retry host %s: %w", host, err)
	}
	e.hosts.forget(host)
	n, err := e.cfg.Store.HurryJobs(ctx, hostSuffix(host))
	if err != nil {
		return 0, fmt.Errorf("delivery: retry host %s: %w", host, err)
	}
	return n, nil
}

// lastError returns why a job's last attempt failed: the reason given to the queue, or, for a
// deliver job put back from a page and not retried since, the error it was put back with.
func lastError(t task) string {
	if t.l.LastError == "" {
		return t.p.Error
	}
	return lastMessage(t.l)
}
