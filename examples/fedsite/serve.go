package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/internal/ssrf"
)

// parseServe reads fedsite serve's flags and config file.
func parseServe(args []string, stderr io.Writer) (config, error) {
	c, fs, err := flags("fedsite serve", args, stderr, func(fs *flag.FlagSet, c *config) {
		fs.StringVar(&c.Addr, "addr", c.Addr, "listen address; the site's proxy sends fedsite's routes here")
		fs.StringVar(&c.AdminAddr, "admin-addr", c.AdminAddr, "listen address of the operator pages, such as 127.0.0.1:8091, behind basic authentication with the config file's admin_user and admin_password (default: none served)")
		fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "listen address of the Prometheus metrics at /metrics, such as 127.0.0.1:9464 (default: none served)")
		fs.Var(feedFlag{c}, "feed", "`URL` of the site's RSS 2.0, Atom or JSON Feed, published as -handle (replaces the config file's feeds)")
		fs.StringVar(&c.Handle, "handle", c.Handle, "username of the organization's actor, as in @news@example.com")
		fs.StringVar(&c.WebFingerDomain, "webfinger-domain", c.WebFingerDomain, "host of the handles when it is not the -base-url host, such as example.com for a sidecar on social.example.com")
		fs.Var(&c.Interval, "interval", "time between feed polls, a `duration` such as 5m")
		fs.Var(&c.FeedTimeout, "feed-timeout", "time limit (a `duration`) of one feed or article page fetch")
		fs.Int64Var(&c.MaxFeedBytes, "max-feed-bytes", c.MaxFeedBytes, "largest feed body read")
		fs.StringVar(&c.WebhookSecret, "webhook-secret", c.WebhookSecret, "shared secret of POST /hooks/publish; empty: no webhook (a flag shows in ps: prefer the config file)")
		fs.Int64Var(&c.MaxWebhookBytes, "max-webhook-bytes", c.MaxWebhookBytes, "largest webhook body read")
	})
	if err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("fedsite serve: unexpected arguments %q", fs.Args())
	}
	if _, err := c.local(); err != nil {
		return c, err
	}
	return c, c.check()
}

// serve runs the sidecar until ctx ends (SIGTERM or SIGINT): the federation's routes and the
// webhook on addr, its delivery workers, and a poller per feed; it then waits for them to stop.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	c, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	metrics, err := startMetrics(c.MetricsAddr, log)
	if err != nil {
		return err
	}
	defer metrics.close()
	sc, err := newSidecar(ctx, c, log, metrics.configure)
	if err != nil {
		return err
	}
	defer sc.close()
	admin, err := startAdmin(c, sc.fed, sc.actors, log)
	if err != nil {
		return err
	}
	defer admin.close()
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("fedsite serve: %w", err)
	}
	srv := &http.Server{Handler: sc.handler, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { sc.fed.Run(ctx) })
	for i, p := range sc.pollers {
		wg.Go(func() { p.run(ctx, time.Duration(c.Feeds[i].Interval)) })
	}
	wg.Go(func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	})
	log.Info("fedsite is up", "addr", ln.Addr().String(), "actor", sc.fed.ActorID(c.Handle), "handle", sc.fed.Handle(c.Handle),
		"feeds", len(c.Feeds), "webhook", c.WebhookSecret != "", "data", c.Data)
	err = srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	wg.Wait() // delivery workers and the pollers stop with ctx; jobs left stay queued
	log.Info("fedsite stopped")
	if err != nil {
		return fmt.Errorf("fedsite serve: %w", err)
	}
	return nil
}

// sidecar is the federation of one site's feeds and webhook.
type sidecar struct {
	fed     *activitypub.Federation
	pollers []*poller
	ledger  *ledger
	handler http.Handler
	actors  configActors
	close   func() error
}

// openFederation opens the federation's store (c.Store) and builds the Federation over it;
// lookup, diagnose and audit export use it too, with nil actors (no site actor, only the
// instance actor), so that they sign with the sidecar's instance key.
func openFederation(ctx context.Context, c config, actors activitypub.ActorSource, log *slog.Logger, configure func(*activitypub.Config)) (*activitypub.Federation, func() error, error) {
	if actors == nil {
		actors = activitypub.ActorSourceFunc(func(context.Context, string) (*activitypub.Actor, error) { return nil, activitypub.ErrNotFound })
	}
	local, err := c.local()
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(c.Data, 0o755); err != nil {
		return nil, nil, fmt.Errorf("fedsite: %w", err)
	}
	st, err := openStore(ctx, c, log)
	if err != nil {
		return nil, nil, err
	}
	// The file says "0s" for ever, where the library's zero is its default.
	operational := time.Duration(c.OperationalRetention)
	if operational == 0 {
		operational = -1
	}
	cfg := activitypub.Config{
		BaseURL: c.BaseURL, Store: st.Store, Logger: log, Actors: actors, WebFingerDomain: c.WebFingerDomain,
		Insecure:  activitypub.Insecure{AllowHTTP: local != nil, AllowAddresses: local},
		UserAgent: "fedsite/" + version() + " (+" + c.BaseURL + ")",
		// The one process on its SQLite file: a restart after a crash takes back at once the
		// jobs the dead run held. A shared database may have other instances on it.
		Delivery:  delivery.Options{SoleInstance: st.sole},
		Retention: activitypub.Retention{Record: time.Duration(c.RecordRetention), Operational: operational},
	}
	if configure != nil {
		configure(&cfg)
	}
	fed, err := activitypub.New(cfg)
	if err != nil {
		st.close()
		return nil, nil, err
	}
	return fed, st.close, nil
}

// hookPath is where the webhook listens.
const hookPath = "/hooks/publish"

// maxPageBytes is how much of an article's page is read for its Open Graph tags, which are in
// its head.
const maxPageBytes = 512 << 10

// newSidecar opens the sidecar's state in c.Data and builds its federation, a poller per feed
// and the webhook. configure, when not nil, makes a last change to the federation's Config: tests
// wire their in-process fediverse (activitypubtest.Recorder) in with it.
func newSidecar(ctx context.Context, c config, log *slog.Logger, configure func(*activitypub.Config)) (*sidecar, error) {
	local, err := c.local()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.Data, 0o755); err != nil {
		return nil, fmt.Errorf("fedsite: %w", err)
	}
	l, err := openLedger(filepath.Join(c.Data, "state.json"))
	if err != nil {
		return nil, err
	}
	actors := actorSource(c, l)
	fed, closeStore, err := openFederation(ctx, c, actors, log, configure)
	if err != nil {
		return nil, err
	}
	client := ssrf.NewClient(ssrf.Config{Allow: local, Timeout: time.Duration(c.FeedTimeout)})
	userAgent := "fedsite/" + version() + " (+" + c.BaseURL + ")"
	pages := &pageReader{client: client, maxBytes: maxPageBytes, userAgent: userAgent, log: log}
	authors := c.authorMap()
	sc := &sidecar{fed: fed, ledger: l, actors: actors, close: closeStore}
	for _, f := range c.Feeds {
		sc.pollers = append(sc.pollers, &poller{
			feedURL: f.URL, actor: f.Actor, authors: authors,
			client: client, maxBody: c.MaxFeedBytes, userAgent: userAgent,
			fed: fed, ledger: l, pages: pages,
			recheck: recheckPolicy{Window: recheckWindow, Every: recheckEvery, PerPoll: recheckPerPoll},
			log:     log, now: time.Now,
		})
	}
	mux := http.NewServeMux()
	mux.Handle("/", fed.Middleware(http.NotFoundHandler()))
	if c.WebhookSecret != "" {
		mux.Handle(hookPath, &webhook{secret: []byte(c.WebhookSecret), maxBytes: c.MaxWebhookBytes, actor: c.Handle,
			authors: authors, fed: fed, ledger: l, log: log, now: time.Now, seen: map[string]time.Time{}})
	}
	sc.handler = mux
	return sc, nil
}

// configActors is the site's actors, looked up by name, and the names of all of them: the
// operator pages list them, and NodeInfo and the follower gauge count their followers.
type configActors struct {
	activitypub.ActorSourceFunc
	names []string
}

// FederatedActorNames implements [activitypub.ActorLister].
func (a configActors) FederatedActorNames(context.Context) ([]string, error) { return a.names, nil }

// actorSource is the site's actors: the organization (handle), an Organization, and each of
// c.Actors, a Person. What the config leaves empty of an actor's name, profile text and avatar
// is taken from the first feed published as it.
func actorSource(c config, l *ledger) configActors {
	described := map[string]actorConfig{c.Handle: {Handle: c.Handle}}
	for _, a := range c.Actors {
		described[a.Handle] = a
	}
	feedOf := map[string]string{}
	for _, f := range c.Feeds {
		if _, ok := feedOf[f.Actor]; !ok {
			feedOf[f.Actor] = f.URL
		}
	}
	home := c.BaseURL + "/"
	host := ""
	if u, err := url.Parse(c.BaseURL); err == nil {
		host = u.Hostname()
	}
	return configActors{names: slices.Sorted(maps.Keys(described)), ActorSourceFunc: func(_ context.Context, name string) (*activitypub.Actor, error) {
		d, ok := described[name]
		if !ok {
			return nil, activitypub.ErrNotFound
		}
		pr := profile{}
		if f, ok := feedOf[name]; ok {
			pr = l.feed(f).Profile
		}
		a := &activitypub.Actor{Username: name, Type: "Person", Name: cmp.Or(d.Name, pr.Title), ProfileURL: cmp.Or(d.URL, home),
			IconURL: cmp.Or(d.Avatar, pr.ImageURL), Discoverable: true, Indexable: true, AttributionDomains: []string{host}}
		if name == c.Handle {
			a.Type, a.AttributionDomains = "Organization", nil
			a.Fields = []activitypub.Field{{Name: "Website", Value: home}}
		}
		if s := cmp.Or(d.Summary, pr.Description); s != "" {
			a.Summary = "<p>" + html.EscapeString(s) + "</p>"
		}
		return a, nil
	}}
}
