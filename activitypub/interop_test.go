package activitypub_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
	"github.com/fedsite/fedsite/store/memstore"
)

// inboxPost is one POST to the site under test as the server answered it.
type inboxPost struct {
	rfc9421 bool // the request carried Signature-Input
	body    []byte
	status  int
}

// postLog records the POSTs the site under test answers: its wrap is startSite's.
type postLog struct {
	t     *testing.T
	mu    sync.Mutex
	posts []inboxPost
}

func (l *postLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			l.t.Error(err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		l.mu.Lock()
		l.posts = append(l.posts, inboxPost{rfc9421: r.Header.Get("Signature-Input") != "", body: body, status: rec.status})
		l.mu.Unlock()
	})
}

// all returns the POSTs recorded so far, oldest first.
func (l *postLog) all() []inboxPost {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.posts)
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
	log := &postLog{t: t}
	s := startSite(t, memstore.New(), nil, nil, log.wrap)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	newsID := s.fed.ActorID("news")
	peer.FollowAccepted(ctx, t, newsID)
	posts := log.all()
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
