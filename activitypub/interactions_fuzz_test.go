package activitypub_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// FuzzInteractions posts arbitrary activities, correctly signed by one remote actor, to the
// shared inbox of a site with one published article, so every body reaches the interaction
// handling. The handler must never panic or answer 5xx, and whatever the site keeps about the
// article must be the signer's: no body lets one actor record an interaction in another's name.
// Seeds: the corpus's Mastodon and Akkoma activities of the kinds handled here, and its emoji
// reactions (Akkoma, Misskey) and a Lemmy Dislike, re-addressed to the article and given the
// signer as actor, and its Misskey and Fedibird quote posts, quoting the article, in a Create and
// in a QuoteRequest.
func FuzzInteractions(f *testing.F) {
	const base = "https://site.example"
	const actorID = "https://remote.example/users/alice"
	const article = base + "/articles/a"
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// Keys come from the corpus, not generated: fuzzing workers run this setup under coverage
	// instrumentation, where RSA key generation takes minutes. The site's actors use the same one.
	pemBytes := corpus.ReadFile(f, "signatures/mastodon/bob_main-key.private.pem")
	signer, err := signing.ParsePrivateKey(pemBytes)
	if err != nil {
		f.Fatal(err)
	}
	key, ok := signer.(*rsa.PrivateKey)
	if !ok {
		f.Fatalf("corpus key is a %T", signer)
	}
	pub, _ := signing.EncodePublicKey(&key.PublicKey)
	st := memstore.New()
	_, edPriv, _ := ed25519.GenerateKey(nil)
	edPEM, err := signing.EncodePrivateKey(edPriv)
	if err != nil {
		f.Fatal(err)
	}
	for _, id := range []string{base + "/ap/users/news", base + "/ap/actor"} {
		for name, pem := range map[string][]byte{"main-key": pemBytes, "ed25519-key": edPEM} {
			if err := st.CreateKeyPair(context.Background(), store.KeyPair{ActorID: id, Name: name, PrivateKeyPEM: pem, CreatedAt: now}); err != nil {
				f.Fatal(err)
			}
		}
	}
	doc, _ := json.Marshal(map[string]any{"@context": vocab.ContextActivityStreams, "id": actorID, "type": "Person",
		"inbox": actorID + "/inbox", "publicKey": map[string]string{"id": actorID + "#main-key", "owner": actorID, "publicKeyPem": string(pub)}})
	fed, err := activitypub.New(activitypub.Config{
		BaseURL: base,
		Actors: activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			if name == "news" {
				return &activitypub.Actor{Username: "news", ManuallyApprovesFollowers: true}, nil
			}
			return nil, activitypub.ErrNotFound
		}),
		Store:  st,
		Client: &http.Client{Transport: offlineRemote{actorID: actorID, doc: doc}, Timeout: time.Second},
		Now:    func() time.Time { return now },
	})
	if err != nil {
		f.Fatal(err)
	}
	if err := fed.Publish(context.Background(), "news", activitypub.Article{URL: article, Title: "A", Content: "<p>A</p>"}); err != nil {
		f.Fatal(err)
	}
	h := fed.Middleware(http.NotFoundHandler())

	handled := map[string]bool{"Create": true, "Update": true, "Delete": true, "Like": true, "Announce": true,
		"Undo": true, "Flag": true, "Move": true, "Follow": true, "EmojiReact": true, "Dislike": true}
	seeds := 0
	reactions := []corpus.File{
		{Data: corpus.ReadFile(f, "misc-akkoma-fixtures/akkoma_emoji-reaction.json")},
		{Data: corpus.ReadFile(f, "misc-akkoma-fixtures/akkoma_custom-emoji-reaction.json")},
		{Data: corpus.ReadFile(f, "misc-akkoma-fixtures/akkoma_emoji-reaction-too-long.json")},
		{Data: corpus.ReadFile(f, "lemmy/activities_voting_dislike_page.json")},
	}
	for _, c := range append(corpus.JSON(f, "mastodon"), reactions...) {
		var m map[string]any
		if json.Unmarshal(c.Data, &m) != nil {
			continue
		}
		if typ, _ := m["type"].(string); !handled[typ] {
			continue
		}
		f.Add(readdress(m, actorID, article, base+"/ap/users/news"))
		seeds++
	}
	if seeds == 0 {
		f.Fatal("no seeds of the handled types in the corpus's mastodon folder")
	}
	// Quotes: the corpus's Misskey and Fedibird quote posts, quoting the article, in a Create,
	// and a FEP-044f QuoteRequest embedding one.
	for _, name := range []string{"misskey/sharkey_quote_note.json", "fedibird/akkoma_quote_post_fedibird_quote_uri.json"} {
		var note map[string]any
		if err := json.Unmarshal(corpus.ReadFile(f, name), &note); err != nil {
			f.Fatal(err)
		}
		for _, k := range []string{"_misskey_quote", "quoteUrl", "quoteUri"} {
			if _, ok := note[k]; ok {
				note[k] = article
			}
		}
		var create map[string]any
		if err := json.Unmarshal(readdress(map[string]any{"id": "https://x.example/creates/1", "type": "Create",
			"actor": actorID, "object": note}, actorID, article, base+"/ap/users/news"), &create); err != nil {
			f.Fatal(err)
		}
		create["object"].(map[string]any)["inReplyTo"] = nil
		f.Add(mustJSONBytes(create))
		f.Add(mustJSONBytes(map[string]any{"id": actorID + "/quote-requests/1", "type": "QuoteRequest", "actor": actorID,
			"object": article, "instrument": create["object"]}))
	}

	post := func(tb testing.TB, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, base+"/ap/inbox", bytes.NewReader(body))
		r.Header.Set("Content-Type", vocab.MediaType)
		if err := signing.Sign(r, signing.Key{ID: actorID + "#main-key", Signer: key}, body, now); err != nil {
			tb.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	// A re-addressed corpus Like must be recorded, so the seeds reach the deep end.
	var lm map[string]any
	if err := json.Unmarshal(corpus.ReadFile(f, "mastodon/akkoma_mastodon-like.json"), &lm); err != nil {
		f.Fatal(err)
	}
	if w := post(f, readdress(lm, actorID, article, base+"/ap/users/news")); w.Code != http.StatusAccepted {
		f.Fatalf("re-addressed corpus Like refused: %d %s", w.Code, w.Body)
	}
	if c, err := fed.Counts(context.Background(), article); err != nil || c.Likes != 1 {
		f.Fatalf("after the corpus Like: counts %+v, %v; want 1 like", c, err)
	}

	allowed := map[int]bool{202: true, 400: true, 401: true, 403: true, 404: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := post(t, body)
		if !allowed[w.Code] {
			t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body)
		}
		for _, kind := range store.InteractionKinds() {
			p, err := st.InteractionsPage(context.Background(), article, kind, "", 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range p.Items {
				if i.ActorID != actorID {
					t.Fatalf("%s %s recorded for %s, but only %s signed anything", kind, i.ID, i.ActorID, actorID)
				}
			}
		}
	})
}

// readdress makes a corpus activity the signer's and points it at the article: its actor, the
// ids and attributions of it and of its embedded objects move to the signer's origin, and the
// object, inReplyTo or Follow target becomes the site's.
func readdress(m map[string]any, actorID, article, localActor string) []byte {
	origin := actorID[:strings.Index(actorID[len("https://"):], "/")+len("https://")]
	var walk func(v map[string]any, top bool)
	walk = func(v map[string]any, top bool) {
		if id, ok := v["id"].(string); ok {
			if i := strings.Index(id[min(len(id), len("https://")):], "/"); i >= 0 {
				v["id"] = origin + id[i+len("https://"):]
			}
		}
		if _, ok := v["actor"]; ok {
			v["actor"] = actorID
		}
		if _, ok := v["attributedTo"]; ok {
			v["attributedTo"] = actorID
		}
		if _, ok := v["inReplyTo"]; ok {
			v["inReplyTo"] = article
		}
		switch o := v["object"].(type) {
		case map[string]any:
			walk(o, false)
		case string:
			switch v["type"] {
			case "Follow":
				v["object"] = localActor
			case "Like", "Announce", "EmojiReact", "Dislike":
				v["object"] = article
			}
		}
		if top && v["type"] == "Create" {
			if o, ok := v["object"].(map[string]any); ok {
				o["inReplyTo"] = article
			}
		}
	}
	walk(m, true)
	b, _ := json.Marshal(m)
	return b
}
