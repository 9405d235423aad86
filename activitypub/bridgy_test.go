package activitypub_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/internal/corpus"
)

// TestCheckBridgyFed checks actors that meet every Bridgy Fed requirement and actors that fail
// each, and each piece of advice: the report names exactly the unmet checks, and is Ready when
// no required one is unmet.
func TestCheckBridgyFed(t *testing.T) {
	old := time.Now().Add(-30 * 24 * time.Hour)
	ready := activitypub.Actor{Name: "The Daily Test", IconURL: "https://cdn.example/news.png", Published: old,
		Discoverable: true, Indexable: true}
	with := func(change func(a *activitypub.Actor)) activitypub.Actor {
		a := ready
		change(&a)
		return a
	}
	tests := []struct {
		name     string
		username string
		actor    activitypub.Actor
		// setup runs on the site before the check; failAfter > 0 makes the ActorSource fail
		// after that many answers.
		setup     func(t *testing.T, s *site)
		failAfter int32
		unmet     []string
		ready     bool
	}{
		{name: "ready", actor: ready, ready: true},
		{name: "no Published is no age", actor: with(func(a *activitypub.Actor) { a.Published = time.Time{} }), ready: true},
		{name: "no avatar", actor: with(func(a *activitypub.Actor) { a.IconURL = "" }), unmet: []string{"avatar"}},
		{name: "three days old", actor: with(func(a *activitypub.Actor) { a.Published = time.Now().Add(-72 * time.Hour) }),
			unmet: []string{"account age"}},
		{name: "username with a dot", username: "news.desk", actor: ready, unmet: []string{"username"}},
		{name: "#nobridge in the bio", actor: with(func(a *activitypub.Actor) { a.Summary = "<p>News. #NoBridge</p>" }),
			unmet: []string{"no #nobridge"}},
		{name: "moved", actor: with(func(a *activitypub.Actor) { a.MovedTo = "https://elsewhere.example/users/news" }),
			unmet: []string{"not moved"}},
		{name: "bridge blocked", actor: ready, setup: func(t *testing.T, s *site) {
			if err := s.fed.BlockDomain(activitypub.WithUser(t.Context(), "admin"), "bsky.brid.gy", "no bridges"); err != nil {
				t.Fatal(err)
			}
		}, unmet: []string{"bridge not blocked"}},
		{name: "actor document fails", actor: ready, failAfter: 1, unmet: []string{"profile readable"}},
		{name: "signed fetch only", actor: ready, ready: true},
		{name: "display name is the username", actor: with(func(a *activitypub.Actor) { a.Name = "News" }),
			unmet: []string{"display name"}, ready: true},
		{name: "no display name", actor: with(func(a *activitypub.Actor) { a.Name = "" }),
			unmet: []string{"display name"}, ready: true},
		{name: "#nobot", actor: with(func(a *activitypub.Actor) { a.Name = "Daily Test #nobot" }),
			unmet: []string{"no #nobot"}, ready: true},
		{name: "approves followers", actor: with(func(a *activitypub.Actor) { a.ManuallyApprovesFollowers = true }),
			unmet: []string{"follow-back approved"}, ready: true},
		{name: "not indexable", actor: with(func(a *activitypub.Actor) { a.Indexable = false }),
			unmet: []string{"search-indexing consent"}, ready: true},
		{name: "everything wrong", username: "news.desk", actor: activitypub.Actor{Published: time.Now(), Summary: "#nobridge #nobot"},
			unmet: []string{"avatar", "account age", "username", "no #nobridge", "display name", "no #nobot", "search-indexing consent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			username := tt.username
			if username == "" {
				username = "news"
			}
			var answers atomic.Int32
			s := actorSite(t, func(string) map[string]activitypub.Actor { return nil }, func(cfg *activitypub.Config) {
				cfg.RequireSignedFetch = tt.name == "signed fetch only"
				cfg.Actors = activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
					if name != username {
						return nil, activitypub.ErrNotFound
					}
					if n := answers.Add(1); tt.failAfter > 0 && n > tt.failAfter {
						return nil, errors.New("the site's database is down")
					}
					a := tt.actor
					a.Username = name
					return &a, nil
				})
			})
			if tt.setup != nil {
				tt.setup(t, s)
			}
			r, err := s.fed.CheckBridgyFed(t.Context(), username)
			if err != nil {
				t.Fatal(err)
			}
			if r.Actor != s.fed.ActorID(username) {
				t.Errorf("report of %s, want %s", r.Actor, s.fed.ActorID(username))
			}
			var unmet []string
			for _, c := range r.Checks {
				if !c.Met {
					unmet = append(unmet, c.Name)
					if c.Fix == "" {
						t.Errorf("unmet check %q says no fix", c.Name)
					}
				} else if c.Fix != "" {
					t.Errorf("met check %q has a fix %q", c.Name, c.Fix)
				}
			}
			if !slices.Equal(unmet, tt.unmet) {
				t.Errorf("unmet checks %q, want %q", unmet, tt.unmet)
			}
			if r.Ready != tt.ready {
				t.Errorf("Ready = %v, want %v", r.Ready, tt.ready)
			}
		})
	}
	t.Run("unknown actor", func(t *testing.T) {
		s := actorSite(t, func(string) map[string]activitypub.Actor { return nil }, nil)
		if _, err := s.fed.CheckBridgyFed(t.Context(), "nobody"); !errors.Is(err, activitypub.ErrNotFound) {
			t.Errorf("CheckBridgyFed of an unknown actor = %v, want ErrNotFound", err)
		}
	})
}

// FuzzCheckBridgyFedActor reads arbitrary actor documents, seeded with every corpus payload
// (Mastodon, Pleroma, Misskey, GoToSocial, Bridgy Fed actors among them): it never panics, refuses
// what is no actor with an *InvalidError, and for an actor says Ready exactly when every required
// check is met, with a fix for each unmet check and none for a met one.
func FuzzCheckBridgyFedActor(f *testing.F) {
	corpus.Seed(f, ".")
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, doc []byte) {
		r, err := activitypub.CheckBridgyFedActor(doc, now)
		if err != nil {
			if !isInvalid(err) {
				t.Fatalf("error %v is no *InvalidError", err)
			}
			return
		}
		ready := true
		for _, c := range r.Checks {
			if c.Met == (c.Fix != "") {
				t.Errorf("check %q: met %v with fix %q", c.Name, c.Met, c.Fix)
			}
			if c.Required && !c.Met {
				ready = false
			}
		}
		if r.Ready != ready || len(r.Checks) == 0 {
			t.Errorf("Ready = %v over %d checks, want %v", r.Ready, len(r.Checks), ready)
		}
	})
}

// TestCheckBridgyFedCorpus checks every actor document of the corpus, from Mastodon to Bridgy
// Fed's own: each is read, reported under its id, and its avatar found exactly when it has an
// icon.
func TestCheckBridgyFedCorpus(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	n := 0
	for _, c := range corpus.JSON(t, ".") {
		a, err := vocab.Decode(c.Data)
		if err != nil || !a.IsActor() {
			continue
		}
		n++
		r, err := activitypub.CheckBridgyFedActor(c.Data, now)
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		if r.Actor != a.ID {
			t.Errorf("%s: report of %q, want %q", c.Name, r.Actor, a.ID)
		}
		met := map[string]bool{}
		for _, ch := range r.Checks {
			met[ch.Name] = ch.Met
		}
		if met["avatar"] != (len(a.Icon) > 0) {
			t.Errorf("%s: avatar met %v with %d icons", c.Name, met["avatar"], len(a.Icon))
		}
	}
	if n < 10 {
		t.Errorf("%d actor documents in the corpus, want at least 10", n)
	}
}
