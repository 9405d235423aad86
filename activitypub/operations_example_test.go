package activitypub_test

import (
	"context"
	"fmt"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/store"
)

// An editor takes a reply off the article's page: it is no longer listed nor counted among the
// replies, but kept, and may be shown again.
func ExampleOperations_HideReply() {
	fed, rec, err := activitypubtest.NewFederation(activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
		if name != "news" {
			return nil, activitypub.ErrNotFound
		}
		return &activitypub.Actor{Username: name, Name: "News"}, nil
	}))
	if err != nil {
		panic(err)
	}
	defer rec.Close()
	ctx := activitypub.WithUser(context.Background(), "editor") // audited as the editor's
	article := activitypubtest.BaseURL + "/articles/river"
	if err := fed.Publish(ctx, "news", activitypub.Article{URL: article, Title: "River path"}); err != nil {
		panic(err)
	}
	reply, err := rec.NewAccount("bob").Reply(ctx, article, "<p>Cheap tickets here</p>")
	if err != nil {
		panic(err)
	}
	if err := fed.Operations().HideReply(ctx, reply.Object.ID(), true); err != nil {
		panic(err)
	}
	counts, _ := fed.Counts(ctx, article)
	hidden, _ := fed.Interactions(ctx, article, store.InteractionHiddenReply, "", 10)
	fmt.Println(counts.Replies, "replies shown,", len(hidden.Items), "hidden")
	// Output: 0 replies shown, 1 hidden
}
