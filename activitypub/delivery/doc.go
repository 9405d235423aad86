// Package delivery is fedsite's durable outgoing delivery engine: it fans an activity out to the
// distinct inboxes of an actor's followers and posts it to each, signed, through a [store.Queue], so
// that publishing never waits for the fediverse and no delivery is lost when a process dies.
//
// # Jobs
//
// [Engine.Enqueue] adds one job and returns. A fan-out job (an [Activity] with no Inbox) reads one
// page of the actor's delivery inboxes from the store and, in one atomic [store.Queue.Ack], replaces
// itself with a deliver job per inbox and the fan-out job of the next page. Memory therefore stays
// flat whatever the follower count, and a fan-out killed half way resumes from the page it was at.
//
// Deliver jobs of the same object to the same host share an ordering key, so the queue hands them
// out one at a time in enqueue order: a Delete never overtakes the Create of the same object on a
// host. The price is that one object's deliveries to several personal inboxes of a host without a
// shared inbox go one after another; hosts still run in parallel.
//
// # Workers
//
// [Engine.Run] leases jobs and runs them on a bounded pool of workers, with a bound per host as
// well. A delivery is signed with the actor's key (draft-cavage, as Mastodon expects), posted with
// Content-Type application/activity+json under a per-request timeout, and then:
//
//   - 2xx: done. The worker hands the job to the Run's completer, which writes the "delivered"
//     records and acks of the deliveries finished meanwhile together (one [store.BatchAcker] call
//     when the queue has it) and then releases their workers: a job is acked only after its POST
//     succeeded, its record is written no later than its ack, and a crash resends at most the
//     deliveries of the workers in flight.
//   - 404 or 410: the inbox is gone for good; the followers behind it are removed and reported to
//     Config.OnGone.
//   - network error, 408, 429, 5xx: retried when the [RetryPolicy] allows (Retry-After honoured),
//     else dead-lettered.
//   - any other answer: failed, not retried.
//
// # Circuit breaker
//
// Consecutive failures per host are counted in [store.Hosts], so every instance sees them. After
// Config.BreakerThreshold of them the host's breaker opens: its jobs are put back in the queue until
// the breaker's time ends, without counting as attempts. Then one delivery probes the host; success
// closes the breaker, failure opens it again for twice as long. A healthy host's state is reused for
// up to a second rather than read for every delivery, so another instance's failures reach this one
// that late at most.
//
// # Status and counters
//
// With a [store.Deliveries], every delivery's state (queued, delivered, retrying, failed) is kept (a
// fan-out page's "queued" records in one write) and
// [Engine.Status] summarises it per host for an object. [Engine.Stats] returns the counters and the
// queue depth.
package delivery
