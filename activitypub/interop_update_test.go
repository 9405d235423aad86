package activitypub_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
	"github.com/fedsite/fedsite/store/memstore"
)

// TestFedifyUpdateThroughBoost has a real Fedify server follow only @news (set FEDSITE_FEDIFY=1;
// CI does). @desk publishes an article, @news boosts it, @desk edits it: Fedify saw the article
// only through the boost, so it must still receive @desk's verified Update with the edited text.
func TestFedifyUpdateThroughBoost(t *testing.T) {
	peer := fedifypeer.StartForTest(t)
	s := newSiteWith(t, memstore.New(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	newsID, deskID := s.fed.ActorID("news"), s.fed.ActorID("desk")
	peer.FollowAccepted(ctx, t, newsID)

	article := activitypub.Article{
		URL: s.url("/articles/ferry"), Title: "Ferry timetable changes",
		Content: "<p>From May the ferry runs hourly.</p>",
	}
	if err := s.fed.Publish(ctx, "desk", article); err != nil {
		t.Fatal(err)
	}
	if err := s.fed.Announce(ctx, "news", article.URL); err != nil {
		t.Fatal(err)
	}
	peer.WaitVerified(ctx, t, "Announce", newsID)

	edited := article
	edited.Content = "<p>From May the ferry runs every half hour.</p>"
	if err := s.fed.Update(ctx, "desk", edited); err != nil {
		t.Fatal(err)
	}
	// Fedify follows only the booster, news, yet must get desk's Update.
	update, doc := peer.WaitVerified(ctx, t, "Update", deskID)
	obj := doc.Object.Object
	if obj == nil {
		t.Fatalf("Update without an embedded object: %s", update.Document)
	}
	content := obj.Content
	for _, c := range obj.ContentMap {
		content += c
	}
	if obj.ID != article.URL || !strings.Contains(content, "every half hour") {
		t.Errorf("Update object = %+v, want the edited %s, in %s", obj, article.URL, update.Document)
	}
	// Fedify got no Create: it follows only @news.
	got, err := peer.Received(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got {
		if a.Type == "Create" {
			t.Errorf("Fedify received a Create from %s; it follows only %s", a.Actor, newsID)
		}
	}
}
