package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Run checks every contract of [store.Store] against the stores newStore makes, one fresh store per
// subtest. It reports failures through t and returns when all subtests have run.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Followers", followerTests},
		{"Objects", objectTests},
		{"Outbox", outboxTests},
		{"Seen", seenTests},
		{"ActorCache", actorCacheTests},
		{"Keys", keyTests},
		{"Audit", auditTests},
		{"Hosts", hostTests},
		{"Deliveries", deliveryTests},
		{"Interactions", interactionTests},
		{"FollowRequests", followRequestTests},
		{"Blocks", blockTests},
		{"Context", contextTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					s := newStore(t)
					if s == nil {
						t.Fatal("storetest: newStore returned nil")
					}
					tt.run(t, s)
				})
			}
		})
	}
}

// RunQueue checks the [store.Queue] contract, and the [store.BatchAcker] capability where the
// store has it, against the stores newStore makes, one fresh store per subtest. newStore must
// build the store to tell the time with now: the suite drives lease ends, retry times and
// NotBefore with a fake clock rather than by sleeping. It reports failures through t and returns
// when all subtests have run.
func RunQueue(t *testing.T, newStore func(t *testing.T, now func() time.Time) store.Store) {
	t.Helper()
	for _, tt := range queueTests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			s := newStore(t, clk.Now)
			if s == nil {
				t.Fatal("storetest: newStore returned nil")
			}
			tt.run(t, s, clk)
		})
	}
}

// clockedTest is a test of the queue, which gets the clock its store was built with.
type clockedTest struct {
	name string
	run  func(t *testing.T, s store.Store, clk *clock)
}

type test struct {
	name string
	run  func(t *testing.T, s store.Store)
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
