package signing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type closeTracker struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeTracker) Close() error { c.closed.Store(true); return nil }

// verifyingServer verifies every request with bob's key and answers
// "<owner> <headers>" or 401 with the error.
func verifyingServer(t *testing.T) *httptest.Server {
	t.Helper()
	v := newVerifierT(t, bobResolver(t), vectorClock)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got, err := v.Verify(r.Context(), r, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "%s %s %s", got.Owner, strings.Join(got.Headers, ","), body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestTransportSignsAndServerVerifies(t *testing.T) {
	ts := verifyingServer(t)
	tr, err := NewTransport(TransportConfig{Key: Key{ID: bobKeyID, Signer: bobKey(t)}, Now: func() time.Time { return vectorClock }})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: tr}
	body := `{"type":"Follow"}`
	tests := []struct {
		name     string
		method   string
		path     string
		body     func() io.Reader
		wantHdrs string
	}{
		{"GET", "GET", "/users/alice?page=true", nil, "(request-target),host,date"},
		{"GET escaped path", "GET", "/users/a%2Fb", nil, "(request-target),host,date"},
		{"POST replayable body", "POST", "/inbox", func() io.Reader { return strings.NewReader(body) }, "(request-target),host,date,digest,content-type"},
		{"POST one-shot body", "POST", "/inbox", func() io.Reader { return io.MultiReader(strings.NewReader(body)) }, "(request-target),host,date,digest,content-type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rd io.Reader
			if tt.body != nil {
				rd = tt.body()
			}
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, rd)
			if err != nil {
				t.Fatal(err)
			}
			if rd != nil {
				req.Header.Set("Content-Type", "application/activity+json")
			}
			before := req.Header.Clone()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, out)
			}
			want := bobActor + " " + tt.wantHdrs + " "
			if tt.body != nil {
				want += body
			}
			if string(out) != want {
				t.Errorf("server saw %q, want %q", out, want)
			}
			if fmt.Sprint(req.Header) != fmt.Sprint(before) || req.Header.Get("Signature") != "" {
				t.Errorf("caller's request modified: %v", req.Header)
			}
		})
	}
}

func TestTransportContract(t *testing.T) {
	key := Key{ID: bobKeyID, Signer: bobKey(t)}
	t.Run("closes body and returns response on 401", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusUnauthorized)
		}))
		defer ts.Close()
		tr, _ := NewTransport(TransportConfig{Key: key})
		body := &closeTracker{Reader: strings.NewReader("x")}
		req, _ := http.NewRequest("POST", ts.URL+"/inbox", body)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("err = %v, want nil with a 401 response", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status = %d", resp.StatusCode)
		}
		if !body.closed.Load() {
			t.Error("request body not closed")
		}
	})
	t.Run("closes body on base error", func(t *testing.T) {
		base := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("dial refused") })
		tr, _ := NewTransport(TransportConfig{Key: key, Base: base})
		body := &closeTracker{Reader: strings.NewReader("x")}
		req, _ := http.NewRequest("POST", "http://127.0.0.1:1/inbox", body)
		if _, err := tr.RoundTrip(req); err == nil {
			t.Fatal("no error")
		}
		if !body.closed.Load() {
			t.Error("request body not closed")
		}
	})
	t.Run("closes body on read error", func(t *testing.T) {
		tr, _ := NewTransport(TransportConfig{Key: key, Base: roundTripFunc(func(*http.Request) (*http.Response, error) {
			t.Error("base called")
			return nil, errors.New("unreachable")
		})})
		body := &closeTracker{Reader: io.MultiReader(strings.NewReader("x"), errReader{})}
		req, _ := http.NewRequest("POST", "http://127.0.0.1:1/inbox", body)
		if _, err := tr.RoundTrip(req); err == nil {
			t.Fatal("no error")
		}
		if !body.closed.Load() {
			t.Error("request body not closed")
		}
	})
	t.Run("clone has replayable body", func(t *testing.T) {
		var seen []byte
		tr, _ := NewTransport(TransportConfig{Key: key, Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			rc, err := r.GetBody()
			if err != nil {
				return nil, err
			}
			seen, _ = io.ReadAll(rc)
			b, _ := io.ReadAll(r.Body)
			if !bytes.Equal(b, seen) || r.ContentLength != int64(len(b)) {
				t.Errorf("Body %q, GetBody %q, ContentLength %d", b, seen, r.ContentLength)
			}
			return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
		})})
		req, _ := http.NewRequest("POST", "http://127.0.0.1:1/inbox", &closeTracker{Reader: strings.NewReader("payload")})
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if string(seen) != "payload" {
			t.Errorf("GetBody gave %q", seen)
		}
	})
	t.Run("NewTransport validates key", func(t *testing.T) {
		if _, err := NewTransport(TransportConfig{}); err == nil {
			t.Error("empty config accepted")
		}
	})
}

func TestTransportConcurrent(t *testing.T) {
	ts := verifyingServer(t)
	tr, err := NewTransport(TransportConfig{Key: Key{ID: bobKeyID, Signer: bobKey(t)}, Now: func() time.Time { return vectorClock }})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range 8 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(context.Background(), "POST", ts.URL+"/inbox", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
			resp, err := client.Do(req)
			if err != nil {
				failures.Add(1)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Errorf("%d of 8 concurrent requests failed", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("read failed") }

// TestTransportDigestPerBody sends bodies that differ, some only in one byte, in turn through one
// Transport, with both schemes: each request's digest and signature verify against its own body,
// whatever the Transport remembered of the others.
func TestTransportDigestPerBody(t *testing.T) {
	ts := verifyingServer(t)
	bodies := []string{`{"type":"Create","n":1}`, `{"type":"Create","n":2}`, `{"type":"Create","n":1}`, `{}`, strings.Repeat("x", 3000), `{"type":"Create","n":2}`}
	for _, scheme := range []Scheme{SchemeCavage, SchemeRFC9421} {
		tr, err := NewTransport(TransportConfig{Key: Key{ID: bobKeyID, Signer: bobKey(t)}, FirstScheme: scheme, Now: func() time.Time { return vectorClock }})
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{Transport: tr}
		for i := range 3 * bodyCacheSize { // past the cache's size: it starts over
			body := bodies[i%len(bodies)]
			if i >= len(bodies) {
				body += strings.Repeat(" ", i)
			}
			resp, err := client.Post(ts.URL+"/inbox", "application/activity+json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasSuffix(string(got), " "+body) {
				t.Fatalf("%v, body %d: %d %s", scheme, i, resp.StatusCode, got)
			}
			if s, ok := tr.HostScheme(mustURL(t, ts.URL).Host); !ok || s != scheme {
				t.Fatalf("%v, body %d: the first knock failed (host remembered as %v)", scheme, i, s)
			}
		}
	}
}
