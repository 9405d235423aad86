package activitypub_test

import (
	"context"
	"fmt"
	"log"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
)

// An article states who may quote it in its interactionPolicy, as Mastodon 4.5 reads it: by
// default the public; after SetQuotePolicy with QuoteNobody, only its own actor. Here a reader's
// server in activitypubtest's in-process fediverse fetches the article as a remote server would.
func ExampleFederation_SetQuotePolicy() {
	ctx := context.Background()
	fed, rec, err := activitypubtest.NewFederation(activitypubtest.Actors(activitypub.Actor{Username: "news", Name: "Example News"}))
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Close()
	reader := rec.NewAccount("carol@social.example")
	url := activitypubtest.BaseURL + "/articles/vote"
	canQuote := func() {
		o, err := reader.Fetch(ctx, url)
		if err != nil {
			log.Fatal(err)
		}
		var policy struct {
			CanQuote struct {
				AutomaticApproval vocab.Refs `json:"automaticApproval"`
			} `json:"canQuote"`
		}
		o.DecodeExtra("interactionPolicy", &policy)
		fmt.Println(policy.CanQuote.AutomaticApproval.IDs())
	}

	if err := fed.Publish(ctx, "news", activitypub.Article{URL: url, Title: "Council votes"}); err != nil {
		log.Fatal(err)
	}
	canQuote()
	if err := fed.SetQuotePolicy(ctx, "news", url, activitypub.QuoteNobody); err != nil {
		log.Fatal(err)
	}
	canQuote()
	// Output:
	// [https://www.w3.org/ns/activitystreams#Public]
	// [https://news.example/ap/users/news]
}
