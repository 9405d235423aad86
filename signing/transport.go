package signing

import (
	"bytes"
	"container/list"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Scheme is an HTTP signature scheme a [Transport] signs with.
type Scheme int

const (
	// SchemeCavage is draft-cavage, signed with [Sign]. It is the zero
	// value: every server in the fediverse accepts it (INTEROP.md §2.1).
	SchemeCavage Scheme = iota
	// SchemeRFC9421 is RFC 9421, signed with [SignRFC9421].
	SchemeRFC9421
)

// String returns "draft-cavage" or "rfc9421".
func (s Scheme) String() string {
	switch s {
	case SchemeCavage:
		return "draft-cavage"
	case SchemeRFC9421:
		return "rfc9421"
	}
	return fmt.Sprintf("Scheme(%d)", int(s))
}

// Defaults of [TransportConfig].
const (
	// DefaultHostMemory is how many hosts a Transport remembers.
	DefaultHostMemory = 10000
	// DefaultHostTTL is how long a Transport remembers what a host accepts.
	DefaultHostTTL = 24 * time.Hour
)

// TransportConfig configures [NewTransport].
type TransportConfig struct {
	// Key signs every request: draft-cavage always, RFC 9421 unless
	// Ed25519Key is used for the host. It must be an RSA key whose ID is
	// listed in the actor's publicKey. Required.
	Key Key
	// Ed25519Key, if set, signs RFC 9421 requests to hosts marked as
	// accepting Ed25519 with [Transport.SetHostEd25519]. Its ID must name
	// a Multikey the actor lists in assertionMethod ([NewMultikey]).
	// Default (zero Key): RFC 9421 requests are signed with Key.
	Ed25519Key Key
	// FirstScheme is the scheme tried first with a host the Transport knows
	// nothing about.
	// Default (zero): [SchemeCavage], as Mastodon does; Fedify starts with
	// [SchemeRFC9421].
	FirstScheme Scheme
	// HostMemory bounds the number of hosts whose accepted scheme is
	// remembered (least recently used are forgotten first).
	// Default (0): [DefaultHostMemory].
	HostMemory int
	// HostTTL is how long what a host accepted is remembered.
	// Default (0): [DefaultHostTTL].
	HostTTL time.Duration
	// Base sends the signed requests. Put the SSRF guard (a dialer refusing
	// private addresses) here.
	// Default (nil): http.DefaultTransport.
	Base http.RoundTripper
	// Now returns the time written to Date and created.
	// Default (nil): time.Now.
	Now func() time.Time
}

// Transport is an http.RoundTripper that signs each request before passing
// it to its base transport, and "double-knocks": when a host rejects the
// signature, it retries once with the other scheme and remembers per host
// which scheme worked. Use it in the http.Client given to a [Resolver]
// (signed GETs with the instance actor) and for deliveries.
//
// # Double-knock
//
// A host is first sent the scheme remembered for it, else
// [TransportConfig].FirstScheme (draft-cavage by default). The request is
// retried once with the other scheme when the answer is 400 or 401, or 404
// while nothing is remembered for the host (Threads-like servers answer 404
// to requests they cannot verify; once a scheme is known to work for the
// host, a 404 means the resource is missing). The first response is drained
// briefly and closed, and the second is returned, whatever its status. A
// response below 400 makes the Transport remember the scheme that produced
// it for [TransportConfig].HostTTL; a failed retry changes nothing. So a
// host remembered as RFC 9421 that starts rejecting it falls back to
// draft-cavage, and the reverse.
//
// RFC 9421 requests use the Ed25519 key only for hosts marked with
// [Transport.SetHostEd25519]; if such a request is rejected, the retry is
// RFC 9421 with the RSA key and the mark is cleared.
//
// # RoundTripper contract
//
// The caller's request is never modified (each attempt signs a fresh
// clone), its body is always closed, also on errors, err is nil whenever a
// response arrived, whatever its status, and the Transport is safe for
// concurrent use. Apart from the double-knock, responses are not
// interpreted. The request body is read once into memory, which is what
// makes the retry possible; each clone gets a replayable Body and GetBody.
type Transport struct {
	key   Key
	ed    *Key
	first Scheme
	base  http.RoundTripper
	now   func() time.Time
	hosts *hostMemory
	sums  bodyCache
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a Transport. It fails if cfg.Key is unusable (no ID,
// no Signer, or not an RSA key), if cfg.Ed25519Key is set but is not a
// usable Ed25519 key, or if a setting is out of range.
func NewTransport(cfg TransportConfig) (*Transport, error) {
	if err := checkKey(cfg.Key); err != nil {
		return nil, fmt.Errorf("signing: new transport: %w", err)
	}
	if cfg.FirstScheme != SchemeCavage && cfg.FirstScheme != SchemeRFC9421 {
		return nil, fmt.Errorf("signing: new transport: unknown FirstScheme %d", int(cfg.FirstScheme))
	}
	if cfg.HostMemory < 0 || cfg.HostTTL < 0 {
		return nil, errors.New("signing: new transport: HostMemory and HostTTL must not be negative")
	}
	t := &Transport{key: cfg.Key, first: cfg.FirstScheme, base: cfg.Base, now: cfg.Now}
	if cfg.Ed25519Key.ID != "" || cfg.Ed25519Key.Signer != nil {
		if err := checkKeyRFC9421(cfg.Ed25519Key); err != nil {
			return nil, fmt.Errorf("signing: new transport: Ed25519Key: %w", err)
		}
		if _, ok := cfg.Ed25519Key.Signer.Public().(ed25519.PublicKey); !ok {
			return nil, fmt.Errorf("signing: new transport: Ed25519Key: %T: %w", cfg.Ed25519Key.Signer.Public(), ErrUnsupportedKey)
		}
		ed := cfg.Ed25519Key
		t.ed = &ed
	}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.now == nil {
		t.now = time.Now
	}
	size, ttl := cfg.HostMemory, cfg.HostTTL
	if size == 0 {
		size = DefaultHostMemory
	}
	if ttl == 0 {
		ttl = DefaultHostTTL
	}
	t.hosts = &hostMemory{max: size, ttl: ttl, ll: list.New(), items: make(map[string]*list.Element)}
	return t, nil
}

// HostScheme reports the scheme remembered for host (a host name with the
// port, if any, as in URL.Host), and whether one is remembered.
func (t *Transport) HostScheme(host string) (Scheme, bool) {
	st, ok := t.hosts.get(strings.ToLower(host), t.now())
	return st.scheme, ok && st.schemeKnown
}

// SetHostEd25519 records whether host accepts RFC 9421 signatures made with
// Ed25519 keys (for instance because its software is known to verify
// FEP-521a keys). It has an effect only when [TransportConfig].Ed25519Key
// is set, and is remembered like the scheme.
func (t *Transport) SetHostEd25519(host string, accepts bool) {
	t.hosts.update(strings.ToLower(host), t.now(), func(st *hostState) { st.ed25519 = accepts })
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, bodySum, err := t.sums.read(req)
	if req.Body != nil {
		// The RoundTripper must close the request body, even on errors
		// (net/http.RoundTripper doc).
		req.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("signing: read request body: %w", err)
	}
	var sum *[sha256.Size]byte
	if body != nil {
		sum = &bodySum
	}
	host := req.Host
	if host == "" && req.URL != nil {
		host = req.URL.Host
	}
	host = strings.ToLower(host)
	now := t.now()
	st, _ := t.hosts.get(host, now)
	scheme := t.first
	if st.schemeKnown {
		scheme = st.scheme
	}
	useEd := t.ed != nil && st.ed25519
	resp, err := t.send(req, body, sum, scheme, useEd && scheme == SchemeRFC9421, now)
	if err != nil {
		return nil, err
	}
	code := resp.StatusCode
	if code != http.StatusBadRequest && code != http.StatusUnauthorized && !(code == http.StatusNotFound && !st.schemeKnown) {
		if code < 400 && (!st.schemeKnown || st.scheme != scheme) {
			t.hosts.update(host, now, func(st *hostState) { st.scheme, st.schemeKnown = scheme, true })
		}
		return resp, nil
	}

	// Double-knock (STYLE.md: the one documented exception to "don't
	// interpret the response"). The body is in memory, so it replays.
	drain(resp)
	retry, retryEd := SchemeRFC9421, useEd
	switch {
	case scheme == SchemeRFC9421 && useEd:
		// Ed25519 refused: same scheme, RSA key.
		retryEd = false
		t.hosts.update(host, now, func(st *hostState) { st.ed25519 = false })
	case scheme == SchemeRFC9421:
		retry = SchemeCavage
	}
	resp, err = t.send(req, body, sum, retry, retryEd && retry == SchemeRFC9421, now)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 400 {
		t.hosts.update(host, now, func(st *hostState) { st.scheme, st.schemeKnown = retry, true })
	}
	return resp, nil
}

// send signs a clone of req with the given scheme and key and sends it; sum is the SHA-256 of
// body, nil when there is none.
func (t *Transport) send(req *http.Request, body []byte, sum *[sha256.Size]byte, scheme Scheme, ed bool, now time.Time) (*http.Response, error) {
	// Sign a clone: a RoundTripper must not modify the request
	// (net/http.RoundTripper doc; golang.org/x/oauth2 Transport does the same).
	clone := req.Clone(req.Context())
	if body != nil {
		clone.Body = io.NopCloser(bytes.NewReader(body))
		clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		clone.ContentLength = int64(len(body))
	}
	var err error
	switch {
	case scheme == SchemeRFC9421 && ed:
		err = signRFC9421(clone, *t.ed, body, sum, now)
	case scheme == SchemeRFC9421:
		err = signRFC9421(clone, t.key, body, sum, now)
	default:
		err = sign(clone, t.key, body, sum, now)
	}
	if err != nil {
		return nil, err
	}
	return t.base.RoundTrip(clone)
}

// drain reads a little of a discarded response, so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}

// hostState is what a Transport remembers about a host.
type hostState struct {
	host        string
	scheme      Scheme
	schemeKnown bool
	ed25519     bool
	expires     time.Time
}

// hostMemory is a bounded LRU of hostState with expiry.
type hostMemory struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	ll    *list.List // front = most recently used
	items map[string]*list.Element
}

// get returns the state of host, the zero state if none or expired.
func (m *hostMemory) get(host string, now time.Time) (hostState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[host]
	if !ok {
		return hostState{}, false
	}
	st := el.Value.(*hostState)
	if !now.Before(st.expires) {
		m.ll.Remove(el)
		delete(m.items, host)
		return hostState{}, false
	}
	m.ll.MoveToFront(el)
	return *st, true
}

// update applies fn to the state of host (created if missing or expired)
// and renews its expiry.
func (m *hostMemory) update(host string, now time.Time, fn func(*hostState)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var st *hostState
	if el, ok := m.items[host]; ok && now.Before(el.Value.(*hostState).expires) {
		st = el.Value.(*hostState)
		m.ll.MoveToFront(el)
	} else {
		if ok {
			m.ll.Remove(el)
		}
		st = &hostState{host: host}
		m.items[host] = m.ll.PushFront(st)
	}
	fn(st)
	st.expires = now.Add(m.ttl)
	for m.ll.Len() > m.max {
		last := m.ll.Back()
		m.ll.Remove(last)
		delete(m.items, last.Value.(*hostState).host)
	}
}

// bodyCache remembers the last few request bodies a Transport sent with their SHA-256, so that a
// fan-out of one activity to many inboxes hashes its body once, not once per inbox, and does not
// keep a copy of it per inbox either: each request is read into a pooled buffer, and a body seen
// before is sent from the cache's copy. Looking a body up costs a fraction of hashing it. Its zero
// value is ready to use.
type bodyCache struct {
	mu     sync.Mutex
	seed   maphash.Seed
	seeded bool
	m      map[uint64]cachedBody // by maphash of the body
	bufs   sync.Pool             // of *bytes.Buffer, to read bodies into
}

// cachedBody is a body a bodyCache holds, never modified, with its SHA-256.
type cachedBody struct {
	body []byte
	sum  [sha256.Size]byte
}

const (
	// bodyCacheSize is how many bodies a bodyCache remembers; it starts over when full.
	bodyCacheSize = 16
	// bodyCacheMaxBody is the largest body a bodyCache remembers.
	bodyCacheMaxBody = 1 << 20
	// bodyBufferMax is the largest read buffer a bodyCache pools.
	bodyBufferMax = 64 << 10
)

// read returns the request body and its SHA-256; a nil body when there is none. It prefers
// GetBody, which leaves req.Body untouched. The bytes returned are not modified later, and may be
// shared with other requests.
func (c *bodyCache) read(req *http.Request) ([]byte, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	if req.Body == nil || req.Body == http.NoBody {
		return nil, sum, nil
	}
	rc := req.Body
	if req.GetBody != nil {
		var err error
		rc, err = req.GetBody()
		if err != nil {
			return nil, sum, err
		}
		if rc == nil {
			return nil, sum, errors.New("GetBody returned nil")
		}
		defer rc.Close()
	}
	buf, _ := c.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	buf.Grow(int(min(max(req.ContentLength, 0), bodyCacheMaxBody)))
	if _, err := io.Copy(buf, rc); err != nil {
		c.put(buf)
		return nil, sum, err
	}
	if buf.Len() > bodyCacheMaxBody {
		// Not remembered, and too large to pool: the buffer is the body.
		b := buf.Bytes()
		return b, sha256.Sum256(b), nil
	}
	cb := c.lookup(buf.Bytes())
	c.put(buf)
	return cb.body, cb.sum, nil
}

// lookup returns the cache's copy of b with its SHA-256, remembering them first if b is new.
func (c *bodyCache) lookup(b []byte) cachedBody {
	c.mu.Lock()
	if !c.seeded {
		c.seed, c.seeded = maphash.MakeSeed(), true
	}
	h := maphash.Bytes(c.seed, b)
	cb, ok := c.m[h]
	c.mu.Unlock()
	if ok && bytes.Equal(cb.body, b) {
		return cb
	}
	cb = cachedBody{body: bytes.Clone(b), sum: sha256.Sum256(b)}
	if cb.body == nil {
		cb.body = []byte{} // an empty body is still a body
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= bodyCacheSize {
		c.m = make(map[uint64]cachedBody, bodyCacheSize)
	}
	c.m[h] = cb
	c.mu.Unlock()
	return cb
}

// put returns a read buffer to the pool, unless it grew too large to keep.
func (c *bodyCache) put(buf *bytes.Buffer) {
	if buf.Cap() <= bodyBufferMax {
		c.bufs.Put(buf)
	}
}
