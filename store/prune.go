package store

import (
	"context"
	"time"
)

// Pruner is an optional capability of a store: deleting the operational data that fedsite no
// longer needs, on the schedule of activitypub's Config.Retention. A store without it keeps that
// data for ever (fedsite logs so once); seen ids still expire as [Seen] says.
type Pruner interface {
	// PruneOperational deletes, in batches small enough not to hold a write lock for long, what
	// each cut-off of p names, and returns how many of each it deleted. A zero cut-off deletes
	// nothing of its kind. A ctx that ends stops it between batches; what it deleted stays deleted
	// and the counts so far come back with the error.
	PruneOperational(ctx context.Context, p PruneBefore) (PruneCounts, error)
	// DeliveryObjects lists the ids of the objects that have delivery records, limit at most per
	// page, in no order the caller may rely on; cursor is "" or a Next the adapter returned. Every
	// object that has records from the first page to the last is listed at least once.
	DeliveryObjects(ctx context.Context, cursor string, limit int) (Page[string], error)
}

// PruneBefore holds the cut-offs of one [Pruner.PruneOperational] call.
type PruneBefore struct {
	// Deliveries: the delivery records updated before it whose delivery is over (delivered or
	// failed) and whose ObjectID is one of Objects. The caller names only objects whose records
	// nothing will read again, such as those deleted before the cut-off: an Update or Delete of
	// an object is sent to every inbox its records name.
	Deliveries time.Time
	// Objects are the objects whose delivery records may go.
	Objects []string
	// DeadLetters: the dead letters of jobs that died before it.
	DeadLetters time.Time
	// RemoteActors: the cached remote actors, with their keys, fetched before it.
	RemoteActors time.Time
	// Seen: the seen ids whose time ran out by it.
	Seen time.Time
}

// PruneCounts says how many of each kind a prune deleted.
type PruneCounts struct {
	Deliveries, DeadLetters, RemoteActors, Seen int
}

// PrunerOf returns s's [Pruner] and true, or nil and false when s has none: s then keeps its
// operational data for ever. s is a [Site] or a [Delivery].
func PrunerOf(s any) (Pruner, bool) {
	p, ok := s.(Pruner)
	return p, ok
}
