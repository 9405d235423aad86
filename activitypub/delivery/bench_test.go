package delivery

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/inboxfleet"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// BenchmarkFanOut delivers one activity to b.N inboxes on b.N distinct hosts (a loopback fleet
// that verifies one signature in 1000) over the memstore queue, RSA-2048 signed: the engine's cost
// per delivery, signing included. Compare with BenchmarkSign (signing alone). Deliveries of one
// object to one host go one at a time, so inboxes on distinct hosts are what a fan-out to shared
// inboxes looks like.
func BenchmarkFanOut(b *testing.B) {
	fleet, err := inboxfleet.Start(inboxfleet.Config{Key: testKey().Public(), KeyID: testActor + "#main-key", VerifyEvery: 1000})
	if err != nil {
		b.Fatal(err)
	}
	defer fleet.Close()
	ctx := context.Background()
	st := memstore.New()
	st.PutObject(ctx, store.Object{ID: testActivity, ActorID: testActor, Type: "Create", Document: []byte(`{"type":"Create"}`)})
	for i := range b.N {
		st.AddFollower(ctx, store.Follower{ActorID: testActor, FollowerID: fmt.Sprint("https://r.test/u/", i), Inbox: inboxfleet.Inbox(i, i)})
	}
	key := testKey()
	eng, err := New(Config{Store: st, Inboxes: st, Documents: st,
		Keys: func(context.Context, string) (signing.Key, error) {
			return signing.Key{ID: testActor + "#main-key", Signer: key}, nil
		},
		Client: inboxfleet.Client(fleet.Addr(), 64), Options: Options{PollInterval: 5 * time.Millisecond}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- eng.Run(ctx) }()
	b.ResetTimer()
	if err := eng.Enqueue(ctx, Activity{ID: testActivity, ActorID: testActor}); err != nil {
		b.Fatal(err)
	}
	for fleet.Distinct() < b.N {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	if bad := fleet.BadSignatures(); bad > 0 {
		b.Fatalf("%d bad signatures", bad)
	}
	cancel()
	<-done
}

// BenchmarkSign is the signing of one delivery alone, the bound of BenchmarkFanOut.
func BenchmarkSign(b *testing.B) {
	key := signing.Key{ID: testActor + "#main-key", Signer: testKey()}
	body := []byte(`{"type":"Create"}`)
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, "https://r.test/inbox", nil)
		if err := signing.Sign(req, key, body, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
