package activitypub

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
)

// Activities whose HTTP signer is not their actor: Mastodon forwards a reply to the followers of
// the post replied to, signed over HTTP by the forwarding server's actor, and relays pass
// activities on. Such an activity is the actor's only if it carries a Linked Data Signature
// (RsaSignature2017) by a key of the actor.

// errNoLDSignature is what verifyForwarded reports for a body with no signature member at all.
var errNoLDSignature = errors.New("activitypub: no LD signature")

// verifyForwarded authenticates act, whose body was HTTP-signed by someone other than its actor,
// by the LD signature the body embeds: it returns the verification when the signature verifies
// and its key is the actor's. A body without a "signature" member is refused before any JSON-LD
// work, so the activities every server sends directly never reach json-gold.
func (in *inbox) verifyForwarded(ctx context.Context, body []byte, act *vocab.Object) (*signing.Verified, error) {
	if !bytes.Contains(body, []byte(`"signature"`)) {
		return nil, errNoLDSignature
	}
	ctx, span := in.tel.start(ctx, "fedsite.inbox.verify_ld")
	defer span.End()
	v, err := in.verifier.VerifyLD(ctx, body, in.ld)
	if err != nil {
		return nil, err
	}
	if v.Owner != act.Actor.ID() {
		return nil, fmt.Errorf("activitypub: LD signature by %s, not the actor %s", v.Owner, act.Actor.ID())
	}
	return v, nil
}
