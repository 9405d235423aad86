package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/store"
)

// feedSite is the site under test: it serves its feed at /feed.xml, with an ETag, and answers
// conditional GETs with 304 while the feed is unchanged; its other pages are articles.
type feedSite struct {
	srv *httptest.Server

	mu       sync.Mutex
	body     string
	status   int // when not 0, every answer
	noETag   bool
	hold     chan struct{} // when not nil, requests wait for it or their end
	requests []string      // "If-None-Match -> status" per request
	pages    map[string]page
	reads    map[string]int // GETs per page path
}

// page is one of the site's pages other than its feed.
type page struct {
	status      int
	contentType string
	body        string
}

func newFeedSite(t *testing.T) *feedSite {
	fs := &feedSite{pages: map[string]page{}, reads: map[string]int{}}
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *feedSite) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	body, status, hold, noETag := fs.body, fs.status, fs.hold, fs.noETag
	isPage := r.URL.Path != "/feed.xml"
	pg, ok := fs.pages[r.URL.Path]
	if !ok { // every other page of the site is an article without Open Graph tags
		pg = page{http.StatusOK, "text/html", "<!doctype html><title>An article</title><p>Text."}
	}
	if isPage {
		fs.reads[r.URL.Path]++
	}
	fs.mu.Unlock()
	if isPage {
		w.Header().Set("Content-Type", pg.contentType)
		w.WriteHeader(pg.status)
		io.WriteString(w, pg.body)
		return
	}
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	etag := fmt.Sprintf(`"%x"`, len(body)*31+strings.Count(body, "e"))
	code := http.StatusOK
	switch {
	case status != 0:
		code = status
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "120")
		}
	case !noETag && r.Header.Get("If-None-Match") == etag:
		code = http.StatusNotModified
	}
	fs.mu.Lock()
	fs.requests = append(fs.requests, fmt.Sprintf("%s -> %d", r.Header.Get("If-None-Match"), code))
	fs.mu.Unlock()
	if code != http.StatusOK {
		w.WriteHeader(code)
		return
	}
	if !noETag {
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Content-Type", "application/rss+xml")
	io.WriteString(w, body)
}

// setPage serves a page at path.
func (fs *feedSite) setPage(path string, p page) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.pages[path] = p
}

// readsOf is how many GETs the page at path had.
func (fs *feedSite) readsOf(path string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.reads[path]
}

func (fs *feedSite) set(body string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.body = body
}

// with changes the site's answers under its lock.
func (fs *feedSite) with(change func()) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	change()
}

func (fs *feedSite) lastRequest() string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.requests) == 0 {
		return ""
	}
	return fs.requests[len(fs.requests)-1]
}

// item is one RSS item of the test feed, linking to the site.
type item struct {
	slug, title, body, date string
}

func (fs *feedSite) rss(items ...item) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>The Test Gazette</title><link>` + fs.srv.URL + `/</link><description>News &amp; views</description><language>en</language>`)
	for _, it := range items {
		fmt.Fprintf(&b, `<item><title>%s</title><link>%s/articles/%s</link><guid>%s/articles/%s</guid><description>%s</description><pubDate>%s</pubDate><category>Local News</category></item>`,
			it.title, fs.srv.URL, it.slug, fs.srv.URL, it.slug, it.body, it.date)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// writeCounter counts the writes to the federation's published objects and outboxes, and fails
// AppendOutbox while fail is set.
type writeCounter struct {
	store.Site
	n    *atomic.Int64
	fail *atomic.Bool
}

func (w writeCounter) PutObject(ctx context.Context, o store.Object) error {
	w.n.Add(1)
	return w.Site.PutObject(ctx, o)
}

func (w writeCounter) AppendOutbox(ctx context.Context, a store.Object, objs ...store.Object) error {
	w.n.Add(1)
	if w.fail.Load() {
		return errors.New("disk full")
	}
	return w.Site.AppendOutbox(ctx, a, objs...)
}

func (w writeCounter) DeleteObject(ctx context.Context, id string, at time.Time) error {
	w.n.Add(1)
	return w.Site.DeleteObject(ctx, id, at)
}

// running is a sidecar under test with its in-process fediverse.
type running struct {
	sc     *sidecar
	rec    *activitypubtest.Recorder
	writes *atomic.Int64
	fail   *atomic.Bool
	logs   *syncBuffer
	stop   func()
}

// syncBuffer is a log sink safe for the poller's and the workers' concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a sidecar for fs's feed with its state in dir; it does not poll until told.
func start(t *testing.T, fs *feedSite, dir string) *running {
	t.Helper()
	return startWith(t, fs, dir, func(*config) {})
}

// testConfig is the sidecar's configuration for a test: the site at baseURL publishing its feed
// at /feed.xml, state in dir, small limits.
func testConfig(baseURL, dir string) config {
	c := defaultConfig()
	c.BaseURL, c.Data, c.Feeds = baseURL, dir, []feedConfig{{URL: baseURL + "/feed.xml"}}
	c.FeedTimeout, c.MaxFeedBytes, c.MaxWebhookBytes = duration(5*time.Second), 1<<16, 1<<12
	return c
}

// mustSidecar checks c and builds the sidecar over it, ending the test on an error; the sidecar
// closes when the test ends (its delivery workers, if started, must stop first).
func mustSidecar(t *testing.T, c config, log *slog.Logger, configure func(*activitypub.Config)) *sidecar {
	t.Helper()
	if err := c.check(); err != nil {
		t.Fatal(err)
	}
	sc, err := newSidecar(t.Context(), c, log, configure)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// startWith is start with a last change to the sidecar's options.
func startWith(t *testing.T, fs *feedSite, dir string, change func(*config)) *running {
	t.Helper()
	r := &running{rec: activitypubtest.NewRecorder(), writes: new(atomic.Int64), fail: new(atomic.Bool), logs: new(syncBuffer)}
	var w io.Writer = r.logs
	if testing.Verbose() {
		w = io.MultiWriter(r.logs, os.Stderr)
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := testConfig(fs.srv.URL, dir)
	change(&c)
	sc := mustSidecar(t, c, log, func(cfg *activitypub.Config) {
		r.rec.Configure(cfg)
		cfg.Store = writeCounter{Site: cfg.Store, n: r.writes, fail: r.fail}
	})
	r.sc = sc
	r.rec.ServeSite(sc.handler)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sc.fed.Run(ctx); close(done) }()
	var once sync.Once
	r.stop = func() {
		once.Do(func() { cancel(); <-done; sc.close() })
	}
	t.Cleanup(r.stop)
	return r
}

func (r *running) poll(t *testing.T) error {
	t.Helper()
	var err error
	for _, p := range r.sc.pollers {
		err = errors.Join(err, p.poll(t.Context()))
	}
	if serr := r.rec.Settle(t.Context()); serr != nil {
		t.Fatal(serr)
	}
	return err
}

func (r *running) mustPoll(t *testing.T) {
	t.Helper()
	if err := r.poll(t); err != nil {
		t.Fatal(err)
	}
}

// follow makes a reader follow @news and waits for the Accept.
func (r *running) follow(t *testing.T, handle string) {
	t.Helper()
	r.followActor(t, handle, "news")
}

// followActor makes a reader follow one of the site's actors and waits for the Accept.
func (r *running) followActor(t *testing.T, handle, actor string) {
	t.Helper()
	if _, err := r.rec.NewAccount(handle).Follow(t.Context(), r.sc.fed.ActorID(actor)); err != nil {
		t.Fatal(err)
	}
	if err := r.rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// sent lists "Type object" for every delivery but Accepts.
func (r *running) sent() []string {
	var out []string
	for _, d := range r.rec.Sent() {
		if d.Type != "Accept" {
			out = append(out, d.Type+" "+d.ObjectID)
		}
	}
	return out
}

const (
	day1 = "Mon, 01 Dec 2026 09:00:00 GMT"
	day2 = "Tue, 02 Dec 2026 09:00:00 GMT"
	day3 = "Wed, 03 Dec 2026 09:00:00 GMT"
)

// TestFirstStartBackfillsWithoutSending: the items in the feed at first start go to the outbox,
// and no follower receives any of them; a later item goes out as a Create, once, however often
// the feed lists it.
func TestFirstStartBackfillsWithoutSending(t *testing.T) {
	fs := newFeedSite(t)
	old := []item{{"a", "Bridge reopens", "<p>The bridge is open.</p>", day1}, {"b", "Market day", "<p>Stalls.</p>", day2}}
	fs.set(fs.rss(old...))
	r := start(t, fs, t.TempDir())
	r.follow(t, "reader@social.example")
	r.mustPoll(t)
	if s := r.sent(); len(s) != 0 {
		t.Fatalf("at first start the followers got %q, want nothing", s)
	}
	for _, slug := range []string{"a", "b"} { // in the outbox, and served as AS2
		if resp := r.get(t, fs.srv.URL+"/articles/"+slug); !strings.Contains(resp, `"Article"`) {
			t.Errorf("the backfilled %s is not served as AS2: %s", slug, resp)
		}
	}
	if outbox := r.get(t, r.sc.fed.ActorID("news")+"/outbox"); !strings.Contains(outbox, `"totalItems":2`) {
		t.Errorf("outbox: %s, want the two backfilled articles", outbox)
	}
	if resp := r.get(t, fs.srv.URL+"/articles/a"); !strings.Contains(resp, "Bridge reopens") || !strings.Contains(resp, "LocalNews") {
		t.Errorf("article a: %s, want its title and the category as a hashtag", resp)
	}

	fresh := item{"c", "Council votes", "<p>It passed.</p>", day3}
	fs.set(fs.rss(fresh, fresh, old[1], old[0])) // newest first, and listed twice
	r.mustPoll(t)
	obj := activitypubtest.Created(t, r.rec, fs.srv.URL+"/articles/c")
	if obj.Name != "Council votes" {
		t.Errorf("name = %q", obj.Name)
	}
	r.mustPoll(t)
	if s := r.sent(); len(s) != 1 || s[0] != "Create "+fs.srv.URL+"/articles/c" {
		t.Errorf("sent %q, want one Create of the new item", s)
	}
}

// get fetches a URL of the site as AS2, through the Recorder (as a remote server would).
func (r *running) get(t *testing.T, u string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := r.rec.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestEditedItemSendsUpdate: a changed body (content hash) or a changed date sends an Update;
// an item that leaves the feed is not deleted.
func TestEditedItemSendsUpdate(t *testing.T) {
	fs := newFeedSite(t)
	a := item{"a", "Bridge reopens", "<p>The bridge is open.</p>", day1}
	fs.set(fs.rss())
	r := start(t, fs, t.TempDir())
	r.follow(t, "reader@social.example")
	r.mustPoll(t) // the empty feed: backfilled, nothing there
	fs.set(fs.rss(a))
	r.mustPoll(t)
	activitypubtest.Created(t, r.rec, fs.srv.URL+"/articles/a")

	a.body = "<p>The bridge is open again.</p>"
	fs.set(fs.rss(a))
	r.mustPoll(t)
	u := activitypubtest.Delivered(t, r.rec, "Update", fs.srv.URL+"/articles/a")
	if !strings.Contains(u.Object.Content, "open again") {
		t.Errorf("the Update carries %q", u.Object.Content)
	}
	fs.set(fs.rss())
	r.mustPoll(t)
	if s := r.sent(); len(s) != 2 {
		t.Errorf("sent %q, want the Create and one Update: leaving the feed is no deletion", s)
	}
}

// TestUnchangedFeed: an unchanged feed is one conditional GET answered 304 and no write, to
// the federation's store or the state file; a server without validators gets a full GET, and
// still nothing is written.
func TestUnchangedFeed(t *testing.T) {
	fs := newFeedSite(t)
	fs.set(fs.rss(item{"a", "Bridge reopens", "<p>Open.</p>", day1}))
	dir := t.TempDir()
	r := start(t, fs, dir)
	r.mustPoll(t)
	statePath := filepath.Join(dir, "state.json")
	saved, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	writes := r.writes.Load()
	r.mustPoll(t)
	if got := fs.lastRequest(); !strings.HasSuffix(got, "-> 304") || strings.HasPrefix(got, " ") {
		t.Errorf("second poll: %q, want a conditional GET answered 304", got)
	}
	if now, _ := os.ReadFile(statePath); !bytes.Equal(now, saved) {
		t.Error("a 304 changed the state file")
	}
	fs.mu.Lock()
	fs.noETag = true
	fs.mu.Unlock()
	r.mustPoll(t)
	if got := fs.lastRequest(); !strings.HasSuffix(got, "-> 200") {
		t.Errorf("third poll: %q, want 200", got)
	}
	if n := r.writes.Load() - writes; n != 0 {
		t.Errorf("%d writes to the federation's store for an unchanged feed", n)
	}
	// The ETag was dropped, as the server sends none now: that change is saved, and then nothing.
	mid, _ := os.ReadFile(statePath)
	r.mustPoll(t)
	end, _ := os.ReadFile(statePath)
	if !bytes.Equal(mid, end) {
		t.Error("the state file changed for an unchanged feed")
	}
}

// TestBadFeeds: a malformed feed, a body over the limit, an error status, a timeout and a 429
// each give a clear error and change nothing; the next poll works.
func TestBadFeeds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(fs *feedSite, r *running)
		want  string
	}{
		{"malformed", func(fs *feedSite, _ *running) { fs.set(`<rss version="2.0"><channel><item><title>Half`) }, "feed"},
		{"not a feed", func(fs *feedSite, _ *running) { fs.set(`<html><body>Hello</body></html>`) }, "feed"},
		{"over the limit", func(fs *feedSite, _ *running) {
			fs.set(fs.rss(item{"big", "Big", strings.Repeat("x", 1<<16), day3}))
		}, "body over 65536 bytes"},
		{"error status", func(fs *feedSite, _ *running) { fs.with(func() { fs.status = http.StatusInternalServerError }) }, "status 500"},
		{"rate limited", func(fs *feedSite, _ *running) { fs.with(func() { fs.status = http.StatusTooManyRequests }) }, "retry after 2m0s"},
		{"timeout", func(fs *feedSite, r *running) {
			fs.with(func() { fs.hold = make(chan struct{}) })
			r.sc.pollers[0].client.Timeout = 50 * time.Millisecond
		}, "Client.Timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFeedSite(t)
			a := item{"a", "Bridge reopens", "<p>Open.</p>", day1}
			fs.set(fs.rss(a))
			dir := t.TempDir()
			r := start(t, fs, dir)
			r.follow(t, "reader@social.example")
			r.mustPoll(t)
			state, _ := os.ReadFile(filepath.Join(dir, "state.json"))
			writes := r.writes.Load()

			tc.setup(fs, r)
			err := r.poll(t)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("poll: %v, want an error saying %q", err, tc.want)
			}
			if now, _ := os.ReadFile(filepath.Join(dir, "state.json")); !bytes.Equal(now, state) {
				t.Error("the state file changed")
			}
			if r.writes.Load() != writes || len(r.sent()) != 0 {
				t.Errorf("%d writes, sent %q: want none", r.writes.Load()-writes, r.sent())
			}

			fs.mu.Lock()
			if fs.hold != nil {
				close(fs.hold)
				fs.hold = nil
			}
			fs.status = 0
			fs.mu.Unlock()
			fs.set(fs.rss(item{"c", "Council votes", "<p>It passed.</p>", day3}, a))
			r.mustPoll(t)
			activitypubtest.Created(t, r.rec, fs.srv.URL+"/articles/c")
		})
	}
}

// TestRestartKeepsState: after a restart, the feed is neither backfilled nor sent again, and
// a new item still goes out once.
func TestRestartKeepsState(t *testing.T) {
	fs := newFeedSite(t)
	a, b := item{"a", "Bridge reopens", "<p>Open.</p>", day1}, item{"b", "Market day", "<p>Stalls.</p>", day2}
	fs.set(fs.rss(a))
	dir := t.TempDir()
	r := start(t, fs, dir)
	r.follow(t, "reader@social.example")
	r.mustPoll(t)
	fs.set(fs.rss(b, a))
	r.mustPoll(t)
	activitypubtest.Created(t, r.rec, fs.srv.URL+"/articles/b")
	r.stop()

	fs.mu.Lock()
	fs.noETag = true // a full GET after the restart: the state, not the 304, must hold it back
	fs.mu.Unlock()
	r2 := start(t, fs, dir)
	r2.mustPoll(t)
	if s := r2.sent(); len(s) != 0 {
		t.Fatalf("after the restart the followers got %q, want nothing", s)
	}
	if n := r2.writes.Load(); n != 0 {
		t.Errorf("%d store writes after the restart: the feed was backfilled again", n)
	}
	c := item{"c", "Council votes", "<p>It passed.</p>", day3}
	fs.set(fs.rss(c, b, a))
	r2.mustPoll(t)
	if s := r2.sent(); len(s) != 1 || s[0] != "Create "+fs.srv.URL+"/articles/c" {
		t.Errorf("sent %q, want one Create of the new item", s)
	}
}

// TestStoreFailureRetried: when the store fails while a new item is published, the poll fails,
// the feed's ETag is not kept, and the next poll reads the feed again in full and publishes it.
func TestStoreFailureRetried(t *testing.T) {
	fs := newFeedSite(t)
	a := item{"a", "Bridge reopens", "<p>Open.</p>", day1}
	fs.set(fs.rss(a))
	r := start(t, fs, t.TempDir())
	r.follow(t, "reader@social.example")
	r.mustPoll(t)
	fs.set(fs.rss(item{"c", "Council votes", "<p>It passed.</p>", day3}, a))
	r.fail.Store(true)
	if err := r.poll(t); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("poll: %v, want the store's error", err)
	}
	r.fail.Store(false)
	r.mustPoll(t)
	if got := fs.lastRequest(); !strings.HasSuffix(got, "-> 200") {
		t.Errorf("the poll after the failure: %q, want a full GET", got)
	}
	activitypubtest.Created(t, r.rec, fs.srv.URL+"/articles/c")
}

// TestStoreFailureDuringBackfill: a store failure at the first poll leaves the backfill to do,
// so the next poll backfills the rest rather than sending it as new.
func TestStoreFailureDuringBackfill(t *testing.T) {
	fs := newFeedSite(t)
	fs.set(fs.rss(item{"a", "Bridge reopens", "<p>Open.</p>", day1}, item{"b", "Market day", "<p>Stalls.</p>", day2}))
	r := start(t, fs, t.TempDir())
	r.follow(t, "reader@social.example")
	r.fail.Store(true)
	if err := r.poll(t); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("poll: %v, want the store's error", err)
	}
	r.fail.Store(false)
	r.mustPoll(t)
	if s := r.sent(); len(s) != 0 {
		t.Errorf("after the failed backfill the followers got %q, want nothing", s)
	}
	if outbox := r.get(t, r.sc.fed.ActorID("news")+"/outbox"); !strings.Contains(outbox, `"totalItems":2`) {
		t.Errorf("outbox: %s, want the two backfilled articles", outbox)
	}
}
