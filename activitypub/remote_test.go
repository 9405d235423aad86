package activitypub_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store/memstore"
)

// remote is a fake fediverse server on loopback with one actor. It signs what it sends with the
// actor's key and verifies, with the signing package, every activity delivered to its inboxes.
type remote struct {
	t        *testing.T
	srv      *httptest.Server
	name     string
	key      *rsa.PrivateKey
	verifier *signing.Verifier

	mu       sync.Mutex
	received []delivered
}

// delivered is one POST the remote received.
type delivered struct {
	path     string
	activity *vocab.Object
	verified *signing.Verified
	err      error
}

func newRemote(t *testing.T, name string) *remote {
	t.Helper()
	key, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	r := &remote{t: t, name: name, key: key}
	resolver, err := signing.NewResolver(signing.ResolverConfig{Client: http.DefaultClient, InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	r.verifier, err = signing.NewVerifier(signing.VerifierConfig{Keys: resolver})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/"+name, r.serveActor)
	mux.HandleFunc("POST /users/"+name+"/inbox", r.serveInbox)
	mux.HandleFunc("POST /inbox", r.serveInbox)
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *remote) actorID() string { return r.srv.URL + "/users/" + r.name }

func (r *remote) serveActor(w http.ResponseWriter, _ *http.Request) {
	pub, err := signing.EncodePublicKey(&r.key.PublicKey)
	if err != nil {
		r.t.Error(err)
		return
	}
	id := r.actorID()
	w.Header().Set("Content-Type", "application/activity+json")
	json.NewEncoder(w).Encode(map[string]any{
		"@context":          []string{vocab.ContextActivityStreams, vocab.ContextSecurity},
		"id":                id,
		"type":              "Person",
		"preferredUsername": r.name,
		"inbox":             id + "/inbox",
		"endpoints":         map[string]string{"sharedInbox": r.srv.URL + "/inbox"},
		"publicKey":         map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": string(pub)},
	})
}

func (r *remote) serveInbox(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	d := delivered{path: req.URL.Path}
	d.verified, d.err = r.verifier.Verify(req.Context(), req, body)
	if d.err == nil {
		d.activity, d.err = vocab.Decode(body)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/activity+json" {
		d.err = &contentTypeError{ct}
	}
	r.mu.Lock()
	r.received = append(r.received, d)
	r.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

type contentTypeError struct{ got string }

func (e *contentTypeError) Error() string { return "delivered with Content-Type " + e.got }

// waitFor waits until the remote received an activity of that type and returns it. Every
// delivery must have verified.
func (r *remote) waitFor(typ string) delivered {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, d := range r.received {
			if d.err != nil {
				r.mu.Unlock()
				r.t.Fatalf("delivery to %s did not verify: %v", d.path, d.err)
			}
			if d.activity.Type.Has(typ) {
				r.mu.Unlock()
				return d
			}
		}
		r.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("no %s delivered to %s", typ, r.actorID())
	return delivered{}
}

// post sends doc to url signed with the remote actor's key, as a fediverse server would.
func (r *remote) post(url string, doc any) *http.Response {
	r.t.Helper()
	body, err := json.Marshal(doc)
	if err != nil {
		r.t.Fatal(err)
	}
	k := r.signingKey()
	return r.postRaw(url, body, "application/activity+json", &k)
}

func (r *remote) signingKey() signing.Key {
	return signing.Key{ID: r.actorID() + "#main-key", Signer: r.key}
}

// postRaw sends body as is; key nil means unsigned.
func (r *remote) postRaw(url string, body []byte, contentType string, key *signing.Key) *http.Response {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if key != nil {
		if err := signing.Sign(req, *key, body, time.Now()); err != nil {
			r.t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// site is a fedsite-enabled test site: a handler with a few pages wrapped by the middleware.
type site struct {
	fed   *activitypub.Federation
	srv   *httptest.Server
	store *memstore.Store
}

func newTestSite(t *testing.T) *site {
	t.Helper()
	s := &site{store: memstore.New()}
	var h http.Handler
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	base := "http://" + s.srv.Listener.Addr().String()
	actors := activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
		switch name {
		case "news":
			return &activitypub.Actor{Username: "news", Type: "Organization", Name: "The Daily Test",
				ProfileURL: base + "/about", Discoverable: true}, nil
		case "desk":
			return &activitypub.Actor{Username: "desk", Name: "Desk"}, nil
		}
		return nil, activitypub.ErrNotFound
	})
	fed, err := activitypub.New(activitypub.Config{
		BaseURL:           base,
		Actors:            actors,
		Store:             s.store,
		InsecureAllowHTTP: true,
		DeliveryBackoff:   10 * time.Millisecond,
		PageSize:          2,
		Logger:            slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.fed = fed
	pages := http.NewServeMux()
	pages.HandleFunc("GET /articles/{slug}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<h1>"+r.PathValue("slug")+"</h1>")
	})
	h = fed.Middleware(pages)
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fed.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func (s *site) url(path string) string { return s.srv.URL + path }

// get fetches a URL with an Accept header and returns the response with its body read.
func (s *site) get(t *testing.T, path, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// testWriter sends log lines to t.Log so they show with the failing test only.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func newTestStore() *memstore.Store { return memstore.New() }

func ioNopCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
