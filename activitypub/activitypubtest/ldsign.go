package activitypubtest

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/fedsite/fedsite/internal/jsonld"
	"github.com/fedsite/fedsite/signing"
)

// SignLD returns doc with a Linked Data Signature (RsaSignature2017) by key made at created, as
// Mastodon embeds one in the activities it forwards, for tests of [signing.Verifier.VerifyLD] and
// of the inbox's handling of forwarded activities. The security v1 context is added to doc's
// @context when it lacks it; doc itself is not changed. key.Signer must be an RSA key. Contexts
// come from the embedded ones of internal/jsonld, so doc may name only those.
func SignLD(doc map[string]any, key signing.Key, created time.Time) ([]byte, error) {
	p, err := jsonld.New()
	if err != nil {
		return nil, err
	}
	doc = maps.Clone(doc)
	delete(doc, "signature")
	doc["@context"] = withSecurity(doc["@context"])
	options := map[string]any{
		"@context": "https://w3id.org/identity/v1",
		"creator":  key.ID,
		"created":  created.UTC().Format(time.RFC3339),
	}
	var hashes string
	for _, d := range []map[string]any{options, doc} {
		// Through JSON, as the verifier reads the document: numbers become float64.
		var decoded map[string]any
		b, err := json.Marshal(d)
		if err == nil {
			err = json.Unmarshal(b, &decoded)
		}
		if err != nil {
			return nil, fmt.Errorf("activitypubtest: sign LD: %w", err)
		}
		nq, err := p.Normalize(decoded)
		if err != nil {
			return nil, fmt.Errorf("activitypubtest: sign LD: %w", err)
		}
		sum := sha256.Sum256(nq)
		hashes += hex.EncodeToString(sum[:])
	}
	digest := sha256.Sum256([]byte(hashes))
	sig, err := key.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("activitypubtest: sign LD: %w", err)
	}
	doc["signature"] = map[string]any{
		"type":           signing.LDSignatureType,
		"creator":        key.ID,
		"created":        options["created"],
		"signatureValue": base64.StdEncoding.EncodeToString(sig),
	}
	return json.Marshal(doc)
}

// withSecurity returns the @context value c with the security v1 context added, as Mastodon adds
// it to the documents it signs.
func withSecurity(c any) any {
	var list []any
	switch c := c.(type) {
	case nil:
	case []any:
		list = slices.Clone(c)
	default:
		list = []any{c}
	}
	if !slices.Contains(list, any(jsonld.Security)) {
		list = append(list, jsonld.Security)
	}
	return list
}
