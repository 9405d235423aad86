package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/internal/corpus"
)

func TestKeyRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if k.N.BitLen() != 2048 {
		t.Errorf("key has %d bits, want 2048", k.N.BitLen())
	}
	privPEM, err := EncodePrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(privPEM, []byte("-----BEGIN RSA PRIVATE KEY-----")) {
		t.Errorf("private PEM is not PKCS#1: %.40s", privPEM)
	}
	back, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Equal(back) {
		t.Error("private key changed in round trip")
	}
	pubPEM, err := EncodePublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pubPEM, []byte("-----BEGIN PUBLIC KEY-----")) {
		t.Errorf("public PEM is not PKIX: %.40s", pubPEM)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !k.PublicKey.Equal(pub) {
		t.Error("public key changed in round trip")
	}
}

func TestParseKeysFormats(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ed8, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	edPub, _ := x509.MarshalPKIXPublicKey(edPriv.Public())
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	ec8, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPub, _ := x509.MarshalPKIXPublicKey(ec.Public())
	enc := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }

	privTests := []struct {
		name        string
		in          []byte
		ok          bool
		unsupported bool
	}{
		{"PKCS#1", enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), true, false},
		{"PKCS#8", enc("PRIVATE KEY", pkcs8), true, false},
		{"Mastodon spec key (corpus)", corpus.ReadFile(t, "signatures/mastodon/bob_main-key.private.pem"), true, false},
		{"PKCS#8 Ed25519", enc("PRIVATE KEY", ed8), true, false},
		{"PKCS#8 EC", enc("PRIVATE KEY", ec8), false, true},
		{"EC key", enc("EC PRIVATE KEY", ecDER), false, false},
		{"public key given", enc("PUBLIC KEY", edPub), false, false},
		{"garbage", []byte("not a key"), false, false},
		{"bad DER", enc("RSA PRIVATE KEY", []byte{1, 2, 3}), false, false},
		{"empty", nil, false, false},
	}
	for _, tt := range privTests {
		t.Run("private/"+tt.name, func(t *testing.T) {
			s, err := ParsePrivateKey(tt.in)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				switch s.(type) {
				case *rsa.PrivateKey, ed25519.PrivateKey:
				default:
					t.Errorf("got %T", s)
				}
				// The key survives an encode/parse round trip.
				pemBytes, err := EncodePrivateKey(s)
				if err != nil {
					t.Fatal(err)
				}
				again, err := ParsePrivateKey(pemBytes)
				if err != nil {
					t.Fatal(err)
				}
				if !again.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
					t.Error("round trip changed the key")
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrUnsupportedKey) != tt.unsupported {
				t.Errorf("errors.Is(ErrUnsupportedKey) = %v for %v", !tt.unsupported, err)
			}
			if !strings.HasPrefix(err.Error(), "signing: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}

	pubTests := []struct {
		name        string
		in          []byte
		ok          bool
		unsupported bool
	}{
		{"PKIX", mustPEM(t, k.Public()), true, false},
		{"PKCS#1", enc("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.PublicKey)), true, false},
		{"Ed25519 PKIX", enc("PUBLIC KEY", edPub), true, false},
		{"EC PKIX", enc("PUBLIC KEY", ecPub), false, true},
		{"private key given", enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), false, false},
		{"garbage", []byte("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"), false, false},
		{"bad DER", enc("PUBLIC KEY", []byte{0x30, 0x01}), false, false},
	}
	for _, tt := range pubTests {
		t.Run("public/"+tt.name, func(t *testing.T) {
			p, err := ParsePublicKey(tt.in)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				want := crypto.PublicKey(&k.PublicKey)
				if _, ok := p.(ed25519.PublicKey); ok {
					want = edPriv.Public()
				}
				if !p.(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
					t.Error("wrong key")
				}
				again, err := ParsePublicKey(mustPEM(t, p))
				if err != nil || !again.(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
					t.Errorf("PEM round trip: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrUnsupportedKey) != tt.unsupported {
				t.Errorf("errors.Is(ErrUnsupportedKey) = %v for %v", !tt.unsupported, err)
			}
		})
	}
}

func mustPEM(t *testing.T, k crypto.PublicKey) []byte {
	t.Helper()
	b, err := EncodePublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeRejectsOtherKeys(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := EncodePrivateKey(ec); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("EncodePrivateKey(ecdsa) = %v", err)
	}
	if _, err := EncodePublicKey(ec.Public()); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("EncodePublicKey(ecdsa) = %v", err)
	}
}

func TestGenerateEd25519Key(t *testing.T) {
	k, err := GenerateEd25519Key()
	if err != nil {
		t.Fatal(err)
	}
	if len(k) != ed25519.PrivateKeySize {
		t.Fatalf("key of %d bytes", len(k))
	}
	pemBytes, err := EncodePrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pemBytes, []byte("-----BEGIN PRIVATE KEY-----")) {
		t.Errorf("not PKCS#8: %s", pemBytes)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("k", slog.Any("key", Key{ID: "x", Signer: k}))
	if !strings.Contains(buf.String(), "key.type=ed25519") || strings.Contains(buf.String(), string(pemBytes[28:60])) {
		t.Errorf("log output %q", buf.String())
	}
}

func TestBobKeyMatchesVectors(t *testing.T) {
	// The corpus private key must be the one in bob's actor document.
	pub := bobResolver(t).keys[bobKeyID].Key
	if !bobKey(t).PublicKey.Equal(pub) {
		t.Fatal("bob_main-key.private.pem does not match the actor's publicKeyPem")
	}
}

func TestKeyLogValueRedacts(t *testing.T) {
	k := bobKey(t)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("sign", slog.Any("key", Key{ID: bobKeyID, Signer: k}))
	out := buf.String()
	privPEM, _ := EncodePrivateKey(k)
	body := strings.Split(string(privPEM), "\n")[1]
	for _, leak := range []string{body, k.D.String()[:20], k.Primes[0].String()[:20]} {
		if strings.Contains(out, leak) {
			t.Fatalf("log output leaks private key material: %s", out)
		}
	}
	for _, want := range []string{"key.id=" + bobKeyID, "key.type=rsa-2048", "key.private=REDACTED"} {
		if !strings.Contains(out, want) {
			t.Errorf("log output %q lacks %q", out, want)
		}
	}
}
