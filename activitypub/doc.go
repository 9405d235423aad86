// Package activitypub is the federation surface fedsite adds to an existing website: actor documents,
// inboxes, outboxes, followers, content negotiation on the site's own article URLs, publishing and
// delivery.
//
// A site builds one [Federation] with [New], wraps its own handler with [Federation.Middleware] and
// calls [Federation.Publish] when an editor publishes an article. Everything that is not
// ActivityPub, WebFinger or an AS2 request for a published article reaches the site untouched.
//
// # What the site supplies
//
// The site tells fedsite which actors exist through [ActorSource], implemented on its own data, and
// keeps federation state in a [store.Site] (store/memstore for tests, store/sqlstore for SQLite or
// PostgreSQL, store/redisstore for Redis, or one over the site's own database) and delivery state
// in a [store.Delivery] (by default the same store).
//
// # URL layout
//
// All ActivityPub URLs derive from Config.BaseURL, so nothing has to be kept in step with the site's
// router:
//
//	/ap/actor                    the instance actor (Application), served unsigned, signs outgoing GETs
//	/ap/users/{name}             an actor; its key is /ap/users/{name}#main-key
//	/ap/users/{name}/inbox       the actor's inbox
//	/ap/users/{name}/outbox      its outbox (paged OrderedCollection)
//	/ap/users/{name}/followers   its followers (paged OrderedCollection)
//	/ap/users/{name}/following   an empty collection: site actors follow no one
//	/ap/users/{name}/featured    the actor's pinned articles
//	/ap/inbox                    the shared inbox
//	/ap/activities/{id}          activities the site sent
//	/ap/nodeinfo/2.1, …/2.0      NodeInfo 2.1 and 2.0, linked from /.well-known/nodeinfo
//	/.well-known/webfinger       WebFinger, and /.well-known/host-meta
//
// A published article keeps the site's own URL as its id: an AS2 request for that URL gets the
// article's AS2 document, a browser gets the site's page.
//
// # Delivery
//
// Publish stores the activity, queues one fan-out job in Config.DeliveryStore (by default the
// Store's durable queue) and returns; [Federation.Run], in this process or any other sharing the queue,
// delivers it to every distinct inbox of the actor's followers (shared inboxes preferred), signing
// each request with the actor's key, retrying with backoff and pruning followers whose inbox is
// gone (package delivery). Run must be running somewhere for anything to be delivered.
//
// # The inbox
//
// Incoming activities are checked in a fixed order, each refusal leaving the store untouched: size
// (413), media type (415), shape (400), blocks (403, before anything is fetched), the HTTP signature
// — draft-cavage or RFC 9421 — and its signer (401), origin rules (403), then de-duplication by
// activity id; accepted activities get 202.
//
// # Blocks
//
// [Federation.BlockDomain] and [Federation.BlockActor] block a server (with its subdomains) or an
// actor, recording who blocked and why in Config.Store, so every instance sharing it applies the
// block at once and it outlives restarts; [Federation.Blocks] lists them. A block removes the
// blocked party's follows of every site actor (reported to Config.OnFollowersGone), answers its
// inbox requests and signed fetches with 403, stops every fetch from it before any I/O, and keeps
// every delivery from its inboxes, queued ones included. A follower that sends a Block of a site
// actor stops following it.
//
// # Actors and publishing
//
// Actors carry profile fields, aliases and a featured collection. [Federation.Update],
// [Federation.Delete] and [Federation.DeleteActor] federate edits and deletions;
// [Federation.Announce], [Federation.Backfill] and [Federation.Move] cover boosts, profile history
// and account moves.
//
// # Who may act as whom
//
// The site's own sign-in and roles decide who may act as which actor; fedsite only asks.
// Organization, desk and campaign accounts are ordinary actors. The site puts the signed-in user
// in each request's context with [WithUser], and every method that acts as a site actor —
// publishing, editing, deleting, boosting, answering follow requests, reading its mentions,
// moving or deleting it, and the site-wide blocks — first asks Config.Authorize with an [Act]:
// the user ("" when ctx carries none), the [Action], the actor and what it is about. A refused
// call reads, stores and sends nothing, is audited as "<action> denied" with the user, and
// returns an error matching ErrForbidden, which the site answers with 403.
//
// # Interactions back to the site
//
// Replies to a published object (Create{Note} with inReplyTo), Likes and Announces of it, and
// their Update, Delete and Undo by the same actor (anyone else's: 403) are kept in the store;
// [Federation.Counts] and [Federation.Interactions] give the site its counters and comment list,
// with reply HTML sanitized by the same policy as published articles. Posts that mention or
// address a site actor (a Mention tag, or the actor in to or cc) — readers' questions, tips,
// direct messages — are kept per actor, sanitized alike, with the [Visibility] their addressing
// gives them, edited, deleted and taken back (Undo{Create}) by their author only;
// [Federation.Mentions] lists an actor's. A reply to a published object is a reply only, whoever
// it mentions. A site actor answers a kept reply or mention with [Federation.Answer] (edited with
// [Federation.EditAnswer], deleted with [Federation.DeleteAnswer]): a Note in reply to it,
// mentioning its author, addressed as the post was, so that a direct message is answered to its
// author alone. The hooks of [InboxOptions] in Config.Inbox tell the site as they arrive,
// together with Flag reports, follow requests to
// actors with ManuallyApprovesFollowers (answered by [Federation.ApproveFollow] and
// [Federation.RejectFollow]) and followers that moved (Move, checked against the new account's
// alsoKnownAs). A Follow from an actor that has moved away (movedTo in its document), or of a site
// actor that has ([Federation.Move] or Actor.MovedTo), is answered with a Reject and gains no
// follower.
package activitypub
