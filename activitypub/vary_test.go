package activitypub_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
)

// TestActorVaryAccept checks that an actor URL, which sends browsers to the profile page and
// servers the actor document, says "Vary: Accept" on both answers, so that no cache hands one
// to the other.
func TestActorVaryAccept(t *testing.T) {
	s := actorSite(t, func(base string) map[string]activitypub.Actor {
		return map[string]activitypub.Actor{"dana": {Name: "Dana", ProfileURL: base + "/authors/dana"}}
	}, nil)
	tests := []struct {
		name, accept string
		wantStatus   int
	}{
		{"browser is redirected", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", http.StatusSeeOther},
		{"server gets the document", vocab.MediaType, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.get(t, "/ap/users/dana", tt.accept)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if !slices.Contains(resp.Header.Values("Vary"), "Accept") {
				t.Errorf("Vary = %q, want it to name Accept", resp.Header.Values("Vary"))
			}
		})
	}
}
