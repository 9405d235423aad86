package signing

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Multicodec prefixes of public keys in a publicKeyMultibase value, as
// unsigned varints (multiformats multicodec table: ed25519-pub 0xed,
// rsa-pub 0x1205).
const (
	multicodecEd25519 = "\xed\x01"
	multicodecRSA     = "\x85\x24"
)

// MultikeyType is the type of an FEP-521a key object.
const MultikeyType = "Multikey"

// Multikey is an FEP-521a key object, as listed in an actor's
// assertionMethod beside the publicKey that Mastodon reads:
//
//	"assertionMethod": [{
//	  "id": "https://example.org/users/alice#ed25519-key",
//	  "type": "Multikey",
//	  "controller": "https://example.org/users/alice",
//	  "publicKeyMultibase": "z6Mk…"
//	}]
//
// It marshals to exactly that JSON. The actor document also needs the
// Multikey context, "https://w3id.org/security/multikey/v1", in @context.
type Multikey struct {
	// ID is the key id, the keyid of RFC 9421 signatures made with the key.
	ID string `json:"id"`
	// Type is [MultikeyType].
	Type string `json:"type"`
	// Controller is the IRI of the actor owning the key.
	Controller string `json:"controller"`
	// PublicKeyMultibase is the key in the form of
	// [EncodePublicKeyMultibase].
	PublicKeyMultibase string `json:"publicKeyMultibase"`
}

// NewMultikey returns the Multikey for pub (an ed25519.PublicKey or an
// *rsa.PublicKey) with the given id and controller.
func NewMultikey(id, controller string, pub crypto.PublicKey) (Multikey, error) {
	if id == "" || controller == "" {
		return Multikey{}, errors.New("signing: new multikey: id and controller are required")
	}
	mb, err := EncodePublicKeyMultibase(pub)
	if err != nil {
		return Multikey{}, err
	}
	return Multikey{ID: id, Type: MultikeyType, Controller: controller, PublicKeyMultibase: mb}, nil
}

// EncodePublicKeyMultibase returns pub as an FEP-521a publicKeyMultibase
// value: "z" (base58btc) followed by the base58btc encoding of the multicodec
// prefix and the key bytes. An ed25519.PublicKey gets the ed25519-pub prefix
// (0xed) and its 32 bytes, so the result starts with "z6Mk"; an
// *rsa.PublicKey gets the rsa-pub prefix (0x1205) and its PKCS#1 DER form.
// Other keys return an error matching [ErrUnsupportedKey].
func EncodePublicKeyMultibase(pub crypto.PublicKey) (string, error) {
	var raw []byte
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return "", fmt.Errorf("signing: encode multibase: ed25519 key of %d bytes", len(k))
		}
		raw = append(append(raw, multicodecEd25519...), k...)
	case *rsa.PublicKey:
		raw = append(append(raw, multicodecRSA...), x509.MarshalPKCS1PublicKey(k)...)
	default:
		return "", fmt.Errorf("signing: encode multibase: %T: %w", pub, ErrUnsupportedKey)
	}
	return "z" + base58Encode(raw), nil
}

// ParsePublicKeyMultibase decodes an FEP-521a publicKeyMultibase value: only
// the base58btc multibase ("z…") is accepted, holding an ed25519-pub (0xed)
// or rsa-pub (0x1205) multicodec key. The result is an ed25519.PublicKey or
// an *rsa.PublicKey. Other key types return an error matching
// [ErrUnsupportedKey].
func ParsePublicKeyMultibase(s string) (crypto.PublicKey, error) {
	if len(s) < 2 || s[0] != 'z' {
		return nil, errors.New("signing: parse multibase: not a base58btc (z…) value")
	}
	// An RSA-4096 PKCS#1 key is about 550 bytes, 750 base58 characters;
	// refuse anything far larger before the quadratic decoding.
	if len(s) > 4096 {
		return nil, errors.New("signing: parse multibase: value too long")
	}
	raw, err := base58Decode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("signing: parse multibase: %w", err)
	}
	switch {
	case hasPrefix(raw, multicodecEd25519):
		k := raw[len(multicodecEd25519):]
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("signing: parse multibase: ed25519 key of %d bytes", len(k))
		}
		return ed25519.PublicKey(k), nil
	case hasPrefix(raw, multicodecRSA):
		k, err := x509.ParsePKCS1PublicKey(raw[len(multicodecRSA):])
		if err != nil {
			return nil, fmt.Errorf("signing: parse multibase: rsa key: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("signing: parse multibase: unknown multicodec prefix: %w", ErrUnsupportedKey)
	}
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// base58Alphabet is the Bitcoin alphabet used by base58btc.
const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Encode encodes b in base58btc; each leading zero byte becomes a '1'.
func base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b)
	radix := big.NewInt(58)
	var out []byte
	mod := new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, radix, mod)
		out = append(out, base58Alphabet[mod.Int64()])
	}
	out = append(out, strings.Repeat("1", zeros)...)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// base58Decode decodes a base58btc string; each leading '1' becomes a zero
// byte.
func base58Decode(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty base58 value")
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	n := new(big.Int)
	d := new(big.Int)
	radix := big.NewInt(58)
	for i := zeros; i < len(s); i++ {
		v := strings.IndexByte(base58Alphabet, s[i])
		if v < 0 {
			return nil, fmt.Errorf("invalid base58 character %q", s[i])
		}
		n.Mul(n, radix)
		n.Add(n, d.SetInt64(int64(v)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}
