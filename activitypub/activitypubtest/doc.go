// Package activitypubtest tests a site's federation, and code that federates with fedsite, as
// net/http/httptest does for HTTP.
//
// # An in-process fediverse
//
// A [Recorder] is the whole network of a Federation under test: [NewFederation] builds one over
// store/memstore with the Recorder as its Config.Client, and runs its delivery workers. Every
// delivery goes through the real delivery engine and signing and is recorded instead of sent,
// once its signature checks out against the site's published key ([Recorder.Sent],
// [Recorder.WaitFor]); [Recorder.Respond] makes an inbox answer 410, 500, 429 or any status, and
// [Recorder.Settle] waits until nothing is left to deliver, so that a test can check what was not
// sent. An [Account] is a remote actor whose documents the Recorder serves: it follows, replies,
// likes, boosts, undoes, mentions, writes to and reports the site through the site's real inbox
// handler, signed, so that the site's hooks run as they would in production. [Delivered],
// [Created] and [NotFederated] are the assertions a site's tests need most. Nothing listens or
// dials: the Recorder answers every request in-process.
//
// A site that builds its Federation itself passes [Recorder.Configure] as the last change to its
// Config and gives the Recorder its handler with [Recorder.ServeSite]. [Actors] stands in for the
// site's ActorSource where a test needs only a few fixed actors.
//
// # A fake server on loopback
//
// A [Remote] runs on loopback with one actor and a real RSA key: it signs what it sends and
// verifies, with package signing, every activity delivered to its inboxes, recording each
// delivery so a test can assert on what the site sent over a real connection. A [Relay] is an
// ActivityPub relay on loopback, Mastodon-style or LitePub-style as FEP-ae0c documents them: it
// answers a subscription with a signed Accept (or Reject) and passes its subscribers' posts on.
package activitypubtest
