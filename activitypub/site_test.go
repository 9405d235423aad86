package activitypub_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// site is a fedsite-enabled test site: a handler with a few pages wrapped by the middleware.
type site struct {
	fed   *activitypub.Federation
	srv   *httptest.Server
	store *memstore.Store
}

// newTestSite is a test site over a fresh memstore with the actors "news" (an Organization with a
// profile page) and "desk", two items a collection page, and pages at /articles/{slug}.
func newTestSite(t *testing.T) *site {
	t.Helper()
	pages := http.NewServeMux()
	pages.HandleFunc("GET /articles/{slug}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<h1>"+r.PathValue("slug")+"</h1>")
	})
	return startSite(t, memstore.New(), pages, func(cfg *activitypub.Config) {
		base := cfg.BaseURL
		cfg.Actors = activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			switch name {
			case "news":
				return &activitypub.Actor{Username: "news", Type: "Organization", Name: "The Daily Test",
					ProfileURL: base + "/about", Discoverable: true}, nil
			case "desk":
				return &activitypub.Actor{Username: "desk", Name: "Desk"}, nil
			}
			return nil, activitypub.ErrNotFound
		})
		cfg.Publishing.PageSize = 2
	}, nil)
}

// newFederation builds a Federation from cfg for a test that does not serve it over HTTP; nil
// Actors make every name a local actor with just that username.
func newFederation(tb testing.TB, cfg activitypub.Config) *activitypub.Federation {
	tb.Helper()
	if cfg.Actors == nil {
		cfg.Actors = activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			return &activitypub.Actor{Username: name}, nil
		})
	}
	fed, err := activitypub.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return fed
}

// outbox decodes the activities in the first 100 entries of an actor's outbox, newest first.
func outbox(t *testing.T, st store.Site, actorID string) []*vocab.Object {
	t.Helper()
	page, err := st.OutboxPage(t.Context(), actorID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []*vocab.Object
	for _, o := range page.Items {
		a, err := vocab.Decode(o.Document)
		if err != nil {
			t.Fatalf("outbox item %s: %v", o.Document, err)
		}
		out = append(out, a)
	}
	return out
}

// loopback lets a test site fetch from and deliver to plain-HTTP servers on loopback, where the
// test remotes run; the SSRF guard refuses them otherwise.
func loopback() activitypub.Insecure {
	return activitypub.Insecure{AllowHTTP: true, AllowAddresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
}

// startSite starts a test site over st and runs its delivery workers until the test ends. The base
// config has the actors "news" and "desk", allows plain HTTP to loopback (where the remotes run)
// and retries deliveries after 10ms; mod, when not nil, adjusts it. The middleware wraps pages (a
// 404 when nil), and wrap, when not nil, wraps the whole handler.
func startSite(t *testing.T, st store.Store, pages http.Handler, mod func(*activitypub.Config), wrap func(http.Handler) http.Handler) *site {
	t.Helper()
	s := &site{}
	if ms, ok := st.(*memstore.Store); ok {
		s.store = ms
	}
	var h http.Handler
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	cfg := activitypub.Config{
		BaseURL: "http://" + s.srv.Listener.Addr().String(),
		Actors: activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			if name == "news" || name == "desk" {
				return &activitypub.Actor{Username: name, Name: name}, nil
			}
			return nil, activitypub.ErrNotFound
		}),
		Store:    st,
		Insecure: loopback(),
		Delivery: delivery.Options{Retry: delivery.Backoff{Base: 10 * time.Millisecond}},
		Logger:   slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	fed, err := activitypub.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.fed = fed
	if pages == nil {
		pages = http.NotFoundHandler()
	}
	h = fed.Middleware(pages)
	if wrap != nil {
		h = wrap(h)
	}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fed.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func (s *site) url(path string) string { return s.srv.URL + path }

// get fetches the site's path with an Accept header and returns the response with its body read.
func (s *site) get(t *testing.T, path, accept string) (*http.Response, []byte) {
	t.Helper()
	return getWith(t, s.url(path), accept)
}

// getWith fetches target with an Accept header, unless accept is "", and returns the response,
// without following a redirect, with its body read.
func getWith(t *testing.T, target, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
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
