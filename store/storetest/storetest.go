package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Run checks every contract of [store.Site] against the stores newStore makes, one fresh store
// per subtest, and the optional capabilities a store implements ([store.Audit], the counters);
// those it lacks are skipped, naming the interface. It reports failures through t and returns
// when all subtests have run. A store that is also a [store.Delivery] runs [RunDelivery] as well.
func Run[S store.Site](t *testing.T, newStore func(t *testing.T) S) {
	t.Helper()
	run(t, newStore, []group[store.Site]{
		{"Followers", followerTests},
		{"Objects", objectTests},
		{"Outbox", outboxTests},
		{"Seen", seenTests},
		{"ActorCache", actorCacheTests},
		{"Keys", keyTests},
		{"Audit", auditTests},
		{"Interactions", interactionTests},
		{"FollowRequests", followRequestTests},
		{"Blocks", blockTests},
		{"Context", contextTests},
	})
}

// RunDelivery checks every contract of [store.Delivery] (the queue, the delivery records and the
// host states) against the stores newStore makes, one fresh store per subtest, and the optional
// [store.BatchAcker] when a store implements it. A backend that keeps only delivery state, beside
// a site's own database, is proven by RunDelivery alone.
func RunDelivery[D store.Delivery](t *testing.T, newStore func(t *testing.T) D) {
	t.Helper()
	run(t, newStore, []group[store.Delivery]{
		{"Queue", queueTests},
		{"Hosts", hostTests},
		{"Deliveries", deliveryTests},
	})
}

// group is the tests of one contract, each run on a store of type S.
type group[S any] struct {
	name  string
	tests []testOf[S]
}

// testOf is one rule of a contract, checked on a fresh store of type S.
type testOf[S any] struct {
	name string
	run  func(t *testing.T, s S)
}

// test is a rule of the site-state contracts, deliveryTest one of the delivery contracts.
type (
	test         = testOf[store.Site]
	deliveryTest = testOf[store.Delivery]
)

// run runs each group's tests as subtests named group/test, each on a fresh store.
func run[S any, C any](t *testing.T, newStore func(t *testing.T) C, groups []group[S]) {
	t.Helper()
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					s := newStore(t)
					if any(s) == nil {
						t.Fatal("storetest: newStore returned nil")
					}
					tt.run(t, any(s).(S))
				})
			}
		})
	}
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
