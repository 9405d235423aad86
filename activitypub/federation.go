package activitypub

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/webfinger"
)

// Federation is the ActivityPub side of one site. It is safe for concurrent use; build it with [New].
type Federation struct {
	cfg       Config
	urls      urlLayout
	log       *slog.Logger
	verifier  *signing.Verifier
	fetcher   *http.Client // signs every request with the instance actor's key
	webfinger http.Handler
	mux       *http.ServeMux
	engine    *delivery.Engine

	keysMu sync.Mutex
	keys   map[string]actorKey // by actor id

	dedupMu  sync.Mutex
	inflight map[string]chan struct{} // activity ids being processed, closed when done
}

// actorKey is a local actor's signing key with its public half in PEM, as published.
type actorKey struct {
	key       signing.Key
	publicPEM string
	// ed is the actor's Ed25519 key, published as multikey.
	ed       signing.Key
	multikey signing.Multikey
}

// New checks cfg and builds a Federation. It fails when a required field is missing or BaseURL is
// not an http(s) origin. New does no I/O: keys are loaded or made on first use.
func New(cfg Config) (*Federation, error) {
	if cfg.Actors == nil {
		return nil, invalid("Config.Actors", "required")
	}
	if cfg.Store == nil {
		return nil, invalid("Config.Store", "required")
	}
	if cfg.DeliveryStore == nil {
		// The one place that finds the delivery state in the site store: from here on the two
		// are separate values, even when they are one store.
		d, ok := cfg.Store.(store.Delivery)
		if !ok {
			return nil, invalid("Config.DeliveryStore", "required: Store (%T) does not implement store.Delivery", cfg.Store)
		}
		cfg.DeliveryStore = d
	}
	if cfg.Mode < ModeDefault || cfg.Mode > ModeNote {
		return nil, invalid("Config.Mode", "unknown mode %d", int(cfg.Mode))
	}
	urls, err := newURLLayout(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkWebFingerDomain(cfg.WebFingerDomain); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	f := &Federation{
		cfg:  cfg,
		urls: urls,
		log:  cfg.Logger,
		keys: make(map[string]actorKey),

		inflight: make(map[string]chan struct{}),
	}
	fetchTimeout := cfg.Client.Timeout
	if fetchTimeout <= 0 {
		fetchTimeout = defaultClientTimeout // every outgoing fetch has a deadline
	}
	f.fetcher = &http.Client{
		Transport:     &instanceTransport{f: f},
		Timeout:       fetchTimeout,
		CheckRedirect: cfg.Client.CheckRedirect,
	}
	resolver, err := signing.NewResolver(signing.ResolverConfig{
		Client:            f.fetcher,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		UserAgent:         cfg.UserAgent,
		InsecureAllowHTTP: cfg.InsecureAllowHTTP,
		Logger:            cfg.Logger.With("component", "keys"),
	})
	if err != nil {
		return nil, fmt.Errorf("activitypub: key resolver: %w", err)
	}
	f.verifier, err = signing.NewVerifier(signing.VerifierConfig{
		// Blocks are checked on the keyId before the resolver may fetch it. On a failed check the
		// Verifier resolves the key once more with refresh set, which refetches it: key rotation.
		Keys: signing.KeyResolverFunc(func(ctx context.Context, keyID string, refresh bool) (*signing.PublicKey, error) {
			if err := f.checkBlocked(ctx, keyID); err != nil {
				return nil, err
			}
			return resolver.ResolveKey(ctx, keyID, refresh)
		}),
		Now:    cfg.Now,
		Logger: cfg.Logger.With("component", "verifier"),
		// RFC 9421 signatures cover @target-uri, which senders build from the public URL: take
		// its scheme from BaseURL, as a TLS-terminating proxy hides it from the request.
		URIScheme: urls.parsed.Scheme,
	})
	if err != nil {
		return nil, fmt.Errorf("activitypub: verifier: %w", err)
	}
	f.webfinger, err = webfinger.NewHandler(webfinger.HandlerConfig{
		Resolver: webfinger.ResolverFunc(f.resolveWebFinger),
		BaseURL:  urls.base,
		Logger:   cfg.Logger.With("component", "webfinger"),
	})
	if err != nil {
		return nil, fmt.Errorf("activitypub: webfinger: %w", err)
	}
	if f.engine, err = f.newEngine(); err != nil {
		return nil, err
	}
	f.mux = f.routes()
	return f, nil
}

// ActorID returns the IRI of the site actor with that username.
func (f *Federation) ActorID(username string) string { return f.urls.actor(username) }

// InstanceActorID returns the IRI of the instance actor, which signs fedsite's outgoing fetches.
func (f *Federation) InstanceActorID() string { return f.urls.instanceActor() }

// Middleware returns a handler that answers what is fedsite's and hands everything else to next
// untouched: WebFinger and host-meta, NodeInfo, the /ap/ routes, and AS2 requests (by Accept
// header) for the URLs of published articles. It adds "Vary: Accept" to the responses of the
// site's pages so that caches never serve HTML to a fediverse server or JSON to a browser.
func (f *Federation) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == "/.well-known/webfinger" || p == "/.well-known/host-meta" || p == "/.well-known/host-meta.json":
			f.webfinger.ServeHTTP(w, r)
			return
		case p == nodeInfoWellKnown:
			f.serveNodeInfoLinks(w, r)
			return
		case p == prefix || strings.HasPrefix(p, prefix+"/"):
			f.mux.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept")
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && negotiate(r.Header) == offerAS2 {
			if f.serveSiteObject(w, r) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (f *Federation) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /ap/actor", f.serveInstanceActor)
	m.HandleFunc("GET /ap/users/{name}", f.serveActor)
	m.HandleFunc("POST /ap/users/{name}/inbox", f.serveInbox)
	m.HandleFunc("GET /ap/users/{name}/outbox", f.serveOutbox)
	m.HandleFunc("GET /ap/users/{name}/followers", f.serveFollowers)
	m.HandleFunc("GET /ap/users/{name}/following", f.serveFollowing)
	m.HandleFunc("GET /ap/users/{name}/featured", f.serveFeatured)
	m.HandleFunc("POST /ap/inbox", f.serveInbox)
	m.HandleFunc("GET /ap/activities/{id}", f.serveActivity)
	m.Handle("GET "+nodeInfoPath+"{version}", newNodeInfoHandler(f))
	return m
}

// lookupActor asks the site for an actor and checks what it returned.
func (f *Federation) lookupActor(ctx context.Context, username string) (*Actor, error) {
	if !usernameRE.MatchString(username) {
		return nil, fmt.Errorf("activitypub: actor %q: %w", username, ErrNotFound)
	}
	// An actor deleted with DeleteActor is gone, whatever the site still says.
	if gone, err := f.actorGone(ctx, f.urls.actor(username)); err != nil {
		return nil, fmt.Errorf("activitypub: actor %q: %w", username, err)
	} else if gone {
		return nil, fmt.Errorf("activitypub: actor %q: deleted: %w", username, ErrNotFound)
	}
	a, err := f.cfg.Actors.FederatedActor(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("activitypub: actor %q: %w", username, err)
	}
	if a == nil {
		return nil, fmt.Errorf("activitypub: actor %q: %w", username, ErrNotFound)
	}
	if a.Username != username {
		return nil, invalid("Actor.Username", "source returned %q for %q", a.Username, username)
	}
	if a.Type != "" && !actorTypes[a.Type] {
		return nil, invalid("Actor.Type", "%q is not an actor type", a.Type)
	}
	return a, nil
}

// actorKey returns a local actor's signing key, loading it from the store or, on first use,
// making and storing one. Instances racing to make the key agree on the one stored first.
func (f *Federation) actorKey(ctx context.Context, actorID string) (actorKey, error) {
	f.keysMu.Lock()
	defer f.keysMu.Unlock()
	if k, ok := f.keys[actorID]; ok {
		return k, nil
	}
	signer, err := f.loadKey(ctx, actorID, mainKeyName, func() (crypto.Signer, error) { return signing.GenerateKey() })
	if err != nil {
		return actorKey{}, err
	}
	pub, err := signing.EncodePublicKey(signer.Public())
	if err != nil {
		return actorKey{}, fmt.Errorf("activitypub: key of %s: %w", actorID, err)
	}
	// The Ed25519 key is published as an FEP-521a Multikey in assertionMethod, for RFC 9421
	// signatures to servers that accept them (INTEROP §2.1).
	ed, err := f.loadKey(ctx, actorID, edKeyName, func() (crypto.Signer, error) { return signing.GenerateEd25519Key() })
	if err != nil {
		return actorKey{}, err
	}
	mk, err := signing.NewMultikey(actorID+"#"+edKeyName, actorID, ed.Public())
	if err != nil {
		return actorKey{}, fmt.Errorf("activitypub: key of %s: %w", actorID, err)
	}
	k := actorKey{
		key:       signing.Key{ID: actorID + keyFragment, Signer: signer},
		publicPEM: string(pub),
		ed:        signing.Key{ID: mk.ID, Signer: ed},
		multikey:  mk,
	}
	f.keys[actorID] = k
	return k, nil
}

// loadKey returns an actor's private key of that name from the store, making and storing one with
// gen on first use.
func (f *Federation) loadKey(ctx context.Context, actorID, name string, gen func() (crypto.Signer, error)) (crypto.Signer, error) {
	kp, err := f.cfg.Store.KeyPair(ctx, actorID, name)
	if errors.Is(err, store.ErrNotFound) {
		kp, err = f.createKey(ctx, actorID, name, gen)
	}
	if err != nil {
		return nil, fmt.Errorf("activitypub: %s of %s: %w", name, actorID, err)
	}
	signer, err := signing.ParsePrivateKey(kp.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("activitypub: %s of %s: %w", name, actorID, err)
	}
	return signer, nil
}

func (f *Federation) createKey(ctx context.Context, actorID, name string, gen func() (crypto.Signer, error)) (store.KeyPair, error) {
	priv, err := gen()
	if err != nil {
		return store.KeyPair{}, err
	}
	pemBytes, err := signing.EncodePrivateKey(priv)
	if err != nil {
		return store.KeyPair{}, err
	}
	kp := store.KeyPair{ActorID: actorID, Name: name, PrivateKeyPEM: pemBytes, CreatedAt: f.cfg.Now()}
	err = f.cfg.Store.CreateKeyPair(ctx, kp)
	if errors.Is(err, store.ErrConflict) {
		return f.cfg.Store.KeyPair(ctx, actorID, name)
	}
	return kp, err
}

// instanceTransport signs every request with the instance actor's key, which it loads on first use.
type instanceTransport struct {
	f    *Federation
	mu   sync.Mutex
	base *signing.Transport
}

// RoundTrip refuses a URL that a block covers before any I/O, so nothing is fetched from a
// blocked server or actor, whoever asks and whatever redirects there; the error matches
// ErrBlocked.
func (t *instanceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	err := t.f.checkBlocked(req.Context(), req.URL.String())
	var tr *signing.Transport
	if err == nil {
		tr, err = t.transport(req.Context())
	}
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return tr.RoundTrip(req)
}

func (t *instanceTransport) transport(ctx context.Context) (*signing.Transport, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.base != nil {
		return t.base, nil
	}
	k, err := t.f.actorKey(ctx, t.f.urls.instanceActor())
	if err != nil {
		return nil, err
	}
	// The Transport double-knocks: draft-cavage first, RFC 9421 after a 400/401 (and the other
	// way round for hosts it learnt prefer RFC 9421), remembering per host what worked.
	t.base, err = signing.NewTransport(signing.TransportConfig{
		Key:        k.key,
		Ed25519Key: k.ed,
		Base:       t.f.cfg.Client.Transport,
		Now:        t.f.cfg.Now,
	})
	return t.base, err
}
