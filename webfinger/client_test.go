package webfinger

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/fedsite/fedsite/internal/corpus"
)

// hostOf returns the host:port of a test server.
func hostOf(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func newTestClient(t *testing.T, cfg ClientConfig) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/jrd+json")
	_ = json.NewEncoder(w).Encode(v)
}

// recorder keeps the paths (with queries) a test server saw.
type recorder struct {
	mu    sync.Mutex
	paths []string
}

func (r *recorder) add(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paths = append(r.paths, req.URL.Path)
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.paths...)
}

func TestClientLookup(t *testing.T) {
	const xrdTemplate = `<?xml version="1.0" encoding="UTF-8"?><XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"><Link rel="lrdd" template="TEMPLATE"/></XRD>`
	type routes map[string]func(w http.ResponseWriter, r *http.Request, base string)
	jrd := func(w http.ResponseWriter, _ *http.Request, _ string) { writeJSON(w, aliceJRD()) }
	status := func(code int) func(w http.ResponseWriter, _ *http.Request, _ string) {
		return func(w http.ResponseWriter, _ *http.Request, _ string) { http.Error(w, "no", code) }
	}
	body := func(s string) func(w http.ResponseWriter, _ *http.Request, _ string) {
		return func(w http.ResponseWriter, _ *http.Request, _ string) { _, _ = w.Write([]byte(s)) }
	}
	hostMeta := func(template string) func(w http.ResponseWriter, _ *http.Request, base string) {
		return func(w http.ResponseWriter, _ *http.Request, base string) {
			w.Header().Set("Content-Type", "application/xrd+xml")
			_, _ = w.Write([]byte(strings.ReplaceAll(xrdTemplate, "TEMPLATE", strings.ReplaceAll(template, "BASE", base))))
		}
	}

	tests := []struct {
		name      string
		routes    routes
		maxBody   int64
		wantPaths []string
		wantActor string
		wantErr   error  // matched with errors.Is
		wantResp  int    // if not 0: a *ResponseError with this status
		wantIn    string // substring of the error
	}{
		{name: "happy", routes: routes{PathWebFinger: jrd}, wantPaths: []string{PathWebFinger}, wantActor: aliceActor},
		{name: "404 then host-meta", routes: routes{
			PathWebFinger: status(404),
			PathHostMeta:  hostMeta("BASE/alt/wf?resource={uri}"),
			"/alt/wf":     jrd,
		}, wantPaths: []string{PathWebFinger, PathHostMeta, "/alt/wf"}, wantActor: aliceActor},
		{name: "host-meta without namespace", routes: routes{
			PathWebFinger: status(404),
			PathHostMeta: func(w http.ResponseWriter, _ *http.Request, base string) {
				// The XRD-typed template comes first and must be skipped.
				_, _ = w.Write([]byte(`<XRD><Link rel="lrdd" type="application/xrd+xml" template="` + base + `/xrd?{uri}"/>` +
					`<Link rel="lrdd" type="application/jrd+json" template="` + base + `/alt/wf?resource={uri}"/></XRD>`))
			},
			"/alt/wf": jrd,
		}, wantPaths: []string{PathWebFinger, PathHostMeta, "/alt/wf"}, wantActor: aliceActor},
		{name: "404 and relative template", routes: routes{PathWebFinger: status(404), PathHostMeta: hostMeta("/alt/wf?resource={uri}"), "/alt/wf": jrd},
			wantPaths: []string{PathWebFinger, PathHostMeta}, wantIn: "not an allowed URL"},
		{name: "404 and no host-meta", routes: routes{PathWebFinger: status(404), PathHostMeta: status(404)},
			wantPaths: []string{PathWebFinger, PathHostMeta}, wantErr: ErrNotFound, wantResp: 404},
		{name: "404 and template 404", routes: routes{
			PathWebFinger: status(404),
			PathHostMeta:  hostMeta("BASE/alt/wf?resource={uri}"),
			"/alt/wf":     status(404),
		}, wantPaths: []string{PathWebFinger, PathHostMeta, "/alt/wf"}, wantErr: ErrNotFound, wantResp: 404},
		{name: "404 and host-meta not XML", routes: routes{PathWebFinger: status(404), PathHostMeta: body("<html")},
			wantErr: ErrNotFound, wantResp: 404},
		{name: "404 and ftp template", routes: routes{PathWebFinger: status(404), PathHostMeta: hostMeta("ftp://example.com/{uri}")},
			wantIn: "not an allowed URL"},
		{name: "gone", routes: routes{PathWebFinger: status(410)}, wantPaths: []string{PathWebFinger}, wantErr: ErrGone, wantResp: 410},
		{name: "server error", routes: routes{PathWebFinger: status(500)}, wantPaths: []string{PathWebFinger}, wantResp: 500},
		{name: "not json", routes: routes{PathWebFinger: body("<!doctype html><p>hello")}, wantResp: 200, wantIn: "not a JRD"},
		{name: "json array", routes: routes{PathWebFinger: body(`[1,2]`)}, wantResp: 200, wantIn: "not a JRD"},
		{name: "no subject", routes: routes{PathWebFinger: body(`{"links":[]}`)}, wantResp: 200, wantIn: "no subject"},
		{name: "oversize", maxBody: 256, routes: routes{PathWebFinger: body(`{"subject":"acct:alice@example.com","aliases":["` + strings.Repeat("x", 300) + `"]}`)},
			wantErr: ErrTooLarge, wantResp: 200},
		{name: "at the size limit", maxBody: 256, routes: routes{PathWebFinger: body(`{"subject":"acct:alice@example.com","aliases":["` + strings.Repeat("x", 256-len(`{"subject":"acct:alice@example.com","aliases":[""]}`)) + `"]}`)},
			wantErr: ErrNoActor},
		{name: "wrong self type", routes: routes{PathWebFinger: body(`{"subject":"acct:alice@example.com","links":[{"rel":"self","type":"application/json","href":"https://example.com/alice"}]}`)},
			wantErr: ErrNoActor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec.add(r)
				if r.URL.Path == PathWebFinger || r.URL.Path == "/alt/wf" {
					if got := r.Header.Get("Accept"); got != "application/jrd+json, application/json" {
						t.Errorf("Accept %q", got)
					}
					if got := r.URL.Query().Get("resource"); got != "acct:alice@"+r.Host {
						t.Errorf("resource %q", got)
					}
					if r.Header.Get("Signature") != "" || r.Header.Get("Authorization") != "" {
						t.Errorf("WebFinger request is signed")
					}
				}
				if r.URL.Path == PathHostMeta && !strings.Contains(r.Header.Get("Accept"), "application/xrd+xml") {
					t.Errorf("host-meta Accept %q", r.Header.Get("Accept"))
				}
				h, ok := tt.routes[r.URL.Path]
				if !ok {
					http.NotFound(w, r)
					return
				}
				h(w, r, srv.URL)
			}))
			defer srv.Close()
			c := newTestClient(t, ClientConfig{InsecureAllowHTTP: true, MaxBodyBytes: tt.maxBody})

			got, err := c.Lookup(context.Background(), "acct:alice@"+hostOf(t, srv))
			if err == nil {
				_, err = got.ActorID()
				if err == nil {
					if actor, _ := got.ActorID(); actor != tt.wantActor {
						t.Errorf("ActorID %q, want %q", actor, tt.wantActor)
					}
				}
			}
			wantOK := tt.wantErr == nil && tt.wantResp == 0 && tt.wantIn == ""
			switch {
			case wantOK && err != nil:
				t.Fatalf("Lookup: %v", err)
			case !wantOK && err == nil:
				t.Fatalf("Lookup succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v does not match %v", err, tt.wantErr)
			}
			if tt.wantErr != ErrNotFound && errors.Is(err, ErrNotFound) {
				t.Errorf("error %v matches ErrNotFound", err)
			}
			if tt.wantResp != 0 {
				re, ok := errors.AsType[*ResponseError](err)
				if !ok {
					t.Fatalf("error %v is no *ResponseError", err)
				}
				if re.StatusCode != tt.wantResp {
					t.Errorf("StatusCode %d, want %d", re.StatusCode, tt.wantResp)
				}
			}
			if tt.wantIn != "" && (err == nil || !strings.Contains(err.Error(), tt.wantIn)) {
				t.Errorf("error %v does not contain %q", err, tt.wantIn)
			}
			if tt.wantPaths != nil && !reflect.DeepEqual(rec.got(), tt.wantPaths) {
				t.Errorf("requests %q, want %q", rec.got(), tt.wantPaths)
			}
		})
	}
}

// TestClientHTTPS checks the default client uses https and refuses a redirect to plain http.
func TestClientHTTPS(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, aliceJRD()) }))
	defer plain.Close()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("resource") == "acct:redirect@"+r.Host {
			http.Redirect(w, r, plain.URL+r.URL.RequestURI(), http.StatusFound)
			return
		}
		writeJSON(w, aliceJRD())
	}))
	defer tls.Close()
	c := newTestClient(t, ClientConfig{HTTPClient: tls.Client()})

	j, err := c.Lookup(context.Background(), "acct:alice@"+hostOf(t, tls))
	if err != nil {
		t.Fatalf("Lookup over https: %v", err)
	}
	if j.Subject != "acct:alice@example.com" {
		t.Errorf("subject %q", j.Subject)
	}
	_, err = c.Lookup(context.Background(), "acct:redirect@"+hostOf(t, tls))
	if _, ok := errors.AsType[*ResponseError](err); !ok || !strings.Contains(err.Error(), "redirected") {
		t.Errorf("redirect to http: error %v, want a *ResponseError", err)
	}
	// The same client does not speak plain http at all.
	if _, err := c.Lookup(context.Background(), "acct:alice@"+hostOf(t, plain)); err == nil {
		t.Errorf("https-only client looked up over plain http")
	}
}

func TestClientBadInput(t *testing.T) {
	if _, err := NewClient(ClientConfig{MaxBodyBytes: -1}); err == nil {
		t.Errorf("NewClient accepted a negative MaxBodyBytes")
	}
	c := newTestClient(t, ClientConfig{})
	if _, err := c.Lookup(context.Background(), "not a resource"); !errors.Is(err, ErrInvalidResource) {
		t.Errorf("Lookup of a bad resource: %v, want ErrInvalidResource", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Lookup(ctx, "acct:alice@127.0.0.1:1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup with a cancelled context: %v, want context.Canceled", err)
	}
}

// TestRoundTrip serves documents with a Handler and reads them back with a Client.
func TestRoundTrip(t *testing.T) {
	var h *Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	host := hostOf(t, srv)
	docs := map[string]*JRD{} // by normal resource string; written before the first request
	var err error
	h, err = NewHandler(HandlerConfig{
		BaseURL: srv.URL,
		Resolver: ResolverFunc(func(_ context.Context, r Resource) (*JRD, error) {
			if d, ok := docs[r.String()]; ok {
				return d, nil
			}
			return nil, ErrNotFound
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	actor := srv.URL + "/users/alice"
	alice := &JRD{
		Subject: "acct:alice@" + host,
		Aliases: []string{actor},
		Links:   []Link{{Rel: "self", Type: MediaTypeLDActivity, Href: actor}},
	}
	docs[alice.Subject] = alice
	docs[actor] = alice
	// The corpus answers, each served under this host for its subject's user.
	for _, name := range corpusJRDFiles {
		j := readCorpusJRD(t, name)
		r, err := ParseResource(j.Subject)
		if err != nil || !r.IsAcct() || r.User == "alice" {
			continue
		}
		docs[Resource{Scheme: "acct", User: r.User, Host: host}.String()] = j
	}

	c := newTestClient(t, ClientConfig{InsecureAllowHTTP: true})
	want := 2 + 9 // alice by acct: and by URL; eleven corpus files, two pairs of which share a subject user
	if len(docs) != want {
		t.Fatalf("%d documents to serve, want %d", len(docs), want)
	}
	for res, doc := range docs {
		t.Run(res, func(t *testing.T) {
			got, err := c.Lookup(context.Background(), res)
			if err != nil {
				t.Fatalf("Lookup(%q): %v", res, err)
			}
			if !reflect.DeepEqual(got, doc) {
				t.Errorf("Lookup(%q) =\n%+v\nwant\n%+v", res, got, doc)
			}
		})
	}
	for _, res := range []string{"acct:alice@" + host, "@alice@" + host, actor} {
		got, err := c.Lookup(context.Background(), res)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", res, err)
		}
		if id, err := got.ActorID(); err != nil || id != actor {
			t.Errorf("Lookup(%q).ActorID() = %q, %v; want %q", res, id, err, actor)
		}
	}
	// An unknown account: 404 from WebFinger, then from the handler's own lrdd template.
	if _, err := c.Lookup(context.Background(), "acct:nobody@"+host); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup of an unknown account: %v, want ErrNotFound", err)
	}
}

func TestActorID(t *testing.T) {
	tests := []struct {
		name  string
		links []Link
		want  string
	}{
		{"activity+json", []Link{{Rel: "self", Type: "application/activity+json", Href: aliceActor}}, aliceActor},
		{"ld+json profile", []Link{{Rel: "self", Type: `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, Href: aliceActor}}, aliceActor},
		{"ld+json spacing and case", []Link{{Rel: "self", Type: `Application/LD+JSON;profile="https://www.w3.org/ns/activitystreams"`, Href: aliceActor}}, aliceActor},
		{"ld+json two profiles", []Link{{Rel: "self", Type: `application/ld+json; profile="https://example.com/p https://www.w3.org/ns/activitystreams"`, Href: aliceActor}}, aliceActor},
		{"first matching wins", []Link{
			{Rel: "self", Type: "text/html", Href: "https://example.com/@alice"},
			{Rel: "self", Type: "application/activity+json", Href: aliceActor},
			{Rel: "self", Type: "application/activity+json", Href: "https://example.com/other"},
		}, aliceActor},
		{"skips bad href", []Link{
			{Rel: "self", Type: "application/activity+json", Href: "/users/alice"},
			{Rel: "self", Type: "application/activity+json", Href: aliceActor},
		}, aliceActor},
		{"plain json", []Link{{Rel: "self", Type: "application/json", Href: aliceActor}}, ""},
		{"ld+json without profile", []Link{{Rel: "self", Type: "application/ld+json", Href: aliceActor}}, ""},
		{"wrong rel", []Link{{Rel: "http://webfinger.net/rel/profile-page", Type: "application/activity+json", Href: aliceActor}}, ""},
		{"no type", []Link{{Rel: "self", Href: aliceActor}}, ""},
		{"empty href", []Link{{Rel: "self", Type: "application/activity+json"}}, ""},
		{"javascript href", []Link{{Rel: "self", Type: "application/activity+json", Href: "javascript:alert(1)"}}, ""},
		{"no links", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&JRD{Subject: "acct:alice@example.com", Links: tt.links}).ActorID()
			if tt.want == "" {
				if !errors.Is(err, ErrNoActor) {
					t.Errorf("ActorID() = %q, %v; want ErrNoActor", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ActorID() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := (*JRD)(nil).ActorID(); !errors.Is(err, ErrNoActor) {
		t.Errorf("nil JRD: %v", err)
	}
}

func TestActorIDCorpus(t *testing.T) {
	want := map[string]string{
		"discovery/mastodon-spec_activitypub-webfinger.json":                 "https://ap.example.com/users/foo",
		"discovery/mastodon-spec_webfinger.json":                             "https://ap.example.com/users/foo",
		"discovery/mastodon-spec_webfinger-hacker1.json":                     "",
		"discovery/mastodon-spec_webfinger-hacker2.json":                     "",
		"discovery/mastodon-spec_webfinger-hacker3.json":                     "",
		"mastodon-docs/webfinger_L27_webfinger.json":                         "https://mastodon.social/users/Gargron",
		"mastodon-docs/webfinger_L91_webfinger.json":                         "https://host.example/accounts/username",
		"mastodon/akkoma_tesla_mock_pekorino@pawoo.net_host_meta.json":       "https://pawoo.net/users/pekorino",
		"misc-akkoma-fixtures/akkoma_tesla_mock_webfinger_spoof.json":        "https://bad.com/users/meanie",
		"misc-akkoma-fixtures/akkoma_tesla_mock_winterdienst_webfinger.json": "",
		"misc-akkoma-fixtures/akkoma_webfinger_imposter-webfinger.json":      "https://bad.com/webfingertest",
	}
	for _, name := range corpusJRDFiles {
		w, ok := want[name]
		if !ok {
			t.Errorf("no expectation for %s", name)
			continue
		}
		got, err := readCorpusJRD(t, name).ActorID()
		if w == "" && !errors.Is(err, ErrNoActor) || w != "" && (err != nil || got != w) {
			t.Errorf("%s: ActorID() = %q, %v; want %q", name, got, err, w)
		}
	}
}

// TestHostMetaCorpus follows Mastodon's host-meta fixture (GNU social's, with three lrdd links of
// different types) after a 404, with its templates pointed at a loopback server.
func TestHostMetaCorpus(t *testing.T) {
	var rec recorder
	b := corpus.ReadFile(t, "discovery/mastodon-spec_host-meta.xml")
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		switch {
		case r.URL.Path == PathHostMeta:
			_, _ = w.Write([]byte(strings.ReplaceAll(string(b), "https://quitter.no", srv.URL)))
		case r.URL.Path == PathWebFinger && len(rec.got()) > 1:
			writeJSON(w, aliceJRD()) // the retry at the lrdd template
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := newTestClient(t, ClientConfig{InsecureAllowHTTP: true})
	j, err := c.Lookup(context.Background(), "acct:alice@"+hostOf(t, srv))
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	if j.Subject != "acct:alice@example.com" {
		t.Errorf("subject %q", j.Subject)
	}
	if want := []string{PathWebFinger, PathHostMeta, PathWebFinger}; !reflect.DeepEqual(rec.got(), want) {
		t.Errorf("requests %q, want %q", rec.got(), want)
	}
}
