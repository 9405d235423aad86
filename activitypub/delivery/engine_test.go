package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/inboxfleet"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

func TestNewRequiresFields(t *testing.T) {
	keys := func(context.Context, string) (signing.Key, error) { return signing.Key{}, nil }
	full := func(t *testing.T) Config {
		e := newEnv(t, nil)
		return Config{Store: e.st, Inboxes: e.st, Documents: e.st, Keys: keys}
	}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"store", func(c *Config) { c.Store = nil }, "Store"},
		{"inboxes", func(c *Config) { c.Inboxes = nil }, "Inboxes"},
		{"documents", func(c *Config) { c.Documents = nil }, "Documents"},
		{"keys", func(c *Config) { c.Keys = nil }, "Keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := full(t)
			tt.edit(&cfg)
			_, err := New(cfg)
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("New: %v, want ErrInvalidConfig naming %s", err, tt.field)
			}
		})
	}
	if _, err := New(full(t)); err != nil {
		t.Fatalf("New with every required field: %v", err)
	}
}

// TestFanOut delivers one activity to followers spread over several pages and hosts: every
// distinct inbox gets it once, signed, and the status and counters say so.
func TestFanOut(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PageSize = 7 })
	servers := []*inbox{newInbox(t, nil), newInbox(t, nil), newInbox(t, nil)}
	const perServer = 20
	for i, s := range servers {
		for j := range perServer {
			// Two followers share each inbox: it must get the activity once.
			for k := range 2 {
				e.follow(t, fmt.Sprintf("https://remote.test/u/%d-%d-%d", i, j, k), s.url(fmt.Sprintf("/inbox/%d", j)))
			}
		}
	}
	e.run(t)
	if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor}); err != nil {
		t.Fatal(err)
	}
	total := func() int {
		n := 0
		for _, s := range servers {
			n += s.count()
		}
		return n
	}
	waitFor(t, "every inbox", func() bool { return total() == len(servers)*perServer })
	for i, s := range servers {
		seen := map[string]bool{}
		for _, h := range s.snapshot() {
			if seen[h.path] {
				t.Errorf("server %d: %s got the activity twice", i, h.path)
			}
			seen[h.path] = true
			if !strings.Contains(h.body, testActivity) {
				t.Errorf("server %d: body %q", i, h.body)
			}
		}
	}
	waitFor(t, "status", func() bool {
		st, err := e.eng.Status(t.Context(), testObject)
		return err == nil && st.Total.Delivered == len(servers)*perServer
	})
	st, err := e.eng.Status(t.Context(), testObject)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Hosts) != len(servers) {
		t.Errorf("status has %d hosts, want %d", len(st.Hosts), len(servers))
	}
	for _, h := range st.Hosts {
		if h.Delivered != perServer || h.Queued+h.Retrying+h.Failed != 0 {
			t.Errorf("host %s: %+v", h.Host, h.Counts)
		}
	}
	stats, err := e.eng.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Delivered != uint64(len(servers)*perServer) || stats.Failed != 0 {
		t.Errorf("stats %+v", stats)
	}
	if stats.Queue != (store.QueueDepth{}) {
		t.Errorf("queue depth %+v after everything was delivered, want empty", stats.Queue)
	}
}

// TestFailures runs one delivery against inboxes that fail in each way the fediverse does.
func TestFailures(t *testing.T) {
	var hung atomic.Int64 // how long a hanging request was held, for the client's timeout
	tests := []struct {
		name   string
		script func(n int, w http.ResponseWriter, r *http.Request) bool
		edit   func(*Config)
		// check runs once the delivery is settled.
		want    func(t *testing.T, e *env, in *inbox)
		settled func(s Stats) bool
	}{
		{
			name: "500 then success",
			script: func(n int, w http.ResponseWriter, _ *http.Request) bool {
				if n < 2 {
					w.WriteHeader(http.StatusInternalServerError)
					return true
				}
				return false
			},
			settled: func(s Stats) bool { return s.Delivered == 1 },
			want: func(t *testing.T, e *env, in *inbox) {
				if n := in.count(); n != 3 {
					t.Errorf("%d attempts, want 3", n)
				}
				if s, _ := e.eng.Stats(t.Context()); s.Retried != 2 {
					t.Errorf("Retried %d, want 2", s.Retried)
				}
			},
		},
		{
			name: "500 for ever is dead-lettered after the attempts",
			script: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
				w.WriteHeader(http.StatusBadGateway)
				return true
			},
			settled: func(s Stats) bool { return s.DeadLettered == 1 },
			want: func(t *testing.T, e *env, in *inbox) {
				if n := in.count(); n != 3 {
					t.Errorf("%d attempts, want the policy's 3", n)
				}
				s, _ := e.eng.Stats(t.Context())
				if s.Queue.Dead != 1 || s.Failed != 1 {
					t.Errorf("stats %+v, want one dead job", s)
				}
				st, _ := e.eng.Status(t.Context(), testObject)
				if st.Total.Failed != 1 || !strings.Contains(st.Hosts[0].LastError, "502") {
					t.Errorf("status %+v", st)
				}
			},
		},
		{
			name: "429 with Retry-After",
			script: func(n int, w http.ResponseWriter, _ *http.Request) bool {
				if n == 0 {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(http.StatusTooManyRequests)
					return true
				}
				return false
			},
			edit:    func(c *Config) { c.Retry = Backoff{Base: 10 * time.Millisecond, Max: 5 * time.Second, Attempts: 3} },
			settled: func(s Stats) bool { return s.Delivered == 1 },
			want: func(t *testing.T, e *env, in *inbox) {
				h := in.snapshot()
				if len(h) != 2 {
					t.Fatalf("%d attempts, want 2", len(h))
				}
				if gap := h[1].at.Sub(h[0].at); gap < 900*time.Millisecond {
					t.Errorf("retried after %v, want Retry-After's 1 s", gap)
				}
				if st := e.hostState(t, hostOf(in)); st.Failures != 0 {
					t.Errorf("a 429 counted as a host failure: %+v", st)
				}
			},
		},
		{
			name: "410 removes the followers and calls OnGone",
			script: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
				w.WriteHeader(http.StatusGone)
				return true
			},
			settled: func(s Stats) bool { return s.Gone == 1 },
			want: func(t *testing.T, e *env, in *inbox) {
				select {
				case fs := <-e.gone:
					if len(fs) != 2 {
						t.Errorf("OnGone got %d followers, want 2", len(fs))
					}
				case <-time.After(5 * time.Second):
					t.Fatal("OnGone not called")
				}
				if n, _ := e.st.CountFollowers(t.Context(), testActor); n != 0 {
					t.Errorf("%d followers left, want 0", n)
				}
				if n := in.count(); n != 1 {
					t.Errorf("%d attempts, want 1: a 410 is final", n)
				}
			},
		},
		{
			name: "an inbox that takes only RFC 9421 gets it after a 401",
			script: func(_ int, w http.ResponseWriter, r *http.Request) bool {
				if r.Header.Get("Signature-Input") == "" {
					w.WriteHeader(http.StatusUnauthorized)
					return true
				}
				return false
			},
			settled: func(s Stats) bool { return s.Delivered == 1 },
			want: func(t *testing.T, e *env, in *inbox) {
				h := in.snapshot()
				if len(h) != 2 || h[0].rfc9421 || !h[1].rfc9421 {
					t.Errorf("requests %+v, want draft-cavage refused, then RFC 9421", h)
				}
				if s, _ := e.eng.Stats(t.Context()); s.Retried != 0 || s.Failed != 0 {
					t.Errorf("stats %+v: the second knock is part of one attempt", s)
				}
			},
		},
		{
			name: "400 to both signature schemes is final",
			script: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
				w.WriteHeader(http.StatusBadRequest)
				return true
			},
			settled: func(s Stats) bool { return s.Failed == 1 },
			want: func(t *testing.T, e *env, in *inbox) {
				// One attempt, knocked twice: draft-cavage, then RFC 9421 after the 400.
				h := in.snapshot()
				if len(h) != 2 || h[0].rfc9421 || !h[1].rfc9421 {
					t.Errorf("requests %+v, want one draft-cavage then one RFC 9421", h)
				}
				if n, _ := e.st.CountFollowers(t.Context(), testActor); n != 2 {
					t.Errorf("%d followers left, want 2", n)
				}
			},
		},
		{
			name: "hang past the timeout",
			script: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 0 {
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					return true
				}
				return false
			},
			edit:    func(c *Config) { c.RequestTimeout = 200 * time.Millisecond },
			settled: func(s Stats) bool { return s.Delivered == 1 },
			want: func(t *testing.T, e *env, in *inbox) {
				if s, _ := e.eng.Stats(t.Context()); s.Retried != 1 {
					t.Errorf("Retried %d, want 1", s.Retried)
				}
			},
		},
		{
			// The env's RequestTimeout is 2 s: the client's 200 ms ends the first attempt.
			name: "hang past the client's timeout, shorter than the request timeout",
			script: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 0 {
					start := time.Now()
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					hung.Store(int64(time.Since(start)))
					return true
				}
				return false
			},
			edit:    func(c *Config) { c.Client = &http.Client{Timeout: 200 * time.Millisecond} },
			settled: func(s Stats) bool { return s.Delivered == 1 },
			want: func(t *testing.T, e *env, in *inbox) {
				if s, _ := e.eng.Stats(t.Context()); s.Retried != 1 {
					t.Errorf("Retried %d, want 1", s.Retried)
				}
				if d := time.Duration(hung.Load()); d < 150*time.Millisecond || d > time.Second {
					t.Errorf("the first attempt was cut after %v, want about the client's 200ms", d)
				}
			},
		},
		{
			name: "connection reset",
			script: func(n int, w http.ResponseWriter, _ *http.Request) bool {
				if n == 0 {
					conn, _, err := http.NewResponseController(w).Hijack()
					if err != nil {
						panic(err)
					}
					conn.(*net.TCPConn).SetLinger(0) // RST instead of FIN
					conn.Close()
					return true
				}
				return false
			},
			settled: func(s Stats) bool { return s.Delivered == 1 },
			want: func(t *testing.T, e *env, in *inbox) {
				if s, _ := e.eng.Stats(t.Context()); s.Retried != 1 {
					t.Errorf("Retried %d, want 1", s.Retried)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.edit)
			in := newInbox(t, tt.script)
			e.follow(t, "https://remote.test/u/a", in.url("/inbox"))
			if err := e.st.AddFollower(t.Context(), store.Follower{ActorID: testActor,
				FollowerID: "https://remote.test/u/b", Inbox: in.url("/u/b"), SharedInbox: in.url("/inbox")}); err != nil {
				t.Fatal(err)
			}
			e.run(t)
			if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the delivery to settle", func() bool {
				s, err := e.eng.Stats(t.Context())
				return err == nil && tt.settled(s)
			})
			tt.want(t, e, in)
		})
	}
}

func hostOf(in *inbox) string { return strings.TrimPrefix(in.srv.URL, "http://") }

// TestOrdering: a Delete enqueued after a Create of the same object reaches each inbox after it,
// even when the Create needs retries.
func TestOrdering(t *testing.T) {
	in := newInbox(t, func(n int, w http.ResponseWriter, _ *http.Request) bool {
		if n < 2 {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
	e := newEnv(t, func(c *Config) { c.PageSize = 2 })
	const del = "https://site.test/ap/activities/2"
	if err := e.st.PutObject(t.Context(), store.Object{ID: del, ActorID: testActor, Type: "Delete",
		Document: []byte(`{"id":"` + del + `","type":"Delete"}`)}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		e.follow(t, fmt.Sprintf("https://remote.test/u/%d", i), in.url(fmt.Sprintf("/inbox/%d", i)))
	}
	if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ObjectID: testObject, ActorID: testActor}); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Enqueue(t.Context(), Activity{ID: del, ObjectID: testObject, ActorID: testActor}); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	waitFor(t, "both activities everywhere", func() bool {
		s, _ := e.eng.Stats(t.Context())
		return s.Delivered == 10
	})
	order := map[string][]string{}
	for _, h := range in.snapshot() {
		kind := "Create"
		if strings.Contains(h.body, "Delete") {
			kind = "Delete"
		}
		order[h.path] = append(order[h.path], kind)
	}
	for path, kinds := range order {
		if last := kinds[len(kinds)-1]; last != "Delete" || strings.Contains(strings.Join(kinds[:len(kinds)-1], " "), "Delete") {
			t.Errorf("%s got %v, want every Create before the Delete", path, kinds)
		}
	}
}

// TestRunStops: Run returns soon after ctx ends and leaves unsent jobs in the queue.
func TestRunStops(t *testing.T) {
	block := make(chan struct{})
	in := newInbox(t, func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-block:
		case <-r.Context().Done():
		}
		return false
	})
	defer close(block)
	e := newEnv(t, func(c *Config) { c.Workers = 1 })
	for i := range 3 {
		e.follow(t, fmt.Sprintf("https://remote.test/u/%d", i), in.url(fmt.Sprintf("/inbox/%d", i)))
	}
	if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ActorID: testActor}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- e.eng.Run(ctx) }()
	waitFor(t, "the first request", func() bool { return in.count() == 1 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	d, err := e.st.Depth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d.Ready+d.Leased+d.Delayed != 3 {
		t.Errorf("queue %+v, want the 3 deliveries left", d)
	}
}

// leaseSizes is a queue that records how many jobs each Lease asked for and got.
type leaseSizes struct {
	store.Queue
	mu         sync.Mutex
	asked, got []int
}

func (q *leaseSizes) Lease(ctx context.Context, max int, visibility time.Duration) ([]store.Lease, error) {
	ls, err := q.Queue.Lease(ctx, max, visibility)
	q.mu.Lock()
	q.asked, q.got = append(q.asked, max), append(q.got, len(ls))
	q.mu.Unlock()
	return ls, err
}

// TestLeaseGroups checks that while jobs are waiting, Run leases them in groups of a quarter of
// its slots (here 2×8/4 = 4) rather than one by one as each slot frees.
func TestLeaseGroups(t *testing.T) {
	fleet := startFleet(t)
	q := &leaseSizes{}
	e := newEnv(t, func(c *Config) { c.Workers, c.Client = 8, inboxfleet.SharedClient(fleet.Addr(), 8) })
	q.Queue = e.st
	e.eng.cfg.Store = withQueue(e.st, q)
	const n = 200
	e.fanOut(t, fleet, n) // one host each, so no job waits for another (see deliverJob)
	q.mu.Lock()
	defer q.mu.Unlock()
	small := 0
	for i := 1; i < len(q.asked); i++ {
		if q.got[i-1] == q.asked[i-1] && q.asked[i] < 4 {
			small++ // a lease of fewer than 4 right after one that found a backlog
		}
	}
	if small > 0 || len(q.asked) > n/4+10 {
		t.Errorf("%d leases for %d jobs, %d of them smaller than a group while jobs waited; asked %v, got %v",
			len(q.asked), n, small, q.asked, q.got)
	}
}

// TestEnqueueJobID checks that an Activity's JobID names its job: enqueuing it again while the
// job waits is a conflict that queues nothing, for a fan-out and a single delivery alike, and
// activities without one never conflict.
func TestEnqueueJobID(t *testing.T) {
	tests := []struct {
		name string
		act  Activity
		want error
	}{
		{"fan-out", Activity{ID: testActivity, ActorID: testActor, JobID: "move 1"}, store.ErrConflict},
		{"deliver", Activity{ID: testActivity, ActorID: testActor, Inbox: "https://peer.test/inbox", JobID: "move 2"}, store.ErrConflict},
		{"no id", Activity{ID: testActivity, ActorID: testActor}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := t.Context()
			if err := e.eng.Enqueue(ctx, tt.act); err != nil {
				t.Fatal(err)
			}
			if err := e.eng.Enqueue(ctx, tt.act); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("second Enqueue = %v, want %v", err, tt.want)
			}
			depth, err := e.st.Depth(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := 2
			if tt.want != nil {
				want = 1
			}
			if got := depth.Ready + depth.Delayed; got != want {
				t.Errorf("jobs queued = %d, want %d", got, want)
			}
		})
	}
}
