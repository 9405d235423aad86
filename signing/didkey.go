package signing

import (
	"crypto/ed25519"
	"fmt"
	"strings"
)

// didKeyPrefix starts every did:key DID.
const didKeyPrefix = "did:key:"

// DIDKey returns the did:key verification method of an Ed25519 public key,
// "did:key:z6Mk…#z6Mk…": the DID, whose method-specific id is the key's
// publicKeyMultibase ([EncodePublicKeyMultibase]), with that id again as
// fragment, as the W3C eddsa-jcs-2022 test vectors spell it.
func DIDKey(pub ed25519.PublicKey) (string, error) {
	mb, err := EncodePublicKeyMultibase(pub)
	if err != nil {
		return "", err
	}
	return didKeyPrefix + mb + "#" + mb, nil
}

// ParseDIDKey decodes a did:key DID or DID URL naming an Ed25519 key
// (multicodec 0xed01) and returns the DID without its fragment and the key. A
// fragment, if any, must be the method-specific id. Other key types return an
// error matching [ErrUnsupportedKey].
func ParseDIDKey(s string) (did string, pub ed25519.PublicKey, err error) {
	id, ok := strings.CutPrefix(s, didKeyPrefix)
	if !ok {
		return "", nil, fmt.Errorf("signing: parse did:key %q: not a did:key", s)
	}
	id, fragment, hasFragment := strings.Cut(id, "#")
	if hasFragment && fragment != id {
		return "", nil, fmt.Errorf("signing: parse did:key %q: fragment is not the key", s)
	}
	k, err := ParsePublicKeyMultibase(id)
	if err != nil {
		return "", nil, fmt.Errorf("signing: parse did:key: %w", err)
	}
	ed, ok := k.(ed25519.PublicKey)
	if !ok {
		return "", nil, fmt.Errorf("signing: parse did:key: %T: %w", k, ErrUnsupportedKey)
	}
	return didKeyPrefix + id, ed, nil
}
