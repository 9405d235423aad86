package inboxfleet

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fedsite/fedsite/signing"
)

// Config configures a [Fleet].
type Config struct {
	// Key is the public key deliveries are signed with, and KeyID its id. Required.
	Key   crypto.PublicKey
	KeyID string
	// VerifyEvery verifies the signature of one delivery in VerifyEvery (the first one always).
	// Default: 1, every delivery.
	VerifyEvery int
	// Status answers each delivery. Default: 202 Accepted.
	Status int
	// Delay holds each answer back this long, standing in for the round trip to a distant server.
	// Default: 0, none.
	Delay time.Duration
}

// Fleet is the running fleet. Its methods are safe for concurrent use.
type Fleet struct {
	cfg      Config
	ln       net.Listener
	srv      *http.Server
	verifier *signing.Verifier

	mu     sync.Mutex
	counts map[string]int // by host + path

	total, checked, bad, conns, accepted atomic.Int64
}

// Start listens on 127.0.0.1 and serves the fleet until Close.
func Start(cfg Config) (*Fleet, error) {
	if cfg.Key == nil || cfg.KeyID == "" {
		return nil, errors.New("inboxfleet: Key and KeyID are required")
	}
	if cfg.VerifyEvery <= 0 {
		cfg.VerifyEvery = 1
	}
	if cfg.Status == 0 {
		cfg.Status = http.StatusAccepted
	}
	keys := signing.KeyResolverFunc(func(_ context.Context, keyID string, _ bool) (*signing.PublicKey, error) {
		if keyID != cfg.KeyID {
			return nil, fmt.Errorf("inboxfleet: unknown key %q", keyID)
		}
		return &signing.PublicKey{ID: keyID, Key: cfg.Key, Fresh: true}, nil
	})
	v, err := signing.NewVerifier(signing.VerifierConfig{Keys: keys})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("inboxfleet: %w", err)
	}
	f := &Fleet{cfg: cfg, ln: ln, verifier: v, counts: make(map[string]int)}
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				f.conns.Add(1)
			}
		}}
	go f.srv.Serve(ln)
	return f, nil
}

func (f *Fleet) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	n := f.total.Add(1)
	if (n-1)%int64(f.cfg.VerifyEvery) == 0 {
		f.checked.Add(1)
		if _, err := f.verifier.Verify(r.Context(), r, body); err != nil {
			f.bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	if f.cfg.Delay > 0 {
		time.Sleep(f.cfg.Delay)
	}
	f.mu.Lock()
	f.counts[r.Host+r.URL.Path]++
	f.mu.Unlock()
	f.accepted.Add(1)
	w.WriteHeader(f.cfg.Status)
}

// Addr is the fleet's listening address.
func (f *Fleet) Addr() string { return f.ln.Addr().String() }

// Inbox returns the URL of inbox i of host h.
func Inbox(h, i int) string { return fmt.Sprintf("http://h%06d.fleet.test/inbox/%d", h, i) }

// Received returns how many deliveries the inbox accepted.
func (f *Fleet) Received(inbox string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[trimScheme(inbox)]
}

// Distinct returns how many inboxes accepted at least one delivery.
func (f *Fleet) Distinct() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.counts)
}

// Accepted returns how many deliveries were accepted in all.
func (f *Fleet) Accepted() int { return int(f.accepted.Load()) }

// Total returns how many requests arrived.
func (f *Fleet) Total() int64 { return f.total.Load() }

// Conns counts the TCP connections the fleet accepted.
func (f *Fleet) Conns() int64 { return f.conns.Load() }

// Checked counts the deliveries whose signature was verified.
func (f *Fleet) Checked() int64 { return f.checked.Load() }

// BadSignatures counts the verified deliveries whose signature failed the check.
func (f *Fleet) BadSignatures() int64 { return f.bad.Load() }

// Close stops the server.
func (f *Fleet) Close() error { return f.srv.Close() }

func trimScheme(u string) string {
	for _, p := range []string{"http://", "https://"} {
		if len(u) > len(p) && u[:len(p)] == p {
			return u[len(p):]
		}
	}
	return u
}

// Client returns a client that connects to addr whatever host a URL names, one connection per
// host as on the real fediverse, keeping at most maxIdle idle connections in all (a fleet of many
// hosts would otherwise hold one each).
func Client(addr string, maxIdle int) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        maxIdle,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     30 * time.Second,
	}}
}

// SharedClient returns a client that sends every request to addr over at most conns keep-alive
// connections, whatever host its URL names: the host travels in the Host header only, which is
// what the fleet counts and what signatures cover. It takes the cost of a TCP connection per host,
// paid on both sides when the fleet shares the sender's cores, out of a measurement.
func SharedClient(addr string, conns int) *http.Client {
	base := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		IdleConnTimeout: 30 * time.Second}
	return &http.Client{Transport: hostHeader{addr: addr, base: base}}
}

// hostHeader sends requests to addr, keeping their URL's host as the Host header.
type hostHeader struct {
	addr string
	base http.RoundTripper
}

func (h hostHeader) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	if out.Host == "" {
		out.Host = req.URL.Host
	}
	out.URL.Host = h.addr
	return h.base.RoundTrip(out)
}
