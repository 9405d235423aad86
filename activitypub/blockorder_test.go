package activitypub_test

import (
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store/memstore"
)

// keyApart is a remote actor whose key lives at a URL of its own, /keys/1, as a bare key object
// (as some servers publish keys), so that a block of the actor does not cover its keyId. It
// counts the requests it gets.
type keyApart struct {
	srv  *httptest.Server
	key  *rsa.PrivateKey
	hits atomic.Int64
}

func newKeyApart(t *testing.T) *keyApart {
	t.Helper()
	k, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	a := &keyApart{key: k}
	pem, err := signing.EncodePublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		key := map[string]string{"id": a.keyID(), "owner": a.id(), "publicKeyPem": string(pem)}
		var doc any
		switch r.URL.Path {
		case "/users/x":
			doc = map[string]any{"@context": vocab.ContextActivityStreams, "id": a.id(), "type": "Person",
				"inbox": a.id() + "/inbox", "publicKey": key}
		case "/keys/1":
			doc = key
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", vocab.MediaType)
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *keyApart) id() string    { return a.srv.URL + "/users/x" }
func (a *keyApart) keyID() string { return a.srv.URL + "/keys/1" }
func (a *keyApart) signingKey() *signing.Key {
	return &signing.Key{ID: a.keyID(), Signer: a.key}
}

// TestInboxBlockedActorBeforeAnyFetch: an activity from a blocked actor is refused before
// anything is fetched, even when its keyId is at a URL that no block covers. Without that first
// check, the key would be fetched (only the fetch of its owner would then be refused) — or, once
// the key is cached from before the block, the activity accepted.
func TestInboxBlockedActorBeforeAnyFetch(t *testing.T) {
	tests := []struct {
		name string
		// knownBefore: an activity of the actor was accepted before the block, so its key is
		// cached.
		knownBefore bool
	}{
		{"key not yet known", false},
		{"key cached before the block", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSiteWith(t, memstore.New(), nil)
			a := newKeyApart(t)
			like := func(n string) []byte {
				return mustJSONBytes(map[string]any{"@context": vocab.ContextActivityStreams, "id": a.id() + "/likes/" + n,
					"type": "Like", "actor": a.id(), "object": s.url("/articles/x")})
			}
			if tt.knownBefore {
				if c := postSigned(t, s, s.url("/ap/inbox"), like("1"), a.signingKey(), time.Now(), nil); c != http.StatusAccepted {
					t.Fatalf("before the block: status %d, want 202", c)
				}
			}
			if err := s.fed.BlockActor(t.Context(), a.id(), "abuse"); err != nil {
				t.Fatal(err)
			}
			before := a.hits.Load()
			if c := postSigned(t, s, s.url("/ap/inbox"), like("2"), a.signingKey(), time.Now(), nil); c != http.StatusForbidden {
				t.Errorf("status %d, want 403", c)
			}
			if n := a.hits.Load() - before; n != 0 {
				t.Errorf("the blocked actor's server got %d requests, want none", n)
			}
		})
	}
}

// TestSignedFetchBlockedSigner: under RequireSignedFetch, a blocked actor whose key is cached
// from before the block (at a keyId no block covers, so the key resolver lets it through) is
// refused by the check of the verified signer.
func TestSignedFetchBlockedSigner(t *testing.T) {
	s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) { c.RequireSignedFetch = true })
	a := newKeyApart(t)
	get := func() int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.fed.ActorID("news"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", vocab.MediaType)
		if err := signing.Sign(req, *a.signingKey(), nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get(); c != http.StatusOK {
		t.Fatalf("before the block: status %d, want 200", c)
	}
	if err := s.fed.BlockActor(t.Context(), a.id(), "abuse"); err != nil {
		t.Fatal(err)
	}
	if c := get(); c != http.StatusForbidden {
		t.Errorf("after the block: status %d, want 403", c)
	}
}
