package signing

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// TransportConfig configures [NewTransport].
type TransportConfig struct {
	// Key signs every request. Required.
	Key Key
	// Base sends the signed requests. Put the SSRF guard (a dialer refusing
	// private addresses) here.
	// Default (nil): http.DefaultTransport.
	Base http.RoundTripper
	// Now returns the time written to Date.
	// Default (nil): time.Now.
	Now func() time.Time
}

// Transport is an http.RoundTripper that signs each request with [Sign]
// before passing it to its base transport. Use it in the http.Client given
// to a [Resolver] (signed GETs with the instance actor) and for deliveries.
//
// It keeps the RoundTripper contract: the caller's request is never modified
// (a clone is signed), its body is always closed, also on errors, err is nil
// whenever a response arrived, whatever its status, and it is safe for
// concurrent use. A request body is read once into memory to compute the
// Digest; the clone gets a replayable Body and GetBody.
type Transport struct {
	key  Key
	base http.RoundTripper
	now  func() time.Time
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a Transport. It fails if cfg.Key is unusable (no ID,
// no Signer, or not an RSA key).
func NewTransport(cfg TransportConfig) (*Transport, error) {
	if err := checkKey(cfg.Key); err != nil {
		return nil, fmt.Errorf("signing: new transport: %w", err)
	}
	t := &Transport{key: cfg.Key, base: cfg.Base, now: cfg.Now}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t, nil
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if req.Body != nil {
		// The RoundTripper must close the request body, even on errors
		// (net/http.RoundTripper doc).
		req.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("signing: read request body: %w", err)
	}
	// Sign a clone: a RoundTripper must not modify the request
	// (net/http.RoundTripper doc; golang.org/x/oauth2 Transport does the same).
	clone := req.Clone(req.Context())
	if body != nil {
		clone.Body = io.NopCloser(bytes.NewReader(body))
		clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		clone.ContentLength = int64(len(body))
	}
	if err := Sign(clone, t.key, body, t.now()); err != nil {
		return nil, err
	}
	return t.base.RoundTrip(clone)
}

// readBody returns the request body bytes, nil when there is none. It prefers
// GetBody, which leaves req.Body untouched.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	rc := req.Body
	if req.GetBody != nil {
		var err error
		rc, err = req.GetBody()
		if err != nil {
			return nil, err
		}
		if rc == nil {
			return nil, errors.New("GetBody returned nil")
		}
		defer rc.Close()
	}
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}
