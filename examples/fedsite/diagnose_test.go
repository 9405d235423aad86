package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/internal/corpus"
)

// deployment is a site with its feed and article pages behind a real sidecar, on one loopback
// origin, with the sidecar's Middleware in front as the shipped proxy configurations route it.
// fault, when set, breaks the deployment the way a misconfigured proxy would.
type deployment struct {
	srv   *httptest.Server
	dir   string
	fault atomic.Pointer[func(next, site http.Handler) http.Handler]
}

func newDeployment(t *testing.T) *deployment {
	t.Helper()
	d := &deployment{dir: t.TempDir()}
	var front atomic.Pointer[http.Handler]
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*front.Load()).ServeHTTP(w, r) }))
	t.Cleanup(d.srv.Close)
	site := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>The Test Gazette</title><link>%[1]s/</link>`+
				`<item><title>Bridge reopens</title><link>%[1]s/articles/bridge</link><guid>%[1]s/articles/bridge</guid>`+
				`<description>The bridge is open.</description><pubDate>Mon, 01 Dec 2026 09:00:00 GMT</pubDate></item></channel></rss>`, d.srv.URL)
		case strings.HasPrefix(r.URL.Path, "/articles/"):
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html><head><title>Bridge reopens</title><link rel="alternate" type="application/activity+json" href="%s%s"></head><body><p>The bridge is open.</p></body></html>`, d.srv.URL, r.URL.Path)
		default:
			http.NotFound(w, r)
		}
	})
	log := slog.New(slog.DiscardHandler)
	sc := mustSidecar(t, testConfig(d.srv.URL, d.dir), log, nil)
	t.Cleanup(func() { sc.close() })
	sidecar := sc.fed.Middleware(site)
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := d.fault.Load(); f != nil {
			(*f)(sidecar, site).ServeHTTP(w, r)
			return
		}
		sidecar.ServeHTTP(w, r)
	})
	front.Store(&h)
	if err := sc.pollers[0].poll(t.Context()); err != nil { // backfills the article into the outbox
		t.Fatal(err)
	}
	return d
}

// diagnose runs fedsite diagnose on the deployment, broken by fault until the test ends (nil:
// as deployed), and returns what it printed and its error.
func (d *deployment) diagnose(t *testing.T, fault func(next, site http.Handler) http.Handler) (stdout, stderr string, err error) {
	t.Helper()
	if fault != nil {
		d.fault.Store(&fault)
	} else {
		d.fault.Store(nil)
	}
	t.Cleanup(func() { d.fault.Store(nil) })
	var out, errOut bytes.Buffer
	err = run(t.Context(), []string{"diagnose", "-insecure-local", "-data", d.dir, d.srv.URL}, &out, &errOut)
	return out.String(), errOut.String(), err
}

// headerRewriter changes the answer's header just before it is written.
type headerRewriter struct {
	http.ResponseWriter
	change func(http.Header)
	done   bool
}

func (h *headerRewriter) WriteHeader(code int) {
	if !h.done {
		h.done = true
		h.change(h.Header())
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerRewriter) Write(b []byte) (int, error) {
	if !h.done {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(b)
}

// rewriteHeader is a fault that changes the header of the answers to requests match picks.
func rewriteHeader(match func(*http.Request) bool, change func(http.Header)) func(next, site http.Handler) http.Handler {
	return func(next, _ http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) {
				w = &headerRewriter{ResponseWriter: w, change: change}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// toSite is a fault that sends the requests match picks to the site instead of the sidecar.
func toSite(match func(*http.Request) bool) func(next, site http.Handler) http.Handler {
	return func(next, site http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) {
				site.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// rewriteActor is a fault that changes the actor document as JSON.
func rewriteActor(change func(doc map[string]any)) func(next, site http.Handler) http.Handler {
	return rewriteJSON("/ap/users/news", change)
}

// rewriteJSON is a fault that changes the JSON answer at path.
func rewriteJSON(path string, change func(doc map[string]any)) func(next, site http.Handler) http.Handler {
	return func(next, _ http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var doc map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
				panic(err)
			}
			change(doc)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			json.NewEncoder(w).Encode(doc)
		})
	}
}

func under(p string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, p) }
}

// TestDiagnose: diagnose passes a sound deployment and names each fault injected into it, with
// a fix, and exits with an error.
func TestDiagnose(t *testing.T) {
	d := newDeployment(t)
	article := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/articles/") }
	for _, tc := range []struct {
		name  string
		fault func(next, site http.Handler) http.Handler
		want  []string // FAULT lines start so; none for a sound deployment
	}{
		{"sound", nil, nil},
		{"WebFinger not forwarded", toSite(under("/.well-known/webfinger")),
			[]string{"FAULT webfinger: GET " + d.srv.URL + "/.well-known/webfinger?resource=acct%3Anews%40"}},
		{"WebFinger subject on another host", rewriteJSON("/.well-known/webfinger", func(doc map[string]any) {
			doc["subject"] = "acct:news@social.example.com"
		}), []string{"FAULT webfinger: acct:news@" + strings.TrimPrefix(d.srv.URL, "http://") + " answers subject acct:news@social.example.com"}},
		{"host-meta not forwarded", toSite(under("/.well-known/host-meta")), []string{"FAULT host-meta: GET"}},
		{"NodeInfo not forwarded", toSite(under("/.well-known/nodeinfo")), []string{"FAULT nodeinfo: GET"}},
		{"NodeInfo document not forwarded", toSite(under("/ap/nodeinfo")), []string{"FAULT nodeinfo: GET " + d.srv.URL + "/ap/nodeinfo"}},
		{"actor as plain JSON", rewriteHeader(under("/ap/users/"), func(h http.Header) { h.Set("Content-Type", "application/json") }),
			[]string{`FAULT actor: GET ` + d.srv.URL + `/ap/users/news (Accept: application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams") answered Content-Type "application/json"`,
				`FAULT signed fetch: GET ` + d.srv.URL + `/ap/users/news signed by ` + d.srv.URL + `/ap/actor: activitypub: fetch ` + d.srv.URL + `/ap/users/news: content type "application/json" is not AS2`}},
		{"key PEM broken", rewriteActor(func(doc map[string]any) {
			doc["publicKey"].(map[string]any)["publicKeyPem"] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
		}), []string{"FAULT keys: publicKey " + d.srv.URL + "/ap/users/news#main-key: PEM does not parse"}},
		{"key owner wrong", rewriteActor(func(doc map[string]any) {
			doc["publicKey"].(map[string]any)["owner"] = "https://elsewhere.example/actor"
		}), []string{`FAULT keys: publicKey ` + d.srv.URL + `/ap/users/news#main-key: owner "https://elsewhere.example/actor" is not the actor`}},
		{"assertionMethod broken", rewriteActor(func(doc map[string]any) {
			doc["assertionMethod"].([]any)[0].(map[string]any)["publicKeyMultibase"] = "zQ3s"
		}), []string{"FAULT keys: assertionMethod " + d.srv.URL + "/ap/users/news#ed25519-key"}},
		{"signed fetch refused", func(next, _ http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Signature") != "" || r.Header.Get("Signature-Input") != "" {
					http.Error(w, "signature rejected", http.StatusUnauthorized)
					return
				}
				next.ServeHTTP(w, r)
			})
		}, []string{"FAULT signed fetch: GET " + d.srv.URL + "/ap/users/news signed by " + d.srv.URL + "/ap/actor"}},
		{"AS2 requests served HTML", toSite(article), []string{
			"FAULT article as2: GET " + d.srv.URL + "/articles/bridge (Accept: application/activity+json) answered Content-Type \"text/html; charset=utf-8\"",
			"FAULT article as2: GET " + d.srv.URL + "/articles/bridge (Accept: application/ld+json",
			`FAULT vary: the HTML answer of ` + d.srv.URL + `/articles/bridge has no "Vary: Accept"`,
		}},
		{"ld+json not routed", toSite(func(r *http.Request) bool {
			return article(r) && strings.HasPrefix(r.Header.Get("Accept"), "application/ld+json")
		}), []string{"FAULT article as2: GET " + d.srv.URL + "/articles/bridge (Accept: application/ld+json"}},
		{"no Vary", rewriteHeader(article, func(h http.Header) { h.Del("Vary") }), []string{
			`FAULT vary: the AS2 answer of ` + d.srv.URL + `/articles/bridge has no "Vary: Accept"`,
			`FAULT vary: the AS2 answer of ` + d.srv.URL + `/articles/bridge has no "Vary: Accept"`,
			`FAULT vary: the HTML answer of ` + d.srv.URL + `/articles/bridge has no "Vary: Accept"`,
		}},
		{"browsers served AS2", func(next, _ http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if article(r) {
					r.Header.Set("Accept", "application/activity+json")
				}
				next.ServeHTTP(w, r)
			})
		}, []string{"FAULT article html: GET " + d.srv.URL + `/articles/bridge as a browser answered 200 "application/activity+json"`}},
		{"no rel=alternate", func(next, _ http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if article(r) && strings.HasPrefix(r.Header.Get("Accept"), "text/html") {
					w.Header().Set("Vary", "Accept")
					w.Header().Set("Content-Type", "text/html")
					io.WriteString(w, "<!doctype html><title>Bridge reopens</title><p>The bridge is open.</p>")
					return
				}
				next.ServeHTTP(w, r)
			})
		}, []string{"FAULT rel=alternate: " + d.srv.URL + "/articles/bridge has no"}},
		{"clock two hours ahead", rewriteHeader(func(*http.Request) bool { return true }, func(h http.Header) {
			h.Set("Date", time.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat))
		}), []string{"FAULT clock: the server's Date is 2h0m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := d.diagnose(t, tc.fault)
			var faults []string
			for line := range strings.Lines(out) {
				if strings.HasPrefix(line, lineFault) {
					faults = append(faults, line)
				}
			}
			if len(faults) != len(tc.want) {
				t.Fatalf("%d faults, want %d:\n%s%s", len(faults), len(tc.want), out, stderr)
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(faults[i], want) || !strings.Contains(faults[i], "; fix: ") {
					t.Errorf("fault %d:\n%s\nwant it to start with\n%s\nand say how to fix it", i, faults[i], want)
				}
			}
			if len(tc.want) == 0 && err != nil || len(tc.want) > 0 && (err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d fault(s)", len(tc.want)))) {
				t.Errorf("error %v with %d faults", err, len(tc.want))
			}
			if len(tc.want) == 0 && strings.Count(out, lineOK+" ") < 10 {
				t.Errorf("want every check ok:\n%s", out)
			}
		})
	}
}

// TestDiagnoseArguments: the site URL is checked before any request is made.
func TestDiagnoseArguments(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{nil, "want one site URL"},
		{[]string{"example.com"}, "want a site URL"},
		{[]string{"ftp://example.com"}, "want a site URL"},
		{[]string{"http://example.com"}, "over https only"},
		{[]string{"-timeout", "0", "https://example.com"}, "must be positive"},
		{[]string{"-h"}, "flag: help requested"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			err := run(t.Context(), append([]string{"diagnose"}, tc.args...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestLocalTrial: a base URL on loopback, plain http or https behind a local TLS proxy, lets
// the sidecar reach loopback; a public one does not, and plain http is refused there.
func TestLocalTrial(t *testing.T) {
	for _, tc := range []struct {
		base      string
		wantLocal bool
		wantErr   string
	}{
		{"http://127.0.0.1:8090", true, ""},
		{"http://localhost:8090", true, ""},
		{"https://localhost:8443", true, ""},
		{"https://127.0.0.2", true, ""},
		{"https://example.com", false, ""},
		{"http://example.com", false, "plain http only on loopback"},
		{"ftp://localhost", false, "want an origin"},
	} {
		t.Run(tc.base, func(t *testing.T) {
			local, err := (&config{BaseURL: tc.base}).local()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || (local != nil) != tc.wantLocal {
				t.Errorf("local() = %v, %v; want loopback allowed: %v", local, err, tc.wantLocal)
			}
		})
	}
}

// FuzzAlternateAS2: any page, however broken, gives an href it contains or none, without a
// panic; seeded with an article page and a real HTML document from the corpus.
func FuzzAlternateAS2(f *testing.F) {
	f.Add([]byte(`<!doctype html><html><head><title>Bridge reopens</title><link rel="alternate" type="application/activity+json" href="https://example.com/articles/bridge"></head><body></body></html>`))
	f.Add([]byte(`<link rel="Alternate Feed" type='application/ld+json; profile="https://www.w3.org/ns/activitystreams"' href=/a>`))
	f.Add(corpus.ReadFile(f, "signatures/swicg/activitypub-http-signature-report.index.html"))
	f.Fuzz(func(t *testing.T, page []byte) {
		if href := alternateAS2(page); href != "" && !bytes.Contains(page, []byte(href)) && !strings.ContainsAny(href, "&") {
			t.Errorf("href %q is not in the page", href)
		}
	})
}

// TestDiagnoseBluesky: diagnose notes what the actor lacks for Bridgy Fed without counting it as
// a fault, and says so when nothing is lacking.
func TestDiagnoseBluesky(t *testing.T) {
	d := newDeployment(t)
	withIcon := rewriteActor(func(doc map[string]any) {
		doc["icon"] = map[string]any{"type": "Image", "url": "https://cdn.example/news.png"}
	})
	for _, tc := range []struct {
		name  string
		fault func(next, site http.Handler) http.Handler
		want  string
	}{
		{"no avatar", nil, lineNote + ` bluesky: Bridgy Fed required "avatar" not met; fix: set Actor.IconURL`},
		{"avatar", withIcon, lineOK + " bluesky: " + d.srv.URL + "/ap/users/news meets Bridgy Fed's requirements"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := d.diagnose(t, tc.fault)
			if err != nil {
				t.Fatalf("diagnose: %v (a note is no fault)\n%s%s", err, stdout, stderr)
			}
			var lines []string
			for line := range strings.Lines(stdout) {
				if strings.Contains(line, " bluesky: ") {
					lines = append(lines, line)
				}
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want) {
				t.Errorf("bluesky lines %q, want one starting %q", lines, tc.want)
			}
		})
	}
}
