package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/redisstore"
	"github.com/fedsite/fedsite/store/storetest"
)

const envURL = "FEDSITE_TEST_REDIS_URL"

// testClient connects to the server named by FEDSITE_TEST_REDIS_URL. Without it the test is
// skipped; with it, an unreachable server skips locally and fails when CI=true.
func testClient(tb testing.TB) *redis.Client {
	tb.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		tb.Skipf("set %s (such as redis://127.0.0.1:6379/0) to run the Redis tests", envURL)
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		tb.Fatalf("%s=%q: %v", envURL, u, err)
	}
	c := redis.NewClient(opt)
	tb.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("Redis at %s=%s is unreachable: %v", envURL, u, err)
		}
		tb.Skipf("Redis at %s=%s is unreachable: %v", envURL, u, err)
	}
	return c
}

// newStore returns a Store under a random key prefix whose keys are deleted when tb ends, so
// parallel test runs never see each other's data.
func newStore(tb testing.TB, c *redis.Client) *redisstore.Store {
	tb.Helper()
	return newStoreAt(tb, c, nil)
}

// newStoreAt is newStore with a store whose queue and delivery records tell the time with now.
func newStoreAt(tb testing.TB, c *redis.Client, now func() time.Time) *redisstore.Store {
	tb.Helper()
	return openPrefix(tb, c, newPrefix(tb, c), now)
}

// newPrefix returns a random key prefix whose keys are deleted when tb ends.
func newPrefix(tb testing.TB, c *redis.Client) string {
	var b [8]byte
	rand.Read(b[:])
	prefix := "fedsitetest:" + hex.EncodeToString(b[:]) + ":"
	tb.Cleanup(func() { deletePrefix(tb, c, prefix) })
	return prefix
}

// openPrefix returns a Store over the keys under prefix, as a process starting on them would.
func openPrefix(tb testing.TB, c *redis.Client, prefix string, now func() time.Time) *redisstore.Store {
	tb.Helper()
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// deletePrefix removes every key under prefix with SCAN and UNLINK.
func deletePrefix(tb testing.TB, c *redis.Client, prefix string) {
	ctx := context.Background()
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 10_000).Result()
		if err != nil {
			tb.Errorf("cleaning up %s: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := c.Unlink(ctx, keys...).Err(); err != nil {
				tb.Errorf("cleaning up %s: %v", prefix, err)
				return
			}
		}
		if next == 0 {
			return
		}
		cursor = next
	}
}

func TestConformance(t *testing.T) {
	c := testClient(t)
	storetest.Run(t, func(t *testing.T) *redisstore.Store { return newStore(t, c) })
	storetest.RunDelivery(t, func(t *testing.T, now func() time.Time) *redisstore.Store { return newStoreAt(t, c, now) })
}

func TestNew(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	tests := []struct {
		name    string
		cfg     redisstore.Config
		wantErr string
	}{
		{"no client", redisstore.Config{}, "Config.Client is nil"},
		{"negative cap", redisstore.Config{Client: c, AuditMaxLen: -1}, "AuditMaxLen"},
		{"defaults", redisstore.Config{Client: c}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redisstore.New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("New = %v, %v; want a store", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "redisstore: ") {
				t.Errorf("New error = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// TestUnavailable checks that a server that is not there and a closed client give wrapped
// errors, not panics, from every kind of call.
func TestUnavailable(t *testing.T) {
	// A port that was just closed refuses connections.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	down := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer down.Close()
	closed := redis.NewClient(&redis.Options{Addr: addr})
	closed.Close()

	clients := []struct {
		name  string
		c     *redis.Client
		cause func(error) bool
	}{
		{"refused", down, func(err error) bool { var op *net.OpError; return errors.As(err, &op) }},
		{"closed client", closed, func(err error) bool { return errors.Is(err, redis.ErrClosed) }},
	}
	ctx := context.Background()
	for _, cl := range clients {
		s, err := redisstore.New(redisstore.Config{Client: cl.c})
		if err != nil {
			t.Fatal(err)
		}
		calls := []struct {
			name string
			call func() error
		}{
			{"AddFollower", func() error {
				return s.AddFollower(ctx, store.Follower{ActorID: "https://a/x", FollowerID: "https://b/y", Inbox: "https://b/y/inbox"})
			}},
			{"FollowersPage", func() error { _, err := s.FollowersPage(ctx, "https://a/x", "", 10); return err }},
			{"DeliveryInboxes", func() error { _, err := s.DeliveryInboxes(ctx, "https://a/x", "", 10); return err }},
			{"AppendOutbox", func() error { return s.AppendOutbox(ctx, store.Object{ID: "https://a/1", ActorID: "https://a/x"}) }},
			{"MarkSeen", func() error { _, err := s.MarkSeen(ctx, "https://b/1", time.Minute); return err }},
			{"KeyPair", func() error { _, err := s.KeyPair(ctx, "https://a/x", "main-key"); return err }},
			{"AuditPage", func() error { _, err := s.AuditPage(ctx, "", 10); return err }},
		}
		for _, c := range calls {
			t.Run(cl.name+"/"+c.name, func(t *testing.T) {
				err := c.call()
				if err == nil || !strings.HasPrefix(err.Error(), "redisstore: ") || !cl.cause(err) {
					t.Errorf("error = %v, want a redisstore error wrapping the %s cause", err, cl.name)
				}
				if errors.Is(err, store.ErrNotFound) {
					t.Errorf("error = %v must not look like ErrNotFound", err)
				}
			})
		}
	}
}

// TestKeysAreNamespaced checks that two prefixes on one server do not see each other's data.
func TestKeysAreNamespaced(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	a, b := newStore(t, c), newStore(t, c)
	f := store.Follower{ActorID: "https://news.example/a", FollowerID: "https://r.example/u", Inbox: "https://r.example/u/inbox"}
	if err := a.AddFollower(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Follower(ctx, f.ActorID, f.FollowerID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other prefix: Follower = %v, want ErrNotFound", err)
	}
	if n, err := b.CountFollowers(ctx, f.ActorID); err != nil || n != 0 {
		t.Errorf("other prefix: CountFollowers = %d, %v; want 0", n, err)
	}
}

// TestSummarizeRecountsDays checks that followers written before the scripts kept the days hash
// (here: the hash deleted) are counted by day again on the first summary.
func TestSummarizeRecountsDays(t *testing.T) {
	c := testClient(t)
	ctx := t.Context()
	prefix := newPrefix(t, c)
	s := openPrefix(t, c, prefix, nil)
	const actor = "https://news.example/a"
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		id := "https://r.example/u" + strconv.Itoa(i)
		// Days 0, 0, 1, 1, 2, the last second of the day for the odd ones.
		at := day.AddDate(0, 0, i/2).Add(time.Duration(i%2) * (24*time.Hour - time.Second))
		if err := s.AddFollower(ctx, store.Follower{ActorID: actor, FollowerID: id, Inbox: id + "/inbox", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Del(ctx, prefix+"fd:"+actor).Err(); err != nil {
		t.Fatal(err)
	}
	sum, err := s.SummarizeFollowers(ctx, actor, day, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DayCount{{Day: day, Followers: 2}, {Day: day.AddDate(0, 0, 1), Followers: 2}, {Day: day.AddDate(0, 0, 2), Followers: 1}}
	if sum.Total != 5 || !slices.EqualFunc(sum.Days, want, func(a, b store.DayCount) bool { return a.Day.Equal(b.Day) && a.Followers == b.Followers }) {
		t.Errorf("SummarizeFollowers = total %d, days %v; want 5, %v", sum.Total, sum.Days, want)
	}
}

// TestIndexSetsFilled checks that the delivery records written before a set the record script
// keeps existed (here: the set deleted, or left part-filled by a fill that stopped) are in it
// after a store's first call that reads it, as the record script would have put them there: the
// set of objects with records, which DeliveryObjects reads, and the updates set, which
// CountDeliveries reads. The fill marks itself done, and doing it again changes nothing; records
// pruned before do not come back.
func TestIndexSetsFilled(t *testing.T) {
	c := testClient(t)
	ctx := t.Context()
	const obj = "https://news.example/articles/"
	inboxes := []string{"https://a.example/inbox", "https://b.example/inbox"}
	member := func(i, inbox int) string { return obj + strconv.Itoa(i) + "#create\x00" + inboxes[inbox] }
	sets := []struct {
		key string
		// part lists the members that a fill which stopped midway had not added.
		part []string
		// read is the call whose first run on a Store fills the set; want is its answer.
		read func(t *testing.T, s *redisstore.Store) any
		want any
	}{
		{"dlobjs", []string{obj + "2", obj + "3"},
			func(t *testing.T, s *redisstore.Store) any { return listDeliveryObjects(t, s) },
			[]string{obj + "1", obj + "2", obj + "3"}},
		{"du", []string{member(2, 0), member(3, 0), member(3, 1)},
			func(t *testing.T, s *redisstore.Store) any {
				// Objects 2 and 3 only, so the fill must score members by their update time.
				n, err := s.CountDeliveries(t.Context(), time.Unix(1002, 0))
				if err != nil {
					t.Fatal(err)
				}
				return n
			},
			[]store.HostDeliveries{{Host: "a.example", State: store.DeliveryDelivered, Count: 2}, {Host: "b.example", State: store.DeliveryDelivered, Count: 2}}},
	}
	states := []struct {
		name string
		// old makes the set under prefix as an older redisstore, or a fill that stopped, left it.
		old func(prefix, key string, part []string) error
	}{
		{"set missing", func(prefix, key string, _ []string) error { return c.Del(ctx, prefix+key).Err() }},
		{"set part-filled", func(prefix, key string, part []string) error {
			members := make([]any, len(part))
			for i, m := range part {
				members[i] = m
			}
			return c.ZRem(ctx, prefix+key, members...).Err()
		}},
		{"set filled", func(string, string, []string) error { return nil }},
	}
	for _, set := range sets {
		for _, st := range states {
			t.Run(set.key+"/"+st.name, func(t *testing.T) {
				prefix := newPrefix(t, c)
				s := openPrefix(t, c, prefix, nil)
				var recs []store.DeliveryRecord
				for i := range 4 {
					for _, inbox := range inboxes {
						// Object i was updated at 1000+i seconds and some nanoseconds, which the
						// updates set's microseconds cut.
						recs = append(recs, store.DeliveryRecord{ObjectID: obj + strconv.Itoa(i), ActivityID: obj + strconv.Itoa(i) + "#create",
							Inbox: inbox, Host: strings.Split(inbox, "/")[2], State: store.DeliveryDelivered, UpdatedAt: time.Unix(int64(1000+i), 123456789)})
					}
				}
				if err := s.RecordDelivery(ctx, recs...); err != nil {
					t.Fatal(err)
				}
				// Object 0's records are pruned: they must not come back.
				if n, err := s.PruneOperational(ctx, store.PruneBefore{Deliveries: time.Unix(2000, 0), Objects: []string{obj + "0"}}); err != nil || n.Deliveries != 2 {
					t.Fatalf("PruneOperational = %+v, %v; want 2 deliveries", n, err)
				}
				// What the record script wrote, and the fill must leave as it is or make again.
				want, err := c.ZRangeWithScores(ctx, prefix+set.key, 0, -1).Result()
				if err != nil {
					t.Fatal(err)
				}
				if err := st.old(prefix, set.key, set.part); err != nil {
					t.Fatal(err)
				}
				mark := prefix + set.key + ":filled"
				for run := range 3 {
					if run == 2 {
						// A fill that ran to its end and is done again, as by a Store that did not see
						// the mark: nothing changes.
						if err := c.Del(ctx, mark).Err(); err != nil {
							t.Fatal(err)
						}
					}
					if got := set.read(t, openPrefix(t, c, prefix, nil)); !reflect.DeepEqual(got, set.want) {
						t.Errorf("run %d: read = %v, want %v", run, got, set.want)
					}
					got, err := c.ZRangeWithScores(ctx, prefix+set.key, 0, -1).Result()
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(got, want) {
						t.Errorf("run %d: %s holds %v, want %v", run, set.key, got, want)
					}
					if n, err := c.Exists(ctx, mark).Result(); err != nil || n != 1 {
						t.Errorf("run %d: the fill mark exists = %d, %v; want 1", run, n, err)
					}
				}
			})
		}
	}
}

// listDeliveryObjects reads every page of s.DeliveryObjects, two ids at a time.
func listDeliveryObjects(t *testing.T, s *redisstore.Store) []string {
	t.Helper()
	var all []string
	for cursor := ""; ; {
		p, err := s.DeliveryObjects(t.Context(), cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		cursor = p.Next
	}
}
