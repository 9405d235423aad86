package store

import (
	"context"
	"time"
)

// HostState is what the delivery circuit breaker keeps per remote host, shared by every instance.
type HostState struct {
	Host string
	// Failures counts consecutive failed deliveries to the host.
	Failures int
	// LastFailure is when the latest of them happened.
	LastFailure time.Time
	// OpenUntil is the end of the time the breaker keeps deliveries to the host on hold; zero
	// when the breaker is closed.
	OpenUntil time.Time
}

// Hosts keeps the circuit breaker state of remote hosts.
type Hosts interface {
	// HostStates returns the state of each host, in the order given; a host never seen has the
	// zero state (with Host set), not ErrNotFound. It reads them all at once, so a delivery engine
	// checks a leased batch of deliveries with one call.
	HostStates(ctx context.Context, hosts ...string) ([]HostState, error)
	// HostFailed counts one more consecutive failure at the given time, atomically, and returns
	// the new state.
	HostFailed(ctx context.Context, host string, at time.Time) (HostState, error)
	// OpenHost holds deliveries to the host until the given time.
	OpenHost(ctx context.Context, host string, until time.Time) error
	// HostSucceeded resets the host's state: no failures, breaker closed.
	HostSucceeded(ctx context.Context, host string) error
}

// DeliveryState is where the delivery of an activity to one inbox stands.
type DeliveryState string

// The delivery states. A delivery's record only moves forward: queued, then retrying, then
// delivered or failed (see [Deliveries.RecordDelivery]).
const (
	DeliveryQueued    DeliveryState = "queued"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryRetrying  DeliveryState = "retrying"
	DeliveryFailed    DeliveryState = "failed"
)

// Rank orders the states as a delivery goes through them: queued 1, retrying 2, delivered and
// failed 3 (both final; a later final record replaces an earlier one, as a delivery sent again
// after a crash is recorded again). An unknown state ranks 0.
func (s DeliveryState) Rank() int {
	switch s {
	case DeliveryQueued:
		return 1
	case DeliveryRetrying:
		return 2
	case DeliveryDelivered, DeliveryFailed:
		return 3
	}
	return 0
}

// Final reports whether a delivery in state s is over: delivered, or failed for good.
func (s DeliveryState) Final() bool {
	return s == DeliveryDelivered || s == DeliveryFailed
}

// DeliveryRecord is the status of one activity's delivery to one inbox.
type DeliveryRecord struct {
	// ObjectID is the object the activity is about (the article), so a site can ask about an
	// article without knowing its activities.
	ObjectID   string
	ActivityID string
	Inbox      string
	Host       string
	State      DeliveryState
	Attempts   int
	LastError  string
	UpdatedAt  time.Time
}

// Deliveries keeps per-inbox delivery status for the site to query.
type Deliveries interface {
	// RecordDelivery stores records, all or nothing (one transaction, script or lock), each
	// replacing the record of the same ActivityID and Inbox unless that record is further on
	// (see [DeliveryState.Rank]): a "queued" record written late never hides a "delivered" one.
	// Of two records with the same pair in one call the later wins, on the same terms. A zero
	// UpdatedAt is set to the current time. With no records it stores nothing and reports only
	// a done ctx.
	RecordDelivery(ctx context.Context, records ...DeliveryRecord) error
	// DeliveriesPage lists the records of an object's activities, ordered by activity then inbox
	// (byte order), limit at most per page; cursor is "" or a Next the adapter returned.
	DeliveriesPage(ctx context.Context, objectID, cursor string, limit int) (Page[DeliveryRecord], error)
	// DeliveryStates returns the state of the records of activityID's delivery to each of
	// inboxes, in the order given, "" where there is none; objectID is the ObjectID they were
	// recorded under. A delivery engine reads it to learn which deliveries of a fan-out page a
	// crashed instance had already made.
	DeliveryStates(ctx context.Context, objectID, activityID string, inboxes ...string) ([]DeliveryState, error)
}
