package activitypub

import (
	"context"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

// ActorStats are the numbers an actor's profile shows.
type ActorStats struct {
	// Followers is how many remote actors follow the actor.
	Followers int
	// Posts is how many activities its outbox holds: its articles and boosts, deleted ones left
	// out, as its outbox's totalItems and NodeInfo's local posts count them.
	Posts int
}

// ActorStats returns the follower and post counts of the site actor username. An unknown actor is
// an error matching ErrNotFound. Without the store's counting capabilities (see
// store.CountFollowers) it walks the lists, a read per 500 entries.
func (f *Federation) ActorStats(ctx context.Context, username string) (ActorStats, error) {
	a, err := f.actors.lookup(ctx, username)
	if err != nil {
		return ActorStats{}, err
	}
	id := f.urls.actor(a.Username)
	var s ActorStats
	if s.Followers, err = store.CountFollowers(ctx, f.cfg.Store, id); err != nil {
		return ActorStats{}, fmt.Errorf("activitypub: followers of %s: %w", username, err)
	}
	if s.Posts, err = store.CountOutbox(ctx, f.cfg.Store, id); err != nil {
		return ActorStats{}, fmt.Errorf("activitypub: outbox of %s: %w", username, err)
	}
	return s, nil
}

// FollowerSummary returns what the operator overview shows of the followers of the site actor
// username: their number, the hosts most of them are on (at most hosts of them) and how many
// started following on each day since since (see store.FollowerSummary). An unknown actor is an
// error matching ErrNotFound. Without the store's store.FollowerSummarizer it walks the
// followers, a read per 500.
func (f *Federation) FollowerSummary(ctx context.Context, username string, since time.Time, hosts int) (store.FollowerSummary, error) {
	a, err := f.actors.lookup(ctx, username)
	if err != nil {
		return store.FollowerSummary{}, err
	}
	s, err := store.SummarizeFollowers(ctx, f.cfg.Store, f.urls.actor(a.Username), since, hosts)
	if err != nil {
		return store.FollowerSummary{}, fmt.Errorf("activitypub: followers of %s: %w", username, err)
	}
	return s, nil
}
