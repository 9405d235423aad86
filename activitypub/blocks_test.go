package activitypub_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// goneLog records what OnFollowersGone was told.
type goneLog struct {
	mu    sync.Mutex
	calls map[string][]string // inbox to follower ids
}

func (g *goneLog) hook(_ context.Context, inbox string, removed []store.Follower) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.calls == nil {
		g.calls = make(map[string][]string)
	}
	for _, f := range removed {
		g.calls[inbox] = append(g.calls[inbox], f.ActorID+" "+f.FollowerID)
	}
}

func (g *goneLog) get(inbox string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls[inbox])
}

// onLocalhost is a remote's base URL with the host name localhost instead of 127.0.0.1: the same
// server, on a host a test can block without blocking the others.
func onLocalhost(r *activitypubtest.Remote) string {
	return strings.Replace(r.URL(), "127.0.0.1", "localhost", 1)
}

// creates counts the Create activities a remote received.
func creates(r *activitypubtest.Remote) int {
	n := 0
	for _, d := range r.Deliveries() {
		if d.Activity != nil && d.Activity.Type.Has("Create") {
			n++
		}
	}
	return n
}

// TestBlockStopsEverything blocks an actor and a domain that follow the site: their follows are
// removed and reported, and a follow that raced the block (recorded after it) gets nothing when
// the site publishes, while the others still get the article.
func TestBlockStopsEverything(t *testing.T) {
	var gone goneLog
	s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) { c.OnFollowersGone = gone.hook })
	ctx := t.Context()
	alice, bob := activitypubtest.NewRemote(t, "alice"), activitypubtest.NewRemote(t, "bob")
	eve := activitypubtest.NewRemote(t, "eve")
	follow(t, s, alice, s.fed.ActorID("news"), "news")
	follow(t, s, alice, s.fed.ActorID("desk"), "desk")
	follow(t, s, bob, s.fed.ActorID("news"), "news")
	newsID, deskID := s.fed.ActorID("news"), s.fed.ActorID("desk")
	// eve's server is reached as localhost; its follow is recorded as the inbox would.
	eveID := onLocalhost(eve) + "/users/eve"
	eveFollower := store.Follower{ActorID: newsID, FollowerID: eveID, Inbox: eveID + "/inbox", SharedInbox: onLocalhost(eve) + "/inbox"}
	if err := s.store.AddFollower(ctx, eveFollower); err != nil {
		t.Fatal(err)
	}

	if err := s.fed.BlockActor(ctx, alice.ActorID()+"#main-key", "harassment"); err != nil {
		t.Fatal(err)
	}
	if err := s.fed.BlockDomain(ctx, "LOCALHOST", "spam server"); err != nil {
		t.Fatal(err)
	}
	for _, fl := range []struct{ actor, follower string }{{newsID, alice.ActorID()}, {deskID, alice.ActorID()}, {newsID, eveID}} {
		if _, err := s.store.Follower(ctx, fl.actor, fl.follower); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("follower %s of %s after the block: %v, want it removed", fl.follower, fl.actor, err)
		}
	}
	if _, err := s.store.Follower(ctx, newsID, bob.ActorID()); err != nil {
		t.Errorf("bob, whom no block covers, is no longer a follower: %v", err)
	}
	if got, want := gone.get(alice.URL()+"/inbox"), []string{newsID + " " + alice.ActorID(), deskID + " " + alice.ActorID()}; !sameSet(got, want) {
		t.Errorf("OnFollowersGone(alice's inbox) = %v, want %v", got, want)
	}
	if got, want := gone.get(eveFollower.SharedInbox), []string{newsID + " " + eveID}; !sameSet(got, want) {
		t.Errorf("OnFollowersGone(eve's inbox) = %v, want %v", got, want)
	}

	// Follows that raced the blocks: alice with her personal inbox only, eve as before.
	raced := []store.Follower{
		{ActorID: newsID, FollowerID: alice.ActorID(), Inbox: alice.ActorID() + "/inbox"},
		eveFollower,
	}
	for _, fl := range raced {
		if err := s.store.AddFollower(ctx, fl); err != nil {
			t.Fatal(err)
		}
	}
	article := s.url("/articles/blocked")
	if err := s.fed.Publish(ctx, "news", activitypub.Article{URL: article, Title: "T", Content: "<p>c</p>"}); err != nil {
		t.Fatal(err)
	}
	bob.WaitFor("Create")
	waitFor(t, func() bool {
		st, err := s.fed.DeliveryStatus(ctx, article)
		return err == nil && st.Total.Delivered+st.Total.Failed == 3
	})
	if st, err := s.fed.DeliveryStatus(ctx, article); err != nil || st.Total.Delivered != 1 || st.Total.Failed != 2 {
		t.Errorf("DeliveryStatus = %+v, %v; want bob's delivered and the two blocked failed", st.Total, err)
	}
	if n := creates(alice); n != 0 {
		t.Errorf("alice, blocked, got %d Creates", n)
	}
	if n := creates(eve); n != 0 {
		t.Errorf("eve, on a blocked domain, got %d Creates", n)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestBlockManagement checks the listing (who, when, why), lifting blocks, bad requests, and that
// blocks live in the store: another Federation over it, as after a restart or on another
// instance, refuses the blocked actor at once.
func TestBlockManagement(t *testing.T) {
	st := memstore.New()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	var clock atomic.Int64 // minutes after at
	s := newSiteWith(t, st, func(c *activitypub.Config) {
		c.Now = func() time.Time { return at.Add(time.Duration(clock.Load()) * time.Minute) }
	})
	ctx := t.Context()
	mallory := activitypubtest.NewRemote(t, "mallory")
	mod1, mod2 := activitypub.WithUser(ctx, "mod-1"), activitypub.WithUser(ctx, "mod-2")
	if err := s.fed.BlockDomain(mod1, "spam.example", "spam"); err != nil {
		t.Fatal(err)
	}
	clock.Store(1)
	if err := s.fed.BlockActor(mod2, mallory.ActorID(), "abuse"); err != nil {
		t.Fatal(err)
	}
	p, err := s.fed.Blocks(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Block{
		{ActorID: mallory.ActorID(), Reason: "abuse", CreatedBy: "mod-2", CreatedAt: at.Add(time.Minute)},
		{Domain: "spam.example", Reason: "spam", CreatedBy: "mod-1", CreatedAt: at},
	}
	if len(p.Items) != len(want) {
		t.Fatalf("Blocks = %+v, want %+v", p.Items, want)
	}
	for i, w := range want {
		if g := p.Items[i]; g.Domain != w.Domain || g.ActorID != w.ActorID || g.Reason != w.Reason || g.CreatedBy != w.CreatedBy || !g.CreatedAt.Equal(w.CreatedAt) {
			t.Errorf("Blocks[%d] = %+v, want %+v", i, g, w)
		}
	}
	if _, err := s.fed.Blocks(ctx, "forged", 10); !isInvalid(err) {
		t.Errorf("Blocks(forged cursor) = %v, want an *InvalidError", err)
	}

	// Another Federation over the same store refuses mallory before anything else. Its clock can
	// be moved on, to see a block lifted elsewhere once its list of blocks is 2 s old.
	var ahead atomic.Int64
	other := newSiteWith(t, st, func(c *activitypub.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	})
	key := mallory.Key()
	body := mustJSONBytes(map[string]any{"@context": vocab.ContextActivityStreams, "id": mallory.ActorID() + "/follows/1",
		"type": "Follow", "actor": mallory.ActorID(), "object": other.fed.ActorID("news")})
	if c := postSigned(t, other, other.fed.ActorID("news")+"/inbox", body, &key, time.Now(), nil); c != http.StatusForbidden {
		t.Errorf("Follow by a blocked actor on another instance: status %d, want 403", c)
	}
	if n := mallory.ActorFetches(); n != 0 {
		t.Errorf("mallory's actor was fetched %d times, want never", n)
	}

	bad := []struct {
		name string
		call func() error
	}{
		{"domain with a scheme", func() error { return s.fed.BlockDomain(ctx, "https://spam.example", "") }},
		{"domain with a port", func() error { return s.fed.BlockDomain(ctx, "spam.example:443", "") }},
		{"empty domain", func() error { return s.fed.BlockDomain(ctx, "", "") }},
		{"the site's own host", func() error { return s.fed.BlockDomain(ctx, "127.0.0.1", "") }},
		{"a site actor", func() error { return s.fed.BlockActor(ctx, s.fed.ActorID("news"), "") }},
		{"an actor that is no IRI", func() error { return s.fed.BlockActor(ctx, "mallory", "") }},
		{"an actor with another scheme", func() error { return s.fed.BlockActor(ctx, "ftp://x.example/u", "") }},
	}
	for _, b := range bad {
		if err := b.call(); !isInvalid(err) {
			t.Errorf("%s: error = %v, want an *InvalidError", b.name, err)
		}
	}

	if err := s.fed.UnblockActor(mod1, mallory.ActorID()); err != nil {
		t.Fatal(err)
	}
	if err := s.fed.UnblockActor(mod1, mallory.ActorID()); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("UnblockActor of an actor not blocked: %v, want ErrNotFound", err)
	}
	if err := s.fed.UnblockDomain(mod1, "Spam.Example"); err != nil {
		t.Fatal(err)
	}
	if p, err := s.fed.Blocks(ctx, "", 10); err != nil || len(p.Items) != 0 {
		t.Errorf("Blocks after lifting both = %+v, %v", p.Items, err)
	}
	ahead.Store(int64(2 * time.Second))
	body = mustJSONBytes(map[string]any{"@context": vocab.ContextActivityStreams, "id": mallory.ActorID() + "/follows/2",
		"type": "Follow", "actor": mallory.ActorID(), "object": other.fed.ActorID("news")})
	if c := postSigned(t, other, other.fed.ActorID("news")+"/inbox", body, &key, time.Now(), nil); c != http.StatusAccepted {
		t.Errorf("Follow on the other instance 2 s after the block was lifted: status %d, want 202", c)
	}
	audit, err := st.AuditPage(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit.Items {
		if e.Action == "block" || e.Action == "unblock" {
			actions = append(actions, e.Action+" "+e.Object+" by "+e.User+": "+e.Detail)
		}
	}
	wantAudit := []string{
		"unblock spam.example by mod-1: ",
		"unblock " + mallory.ActorID() + " by mod-1: ",
		"block " + mallory.ActorID() + " by mod-2: abuse",
		"block spam.example by mod-1: spam",
	}
	if !slices.Equal(actions, wantAudit) {
		t.Errorf("audit = %q, want %q", actions, wantAudit)
	}
}

// TestFetchRefusesBlocked sends an activity whose keyId is on a server that is not blocked but
// redirects to one that is: the key fetch must stop at the redirect, before any request reaches
// the blocked server.
func TestFetchRefusesBlocked(t *testing.T) {
	s := newSiteWith(t, memstore.New(), nil)
	ctx := t.Context()
	blockedSrv, blockedHits := probe(t, nil)
	blockedBase := strings.Replace(blockedSrv.URL, "127.0.0.1", "localhost", 1)
	redirector, redirects := probe(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, blockedBase+"/users/x", http.StatusFound)
	})
	if err := s.fed.BlockDomain(ctx, "localhost", "test"); err != nil {
		t.Fatal(err)
	}
	alice := activitypubtest.NewRemote(t, "alice")
	actor := redirector.URL + "/users/x"
	key := signing.Key{ID: actor + "#main-key", Signer: alice.Key().Signer}
	body := mustJSONBytes(map[string]any{"@context": vocab.ContextActivityStreams, "id": actor + "/follows/1",
		"type": "Follow", "actor": actor, "object": s.fed.ActorID("news")})
	if c := postSigned(t, s, s.fed.ActorID("news")+"/inbox", body, &key, time.Now(), nil); c != http.StatusForbidden {
		t.Errorf("status %d, want 403: the key is on a blocked server", c)
	}
	if redirects.Load() == 0 {
		t.Fatal("the key was never asked for: the test proves nothing")
	}
	if n := blockedHits.Load(); n != 0 {
		t.Errorf("the blocked server got %d requests, want none", n)
	}
}

// TestInboundBlock: a follower's Block of the site actor ends its follow and is reported; an
// Undo of it, and Blocks of others, change nothing.
func TestInboundBlock(t *testing.T) {
	var gone goneLog
	s := newSiteWith(t, memstore.New(), func(c *activitypub.Config) { c.OnFollowersGone = gone.hook })
	ctx := t.Context()
	alice, bob := activitypubtest.NewRemote(t, "alice"), activitypubtest.NewRemote(t, "bob")
	follow(t, s, alice, s.fed.ActorID("news"), "news")
	follow(t, s, alice, s.fed.ActorID("desk"), "desk")
	newsID, deskID := s.fed.ActorID("news"), s.fed.ActorID("desk")
	key := alice.Key()
	post := func(id, typ string, object any) {
		t.Helper()
		body := mustJSONBytes(map[string]any{"@context": vocab.ContextActivityStreams, "id": alice.ActorID() + id,
			"type": typ, "actor": alice.ActorID(), "object": object})
		if c := postSigned(t, s, s.url("/ap/inbox"), body, &key, time.Now(), nil); c != http.StatusAccepted {
			t.Fatalf("%s %s: status %d, want 202", typ, id, c)
		}
	}
	following := func(local string) bool {
		_, err := s.store.Follower(ctx, local, alice.ActorID())
		return err == nil
	}

	post("/blocks/1", "Block", bob.ActorID()) // someone else's business
	post("/blocks/2", "Block", newsID)
	if following(newsID) {
		t.Error("alice still follows news after blocking it")
	}
	if !following(deskID) {
		t.Error("alice's follow of desk, which she did not block, was removed")
	}
	if got, want := gone.get(alice.URL()+"/inbox"), []string{newsID + " " + alice.ActorID()}; !slices.Equal(got, want) {
		t.Errorf("OnFollowersGone = %v, want %v", got, want)
	}
	post("/undo/1", "Undo", map[string]any{"id": alice.ActorID() + "/blocks/2", "type": "Block", "actor": alice.ActorID(), "object": newsID})
	post("/undo/2", "Undo", alice.ActorID()+"/blocks/1")
	post("/blocks/3", "Block", newsID) // again: nothing left to remove
	if following(newsID) || !following(deskID) {
		t.Errorf("after the Undos: follows news %v, desk %v; want false, true", following(newsID), following(deskID))
	}
	if got := gone.get(alice.URL() + "/inbox"); len(got) != 1 {
		t.Errorf("OnFollowersGone told %v, want alice's follow of news once", got)
	}
}

// TestApproveBlockedFollower: a follow request made before its sender was blocked cannot be
// approved; it can still be rejected.
func TestApproveBlockedFollower(t *testing.T) {
	s, _ := interactionSite(t, &hookLog{}, true)
	ctx := t.Context()
	bob := activitypubtest.NewRemote(t, "bob")
	desk := s.fed.ActorID("desk")
	post(t, bob, s, map[string]any{"id": bob.ActorID() + "/f1", "type": "Follow", "object": desk}, http.StatusAccepted)
	if err := s.fed.BlockActor(ctx, bob.ActorID(), "spam"); err != nil {
		t.Fatal(err)
	}
	if err := s.fed.ApproveFollow(ctx, "desk", bob.ActorID()); !errors.Is(err, activitypub.ErrBlocked) {
		t.Errorf("ApproveFollow of a blocked follower: %v, want ErrBlocked", err)
	}
	if n, _ := s.store.CountFollowers(ctx, desk); n != 0 {
		t.Errorf("followers = %d, want 0", n)
	}
	if err := s.fed.RejectFollow(ctx, "desk", bob.ActorID()); err != nil {
		t.Errorf("RejectFollow of a blocked follower: %v", err)
	}
}
