package signing

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
)

// KeyBits is the size of keys made by [GenerateKey], the size Mastodon uses.
const KeyBits = 2048

// GenerateKey returns a new RSA-2048 private key.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("signing: generate key: %w", err)
	}
	return k, nil
}

// GenerateEd25519Key returns a new Ed25519 private key, for RFC 9421
// signatures ([SignRFC9421]) and publication as an FEP-521a Multikey
// ([NewMultikey]). Draft-cavage signatures ([Sign]) stay RSA-only.
func GenerateEd25519Key() (ed25519.PrivateKey, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("signing: generate ed25519 key: %w", err)
	}
	return k, nil
}

// ParsePrivateKey decodes the first PEM block of data, which must be a PKCS#1
// "RSA PRIVATE KEY" or a PKCS#8 "PRIVATE KEY" holding an RSA or an Ed25519
// key. The result is an *rsa.PrivateKey or an ed25519.PrivateKey. Other key
// types return an error matching [ErrUnsupportedKey].
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("signing: parse private key: no PEM block")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: parse private key: %w", err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: parse private key: %w", err)
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case ed25519.PrivateKey:
			return k, nil
		default:
			return nil, fmt.Errorf("signing: parse private key: %T: %w", k, ErrUnsupportedKey)
		}
	default:
		return nil, fmt.Errorf("signing: parse private key: unexpected PEM type %q", block.Type)
	}
}

// ParsePublicKey decodes the first PEM block of data, which must be a PKIX
// "PUBLIC KEY" (what Mastodon's publicKeyPem holds) or a PKCS#1 "RSA PUBLIC
// KEY" holding an RSA key, or a PKIX "PUBLIC KEY" holding an Ed25519 key. The
// result is an *rsa.PublicKey or an ed25519.PublicKey. Other key types return
// an error matching [ErrUnsupportedKey].
func ParsePublicKey(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("signing: parse public key: no PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: parse public key: %w", err)
		}
		switch k := k.(type) {
		case *rsa.PublicKey:
			return k, nil
		case ed25519.PublicKey:
			return k, nil
		default:
			return nil, fmt.Errorf("signing: parse public key: %T: %w", k, ErrUnsupportedKey)
		}
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: parse public key: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("signing: parse public key: unexpected PEM type %q", block.Type)
	}
}

// EncodePrivateKey returns k as PEM: an *rsa.PrivateKey as a PKCS#1 "RSA
// PRIVATE KEY" block (unchanged from earlier versions), an ed25519.PrivateKey
// as a PKCS#8 "PRIVATE KEY" block. Other signers (including keys held in
// hardware) return an error matching [ErrUnsupportedKey].
func EncodePrivateKey(k crypto.Signer) ([]byte, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
	case ed25519.PrivateKey:
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("signing: encode private key: %w", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	default:
		return nil, fmt.Errorf("signing: encode private key: %T: %w", k, ErrUnsupportedKey)
	}
}

// EncodePublicKey returns k as a PKIX "PUBLIC KEY" PEM block, the form
// expected in an actor's publicKey.publicKeyPem. k must be an *rsa.PublicKey
// or an ed25519.PublicKey; publish Ed25519 keys as an FEP-521a Multikey
// ([NewMultikey]) rather than in publicKey, which Mastodon reads as RSA.
func EncodePublicKey(k crypto.PublicKey) ([]byte, error) {
	switch k.(type) {
	case *rsa.PublicKey, ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("signing: encode public key: %T: %w", k, ErrUnsupportedKey)
	}
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, fmt.Errorf("signing: encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// Key is a local actor's signing key.
type Key struct {
	// ID is the keyId sent with signatures, e.g.
	// "https://example.org/actor#main-key". It must be the id of a key that the
	// actor document lists in publicKey.
	ID string
	// Signer holds the private key. For [Sign] (draft-cavage) it must have
	// an *rsa.PublicKey; an *rsa.PrivateKey is signed through go-fed/httpsig,
	// any other RSA crypto.Signer (e.g. a KMS handle) directly.
	// [SignRFC9421] also takes a Signer whose public key is an
	// ed25519.PublicKey (an ed25519.PrivateKey or a hardware handle).
	Signer crypto.Signer
}

// LogValue implements slog.LogValuer. It logs the key id and type, never the
// private key.
func (k Key) LogValue() slog.Value {
	typ := "none"
	if k.Signer != nil {
		switch pk := k.Signer.Public().(type) {
		case *rsa.PublicKey:
			typ = fmt.Sprintf("rsa-%d", pk.N.BitLen())
		case ed25519.PublicKey:
			typ = "ed25519"
		default:
			typ = fmt.Sprintf("%T", k.Signer.Public())
		}
	}
	return slog.GroupValue(
		slog.String("id", k.ID),
		slog.String("type", typ),
		slog.String("private", "REDACTED"),
	)
}

// PublicKey is a remote actor's public key as returned by a [KeyResolver].
type PublicKey struct {
	// ID is the key id (the keyId of signatures made with it).
	ID string
	// Owner is the IRI of the actor owning the key; the resolver must have
	// confirmed that this actor lists the key.
	Owner string
	// Key is the public key, an *rsa.PublicKey or an ed25519.PublicKey.
	// Draft-cavage signatures verify only with RSA keys; RFC 9421 signatures
	// with both.
	Key crypto.PublicKey
	// Fresh reports that the key was just fetched from its origin rather than
	// read from a cache. The [Verifier] asks for a refreshed key after a
	// failed verification only when Fresh is false.
	Fresh bool
	// OwnerDocument is the owner's actor document, the JSON as its server
	// sent it, when the resolver fetched it to confirm the key; nil when the
	// key came from a cache, or from a resolver that does not hand it back.
	// Its id is Owner. A caller that needs the actor (its inbox, say) can use
	// it instead of fetching the actor once more; it must not modify it.
	OwnerDocument []byte
}
