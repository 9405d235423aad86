package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
)

// get GETs a page with client c (nil: an anonymous one that does not follow redirects) and
// returns the status, the Location and the body.
func (a *app) get(t *testing.T, c *http.Client, u string) (int, string, string) {
	t.Helper()
	if c == nil {
		c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// mentionBlocks splits an Inbox page into its posts.
var mentionBlocks = regexp.MustCompile(`(?s)<div class="mention[^"]*">.*?</div>`)

// inboxPosts GETs an actor's Inbox page as the editor and returns its posts' HTML, newest first.
func (a *app) inboxPosts(t *testing.T, editor *http.Client, actor string) []string {
	t.Helper()
	code, _, body := a.get(t, editor, a.base+"/inbox?actor="+actor)
	if code != http.StatusOK || !strings.Contains(body, "Inbox of @"+actor) {
		t.Fatalf("inbox of %s: status %d:\n%s", actor, code, body)
	}
	return mentionBlocks.FindAllString(body, -1)
}

// TestInboxPage has a fake fediverse server mention @news in public, write it a direct message
// and a writer a followers-only post: the editors' Inbox page lists each under its actor, the
// private ones marked private and sanitized, anonymous readers see none of it, and a deleted
// message goes away.
func TestInboxPage(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	carol := activitypubtest.NewRemote(t, "carol")
	carol.SetProfile("Carol Reader", carol.URL()+"/carol.png")
	c := carol.ActorID()
	news, dana := a.base+"/ap/users/news", a.base+"/ap/users/dana-ortiz"
	send := func(doc map[string]any) {
		t.Helper()
		doc["@context"], doc["actor"] = vocab.ContextActivityStreams, c
		if resp := carol.Post(a.base+"/ap/inbox", doc); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%v %v: inbox answered %d", doc["type"], doc["id"], resp.StatusCode)
		}
	}
	note := func(id, content string, to, cc []string, mention string) map[string]any {
		return map[string]any{"id": c + "/creates/" + id, "type": "Create", "object": map[string]any{"id": c + "/notes/" + id,
			"type": "Note", "attributedTo": c, "to": to, "cc": cc, "content": content, "url": carol.URL() + "/@carol/" + id,
			"tag": []any{map[string]any{"type": "Mention", "href": mention, "name": "@x"}}}}
	}
	send(note("1", "<p>@news the tram stop sign is wrong</p>", []string{vocab.PublicIRI}, []string{news}, news))
	send(note("2", `<p>Tip: the mayor resigns <script>alert(1)</script></p>`, []string{news}, nil, news))
	send(note("3", "<p>For Dana only</p>", []string{c + "/followers"}, []string{dana}, dana))

	// Anonymous readers are sent to the login page, and never see a post.
	code, loc, body := a.get(t, nil, a.base+"/inbox")
	if code != http.StatusSeeOther || loc != "/login" || strings.Contains(body, "mayor") {
		t.Errorf("anonymous GET /inbox: %d to %q, want 303 to /login:\n%s", code, loc, body)
	}

	editor := a.editor(t)
	posts := a.inboxPosts(t, editor, "news")
	if len(posts) != 2 {
		t.Fatalf("inbox of news has %d posts, want 2:\n%s", len(posts), strings.Join(posts, "\n"))
	}
	checks := []struct {
		name, post string
		want       []string
		dontWant   []string
	}{
		{"direct message", posts[0], []string{`class="mention private"`, "Private: direct message", "Tip: the mayor resigns",
			`href="` + carol.URL() + `/@carol/2"`, ">Carol Reader</a>", "@carol@" + strings.TrimPrefix(carol.URL(), "http://"),
			`src="` + carol.URL() + `/carol.png"`}, []string{"<script", "alert(1)"}},
		{"public mention", posts[1], []string{`class="mention"`, ">Public<", "the tram stop sign is wrong"}, []string{"Private"}},
	}
	for _, ck := range checks {
		for _, w := range ck.want {
			if !strings.Contains(ck.post, w) {
				t.Errorf("%s lacks %q:\n%s", ck.name, w, ck.post)
			}
		}
		for _, w := range ck.dontWant {
			if strings.Contains(ck.post, w) {
				t.Errorf("%s has %q:\n%s", ck.name, w, ck.post)
			}
		}
	}
	if posts := a.inboxPosts(t, editor, "dana-ortiz"); len(posts) != 1 ||
		!strings.Contains(posts[0], "Private: followers only") || !strings.Contains(posts[0], "For Dana only") {
		t.Errorf("inbox of dana-ortiz = %q, want the followers-only post, private", posts)
	}
	if code, _, _ := a.get(t, editor, a.base+"/inbox?actor=nobody"); code != http.StatusNotFound {
		t.Errorf("inbox of an unknown actor: status %d, want 404", code)
	}
	if code, _, _ := a.get(t, editor, a.base+"/inbox?cursor=not-a-cursor"); code != http.StatusBadRequest {
		t.Errorf("inbox with a bad cursor: status %d, want 400", code)
	}
	// The private post is on the editors' page only.
	if _, _, front := a.get(t, nil, a.base+"/"); strings.Contains(front, "mayor") {
		t.Error("the front page shows a direct message")
	}

	send(map[string]any{"id": c + "/deletes/2", "type": "Delete", "object": c + "/notes/2"})
	if posts := a.inboxPosts(t, editor, "news"); len(posts) != 1 || strings.Contains(posts[0], "mayor") {
		t.Errorf("after the Delete the inbox of news = %q, want the public mention only", posts)
	}
}

// TestFedifyMentions has a real Fedify server (set FEDSITE_FEDIFY=1) mention @news in a public
// post and write it a direct message: both reach the editors' Inbox page, the message marked
// private.
func TestFedifyMentions(t *testing.T) {
	peer, a, ctx := startWithFedify(t, 60*time.Second)
	newsID := a.base + "/ap/users/news"
	me := peer.ActorID()
	public := "https://www.w3.org/ns/activitystreams#Public"
	mention := map[string]any{"type": "Mention", "href": newsID, "name": "@news"}
	posts := []map[string]any{
		{"type": "Create", "id": me + "/creates/m1", "to": []string{public}, "cc": []string{newsID},
			"object": map[string]any{"type": "Note", "id": me + "/notes/m1", "attributedTo": me, "to": []string{public},
				"cc": []string{newsID}, "tag": []any{mention}, "content": "<p>@news the ferry timetable is out of date</p>"}},
		{"type": "Create", "id": me + "/creates/dm1", "to": []string{newsID},
			"object": map[string]any{"type": "Note", "id": me + "/notes/dm1", "attributedTo": me, "to": []string{newsID},
				"tag": []any{mention}, "content": `<p>Off the record: the budget vote moves <img src=x onerror=alert(1)>to Friday</p>`}},
	}
	for _, p := range posts {
		if _, err := peer.Send(ctx, newsID, p); err != nil {
			t.Fatalf("Fedify send %v: %v", p["id"], err)
		}
	}
	got := a.inboxPosts(t, a.editor(t), "news")
	if len(got) != 2 {
		t.Fatalf("inbox of news has %d posts, want 2:\n%s", len(got), strings.Join(got, "\n"))
	}
	dm, public1 := got[0], got[1]
	for _, w := range []string{"Private: direct message", "the budget vote moves", "to Friday", me} {
		if !strings.Contains(dm, w) {
			t.Errorf("direct message lacks %q:\n%s", w, dm)
		}
	}
	if strings.Contains(dm, "onerror") {
		t.Errorf("direct message is not sanitized:\n%s", dm)
	}
	for _, w := range []string{">Public<", "the ferry timetable is out of date"} {
		if !strings.Contains(public1, w) {
			t.Errorf("public mention lacks %q:\n%s", w, public1)
		}
	}
}
