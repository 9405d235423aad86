package activitypub_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestPublishReturnsAtOnce: with 50,000 followers and no worker running, Publish stores the
// activity and one fan-out job and returns within 50 ms.
func TestPublishReturnsAtOnce(t *testing.T) {
	ctx := t.Context()
	st := memstore.New()
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.test", Store: st,
		Actors: activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			return &activitypub.Actor{Username: name}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	actor := fed.ActorID("news")
	for i := range 50_000 {
		f := store.Follower{ActorID: actor, FollowerID: fmt.Sprintf("https://h%d.test/u/%d", i%5000, i),
			Inbox: fmt.Sprintf("https://h%d.test/u/%d/inbox", i%5000, i), SharedInbox: fmt.Sprintf("https://h%d.test/inbox", i%5000)}
		if err := st.AddFollower(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if err := fed.Publish(ctx, "news", activitypub.Article{URL: "https://news.test/a/1", Title: "One"}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("Publish took %v with 50,000 followers, want under 50 ms", d)
	}
	s, err := fed.DeliveryStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Queue != (store.QueueDepth{Ready: 1}) {
		t.Errorf("queue %+v, want the one fan-out job", s.Queue)
	}
}

// TestDeliveryStatus: after a Publish is delivered, DeliveryStatus reports it per host and
// DeliveryStats counts it.
func TestDeliveryStatus(t *testing.T) {
	ctx := t.Context()
	s := newTestSite(t)
	alice := activitypubtest.NewRemote(t, "alice")
	newsID := s.fed.ActorID("news")
	follow := map[string]any{
		"@context": vocab.ContextActivityStreams, "id": alice.ActorID() + "/follows/1",
		"type": "Follow", "actor": alice.ActorID(), "object": newsID,
	}
	if resp := alice.Post(newsID+"/inbox", follow); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: status %d", resp.StatusCode)
	}
	alice.WaitFor("Accept")
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
