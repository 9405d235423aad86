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
	enc := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }

	privTests := []struct {
		name        string
		in          []byte
		ok          bool
		unsupported bool
	}{
		{"PKCS#1", enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), true, false},
		{"PKCS#8", enc("PRIVATE KEY", pkcs8), true, false},
		{"Mastodon spec key (corpus)", readCorpus(t, "signatures/mastodon/bob_main-key.private.pem"), true, false},
		{"PKCS#8 Ed25519", enc("PRIVATE KEY", ed8), false, true},
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
				if _, ok := s.(*rsa.PrivateKey); !ok {
					t.Errorf("got %T", s)
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
		{"Ed25519 PKIX", enc("PUBLIC KEY", edPub), false, true},
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
				if !k.PublicKey.Equal(p) {
					t.Error("wrong key")
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

func TestEncodeRejectsNonRSA(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := EncodePrivateKey(priv); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("EncodePrivateKey(ed25519) = %v", err)
	}
	if _, err := EncodePublicKey(pub); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("EncodePublicKey(ed25519) = %v", err)
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
