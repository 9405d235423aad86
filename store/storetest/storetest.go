package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Run checks every contract of [store.Site] against the stores newStore makes, one fresh store
// per subtest, and the optional capabilities a store implements ([store.Audit], the counters,
// [store.Relays], [store.Pruner]); those it lacks are skipped, naming the interface, or, where package store
// has a fallback for them, the fallback is checked instead. It reports failures through t and returns
// when all subtests have run. A store that is also a [store.Delivery] runs [RunDelivery] as well.
func Run[S store.Site](t *testing.T, newStore func(t *testing.T) S) {
	t.Helper()
	run(t, []group[siteCheck]{
		{"Followers", followerTests},
		{"Objects", objectTests},
		{"Outbox", outboxTests},
		{"Seen", seenTests},
		{"ActorCache", actorCacheTests},
		{"Keys", keyTests},
		{"Audit", auditTests},
		{"Record", recordTests},
		{"Interactions", interactionTests},
		{"FollowRequests", followRequestTests},
		{"Blocks", blockTests},
		{"Relays", relayTests},
		{"PrunerSite", pruneSiteTests},
		{"Context", contextTests},
	}, func(t *testing.T, check siteCheck) {
		check(t, fresh(t, newStore(t)))
	})
}

// RunDelivery checks every contract of [store.Delivery] (the queue, the delivery records and the
// host states) against the stores newStore makes, one fresh store per subtest, and the optional
// [store.BatchAcker], [store.LeaseReleaser] and [store.Pruner] when a store implements them. A backend that keeps
// only delivery state, beside a site's own database, is proven by RunDelivery alone.
//
// newStore must build the store to tell the time with now: the suite drives lease ends, retry
// times and NotBefore with a fake clock rather than by sleeping.
func RunDelivery[D store.Delivery](t *testing.T, newStore func(t *testing.T, now func() time.Time) D) {
	t.Helper()
	run(t, []group[deliveryCheck]{
		{"Queue", queueTests},
		{"Hosts", hostTests},
		{"Deliveries", deliveryTests},
		{"QueueAdmin", queueAdminTests},
		{"PrunerDelivery", pruneDeliveryTests},
	}, func(t *testing.T, check deliveryCheck) {
		clk := newClock()
		check(t, fresh(t, newStore(t, clk.Now)), clk)
	})
}

// group is the rules of one contract, each a check of type F.
type group[F any] struct {
	name  string
	rules []rule[F]
}

// rule is one rule of a contract and the check that proves it.
type rule[F any] struct {
	name  string
	check F
}

// siteCheck checks a rule of the site-state contracts on a fresh store; deliveryCheck checks one
// of the delivery contracts on a fresh store and the fake clock the store tells the time with.
type (
	siteCheck     = func(t *testing.T, s store.Site)
	deliveryCheck = func(t *testing.T, s store.Delivery, clk *clock)
	test          = rule[siteCheck]
	deliveryTest  = rule[deliveryCheck]
)

// run runs each group's rules as subtests named group/rule, each through do.
func run[F any](t *testing.T, groups []group[F], do func(t *testing.T, check F)) {
	t.Helper()
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, r := range g.rules {
				t.Run(r.name, func(t *testing.T) { do(t, r.check) })
			}
		})
	}
}

// fresh returns s, failing the test if newStore returned nil.
func fresh[S any](t *testing.T, s S) S {
	t.Helper()
	if any(s) == nil {
		t.Fatal("storetest: newStore returned nil")
	}
	return s
}

// capability returns s as the optional capability C, or skips the test, naming C, when s does not
// implement it.
func capability[C any](t *testing.T, s any) C {
	t.Helper()
	c, ok := s.(C)
	if !ok {
		t.Skipf("the store does not implement %v (optional)", reflect.TypeFor[C]())
	}
	return c
}

// base is a fixed time with millisecond precision, the precision the suite asks adapters to keep.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// ctx is the context the tests run under; it ends with the test.
func ctx(t *testing.T) context.Context {
	return t.Context()
}

// must fails the test when err is not nil.
func must(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", op, err)
	}
}

// wantCount fails the test unless a count, named by op, came without an error and is want.
func wantCount(t *testing.T, op string, n int, err error, want int) {
	t.Helper()
	must(t, op, err)
	if n != want {
		t.Errorf("%s = %d, want %d", op, n, want)
	}
}

// walkPages reads a listing from its start, limit items a page, and returns every item in order.
// It fails the test when a page holds more than limit items or the listing does not end within
// maxPages pages; op names the listing.
func walkPages[T any](t *testing.T, op string, limit, maxPages int, page func(cursor string) (store.Page[T], error)) []T {
	t.Helper()
	var all []T
	cursor := ""
	for range maxPages {
		p, err := page(cursor)
		must(t, op, err)
		if len(p.Items) > limit {
			t.Fatalf("%s(limit %d) returned %d items", op, limit, len(p.Items))
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		cursor = p.Next
	}
	t.Fatalf("%s: no end after %d pages", op, maxPages)
	return nil
}

// wantErr fails the test unless err matches target.
func wantErr(t *testing.T, op string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error = %v, want an error matching %v", op, err, target)
	}
}

// sameTime reports whether a and b are the same instant.
func sameTime(a, b time.Time) bool {
	return a.Equal(b)
}

// recent reports whether tm is within a minute of now, for times adapters set themselves.
func recent(tm time.Time) bool {
	d := time.Since(tm)
	return d > -time.Minute && d < time.Minute
}

// msec is n milliseconds.
func msec(n int) time.Duration {
	return time.Duration(n) * time.Millisecond
}
