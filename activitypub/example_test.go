package activitypub_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store/memstore"
)

// A site keeps its own handler; fedsite wraps it, and the publish path calls Publish. An AS2
// request for the article's own URL then gets the Article, a browser the site's page.
func Example() {
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "https://news.example.com",
		Store:   memstore.New(),
		Actors: activitypub.ActorSourceFunc(func(ctx context.Context, name string) (*activitypub.Actor, error) {
			if name != "news" {
				return nil, activitypub.ErrNotFound
			}
			return &activitypub.Actor{Username: "news", Type: "Organization", Name: "Example News"}, nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	site := http.NewServeMux()
	site.HandleFunc("GET /articles/{slug}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<h1>The site's own page</h1>")
	})
	handler := fed.Middleware(site)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go fed.Run(ctx) // delivers to followers
	err = fed.Publish(ctx, "news", activitypub.Article{
		URL:     "https://news.example.com/articles/hello",
		Title:   "Hello, fediverse",
		Content: "<p>Our articles can now be followed from Mastodon.</p>",
	})
	if err != nil {
		log.Fatal(err)
	}

	for _, accept := range []string{"application/activity+json", "text/html"} {
		req := httptest.NewRequest(http.MethodGet, "https://news.example.com/articles/hello", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Header().Get("Content-Type") == vocab.MediaType {
			o, _ := vocab.Decode(rec.Body.Bytes())
			fmt.Println(accept, "→", o.Type.First(), o.Name)
		} else {
			fmt.Println(accept, "→", rec.Body.String())
		}
	}
	// Output:
	// application/activity+json → Article Hello, fediverse
	// text/html → <h1>The site's own page</h1>
}
