package activitypub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// signLD is activitypubtest.SignLD, failing the test on error.
func signLD(t *testing.T, doc map[string]any, key signing.Key) []byte {
	t.Helper()
	b, err := activitypubtest.SignLD(doc, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestForwardedReply posts replies to the shared inbox HTTP-signed by a third server's actor, as
// Mastodon forwards a reply to the followers of the post replied to: one LD-signed by its author
// is kept as the author's, and anything else is refused with 401 and kept nowhere.
func TestForwardedReply(t *testing.T) {
	log := &hookLog{}
	s, article := interactionSite(t, log, false)
	alice := activitypubtest.NewRemote(t, "alice")
	relay := activitypubtest.NewRemote(t, "relay")
	A := alice.ActorID()
	reply := func(n string) map[string]any {
		return map[string]any{
			"@context": []any{vocab.ContextActivityStreams, map[string]any{"sensitive": "as:sensitive"}},
			"id":       A + "/statuses/" + n + "/activity", "type": "Create", "actor": A, "to": []any{vocab.PublicIRI},
			"object": map[string]any{"id": A + "/statuses/" + n, "type": "Note", "attributedTo": A, "inReplyTo": article,
				"content": "<p>reply " + n + "</p>", "sensitive": false, "to": []any{vocab.PublicIRI}},
		}
	}
	tamper := func(body []byte) []byte { return bytes.Replace(body, []byte("reply 2"), []byte("spam! 2"), 1) }
	relayKey, aliceKey := relay.Key(), alice.Key()
	for _, tt := range []struct {
		name string
		body []byte
		key  signing.Key // HTTP signer
		want int
		kept string // the note kept, "" for none
	}{
		{"LD-signed by the author", signLD(t, reply("1"), aliceKey), relayKey, http.StatusAccepted, A + "/statuses/1"},
		{"body changed after LD signing", tamper(signLD(t, reply("2"), aliceKey)), relayKey, http.StatusUnauthorized, ""},
		{"LD-signed by the forwarder", signLD(t, reply("3"), relayKey), relayKey, http.StatusUnauthorized, ""},
		{"LD-signed by another key under the author's keyId", signLD(t, reply("4"),
			signing.Key{ID: aliceKey.ID, Signer: relayKey.Signer}), relayKey, http.StatusUnauthorized, ""},
		{"no LD signature", mustJSONBytes(reply("5")), relayKey, http.StatusUnauthorized, ""},
		{"LD-signed and sent by the author", signLD(t, reply("6"), aliceKey), aliceKey, http.StatusAccepted, A + "/statuses/6"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := relay.PostRaw(s.url("/ap/inbox"), tt.body, vocab.MediaType, &tt.key)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			var note struct {
				Object struct{ ID string } `json:"object"`
			}
			if err := json.Unmarshal(tt.body, &note); err != nil {
				t.Fatal(err)
			}
			got, err := s.store.Interaction(t.Context(), note.Object.ID)
			switch {
			case tt.kept == "" && !errors.Is(err, store.ErrNotFound):
				t.Fatalf("kept %+v (err %v), want nothing", got, err)
			case tt.kept != "" && (err != nil || got.ActorID != A || got.Kind != store.InteractionReply):
				t.Fatalf("kept %+v (err %v), want alice's reply", got, err)
			}
		})
	}
	if got := counts(t, s, article); got.Replies != 2 {
		t.Fatalf("counts %+v, want 2 replies", got)
	}
}

// liveActorGoneKey serves a live actor whose key URL, apart from its document, answers 410 Gone:
// what a Delete of a live actor claiming to be gone is signed with. It returns the actor's id and
// its key.
func liveActorGoneKey(t *testing.T) (string, signing.Key) {
	t.Helper()
	priv, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signing.EncodePublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	id := srv.URL + "/users/carol"
	doc := mustJSONBytes(map[string]any{"@context": []string{vocab.ContextActivityStreams, vocab.ContextSecurity},
		"id": id, "type": "Person", "inbox": id + "/inbox",
		"publicKey": map[string]string{"id": srv.URL + "/keys/carol", "owner": id, "publicKeyPem": string(pub)}})
	mux.HandleFunc("GET /users/carol", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", vocab.MediaType)
		w.Write(doc)
	})
	mux.HandleFunc("GET /keys/carol", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "gone", http.StatusGone) })
	return id, signing.Key{ID: srv.URL + "/keys/carol", Signer: priv}
}

// selfDelete is an actor's Delete of itself, as Mastodon sends it when an account is deleted.
func selfDelete(actor string) []byte {
	return mustJSONBytes(map[string]any{"@context": vocab.ContextActivityStreams, "id": actor + "#delete", "type": "Delete",
		"actor": actor, "object": actor, "to": []any{vocab.PublicIRI}})
}

// TestDeleteOfGoneActor sends an actor's Delete of itself signed with a key that now answers 410
// Gone to the shared inbox: when the actor's document answers 410 as well, it stops following a site actor and its
// follow request to the other is dropped, with an audit entry for each; while the document still
// answers, the Delete is refused with 401 and nothing changes. A self-Delete whose signature
// verifies is applied the same way.
func TestDeleteOfGoneActor(t *testing.T) {
	var gone [][]store.Follower
	s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) {
		c.Actors = listedActors{c.Actors} // so that a Delete to the shared inbox finds both
		c.OnFollowersGone = func(_ context.Context, _ string, removed []store.Follower) { gone = append(gone, removed) }
	})
	ctx := t.Context()
	news, desk := s.fed.ActorID("news"), s.fed.ActorID("desk")
	for _, tt := range []struct {
		name     string
		actor    func(t *testing.T) (string, signing.Key)
		want     int
		audited  int
		followed bool // still a follower afterwards
	}{
		{"document still there", liveActorGoneKey, http.StatusUnauthorized, 0, true},
		{"document gone", func(t *testing.T) (string, signing.Key) {
			alice := activitypubtest.NewRemote(t, "alice")
			alice.SetGone()
			return alice.ActorID(), alice.Key()
		}, http.StatusAccepted, 2, false},
		// Signed with a key that still verifies: the actor says so itself.
		{"signature verifies", func(t *testing.T) (string, signing.Key) {
			bob := activitypubtest.NewRemote(t, "bob")
			return bob.ActorID(), bob.Key()
		}, http.StatusAccepted, 2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			A, key := tt.actor(t)
			// Recorded straight in the store, so the site has not cached the actor's key.
			if err := s.store.AddFollower(ctx, store.Follower{ActorID: news, FollowerID: A, Inbox: A + "/inbox", FollowID: A + "/f/1", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if err := s.store.AddFollowRequest(ctx, store.FollowRequest{ActorID: desk, FollowerID: A, Inbox: A + "/inbox", FollowID: A + "/f/2", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if code := postSigned(t, s, s.url("/ap/inbox"), selfDelete(A), &key, time.Now(), nil); code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			_, err := s.store.Follower(ctx, news, A)
			if followed := err == nil; followed != tt.followed {
				t.Fatalf("still following: %v (err %v), want %v", followed, err, tt.followed)
			}
			_, err = s.store.FollowRequest(ctx, desk, A)
			if asking := err == nil; asking != tt.followed {
				t.Fatalf("still asking: %v (err %v), want %v", asking, err, tt.followed)
			}
			p, err := s.store.AuditPage(ctx, "", 1000)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range p.Items {
				if e.Actor == A && e.Action == "actor deleted" && e.Detail == A+"#delete" {
					n++
				}
			}
			if n != tt.audited {
				t.Fatalf("%d audit entries, want %d", n, tt.audited)
			}
		})
	}
	if len(gone) != 2 || len(gone[0]) != 1 || gone[0][0].ActorID != news || len(gone[1]) != 1 {
		t.Fatalf("OnFollowersGone got %+v, want alice's and bob's follows of news", gone)
	}
}
