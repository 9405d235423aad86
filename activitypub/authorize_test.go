package activitypub_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/store"
)

// TestAuthorizeEveryAction calls every exported method that acts as a site actor as a user that
// Config.Authorize refuses: each returns ErrForbidden, having asked with its own Act, and leaves
// nothing behind but the audited refusal.
func TestAuthorizeEveryAction(t *testing.T) {
	var mu sync.Mutex
	var asked []activitypub.Act
	s := actorSite(t, func(string) map[string]activitypub.Actor {
		return map[string]activitypub.Actor{"news": {}, "sports": {}}
	}, func(cfg *activitypub.Config) {
		cfg.Authorize = func(_ context.Context, act activitypub.Act) bool {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, act)
			return act.User == "admin"
		}
	})
	admin := activitypub.WithUser(t.Context(), "admin")
	article := s.url("/articles/a1")
	if err := s.fed.Publish(admin, "news", activitypub.Article{URL: article, Title: "A1"}); err != nil {
		t.Fatal(err)
	}
	remote := activitypubtest.NewRemote(t, "alice")
	if err := s.fed.BlockDomain(admin, "blocked.example", "admin", "spam"); err != nil {
		t.Fatal(err)
	}

	ctx := activitypub.WithUser(t.Context(), "intern")
	edited := activitypub.Article{URL: article, Title: "A1, edited"}
	tests := []struct {
		name string
		call func() error
		want activitypub.Act
	}{
		{"Publish", func() error {
			return s.fed.Publish(ctx, "news", activitypub.Article{URL: s.url("/articles/a2"), Title: "A2"})
		}, activitypub.Act{Action: activitypub.ActionPublish, Actor: "news", Object: s.url("/articles/a2")}},
		{"Backfill", func() error {
			return s.fed.Backfill(ctx, "sports", []activitypub.Article{{URL: s.url("/articles/old"), Title: "Old"}})
		}, activitypub.Act{Action: activitypub.ActionPublish, Actor: "sports"}},
		{"Update", func() error { return s.fed.Update(ctx, "news", edited) },
			activitypub.Act{Action: activitypub.ActionUpdate, Actor: "news", Object: article}},
		{"Delete", func() error { return s.fed.Delete(ctx, "news", article) },
			activitypub.Act{Action: activitypub.ActionDelete, Actor: "news", Object: article}},
		{"Announce", func() error { return s.fed.Announce(ctx, "sports", article) },
			activitypub.Act{Action: activitypub.ActionAnnounce, Actor: "sports", Object: article}},
		{"BackfillAnnounces", func() error { return s.fed.BackfillAnnounces(ctx, "sports", []string{article}) },
			activitypub.Act{Action: activitypub.ActionAnnounce, Actor: "sports"}},
		{"ApproveFollow", func() error { return s.fed.ApproveFollow(ctx, "news", remote.ActorID()) },
			activitypub.Act{Action: activitypub.ActionApproveFollow, Actor: "news", Object: remote.ActorID()}},
		{"RejectFollow", func() error { return s.fed.RejectFollow(ctx, "news", remote.ActorID()) },
			activitypub.Act{Action: activitypub.ActionRejectFollow, Actor: "news", Object: remote.ActorID()}},
		{"Mentions", func() error { _, err := s.fed.Mentions(ctx, "news", "", 10); return err },
			activitypub.Act{Action: activitypub.ActionReadMentions, Actor: "news"}},
		{"Move", func() error { return s.fed.Move(ctx, "sports", remote.ActorID()) },
			activitypub.Act{Action: activitypub.ActionMove, Actor: "sports", Object: remote.ActorID()}},
		{"DeleteActor", func() error { return s.fed.DeleteActor(ctx, "sports") },
			activitypub.Act{Action: activitypub.ActionDeleteActor, Actor: "sports"}},
		{"BlockDomain", func() error { return s.fed.BlockDomain(ctx, "spam.example", "intern", "") },
			activitypub.Act{Action: activitypub.ActionBlock, Object: "spam.example"}},
		{"BlockActor", func() error { return s.fed.BlockActor(ctx, remote.ActorID(), "intern", "") },
			activitypub.Act{Action: activitypub.ActionBlock, Object: remote.ActorID()}},
		{"UnblockDomain", func() error { return s.fed.UnblockDomain(ctx, "blocked.example", "intern") },
			activitypub.Act{Action: activitypub.ActionUnblock, Object: "blocked.example"}},
		{"UnblockActor", func() error { return s.fed.UnblockActor(ctx, remote.ActorID(), "intern") },
			activitypub.Act{Action: activitypub.ActionUnblock, Object: remote.ActorID()}},
	}
	outboxBefore := outboxIDs(t, s, "news", "sports")
	blocksBefore := blockTargets(t, s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			asked = nil
			mu.Unlock()
			auditBefore := auditEntries(t, s)
			err := tt.call()
			if !errors.Is(err, activitypub.ErrForbidden) {
				t.Fatalf("%s = %v, want ErrForbidden", tt.name, err)
			}
			tt.want.User = "intern"
			mu.Lock()
			if !slices.Equal(asked, []activitypub.Act{tt.want}) {
				t.Errorf("Authorize asked %+v, want once %+v", asked, tt.want)
			}
			mu.Unlock()
			after := auditEntries(t, s)
			added := after[:len(after)-len(auditBefore)]
			actorID := ""
			if tt.want.Actor != "" {
				actorID = s.fed.ActorID(tt.want.Actor)
			}
			want := store.AuditEntry{Actor: actorID, Action: string(tt.want.Action) + " denied",
				Object: tt.want.Object, Detail: `site user "intern"`}
			if len(added) != 1 || !sameEntry(added[0], want) {
				t.Errorf("audit gained %+v, want only %+v", added, want)
			}
			if got := outboxIDs(t, s, "news", "sports"); !slices.Equal(got, outboxBefore) {
				t.Errorf("outboxes = %v, want unchanged %v", got, outboxBefore)
			}
			if got := blockTargets(t, s); !slices.Equal(got, blocksBefore) {
				t.Errorf("blocks = %v, want unchanged %v", got, blocksBefore)
			}
			if o, err := s.store.Object(t.Context(), article); err != nil || !o.Deleted.IsZero() {
				t.Errorf("the published article: %+v, %v; want it kept", o, err)
			}
		})
	}
}

// TestAuthorizeWithoutUser: a call whose context carries no site user is decided by
// Config.Authorize too, with an empty Act.User.
func TestAuthorizeWithoutUser(t *testing.T) {
	var got []string
	s := actorSite(t, func(string) map[string]activitypub.Actor {
		return map[string]activitypub.Actor{"news": {}}
	}, func(cfg *activitypub.Config) {
		cfg.Authorize = func(_ context.Context, act activitypub.Act) bool {
			got = append(got, act.User)
			return act.User != ""
		}
	})
	a := activitypub.Article{URL: s.url("/articles/anon"), Title: "Anon"}
	if err := s.fed.Publish(t.Context(), "news", a); !errors.Is(err, activitypub.ErrForbidden) {
		t.Errorf("Publish without a user = %v, want ErrForbidden", err)
	}
	if err := s.fed.Publish(activitypub.WithUser(t.Context(), ""), "news", a); !errors.Is(err, activitypub.ErrForbidden) {
		t.Errorf("Publish with an empty user = %v, want ErrForbidden", err)
	}
	if err := s.fed.Publish(activitypub.WithUser(t.Context(), "editor"), "news", a); err != nil {
		t.Errorf("Publish as editor = %v", err)
	}
	if want := []string{"", "", "editor"}; !slices.Equal(got, want) {
		t.Errorf("Authorize saw users %q, want %q", got, want)
	}
}

func outboxIDs(t *testing.T, s *site, actors ...string) []string {
	t.Helper()
	var ids []string
	for _, a := range actors {
		p, err := s.store.OutboxPage(t.Context(), s.fed.ActorID(a), "", 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Items {
			ids = append(ids, o.ID)
		}
	}
	return ids
}

func blockTargets(t *testing.T, s *site) []string {
	t.Helper()
	p, err := s.fed.Blocks(t.Context(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var ts []string
	for _, b := range p.Items {
		ts = append(ts, b.Target())
	}
	return ts
}

// auditEntries is the whole audit log, newest first.
func auditEntries(t *testing.T, s *site) []store.AuditEntry {
	t.Helper()
	p, err := s.store.AuditPage(t.Context(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func sameEntry(a, b store.AuditEntry) bool {
	return a.Actor == b.Actor && a.Action == b.Action && a.Object == b.Object && a.Detail == b.Detail
}
