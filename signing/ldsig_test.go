package signing_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/internal/jsonld"
	"github.com/fedsite/fedsite/signing"
)

// mastodonAdminKey is the key of the actor that signed the corpus's Mastodon activities captured
// by Akkoma's test suite, as its actor document in the corpus lists it.
func mastodonAdminKey(tb testing.TB) *signing.PublicKey {
	tb.Helper()
	var actor struct {
		ID        string `json:"id"`
		PublicKey struct {
			ID, Owner, PublicKeyPem string
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(corpus.ReadFile(tb, "mastodon/akkoma_tesla_mock_admin@mastdon.example.org.json"), &actor); err != nil {
		tb.Fatal(err)
	}
	k, err := signing.ParsePublicKey([]byte(actor.PublicKey.PublicKeyPem))
	if err != nil {
		tb.Fatal(err)
	}
	return &signing.PublicKey{ID: actor.PublicKey.ID, Owner: actor.ID, Key: k, Fresh: true}
}

// ldKeys resolves the keys given, counting refreshes; a key in stale is served instead when
// refresh is false, as a cache holding a rotated key would.
type ldKeys struct {
	keys, stale map[string]*signing.PublicKey
	refreshes   atomic.Int32
}

func (r *ldKeys) ResolveKey(_ context.Context, keyID string, refresh bool) (*signing.PublicKey, error) {
	if refresh {
		r.refreshes.Add(1)
	} else if k, ok := r.stale[keyID]; ok {
		c := *k
		c.Fresh = false
		return &c, nil
	}
	k, ok := r.keys[keyID]
	if !ok {
		return nil, errors.New("no such key")
	}
	c := *k
	return &c, nil
}

func newLDVerifier(tb testing.TB, keys signing.KeyResolver) (*signing.Verifier, *jsonld.Processor) {
	tb.Helper()
	v, err := signing.NewVerifier(signing.VerifierConfig{Keys: keys})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := jsonld.New()
	if err != nil {
		tb.Fatal(err)
	}
	return v, p
}

// TestVerifyLDCorpus verifies the LD signatures of real Mastodon activities in the corpus whose
// signer's key the corpus holds. The test suite they come from added a "nickname" member that no
// context defines after they were signed: the signature does not cover it, so as captured they are
// refused, and without it they verify. The other activities signed by that key were edited in
// what the signature covers, so they must fail.
func TestVerifyLDCorpus(t *testing.T) {
	admin := mastodonAdminKey(t)
	v, p := newLDVerifier(t, &ldKeys{keys: map[string]*signing.PublicKey{admin.ID: admin}})
	for _, tt := range []struct {
		name  string
		strip string // a member to remove first, "" for none
		want  error  // nil: verifies as admin
	}{
		{"mastodon/akkoma_mastodon-accept-activity.json", "nickname", nil},
		{"mastodon/akkoma_mastodon-follow-activity.json", "nickname", nil},
		{"mastodon/akkoma_mastodon-accept-activity.json", "", jsonld.ErrUndefinedTerm},
		{"mastodon/akkoma_mastodon-follow-activity.json", "", jsonld.ErrUndefinedTerm},
		{"mastodon/akkoma_mastodon-like.json", "", signing.ErrInvalidSignature},
		{"mastodon/akkoma_mastodon-post-activity.json", "", signing.ErrInvalidSignature},
	} {
		t.Run(tt.name+" without "+tt.strip, func(t *testing.T) {
			body := corpus.ReadFile(t, tt.name)
			if tt.strip != "" {
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatal(err)
				}
				if _, ok := m[tt.strip]; !ok {
					t.Fatalf("no %s member", tt.strip)
				}
				delete(m, tt.strip)
				body = mustMarshal(t, m)
			}
			got, err := v.VerifyLD(t.Context(), body, p)
			if tt.want != nil {
				if !errors.Is(err, tt.want) || !errors.Is(err, signing.ErrInvalidSignature) {
					t.Fatalf("err = %v, want ErrInvalidSignature matching %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Owner != admin.Owner || got.KeyID != admin.ID || got.Algorithm != signing.LDSignatureType || got.Created.IsZero() {
				t.Fatalf("verified %+v", got)
			}
		})
	}
}

// TestVerifyLD signs documents with the test signer and checks what VerifyLD makes of them and of
// every change to them.
func TestVerifyLD(t *testing.T) {
	alice, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	mallory, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	const A = "https://a.example/users/alice"
	aliceKey := signing.Key{ID: A + "#main-key", Signer: alice}
	keys := &ldKeys{keys: map[string]*signing.PublicKey{
		aliceKey.ID: {ID: aliceKey.ID, Owner: A, Key: &alice.PublicKey, Fresh: true},
	}}
	v, p := newLDVerifier(t, keys)
	reply := map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", map[string]any{"sensitive": "as:sensitive"}},
		"id":       A + "/statuses/1/activity", "type": "Create", "actor": A,
		"object": map[string]any{"id": A + "/statuses/1", "type": "Note", "attributedTo": A, "content": "<p>hi</p>",
			"inReplyTo": "https://b.example/articles/1", "sensitive": false, "to": []any{"https://www.w3.org/ns/activitystreams#Public"}},
	}
	sign := func(doc map[string]any, key signing.Key) []byte {
		t.Helper()
		b, err := activitypubtest.SignLD(doc, key, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	signed := sign(reply, aliceKey)
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(signed, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	sig := func(m map[string]any) map[string]any { return m["signature"].(map[string]any) }
	for _, tt := range []struct {
		name string
		body []byte
		want error // nil: verifies as alice
	}{
		{"signed", signed, nil},
		{"members reordered and reindented", edit(func(map[string]any) {}), nil},
		{"content changed", edit(func(m map[string]any) { m["object"].(map[string]any)["content"] = "<p>bye</p>" }), signing.ErrInvalidSignature},
		{"actor changed", edit(func(m map[string]any) { m["actor"] = "https://a.example/users/bob" }), signing.ErrInvalidSignature},
		{"member no context defines added", edit(func(m map[string]any) { m["quoteUrl"] = "https://evil.example/1" }), jsonld.ErrUndefinedTerm},
		{"type no context defines", edit(func(m map[string]any) { m["object"].(map[string]any)["type"] = "Article2" }), jsonld.ErrUndefinedTerm},
		{"created changed", edit(func(m map[string]any) { sig(m)["created"] = "2026-12-02T10:00:00Z" }), signing.ErrInvalidSignature},
		{"signature id added", edit(func(m map[string]any) { sig(m)["id"] = "https://a.example/sig" }), nil},
		{"signed by another key under alice's keyId", sign(reply, signing.Key{ID: aliceKey.ID, Signer: mallory}), signing.ErrInvalidSignature},
		{"signatureValue not base64", edit(func(m map[string]any) { sig(m)["signatureValue"] = "!!!" }), signing.ErrInvalidSignature},
		{"no creator", edit(func(m map[string]any) { delete(sig(m), "creator") }), signing.ErrInvalidSignature},
		{"unknown creator", edit(func(m map[string]any) { sig(m)["creator"] = "https://a.example/users/nobody#main-key" }), signing.ErrKeyUnavailable},
		{"context not embedded", edit(func(m map[string]any) {
			m["@context"] = append(m["@context"].([]any), "https://c.example/ctx.jsonld")
		}), signing.ErrInvalidSignature},
		{"other signature type", edit(func(m map[string]any) { sig(m)["type"] = "Ed25519Signature2018" }), signing.ErrNoSignature},
		{"no signature", mustMarshal(t, reply), signing.ErrNoSignature},
		{"signature not an object", edit(func(m map[string]any) { m["signature"] = "x" }), signing.ErrNoSignature},
		{"not an object", []byte(`["x"]`), signing.ErrInvalidSignature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.VerifyLD(t.Context(), tt.body, p)
			if tt.want != nil {
				var ve *signing.VerifyError
				if !errors.Is(err, tt.want) || !errors.As(err, &ve) {
					t.Fatalf("err = %v, want a VerifyError matching %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Owner != A || got.KeyID != aliceKey.ID {
				t.Fatalf("verified %+v", got)
			}
		})
	}

	t.Run("rotated key is fetched afresh", func(t *testing.T) {
		keys.stale = map[string]*signing.PublicKey{aliceKey.ID: {ID: aliceKey.ID, Owner: A, Key: &mallory.PublicKey}}
		t.Cleanup(func() { keys.stale = nil })
		before := keys.refreshes.Load()
		if _, err := v.VerifyLD(t.Context(), signed, p); err != nil {
			t.Fatal(err)
		}
		if n := keys.refreshes.Load() - before; n != 1 {
			t.Fatalf("%d refreshes, want 1", n)
		}
	})
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzVerifyLD feeds VerifyLD the corpus's LD-signed activities and mutations of them: it never
// panics, returns a VerifyError on failure, and accepts only what the corpus key signed.
func FuzzVerifyLD(f *testing.F) {
	admin := mastodonAdminKey(f)
	for _, d := range corpus.JSON(f, "mastodon") {
		if strings.Contains(string(d.Data), `"RsaSignature2017"`) {
			f.Add(d.Data)
		}
	}
	f.Add([]byte(`{"signature":{"type":"RsaSignature2017","creator":"x","signatureValue":"AA=="},"@00":"","":0}`))
	v, p := newLDVerifier(f, &ldKeys{keys: map[string]*signing.PublicKey{admin.ID: admin}})
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := v.VerifyLD(context.Background(), body, p)
		if err != nil {
			var ve *signing.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not a VerifyError", err)
			}
			return
		}
		if got.Owner != admin.Owner {
			t.Fatalf("verified as %q", got.Owner)
		}
	})
}

// BenchmarkVerifyLD measures the verification of the LD signature of a real Mastodon activity:
// two URDNA2015 canonicalizations and one RSA verification.
func BenchmarkVerifyLD(b *testing.B) {
	admin := mastodonAdminKey(b)
	if _, ok := admin.Key.(*rsa.PublicKey); !ok {
		b.Fatal("the corpus key is not RSA")
	}
	v, p := newLDVerifier(b, &ldKeys{keys: map[string]*signing.PublicKey{admin.ID: admin}})
	var m map[string]any
	if err := json.Unmarshal(corpus.ReadFile(b, "mastodon/akkoma_mastodon-follow-activity.json"), &m); err != nil {
		b.Fatal(err)
	}
	delete(m, "nickname") // added after signing (see TestVerifyLDCorpus)
	body := mustMarshal(b, m)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.VerifyLD(context.Background(), body, p); err != nil {
			b.Fatal(err)
		}
	}
}
