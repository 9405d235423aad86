package activitypubtest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/store"
)

// A site's test: a reader follows @news, an editor publishes, and the reader's server gets the
// Create. The README shows this example.
func Example() {
	ctx := context.Background()
	fed, rec, err := activitypubtest.NewFederation(siteActors) // the site's own ActorSource
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Close()
	if _, err := rec.NewAccount("carol@social.example").Follow(ctx, fed.ActorID("news")); err != nil {
		log.Fatal(err)
	}
	link := activitypubtest.BaseURL + "/articles/bridge"
	if err := fed.Publish(ctx, "news", activitypub.Article{URL: link, Title: "Bridge reopens"}); err != nil {
		log.Fatal(err)
	}
	create, err := rec.WaitFor(ctx, activitypubtest.About("Create", link))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(create.Inbox, create.Object.Name, create.Signer)
	// Output: https://social.example/inbox Bridge reopens https://news.example/ap/users/news
}

// A reply from the fediverse goes through the site's real inbox, signature check included, and
// reaches the site's OnReply hook before Reply returns.
func ExampleAccount_Reply() {
	ctx := context.Background()
	fed, rec, err := activitypubtest.NewFederation(siteActors, func(cfg *activitypub.Config) {
		cfg.Inbox.OnReply = func(_ context.Context, r activitypub.Reply) {
			fmt.Printf("%s replied to %s: %s\n", r.Author.Handle, r.InReplyTo, r.Content)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Close()
	article := activitypub.Article{URL: activitypubtest.BaseURL + "/articles/bridge", Title: "Bridge reopens"}
	if err := fed.Publish(ctx, "news", article); err != nil {
		log.Fatal(err)
	}
	if _, err := rec.NewAccount("carol").Reply(ctx, article.URL, "<p>At last!</p>"); err != nil {
		log.Fatal(err)
	}
	// Output: @carol@social.example replied to https://news.example/articles/bridge: <p>At last!</p>
}

// A follower's server that is gone answers 410: the site drops the follower and tells
// OnFollowersGone, and after Settle the delivery status says so.
func ExampleRecorder_Respond() {
	ctx := context.Background()
	fed, rec, err := activitypubtest.NewFederation(siteActors, func(cfg *activitypub.Config) {
		cfg.OnFollowersGone = func(_ context.Context, inbox string, removed []store.Follower) {
			fmt.Println("gone:", inbox, len(removed))
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Close()
	carol := rec.NewAccount("carol")
	if _, err := carol.Follow(ctx, fed.ActorID("news")); err != nil {
		log.Fatal(err)
	}
	rec.Respond(carol.SharedInbox(), http.StatusGone)
	article := activitypub.Article{URL: activitypubtest.BaseURL + "/articles/bridge", Title: "Bridge reopens"}
	if err := fed.Publish(ctx, "news", article); err != nil {
		log.Fatal(err)
	}
	if err := rec.Settle(ctx); err != nil {
		log.Fatal(err)
	}
	st, err := fed.DeliveryStatus(ctx, article.URL)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("failed: %d, %s\n", st.Total.Failed, st.Hosts[0].LastError)
	// Output:
	// gone: https://social.example/inbox 1
	// failed: 1, delivery: https://social.example/inbox answered 410
}
