// Fedsite federates any website that has a feed: a sidecar beside the site's own server that
// reads the site's RSS 2.0, Atom or JSON Feed and publishes each new article to the fediverse
// as the organization's actor (@news by default).
//
// Install and run it with one command:
//
//	go install github.com/fedsite/fedsite/examples/fedsite@latest
//	fedsite serve -feed https://example.com/feed.xml -base-url https://example.com
//
// The site's reverse proxy sends /.well-known/webfinger, /.well-known/host-meta,
// /.well-known/nodeinfo, /ap/ and AS2 requests for article URLs to the sidecar
// (-addr, default 127.0.0.1:8090); examples/fedsite/deploy has ready nginx and Caddy
// configurations.
//
// At first start every article already in the feed is put in the actor's outbox without being
// sent, so no follower's timeline is flooded; later polls send a Create for each new article and
// an Update for each edited one (a changed updated time or content). An article that leaves
// the feed is not deleted. What the sidecar has seen is kept in -data beside the federation's
// SQLite file, so a restart neither sends nor backfills again.
//
// A CMS that pushes publishes, updates and deletes articles through POST /hooks/publish, signed
// with HMAC-SHA256 and the shared -webhook-secret (Ghost's own X-Ghost-Signature is taken too);
// an article that both the feed and the webhook bring federates once. The README's "Federate
// any CMS" documents the payload.
//
// Subcommands:
//
//	fedsite serve     run the sidecar
//	fedsite lookup    fetch and print an actor (@user@host) or object (URL) as a remote server sees it
//	fedsite diagnose  check a deployment (https://example.com) from outside, as a remote server
//	                  would: one line per check, ok or FAULT with how to fix it; exit status 1 on a fault
//
// Each takes -h for its flags; fedsite -version prints the version.
package main
