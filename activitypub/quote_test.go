package activitypub_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/store"
)

// quoteSite is a site whose actor news has the quote policy actorPolicy, with one article of
// policy articlePolicy, behind a Recorder.
func quoteSite(t *testing.T, actorPolicy, articlePolicy activitypub.QuotePolicy) (*activitypub.Federation, *activitypubtest.Recorder, string) {
	t.Helper()
	actors := activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
		if name != "news" {
			return nil, activitypub.ErrNotFound
		}
		return &activitypub.Actor{Username: "news", Name: "News", QuotePolicy: actorPolicy}, nil
	})
	fed, rec, err := activitypubtest.NewFederation(actors)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Close)
	article := activitypubtest.BaseURL + "/articles/harbour"
	if err := fed.Publish(t.Context(), "news", activitypub.Article{URL: article, Title: "Harbour reopens",
		QuotePolicy: articlePolicy}); err != nil {
		t.Fatal(err)
	}
	return fed, rec, article
}

// quotingNote is a's post quoting article as Mastodon 4.5 writes one, citing the authorization
// stamp ("" for none).
func quotingNote(a *activitypubtest.Account, id, article, stamp, content string) *vocab.Object {
	n := &vocab.Object{ID: a.ID() + "/statuses/" + id, Type: vocab.Types{"Note"}, AttributedTo: vocab.Refs{{IRI: a.ID()}},
		To: vocab.Refs{{IRI: vocab.PublicIRI}}, Content: content,
		Extra: map[string]json.RawMessage{"quote": mustMarshal(article), "_misskey_quote": mustMarshal(article),
			"quoteUri": mustMarshal(article)}}
	if stamp != "" {
		n.Extra["quoteAuthorization"] = mustMarshal(stamp)
	}
	return n
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// requestQuote sends article's actor a's QuoteRequest for note and returns it.
func requestQuote(t *testing.T, a *activitypubtest.Account, article string, note *vocab.Object) *vocab.Object {
	t.Helper()
	req, err := a.Send(t.Context(), activitypubtest.BaseURL+"/ap/inbox", &vocab.Object{Type: vocab.Types{"QuoteRequest"},
		Object: vocab.Ref{IRI: article}, Extra: map[string]json.RawMessage{"instrument": mustMarshal(note)}})
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// answerTo returns the one Accept or Reject of the QuoteRequest req, and its type.
func answerTo(t *testing.T, rec *activitypubtest.Recorder, req *vocab.Object) activitypubtest.Delivery {
	t.Helper()
	var got []activitypubtest.Delivery
	for _, typ := range []string{"Accept", "Reject"} {
		got = append(got, sentAbout(t, rec, typ, req.ID)...)
	}
	if len(got) != 1 {
		t.Fatalf("%d answers to the QuoteRequest, want one: %+v", len(got), got)
	}
	return got[0]
}

func quoteCount(t *testing.T, fed *activitypub.Federation, article string) int {
	t.Helper()
	c, err := fed.Counts(t.Context(), article)
	if err != nil {
		t.Fatal(err)
	}
	return c.Quotes
}

// stampOf fetches the QuoteAuthorization an Accept names as its result, as the quoting server
// verifies it, and checks that it authorizes note to quote article on behalf of actorID.
func stampOf(t *testing.T, a *activitypubtest.Account, accept *vocab.Object, actorID, note, article string) string {
	t.Helper()
	var result string
	if ok, err := accept.DecodeExtra("result", &result); !ok || err != nil {
		t.Fatalf("Accept without a result: %v", err)
	}
	s, err := a.Fetch(t.Context(), result)
	if err != nil {
		t.Fatal(err)
	}
	var target, object string
	s.DecodeExtra("interactionTarget", &target)
	s.DecodeExtra("interactingObject", &object)
	if s.ID != result || !s.Type.Has("QuoteAuthorization") || !s.AttributedTo.Has(actorID) || object != note || target != article {
		t.Errorf("authorization %s: id %s, type %v, attributedTo %v, interactingObject %q, interactionTarget %q; want it of %s for %s quoting %s",
			result, s.ID, s.Type, s.AttributedTo.IDs(), object, target, actorID, note, article)
	}
	return result
}

// TestQuoteRequestPolicy sends a QuoteRequest under each policy, set on the actor or on the
// article: the article states the policy in its canQuote as Mastodon does, and the request is
// answered with an Accept whose result is a fetchable QuoteAuthorization (the quote then counted
// and listed), or with a Reject (nothing counted).
func TestQuoteRequestPolicy(t *testing.T) {
	const (
		public    = vocab.PublicIRI
		followers = activitypubtest.BaseURL + "/ap/users/news/followers"
		self      = activitypubtest.BaseURL + "/ap/users/news"
	)
	tests := []struct {
		name           string
		actor, article activitypub.QuotePolicy
		follows        bool
		canQuote       string
		accepted       bool
	}{
		{"default", activitypub.QuoteDefault, activitypub.QuoteDefault, false, public, true},
		{"actor followers, a follower", activitypub.QuoteFollowers, activitypub.QuoteDefault, true, followers, true},
		{"actor followers, a stranger", activitypub.QuoteFollowers, activitypub.QuoteDefault, false, followers, false},
		{"actor nobody", activitypub.QuoteNobody, activitypub.QuoteDefault, true, self, false},
		{"article nobody over actor anyone", activitypub.QuoteAnyone, activitypub.QuoteNobody, false, self, false},
		{"article anyone over actor nobody", activitypub.QuoteNobody, activitypub.QuoteAnyone, false, public, true},
		{"article followers, a follower", activitypub.QuoteDefault, activitypub.QuoteFollowers, true, followers, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fed, rec, article := quoteSite(t, tt.actor, tt.article)
			alice := rec.NewAccount("alice@quote.example")
			if tt.follows {
				if _, err := alice.Follow(t.Context(), fed.ActorID("news")); err != nil {
					t.Fatal(err)
				}
			}
			doc, err := alice.Fetch(t.Context(), article)
			if err != nil {
				t.Fatal(err)
			}
			var policy struct {
				CanQuote, CanReply struct {
					AutomaticApproval vocab.Refs `json:"automaticApproval"`
				}
			}
			if ok, err := doc.DecodeExtra("interactionPolicy", &policy); !ok || err != nil {
				t.Fatalf("article without an interactionPolicy: %v", err)
			}
			if got := policy.CanQuote.AutomaticApproval.IDs(); len(got) != 1 || got[0] != tt.canQuote {
				t.Errorf("canQuote automaticApproval = %v, want [%s]", got, tt.canQuote)
			}
			if !policy.CanReply.AutomaticApproval.HasPublic() {
				t.Errorf("canReply = %v, want the public: every reply is kept", policy.CanReply.AutomaticApproval.IDs())
			}

			note := quotingNote(alice, "1", article, "", "<p>Worth reading</p>")
			req := requestQuote(t, alice, article, note)
			d := answerTo(t, rec, req)
			if d.Inbox != alice.Inbox() || d.Actor != fed.ActorID("news") {
				t.Errorf("answer to %s by %s, want to %s by the article's actor", d.Inbox, d.Actor, alice.Inbox())
			}
			if got := d.Type == "Accept"; got != tt.accepted {
				t.Fatalf("answer %s, want accepted %v", d.Type, tt.accepted)
			}
			want := 0
			if tt.accepted {
				want = 1
				stampOf(t, alice, d.Activity, fed.ActorID("news"), note.ID, article)
				p, err := fed.Interactions(t.Context(), article, store.InteractionQuote, "", 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Items) != 1 || p.Items[0].Reply == nil || p.Items[0].Reply.Content != "<p>Worth reading</p>" ||
					p.Items[0].ActorID != alice.ID() {
					t.Errorf("quotes listed = %+v, want alice's post", p.Items)
				}
			}
			if got := quoteCount(t, fed, article); got != want {
				t.Errorf("Counts.Quotes = %d, want %d", got, want)
			}
		})
	}
}

// TestQuoteLifecycle follows an accepted quote: a repeated request gets the same authorization,
// the Create citing it keeps the quote (counted once), an Update edits it, a Delete removes it.
func TestQuoteLifecycle(t *testing.T) {
	fed, rec, article := quoteSite(t, activitypub.QuoteDefault, activitypub.QuoteDefault)
	alice := rec.NewAccount("alice@quote.example")
	note := quotingNote(alice, "1", article, "", "<p>First</p>")
	stamp := stampOf(t, alice, answerTo(t, rec, requestQuote(t, alice, article, note)).Activity, fed.ActorID("news"), note.ID, article)
	again := stampOf(t, alice, answerTo(t, rec, requestQuote(t, alice, article, note)).Activity, fed.ActorID("news"), note.ID, article)
	if again != stamp {
		t.Errorf("a repeated request got %s, want the same authorization %s", again, stamp)
	}
	inbox := activitypubtest.BaseURL + "/ap/inbox"
	steps := []struct {
		name    string
		act     *vocab.Object
		count   int
		content string
	}{
		{"create", &vocab.Object{Type: vocab.Types{"Create"}, Object: vocab.Ref{Object: quotingNote(alice, "1", article, stamp, "<p>Created</p>")}}, 1, "<p>Created</p>"},
		{"update", &vocab.Object{Type: vocab.Types{"Update"}, Object: vocab.Ref{Object: quotingNote(alice, "1", article, stamp, "<p>Edited</p>")}}, 1, "<p>Edited</p>"},
		{"delete", &vocab.Object{Type: vocab.Types{"Delete"}, Object: vocab.Ref{IRI: note.ID}}, 0, ""},
	}
	for _, s := range steps {
		if _, err := alice.Send(t.Context(), inbox, s.act); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := quoteCount(t, fed, article); got != s.count {
			t.Errorf("after %s: Counts.Quotes = %d, want %d", s.name, got, s.count)
		}
		if s.content == "" {
			continue
		}
		p, err := fed.Interactions(t.Context(), article, store.InteractionQuote, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 1 || p.Items[0].Reply.Content != s.content {
			t.Errorf("after %s: quotes %+v, want one with %q", s.name, p.Items, s.content)
		}
	}
}

// TestQuoteRevoked: the authorization of a quote is revoked, with a Delete of it sent to the
// quoting actor, when the article's policy comes to exclude the quoter (SetQuotePolicy, or
// Update with another QuotePolicy) or the article is deleted; it then answers 410 and the quote
// is no longer counted. A quote the new policy still allows keeps its authorization.
func TestQuoteRevoked(t *testing.T) {
	tests := []struct {
		name    string
		change  func(ctx context.Context, fed *activitypub.Federation, article string) error
		revoked bool
	}{
		{"policy nobody", func(ctx context.Context, fed *activitypub.Federation, article string) error {
			return fed.SetQuotePolicy(ctx, "news", article, activitypub.QuoteNobody)
		}, true},
		{"policy followers, quoter not following", func(ctx context.Context, fed *activitypub.Federation, article string) error {
			return fed.SetQuotePolicy(ctx, "news", article, activitypub.QuoteFollowers)
		}, true},
		{"update to followers", func(ctx context.Context, fed *activitypub.Federation, article string) error {
			return fed.Update(ctx, "news", activitypub.Article{URL: article, Title: "Harbour reopens",
				QuotePolicy: activitypub.QuoteFollowers})
		}, true},
		{"update keeping anyone", func(ctx context.Context, fed *activitypub.Federation, article string) error {
			return fed.Update(ctx, "news", activitypub.Article{URL: article, Title: "Harbour reopens, edited"})
		}, false},
		{"article deleted", func(ctx context.Context, fed *activitypub.Federation, article string) error {
			return fed.Delete(ctx, "news", article)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fed, rec, article := quoteSite(t, activitypub.QuoteDefault, activitypub.QuoteDefault)
			alice := rec.NewAccount("alice@quote.example")
			note := quotingNote(alice, "1", article, "", "<p>Quoted</p>")
			stamp := stampOf(t, alice, answerTo(t, rec, requestQuote(t, alice, article, note)).Activity, fed.ActorID("news"), note.ID, article)
			if err := tt.change(t.Context(), fed, article); err != nil {
				t.Fatal(err)
			}
			var deletes []activitypubtest.Delivery
			for _, d := range sentAbout(t, rec, "Delete", stamp) {
				if d.Inbox == alice.Inbox() && d.Actor == fed.ActorID("news") {
					deletes = append(deletes, d)
				}
			}
			status := unsignedGet(t, rec, stamp)
			if !tt.revoked {
				if len(deletes) != 0 || status != http.StatusOK || quoteCount(t, fed, article) != 1 {
					t.Errorf("kept quote: %d Deletes of its authorization, GET %d, %d quotes; want none, 200, 1",
						len(deletes), status, quoteCount(t, fed, article))
				}
				return
			}
			if len(deletes) != 1 {
				t.Errorf("%d Deletes of the authorization to alice, want 1", len(deletes))
			}
			if status != http.StatusGone {
				t.Errorf("GET revoked authorization = %d, want 410", status)
			}
			if got := quoteCount(t, fed, article); got != 0 {
				t.Errorf("Counts.Quotes = %d after revocation, want 0", got)
			}
		})
	}
}

// TestQuoteDialects sends real quote posts of each dialect, their quote fields pointed at the
// site's article: Misskey's (Sharkey: _misskey_quote, quoteUrl, quoteUri) and Fedibird's
// (quoteUri) are counted as they come; a FEP-044f quote without an authorization the site issued
// is not.
func TestQuoteDialects(t *testing.T) {
	tests := []struct {
		file    string
		fields  []string
		counted bool
	}{
		{"misskey/sharkey_quote_note.json", []string{"_misskey_quote", "quoteUrl", "quoteUri"}, true},
		{"fedibird/akkoma_quote_post_fedibird_quote_uri.json", []string{"quoteUri", "_misskey_quote"}, true},
		{"fedibird/akkoma_fedibird_quote.json", []string{"quoteUri", "_misskey_quote"}, true},
		{"misskey/sharkey_quote_note.json", []string{"quote", "_misskey_quote", "quoteUrl", "quoteUri"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.fields[0], func(t *testing.T) {
			fed, rec, article := quoteSite(t, activitypub.QuoteDefault, activitypub.QuoteDefault)
			author := rec.NewAccount("carol@dialect.example")
			var note map[string]any
			if err := json.Unmarshal(corpus.ReadFile(t, tt.file), &note); err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.fields {
				if _, ok := note[f]; !ok && f != "quote" {
					t.Fatalf("%s has no %s", tt.file, f)
				}
				note[f] = article
			}
			note["id"] = author.ID() + "/notes/1"
			note["attributedTo"] = author.ID()
			delete(note, "@context")
			create := map[string]any{"@context": vocab.ContextActivityStreams, "id": author.ID() + "/notes/1/activity",
				"type": "Create", "actor": author.ID(), "object": note}
			raw, err := json.Marshal(create)
			if err != nil {
				t.Fatal(err)
			}
			act, err := vocab.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := author.Send(t.Context(), activitypubtest.BaseURL+"/ap/inbox", act); err != nil {
				t.Fatal(err)
			}
			want := 0
			if tt.counted {
				want = 1
			}
			if got := quoteCount(t, fed, article); got != want {
				t.Errorf("Counts.Quotes = %d, want %d", got, want)
			}
		})
	}
}
