// Package operator is the operator page of a site federated with fedsite: an [http.Handler],
// rendered on the server with html/template and working without JavaScript, that shows the
// people running the site what the fediverse does with it and lets them act on it.
//
// # Pages
//
//   - Overview: each actor's followers and posts; for one actor (?actor=, the first by default)
//     its followers' growth over the last 30 days (an inline SVG chart and a table by day) and
//     the servers most of them are on; the deliveries of every actor in the last hour and day
//     (delivered, retrying, failed) and the hosts that fared worst; this process's delivery
//     counters and the depth of the shared delivery queue; and a form to look an article up.
//     The panels come from the store's optional store.FollowerSummarizer (else a walk of the
//     followers) and store.DeliverySummarizer (else a note that the store keeps no counts).
//   - Article (by its URL), live while a fan-out runs (the page reloads itself): delivery
//     progress, per host with the last error, and its replies, likes and boosts; a reply may be
//     hidden from the site (and shown again), deleted, or its author blocked.
//   - Follow requests of the actors that approve their followers: approve or reject.
//   - Moderation: domain and actor blocks with who made them and why: list, add, remove; and
//     the reports (Flag) received.
//   - Mentions: the posts that mention or write to each actor, private ones included.
//   - Relays and Bluesky: each actor's relay subscriptions with their state, subscribe (either
//     style) and unsubscribe; and whether the actor meets Bridgy Fed's requirements for Bluesky.
//   - Hosts: the servers whose deliveries failed, with their circuit breaker, waiting
//     deliveries and last error; "Retry now".
//   - Dead letters: the deliveries that gave up, and why; replay one or all.
//   - Audit log, filtered by who, type, direction (in or out) and dates.
//
// # Mounting
//
// The site mounts the handler behind its own login, under a path of its choice, with
// [http.StripPrefix], and tells it who is signed in through Config.User:
//
//	op, err := operator.New(operator.Config{Federation: fed, Actors: actors, User: editorOf})
//	mux.Handle("/admin/fediverse/", requireEditor(http.StripPrefix("/admin/fediverse", op)))
//
// Links and redirects are relative, so the pages work under any prefix.
//
// # Security
//
// Every form POST must carry the session's token: a random value kept in an HttpOnly,
// SameSite=Strict cookie, and in the form an HMAC of it and the user's name under Config.Key.
// A POST without a valid token, or from another origin (by its Sec-Fetch-Site or Origin header,
// as [http.CrossOriginProtection] checks), is answered 403 and changes nothing. A request for
// which Config.User reports no user is answered 403 as well, whatever the site's own login did.
// The pages are sent with Cache-Control: no-store, since they show direct messages.
package operator
