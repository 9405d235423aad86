package activitypub_test

import (
	"context"
	"fmt"
	"log"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// A moderator blocks a spam server and one troll elsewhere. The blocks are kept in the store, so
// every instance sharing it applies them and they outlive a restart; the followers they cover
// are removed and reported to OnFollowersGone.
func ExampleFederation_BlockDomain() {
	st := memstore.New()
	ctx := context.Background()
	// A follower on the spam server, recorded before the block.
	err := st.AddFollower(ctx, store.Follower{
		ActorID:    "https://news.example.com/ap/users/news",
		FollowerID: "https://spam.example/users/bot",
		Inbox:      "https://spam.example/users/bot/inbox",
	})
	if err != nil {
		log.Fatal(err)
	}
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   st,
		Actors: activitypub.ActorSourceFunc(func(ctx context.Context, name string) (*activitypub.Actor, error) {
			return &activitypub.Actor{Username: name}, nil
		}),
		OnFollowersGone: func(ctx context.Context, inbox string, removed []store.Follower) {
			for _, f := range removed {
				fmt.Println("no longer a follower:", f.FollowerID)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The site's authentication puts the signed-in moderator in the context.
	ctx = activitypub.WithUser(ctx, "moderator-7")
	if err := fed.BlockDomain(ctx, "spam.example", "bulk spam"); err != nil {
		log.Fatal(err)
	}
	if err := fed.BlockActor(ctx, "https://social.example/users/troll", "harassment"); err != nil {
		log.Fatal(err)
	}
	blocks, err := fed.Blocks(ctx, "", 10)
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range blocks.Items {
		fmt.Printf("%s blocked by %s: %s\n", b.Target(), b.CreatedBy, b.Reason)
	}
	// Output:
	// no longer a follower: https://spam.example/users/bot
	// https://social.example/users/troll blocked by moderator-7: harassment
	// spam.example blocked by moderator-7: bulk spam
}
