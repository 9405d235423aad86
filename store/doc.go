// Package store defines the storage contracts fedsite needs and the typed errors every adapter returns.
//
// The contracts are small interfaces split by concern, gathered in two aggregates chosen by need:
// [Site], the site's federation state, which a site may keep in its own database, and [Delivery],
// the delivery engine's state, which runs on a shipped adapter. [Store] is both, for adapters that
// offer everything; code inside fedsite accepts the narrowest part it uses. Adapters live in
// sub-packages (store/memstore, store/sqlstore, store/redisstore) and prove they keep the contracts
// by running the conformance suites in store/storetest (storetest.Run for [Site],
// storetest.RunDelivery for [Delivery]).
//
// # Contracts
//
// Site state ([Site], 32 methods):
//   - [Followers] (7): AddFollower, RemoveFollower, Follower, FollowerByFollowID, FollowersPage,
//     DeliveryInboxes, RemoveFollowersByInbox
//   - [Objects] (3): PutObject, Object, DeleteObject
//   - [Outbox] (2): AppendOutbox, OutboxPage
//   - [Seen] (2): MarkSeen, ForgetSeen
//   - [ActorCache] (3): PutRemoteActor, RemoteActor, RemoteActorByKey
//   - [Keys] (2): KeyPair, CreateKeyPair
//   - [Interactions] (5): AddInteraction, Interaction, InteractionBy, RemoveInteraction,
//     InteractionsPage
//   - [FollowRequests] (4): AddFollowRequest, FollowRequest, RemoveFollowRequest,
//     FollowRequestsPage
//   - [Blocks] (4): AddBlock, RemoveBlock, BlocksPage, Blocked
//
// Delivery state ([Delivery], 20 methods):
//   - [Queue] (8): Enqueue, Lease, Extend, Ack, Retry, DeadLetter, Depth, UnfinishedKeys
//   - [Deliveries] (3): RecordDelivery, DeliveriesPage, DeliveryStates
//   - [Hosts] (4): HostStates, HostFailed, OpenHost, HostSucceeded
//   - [QueueAdmin] (5): DeadLettersPage, Replay, HostsPage, KeyedJobs, HurryJobs
//
// # Optional capabilities
//
// As in database/sql/driver, an adapter may offer more, and one helper here holds each type
// assertion and its fallback, so no caller asserts:
//   - [Audit] (AppendAudit, AuditPage) on a Site: [AppendAudit] keeps nothing without it, and
//     [ReadAudit] reads an empty log.
//   - [FollowerCounter], [OutboxCounter], [InteractionCounter] (one Count method each) on a Site:
//     [CountFollowers], [CountOutbox] and [CountInteractions] walk pages without them.
//   - [BatchAcker] (AckBatch) on a Delivery: [AckBatch] records and then acks one lease at a time
//     without it.
//   - [ReplyHider] (HideReply) on a Site: [HideReply] removes the reply and adds it again with
//     the other kind without it, so it may move in the listing.
//   - [LeaseReleaser] (ReleaseLeases) on a Queue: [ReleaseLeases] ends no lease without it, and
//     the jobs wait for their leases to end.
//   - [Record] (7: AppendRecord, RecordHead, RecordRange, DeleteRecords, PutLegalHold,
//     RemoveLegalHold, LegalHolds) on a Site: the hash-chained record of every activity sent and
//     received, and its legal holds. [RecordOf] returns [ErrNoRecord] without it, and the site
//     keeps no record (activitypub.Federation.Recording says so).
//   - [Pruner] (PruneOperational, DeliveryObjects) on a Site and a Delivery: deletes operational
//     data by age; [PrunerOf] finds it, and without it nothing is pruned (activitypub's Run logs
//     so once).
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
