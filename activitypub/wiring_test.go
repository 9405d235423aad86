package activitypub_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// scriptedInbox answers each POST with the status answer gives for the activity's type and how
// many of that type arrived before it, and records the types in order of arrival.
type scriptedInbox struct {
	mu     sync.Mutex
	got    []string
	answer func(typ string, before int) int
}

func (s *scriptedInbox) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	o, err := vocab.Decode(body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	typ := o.Type.First()
	s.mu.Lock()
	before := 0
	for _, g := range s.got {
		if g == typ {
			before++
		}
	}
	s.got = append(s.got, typ)
	s.mu.Unlock()
	w.WriteHeader(s.answer(typ, before))
}

func (s *scriptedInbox) arrivals() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// followed starts a remote actor whose inbox is in, has it follow @news, and waits until the
// Accept arrived.
func followed(t *testing.T, s *site, in *scriptedInbox) (actorID, host string) {
	t.Helper()
	srv, keys := sameOrigin(t, in.serve, "alice")
	a := srv.URL + "/users/alice"
	key := keys["alice"]
	follow := mustJSONBytes(map[string]any{"@context": vocab.ContextActivityStreams, "id": a + "/follows/1",
		"type": "Follow", "actor": a, "object": s.fed.ActorID("news")})
	if code := postSigned(t, s, s.fed.ActorID("news")+"/inbox", follow, &key, time.Now(), nil); code != http.StatusAccepted {
		t.Fatalf("Follow: status %d", code)
	}
	waitFor(t, func() bool { return slices.Contains(in.arrivals(), "Accept") })
	u, _ := url.Parse(srv.URL)
	return a, u.Host
}

// TestFederationWiresEngine checks, through Federation rather than the engine alone, that the
// features it switches on in package delivery are on: a gone inbox loses its followers, a
// failing host opens its breaker in the store, and a Delete waits behind its Create.
// siteOnly offers the site-state contracts of a store and nothing else: no delivery state, no
// counters, no audit log, as a site's own database might.
type siteOnly struct{ store.Site }

func TestFederationWiresEngine(t *testing.T) {
	ctx := context.Background()
	article := func(s *site, slug string) activitypub.Article {
		return activitypub.Article{URL: s.url("/articles/" + slug), Title: slug, Content: "<p>" + slug + "</p>"}
	}

	t.Run("410 removes the followers", func(t *testing.T) {
		gone := make(chan []store.Follower, 1)
		s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) {
			c.OnFollowersGone = func(_ context.Context, _ string, removed []store.Follower) { gone <- removed }
		})
		in := &scriptedInbox{answer: func(typ string, _ int) int {
			if typ == "Accept" {
				return http.StatusAccepted
			}
			return http.StatusGone
		}}
		alice, _ := followed(t, s, in)
		if err := s.fed.Publish(ctx, "news", article(s, "one")); err != nil {
			t.Fatal(err)
		}
		select {
		case removed := <-gone:
			if len(removed) != 1 || removed[0].FollowerID != alice {
				t.Errorf("OnFollowersGone got %+v, want alice", removed)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("OnFollowersGone not called within 10 s")
		}
		if _, err := s.store.Follower(ctx, s.fed.ActorID("news"), alice); err == nil {
			t.Error("alice still follows @news after her inbox answered 410")
		}
	})

	t.Run("delivery state apart from site state", func(t *testing.T) {
		site, apart := memstore.New(), memstore.New()
		s := newSiteWith(t, site, func(c *activitypub.Config) {
			c.Store = siteOnly{site} // the site's own database: site state, nothing optional
			c.DeliveryStore = apart
		})
		in := &scriptedInbox{answer: func(string, int) int { return http.StatusAccepted }}
		followed(t, s, in)
		a := article(s, "apart")
		if err := s.fed.Publish(ctx, "news", a); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool {
			st, err := s.fed.DeliveryStatus(ctx, a.URL)
			return err == nil && st.Total.Delivered == 1
		})
		if p, err := apart.DeliveriesPage(ctx, a.URL, "", 10); err != nil || len(p.Items) != 1 {
			t.Errorf("records in the Delivery store: %+v, %v; want the one delivery", p.Items, err)
		}
		if p, err := site.DeliveriesPage(ctx, a.URL, "", 10); err != nil || len(p.Items) != 0 {
			t.Errorf("records in the site store: %+v, %v; want none", p.Items, err)
		}
		if d, err := site.Depth(ctx); err != nil || d != (store.QueueDepth{}) {
			t.Errorf("site store's queue: %+v, %v; want it unused", d, err)
		}
		// The followers collection counts through the fallback, the store having no counter.
		_, body := s.get(t, "/ap/users/news/followers", "application/activity+json")
		if !strings.Contains(string(body), `"totalItems":1`) {
			t.Errorf("followers collection %s, want totalItems 1", body)
		}
	})

	t.Run("a failing host opens its breaker", func(t *testing.T) {
		st := memstore.New()
		s := newSiteWith(t, st, func(c *activitypub.Config) {
			c.Delivery.BreakerThreshold = 2
			c.Delivery.BreakerCooldown = time.Hour
			c.Delivery.Retry = delivery.Backoff{Attempts: 1}
		})
		in := &scriptedInbox{answer: func(typ string, _ int) int {
			if typ == "Accept" {
				return http.StatusAccepted
			}
			return http.StatusInternalServerError
		}}
		_, host := followed(t, s, in)
		for _, slug := range []string{"one", "two"} {
			if err := s.fed.Publish(ctx, "news", article(s, slug)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, func() bool {
			sts, err := st.HostStates(ctx, host)
			return err == nil && len(sts) == 1 && sts[0].OpenUntil.After(time.Now())
		})
	})

	t.Run("a Delete waits behind its retrying Create", func(t *testing.T) {
		s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) { c.Delivery.Retry = delivery.Backoff{Base: 300 * time.Millisecond} })
		in := &scriptedInbox{answer: func(typ string, before int) int {
			if typ == "Create" && before == 0 {
				return http.StatusServiceUnavailable // the first attempt fails; the retry waits the backoff
			}
			return http.StatusAccepted
		}}
		followed(t, s, in)
		a := article(s, "one")
		if err := s.fed.Publish(ctx, "news", a); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return slices.Contains(in.arrivals(), "Create") })
		if err := s.fed.Delete(ctx, "news", a.URL); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return slices.Contains(in.arrivals(), "Delete") })
		if got, want := in.arrivals(), []string{"Accept", "Create", "Create", "Delete"}; !slices.Equal(got, want) {
			t.Errorf("the inbox received %q, want %q: the Delete overtook its Create", got, want)
		}
	})

	t.Run("a Delete waits behind its Create still on its way in a page", func(t *testing.T) {
		// Alice's inbox holds the Create until the test lets it go, so the Create's page still
		// runs it from memory, where no ordering key of the queue sees it. Alice then stops
		// following: the Delete reaches her as a former inbox, a delivery of its own, and only
		// the Delete's Behind list holds it back.
		st := memstore.New()
		s := newSiteWith(t, st, nil)
		release := make(chan struct{})
		var once sync.Once
		var mu sync.Mutex
		var order []string // alice's activities, in the order her inbox finished them
		in := &scriptedInbox{answer: func(typ string, _ int) int {
			if typ == "Create" {
				<-release
			}
			mu.Lock()
			order = append(order, typ)
			mu.Unlock()
			return http.StatusAccepted
		}}
		alice, _ := followed(t, s, in)
		// Registered after the remote's Close, so it runs first and Close finds no held request.
		t.Cleanup(func() { once.Do(func() { close(release) }) })
		a := article(s, "one")
		if err := s.fed.Publish(ctx, "news", a); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return slices.Contains(in.arrivals(), "Create") })
		if err := st.RemoveFollower(ctx, s.fed.ActorID("news"), alice); err != nil {
			t.Fatal(err)
		}
		if err := s.fed.Delete(ctx, "news", a.URL); err != nil {
			t.Fatal(err)
		}
		// A Delete that does not wait arrives within milliseconds; give it a second to show.
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) && !slices.Contains(in.arrivals(), "Delete") {
			time.Sleep(10 * time.Millisecond)
		}
		once.Do(func() { close(release) })
		waitFor(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return slices.Contains(order, "Delete")
		})
		mu.Lock()
		defer mu.Unlock()
		if want := []string{"Accept", "Create", "Delete"}; !slices.Equal(order, want) {
			t.Errorf("alice's inbox finished %q, want %q: the Delete overtook its Create", order, want)
		}
	})
}
