package activitypub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
	"github.com/fedsite/fedsite/webfinger"
)

// actorSite is a site whose actors the test describes: actors[name] is served, with its Username
// filled in, and base is the site's origin.
func actorSite(t *testing.T, actors func(base string) map[string]activitypub.Actor, mod func(*activitypub.Config)) *site {
	t.Helper()
	return newSiteWith(t, memstore.New(), func(cfg *activitypub.Config) {
		all := actors(cfg.BaseURL)
		cfg.Actors = activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
			a, ok := all[name]
			if !ok {
				return nil, activitypub.ErrNotFound
			}
			a.Username = name
			return &a, nil
		})
		if mod != nil {
			mod(cfg)
		}
	})
}

// followedNews is a site whose one actor, news, the remote alice follows.
func followedNews(t *testing.T) (*site, *activitypubtest.Remote) {
	t.Helper()
	s := actorSite(t, func(string) map[string]activitypub.Actor {
		return map[string]activitypub.Actor{"news": {}}
	}, nil)
	alice := activitypubtest.NewRemote(t, "alice")
	follow(t, s, alice, s.fed.ActorID("news"), "news")
	return s, alice
}

// getJSON fetches a site path as AS2 and decodes it into a generic map.
func getJSON(t *testing.T, s *site, path string) map[string]any {
	t.Helper()
	resp, body := s.get(t, path, vocab.MediaType)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, resp.StatusCode, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return m
}

func TestActorDocumentProfile(t *testing.T) {
	s := actorSite(t, func(base string) map[string]activitypub.Actor {
		return map[string]activitypub.Actor{
			"dana-ortiz": {
				Name: "Dana Ortiz", ProfileURL: base + "/authors/dana-ortiz",
				Fields: []activitypub.Field{
					{Name: "Beat", Value: "City hall & <transport>"},
					{Name: "Website", Value: base + "/authors/dana-ortiz"},
				},
				IconURL:                   base + "/static/dana.png?v=2",
				ImageURL:                  base + "/static/header.jpg",
				Published:                 time.Date(2019, 5, 1, 9, 30, 0, 123456789, time.UTC),
				AttributionDomains:        []string{"news.example"},
				AlsoKnownAs:               []string{"https://old.example/users/dana"},
				Featured:                  []string{base + "/articles/pinned"},
				ManuallyApprovesFollowers: true,
			},
			"plain": {},
			"gone":  {MovedTo: "https://new.example/users/gone"},
		}
	}, nil)
	dana := getJSON(t, s, "/ap/users/dana-ortiz")
	id := s.fed.ActorID("dana-ortiz")
	host := strings.TrimPrefix(s.srv.URL, "http://")
	profile := s.url("/authors/dana-ortiz")
	base := s.url("")
	wantAttachment := []any{
		map[string]any{"type": "PropertyValue", "name": "Beat", "value": "City hall &amp; &lt;transport&gt;"},
		map[string]any{"type": "PropertyValue", "name": "Website",
			"value": `<a href="` + profile + `" rel="me nofollow noopener" target="_blank">` + profile + `</a>`},
	}
	tests := []struct {
		name string
		doc  map[string]any
		key  string
		want any
	}{
		{"attachment is an array of PropertyValue", dana, "attachment", wantAttachment},
		{"attributionDomains", dana, "attributionDomains", []any{"news.example"}},
		{"alsoKnownAs", dana, "alsoKnownAs", []any{"https://old.example/users/dana"}},
		{"featured", dana, "featured", id + "/featured"},
		{"manuallyApprovesFollowers", dana, "manuallyApprovesFollowers", true},
		{"preferredUsername kept", dana, "preferredUsername", "dana-ortiz"},
		{"webfinger kept", dana, "webfinger", "dana-ortiz@" + host},
		{"no movedTo", dana, "movedTo", nil},
		// Mastodon and GoToSocial show these as avatar, header and join date (INTEROP §1.2).
		{"icon is an Image with its media type", dana, "icon",
			map[string]any{"type": "Image", "mediaType": "image/png", "url": base + "/static/dana.png?v=2"}},
		{"image is an Image with its media type", dana, "image",
			map[string]any{"type": "Image", "mediaType": "image/jpeg", "url": base + "/static/header.jpg"}},
		{"published to the second", dana, "published", "2019-05-01T09:30:00Z"},
		{"no icon without one", getJSON(t, s, "/ap/users/plain"), "icon", nil},
		{"no published without one", getJSON(t, s, "/ap/users/plain"), "published", nil},
		{"no attachment without fields", getJSON(t, s, "/ap/users/plain"), "attachment", nil},
		{"no alsoKnownAs without aliases", getJSON(t, s, "/ap/users/plain"), "alsoKnownAs", nil},
		{"movedTo from the site", getJSON(t, s, "/ap/users/gone"), "movedTo", "https://new.example/users/gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.doc[tt.key]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.key, got, tt.want)
			}
		})
	}
	// The extension terms are defined in the context, so JSON-LD processors keep them.
	ctx, _ := json.Marshal(dana["@context"])
	for _, term := range []string{`"featured"`, `"attributionDomains"`, `"alsoKnownAs"`, `"movedTo"`, `"PropertyValue"`, `"value"`} {
		if !strings.Contains(string(ctx), term) {
			t.Errorf("@context does not define %s: %s", term, ctx)
		}
	}
}

func TestFeaturedCollection(t *testing.T) {
	ctx := context.Background()
	var pinned []string
	s := actorSite(t, func(base string) map[string]activitypub.Actor {
		pinned = []string{base + "/articles/second", base + "/articles/nowhere", base + "/articles/desk", base + "/articles/first"}
		return map[string]activitypub.Actor{"news": {Featured: pinned}, "desk": {}, "empty": {}}
	}, nil)
	for _, p := range []struct{ actor, slug string }{{"news", "first"}, {"news", "second"}, {"desk", "desk"}} {
		if err := s.fed.Publish(ctx, p.actor, activitypub.Article{URL: s.url("/articles/" + p.slug), Title: p.slug}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		actor string
		want  []string
	}{
		// Unpublished URLs and another actor's article are left out; the order is the site's.
		{"news", []string{pinned[0], pinned[3]}},
		{"empty", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.actor, func(t *testing.T) {
			resp, body := s.get(t, "/ap/users/"+tt.actor+"/featured", vocab.MediaType)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != vocab.MediaType {
				t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			c, err := vocab.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Type.Has("OrderedCollection") || c.ID != s.fed.ActorID(tt.actor)+"/featured" {
				t.Errorf("collection %s %v", c.ID, c.Type)
			}
			if c.TotalItems == nil || *c.TotalItems != len(tt.want) {
				t.Errorf("totalItems = %v, want %d", c.TotalItems, len(tt.want))
			}
			if !strings.Contains(string(body), `"orderedItems":[`) {
				t.Errorf("orderedItems is not an array: %s", body)
			}
			got := []string{}
			for _, it := range c.OrderedItems {
				if it.Object == nil || !it.Object.Type.Has("Article") {
					t.Errorf("item %v is not an embedded Article", it)
					continue
				}
				got = append(got, it.Object.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("items = %v, want %v", got, tt.want)
			}
		})
	}
	if resp, _ := s.get(t, "/ap/users/nobody/featured", vocab.MediaType); resp.StatusCode != http.StatusNotFound {
		t.Errorf("featured of an unknown actor: status %d, want 404", resp.StatusCode)
	}
}

func TestVanityWebFinger(t *testing.T) {
	// vanity plays example.com, the site plays social.example.com. How vanity reaches fedsite is
	// set per case; the site must do one of these (Config.WebFingerDomain).
	var site *site
	var mode string
	vanity := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, _ := url.Parse(site.srv.URL)
		switch {
		case mode == "redirect" && r.URL.Path == "/.well-known/webfinger":
			http.Redirect(w, r, site.srv.URL+r.URL.RequestURI(), http.StatusFound)
		case mode == "proxy" && r.URL.Path == "/.well-known/webfinger",
			mode == "host-meta" && r.URL.Path == "/.well-known/host-meta":
			httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	defer vanity.Close()
	vhost := strings.TrimPrefix(vanity.URL, "http://")
	site = actorSite(t, func(base string) map[string]activitypub.Actor {
		return map[string]activitypub.Actor{"news": {Name: "News", ProfileURL: base + "/about"}}
	}, func(cfg *activitypub.Config) { cfg.WebFingerDomain = vhost })
	client, err := webfinger.NewClient(webfinger.ClientConfig{InsecureAllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	newsID := site.fed.ActorID("news")
	bhost := strings.TrimPrefix(site.srv.URL, "http://")
	tests := []struct{ mode, resource string }{
		{"redirect", "acct:news@" + vhost},
		{"proxy", "acct:news@" + vhost},
		{"host-meta", "acct:news@" + vhost},
		// Asked on the BaseURL host directly, the subject still names the vanity domain.
		{"", "acct:news@" + bhost},
	}
	for _, tt := range tests {
		t.Run(tt.mode+" "+tt.resource, func(t *testing.T) {
			mode = tt.mode
			jrd, err := client.Lookup(context.Background(), tt.resource)
			if err != nil {
				t.Fatal(err)
			}
			if want := "acct:news@" + vhost; jrd.Subject != want {
				t.Errorf("subject = %q, want %q", jrd.Subject, want)
			}
			if got, err := jrd.ActorID(); err != nil || got != newsID {
				t.Errorf("self = %q (%v), want %q", got, err, newsID)
			}
			if !slices.Contains(jrd.Aliases, newsID) || !slices.Contains(jrd.Aliases, site.url("/about")) {
				t.Errorf("aliases = %v, want the actor id and the profile URL", jrd.Aliases)
			}
		})
	}
	// The actor names the vanity handle (FEP-2c59), and so do the HTML helpers.
	if got := getJSON(t, site, "/ap/users/news")["webfinger"]; got != "news@"+vhost {
		t.Errorf("actor webfinger = %v, want news@%s", got, vhost)
	}
	if got := site.fed.Handle("news"); got != "@news@"+vhost {
		t.Errorf("Handle = %q", got)
	}
	if resp, _ := site.get(t, "/.well-known/webfinger?resource=acct:news@elsewhere.example", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("other host: status %d, want 404", resp.StatusCode)
	}
}

func TestWebFingerDomainRejected(t *testing.T) {
	for _, d := range []string{"https://example.com", "example.com/path", "user@example.com", "exa mple.com"} {
		_, err := activitypub.New(activitypub.Config{
			BaseURL: "https://social.example.com", Store: memstore.New(), WebFingerDomain: d,
			Actors: activitypub.ActorSourceFunc(func(context.Context, string) (*activitypub.Actor, error) { return nil, activitypub.ErrNotFound }),
		})
		if !isInvalid(err) {
			t.Errorf("WebFingerDomain %q: %v, want an *InvalidError", d, err)
		}
	}
}

func TestBackfill(t *testing.T) {
	ctx := context.Background()
	s, alice := followedNews(t)
	newsID := s.fed.ActorID("news")
	day := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	articles := []activitypub.Article{
		{URL: s.url("/articles/b"), Title: "B", Published: day.Add(48 * time.Hour)},
		{URL: s.url("/articles/a"), Title: "A", Published: day},
		{URL: s.url("/articles/c"), Title: "C", Published: day.Add(96 * time.Hour)},
	}
	bad := append(slices.Clone(articles), activitypub.Article{URL: s.url("/articles/d"), Title: "D"})
	if err := s.fed.Backfill(ctx, "news", bad); !isInvalid(err) {
		t.Fatalf("Backfill without Published: %v, want an *InvalidError", err)
	}
	if n, _ := s.store.CountOutbox(ctx, newsID); n != 0 {
		t.Fatalf("a refused Backfill stored %d activities", n)
	}
	for range 2 { // idempotent
		if err := s.fed.Backfill(ctx, "news", articles); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.fed.Backfill(ctx, "nobody", articles); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("Backfill of an unknown actor: %v", err)
	}
	var got []string
	for _, a := range outbox(t, s.store, newsID) {
		if !a.Type.Has("Create") || a.Object.Object == nil {
			t.Fatalf("outbox item %+v, want a Create with its object", a)
		}
		got = append(got, a.Object.Object.Name+" "+a.Object.Object.Published.Format("01-02"))
	}
	// Newest first, with the articles' own dates.
	if want := []string{"C 03-05", "B 03-03", "A 03-01"}; !slices.Equal(got, want) {
		t.Errorf("outbox = %v, want %v", got, want)
	}
	// The article URLs answer AS2 requests.
	if resp, _ := s.get(t, "/articles/a", vocab.MediaType); resp.StatusCode != http.StatusOK {
		t.Errorf("backfilled article: status %d", resp.StatusCode)
	}
	// A later article is delivered; none of the backfilled ones ever was.
	if err := s.fed.Publish(ctx, "news", activitypub.Article{URL: s.url("/articles/new"), Title: "New"}); err != nil {
		t.Fatal(err)
	}
	alice.WaitFor("Create")
	time.Sleep(100 * time.Millisecond)
	for _, d := range alice.Deliveries() {
		if d.Activity.Type.Has("Create") && d.Activity.Object.ID() != s.url("/articles/new") {
			t.Errorf("backfilled %s was delivered", d.Activity.Object.ID())
		}
	}
	// No delivery record exists for a backfilled article, while the new one has its own.
	for _, tt := range []struct {
		url   string
		hosts int
	}{{articles[0].URL, 0}, {articles[1].URL, 0}, {s.url("/articles/new"), 1}} {
		st, err := s.fed.DeliveryStatus(ctx, tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Hosts) != tt.hosts {
			t.Errorf("delivery status of %s: %d hosts, want %d", tt.url, len(st.Hosts), tt.hosts)
		}
	}
}

func TestAnnounce(t *testing.T) {
	ctx := context.Background()
	s := actorSite(t, func(string) map[string]activitypub.Actor {
		return map[string]activitypub.Actor{"news": {Type: "Organization"}, "dana-ortiz": {}}
	}, nil)
	alice := activitypubtest.NewRemote(t, "alice")
	follow(t, s, alice, s.fed.ActorID("news"), "news")
	newsID, danaID := s.fed.ActorID("news"), s.fed.ActorID("dana-ortiz")
	article := s.url("/articles/by-dana")
	if err := s.fed.Publish(ctx, "dana-ortiz", activitypub.Article{URL: article, Title: "By Dana"}); err != nil {
		t.Fatal(err)
	}
	if err := s.fed.Announce(ctx, "news", article); err != nil {
		t.Fatal(err)
	}
	d := alice.WaitFor("Announce")
	checks := []struct{ name, got, want string }{
		{"signer", d.Signer, newsID},
		{"actor", d.Activity.Actor.ID(), newsID},
		{"object", d.Activity.Object.ID(), article},
		{"to", strings.Join(d.Activity.To.IDs(), " "), vocab.PublicIRI},
		{"cc", strings.Join(d.Activity.Cc.IDs(), " "), newsID + "/followers " + danaID},
		{"path", d.Path, "/inbox"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("Announce %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if resp, _ := s.get(t, strings.TrimPrefix(d.Activity.ID, s.srv.URL), vocab.MediaType); resp.StatusCode != http.StatusOK {
		t.Errorf("Announce id does not dereference: %d", resp.StatusCode)
	}
	errs := []struct {
		name, actor, url string
		want             error
	}{
		{"twice", "news", article, activitypub.ErrAlreadyPublished},
		{"unpublished", "news", s.url("/articles/nothing"), activitypub.ErrNotFound},
		{"an activity", "news", d.Activity.ID, activitypub.ErrNotFound},
		{"unknown actor", "nobody", article, activitypub.ErrNotFound},
	}
	for _, tt := range errs {
		if err := s.fed.Announce(ctx, tt.actor, tt.url); !errors.Is(err, tt.want) {
			t.Errorf("Announce %s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if n, _ := s.store.CountOutbox(ctx, newsID); n != 1 {
		t.Errorf("news outbox holds %d activities, want the one Announce", n)
	}
}

// moveTarget serves a remote actor whose alsoKnownAs is aka.
func moveTarget(t *testing.T, aka any) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := "http://" + r.Host + "/users/new"
		w.Header().Set("Content-Type", vocab.MediaType)
		doc := map[string]any{
			"@context": vocab.ContextActivityStreams, "id": id, "type": "Person",
			"preferredUsername": "new", "inbox": id + "/inbox",
		}
		if aka != nil {
			doc["alsoKnownAs"] = aka
		}
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/users/new"
}

func TestMove(t *testing.T) {
	ctx := context.Background()
	s, alice := followedNews(t)
	newsID := s.fed.ActorID("news")
	refused := []struct {
		name, target string
		want         error
	}{
		{"no alsoKnownAs", moveTarget(t, nil), activitypub.ErrNotAlias},
		{"other alias", moveTarget(t, []string{"https://else.example/users/x"}), activitypub.ErrNotAlias},
	}
	for _, tt := range refused {
		if err := s.fed.Move(ctx, "news", tt.target); !errors.Is(err, tt.want) {
			t.Errorf("Move, %s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := s.fed.Move(ctx, "news", newsID); !isInvalid(err) {
		t.Errorf("Move to itself: %v", err)
	}
	if err := s.fed.Move(ctx, "news", "http://127.0.0.1:1/nothing"); err == nil {
		t.Error("Move to an unreachable target succeeded")
	}
	if got := getJSON(t, s, "/ap/users/news")["movedTo"]; got != nil {
		t.Fatalf("movedTo = %v after refused moves", got)
	}
	// alsoKnownAs as one string is accepted too.
	for _, aka := range []any{newsID} {
		target := moveTarget(t, aka)
		if err := s.fed.Move(ctx, "news", target); err != nil {
			t.Fatal(err)
		}
		d := alice.WaitFor("Move")
		checks := []struct{ name, got, want string }{
			{"signer", d.Signer, newsID},
			{"actor", d.Activity.Actor.ID(), newsID},
			{"object", d.Activity.Object.ID(), newsID},
			{"target", d.Activity.Target.ID(), target},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("Move %s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if got := getJSON(t, s, "/ap/users/news")["movedTo"]; got != target {
			t.Errorf("movedTo = %v, want %s", got, target)
		}
	}
}

// TestAuthorizePublish: Publish asks Config.Authorize with the site user in ctx, and an
// article it refuses is neither stored nor sent.
func TestAuthorizePublish(t *testing.T) {
	ctx := context.Background()
	s := actorSite(t, func(string) map[string]activitypub.Actor {
		return map[string]activitypub.Actor{"news": {}, "dana-ortiz": {}}
	}, func(cfg *activitypub.Config) {
		cfg.Authorize = func(_ context.Context, act activitypub.Act) bool {
			return act.User == "editor" || (act.User == "dana" && act.Actor == "dana-ortiz")
		}
	})
	alice := activitypubtest.NewRemote(t, "alice")
	follow(t, s, alice, s.fed.ActorID("news"), "news")
	tests := []struct {
		user, actor string
		want        error
	}{
		{"dana", "news", activitypub.ErrForbidden},
		{"intern", "dana-ortiz", activitypub.ErrForbidden},
		{"dana", "dana-ortiz", nil},
		{"editor", "news", nil},
	}
	for i, tt := range tests {
		u := s.url("/articles/" + tt.user + "-" + tt.actor)
		err := s.fed.Publish(activitypub.WithUser(ctx, tt.user), tt.actor, activitypub.Article{URL: u, Title: "T" + string(rune('0'+i))})
		if !errors.Is(err, tt.want) {
			t.Errorf("Publish(%s as %s) = %v, want %v", tt.user, tt.actor, err, tt.want)
		}
		_, serr := s.store.Object(ctx, u)
		if stored := serr == nil; stored != (tt.want == nil) {
			t.Errorf("Publish(%s as %s): stored = %v", tt.user, tt.actor, stored)
		}
		if tt.want != nil && !errors.Is(serr, store.ErrNotFound) {
			t.Errorf("refused article: store says %v", serr)
		}
	}
	alice.WaitFor("Create")
	time.Sleep(100 * time.Millisecond)
	var creates []string
	for _, d := range alice.Deliveries() {
		if d.Activity.Type.Has("Create") {
			creates = append(creates, d.Activity.Object.ID())
		}
	}
	if want := []string{s.url("/articles/editor-news")}; !slices.Equal(creates, want) {
		t.Errorf("delivered %v, want only %v", creates, want)
	}
}

func TestBackfillAnnounces(t *testing.T) {
	ctx := context.Background()
	s := actorSite(t, func(string) map[string]activitypub.Actor {
		return map[string]activitypub.Actor{"news": {}, "dana-ortiz": {}}
	}, nil)
	alice := activitypubtest.NewRemote(t, "alice")
	follow(t, s, alice, s.fed.ActorID("news"), "news")
	newsID := s.fed.ActorID("news")
	day := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	old := []activitypub.Article{
		{URL: s.url("/articles/old-1"), Title: "Old 1", Published: day},
		{URL: s.url("/articles/old-2"), Title: "Old 2", Published: day.Add(time.Hour)},
	}
	if err := s.fed.Backfill(ctx, "dana-ortiz", old); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := s.fed.BackfillAnnounces(ctx, "news", []string{old[0].URL, old[1].URL}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.fed.BackfillAnnounces(ctx, "news", []string{s.url("/articles/none")}); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("unknown article: %v, want ErrNotFound", err)
	}
	var got []string
	for _, a := range outbox(t, s.store, newsID) {
		got = append(got, a.Type.First()+" "+a.Object.ID()+" "+a.Published.Format(time.RFC3339))
	}
	want := []string{
		"Announce " + old[1].URL + " " + old[1].Published.Format(time.RFC3339),
		"Announce " + old[0].URL + " " + old[0].Published.Format(time.RFC3339),
	}
	if !slices.Equal(got, want) {
		t.Errorf("news outbox = %v, want %v", got, want)
	}
	// A real Announce afterwards is delivered, and it is the only delivery besides the Accept.
	fresh := s.url("/articles/fresh")
	if err := s.fed.Publish(ctx, "dana-ortiz", activitypub.Article{URL: fresh, Title: "Fresh"}); err != nil {
		t.Fatal(err)
	}
	if err := s.fed.Announce(ctx, "news", fresh); err != nil {
		t.Fatal(err)
	}
	alice.WaitFor("Announce")
	time.Sleep(100 * time.Millisecond)
	for _, d := range alice.Deliveries() {
		if d.Activity.Type.Has("Announce") && d.Activity.Object.ID() != fresh {
			t.Errorf("backfilled Announce of %s was delivered", d.Activity.Object.ID())
		}
	}
}
