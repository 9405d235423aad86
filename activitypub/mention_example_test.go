package activitypub_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/store/memstore"
)

// A site turns the posts that mention its actors, and the direct messages they receive, into its
// tip line: OnMention hands each to the newsroom's queue as it arrives, and Mentions lists an
// actor's inbox for the editors' page. Private ones (followers-only or direct) never go on a
// public page.
func ExampleFederation_Mentions() {
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   memstore.New(),
		Actors:  activitypubtest.Actors(activitypub.Actor{Username: "news", Name: "Example News"}),
		Inbox: activitypub.InboxOptions{
			OnMention: func(ctx context.Context, m activitypub.InboxMention) {
				if m.Visibility.Private() {
					fmt.Println("private message for", m.ActorID, "from", m.AuthorID)
					return
				}
				fmt.Println("public mention of", m.ActorID, "by", m.AuthorID, ":", m.Content) // already sanitized
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	inbox, err := fed.Mentions(ctx, "news", "", 20)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("in the inbox of @news:", len(inbox.Items))
	_, err = fed.Mentions(ctx, "nobody", "", 20)
	fmt.Println("an unknown actor:", errors.Is(err, activitypub.ErrNotFound))
	// Output:
	// in the inbox of @news: 0
	// an unknown actor: true
}
