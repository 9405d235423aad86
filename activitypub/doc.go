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
// keeps federation state in a [store.Store] (store/memstore for tests, store/sqlstore for SQLite or
// PostgreSQL, store/redisstore for Redis).
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
//	/ap/inbox                    the shared inbox
//	/ap/activities/{id}          activities the site sent
//	/.well-known/webfinger       WebFinger, and /.well-known/host-meta
//
// A published article keeps the site's own URL as its id: an AS2 request for that URL gets the
// article's AS2 document, a browser gets the site's page.
//
// # Delivery
//
// Publish stores the activity and returns; [Federation.Run] delivers it to every distinct inbox of the
// actor's followers (shared inboxes preferred), signing each request with the actor's key. Run must
// be running for anything to be delivered.
package activitypub
