package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// An Engine over the in-memory store delivers an activity to every follower inbox.
func Example() {
	ctx := context.Background()
	got := make(chan string, 1)
	inbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Content-Type")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer inbox.Close()

	st := memstore.New()
	const actor = "https://news.example/ap/users/news"
	st.PutObject(ctx, store.Object{ID: actor + "/create/1", ActorID: actor, Type: "Create", Document: []byte(`{"type":"Create"}`)})
	st.AddFollower(ctx, store.Follower{ActorID: actor, FollowerID: "https://remote.example/u/ann", Inbox: inbox.URL + "/inbox"})
	key, _ := signing.GenerateKey()

	eng, err := delivery.New(delivery.Config{
		Store: st, Inboxes: st, Documents: st, Followers: st,
		Keys: func(ctx context.Context, actorID string) (signing.Key, error) {
			return signing.Key{ID: actorID + "#main-key", Signer: key}, nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go eng.Run(ctx)

	// Publishing enqueues one fan-out job and returns.
	if err := eng.Enqueue(ctx, delivery.Activity{ID: actor + "/create/1", ActorID: actor}); err != nil {
		fmt.Println(err)
		return
	}
	select {
	case ct := <-got:
		fmt.Println("delivered as", ct)
	case <-time.After(5 * time.Second):
		fmt.Println("not delivered")
	}
	// Output: delivered as application/activity+json
}
