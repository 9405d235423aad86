package main

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
)

// This file tests the newsroom as its readers and editors see it, in a browser and from fediverse
// servers: profiles with pictures and join dates, pinned stories, comments, hashtags, the handle to
// follow, and the editor's delivery report and delete confirmation.

// checkPage fails for each want missing from page and each dontWant in it.
func checkPage(t *testing.T, name, page string, want, dontWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %s", name, w)
		}
	}
	for _, w := range dontWant {
		if strings.Contains(page, w) {
			t.Errorf("%s has %s", name, w)
		}
	}
}

// TestActorProfiles checks what GoToSocial and Mastodon show of @news and the writers: an avatar
// and a header the site serves as PNG, and a join date.
func TestActorProfiles(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	tests := []struct {
		actor, icon string
		joined      time.Time
	}{
		{"news", "/static/news.png", newsJoined},
		{"dana-ortiz", "/static/dana-ortiz.png", time.Date(2025, 2, 3, 9, 0, 0, 0, time.UTC)},
		{"sam-lee", "/static/sam-lee.png", time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.actor, func(t *testing.T) {
			doc := a.as2(t, a.base+"/ap/users/"+tt.actor)
			if !doc.Published.Equal(tt.joined) {
				t.Errorf("published = %v, want %v", doc.Published, tt.joined)
			}
			for _, img := range []struct {
				name string
				refs vocab.Refs
				want string
			}{{"icon", doc.Icon, a.base + tt.icon}, {"image", doc.Image, a.base + "/static/header.png"}} {
				if len(img.refs) != 1 || img.refs[0].Object == nil || !img.refs[0].Object.Type.Has("Image") ||
					img.refs[0].Object.URLString() != img.want || img.refs[0].Object.MediaType != "image/png" {
					t.Errorf("%s = %+v, want a PNG Image at %s", img.name, img.refs, img.want)
					continue
				}
				resp, err := http.Get(img.want)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || len(body) < 100 || len(body) > 16<<10 {
					t.Errorf("GET %s: status %d, type %q, %d bytes", img.want, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
				}
			}
		})
	}
}

// TestNewsFeatured checks that @news pins its own latest stories, which GoToSocial shows on its
// profile instead of the outbox, and not the writers' stories it boosts.
func TestNewsFeatured(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	pinned := func() []string {
		var ids []string
		for _, it := range a.as2(t, a.base+"/ap/users/news/featured").OrderedItems {
			if it.Object == nil {
				t.Errorf("pinned %s is not embedded", it.ID())
			}
			ids = append(ids, it.ID())
		}
		return ids
	}
	own := a.base + sampleArticles()[2].Path() // the one sample story with no staff byline
	if got := pinned(); !slices.Equal(got, []string{own}) {
		t.Errorf("featured = %v, want [%s]", got, own)
	}
	c := a.editor(t)
	newer := a.publish(t, c, "Harbour crane removed", "The old harbour crane was taken down.") // byline Test Writer: @news's
	if got := pinned(); !slices.Equal(got, []string{newer, own}) {
		t.Errorf("featured after publishing = %v, want [%s %s]", got, newer, own)
	}
}

// TestCommentList checks that an article page shows each reply as a comment list does: the
// author's name linking to their profile, handle, picture and date, and a reply's content warning
// collapsed over its text.
func TestCommentList(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	articleURL := a.base + sampleArticles()[0].Path()
	ana := activitypubtest.NewRemote(t, "ana")
	ana.SetProfile("Ana Ribeiro", ana.URL()+"/media/ana.png")
	anon := activitypubtest.NewRemote(t, "anon") // no name, no picture
	for _, r := range []struct {
		remote *activitypubtest.Remote
		id     string
		note   map[string]any
	}{
		{ana, "/n1", map[string]any{"content": "<p>Finally a safe way to cycle to work.</p>", "published": "2026-11-20T11:30:00Z"}},
		{ana, "/n2", map[string]any{"content": "<p>The mayor resigns in chapter three.</p>", "summary": "Spoiler: the minutes",
			"sensitive": true, "published": "2026-11-20T12:45:00Z"}},
		{anon, "/n3", map[string]any{"content": "<p>First!</p>"}},
	} {
		id := r.remote.ActorID()
		r.note["id"], r.note["type"], r.note["attributedTo"], r.note["inReplyTo"] = id+r.id, "Note", id, articleURL
		resp := r.remote.Post(a.base+"/ap/inbox", map[string]any{"@context": vocab.ContextActivityStreams,
			"id": id + "/create" + r.id, "type": "Create", "actor": id, "object": r.note})
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("reply %s: status %d", r.id, resp.StatusCode)
		}
	}
	page := a.page(t, articleURL)
	anaHost := strings.TrimPrefix(ana.URL(), "http://")
	checkPage(t, "article page", page, []string{
		`<a class="author" href="` + ana.ActorID() + `" rel="nofollow noopener">Ana Ribeiro</a>`,
		`<span class="handle">@ana@` + anaHost + `</span>`,
		`<img class="avatar" src="` + ana.URL() + `/media/ana.png"`,
		`<time datetime="2026-11-20T11:30:00Z">20 November 2026, 11:30</time>`,
		`<details class="cw"><summary>Spoiler: the minutes <span class="show">(show)</span></summary>` + "\n" +
			`<div class="content"><p>The mayor resigns in chapter three.</p></div>` + "\n</details>",
		`<div class="content"><p>Finally a safe way to cycle to work.</p></div>`,
		// A reply whose author has no display name or picture shows the username and an initial.
		`<a class="author" href="` + anon.ActorID() + `" rel="nofollow noopener">anon</a>`,
		`<span class="avatar initial" aria-hidden="true">a</span>`,
	}, []string{
		// The warning text is not the reply's first visible line any more: it heads a closed <details>.
		`<details class="cw" open`,
	})
	// Oldest first, as a conversation reads.
	if i, j, k := strings.Index(page, "Finally a safe way"), strings.Index(page, "The mayor resigns"), strings.Index(page, "First!"); !(i < j && j < k) {
		t.Errorf("replies at %d, %d, %d: not oldest first", i, j, k)
	}
}

// TestFollowBox checks that the front page gives readers @news's handle and each writer's page
// the writer's, as selectable text with a copy button that only JavaScript shows.
func TestFollowBox(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	host := strings.TrimPrefix(a.base, "http://")
	for _, tt := range []struct{ path, handle, heading string }{
		{"/", "@news@" + host, "Follow us on the fediverse"},
		{"/authors/dana-ortiz", "@dana-ortiz@" + host, "Follow Dana Ortiz on the fediverse"},
		{"/authors/sam-lee", "@sam-lee@" + host, "Follow Sam Lee on the fediverse"},
	} {
		checkPage(t, tt.path, a.page(t, a.base+tt.path), []string{
			tt.heading,
			`<code class="handle">` + tt.handle + `</code>`,
			`<button type="button" class="copy" data-handle="` + tt.handle + `" hidden>Copy</button>`,
		}, nil)
	}
}

// TestHashtagsAndLinks publishes a story with tags in the form's field and #words and links in its
// body: the page links them, each tag has a page, and the fediverse gets Hashtag tags with
// absolute links.
func TestHashtagsAndLinks(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	c := a.editor(t)
	resp, err := c.PostForm(a.base+"/publish", url.Values{"title": {"Ferry fares frozen"}, "author": {"Staff"}, "tags": {"#Ferries, Budget"},
		"body": {"Fares stay at two euros, the #RiverCouncil decided.\n\nThe vote is in [the minutes](https://council.example/minutes?id=7&y=2026). See https://council.example/fares."}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	articleURL := resp.Request.URL.String()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/articles/") {
		t.Fatalf("publish: status %d at %s", resp.StatusCode, articleURL)
	}
	checkPage(t, "article page", a.page(t, articleURL), []string{
		`the <a href="/tags/rivercouncil" class="mention hashtag" rel="tag">#<span>RiverCouncil</span></a> decided.`,
		`<a href="https://council.example/minutes?id=7&amp;y=2026">the minutes</a>`,
		`See <a href="https://council.example/fares">https://council.example/fares</a>.</p>`,
		`<a href="/tags/ferries" rel="tag">#Ferries</a> <a href="/tags/budget" rel="tag">#Budget</a> <a href="/tags/rivercouncil" rel="tag">#RiverCouncil</a>`,
	}, nil)
	for _, tag := range []string{"ferries", "rivercouncil"} {
		checkPage(t, "tag page "+tag, a.page(t, a.base+"/tags/"+tag), []string{`<a href="/articles/`, "Ferry fares frozen"}, nil)
	}
	obj := a.as2(t, articleURL)
	var tags []string
	for _, tag := range obj.Tag {
		if tag.Object != nil && tag.Object.Type.Has("Hashtag") {
			tags = append(tags, tag.Object.Name+" "+tag.Object.Href)
		}
	}
	if want := []string{"#Ferries " + a.base + "/tags/ferries", "#Budget " + a.base + "/tags/budget",
		"#RiverCouncil " + a.base + "/tags/rivercouncil"}; !slices.Equal(tags, want) {
		t.Errorf("Hashtag tags = %q, want %q", tags, want)
	}
	checkPage(t, "AS2 content", obj.Content, []string{
		`<a href="` + a.base + `/tags/rivercouncil" class="mention hashtag" rel="tag">#<span>RiverCouncil</span></a>`,
		`<a href="https://council.example/minutes?id=7&amp;y=2026">the minutes</a>`,
	}, []string{`href="/tags/`})

	// A tag that is not a hashtag is refused, and nothing is published.
	resp, err = c.PostForm(a.base+"/publish", url.Values{"title": {"Bad tags"}, "body": {"Text."}, "tags": {"river-path"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "is not a hashtag") {
		t.Errorf("bad tag: status %d", resp.StatusCode)
	}
}

// TestEditorView checks what the editor sees under an article: how many servers the federation
// reached, and a delete that asks for confirmation (without JavaScript) before it deletes.
func TestEditorView(t *testing.T) {
	rec := activitypubtest.NewRecorder()
	a := startAppIn(t, t.TempDir(), "", rec)
	if _, err := rec.NewAccount("reader").Follow(t.Context(), a.base+"/ap/users/news"); err != nil {
		t.Fatal(err)
	}
	editor := a.editor(t)
	articleURL := a.publish(t, editor, "Night buses return", "The night buses run again from Friday.")
	activitypubtest.Created(t, rec, articleURL)

	// Once the federation has settled, the delivery is recorded, as the editor's view shows.
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	page := a.editorPage(t, editor, articleURL)
	checkPage(t, "editor's view", page, []string{"Delivered to 1 of 1 servers.", `<a class="button danger" href="/articles/`}, nil)
	checkPage(t, "reader's view", a.page(t, articleURL), nil, []string{"Delivered to", "Delete the article"})
	// A sample story, never federated, says so.
	checkPage(t, "editor's view of a sample", a.editorPage(t, editor, a.base+sampleArticles()[1].Path()),
		[]string{"Not sent to any server yet"}, nil)

	// Delete asks first: the confirmation page, then a POST with confirm=yes.
	confirm := a.editorPage(t, editor, articleURL+"/delete")
	checkPage(t, "confirmation page", confirm, []string{"Delete “Night buses return”?",
		`<input type="hidden" name="confirm" value="yes">`, `<a href="/articles/`}, nil)
	a.post(t, editor, articleURL+"/delete", nil, articleURL+"/delete") // not confirmed: back to the question
	if page := a.editorPage(t, editor, articleURL); !strings.Contains(page, "Night buses return") {
		t.Fatal("the article was deleted without confirmation")
	}
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, d := range rec.Sent() {
		if d.Type == "Delete" {
			t.Fatal("a Delete was sent without confirmation")
		}
	}
	a.post(t, editor, articleURL+"/delete", url.Values{"confirm": {"yes"}}, a.base+"/")
	activitypubtest.Delivered(t, rec, "Delete", articleURL)

	// Readers cannot reach the confirmation page.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(a.base + sampleArticles()[0].Path() + "/delete")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("anonymous GET of the confirmation: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// editorPage GETs a page as the editor.
func (a *app) editorPage(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", u, resp.StatusCode)
	}
	return string(b)
}
