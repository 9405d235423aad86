package signing

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/corpus"
)

// docServer is a TLS test server serving AS2 documents by path.
type docServer struct {
	*httptest.Server
	mu     sync.Mutex
	docs   map[string]string
	status map[string]int // paths answered with that status and no document
	ctype  string
	hits   atomic.Int32
	agents []string // User-Agent of each request, in order
}

func newDocServer(t *testing.T) *docServer {
	t.Helper()
	d := &docServer{docs: map[string]string{}, ctype: "application/activity+json"}
	d.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.hits.Add(1)
		d.mu.Lock()
		d.agents = append(d.agents, r.Header.Get("User-Agent"))
		d.mu.Unlock()
		if r.Header.Get("Accept") != Accept {
			http.Error(w, "bad accept "+r.Header.Get("Accept"), http.StatusNotAcceptable)
			return
		}
		d.mu.Lock()
		doc, ok := d.docs[r.URL.Path]
		code, fail := d.status[r.URL.Path]
		ct := d.ctype
		d.mu.Unlock()
		if fail {
			w.WriteHeader(code)
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Write([]byte(doc))
	}))
	t.Cleanup(d.Close)
	return d
}

// serve puts a corpus document at path, replacing origin by the server URL.
func (d *docServer) serve(t *testing.T, path, corpusFile, origin string) {
	t.Helper()
	d.set(path, strings.ReplaceAll(string(corpus.ReadFile(t, corpusFile)), origin, d.URL))
}

func (d *docServer) set(path, doc string) {
	d.mu.Lock()
	d.docs[path] = doc
	d.mu.Unlock()
}

func (d *docServer) resolver(t *testing.T, cfg ResolverConfig) *Resolver {
	t.Helper()
	cfg.Client = d.Client()
	r, err := NewResolver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// gtsStub builds GoToSocial's stub actor (id, preferredUsername, publicKey,
// type) from a full actor document.
func gtsStub(t *testing.T, actor string) string {
	t.Helper()
	var full map[string]any
	if err := json.Unmarshal([]byte(actor), &full); err != nil {
		t.Fatal(err)
	}
	stub := map[string]any{}
	for _, k := range []string{"@context", "id", "preferredUsername", "publicKey", "type"} {
		stub[k] = full[k]
	}
	b, _ := json.Marshal(stub)
	return string(b)
}

func TestResolverCorpusActors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		setup     func(t *testing.T, d *docServer)
		keyPath   string // keyId relative to the server URL
		ownerPath string
		fetches   int32
	}{
		{"Fedify actor with publicKey array", func(t *testing.T, d *docServer) {
			d.serve(t, "/users/bob", "fedify/remote.domain_users_bob.json", "https://remote.domain")
		}, "/users/bob#main-key", "/users/bob", 1},
		{"Mastodon actor with publicKey object", func(t *testing.T, d *docServer) {
			d.serve(t, "/users/mastodon", "mastodon/objects_person.json", "https://masto.qa.urbanwildlife.biz")
		}, "/users/mastodon#main-key", "/users/mastodon", 1},
		{"Fedify key object, owner round trip", func(t *testing.T, d *docServer) {
			d.serve(t, "/key", "fedify/example.com_key.json", "https://example.com")
			d.serve(t, "/person", "fedify/example.com_person.json", "https://example.com")
		}, "/key", "/person", 2},
		{"GoToSocial stub actor at /main-key", func(t *testing.T, d *docServer) {
			d.serve(t, "/users/the_mighty_zork", "gotosocial/internaltoas__TestAccountToAS__Person__L51.json", "http://localhost:8080")
			d.set("/users/the_mighty_zork/main-key", gtsStub(t, d.docs["/users/the_mighty_zork"]))
		}, "/users/the_mighty_zork/main-key", "/users/the_mighty_zork", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDocServer(t)
			tt.setup(t, d)
			r := d.resolver(t, ResolverConfig{})
			keyID := d.URL + tt.keyPath
			k, err := r.ResolveKey(ctx, keyID, false)
			if err != nil {
				t.Fatal(err)
			}
			if k.ID != keyID || k.Owner != d.URL+tt.ownerPath || !k.Fresh || k.Key == nil {
				t.Errorf("got %+v", k)
			}
			if n := d.hits.Load(); n != tt.fetches {
				t.Errorf("fetches = %d, want %d", n, tt.fetches)
			}
			// The owner's document comes back as served, whichever document held the key.
			ownerDoc := d.docs[tt.ownerPath]
			if string(k.OwnerDocument) != ownerDoc {
				t.Errorf("OwnerDocument = %.80q…, want the document at %s", k.OwnerDocument, tt.ownerPath)
			}
			// Cached now.
			k2, err := r.ResolveKey(ctx, keyID, false)
			if err != nil {
				t.Fatal(err)
			}
			if k2.Fresh || d.hits.Load() != tt.fetches {
				t.Errorf("second lookup: Fresh=%v fetches=%d", k2.Fresh, d.hits.Load())
			}
			if k2.OwnerDocument != nil {
				t.Errorf("second lookup: OwnerDocument %.80q…, want nil from the cache", k2.OwnerDocument)
			}
			// refresh bypasses the cache.
			k3, err := r.ResolveKey(ctx, keyID, true)
			if err != nil {
				t.Fatal(err)
			}
			if !k3.Fresh || d.hits.Load() != 2*tt.fetches {
				t.Errorf("refresh: Fresh=%v fetches=%d", k3.Fresh, d.hits.Load())
			}
			if string(k3.OwnerDocument) != ownerDoc {
				t.Errorf("refresh: OwnerDocument = %.80q…, want the document at %s", k3.OwnerDocument, tt.ownerPath)
			}
		})
	}
}

// TestResolverUserAgent checks that both fetches of a key object and its
// owner carry the configured User-Agent, or the default one.
func TestResolverUserAgent(t *testing.T) {
	tests := []struct {
		name, userAgent, want string
	}{
		{"default", "", DefaultUserAgent},
		{"configured", "fedsite (+https://news.example)", "fedsite (+https://news.example)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDocServer(t)
			d.serve(t, "/key", "fedify/example.com_key.json", "https://example.com")
			d.serve(t, "/person", "fedify/example.com_person.json", "https://example.com")
			r := d.resolver(t, ResolverConfig{UserAgent: tt.userAgent})
			if _, err := r.ResolveKey(t.Context(), d.URL+"/key", false); err != nil {
				t.Fatal(err)
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			if len(d.agents) != 2 || d.agents[0] != tt.want || d.agents[1] != tt.want {
				t.Errorf("User-Agents %q, want %q on both fetches", d.agents, tt.want)
			}
		})
	}
}

func TestResolverRejects(t *testing.T) {
	ctx := context.Background()
	// Read once here: the subtests' setups call bobDoc, and only this test's t may end this test.
	bobJSON := string(corpus.ReadFile(t, "fedify/remote.domain_users_bob.json"))
	bobDoc := func(d *docServer) string { return strings.ReplaceAll(bobJSON, "https://remote.domain", d.URL) }
	tests := []struct {
		name    string
		setup   func(t *testing.T, d *docServer) (keyID string)
		cfg     ResolverConfig
		wantErr string
	}{
		{"not found", func(t *testing.T, d *docServer) string { return d.URL + "/users/nobody#main-key" }, ResolverConfig{}, "status 404"},
		{"HTML content type", func(t *testing.T, d *docServer) string {
			d.set("/users/bob", bobDoc(d))
			d.ctype = "text/html; charset=utf-8"
			return d.URL + "/users/bob#main-key"
		}, ResolverConfig{}, "is not ActivityStreams"},
		{"JSON-LD without the ActivityStreams profile", func(t *testing.T, d *docServer) string {
			d.set("/users/bob", bobDoc(d))
			d.ctype = "application/ld+json"
			return d.URL + "/users/bob#main-key"
		}, ResolverConfig{}, "is not ActivityStreams"},
		{"key not listed", func(t *testing.T, d *docServer) string {
			d.set("/users/bob", bobDoc(d))
			return d.URL + "/users/bob#other-key"
		}, ResolverConfig{}, "publicKey does not list"},
		{"owner is another actor", func(t *testing.T, d *docServer) string {
			d.set("/users/bob", strings.Replace(bobDoc(d), `"owner": "`+d.URL+`/users/bob"`, `"owner": "`+d.URL+`/users/mallory"`, 1))
			return d.URL + "/users/bob#main-key"
		}, ResolverConfig{}, "is not actor"},
		{"key object whose owner does not list it", func(t *testing.T, d *docServer) string {
			d.serve(t, "/key", "fedify/example.com_key.json", "https://example.com")
			d.set("/person", bobDoc(d)) // id is /users/bob, not /person
			return d.URL + "/key"
		}, ResolverConfig{}, "owner document has id"},
		{"key object owner lists a different key", func(t *testing.T, d *docServer) string {
			d.serve(t, "/key", "fedify/example.com_key.json", "https://example.com")
			person := strings.ReplaceAll(string(corpus.ReadFile(t, "fedify/example.com_person.json")), "https://example.com", d.URL)
			var doc map[string]any
			json.Unmarshal([]byte(person), &doc)
			var bob map[string]any
			json.Unmarshal([]byte(bobDoc(d)), &bob)
			doc["publicKey"].([]any)[0].(map[string]any)["publicKeyPem"] = bob["publicKey"].([]any)[0].(map[string]any)["publicKeyPem"]
			b, _ := json.Marshal(doc)
			d.set("/person", string(b))
			return d.URL + "/key"
		}, ResolverConfig{}, "lists a different key"},
		{"stub whose owner does not list the key", func(t *testing.T, d *docServer) string {
			d.serve(t, "/users/the_mighty_zork", "gotosocial/internaltoas__TestAccountToAS__Person__L51.json", "http://localhost:8080")
			d.set("/users/the_mighty_zork/main-key", gtsStub(t, d.docs["/users/the_mighty_zork"]))
			d.set("/users/the_mighty_zork", bobDoc(d))
			return d.URL + "/users/the_mighty_zork/main-key"
		}, ResolverConfig{}, "owner document has id"},
		{"document too large", func(t *testing.T, d *docServer) string {
			d.set("/users/bob", bobDoc(d))
			return d.URL + "/users/bob#main-key"
		}, ResolverConfig{MaxBodyBytes: 100}, "larger than 100 bytes"},
		{"http keyId refused", func(t *testing.T, d *docServer) string {
			return "http://127.0.0.1/users/bob#main-key"
		}, ResolverConfig{}, "scheme must be https"},
		{"acct keyId refused", func(t *testing.T, d *docServer) string {
			return "acct:bob@remote.domain"
		}, ResolverConfig{}, "scheme must be https"},
		{"no key in document", func(t *testing.T, d *docServer) string {
			d.set("/note", `{"id":"`+d.URL+`/note","type":"Note"}`)
			return d.URL + "/note#main-key"
		}, ResolverConfig{}, "holds no publicKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDocServer(t)
			keyID := tt.setup(t, d)
			_, err := d.resolver(t, tt.cfg).ResolveKey(ctx, keyID, false)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "signing: ") {
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestResolverStatusError checks that a key or owner document answering other than 200 gives a
// StatusError naming the URL and status, which callers find with errors.As: 410 Gone is how a
// deleted actor's key answers.
func TestResolverStatusError(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, d *docServer) (keyID, failing string)
		code  int
	}{
		{"actor gone", func(t *testing.T, d *docServer) (string, string) {
			d.status = map[string]int{"/users/bob": http.StatusGone}
			return d.URL + "/users/bob#main-key", d.URL + "/users/bob"
		}, http.StatusGone},
		{"not found", func(t *testing.T, d *docServer) (string, string) {
			return d.URL + "/users/nobody#main-key", d.URL + "/users/nobody"
		}, http.StatusNotFound},
		{"owner of a key object gone", func(t *testing.T, d *docServer) (string, string) {
			d.serve(t, "/key", "fedify/example.com_key.json", "https://example.com")
			d.status = map[string]int{"/person": http.StatusGone}
			return d.URL + "/key", d.URL + "/person"
		}, http.StatusGone},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := newDocServer(t)
			keyID, failing := tt.setup(t, d)
			_, err := d.resolver(t, ResolverConfig{}).ResolveKey(t.Context(), keyID, false)
			se, ok := errors.AsType[*StatusError](err)
			if !ok || se.StatusCode != tt.code || se.URL != failing {
				t.Fatalf("err = %v, want a StatusError %d for %s", err, tt.code, failing)
			}
		})
	}
}

func TestNewResolverConfig(t *testing.T) {
	if _, err := NewResolver(ResolverConfig{}); err == nil {
		t.Error("nil Client accepted")
	}
	if _, err := NewResolver(ResolverConfig{Client: http.DefaultClient, TTL: -1}); err == nil {
		t.Error("negative TTL accepted")
	}
}

func TestMemCacheBounded(t *testing.T) {
	c := newMemCache(2, func() time.Time { return vectorClock })
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		c.CacheKey(ctx, &PublicKey{ID: id}, 1)
	}
	if _, ok := c.CachedKey(ctx, "a"); ok {
		t.Error("oldest entry not evicted")
	}
	if _, ok := c.CachedKey(ctx, "c"); !ok {
		t.Error("newest entry missing")
	}
	c2 := newMemCache(2, func() time.Time { return vectorClock })
	c2.CacheKey(ctx, &PublicKey{ID: "x"}, 0)
	if _, ok := c2.CachedKey(ctx, "x"); ok {
		t.Error("expired entry returned")
	}
}

// TestVerifierWithResolverAndTransport runs the whole path: a Transport signs
// a POST, the receiving server's Verifier resolves the sender's key over
// HTTPS from the actor document and verifies.
func TestVerifierWithResolverAndTransport(t *testing.T) {
	d := newDocServer(t)
	d.serve(t, "/users/bob", "fedify/remote.domain_users_bob.json", "https://remote.domain")
	keyID := d.URL + "/users/bob#main-key"
	res := d.resolver(t, ResolverConfig{})
	v, err := NewVerifier(VerifierConfig{Keys: res})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		v   *Verified
		err error
	}
	results := make(chan result, 1)
	inbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got, err := v.Verify(r.Context(), r, body)
		results <- result{got, err}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer inbox.Close()
	tr, err := NewTransport(TransportConfig{Key: Key{ID: keyID, Signer: bobKey(t)}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", inbox.URL+"/inbox", strings.NewReader(`{"type":"Create"}`))
	req.Header.Set("Content-Type", "application/activity+json")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	res0 := <-results
	got, verr := res0.v, res0.err
	if verr != nil {
		t.Fatalf("Verify: %v", verr)
	}
	if got.Owner != d.URL+"/users/bob" || got.KeyID != keyID {
		t.Errorf("got %+v", got)
	}
}
