package activitypubtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// BaseURL is the origin of the site [NewFederation] builds, unless a configure function sets
// another.
const BaseURL = "https://news.example"

// Recorder is an in-process fediverse around one site under test. As the http.RoundTripper of
// the site's Config.Client (see [Recorder.Configure]) it records every delivery the site makes
// instead of sending it, after checking its HTTP signature against the site's published key,
// and answers 202, or the status [Recorder.Respond] set for that inbox; it serves the actor
// documents of its [Account]s, and it passes requests for the site's own host to the site's
// handler ([Recorder.ServeSite]). Nothing leaves the process: no listener, no DNS, no dial.
//
// Deliveries still go through the site's real delivery engine and signing, and an Account's
// activities through the site's real inbox handler and signature check.
//
// A Recorder is safe for concurrent use.
type Recorder struct {
	client   *http.Client // over the Recorder itself
	verifier checker
	log      deliveryLog

	mu       sync.Mutex
	siteHost string
	now      func() time.Time
	site     http.Handler
	accounts map[string]*Account // by actor id
	status   map[string]int      // by inbox URL
	// pending holds the deliveries answered whose outcome the engine has not recorded yet, by
	// activity id and inbox (see Settle).
	pending map[[2]string]bool
	queue   store.Queue // the site's queue, watched (see Settle); nil when none is
	stop    func()      // stops the Run that NewFederation started
}

// NewRecorder returns an empty in-process fediverse. Wire it into the site's Config with
// [Recorder.Configure] and give it the site's handler with [Recorder.ServeSite];
// [NewFederation] does both.
func NewRecorder() *Recorder {
	r := &Recorder{
		log:      newDeliveryLog(),
		now:      time.Now,
		accounts: make(map[string]*Account),
		status:   make(map[string]int),
		pending:  make(map[[2]string]bool),
	}
	r.client = &http.Client{Transport: r}
	resolver, err := signing.NewResolver(signing.ResolverConfig{Client: r.client, InsecureAllowHTTP: true})
	if err != nil {
		panic("activitypubtest: " + err.Error()) // only a nil Client fails
	}
	r.verifier, err = newChecker(resolver, func() time.Time { return r.clock()() })
	if err != nil {
		panic("activitypubtest: " + err.Error()) // only nil Keys fail
	}
	return r
}

// NewFederation builds a Federation for tests over a fresh memstore, at [BaseURL], with the
// site's actors and a Recorder as its whole network, and starts its delivery workers
// ([activitypub.Federation.Run]) until [Recorder.Close]. Each configure function may change the
// Config (BaseURL, Inbox hooks, OnFollowersGone, …) before Configure wires in the Recorder.
func NewFederation(actors activitypub.ActorSource, configure ...func(*activitypub.Config)) (*activitypub.Federation, *Recorder, error) {
	cfg := activitypub.Config{BaseURL: BaseURL, Actors: actors, Store: memstore.New()}
	for _, c := range configure {
		c(&cfg)
	}
	rec := NewRecorder()
	rec.Configure(&cfg)
	fed, err := activitypub.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	rec.ServeSite(fed.Middleware(http.NotFoundHandler()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		fed.Run(ctx)
	}()
	rec.mu.Lock()
	rec.stop = func() { cancel(); <-done }
	rec.mu.Unlock()
	return fed, rec, nil
}

// Configure wires the Recorder into cfg, as a configure function: it sets cfg.Client to a client
// over the Recorder and cfg.DeliveryStore to the delivery store (cfg.DeliveryStore, else cfg.Store
// when it holds the delivery state) wrapped so that [Recorder.Settle] sees the delivery engine's
// progress; everything else is left as it is. It reads cfg.BaseURL, to know the site's host, and cfg.Now, to date the Accounts'
// signatures, so call it after setting those.
func (r *Recorder) Configure(cfg *activitypub.Config) {
	cfg.Client = r.client
	var queue store.Queue
	d := cfg.DeliveryStore
	if d == nil {
		d, _ = cfg.Store.(store.Delivery)
	}
	if d != nil {
		cfg.DeliveryStore = wrapStore(d, r)
		queue = cfg.DeliveryStore
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if u, err := url.Parse(cfg.BaseURL); err == nil {
		r.siteHost = u.Host
	}
	if cfg.Now != nil {
		r.now = cfg.Now
	}
	r.queue = queue
}

// ServeSite makes the Recorder answer requests for the site's host with site: the Federation's
// Middleware around the site's own handler.
func (r *Recorder) ServeSite(site http.Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.site = site
}

// Close stops the delivery workers NewFederation started and waits for them. It does nothing for
// a Recorder made with NewRecorder.
func (r *Recorder) Close() {
	r.mu.Lock()
	stop := r.stop
	r.stop = nil
	r.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// Client returns an HTTP client whose requests go to the in-process fediverse: the site, for its
// host, and the Accounts' documents.
func (r *Recorder) Client() *http.Client { return r.client }

// Respond makes the Recorder answer every later delivery to inbox with status, as a server that
// is gone (410), failing (500) or rate-limiting (429) does; 0 restores the default, 202.
func (r *Recorder) Respond(inbox string, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if status == 0 {
		delete(r.status, inbox)
		return
	}
	r.status[inbox] = status
}

// Sent returns the deliveries the site made so far, in the order they arrived.
func (r *Recorder) Sent() []Delivery { return r.log.all() }

// WaitFor waits for a delivery that pred accepts and returns the first one, made already or
// later. It returns an error when ctx ends first (after [WaitTimeout] when ctx has no deadline)
// and as soon as a delivery was not acceptable (see Delivery.Err).
func (r *Recorder) WaitFor(ctx context.Context, pred func(Delivery) bool) (Delivery, error) {
	return r.log.wait(ctx, pred)
}

// Settle waits until the site has nothing left to deliver for now: no delivery job is ready or
// running, and the delivery engine has recorded the outcome of every delivery the Recorder
// answered. Deliveries waiting for a later retry are not waited for. After Settle, Sent lists
// everything the site sent so far and Federation.DeliveryStatus agrees with it, so a test can
// check what was not sent. For an inbox that answered 404 or 410 to a fan-out (Publish, Update,
// Delete), its followers are removed and Config.OnFollowersGone has returned by then; for one
// that answered so to a retry or an Accept, that may still be under way. Settle
// watches the delivery store that Configure wrapped: without one it returns an error. It
// returns an error when ctx ends first (after [WaitTimeout] when ctx has no deadline).
func (r *Recorder) Settle(ctx context.Context) error {
	r.mu.Lock()
	queue := r.queue
	r.mu.Unlock()
	if queue == nil {
		return errors.New("activitypubtest: settle: no queue to watch: wire the Recorder with Configure, over a Config with a delivery store")
	}
	ctx, cancel := withWaitTimeout(ctx)
	defer cancel()
	for {
		changed := r.log.next()
		d, err := queue.Depth(ctx)
		if err != nil {
			return fmt.Errorf("activitypubtest: settle: %w", err)
		}
		r.mu.Lock()
		unrecorded := len(r.pending)
		r.mu.Unlock()
		if d.Ready == 0 && d.Leased == 0 && unrecorded == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("activitypubtest: settle: %d ready, %d running, %d unrecorded: %w", d.Ready, d.Leased, unrecorded, ctx.Err())
		}
	}
}

// recorded clears the pending deliveries whose outcome records says, and tells the waiters.
func (r *Recorder) recorded(records []store.DeliveryRecord) {
	r.mu.Lock()
	for _, rec := range records {
		if rec.State != store.DeliveryQueued {
			delete(r.pending, [2]string{rec.ActivityID, rec.Inbox})
		}
	}
	r.mu.Unlock()
	r.log.changed()
}

func (r *Recorder) clock() func() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

// RoundTrip answers req in-process: the site's handler for the site's host, an Account's
// documents for theirs, and any other POST as a delivery, recorded. It never dials.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("activitypubtest: read request body: %w", err)
		}
	}
	r.mu.Lock()
	site, siteHost := r.site, r.siteHost
	acct := r.accountAt(req.URL)
	r.mu.Unlock()
	switch {
	case req.URL.Host == siteHost:
		if site == nil {
			return nil, errors.New("activitypubtest: no site handler: call Recorder.ServeSite")
		}
		return serve(site, req, body), nil
	case req.Method == http.MethodGet && acct != nil:
		return serve(http.HandlerFunc(acct.serveActor), req, body), nil
	case req.Method == http.MethodPost:
		return r.record(req, body), nil
	}
	return serve(http.NotFoundHandler(), req, body), nil
}

// accountAt returns the Account whose actor document is at u, or nil; r.mu is held.
func (r *Recorder) accountAt(u *url.URL) *Account {
	id := *u
	id.Fragment, id.RawQuery = "", ""
	return r.accounts[id.String()]
}

// record records a delivery and answers it: 401 when its signature does not verify, else 202 or
// the status set with Respond.
func (r *Recorder) record(req *http.Request, body []byte) *http.Response {
	d := decodeDelivery(req.URL.String(), req.URL.Path, body)
	checkDelivery(r.verifier, req, body, &d)
	r.mu.Lock()
	d.Status = http.StatusAccepted
	if s, ok := r.status[d.Inbox]; ok {
		d.Status = s
	}
	if d.Err != nil {
		d.Status = http.StatusUnauthorized
	}
	if d.Activity != nil {
		r.pending[[2]string{d.Activity.ID, d.Inbox}] = true
	}
	r.mu.Unlock()
	r.log.add(d)
	return response(req, d.Status)
}

// serve answers req with h as a server would receive it, without a connection.
func serve(h http.Handler, req *http.Request, body []byte) *http.Response {
	in := httptest.NewRequestWithContext(req.Context(), req.Method, req.URL.String(), bytes.NewReader(body))
	in.Header = req.Header.Clone()
	if req.Host != "" {
		in.Host = req.Host
	}
	in.RemoteAddr = "192.0.2.1:443" // TEST-NET-1: no real peer
	w := httptest.NewRecorder()
	h.ServeHTTP(w, in)
	res := w.Result()
	res.Request = req
	return res
}

// response builds an empty answer to req with that status.
func response(req *http.Request, status int) *http.Response {
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header), Body: http.NoBody, Request: req,
	}
}
