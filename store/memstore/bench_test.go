package memstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
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
	ctx := context.Background()
	s := loaded(b)
	for b.Loop() {
		n, cursor := 0, ""
		for {
			p, err := s.FollowersPage(ctx, benchActor, cursor, 1000)
			if err != nil {
				b.Fatal(err)
			}
			n += len(p.Items)
			if p.Next == "" {
				break
			}
			cursor = p.Next
		}
		if n != benchFollowers {
			b.Fatalf("walked %d followers, want %d", n, benchFollowers)
		}
	}
	b.ReportMetric(float64(benchFollowers)*float64(b.N)/b.Elapsed().Seconds(), "followers/s")
}

// BenchmarkDeliveryInboxes1M iterates the distinct inboxes of 1M followers on 10k hosts.
func BenchmarkDeliveryInboxes1M(b *testing.B) {
	ctx := context.Background()
	s := loaded(b)
	for b.Loop() {
		n, after := 0, ""
		for {
			batch, err := s.DeliveryInboxes(ctx, benchActor, after, 1000)
			if err != nil {
				b.Fatal(err)
			}
			if len(batch) == 0 {
				break
			}
			n += len(batch)
			after = batch[len(batch)-1]
		}
		if n != benchHosts {
			b.Fatalf("iterated %d inboxes, want %d", n, benchHosts)
		}
	}
}
