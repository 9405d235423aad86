package activitypub

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
)

// Why an inbox POST was refused for its FEP-8b32 proof, as fedsite.inbox.refusal tells it.
const (
	refusalProofInvalid        = "proof_invalid"
	refusalProofExpired        = "proof_expired"
	refusalProofKeyUnavailable = "proof_key_unavailable"
	refusalProofSignerMismatch = "proof_signer_mismatch"
)

// proofMember is how a body that may carry a proof spells it. A body without it has no proof
// and costs nothing more than this search.
var proofMember = []byte(`"proof"`)

// checkProof verifies the FEP-8b32 object integrity proof of an inbox POST whose HTTP signature
// verified, when the body has one (Mastodon 4.7, Fedify and Mitra sign what they send). A proof
// that is present must verify, be unexpired and be by a key of the activity's actor: else the
// POST is answered 401, with the reason noted for telemetry, and ok is false. byActor is the
// verification of a valid proof by the actor, nil when there is none: it authenticates the
// activity whatever the HTTP signer (a relay, or a server forwarding a reply), with Algorithm
// signing.ProofCryptosuite. A proof under a blocked key is refused like any blocked signer (403).
func (in *inbox) checkProof(ctx context.Context, w http.ResponseWriter, r *http.Request, act *vocab.Object, body []byte) (byActor *signing.Verified, ok bool) {
	if !bytes.Contains(body, proofMember) {
		return nil, true
	}
	pctx, span := in.tel.start(ctx, "fedsite.inbox.proof")
	p, err := in.proofs.Verify(pctx, body)
	span.End()
	switch {
	case errors.Is(err, signing.ErrNoProof):
		return nil, true // "proof" was in a value, not a member of the activity
	case errors.Is(err, ErrBlocked):
		in.refuse(w, r, act, err)
		return nil, false
	case err != nil:
		reason := refusalProofInvalid
		switch {
		case errors.Is(err, signing.ErrProofExpired):
			reason = refusalProofExpired
		case errors.Is(err, signing.ErrKeyUnavailable):
			reason = refusalProofKeyUnavailable
		}
		in.tel.refused(ctx, reason)
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: proof rejected",
			slog.String("actor", act.Actor.ID()), slog.Any("err", err))
		http.Error(w, "proof rejected", http.StatusUnauthorized)
		return nil, false
	case p.Controller != act.Actor.ID():
		in.tel.refused(ctx, refusalProofSignerMismatch)
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: proof is not by the actor",
			slog.String("actor", act.Actor.ID()), slog.String("controller", p.Controller),
			slog.String("verificationMethod", p.VerificationMethod))
		http.Error(w, "the proof is not by the activity's actor", http.StatusUnauthorized)
		return nil, false
	}
	return &signing.Verified{KeyID: p.VerificationMethod, Owner: p.Controller, Algorithm: signing.ProofCryptosuite,
		Created: p.Created, OwnerDocument: p.OwnerDocument}, true
}
