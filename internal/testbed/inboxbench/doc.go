// Package inboxbench measures how many signed inbox POSTs a fedsite site verifies and accepts per
// second, with latency percentiles, and the raw RSA-2048 verification rate of the same machine
// for the ratio.
//
// A [Harness] runs a newsroom-style site (one Organization actor, memstore) on a loopback port
// and a remote actor whose key the site fetches once (the key cache is warm when measuring). The
// load generator sends requests signed in advance — draft-cavage rsa-sha256 as Mastodon signs,
// or RFC 9421 — so it spends no CPU on RSA signing: each request is a Like of one of the site's
// articles, which the inbox verifies, de-duplicates and accepts without further effect. The
// requests cycle through a pool of distinct activity ids, so after the first pass the inbox also
// exercises its duplicate path (verified first, then answered 202 at once).
//
// Run it with
//
//	go test -run '^$' -bench . -benchtime 5s ./internal/testbed/inboxbench
//	go run ./internal/testbed/inboxbench/cmd/inboxbench -d 10s -c 64
package inboxbench
