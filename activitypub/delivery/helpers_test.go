package delivery

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/testbed/inboxfleet"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

const (
	testActor    = "https://site.test/ap/users/news"
	testActivity = "https://site.test/ap/activities/1"
	testObject   = "https://site.test/articles/1"
)

// testKey is made once per test binary: RSA key generation is slow.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := signing.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

// env is an Engine over a memstore.
type env struct {
	st   *memstore.Store
	eng  *Engine
	gone chan []store.Follower
}

// newEnv builds an Engine over a fresh memstore holding the test activity. edit, if not nil,
// adjusts the Config first.
func newEnv(t *testing.T, edit func(*Config)) *env {
	t.Helper()
	return newEnvAt(t, time.Now, edit)
}

// newEnvAt is newEnv with the store and the Engine telling the time with now.
func newEnvAt(t *testing.T, now func() time.Time, edit func(*Config)) *env {
	t.Helper()
	e := &env{
		st:   memstore.NewWithClock(now),
		gone: make(chan []store.Follower, 16),
	}
	ctx := t.Context()
	if err := e.st.PutObject(ctx, store.Object{ID: testActivity, ActorID: testActor, Type: "Create",
		Document: []byte(`{"id":"` + testActivity + `","type":"Create"}`)}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Store: e.st, Inboxes: e.st, Documents: e.st, Followers: e.st,
		Keys: func(context.Context, string) (signing.Key, error) {
			return signing.Key{ID: testActor + "#main-key", Signer: testKey()}, nil
		},
		OnGone: func(_ context.Context, _ string, fs []store.Follower) { e.gone <- fs },
		Options: Options{
			PollInterval:   10 * time.Millisecond,
			RequestTimeout: 2 * time.Second,
			LeaseTimeout:   10 * time.Second,
			Retry:          Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond, Attempts: 3},
		},
		Now: now,
	}
	if edit != nil {
		edit(&cfg)
	}
	eng, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.eng = eng
	return e
}

// run runs the engine until the test ends.
func (e *env) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.eng.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// follow adds a follower whose delivery inbox is inbox.
func (e *env) follow(t *testing.T, id, inbox string) {
	t.Helper()
	if err := e.st.AddFollower(t.Context(), store.Follower{ActorID: testActor, FollowerID: id, Inbox: inbox}); err != nil {
		t.Fatal(err)
	}
}

// hostState reads one host's breaker state from the store.
func (e *env) hostState(t *testing.T, host string) store.HostState {
	t.Helper()
	sts, err := e.st.HostStates(t.Context(), host)
	if err != nil || len(sts) != 1 {
		t.Fatalf("HostStates(%q) = %v, %v", host, sts, err)
	}
	return sts[0]
}

// leaseDeliveries enqueues n deliver jobs in the store and leases them.
func (e *env) leaseDeliveries(t *testing.T, n int) []store.Lease {
	t.Helper()
	jobs := make([]store.Job, n)
	for i := range jobs {
		jobs[i] = store.Job{Kind: KindDeliver}
	}
	if err := e.st.Enqueue(t.Context(), jobs...); err != nil {
		t.Fatal(err)
	}
	ls, err := e.st.Lease(t.Context(), n, time.Minute)
	if err != nil || len(ls) != n {
		t.Fatalf("Lease = %d, %v; want %d", len(ls), err, n)
	}
	return ls
}

// waitFor polls cond until it holds or 10 s pass.
// startFleet starts an inbox fleet that verifies the test actor's signatures, closed when the test
// ends.
func startFleet(t *testing.T) *inboxfleet.Fleet {
	t.Helper()
	fleet, err := inboxfleet.Start(inboxfleet.Config{Key: testKey().Public(), KeyID: testActor + "#main-key"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Close() })
	return fleet
}

// fanOut has n remote actors, each on a host of its own in fleet, follow the test actor, enqueues
// the test activity, runs the engine and waits until every inbox has it.
func (e *env) fanOut(t *testing.T, fleet *inboxfleet.Fleet, n int) {
	t.Helper()
	for i := range n {
		e.follow(t, fmt.Sprintf("https://remote.test/u/%d", i), inboxfleet.Inbox(i, i))
	}
	if err := e.eng.Enqueue(t.Context(), Activity{ID: testActivity, ActorID: testActor}); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	waitFor(t, "every inbox", func() bool { return fleet.Distinct() == n })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// inbox is a fake inbox that verifies every delivery's signature and answers per its script.
type inbox struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	hits   []hit
	script func(n int, w http.ResponseWriter, r *http.Request) bool // true: answered
}

type hit struct {
	at      time.Time
	path    string
	body    string
	rfc9421 bool // signed with RFC 9421 rather than draft-cavage
}

func newInbox(t *testing.T, script func(n int, w http.ResponseWriter, r *http.Request) bool) *inbox {
	in := &inbox{t: t, script: script}
	keys := signing.KeyResolverFunc(func(_ context.Context, keyID string, _ bool) (*signing.PublicKey, error) {
		if keyID != testActor+"#main-key" {
			return nil, errors.New("unknown key")
		}
		return &signing.PublicKey{ID: keyID, Owner: testActor, Key: testKey().Public(), Fresh: true}, nil
	})
	v, err := signing.NewVerifier(signing.VerifierConfig{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r.Context(), r, body); err != nil {
			t.Errorf("inbox: bad signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/activity+json" {
			t.Errorf("inbox: Content-Type %q", ct)
		}
		in.mu.Lock()
		n := len(in.hits)
		in.hits = append(in.hits, hit{at: time.Now(), path: r.URL.Path, body: string(body), rfc9421: r.Header.Get("Signature-Input") != ""})
		in.mu.Unlock()
		if in.script != nil && in.script(n, w, r) {
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(in.srv.Close)
	return in
}

func (in *inbox) url(path string) string { return in.srv.URL + path }

func (in *inbox) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.hits)
}

func (in *inbox) snapshot() []hit {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.hits)
}

// clock is a Config.Now that moves only when the test moves it.
type clock struct {
	mu         sync.Mutex
	begin, now time.Time
}

// start returns where the clock started.
func (c *clock) start() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.begin
}

// Now tells the clock's time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// advance moves the clock to t, if t is later.
func (c *clock) advance(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// splitStore is a delivery store whose queue is apart from its records, host states and
// operators' views.
type splitStore struct {
	store.Queue
	store.Deliveries
	store.Hosts
	store.QueueAdmin
}

// withQueue returns a delivery store with q for its queue and d's records, host states and
// operators' views, for tests that replace or wrap the queue alone.
func withQueue(d store.Delivery, q store.Queue) store.Delivery {
	return splitStore{Queue: q, Deliveries: d, Hosts: d, QueueAdmin: d}
}

// simQueue is a queue on a test clock, for running an engine through days of retries in no time:
// next hands out the job due first (of those sharing an ordering key, only the oldest), and moves
// the clock to its NotBefore. The engine's calls run on the test's goroutine, but the completer's
// acks on its own.
type simQueue struct {
	store.Queue // the methods the engine does not call are left nil
	clock       *clock
	mu          sync.Mutex
	seq         int
	waiting     []simJob // neither leased, finished nor dead
	dead        []store.Job
}

type simJob struct {
	store.Job
	seq int
}

func (q *simQueue) Enqueue(_ context.Context, jobs ...store.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range jobs {
		q.seq++
		if j.ID == "" {
			j.ID = "job-" + strconv.Itoa(q.seq)
		}
		j.EnqueuedAt = q.clock.Now()
		q.waiting = append(q.waiting, simJob{Job: j, seq: q.seq})
	}
	return nil
}

// next leases the job due first and moves the clock to its time; false when none is left.
func (q *simQueue) next() (store.Lease, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	best := -1
	for i, j := range q.waiting {
		if j.OrderingKey != "" && slices.ContainsFunc(q.waiting, func(o simJob) bool {
			return o.OrderingKey == j.OrderingKey && o.seq < j.seq
		}) {
			continue
		}
		if best < 0 || j.NotBefore.Before(q.waiting[best].NotBefore) {
			best = i
		}
	}
	if best < 0 {
		return store.Lease{}, false
	}
	j := q.waiting[best]
	q.waiting = slices.Delete(q.waiting, best, best+1)
	q.clock.advance(j.NotBefore)
	return store.Lease{Job: j.Job, Token: strconv.Itoa(j.seq), Until: q.clock.Now().Add(time.Hour)}, true
}

func (q *simQueue) Ack(ctx context.Context, _ store.Lease, next ...store.Job) error {
	return q.Enqueue(ctx, next...)
}

// Retry puts the job back in its place, as a queue keeps a retried job at the head of its key.
func (q *simQueue) Retry(_ context.Context, l store.Lease, at time.Time, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	seq, _ := strconv.Atoi(l.Token)
	j := l.Job
	j.NotBefore, j.Attempts, j.LastError = at, j.Attempts+1, reason
	q.waiting = append(q.waiting, simJob{Job: j, seq: seq})
	return nil
}

func (q *simQueue) DeadLetter(_ context.Context, l store.Lease, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	j := l.Job
	j.LastError = reason
	q.dead = append(q.dead, j)
	return nil
}

func (q *simQueue) Depth(context.Context) (store.QueueDepth, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return store.QueueDepth{Delayed: len(q.waiting), Dead: len(q.dead)}, nil
}

func (q *simQueue) UnfinishedKeys(_ context.Context, keys ...string) ([]string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, k := range store.DistinctKeys(keys) {
		if slices.ContainsFunc(q.waiting, func(j simJob) bool { return j.OrderingKey == k }) {
			out = append(out, k)
		}
	}
	return out, nil
}

// deadCount returns how many jobs were dead-lettered.
func (q *simQueue) deadCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.dead)
}

// sim is an engine over a memstore and a simQueue on a test clock, posting through a fake
// transport whose answers the test scripts by the clock.
type sim struct {
	*env
	clock *clock
	q     *simQueue
	logs  *logRecords

	mu sync.Mutex
	// hits are the times each inbox was posted to.
	hits map[string][]time.Time
	// answer tells the status an inbox answers at a time.
	answer func(inbox string, at time.Time) int
}

// newSim builds a sim with the package's default Retry policy and breaker; edit, if not nil,
// adjusts the Config after.
func newSim(t *testing.T, answer func(inbox string, at time.Time) int, edit func(*Config)) *sim {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &sim{clock: &clock{begin: start, now: start}, logs: &logRecords{},
		hits: make(map[string][]time.Time), answer: answer}
	s.q = &simQueue{clock: s.clock}
	s.env = newEnv(t, func(c *Config) {
		c.Store, c.Now, c.Retry = withQueue(c.Store, s.q), s.clock.Now, nil
		c.PollInterval, c.RequestTimeout, c.LeaseTimeout = 0, 0, 0
		c.Logger = slog.New(captureHandler{r: s.logs})
		c.Client = &http.Client{Transport: roundTripFunc(s.roundTrip)}
		if edit != nil {
			edit(c)
		}
	})
	return s
}

func (s *sim) roundTrip(r *http.Request) (*http.Response, error) {
	inbox, now := r.URL.String(), s.clock.Now()
	s.mu.Lock()
	s.hits[inbox] = append(s.hits[inbox], now)
	s.mu.Unlock()
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: s.answer(inbox, now), Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// hitsOf returns the times inbox was posted to.
func (s *sim) hitsOf(inbox string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hits[inbox])
}

// drain runs the queue's jobs, each at its time, until none is left.
func (s *sim) drain(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	done, stop := s.completer(ctx)
	defer stop()
	for range 100000 {
		l, ok := s.q.next()
		if !ok {
			return
		}
		tk, err := decode(l)
		if err != nil {
			t.Fatal(err)
		}
		if l.Kind != KindPage {
			s.eng.run(ctx, tk, done)
			continue
		}
		pg, err := s.eng.openPage(ctx, tk)
		if err != nil {
			t.Fatal(err)
		}
		for pg != nil && !pg.empty() {
			for _, pt := range pg.take(ctx, s.eng, s.eng.cfg.Workers) {
				s.eng.run(ctx, pt, done)
			}
		}
	}
	t.Fatal("the queue never emptied")
}

// completer starts a completer for the engine's deliveries; stop waits for it to finish.
func (s *sim) completer(ctx context.Context) (done *completer, stop func()) {
	done = s.eng.newCompleter()
	var completing sync.WaitGroup
	completing.Go(func() { done.run(ctx) })
	return done, func() {
		close(done.in)
		completing.Wait()
	}
}

// roundTripFunc adapts a function to an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (fn roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return fn(r) }

// logRecords collects what a captureHandler is given.
type logRecords struct {
	mu   sync.Mutex
	recs []logRecord
}

// logRecord is one log call, with its attributes (those of the logger's With included) as text.
type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

// matching returns the records at level with message msg.
func (r *logRecords) matching(level slog.Level, msg string) []logRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []logRecord
	for _, x := range r.recs {
		if x.level == level && x.msg == msg {
			out = append(out, x)
		}
	}
	return out
}

// atLeast returns the records at level or above.
func (r *logRecords) atLeast(level slog.Level) []logRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []logRecord
	for _, x := range r.recs {
		if x.level >= level {
			out = append(out, x)
		}
	}
	return out
}

// captureHandler is a slog.Handler that keeps every record in r. The engine logs no groups.
type captureHandler struct {
	r     *logRecords
	attrs []slog.Attr
}

func (captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h captureHandler) Handle(_ context.Context, rec slog.Record) error {
	x := logRecord{level: rec.Level, msg: rec.Message, attrs: make(map[string]string)}
	for _, a := range h.attrs {
		x.attrs[a.Key] = a.Value.String()
	}
	rec.Attrs(func(a slog.Attr) bool {
		x.attrs[a.Key] = a.Value.String()
		return true
	})
	h.r.mu.Lock()
	h.r.recs = append(h.r.recs, x)
	h.r.mu.Unlock()
	return nil
}

func (h captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return captureHandler{r: h.r, attrs: append(slices.Clone(h.attrs), as...)}
}

func (h captureHandler) WithGroup(string) slog.Handler { return h }
