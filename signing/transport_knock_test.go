package signing

import (
	"context"
	"crypto/ed25519"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// knockServer verifies signatures and accepts only the schemes its policy
// allows, answering reject (401 by default) otherwise. It records, per
// request, the scheme and algorithm it saw.
type knockServer struct {
	*httptest.Server
	mu     sync.Mutex
	accept func(*Verified) bool
	reject int
	seen   []string // "rfc9421/ed25519", "draft-cavage/rsa-sha256", …
	hits   atomic.Int32
}

func newKnockServer(t *testing.T, accept func(*Verified) bool) *knockServer {
	t.Helper()
	keys := bobResolver(t)
	keys.keys[edKeyID] = &PublicKey{ID: edKeyID, Owner: bobActor, Key: testEdKey().Public(), Fresh: true}
	v := newVerifierT(t, keys, vectorClock)
	k := &knockServer{accept: accept, reject: http.StatusUnauthorized}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		got, err := v.Verify(r.Context(), r, body)
		k.mu.Lock()
		accept, reject := k.accept, k.reject
		if err == nil {
			scheme := SchemeCavage
			if got.Label != "" {
				scheme = SchemeRFC9421
			}
			k.seen = append(k.seen, scheme.String()+"/"+got.Algorithm)
		} else {
			k.seen = append(k.seen, "invalid")
		}
		k.mu.Unlock()
		if err != nil || !accept(got) {
			http.Error(w, "rejected", reject)
			return
		}
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(k.Close)
	return k
}

func (k *knockServer) set(accept func(*Verified) bool, reject int) {
	k.mu.Lock()
	k.accept, k.reject = accept, reject
	k.mu.Unlock()
}

// take returns and clears the recorded schemes.
func (k *knockServer) take() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.seen
	k.seen = nil
	return s
}

const edKeyID = bobActor + "#ed25519-key"

func testEdKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed([]byte("fedsite-test-ed25519-key-seed-32"))
}

func only9421(v *Verified) bool   { return v.Label != "" }
func onlyCavage(v *Verified) bool { return v.Label == "" }
func noEd25519(v *Verified) bool  { return v.Algorithm != AlgorithmEd25519 }

func newKnockTransport(t *testing.T, cfg TransportConfig) *Transport {
	t.Helper()
	cfg.Key = Key{ID: bobKeyID, Signer: bobKey(t)}
	cfg.Now = func() time.Time { return vectorClock }
	tr, err := NewTransport(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func do(t *testing.T, tr http.RoundTripper, method, u, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func equalStrings(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") }

func TestTransportDoubleKnock(t *testing.T) {
	const body = `{"type":"Create"}`
	cav := "draft-cavage/rsa-sha256"
	rsa9421 := "rfc9421/rsa-v1_5-sha256"
	ed9421 := "rfc9421/ed25519"

	t.Run("RFC 9421-only host: cavage, 401, RFC 9421; then RFC 9421 directly", func(t *testing.T) {
		k := newKnockServer(t, only9421)
		tr := newKnockTransport(t, TransportConfig{})
		host := mustURL(t, k.URL).Host
		if code, got := do(t, tr, "POST", k.URL+"/inbox", body); code != 200 || got != body {
			t.Fatalf("first POST: %d %q", code, got)
		}
		if s := k.take(); !equalStrings(s, []string{cav, rsa9421}) {
			t.Errorf("first POST knocks = %q", s)
		}
		if s, ok := tr.HostScheme(host); !ok || s != SchemeRFC9421 {
			t.Errorf("HostScheme = %v, %v", s, ok)
		}
		if code, _ := do(t, tr, "POST", k.URL+"/inbox", body); code != 200 {
			t.Fatalf("second POST: %d", code)
		}
		if code, _ := do(t, tr, "GET", k.URL+"/users/a", ""); code != 200 {
			t.Fatalf("GET: %d", code)
		}
		if s := k.take(); !equalStrings(s, []string{rsa9421, rsa9421}) {
			t.Errorf("later requests = %q, want RFC 9421 directly", s)
		}
	})
	t.Run("cavage-only host with FirstScheme RFC 9421", func(t *testing.T) {
		k := newKnockServer(t, onlyCavage)
		tr := newKnockTransport(t, TransportConfig{FirstScheme: SchemeRFC9421})
		for range 2 {
			if code, got := do(t, tr, "POST", k.URL+"/inbox", body); code != 200 || got != body {
				t.Fatalf("POST: %d %q", code, got)
			}
		}
		if s := k.take(); !equalStrings(s, []string{rsa9421, cav, cav}) {
			t.Errorf("knocks = %q", s)
		}
	})
	t.Run("host remembered as RFC 9421 that starts rejecting it falls back", func(t *testing.T) {
		k := newKnockServer(t, only9421)
		tr := newKnockTransport(t, TransportConfig{FirstScheme: SchemeRFC9421})
		do(t, tr, "GET", k.URL+"/a", "")
		k.set(onlyCavage, http.StatusBadRequest)
		if code, _ := do(t, tr, "GET", k.URL+"/a", ""); code != 200 {
			t.Fatalf("GET: %d", code)
		}
		if s := k.take(); !equalStrings(s, []string{rsa9421, rsa9421, cav}) {
			t.Errorf("knocks = %q", s)
		}
		if s, _ := tr.HostScheme(mustURL(t, k.URL).Host); s != SchemeCavage {
			t.Errorf("HostScheme = %v", s)
		}
	})
	t.Run("404 retried only while the host is unknown", func(t *testing.T) {
		k := newKnockServer(t, only9421)
		k.set(only9421, http.StatusNotFound) // Threads-like
		tr := newKnockTransport(t, TransportConfig{})
		if code, _ := do(t, tr, "GET", k.URL+"/users/a", ""); code != 200 {
			t.Fatalf("GET: %d", code)
		}
		if code, _ := do(t, tr, "GET", k.URL+"/missing", ""); code != 404 {
			t.Fatalf("GET /missing: %d", code)
		}
		if s := k.take(); !equalStrings(s, []string{cav, rsa9421, rsa9421}) {
			t.Errorf("knocks = %q (a 404 from a known host must not be retried)", s)
		}
	})
	t.Run("both rejected: second answer returned, nothing learned", func(t *testing.T) {
		k := newKnockServer(t, func(*Verified) bool { return false })
		tr := newKnockTransport(t, TransportConfig{})
		if code, _ := do(t, tr, "POST", k.URL+"/inbox", body); code != 401 {
			t.Fatalf("code %d", code)
		}
		if k.hits.Load() != 2 {
			t.Errorf("hits = %d, want 2 (one retry only)", k.hits.Load())
		}
		if _, ok := tr.HostScheme(mustURL(t, k.URL).Host); ok {
			t.Error("a scheme was remembered")
		}
	})
	t.Run("other errors are not retried", func(t *testing.T) {
		for _, code := range []int{403, 410, 500, 503} {
			k := newKnockServer(t, func(*Verified) bool { return false })
			k.set(func(*Verified) bool { return false }, code)
			tr := newKnockTransport(t, TransportConfig{})
			if got, _ := do(t, tr, "POST", k.URL+"/inbox", body); got != code || k.hits.Load() != 1 {
				t.Errorf("status %d: got %d after %d requests", code, got, k.hits.Load())
			}
		}
	})
	t.Run("Ed25519 for hosts marked as accepting it", func(t *testing.T) {
		k := newKnockServer(t, only9421)
		tr := newKnockTransport(t, TransportConfig{FirstScheme: SchemeRFC9421, Ed25519Key: Key{ID: edKeyID, Signer: testEdKey()}})
		host := mustURL(t, k.URL).Host
		do(t, tr, "POST", k.URL+"/inbox", body)
		tr.SetHostEd25519(host, true)
		do(t, tr, "POST", k.URL+"/inbox", body)
		// The host stops accepting Ed25519: RSA RFC 9421 retry, mark cleared.
		k.set(func(v *Verified) bool { return only9421(v) && noEd25519(v) }, http.StatusUnauthorized)
		do(t, tr, "POST", k.URL+"/inbox", body)
		do(t, tr, "POST", k.URL+"/inbox", body)
		if s := k.take(); !equalStrings(s, []string{rsa9421, ed9421, ed9421, rsa9421, rsa9421}) {
			t.Errorf("knocks = %q", s)
		}
	})
	t.Run("Ed25519 on the second knock after cavage", func(t *testing.T) {
		k := newKnockServer(t, only9421)
		tr := newKnockTransport(t, TransportConfig{Ed25519Key: Key{ID: edKeyID, Signer: testEdKey()}})
		tr.SetHostEd25519(mustURL(t, k.URL).Host, true)
		do(t, tr, "GET", k.URL+"/a", "")
		if s := k.take(); !equalStrings(s, []string{cav, ed9421}) {
			t.Errorf("knocks = %q", s)
		}
	})
}

func TestTransportKnockContract(t *testing.T) {
	key := Key{ID: bobKeyID, Signer: bobKey(t)}
	var first *closeTracker
	var n atomic.Int32
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != "payload" {
			t.Errorf("attempt %d sent body %q", n.Load()+1, b)
		}
		if n.Add(1) == 1 {
			first = &closeTracker{Reader: strings.NewReader("denied")}
			return &http.Response{StatusCode: 401, Body: first, Request: r}, nil
		}
		return &http.Response{StatusCode: 202, Body: http.NoBody, Request: r}, nil
	})
	tr, err := NewTransport(TransportConfig{Key: key, Base: base})
	if err != nil {
		t.Fatal(err)
	}
	body := &closeTracker{Reader: strings.NewReader("payload")}
	req, _ := http.NewRequestWithContext(context.Background(), "POST", "http://127.0.0.1:1/inbox", body)
	req.Header.Set("Content-Type", "application/activity+json")
	before := req.Header.Clone()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 || n.Load() != 2 {
		t.Errorf("status %d after %d attempts", resp.StatusCode, n.Load())
	}
	if !first.closed.Load() {
		t.Error("first response body not closed")
	}
	if !body.closed.Load() {
		t.Error("request body not closed")
	}
	if len(req.Header) != len(before) || req.Header.Get("Signature") != "" {
		t.Errorf("caller's request modified: %v", req.Header)
	}
}

func TestTransportKnockConcurrent(t *testing.T) {
	k := newKnockServer(t, only9421)
	tr := newKnockTransport(t, TransportConfig{})
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 16 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", k.URL+"/inbox", strings.NewReader(strings.Repeat("x", i+1)))
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				failed.Add(1)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of 16 failed", failed.Load())
	}
}

func TestTransportHostMemoryBounded(t *testing.T) {
	now := vectorClock
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
	tr, err := NewTransport(TransportConfig{Key: Key{ID: bobKeyID, Signer: bobKey(t)}, Base: base, HostMemory: 2,
		HostTTL: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"a.example", "b.example", "c.example"} {
		resp, err := tr.RoundTrip(&http.Request{Method: "GET", URL: &url.URL{Scheme: "https", Host: h, Path: "/"}, Header: http.Header{}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if _, ok := tr.HostScheme("a.example"); ok {
		t.Error("a.example still remembered beyond HostMemory")
	}
	if s, ok := tr.HostScheme("C.example"); !ok || s != SchemeCavage {
		t.Errorf("c.example: %v %v", s, ok)
	}
	now = now.Add(2 * time.Minute)
	if _, ok := tr.HostScheme("c.example"); ok {
		t.Error("c.example remembered beyond HostTTL")
	}
}

func TestNewTransportConfig(t *testing.T) {
	bob := Key{ID: bobKeyID, Signer: bobKey(t)}
	for _, tt := range []struct {
		name string
		cfg  TransportConfig
		ok   bool
	}{
		{"defaults", TransportConfig{Key: bob}, true},
		{"RFC 9421 first with Ed25519", TransportConfig{Key: bob, FirstScheme: SchemeRFC9421, Ed25519Key: Key{ID: edKeyID, Signer: testEdKey()}}, true},
		{"Ed25519 as the main key", TransportConfig{Key: Key{ID: edKeyID, Signer: testEdKey()}}, false},
		{"RSA as the Ed25519 key", TransportConfig{Key: bob, Ed25519Key: bob}, false},
		{"Ed25519 key without ID", TransportConfig{Key: bob, Ed25519Key: Key{Signer: testEdKey()}}, false},
		{"unknown scheme", TransportConfig{Key: bob, FirstScheme: 7}, false},
		{"negative memory", TransportConfig{Key: bob, HostMemory: -1}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTransport(tt.cfg)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v", err)
			}
		})
	}
	if SchemeCavage.String() != "draft-cavage" || SchemeRFC9421.String() != "rfc9421" || Scheme(9).String() != "Scheme(9)" {
		t.Error("Scheme.String")
	}
}
