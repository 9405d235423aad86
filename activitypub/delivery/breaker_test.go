package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/inboxfleet"
	"github.com/fedsite/fedsite/store"
)

// countingHosts counts the HostStates calls and the hosts they read.
type countingHosts struct {
	store.Hosts
	reads, hosts atomic.Int64
}

func (h *countingHosts) HostStates(ctx context.Context, hosts ...string) ([]store.HostState, error) {
	h.reads.Add(1)
	h.hosts.Add(int64(len(hosts)))
	return h.Hosts.HostStates(ctx, hosts...)
}

// TestHostStateCache checks that a healthy host's state is read from the store once per
// hostStateTTL, and read afresh after a failure and for as long as failures remain.
func TestHostStateCache(t *testing.T) {
	var hosts *countingHosts
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, func(c *Config) {
		hosts = &countingHosts{Hosts: c.Hosts}
		c.Hosts = hosts
		c.BreakerThreshold = 3
		c.Now = func() time.Time { return now }
	})
	log := slog.New(slog.DiscardHandler)
	ctx := t.Context()
	tk := task{host: "a.example", l: store.Lease{Job: store.Job{ID: "j"}, Until: now.Add(time.Hour)}}
	steps := []struct {
		name      string
		before    func()
		wantReads int64
	}{
		{"first look reads", nil, 1},
		{"healthy host is cached", nil, 1},
		{"still cached just before the TTL", func() { now = now.Add(hostStateTTL - time.Millisecond) }, 1},
		{"read again after the TTL", func() { now = now.Add(time.Millisecond) }, 2},
		{"cached again", nil, 2},
		{"a failure drops the cache", func() { e.eng.hostFailed(ctx, log, tk.host) }, 3},
		{"a failing host is not cached", nil, 4},
		{"a success drops it", func() { e.eng.hostOK(ctx, log, tk.host, store.HostState{Failures: 1}, false) }, 5},
		{"healthy again: cached", nil, 5},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		st, probe, deferred := e.eng.checkBreaker(ctx, log, tk)
		if probe || deferred {
			t.Fatalf("%s: probe %v, deferred %v with state %+v", s.name, probe, deferred, st)
		}
		if got := hosts.reads.Load(); got != s.wantReads {
			t.Errorf("%s: %d HostState reads, want %d", s.name, got, s.wantReads)
		}
	}
}

// TestPrefetchHosts checks that a fan-out to many hosts reads their breaker state a page at a
// time, not once per delivery.
func TestPrefetchHosts(t *testing.T) {
	fleet, err := inboxfleet.Start(inboxfleet.Config{Key: testKey().Public(), KeyID: testActor + "#main-key"})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	var hosts *countingHosts
	start := time.Now()
	e := newEnv(t, func(c *Config) {
		hosts = &countingHosts{Hosts: c.Hosts}
		c.Hosts, c.Workers, c.Client = hosts, 8, inboxfleet.SharedClient(fleet.Addr(), 8)
		// The clock stands still, so that a slow machine's fan-out does not outlast the cache of
		// healthy hosts and read them again.
		c.Now = func() time.Time { return start }
	})
	const n = 200
	for i := range n {
		e.follow(t, fmt.Sprintf("https://remote.test/u/%d", i), inboxfleet.Inbox(i, i))
	}
	if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ActorID: testActor}); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	waitFor(t, "every inbox", func() bool { return fleet.Distinct() == n })
	// Every host is read once (none is cached beforehand), in one call per page.
	if got := hosts.hosts.Load(); got != n {
		t.Errorf("%d host states read for %d hosts, want each read once", got, n)
	}
	if calls := hosts.reads.Load(); calls > 5 {
		t.Errorf("%d HostStates calls for %d hosts, want them read in batches", calls, n)
	}
}
