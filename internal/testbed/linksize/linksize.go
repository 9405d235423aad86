package linksize

import (
	"context"
	"net/http"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
)

// Serve runs a Federation with one Organization actor over st on 127.0.0.1:8080 until the server
// fails.
func Serve(ctx context.Context, st store.Store) error {
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: "http://127.0.0.1:8080",
		Store:   st,
		Actors: activitypub.ActorSourceFunc(func(ctx context.Context, name string) (*activitypub.Actor, error) {
			if name != "news" {
				return nil, activitypub.ErrNotFound
			}
			return &activitypub.Actor{Username: "news", Type: "Organization", Name: "News"}, nil
		}),
	})
	if err != nil {
		return err
	}
	go fed.Run(ctx)
	return http.ListenAndServe("127.0.0.1:8080", fed.Middleware(http.NotFoundHandler()))
}
