package activitypub_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestInboxBodyLimit: a body of exactly MaxBodyBytes is read; one byte more is 413, whether its
// length is declared or not.
func TestInboxBodyLimit(t *testing.T) {
	const limit = 256
	s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) { c.MaxBodyBytes = limit })
	for _, tt := range []struct {
		name     string
		size     int
		declared bool
		tooLarge bool
	}{
		{"at the limit, declared", limit, true, false},
		{"at the limit, streamed", limit, false, false},
		{"one more, declared", limit + 1, true, true},
		{"one more, streamed", limit + 1, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"id":"x","type":"Like","actor":"https://a.example/u","object":"` + strings.Repeat("a", tt.size) + `"}`
			body = body[:tt.size]
			req := httptest.NewRequest(http.MethodPost, s.fed.ActorID("news")+"/inbox", strings.NewReader(body))
			req.Header.Set("Content-Type", vocab.MediaType)
			if !tt.declared {
				req.ContentLength = -1
			}
			if got := serve(s, req); (got == http.StatusRequestEntityTooLarge) != tt.tooLarge {
				t.Errorf("status %d for %d bytes, want 413: %v", got, tt.size, tt.tooLarge)
			}
		})
	}
}

// TestUndoFollowForms: an Undo withdraws a follow request still pending, and undoes a follow
// named by an object that carries only its id (no type), as by the id alone.
func TestUndoFollowForms(t *testing.T) {
	s, _ := interactionSite(t, &hookLog{}, true)
	ctx := t.Context()
	bob := activitypubtest.NewRemote(t, "bob")
	desk, news := s.fed.ActorID("desk"), s.fed.ActorID("news")

	// desk approves its followers: bob's follow waits, and he withdraws it.
	post(t, bob, s, map[string]any{"id": bob.ActorID() + "/f1", "type": "Follow", "object": desk}, http.StatusAccepted)
	post(t, bob, s, map[string]any{"id": bob.ActorID() + "/u1", "type": "Undo",
		"object": map[string]any{"id": bob.ActorID() + "/f1", "type": "Follow", "actor": bob.ActorID(), "object": desk}}, http.StatusAccepted)
	if err := s.fed.ApproveFollow(ctx, "desk", bob.ActorID()); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("ApproveFollow after the request was withdrawn: %v, want ErrNotFound", err)
	}

	// news does not: bob follows, then undoes by an object with an id only.
	post(t, bob, s, map[string]any{"id": bob.ActorID() + "/f2", "type": "Follow", "object": news}, http.StatusAccepted)
	if n, _ := s.store.CountFollowers(ctx, news); n != 1 {
		t.Fatalf("followers of news = %d, want 1", n)
	}
	post(t, bob, s, map[string]any{"id": bob.ActorID() + "/u2", "type": "Undo",
		"object": map[string]any{"id": bob.ActorID() + "/f2"}}, http.StatusAccepted)
	if n, _ := s.store.CountFollowers(ctx, news); n != 0 {
		t.Errorf("followers of news = %d after the Undo, want 0", n)
	}
}
