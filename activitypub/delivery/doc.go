// Package delivery is fedsite's durable outgoing delivery engine: it fans an activity out to the
// distinct inboxes of an actor's followers and posts it to each, signed, through the queue of a
// [store.Delivery], so that publishing never waits for the fediverse and no delivery is lost
// when a process dies.
//
// # Jobs
//
// [Engine.Enqueue] adds one job and returns. A fan-out job (an [Activity] with no Inbox) reads one
// page of the actor's delivery inboxes from the store, records them "queued", and, in one atomic
// [store.Queue.Ack], replaces itself with a page job holding those inboxes and the fan-out job of
// the next page. Memory therefore stays flat whatever the follower count, and a fan-out killed half
// way resumes from the page it was at.
//
// A page job delivers to its inboxes straight from memory: it stays leased while the workers post
// to them, and is acked once every delivery has settled — made or failed for good (recorded), or
// put back as a deliver job of its own, which the page's ack enqueues. Deliveries are put back when
// they fail and may be retried, when their host's breaker is open or the host is already at its
// PerHost limit, when the page's lease is lapsing, and when Run stops. The first attempt of a
// delivery thus costs the queue nothing; only the ones that must wait become jobs. While a job or
// page runs, Run's heartbeat extends its lease ([store.Queue.Extend]) every third of
// Config.LeaseTimeout, so leases are short (20 s) and long work keeps them. If the process dies,
// the heartbeat stops, the page runs again once its lease ends, and the records
// ([store.Deliveries.DeliveryStates]) tell which deliveries were made: only the others are sent
// again.
//
// Deliver jobs of the same object to the same host share an ordering key, so the queue hands them
// out one at a time in enqueue order. Page jobs of the same object and page number share one too,
// so an activity's page runs after an earlier activity's same page has settled, and its deliveries
// to hosts that still have the earlier one's deliver jobs ([store.Queue.UnfinishedKeys]) go back
// behind them. The price is that one object's retried deliveries to several personal inboxes of a
// host without a shared inbox go one after another; hosts still run in parallel.
//
// The keys cannot see a page's deliveries while they run from memory, nor line up pages whose
// boundaries moved as followers came and went. An activity that must never overtake earlier ones
// names them in [Activity.Behind] (package activitypub names an article's Create and Updates in its
// Delete): each of its deliveries then waits, as a job that looks again later, while the delivery
// record of one of them to the same inbox is still queued or retrying. The order is then kept per
// inbox — per host wherever the host has a shared inbox, as Mastodon, Misskey, GoToSocial and most
// others do.
//
// # Workers
//
// [Engine.Run] leases jobs and runs them on a bounded pool of workers, with a bound per host as
// well. A delivery is signed with the actor's key (draft-cavage, as Mastodon expects), posted with
// Content-Type application/activity+json under a per-request timeout, and then:
//
//   - 2xx: done. The worker hands the delivery to the Run's completer, which writes the
//     "delivered" records (and acks the deliver jobs) of the deliveries finished meanwhile together
//     (one [store.BatchAcker] call when the store has it) and then releases their workers: a job is
//     acked only after its POST succeeded, its record is written no later than its ack, and a crash
//     resends at most the deliveries of the workers in flight.
//   - 404 or 410: the inbox is gone for good; the followers behind it are removed and reported to
//     Config.OnGone.
//   - network error, 408, 429, 5xx: retried when the [RetryPolicy] allows, else failed (a deliver
//     job is then dead-lettered). A Retry-After on any of these answers is passed to the policy,
//     and [Backoff] waits at least that long (up to its Max): a host may slow its own deliveries,
//     never hasten them.
//   - any other answer: failed, not retried.
//
// # Retries
//
// The default policy, [Backoff], waits Base × n⁴ after the n-th failure (Base is 1 s) plus up to a
// quarter more at random, and gives a delivery 16 attempts: the last comes at least 49 h 31 min
// after the first (at most about 62 h, and later still while the host's circuit breaker holds it),
// so a follower's server that is down for two days gets the activity once it is back, as Mastodon
// retries for about as long. The schedule without the jitter:
//
//	attempt  after a wait   since the first attempt
//	      1  0s             0s
//	      2  1s             1s
//	      3  16s            17s
//	      4  1m21s          1m38s
//	      5  4m16s          5m54s
//	      6  10m25s         16m19s
//	      7  21m36s         37m55s
//	      8  40m1s          1h17m56s
//	      9  1h8m16s        2h26m12s
//	     10  1h49m21s       4h15m33s
//	     11  2h46m40s       7h2m13s
//	     12  4h4m1s         11h6m14s
//	     13  5h45m36s       16h51m50s
//	     14  7h56m1s        24h47m51s
//	     15  10h40m16s      35h28m7s
//	     16  14h3m45s       49h31m52s
//
// A host's first failed delivery since it last answered is logged at Info (its later failures at
// Debug, its answering again at Info), and a delivery given up at Warn.
//
// # Blocks
//
// An inbox that Config.Blocks blocks (a server or actor the site blocked) gets nothing: a page asks
// about all its inboxes in one call when it opens, and a deliver job about its inbox before it
// posts, so a block also stops deliveries queued before it. A blocked delivery is recorded failed
// ("delivery: inbox blocked") and not sent; a failed check counts as a failed attempt, so nothing
// is sent while blocks cannot be read.
//
// # Circuit breaker
//
// Consecutive failures per host are counted in [store.Hosts], so every instance sees them. After
// Options.BreakerThreshold of them the host's breaker opens: its deliveries are put back in the queue until
// the breaker's time ends, without counting as attempts. Then one delivery probes the host; success
// closes the breaker, failure opens it again for twice as long, up to 12 h. The breaker thus only
// ever moves a delivery's attempts later than its retry schedule: it never fails one, nor gives it
// up sooner. A healthy host's state is reused for up to a second rather than read for every
// delivery, so another instance's failures reach this one that late at most.
//
// # Status and counters
//
// Every delivery's state (queued, delivered, retrying, failed) is kept in the [store.Deliveries]
// (a fan-out page's "queued" records in one write), and [Engine.Status] summarises it per host for
// an object. [Engine.Stats] returns the counters and the queue depth.
//
// # Telemetry
//
// With Config.MeterProvider the engine reports fedsite.deliveries (deliveries that ended, by
// fedsite.delivery.outcome: delivered, retried, failed, gone, deferred, blocked),
// fedsite.delivery.duration (each request, in seconds, by http.response.status_code and, for a
// failure, error.type), fedsite.delivery.fanout.inboxes (the inboxes fan-outs queued) and, while
// Run runs, fedsite.delivery.queue.depth (one [store.Queue.Depth] per collection, by
// fedsite.delivery.job.state). No attribute names an inbox or a host. With
// Config.TracerProvider each delivery attempt is a fedsite.delivery span, with the inbox's host as
// server.address and its outcome; the request carries it in its context. Without either provider
// the engine reports nothing, at no cost.
package delivery
