// Package signing creates and checks the HTTP signatures that ActivityPub
// servers put on server-to-server requests, in the draft-cavage form
// (draft-cavage-http-signatures-12) that Mastodon and nearly every other
// implementation send and accept and in the RFC 9421 form that newer
// servers verify and Fedify sends first, plus the RSA and Ed25519 keys they
// use.
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
// remote actors (the instance actor's key). It double-knocks: draft-cavage
// first (or RFC 9421, see [TransportConfig].FirstScheme), and on 400 or 401
// (or 404 from a host it knows nothing about) one retry with the other
// scheme; what worked is remembered per host.
//
// # Verifying
//
// [Verifier.Verify] checks an incoming request against its body. For
// draft-cavage it reads only the Signature header, accepts rsa-sha256 and hs2019 (RSA keys), and
// insists on what github.com/go-fed/httpsig v1.1.0 leaves out: the covered
// headers must include (request-target), host, date or (created), and digest
// for POSTs; the Digest must match the body; the time window is Mastodon's
// (a Date from 65 minutes ago up to 60 minutes ahead). It reports the
// covered headers and the key owner in [Verified], and errors as
// *[VerifyError] matching [ErrNoSignature], [ErrInvalidSignature] or
// [ErrKeyUnavailable]; the caller answers all of them with 401.
//
// [Verifier.VerifyLD] checks the Linked Data Signature (RsaSignature2017)
// that Mastodon embeds in the activities it forwards, with a [Normalizer]
// that canonicalizes JSON-LD (internal/jsonld), and the same keys.
//
// Keys come from a [KeyResolver]. [Resolver] fetches the keyId over HTTP,
// follows key objects and stub actors to their owner to confirm the key, and
// caches keys by keyId. When a signature fails with a cached key, the
// Verifier asks for a fresh copy once, so rotated keys are picked up. A key
// it fetched brings the owner's actor document along
// ([Verified].OwnerDocument), so a receiver that needs the actor's inbox does
// not fetch it a second time.
//
// go-fed/httpsig v1.1.0 produces the signature bytes when the key is an
// *rsa.PrivateKey. Verification builds the signing string itself, because
// httpsig checks (created) and (expires) against the wall clock with ten
// seconds of slack, ignores r.Host and cannot say what was signed.
//
// # RFC 9421
//
// [Verifier.Verify] also checks HTTP Message Signatures (RFC 9421), chosen
// when the request carries Signature-Input: exactly one signature, keyid and
// created required, @method and @target-uri covered, content-digest covered
// on POSTs and checked against the body (RFC 9530, sha-256 or sha-512), the
// same time window as above; rsa-v1_5-sha256 and ed25519, inferred from the
// key when alg is absent, as Mastodon does. Behind a TLS-terminating proxy
// set [VerifierConfig].URIScheme to "https" so that @target-uri matches
// what the sender signed. [SignRFC9421] signs the way Mastodon's second knock
// does, with an RSA or an Ed25519 key. Structured fields are parsed and
// serialized by github.com/dunglas/httpsfv.
//
// # Ed25519 and FEP-521a
//
// [GenerateEd25519Key] makes an Ed25519 key; the PEM functions read and
// write it as PKCS#8. An actor publishes it as an FEP-521a [Multikey] in
// assertionMethod, beside the RSA publicKey; [EncodePublicKeyMultibase] and
// [ParsePublicKeyMultibase] convert the publicKeyMultibase form.
//
// # Object integrity proofs (FEP-8b32)
//
// [AddProof] signs a JSON document with an Ed25519 key, adding a
// DataIntegrityProof of cryptosuite eddsa-jcs-2022: Ed25519 over the SHA-256
// of the proof configuration and the SHA-256 of the document, both in their
// JCS form ([Canonicalize], RFC 8785). [ProofVerifier.Verify] checks such a
// proof: created, expires, proofPurpose assertionMethod and domain, the key
// resolved through the [KeyResolver] (an actor's Multikey) or decoded from a
// did:key URL ([ParseDIDKey], [DIDKey]); it reports the key's controller,
// which the caller compares with the document's actor. Both follow the W3C
// Data Integrity EdDSA Cryptosuites and interoperate with Fedify and Mitra.
package signing
