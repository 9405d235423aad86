package activitypub_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/record"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
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

// TestRecordNamesWhatAuthenticated: a received activity is recorded with what authenticated it —
// its actor's HTTP signature, even beside a proof, or, when a relay signed the POST, the actor's
// FEP-8b32 proof, never the relay's signature — and the Accept sent in answer with the document
// stored and delivered.
func TestRecordNamesWhatAuthenticated(t *testing.T) {
	s := newTestSite(t)
	alice := activitypubtest.NewRemote(t, "alice")
	relay := activitypubtest.NewRemote(t, "relay")
	article := s.url("/articles/liked")
	if err := s.fed.Publish(t.Context(), "news", activitypub.Article{URL: article, Title: "Liked"}); err != nil {
		t.Fatal(err)
	}
	inbox := s.fed.ActorID("news") + "/inbox"
	aliceKey, relayKey, proofKey := alice.Key(), relay.Key(), alice.ProofKey()
	tests := []struct {
		name        string
		typ         string
		proof       bool
		signer      *signing.Key
		scheme, key string
	}{
		{"HTTP signature", "Like", false, &aliceKey, "draft-cavage rsa-sha256", aliceKey.ID},
		{"HTTP signature beside a proof", "Like", true, &aliceKey, "draft-cavage rsa-sha256", aliceKey.ID},
		{"relayed under a proof", "Like", true, &relayKey, "fep-8b32 " + signing.ProofCryptosuite, proofKey.ID},
		{"Follow relayed under a proof", "Follow", true, &relayKey, "fep-8b32 " + signing.ProofCryptosuite, proofKey.ID},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			object := article
			if tt.typ == "Follow" {
				object = s.fed.ActorID("news")
			}
			body := mustJSONBytes(map[string]any{
				"@context": []string{vocab.ContextActivityStreams, signing.ContextDataIntegrity},
				"id":       fmt.Sprintf("%s/activities/%d", alice.ActorID(), i), "type": tt.typ,
				"actor": alice.ActorID(), "object": object})
			if tt.proof {
				var err error
				if body, err = signing.AddProof(body, proofKey, signing.ProofOptions{Created: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			if code := postSigned(t, s, inbox, body, tt.signer, time.Now(), nil); code != http.StatusAccepted {
				t.Fatalf("status %d, want 202", code)
			}
			es := recordEntries(t, s)
			i := slices.IndexFunc(es, func(e store.RecordEntry) bool { return bytes.Equal(e.Document, body) })
			if i < 0 {
				t.Fatalf("no entry holds the body; record %+v", es)
			}
			if e := es[i]; e.Direction != store.RecordIn || e.Actor != alice.ActorID() || e.Scheme != tt.scheme || e.KeyID != tt.key {
				t.Errorf("entry = %s by %s, scheme %q, key %q; want in by %s, %q, %q",
					e.Direction, e.Actor, e.Scheme, e.KeyID, alice.ActorID(), tt.scheme, tt.key)
			}
			if tt.typ != "Follow" {
				return
			}
			accept := alice.WaitFor("Accept")
			o, err := s.store.Object(t.Context(), accept.Activity.ID)
			if err != nil {
				t.Fatal(err)
			}
			es = recordEntries(t, s)
			j := slices.IndexFunc(es, func(e store.RecordEntry) bool { return e.ActivityID == accept.Activity.ID })
			if j < 0 {
				t.Fatalf("Accept %s not recorded", accept.Activity.ID)
			}
			if es[j].Direction != store.RecordOut || !bytes.Equal(es[j].Document, o.Document) {
				t.Errorf("Accept %s recorded as %s %s, want sent with the stored document %s",
					accept.Activity.ID, es[j].Direction, es[j].Document, o.Document)
			}
		})
	}
}

// TestRecordSentIsStored: every activity the publisher sends is recorded once, as it queues it,
// with the document, type and actor it was stored with and the site user who caused it.
func TestRecordSentIsStored(t *testing.T) {
	s, _ := followedNews(t)
	ctx := activitypub.WithUser(t.Context(), "editor-9")
	news, article := s.fed.ActorID("news"), s.url("/articles/kept")
	steps := []struct {
		typ string
		do  func() error
	}{
		{"Create", func() error { return s.fed.Publish(ctx, "news", activitypub.Article{URL: article, Title: "Kept"}) }},
		{"Announce", func() error { return s.fed.Announce(ctx, "news", article) }},
		{"Update", func() error {
			return s.fed.Update(ctx, "news", activitypub.Article{URL: article, Title: "Kept, edited"})
		}},
		{"Delete", func() error { return s.fed.Delete(ctx, "news", article) }},
		{"Move", func() error { return s.fed.Move(ctx, "news", moveTarget(t, news)) }},
	}
	seen := len(recordEntries(t, s))
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.typ, err)
		}
		es := recordEntries(t, s)
		added := es[seen:]
		seen = len(es)
		if len(added) != 1 {
			t.Errorf("%s: %d entries recorded, want 1: %+v", st.typ, len(added), added)
			continue
		}
		e := added[0]
		o, err := s.store.Object(t.Context(), e.ActivityID)
		if err != nil {
			t.Errorf("%s: the recorded %s is not stored: %v", st.typ, e.ActivityID, err)
			continue
		}
		if e.Direction != store.RecordOut || e.Type != st.typ || e.Actor != news || e.User != "editor-9" {
			t.Errorf("%s: entry %s %s by %s for %q, want out %s by %s for editor-9",
				st.typ, e.Direction, e.Type, e.Actor, e.User, st.typ, news)
		}
		if o.Type != e.Type || o.ActorID != e.Actor || !bytes.Equal(e.Document, o.Document) {
			t.Errorf("%s: recorded %s by %s: %s\nwant the stored %s by %s: %s",
				st.typ, e.Type, e.Actor, e.Document, o.Type, o.ActorID, o.Document)
		}
	}
}
