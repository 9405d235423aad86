package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/inboxfleet"
	"github.com/fedsite/fedsite/store"
)

// countingHosts counts the HostStates calls and the hosts they read.
type countingHosts struct {
	store.Delivery
	reads, hosts atomic.Int64
}

func (h *countingHosts) HostStates(ctx context.Context, hosts ...string) ([]store.HostState, error) {
	h.reads.Add(1)
	h.hosts.Add(int64(len(hosts)))
	return h.Delivery.HostStates(ctx, hosts...)
}

// TestHostStateCache checks that a healthy host's state is read from the store once per
// hostStateTTL, and read afresh after a failure and for as long as failures remain.
func TestHostStateCache(t *testing.T) {
	var hosts *countingHosts
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, func(c *Config) {
		hosts = &countingHosts{Delivery: c.Store}
		c.Store = hosts
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
	fleet := startFleet(t)
	var hosts *countingHosts
	start := time.Now()
	e := newEnv(t, func(c *Config) {
		hosts = &countingHosts{Delivery: c.Store}
		c.Store, c.Workers, c.Client = hosts, 8, inboxfleet.SharedClient(fleet.Addr(), 8)
		// The clock stands still, so that a slow machine's fan-out does not outlast the cache of
		// healthy hosts and read them again.
		c.Now = func() time.Time { return start }
	})
	const n = 200
	e.fanOut(t, fleet, n)
	// Every host is read once (none is cached beforehand), in one call per page.
	if got := hosts.hosts.Load(); got != n {
		t.Errorf("%d host states read for %d hosts, want each read once", got, n)
	}
	if calls := hosts.reads.Load(); calls > 5 {
		t.Errorf("%d HostStates calls for %d hosts, want them read in batches", calls, n)
	}
}

// TestBreakerDefersWithoutAttempts: while a host's breaker is open, its deliveries — a deliver
// job that already failed 3 times, and a page's first — go back to the queue until the breaker's
// time ends, with no request and no attempt counted, on a test clock.
func TestBreakerDefersWithoutAttempts(t *testing.T) {
	const host = "down.test"
	tests := []struct {
		name string
		job  func(t *testing.T) store.Job
		// failed is the count of failed attempts the job carries, before and after.
		failed int
	}{
		{"deliver job", func(t *testing.T) store.Job {
			j, err := deliverJob(payload{Activity: testActivity, Object: testObject, Actor: testActor, Inbox: "https://" + host + "/inbox"})
			if err != nil {
				t.Fatal(err)
			}
			j.Attempts, j.LastError = 3, reason(3, "delivery: https://down.test/inbox answered 503")
			return j
		}, 3},
		{"page", func(t *testing.T) store.Job {
			j, err := pageJob(payload{Activity: testActivity, Object: testObject, Actor: testActor, Inboxes: []string{"https://" + host + "/inbox"}})
			if err != nil {
				t.Fatal(err)
			}
			return j
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, func(string, time.Time) int { return http.StatusAccepted }, nil)
			ctx := t.Context()
			openUntil := s.clock.Now().Add(time.Hour)
			for range defaultBreakerThreshold {
				if _, err := s.st.HostFailed(ctx, host, s.clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.st.OpenHost(ctx, host, openUntil); err != nil {
				t.Fatal(err)
			}
			if err := s.q.Enqueue(ctx, tt.job(t)); err != nil {
				t.Fatal(err)
			}
			// One step of drain: the job, and a page's delivery.
			l, _ := s.q.next()
			tk, err := decode(l)
			if err != nil {
				t.Fatal(err)
			}
			done := s.eng.newCompleter()
			if l.Kind == KindPage {
				pg, err := s.eng.openPage(ctx, tk)
				if err != nil || pg == nil {
					t.Fatalf("openPage = %v, %v", pg, err)
				}
				for _, pt := range pg.take(ctx, s.eng, 10) {
					s.eng.run(ctx, pt, done)
				}
			} else {
				s.eng.run(ctx, tk, done)
			}
			if n := len(s.hitsOf("https://" + host + "/inbox")); n != 0 {
				t.Fatalf("%d requests to a host whose breaker is open", n)
			}
			back, ok := s.q.next()
			if !ok || back.Kind != KindDeliver {
				t.Fatalf("put back %+v, %v; want a deliver job", back, ok)
			}
			if back.NotBefore.Before(openUntil) || back.NotBefore.After(openUntil.Add(defaultBreakerCooldown/10)) {
				t.Errorf("put back until %v, want the breaker's end %v plus at most a tenth of its cooldown", back.NotBefore, openUntil)
			}
			bt, err := decode(back)
			if err != nil {
				t.Fatal(err)
			}
			if n := failures(bt); n != tt.failed {
				t.Errorf("the job comes back with %d failed attempts, want %d: a deferral is not an attempt", n, tt.failed)
			}
			if st, _ := s.eng.Stats(ctx); st.Deferred != 1 || st.Retried != 0 || st.Failed != 0 {
				t.Errorf("stats %+v, want one deferral and nothing else", st)
			}
		})
	}
}

// TestBreakerHoldsWithinSchedule runs, on a test clock, twelve articles' deliveries and a page of
// three to a host that is down for 47 hours, with the default schedule and breaker. The breaker
// opens, holds the host's deliveries (no request reaches it while open, but the probes), and
// closes once a probe finds the host back; no delivery is given up, none is tried sooner nor more
// often than the schedule says, and each delivered record counts its real attempts only. (It
// replaces a test that slept until just before the breaker's end, on the wall clock.)
func TestBreakerHoldsWithinSchedule(t *testing.T) {
	const host = "down.test"
	ctx := t.Context()
	var s *sim
	var whileOpen []string
	s = newSim(t, func(inbox string, at time.Time) int {
		sts, err := s.st.HostStates(ctx, host)
		// A probe holds the breaker for its own request's time; anything later is a request
		// made through an open breaker.
		if err == nil && sts[0].OpenUntil.After(at.Add(s.eng.cfg.RequestTimeout)) {
			whileOpen = append(whileOpen, inbox)
		}
		if at.Before(s.clock.start().Add(47 * time.Hour)) {
			return http.StatusServiceUnavailable
		}
		return http.StatusAccepted
	}, nil)
	type delivery struct{ object, inbox string }
	var all []delivery
	for k := range 12 {
		d := delivery{fmt.Sprintf("https://site.test/articles/%d", k), fmt.Sprintf("https://%s/inbox/%d", host, k)}
		all = append(all, d)
		if err := s.eng.Enqueue(ctx, Activity{ID: testActivity, ObjectID: d.object, ActorID: testActor, Inbox: d.inbox}); err != nil {
			t.Fatal(err)
		}
	}
	for k := range 3 {
		d := delivery{testObject, fmt.Sprintf("https://%s/u/%d/inbox", host, k)}
		all = append(all, d)
		s.follow(t, fmt.Sprintf("https://%s/u/%d", host, k), d.inbox)
	}
	if err := s.eng.Enqueue(ctx, Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor}); err != nil {
		t.Fatal(err)
	}
	s.drain(t)

	for _, d := range all {
		page, err := s.st.DeliveriesPage(ctx, d.object, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(page.Items, func(r store.DeliveryRecord) bool { return r.Inbox == d.inbox })
		if i < 0 {
			t.Fatalf("no record of the delivery to %s", d.inbox)
		}
		rec, hits := page.Items[i], s.hitsOf(d.inbox)
		if rec.State != store.DeliveryDelivered || rec.Attempts != len(hits) || len(hits) > 16 {
			t.Errorf("%s: record %s after %d attempts, %d requests; want delivered, its attempts its requests, at most 16",
				d.inbox, rec.State, rec.Attempts, len(hits))
		}
		for i := 1; i < len(hits); i++ {
			if gap := hits[i].Sub(hits[i-1]); gap < nominal(i) {
				t.Errorf("%s: attempt %d came %v after the one before, sooner than the schedule's %v", d.inbox, i+1, gap, nominal(i))
			}
		}
	}
	if len(whileOpen) > 0 {
		t.Errorf("%d requests reached the host while its breaker was open: %v", len(whileOpen), whileOpen)
	}
	st, err := s.eng.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Deferred == 0 || st.Failed != 0 || st.DeadLettered != 0 || s.q.deadCount() != 0 {
		t.Errorf("stats %+v, want deliveries deferred and none given up", st)
	}
	if hs := s.hostState(t, host); hs.Failures != 0 || !hs.OpenUntil.IsZero() {
		t.Errorf("host state %+v once the host is back, want the breaker closed", hs)
	}
	if open := s.logs.matching(slog.LevelWarn, "delivery: host circuit breaker open"); len(open) == 0 {
		t.Error("the breaker's opening was not logged at Warn")
	}
	if first := s.logs.matching(slog.LevelInfo, "delivery: host failing, will retry"); len(first) != 1 {
		t.Errorf("%d Info logs of the host failing, want one for the outage", len(first))
	}
}
