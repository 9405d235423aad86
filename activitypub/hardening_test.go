package activitypub_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestConcurrentDuplicates posts the same Follow 16 times at once: every copy is accepted and
// the follow is applied exactly once.
func TestConcurrentDuplicates(t *testing.T) {
	s := newSiteWith(t, memstore.New(), nil)
	alice := activitypubtest.NewRemote(t, "alice")
	newsID := s.fed.ActorID("news")
	body := mustJSONBytes(map[string]any{"id": alice.ActorID() + "/follows/1", "type": "Follow", "actor": alice.ActorID(), "object": newsID})
	key := alice.Key()
	var wg sync.WaitGroup
	codes := make([]int, 16)
	for i := range codes {
		wg.Go(func() { codes[i] = postSigned(t, s, newsID+"/inbox", body, &key, time.Now(), nil) })
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusAccepted {
			t.Errorf("copy %d: status %d", i, c)
		}
	}
	p, err := s.store.AuditPage(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].Action != "follow" {
		t.Fatalf("audit = %+v, want one follow", p.Items)
	}
	waitFor(t, func() bool { return len(alice.Deliveries()) >= 1 })
	time.Sleep(100 * time.Millisecond)
	if n := len(alice.Deliveries()); n != 1 {
		t.Errorf("alice got %d Accepts, want 1", n)
	}
}

// flakyStore fails AddFollower while failing is set.
type flakyStore struct {
	*memstore.Store
	failing atomic.Bool
}

func (f *flakyStore) AddFollower(ctx context.Context, fl store.Follower) error {
	if f.failing.Load() {
		return errors.New("disk on fire")
	}
	return f.Store.AddFollower(ctx, fl)
}

// TestFailedActivityIsRetried checks that an activity whose processing failed (500) is processed
// when the sender retries it: the id marked seen is forgotten, and no warning is logged for a
// forget, or an audit entry, that worked.
func TestFailedActivityIsRetried(t *testing.T) {
	flaky := &flakyStore{Store: memstore.New()}
	mem := flaky.Store
	var logs lockedBuffer
	s := newSiteWith(t, flaky, func(c *activitypub.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	s.store = mem
	alice := activitypubtest.NewRemote(t, "alice")
	newsID := s.fed.ActorID("news")
	body := mustJSONBytes(map[string]any{"id": alice.ActorID() + "/follows/1", "type": "Follow", "actor": alice.ActorID(), "object": newsID})
	key := alice.Key()
	flaky.failing.Store(true)
	if c := postSigned(t, s, newsID+"/inbox", body, &key, time.Now(), nil); c != http.StatusInternalServerError {
		t.Fatalf("first copy: status %d, want 500", c)
	}
	flaky.failing.Store(false)
	if c := postSigned(t, s, newsID+"/inbox", body, &key, time.Now(), nil); c != http.StatusAccepted {
		t.Fatalf("retry: status %d, want 202", c)
	}
	if n, _ := mem.CountFollowers(context.Background(), newsID); n != 1 {
		t.Fatalf("followers = %d after the retry, want 1", n)
	}
	if c := postSigned(t, s, newsID+"/inbox", body, &key, time.Now(), nil); c != http.StatusAccepted {
		t.Fatalf("third copy: status %d", c)
	}
	p, _ := mem.AuditPage(context.Background(), "", 10)
	if len(p.Items) != 1 {
		t.Fatalf("audit has %d entries, want the follow once", len(p.Items))
	}
	for _, msg := range []string{"activitypub: forget seen", "activitypub: audit"} {
		if strings.Contains(logs.String(), msg) {
			t.Errorf("%q logged for a step that worked:\n%s", msg, logs.String())
		}
	}
}

// TestRequireSignedFetch checks which GETs need a signature under RequireSignedFetch, and that
// the answer varies on it.
func TestRequireSignedFetch(t *testing.T) {
	s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) { c.RequireSignedFetch = true })
	alice := activitypubtest.NewRemote(t, "alice")
	mallory := activitypubtest.NewRemote(t, "mallory")
	if err := s.fed.BlockActor(t.Context(), mallory.ActorID(), "abuse"); err != nil {
		t.Fatal(err)
	}
	aliceKey, malloryKey := alice.Key(), mallory.Key()
	newsID := s.fed.ActorID("news")
	if err := s.fed.Publish(context.Background(), "news", activitypub.Article{URL: s.url("/articles/a"), Title: "A", Content: "<p>a</p>"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url string
		key       *signing.Key
		want      int
		vary      bool
	}{
		{"actor unsigned", newsID, nil, 401, true},
		{"actor signed", newsID, &aliceKey, 200, true},
		{"actor by a blocked signer", newsID, &malloryKey, 403, true},
		{"followers unsigned", newsID + "/followers", nil, 401, true},
		{"followers signed", newsID + "/followers", &aliceKey, 200, true},
		{"outbox page unsigned", newsID + "/outbox?page=true", nil, 401, true},
		{"outbox page signed", newsID + "/outbox?page=true", &aliceKey, 200, true},
		{"article unsigned", s.url("/articles/a"), nil, 401, true},
		{"article signed", s.url("/articles/a"), &aliceKey, 200, true},
		{"instance actor unsigned", s.fed.InstanceActorID(), nil, 200, false},
		{"webfinger unsigned", s.url("/.well-known/webfinger?resource=acct:news@" + s.srv.Listener.Addr().String()), nil, 200, false},
		{"host-meta unsigned", s.url("/.well-known/host-meta"), nil, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
			req.Header.Set("Accept", vocab.MediaType)
			if tt.key != nil {
				if err := signing.Sign(req, *tt.key, nil, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if got := hasVary(resp.Header, "Signature"); got != tt.vary {
				t.Errorf("Vary: Signature present = %v, want %v (Vary %q)", got, tt.vary, resp.Header.Values("Vary"))
			}
		})
	}
}

func hasVary(h http.Header, name string) bool {
	for _, v := range h.Values("Vary") {
		for _, p := range splitComma(v) {
			if http.CanonicalHeaderKey(p) == name {
				return true
			}
		}
	}
	return false
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			p := s[start:i]
			for len(p) > 0 && p[0] == ' ' {
				p = p[1:]
			}
			out = append(out, p)
			start = i + 1
		}
	}
	return out
}

// rotatingActor is a remote actor whose key can be replaced.
type rotatingActor struct {
	srv *httptest.Server
	mu  sync.Mutex
	key *rsa.PrivateKey
}

func (a *rotatingActor) id() string { return a.srv.URL + "/users/rot" }

func (a *rotatingActor) current() signing.Key {
	a.mu.Lock()
	defer a.mu.Unlock()
	return signing.Key{ID: a.id() + "#main-key", Signer: a.key}
}

// TestKeyRotation checks that a signature by a rotated key verifies: the cached key fails, the
// key is fetched once more and the new one verifies.
func TestKeyRotation(t *testing.T) {
	k1, _ := signing.GenerateKey()
	a := &rotatingActor{key: k1}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		pub, _ := signing.EncodePublicKey(&a.key.PublicKey)
		a.mu.Unlock()
		w.Header().Set("Content-Type", vocab.MediaType)
		json.NewEncoder(w).Encode(map[string]any{"id": a.id(), "type": "Person", "inbox": a.id() + "/inbox",
			"publicKey": map[string]string{"id": a.id() + "#main-key", "owner": a.id(), "publicKeyPem": string(pub)}})
	}))
	defer a.srv.Close()
	s := newSiteWith(t, memstore.New(), nil)
	like := func(n string) []byte {
		return mustJSONBytes(map[string]any{"id": a.id() + "/likes/" + n, "type": "Like", "actor": a.id(), "object": s.url("/articles/x")})
	}
	k := a.current()
	if c := postSigned(t, s, s.url("/ap/inbox"), like("1"), &k, time.Now(), nil); c != http.StatusAccepted {
		t.Fatalf("before rotation: status %d", c)
	}
	k2, _ := signing.GenerateKey()
	a.mu.Lock()
	a.key = k2
	a.mu.Unlock()
	k = a.current()
	if c := postSigned(t, s, s.url("/ap/inbox"), like("2"), &k, time.Now(), nil); c != http.StatusAccepted {
		t.Fatalf("after rotation: status %d, want 202", c)
	}
	stale := signing.Key{ID: k.ID, Signer: k1}
	if c := postSigned(t, s, s.url("/ap/inbox"), like("3"), &stale, time.Now(), nil); c != http.StatusUnauthorized {
		t.Fatalf("old key after rotation: status %d, want 401", c)
	}
}

// TestActorPublishesMultikey checks the FEP-521a assertionMethod beside publicKey: an Ed25519
// Multikey controlled by the actor, stable across fetches.
func TestActorPublishesMultikey(t *testing.T) {
	s := newSiteWith(t, memstore.New(), nil)
	newsID := s.fed.ActorID("news")
	var first string
	for range 2 {
		_, body := s.get(t, "/ap/users/news", vocab.MediaType)
		var doc struct {
			Context         []any              `json:"@context"`
			PublicKey       map[string]string  `json:"publicKey"`
			AssertionMethod []signing.Multikey `json:"assertionMethod"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.PublicKey["id"] != newsID+"#main-key" {
			t.Fatalf("publicKey = %v", doc.PublicKey)
		}
		if len(doc.AssertionMethod) != 1 {
			t.Fatalf("assertionMethod = %+v, want one Multikey", doc.AssertionMethod)
		}
		mk := doc.AssertionMethod[0]
		if mk.Type != "Multikey" || mk.Controller != newsID || mk.ID != newsID+"#ed25519-key" || !strings.HasPrefix(mk.PublicKeyMultibase, "z6Mk") {
			t.Fatalf("multikey = %+v", mk)
		}
		if _, err := signing.ParsePublicKeyMultibase(mk.PublicKeyMultibase); err != nil {
			t.Fatalf("publicKeyMultibase: %v", err)
		}
		if !strings.Contains(string(body), `"https://w3id.org/security/multikey/v1"`) {
			t.Error("@context lacks the Multikey context")
		}
		if first != "" && first != mk.PublicKeyMultibase {
			t.Fatal("the Ed25519 key changed between fetches")
		}
		first = mk.PublicKeyMultibase
	}
}
