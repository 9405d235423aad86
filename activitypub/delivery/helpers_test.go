package delivery

import (
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

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
	e := &env{
		st:   memstore.New(),
		gone: make(chan []store.Follower, 16),
	}
	ctx := t.Context()
	if err := e.st.PutObject(ctx, store.Object{ID: testActivity, ActorID: testActor, Type: "Create",
		Document: []byte(`{"id":"` + testActivity + `","type":"Create"}`)}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Queue: e.st, Inboxes: e.st, Documents: e.st, Followers: e.st, Hosts: e.st, Deliveries: e.st,
		Keys: func(context.Context, string) (signing.Key, error) {
			return signing.Key{ID: testActor + "#main-key", Signer: testKey()}, nil
		},
		OnGone:         func(_ context.Context, _ string, fs []store.Follower) { e.gone <- fs },
		PollInterval:   10 * time.Millisecond,
		RequestTimeout: 2 * time.Second,
		LeaseTimeout:   10 * time.Second,
		Retry:          Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond, Attempts: 3},
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
