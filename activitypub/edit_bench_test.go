package activitypub_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// BenchmarkDelete measures Delete of an article delivered to 10,000 inboxes, half of which no
// longer follow: it reads the delivery records and the follower inboxes to find the former
// recipients and queues a delivery to each of them (nothing is sent: Run is not running).
func BenchmarkDelete(b *testing.B) {
	const inboxes = 10000
	ctx := context.Background()
	st := memstore.New()
	fed := newFederation(b, activitypub.Config{BaseURL: "https://news.example.com", Store: st})
	actorID := fed.ActorID("news")
	for i := range inboxes / 2 {
		err := st.AddFollower(ctx, store.Follower{ActorID: actorID, FollowerID: fmt.Sprintf("https://h%d.example/u", i),
			Inbox: fmt.Sprintf("https://h%d.example/inbox", i)})
		if err != nil {
			b.Fatal(err)
		}
	}
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		url := fmt.Sprintf("https://news.example.com/articles/%d", n)
		if err := fed.Publish(ctx, "news", activitypub.Article{URL: url, Title: "T"}); err != nil {
			b.Fatal(err)
		}
		for i := range inboxes {
			err := st.RecordDelivery(ctx, store.DeliveryRecord{ObjectID: url, ActivityID: url + "#create",
				Inbox: fmt.Sprintf("https://h%d.example/inbox", i), Host: fmt.Sprintf("h%d.example", i), State: store.DeliveryDelivered})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if err := fed.Delete(ctx, "news", url); err != nil {
			b.Fatal(err)
		}
	}
}
