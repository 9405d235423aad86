package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
)

// chromium returns the path of the Chromium binary. Without one the test skips locally and fails
// in CI (CI=true), whose run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH; CI must install it (apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH: install it to run the browser test")
	return ""
}

// browse starts a headless Chromium and returns the context of its tab. The test fails, at its
// end, if a page wrote an error to the console or threw.
func browse(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("metrics-recording-only", true),
		chromedp.WindowSize(1200, 900), chromedp.UserDataDir(t.TempDir()))
	// The bound only keeps a stuck browser from hanging the run.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	var mu sync.Mutex
	var errs []string
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" {
				mu.Lock()
				errs = append(errs, m.String()+" at "+m.URL)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Errorf("browser console: %s", e)
		}
	})
	return ctx
}

// browserLogin signs in as the editor from the login page the operator pages send a visitor to, and
// follows the navigation to the overview.
func browserLogin(t *testing.T, ctx context.Context, a *app) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.base+"/admin/fediverse/"),
		chromedp.WaitVisible(`input[name=password]`), // sent to the login
		chromedp.SendKeys(`input[name=password]`, testPassword),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitNotPresent(`input[name=password]`), // the login's answer replaced the form
	)
	if err != nil {
		t.Fatal(err)
	}
	// The site's navigation links to the operator pages from every page: a link found while a
	// page is still being replaced is gone before it is clicked. Try again on the page that is.
	for attempt := 1; ; attempt++ {
		err := chromedp.Do(ctx,
			chromedp.WaitVisible(`a[href="/admin/fediverse/"]`),
			chromedp.Click(`a[href="/admin/fediverse/"]`),
			chromedp.WaitVisible(`main table`),
		)
		if err == nil {
			return
		}
		if attempt == 5 {
			t.Fatalf("following the link to the operator pages after the login: %v", err)
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(200*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
}

// text returns the text of the first element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(s)
}

// TestBrowserOperatorOverview logs in as the editor in a real, headless Chromium, without
// JavaScript on the pages' side, follows the navigation to the operator pages and reads the
// overview.
func TestBrowserOperatorOverview(t *testing.T) {
	ctx := browse(t)
	a := startApp(t, t.TempDir(), "")
	browserLogin(t, ctx, a)
	heading, actors, signedIn := text(t, ctx, `main h1`), text(t, ctx, `main table`), text(t, ctx, `header p.meta`)
	if heading != "Fediverse overview" || signedIn != "Signed in as editor" {
		t.Errorf("heading %q, %q; want the overview for the editor", heading, signedIn)
	}
	for _, want := range []string{"news", "dana-ortiz", "Followers", "Posts"} {
		if !strings.Contains(actors, want) {
			t.Errorf("actors table lacks %q: %q", want, actors)
		}
	}
}

// approving makes one actor of a site approve its followers, as a site whose desk vets them
// would.
type approving struct {
	newsroomActors
	name string
}

func (a approving) FederatedActor(ctx context.Context, name string) (*activitypub.Actor, error) {
	act, err := a.newsroomActors.FederatedActor(ctx, name)
	if err != nil || name != a.name {
		return act, err
	}
	c := *act
	c.ManuallyApprovesFollowers = true
	return &c, nil
}

// screenshotDir is where the browser test saves its screenshots: $FEDSITE_SCREENSHOTS, else
// testdata/screenshots, which git ignores.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FEDSITE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshot saves the whole page the browser shows as name.png in [screenshotDir].
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(t), name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// followersOf reads an actor's follower count from the overview's table.
func followersOf(t *testing.T, ctx context.Context, actor string) string {
	t.Helper()
	for row := range strings.SplitSeq(text(t, ctx, `main table`), "\n") {
		if cells := strings.Split(row, "\t"); len(cells) > 2 && cells[0] == actor {
			return cells[2]
		}
	}
	t.Fatalf("no row for %s in the overview", actor)
	return ""
}

// TestBrowserOperatorWalkthrough runs the operator pages in a real, headless Chromium against a
// newsroom whose fediverse is a Recorder: it publishes a story and watches its delivery reach
// 100 %, hides a reply, approves a follow request, blocks a server and sees its followers go,
// retries a failing host and replays a dead letter, saving a screenshot of each page.
func TestBrowserOperatorWalkthrough(t *testing.T) {
	ctx := browse(t)
	rec := activitypubtest.NewRecorder()
	a := startAppWith(t, t.TempDir(), "", func(c *activitypub.Config) {
		c.Actors = approving{newsroomActors: c.Actors.(newsroomActors), name: "sports"}
		rec.Configure(c)
	}, rec.ServeSite)
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		// A step that waits for what never comes fails before the whole test's bound.
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			where, _ := chromedp.Run(ctx, chromedp.Location())
			page, _ := chromedp.Run(ctx, chromedp.Text(`body`))
			t.Fatalf("%s: %v, at %s showing %q", step, err, where, page)
		}
	}
	news, sports := a.base+"/ap/users/news", a.base+"/ap/users/sports"

	// publish fills the publish form and returns the URL of the article it leads to.
	publish := func(title, body string) string {
		t.Helper()
		do("publish "+title, chromedp.Navigate(a.base+"/publish"), chromedp.WaitVisible(`#title`),
			chromedp.SendKeys(`#title`, title), chromedp.SendKeys(`#body`, body), chromedp.Submit(`#title`))
		for deadline := time.Now().Add(time.Minute); ; {
			if at, err := chromedp.Run(ctx, chromedp.Location()); err == nil && strings.Contains(at, "/articles/") {
				return at
			}
			if time.Now().After(deadline) {
				t.Fatalf("publishing %q leads nowhere", title)
			}
			do("wait", chromedp.Sleep(100*time.Millisecond))
		}
	}

	// The fediverse: followers of @news on three servers, one of which refuses what the site
	// sends (two on spam.example, which share its inbox), and a follow request to @sports.
	tctx := t.Context()
	bob, erin, carol := rec.NewAccount("bob@social.example"), rec.NewAccount("erin@strict.example"), rec.NewAccount("carol@other.example")
	spam := []*activitypubtest.Account{rec.NewAccount("one@spam.example"), rec.NewAccount("two@spam.example")}
	for _, in := range []string{erin.Inbox(), erin.SharedInbox()} {
		rec.Respond(in, http.StatusForbidden)
	}
	for _, f := range append([]*activitypubtest.Account{bob, erin}, spam...) {
		if _, err := f.Follow(tctx, news); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := carol.Follow(tctx, sports); err != nil {
		t.Fatal(err)
	}
	if err := rec.Settle(tctx); err != nil {
		t.Fatal(err)
	}

	browserLogin(t, ctx, a)
	if got := followersOf(t, ctx, "news"); got != "4" {
		t.Errorf("@news has %s followers on the overview, want 4", got)
	}
	screenshot(t, ctx, "01-overview")

	// Publish, then watch the article's delivery until every inbox has its answer.
	article := publish("Ferry returns to the river", "The ferry runs again from Monday.")
	do("article page", chromedp.Navigate(a.base+"/admin/fediverse/article?url="+url.QueryEscape(article)))
	deadline := time.Now().Add(30 * time.Second)
	for {
		// The page reloads itself while deliveries are queued; a read during a reload fails.
		done, err := chromedp.Run(ctx, chromedp.Text(`#progress-done`))
		if err == nil && strings.TrimSpace(done) == "100 %" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery progress stays at %q (%v)", done, err)
		}
		do("wait", chromedp.Sleep(200*time.Millisecond))
	}
	if got := text(t, ctx, `main`); !strings.Contains(got, "2 delivered, 0 queued, 0 retrying, 1 failed, of 3.") {
		t.Errorf("article page after the fan-out: %q", got)
	}
	screenshot(t, ctx, "02-article-delivered")

	// A reply comes in; the editor hides it from the site.
	if _, err := bob.Reply(tctx, article, "<p>Buy cheap ferry tickets here</p>"); err != nil {
		t.Fatal(err)
	}
	do("hide reply", chromedp.Reload(), chromedp.WaitVisible(`button[value=hide]`), chromedp.Click(`button[value=hide]`),
		chromedp.WaitVisible(`button[value=show]`))
	if got := text(t, ctx, `main`); !strings.Contains(got, "Hidden replies") || !strings.Contains(got, "0 replies") {
		t.Errorf("article page after hiding the reply: %q", got)
	}
	if page := a.page(t, article); strings.Contains(page, "cheap ferry tickets") {
		t.Error("the hidden reply still shows on the article")
	}
	screenshot(t, ctx, "03-article-reply-hidden")

	// carol asked to follow @sports: approve.
	do("approve", chromedp.Navigate(a.base+"/admin/fediverse/requests?actor=sports"), chromedp.WaitVisible(`button[value=approve]`))
	screenshot(t, ctx, "04-follow-request")
	do("approve", chromedp.Click(`button[value=approve]`), chromedp.WaitNotPresent(`button[value=approve]`))
	if got := text(t, ctx, `main`); !strings.Contains(got, "No pending follow requests for @sports.") {
		t.Errorf("requests page after approving: %q", got)
	}

	// Block spam.example: its two followers go.
	do("block", chromedp.Navigate(a.base+"/admin/fediverse/moderation"), chromedp.WaitVisible(`#block-target`),
		chromedp.SendKeys(`#block-target`, "spam.example"), chromedp.SendKeys(`#block-reason`, "sends spam"),
		chromedp.Submit(`#block-target`), chromedp.WaitVisible(`main table`))
	if got := text(t, ctx, `main table`); !strings.Contains(got, "spam.example\tsends spam\teditor") {
		t.Errorf("moderation page after blocking: %q", got)
	}
	screenshot(t, ctx, "05-moderation")
	do("overview", chromedp.Click(`nav a[href="./"]`), chromedp.WaitVisible(`main table`))
	if got, want := followersOf(t, ctx, "news"), "2"; got != want {
		t.Errorf("@news has %s followers after the block, want %s", got, want)
	}
	if got := followersOf(t, ctx, "sports"); got != "1" {
		t.Errorf("@sports has %s followers after the approval, want 1", got)
	}
	// The panels of @news: its two servers left, spam.example gone; strict.example, which
	// refused the article, is the worst host of the day and social.example is not listed.
	if got := text(t, ctx, `#followers`); got != "Followers of @news" {
		t.Errorf("followers panel heading %q", got)
	}
	if got := text(t, ctx, `#top-servers tbody`); got != "social.example\t1\nstrict.example\t1" {
		t.Errorf("top servers of @news after the block: %q", got)
	}
	if got := text(t, ctx, `#recent-deliveries tbody`); !strings.HasPrefix(got, "Last hour\t") || !strings.Contains(got, "Last day\t") {
		t.Errorf("recent deliveries: %q", got)
	}
	if got := text(t, ctx, `#worst-hosts tbody`); !strings.HasPrefix(got, "strict.example\t") || strings.Contains(got, "social.example") {
		t.Errorf("worst hosts of the day: %q", got)
	}
	screenshot(t, ctx, "06-overview-after")

	// A server goes down during a fan-out; once it is back, the editor retries it.
	dave := rec.NewAccount("dave@down.example")
	if _, err := dave.Follow(tctx, news); err != nil {
		t.Fatal(err)
	}
	if err := rec.Settle(tctx); err != nil {
		t.Fatal(err)
	}
	rec.Respond(dave.SharedInbox(), http.StatusServiceUnavailable)
	publish("Bridge closed for repairs", "Until Friday.")
	if err := rec.Settle(tctx); err != nil {
		t.Fatal(err)
	}
	do("hosts", chromedp.Navigate(a.base+"/admin/fediverse/hosts"), chromedp.WaitVisible(`button[aria-label="Retry down.example now"]`))
	if got := text(t, ctx, `main table`); !strings.Contains(got, "answered 503") {
		t.Errorf("hosts page: %q, want down.example's 503", got)
	}
	screenshot(t, ctx, "07-hosts")
	rec.Respond(dave.SharedInbox(), 0)
	do("retry now", chromedp.Click(`button[aria-label="Retry down.example now"]`), chromedp.WaitNotPresent(`main table`))
	if _, err := rec.WaitFor(tctx, func(d activitypubtest.Delivery) bool {
		return d.Inbox == dave.SharedInbox() && d.Status == http.StatusAccepted && d.Type == "Create"
	}); err != nil {
		t.Fatal(err)
	}

	// erin's server refused the Accept of her follow, and the delivery gave up; it takes it now.
	for _, in := range []string{erin.Inbox(), erin.SharedInbox()} {
		rec.Respond(in, 0)
	}
	do("dead letters", chromedp.Navigate(a.base+"/admin/fediverse/dead"), chromedp.WaitVisible(`form[action=dead] button[aria-label]`))
	if got := text(t, ctx, `main table`); !strings.Contains(got, "strict.example") || !strings.Contains(got, "answered 403") {
		t.Errorf("dead letters page: %q, want the Accept erin's server refused", got)
	}
	screenshot(t, ctx, "08-dead-letters")
	do("replay", chromedp.Click(`form[action=dead] button[aria-label]`), chromedp.WaitNotPresent(`main table`))
	if _, err := rec.WaitFor(tctx, func(d activitypubtest.Delivery) bool {
		return strings.Contains(d.Inbox, "strict.example") && d.Status == http.StatusAccepted && d.Type == "Accept"
	}); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "09-dead-letters-replayed")

	do("audit", chromedp.Navigate(a.base+"/admin/fediverse/audit?direction=out"), chromedp.WaitVisible(`main table`))
	if got := text(t, ctx, `main table`); !strings.Contains(got, "replay") || !strings.Contains(got, "retry host") ||
		!strings.Contains(got, "hide reply") || !strings.Contains(got, "block") {
		t.Errorf("audit log of the site's own actions: %q", got)
	}
	screenshot(t, ctx, "10-audit")
}

// TestBrowserFedifyFollow has a real Fedify server follow @news (set FEDSITE_FEDIFY=1; CI does)
// while the editor has the overview open in a real, headless Chromium: once Fedify holds the
// verified Accept, the reloaded overview counts 1 follower of @news where it counted 0.
func TestBrowserFedifyFollow(t *testing.T) {
	peer, a, fctx := startWithFedify(t, 2*time.Minute)
	ctx := browse(t)
	browserLogin(t, ctx, a)
	if got := followersOf(t, ctx, "news"); got != "0" {
		t.Fatalf("@news has %s followers on the overview before Fedify's follow, want 0", got)
	}

	newsID := a.base + "/ap/users/news"
	followID, err := peer.Follow(fctx, newsID)
	if err != nil {
		t.Fatalf("Fedify follow: %v", err)
	}
	if _, doc := peer.WaitVerified(fctx, t, "Accept", newsID); doc.Object.ID() != followID {
		t.Fatalf("Accept object = %q, want the Follow %q", doc.Object.ID(), followID)
	}
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(`main table`)); err != nil {
		t.Fatal(err)
	}
	if got := followersOf(t, ctx, "news"); got != "1" {
		t.Errorf("@news has %s followers on the overview after Fedify's follow, want 1", got)
	}
	screenshot(t, ctx, "fedify-follow-overview")
}
