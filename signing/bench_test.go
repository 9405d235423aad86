package signing

import (
	"context"
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
