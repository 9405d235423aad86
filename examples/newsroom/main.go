package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/internal/promexport"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// options are the command's settings.
type options struct {
	addr, baseURL, dataDir, password, staffPassword string
	debug                                           bool
	// configure, when set, is the last change to the federation's Config: tests wire their
	// in-process fediverse (activitypubtest.Recorder) in with it.
	configure func(*activitypub.Config)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("newsroom", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&o.baseURL, "base-url", "", "public URL of the site (default: http://ADDR)")
	fs.StringVar(&o.dataDir, "data", "newsroom-data", "folder for articles and federation state (created if absent)")
	fs.StringVar(&o.password, "editor-password", os.Getenv("NEWSROOM_EDITOR_PASSWORD"), "editor password (default: $NEWSROOM_EDITOR_PASSWORD, else a random one)")
	fs.StringVar(&o.staffPassword, "staff-password", os.Getenv("NEWSROOM_STAFF_PASSWORD"), "password of the staff logins sam (sports editor) and dana (writer) (default: $NEWSROOM_STAFF_PASSWORD, else a random one)")
	fs.BoolVar(&o.debug, "debug", false, "log debug messages")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("newsroom: unexpected arguments %q", fs.Args())
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if o.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("newsroom: %w", err)
	}
	if o.baseURL == "" {
		o.baseURL = "http://" + ln.Addr().String()
	}
	if o.password == "" {
		o.password = rand.Text()
		log.Info("no editor password given; using a random one", "password", o.password)
	}
	if o.staffPassword == "" {
		o.staffPassword = rand.Text()
		log.Info("no staff password given; using a random one", "password", o.staffPassword)
	}
	h, closer, err := newApp(ctx, o, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer closer.Close()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("newsroom is up", "url", o.baseURL, "actor", o.baseURL+"/ap/users/news", "data", o.dataDir)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("newsroom: %w", err)
	}
	return nil
}

// newApp builds the site and federates it, with its metrics at /metrics (metrics.go); the closer
// releases the federation's store and the metrics' provider.
func newApp(ctx context.Context, o options, log *slog.Logger) (http.Handler, io.Closer, error) {
	if err := os.MkdirAll(o.dataDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("newsroom: %w", err)
	}
	s, err := newSite(siteConfig{
		Name:           "The Riverside Courier",
		Tagline:        "News from the city by the river, since 1921.",
		DataFile:       filepath.Join(o.dataDir, "articles.json"),
		EditorPassword: o.password,
		Staff:          staffLogins(o.staffPassword),
		Logger:         log,
	})
	if err != nil {
		return nil, nil, err
	}
	// A site served over plain http is a local demo: it may talk to peers on loopback over http.
	var local []netip.Prefix
	if strings.HasPrefix(o.baseURL, "http://") {
		local = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	meters, metrics, err := promexport.New()
	if err != nil {
		return nil, nil, err
	}
	// fedsite's metrics go to the exporter behind /metrics; the tests' configure comes last.
	configure := func(cfg *activitypub.Config) {
		cfg.Telemetry.MeterProvider = meters
		if o.configure != nil {
			o.configure(cfg)
		}
	}
	h, st, err := federate(ctx, s, o.baseURL, filepath.Join(o.dataDir, "fedsite.db"), local, log, configure)
	if err != nil {
		meters.Shutdown(ctx)
		return nil, nil, err
	}
	return withMetrics(h, metrics), closeFunc(func() error {
		return errors.Join(st.Close(), meters.Shutdown(context.WithoutCancel(ctx)))
	}), nil
}

// closeFunc adapts a function to io.Closer.
type closeFunc func() error

func (f closeFunc) Close() error { return f() }
