package activitypub

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/fedsite/fedsite/internal/jsonld"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/webfinger"
)

// Federation is the ActivityPub side of one site. It is safe for concurrent use; build it with [New].
type Federation struct {
	cfg    Config
	urls   urlLayout
	log    *slog.Logger
	remote *remote // fetches with the instance actor's signed client
	actors *siteActors
	server *server
	audit  auditLog
	record recorder
	sender *sender
	out    *publisher // stores and queues what the site's actors send
	keys   *keyring
	blocks *blockList // the store's blocks, held in memory
	tel    *telemetry // nil without Config.Telemetry
	// acctHost is the host of the site's handles: Config.WebFingerDomain, else the BaseURL host.
	acctHost string
	// migration answers the Host of Config.FormerBaseURL, as the site that moved from there, and
	// runs the domain migration; nil when the site never moved (see migrate.go).
	migration *migration
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
	if cfg.Publishing.Mode < ModeDefault || cfg.Publishing.Mode > ModeNote {
		return nil, invalid("Config.Publishing.Mode", "unknown mode %d", int(cfg.Publishing.Mode))
	}
	urls, err := newURLLayout(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkWebFingerDomain(cfg.WebFingerDomain); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	tel, err := newTelemetry(cfg.Telemetry)
	if err != nil {
		return nil, err
	}
	f := &Federation{
		tel:    tel,
		cfg:    cfg,
		urls:   urls,
		log:    cfg.Logger,
		actors: &siteActors{source: cfg.Actors, objects: cfg.Store, urls: urls},
		keys:   &keyring{urls: urls, store: cfg.Store, now: cfg.Now, keys: make(map[string]actorKey)},
		audit:  auditLog{store: cfg.Store, now: cfg.Now, log: cfg.Logger},
		record: recorder{now: cfg.Now},
		blocks: &blockList{store: cfg.Store, now: cfg.Now, limit: maxHeldBlocks},
	}
	if rec, err := store.RecordOf(cfg.Store); err == nil {
		f.record.rec = rec
	} else {
		cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, "activitypub: the record of activities is off: the store keeps none",
			slog.String("store", fmt.Sprintf("%T", cfg.Store)))
	}
	fetchTimeout := cfg.Client.Timeout
	if fetchTimeout <= 0 {
		fetchTimeout = defaultClientTimeout // every outgoing fetch has a deadline
	}
	fetcher := &http.Client{
		Transport:     tel.fetchTransport(&instanceTransport{f: f}),
		Timeout:       fetchTimeout,
		CheckRedirect: cfg.Client.CheckRedirect,
	}
	f.remote = &remote{tel: tel, client: fetcher, cache: cfg.Store, blocks: f.blocks, ttl: cfg.RemoteActorTTL, now: cfg.Now,
		maxBody: cfg.MaxBodyBytes, userAgent: cfg.UserAgent, insecureHTTP: cfg.Insecure.AllowHTTP}
	resolver, err := signing.NewResolver(signing.ResolverConfig{
		Client:            fetcher,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		UserAgent:         cfg.UserAgent,
		InsecureAllowHTTP: cfg.Insecure.AllowHTTP,
		Logger:            cfg.Logger.With("component", "keys"),
	})
	if err != nil {
		return nil, fmt.Errorf("activitypub: key resolver: %w", err)
	}
	// Blocks are checked on the keyId before the resolver may fetch it. On a failed check the
	// verifiers resolve the key once more with refresh set, which refetches it: key rotation.
	keys := signing.KeyResolverFunc(func(ctx context.Context, keyID string, refresh bool) (*signing.PublicKey, error) {
		if err := checkBlocked(ctx, f.blocks, keyID); err != nil {
			return nil, err
		}
		return resolver.ResolveKey(tel.fetching(ctx, fetchKey), keyID, refresh)
	})
	verifier, err := signing.NewVerifier(signing.VerifierConfig{
		Keys:   keys,
		Now:    cfg.Now,
		Logger: cfg.Logger.With("component", "verifier"),
		// RFC 9421 signatures cover @target-uri, which senders build from the public URL: take
		// its scheme from BaseURL, as a TLS-terminating proxy hides it from the request.
		URIScheme: urls.parsed.Scheme,
	})
	if err != nil {
		return nil, fmt.Errorf("activitypub: verifier: %w", err)
	}
	// A proof restricted to a domain must name the site's host or origin.
	proofs, err := signing.NewProofVerifier(signing.ProofVerifierConfig{Keys: keys, Now: cfg.Now,
		Domains: []string{urls.host(), urls.base}})
	if err != nil {
		return nil, fmt.Errorf("activitypub: proof verifier: %w", err)
	}
	if f.sender, err = newSender(cfg, f.keys, f.record); err != nil {
		return nil, err
	}
	f.out = newPublisher(cfg, f)
	f.acctHost = urls.host()
	if cfg.WebFingerDomain != "" {
		f.acctHost = strings.ToLower(cfg.WebFingerDomain)
	}
	ld, err := jsonld.New()
	if err != nil {
		return nil, fmt.Errorf("activitypub: %w", err)
	}
	in := &inbox{
		urls:            urls,
		log:             cfg.Logger,
		now:             cfg.Now,
		hooks:           cfg.Inbox,
		maxBody:         cfg.MaxBodyBytes,
		actors:          f.actors,
		onFollowersGone: cfg.OnFollowersGone,
		followers:       cfg.Store,
		objects:         cfg.Store,
		seen:            cfg.Store,
		actorCache:      cfg.Store,
		interactions:    cfg.Store,
		requests:        cfg.Store,
		site:            cfg.Store,
		blocks:          f.blocks,
		audit:           f.audit,
		record:          f.record,
		verifier:        verifier,
		proofs:          proofs,
		tel:             tel,
		ld:              ld,
		remote:          f.remote,
		send:            f.sender.send,
		inflight:        make(map[string]chan struct{}),
	}
	in.handlers = in.dispatchTable()
	f.server = &server{
		urls:               urls,
		log:                cfg.Logger,
		now:                cfg.Now,
		acctHost:           f.acctHost,
		pageSize:           cfg.Publishing.PageSize,
		node:               cfg.Node,
		requireSignedFetch: cfg.RequireSignedFetch,
		actors:             f.actors,
		objects:            cfg.Store,
		outbox:             cfg.Store,
		followers:          cfg.Store,
		keys:               f.keys,
		blocks:             f.blocks,
		verifier:           verifier,
	}
	f.server.webfinger, err = webfinger.NewHandler(webfinger.HandlerConfig{
		Resolver: tel.webfingerResolver(f.server.resolveWebFinger),
		BaseURL:  urls.base,
		Logger:   cfg.Logger.With("component", "webfinger"),
	})
	if err != nil {
		return nil, fmt.Errorf("activitypub: webfinger: %w", err)
	}
	f.server.mux = f.server.routes(in)
	if f.migration, err = newMigration(cfg, f); err != nil {
		return nil, err
	}
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
//
// With Config.FormerBaseURL, requests whose Host is the former host are answered as the site that
// moved from there (see [Federation.MigrateDomain]); next never sees them.
func (f *Federation) Middleware(next http.Handler) http.Handler {
	h := f.server.middleware(next)
	if f.migration == nil {
		return h
	}
	// The former site's middleware answers everything: what is not fedsite's goes to the new origin.
	old := f.migration.formerSite.middleware(nil)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.migration.formerHost(r.Host) {
			old.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
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
	err := checkBlocked(req.Context(), t.f.blocks, req.URL.String())
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
	k, err := t.f.keys.actorKey(ctx, t.f.urls.instanceActor())
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
