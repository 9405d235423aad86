package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store"
)

// bigFeed is an RSS feed of n items of the site at base, each with a paragraph of text, a
// category and a date, oldest last.
func bigFeed(base string, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>The Gazette</title><description>News</description>`)
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, `<item><title>Article %d</title><link>%s/articles/%d</link><guid>%s/articles/%d</guid>`+
			`<description>&lt;p&gt;Article %d reports what happened in the town that day, with the people who were there and what they said of it afterwards.&lt;/p&gt;</description>`+
			`<category>Local News</category><pubDate>%s</pubDate></item>`,
			i, base, i, base, i, i, start.Add(time.Duration(i)*time.Hour).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return b.Bytes()
}

// feedServer serves the feed that feed builds for its URL, with an ETag, and answers a
// conditional GET with 304; it counts requests.
func feedServer(b *testing.B, feed func(base string) []byte, requests *atomic.Int64) (*httptest.Server, []byte) {
	var body atomic.Pointer[[]byte]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		f := *body.Load()
		etag := `"` + strconv.Itoa(len(f)) + `"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(f)
	}))
	b.Cleanup(srv.Close)
	f := feed(srv.URL)
	body.Store(&f)
	return srv, f
}

// benchSidecar is a sidecar over the feed at srv, its state in a fresh folder and a real SQLite
// file, its store writes counted.
func benchSidecar(b *testing.B, srv *httptest.Server, writes *atomic.Int64) *sidecar {
	c := defaultConfig()
	c.BaseURL, c.Data, c.Feeds = srv.URL, b.TempDir(), []feedConfig{{URL: srv.URL + "/feed.xml"}}
	if err := c.check(); err != nil {
		b.Fatal(err)
	}
	sc, err := newSidecar(b.Context(), c, slog.New(slog.DiscardHandler), func(cfg *activitypub.Config) {
		cfg.DeliveryStore = cfg.Store.(store.Delivery)
		cfg.Store = writeCounter{Site: cfg.Store, n: writes, fail: new(atomic.Bool)}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sc.close() })
	return sc
}

// peakRSS is the process's peak resident set size in MiB (VmHWM), or 0 where /proc does not
// tell it.
func peakRSS() float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kib / 1024
		}
	}
	return 0
}

// BenchmarkBackfill10000 is the first start on a site whose feed lists 10,000 articles: one GET
// of the 4 MB feed, then every article into the outbox of a fresh SQLite store, none sent. Run it
// alone (-run '^$' -bench Backfill10000 -benchtime 1x) for a peak RSS of its own.
func BenchmarkBackfill10000(b *testing.B) {
	const n = 10000
	var requests, writes atomic.Int64
	srv, feed := feedServer(b, func(base string) []byte { return bigFeed(base, n) }, &requests)
	var sc *sidecar
	for b.Loop() {
		b.StopTimer()
		sc = benchSidecar(b, srv, &writes)
		b.StartTimer()
		if err := sc.pollers[0].poll(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	if got := len(sc.ledger.st.Items); got != n {
		b.Fatalf("%d articles backfilled, want %d", got, n)
	}
	b.ReportMetric(float64(len(feed))/(1<<20), "feed-MiB")
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
}

// BenchmarkUnchangedPoll is a poll of a 10,000-article feed that did not change since the last:
// one conditional GET answered 304, and no write to the store or the state file.
func BenchmarkUnchangedPoll(b *testing.B) {
	var requests, writes atomic.Int64
	srv, _ := feedServer(b, func(base string) []byte { return bigFeed(base, 10000) }, &requests)
	sc := benchSidecar(b, srv, &writes)
	p := sc.pollers[0]
	if err := p.poll(b.Context()); err != nil {
		b.Fatal(err)
	}
	requests.Store(0)
	writes.Store(0)
	for b.Loop() {
		if err := p.poll(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
	b.ReportMetric(float64(writes.Load())/float64(b.N), "store-writes/op")
	if writes.Load() != 0 || sc.ledger.dirty {
		b.Fatalf("%d store writes, state dirty %v: want none", writes.Load(), sc.ledger.dirty)
	}
}
