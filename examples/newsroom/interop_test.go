package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
)

// startWithFedify starts a Fedify peer (the test is skipped unless FEDSITE_FEDIFY is set) and the
// newsroom, and gives a context that ends after timeout or with the test.
func startWithFedify(t *testing.T, timeout time.Duration) (*fedifypeer.Peer, *app, context.Context) {
	t.Helper()
	peer := fedifypeer.StartForTest(t)
	a := startApp(t, t.TempDir(), "")
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return peer, a, ctx
}

// TestFedifyInterop federates the newsroom with a real Fedify server (set FEDSITE_FEDIFY=1; CI
// does). Fedify follows @news by actor URL — its WebFinger client is https-only — and must receive
// a verified Accept; then the editor publishes and Fedify must receive a verified Create{Article}
// with the right title, url and addressing. The Follow only counts once fedsite verified Fedify's
// signature: Fedify knocks with RFC 9421 first, gets 401, and falls back to draft-cavage.
func TestFedifyInterop(t *testing.T) {
	peer, a, ctx := startWithFedify(t, 60*time.Second)
	newsID := a.base + "/ap/users/news"

	followID, err := peer.Follow(ctx, newsID)
	if err != nil {
		t.Fatalf("Fedify follow: %v", err)
	}
	if _, doc := peer.WaitVerified(ctx, t, "Accept", newsID); doc.Object.ID() != followID {
		t.Errorf("Accept object = %q, want the Follow %q", doc.Object.ID(), followID)
	}
	if n := a.total(t, "followers"); n != 1 {
		t.Fatalf("followers = %d after Fedify's Follow, want 1", n)
	}
	followers := a.as2(t, newsID+"/followers?page=true")
	if got := followers.OrderedItems.IDs(); len(got) != 1 || got[0] != peer.ActorID() {
		t.Errorf("followers page = %v, want [%s]", got, peer.ActorID())
	}

	title := "Harbour festival draws record crowds"
	articleURL := a.publish(t, a.editor(t), title, "Forty thousand visitors came to the harbour on Saturday.")
	create, doc := peer.WaitVerified(ctx, t, "Create", newsID)
	obj := doc.Object.Object
	if obj == nil {
		t.Fatalf("Create without an embedded object: %s", create.Document)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"type Article", obj.Type.Has("Article")},
		{"id is the article URL", obj.ID == articleURL},
		{"name is the title", obj.Name == title},
		{"url is the article URL", obj.URLString() == articleURL},
		{"attributed to @news", obj.AttributedTo.Has(newsID)},
		{"Create to public", hasPublic(doc.To)},
		{"Create cc followers", doc.Cc.Has(newsID + "/followers")},
		{"object to public", hasPublic(obj.To)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: no, in %s", c.name, create.Document)
		}
	}

	// The editor edits the article: Fedify receives a verified Update with the whole new object.
	editor := a.editor(t)
	newBody := "Forty-two thousand visitors came to the harbour on Saturday, the organisers said."
	a.post(t, editor, articleURL+"/edit", url.Values{"body": {newBody}}, articleURL)
	update, updoc := peer.WaitVerified(ctx, t, "Update", newsID)
	up := updoc.Object.Object
	if up == nil {
		t.Fatalf("Update without an embedded object: %s", update.Document)
	}
	content := up.Content
	for _, c := range up.ContentMap {
		content += c
	}
	upChecks := []struct {
		name string
		ok   bool
	}{
		{"same id", up.ID == articleURL},
		{"type Article", up.Type.Has("Article")},
		{"new content", strings.Contains(content, newBody)},
		{"published kept", up.Published.Equal(obj.Published)},
		{"updated after published", up.Updated.After(up.Published)},
	}
	for _, c := range upChecks {
		if !c.ok {
			t.Errorf("Update %s: no, in %s", c.name, update.Document)
		}
	}

	// The editor deletes it: Fedify receives a verified Delete of a Tombstone, and the article
	// URL answers AS2 requests with 410.
	a.post(t, editor, articleURL+"/delete", url.Values{"confirm": {"yes"}}, a.base+"/")
	del, deldoc := peer.WaitVerified(ctx, t, "Delete", newsID)
	if ts := deldoc.Object; ts.ID() != articleURL || ts.Object == nil || !ts.Object.Type.Has("Tombstone") {
		t.Errorf("Delete object = %+v, want a Tombstone of %s, in %s", ts, articleURL, del.Document)
	}
	if code, body := a.as2Status(t, articleURL); code != http.StatusGone || !strings.Contains(body, "Tombstone") {
		t.Errorf("GET deleted article as AS2: %d %s, want 410 with a Tombstone", code, body)
	}
}

// hasPublic reports whether an audience names the public collection in any of the forms Fedify's
// JSON-LD compaction may give it ("as:Public" among them).
func hasPublic(refs vocab.Refs) bool {
	for _, id := range refs.IDs() {
		if vocab.IsPublic(id) || strings.HasSuffix(id, "#Public") {
			return true
		}
	}
	return false
}

// TestFedifyInteractions has a real Fedify server reply to, like and boost a published article
// (set FEDSITE_FEDIFY=1): the article page shows the sanitized reply and counts 1 like and 1
// boost; after Fedify undoes the Like and the Announce the counts are 0 again.
func TestFedifyInteractions(t *testing.T) {
	peer, a, ctx := startWithFedify(t, 90*time.Second)
	newsID := a.base + "/ap/users/news"
	peer.FollowAccepted(ctx, t, newsID)
	articleURL := a.publish(t, a.editor(t), "Tram line reopens", "The tram runs again from Monday.")
	if _, err := peer.WaitFor(ctx, func(act fedifypeer.Activity) bool { return act.Type == "Create" }); err != nil {
		t.Fatalf("no Create reached Fedify: %v", err)
	}

	send := func(activity map[string]any) string {
		t.Helper()
		id, err := peer.Send(ctx, newsID, activity)
		if err != nil {
			t.Fatalf("Fedify send %v: %v", activity["type"], err)
		}
		return id
	}
	me := peer.ActorID()
	public := "https://www.w3.org/ns/activitystreams#Public"
	send(map[string]any{"type": "Create", "id": me + "/creates/r1", "to": []string{public}, "cc": []string{newsID},
		"object": map[string]any{"type": "Note", "id": me + "/notes/r1", "attributedTo": me, "inReplyTo": articleURL,
			"to": []string{public}, "cc": []string{newsID},
			"content": `<p>Finally! <script>alert(1)</script>See you on the 7.</p>`}})
	likeID := send(map[string]any{"type": "Like", "id": me + "/likes/1", "object": articleURL})
	boostID := send(map[string]any{"type": "Announce", "id": me + "/announces/1", "object": articleURL,
		"to": []string{public}, "cc": []string{newsID}})

	page := a.page(t, articleURL)
	for _, want := range []string{"Finally!", "See you on the 7.", `href="` + me + `/notes/r1"`, "1 likes", "1 boosts"} {
		if !strings.Contains(page, want) {
			t.Errorf("article page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "alert(1)") {
		t.Errorf("article page shows the reply's script:\n%s", page)
	}

	send(map[string]any{"type": "Undo", "id": me + "/undos/1", "object": map[string]any{"type": "Like", "id": likeID, "actor": me, "object": articleURL}})
	send(map[string]any{"type": "Undo", "id": me + "/undos/2", "object": map[string]any{"type": "Announce", "id": boostID, "actor": me, "object": articleURL}})
	page = a.page(t, articleURL)
	for _, want := range []string{"0 likes", "0 boosts", "See you on the 7."} {
		if !strings.Contains(page, want) {
			t.Errorf("after the Undos the article page lacks %q:\n%s", want, page)
		}
	}
}
