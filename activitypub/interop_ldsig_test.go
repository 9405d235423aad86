package activitypub_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
	"github.com/fedsite/fedsite/store"
)

// TestFedifyForwardedReply has a real Fedify server (set FEDSITE_FEDIFY=1; CI does) forward a
// reply of its actor alice to the article, LD-signed by alice with Fedify's signJsonLd and
// HTTP-signed by its other actor, relay, as Mastodon forwards replies: fedsite keeps it as alice's.
// The same forwarded with its content changed after signing is refused with 401 and not kept.
func TestFedifyForwardedReply(t *testing.T) {
	peer := fedifypeer.StartForTest(t)
	s, article := interactionSite(t, &hookLog{}, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	news, me := s.fed.ActorID("news"), peer.ActorID()
	for _, tt := range []struct {
		name   string
		n      string
		tamper bool
		want   int
	}{
		{"as signed", "1", false, http.StatusAccepted},
		{"content changed after signing", "2", true, http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			noteID := me + "/notes/forwarded-" + tt.n
			_, status, err := peer.Forward(ctx, news, map[string]any{
				"@context": []any{vocab.ContextActivityStreams, vocab.ContextSecurity},
				"type":     "Create", "id": me + "/creates/forwarded-" + tt.n, "to": []any{vocab.PublicIRI},
				"object": map[string]any{"type": "Note", "id": noteID, "attributedTo": me, "inReplyTo": article,
					"to": []any{vocab.PublicIRI}, "content": "<p>Forwarded reply " + tt.n + "</p>"},
			}, tt.tamper)
			if err != nil {
				t.Fatalf("Fedify forward: %v\n%s", err, peer.Stderr())
			}
			if status != tt.want {
				t.Fatalf("status %d, want %d", status, tt.want)
			}
			got, err := s.store.Interaction(ctx, noteID)
			if tt.want != http.StatusAccepted {
				if err == nil {
					t.Fatalf("kept %+v, want nothing", got)
				}
				return
			}
			if err != nil || got.ActorID != me || got.Kind != store.InteractionReply {
				t.Fatalf("kept %+v (err %v), want alice's reply", got, err)
			}
		})
	}
}
