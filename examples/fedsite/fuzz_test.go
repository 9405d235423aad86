package main

import (
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPayloads reads the real-shaped payloads of testdata as the webhook does.
func TestPayloads(t *testing.T) {
	for _, tc := range []struct {
		name string
		read func([]byte) (hookPayload, error)
		want hookPayload
	}{
		{"fedsite-publish.json", decodePayload, hookPayload{Action: "publish", URL: "https://example.com/2026/12/bridge-reopens",
			Title: "Bridge reopens after a year", Summary: "Open again, a year after the flood.", HTML: "<p>The bridge over the river is open again.</p>",
			Author: "jane@example.com", Tags: []string{"Local News", "Transport"}, Language: "en", Published: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC),
			Images: []hookImage{{URL: "https://example.com/media/bridge.jpg", Alt: "The bridge at dawn", Type: "image/jpeg"}}}},
		{"ghost-post-published.json", ghostPayload, hookPayload{Action: "publish", URL: "https://example.com/bridge-reopens/",
			Title: "Bridge reopens after a year", Summary: "Open again, a year after the flood.",
			HTML:   `<p>The bridge over the river is open again.</p><figure class="kg-card kg-image-card"><img src="https://example.com/content/images/2026/12/crowd.jpg" alt="A crowd on the bridge"></figure>`,
			Author: "jane@example.com", Tags: []string{"Local News"}, Published: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC),
			Images: []hookImage{{URL: "https://example.com/content/images/2026/12/bridge.jpg", Alt: "The bridge at dawn"}}}},
		{"ghost-post-deleted.json", ghostPayload, hookPayload{Action: "delete", URL: "https://example.com/bridge-reopens/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.read(readTestdata(t, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if got.Action != tc.want.Action || got.URL != tc.want.URL || got.Title != tc.want.Title || got.Summary != tc.want.Summary ||
				got.HTML != tc.want.HTML || got.Author != tc.want.Author || !slices.Equal(got.Tags, tc.want.Tags) ||
				!slices.Equal(got.Images, tc.want.Images) || got.Language != tc.want.Language || !got.Published.Equal(tc.want.Published) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	base, _ := url.Parse("https://example.com/2026/12/bridge-reopens")
	m := openGraph(strings.NewReader(string(readTestdata(t, "article-page.html"))), base)
	if m.Image != "https://example.com/wp-content/uploads/2026/12/bridge-1200x630.jpg" || m.Description != "Open again, a year after the flood." {
		t.Errorf("Open Graph %+v", m)
	}
}

// FuzzWebhookBody: any body, read as a fedsite or a Ghost webhook, gives a payload or a refusal
// with a client status, never a panic.
func FuzzWebhookBody(f *testing.F) {
	for _, name := range []string{"fedsite-publish.json", "ghost-post-published.json", "ghost-post-deleted.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"post":null}`))
	f.Add([]byte(`{"action":"publish"} {}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, read := range []func([]byte) (hookPayload, error){decodePayload, ghostPayload} {
			if _, err := read(body); err != nil {
				if he, ok := err.(*hookError); !ok || he.status < 400 || he.status >= 500 {
					t.Errorf("error %v: want a *hookError with a 4xx status", err)
				}
			}
		}
	})
}

// FuzzSignatureHeaders: the signature headers parse to a 32-byte digest or an error.
func FuzzSignatureHeaders(f *testing.F) {
	f.Add("sha256=0fe9d7f1a6d1e54b2c2c1a0f7b1e0d4b9a1f3c5e7d9b2a4c6e8f0a1b3c5d7e9f, t=1764928800000")
	f.Add("t=1764928800000,sha256=00")
	f.Add("sha256=, t=")
	f.Fuzz(func(t *testing.T, s string) {
		if sig, _, err := parseGhostSignature(s); err == nil && len(sig) != 32 {
			t.Errorf("%q: a %d-byte digest", s, len(sig))
		}
		if sig, err := parseSHA256(s); err == nil && len(sig) != 32 {
			t.Errorf("%q: a %d-byte digest", s, len(sig))
		}
	})
}

// FuzzOpenGraph: any page gives Open Graph values, an image only as an absolute http(s) URL.
func FuzzOpenGraph(f *testing.F) {
	f.Add(readTestdata(f, "article-page.html"))
	f.Add([]byte(`<meta property="og:image" content="javascript:alert(1)"><meta property=og:image content=//x/y.png>`))
	base, _ := url.Parse("https://example.com/a/b")
	f.Fuzz(func(t *testing.T, page []byte) {
		m := openGraph(strings.NewReader(string(page)), base)
		if m.Image != "" && !strings.HasPrefix(m.Image, "https://") && !strings.HasPrefix(m.Image, "http://") {
			t.Errorf("image %q", m.Image)
		}
	})
}

// FuzzConfig: any config file parses or gives an error, never a panic.
func FuzzConfig(f *testing.F) {
	f.Add(readTestdata(f, "../fedsite.example.toml"))
	f.Add([]byte("base_url = \"https://example.com\"\n[[feeds]]\nurl = \"https://example.com/f\"\ninterval = \"1h\"\n[authors]\n\"A\" = \"news\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseConfig("fuzz.toml", b)
		if err == nil {
			c.check() // checks, never panics
		}
	})
}

// TestGhostStatusMapping: Ghost's events map to the right actions.
func TestGhostStatusMapping(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"post":{"current":{"status":"published","url":"u","title":"T"},"previous":{"status":"draft"}}}`, "publish"},
		{`{"post":{"current":{"status":"published","url":"u","title":"T"},"previous":{"status":"scheduled"}}}`, "publish"},
		{`{"post":{"current":{"status":"published","url":"u","title":"T"},"previous":{"html":"<p>old</p>"}}}`, "update"},
		{`{"post":{"current":{"status":"published","visibility":"paid","url":"u","title":"T"},"previous":{"visibility":"public"}}}`, "delete"},
		{`{"post":{"current":{"status":"draft","url":"u"},"previous":{"status":"published"}}}`, "delete"},
		{`{"post":{"current":{},"previous":{"status":"published","url":"u"}}}`, "delete"},
	} {
		p, err := ghostPayload([]byte(tc.body))
		if err != nil || p.Action != tc.want || p.URL != "u" {
			t.Errorf("%s: %+v %v, want %s of u", tc.body, p, err, tc.want)
		}
	}
	if _, err := ghostPayload([]byte(`{"post":`)); err == nil || err.(*hookError).status != http.StatusBadRequest {
		t.Errorf("malformed: %v, want 400", err)
	}
}
