package activitypub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// mentionSite is a test site with the actors news and desk, the hooks of log and one published
// article.
func mentionSite(t *testing.T, log *hookLog) (*site, string) {
	t.Helper()
	s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) {
		c.Inbox = log.hooks()
		c.Actors = activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			if name == "news" || name == "desk" {
				return &activitypub.Actor{Username: name, Name: name}, nil
			}
			return nil, activitypub.ErrNotFound
		})
	})
	article := s.url("/articles/river")
	if err := s.fed.Publish(t.Context(), "news", activitypub.Article{URL: article, Title: "River path", Content: "<p>Approved.</p>"}); err != nil {
		t.Fatal(err)
	}
	return s, article
}

// mentions lists every mention of a site actor, newest first.
func mentions(t *testing.T, s *site, username string) []activitypub.InboxMention {
	t.Helper()
	p, err := s.fed.Mentions(t.Context(), username, "", 100)
	if err != nil {
		t.Fatalf("Mentions(%s): %v", username, err)
	}
	return p.Items
}

func mentionTag(href string) map[string]any {
	return map[string]any{"type": "Mention", "href": href, "name": "@x"}
}

// TestMentionVisibility sends posts addressed in each way the fediverse addresses them: each that
// reaches a site actor is kept under it with the visibility Mastodon would give it, and OnMention
// is called once.
func TestMentionVisibility(t *testing.T) {
	tests := []struct {
		name     string
		activity map[string]any // to and cc of the Create
		object   map[string]any // to, cc, tag and type of the post
		want     activitypub.Visibility
	}{
		{"public, mentioned by a tag", nil,
			map[string]any{"to": []string{vocab.PublicIRI}, "tag": []any{mentionTag("{news}")}}, activitypub.VisibilityPublic},
		{"public as as:Public, addressed in cc", nil,
			map[string]any{"to": "as:Public", "cc": []string{"{news}"}}, activitypub.VisibilityPublic},
		{"public as Public", nil,
			map[string]any{"to": []string{"Public"}, "cc": []string{"{news}"}}, activitypub.VisibilityPublic},
		{"unlisted", nil,
			map[string]any{"to": []string{"{followers}"}, "cc": []string{vocab.PublicIRI, "{news}"}}, activitypub.VisibilityUnlisted},
		{"followers-only", nil,
			map[string]any{"to": []string{"{followers}"}, "cc": []string{"{news}"}, "tag": mentionTag("{news}")}, activitypub.VisibilityFollowers},
		{"direct", nil,
			map[string]any{"to": []string{"{news}"}, "tag": []any{mentionTag("{news}")}}, activitypub.VisibilityDirect},
		{"direct, another actor's followers", nil,
			map[string]any{"to": []string{"https://other.example/users/bob/followers", "{news}"}}, activitypub.VisibilityDirect},
		{"direct, addressed by the activity only", map[string]any{"to": []string{"{news}"}},
			map[string]any{}, activitypub.VisibilityDirect},
		{"direct, a Lemmy ChatMessage", nil,
			map[string]any{"type": "ChatMessage", "to": []string{"{news}"}}, activitypub.VisibilityDirect},
		{"an unknown site actor", nil,
			map[string]any{"to": []string{"{nobody}"}, "tag": []any{mentionTag("{nobody}")}}, ""},
		{"no site actor", map[string]any{"to": []string{vocab.PublicIRI}},
			map[string]any{"to": []string{vocab.PublicIRI}, "cc": []string{"https://other.example/users/bob"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &hookLog{}
			s, _ := mentionSite(t, log)
			alice := activitypubtest.NewRemote(t, "alice")
			a := alice.ActorID()
			fill := strings.NewReplacer("{news}", s.fed.ActorID("news"), "{nobody}", s.url("/ap/users/nobody"), "{followers}", a+"/followers")
			// Fill the placeholders of a document by a round trip through JSON.
			filled := func(doc map[string]any) map[string]any {
				out := map[string]any{}
				if doc == nil {
					return out
				}
				b, _ := json.Marshal(doc)
				if err := json.Unmarshal([]byte(fill.Replace(string(b))), &out); err != nil {
					t.Fatal(err)
				}
				return out
			}
			obj := filled(tt.object)
			obj["id"], obj["attributedTo"], obj["content"] = a+"/notes/1", a, "<p>Tip: the bridge is closed</p>"
			if obj["type"] == nil {
				obj["type"] = "Note"
			}
			act := filled(tt.activity)
			act["id"], act["type"], act["object"] = a+"/creates/1", "Create", obj
			post(t, alice, s, act, http.StatusAccepted)

			got := mentions(t, s, "news")
			if tt.want == "" {
				if len(got) != 0 || len(log.list()) != 0 {
					t.Errorf("mentions %+v, hooks %q, want none", got, log.list())
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("mentions = %+v, want one", got)
			}
			m := got[0]
			if m.Visibility != tt.want || m.ID != a+"/notes/1" || m.AuthorID != a || m.ActorID != s.fed.ActorID("news") {
				t.Errorf("mention = %+v, want visibility %s", m, tt.want)
			}
			if m.Visibility.Private() != (tt.want == activitypub.VisibilityFollowers || tt.want == activitypub.VisibilityDirect) {
				t.Errorf("%s: Private() = %t", m.Visibility, m.Visibility.Private())
			}
			wantHook := "mention news " + string(tt.want) + " <p>Tip: the bridge is closed</p>"
			if calls := log.list(); !slices.Equal(calls, []string{wantHook}) {
				t.Errorf("hooks %q, want [%q]", calls, wantHook)
			}
		})
	}
}

// TestMentionLifecycle follows a direct message to two site actors: kept under each, sanitized,
// edited, refused to anyone but its author, and deleted; then a second post taken back with
// Undo{Create}.
func TestMentionLifecycle(t *testing.T) {
	log := &hookLog{}
	s, _ := mentionSite(t, log)
	alice := activitypubtest.NewRemote(t, "alice")
	mallory := activitypubtest.NewRemote(t, "mallory")
	a, m := alice.ActorID(), mallory.ActorID()
	news, desk := s.fed.ActorID("news"), s.fed.ActorID("desk")
	note := func(id, content string, extra ...string) map[string]any {
		to := append([]string{news, desk}, extra...)
		return map[string]any{"id": id, "type": "Note", "attributedTo": a, "to": to, "content": content,
			"summary": "tip", "sensitive": true, "url": alice.URL() + "/@alice/1", "inReplyTo": a + "/notes/0",
			"published": "2026-03-01T10:00:00Z", "tag": []any{mentionTag(news), mentionTag(desk)}}
	}
	type want struct {
		content string // of the mention listed for news and desk, "" for none
		hooks   []string
	}
	steps := []struct {
		name   string
		sender *activitypubtest.Remote
		doc    map[string]any
		status int
		want   want
	}{
		{"direct message", alice, map[string]any{"id": a + "/c1", "type": "Create",
			"object": note(a+"/n1", `<p>Leak <script>x()</script><a href="javascript:x()">here</a></p>`)}, 202,
			want{`<p>Leak here</p>`, []string{"mention news direct <p>Leak here</p>", "mention desk direct <p>Leak here</p>"}}},
		// A Create of a kept post is a redelivery, not news; edits come as Update.
		{"redelivered under another activity id, to desk only", alice, map[string]any{"id": a + "/c1bis", "type": "Create",
			"object": map[string]any{"id": a + "/n1", "type": "Note", "attributedTo": a, "to": []string{desk}, "content": "other"}}, 202,
			want{`<p>Leak here</p>`, nil}},
		{"edit by mallory", mallory, map[string]any{"id": m + "/u1", "type": "Update",
			"object": map[string]any{"id": a + "/n1", "type": "Note", "attributedTo": m, "content": "hacked"}}, http.StatusForbidden,
			want{`<p>Leak here</p>`, nil}},
		{"edit", alice, map[string]any{"id": a + "/u1", "type": "Update", "object": note(a+"/n1", "<p>Edited</p>")}, 202,
			want{`<p>Edited</p>`, []string{"mention edited news direct <p>Edited</p>", "mention edited desk direct <p>Edited</p>"}}},
		{"undo naming the post", alice, map[string]any{"id": a + "/x1", "type": "Undo", "object": a + "/n1"}, 202,
			want{`<p>Edited</p>`, nil}},
		{"delete by mallory", mallory, map[string]any{"id": m + "/d1", "type": "Delete", "object": a + "/n1"}, http.StatusForbidden,
			want{`<p>Edited</p>`, nil}},
		{"undo of the Create by mallory", mallory, map[string]any{"id": m + "/x2", "type": "Undo",
			"object": map[string]any{"id": m + "/c9", "type": "Create", "actor": m, "object": a + "/n1"}}, http.StatusForbidden,
			want{`<p>Edited</p>`, nil}},
		// The site keeps the post under desk with a key of its own origin, which no remote may name.
		{"undo of a Create naming the site's key", alice, map[string]any{"id": a + "/x4", "type": "Undo",
			"object": map[string]any{"id": a + "/c1", "type": "Create", "actor": a,
				"object": desk + "#mention=" + url.QueryEscape(a+"/n1")}}, http.StatusForbidden,
			want{`<p>Edited</p>`, nil}},
		{"delete", alice, map[string]any{"id": a + "/d1", "type": "Delete",
			"object": map[string]any{"id": a + "/n1", "type": "Tombstone"}}, 202,
			want{"", []string{"mention deleted news", "mention deleted desk"}}},
		{"another post", alice, map[string]any{"id": a + "/c2", "type": "Create", "object": note(a+"/n2", "<p>Again</p>")}, 202,
			want{`<p>Again</p>`, []string{"mention news direct <p>Again</p>", "mention desk direct <p>Again</p>"}}},
		{"undo of its Create", alice, map[string]any{"id": a + "/x3", "type": "Undo",
			"object": map[string]any{"id": a + "/c2", "type": "Create", "actor": a, "object": a + "/n2"}}, 202,
			want{"", []string{"mention deleted news", "mention deleted desk"}}},
	}
	for _, st := range steps {
		before := len(log.list())
		post(t, st.sender, s, st.doc, st.status)
		if calls := log.list()[before:]; !slices.Equal(calls, st.want.hooks) {
			t.Errorf("%s: hooks %q, want %q", st.name, calls, st.want.hooks)
		}
		for _, name := range []string{"news", "desk"} {
			got := mentions(t, s, name)
			if st.want.content == "" {
				if len(got) != 0 {
					t.Errorf("%s: mentions of %s = %+v, want none", st.name, name, got)
				}
				continue
			}
			if len(got) != 1 || got[0].Content != st.want.content {
				t.Fatalf("%s: mentions of %s = %+v, want one with %q", st.name, name, got, st.want.content)
			}
			if mn := got[0]; mn.ActorID != s.fed.ActorID(name) || mn.AuthorID != a || mn.URL != alice.URL()+"/@alice/1" ||
				mn.Summary != "tip" || !mn.Sensitive || mn.InReplyTo != a+"/notes/0" || mn.Visibility != activitypub.VisibilityDirect ||
				!mn.Published.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) || mn.ReceivedAt.IsZero() ||
				mn.Updated.IsZero() != (st.want.content != "<p>Edited</p>") {
				t.Errorf("%s: mention of %s = %+v", st.name, name, mn)
			}
		}
	}
	// Nothing is left behind in the store: the two posts' keys are gone under every actor.
	for _, actor := range []string{news, desk} {
		if n, err := s.store.CountInteractions(t.Context(), actor); err != nil || len(n) != 0 {
			t.Errorf("interactions of %s = %v (%v), want none", actor, n, err)
		}
	}
}

// TestMentionEditAddsActor checks that an edit that mentions another site actor reaches it, and
// that one which drops a mention keeps the post with the actor that received it.
func TestMentionEditAddsActor(t *testing.T) {
	log := &hookLog{}
	s, _ := mentionSite(t, log)
	alice := activitypubtest.NewRemote(t, "alice")
	a := alice.ActorID()
	post(t, alice, s, map[string]any{"id": a + "/c1", "type": "Create", "object": map[string]any{"id": a + "/n1",
		"type": "Note", "attributedTo": a, "to": []string{s.fed.ActorID("news")}, "content": "one"}}, 202)
	post(t, alice, s, map[string]any{"id": a + "/u1", "type": "Update", "object": map[string]any{"id": a + "/n1",
		"type": "Note", "attributedTo": a, "to": []string{s.fed.ActorID("desk")}, "content": "two"}}, 202)
	for _, name := range []string{"news", "desk"} {
		if got := mentions(t, s, name); len(got) != 1 || got[0].Content != "two" {
			t.Errorf("mentions of %s = %+v, want the edited post", name, got)
		}
	}
	post(t, alice, s, map[string]any{"id": a + "/d1", "type": "Delete", "object": a + "/n1"}, 202)
	for _, name := range []string{"news", "desk"} {
		if got := mentions(t, s, name); len(got) != 0 {
			t.Errorf("mentions of %s after the Delete = %+v, want none", name, got)
		}
	}
}

// TestMentionInReplyToArticle checks that a reply to a site article that also mentions the site
// actor is a reply only: OnReply is called, OnMention is not, and the actor's inbox stays empty;
// the same Create again under another activity id is no news.
func TestMentionInReplyToArticle(t *testing.T) {
	log := &hookLog{}
	s, article := mentionSite(t, log)
	alice := activitypubtest.NewRemote(t, "alice")
	a := alice.ActorID()
	news := s.fed.ActorID("news")
	for _, id := range []string{"/c1", "/c1bis"} {
		post(t, alice, s, map[string]any{"id": a + id, "type": "Create", "object": map[string]any{"id": a + "/n1",
			"type": "Note", "attributedTo": a, "inReplyTo": article, "to": []string{vocab.PublicIRI}, "cc": []string{news},
			"tag": []any{mentionTag(news)}, "content": "<p>Thanks</p>"}}, 202)
	}
	if calls := log.list(); !slices.Equal(calls, []string{"reply <p>Thanks</p>"}) {
		t.Errorf("hooks %q, want the reply only", calls)
	}
	if got := mentions(t, s, "news"); len(got) != 0 {
		t.Errorf("mentions = %+v, want none", got)
	}
	if c := counts(t, s, article); c.Replies != 1 {
		t.Errorf("replies = %d, want 1", c.Replies)
	}
}

// TestMentionBlocked checks that a blocked actor's mention is refused with 403 and leaves nothing.
func TestMentionBlocked(t *testing.T) {
	log := &hookLog{}
	s, _ := mentionSite(t, log)
	alice := activitypubtest.NewRemote(t, "alice")
	a := alice.ActorID()
	if err := s.fed.BlockActor(t.Context(), a, "test"); err != nil {
		t.Fatal(err)
	}
	post(t, alice, s, map[string]any{"id": a + "/c1", "type": "Create", "object": map[string]any{"id": a + "/n1",
		"type": "Note", "attributedTo": a, "to": []string{s.fed.ActorID("news")}, "content": "let me in"}}, http.StatusForbidden)
	if got := mentions(t, s, "news"); len(got) != 0 {
		t.Errorf("mentions = %+v, want none", got)
	}
	if calls := log.list(); len(calls) != 0 {
		t.Errorf("hooks %q, want none", calls)
	}
}

// TestMentionsPaged lists mentions a page at a time and refuses unknown actors and bad cursors.
func TestMentionsPaged(t *testing.T) {
	s, _ := mentionSite(t, &hookLog{})
	alice := activitypubtest.NewRemote(t, "alice")
	a := alice.ActorID()
	for _, n := range []string{"1", "2", "3"} {
		post(t, alice, s, map[string]any{"id": a + "/c" + n, "type": "Create", "object": map[string]any{"id": a + "/n" + n,
			"type": "Note", "attributedTo": a, "to": []string{vocab.PublicIRI}, "cc": []string{s.fed.ActorID("news")}, "content": n}}, 202)
	}
	var got []string
	cursor := ""
	for range 4 {
		p, err := s.fed.Mentions(t.Context(), "news", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Items {
			got = append(got, m.Content)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if !slices.Equal(got, []string{"3", "2", "1"}) {
		t.Errorf("pages = %q, want newest first [3 2 1]", got)
	}
	if _, err := s.fed.Mentions(t.Context(), "nobody", "", 0); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("Mentions(nobody) = %v, want ErrNotFound", err)
	}
	if _, err := s.fed.Mentions(t.Context(), "news", "not a cursor!", 0); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("Mentions(bad cursor) = %v, want ErrBadCursor", err)
	}
}

// TestMentionCorpus delivers real direct messages, re-addressed from their servers to a remote on
// loopback and from their recipient to @news: a Mastodon Note and a Lemmy 0.19 ChatMessage.
func TestMentionCorpus(t *testing.T) {
	tests := []struct {
		file          string
		wrap          bool   // the file is the Note alone, sent in a Create
		origin, actor string // the sender's origin and actor in the file
		recipient     string // the recipient in the file
		text          string // what the content must hold
		want          activitypub.InboxMention
	}{
		{"mention_mastodon_private_message.json", true, "https://mastodon.world", "https://mastodon.world/users/nutomic",
			"https://ds9.lemmy.ml/u/nutomic", "</span></a></span> 444</p>", activitypub.InboxMention{
				ID: "{origin}/users/nutomic/statuses/110854468010322301", URL: "{origin}/@nutomic/110854468010322301",
				InReplyTo: "{origin}/users/nutomic/statuses/110854464248188528", Visibility: activitypub.VisibilityDirect,
				Published: time.Date(2023, 8, 8, 14, 29, 4, 0, time.UTC)}},
		{"mention_lemmy_chat_message.json", false, "https://enterprise.lemmy.ml", "https://enterprise.lemmy.ml/u/nutomic",
			"https://voyager.lemmy.ml/u/nutomic", "<p>hi!</p>", activitypub.InboxMention{
				ID: "{origin}/private_message/29", URL: "{origin}/private_message/29",
				Visibility: activitypub.VisibilityDirect, Published: time.Date(2026, 6, 30, 0, 43, 19, 518259000, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			log := &hookLog{}
			s, _ := mentionSite(t, log)
			sender := activitypubtest.NewRemote(t, "nutomic")
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			// The sender's actor first, then the rest of its origin.
			readdress := strings.NewReplacer(tt.actor, sender.ActorID(), tt.origin, sender.URL(), tt.recipient, s.fed.ActorID("news"))
			var doc map[string]any
			if err := json.Unmarshal([]byte(readdress.Replace(string(raw))), &doc); err != nil {
				t.Fatal(err)
			}
			if tt.wrap {
				doc = map[string]any{"@context": doc["@context"], "id": doc["id"].(string) + "/activity", "type": "Create",
					"actor": sender.ActorID(), "to": doc["to"], "cc": doc["cc"], "object": doc}
			}
			post(t, sender, s, doc, http.StatusAccepted)
			got := mentions(t, s, "news")
			if len(got) != 1 {
				t.Fatalf("mentions = %+v, want one", got)
			}
			m, want := got[0], tt.want
			for _, p := range []*string{&want.ID, &want.URL, &want.InReplyTo} {
				*p = strings.ReplaceAll(*p, "{origin}", sender.URL())
			}
			if m.ID != want.ID || m.URL != want.URL || m.InReplyTo != want.InReplyTo || m.Visibility != want.Visibility ||
				!m.Published.Equal(want.Published) || m.AuthorID != sender.ActorID() || m.Sensitive {
				t.Errorf("mention = %+v, want %+v", m, want)
			}
			if !strings.Contains(m.Content, tt.text) {
				t.Errorf("content = %q, want it to hold %q", m.Content, tt.text)
			}
			if calls := log.list(); len(calls) != 1 || !strings.HasPrefix(calls[0], "mention news direct ") {
				t.Errorf("hooks %q, want one direct mention of news", calls)
			}
		})
	}
}

// TestFedifyMentionVisibility has a real Fedify server (set FEDSITE_FEDIFY=1) mention @news in a
// public, a followers-only and a direct post, as Fedify compacts and signs them: each is kept with
// its visibility and reported once; Fedify's Delete of the direct message removes it.
func TestFedifyMentionVisibility(t *testing.T) {
	peer := fedifypeer.StartForTest(t)
	log := &hookLog{}
	s, _ := mentionSite(t, log)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	news, me := s.fed.ActorID("news"), peer.ActorID()
	tag := []any{map[string]any{"type": "Mention", "href": news, "name": "@news"}}
	posts := []struct {
		id     string
		to, cc []string
		want   activitypub.Visibility
	}{
		{"public", []string{vocab.PublicIRI}, []string{news}, activitypub.VisibilityPublic},
		{"followers", []string{me + "/followers"}, []string{news}, activitypub.VisibilityFollowers},
		{"direct", []string{news}, nil, activitypub.VisibilityDirect},
	}
	for _, p := range posts {
		note := map[string]any{"type": "Note", "id": me + "/notes/" + p.id, "attributedTo": me, "to": p.to, "tag": tag,
			"content": "<p>" + p.id + "</p>"}
		act := map[string]any{"type": "Create", "id": me + "/creates/" + p.id, "to": p.to, "object": note}
		if p.cc != nil {
			note["cc"], act["cc"] = p.cc, p.cc
		}
		if _, err := peer.Send(ctx, news, act); err != nil {
			t.Fatalf("Fedify send %s: %v", p.id, err)
		}
	}
	got := mentions(t, s, "news")
	if len(got) != len(posts) {
		t.Fatalf("mentions = %+v, want %d", got, len(posts))
	}
	for n, p := range posts {
		m := got[len(got)-1-n]
		if m.ID != me+"/notes/"+p.id || m.Visibility != p.want || m.AuthorID != me || m.Content != "<p>"+p.id+"</p>" {
			t.Errorf("mention %s = %+v, want visibility %s", p.id, m, p.want)
		}
	}
	if calls := log.list(); len(calls) != len(posts) {
		t.Errorf("hooks %q, want one per post", calls)
	}
	if _, err := peer.Send(ctx, news, map[string]any{"type": "Delete", "id": me + "/deletes/direct",
		"to": []string{news}, "object": map[string]any{"type": "Tombstone", "id": me + "/notes/direct"}}); err != nil {
		t.Fatalf("Fedify send Delete: %v", err)
	}
	if got := mentions(t, s, "news"); len(got) != 2 || got[0].ID != me+"/notes/followers" || got[1].ID != me+"/notes/public" {
		t.Errorf("after the Delete mentions = %+v, want the public and followers-only ones", got)
	}
}
