// Package memstore keeps fedsite's federation state in memory: the adapter for tests, examples and
// single-process experiments.
//
// A [Store] implements every contract of [store.Store] and every optional capability. It is safe
// for concurrent use, holds everything in maps guarded by one lock, and loses everything when the process exits; use
// store/sqlstore or store/redisstore when state must survive a restart or be shared between
// processes.
//
// # Behaviour
//
// Listings use keyset cursors over an insertion sequence, so a page stays stable while followers,
// activities or audit entries are added. Entries recorded with [Store.MarkSeen] expire after their
// ttl; expired entries are pruned lazily while new ones are marked. Every method checks its context
// first and returns an error wrapping ctx.Err() when it is done, so code under test sees the same
// cancellation behaviour it gets from a networked adapter. Byte slices are copied on the way in and
// out, so callers may reuse their buffers.
package memstore
