package activitypub_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// publishSetup is a Federation on memstore whose actor @news has n followers on n/10 hosts.
func publishSetup(tb testing.TB, n int) *activitypub.Federation {
	ctx := context.Background()
	st := memstore.New()
	fed := newFederation(tb, activitypub.Config{BaseURL: "https://news.test", Store: st})
	actor := fed.ActorID("news")
	hosts := max(n/10, 1)
	for i := range n {
		f := store.Follower{ActorID: actor, FollowerID: fmt.Sprintf("https://h%d.test/u/%d", i%hosts, i),
			Inbox: fmt.Sprintf("https://h%d.test/u/%d/inbox", i%hosts, i), SharedInbox: fmt.Sprintf("https://h%d.test/inbox", i%hosts)}
		if err := st.AddFollower(ctx, f); err != nil {
			tb.Fatal(err)
		}
	}
	return fed
}

// TestPublishReturnsAtOnce: with 50,000 followers and no worker running, Publish stores the
// activity and queues one fan-out job, whatever the follower count; the fan-out happens in Run.
// How long it takes is measured by BenchmarkPublish.
func TestPublishReturnsAtOnce(t *testing.T) {
	fed := publishSetup(t, 50_000)
	if err := fed.Publish(t.Context(), "news", activitypub.Article{URL: "https://news.test/a/1", Title: "One"}); err != nil {
		t.Fatal(err)
	}
	s, err := fed.DeliveryStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.Queue != (store.QueueDepth{Ready: 1}) {
		t.Errorf("queue %+v, want the one fan-out job", s.Queue)
	}
}

// BenchmarkPublish measures Publish with 50,000 followers (the target is under 50 ms, whatever
// the follower count).
func BenchmarkPublish(b *testing.B) {
	fed := publishSetup(b, 50_000)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if err := fed.Publish(ctx, "news", activitypub.Article{URL: fmt.Sprintf("https://news.test/a/%d", i), Title: "One"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDeliveryStatus: after a Publish is delivered, DeliveryStatus reports it per host and
// DeliveryStats counts it.
func TestDeliveryStatus(t *testing.T) {
	ctx := t.Context()
	s := newTestSite(t)
	alice := activitypubtest.NewRemote(t, "alice")
	newsID := s.fed.ActorID("news")
	follow(t, s, alice, newsID, "1")
	url := s.url("/articles/status")
	if err := s.fed.Publish(ctx, "news", activitypub.Article{URL: url, Title: "Status"}); err != nil {
		t.Fatal(err)
	}
	alice.WaitFor("Create")
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := s.fed.DeliveryStatus(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if st.Total.Delivered == 1 && len(st.Hosts) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v, want one delivered", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stats, err := s.fed.DeliveryStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Delivered < 2 { // the Accept and the Create
		t.Errorf("stats %+v, want at least 2 delivered", stats)
	}
}

// TestDefaultDeliveryAttempts checks that a Federation left to its defaults gives a delivery the
// 16 attempts of delivery's default schedule. The clock stands still in the past, so the retries
// are due at once and the schedule's days pass in no time; the breaker, which would hold them on
// that clock, is off.
func TestDefaultDeliveryAttempts(t *testing.T) {
	ctx := t.Context()
	var hits atomic.Int32
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	st := memstore.New()
	then := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	fed := newFederation(t, activitypub.Config{
		BaseURL: "https://news.test", Store: st,
		Insecure: loopback(),
		Delivery: delivery.Options{BreakerThreshold: -1},
		Now:      func() time.Time { return then },
	})
	if err := st.AddFollower(ctx, store.Follower{ActorID: fed.ActorID("news"), FollowerID: down.URL + "/u/a", Inbox: down.URL + "/inbox"}); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { fed.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	if err := fed.Publish(ctx, "news", activitypub.Article{URL: "https://news.test/articles/down", Title: "Down"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := fed.DeliveryStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Failed == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v after %d attempts, want the delivery given up", s, hits.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := hits.Load(); n != 16 {
		t.Errorf("%d attempts, want the default schedule's 16", n)
	}
}
