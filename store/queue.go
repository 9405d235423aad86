package store

import (
	"context"
	"errors"
	"time"
)

// ErrLeaseLost reports an Ack, Extend, Retry or DeadLetter with a lease that is no longer current: its
// visibility timeout passed and the job was leased again, or it was already finished. A lease
// whose timeout passed but whose job nobody leased since is still current.
var ErrLeaseLost = errors.New("store: lease lost")

// Job is one unit of background work, such as delivering an activity to one inbox.
type Job struct {
	// ID identifies the job. Enqueue assigns a unique one when it is empty.
	ID string
	// Kind names what the job does, for the worker to dispatch on.
	Kind string
	// OrderingKey serializes jobs: of the unfinished jobs that share a non-empty key, only the
	// oldest is leased, so they run one at a time in enqueue order — a Delete never overtakes the
	// Create of the same object to the same host. A retried job keeps its place at the head.
	// Empty: no ordering.
	OrderingKey string
	// Payload is the worker's data, opaque to the queue.
	Payload []byte
	// NotBefore is the earliest time the job may be leased. Zero: at once.
	NotBefore time.Time
	// Attempts is how many times the job was retried. Set by the queue.
	Attempts int
	// LastError is the reason given with the last Retry or DeadLetter. Set by the queue.
	LastError string
	// EnqueuedAt is when the job was enqueued. Set by the queue.
	EnqueuedAt time.Time
}

// Lease is a job handed to one worker until Until.
type Lease struct {
	Job
	// Token identifies this lease of the job; a job leased again gets a new token.
	Token string
	// Until is when the lease ends: a job neither acked, retried nor dead-lettered by then is
	// leased again, to this worker or another.
	Until time.Time
}

// QueueDepth counts the jobs of a queue by state.
type QueueDepth struct {
	// Ready jobs may be leased now (ordering keys aside); Delayed ones wait for NotBefore.
	Ready, Delayed int
	// Leased jobs are held by workers.
	Leased int
	// Dead jobs were dead-lettered.
	Dead int
}

// Queue is a durable work queue shared by every worker of every instance using the store.
type Queue interface {
	// Enqueue adds jobs, all or nothing. A job whose ID a queued or leased job already has (or
	// that appears twice in jobs) makes it return ErrConflict and enqueue none.
	Enqueue(ctx context.Context, jobs ...Job) error
	// Lease hands out up to max ready jobs for visibility each, oldest first, honouring ordering
	// keys. It returns at once, with no jobs when none is ready. A max below 1 or a visibility
	// that is not positive is an error.
	Lease(ctx context.Context, max int, visibility time.Duration) ([]Lease, error)
	// Extend keeps a leased job with its holder for visibility from now, as a worker's heartbeat
	// does while the job runs, and returns the lease with its new Until and the same Token. A
	// lease that is no longer current (see ErrLeaseLost) is not extended: the error wraps
	// ErrLeaseLost. A visibility that is not positive is an error.
	Extend(ctx context.Context, l Lease, visibility time.Duration) (Lease, error)
	// Ack finishes a leased job and enqueues next in the same atomic step, so a job that expands
	// into others (a fan-out page) is never lost nor expanded twice.
	Ack(ctx context.Context, l Lease, next ...Job) error
	// Retry returns a leased job to the queue with Attempts+1, not to be leased before at.
	Retry(ctx context.Context, l Lease, at time.Time, reason string) error
	// DeadLetter parks a leased job for good: it is never leased again and counts as Dead.
	DeadLetter(ctx context.Context, l Lease, reason string) error
	// Depth counts the jobs by state.
	Depth(ctx context.Context) (QueueDepth, error)
	// UnfinishedKeys returns those of keys (in the order given, each once) that an unfinished job
	// carries as its OrderingKey: queued, delayed or leased, not dead-lettered. A job enqueued
	// with one of these keys now would wait behind them. The empty key is never reported.
	UnfinishedKeys(ctx context.Context, keys ...string) ([]string, error)
}

// BatchAcker is an optional capability of a [Delivery] store: finishing many leased jobs in one
// step, so that a busy engine pays one transaction for many deliveries. Callers use it through
// [AckBatch], which falls back to RecordDelivery and one Ack per lease.
type BatchAcker interface {
	// AckBatch finishes the leased jobs that are still current and stores records (as
	// [Deliveries.RecordDelivery] does), all in one atomic step. Leases that
	// are no longer current are left alone and reported: the error then wraps ErrLeaseLost for
	// each of them, and the other leases and every record are written all the same. Any other
	// error means nothing was written. No leases and no records: nothing happens.
	AckBatch(ctx context.Context, leases []Lease, records ...DeliveryRecord) error
}

// LeaseReleaser is an optional capability of a [Queue]: ending every lease at once, so that the
// jobs a killed process held are leased again at once rather than when their leases end. Only a
// process that knows it is the queue's one user may call it — a single process on an embedded
// database, as it starts — since it would hand live workers' jobs to others too. Callers use it
// through [ReleaseLeases]; without it, those jobs wait for their leases to end.
type LeaseReleaser interface {
	// ReleaseLeases ends every lease that has not ended yet and returns how many it ended. Their
	// jobs may be leased at once; a released lease stays current until its job is leased again.
	ReleaseLeases(ctx context.Context) (int, error)
}

// DistinctKeys returns the non-empty keys, each once, in the order given: the keys an adapter's
// UnfinishedKeys asks about.
func DistinctKeys(keys []string) []string {
	out := make([]string, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
