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

// count returns an actor's collection's totalItems.
func (a *app) count(t *testing.T, actor, collection string) int {
	t.Helper()
	c := a.as2(t, a.base+"/ap/users/"+actor+"/"+collection)
	if c.TotalItems == nil {
		t.Fatalf("%s of %s without totalItems", collection, actor)
	}
	return *c.TotalItems
}

// TestWritersAndBackfill checks the writers' actors and pages, and that the sample articles are
// backfilled at start — by their writers, boosted by @news — once, however often the site starts.
func TestWritersAndBackfill(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, dir, "")
	dana := a.as2(t, a.base+"/ap/users/dana-ortiz")
	checks := []struct {
		name string
		ok   bool
	}{
		{"a Person", dana.Type.Has("Person")},
		{"named", dana.Name == "Dana Ortiz"},
		{"profile on the site", dana.URLString() == a.base+"/authors/dana-ortiz"},
		{"two profile fields", len(dana.Attachment) == 2 && dana.Attachment[0].Object != nil && dana.Attachment[0].Object.Type.Has("PropertyValue")},
		{"attribution domain", string(dana.Extra["attributionDomains"]) == `["127.0.0.1"]`},
		{"featured collection", dana.Featured == a.base+"/ap/users/dana-ortiz/featured"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("@dana-ortiz: not %s: %+v", c.name, dana)
		}
	}
	resp, err := http.Get(a.base + "/authors/dana-ortiz")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), sampleArticles()[0].Title) {
		t.Errorf("author page: status %d without the writer's story", resp.StatusCode)
	}
	if resp, _ := http.Get(a.base + "/ap/users/nobody"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown actor: status %d", resp.StatusCode)
	}
	want := map[string]int{"news": 3, "dana-ortiz": 1, "sam-lee": 1}
	for range 2 { // a restart backfills nothing twice
		for actor, n := range want {
			if got := a.count(t, actor, "outbox"); got != n {
				t.Errorf("outbox of %s holds %d, want %d", actor, got, n)
			}
		}
		a.stop()
		a = startApp(t, dir, a.addr)
	}
	// Each writer's newest story is pinned, embedded as Mastodon reads the featured collection.
	pinned := a.as2(t, a.base+"/ap/users/dana-ortiz/featured")
	if len(pinned.OrderedItems) != 1 || pinned.OrderedItems[0].ID() != a.base+sampleArticles()[0].Path() || pinned.OrderedItems[0].Object == nil {
		t.Errorf("@dana-ortiz featured = %+v, want her sample story embedded", pinned.OrderedItems)
	}
	out := a.as2(t, a.base+"/ap/users/news/outbox?page=true")
	var got []string
	for _, it := range out.OrderedItems {
		if it.Object != nil {
			got = append(got, it.Object.Type.First()+" "+it.Object.Object.ID())
		}
	}
	samples := sampleArticles() // newest first, as the outbox
	if w := []string{"Announce " + a.base + samples[0].Path(), "Announce " + a.base + samples[1].Path(),
		"Create " + a.base + samples[2].Path()}; !slices.Equal(got, w) {
		t.Errorf("@news outbox = %v, want %v", got, w)
	}
}

// TestPublishAsWriter publishes a story with a writer's byline as a Note: the writer's followers
// get the Create from the writer, @news's followers the boost.
func TestPublishAsWriter(t *testing.T) {
	a := startApp(t, t.TempDir(), "")
	remote := activitypubtest.NewRemote(t, "reader")
	for i, actor := range []string{"news", "dana-ortiz"} {
		id := a.base + "/ap/users/" + actor
		resp := remote.Post(id+"/inbox", map[string]any{
			"@context": vocab.ContextActivityStreams, "id": remote.ActorID() + "/follows/" + actor,
			"type": "Follow", "actor": remote.ActorID(), "object": id,
		})
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("Follow %s: status %d", actor, resp.StatusCode)
		}
		if a.count(t, actor, "followers") != 1 {
			t.Fatalf("follow %d not recorded", i)
		}
	}
	c := a.editor(t)
	resp, err := c.PostForm(a.base+"/publish", url.Values{"title": {"Tram line delayed"}, "summary": {"A year late."},
		"body": {"The new tram line opens a year late."}, "author": {"Dana Ortiz"}, "mode": {"note"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	articleURL := resp.Request.URL.String()
	if !strings.HasPrefix(resp.Request.URL.Path, "/articles/") {
		t.Fatalf("publish: at %s", articleURL)
	}
	create := remote.WaitFor("Create")
	announce := remote.WaitFor("Announce")
	danaID, newsID := a.base+"/ap/users/dana-ortiz", a.base+"/ap/users/news"
	obj := create.Activity.Object.Object
	checks := []struct {
		name string
		ok   bool
	}{
		{"Create signed by the writer", create.Signer == danaID},
		{"a Note (the form's choice)", obj != nil && obj.Type.Has("Note")},
		{"attributed to the writer", obj != nil && obj.AttributedTo.Has(danaID)},
		{"Announce signed by @news", announce.Signer == newsID},
		{"Announce of the article", announce.Activity.Object.ID() == articleURL},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("not %s", ch.name)
		}
	}
}

// TestFedifyWriterBoost has a real Fedify server (FEDSITE_FEDIFY=1) follow @news and the writer
// @dana-ortiz: a story with Dana's byline reaches it as a verified Create from Dana (Fedify fetched
// and parsed her actor, profile fields included, to verify it) and a verified Announce from @news.
func TestFedifyWriterBoost(t *testing.T) {
	peer, a, ctx := startWithFedify(t, 60*time.Second)
	newsID, danaID := a.base+"/ap/users/news", a.base+"/ap/users/dana-ortiz"
	for _, id := range []string{newsID, danaID} {
		if acc := peer.FollowAccepted(ctx, t, id); !acc.Verified {
			t.Fatalf("Accept from %s not verified: %s", id, acc.Reason)
		}
	}
	c := a.editor(t)
	resp, err := c.PostForm(a.base+"/publish", url.Values{"title": {"Budget passes"}, "summary": {"After a long night."},
		"body": {"The council passed the budget at 2 am."}, "author": {"Dana Ortiz"}, "mode": {"article"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	articleURL := resp.Request.URL.String()
	for _, want := range []struct{ typ, actor string }{{"Create", danaID}, {"Announce", newsID}} {
		_, doc := peer.WaitVerified(ctx, t, want.typ, want.actor)
		if got := doc.Object.ID(); got != articleURL {
			t.Errorf("%s object = %s, want %s", want.typ, got, articleURL)
		}
	}
}
