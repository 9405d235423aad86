package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
)

// TestWhoMayPublishAsWhom publishes through the form as each login for each actor: the managing
// editor as anyone, the sports editor as @sports and as himself, a writer as herself only. A
// refused story answers 403 with the reason, and is neither kept by the site nor sent.
func TestWhoMayPublishAsWhom(t *testing.T) {
	dir := t.TempDir()
	rec := activitypubtest.NewRecorder()
	a := startAppIn(t, dir, "", rec)
	reader := rec.NewAccount("reader")
	for _, actor := range []string{"news", "sports", "sam-lee", "dana-ortiz"} {
		if _, err := reader.Follow(t.Context(), a.base+"/ap/users/"+actor); err != nil {
			t.Fatal(err)
		}
	}
	// Each actor's byline and desk on the form.
	as := map[string]url.Values{
		"news":       {"author": {"Wire Service"}},
		"sports":     {"author": {"Sports Desk"}, "desk": {"sports"}},
		"sam-lee":    {"author": {"Sam Lee"}},
		"dana-ortiz": {"author": {"Dana Ortiz"}, "desk": {"sports"}}, // the byline wins over the desk
	}
	logins := map[string]*http.Client{
		"editor": a.editor(t),
		"sam":    a.login(t, "sam", testStaffPassword),
		"dana":   a.login(t, "dana", testStaffPassword),
	}
	tests := []struct {
		user, actor string
		allowed     bool
	}{
		{"editor", "news", true}, {"editor", "sports", true}, {"editor", "sam-lee", true}, {"editor", "dana-ortiz", true},
		{"sam", "news", false}, {"sam", "sports", true}, {"sam", "sam-lee", true}, {"sam", "dana-ortiz", false},
		{"dana", "news", false}, {"dana", "sports", false}, {"dana", "sam-lee", false}, {"dana", "dana-ortiz", true},
	}
	for _, tt := range tests {
		title := "Story by " + tt.user + " as " + tt.actor
		form := url.Values{"title": {title}, "body": {"Text."}}
		for k, v := range as[tt.actor] {
			form[k] = v
		}
		resp, err := logins[tt.user].PostForm(a.base+"/publish", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case tt.allowed && (resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/articles/")):
			t.Errorf("%s as @%s: status %d at %s, want the article", tt.user, tt.actor, resp.StatusCode, resp.Request.URL.Path)
		case !tt.allowed && resp.StatusCode != http.StatusForbidden:
			t.Errorf("%s as @%s: status %d, want 403", tt.user, tt.actor, resp.StatusCode)
		case !tt.allowed && !strings.Contains(string(body), tt.user+" may not publish as "):
			t.Errorf("%s as @%s: the 403 page does not say why:\n%s", tt.user, tt.actor, body)
		}
	}
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	created := map[string]string{} // title → the actor of its Create
	for _, d := range rec.Sent() {
		if d.Type == "Create" && d.Object != nil {
			created[d.Object.Name] = strings.TrimPrefix(d.Actor, a.base+"/ap/users/")
		}
	}
	saved, err := os.ReadFile(filepath.Join(dir, "articles.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		title := "Story by " + tt.user + " as " + tt.actor
		by, sent := created[title]
		switch {
		case tt.allowed && by != tt.actor:
			t.Errorf("%q: Create sent by @%s (sent: %v), want @%s", title, by, sent, tt.actor)
		case !tt.allowed && sent:
			t.Errorf("%q: refused, yet sent by @%s", title, by)
		}
		if kept := strings.Contains(string(saved), title); kept != tt.allowed {
			t.Errorf("%q: kept by the site = %v, want %v", title, kept, tt.allowed)
		}
	}
}

// TestWhoMayChangeAndRead: edits and deletions follow the same roles as publishing, and the
// editors' inbox of an actor opens only to those who may act as it — there Config.Authorize
// itself refuses, through Federation.Mentions.
func TestWhoMayChangeAndRead(t *testing.T) {
	rec := activitypubtest.NewRecorder()
	a := startAppIn(t, t.TempDir(), "", rec)
	if _, err := rec.NewAccount("reader").Follow(t.Context(), a.base+"/ap/users/news"); err != nil {
		t.Fatal(err)
	}
	sam, dana := a.login(t, "sam", testStaffPassword), a.login(t, "dana", testStaffPassword)
	samples := sampleArticles() // Dana's, Sam's, then @news's own
	tests := []struct {
		name   string
		client *http.Client
		path   string
		form   url.Values // nil: GET
		want   int
	}{
		{"sam edits his story", sam, samples[1].Path() + "/edit", url.Values{"title": {"Library open late"}}, http.StatusOK},
		{"sam edits a @news story", sam, samples[2].Path() + "/edit", url.Values{"title": {"Ferry"}}, http.StatusForbidden},
		{"dana deletes a @news story", dana, samples[2].Path() + "/delete", url.Values{"confirm": {"yes"}}, http.StatusForbidden},
		{"dana deletes Sam's story", dana, samples[1].Path() + "/delete", url.Values{"confirm": {"yes"}}, http.StatusForbidden},
		{"sam reads @sports's inbox", sam, "/inbox?actor=sports", nil, http.StatusOK},
		{"sam reads @news's inbox", sam, "/inbox?actor=news", nil, http.StatusForbidden},
		{"dana reads @sports's inbox", dana, "/inbox?actor=sports", nil, http.StatusForbidden},
		{"dana reads her inbox", dana, "/inbox?actor=dana-ortiz", nil, http.StatusOK},
		{"the editor reads @news's inbox", a.editor(t), "/inbox?actor=news", nil, http.StatusOK},
	}
	for _, tt := range tests {
		var resp *http.Response
		var err error
		if tt.form == nil {
			resp, err = tt.client.Get(a.base + tt.path)
		} else {
			resp, err = tt.client.PostForm(a.base+tt.path, tt.form)
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d: %s", tt.name, resp.StatusCode, tt.want, body)
		}
		if tt.want == http.StatusForbidden && !strings.Contains(string(body), " may not ") {
			t.Errorf("%s: the 403 does not say why: %s", tt.name, body)
		}
	}
	for _, s := range samples {
		if !a.serves(t, s.Slug) {
			t.Errorf("%s was deleted", s.Slug)
		}
	}
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, d := range rec.Sent() {
		if d.Type == "Update" || d.Type == "Delete" {
			if d.ObjectID != a.base+samples[1].Path() {
				t.Errorf("%s of %s sent; only Sam's own story was changed", d.Type, d.ObjectID)
			}
		}
	}
}

// serves reports whether the site still serves the article with that slug.
func (a *app) serves(t *testing.T, slug string) bool {
	t.Helper()
	resp, err := http.Get(a.base + "/articles/" + slug)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
