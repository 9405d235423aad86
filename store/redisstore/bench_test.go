package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/storetest"
)

const (
	benchActor     = "https://news.example/actors/desk"
	benchFollowers = 1_000_000
	benchHosts     = 10_000
)

// benchStore returns a Store under a fresh prefix on the server named by FEDSITE_TEST_REDIS_URL,
// deleting its keys when b ends.
func benchStore(b *testing.B) *Store {
	b.Helper()
	u := os.Getenv("FEDSITE_TEST_REDIS_URL")
	if u == "" {
		b.Skip("set FEDSITE_TEST_REDIS_URL (such as redis://127.0.0.1:6379/0) to run the Redis benchmarks")
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		b.Fatal(err)
	}
	c := redis.NewClient(opt)
	b.Cleanup(func() { c.Close() })
	var r [8]byte
	rand.Read(r[:])
	prefix := "fedsitebench:" + hex.EncodeToString(r[:]) + ":"
	s, err := New(Config{Client: c, Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx := context.Background()
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, prefix+"*", 10_000).Result()
			if err != nil {
				b.Errorf("cleaning up: %v", err)
				return
			}
			if len(keys) > 0 {
				c.Unlink(ctx, keys...)
			}
			if cursor = next; cursor == 0 {
				return
			}
		}
	})
	return s
}

// benchFollower is follower i of benchHosts hosts, each with a shared inbox.
func benchFollower(i int) store.Follower {
	h := fmt.Sprintf("https://h%05d.example", i%benchHosts)
	u := fmt.Sprintf("%s/users/u%07d", h, i)
	return store.Follower{ActorID: benchActor, FollowerID: u, Inbox: u + "/inbox", SharedInbox: h + "/inbox", FollowID: u + "/follow"}
}

// load adds benchFollowers followers through the add-follower script in pipelined batches.
func load(b *testing.B, s *Store) {
	b.Helper()
	ctx := context.Background()
	if err := s.sc.addFollower.Load(ctx, s.c).Err(); err != nil {
		b.Fatal(err)
	}
	const batch = 5000
	for start := 0; start < benchFollowers; start += batch {
		_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+batch, benchFollowers); i++ {
				keys, args, err := s.addFollowerArgs(benchFollower(i))
				if err != nil {
					return err
				}
				s.sc.addFollower.EvalSha(ctx, p, keys, args...)
			}
			return nil
		})
		if err != nil {
			b.Fatalf("loading followers from %d: %v", start, err)
		}
	}
	if n, err := s.CountFollowers(ctx, benchActor); err != nil || n != benchFollowers {
		b.Fatalf("after loading, CountFollowers = %d, %v; want %d", n, err, benchFollowers)
	}
}

func BenchmarkAddFollower(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	i := 0
	for b.Loop() {
		if err := s.AddFollower(ctx, benchFollower(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkLoad1M measures the pipelined load the other benchmarks start with.
func BenchmarkLoad1M(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s := benchStore(b)
		b.StartTimer()
		load(b, s)
	}
}

// BenchmarkFollowersPage1M walks every page of 1M followers, 1000 a page.
func BenchmarkFollowersPage1M(b *testing.B) {
	s := benchStore(b)
	load(b, s)
	storetest.BenchFollowersWalk(b, s, benchActor, benchFollowers)
}

// BenchmarkDeliveryInboxes1M iterates the distinct inboxes of 1M followers on 10k hosts.
func BenchmarkDeliveryInboxes1M(b *testing.B) {
	s := benchStore(b)
	load(b, s)
	storetest.BenchDeliveryInboxes(b, s, benchActor, benchHosts)
}
