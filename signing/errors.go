package signing

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNoSignature means the request carries no Signature header at all. An
	// Authorization: Signature header alone also yields ErrNoSignature, since
	// it is never read (see [Verifier.Verify]).
	ErrNoSignature = errors.New("signing: no signature")

	// ErrInvalidSignature means a signature was present but is malformed, too
	// weak, outside the time window, does not match the body digest, or does
	// not verify with the key.
	ErrInvalidSignature = errors.New("signing: invalid signature")

	// ErrKeyUnavailable means the key named by keyId could not be resolved
	// (fetch failed, document invalid, owner did not confirm the key).
	ErrKeyUnavailable = errors.New("signing: key unavailable")

	// ErrUnsupportedKey is returned for keys of a type this package cannot use
	// for the operation at hand: RSA and Ed25519 keys are supported, and
	// draft-cavage signing and verification use RSA keys only.
	ErrUnsupportedKey = errors.New("signing: unsupported key type")

	// ErrNoProof means a document has no "proof" member
	// ([ProofVerifier.Verify]).
	ErrNoProof = errors.New("signing: no proof")

	// ErrInvalidProof means a document's proof is malformed, of a type,
	// cryptosuite or purpose not supported, names another domain, was made
	// in the future, or does not verify with its key.
	ErrInvalidProof = errors.New("signing: invalid proof")

	// ErrProofExpired means a proof's expires time has passed.
	ErrProofExpired = errors.New("signing: proof expired")
)

// VerifyError describes why [Verifier.Verify] rejected a request. It matches
// exactly one of [ErrNoSignature], [ErrInvalidSignature] or
// [ErrKeyUnavailable] with errors.Is, and unwraps to the underlying cause, if
// any. [ProofVerifier.Verify] returns it too, matching one of [ErrNoProof],
// [ErrInvalidProof], [ErrProofExpired] or [ErrKeyUnavailable]; KeyID is then
// the proof's verificationMethod.
//
// Reason is a short, stable, human-readable phrase meant for logs; it may
// contain the keyId and header names but never key material. Do not send it
// to the remote peer verbatim if that leaks more than a 401 should.
type VerifyError struct {
	// KeyID is the keyId parameter of the signature, empty if it was not
	// parsed.
	KeyID string
	// Reason says what failed, e.g. "digest mismatch" or "date too old".
	Reason string
	// Err is the underlying cause, or nil.
	Err error

	kind error // one of the sentinels; what Is matches
}

// Error implements error.
func (e *VerifyError) Error() string {
	var b strings.Builder
	if e.kind != nil {
		b.WriteString(e.kind.Error())
	} else {
		b.WriteString("signing: verification failed")
	}
	if e.KeyID != "" {
		b.WriteString(" (keyId ")
		b.WriteString(e.KeyID)
		b.WriteString(")")
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *VerifyError) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel this error belongs to.
func (e *VerifyError) Is(target error) bool { return target != nil && target == e.kind }

func errNoSig(reason string) error {
	return &VerifyError{Reason: reason, kind: ErrNoSignature}
}

func errInvalid(keyID, reason string, cause error) error {
	return &VerifyError{KeyID: keyID, Reason: reason, Err: cause, kind: ErrInvalidSignature}
}

func errKey(keyID, reason string, cause error) error {
	return &VerifyError{KeyID: keyID, Reason: reason, Err: cause, kind: ErrKeyUnavailable}
}

// StatusError is returned (wrapped) by the [Resolver] when a document it fetches, the key's or its
// owner's, answers with a status other than 200 OK. The key of an actor that was deleted answers
// 410 Gone: a caller that acts on that finds the StatusError with errors.As through the
// [VerifyError] of [Verifier.Verify].
type StatusError struct {
	// URL is the URL fetched.
	URL string
	// StatusCode is the status of the answer.
	StatusCode int
}

// Error implements error.
func (e *StatusError) Error() string { return fmt.Sprintf("GET %s: status %d", e.URL, e.StatusCode) }

func errProof(vm string, kind error, reason string, cause error) error {
	return &VerifyError{KeyID: vm, Reason: reason, Err: cause, kind: kind}
}
