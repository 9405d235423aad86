package activitypub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/oteltest"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestDeliveriesCarryProof checks that what the site sends carries an FEP-8b32 proof that a
// receiver verifies with the actor's published Multikey, and none under
// Config.Publishing.OmitProofs.
func TestDeliveriesCarryProof(t *testing.T) {
	for _, omit := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "OmitProofs"}[omit], func(t *testing.T) {
			s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) { c.Publishing.OmitProofs = omit })
			alice := activitypubtest.NewRemote(t, "alice")
			newsID := s.fed.ActorID("news")
			follow(t, s, alice, newsID, "1")
			if err := s.fed.Publish(context.Background(), "news", activitypub.Article{URL: s.url("/articles/p"), Title: "P"}); err != nil {
				t.Fatal(err)
			}
			for _, typ := range []string{"Accept", "Create"} {
				d := alice.WaitFor(typ)
				if d.Err != nil {
					t.Fatalf("%s: %v", typ, d.Err)
				}
				want := newsID
				if omit {
					want = ""
				}
				if d.ProofBy != want {
					t.Errorf("%s: proof by %q, want %q", typ, d.ProofBy, want)
				}
			}
			// The stored activity, as its id serves it, is the one signed.
			create := alice.WaitFor("Create")
			o, err := s.store.Object(context.Background(), create.Activity.ID)
			if err != nil {
				t.Fatal(err)
			}
			if has := bytes.Contains(o.Document, []byte(`"proof":{"type":"DataIntegrityProof"`)); has == omit {
				t.Errorf("stored Create has a proof: %v, want %v", has, !omit)
			}
		})
	}
}

// TestInboxProofAuthenticatesRelay checks that a valid proof by the actor authenticates an
// activity whose HTTP signer is someone else (a relay, a forwarding server), that the same
// without the proof is refused, and that the refusal reasons reach telemetry.
func TestInboxProofAuthenticatesRelay(t *testing.T) {
	s := newTestSite(t)
	ctx := context.Background()
	alice := activitypubtest.NewRemote(t, "alice")
	relay := activitypubtest.NewRemote(t, "relay")
	article := s.url("/articles/liked")
	if err := s.fed.Publish(ctx, "news", activitypub.Article{URL: article, Title: "Liked"}); err != nil {
		t.Fatal(err)
	}
	like := func(n string) []byte {
		return mustJSONBytes(map[string]any{"@context": []string{"https://www.w3.org/ns/activitystreams", signing.ContextDataIntegrity},
			"id": alice.ActorID() + "/likes/" + n, "type": "Like", "actor": alice.ActorID(), "object": article})
	}
	relayKey := relay.Key()
	inbox := s.fed.ActorID("news") + "/inbox"

	if code := postSigned(t, s, inbox, like("1"), &relayKey, time.Now(), nil); code != http.StatusUnauthorized {
		t.Fatalf("relayed Like without proof: status %d, want 401", code)
	}
	signed, err := signing.AddProof(like("2"), alice.ProofKey(), signing.ProofOptions{Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if code := postSigned(t, s, inbox, signed, &relayKey, time.Now(), nil); code != http.StatusAccepted {
		t.Fatalf("relayed Like with the actor's proof: status %d, want 202", code)
	}
	if _, err := s.store.InteractionBy(ctx, alice.ActorID(), article, store.InteractionLike, ""); err != nil {
		t.Errorf("the relayed Like was not recorded: %v", err)
	}
}

// TestTelemetryProofRefusals checks that each proof refusal is counted in fedsite.inbox.requests
// with its own reason.
func TestTelemetryProofRefusals(t *testing.T) {
	s, reader, _ := observedSite(t)
	alice := activitypubtest.NewRemote(t, "alice")
	mallory := activitypubtest.NewRemote(t, "mallory")
	news := s.fed.ActorID("news")
	aliceKey := alice.Key()
	follow := func(id string, key signing.Key, opts signing.ProofOptions) []byte {
		b, err := json.Marshal(map[string]any{"@context": vocab.ContextActivityStreams, "id": alice.ActorID() + "/follows/" + id,
			"type": "Follow", "actor": alice.ActorID(), "object": news})
		if err != nil {
			t.Fatal(err)
		}
		if opts.Created.IsZero() {
			opts.Created = time.Now()
		}
		if b, err = signing.AddProof(b, key, opts); err != nil {
			t.Fatal(err)
		}
		return b
	}
	tampered := bytes.Replace(follow("1", alice.ProofKey(), signing.ProofOptions{}), []byte(`"type":"Follow"`), []byte(`"type":"Follow","summary":"x"`), 1)
	tests := []struct {
		name    string
		body    []byte
		status  int
		refusal string
	}{
		{"valid proof", follow("0", alice.ProofKey(), signing.ProofOptions{}), 202, ""},
		{"changed body", tampered, 401, "proof_invalid"},
		{"expired", follow("2", alice.ProofKey(), signing.ProofOptions{Created: time.Now().Add(-time.Hour), Expires: time.Now().Add(-time.Minute)}), 401, "proof_expired"},
		{"another actor's key", follow("3", mallory.ProofKey(), signing.ProofOptions{}), 401, "proof_signer_mismatch"},
		{"unknown key", follow("4", signing.Key{ID: alice.ActorID() + "#nokey", Signer: alice.ProofKey().Signer}, signing.ProofOptions{}), 401, "proof_key_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := []attribute.KeyValue{attribute.Int("http.response.status_code", tt.status)}
			if tt.refusal != "" {
				attrs = append(attrs, attribute.String("fedsite.inbox.refusal", tt.refusal))
			}
			before := oteltest.Collect(t, reader)
			if resp := alice.PostRaw(news+"/inbox", tt.body, vocab.MediaType, &aliceKey); resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			was, _ := before.Int("fedsite.inbox.requests", attrs...)
			now, ok := oteltest.Collect(t, reader).Int("fedsite.inbox.requests", attrs...)
			if !ok || now-was != 1 {
				t.Errorf("fedsite.inbox.requests%v went from %d to %d, want one more", attrs, was, now)
			}
		})
	}
}
