package signing

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fedsite/fedsite/internal/mediatype"
)

// Accept is the Accept header the [Resolver] sends when fetching keys and
// actors.
const Accept = mediatype.Activity + ", " + mediatype.ActivityLD

// Defaults of [ResolverConfig].
const (
	DefaultKeyTTL       = time.Hour
	DefaultMaxBodyBytes = 1 << 20
	DefaultCacheSize    = 4096
	DefaultUserAgent    = "fedsite-signing"
)

// ResolverConfig configures [NewResolver].
type ResolverConfig struct {
	// Client fetches keys and actors. Required: pass a client whose
	// Transport signs GETs with the instance actor (see [Transport]), since
	// GoToSocial, Threads and servers in authorized-fetch mode refuse
	// unsigned fetches, and whose dialer refuses private addresses, since
	// keyIds come from untrusted requests. Its Timeout bounds each fetch.
	Client *http.Client
	// Cache stores resolved keys.
	// Default (nil): an in-memory LRU of CacheSize entries, safe for
	// concurrent use.
	Cache KeyCache
	// CacheSize bounds the default cache; ignored when Cache is set.
	// Default (0): [DefaultCacheSize].
	CacheSize int
	// TTL is how long a resolved key is cached. A key that fails to verify a
	// signature is re-fetched at once regardless (see [Verifier.Verify]).
	// Default (0): [DefaultKeyTTL].
	TTL time.Duration
	// MaxBodyBytes caps each fetched document.
	// Default (0): [DefaultMaxBodyBytes] (1 MiB).
	MaxBodyBytes int64
	// UserAgent is sent on every fetch, so that the servers asked see the
	// same User-Agent as on the site's other requests.
	// Default (""): [DefaultUserAgent].
	UserAgent string
	// InsecureAllowHTTP accepts http:// keyIds and owners. Default (false):
	// only https:// is fetched. Meant for tests and local development.
	InsecureAllowHTTP bool
	// Logger receives Debug records about fetches.
	// Default (nil): logs are discarded.
	Logger *slog.Logger
}

// Resolver is a [KeyResolver] that dereferences keyIds over HTTP, as Mastodon's
// FetchRemoteKeyService does, and caches the result by keyId. It is safe for
// concurrent use; concurrent lookups of the same keyId share one fetch.
//
// The keyId URL (without fragment) must return an ActivityStreams document
// (a Content-Type that passes mediatype.IsActivityStreams), either:
//   - an actor whose publicKey (an object, or an array as Fedify sends)
//     contains a key with id equal to keyId and owner equal to the actor id.
//     If the actor's id is not the fetched URL (GoToSocial serves a stub actor
//     at …/main-key), the actor is fetched from its id and must list the key
//     too; or
//   - a bare key object (id equal to keyId, owner, publicKeyPem); its owner
//     is then fetched and must list the key.
//
// FEP-521a keys are read too: an actor's assertionMethod (an object or an
// array) lists Multikey objects with id, controller and publicKeyMultibase
// (Ed25519, or RSA). A keyId naming such an entry resolves to that key when
// its controller is the actor id; a bare Multikey document at the keyId
// (id equal to keyId) is confirmed by fetching its controller, which must
// list it in assertionMethod. publicKey is searched before assertionMethod,
// so a keyId listed in both resolves to the publicKey entry.
//
// When the owner's listing of the key includes publicKeyPem or
// publicKeyMultibase it must be the same key. Only keyIds with a URL form
// are supported (no acct: keyIds).
//
// A key the Resolver fetched carries the owner's actor document in
// [PublicKey.OwnerDocument], so that the caller need not fetch the actor
// again (for its inbox, say); the cache keeps the key without it.
type Resolver struct {
	client    *http.Client
	cache     KeyCache
	ttl       time.Duration
	maxBody   int64
	userAgent string
	allowHTTP bool
	logger    *slog.Logger

	mu       sync.Mutex
	inflight map[string]*fetchCall
}

type fetchCall struct {
	done chan struct{}
	key  *PublicKey
	err  error
}

var _ KeyResolver = (*Resolver)(nil)

// NewResolver returns a Resolver. It fails if cfg.Client is nil or a size is
// negative.
func NewResolver(cfg ResolverConfig) (*Resolver, error) {
	if cfg.Client == nil {
		return nil, errors.New("signing: ResolverConfig.Client is required")
	}
	if cfg.TTL < 0 || cfg.MaxBodyBytes < 0 || cfg.CacheSize < 0 {
		return nil, errors.New("signing: ResolverConfig TTL, MaxBodyBytes and CacheSize must not be negative")
	}
	r := &Resolver{
		client:    cfg.Client,
		cache:     cfg.Cache,
		ttl:       cfg.TTL,
		maxBody:   cfg.MaxBodyBytes,
		userAgent: cfg.UserAgent,
		allowHTTP: cfg.InsecureAllowHTTP,
		logger:    cfg.Logger,
		inflight:  make(map[string]*fetchCall),
	}
	if r.ttl == 0 {
		r.ttl = DefaultKeyTTL
	}
	if r.maxBody == 0 {
		r.maxBody = DefaultMaxBodyBytes
	}
	if r.userAgent == "" {
		r.userAgent = DefaultUserAgent
	}
	if r.cache == nil {
		size := cfg.CacheSize
		if size == 0 {
			size = DefaultCacheSize
		}
		r.cache = newMemCache(size, time.Now)
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	r.logger = r.logger.With(slog.String("component", "signing.Resolver"))
	return r, nil
}

// ResolveKey implements [KeyResolver]. Without refresh a cached key is
// returned with Fresh false; otherwise the key is fetched, cached, and
// returned with Fresh true.
func (r *Resolver) ResolveKey(ctx context.Context, keyID string, refresh bool) (*PublicKey, error) {
	if _, err := r.checkURL(keyID); err != nil {
		return nil, fmt.Errorf("signing: resolve key: keyId: %w", err)
	}
	if !refresh {
		if k, ok := r.cache.CachedKey(ctx, keyID); ok {
			k.Fresh = false
			return k, nil
		}
	}
	r.mu.Lock()
	c, ok := r.inflight[keyID]
	if !ok {
		c = &fetchCall{done: make(chan struct{})}
		r.inflight[keyID] = c
		r.mu.Unlock()
		// The fetch runs under the first caller's ctx; later callers can
		// still give up on their own ctx below.
		c.key, c.err = r.fetchKey(ctx, keyID)
		if c.err == nil {
			// The document is handed to this call's callers only: a cache
			// entry holds the key, not up to MaxBodyBytes of actor.
			cached := *c.key
			cached.OwnerDocument = nil
			r.cache.CacheKey(ctx, &cached, r.ttl)
		}
		r.mu.Lock()
		delete(r.inflight, keyID)
		r.mu.Unlock()
		close(c.done)
	} else {
		r.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("signing: resolve key %s: %w", keyID, ctx.Err())
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	k := *c.key
	k.Fresh = true
	return &k, nil
}

// asDoc holds the members of an actor or key document the Resolver reads: a
// bare key document's are those of a key entry.
type asDoc struct {
	keyEntry
	PublicKey       json.RawMessage `json:"publicKey"`
	AssertionMethod json.RawMessage `json:"assertionMethod"`
}

// keyEntry is one entry of an actor's publicKey or assertionMethod.
type keyEntry struct {
	ID                 string `json:"id"`
	Owner              string `json:"owner"`
	Controller         string `json:"controller"`
	PublicKeyPem       string `json:"publicKeyPem"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`

	multikey bool // a Multikey: found in assertionMethod, or a bare key document without publicKeyPem
}

// owner returns the entry's owner: owner for publicKey entries, controller
// for Multikeys.
func (e *keyEntry) owner() string {
	if e.multikey {
		return e.Controller
	}
	return e.Owner
}

// hasMaterial reports whether the entry carries key material.
func (e *keyEntry) hasMaterial() bool {
	if e.multikey {
		return e.PublicKeyMultibase != ""
	}
	return e.PublicKeyPem != ""
}

// key parses the entry's key material.
func (e *keyEntry) key() (crypto.PublicKey, error) {
	if e.multikey {
		return ParsePublicKeyMultibase(e.PublicKeyMultibase)
	}
	return ParsePublicKey([]byte(e.PublicKeyPem))
}

// findActorKey returns the entry of doc's publicKey, else of its
// assertionMethod, whose id is keyID.
func findActorKey(doc *asDoc, keyID string) (*keyEntry, error) {
	if e, err := findKey(doc.PublicKey, keyID); err == nil {
		return e, nil
	}
	if e, err := findKey(doc.AssertionMethod, keyID); err == nil {
		e.multikey = true
		return e, nil
	}
	return nil, fmt.Errorf("publicKey does not list %s, nor does assertionMethod", keyID)
}

func (r *Resolver) fetchKey(ctx context.Context, keyID string) (*PublicKey, error) {
	docURL := stripFragment(keyID)
	doc, body, err := r.get(ctx, docURL)
	if err != nil {
		return nil, fmt.Errorf("signing: resolve key %s: %w", keyID, err)
	}
	if doc.PublicKeyPem != "" || doc.PublicKeyMultibase != "" {
		// A bare key object: confirm with its owner.
		if doc.ID != keyID {
			return nil, fmt.Errorf("signing: resolve key %s: key document has id %q", keyID, doc.ID)
		}
		bare := doc.keyEntry
		bare.multikey = doc.PublicKeyPem == ""
		key, err := bare.key()
		if err != nil {
			return nil, fmt.Errorf("signing: resolve key %s: %w", keyID, err)
		}
		ownerDoc, err := r.confirmOwner(ctx, bare.owner(), keyID, key)
		if err != nil {
			return nil, fmt.Errorf("signing: resolve key %s: %w", keyID, err)
		}
		return &PublicKey{ID: keyID, Owner: bare.owner(), Key: key, OwnerDocument: ownerDoc}, nil
	}
	if len(doc.PublicKey) == 0 && len(doc.AssertionMethod) == 0 {
		return nil, fmt.Errorf("signing: resolve key %s: document %s holds no publicKey or assertionMethod", keyID, docURL)
	}
	entry, err := findActorKey(doc, keyID)
	if err != nil {
		return nil, fmt.Errorf("signing: resolve key %s: %w", keyID, err)
	}
	if !entry.hasMaterial() {
		return nil, fmt.Errorf("signing: resolve key %s: key has no publicKeyPem or publicKeyMultibase", keyID)
	}
	if entry.owner() != doc.ID {
		return nil, fmt.Errorf("signing: resolve key %s: key owner %q is not actor %q", keyID, entry.owner(), doc.ID)
	}
	key, err := entry.key()
	if err != nil {
		return nil, fmt.Errorf("signing: resolve key %s: %w", keyID, err)
	}
	if doc.ID != docURL {
		// The document at the key URL speaks for another id (GoToSocial's
		// stub actor at /main-key): only that actor can vouch for the key,
		// and only its document is the actor's.
		if body, err = r.confirmOwner(ctx, doc.ID, keyID, key); err != nil {
			return nil, fmt.Errorf("signing: resolve key %s: %w", keyID, err)
		}
	}
	return &PublicKey{ID: keyID, Owner: doc.ID, Key: key, OwnerDocument: body}, nil
}

// confirmOwner fetches the actor owner and checks that it lists keyID, with
// the same key material when it includes some. It returns the owner's
// document as fetched.
func (r *Resolver) confirmOwner(ctx context.Context, owner, keyID string, key crypto.PublicKey) ([]byte, error) {
	if owner == "" {
		return nil, errors.New("key has no owner")
	}
	actor, body, err := r.get(ctx, owner)
	if err != nil {
		return nil, fmt.Errorf("owner: %w", err)
	}
	if actor.ID != owner {
		return nil, fmt.Errorf("owner document has id %q, want %q", actor.ID, owner)
	}
	entry, err := findActorKey(actor, keyID)
	if err != nil {
		return nil, fmt.Errorf("owner %s: %w", owner, err)
	}
	if o := entry.owner(); o != "" && o != owner {
		return nil, fmt.Errorf("owner %s lists the key with owner %q", owner, o)
	}
	if entry.hasMaterial() {
		listed, err := entry.key()
		if err != nil {
			return nil, fmt.Errorf("owner %s: %w", owner, err)
		}
		eq, ok := listed.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !eq.Equal(key) {
			return nil, fmt.Errorf("owner %s lists a different key under %s", owner, keyID)
		}
	}
	return body, nil
}

// findKey returns the entry of publicKey (an object, an IRI, or an array of
// those) whose id is keyID. An IRI entry yields an entry with only ID set.
func findKey(raw json.RawMessage, keyID string) (*keyEntry, error) {
	raw = bytes.TrimSpace(raw)
	var items []json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("publicKey: %w", err)
		}
	} else if len(raw) > 0 {
		items = []json.RawMessage{raw}
	}
	for _, it := range items {
		it = bytes.TrimSpace(it)
		if len(it) > 0 && it[0] == '"' {
			var iri string
			if err := json.Unmarshal(it, &iri); err == nil && iri == keyID {
				return &keyEntry{ID: iri}, nil
			}
			continue
		}
		var e keyEntry
		if err := json.Unmarshal(it, &e); err != nil {
			continue
		}
		if e.ID == keyID {
			return &e, nil
		}
	}
	return nil, fmt.Errorf("publicKey does not list %s", keyID)
}

// get fetches u and decodes it as an ActivityStreams document, which it
// returns with the body as fetched.
func (r *Resolver) get(ctx context.Context, u string) (*asDoc, []byte, error) {
	if _, err := r.checkURL(u); err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", Accept)
	req.Header.Set("User-Agent", r.userAgent)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	r.logger.LogAttrs(ctx, slog.LevelDebug, "fetched", slog.String("url", u), slog.Int("status", resp.StatusCode))
	if resp.StatusCode != http.StatusOK {
		return nil, nil, &StatusError{URL: u, StatusCode: resp.StatusCode}
	}
	if !mediatype.IsActivityStreams(resp.Header.Get("Content-Type")) {
		return nil, nil, fmt.Errorf("GET %s: content type %q is not ActivityStreams", u, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.maxBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(body)) > r.maxBody {
		return nil, nil, fmt.Errorf("GET %s: document larger than %d bytes", u, r.maxBody)
	}
	var d asDoc
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return &d, body, nil
}

func (r *Resolver) checkURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && r.allowHTTP:
	default:
		return nil, fmt.Errorf("%q: scheme must be https", s)
	}
	if u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%q: not an absolute URL with a host", s)
	}
	return u, nil
}

func stripFragment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}
