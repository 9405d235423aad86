// Package store defines the storage contracts fedsite needs and the typed errors every adapter returns.
//
// The contracts are small interfaces split by concern ([Followers], [Objects], [Outbox], [Seen],
// [ActorCache], [Keys], [Audit], [Blocks], …); [Store] embeds them all for wiring, while code accepts the narrowest
// part it uses. Adapters live in sub-packages (store/memstore, store/sqlstore, store/redisstore) and
// prove they keep every contract by running the conformance suite in store/storetest.
//
// # Errors
//
// Adapters translate their backend's signals into [ErrNotFound] and [ErrConflict], so callers test
// errors with [errors.Is] and never import a backend. Other failures are wrapped with %w and name the
// adapter and the operation.
//
// # Paging
//
// Methods that list return a [Page] and take the Next cursor of the previous page. Cursors are opaque
// strings chosen by the adapter; an empty cursor asks for the first page, and an empty Next means
// there is nothing more. Pages are keyset-based, so a page is stable while new rows are inserted.
package store
