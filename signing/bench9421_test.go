package signing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func benchKeys9421(b *testing.B) (rsaKey, edKey Key, keys *staticResolver) {
	bob := bobKey(b)
	ed := testEdKey()
	rsaKey = Key{ID: bobKeyID, Signer: bob}
	edKey = Key{ID: edKeyID, Signer: ed}
	keys = &staticResolver{keys: map[string]*PublicKey{
		bobKeyID: {ID: bobKeyID, Owner: bobActor, Key: bob.Public(), Fresh: true},
		edKeyID:  {ID: edKeyID, Owner: bobActor, Key: ed.Public(), Fresh: true},
	}}
	return rsaKey, edKey, keys
}

var benchBody = []byte(`{"type":"Create","object":{"type":"Note","content":"hello"}}`)

func BenchmarkSignRFC9421(b *testing.B) {
	rsaKey, edKey, _ := benchKeys9421(b)
	for _, bb := range []struct {
		name string
		key  Key
	}{{"RSA", rsaKey}, {"Ed25519", edKey}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("POST", "https://www.example.com/inbox", nil)
				if err := SignRFC9421(r, bb.key, benchBody, vectorClock); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyRFC9421(b *testing.B) {
	rsaKey, edKey, keys := benchKeys9421(b)
	v := newVerifier9421(b, keys, vectorClock, "https")
	ctx := context.Background()
	for _, bb := range []struct {
		name string
		key  Key
	}{{"RSA", rsaKey}, {"Ed25519", edKey}} {
		b.Run(bb.name, func(b *testing.B) {
			r := httptest.NewRequest("POST", "https://www.example.com/inbox", nil)
			if err := SignRFC9421(r, bb.key, benchBody, vectorClock); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, r, benchBody); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseRFC9421 measures the structured-field parsing alone.
func BenchmarkParseRFC9421(b *testing.B) {
	rsaKey, _, _ := benchKeys9421(b)
	r, _ := http.NewRequest("POST", "https://www.example.com/inbox", nil)
	if err := SignRFC9421(r, rsaKey, benchBody, vectorClock); err != nil {
		b.Fatal(err)
	}
	in, sig := r.Header.Values("Signature-Input"), r.Header.Values("Signature")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseRFC9421(in, sig); err != nil {
			b.Fatal(err)
		}
	}
}
