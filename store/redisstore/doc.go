// Package redisstore keeps fedsite's federation state in Redis, through a go-redis client the
// caller owns.
//
// A [Store] implements every contract of [store.Store] and every optional capability, and passes
// the store/storetest suites. It is safe for concurrent use, and several processes may share one Redis as long as they use the same
// [Config.Prefix].
//
// # Data layout
//
// Every key starts with [Config.Prefix] (default "fedsite:"); the rest is a short tag and an IRI.
// The structures follow the access paths:
//   - followers of an actor: a sorted set scored by an insertion sequence (INCR), so pages are
//     keyset ranges read with ZREVRANGEBYSCORE, and one hash holding each follower's record;
//   - delivery inboxes of an actor: a sorted set with score 0, read in byte order with
//     ZRANGEBYLEX from the last inbox handled, and a hash counting the followers behind each inbox,
//     so removing the last of them removes the inbox; a fan-out reads distinct inboxes directly
//     and never walks the followers;
//   - followers of an actor by the UTC day they started following: a hash of day number to
//     count, kept by the same scripts; with the inbox counts it makes [Store.SummarizeFollowers]
//     two hash reads;
//   - followers by delivery inbox: a set per inbox of actor and follower pairs, across actors, so
//     [Store.RemoveFollowersByInbox] finds the followers behind an inbox that answered 410;
//   - followers by remote host: one sorted set of "<reversed host> <actor and follower pair>"
//     entries with score 0, so that the followers on a host, or on a domain's subdomains, are a
//     lexical range ([Store.AddBlock] removes them);
//   - Follow activity ids: one hash from id to actor and follower;
//   - objects: one small hash each; outboxes: a sorted set of activity ids per actor by sequence,
//     and a set per object of the outbox activities about it, which [Store.DeleteObject] takes
//     out of their outboxes;
//   - seen activity ids: plain keys written with SET NX PX, so Redis expires them;
//   - remote actors: a string each, a small set of their key ids, and a string per key id;
//   - key pairs: a string each, written with SET NX;
//   - interactions: one hash of records by id and a sorted set of ids per object and kind; one
//     more hash from each Like and Announce's object, kind and actor to its id, written with
//     HSETNX in the adding script, keeps one per actor and finds it for an Undo naming another
//     id;
//   - blocks: one hash of records by target and a sorted set of targets by sequence;
//     [Store.Blocked] reads every target an IRI may be blocked by with one HMGET;
//   - delivery records: per object a sorted set of activity and inbox pairs and a hash of
//     records, one hash from each pair to its object, and one sorted set of the pairs by update
//     time, which [Store.CountDeliveries] reads from a time on; a store's first CountDeliveries
//     fills that set, once, with the pairs of records written before it existed;
//   - the audit log: a stream, optionally capped with [Config.AuditMaxLen]; its entry ids are the
//     cursors.
//
// # Queue
//
// A Store is also a [store.Queue] shared by every Store over the same [Config.QueuePrefix]
// (default Prefix + "queue:"), each reading as its own consumer ([Config.Consumer], random by
// default) of one consumer group on one stream. Jobs that may be leased are stream entries; a job
// hash holds each job's data and its current lease token. Jobs not yet due (NotBefore, Retry at)
// wait in a sorted set and enter the stream when a Lease finds them due. A job with an ordering
// key enters the stream only as the head of its key: a list per key holds the waiting ones, and
// Ack or DeadLetter of the head admits the next. Lease reads new entries with XREADGROUP; a lease
// whose visibility ran out is found through a sorted set of lease ends and taken over with XCLAIM
// under a new token, so the old holder gets [store.ErrLeaseLost]. Ack does XACK and XDEL and
// enqueues the next jobs in the same script; Depth comes from XLEN and the sorted sets' sizes.
// Every queue operation is one Lua script, so each is atomic. Host state is a small hash per host
// (HostFailed is HINCRBY in a script); delivery records are a sorted set per object of activity
// and inbox pairs read with ZRANGEBYLEX, beside a hash of the records, and one sorted set lists
// the objects that have records, for [Store.DeliveryObjects]; a store's first DeliveryObjects
// fills that set, once, with the objects of records written before it existed.
//
// [Store.PruneOperational] reads 500 members or keys at a time and deletes, with a script, what
// is still as it read it: delivery records from their object's sets, dead letters from the dead
// set by score. Remote actors have no index by fetch time, so it finds them with SCAN over their
// keys, once per prune. Seen ids it leaves to Redis, which expires them.
//
// Writes that touch several keys (adding and removing followers, putting objects, appending to an
// outbox, replacing a remote actor) run as Lua scripts, so they are atomic and see a consistent
// state. No method uses KEYS or reads a whole large collection; the prune of remote actors alone
// walks the keyspace, with SCAN.
//
// # Redis Cluster
//
// The scripts name keys they derive from the prefix, so on a Redis Cluster every key must live in
// one slot: put a hash tag in the prefix, such as "{fedsite}:".
//
// # Errors
//
// Missing data is [store.ErrNotFound], uniqueness violations [store.ErrConflict] and forged cursors
// [store.ErrBadCursor]. Every other failure, such as an unreachable server or a closed client, is
// returned wrapped as "redisstore: <operation>: <cause>", so errors.Is still finds the cause
// (redis.ErrClosed, context.Canceled, a *net.OpError).
package redisstore
