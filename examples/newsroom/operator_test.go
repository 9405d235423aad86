package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestOperatorPages checks the operator pages at /admin/fediverse: anyone not logged in is sent
// to the login (a form POST is refused) and blocks nothing; the editor reaches the overview from
// the navigation and blocks a server with its form.
func TestOperatorPages(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	anon := &http.Client{CheckRedirect: noRedirect}
	for _, path := range []string{"/admin/fediverse/", "/admin/fediverse/moderation", "/admin/fediverse/mentions"} {
		resp, err := anon.Get(a.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login" {
			t.Errorf("anonymous GET %s: status %d to %q, want 303 to /login", path, resp.StatusCode, loc)
		}
	}
	// The path without its final slash leads to the login too.
	resp, err := (&http.Client{}).Get(a.base + "/admin/fediverse")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Errorf("anonymous GET /admin/fediverse ends at %s, want /login", resp.Request.URL.Path)
	}
	form := url.Values{"action": {"block"}, "kind": {"domain"}, "target": {"evil.example"}}
	resp, err = anon.PostForm(a.base+"/admin/fediverse/moderation", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous POST: status %d, want 401", resp.StatusCode)
	}

	ed := a.editor(t)
	read := func(path string) string {
		t.Helper()
		resp, err := ed.Get(a.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d: %s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	if front := read("/"); !strings.Contains(front, `<a href="/admin/fediverse/">Fediverse</a>`) {
		t.Error("the navigation has no link to the operator pages")
	}
	host := strings.TrimPrefix(a.base, "http://")
	hostname, _, _ := strings.Cut(host, ":")
	overview := read("/admin/fediverse/")
	for _, want := range []string{"Signed in as editor", `<th scope="row">news</th><td>@news@` + hostname, `<th scope="row">dana-ortiz</th>`} {
		if !strings.Contains(overview, want) {
			t.Errorf("overview lacks %q:\n%s", want, overview)
		}
	}
	m := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(read("/admin/fediverse/moderation"))
	if m == nil {
		t.Fatal("no form token on the moderation page")
	}
	form.Set("token", m[1])
	form.Set("reason", "spam")
	resp, err = ed.PostForm(a.base+"/admin/fediverse/moderation", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/admin/fediverse/moderation" ||
		!strings.Contains(string(body), `<th scope="row">evil.example</th><td>spam</td><td>editor</td>`) {
		t.Errorf("block: status %d at %s, want the moderation page listing the block:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
}
