package inboxfleet

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
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
	// Hosts, if above 0, makes the fleet also listen on an address of its own for each of the
	// hosts 0 … Hosts-1 (see [HostInbox]), all on the port of [Fleet.Addr], so that each host is
	// met as a distinct server, on connections of its own. Default: 0, none.
	Hosts int
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
	// tick is signalled after each accepted delivery, for WaitAccepted.
	tick chan struct{}
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
	if cfg.Hosts < 0 || cfg.Hosts > maxHosts {
		return nil, fmt.Errorf("inboxfleet: Hosts %d: want 0 to %d", cfg.Hosts, maxHosts)
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
	lns, err := listen(cfg.Hosts)
	if err != nil {
		return nil, err
	}
	f := &Fleet{cfg: cfg, ln: lns[0], verifier: v, counts: make(map[string]int), tick: make(chan struct{}, 1)}
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				f.conns.Add(1)
			}
		}}
	for _, ln := range lns {
		go f.srv.Serve(ln)
	}
	return f, nil
}

// listen opens the fleet's listener on 127.0.0.1 and, on the same port, one on the address of
// each of hosts hosts. A port taken on one of those addresses makes it try another.
func listen(hosts int) ([]net.Listener, error) {
	const attempts = 10
	var err error
	for range attempts {
		var lns []net.Listener
		lns, err = listenOnce(hosts)
		if err == nil {
			return lns, nil
		}
	}
	return nil, fmt.Errorf("inboxfleet: %w", err)
}

func listenOnce(hosts int) ([]net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	lns := []net.Listener{ln}
	port := ln.Addr().(*net.TCPAddr).Port
	for h := range hosts {
		l, err := net.Listen("tcp", net.JoinHostPort(hostIP(h), strconv.Itoa(port)))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, err
		}
		lns = append(lns, l)
	}
	return lns, nil
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
	select {
	case f.tick <- struct{}{}:
	default:
	}
	w.WriteHeader(f.cfg.Status)
}

// Addr is the fleet's listening address.
func (f *Fleet) Addr() string { return f.ln.Addr().String() }

// Port is the port the fleet listens on, on every address.
func (f *Fleet) Port() int { return f.ln.Addr().(*net.TCPAddr).Port }

// Inbox returns the URL of inbox i of host h, a name that a [Client] or [SharedClient] connects
// to the fleet.
func Inbox(h, i int) string { return fmt.Sprintf("http://h%06d.fleet.test/inbox/%d", h, i) }

// HostInbox returns the URL of inbox i of host h at the address of its own that a fleet started
// with Config.Hosts above h listens on, port being its [Fleet.Port]: any HTTP client reaches it,
// as it would a distinct server.
func HostInbox(port, h, i int) string {
	return "http://" + net.JoinHostPort(hostIP(h), strconv.Itoa(port)) + "/inbox/" + strconv.Itoa(i)
}

// maxHosts is how many hosts have an address of their own (see hostIP).
const maxHosts = (256 - 100) << 16

// hostIP returns the loopback address of host h: 127.100.0.0 onwards, away from the 127.0.0.1
// that other listeners use.
func hostIP(h int) string {
	return netip.AddrFrom4([4]byte{127, byte(100 + h>>16), byte(h >> 8), byte(h)}).String()
}

// WaitAccepted waits until the fleet has accepted at least n deliveries in all, or ctx ends.
func (f *Fleet) WaitAccepted(ctx context.Context, n int) error {
	for f.Accepted() < n {
		select {
		case <-f.tick:
		case <-ctx.Done():
			return fmt.Errorf("inboxfleet: %d of %d deliveries accepted: %w", f.Accepted(), n, ctx.Err())
		}
	}
	return nil
}

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
