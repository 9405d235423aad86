package signing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http/httptest"
	"testing"
)

func BenchmarkSign(b *testing.B) {
	key := Key{ID: bobKeyID, Signer: bobKey(b)}
	body := []byte(`{"type":"Create","object":{"type":"Note","content":"hello"}}`)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "https://www.example.com/inbox", nil)
		r.Header.Set("Content-Type", "application/activity+json")
		if err := Sign(r, key, body, vectorClock); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	bob := bobKey(b)
	body := []byte(`{"type":"Create","object":{"type":"Note","content":"hello"}}`)
	r := httptest.NewRequest("POST", "https://www.example.com/inbox", nil)
	r.Header.Set("Content-Type", "application/activity+json")
	if err := Sign(r, Key{ID: bobKeyID, Signer: bob}, body, vectorClock); err != nil {
		b.Fatal(err)
	}
	keys := &staticResolver{keys: map[string]*PublicKey{bobKeyID: {ID: bobKeyID, Owner: bobActor, Key: bob.Public(), Fresh: true}}}
	v := newVerifierT(b, keys, vectorClock)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSignatureHeader(b *testing.B) {
	h := corpusSignatureHeaders(b)[1]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseSignatureHeader(h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBodyDigest is the SHA-256 of a 16 KiB activity as a Transport gets it for each
// delivery of a fan-out, from its digestCache, against hashing it each time.
func BenchmarkBodyDigest(b *testing.B) {
	body := bytes.Repeat([]byte(`{"type":"Note","content":"<p>a paragraph of an article</p>"}`), 16<<10/60)
	b.Run("cached", func(b *testing.B) {
		var c digestCache
		for b.Loop() {
			c.sum(body)
		}
	})
	b.Run("hashed", func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256(body)
		}
	})
}
