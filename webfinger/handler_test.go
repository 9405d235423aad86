package webfinger

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

const aliceActor = "https://example.com/users/alice"

// aliceJRD is the document the test resolver serves for alice.
func aliceJRD() *JRD {
	return &JRD{
		Subject: "acct:alice@example.com",
		Aliases: []string{"https://example.com/@alice", aliceActor},
		Links: []Link{
			{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: "https://example.com/@alice"},
			{Rel: "self", Type: MediaTypeActivity, Href: aliceActor},
			{Rel: "http://ostatus.org/schema/1.0/subscribe", Template: "https://example.com/authorize_interaction?uri={uri}"},
		},
	}
}

// testResolver knows alice by acct: URI and actor URL, fails for "boom" and knows nobody else.
func testResolver() Resolver {
	return ResolverFunc(func(_ context.Context, r Resource) (*JRD, error) {
		switch {
		case r == Resource{Scheme: "acct", User: "alice", Host: "example.com"},
			r.URL == aliceActor:
			return aliceJRD(), nil
		case r.User == "boom":
			return nil, errors.New("database is down")
		case r.User == "nil":
			return nil, nil
		case r.User == "carol":
			return nil, fmt.Errorf("carol deleted her account: %w", ErrGone)
		}
		return nil, ErrNotFound
	})
}

func newTestHandler(t *testing.T, cfg HandlerConfig) *Handler {
	t.Helper()
	if cfg.Resolver == nil {
		cfg.Resolver = testResolver()
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://example.com"
	}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	return h
}

func wf(resource string, extra ...string) string {
	q := url.Values{"resource": {resource}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Add(extra[i], extra[i+1])
	}
	return PathWebFinger + "?" + q.Encode()
}

func TestHandler(t *testing.T) {
	var logs bytes.Buffer
	h := newTestHandler(t, HandlerConfig{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})

	tests := []struct {
		name       string
		method     string
		target     string
		wantStatus int
		wantType   string
		wantCache  string
		wantBody   string // substring of the body; "-" means an empty body
		wantLinks  []string
		noCORS     bool // paths the Handler does not serve
	}{
		{name: "acct", target: wf("acct:alice@example.com"), wantStatus: 200, wantType: "application/jrd+json",
			wantCache: "max-age=259200, public", wantLinks: []string{"http://webfinger.net/rel/profile-page", "self", "http://ostatus.org/schema/1.0/subscribe"}},
		{name: "acct upper-case host", target: wf("acct:alice@EXAMPLE.com"), wantStatus: 200, wantType: "application/jrd+json",
			wantLinks: []string{"http://webfinger.net/rel/profile-page", "self", "http://ostatus.org/schema/1.0/subscribe"}},
		{name: "bare handle", target: wf("@alice@example.com"), wantStatus: 200, wantType: "application/jrd+json"},
		{name: "actor url", target: wf(aliceActor), wantStatus: 200, wantType: "application/jrd+json", wantBody: `"subject":"acct:alice@example.com"`},
		{name: "unescaped query", target: PathWebFinger + "?resource=acct:alice@example.com", wantStatus: 200, wantType: "application/jrd+json"},
		{name: "rel self", target: wf("acct:alice@example.com", "rel", "self"), wantStatus: 200, wantType: "application/jrd+json", wantLinks: []string{"self"}},
		{name: "two rels", target: wf("acct:alice@example.com", "rel", "self", "rel", "http://webfinger.net/rel/profile-page"), wantStatus: 200,
			wantType: "application/jrd+json", wantLinks: []string{"http://webfinger.net/rel/profile-page", "self"}},
		{name: "rel without match", target: wf("acct:alice@example.com", "rel", "avatar"), wantStatus: 200, wantType: "application/jrd+json",
			wantBody: `"aliases"`, wantLinks: []string{}},
		{name: "head", method: "HEAD", target: wf("acct:alice@example.com"), wantStatus: 200, wantType: "application/jrd+json", wantBody: "-"},
		{name: "missing resource", target: PathWebFinger, wantStatus: 400, wantBody: "missing resource"},
		{name: "empty resource", target: PathWebFinger + "?resource=", wantStatus: 400, wantBody: "missing resource"},
		{name: "duplicate resource", target: PathWebFinger + "?resource=acct:alice@example.com&resource=acct:bob@example.com", wantStatus: 400, wantBody: "more than one"},
		{name: "malformed resource", target: wf("acct:alice"), wantStatus: 400, wantBody: "malformed resource"},
		{name: "bad scheme", target: wf("mailto:alice@example.com"), wantStatus: 400, wantBody: "malformed resource"},
		{name: "malformed query", target: PathWebFinger + "?resource=%zz", wantStatus: 400, wantBody: "malformed query"},
		{name: "unknown", target: wf("acct:bob@example.com"), wantStatus: 404, wantBody: "not found"},
		{name: "other host", target: wf("acct:alice@elsewhere.example"), wantStatus: 404},
		{name: "deleted", target: wf("acct:carol@example.com"), wantStatus: 410, wantBody: "resource gone"},
		{name: "deleted head", method: "HEAD", target: wf("acct:carol@example.com"), wantStatus: 410},
		{name: "resolver error", target: wf("acct:boom@example.com"), wantStatus: 500, wantBody: "internal server error"},
		{name: "resolver nil", target: wf("acct:nil@example.com"), wantStatus: 500, wantBody: "internal server error"},
		{name: "post", method: "POST", target: wf("acct:alice@example.com"), wantStatus: 405},
		{name: "options", method: "OPTIONS", target: wf("acct:alice@example.com"), wantStatus: 405},
		{name: "host-meta", target: PathHostMeta, wantStatus: 200, wantType: "application/xrd+xml; charset=utf-8", wantCache: "max-age=259200, public",
			wantBody: `template="https://example.com/.well-known/webfinger?resource={uri}"`},
		{name: "host-meta head", method: "HEAD", target: PathHostMeta, wantStatus: 200, wantType: "application/xrd+xml; charset=utf-8", wantBody: "-"},
		{name: "host-meta.json", target: PathHostMetaJSON, wantStatus: 200, wantType: "application/json",
			wantBody: `{"links":[{"rel":"lrdd","template":"https://example.com/.well-known/webfinger?resource={uri}"}]}`},
		{name: "host-meta post", method: "PUT", target: PathHostMeta, wantStatus: 405},
		{name: "other path", target: "/.well-known/nodeinfo", wantStatus: 404, noCORS: true},
		{name: "path prefix", target: PathWebFinger + "/x?resource=acct:alice@example.com", wantStatus: 404, noCORS: true},
		{name: "root", target: "/", wantStatus: 404, noCORS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, tt.target, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			body := rec.Body.String()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %q", res.StatusCode, tt.wantStatus, body)
			}
			if tt.wantType != "" && res.Header.Get("Content-Type") != tt.wantType {
				t.Errorf("Content-Type %q, want %q", res.Header.Get("Content-Type"), tt.wantType)
			}
			if tt.wantCache != "" && res.Header.Get("Cache-Control") != tt.wantCache {
				t.Errorf("Cache-Control %q, want %q", res.Header.Get("Cache-Control"), tt.wantCache)
			}
			if res.StatusCode != 200 && res.Header.Get("Cache-Control") != "" {
				t.Errorf("error response has Cache-Control %q", res.Header.Get("Cache-Control"))
			}
			wantCORS := "*"
			if tt.noCORS {
				wantCORS = ""
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != wantCORS {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, wantCORS)
			}
			if tt.wantStatus == 405 && res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q", res.Header.Get("Allow"))
			}
			switch tt.wantBody {
			case "":
			case "-":
				if body != "" {
					t.Errorf("HEAD body %q, want none", body)
				}
				if res.Header.Get("Content-Length") == "" || res.Header.Get("Content-Length") == "0" {
					t.Errorf("HEAD Content-Length %q, want the GET length", res.Header.Get("Content-Length"))
				}
			default:
				if !strings.Contains(body, tt.wantBody) {
					t.Errorf("body %q does not contain %q", body, tt.wantBody)
				}
			}
			if tt.wantLinks != nil {
				var j JRD
				if err := json.Unmarshal(rec.Body.Bytes(), &j); err != nil {
					t.Fatalf("decode JRD: %v", err)
				}
				if j.Subject != "acct:alice@example.com" {
					t.Errorf("subject %q", j.Subject)
				}
				rels := []string{}
				for _, l := range j.Links {
					rels = append(rels, l.Rel)
				}
				if !reflect.DeepEqual(rels, tt.wantLinks) {
					t.Errorf("links %q, want %q", rels, tt.wantLinks)
				}
			}
		})
	}
	if !strings.Contains(logs.String(), "resolver failed") || !strings.Contains(logs.String(), "database is down") {
		t.Errorf("resolver error not logged; logs:\n%s", logs.String())
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 2 {
		t.Errorf("want exactly two Error lines (resolver error, nil document); logs:\n%s", logs.String())
	}
}

// TestHandlerJRDShape checks the exact JSON of a served document against RFC 7033's member names.
func TestHandlerJRDShape(t *testing.T) {
	v := "value"
	doc := &JRD{
		Subject:    "acct:bob@example.com",
		Properties: map[string]*string{"http://example.com/ns/role": &v, "http://example.com/ns/none": nil},
		Links: []Link{{
			Rel: "self", Type: MediaTypeActivity, Href: "https://example.com/bob",
			Titles: map[string]string{"en": "Bob"},
		}},
	}
	h := newTestHandler(t, HandlerConfig{Resolver: ResolverFunc(func(context.Context, Resource) (*JRD, error) { return doc, nil })})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", wf("acct:bob@example.com"), nil))
	want := `{"subject":"acct:bob@example.com","properties":{"http://example.com/ns/none":null,"http://example.com/ns/role":"value"},` +
		`"links":[{"rel":"self","type":"application/activity+json","href":"https://example.com/bob","titles":{"en":"Bob"}}]}`
	if got := rec.Body.String(); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

// TestHandlerRelDoesNotModify checks rel filtering leaves the resolver's document alone, since a
// resolver may serve the same value to every request.
func TestHandlerRelDoesNotModify(t *testing.T) {
	shared := aliceJRD()
	h := newTestHandler(t, HandlerConfig{Resolver: ResolverFunc(func(context.Context, Resource) (*JRD, error) { return shared, nil })})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", wf("acct:alice@example.com", "rel", "self"), nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if !reflect.DeepEqual(shared, aliceJRD()) {
		t.Errorf("resolver's document modified: %+v", shared)
	}
}

func TestHandlerHostMetaXML(t *testing.T) {
	for _, base := range []string{"https://example.com", "https://example.com/", "https://example.com/blog/ap"} {
		t.Run(base, func(t *testing.T) {
			h := newTestHandler(t, HandlerConfig{BaseURL: base})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", PathHostMeta, nil))
			body := rec.Body.Bytes()
			if !bytes.HasPrefix(body, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
				t.Errorf("no XML declaration: %s", body)
			}
			// Well-formed: the decoder reads every token without error.
			dec := xml.NewDecoder(bytes.NewReader(body))
			for {
				if _, err := dec.Token(); err != nil {
					if err.Error() != "EOF" {
						t.Fatalf("not well-formed XML: %v\n%s", err, body)
					}
					break
				}
			}
			var doc struct {
				XMLName xml.Name
				Links   []xrdLink `xml:"Link"`
			}
			if err := xml.Unmarshal(body, &doc); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if doc.XMLName.Space != xrdNamespace || doc.XMLName.Local != "XRD" {
				t.Errorf("root %v, want {%s}XRD", doc.XMLName, xrdNamespace)
			}
			want := []xrdLink{{Rel: "lrdd", Template: "https://example.com/.well-known/webfinger?resource={uri}"}}
			if !reflect.DeepEqual(doc.Links, want) {
				t.Errorf("links %+v, want %+v", doc.Links, want)
			}
		})
	}
}

func TestHandlerMaxAge(t *testing.T) {
	tests := []struct {
		maxAge time.Duration
		want   string
	}{
		{0, "max-age=259200, public"},
		{time.Hour, "max-age=3600, public"},
		{time.Millisecond, "max-age=1, public"},
		{-1, "no-store"},
	}
	for _, tt := range tests {
		h := newTestHandler(t, HandlerConfig{MaxAge: tt.maxAge})
		for _, target := range []string{wf("acct:alice@example.com"), PathHostMeta, PathHostMetaJSON} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
			if got := rec.Header().Get("Cache-Control"); got != tt.want {
				t.Errorf("MaxAge %v %s: Cache-Control %q, want %q", tt.maxAge, target, got, tt.want)
			}
		}
	}
}

func TestNewHandlerConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  HandlerConfig
	}{
		{"no resolver", HandlerConfig{BaseURL: "https://example.com"}},
		{"no base", HandlerConfig{Resolver: testResolver()}},
		{"relative base", HandlerConfig{Resolver: testResolver(), BaseURL: "/blog"}},
		{"ftp base", HandlerConfig{Resolver: testResolver(), BaseURL: "ftp://example.com"}},
		{"userinfo base", HandlerConfig{Resolver: testResolver(), BaseURL: "https://u:p@example.com"}},
		{"bad base", HandlerConfig{Resolver: testResolver(), BaseURL: "https://exa mple.com\x00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHandler(tt.cfg)
			if err == nil || h != nil {
				t.Fatalf("NewHandler = %v, %v; want an error", h, err)
			}
			if !strings.HasPrefix(err.Error(), "webfinger: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestHandlerCancelledResolver checks a resolver failing because the client left is logged below Error.
func TestHandlerCancelledResolver(t *testing.T) {
	var logs bytes.Buffer
	h := newTestHandler(t, HandlerConfig{
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Resolver: ResolverFunc(func(ctx context.Context, _ Resource) (*JRD, error) {
			return nil, ctx.Err()
		}),
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", wf("acct:alice@example.com"), nil).WithContext(ctx))
	if rec.Code != 500 {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if !strings.Contains(logs.String(), "level=DEBUG") || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("want a Debug line only; logs:\n%s", logs.String())
	}
}

func BenchmarkHandler(b *testing.B) {
	h, err := NewHandler(HandlerConfig{Resolver: testResolver(), BaseURL: "https://example.com"})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", wf("acct:alice@example.com"), nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
