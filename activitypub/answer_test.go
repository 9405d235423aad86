package activitypub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// answerSite is a site with the actors news and desk behind a Recorder, one published article,
// and a follower of news, bob, on another server than the readers'.
func answerSite(t *testing.T) (*activitypub.Federation, *activitypubtest.Recorder, string, *activitypubtest.Account) {
	t.Helper()
	actors := activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
		switch name {
		case "news":
			return &activitypub.Actor{Username: "news", Type: "Organization", Name: "The Daily Test",
				ProfileURL: activitypubtest.BaseURL + "/about", IconURL: activitypubtest.BaseURL + "/logo.png"}, nil
		case "desk":
			return &activitypub.Actor{Username: "desk", Name: "Desk"}, nil
		}
		return nil, activitypub.ErrNotFound
	})
	fed, rec, err := activitypubtest.NewFederation(actors)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Close)
	article := activitypubtest.BaseURL + "/articles/bridge"
	if err := fed.Publish(t.Context(), "news", activitypub.Article{URL: article, Title: "Bridge reopens"}); err != nil {
		t.Fatal(err)
	}
	bob := rec.NewAccount("bob@follow.example")
	if _, err := bob.Follow(t.Context(), fed.ActorID("news")); err != nil {
		t.Fatal(err)
	}
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	return fed, rec, article, bob
}

// sentAbout returns the deliveries of activities of type typ about objectID, after Settle.
func sentAbout(t *testing.T, rec *activitypubtest.Recorder, typ, objectID string) []activitypubtest.Delivery {
	t.Helper()
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	var out []activitypubtest.Delivery
	for _, d := range rec.Sent() {
		if d.Err != nil {
			t.Fatalf("delivery to %s not acceptable: %v", d.Inbox, d.Err)
		}
		if d.Type == typ && d.ObjectID == objectID {
			out = append(out, d)
		}
	}
	return out
}

func inboxesOf(ds []activitypubtest.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Inbox)
	}
	slices.Sort(out)
	return out
}

// unsignedGet GETs an AS2 document of the site without a signature and returns the status.
func unsignedGet(t *testing.T, rec *activitypubtest.Recorder, iri string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, iri, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", vocab.MediaType)
	resp, err := rec.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// followersOnly sends news a followers-only post of a that mentions it, in the conversation
// context, and returns the post's id.
func followersOnly(t *testing.T, fed *activitypub.Federation, a *activitypubtest.Account, context string) string {
	t.Helper()
	note := &vocab.Object{ID: a.ID() + "/notes/private", Type: vocab.Types{"Note"}, AttributedTo: vocab.Refs{{IRI: a.ID()}},
		To: vocab.Refs{{IRI: a.ID() + "/followers"}}, Cc: vocab.Refs{{IRI: fed.ActorID("news")}}, Content: "<p>Off the record</p>",
		Tag:   vocab.Refs{{Object: &vocab.Object{Type: vocab.Types{"Mention"}, Href: fed.ActorID("news"), Name: "@news@news.example"}}},
		Extra: map[string]json.RawMessage{"context": json.RawMessage(`"` + context + `"`)}}
	if _, err := a.Send(t.Context(), activitypubtest.BaseURL+"/ap/inbox", &vocab.Object{Type: vocab.Types{"Create"}, To: note.To, Cc: note.Cc,
		Object: vocab.Ref{Object: note}}); err != nil {
		t.Fatal(err)
	}
	return note.ID
}

// TestAnswerAudience answers a public reply, a public mention, a direct message and a
// followers-only mention: each answer is a Note in reply to the post, mentioning its author,
// in its conversation, addressed and delivered as the post was: public ones to the public, the
// actor's followers and the author; private ones to the author alone.
func TestAnswerAudience(t *testing.T) {
	const convo = "https://social.example/contexts/42"
	tests := []struct {
		name string
		// send makes carol's post and returns its id.
		send          func(t *testing.T, fed *activitypub.Federation, carol *activitypubtest.Account, article string) string
		public        bool
		wantContext   string // "" is the article
		wantFollowers bool
		// wantTo and wantCc are the answer's addressing, with {public}, {followers} (news's) and
		// {author} (carol) filled in.
		wantTo, wantCc []string
	}{
		{"public reply", func(t *testing.T, _ *activitypub.Federation, carol *activitypubtest.Account, article string) string {
			c, err := carol.Reply(t.Context(), article, "<p>Is the bridge open to bikes?</p>")
			if err != nil {
				t.Fatal(err)
			}
			return c.Object.ID()
		}, true, "", true, []string{"{public}"}, []string{"{followers}", "{author}"}},
		{"followers-only reply", func(t *testing.T, _ *activitypub.Federation, carol *activitypubtest.Account, article string) string {
			note := &vocab.Object{ID: carol.ID() + "/notes/private-reply", Type: vocab.Types{"Note"}, AttributedTo: vocab.Refs{{IRI: carol.ID()}},
				To: vocab.Refs{{IRI: carol.ID() + "/followers"}}, InReplyTo: vocab.Ref{IRI: article}, Content: "<p>Between us</p>"}
			if _, err := carol.Send(t.Context(), activitypubtest.BaseURL+"/ap/inbox", &vocab.Object{Type: vocab.Types{"Create"},
				To: note.To, Object: vocab.Ref{Object: note}}); err != nil {
				t.Fatal(err)
			}
			return note.ID
		}, false, "", false, []string{"{author}"}, nil},
		{"unlisted mention", func(t *testing.T, fed *activitypub.Federation, carol *activitypubtest.Account, _ string) string {
			note := &vocab.Object{ID: carol.ID() + "/notes/unlisted", Type: vocab.Types{"Note"}, AttributedTo: vocab.Refs{{IRI: carol.ID()}},
				To: vocab.Refs{{IRI: carol.ID() + "/followers"}}, Cc: vocab.Refs{{IRI: vocab.PublicIRI}, {IRI: fed.ActorID("news")}},
				Content: "<p>Quietly: @news</p>"}
			if _, err := carol.Send(t.Context(), activitypubtest.BaseURL+"/ap/inbox", &vocab.Object{Type: vocab.Types{"Create"},
				To: note.To, Cc: note.Cc, Object: vocab.Ref{Object: note}}); err != nil {
				t.Fatal(err)
			}
			return note.ID
		}, true, "-", true, []string{"{followers}"}, []string{"{public}", "{author}"}},
		{"public mention", func(t *testing.T, fed *activitypub.Federation, carol *activitypubtest.Account, _ string) string {
			c, err := carol.Mention(t.Context(), fed.ActorID("news"), "<p>@news tip: the ferry is late</p>")
			if err != nil {
				t.Fatal(err)
			}
			return c.Object.ID()
		}, true, "-", true, []string{"{public}"}, []string{"{followers}", "{author}"}},
		{"direct message", func(t *testing.T, fed *activitypub.Federation, carol *activitypubtest.Account, _ string) string {
			c, err := carol.DM(t.Context(), fed.ActorID("news"), "<p>A document for you</p>")
			if err != nil {
				t.Fatal(err)
			}
			return c.Object.ID()
		}, false, "-", false, []string{"{author}"}, nil},
		{"followers-only mention in a conversation", func(t *testing.T, fed *activitypub.Federation, carol *activitypubtest.Account, _ string) string {
			return followersOnly(t, fed, carol, convo)
		}, false, convo, false, []string{"{author}"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fed, rec, article, bob := answerSite(t)
			carol := rec.NewAccount("carol@social.example")
			postID := tt.send(t, fed, carol, article)
			id, err := fed.Answer(t.Context(), "news", activitypub.Answer{InReplyTo: postID, Content: "<p>Thanks, we are on it.</p>"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(id, activitypubtest.BaseURL+"/ap/notes/") {
				t.Errorf("answer id %s is not under /ap/notes/", id)
			}
			creates := sentAbout(t, rec, "Create", id)
			want := []string{carol.SharedInbox()}
			if tt.wantFollowers {
				want = append(want, bob.SharedInbox())
				slices.Sort(want)
			}
			if got := inboxesOf(creates); !slices.Equal(got, want) {
				t.Fatalf("Create delivered to %v, want %v", got, want)
			}
			note := creates[0].Object
			if note == nil || !note.Type.Has("Note") || note.InReplyTo.ID() != postID || !note.AttributedTo.Has(fed.ActorID("news")) {
				t.Fatalf("Create carries %+v, want a Note of news in reply to %s", note, postID)
			}
			followers := fed.ActorID("news") + "/followers"
			act := creates[0].Activity
			fill := strings.NewReplacer("{public}", vocab.PublicIRI, "{followers}", followers, "{author}", carol.ID())
			filled := func(iris []string) []string {
				var out []string
				for _, s := range iris {
					out = append(out, fill.Replace(s))
				}
				return out
			}
			if !slices.Equal(note.To.IDs(), filled(tt.wantTo)) || !slices.Equal(note.Cc.IDs(), filled(tt.wantCc)) {
				t.Errorf("answer to %v cc %v, want to %v cc %v", note.To.IDs(), note.Cc.IDs(), filled(tt.wantTo), filled(tt.wantCc))
			}
			if !slices.Equal(act.To.IDs(), note.To.IDs()) || !slices.Equal(act.Cc.IDs(), note.Cc.IDs()) {
				t.Errorf("Create to %v cc %v, note to %v cc %v", act.To.IDs(), act.Cc.IDs(), note.To.IDs(), note.Cc.IDs())
			}
			var tag *vocab.Object
			for _, r := range note.Tag {
				if r.Object != nil && r.Object.Type.Has("Mention") {
					tag = r.Object
				}
			}
			if tag == nil || tag.Href != carol.ID() || tag.Name != "@carol@social.example" {
				t.Errorf("Mention tag %+v, want carol", tag)
			}
			if !strings.HasPrefix(note.Content, `<p><span class="h-card"><a href="`+carol.ID()+`" class="u-url mention">@<span>carol</span></a></span> Thanks`) {
				t.Errorf("content %q does not start with the mention of carol", note.Content)
			}
			var context string
			if _, err := note.DecodeExtra("context", &context); err != nil {
				t.Fatal(err)
			}
			switch tt.wantContext {
			case "":
				if context != article {
					t.Errorf("context %q, want the article %s", context, article)
				}
			case "-":
				if context != "" {
					t.Errorf("context %q, want none", context)
				}
			default:
				if context != tt.wantContext {
					t.Errorf("context %q, want %s", context, tt.wantContext)
				}
			}
			// The answer is served at its id.
			served, err := carol.Fetch(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if served.ID != id || served.Content != note.Content {
				t.Errorf("served %s %q, want %s %q", served.ID, served.Content, id, note.Content)
			}
			// A private answer and its Create are served to their recipient only.
			for _, iri := range []string{id, act.ID} {
				_, err := bob.Fetch(t.Context(), iri)
				if tt.public != (err == nil) {
					t.Errorf("bob's GET of %s: %v (public: %v)", iri, err, tt.public)
				}
				if status := unsignedGet(t, rec, iri); (status == http.StatusOK) != tt.public {
					t.Errorf("unsigned GET of %s: %d (public: %v)", iri, status, tt.public)
				}
				if _, err := carol.Fetch(t.Context(), iri); err != nil {
					t.Errorf("the author's GET of %s: %v", iri, err)
				}
			}
		})
	}
}

// TestAnswerEditDelete edits and deletes a public and a private answer: the Update and the
// Delete are addressed as the answer was and reach the same inboxes, and the answer's id then
// answers 410.
func TestAnswerEditDelete(t *testing.T) {
	for _, public := range []bool{true, false} {
		t.Run(map[bool]string{true: "public", false: "direct"}[public], func(t *testing.T) {
			fed, rec, article, _ := answerSite(t)
			carol := rec.NewAccount("carol@social.example")
			var c *vocab.Object
			var err error
			if public {
				c, err = carol.Reply(t.Context(), article, "<p>Bikes?</p>")
			} else {
				c, err = carol.DM(t.Context(), fed.ActorID("news"), "<p>Psst</p>")
			}
			if err != nil {
				t.Fatal(err)
			}
			id, err := fed.Answer(t.Context(), "news", activitypub.Answer{InReplyTo: c.Object.ID(), Content: "Yes."})
			if err != nil {
				t.Fatal(err)
			}
			creates := sentAbout(t, rec, "Create", id)
			if err := fed.EditAnswer(t.Context(), "news", id, "<p>Yes, from Monday.</p>"); err != nil {
				t.Fatal(err)
			}
			updates := sentAbout(t, rec, "Update", id)
			if got, want := inboxesOf(updates), inboxesOf(creates); !slices.Equal(got, want) {
				t.Fatalf("Update delivered to %v, the Create to %v", got, want)
			}
			u := updates[0]
			note := creates[0].Object
			if !slices.Equal(u.Activity.To.IDs(), note.To.IDs()) || !slices.Equal(u.Activity.Cc.IDs(), note.Cc.IDs()) ||
				!slices.Equal(u.Object.To.IDs(), note.To.IDs()) || !slices.Equal(u.Object.Cc.IDs(), note.Cc.IDs()) {
				t.Errorf("Update to %v cc %v, the answer to %v cc %v", u.Activity.To.IDs(), u.Activity.Cc.IDs(), note.To.IDs(), note.Cc.IDs())
			}
			if !strings.Contains(u.Object.Content, "from Monday") || !strings.Contains(u.Object.Content, `class="u-url mention"`) ||
				u.Object.Updated.IsZero() || !u.Object.Published.Equal(note.Published) {
				t.Errorf("Update carries %q updated %v published %v", u.Object.Content, u.Object.Updated, u.Object.Published)
			}
			if err := fed.DeleteAnswer(t.Context(), "news", id); err != nil {
				t.Fatal(err)
			}
			deletes := sentAbout(t, rec, "Delete", id)
			if got, want := inboxesOf(deletes), inboxesOf(creates); !slices.Equal(got, want) {
				t.Fatalf("Delete delivered to %v, the Create to %v", got, want)
			}
			if d := deletes[0].Activity; !slices.Equal(d.To.IDs(), note.To.IDs()) || !slices.Equal(d.Cc.IDs(), note.Cc.IDs()) {
				t.Errorf("Delete to %v cc %v, the answer to %v cc %v", d.To.IDs(), d.Cc.IDs(), note.To.IDs(), note.Cc.IDs())
			}
			if _, err := carol.Fetch(t.Context(), id); err == nil || !strings.Contains(err.Error(), ": 410") {
				t.Errorf("GET of the deleted answer: %v, want 410", err)
			}
			if err := fed.EditAnswer(t.Context(), "news", id, "again"); !errors.Is(err, activitypub.ErrNotFound) {
				t.Errorf("EditAnswer after delete: %v, want ErrNotFound", err)
			}
			if err := fed.DeleteAnswer(t.Context(), "news", id); !errors.Is(err, activitypub.ErrNotFound) {
				t.Errorf("DeleteAnswer twice: %v, want ErrNotFound", err)
			}
		})
	}
}

// TestAnswerInComments checks that an answer to a reply is listed in the article's comments as
// the organization's answer, under the reply, and leaves them when deleted.
func TestAnswerInComments(t *testing.T) {
	fed, rec, article, _ := answerSite(t)
	carol := rec.NewAccount("carol@social.example")
	c, err := carol.Reply(t.Context(), article, "<p>Bikes?</p>")
	if err != nil {
		t.Fatal(err)
	}
	id, err := fed.Answer(t.Context(), "news", activitypub.Answer{InReplyTo: c.Object.ID(), Content: "<p>Yes.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	list := func() []activitypub.Interaction {
		p, err := fed.Interactions(t.Context(), article, store.InteractionReply, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		return p.Items
	}
	got := list()
	if len(got) != 2 {
		t.Fatalf("%d comments, want the reply and the answer", len(got))
	}
	answer, reply := got[0].Reply, got[1].Reply
	if answer.ID != id || answer.AnswerTo != c.Object.ID() || answer.AuthorID != fed.ActorID("news") || answer.InReplyTo != article {
		t.Errorf("answer %+v, want %s answering %s on %s by news", answer, id, c.Object.ID(), article)
	}
	wantAuthor := activitypub.Author{ID: fed.ActorID("news"), Name: "The Daily Test", Handle: "@news@news.example",
		AvatarURL: activitypubtest.BaseURL + "/logo.png", ProfileURL: activitypubtest.BaseURL + "/about"}
	if answer.Author != wantAuthor {
		t.Errorf("answer author %+v, want %+v", answer.Author, wantAuthor)
	}
	if !strings.Contains(answer.Content, "Yes.") {
		t.Errorf("answer content %q", answer.Content)
	}
	if reply.AnswerTo != "" || reply.AuthorID != carol.ID() {
		t.Errorf("reply %+v is not carol's reader reply", reply)
	}
	if err := fed.EditAnswer(t.Context(), "news", id, "<p>Yes, from Monday.</p>"); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 2 || got[0].ID != id || !strings.Contains(got[0].Reply.Content, "from Monday") || got[0].Reply.Updated.IsZero() {
		t.Errorf("after the edit the comments are %+v", got)
	}
	if err := fed.DeleteAnswer(t.Context(), "news", id); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 1 || got[0].ID != c.Object.ID() {
		t.Errorf("after the delete the comments are %+v, want the reply alone", got)
	}
}

// TestAnswerRefused answers what cannot be answered: each gives the error named and nothing is
// stored or sent.
func TestAnswerRefused(t *testing.T) {
	fed, rec, article, _ := answerSite(t)
	carol := rec.NewAccount("carol@social.example")
	dm, err := carol.DM(t.Context(), fed.ActorID("desk"), "<p>For the desk only</p>")
	if err != nil {
		t.Fatal(err)
	}
	like, err := carol.Like(t.Context(), article)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := carol.Reply(t.Context(), article, "<p>Bikes?</p>")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		username string
		a        activitypub.Answer
		want     error
	}{
		{"an unknown post", "news", activitypub.Answer{InReplyTo: "https://social.example/users/carol/notes/404", Content: "Hi"}, activitypub.ErrNotFound},
		{"no post", "news", activitypub.Answer{Content: "Hi"}, activitypub.ErrNotFound},
		{"a like", "news", activitypub.Answer{InReplyTo: like.ID, Content: "Hi"}, activitypub.ErrNotFound},
		{"a message to another actor", "news", activitypub.Answer{InReplyTo: dm.Object.ID(), Content: "Hi"}, activitypub.ErrNotFound},
		{"the site's own article", "news", activitypub.Answer{InReplyTo: article, Content: "Hi"}, activitypub.ErrNotFound},
		{"an unknown actor", "nobody", activitypub.Answer{InReplyTo: reply.Object.ID(), Content: "Hi"}, activitypub.ErrNotFound},
		{"no content", "news", activitypub.Answer{InReplyTo: reply.Object.ID(), Content: "<script>x</script>"}, &activitypub.InvalidError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := fed.Answer(t.Context(), tt.username, tt.a)
			var invalid *activitypub.InvalidError
			switch {
			case errors.As(tt.want, &invalid):
				if !errors.As(err, &invalid) {
					t.Errorf("Answer: %v, want an *InvalidError", err)
				}
			case !errors.Is(err, tt.want):
				t.Errorf("Answer: %v, want %v", err, tt.want)
			}
			if id != "" {
				t.Errorf("Answer returned id %q with an error", id)
			}
		})
	}
	if err := rec.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, d := range rec.Sent() {
		if d.Object != nil && strings.HasPrefix(d.ObjectID, activitypubtest.BaseURL+"/ap/notes/") {
			t.Errorf("%s sent to %s after refused answers", d.Type, d.Inbox)
		}
	}
	p, err := fed.Interactions(t.Context(), article, store.InteractionReply, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 {
		t.Errorf("%d comments after refused answers, want the reply alone", len(p.Items))
	}
	id, err := fed.Answer(t.Context(), "news", activitypub.Answer{InReplyTo: reply.Object.ID(), Content: "Yes."})
	if err != nil {
		t.Fatal(err)
	}
	if err := fed.EditAnswer(t.Context(), "desk", id, "x"); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("desk edits news's answer: %v, want ErrNotFound", err)
	}
	if err := fed.DeleteAnswer(t.Context(), "desk", id); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("desk deletes news's answer: %v, want ErrNotFound", err)
	}
	if err := fed.Announce(t.Context(), "desk", id); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("desk boosts news's answer: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"https://social.example/users/carol/notes/1", article, activitypubtest.BaseURL + "/ap/notes/unknown"} {
		if err := fed.EditAnswer(t.Context(), "news", bad, "x"); !errors.Is(err, activitypub.ErrNotFound) {
			t.Errorf("EditAnswer(%s): %v, want ErrNotFound", bad, err)
		}
		if err := fed.DeleteAnswer(t.Context(), "news", bad); !errors.Is(err, activitypub.ErrNotFound) {
			t.Errorf("DeleteAnswer(%s): %v, want ErrNotFound", bad, err)
		}
	}
}
