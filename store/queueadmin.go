package store

import (
	"context"
	"time"
)

// DeadLetter is a job the queue gave up on (see [Queue.DeadLetter]), kept for operators to read
// and replay.
type DeadLetter struct {
	// Job is the job as it was when it gave up: its Attempts and, in LastError, the reason given.
	Job
	// DiedAt is when it was dead-lettered.
	DiedAt time.Time
}

// KeyedJobs sums up the unfinished jobs whose ordering keys end alike (see
// [QueueAdmin.KeyedJobs]).
type KeyedJobs struct {
	// Jobs counts them: queued, delayed or leased.
	Jobs int
	// Next is the delayed one, not leased, due first: its ID, Kind, OrderingKey, Payload,
	// NotBefore, Attempts and LastError (why it waits). The zero Job when none waits.
	Next Job
}

// QueueAdmin is what the people running a site see of the delivery state and do to it: the jobs
// that gave up, replayed once the cause is fixed, the hosts the circuit breaker keeps state of,
// and the jobs that wait for a host, hurried when it is back.
//
// The queue knows no hosts: the delivery engine keys a delivery's job by the host it goes to,
// last in the job's OrderingKey, and asks KeyedJobs and HurryJobs about the jobs whose keys end
// with it.
type QueueAdmin interface {
	// DeadLettersPage lists the dead-lettered jobs, the latest to die first.
	DeadLettersPage(ctx context.Context, cursor string, limit int) (Page[DeadLetter], error)
	// Replay puts the dead-lettered jobs with those ids back in the queue, due at once, as
	// Enqueue would (Attempts 0, no LastError, EnqueuedAt now, the same ID, Kind, OrderingKey and
	// Payload), and drops their dead letters, all in one atomic step. It returns how many it
	// replayed: an id without a dead letter, or with an unfinished job of the same id, is left
	// as it is and not counted. Of a job dead-lettered more than once, its latest dead letter is
	// replayed.
	Replay(ctx context.Context, ids ...string) (int, error)
	// HostsPage lists the hosts whose state is not the zero state (see [Hosts]), by name in byte
	// order.
	HostsPage(ctx context.Context, cursor string, limit int) (Page[HostState], error)
	// KeyedJobs sums up the unfinished jobs whose OrderingKey ends with suffix, which must not be
	// empty.
	KeyedJobs(ctx context.Context, suffix string) (KeyedJobs, error)
	// HurryJobs makes due at once every delayed job, not leased, whose OrderingKey ends with
	// suffix (not empty), as if it had been retried with a zero time, and returns how many it
	// hurried. Ordering keys still hold: a hurried job waiting behind another of its key stays
	// behind it.
	HurryJobs(ctx context.Context, suffix string) (int, error)
}
