package activitypub_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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

// TestFailedActivityForgottenQuietly: when an activity fails, its id is forgotten, so the retry
// is processed, and no warning is logged for a forget that worked.
func TestFailedActivityForgottenQuietly(t *testing.T) {
	var logs lockedBuffer
	flaky := &flakyStore{Store: memstore.New()}
	s := newSiteWith(t, flaky, func(c *activitypub.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	alice := activitypubtest.NewRemote(t, "alice")
	newsID := s.fed.ActorID("news")
	body := mustJSONBytes(map[string]any{"id": alice.ActorID() + "/follows/1", "type": "Follow", "actor": alice.ActorID(), "object": newsID})
	key := alice.Key()
	flaky.failing.Store(true)
	if c := postSigned(t, s, newsID+"/inbox", body, &key, time.Now(), nil); c != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", c)
	}
	flaky.failing.Store(false)
	if c := postSigned(t, s, newsID+"/inbox", body, &key, time.Now(), nil); c != http.StatusAccepted {
		t.Fatalf("retry: status %d, want 202", c)
	}
	if strings.Contains(logs.String(), "forget seen") {
		t.Errorf("a forget that worked was logged as failing:\n%s", logs.String())
	}
}
