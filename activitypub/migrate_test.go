package activitypub_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/testbed/fedifypeer"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// rebrand is a site that moves between two loopback domains, 127.0.0.2 (the old) and 127.0.0.1
// (the new), each its own listener, both served by whichever handler the test installs: the one
// process that answers both hosts.
type rebrand struct {
	oldBase, newBase string
	store            store.Store
	handler          atomic.Pointer[http.Handler]
	pages            http.Handler
	stop             func() // stops the running Federation's Run
}

func newRebrand(t *testing.T, st store.Store) *rebrand {
	t.Helper()
	rb := &rebrand{store: st}
	pages := http.NewServeMux()
	pages.HandleFunc("GET /articles/{slug}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<h1>"+r.PathValue("slug")+"</h1>")
	})
	rb.pages = pages
	serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*rb.handler.Load()).ServeHTTP(w, r) })
	for _, addr := range []string{"127.0.0.2:0", "127.0.0.1:0"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("no loopback address %s: %v", addr, err)
		}
		srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: serve}}
		srv.Start()
		t.Cleanup(srv.Close)
		if rb.oldBase == "" {
			rb.oldBase = srv.URL
		} else {
			rb.newBase = srv.URL
		}
	}
	t.Cleanup(func() {
		if rb.stop != nil {
			rb.stop()
		}
	})
	return rb
}

// start builds the site's Federation at base (moved from former, when set), installs its
// middleware on both listeners and runs its delivery workers, after stopping the previous one's:
// a restart of the process on the same store.
func (rb *rebrand) start(t *testing.T, base, former string) *activitypub.Federation {
	t.Helper()
	if rb.stop != nil {
		rb.stop()
		rb.stop = nil
	}
	fed, err := activitypub.New(activitypub.Config{
		BaseURL:       base,
		FormerBaseURL: former,
		Actors:        lister{names: []string{"news", "sports"}},
		Store:         rb.store,
		Insecure:      loopback(),
		Delivery:      delivery.Options{Retry: delivery.Backoff{Base: 10 * time.Millisecond}, PollInterval: 20 * time.Millisecond},
		Logger:        slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := fed.Middleware(rb.pages)
	rb.handler.Store(&h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fed.Run(ctx); close(done) }()
	rb.stop = func() { cancel(); <-done }
	return fed
}

// followID is the id of r's Follow of the site actor actorID that followSigned sent.
func followID(r *activitypubtest.Remote, actorID string) string {
	return r.ActorID() + "/follows/" + url.PathEscape(actorID)
}

// followSigned makes r follow the site actor actorID and waits for the Accept.
func followSigned(t *testing.T, r *activitypubtest.Remote, actorID string) {
	t.Helper()
	f := map[string]any{"@context": vocab.ContextActivityStreams, "id": followID(r, actorID),
		"type": "Follow", "actor": r.ActorID(), "object": actorID}
	if resp := r.Post(actorID+"/inbox", f); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow of %s: status %d", actorID, resp.StatusCode)
	}
	waitDelivery(t, r, func(d activitypubtest.Delivery) bool {
		return d.Type == "Accept" && d.Actor == actorID
	})
}

// waitDelivery waits for a delivery to r that match accepts and returns it.
func waitDelivery(t *testing.T, r *activitypubtest.Remote, match func(activitypubtest.Delivery) bool) activitypubtest.Delivery {
	t.Helper()
	deadline := time.Now().Add(activitypubtest.WaitTimeout)
	for {
		for _, d := range r.Deliveries() {
			if d.Err != nil {
				t.Fatalf("delivery to %s: %v", d.Path, d.Err)
			}
			if match(d) {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching delivery to %s in %v; got %d", r.ActorID(), activitypubtest.WaitTimeout, len(r.Deliveries()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMigrateDomain moves a site with two actors from one loopback domain to another: in-process
// followers (activitypubtest remotes acting as Mastodon does on a Move) and, with
// FEDSITE_FEDIFY=1, a Fedify peer following the same rules move to the new actors; the follower
// counts are the same before and after, a post from the new domain reaches every follower, and
// the old domain answers for the actors, their handles, the articles and the activities.
func TestMigrateDomain(t *testing.T) {
	rb := newRebrand(t, memstore.New())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Before: the site at the old domain, with followers and a published article.
	old := rb.start(t, rb.oldBase, "")
	oldNews, oldSports := old.ActorID("news"), old.ActorID("sports")
	alice, bob, carol := activitypubtest.NewRemote(t, "alice"), activitypubtest.NewRemote(t, "bob"), activitypubtest.NewRemote(t, "carol")
	follows := map[*activitypubtest.Remote][]string{alice: {oldNews}, bob: {oldNews, oldSports}, carol: {oldSports}}
	for r, ids := range follows {
		for _, id := range ids {
			followSigned(t, r, id)
		}
	}
	var peer *fedifypeer.Peer
	if os.Getenv(fedifypeer.EnableEnv) != "" {
		peer = fedifypeer.StartForTest(t)
		peer.FollowAccepted(ctx, t, oldNews)
	}
	oldArticle := rb.oldBase + "/articles/launch"
	if err := old.Publish(ctx, "news", activitypub.Article{URL: oldArticle, Title: "Launch", Content: "<p>Hi</p>"}); err != nil {
		t.Fatal(err)
	}
	create := waitDelivery(t, alice, func(d activitypubtest.Delivery) bool { return d.Type == "Create" })
	wantBefore := map[string]int{"news": 2, "sports": 2}
	if peer != nil {
		wantBefore["news"]++
	}

	// The rebrand: the process restarts on the new domain, the old one still reaching it, and
	// migrates.
	fed := rb.start(t, rb.newBase, rb.oldBase)
	m, err := fed.MigrateDomain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != rb.oldBase || m.To != rb.newBase || len(m.Actors) != 2 {
		t.Fatalf("migration = %+v, want %s to %s with 2 actors", m, rb.oldBase, rb.newBase)
	}
	for _, a := range m.Actors {
		if a.FollowersBefore != wantBefore[a.Username] || !a.Queued || a.Move == "" || a.From != old.ActorID(a.Username) || a.To != fed.ActorID(a.Username) {
			t.Errorf("actor %+v, want %d followers before, its Move queued, from %s to %s", a, wantBefore[a.Username],
				old.ActorID(a.Username), fed.ActorID(a.Username))
		}
	}

	// Each in-process follower gets one Move per actor it follows, and acts on it.
	for r, ids := range follows {
		for _, id := range ids {
			move := waitDelivery(t, r, func(d activitypubtest.Delivery) bool { return d.Type == "Move" && d.Actor == id })
			if move.Activity.Target.ID() != strings.Replace(id, rb.oldBase, rb.newBase, 1) {
				t.Errorf("Move of %s targets %s", id, move.Activity.Target.ID())
			}
			if _, err := r.FollowMove(ctx, move, followID(r, id)); err != nil {
				t.Fatal(err)
			}
			newID := move.Activity.Target.ID()
			waitDelivery(t, r, func(d activitypubtest.Delivery) bool { return d.Type == "Accept" && d.Actor == newID })
		}
	}
	if peer != nil {
		deadline := time.Now().Add(activitypubtest.WaitTimeout)
		for {
			st, err := peer.State(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Following) == 1 && st.Following[0].Actor == fed.ActorID("news") && st.Following[0].State == "accepted" {
				if st.Following[0].MovedFrom != oldNews {
					t.Errorf("peer follows %+v, want moved from %s", st.Following[0], oldNews)
				}
				break
			}
			if time.Now().After(deadline) {
				log, _ := peer.Log(ctx)
				t.Fatalf("Fedify did not follow across the Move: %+v; log %+v", st.Following, log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Progress: every follower arrived, none left behind.
	deadline := time.Now().Add(activitypubtest.WaitTimeout)
	for {
		m, err = fed.DomainMigration(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Undos are processed after the inbox answered: wait for those too.
		if m.Done() && m.Actors[0].Remaining == 0 && m.Actors[1].Remaining == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("migration not done: %+v", m.Actors)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, a := range m.Actors {
		if a.Followers != wantBefore[a.Username] || a.FollowersBefore != wantBefore[a.Username] || a.Remaining != 0 {
			t.Errorf("%s: %d followers before, %d after, %d remaining; want %d, %d, 0", a.Username,
				a.FollowersBefore, a.Followers, a.Remaining, wantBefore[a.Username], wantBefore[a.Username])
		}
	}

	// A post from the new domain reaches them all.
	newArticle := rb.newBase + "/articles/renamed"
	if err := fed.Publish(ctx, "news", activitypub.Article{URL: newArticle, Title: "Renamed", Content: "<p>New name</p>"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*activitypubtest.Remote{alice, bob} {
		d := waitDelivery(t, r, func(d activitypubtest.Delivery) bool { return d.Type == "Create" && d.ObjectID == newArticle })
		if d.Signer != fed.ActorID("news") {
			t.Errorf("Create to %s signed by %s", r.ActorID(), d.Signer)
		}
	}
	if peer != nil {
		_, err := peer.WaitFor(ctx, func(a fedifypeer.Activity) bool {
			return a.Type == "Create" && a.Verified && a.Actor == fed.ActorID("news")
		})
		if err != nil {
			t.Fatalf("the new domain's Create did not reach Fedify: %v", err)
		}
	}

	// The old domain keeps answering.
	oldHost := strings.TrimPrefix(rb.oldBase, "http://")
	newHost := strings.TrimPrefix(rb.newBase, "http://")
	t.Run("actor", func(t *testing.T) {
		resp, body := getWith(t, oldNews, vocab.MediaType)
		var doc struct {
			ID      string `json:"id"`
			MovedTo string `json:"movedTo"`
		}
		if err := json.Unmarshal(body, &doc); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("GET %s: %d %v", oldNews, resp.StatusCode, err)
		}
		if doc.ID != oldNews || doc.MovedTo != fed.ActorID("news") {
			t.Errorf("old actor id %s movedTo %s, want %s movedTo %s", doc.ID, doc.MovedTo, oldNews, fed.ActorID("news"))
		}
		resp, body = getWith(t, fed.ActorID("news"), vocab.MediaType)
		var nd struct {
			AlsoKnownAs []string `json:"alsoKnownAs"`
		}
		if err := json.Unmarshal(body, &nd); resp.StatusCode != http.StatusOK || err != nil || len(nd.AlsoKnownAs) != 1 || nd.AlsoKnownAs[0] != oldNews {
			t.Errorf("new actor: %d alsoKnownAs %v (%v), want [%s]", resp.StatusCode, nd.AlsoKnownAs, err, oldNews)
		}
	})
	t.Run("webfinger", func(t *testing.T) {
		resp, body := getWith(t, rb.oldBase+"/.well-known/webfinger?resource=acct:news@"+oldHost, "application/jrd+json")
		var jrd struct {
			Subject string `json:"subject"`
			Links   []struct {
				Rel, Href string
			} `json:"links"`
		}
		if err := json.Unmarshal(body, &jrd); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("webfinger: %d %v: %s", resp.StatusCode, err, body)
		}
		self := ""
		for _, l := range jrd.Links {
			if l.Rel == "self" {
				self = l.Href
			}
		}
		if jrd.Subject != "acct:news@"+newHost || self != fed.ActorID("news") {
			t.Errorf("webfinger subject %s self %s, want acct:news@%s and %s", jrd.Subject, self, newHost, fed.ActorID("news"))
		}
	})
	for _, accept := range []string{vocab.MediaType, "text/html"} {
		t.Run("article "+accept, func(t *testing.T) {
			resp, _ := getWith(t, oldArticle, accept)
			want := rb.newBase + "/articles/launch"
			if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
				t.Errorf("GET %s (%s): %d to %q, want 301 to %s", oldArticle, accept, resp.StatusCode, resp.Header.Get("Location"), want)
			}
		})
	}
	t.Run("activity", func(t *testing.T) {
		resp, body := getWith(t, create.Activity.ID, vocab.MediaType)
		doc, err := vocab.Decode(body)
		if resp.StatusCode != http.StatusOK || err != nil || doc.ID != create.Activity.ID {
			t.Errorf("GET %s: %d %v id %v", create.Activity.ID, resp.StatusCode, err, doc)
		}
	})
	t.Run("follow of the old actor", func(t *testing.T) {
		dave := activitypubtest.NewRemote(t, "dave")
		dave.Post(oldNews+"/inbox", map[string]any{"@context": vocab.ContextActivityStreams, "id": dave.ActorID() + "/follows/1",
			"type": "Follow", "actor": dave.ActorID(), "object": oldNews})
		waitDelivery(t, dave, func(d activitypubtest.Delivery) bool { return d.Type == "Reject" && d.Actor == oldNews })
	})
}

// failingMigration is a store whose writes of the migration record fail from the nth on, as a
// crash would stop them.
type failingMigration struct {
	*memstore.Store
	mu        sync.Mutex
	n, writes int
}

func (s *failingMigration) PutObject(ctx context.Context, o store.Object) error {
	if strings.HasSuffix(o.ID, "#migration") {
		s.mu.Lock()
		s.writes++
		fail := s.n > 0 && s.writes >= s.n
		s.mu.Unlock()
		if fail {
			return errors.New("crash")
		}
	}
	return s.Store.PutObject(ctx, o)
}

// TestMigrateDomainResumes crashes a migration at each step it stores and restarts the process:
// Run resumes it, and every follower receives one Move (one id) per actor it follows.
func TestMigrateDomainResumes(t *testing.T) {
	// The migration record is written when the migration starts, then per actor (news, sports)
	// once its Move is made and once it is queued.
	for crashAt := 1; crashAt <= 5; crashAt++ {
		t.Run("", func(t *testing.T) {
			st := &failingMigration{Store: memstore.New()}
			rb := newRebrand(t, st)
			ctx := t.Context()
			old := rb.start(t, rb.oldBase, "")
			alice, bob := activitypubtest.NewRemote(t, "alice"), activitypubtest.NewRemote(t, "bob")
			followSigned(t, alice, old.ActorID("news"))
			followSigned(t, bob, old.ActorID("news"))
			followSigned(t, bob, old.ActorID("sports"))

			fed := rb.start(t, rb.newBase, rb.oldBase)
			st.mu.Lock()
			st.n = crashAt
			st.mu.Unlock()
			if _, err := fed.MigrateDomain(ctx); err == nil {
				t.Fatalf("MigrateDomain with the record failing at write %d succeeded", crashAt)
			}
			// What was queued before the crash went out: the records of its delivery show it.
			if crashAt >= 3 {
				waitN(t, alice, "Move", 1)
			}
			if crashAt >= 5 {
				waitN(t, bob, "Move", 2)
			}
			st.mu.Lock()
			st.n = 0
			st.mu.Unlock()
			// The restart: Run resumes what a record says; with no record, the operator calls
			// MigrateDomain again.
			fed = rb.start(t, rb.newBase, rb.oldBase)
			if crashAt == 1 {
				if _, err := fed.MigrateDomain(ctx); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(activitypubtest.WaitTimeout)
			for {
				m, err := fed.DomainMigration(ctx)
				if err == nil && len(m.Actors) == 2 && m.Actors[0].Queued && m.Actors[1].Queued {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("migration not resumed: %+v %v", m, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			for r, want := range map[*activitypubtest.Remote]int{alice: 1, bob: 2} {
				waitN(t, r, "Move", want)
				time.Sleep(100 * time.Millisecond) // a second Move would arrive by now
				// Delivery is at least once: a Run stopped between an inbox's answer and its
				// record sends that activity again, under its id, which servers recognise. What
				// must not happen is a second Move, with another id, for the same actor.
				ids := map[string]bool{}
				for _, d := range waitN(t, r, "Move", want) {
					ids[d.Activity.ID] = true
				}
				if len(ids) != want {
					t.Errorf("%s got %d distinct Moves, want %d", r.ActorID(), len(ids), want)
				}
			}
		})
	}
}

// TestMigrateDomainErrors checks the mistakes a migration refuses: a former origin that is not
// one or is the site's own host, a migration without a former origin or with actors that cannot
// be listed, and progress asked for before any migration.
func TestMigrateDomainErrors(t *testing.T) {
	actor := activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
		return &activitypub.Actor{Username: name}, nil
	})
	tests := []struct {
		name        string
		former      string
		actors      activitypub.ActorSource
		newErr      bool  // New refuses the Config; else MigrateDomain refuses to start
		progressErr error // what DomainMigration says then
	}{
		{"not a URL", "old.example", lister{names: []string{"news"}}, true, nil},
		{"with a path", "https://old.example/site", lister{names: []string{"news"}}, true, nil},
		{"same host", "http://news.example", lister{names: []string{"news"}}, true, nil},
		{"no former origin", "", lister{names: []string{"news"}}, false, activitypub.ErrNotFound},
		{"actors not listed", "https://old.example", actor, false, activitypub.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fed, err := activitypub.New(activitypub.Config{BaseURL: "https://news.example", FormerBaseURL: tt.former,
				Actors: tt.actors, Store: memstore.New()})
			var invalid *activitypub.InvalidError
			if tt.newErr {
				if !errors.As(err, &invalid) {
					t.Fatalf("New = %v, want an *InvalidError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fed.MigrateDomain(t.Context()); !errors.As(err, &invalid) {
				t.Errorf("MigrateDomain = %v, want an *InvalidError", err)
			}
			if _, err := fed.DomainMigration(t.Context()); !errors.Is(err, tt.progressErr) {
				t.Errorf("DomainMigration = %v, want %v", err, tt.progressErr)
			}
		})
	}
}
