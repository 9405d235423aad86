package activitypub_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
)

// TestFedifyAnswer has a real Fedify server (set FEDSITE_FEDIFY=1; CI does) send @news a direct
// message; @news answers it: Fedify must receive a Create, verified as @news's, of a Note in reply
// to its post, addressed to it alone and mentioning it.
func TestFedifyAnswer(t *testing.T) {
	peer := fedifypeer.StartForTest(t)
	s, _ := mentionSite(t, &hookLog{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	news, me := s.fed.ActorID("news"), peer.ActorID()
	note := map[string]any{"type": "Note", "id": me + "/notes/question", "attributedTo": me, "to": []string{news},
		"tag":     []any{map[string]any{"type": "Mention", "href": news, "name": "@news"}},
		"content": "<p>When does the bridge reopen?</p>"}
	if _, err := peer.Send(ctx, news, map[string]any{"type": "Create", "id": me + "/creates/question", "to": []string{news},
		"object": note}); err != nil {
		t.Fatalf("Fedify send: %v", err)
	}
	id, err := s.fed.Answer(ctx, "news", activitypub.Answer{InReplyTo: me + "/notes/question", Content: "<p>On Monday.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	create, doc := peer.WaitVerified(ctx, t, "Create", news)
	obj := doc.Object.Object
	if obj == nil || obj.ID != id || obj.InReplyTo.ID() != me+"/notes/question" {
		t.Fatalf("Create object = %+v, want %s in reply to Fedify's post, in %s", obj, id, create.Document)
	}
	if !slices.Equal(obj.To.IDs(), []string{me}) || len(obj.Cc) != 0 {
		t.Errorf("answer to %v cc %v, want Fedify's actor alone", obj.To.IDs(), obj.Cc.IDs())
	}
	mentioned := false
	for _, r := range obj.Tag {
		mentioned = mentioned || (r.Object != nil && r.Object.Type.Has("Mention") && r.Object.Href == me)
	}
	if !mentioned {
		t.Errorf("answer tags %s, want a Mention of %s", create.Document, me)
	}
}
