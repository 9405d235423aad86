package delivery

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

// TestBreakerOpensAndDoubles: failures below the threshold leave a host's breaker closed; the
// threshold-th opens it for BreakerCooldown, and each failure beyond doubles that, up to 12 h —
// without overflowing when the cooldown is long. A disabled breaker keeps no count at all. On a
// test clock.
func TestBreakerOpensAndDoubles(t *testing.T) {
	const threshold = 3
	tests := []struct {
		name      string
		threshold int
		cooldown  time.Duration
		failures  int
		want      time.Duration // how long the breaker is open after the last failure; 0: closed
	}{
		{"one failure", threshold, time.Minute, 1, 0},
		{"just below the threshold", threshold, time.Minute, threshold - 1, 0},
		{"at the threshold", threshold, time.Minute, threshold, time.Minute},
		{"one beyond", threshold, time.Minute, threshold + 1, 2 * time.Minute},
		{"two beyond", threshold, time.Minute, threshold + 2, 4 * time.Minute},
		{"nine beyond", threshold, time.Minute, threshold + 9, 512 * time.Minute},
		{"ten beyond: capped", threshold, time.Minute, threshold + 10, maxBreakerCooldown},
		{"far beyond: capped", threshold, time.Minute, threshold + 40, maxBreakerCooldown},
		{"doubling reaches the cap exactly", threshold, 6 * time.Hour, threshold + 1, maxBreakerCooldown},
		{"and stays there", threshold, 6 * time.Hour, threshold + 25, maxBreakerCooldown},
		{"a cooldown past the cap", threshold, 10000 * time.Hour, threshold + 25, maxBreakerCooldown},
		// Doubling 3 h twenty times would overflow: the doubling stops at the cap.
		{"doubling stops at the cap", threshold, 3 * time.Hour, threshold + 25, maxBreakerCooldown},
		{"breaker disabled", -1, time.Minute, 50, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, nil, func(c *Config) { c.BreakerThreshold, c.BreakerCooldown = tt.threshold, tt.cooldown })
			ctx, log := t.Context(), slog.New(slog.DiscardHandler)
			const host = "down.test"
			for i := range tt.failures {
				s.clock.advance(s.clock.Now().Add(time.Second))
				s.eng.hostFailed(ctx, log, host)
				st := s.hostState(t, host)
				if tt.threshold < 0 {
					if st.Failures != 0 || !st.OpenUntil.IsZero() {
						t.Fatalf("failure %d: state %+v with the breaker disabled", i+1, st)
					}
					continue
				}
				if st.Failures != i+1 {
					t.Fatalf("failure %d: %d counted", i+1, st.Failures)
				}
				if i+1 < tt.threshold && !st.OpenUntil.IsZero() {
					t.Fatalf("failure %d, below the threshold of %d: open until %v", i+1, tt.threshold, st.OpenUntil)
				}
			}
			st := s.hostState(t, host)
			var open time.Duration
			if !st.OpenUntil.IsZero() {
				open = st.OpenUntil.Sub(s.clock.Now())
			}
			if open != tt.want {
				t.Errorf("after %d failures open for %v, want %v", tt.failures, open, tt.want)
			}
		})
	}
}

// TestBreakerProbe: once an open breaker's time has passed, one delivery probes the host; while
// its request is out, the host's other deliveries make no request and wait for its result (they
// come back once the probe's request time is over). A probe that succeeds closes the breaker and
// the others follow; one that fails opens it again for twice the cooldown, and nothing reaches the
// host before then. On a test clock.
func TestBreakerProbe(t *testing.T) {
	const (
		host = "down.test"
		jobs = 4
	)
	tests := []struct {
		name string
		// probes are the answers to the successive probes.
		probes []int
	}{
		{"probe succeeds", []int{http.StatusAccepted}},
		{"probe fails, then succeeds", []int{http.StatusServiceUnavailable, http.StatusAccepted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			var (
				s        *sim
				mu       sync.Mutex
				probes   []time.Time // when each probe went out
				inFlight []string    // what went wrong while a probe was out
			)
			s = newSim(t, func(inbox string, at time.Time) int {
				mu.Lock()
				n := len(probes)
				half := n < len(tt.probes) && s.hostState(t, host).Failures >= defaultBreakerThreshold
				if half {
					probes = append(probes, at)
				}
				mu.Unlock()
				if !half {
					return http.StatusAccepted
				}
				// While this probe is out, the host's other deliveries run: none may reach it.
				before := s.totalHits()
				s.runWaiting(t)
				if after := s.totalHits(); after != before {
					inFlight = append(inFlight, fmt.Sprintf("probe %d: %d more requests while it was out", n+1, after-before))
				}
				return tt.probes[n]
			}, nil)
			for range defaultBreakerThreshold {
				if _, err := s.st.HostFailed(ctx, host, s.clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			// Open until now: half-open.
			if err := s.st.OpenHost(ctx, host, s.clock.Now()); err != nil {
				t.Fatal(err)
			}
			for k := range jobs {
				if err := s.eng.Enqueue(ctx, Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor,
					Inbox: fmt.Sprintf("https://%s/u/%d/inbox", host, k)}); err != nil {
					t.Fatal(err)
				}
			}
			s.drain(t)

			for _, msg := range inFlight {
				t.Error(msg)
			}
			if len(probes) != len(tt.probes) {
				t.Fatalf("%d probes, want %d", len(probes), len(tt.probes))
			}
			if len(probes) == 2 {
				if gap := probes[1].Sub(probes[0]); gap < 2*defaultBreakerCooldown {
					t.Errorf("second probe %v after a failed one, want at least twice the cooldown, %v", gap, 2*defaultBreakerCooldown)
				}
			}
			// Every delivery reached the host once after the last probe, none before it but the probes.
			last := probes[len(probes)-1]
			for k := range jobs {
				inbox := fmt.Sprintf("https://%s/u/%d/inbox", host, k)
				for _, at := range s.hitsOf(inbox) {
					if at.Before(last) && !slices.Contains(probes, at) {
						t.Errorf("%s: posted at %v, before the last probe at %v", inbox, at, last)
					}
				}
			}
			if got, want := s.totalHits(), jobs+len(tt.probes)-1; got != want {
				t.Errorf("%d requests, want %d: one per delivery, and the failed probes", got, want)
			}
			if hs := s.hostState(t, host); hs.Failures != 0 || !hs.OpenUntil.IsZero() {
				t.Errorf("host state %+v after a probe succeeded, want the breaker closed", hs)
			}
			if st, _ := s.eng.Stats(ctx); st.Delivered != jobs || st.Deferred < jobs-1 {
				t.Errorf("stats %+v, want %d delivered and the others deferred while the probe was out", st, jobs)
			}
		})
	}
}

// TestBreakerIgnores429: a host that answers 429 is busy, not down: however often it does, its
// breaker stays closed and no delivery is deferred, while the same number of 503s opens it. On a
// test clock.
func TestBreakerIgnores429(t *testing.T) {
	const host = "busy.test"
	tests := []struct {
		code     int
		wantOpen bool
	}{
		{http.StatusTooManyRequests, false},
		{http.StatusServiceUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			ctx := t.Context()
			s := newSim(t, func(string, time.Time) int { return tt.code }, func(c *Config) { c.BreakerThreshold = 3 })
			// Two deliveries of three attempts each, failing at the same times.
			for k := range 2 {
				if err := s.eng.Enqueue(ctx, Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor,
					Inbox: fmt.Sprintf("https://%s/u/%d/inbox", host, k)}); err != nil {
					t.Fatal(err)
				}
			}
			var opened bool
			for range 6 {
				l, ok := s.q.next()
				if !ok {
					break
				}
				tk, err := decode(l)
				if err != nil {
					t.Fatal(err)
				}
				done := s.eng.newCompleter()
				s.eng.run(ctx, tk, done)
				if hs := s.hostState(t, host); !hs.OpenUntil.IsZero() {
					opened = true
				}
			}
			st, _ := s.eng.Stats(ctx)
			hs := s.hostState(t, host)
			if opened != tt.wantOpen {
				t.Errorf("breaker opened: %v, want %v (host state %+v, stats %+v)", opened, tt.wantOpen, hs, st)
			}
			if !tt.wantOpen && (hs.Failures != 0 || st.Deferred != 0) {
				t.Errorf("after %d answers of %d: host state %+v, %d deferred; want no failure counted", s.totalHits(), tt.code, hs, st.Deferred)
			}
		})
	}
}

// totalHits returns how many requests were posted in all.
func (s *sim) totalHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		n += len(h)
	}
	return n
}

// runWaiting runs once, in the order they are due, each job waiting in the queue, with a completer
// of its own; the clock moves to each job's time, as in drain.
func (s *sim) runWaiting(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	done, stop := s.completer(ctx)
	defer stop()
	depth, err := s.q.Depth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var leased []store.Lease
	for range depth.Delayed {
		l, ok := s.q.next()
		if !ok {
			break
		}
		leased = append(leased, l)
	}
	for _, l := range leased {
		tk, err := decode(l)
		if err != nil {
			t.Fatal(err)
		}
		s.eng.run(ctx, tk, done)
	}
}
