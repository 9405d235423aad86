package activitypub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
	"github.com/fedsite/fedsite/store/sqlstore"
	"github.com/fedsite/fedsite/webfinger"
	_ "modernc.org/sqlite"
)

// follow makes r follow the site actor and waits for the Accept.
func follow(t *testing.T, s *site, r *activitypubtest.Remote, actorID, id string) map[string]any {
	t.Helper()
	f := map[string]any{
		"@context": vocab.ContextActivityStreams, "id": r.ActorID() + "/follows/" + id,
		"type": "Follow", "actor": r.ActorID(), "object": actorID,
	}
	if resp := r.Post(actorID+"/inbox", f); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: status %d", resp.StatusCode)
	}
	r.WaitFor("Accept")
	return f
}

// waitN waits for n deliveries of type typ to r and returns them in arrival order.
func waitN(t *testing.T, r *activitypubtest.Remote, typ string, n int) []activitypubtest.Delivery {
	t.Helper()
	deadline := time.Now().Add(activitypubtest.WaitTimeout)
	for {
		var got []activitypubtest.Delivery
		for _, d := range r.Deliveries() {
			if d.Err != nil {
				t.Fatalf("delivery to %s: %v", d.Path, d.Err)
			}
			if d.Activity.Type.Has(typ) {
				got = append(got, d)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s delivered to %s, want %d", len(got), typ, r.ActorID(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(r *activitypubtest.Remote, typ string) int {
	n := 0
	for _, d := range r.Deliveries() {
		if d.Err == nil && d.Activity.Type.Has(typ) {
			n++
		}
	}
	return n
}

// extraString returns a string member kept in Extra.
func extraString(t *testing.T, o *vocab.Object, name string) string {
	t.Helper()
	var s string
	if raw, ok := o.Extra[name]; ok {
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return s
}

// TestUpdateAndDelete runs edits and deletes on the in-memory store and on SQLite, whose
// PutObject replaces a document stored by AppendOutbox.
func TestUpdateAndDelete(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"memstore", func(*testing.T) store.Store { return memstore.New() }},
		{"sqlite", func(t *testing.T) store.Store {
			st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "fed.db"), sqlstore.Config{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { testUpdateAndDelete(t, st.open(t)) })
	}
}

func testUpdateAndDelete(t *testing.T, st store.Store) {
	ctx := context.Background()
	clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
	s := newSiteWith(t, st, func(c *activitypub.Config) { c.Now = clk.Now })
	newsID := s.fed.ActorID("news")
	alice := activitypubtest.NewRemote(t, "alice")
	bob := activitypubtest.NewRemote(t, "bob")
	follow(t, s, alice, newsID, "1")
	bobFollow := follow(t, s, bob, newsID, "1")

	article := activitypub.Article{
		URL: s.url("/articles/river-path"), Title: "Council approves the river path",
		Content: "<p>The council voted 31 to 9.</p>", Language: "en",
	}
	if err := s.fed.Publish(ctx, "news", article); err != nil {
		t.Fatal(err)
	}
	create := alice.WaitFor("Create").Activity
	published := create.Object.Object.Published
	bob.WaitFor("Create")
	activities := []string{create.ID} // the activities that carry the article's text

	// Refusals: nothing is stored or sent for them.
	refusals := []struct {
		name string
		call func() error
		want error
	}{
		{"update never published", func() error {
			a := article
			a.URL = s.url("/articles/draft")
			return s.fed.Update(ctx, "news", a)
		}, activitypub.ErrNotFound},
		{"update by another actor", func() error { return s.fed.Update(ctx, "desk", article) }, activitypub.ErrNotFound},
		{"update unknown actor", func() error { return s.fed.Update(ctx, "nobody", article) }, activitypub.ErrNotFound},
		{"delete never published", func() error { return s.fed.Delete(ctx, "news", s.url("/articles/draft")) }, activitypub.ErrNotFound},
		{"delete by another actor", func() error { return s.fed.Delete(ctx, "desk", article.URL) }, activitypub.ErrNotFound},
		{"delete fedsite route", func() error { return s.fed.Delete(ctx, "news", s.url("/ap/actor")) }, activitypub.ErrNotFound},
	}
	for _, c := range refusals {
		if err := c.call(); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if st, err := s.fed.DeliveryStatus(ctx, s.url("/articles/draft")); err != nil || len(st.Hosts) != 0 {
		t.Errorf("never-published URL delivery status = %+v, %v; want nothing queued", st, err)
	}

	// Two edits while the clock stands still: updated still increases, past published.
	edits := []string{"<p>The council voted 31 to 9 on Tuesday.</p>", "<p>The council voted 32 to 8.</p>"}
	var prev time.Time
	for i, content := range edits {
		a := article
		a.Content = content
		if err := s.fed.Update(ctx, "news", a); err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
		ups := waitN(t, alice, "Update", i+1)
		up := ups[i]
		activities = append(activities, up.Activity.ID)
		obj := up.Activity.Object.Object
		if obj == nil {
			t.Fatalf("Update %d without the full object", i)
		}
		checks := []struct {
			name string
			ok   bool
		}{
			{"signed by the actor", up.Signer == newsID},
			{"object id is the article URL", obj.ID == article.URL},
			{"type Article", obj.Type.Has("Article")},
			{"new content", obj.Content == content},
			{"name kept", obj.Name == article.Title},
			{"published kept", obj.Published.Equal(published)},
			{"updated after published", obj.Updated.After(obj.Published)},
			{"updated after the previous edit", obj.Updated.After(prev)},
			{"addressed to the public", up.Activity.To.Has(vocab.PublicIRI)},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("Update %d: not %s: %+v", i, c.name, obj)
			}
		}
		prev = obj.Updated
	}
	// The article URL serves the edited object.
	resp, body := s.get(t, "/articles/river-path", vocab.MediaType)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET edited article: %d", resp.StatusCode)
	}
	if o, err := vocab.Decode(body); err != nil || o.Content != edits[1] || !o.Updated.Equal(prev) {
		t.Errorf("served article = %+v, %v; want the last edit", o, err)
	}

	// bob unfollows: he received the Create, so he gets the Delete anyway.
	undo := map[string]any{"@context": vocab.ContextActivityStreams, "id": bob.ActorID() + "/undo/1",
		"type": "Undo", "actor": bob.ActorID(), "object": bobFollow}
	if resp := bob.Post(s.url("/ap/inbox"), undo); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Undo: %d", resp.StatusCode)
	}
	if err := s.fed.Delete(ctx, "news", article.URL); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*activitypubtest.Remote{alice, bob} {
		d := r.WaitFor("Delete")
		ts := d.Activity.Object.Object
		if ts == nil {
			t.Fatalf("Delete to %s without a Tombstone", r.ActorID())
		}
		checks := []struct{ name, got, want string }{
			{"signer", d.Signer, newsID},
			{"actor", d.Activity.Actor.ID(), newsID},
			{"to", strings.Join(d.Activity.To.IDs(), " "), vocab.PublicIRI},
			{"cc", strings.Join(d.Activity.Cc.IDs(), " "), newsID + "/followers"},
			{"object type", ts.Type.First(), "Tombstone"},
			{"object id", ts.ID, article.URL},
			{"formerType", extraString(t, ts, "formerType"), "Article"},
			{"deleted", extraString(t, ts, "deleted"), clk.Now().Format(time.RFC3339)},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("Delete to %s: %s = %q, want %q", r.ActorID(), c.name, c.got, c.want)
			}
		}
	}
	if n := count(bob, "Update"); n != 2 {
		t.Errorf("bob got %d Updates, want 2 (he followed then)", n)
	}

	// The article URL answers AS2 requests with 410 and a Tombstone; browsers get the site's page.
	resp, body = s.get(t, "/articles/river-path", vocab.MediaType)
	if resp.StatusCode != http.StatusGone {
		t.Errorf("GET deleted article as AS2: %d, want 410", resp.StatusCode)
	}
	if o, err := vocab.Decode(body); err != nil || !o.Type.Has("Tombstone") || o.ID != article.URL {
		t.Errorf("410 body = %s, want a Tombstone", body)
	}
	// This site has no page there: fedsite hands HTML requests to it, which answers 404.
	if resp, _ := s.get(t, "/articles/river-path", "text/html"); resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") == vocab.MediaType {
		t.Errorf("GET deleted article as HTML: %d %s, want the site's own answer", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The Create and Updates that carried the text are gone with the article; the Delete is served.
	for _, id := range activities {
		resp, body := s.get(t, strings.TrimPrefix(id, s.url("")), vocab.MediaType)
		if o, err := vocab.Decode(body); resp.StatusCode != http.StatusGone || err != nil || !o.Type.Has("Tombstone") ||
			o.ID != id || strings.Contains(string(body), "to 9") || strings.Contains(string(body), "to 8") {
			t.Errorf("GET %s after Delete: %d %s, want 410 with a Tombstone", id, resp.StatusCode, body)
		}
	}
	delID := alice.WaitFor("Delete").Activity.ID
	if resp, body := s.get(t, strings.TrimPrefix(delID, s.url("")), vocab.MediaType); resp.StatusCode != http.StatusOK {
		t.Errorf("GET the Delete %s: %d %s, want 200", delID, resp.StatusCode, body)
	}
	// The deleted post leaves the outbox, its count included, as on Mastodon.
	if n := outboxTotal(t, s, "news"); n != 0 {
		t.Errorf("outbox totalItems after Delete = %d, want 0", n)
	}
	resp, body = s.get(t, "/ap/users/news/outbox?page=true", vocab.MediaType)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("outbox page: %d", resp.StatusCode)
	}
	if page, err := vocab.Decode(body); err != nil || len(page.OrderedItems) != 0 {
		t.Errorf("outbox after Delete = %s, want no items", body)
	}

	after := []struct {
		name string
		err  error
		want error
	}{
		{"delete twice", s.fed.Delete(ctx, "news", article.URL), activitypub.ErrNotFound},
		{"update deleted", s.fed.Update(ctx, "news", article), activitypub.ErrNotFound},
		{"publish deleted URL again", s.fed.Publish(ctx, "news", article), activitypub.ErrAlreadyPublished},
	}
	for _, c := range after {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
}

func TestDeleteActor(t *testing.T) {
	ctx := context.Background()
	s := newTestSite(t)
	newsID := s.fed.ActorID("news")
	alice := activitypubtest.NewRemote(t, "alice")
	follow(t, s, alice, newsID, "1")

	if err := s.fed.DeleteActor(ctx, "news"); err != nil {
		t.Fatal(err)
	}
	d := alice.WaitFor("Delete")
	checks := []struct{ name, got, want string }{
		{"signer", d.Signer, newsID},
		{"actor", d.Activity.Actor.ID(), newsID},
		{"object", d.Activity.Object.ID(), newsID},
		{"to", strings.Join(d.Activity.To.IDs(), " "), vocab.PublicIRI},
		{"cc", strings.Join(d.Activity.Cc.IDs(), " "), newsID + "/followers"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("Delete %s = %q, want %q", c.name, c.got, c.want)
		}
	}

	// The ActorSource still returns news, but its URL is gone.
	gets := []struct {
		path, accept string
		want         int
	}{
		{"/ap/users/news", vocab.MediaType, http.StatusGone},
		{"/ap/users/news", "text/html", http.StatusGone},
		{"/.well-known/webfinger?resource=acct:news@" + strings.TrimPrefix(s.srv.URL, "http://"), "", http.StatusGone},
		{"/ap/users/desk", vocab.MediaType, http.StatusOK},
	}
	for _, g := range gets {
		resp, body := s.get(t, g.path, g.accept)
		if resp.StatusCode != g.want {
			t.Errorf("GET %s (%s): %d, want %d", g.path, g.accept, resp.StatusCode, g.want)
		}
		if g.want == http.StatusGone && !strings.HasPrefix(g.path, "/.well-known/") {
			if o, err := vocab.Decode(body); err != nil || !o.Type.Has("Tombstone") || extraString(t, o, "formerType") != "Organization" {
				t.Errorf("GET %s: body %s, want an Organization Tombstone", g.path, body)
			}
		}
	}
	// The deleted actor can no longer publish, and its inbox and collections are gone.
	refused := []struct {
		name string
		err  error
	}{
		{"second DeleteActor", s.fed.DeleteActor(ctx, "news")},
		{"Publish", s.fed.Publish(ctx, "news", activitypub.Article{URL: s.url("/articles/late"), Title: "Late"})},
	}
	for _, c := range refused {
		if !errors.Is(c.err, activitypub.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", c.name, c.err)
		}
	}
	if resp := alice.Post(newsID+"/inbox", map[string]any{"@context": vocab.ContextActivityStreams,
		"id": alice.ActorID() + "/follows/2", "type": "Follow", "actor": alice.ActorID(), "object": newsID}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("Follow of the deleted actor: status %d, want 404", resp.StatusCode)
	}
	if resp, _ := s.get(t, "/ap/users/news/outbox", vocab.MediaType); resp.StatusCode != http.StatusNotFound {
		t.Errorf("outbox of the deleted actor: status %d, want 404", resp.StatusCode)
	}
}

// TestWebFingerDeletedActor checks that WebFinger for an actor deleted with DeleteActor gives an
// error matching webfinger.ErrGone (a 410) by handle and by actor URL, while other actors are
// unaffected and unknown ones stay ErrNotFound.
func TestWebFingerDeletedActor(t *testing.T) {
	s := newTestSite(t)
	host := strings.TrimPrefix(s.srv.URL, "http://")
	client, err := webfinger.NewClient(webfinger.ClientConfig{InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		resource    string
		before      error // before DeleteActor("news"); nil: found
		after       error
		wantSubject string
	}{
		{resource: "acct:news@" + host, after: webfinger.ErrGone, wantSubject: "acct:news@" + host},
		{resource: s.fed.ActorID("news"), after: webfinger.ErrGone, wantSubject: "acct:news@" + host},
		{resource: "acct:desk@" + host, wantSubject: "acct:desk@" + host},
		{resource: "acct:nobody@" + host, before: webfinger.ErrNotFound, after: webfinger.ErrNotFound},
	}
	lookup := func(t *testing.T, resource string, want error, subject string) {
		t.Helper()
		jrd, err := client.Lookup(t.Context(), resource)
		switch {
		case want == nil && err != nil:
			t.Errorf("Lookup(%s): %v, want a document", resource, err)
		case want == nil && jrd.Subject != subject:
			t.Errorf("Lookup(%s): subject %q, want %q", resource, jrd.Subject, subject)
		case want != nil && !errors.Is(err, want):
			t.Errorf("Lookup(%s): %v, %v; want an error matching %v", resource, jrd, err, want)
		}
		// A gone actor is not reported as merely not found, which servers would retry.
		if want == webfinger.ErrGone && errors.Is(err, webfinger.ErrNotFound) {
			t.Errorf("Lookup(%s): %v also matches ErrNotFound", resource, err)
		}
	}
	for _, tt := range tests {
		lookup(t, tt.resource, tt.before, tt.wantSubject)
	}
	if err := s.fed.DeleteActor(t.Context(), "news"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		lookup(t, tt.resource, tt.after, tt.wantSubject)
	}
}

// outboxTotal returns the totalItems of the actor's outbox.
func outboxTotal(t *testing.T, s *site, actor string) int {
	t.Helper()
	resp, body := s.get(t, "/ap/users/"+actor+"/outbox", vocab.MediaType)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("outbox of %s: %d", actor, resp.StatusCode)
	}
	c, err := vocab.Decode(body)
	if err != nil || c.TotalItems == nil {
		t.Fatalf("outbox of %s = %s, %v; want totalItems", actor, body, err)
	}
	return *c.TotalItems
}

// TestEditReachesBoostAudience checks that an edit reaches a server that saw the article only
// through a boost: bob follows @news alone, @news boosts @desk's article, and @desk's Update and
// Delete must reach bob as well as @desk's own follower alice.
func TestEditReachesBoostAudience(t *testing.T) {
	ctx := context.Background()
	s := newSiteWith(t, memstore.New(), nil)
	deskID := s.fed.ActorID("desk")
	alice := activitypubtest.NewRemote(t, "alice")
	bob := activitypubtest.NewRemote(t, "bob")
	follow(t, s, alice, deskID, "1")
	follow(t, s, bob, s.fed.ActorID("news"), "1")

	article := activitypub.Article{
		URL: s.url("/articles/ferry"), Title: "Ferry timetable changes",
		Content: "<p>From May the ferry runs hourly.</p>",
	}
	if err := s.fed.Publish(ctx, "desk", article); err != nil {
		t.Fatal(err)
	}
	alice.WaitFor("Create")
	if err := s.fed.Announce(ctx, "news", article.URL); err != nil {
		t.Fatal(err)
	}
	bob.WaitFor("Announce")

	edited := article
	edited.Content = "<p>From May the ferry runs every half hour.</p>"
	if err := s.fed.Update(ctx, "desk", edited); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*activitypubtest.Remote{alice, bob} {
		up := r.WaitFor("Update")
		obj := up.Activity.Object.Object
		if up.Signer != deskID || obj == nil || obj.ID != article.URL || obj.Content != edited.Content {
			t.Errorf("Update to %s: signer %s, object %+v; want @desk's edit of %s", r.ActorID(), up.Signer, obj, article.URL)
		}
	}
	if err := s.fed.Delete(ctx, "desk", article.URL); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*activitypubtest.Remote{alice, bob} {
		if d := r.WaitFor("Delete"); d.Activity.Object.ID() != article.URL {
			t.Errorf("Delete to %s of %s, want %s", r.ActorID(), d.Activity.Object.ID(), article.URL)
		}
	}
	if n := count(bob, "Create"); n != 0 {
		t.Errorf("bob got %d Creates; he follows only @news", n)
	}
	if n := count(bob, "Update"); n != 1 {
		t.Errorf("bob got %d Updates, want 1", n)
	}
}

// TestOutboxCountsLivePosts checks that deleted posts leave the outboxes, counts included: @desk
// publishes three articles and @news boosts two of them; after @desk deletes two, one boosted,
// each profile counts and lists only what is still there, and the deleted articles' URLs still
// answer with their Tombstones.
func TestOutboxCountsLivePosts(t *testing.T) {
	ctx := context.Background()
	s := newSiteWith(t, memstore.New(), nil)
	var urls []string
	for _, slug := range []string{"tram", "ferry", "bridge"} {
		a := activitypub.Article{URL: s.url("/articles/" + slug), Title: "About the " + slug}
		if err := s.fed.Publish(ctx, "desk", a); err != nil {
			t.Fatal(err)
		}
		urls = append(urls, a.URL)
	}
	for _, u := range urls[1:] {
		if err := s.fed.Announce(ctx, "news", u); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range urls[:2] {
		if err := s.fed.Delete(ctx, "desk", u); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		actor    string
		wantType string
		wantObj  string // the one object its outbox still lists
	}{
		{"desk", "Create", urls[2]},
		{"news", "Announce", urls[2]},
	}
	for _, c := range cases {
		if n := outboxTotal(t, s, c.actor); n != 1 {
			t.Errorf("%s: outbox totalItems = %d, want 1", c.actor, n)
		}
		_, body := s.get(t, "/ap/users/"+c.actor+"/outbox?page=true", vocab.MediaType)
		page, err := vocab.Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.OrderedItems) != 1 || page.OrderedItems[0].Object == nil ||
			!page.OrderedItems[0].Object.Type.Has(c.wantType) || page.OrderedItems[0].Object.Object.ID() != c.wantObj {
			t.Errorf("%s: outbox page = %s, want only the %s of %s", c.actor, body, c.wantType, c.wantObj)
		}
	}
	for _, u := range urls[:2] {
		resp, body := s.get(t, strings.TrimPrefix(u, s.url("")), vocab.MediaType)
		if o, err := vocab.Decode(body); resp.StatusCode != http.StatusGone || err != nil || !o.Type.Has("Tombstone") || o.ID != u {
			t.Errorf("GET %s: %d %s, want 410 with its Tombstone", u, resp.StatusCode, body)
		}
	}
}

// deletingStore deletes the article an Announce is about just before appending the Announce, as
// a Delete racing the Announce would.
type deletingStore struct{ *memstore.Store }

func (s deletingStore) AppendOutbox(ctx context.Context, activity store.Object, objects ...store.Object) error {
	if activity.Type == "Announce" {
		if err := s.Store.DeleteObject(ctx, activity.ObjectID, time.Now()); err != nil {
			return err
		}
	}
	return s.Store.AppendOutbox(ctx, activity, objects...)
}

// TestAnnounceRacingDelete checks that a boost of an article deleted meanwhile is refused as not
// found, not as a boost made before, and leaves no count behind.
func TestAnnounceRacingDelete(t *testing.T) {
	ctx := context.Background()
	s := newSiteWith(t, deletingStore{memstore.New()}, nil)
	a := activitypub.Article{URL: s.url("/articles/ferry"), Title: "Ferry timetable changes"}
	if err := s.fed.Publish(ctx, "desk", a); err != nil {
		t.Fatal(err)
	}
	err := s.fed.Announce(ctx, "news", a.URL)
	if !errors.Is(err, activitypub.ErrNotFound) || errors.Is(err, activitypub.ErrAlreadyPublished) {
		t.Errorf("Announce of an article deleted meanwhile: %v, want ErrNotFound", err)
	}
	if n := outboxTotal(t, s, "news"); n != 0 {
		t.Errorf("outbox totalItems of news = %d, want 0", n)
	}
}
