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
	"github.com/fedsite/fedsite/store/memstore"
)

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
		BaseURL: base,
		Actors:  actors,
		Store:   s.store,
		// The remotes run on loopback, which the SSRF guard refuses unless allowed.
		Insecure: activitypub.Insecure{AllowHTTP: true, AllowAddresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Delivery: delivery.Options{Retry: delivery.Backoff{Base: 10 * time.Millisecond}},
		PageSize: 2,
		Logger:   slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
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
