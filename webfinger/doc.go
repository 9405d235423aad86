// Package webfinger serves and looks up WebFinger (RFC 7033) and host-meta (RFC 6415) documents the
// way ActivityPub servers such as Mastodon expect them. It knows nothing of ActivityPub itself: the
// site says which resources exist through a one-method [Resolver], and a [Client] turns a handle
// such as "acct:alice@example.com" into a [JRD] whose [JRD.ActorID] names the actor document.
//
// # Serving
//
// [NewHandler] returns an [http.Handler] for three well-known paths:
//
//   - GET /.well-known/webfinger?resource=… answers the [JRD] the [Resolver] returns, as
//     application/jrd+json with "Access-Control-Allow-Origin: *" and a Cache-Control lifetime.
//     Repeated rel parameters keep only the matching links (RFC 7033 §4.3).
//   - GET /.well-known/host-meta answers an XRD whose lrdd template points at the WebFinger
//     endpoint; Mastodon falls back to it when WebFinger answers 404.
//   - GET /.well-known/host-meta.json answers the same link as JSON (RFC 6415 §3).
//
// A missing, repeated or malformed resource is a 400, an unknown one (the resolver returns
// [ErrNotFound]) a 404, a deleted account ([ErrGone]) a 410, on which Mastodon deletes its copy,
// any other resolver error a 500 whose cause goes to the log only.
//
// Mastodon accepts an account only if the self link's href equals the actor's id exactly and the
// subject names the same account the actor's preferredUsername and host give; a resolver should
// answer the canonical acct: subject for both the acct: resource and the actor URL.
//
// # Looking up
//
// [Client.Lookup] sends an unsigned GET with "Accept: application/jrd+json, application/json" to
// the resource's host over https, falls back once to host-meta's lrdd template on a 404, caps the
// body and checks the answer has a subject. Errors match [ErrNotFound] or [ErrGone] when the
// resource does not exist, and are a [*ResponseError] when the server answered something unusable.
// Checking that the returned subject and self link agree with the actor is the caller's job.
//
// # Resources
//
// [ParseResource] accepts acct: URIs (RFC 7565), Mastodon-style handles ("alice@example.com",
// "@alice@example.com") and http(s) URLs, and returns a normalised [Resource] whose String form
// parses back to the same value.
package webfinger
