package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
)

// TestMetricsAddr serves the metrics on a loopback port of their own, as -metrics-addr does, and
// scrapes them after a reader's follow: the Accept's delivery and the inbox POST are counted and
// the queue's depth is observed. Without the flag no metrics are served.
func TestMetricsAddr(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if m, err := startMetrics("", log); m != nil || err != nil {
		t.Fatalf("startMetrics without an address = %v, %v; want nothing", m, err)
	}
	m, err := startMetrics("127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.close)

	fs := newFeedSite(t)
	rec := activitypubtest.NewRecorder()
	sc := mustSidecar(t, testConfig(fs.srv.URL, t.TempDir()), log, func(cfg *activitypub.Config) {
		rec.Configure(cfg)
		m.configure(cfg)
	})
	rec.ServeSite(sc.handler)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sc.fed.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; sc.close() })

	if _, err := rec.NewAccount("reader").Follow(t.Context(), sc.fed.ActorID("news")); err != nil {
		t.Fatal(err)
	}
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(m.url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`fedsite_deliveries_total{fedsite_delivery_outcome="delivered"`,
		`fedsite_inbox_requests_total{http_response_status_code="202"`,
		`fedsite_delivery_queue_depth{fedsite_delivery_job_state="ready"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("GET %s has no %s:\n%s", m.url, want, body)
		}
	}
}
