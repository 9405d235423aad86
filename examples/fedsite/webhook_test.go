package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
)

const testSecret = "the webhook_secret" // as in the README's curl example

// hookServer serves the sidecar's handler on loopback, as the CMS reaches it.
func hookServer(t *testing.T, r *running) string {
	t.Helper()
	srv := httptest.NewServer(r.sc.handler)
	t.Cleanup(srv.Close)
	return srv.URL + hookPath
}

// sign returns the fedsite signature headers of body made at at with secret.
func sign(secret string, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return http.Header{
		"Content-Type":      {"application/json"},
		hookTimestampHeader: {ts},
		hookSignatureHeader: {"sha256=" + hex.EncodeToString(mac.Sum(nil))},
	}
}

// signGhost returns Ghost's signature header of body made at at with secret.
func signGhost(secret string, at time.Time, body []byte) http.Header {
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	mac.Write([]byte(ms))
	return http.Header{
		"Content-Type":       {"application/json"},
		ghostSignatureHeader: {fmt.Sprintf("sha256=%s, t=%s", hex.EncodeToString(mac.Sum(nil)), ms)},
	}
}

// post sends body with the headers to the webhook and returns the status and the body.
func post(t *testing.T, method, hook string, h http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, hook, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("answer's Content-Type %q, want application/json", ct)
	}
	return resp.StatusCode, string(b)
}

// startHooked runs a sidecar with the webhook, over an empty feed already polled, followed by
// one reader, and returns its site and a CMS calling its webhook.
func startHooked(t *testing.T) (*feedSite, *running, *hookClient) {
	t.Helper()
	fs := newFeedSite(t)
	fs.set(fs.rss())
	r := startWith(t, fs, t.TempDir(), func(c *config) { c.WebhookSecret = testSecret })
	r.follow(t, "reader@social.example")
	r.mustPoll(t)
	return fs, r, &hookClient{url: hookServer(t, r), start: time.Now()}
}

// hookClient is a CMS calling the webhook; each request is signed a second before the last, from
// when it started, so that two identical requests are two requests, not a replay.
type hookClient struct {
	url   string
	start time.Time
	n     int
}

// send signs the payload and posts it, checking the status.
func (c *hookClient) send(t *testing.T, p map[string]any, want int) string {
	t.Helper()
	body, _ := json.Marshal(p)
	c.n++
	code, resp := post(t, http.MethodPost, c.url, sign(testSecret, c.start.Add(-time.Duration(c.n)*time.Second), body), body)
	if code != want {
		t.Fatalf("webhook %v: %d %s, want %d", p, code, resp, want)
	}
	return resp
}

// TestWebhookRefuses: every bad request is answered with its status and a JSON reason, and
// nothing is stored or sent.
func TestWebhookRefuses(t *testing.T) {
	fs := newFeedSite(t)
	fs.set(fs.rss())
	dir := t.TempDir()
	r := startWith(t, fs, dir, func(c *config) { c.WebhookSecret = testSecret })
	r.follow(t, "reader@social.example")
	hook := hookServer(t, r)
	writes := r.writes.Load()
	article := func(action string) []byte {
		b, _ := json.Marshal(map[string]any{"action": action, "url": fs.srv.URL + "/articles/x", "title": "X", "html": "<p>x</p>"})
		return b
	}
	good := article("publish")
	replayed := sign(testSecret, time.Now(), article("delete"))
	post(t, http.MethodPost, hook, replayed, article("delete")) // 404: never published; the signature is spent
	for _, tc := range []struct {
		name   string
		method string
		header http.Header
		body   []byte
		status int
		reason string
	}{
		{"unsigned", "POST", http.Header{"Content-Type": {"application/json"}}, good, 401, "unsigned"},
		{"bad signature", "POST", sign("another secret", time.Now(), good), good, 401, "bad signature"},
		{"body changed", "POST", sign(testSecret, time.Now(), good), article("update"), 401, "bad signature"},
		{"stale", "POST", sign(testSecret, time.Now().Add(-6*time.Minute), good), good, 401, "stale"},
		{"from the future", "POST", sign(testSecret, time.Now().Add(6*time.Minute), good), good, 401, "stale"},
		{"replayed", "POST", replayed, article("delete"), 409, "replayed"},
		{"bad Ghost signature", "POST", signGhost("another secret", time.Now(), good), good, 401, "bad signature"},
		{"Ghost header malformed", "POST", http.Header{"Content-Type": {"application/json"}, ghostSignatureHeader: {"sha256=zz"}}, good, 401, "X-Ghost-Signature"},
		{"not JSON", "POST", func() http.Header {
			h := sign(testSecret, time.Now(), good)
			h.Set("Content-Type", "text/plain")
			return h
		}(), good, 415, "Content-Type"},
		{"GET", "GET", sign(testSecret, time.Now(), nil), nil, 405, "want POST"},
		{"oversized", "POST", nil, []byte(`{"action":"publish","html":"` + strings.Repeat("x", 1<<12) + `"}`), 413, "body over 4096 bytes"},
		{"malformed JSON", "POST", nil, []byte(`{"action":"publish",`), 400, "malformed JSON"},
		{"unknown field", "POST", nil, []byte(`{"action":"publish","url":"u","titel":"X"}`), 400, "unknown field"},
		{"two values", "POST", nil, []byte(`{"action":"publish"} {}`), 400, "more than one value"},
		{"unknown action", "POST", nil, article("announce"), 422, `unknown action "announce"`},
		{"no url", "POST", nil, []byte(`{"action":"publish","title":"X"}`), 422, `"url" is required`},
		{"no title", "POST", nil, []byte(`{"action":"publish","url":"` + fs.srv.URL + `/articles/x"}`), 422, `"title" is required`},
		{"off the site", "POST", nil, []byte(`{"action":"publish","url":"https://elsewhere.example/a","title":"X"}`), 422, "elsewhere.example"},
		{"update of an unknown article", "POST", nil, article("update"), 404, "never published"},
		{"five images", "POST", nil, []byte(`{"action":"publish","url":"` + fs.srv.URL + `/articles/x","title":"X","images":[` +
			strings.TrimSuffix(strings.Repeat(`{"url":"`+fs.srv.URL+`/a.png"},`, 5), ",") + `]}`), 422, "Images"},
		{"Ghost payload not a post", "POST", nil, []byte(`{"page":{}}`), 422, "not a Ghost post"}, // signed below as Ghost

	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = sign(testSecret, time.Now(), tc.body)
				if strings.HasPrefix(tc.name, "Ghost") {
					h = signGhost(testSecret, time.Now(), tc.body)
				}
			}
			code, resp := post(t, tc.method, hook, h, tc.body)
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(resp), &e); err != nil || code != tc.status || !strings.Contains(e.Error, tc.reason) {
				t.Errorf("%d %s, want %d and an error saying %q", code, resp, tc.status, tc.reason)
			}
		})
	}
	if n := r.writes.Load() - writes; n != 0 {
		t.Errorf("%d writes to the federation's store, want none", n)
	}
	if s := r.sent(); len(s) != 0 {
		t.Errorf("sent %q, want nothing", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.json")); err == nil {
		t.Error("a refused webhook wrote the state file")
	}
}

// TestWebhookLifecycle: a publish sends a Create, the same publish again nothing, an update with
// a change an Update, a delete a Delete; the deleted URL is never published again.
func TestWebhookLifecycle(t *testing.T) {
	fs, r, hook := startHooked(t)
	u := fs.srv.URL + "/articles/w"
	p := map[string]any{"action": "publish", "url": u, "title": "Bridge reopens", "summary": "Open again.",
		"html": "<p>The bridge is open.</p>", "tags": []string{"Local News"}, "language": "en",
		"images": []map[string]string{{"url": fs.srv.URL + "/bridge.jpg", "alt": "The bridge at dawn"}}}
	for _, step := range []struct {
		change func()
		status int
		answer string
		sent   []string
	}{
		{func() {}, 200, `"status":"published"`, []string{"Create " + u}},
		{func() {}, 200, `"status":"unchanged"`, []string{"Create " + u}},
		{func() { p["html"] = "<p>The bridge is open again.</p>" }, 200, `"status":"updated"`, []string{"Create " + u, "Update " + u}},
		{func() { p["action"] = "update" }, 200, `"status":"unchanged"`, []string{"Create " + u, "Update " + u}},
		{func() { p = map[string]any{"action": "delete", "url": u} }, 200, `"status":"deleted"`, []string{"Create " + u, "Update " + u, "Delete " + u}},
		{func() {}, 200, `"status":"deleted"`, []string{"Create " + u, "Update " + u, "Delete " + u}},
		{func() { p = map[string]any{"action": "publish", "url": u, "title": "Again"} }, 410, "never published again", []string{"Create " + u, "Update " + u, "Delete " + u}},
	} {
		step.change()
		if resp := hook.send(t, p, step.status); !strings.Contains(resp, step.answer) {
			t.Errorf("%v: answer %s, want %s", p, resp, step.answer)
		}
		if err := r.rec.Settle(t.Context()); err != nil {
			t.Fatal(err)
		}
		if s := r.sent(); strings.Join(s, ",") != strings.Join(step.sent, ",") {
			t.Fatalf("%v: sent %q, want %q", p, s, step.sent)
		}
	}
	c := activitypubtest.Delivered(t, r.rec, "Create", u)
	if c.Object.Name != "Bridge reopens" || len(c.Object.Attachment) != 1 || !strings.Contains(c.Object.Content, "LocalNews") {
		t.Errorf("the Create carries %+v", c.Object)
	}
}

// TestFeedAndWebhookFederateOnce: an article the feed published and the webhook then sends is
// recorded, not sent again; one the webhook published and the feed then lists is not sent again
// either, nor updated for the feed's different rendering of it.
func TestFeedAndWebhookFederateOnce(t *testing.T) {
	fs, r, hook := startHooked(t)

	a := item{"a", "Bridge reopens", "<p>The bridge is open.</p>", day1}
	fs.set(fs.rss(a))
	r.mustPoll(t)
	hook.send(t, map[string]any{"action": "publish", "url": fs.srv.URL + "/articles/a", "title": "Bridge reopens", "html": "<p>Longer body from the CMS.</p>"}, 200)
	hook.send(t, map[string]any{"action": "publish", "url": fs.srv.URL + "/articles/b", "title": "Market day", "html": "<p>Stalls.</p>"}, 200)
	fs.set(fs.rss(item{"b", "Market day", "<p>Stalls, from the feed.</p>", day2}, a))
	r.mustPoll(t)
	r.mustPoll(t)
	want := []string{"Create " + fs.srv.URL + "/articles/a", "Create " + fs.srv.URL + "/articles/b"}
	if s := r.sent(); strings.Join(s, ",") != strings.Join(want, ",") {
		t.Errorf("sent %q, want %q: each article once", s, want)
	}
}

// TestWebhookGhost: a Ghost post webhook, signed Ghost's way, publishes the post; an edit updates
// it and unpublishing deletes it.
func TestWebhookGhost(t *testing.T) {
	fs, r, client := startHooked(t)
	hook := client.url
	u := fs.srv.URL + "/bridge-reopens/"
	published := fmt.Sprintf(`{"post":{"current":{"id":"1","uuid":"u","title":"Bridge reopens","slug":"bridge-reopens","html":"<p>Open.</p>","status":"published","visibility":"public","url":%q,"published_at":"2026-12-05T10:00:00.000Z","custom_excerpt":null,"excerpt":"Open.","feature_image":"%s/content/images/bridge.jpg","feature_image_alt":"The bridge","tags":[{"name":"Local News"},{"name":"#internal"}],"primary_author":{"name":"Jane Doe"}},"previous":{"status":"draft","published_at":null}}}`, u, fs.srv.URL)
	edited := strings.Replace(strings.Replace(published, "<p>Open.</p>", "<p>Open again.</p>", 1), `"previous":{"status":"draft","published_at":null}`, `"previous":{"html":"<p>Open.</p>","updated_at":"2026-12-05T10:00:00.000Z"}`, 1)
	unpublished := fmt.Sprintf(`{"post":{"current":{"status":"draft","url":%q},"previous":{"status":"published"}}}`, u)
	for i, body := range []string{published, edited, unpublished} {
		code, resp := post(t, http.MethodPost, hook, signGhost(testSecret, time.Now(), []byte(body)), []byte(body))
		if code != http.StatusOK {
			t.Fatalf("Ghost webhook %d: %d %s", i, code, resp)
		}
	}
	if err := r.rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"Create " + u, "Update " + u, "Delete " + u}
	if s := r.sent(); strings.Join(s, ",") != strings.Join(want, ",") {
		t.Errorf("sent %q, want %q", s, want)
	}
	c := activitypubtest.Delivered(t, r.rec, "Create", u)
	if !strings.Contains(c.Object.Content, "LocalNews") || strings.Contains(c.Object.Content, "internal") || len(c.Object.Attachment) != 1 {
		t.Errorf("content %s, %d attachments: want the LocalNews hashtag, not Ghost's internal tag, and the feature image", c.Object.Content, len(c.Object.Attachment))
	}
}
