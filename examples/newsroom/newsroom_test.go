package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/sqlstore"
)

const (
	testPassword      = "correct horse battery staple"
	testStaffPassword = "staff room kettle"
)

// app is a running newsroom on loopback.
type app struct {
	addr, base string
	stop       func()
}

// startApp runs the newsroom with its data in dir until stop is called or the test ends. It
// listens on addr, or on a free loopback port when addr is empty.
func startApp(t *testing.T, dir, addr string) *app {
	t.Helper()
	return startAppIn(t, dir, addr, nil)
}

// startAppIn runs the newsroom as startApp does, with rec, when not nil, as its whole fediverse
// (see activitypubtest.Recorder).
func startAppIn(t *testing.T, dir, addr string, rec *activitypubtest.Recorder) *app {
	t.Helper()
	if rec == nil {
		return startAppWith(t, dir, addr, nil, nil)
	}
	return startAppWith(t, dir, addr, rec.Configure, rec.ServeSite)
}

// startAppWith runs the newsroom as startApp does, with configure, when not nil, as the last change
// to its federation's Config, and serve, when not nil, told the handler it serves.
func startAppWith(t *testing.T, dir, addr string, configure func(*activitypub.Config), serve func(http.Handler)) *app {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := options{addr: ln.Addr().String(), baseURL: "http://" + ln.Addr().String(), dataDir: dir, password: testPassword,
		staffPassword: testStaffPassword}
	o.configure = configure
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h, closer, err := newApp(ctx, o, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if serve != nil {
		serve(h)
	}
	srv := &http.Server{Handler: h}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	a := &app{addr: o.addr, base: o.baseURL}
	var once bool
	a.stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		srv.Close()
		<-done
		closer.Close()
	}
	t.Cleanup(a.stop)
	return a
}

// editor returns a client logged in as the managing editor, with the password alone.
func (a *app) editor(t *testing.T) *http.Client {
	t.Helper()
	return a.login(t, "", testPassword)
}

// login returns a client logged in as user with password.
func (a *app) login(t *testing.T, user, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(a.base+"/login", url.Values{"user": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/publish" {
		t.Fatalf("login: status %d at %s", resp.StatusCode, resp.Request.URL)
	}
	return c
}

// publish posts the publish form and returns the new article's URL.
func (a *app) publish(t *testing.T, c *http.Client, title, body string) string {
	t.Helper()
	resp, err := c.PostForm(a.base+"/publish", url.Values{"title": {title}, "summary": {"A summary."}, "body": {body}, "author": {"Test Writer"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/articles/") {
		t.Fatalf("publish: status %d at %s", resp.StatusCode, resp.Request.URL)
	}
	return resp.Request.URL.String()
}

// as2 fetches an AS2 document from the app.
func (a *app) as2(t *testing.T, u string) *vocab.Object {
	t.Helper()
	status, body := a.as2Status(t, u)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", u, status, body)
	}
	o, err := vocab.Decode([]byte(body))
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return o
}

func (a *app) total(t *testing.T, collection string) int {
	t.Helper()
	c := a.as2(t, a.base+"/ap/users/news/"+collection)
	if c.TotalItems == nil {
		t.Fatalf("%s has no totalItems", collection)
	}
	return *c.TotalItems
}

func TestSitePages(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/", http.StatusOK, "Council approves the river path"},
		{"/articles/2026-11-20-council-approves-river-path", http.StatusOK, "Construction starts in March"},
		{"/articles/no-such-story", http.StatusNotFound, "There is no story"},
		{"/login", http.StatusOK, "Editor login"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(a.base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Fatalf("status %d, body lacks %q:\n%s", resp.StatusCode, tt.want, body)
			}
		})
	}
}

func TestAnonymousPublishPublishesNothing(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, dir, "")
	before, err := os.ReadFile(filepath.Join(dir, "articles.json"))
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name   string
		cookie *http.Cookie
	}{
		{"no session", nil},
		{"forged session", &http.Cookie{Name: sessionCookie, Value: "99999999999.deadbeef"}},
		{"forged login", &http.Cookie{Name: sessionCookie, Value: "editor.99999999999.deadbeef"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, a.base+"/publish", strings.NewReader(url.Values{"title": {"Sneaky"}, "body": {"x"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.cookie != nil {
				req.AddCookie(tt.cookie)
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
		})
	}
	resp, err := http.PostForm(a.base+"/login", url.Values{"password": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want 401", resp.StatusCode)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "articles.json"))
	if string(after) != string(before) {
		t.Error("articles changed after anonymous publish attempts")
	}
	// Only the backfilled sample stories: boosts of the writers' two and @news's own one.
	if n := a.total(t, "outbox"); n != len(sampleArticles()) {
		t.Errorf("outbox has %d items, want %d", n, len(sampleArticles()))
	}
}

// TestFollowPublishRestart federates the newsroom with a fake remote, then restarts it on the
// same SQLite data: followers, outbox and the actor's key survive.
func TestFollowPublishRestart(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, dir, "")
	remote := activitypubtest.NewRemote(t, "reader")
	newsID := a.base + "/ap/users/news"
	keyBefore := a.as2(t, newsID).PublicKey[0].PublicKeyPem

	resp := remote.Post(newsID+"/inbox", map[string]any{
		"@context": vocab.ContextActivityStreams, "id": remote.ActorID() + "/follow/1", "type": "Follow",
		"actor": remote.ActorID(), "object": newsID,
	})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: status %d", resp.StatusCode)
	}
	if accept := remote.WaitFor("Accept"); accept.Signer != newsID {
		t.Fatalf("Accept signed by %s", accept.Signer)
	}
	articleURL := a.publish(t, a.editor(t), "Bridge reopens after repairs", "The old bridge reopened on Monday.\n\nTraffic is back to normal.")
	create := remote.WaitFor("Create")
	if obj := create.Activity.Object.Object; obj == nil || obj.ID != articleURL || obj.Name != "Bridge reopens after repairs" ||
		!strings.Contains(obj.Content, "<p>The old bridge reopened on Monday.</p>") {
		t.Fatalf("Create object: %+v", create.Activity.Object)
	}

	a.stop()
	// The same address, so the same base URL and actor ids.
	b := startApp(t, dir, a.addr)
	if n := b.total(t, "followers"); n != 1 {
		t.Errorf("followers after restart = %d, want 1", n)
	}
	// The published story and the backfilled sample stories (two boosts, one of @news's own), not
	// backfilled twice.
	if n := b.total(t, "outbox"); n != 4 {
		t.Errorf("outbox after restart = %d, want 4", n)
	}
	if got := b.as2(t, b.base+"/ap/users/news").PublicKey[0].PublicKeyPem; got != keyBefore {
		t.Error("the actor's key changed across a restart")
	}
	var articles []article
	data, _ := os.ReadFile(filepath.Join(dir, "articles.json"))
	if err := json.Unmarshal(data, &articles); err != nil || len(articles) != 4 {
		t.Errorf("articles after restart: %d (%v), want 4", len(articles), err)
	}
}

// TestRestartTakesBackLeases stops the newsroom the way a SIGKILL leaves it, the jobs of an article
// it was publishing leased and not done, and restarts it on the same SQLite file: the restart, the
// file's one process, takes those jobs back at once and reaches the follower within
// activitypubtest.WaitTimeout (10 s), rather than after the dead run's 20 s leases end.
func TestRestartTakesBackLeases(t *testing.T) {
	dir := t.TempDir()
	var dead atomic.Bool
	a := startAppWith(t, dir, "", func(c *activitypub.Config) {
		c.DeliveryStore = deadAfter{Delivery: c.Store.(store.Delivery), dead: &dead}
	}, nil)
	remote := activitypubtest.NewRemote(t, "reader")
	newsID := a.base + "/ap/users/news"
	resp := remote.Post(newsID+"/inbox", map[string]any{
		"@context": vocab.ContextActivityStreams, "id": remote.ActorID() + "/follow/1", "type": "Follow",
		"actor": remote.ActorID(), "object": newsID,
	})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: status %d", resp.StatusCode)
	}
	remote.WaitFor("Accept")
	dead.Store(true)
	a.publish(t, a.editor(t), "Ferry timetable changes", "The ferry runs every hour from Monday.")
	st, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(dir, "fedsite.db"), sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(activitypubtest.WaitTimeout); ; time.Sleep(10 * time.Millisecond) {
		d, err := st.Depth(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if d.Leased > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no job leased after publishing: depth %+v", d)
		}
	}
	st.Close()
	a.stop()
	if n := len(remote.Deliveries()); n != 1 {
		t.Fatalf("the remote got %d deliveries before the restart, want the Accept only", n)
	}
	startApp(t, dir, a.addr)
	if create := remote.WaitFor("Create"); create.Signer != newsID {
		t.Errorf("Create signed by %s", create.Signer)
	}
}

// deadAfter is a delivery store that, once dead is set, leases jobs and hands none to the engine:
// they stay leased and undone, as the jobs of a process killed mid-work.
type deadAfter struct {
	store.Delivery
	dead *atomic.Bool
}

func (d deadAfter) Lease(ctx context.Context, max int, visibility time.Duration) ([]store.Lease, error) {
	ls, err := d.Delivery.Lease(ctx, max, visibility)
	if d.dead.Load() {
		return nil, err
	}
	return ls, err
}
