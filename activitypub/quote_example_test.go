package activitypub_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store/memstore"
)

// An article states who may quote it in its interactionPolicy, as Mastodon 4.5 reads it: by
// default the public; after SetQuotePolicy with QuoteNobody, only its own actor.
func ExampleFederation_SetQuotePolicy() {
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   memstore.New(),
		Actors: activitypub.ActorSourceFunc(func(ctx context.Context, name string) (*activitypub.Actor, error) {
			if name != "news" {
				return nil, activitypub.ErrNotFound
			}
			return &activitypub.Actor{Username: "news", Name: "Example News"}, nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	handler := fed.Middleware(http.NotFoundHandler())
	canQuote := func() {
		req := httptest.NewRequest(http.MethodGet, "https://news.example.com/articles/vote", nil)
		req.Header.Set("Accept", vocab.MediaType)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		o, _ := vocab.Decode(rec.Body.Bytes())
		var policy struct {
			CanQuote struct {
				AutomaticApproval vocab.Refs `json:"automaticApproval"`
			} `json:"canQuote"`
		}
		o.DecodeExtra("interactionPolicy", &policy)
		fmt.Println(policy.CanQuote.AutomaticApproval.IDs())
	}

	ctx := context.Background()
	url := "https://news.example.com/articles/vote"
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
	// [https://news.example.com/ap/users/news]
}
