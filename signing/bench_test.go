package signing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
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

// BenchmarkBodyRead is what a Transport does with the body of each delivery of a fan-out, a 16 KiB
// activity: reading it from the request (through GetBody, as a request made by http.NewRequest
// has it) and taking its SHA-256, from its bodyCache ("cached") against reading it into memory of
// its own and hashing it each time ("hashed").
func BenchmarkBodyRead(b *testing.B) {
	body := bytes.Repeat([]byte(`{"type":"Note","content":"<p>a paragraph of an article</p>"}`), 16<<10/60)
	req, err := http.NewRequest("POST", "https://www.example.com/inbox", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		var c bodyCache
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := c.read(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hashed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rc, err := req.GetBody()
			if err != nil {
				b.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			if err != nil {
				b.Fatal(err)
			}
			sha256.Sum256(got)
		}
	})
}
