package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestRenderSampleArticles renders the newsroom's sample stories in both modes, as they would be
// published, and checks what each server will show (INTEROP §1.7, §2.2–§2.4): no summary, so no
// content warning anywhere; the title, the teaser and the link reach Mastodon readers.
func TestRenderSampleArticles(t *testing.T) {
	const base = "https://news.example.com"
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: base,
		Store:   memstore.New(),
		Actors: activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			return &activitypub.Actor{Username: name, Type: "Organization"}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	samples := sampleArticles()
	if len(samples) == 0 {
		t.Fatal("no sample articles")
	}
	for _, s := range samples {
		for _, mode := range []activitypub.Mode{activitypub.ModeArticle, activitypub.ModeNote} {
			t.Run(s.Slug+"/"+mode.String(), func(t *testing.T) {
				a := toArticle(base, s)
				a.Mode = mode
				obj, err := fed.Render(context.Background(), "news", a)
				if err != nil {
					t.Fatal(err)
				}
				url := base + s.Path()
				body := string(bodyHTML(s.Body, base))
				firstParagraph := body[:strings.Index(body, "</p>")+len("</p>")]
				checks := []struct {
					name string
					ok   bool
				}{
					{"id is the page", obj.ID == url},
					{"url is the page", obj.URLString() == url},
					{"no summary, so no content warning", obj.Summary == "" && !obj.Sensitive},
					{"public", obj.To.HasPublic()},
					{"cc followers", obj.Cc.Has(fed.ActorID("news") + "/followers")},
					{"published", obj.Published.Equal(s.Published)},
					{"language", obj.ContentMap["en"] == obj.Content},
				}
				if mode == activitypub.ModeArticle {
					preview := string(obj.Extra["preview"])
					checks = append(checks, []struct {
						name string
						ok   bool
					}{
						{"type Article", obj.Type.First() == "Article"},
						{"title in name (Mastodon's headline)", obj.Name == s.Title},
						{"whole body in content", strings.HasPrefix(obj.Content, body)},
						{"teaser in the preview", strings.Contains(preview, s.Summary)},
					}...)
				} else {
					checks = append(checks, []struct {
						name string
						ok   bool
					}{
						{"type Note", obj.Type.First() == "Note"},
						{"no name (GoToSocial's fallback warning)", obj.Name == ""},
						{"title in content", strings.Contains(obj.Content, "<strong>"+s.Title+"</strong>")},
						{"teaser in content", strings.Contains(obj.Content, s.Summary)},
						{"link in content", strings.Contains(obj.Content, `<a href="`+url+`">`)},
						{"body stays on the site", !strings.Contains(obj.Content, firstParagraph)},
					}...)
				}
				for _, c := range checks {
					if !c.ok {
						t.Errorf("%s: no, in %+v", c.name, obj)
					}
				}
			})
		}
	}
}

// TestPageHead checks the tags federate.go adds to the site's pages.
func TestPageHead(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	story := sampleArticles()[0]
	get := func(path string) string {
		resp, err := http.Get(a.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	article := get(story.Path())
	front := get("/")
	host := strings.TrimPrefix(a.base, "http://")
	checks := []struct {
		name, page, tag string
		want            bool
	}{
		{"alternate on the article", article, `<link rel="alternate" type="application/activity+json" href="` + a.base + story.Path() + `">`, true},
		{"creator (the writer) on the article", article, `<meta name="fediverse:creator" content="@dana-ortiz@` + host + `">`, true},
		{"rel=me on the article", article, `<link rel="me" href="` + a.base + `/">`, true},
		{"rel=me on the front page", front, `<link rel="me" href="` + a.base + `/">`, true},
		{"no alternate on the front page", front, `rel="alternate"`, false},
	}
	for _, c := range checks {
		if got := strings.Contains(c.page, c.tag); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
