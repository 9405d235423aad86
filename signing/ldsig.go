package signing

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// LDSignatureType is the type of the Linked Data Signatures that [Verifier.VerifyLD] checks, as
// Mastodon signs the activities it forwards.
const LDSignatureType = "RsaSignature2017"

// ldOptionsContext is the @context under which the signature options are canonicalized, as
// Mastodon's LinkedDataSignature does (identity v1 defines creator, created and nonce).
const ldOptionsContext = "https://w3id.org/identity/v1"

// Normalizer canonicalizes a JSON-LD document with URDNA2015 into N-Quads, taking the contexts it
// names from somewhere that never fetches (internal/jsonld.Processor). It must be safe for
// concurrent use and must not change doc.
type Normalizer interface {
	Normalize(doc map[string]any) ([]byte, error)
}

// VerifyLD checks the Linked Data Signature (RsaSignature2017) embedded in the JSON-LD document
// body, as Mastodon embeds one in the activities it forwards (replies sent on to the followers of
// the post replied to) and relays pass on. It reports who signed: Verified.Owner is the owner of
// the signature's creator key, confirmed by the [KeyResolver]; callers must check that it is the
// activity's actor.
//
// The signature is over SHA-256(hex(SHA-256(options)) ‖ hex(SHA-256(document))), RSASSA-PKCS1-v1_5,
// where document is the URDNA2015 N-Quads of body without its signature member and options those
// of the signature member without type, id and signatureValue, under the identity v1 context. A
// signature that fails with a cached key is checked once more with the key fetched afresh, as for
// HTTP signatures. Its created time is not checked against a window: a forwarded activity may
// arrive long after its author signed it, and replays are the inbox's de-duplication's concern.
//
// The error is a [*VerifyError]: [ErrNoSignature] when body has no signature member or one of
// another type, [ErrInvalidSignature] when the signature is malformed, the document cannot be
// canonicalized (a context that is not embedded, a member no context defines) or the signature
// does not verify, [ErrKeyUnavailable] when the creator key cannot be resolved.
func (v *Verifier) VerifyLD(ctx context.Context, body []byte, norm Normalizer) (*Verified, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, errInvalid("", "document is not a JSON object", err)
	}
	sig, ok := doc["signature"].(map[string]any)
	if !ok {
		return nil, errNoSig("no LD signature")
	}
	if typ, _ := sig["type"].(string); typ != LDSignatureType {
		return nil, errNoSig(fmt.Sprintf("LD signature type %q is not %s", typ, LDSignatureType))
	}
	creator, _ := sig["creator"].(string)
	value, _ := sig["signatureValue"].(string)
	if creator == "" || value == "" {
		return nil, errInvalid(creator, "LD signature without creator or signatureValue", nil)
	}
	sigBytes, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, errInvalid(creator, "LD signatureValue is not base64", err)
	}
	options := map[string]any{"@context": ldOptionsContext}
	for k, val := range sig {
		switch k {
		case "type", "id", "signatureValue", "@context":
		default:
			options[k] = val
		}
	}
	delete(doc, "signature")
	optionsHash, err := ldHash(norm, options)
	if err != nil {
		return nil, errInvalid(creator, "cannot canonicalize the LD signature options", err)
	}
	docHash, err := ldHash(norm, doc)
	if err != nil {
		return nil, errInvalid(creator, "cannot canonicalize the document", err)
	}
	digest := sha256.Sum256([]byte(optionsHash + docHash))
	pk, err := v.checkSignature(ctx, creator, func(key crypto.PublicKey) error {
		pub, ok := key.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%T: %w", key, ErrUnsupportedKey)
		}
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sigBytes)
	})
	if err != nil {
		return nil, err
	}
	created, _ := sig["created"].(string)
	at, _ := time.Parse(time.RFC3339, created)
	return &Verified{
		KeyID:         creator,
		Owner:         pk.Owner,
		Algorithm:     LDSignatureType,
		Created:       at,
		OwnerDocument: pk.OwnerDocument,
	}, nil
}

// ldHash is the hex SHA-256 of doc's canonical N-Quads.
func ldHash(norm Normalizer, doc map[string]any) (string, error) {
	nq, err := norm.Normalize(doc)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(nq)
	return hex.EncodeToString(sum[:]), nil
}
