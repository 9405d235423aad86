package activitypub_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// A site hands fediverse replies to its comment system with InboxOptions and shows the counts and
// replies fedsite keeps per article; a locked actor's follow requests wait for ApproveFollow or
// RejectFollow.
func ExampleInboxOptions() {
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   memstore.New(),
		Actors:  activitypubtest.Actors(activitypub.Actor{Username: "news", Name: "Example News", ManuallyApprovesFollowers: true}),
		Inbox: activitypub.InboxOptions{
			OnReply: func(ctx context.Context, r activitypub.Reply) {
				fmt.Println("comment by", r.AuthorID, "on", r.InReplyTo, ":", r.Content) // already sanitized
			},
			OnFollowRequest: func(ctx context.Context, r store.FollowRequest) {
				fmt.Println("follow request from", r.FollowerID)
			},
			OnFlag: func(ctx context.Context, r activitypub.Report) {
				fmt.Println("report from", r.ReporterID, "about", r.Objects)
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	const article = "https://news.example.com/articles/hello"
	if err := fed.Publish(ctx, "news", activitypub.Article{URL: article, Title: "Hello", Content: "<p>Hi.</p>"}); err != nil {
		log.Fatal(err)
	}
	counts, err := fed.Counts(ctx, article)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("likes %d, boosts %d, replies %d\n", counts.Likes, counts.Announces, counts.Replies)
	replies, err := fed.Interactions(ctx, article, store.InteractionReply, "", 20)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("replies listed:", len(replies.Items))
	err = fed.ApproveFollow(ctx, "news", "https://social.example/users/nobody")
	fmt.Println("approve a request never made:", errors.Is(err, activitypub.ErrNotFound))
	// Output:
	// likes 0, boosts 0, replies 0
	// replies listed: 0
	// approve a request never made: true
}
