package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/internal/ssrf"
	"github.com/fedsite/fedsite/store/sqlstore"

	// The SQLite driver, which sqlstore.OpenSQLite opens.
	_ "modernc.org/sqlite"
)

// serveOptions are the settings of fedsite serve.
type serveOptions struct {
	common
	addr, feedURL, handle string
	interval, timeout     time.Duration
	maxFeedBytes          int64
	webhookSecret         string
	maxHookBytes          int64
}

func parseServe(args []string, stderr io.Writer) (serveOptions, error) {
	var o serveOptions
	fs := flag.NewFlagSet("fedsite serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.common.register(fs)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8090", "listen address; the site's proxy sends fedsite's routes here")
	fs.StringVar(&o.feedURL, "feed", "", "URL of the site's RSS 2.0, Atom or JSON Feed (required)")
	fs.StringVar(&o.handle, "handle", "news", "username of the organization's actor, as in @news@example.com")
	fs.DurationVar(&o.interval, "interval", 5*time.Minute, "time between feed polls")
	fs.DurationVar(&o.timeout, "feed-timeout", 30*time.Second, "time limit of one feed fetch")
	fs.Int64Var(&o.maxFeedBytes, "max-feed-bytes", 10<<20, "largest feed body read")
	fs.StringVar(&o.webhookSecret, "webhook-secret", "", "shared secret of POST /hooks/publish; empty: no webhook")
	fs.Int64Var(&o.maxHookBytes, "max-webhook-bytes", 1<<20, "largest webhook body read")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("fedsite serve: unexpected arguments %q", fs.Args())
	case o.feedURL == "":
		return o, errors.New("fedsite serve: -feed is required")
	case o.interval <= 0 || o.timeout <= 0 || o.maxFeedBytes <= 0 || o.maxHookBytes <= 0:
		return o, errors.New("fedsite serve: -interval, -feed-timeout, -max-feed-bytes and -max-webhook-bytes must be positive")
	}
	return o, nil
}

// serve runs the sidecar until ctx ends (SIGTERM or SIGINT): the federation's routes on addr, its
// delivery workers, and the feed poller; it then waits for them to stop.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	sc, err := newSidecar(ctx, o, log, nil)
	if err != nil {
		return err
	}
	defer sc.close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("fedsite serve: %w", err)
	}
	srv := &http.Server{Handler: sc.handler, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { sc.fed.Run(ctx) })
	wg.Go(func() { sc.poller.run(ctx, o.interval) })
	wg.Go(func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	})
	log.Info("fedsite is up", "addr", ln.Addr().String(), "actor", sc.fed.ActorID(o.handle), "handle", sc.fed.Handle(o.handle), "feed", o.feedURL, "data", o.dataDir)
	err = srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	wg.Wait() // delivery workers and the poller stop with ctx; jobs left stay queued
	log.Info("fedsite stopped")
	if err != nil {
		return fmt.Errorf("fedsite serve: %w", err)
	}
	return nil
}

// sidecar is the federation of one site's feed.
type sidecar struct {
	fed     *activitypub.Federation
	poller  *poller
	ledger  *ledger
	handler http.Handler
	close   func() error
}

// openFederation opens the federation's SQLite store in the data folder and builds the
// Federation over it; lookup uses it too, so that it signs with the sidecar's instance key.
func openFederation(ctx context.Context, c common, actors activitypub.ActorSource, log *slog.Logger, configure func(*activitypub.Config)) (*activitypub.Federation, *sqlstore.Store, error) {
	local, err := c.local()
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(c.dataDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("fedsite: %w", err)
	}
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(c.dataDir, "fedsite.db"), sqlstore.Config{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	cfg := activitypub.Config{
		BaseURL: c.baseURL, Store: st, Logger: log, Actors: actors,
		Insecure:  activitypub.Insecure{AllowHTTP: local != nil, AllowAddresses: local},
		UserAgent: "fedsite/" + version() + " (+" + c.baseURL + ")",
		// The one process on its SQLite file: a restart after a crash takes back at once the
		// jobs the dead run held.
		Delivery: delivery.Options{SoleInstance: true},
	}
	if configure != nil {
		configure(&cfg)
	}
	fed, err := activitypub.New(cfg)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return fed, st, nil
}

// hookPath is where the webhook listens.
const hookPath = "/hooks/publish"

// newSidecar opens the sidecar's state in o.dataDir and builds its federation, its feed poller
// and its webhook. configure, when not nil, makes a last change to the federation's Config: tests
// wire their in-process fediverse (activitypubtest.Recorder) in with it.
func newSidecar(ctx context.Context, o serveOptions, log *slog.Logger, configure func(*activitypub.Config)) (*sidecar, error) {
	local, err := o.local()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("fedsite: %w", err)
	}
	l, err := openLedger(filepath.Join(o.dataDir, "state.json"))
	if err != nil {
		return nil, err
	}
	client := ssrf.NewClient(ssrf.Config{Allow: local, Timeout: o.timeout})
	userAgent := "fedsite/" + version() + " (+" + o.baseURL + ")"
	p := &poller{
		feedURL:   o.feedURL,
		actor:     o.handle,
		client:    client,
		maxBody:   o.maxFeedBytes,
		userAgent: userAgent,
		ledger:    l,
		pages:     &pageReader{client: client, maxBytes: maxPageBytes, userAgent: userAgent, log: log},
		recheck:   recheckPolicy{Window: recheckWindow, Every: recheckEvery, PerPoll: recheckPerPoll},
		log:       log,
		now:       time.Now,
	}
	actors := activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
		if name != o.handle {
			return nil, activitypub.ErrNotFound
		}
		pr := l.feed(o.feedURL).Profile
		a := &activitypub.Actor{Username: o.handle, Type: "Organization", Name: pr.Title,
			ProfileURL: o.baseURL + "/", IconURL: pr.ImageURL, Discoverable: true, Indexable: true,
			Fields: []activitypub.Field{{Name: "Website", Value: o.baseURL + "/"}}}
		if pr.Description != "" {
			a.Summary = "<p>" + html.EscapeString(pr.Description) + "</p>"
		}
		return a, nil
	})
	fed, st, err := openFederation(ctx, o.common, actors, log, configure)
	if err != nil {
		return nil, err
	}
	p.fed = fed
	mux := http.NewServeMux()
	mux.Handle("/", fed.Middleware(http.NotFoundHandler()))
	if o.webhookSecret != "" {
		mux.Handle(hookPath, &webhook{secret: []byte(o.webhookSecret), maxBytes: o.maxHookBytes, actor: o.handle,
			fed: fed, ledger: l, log: log, now: time.Now, seen: map[string]time.Time{}})
	}
	return &sidecar{fed: fed, poller: p, ledger: l, handler: mux, close: st.Close}, nil
}

// maxPageBytes is how much of an article's page is read for its Open Graph tags, which are in
// its head.
const maxPageBytes = 512 << 10
