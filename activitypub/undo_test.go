package activitypub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// sameOrigin serves one actor per name on a single server, each with its own key, and returns
// their signing keys by name. Two accounts of one server are what reaches the inbox's checks on
// an embedded object: across servers the origin rule already reduces it to an id. The actors'
// inboxes answer with inbox, or 202 when it is nil.
func sameOrigin(t *testing.T, inbox http.HandlerFunc, names ...string) (*httptest.Server, map[string]signing.Key) {
	t.Helper()
	keys := make(map[string]signing.Key)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, name := range names {
		priv, err := signing.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		pub, err := signing.EncodePublicKey(&priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		id := srv.URL + "/users/" + name
		keys[name] = signing.Key{ID: id + "#main-key", Signer: priv}
		doc, _ := json.Marshal(map[string]any{
			"@context": []string{vocab.ContextActivityStreams, vocab.ContextSecurity},
			"id":       id, "type": "Person", "preferredUsername": name, "inbox": id + "/inbox",
			"publicKey": map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": string(pub)},
		})
		mux.HandleFunc("GET /users/"+name, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", vocab.MediaType)
			w.Write(doc)
		})
		if inbox == nil {
			inbox = func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }
		}
		mux.HandleFunc("POST /users/"+name+"/inbox", inbox)
	}
	return srv, keys
}

// TestUndoEmbeddedOfAnotherActor checks that an Undo embedding another actor's Follow, Like or
// Announce is refused with 403 and changes nothing, when both actors are on the same server, so
// the embedded object reaches the inbox whole.
func TestUndoEmbeddedOfAnotherActor(t *testing.T) {
	s := newSiteWith(t, memstore.New(), nil)
	ctx := context.Background()
	article := s.url("/articles/1")
	if err := s.fed.Publish(ctx, "news", activitypub.Article{URL: article, Title: "One", Content: "<p>One</p>"}); err != nil {
		t.Fatal(err)
	}
	srv, keys := sameOrigin(t, nil, "alice", "mallory")
	A, M := srv.URL+"/users/alice", srv.URL+"/users/mallory"
	alice, mallory := keys["alice"], keys["mallory"]
	newsID := s.fed.ActorID("news")
	inbox := newsID + "/inbox"
	doc := func(id, typ, actor string, object any) map[string]any {
		return map[string]any{"@context": vocab.ContextActivityStreams, "id": id, "type": typ, "actor": actor, "object": object}
	}
	follow := doc(A+"/follows/1", "Follow", A, newsID)
	like := doc(A+"/likes/1", "Like", A, article)
	announce := doc(A+"/announces/1", "Announce", A, article)
	for _, a := range []map[string]any{follow, like, announce} {
		if code := postSigned(t, s, inbox, mustJSONBytes(a), &alice, time.Now(), nil); code != http.StatusAccepted {
			t.Fatalf("alice's %s: status %d", a["type"], code)
		}
	}
	tests := []struct {
		name  string
		inner map[string]any
		// kept is the interaction that must survive, "" for none.
		kept string
	}{
		{"Follow", follow, ""},
		{"Like", like, A + "/likes/1"},
		{"Announce", announce, A + "/announces/1"},
		// One alice never sent: the embedded actor alone shows it is not mallory's.
		{"unknown Like", doc(A+"/likes/unknown", "Like", A, s.url("/articles/2")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := make(map[string]any, len(tt.inner))
			for k, v := range tt.inner {
				if k != "@context" {
					inner[k] = v
				}
			}
			before := snapshot(t, s, A, M)
			undo := doc(M+"/undo/"+tt.name, "Undo", M, inner)
			if code := postSigned(t, s, inbox, mustJSONBytes(undo), &mallory, time.Now(), nil); code != http.StatusForbidden {
				t.Errorf("mallory's Undo of alice's %s: status %d, want 403", tt.name, code)
			}
			if after := snapshot(t, s, A, M); after != before {
				t.Errorf("store changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if _, err := s.store.Follower(ctx, newsID, A); err != nil {
				t.Errorf("alice's follow: %v", err)
			}
			if tt.kept != "" {
				if _, err := s.store.Interaction(ctx, tt.kept); err != nil {
					t.Errorf("alice's %s: %v", tt.name, err)
				}
			}
		})
	}
	// The same Undo from alice herself is what removes them.
	for _, tt := range tests[:3] {
		undo := doc(A+"/undo/"+tt.name, "Undo", A, tt.inner)
		if code := postSigned(t, s, inbox, mustJSONBytes(undo), &alice, time.Now(), nil); code != http.StatusAccepted {
			t.Errorf("alice's Undo of her %s: status %d, want 202", tt.name, code)
		}
	}
	if _, err := s.store.Follower(ctx, newsID, A); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("alice's follow after her Undo: %v, want ErrNotFound", err)
	}
	for _, id := range []string{A + "/likes/1", A + "/announces/1"} {
		if _, err := s.store.Interaction(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after her Undo: %v, want ErrNotFound", id, err)
		}
	}
}
