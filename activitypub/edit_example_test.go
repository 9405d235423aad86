package activitypub_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store/memstore"
)

// An edit sends the whole article again with a later updated date; a delete sends a Tombstone,
// after which the article's URL answers AS2 requests with 410 Gone.
func ExampleFederation_Update() {
	published := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   memstore.New(),
		Now:     func() time.Time { return published.Add(2 * time.Hour) },
		Actors:  activitypubtest.Actors(activitypub.Actor{Username: "news", Name: "Example News"}),
	})
	if err != nil {
		log.Fatal(err)
	}
	handler := fed.Middleware(http.NotFoundHandler())
	get := func() {
		req := httptest.NewRequest(http.MethodGet, "https://news.example.com/articles/vote", nil)
		req.Header.Set("Accept", vocab.MediaType)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		o, _ := vocab.Decode(rec.Body.Bytes())
		fmt.Println(rec.Code, o.Type.First(), o.Name, o.Updated.Format(time.RFC3339))
	}

	ctx := context.Background()
	a := activitypub.Article{URL: "https://news.example.com/articles/vote", Title: "Council votes", Published: published}
	if err := fed.Publish(ctx, "news", a); err != nil {
		log.Fatal(err)
	}
	a.Title = "Council votes 31 to 9"
	if err := fed.Update(ctx, "news", a); err != nil {
		log.Fatal(err)
	}
	get()
	if err := fed.Delete(ctx, "news", a.URL); err != nil {
		log.Fatal(err)
	}
	get()
	fmt.Println(fed.Update(ctx, "news", a))
	// Output:
	// 200 Article Council votes 31 to 9 2026-03-01T11:00:00Z
	// 410 Tombstone  0001-01-01T00:00:00Z
	// activitypub: update https://news.example.com/articles/vote: deleted: store: not found
}
