package memstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
	"github.com/fedsite/fedsite/store/storetest"
)

const (
	benchActor     = "https://news.example/actors/desk"
	benchFollowers = 1_000_000
	benchHosts     = 10_000
)

// benchFollower is follower i of benchHosts hosts, each with a shared inbox.
func benchFollower(i int) store.Follower {
	h := fmt.Sprintf("https://h%05d.example", i%benchHosts)
	u := fmt.Sprintf("%s/users/u%07d", h, i)
	return store.Follower{ActorID: benchActor, FollowerID: u, Inbox: u + "/inbox", SharedInbox: h + "/inbox", FollowID: u + "/follow"}
}

// loaded returns a store holding benchFollowers followers of benchActor.
func loaded(b *testing.B) *memstore.Store {
	b.Helper()
	ctx := context.Background()
	s := memstore.New()
	for i := range benchFollowers {
		if err := s.AddFollower(ctx, benchFollower(i)); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkAddFollower(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	i := 0
	for b.Loop() {
		if err := s.AddFollower(ctx, benchFollower(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkFollowersPage1M walks every page of 1M followers, 1000 a page.
func BenchmarkFollowersPage1M(b *testing.B) {
	storetest.BenchFollowersWalk(b, loaded(b), benchActor, benchFollowers)
}

// BenchmarkDeliveryInboxes1M iterates the distinct inboxes of 1M followers on 10k hosts.
func BenchmarkDeliveryInboxes1M(b *testing.B) {
	storetest.BenchDeliveryInboxes(b, loaded(b), benchActor, benchHosts)
}
