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
	metricsAddr           string
	interval, timeout     time.Duration
	maxFeedBytes          int64
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
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "listen address of the Prometheus metrics at /metrics, such as 127.0.0.1:9464 (default: none served)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("fedsite serve: unexpected arguments %q", fs.Args())
	case o.feedURL == "":
		return o, errors.New("fedsite serve: -feed is required")
	case o.interval <= 0 || o.timeout <= 0 || o.maxFeedBytes <= 0:
		return o, errors.New("fedsite serve: -interval, -feed-timeout and -max-feed-bytes must be positive")
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
	metrics, err := startMetrics(o.metricsAddr, log)
	if err != nil {
		return err
	}
	defer metrics.close()
	sc, err := newSidecar(ctx, o, log, metrics.configure)
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

// newSidecar opens the sidecar's state in o.dataDir and builds its federation and feed poller.
// configure, when not nil, makes a last change to the federation's Config: tests wire their
// in-process fediverse (activitypubtest.Recorder) in with it.
func newSidecar(ctx context.Context, o serveOptions, log *slog.Logger, configure func(*activitypub.Config)) (*sidecar, error) {
	local, err := o.local()
	if err != nil {
		return nil, err
	}
	p := &poller{
		feedURL:   o.feedURL,
		client:    ssrf.NewClient(ssrf.Config{Allow: local, Timeout: o.timeout}),
		maxBody:   o.maxFeedBytes,
		userAgent: "fedsite/" + version() + " (+" + o.baseURL + ")",
		actor:     o.handle,
		log:       log,
		now:       time.Now,
		statePath: filepath.Join(o.dataDir, "feed-state.json"),
	}
	if err := os.MkdirAll(o.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("fedsite: %w", err)
	}
	if p.state, err = loadState(p.statePath); err != nil {
		return nil, err
	}
	p.setProfile(p.state.Profile)
	actors := activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
		if name != o.handle {
			return nil, activitypub.ErrNotFound
		}
		pr := p.profile()
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
	return &sidecar{fed: fed, poller: p, handler: fed.Middleware(http.NotFoundHandler()), close: st.Close}, nil
}
