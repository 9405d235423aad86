package delivery

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name   string
		b      Backoff
		failed int
		asked  time.Duration
		lo, hi time.Duration
		giveUp bool
	}{
		{"first failure", Backoff{}, 1, 0, time.Second, 1250 * time.Millisecond, false},
		{"fourth failure", Backoff{}, 4, 0, 256 * time.Second, 320 * time.Second, false},
		{"fifteenth failure", Backoff{}, 15, 0, 50625 * time.Second, 63281250 * time.Millisecond, false},
		{"sixteenth failure gives up", Backoff{}, 16, 0, 0, 0, true},
		{"capped", Backoff{Attempts: 100}, 60, 0, 24 * time.Hour, 24 * time.Hour, false},
		{"beyond overflow, capped", Backoff{Attempts: 1 << 30}, 1 << 20, 0, 24 * time.Hour, 24 * time.Hour, false},
		{"Retry-After wins", Backoff{}, 1, time.Minute, time.Minute, time.Minute, false},
		{"Retry-After capped by Max", Backoff{Max: time.Second}, 1, time.Hour, time.Second, time.Second, false},
		{"custom", Backoff{Base: time.Millisecond, Attempts: 3}, 2, 0, 16 * time.Millisecond, 20 * time.Millisecond, false},
		{"custom gives up", Backoff{Base: time.Millisecond, Attempts: 2}, 2, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				d, ok := tt.b.Delay(tt.failed, tt.asked)
				if ok == tt.giveUp {
					t.Fatalf("Delay(%d) ok=%v, want %v", tt.failed, ok, !tt.giveUp)
				}
				if ok && (d < tt.lo || d > tt.hi) {
					t.Fatalf("Delay(%d) = %v, want within [%v, %v]", tt.failed, d, tt.lo, tt.hi)
				}
			}
		})
	}
}

func TestRetryPolicyFunc(t *testing.T) {
	var p RetryPolicy = RetryPolicyFunc(func(failed int, _ time.Duration) (time.Duration, bool) {
		return time.Duration(failed) * time.Second, failed < 2
	})
	if d, ok := p.Delay(1, 0); d != time.Second || !ok {
		t.Errorf("Delay(1) = %v, %v", d, ok)
	}
	if _, ok := p.Delay(2, 0); ok {
		t.Error("Delay(2) should give up")
	}
}

func TestFailuresCount(t *testing.T) {
	pg := &page{}
	tests := []struct {
		lastErr  string
		attempts int
		carried  int   // payload.Failed: a deliver job put back from a page
		page     *page // a page's delivery
		want     int
		msg      string
	}{
		{"", 0, 0, nil, 0, ""},
		{reason(3, "status 500"), 7, 0, nil, 3, "status 500"},
		{"[x] odd", 2, 0, nil, 2, "[x] odd"},
		{"no count", 4, 0, nil, 4, "no count"},
		{"[5", 1, 0, nil, 1, "[5"},
		{"", 0, 2, nil, 2, ""},                                // put back after 2 failures, not leased since
		{reason(4, "status 502"), 1, 2, nil, 4, "status 502"}, // retried since: the reason counts
		{"", 0, 0, pg, 0, ""},
	}
	for _, tt := range tests {
		l := store.Lease{Job: store.Job{LastError: tt.lastErr, Attempts: tt.attempts}}
		if got := failures(task{l: l, p: payload{Failed: tt.carried}, page: tt.page}); got != tt.want {
			t.Errorf("failures(%q, %d, carried %d) = %d, want %d", tt.lastErr, tt.attempts, tt.carried, got, tt.want)
		}
		if got := lastMessage(l); got != tt.msg {
			t.Errorf("lastMessage(%q) = %q, want %q", tt.lastErr, got, tt.msg)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		code int
		err  error
		want outcome
	}{
		{200, nil, delivered}, {202, nil, delivered}, {204, nil, delivered},
		{404, nil, gone}, {410, nil, gone},
		{408, nil, retryable}, {429, nil, retryable}, {500, nil, retryable}, {503, nil, retryable},
		{0, errBadInbox, retryable},
		{400, nil, refused}, {401, nil, refused}, {403, nil, refused}, {301, nil, refused},
	}
	for _, tt := range tests {
		if got := classify(tt.code, tt.err); got != tt.want {
			t.Errorf("classify(%d, %v) = %d, want %d", tt.code, tt.err, got, tt.want)
		}
	}
}

// nominal is the default schedule's wait after the failed-th failure, without jitter.
func nominal(failed int) time.Duration {
	return time.Duration(failed*failed*failed*failed) * time.Second
}

// TestDefaultSchedule checks that the default policy keeps a delivery going for at least 48 h,
// as Mastodon does, and that the tables in the package documentation and the README are its own.
func TestDefaultSchedule(t *testing.T) {
	var b Backoff
	var span, most time.Duration
	var docRows, readmeRows []string
	for attempt := 1; ; attempt++ {
		var wait time.Duration
		if attempt > 1 {
			d, ok := b.Delay(attempt-1, 0)
			if !ok {
				if attempt-1 != 16 {
					t.Fatalf("gave up after %d attempts, want 16", attempt-1)
				}
				break
			}
			wait = nominal(attempt - 1)
			if d < wait || float64(d) > 1.25*float64(wait) {
				t.Fatalf("wait before attempt %d = %v, want %v plus at most 25 %%", attempt, d, wait)
			}
			span += wait
			most += time.Duration(1.25 * float64(wait))
		}
		docRows = append(docRows, fmt.Sprintf("//\t%7d  %-14v %v\n", attempt, wait, span))
		readmeRows = append(readmeRows, fmt.Sprintf("| %d | %v | %v |\n", attempt, wait, span))
	}
	if span < 48*time.Hour {
		t.Errorf("the default schedule spans %v at least, want 48 h or more", span)
	}
	if most > behindPatience {
		t.Errorf("the default schedule spans up to %v, longer than a Delete waits behind a Create (%v)", most, behindPatience)
	}
	for _, f := range []struct {
		path string
		rows []string
	}{{"doc.go", docRows}, {"../../README.md", readmeRows}} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range f.rows {
			if !strings.Contains(string(b), row) {
				t.Errorf("%s lacks the schedule row %q", f.path, row)
			}
		}
	}
}

// TestBackoffJitter checks that the jitter only adds, at most a quarter of the wait, and spreads
// the waits of deliveries that failed together.
func TestBackoffJitter(t *testing.T) {
	b := Backoff{Attempts: 100}
	for _, failed := range []int{1, 2, 5, 10, 15} {
		lo, hi := nominal(failed), time.Duration(1.25*float64(nominal(failed)))
		least, most := hi, lo
		for range 1000 {
			d, ok := b.Delay(failed, 0)
			if !ok || d < lo || d > hi {
				t.Fatalf("Delay(%d) = %v, %v; want within [%v, %v]", failed, d, ok, lo, hi)
			}
			least, most = min(least, d), max(most, d)
		}
		if most-least < (hi-lo)/2 {
			t.Errorf("Delay(%d) spread over [%v, %v] only, want most of [%v, %v]", failed, least, most, lo, hi)
		}
	}
}

// TestScheduleOutlivesOutage runs deliveries on the default schedule, days of it on a test clock,
// to a host that is down: for good, or for 47 hours. Whether the first attempt comes from a
// fan-out page (the retries then from the deliver job its page put back) or from a deliver job,
// the delivery is tried 16 times over at least 49 h 31 min, never sooner than the schedule, and
// made if the host comes back within that time. The host's first failure is logged at Info, the
// giving up at Warn, and nothing else above Debug but the circuit breaker.
func TestScheduleOutlivesOutage(t *testing.T) {
	const host = "down.test"
	inbox := "https://" + host + "/inbox"
	tests := []struct {
		name     string
		fanOut   bool
		downFor  time.Duration
		want     store.DeliveryState
		attempts int // 0: any
	}{
		{"fan-out, down for good", true, 1000 * time.Hour, store.DeliveryFailed, 16},
		{"deliver job, down for good", false, 1000 * time.Hour, store.DeliveryFailed, 16},
		{"fan-out, down for 47 h", true, 47 * time.Hour, store.DeliveryDelivered, 0},
		{"deliver job, down for 47 h", false, 47 * time.Hour, store.DeliveryDelivered, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var up time.Time
			s := newSim(t, func(_ string, at time.Time) int {
				if at.Before(up) {
					return http.StatusServiceUnavailable
				}
				return http.StatusAccepted
			}, nil)
			start := s.clock.Now()
			up = start.Add(tt.downFor)
			a := Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor}
			if tt.fanOut {
				s.follow(t, "https://"+host+"/u/a", inbox)
			} else {
				a.Inbox = inbox
			}
			if err := s.eng.Enqueue(t.Context(), a); err != nil {
				t.Fatal(err)
			}
			s.drain(t)

			hits := s.hitsOf(inbox)
			if len(hits) == 0 || tt.attempts != 0 && len(hits) != tt.attempts {
				t.Fatalf("%d attempts, want %d", len(hits), tt.attempts)
			}
			for i := 1; i < len(hits); i++ {
				if gap := hits[i].Sub(hits[i-1]); gap < nominal(i) {
					t.Errorf("attempt %d came %v after the one before, sooner than the schedule's %v", i+1, gap, nominal(i))
				}
			}
			last := hits[len(hits)-1]
			if tt.want == store.DeliveryFailed && last.Sub(hits[0]) < 48*time.Hour {
				t.Errorf("given up %v after the first attempt, want 48 h at least", last.Sub(hits[0]))
			}
			if tt.want == store.DeliveryDelivered && last.Before(up) {
				t.Errorf("last attempt %v after the first, before the host came back at %v", last.Sub(start), tt.downFor)
			}
			states, err := s.st.DeliveryStates(t.Context(), testObject, testActivity, inbox)
			if err != nil || states[0] != tt.want {
				t.Fatalf("delivery state %v, %v; want %s", states, err, tt.want)
			}
			wantDead := 0
			if tt.want == store.DeliveryFailed {
				wantDead = 1 // from a page too: it put the delivery back as a deliver job after its first failure
			}
			if n := s.q.deadCount(); n != wantDead {
				t.Errorf("%d dead-lettered jobs, want %d", n, wantDead)
			}

			first := s.logs.matching(slog.LevelInfo, "delivery: host failing, will retry")
			if len(first) != 1 || first[0].attrs["host"] != host || first[0].attrs["failed"] != "1" {
				t.Errorf("Info logs of the host's first failure: %+v, want one, for %s, at the first attempt", first, host)
			}
			gaveUp := s.logs.matching(slog.LevelWarn, "delivery: given up")
			switch {
			case tt.want == store.DeliveryFailed && (len(gaveUp) != 1 || gaveUp[0].attrs["host"] != host || gaveUp[0].attrs["failed"] != "16"):
				t.Errorf("Warn logs of giving up: %+v, want one, for %s, after 16 attempts", gaveUp, host)
			case tt.want == store.DeliveryDelivered:
				if len(gaveUp) != 0 {
					t.Errorf("Warn logs of giving up %+v for a delivery made", gaveUp)
				}
				if back := s.logs.matching(slog.LevelInfo, "delivery: host answers again"); len(back) != 1 {
					t.Errorf("Info logs of the host answering again: %+v, want one", back)
				}
			}
			for _, r := range s.logs.atLeast(slog.LevelInfo) {
				switch r.msg {
				case "delivery: host failing, will retry", "delivery: given up", "delivery: host answers again",
					"delivery: host circuit breaker open", "delivery: probing host", "delivery: host circuit breaker closed":
				default:
					t.Errorf("logged %q at %v, want Debug", r.msg, r.level)
				}
			}
		})
	}
}
