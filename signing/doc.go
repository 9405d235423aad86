// Package signing creates and checks the HTTP signatures that ActivityPub
// servers put on server-to-server requests, in the draft-cavage form
// (draft-cavage-http-signatures-12) that Mastodon and nearly every other
// implementation send and accept, plus the RSA keys they use.
//
// # Keys
//
// [GenerateKey] makes an RSA-2048 key; [ParsePrivateKey], [ParsePublicKey],
// [EncodePrivateKey] and [EncodePublicKey] convert keys from and to PEM.
// EncodePublicKey's output is what an actor's publicKey.publicKeyPem holds. A
// [Key] pairs the private key with its keyId and redacts itself in logs.
//
// # Signing
//
// [Sign] signs one request the way Mastodon does: Host, Date, an upper-case
// "SHA-256=" Digest for POSTs, algorithm="rsa-sha256", in the Signature
// header. [Transport] is an http.RoundTripper that signs a clone of every
// request; give it to the http.Client used for deliveries and for fetching
// remote actors (the instance actor's key).
//
// # Verifying
//
// [Verifier.Verify] checks an incoming request against its body. It reads
// only the Signature header, accepts rsa-sha256 and hs2019 (RSA keys), and
// insists on what github.com/go-fed/httpsig v1.1.0 leaves out: the covered
// headers must include (request-target), host, date or (created), and digest
// for POSTs; the Digest must match the body; the time window is Mastodon's
// (a Date from 65 minutes ago up to 60 minutes ahead). It reports the
// covered headers and the key owner in [Verified], and errors as
// *[VerifyError] matching [ErrNoSignature], [ErrInvalidSignature] or
// [ErrKeyUnavailable]; the caller answers all of them with 401.
//
// Keys come from a [KeyResolver]. [Resolver] fetches the keyId over HTTP,
// follows key objects and stub actors to their owner to confirm the key, and
// caches keys by keyId. When a signature fails with a cached key, the
// Verifier asks for a fresh copy once, so rotated keys are picked up.
//
// go-fed/httpsig v1.1.0 produces the signature bytes when the key is an
// *rsa.PrivateKey. Verification builds the signing string itself, because
// httpsig checks (created) and (expires) against the wall clock with ten
// seconds of slack, ignores r.Host and cannot say what was signed.
//
// # RFC 9421
//
// HTTP Message Signatures (RFC 9421) are not implemented yet. A request
// carrying Signature-Input is reported as ErrInvalidSignature; the Verifier
// is where RFC 9421 support will be dispatched on that header.
package signing
