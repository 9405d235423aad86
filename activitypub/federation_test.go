package activitypub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

func TestNewRejectsBadConfig(t *testing.T) {
	actors := activitypub.ActorSourceFunc(func(context.Context, string) (*activitypub.Actor, error) { return nil, activitypub.ErrNotFound })
	st := newTestStore()
	tests := []struct {
		name  string
		cfg   activitypub.Config
		field string
	}{
		{"no actors", activitypub.Config{BaseURL: "https://example.com", Store: st}, "Config.Actors"},
		{"no store", activitypub.Config{BaseURL: "https://example.com", Actors: actors}, "Config.Store"},
		{"no delivery store", activitypub.Config{BaseURL: "https://example.com", Actors: actors, Store: siteOnly{st}}, "Config.DeliveryStore"},
		{"no base", activitypub.Config{Actors: actors, Store: st}, "BaseURL"},
		{"relative base", activitypub.Config{BaseURL: "example.com", Actors: actors, Store: st}, "BaseURL"},
		{"base with path", activitypub.Config{BaseURL: "https://example.com/news", Actors: actors, Store: st}, "BaseURL"},
		{"ftp base", activitypub.Config{BaseURL: "ftp://example.com", Actors: actors, Store: st}, "BaseURL"},
		{"unknown mode", activitypub.Config{BaseURL: "https://example.com", Actors: actors, Store: st, Publishing: activitypub.Publishing{Mode: activitypub.ModeNote + 1}}, "Config.Publishing.Mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := activitypub.New(tt.cfg)
			invalidErr, ok := errors.AsType[*activitypub.InvalidError](err)
			if !ok || invalidErr.Field != tt.field {
				t.Fatalf("New: got %v, want an InvalidError for %s", err, tt.field)
			}
		})
	}
}

// TestFollowPublishUndo runs the whole first slice against a fake remote server that verifies
// every signature: Follow → Accept, Publish → Create{Article}, Undo by object and by IRI.
func TestFollowPublishUndo(t *testing.T) {
	ctx := context.Background()
	s := newTestSite(t)
	alice := activitypubtest.NewRemote(t, "alice")
	newsID := s.fed.ActorID("news")

	follow := map[string]any{
		"@context": vocab.ContextActivityStreams,
		"id":       alice.ActorID() + "/follows/1",
		"type":     "Follow",
		"actor":    alice.ActorID(),
		"object":   newsID,
	}
	if resp := alice.Post(newsID+"/inbox", follow); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: status %d, want 202", resp.StatusCode)
	}
	accept := alice.WaitFor("Accept")
	if accept.Path != "/users/alice/inbox" {
		t.Errorf("Accept delivered to %s, want the follower's own inbox", accept.Path)
	}
	if accept.Signer != newsID {
		t.Errorf("Accept signed by %s, want %s", accept.Signer, newsID)
	}
	if got := accept.Activity.Actor.ID(); got != newsID {
		t.Errorf("Accept actor = %s, want %s", got, newsID)
	}
	if emb := accept.Activity.Object.Object; emb == nil || emb.ID != follow["id"] || !emb.Type.Has("Follow") {
		t.Errorf("Accept object = %+v, want the embedded Follow", accept.Activity.Object)
	}
	if !accept.Activity.To.Has(alice.ActorID()) {
		t.Errorf("Accept to = %v, want the follower", accept.Activity.To.IDs())
	}
	// The Accept's id dereferences.
	if resp, _ := s.get(t, strings.TrimPrefix(accept.Activity.ID, s.srv.URL), vocab.MediaType); resp.StatusCode != http.StatusOK {
		t.Errorf("GET Accept id: status %d", resp.StatusCode)
	}
	if n, _ := s.store.CountFollowers(ctx, newsID); n != 1 {
		t.Fatalf("followers = %d, want 1", n)
	}

	article := activitypub.Article{
		URL: s.url("/articles/river-path"), Title: "Council approves the river path",
		Summary: "Construction starts in March.", Content: "<p>The council voted 31 to 9.</p>", Language: "en",
	}
	if err := s.fed.Publish(ctx, "news", article); err != nil {
		t.Fatal(err)
	}
	create := alice.WaitFor("Create")
	if create.Path != "/inbox" {
		t.Errorf("Create delivered to %s, want the shared inbox", create.Path)
	}
	obj := create.Activity.Object.Object
	if obj == nil {
		t.Fatalf("Create without an embedded object: %+v", create.Activity)
	}
	checks := []struct{ name, got, want string }{
		{"type", obj.Type.First(), "Article"},
		{"id", obj.ID, article.URL},
		{"name", obj.Name, article.Title},
		{"url", obj.URLString(), article.URL},
		{"attributedTo", strings.Join(obj.AttributedTo.IDs(), " "), newsID},
		{"content", obj.Content, article.Content},
		{"contentMap en", obj.ContentMap["en"], article.Content},
		{"summary", obj.Summary, article.Summary},
		{"to", strings.Join(create.Activity.To.IDs(), " "), vocab.PublicIRI},
		{"cc", strings.Join(create.Activity.Cc.IDs(), " "), newsID + "/followers"},
		{"object to", strings.Join(obj.To.IDs(), " "), vocab.PublicIRI},
		{"signer", create.Signer, newsID},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("Create %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if err := s.fed.Publish(ctx, "news", article); !errors.Is(err, activitypub.ErrAlreadyPublished) {
		t.Errorf("second Publish: %v, want ErrAlreadyPublished", err)
	}

	// Undo with the Follow embedded.
	undo := map[string]any{
		"@context": vocab.ContextActivityStreams, "id": alice.ActorID() + "/undo/1", "type": "Undo",
		"actor": alice.ActorID(), "object": follow,
	}
	if resp := alice.Post(s.url("/ap/inbox"), undo); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Undo: status %d", resp.StatusCode)
	}
	if n, _ := s.store.CountFollowers(ctx, newsID); n != 0 {
		t.Fatalf("followers after Undo = %d, want 0", n)
	}

	// Follow again, then Undo naming the Follow by its id only.
	follow["id"] = alice.ActorID() + "/follows/2"
	if resp := alice.Post(newsID+"/inbox", follow); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("second Follow: status %d", resp.StatusCode)
	}
	undo["id"], undo["object"] = alice.ActorID()+"/undo/2", follow["id"]
	if resp := alice.Post(s.url("/ap/inbox"), undo); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Undo by IRI: status %d", resp.StatusCode)
	}
	if n, _ := s.store.CountFollowers(ctx, newsID); n != 0 {
		t.Fatalf("followers after Undo by IRI = %d, want 0", n)
	}
}

// TestFollowFetchesActorOnce counts the GETs of a remote actor's document: the first Follow
// fetches it once, for both the signature's key and the follower's inboxes, and each request,
// including one whose key is fetched again after a rotation, fetches it at most once.
func TestFollowFetchesActorOnce(t *testing.T) {
	tests := []struct {
		name        string
		steps       []string // activities alice posts in turn
		wantFetches int
	}{
		{"first follow", []string{"Follow"}, 1},
		{"follow again after undo", []string{"Follow", "Undo", "Follow"}, 1},
		// The Like fetches the key; the Follow then finds it cached and fetches the actor once.
		{"like, then follow", []string{"Like", "Follow"}, 2},
		// The Follow's signature fails with the cached key, which is fetched again (key rotation):
		// that document serves the Follow too.
		{"like, key rotated, follow", []string{"Like", "RotateKey", "Follow"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSite(t)
			alice := activitypubtest.NewRemote(t, "alice")
			news := s.fed.ActorID("news")
			follows := 0
			for i, step := range tt.steps {
				if step == "RotateKey" {
					alice.RotateKey()
					continue
				}
				id := fmt.Sprintf("%s/%d", alice.ActorID(), i)
				doc := map[string]any{"@context": vocab.ContextActivityStreams, "id": id, "type": step, "actor": alice.ActorID()}
				switch step {
				case "Follow":
					doc["object"] = news
					follows++
				case "Undo":
					doc["object"] = fmt.Sprintf("%s/%d", alice.ActorID(), i-1)
				case "Like":
					doc["object"] = s.url("/articles/unknown")
				}
				if resp := alice.Post(news+"/inbox", doc); resp.StatusCode != http.StatusAccepted {
					t.Fatalf("%s: status %d, want 202", step, resp.StatusCode)
				}
				if step == "Follow" {
					waitN(t, alice, "Accept", follows)
				}
			}
			if got := alice.ActorFetches(); got != tt.wantFetches {
				t.Errorf("actor fetched %d times, want %d", got, tt.wantFetches)
			}
			f, err := s.store.Follower(t.Context(), news, alice.ActorID())
			if err != nil || f.Inbox != alice.ActorID()+"/inbox" || f.SharedInbox != alice.URL()+"/inbox" {
				t.Errorf("follower = %+v, %v; want alice with her inbox and shared inbox", f, err)
			}
		})
	}
}

// TestOutgoingUserAgent checks that every request fedsite makes carries Config.UserAgent: the
// key fetch of the signing.Resolver, the actor fetch of a Follow whose key was cached, and the
// delivery of the Accept.
func TestOutgoingUserAgent(t *testing.T) {
	tests := []struct {
		name, userAgent string
	}{
		{"default", ""},
		{"configured", "newsroom/2.0 (+https://news.example/about)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.userAgent
			s := newSiteWith(t, newTestStore(), func(c *activitypub.Config) {
				c.UserAgent = tt.userAgent
				if want == "" {
					want = "fedsite (+" + c.BaseURL + ")"
				}
			})
			alice := activitypubtest.NewRemote(t, "alice")
			news := s.fed.ActorID("news")
			steps := []map[string]any{
				{"type": "Like", "object": s.url("/articles/unknown")}, // the Resolver fetches the key
				{"type": "Follow", "object": news},                     // fetch reads the actor, whose key is cached
			}
			for i, doc := range steps {
				doc["@context"], doc["id"], doc["actor"] = vocab.ContextActivityStreams, fmt.Sprintf("%s/%d", alice.ActorID(), i), alice.ActorID()
				if resp := alice.Post(news+"/inbox", doc); resp.StatusCode != http.StatusAccepted {
					t.Fatalf("%s: status %d, want 202", doc["type"], resp.StatusCode)
				}
			}
			alice.WaitFor("Accept")
			got := alice.UserAgents()
			if len(got) != 3 {
				t.Fatalf("remote received %d requests (%q), want the key fetch, the actor fetch and the Accept", len(got), got)
			}
			for i, ua := range got {
				if ua != want {
					t.Errorf("request %d: User-Agent %q, want %q", i, ua, want)
				}
			}
		})
	}
}

// TestActorContentType checks that the two fetches of a remote actor, the signing.Resolver's for
// the key of a Follow and fedsite's own for a Follow whose key is cached, accept the same
// Content-Types: the document one of them reads becomes the cached remote actor.
func TestActorContentType(t *testing.T) {
	const profile = `profile="https://www.w3.org/ns/activitystreams"`
	types := []struct {
		contentType string
		ok          bool
	}{
		{"application/activity+json", true},
		{"application/activity+json; charset=utf-8", true},
		{"application/ld+json; " + profile, true},
		{"application/ld+json; " + profile + "; charset=utf-8", true},
		{`application/ld+json; profile="https://example.com/p https://www.w3.org/ns/activitystreams"`, true},
		{"application/ld+json", false},
		{`application/ld+json; profile="https://example.com/p"`, false},
		{"application/json", false},
		{"text/html; charset=utf-8", false},
	}
	paths := []struct {
		name        string
		cacheKey    bool // a Like first has the key fetched and cached, so the Follow fetches the actor
		refusedWith int
		wantFetches int // GETs of the actor document for an accepted type
	}{
		{name: "key fetch", refusedWith: http.StatusUnauthorized, wantFetches: 1},
		{name: "actor fetch", cacheKey: true, refusedWith: http.StatusInternalServerError, wantFetches: 2},
	}
	for _, ct := range types {
		for _, p := range paths {
			t.Run(p.name+"/"+ct.contentType, func(t *testing.T) {
				s := newTestSite(t)
				alice := activitypubtest.NewRemote(t, "alice")
				news := s.fed.ActorID("news")
				if p.cacheKey {
					if resp := alice.Post(news+"/inbox", map[string]any{"@context": vocab.ContextActivityStreams,
						"id": alice.ActorID() + "/likes/1", "type": "Like", "actor": alice.ActorID(),
						"object": s.url("/articles/unknown")}); resp.StatusCode != http.StatusAccepted {
						t.Fatalf("Like: status %d, want 202", resp.StatusCode)
					}
				}
				alice.SetActorContentType(ct.contentType)
				resp := alice.Post(news+"/inbox", map[string]any{"@context": vocab.ContextActivityStreams,
					"id": alice.ActorID() + "/follows/1", "type": "Follow", "actor": alice.ActorID(), "object": news})
				want := p.refusedWith
				if ct.ok {
					want = http.StatusAccepted
				}
				if resp.StatusCode != want {
					t.Fatalf("Follow: status %d, want %d", resp.StatusCode, want)
				}
				_, err := s.store.Follower(t.Context(), news, alice.ActorID())
				if got := err == nil; got != ct.ok {
					t.Errorf("follower stored = %v (%v), want %v", got, err, ct.ok)
				}
				if ct.ok {
					alice.WaitFor("Accept")
					if n := alice.ActorFetches(); n != p.wantFetches {
						t.Errorf("actor fetched %d times, want %d", n, p.wantFetches)
					}
				}
			})
		}
	}
}

// TestInboxRejectsBadInput checks each refusal's status and that a refused request leaves the
// store as it was.
func TestInboxRejectsBadInput(t *testing.T) {
	s := newTestSite(t)
	alice := activitypubtest.NewRemote(t, "alice")
	mallory := activitypubtest.NewRemote(t, "mallory")
	newsID := s.fed.ActorID("news")
	inbox := newsID + "/inbox"
	follow := func(actor string) []byte {
		b, _ := json.Marshal(map[string]any{
			"@context": vocab.ContextActivityStreams, "id": actor + "/follows/x", "type": "Follow",
			"actor": actor, "object": newsID,
		})
		return b
	}
	aliceKey, malloryKey := alice.Key(), mallory.Key()
	wrongKey := signing.Key{ID: aliceKey.ID, Signer: malloryKey.Signer} // alice's keyId, mallory's key
	huge := append(append([]byte(`{"type":"Follow","id":"x","actor":"`), bytes.Repeat([]byte("a"), 1<<20)...), `"}`...)

	tests := []struct {
		name        string
		url         string
		body        []byte
		contentType string
		key         *signing.Key
		want        int
	}{
		{"malformed JSON", inbox, []byte(`{"type":"Follow",`), vocab.MediaType, &aliceKey, http.StatusBadRequest},
		{"not an object", inbox, []byte(`["Follow"]`), vocab.MediaType, &aliceKey, http.StatusBadRequest},
		{"no actor", inbox, []byte(`{"id":"https://x/1","type":"Follow"}`), vocab.MediaType, &aliceKey, http.StatusBadRequest},
		{"unsigned", inbox, follow(alice.ActorID()), vocab.MediaType, nil, http.StatusUnauthorized},
		{"wrong key", inbox, follow(alice.ActorID()), vocab.MediaType, &wrongKey, http.StatusUnauthorized},
		{"signer is not the actor", inbox, follow(alice.ActorID()), vocab.MediaType, &malloryKey, http.StatusUnauthorized},
		{"body over 1 MiB", inbox, huge, vocab.MediaType, &aliceKey, http.StatusRequestEntityTooLarge},
		{"form content type", inbox, follow(alice.ActorID()), "application/x-www-form-urlencoded", &aliceKey, http.StatusUnsupportedMediaType},
		{"unknown actor's inbox", s.url("/ap/users/nobody/inbox"), follow(alice.ActorID()), vocab.MediaType, &aliceKey, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := alice.PostRaw(tt.url, tt.body, tt.contentType, tt.key)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			assertUntouched(t, s, newsID)
		})
	}

	t.Run("body swapped after signing", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(follow(alice.ActorID())))
		req.Header.Set("Content-Type", vocab.MediaType)
		if err := signing.Sign(req, aliceKey, follow(alice.ActorID()), time.Now()); err != nil {
			t.Fatal(err)
		}
		other := follow(alice.ActorID() + "x")
		req.Body, req.ContentLength = ioNopCloser(other), int64(len(other))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
		assertUntouched(t, s, newsID)
	})

	t.Run("undo of someone else's follow", func(t *testing.T) {
		if resp := alice.PostRaw(inbox, follow(alice.ActorID()), vocab.MediaType, &aliceKey); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("Follow: status %d", resp.StatusCode)
		}
		undo := map[string]any{"id": mallory.ActorID() + "/undo", "type": "Undo", "actor": mallory.ActorID(),
			"object": alice.ActorID() + "/follows/x"}
		if resp := mallory.Post(s.url("/ap/inbox"), undo); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
		if n, _ := s.store.CountFollowers(context.Background(), newsID); n != 1 {
			t.Fatalf("followers = %d, want alice still following", n)
		}
	})
}

// assertUntouched checks that nothing was recorded: no follower, no audit entry, no outbox item.
func assertUntouched(t *testing.T, s *site, actorID string) {
	t.Helper()
	ctx := context.Background()
	if n, err := s.store.CountFollowers(ctx, actorID); err != nil || n != 0 {
		t.Errorf("followers = %d (%v), want 0", n, err)
	}
	if n, err := s.store.CountOutbox(ctx, actorID); err != nil || n != 0 {
		t.Errorf("outbox = %d (%v), want 0", n, err)
	}
	if p, err := s.store.AuditPage(ctx, "", 10); err != nil || len(p.Items) != 0 {
		t.Errorf("audit = %+v (%v), want empty", p.Items, err)
	}
}

func TestPublishRejects(t *testing.T) {
	s := newTestSite(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		username string
		article  activitypub.Article
		want     func(error) bool
	}{
		{"unknown actor", "nobody", activitypub.Article{URL: s.url("/articles/a"), Title: "A"},
			func(err error) bool { return errors.Is(err, activitypub.ErrNotFound) }},
		{"no title", "news", activitypub.Article{URL: s.url("/articles/a")}, isInvalid},
		{"other host", "news", activitypub.Article{URL: "https://elsewhere.example/a", Title: "A"}, isInvalid},
		{"relative URL", "news", activitypub.Article{URL: "/articles/a", Title: "A"}, isInvalid},
		{"inside fedsite routes", "news", activitypub.Article{URL: s.url("/ap/users/news"), Title: "A"}, isInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.fed.Publish(ctx, tt.username, tt.article)
			if !tt.want(err) {
				t.Fatalf("Publish: unexpected error %v", err)
			}
			if n, _ := s.store.CountOutbox(ctx, s.fed.ActorID("news")); n != 0 {
				t.Fatalf("outbox has %d items after a refused Publish", n)
			}
		})
	}
}

func isInvalid(err error) bool {
	_, ok := errors.AsType[*activitypub.InvalidError](err)
	return ok
}

func TestContentNegotiation(t *testing.T) {
	s := newTestSite(t)
	article := activitypub.Article{URL: s.url("/articles/library"), Title: "Library extends its hours", Content: "<p>Until 10 pm.</p>"}
	if err := s.fed.Publish(context.Background(), "news", article); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, accept string
		wantJSON           bool
	}{
		{"activity+json", "/articles/library", "application/activity+json", true},
		{"ld+json with profile", "/articles/library", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{"Mastodon search", "/articles/library", `application/ld+json; profile="https://www.w3.org/ns/activitystreams", application/activity+json, text/html;q=0.1`, true},
		{"browser", "/articles/library", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
		{"html preferred", "/articles/library", "text/html, application/activity+json;q=0.5", false},
		{"as2 refused", "/articles/library", "application/activity+json;q=0", false},
		{"ld+json other profile", "/articles/library", `application/ld+json; profile="https://example.com/other"`, false},
		{"no accept", "/articles/library", "", false},
		{"unpublished URL", "/articles/draft", "application/activity+json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.get(t, tt.path, tt.accept)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Accept") {
				t.Errorf("Vary = %q, want Accept", resp.Header.Get("Vary"))
			}
			ct := resp.Header.Get("Content-Type")
			if tt.wantJSON {
				if ct != vocab.MediaType {
					t.Fatalf("Content-Type %q, want %s", ct, vocab.MediaType)
				}
				o, err := vocab.Decode(body)
				if err != nil || o.ID != article.URL || o.Name != article.Title {
					t.Fatalf("document %s (%v)", body, err)
				}
				return
			}
			if ct != "text/html" {
				t.Fatalf("Content-Type %q, want the site's HTML", ct)
			}
		})
	}
}

func TestActorDocuments(t *testing.T) {
	s := newTestSite(t)
	newsID := s.fed.ActorID("news")

	resp, body := s.get(t, "/ap/users/news", vocab.MediaType)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != vocab.MediaType {
		t.Fatalf("actor: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	a, err := vocab.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	// What Mastodon requires of an actor (INTEROP §1.2).
	checks := []struct{ name, got, want string }{
		{"id", a.ID, newsID},
		{"type", a.Type.First(), "Organization"},
		{"preferredUsername", a.PreferredUsername, "news"},
		{"inbox", a.Inbox, newsID + "/inbox"},
		{"outbox", a.Outbox, newsID + "/outbox"},
		{"followers", a.Followers, newsID + "/followers"},
		{"following", a.Following, newsID + "/following"},
		{"sharedInbox", a.SharedInboxIRI(), s.url("/ap/inbox")},
		{"url", a.URLString(), s.url("/about")},
		{"key id", a.PublicKey[0].ID, newsID + "#main-key"},
		{"key owner", a.PublicKey[0].Owner, newsID},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if _, err := signing.ParsePublicKey([]byte(a.PublicKey[0].PublicKeyPem)); err != nil {
		t.Errorf("publicKeyPem: %v", err)
	}
	if !strings.Contains(string(body), `"https://www.w3.org/ns/activitystreams"`) || !strings.Contains(string(body), `"https://w3id.org/security/v1"`) {
		t.Errorf("@context lacks AS2 or security: %s", body)
	}

	// The key is stable across requests.
	_, again := s.get(t, "/ap/users/news", vocab.MediaType)
	b, _ := vocab.Decode(again)
	if b.PublicKey[0].PublicKeyPem != a.PublicKey[0].PublicKeyPem {
		t.Error("the actor's key changed between two requests")
	}

	// A browser is sent to the profile page.
	if resp, _ := s.get(t, "/ap/users/news", "text/html"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != s.url("/about") {
		t.Errorf("browser: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := s.get(t, "/ap/users/nobody", vocab.MediaType); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown actor: status %d, want 404", resp.StatusCode)
	}
	if resp, _ := s.get(t, "/ap/users/News%20Room", vocab.MediaType); resp.StatusCode != http.StatusNotFound {
		t.Errorf("invalid username: status %d, want 404", resp.StatusCode)
	}

	// The instance actor is served to anyone, unsigned.
	resp, body = s.get(t, "/ap/actor", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("instance actor: status %d", resp.StatusCode)
	}
	ia, err := vocab.Decode(body)
	if err != nil || ia.ID != s.fed.InstanceActorID() || !ia.Type.Has("Application") || len(ia.PublicKey) != 1 || ia.Inbox == "" {
		t.Fatalf("instance actor: %s (%v)", body, err)
	}
}

func TestWebFingerRoundTrip(t *testing.T) {
	s := newTestSite(t)
	host := strings.TrimPrefix(s.srv.URL, "http://")
	tests := []struct {
		resource string
		status   int
		self     string
	}{
		{"acct:news@" + host, http.StatusOK, s.fed.ActorID("news")},
		{"acct:NEWS@" + host, http.StatusOK, s.fed.ActorID("news")},
		{s.fed.ActorID("news"), http.StatusOK, s.fed.ActorID("news")},
		{"acct:desk@" + host, http.StatusOK, s.fed.ActorID("desk")},
		{"acct:127.0.0.1@" + host, http.StatusOK, s.fed.InstanceActorID()},
		{s.fed.InstanceActorID(), http.StatusOK, s.fed.InstanceActorID()},
		{"acct:nobody@" + host, http.StatusNotFound, ""},
		{"acct:news@elsewhere.example", http.StatusNotFound, ""},
		{"acct:news", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			resp, body := s.get(t, "/.well-known/webfinger?resource="+tt.resource, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != http.StatusOK {
				return
			}
			var jrd struct {
				Subject string
				Links   []struct{ Rel, Type, Href string }
			}
			if err := json.Unmarshal(body, &jrd); err != nil {
				t.Fatal(err)
			}
			var self string
			for _, l := range jrd.Links {
				if l.Rel == "self" && l.Type == vocab.MediaType {
					self = l.Href
				}
			}
			if self != tt.self {
				t.Errorf("self = %q, want %q", self, tt.self)
			}
			// The actor the self link names must be served and name itself the same way.
			_, body = s.get(t, strings.TrimPrefix(self, s.srv.URL), vocab.MediaType)
			a, err := vocab.Decode(body)
			if err != nil || a.ID != self {
				t.Fatalf("self link %s serves %s (%v)", self, body, err)
			}
			if want := "acct:" + a.PreferredUsername + "@" + host; jrd.Subject != want {
				t.Errorf("subject %q, want %q", jrd.Subject, want)
			}
		})
	}
}

func TestCollections(t *testing.T) {
	ctx := context.Background()
	s := newTestSite(t)
	newsID := s.fed.ActorID("news")
	for i, name := range []string{"a", "b", "c"} {
		err := s.store.AddFollower(ctx, store.Follower{ActorID: newsID, FollowerID: "https://r.example/users/" + name,
			Inbox: "https://r.example/users/" + name + "/inbox", CreatedAt: time.Unix(int64(i), 0)})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, slug := range []string{"one", "two", "three"} {
		if err := s.fed.Publish(ctx, "news", activitypub.Article{URL: s.url("/articles/" + slug), Title: slug}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		path      string
		total     int
		wantItems []string // in order over all pages
	}{
		{"/ap/users/news/followers", 3, []string{"https://r.example/users/c", "https://r.example/users/b", "https://r.example/users/a"}},
		{"/ap/users/news/outbox", 3, []string{s.url("/articles/three"), s.url("/articles/two"), s.url("/articles/one")}},
		{"/ap/users/news/following", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, body := s.get(t, tt.path, vocab.MediaType)
			c, err := vocab.Decode(body)
			if err != nil || !c.Type.Has("OrderedCollection") || c.TotalItems == nil || *c.TotalItems != tt.total || c.First.ID() == "" {
				t.Fatalf("collection %s (%v)", body, err)
			}
			var got []string
			next := c.First.ID()
			for pages := 0; next != ""; pages++ {
				if pages > 5 {
					t.Fatal("too many pages")
				}
				_, body := s.get(t, strings.TrimPrefix(next, s.srv.URL), vocab.MediaType)
				p, err := vocab.Decode(body)
				if err != nil || !p.Type.Has("OrderedCollectionPage") || p.PartOf.ID() != s.url(tt.path) {
					t.Fatalf("page %s (%v)", body, err)
				}
				for _, it := range p.OrderedItems {
					if it.Object != nil && it.Object.Type.Has("Create") {
						got = append(got, it.Object.Object.ID())
					} else {
						got = append(got, it.ID())
					}
				}
				next = p.Next.ID()
			}
			if strings.Join(got, " ") != strings.Join(tt.wantItems, " ") {
				t.Errorf("items %v, want %v", got, tt.wantItems)
			}
		})
	}
	if resp, _ := s.get(t, "/ap/users/news/followers?page=true&cursor=garbage", vocab.MediaType); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad cursor: status %d, want 400", resp.StatusCode)
	}
}
