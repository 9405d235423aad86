package activitypub_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// threadNote is a public note of r at path, answering inReplyTo.
func threadNote(r *activitypubtest.Remote, path, inReplyTo string) map[string]any {
	return map[string]any{"@context": vocab.ContextActivityStreams, "id": r.URL() + path, "type": "Note",
		"attributedTo": r.ActorID(), "inReplyTo": inReplyTo, "content": "<p>" + path + "</p>", "to": []string{vocab.PublicIRI}}
}

// createOf is r's Create of note.
func createOf(r *activitypubtest.Remote, note map[string]any) map[string]any {
	return map[string]any{"id": note["id"].(string) + "/activity", "type": "Create", "actor": r.ActorID(), "object": note,
		"to": []string{vocab.PublicIRI}}
}

// replyTree lists the replies in an article's conversation as "id < parent", oldest first.
func replyTree(t *testing.T, s *site, article string) []string {
	t.Helper()
	p, err := s.fed.Interactions(t.Context(), article, store.InteractionReply, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(p.Items) - 1; i >= 0; i-- {
		r := p.Items[i].Reply
		if r.InReplyTo != article {
			t.Errorf("reply %s is in the conversation of %s, want %s", r.ID, r.InReplyTo, article)
		}
		out = append(out, r.ID+" < "+r.Parent)
	}
	return out
}

// TestThreadOutOfOrder has three people answer an article in a chain, the deepest reply arriving
// first: the site fetches its way up to the article, keeps the whole thread under it with each
// post's parent, and ignores the Creates of the posts it already fetched.
func TestThreadOutOfOrder(t *testing.T) {
	s, article := interactionSite(t, &hookLog{}, false)
	alice, bob, carol := activitypubtest.NewRemote(t, "alice"), activitypubtest.NewRemote(t, "bob"), activitypubtest.NewRemote(t, "carol")
	a := threadNote(alice, "/notes/a", article)
	b := threadNote(bob, "/notes/b", alice.URL()+"/notes/a")
	c := threadNote(carol, "/notes/c", bob.URL()+"/notes/b")
	alice.Serve("/notes/a", a)
	bob.Serve("/notes/b", b)

	post(t, carol, s, createOf(carol, c), http.StatusAccepted)
	want := []string{
		alice.URL() + "/notes/a < " + article,
		bob.URL() + "/notes/b < " + alice.URL() + "/notes/a",
		carol.URL() + "/notes/c < " + bob.URL() + "/notes/b",
	}
	if got := replyTree(t, s, article); !reflect.DeepEqual(got, want) {
		t.Errorf("thread = %q, want %q", got, want)
	}
	// The Creates of the fetched posts come late and change nothing; a fourth level, answering
	// a kept reply, needs no fetch.
	post(t, bob, s, createOf(bob, b), http.StatusAccepted)
	post(t, alice, s, createOf(alice, a), http.StatusAccepted)
	fetches := alice.ObjectFetches() + bob.ObjectFetches()
	d := threadNote(alice, "/notes/d", carol.URL()+"/notes/c")
	post(t, alice, s, createOf(alice, d), http.StatusAccepted)
	want = append(want, alice.URL()+"/notes/d < "+carol.URL()+"/notes/c")
	if got := replyTree(t, s, article); !reflect.DeepEqual(got, want) {
		t.Errorf("thread = %q, want %q", got, want)
	}
	if n := alice.ObjectFetches() + bob.ObjectFetches(); n != fetches || fetches != 2 {
		t.Errorf("posts fetched %d times, then %d; want each of the two unknown ones once", fetches, n)
	}
	if c := counts(t, s, article); c.Replies != 4 {
		t.Errorf("replies = %d, want 4", c.Replies)
	}
}

// TestThreadLimits checks that a walk up a thread stops: at a chain longer than the depth limit,
// and at a loop, each post fetched at most once; the reply is then not kept.
func TestThreadLimits(t *testing.T) {
	tests := []struct {
		name     string
		chain    int  // posts between the reply and the article
		loop     bool // the chain answers itself instead of the article
		kept     bool
		wantGets int
	}{
		{"seven posts up", 7, false, true, 7},
		{"eight posts up: past the limit", 8, false, false, 8},
		{"a loop of two", 2, true, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, article := interactionSite(t, &hookLog{}, false)
			alice := activitypubtest.NewRemote(t, "alice")
			parent := article
			if tt.loop {
				parent = alice.URL() + fmt.Sprintf("/notes/%d", tt.chain)
			}
			for n := 1; n <= tt.chain; n++ {
				alice.Serve(fmt.Sprintf("/notes/%d", n), threadNote(alice, fmt.Sprintf("/notes/%d", n), parent))
				parent = alice.URL() + fmt.Sprintf("/notes/%d", n)
			}
			reply := threadNote(alice, "/notes/reply", parent)
			post(t, alice, s, createOf(alice, reply), http.StatusAccepted)
			c := counts(t, s, article)
			if want := map[bool]int{true: tt.chain + 1, false: 0}[tt.kept]; c.Replies != want {
				t.Errorf("replies = %d, want %d", c.Replies, want)
			}
			if n := alice.ObjectFetches(); n != tt.wantGets {
				t.Errorf("posts fetched %d times, want %d", n, tt.wantGets)
			}
			if _, err := s.store.Interaction(t.Context(), reply["id"].(string)); (err == nil) != tt.kept {
				t.Errorf("reply kept: %v, want %t", err, tt.kept)
			}
		})
	}
}
