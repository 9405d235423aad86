package activitypub_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/record"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// recordEntries is the whole record of s, in Seq order.
func recordEntries(t *testing.T, s *site) []store.RecordEntry {
	t.Helper()
	es, err := s.store.RecordRange(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestRecordOfEverything: an activity received is recorded byte for byte with how it was
// verified, one sent with the site user who caused it; the chain links them; the export of the
// record verifies, and legal holds are kept and audited.
func TestRecordOfEverything(t *testing.T) {
	s := actorSite(t, func(string) map[string]activitypub.Actor {
		return map[string]activitypub.Actor{"news": {}}
	}, nil)
	if !s.fed.Recording() {
		t.Fatal("Recording() = false over a memstore")
	}
	alice := activitypubtest.NewRemote(t, "alice")
	body := []byte(`{"@context":"` + vocab.ContextActivityStreams + `",  "id":"` + alice.ActorID() + `/follows/1",` +
		`"type":"Follow","actor":"` + alice.ActorID() + `","object":"` + s.fed.ActorID("news") + `"}`)
	key := alice.Key()
	if resp := alice.PostRaw(s.fed.ActorID("news")+"/inbox", body, vocab.MediaType, &key); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: status %d", resp.StatusCode)
	}
	alice.WaitFor("Accept")
	editor := activitypub.WithUser(t.Context(), "editor-9")
	if err := s.fed.Publish(editor, "news", activitypub.Article{URL: s.url("/articles/r1"), Title: "R1"}); err != nil {
		t.Fatal(err)
	}
	// A duplicate is not recorded again.
	if resp := alice.PostRaw(s.fed.ActorID("news")+"/inbox", body, vocab.MediaType, &key); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow again: status %d", resp.StatusCode)
	}

	es := recordEntries(t, s)
	type summary struct{ dir, typ, actor, user, scheme, keyID string }
	var got []summary
	for _, e := range es {
		got = append(got, summary{e.Direction, e.Type, e.Actor, e.User, e.Scheme, e.KeyID})
	}
	news := s.fed.ActorID("news")
	want := []summary{
		{store.RecordIn, "Follow", alice.ActorID(), "", "draft-cavage rsa-sha256", alice.ActorID() + "#main-key"},
		{store.RecordOut, "Accept", news, "", "", ""},
		{store.RecordOut, "Create", news, "editor-9", "", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("record = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i+1, got[i], want[i])
		}
	}
	if !bytes.Equal(es[0].Document, body) {
		t.Errorf("received document = %s, want the body byte for byte %s", es[0].Document, body)
	}
	if o, err := s.store.Object(t.Context(), es[2].ActivityID); err != nil || !bytes.Equal(o.Document, es[2].Document) {
		t.Errorf("sent document = %s, want the stored activity %s (%v)", es[2].Document, o.Document, err)
	}
	for i := 1; i < len(es); i++ {
		if !bytes.Equal(es[i].Prev, es[i-1].Hash()) {
			t.Errorf("entry %d does not chain to entry %d", es[i].Seq, es[i-1].Seq)
		}
	}

	var file bytes.Buffer
	if _, err := s.fed.ExportRecord(activitypub.WithUser(t.Context(), "counsel"), &file, record.Filter{Actor: alice.ActorID()}); err != nil {
		t.Fatal(err)
	}
	if rep, err := record.Verify(&file); err != nil || rep.Entries != 1 {
		t.Errorf("Verify of the export of alice's entries = %+v, %v; want 1 entry", rep, err)
	}

	counsel := activitypub.WithUser(t.Context(), "counsel")
	h, err := s.fed.PutLegalHold(counsel, store.LegalHold{Actor: alice.ActorID(), Reason: "matter 12"})
	if err != nil {
		t.Fatal(err)
	}
	if h.CreatedBy != "counsel" || h.ID == "" {
		t.Errorf("hold = %+v, want an ID and CreatedBy counsel", h)
	}
	if _, err := s.fed.PutLegalHold(counsel, store.LegalHold{Since: time.Now(), Until: time.Now().Add(-time.Hour)}); !isInvalid(err) {
		t.Errorf("a hold that ends before it starts: %v, want an *InvalidError", err)
	}
	hs, err := s.fed.LegalHolds(t.Context())
	if err != nil || len(hs) != 1 || hs[0].Reason != "matter 12" {
		t.Errorf("LegalHolds = %+v, %v; want the one placed", hs, err)
	}
	if err := s.fed.RemoveLegalHold(counsel, h.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.fed.RemoveLegalHold(counsel, h.ID); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("RemoveLegalHold again = %v, want ErrNotFound", err)
	}
	var audited []string
	for _, e := range auditEntries(t, s) {
		if strings.Contains(e.Action, "legal hold") || e.Action == string(activitypub.ActionExportRecord) {
			audited = append(audited, e.Action+" by "+e.User)
		}
	}
	if wantA := []string{"remove legal hold by counsel", "legal hold by counsel", "export record by counsel"}; strings.Join(audited, "|") != strings.Join(wantA, "|") {
		t.Errorf("audited %q, want %q", audited, wantA)
	}
	var doc map[string]any
	if err := json.Unmarshal(es[2].Document, &doc); err != nil || doc["type"] != "Create" {
		t.Errorf("sent document %s is not the Create: %v", es[2].Document, err)
	}
}
