package activitypubtest

import (
	"context"

	"github.com/fedsite/fedsite/activitypub"
)

// Actors returns an ActorSource of a fixed set of site actors: it serves each of actors under its
// Username and answers [activitypub.ErrNotFound] for any other name. A site's own ActorSource
// reads its actors from where it keeps them; Actors is for tests and examples.
func Actors(actors ...activitypub.Actor) activitypub.ActorSource {
	return activitypub.ActorSourceFunc(func(_ context.Context, username string) (*activitypub.Actor, error) {
		for _, a := range actors {
			if a.Username == username {
				return &a, nil
			}
		}
		return nil, activitypub.ErrNotFound
	})
}
