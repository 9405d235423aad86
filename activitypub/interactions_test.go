package activitypub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// hookLog records the inbox hooks' calls as short strings.
type hookLog struct {
	mu    sync.Mutex
	calls []string
	flags []activitypub.Report
}

func (h *hookLog) add(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, s)
}

func (h *hookLog) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}

func (h *hookLog) hooks() activitypub.InboxOptions {
	return activitypub.InboxOptions{
		OnReply: func(_ context.Context, r activitypub.Reply) {
			if r.Updated.IsZero() {
				h.add("reply " + r.Content)
			} else {
				h.add("edited " + r.Content)
			}
		},
		OnReplyDeleted: func(_ context.Context, _, id string) { h.add("reply deleted") },
		OnLike:         func(_ context.Context, i activitypub.Interaction) { h.add("like") },
		OnAnnounce:     func(_ context.Context, i activitypub.Interaction) { h.add("announce") },
		OnUndo:         func(_ context.Context, i activitypub.Interaction) { h.add("undo " + string(i.Kind)) },
		OnReaction: func(_ context.Context, i activitypub.Interaction) {
			if i.Emoji != nil {
				h.add("reaction " + i.Emoji.Name)
				return
			}
			h.add("reaction " + string(i.Kind))
		},
		OnFollowRequest: func(_ context.Context, r store.FollowRequest) { h.add("follow request") },
		OnMove:          func(_ context.Context, _, _, _ string) { h.add("move") },
		OnFlag: func(_ context.Context, r activitypub.Report) {
			h.mu.Lock()
			h.flags = append(h.flags, r)
			h.mu.Unlock()
			h.add("flag")
		},
		OnMention: func(_ context.Context, m activitypub.InboxMention) {
			verb := "mention"
			if !m.Updated.IsZero() {
				verb = "mention edited"
			}
			h.add(fmt.Sprintf("%s %s %s %s", verb, path.Base(m.ActorID), m.Visibility, m.Content))
		},
		OnMentionDeleted: func(_ context.Context, actorID, _ string) { h.add("mention deleted " + path.Base(actorID)) },
	}
}

// interactionSite is a test site with the hooks of log and one published article.
func interactionSite(t *testing.T, log *hookLog, locked bool) (*site, string) {
	t.Helper()
	s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) {
		c.Inbox = log.hooks()
		c.Actors = activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			if name == "news" || name == "desk" {
				return &activitypub.Actor{Username: name, Name: name, ManuallyApprovesFollowers: locked && name == "desk"}, nil
			}
			return nil, activitypub.ErrNotFound
		})
	})
	article := s.url("/articles/river")
	err := s.fed.Publish(t.Context(), "news", activitypub.Article{URL: article, Title: "River path", Content: "<p>Approved.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	return s, article
}

func post(t *testing.T, r *activitypubtest.Remote, s *site, doc map[string]any, want int) {
	t.Helper()
	if _, ok := doc["@context"]; !ok {
		doc["@context"] = vocab.ContextActivityStreams
	}
	if _, ok := doc["actor"]; !ok {
		doc["actor"] = r.ActorID()
	}
	resp := r.Post(s.url("/ap/inbox"), doc)
	if resp.StatusCode != want {
		t.Fatalf("POST %v %v: status %d, want %d", doc["type"], doc["id"], resp.StatusCode, want)
	}
}

func counts(t *testing.T, s *site, article string) activitypub.Counts {
	t.Helper()
	c, err := s.fed.Counts(t.Context(), article)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestInteractions(t *testing.T) {
	log := &hookLog{}
	s, article := interactionSite(t, log, false)
	alice := activitypubtest.NewRemote(t, "alice")
	a := alice.ActorID()
	note := func(id, content string) map[string]any {
		return map[string]any{"id": id, "type": "Note", "attributedTo": a, "inReplyTo": article,
			"content": content, "url": alice.URL() + "/@alice/1", "to": []string{vocab.PublicIRI}}
	}
	steps := []struct {
		name   string
		doc    map[string]any
		status int
		want   activitypub.Counts
		hook   string
	}{
		{"reply", map[string]any{"id": a + "/c1", "type": "Create", "object": note(a+"/n1", `<p>Great <script>x()</script><b>news</b></p>`)},
			202, activitypub.Counts{Replies: 1}, "reply <p>Great <b>news</b></p>"},
		{"reply to something else", map[string]any{"id": a + "/c2", "type": "Create",
			"object": map[string]any{"id": a + "/n2", "type": "Note", "attributedTo": a, "inReplyTo": "https://elsewhere.example/x", "content": "hi"}},
			202, activitypub.Counts{Replies: 1}, ""},
		{"edit", map[string]any{"id": a + "/u1", "type": "Update", "object": note(a+"/n1", "<p>Edited</p>")},
			202, activitypub.Counts{Replies: 1}, "edited <p>Edited</p>"},
		{"like", map[string]any{"id": a + "/l1", "type": "Like", "object": article}, 202, activitypub.Counts{Replies: 1, Likes: 1}, "like"},
		{"like of an unknown object", map[string]any{"id": a + "/l2", "type": "Like", "object": s.url("/articles/none")},
			202, activitypub.Counts{Replies: 1, Likes: 1}, ""},
		{"announce", map[string]any{"id": a + "/a1", "type": "Announce", "object": article, "to": []string{vocab.PublicIRI}},
			202, activitypub.Counts{Replies: 1, Likes: 1, Announces: 1}, "announce"},
		{"undo like by id", map[string]any{"id": a + "/ul1", "type": "Undo", "object": a + "/l1"},
			202, activitypub.Counts{Replies: 1, Announces: 1}, "undo like"},
		{"undo announce embedded", map[string]any{"id": a + "/ua1", "type": "Undo",
			"object": map[string]any{"id": a + "/a1", "type": "Announce", "actor": a, "object": article}},
			202, activitypub.Counts{Replies: 1}, "undo announce"},
		{"delete reply", map[string]any{"id": a + "/d1", "type": "Delete",
			"object": map[string]any{"id": a + "/n1", "type": "Tombstone"}}, 202, activitypub.Counts{}, "reply deleted"},
	}
	for _, st := range steps {
		before := len(log.list())
		post(t, alice, s, st.doc, st.status)
		if got := counts(t, s, article); !reflect.DeepEqual(got, st.want) {
			t.Errorf("%s: counts %+v, want %+v", st.name, got, st.want)
		}
		calls := log.list()[before:]
		switch {
		case st.hook == "" && len(calls) != 0:
			t.Errorf("%s: hooks %q, want none", st.name, calls)
		case st.hook != "" && (len(calls) != 1 || calls[0] != st.hook):
			t.Errorf("%s: hooks %q, want [%q]", st.name, calls, st.hook)
		}
	}
}

// TestRepeatedReaction sends a second Like or Announce of the article from the same actor under
// another id: the first is kept, counted once and reported once, and an Undo naming either id
// removes it when it embeds the undone activity (a bare id of the dropped one says neither kind
// nor object, so nothing is undone, as on Mastodon).
func TestRepeatedReaction(t *testing.T) {
	tests := []struct {
		name     string
		kind     string // Like or Announce
		undo     string // the undone id: "first" or "second"
		embedded bool
		want     int // count after the Undo
	}{
		{"like, undo first by id", "Like", "first", false, 0},
		{"like, undo first embedded", "Like", "first", true, 0},
		{"like, undo second embedded", "Like", "second", true, 0},
		{"like, undo second by id", "Like", "second", false, 1},
		{"announce, undo first by id", "Announce", "first", false, 0},
		{"announce, undo second embedded", "Announce", "second", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &hookLog{}
			s, article := interactionSite(t, log, false)
			alice := activitypubtest.NewRemote(t, "alice")
			a := alice.ActorID()
			hook := strings.ToLower(tt.kind)
			count := func() int {
				c := counts(t, s, article)
				if tt.kind == "Like" {
					return c.Likes
				}
				return c.Announces
			}
			ids := map[string]string{"first": a + "/r1", "second": a + "/r2"}
			post(t, alice, s, map[string]any{"id": ids["first"], "type": tt.kind, "object": article}, 202)
			post(t, alice, s, map[string]any{"id": ids["second"], "type": tt.kind, "object": article}, 202)
			if n := count(); n != 1 {
				t.Errorf("after two %ss: count %d, want 1", tt.kind, n)
			}
			if got := log.list(); len(got) != 1 || got[0] != hook {
				t.Errorf("after two %ss: hooks %q, want [%q]", tt.kind, got, hook)
			}
			var object any = ids[tt.undo]
			if tt.embedded {
				object = map[string]any{"id": ids[tt.undo], "type": tt.kind, "actor": a, "object": article}
			}
			post(t, alice, s, map[string]any{"id": a + "/u1", "type": "Undo", "object": object}, 202)
			if n := count(); n != tt.want {
				t.Errorf("after the Undo: count %d, want %d", n, tt.want)
			}
			wantHooks := []string{hook}
			if tt.want == 0 {
				wantHooks = append(wantHooks, "undo "+hook)
			}
			if got := log.list(); !slices.Equal(got, wantHooks) {
				t.Errorf("hooks %q, want %q", got, wantHooks)
			}
		})
	}
}

// TestRepeatedReactionSpoofed checks that an Undo naming an id the store dropped finds only the
// sender's own interaction: mallory cannot withdraw alice's Like through alice's dropped id.
func TestRepeatedReactionSpoofed(t *testing.T) {
	log := &hookLog{}
	s, article := interactionSite(t, log, false)
	alice := activitypubtest.NewRemote(t, "alice")
	mallory := activitypubtest.NewRemote(t, "mallory")
	a, m := alice.ActorID(), mallory.ActorID()
	post(t, alice, s, map[string]any{"id": a + "/l1", "type": "Like", "object": article}, 202)
	post(t, alice, s, map[string]any{"id": a + "/l2", "type": "Like", "object": article}, 202)
	// The embedded Like is from alice's origin, so the inbox does not trust it and handles the
	// Undo as naming an id (202): the id is unknown, and mallory has no like of the article.
	tests := []struct {
		name  string
		inner map[string]any
	}{
		{"alice as the Like's actor", map[string]any{"id": a + "/l2", "type": "Like", "actor": a, "object": article}},
		{"no actor in the Like", map[string]any{"id": a + "/l2", "type": "Like", "object": article}},
	}
	for n, tt := range tests {
		post(t, mallory, s, map[string]any{"id": fmt.Sprintf("%s/u%d", m, n), "type": "Undo", "object": tt.inner}, 202)
		if got := counts(t, s, article); got.Likes != 1 {
			t.Errorf("%s: likes %d, want alice's 1", tt.name, got.Likes)
		}
	}
	if got := log.list(); !slices.Equal(got, []string{"like"}) {
		t.Errorf("hooks %q, want only alice's first like", got)
	}
}

func TestInteractionsListed(t *testing.T) {
	s, article := interactionSite(t, &hookLog{}, false)
	alice := activitypubtest.NewRemote(t, "alice")
	a := alice.ActorID()
	post(t, alice, s, map[string]any{"id": a + "/c1", "type": "Create", "object": map[string]any{
		"id": a + "/n1", "type": "Note", "attributedTo": a, "inReplyTo": article, "content": `<p onclick="x()">Hi <a href="javascript:x()">there</a></p>`,
		"url": alice.URL() + "/@alice/1", "published": "2026-03-01T10:00:00Z"}}, 202)
	p, err := s.fed.Interactions(t.Context(), article, store.InteractionReply, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].Reply == nil {
		t.Fatalf("replies = %+v, want one with its Reply", p.Items)
	}
	r := p.Items[0].Reply
	if r.ID != a+"/n1" || r.AuthorID != a || r.URL != alice.URL()+"/@alice/1" || r.InReplyTo != article || r.Published.IsZero() {
		t.Errorf("reply = %+v", r)
	}
	if strings.Contains(r.Content, "onclick") || strings.Contains(r.Content, "javascript") || !strings.Contains(r.Content, "Hi") {
		t.Errorf("content %q is not sanitized", r.Content)
	}
}

// TestReplyAuthor lists replies with what a comment list shows: the author's name, handle, avatar
// and profile from the actor document the signature check fetched, and the content warning.
func TestReplyAuthor(t *testing.T) {
	s, article := interactionSite(t, &hookLog{}, false)
	bob := activitypubtest.NewRemote(t, "bob")
	bob.SetProfile("Bob Builder", bob.URL()+"/avatars/bob.png")
	b := bob.ActorID()
	post(t, bob, s, map[string]any{"id": b + "/c1", "type": "Create", "object": map[string]any{
		"id": b + "/n1", "type": "Note", "attributedTo": b, "inReplyTo": article, "content": "<p>Spoilers!</p>",
		"summary": "The ending", "sensitive": true}}, 202)
	post(t, bob, s, map[string]any{"id": b + "/c2", "type": "Create", "object": map[string]any{
		"id": b + "/n2", "type": "Note", "attributedTo": b, "inReplyTo": article, "content": "<p>Plain.</p>"}}, 202)
	p, err := s.fed.Interactions(t.Context(), article, store.InteractionReply, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 || p.Items[0].Reply == nil || p.Items[1].Reply == nil {
		t.Fatalf("replies = %+v, want two", p.Items)
	}
	host := strings.TrimPrefix(bob.URL(), "http://")
	want := activitypub.Author{ID: b, Name: "Bob Builder", Handle: "@bob@" + host, AvatarURL: bob.URL() + "/avatars/bob.png", ProfileURL: b}
	for _, it := range p.Items {
		if it.Reply.Author != want {
			t.Errorf("%s: author = %+v, want %+v", it.ID, it.Reply.Author, want)
		}
	}
	byID := map[string]*activitypub.Reply{p.Items[0].ID: p.Items[0].Reply, p.Items[1].ID: p.Items[1].Reply}
	if r := byID[b+"/n1"]; r == nil || r.Summary != "The ending" || !r.Sensitive {
		t.Errorf("reply with a warning = %+v, want summary and sensitive", r)
	}
	if r := byID[b+"/n2"]; r == nil || r.Summary != "" || r.Sensitive {
		t.Errorf("plain reply = %+v, want no warning", r)
	}
}

func TestInteractionsSpoofed(t *testing.T) {
	log := &hookLog{}
	s, article := interactionSite(t, log, false)
	alice := activitypubtest.NewRemote(t, "alice")
	mallory := activitypubtest.NewRemote(t, "mallory")
	a, m := alice.ActorID(), mallory.ActorID()
	post(t, alice, s, map[string]any{"id": a + "/c1", "type": "Create", "object": map[string]any{
		"id": a + "/n1", "type": "Note", "attributedTo": a, "inReplyTo": article, "content": "mine"}}, 202)
	post(t, alice, s, map[string]any{"id": a + "/l1", "type": "Like", "object": article}, 202)
	post(t, alice, s, map[string]any{"id": a + "/a1", "type": "Announce", "object": article}, 202)
	want := activitypub.Counts{Replies: 1, Likes: 1, Announces: 1}
	calls := len(log.list())
	tests := []struct {
		name string
		doc  map[string]any
	}{
		{"undo of alice's like by id", map[string]any{"id": m + "/u1", "type": "Undo", "object": a + "/l1"}},
		{"undo of alice's announce embedded", map[string]any{"id": m + "/u2", "type": "Undo",
			"object": map[string]any{"id": a + "/a1", "type": "Announce", "actor": a, "object": article}}},
		{"delete of alice's reply", map[string]any{"id": m + "/d1", "type": "Delete", "object": a + "/n1"}},
	}
	for _, tt := range tests {
		post(t, mallory, s, tt.doc, http.StatusForbidden)
		if got := counts(t, s, article); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: counts %+v, want %+v unchanged", tt.name, got, want)
		}
	}
	if n := len(log.list()); n != calls {
		t.Errorf("hooks called %q after refused activities", log.list()[calls:])
	}
}

func TestFlag(t *testing.T) {
	log := &hookLog{}
	s, article := interactionSite(t, log, false)
	mod := activitypubtest.NewRemote(t, "mod")
	post(t, mod, s, map[string]any{"id": mod.ActorID() + "/f1", "type": "Flag", "content": "spam",
		"object": []string{s.fed.ActorID("news"), article}}, 202)
	if len(log.flags) != 1 {
		t.Fatalf("flags = %d, want 1", len(log.flags))
	}
	f := log.flags[0]
	if f.ReporterID != mod.ActorID() || f.Content != "spam" || len(f.Objects) != 2 || f.Objects[1] != article {
		t.Errorf("report = %+v", f)
	}
}

func TestFollowRequests(t *testing.T) {
	for _, approve := range []bool{true, false} {
		name := map[bool]string{true: "approve", false: "reject"}[approve]
		t.Run(name, func(t *testing.T) {
			log := &hookLog{}
			s, _ := interactionSite(t, log, true)
			bob := activitypubtest.NewRemote(t, "bob")
			desk := s.fed.ActorID("desk")
			post(t, bob, s, map[string]any{"id": bob.ActorID() + "/f1", "type": "Follow", "object": desk}, 202)
			if got := log.list(); len(got) != 1 || got[0] != "follow request" {
				t.Fatalf("hooks %q, want a follow request", got)
			}
			if n, _ := s.store.CountFollowers(t.Context(), desk); n != 0 {
				t.Fatalf("followers = %d before approval, want 0", n)
			}
			if _, err := s.store.FollowRequest(t.Context(), desk, bob.ActorID()); err != nil {
				t.Fatalf("pending request: %v", err)
			}
			for _, d := range bob.Deliveries() {
				t.Fatalf("delivered %v before the decision", d.Activity.Type)
			}
			decide, kind, followers := s.fed.RejectFollow, "Reject", 0
			if approve {
				decide, kind, followers = s.fed.ApproveFollow, "Accept", 1
			}
			if err := decide(t.Context(), "desk", bob.ActorID()); err != nil {
				t.Fatal(err)
			}
			d := bob.WaitFor(kind)
			if d.Signer != desk || d.Activity.Actor.ID() != desk {
				t.Errorf("%s signed by %s, actor %s, want %s", kind, d.Signer, d.Activity.Actor.ID(), desk)
			}
			if in := d.Activity.Object.Object; in == nil || in.ID != bob.ActorID()+"/f1" || !in.Type.Has("Follow") {
				t.Errorf("%s object = %+v, want the embedded Follow", kind, d.Activity.Object)
			}
			if n, _ := s.store.CountFollowers(t.Context(), desk); n != followers {
				t.Errorf("followers = %d, want %d", n, followers)
			}
			if _, err := s.store.FollowRequest(t.Context(), desk, bob.ActorID()); err == nil {
				t.Error("request still pending after the decision")
			}
			if err := decide(t.Context(), "desk", bob.ActorID()); err == nil {
				t.Error("a second decision succeeded, want ErrNotFound")
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestFollowMoved checks that a Follow from a remote actor whose document has movedTo, or of a
// site actor that moved away (with Move or Actor.MovedTo), is answered with a Reject and leaves no
// follower, no follow request and no hook call behind, with an info record of the rejection;
// Mastodon rejects a Follow of a moved account.
func TestFollowMoved(t *testing.T) {
	const remoteMovedTo = "https://new.example/users/alice"
	const siteMovedTo = "https://new.example/users/news"
	tests := []struct {
		name          string
		object        string // the site actor followed; desk approves its followers
		followBefore  bool   // a follow accepted before the move
		remoteMovedTo string // alice's movedTo
		move          bool   // the site actor moves with Federation.Move
		siteMovedTo   string // the site's Actor.MovedTo
		wantKind      string
		wantFollower  bool
	}{
		{name: "not moved", object: "news", wantKind: "Accept", wantFollower: true},
		{name: "follower moved", object: "news", remoteMovedTo: remoteMovedTo, wantKind: "Reject"},
		{name: "follower moved, to an actor approving followers", object: "desk", remoteMovedTo: remoteMovedTo, wantKind: "Reject"},
		{name: "follower moved after following", object: "news", followBefore: true, remoteMovedTo: remoteMovedTo, wantKind: "Reject"},
		{name: "followed moved with Move", object: "news", move: true, wantKind: "Reject"},
		{name: "followed moved, Actor.MovedTo set", object: "news", siteMovedTo: siteMovedTo, wantKind: "Reject"},
		{name: "followed moved, approving followers", object: "desk", move: true, wantKind: "Reject"},
		{name: "followed moved after being followed", object: "news", followBefore: true, move: true, wantKind: "Reject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hooks := &hookLog{}
			logs := &lockedBuffer{}
			s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) {
				c.Inbox = hooks.hooks()
				c.Actors = activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
					if name == "news" || name == "desk" {
						return &activitypub.Actor{Username: name, ManuallyApprovesFollowers: name == "desk",
							MovedTo: tt.siteMovedTo}, nil
					}
					return nil, activitypub.ErrNotFound
				})
				// Fetch the follower's document for every Follow, so that a move after the first
				// Follow is seen.
				c.RemoteActorTTL = time.Nanosecond
				c.Logger = slog.New(slog.NewTextHandler(logs, nil))
			})
			alice := activitypubtest.NewRemote(t, "alice")
			local := s.fed.ActorID(tt.object)
			if tt.followBefore {
				follow(t, s, alice, local, "0")
			}
			alice.SetMovedTo(tt.remoteMovedTo)
			target := tt.siteMovedTo
			if tt.move {
				target = moveTarget(t, local)
				if err := s.fed.Move(t.Context(), tt.object, target); err != nil {
					t.Fatalf("Move: %v", err)
				}
			}
			followID := alice.ActorID() + "/follows/1"
			if resp := alice.Post(local+"/inbox", map[string]any{"@context": vocab.ContextActivityStreams,
				"id": followID, "type": "Follow", "actor": alice.ActorID(), "object": local}); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("Follow: status %d, want 202", resp.StatusCode)
			}

			// The rule is the one the actor document shows: movedTo there, Reject here.
			if got, _ := getJSON(t, s, "/ap/users/"+tt.object)["movedTo"].(string); got != target {
				t.Errorf("actor document movedTo = %q, want %q", got, target)
			}
			d := alice.WaitFor(tt.wantKind)
			if d.Signer != local || d.Activity.Actor.ID() != local {
				t.Errorf("%s signed by %s, actor %s, want %s", tt.wantKind, d.Signer, d.Activity.Actor.ID(), local)
			}
			if in := d.Activity.Object.Object; in == nil || in.ID != followID || !in.Type.Has("Follow") {
				t.Errorf("%s object = %+v, want the embedded Follow %s", tt.wantKind, d.Activity.Object, followID)
			}
			if n := count(alice, "Reject"); tt.wantKind == "Accept" && n != 0 {
				t.Errorf("%d Rejects delivered, want none", n)
			}
			_, err := s.store.Follower(t.Context(), local, alice.ActorID())
			if got := err == nil; got != tt.wantFollower {
				t.Errorf("follower stored = %v (%v), want %v", got, err, tt.wantFollower)
			}
			if _, err := s.store.FollowRequest(t.Context(), local, alice.ActorID()); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("follow request: %v, want ErrNotFound", err)
			}
			if got := hooks.list(); len(got) != 0 {
				t.Errorf("hooks %q, want none", got)
			}
			var record string
			switch {
			case tt.remoteMovedTo != "":
				record = `level=INFO msg="activitypub: follow from a moved actor rejected" actor=` + alice.ActorID() +
					" moved_to=" + remoteMovedTo
			case target != "":
				record = `level=INFO msg="activitypub: follow of a moved actor rejected" actor=` + alice.ActorID() +
					" moved_to=" + target + " object=" + local
			}
			if logged := strings.Contains(logs.String(), "rejected"); logged != (record != "") ||
				(record != "" && !strings.Contains(logs.String(), record)) {
				t.Errorf("want the info record %q; logs:\n%s", record, logs)
			}
		})
	}
}

func TestMoveIn(t *testing.T) {
	log := &hookLog{}
	s, _ := interactionSite(t, log, false)
	old := activitypubtest.NewRemote(t, "old")
	news := s.fed.ActorID("news")
	post(t, old, s, map[string]any{"id": old.ActorID() + "/f1", "type": "Follow", "object": news}, 202)
	old.WaitFor("Accept")

	var newID string
	aka := []string{old.ActorID()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", vocab.MediaType)
		json.NewEncoder(w).Encode(map[string]any{"@context": vocab.ContextActivityStreams, "id": newID, "type": "Person",
			"inbox": newID + "/inbox", "alsoKnownAs": aka})
	}))
	t.Cleanup(srv.Close)
	newID = srv.URL + "/users/new"

	// Without alsoKnownAs naming the old account the Move is refused.
	aka = []string{"https://someone.example/else"}
	post(t, old, s, map[string]any{"id": old.ActorID() + "/m0", "type": "Move", "object": old.ActorID(), "target": newID, "cc": []string{news}}, http.StatusForbidden)
	aka = []string{old.ActorID()}
	// Nor may anyone move another's account.
	other := activitypubtest.NewRemote(t, "other")
	post(t, other, s, map[string]any{"id": other.ActorID() + "/m1", "type": "Move", "object": old.ActorID(), "target": newID, "cc": []string{news}}, http.StatusForbidden)
	if _, err := s.store.Follower(t.Context(), news, old.ActorID()); err != nil {
		t.Fatalf("old follower gone after refused Moves: %v", err)
	}

	post(t, old, s, map[string]any{"id": old.ActorID() + "/m2", "type": "Move", "object": old.ActorID(), "target": newID, "cc": []string{news}}, 202)
	if _, err := s.store.Follower(t.Context(), news, old.ActorID()); err == nil {
		t.Error("old account still follows after the Move")
	}
	f, err := s.store.Follower(t.Context(), news, newID)
	if err != nil || f.Inbox != newID+"/inbox" {
		t.Errorf("new follower = %+v, %v", f, err)
	}
	if got := log.list(); len(got) != 1 || got[0] != "move" {
		t.Errorf("hooks %q, want one move", got)
	}
}
