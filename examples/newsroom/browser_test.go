package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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

// TestBrowserOperatorOverview logs in as the editor in a real, headless Chromium, without
// JavaScript on the pages' side, follows the navigation to the operator pages and reads the
// overview.
func TestBrowserOperatorOverview(t *testing.T) {
	path := chromium(t)
	a := startApp(t, t.TempDir(), "")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("metrics-recording-only", true),
		chromedp.UserDataDir(t.TempDir()))
	// The bound only keeps a stuck browser from hanging the run; the steps take well under a second.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	defer cancelBrowser()

	err := chromedp.Do(ctx,
		chromedp.Navigate(a.base+"/admin/fediverse/"),
		chromedp.WaitVisible(`input[name=password]`), // sent to the login
		chromedp.SendKeys(`input[name=password]`, testPassword),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`a[href="/admin/fediverse/"]`),
		chromedp.Click(`a[href="/admin/fediverse/"]`),
		chromedp.WaitVisible(`main table`),
	)
	if err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(s)
	}
	heading, actors, signedIn := text(`main h1`), text(`main table`), text(`header p.meta`)
	if heading != "Fediverse overview" || signedIn != "Signed in as editor" {
		t.Errorf("heading %q, %q; want the overview for the editor", heading, signedIn)
	}
	for _, want := range []string{"news", "dana-ortiz", "Followers", "Posts"} {
		if !strings.Contains(actors, want) {
			t.Errorf("actors table lacks %q: %q", want, actors)
		}
	}
}
