package activitypub_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store/memstore"
)

// BenchmarkServeActor measures an actor document with profile fields, aliases and attribution
// domains, including the store read for a recorded move; BenchmarkServeFeatured the featured
// collection with four pinned articles.
func BenchmarkServeActor(b *testing.B) {
	h := benchFederation(b)
	benchGET(b, h, "https://news.example.com/ap/users/news")
}

func BenchmarkServeFeatured(b *testing.B) {
	h := benchFederation(b)
	benchGET(b, h, "https://news.example.com/ap/users/news/featured")
}

func benchFederation(b *testing.B) http.Handler {
	b.Helper()
	pinned := []string{}
	for _, s := range []string{"a", "b", "c", "d"} {
		pinned = append(pinned, "https://news.example.com/articles/"+s)
	}
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   memstore.New(),
		Actors: activitypub.ActorSourceFunc(func(context.Context, string) (*activitypub.Actor, error) {
			return &activitypub.Actor{Username: "news", Type: "Organization", Name: "News",
				Fields:             []activitypub.Field{{Name: "Website", Value: "https://news.example.com/"}, {Name: "Beat", Value: "City"}},
				AttributionDomains: []string{"news.example.com"}, AlsoKnownAs: []string{"https://old.example/users/news"},
				Featured: pinned}, nil
		}),
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, u := range pinned {
		if err := fed.Publish(context.Background(), "news", activitypub.Article{URL: u, Title: "Story", Content: "<p>Text.</p>"}); err != nil {
			b.Fatal(err)
		}
	}
	return fed.Middleware(http.NotFoundHandler())
}

func benchGET(b *testing.B, h http.Handler, u string) {
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept", vocab.MediaType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
