package activitypub_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store/memstore"
)

// The site decides which of its users may act as which actor: its sign-in puts the user in the
// request's context with WithUser, and every method that acts as an actor asks Config.Authorize
// before doing anything.
func ExampleWithUser() {
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   memstore.New(),
		Actors: activitypub.ActorSourceFunc(func(ctx context.Context, name string) (*activitypub.Actor, error) {
			return &activitypub.Actor{Username: name}, nil
		}),
		// Writers publish as themselves; the desk editor as anyone.
		Authorize: func(ctx context.Context, act activitypub.Act) bool {
			return act.User == "desk-editor" || act.User == act.Actor
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for _, try := range []struct{ user, actor, slug string }{
		{"dana-ortiz", "news", "a"},
		{"dana-ortiz", "dana-ortiz", "b"},
		{"desk-editor", "news", "c"},
	} {
		err := fed.Publish(activitypub.WithUser(ctx, try.user), try.actor, activitypub.Article{
			URL: "https://news.example.com/articles/" + try.slug, Title: "Story " + try.slug,
		})
		fmt.Printf("%s as @%s: forbidden=%v err=%v\n", try.user, try.actor, errors.Is(err, activitypub.ErrForbidden), err != nil)
	}
	// Output:
	// dana-ortiz as @news: forbidden=true err=true
	// dana-ortiz as @dana-ortiz: forbidden=false err=false
	// desk-editor as @news: forbidden=false err=false
}

// Backfill fills a new actor's outbox with the site's earlier articles, oldest first, without
// sending them to anyone.
func ExampleFederation_Backfill() {
	st := memstore.New()
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   st,
		Actors: activitypub.ActorSourceFunc(func(ctx context.Context, name string) (*activitypub.Actor, error) {
			return &activitypub.Actor{Username: name}, nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	day := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	err = fed.Backfill(ctx, "news", []activitypub.Article{
		{URL: "https://news.example.com/articles/second", Title: "Second story", Published: day.Add(24 * time.Hour)},
		{URL: "https://news.example.com/articles/first", Title: "First story", Published: day},
	})
	if err != nil {
		log.Fatal(err)
	}
	page, err := st.OutboxPage(ctx, fed.ActorID("news"), "", 10)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range page.Items { // newest first
		a, _ := vocab.Decode(o.Document)
		fmt.Println(a.Type.First(), a.Object.Object.Name, a.Published.Format(time.DateOnly))
	}
	// Output:
	// Create Second story 2026-11-02
	// Create First story 2026-11-01
}
