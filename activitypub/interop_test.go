package activitypub_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
	"github.com/fedsite/fedsite/store/memstore"
)

// inboxPost is one POST to an inbox as the server answered it.
type inboxPost struct {
	rfc9421 bool // the request carried Signature-Input
	status  int
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// TestFedifyRFC9421FirstKnock checks that fedsite verifies Fedify's RFC 9421 signature directly:
// Fedify signs its Follow with RFC 9421 first and falls back to draft-cavage only after a 4xx,
// so the first inbox POST must carry Signature-Input and be answered 202, with no second knock.
// It runs with FEDSITE_FEDIFY=1 (CI sets it).
func TestFedifyRFC9421FirstKnock(t *testing.T) {
	peer := fedifypeer.StartForTest(t)
	var mu sync.Mutex
	var posts []inboxPost
	s := startSite(t, memstore.New(), nil, nil, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost {
				next.ServeHTTP(w, r)
				return
			}
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			mu.Lock()
			posts = append(posts, inboxPost{rfc9421: r.Header.Get("Signature-Input") != "", status: rec.status})
			mu.Unlock()
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	newsID := s.fed.ActorID("news")
	if _, err := peer.Follow(ctx, newsID); err != nil {
		t.Fatalf("Fedify follow: %v", err)
	}
	if _, err := peer.WaitFor(ctx, func(a fedifypeer.Activity) bool { return a.Type == "Accept" }); err != nil {
		t.Fatalf("no Accept reached Fedify: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 1 {
		t.Fatalf("inbox POSTs = %+v, want exactly one (no fallback knock)", posts)
	}
	if !posts[0].rfc9421 || posts[0].status != http.StatusAccepted {
		t.Fatalf("first knock: RFC 9421 = %v, status %d; want an RFC 9421 request answered 202", posts[0].rfc9421, posts[0].status)
	}
	if n, _ := s.store.CountFollowers(ctx, newsID); n != 1 {
		t.Fatalf("followers = %d, want 1", n)
	}
}
