// Fedsite federates any website that has a feed or a CMS that sends webhooks: a sidecar beside
// the site's own server that reads the site's RSS 2.0, Atom or JSON Feed, or takes POST
// /hooks/publish from its CMS, and publishes each new article to the fediverse as the
// organization's actor (@news by default) or as the actor of the article's author or section.
//
// Install and run it with one command:
//
//	go install github.com/fedsite/fedsite/examples/fedsite@latest
//	fedsite serve -feed https://example.com/feed.xml -base-url https://example.com
//
// The site's reverse proxy sends /.well-known/webfinger, /.well-known/host-meta,
// /.well-known/nodeinfo, /ap/, /hooks/publish and AS2 requests for article URLs to the sidecar
// (-addr, default 127.0.0.1:8090); examples/fedsite/deploy/ has nginx and Caddy configurations.
// Everything else is in a TOML file (-config; fedsite.example.toml documents every field): several
// feeds each published as an actor, the actors, an author map, the store (SQLite by default,
// PostgreSQL or Redis by URL), the webhook's secret and the WebFinger domain.
//
// At a feed's first poll every article already in it is put in the actor's outbox without being
// sent, so no follower's timeline is flooded; later polls, conditional GETs, send a Create for
// each new article and an Update for each edited one (a changed updated time or content). An
// article that leaves the feed is not deleted: it is deleted by the webhook, or when its URL
// answers 404 or 410 when re-checked (daily, for a week after it left). The webhook publishes,
// updates and deletes by article URL, signed with HMAC-SHA256, the shared secret and a timestamp
// (Ghost's own X-Ghost-Signature is taken too); an article that a feed and the webhook both bring
// federates once. What the sidecar has seen is kept in -data, so a restart neither sends nor
// backfills again. The README's "Federate any CMS" documents the webhook's payload. With
// -admin-addr (none by default) the operator pages (package activitypub/operator) are served on
// that address behind basic authentication (admin_user, admin_password in the config file); with
// -metrics-addr (none by default) the federation's metrics are served at /metrics on that
// address, in the Prometheus format.
//
// Subcommands:
//
//	fedsite serve     run the sidecar
//	fedsite lookup    fetch and print an actor (@user@host) or object (URL) as a remote server sees it
//	fedsite diagnose  check a deployment (https://example.com) from outside, as a remote server
//	                  would: one line per check, ok or FAULT with how to fix it; exit status 1 on a fault
//	fedsite audit export  write the store's record of activities (-since, -until, -actor) as JSON
//	                  Lines with its hash chain
//	fedsite audit verify  check an export's hash chain: exit status 1 naming the first broken line
//
// Each takes -h for its flags; fedsite -version prints the version.
package main
