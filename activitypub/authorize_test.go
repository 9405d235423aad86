package activitypub_test

import (
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/activitypub/record"
	"github.com/fedsite/fedsite/store"
)

// TestAuthorizeEveryAction calls every exported method that acts as a site actor, each on a fresh
// site, as a user that Config.Authorize refuses: each returns ErrForbidden, having asked with its
// own Act, and leaves nothing behind but the audited refusal.
func TestAuthorizeEveryAction(t *testing.T) {
	// A gated method: want is the Act it asks about, but for its User, where "{site}",
	// "{article}" and "{remote}" in Object stand for the site's origin, its published article
	// and its follower; call calls it as the user in ctx, on s with that article and follower.
	type gated struct {
		name string
		want activitypub.Act
		call func(ctx context.Context, s *site, article, remote string) error
	}
	tests := []gated{
		{"Publish", activitypub.Act{Action: activitypub.ActionPublish, Actor: "news", Object: "{site}/articles/a2"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.Publish(ctx, "news", activitypub.Article{URL: s.url("/articles/a2"), Title: "A2"})
			}},
		{"Backfill", activitypub.Act{Action: activitypub.ActionPublish, Actor: "sports"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.Backfill(ctx, "sports", []activitypub.Article{{URL: s.url("/articles/old"), Title: "Old"}})
			}},
		{"Update", activitypub.Act{Action: activitypub.ActionUpdate, Actor: "news", Object: "{article}"},
			func(ctx context.Context, s *site, article, _ string) error {
				return s.fed.Update(ctx, "news", activitypub.Article{URL: article, Title: "A1, edited"})
			}},
		{"Delete", activitypub.Act{Action: activitypub.ActionDelete, Actor: "news", Object: "{article}"},
			func(ctx context.Context, s *site, article, _ string) error {
				return s.fed.Delete(ctx, "news", article)
			}},
		{"Announce", activitypub.Act{Action: activitypub.ActionAnnounce, Actor: "sports", Object: "{article}"},
			func(ctx context.Context, s *site, article, _ string) error {
				return s.fed.Announce(ctx, "sports", article)
			}},
		{"BackfillAnnounces", activitypub.Act{Action: activitypub.ActionAnnounce, Actor: "sports"},
			func(ctx context.Context, s *site, article, _ string) error {
				return s.fed.BackfillAnnounces(ctx, "sports", []string{article})
			}},
		{"ApproveFollow", activitypub.Act{Action: activitypub.ActionApproveFollow, Actor: "news", Object: "{remote}"},
			func(ctx context.Context, s *site, _, remote string) error {
				return s.fed.ApproveFollow(ctx, "news", remote)
			}},
		{"RejectFollow", activitypub.Act{Action: activitypub.ActionRejectFollow, Actor: "news", Object: "{remote}"},
			func(ctx context.Context, s *site, _, remote string) error {
				return s.fed.RejectFollow(ctx, "news", remote)
			}},
		{"Mentions", activitypub.Act{Action: activitypub.ActionReadMentions, Actor: "news"},
			func(ctx context.Context, s *site, _, _ string) error {
				_, err := s.fed.Mentions(ctx, "news", "", 10)
				return err
			}},
		{"Move", activitypub.Act{Action: activitypub.ActionMove, Actor: "sports", Object: "{remote}"},
			func(ctx context.Context, s *site, _, remote string) error {
				return s.fed.Move(ctx, "sports", remote)
			}},
		{"MigrateDomain", activitypub.Act{Action: activitypub.ActionMigrateDomain},
			func(ctx context.Context, s *site, _, _ string) error {
				_, err := s.fed.MigrateDomain(ctx)
				return err
			}},
		{"DeleteActor", activitypub.Act{Action: activitypub.ActionDeleteActor, Actor: "sports"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.DeleteActor(ctx, "sports")
			}},
		{"BlockDomain", activitypub.Act{Action: activitypub.ActionBlock, Object: "spam.example"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.BlockDomain(ctx, "spam.example", "")
			}},
		{"BlockActor", activitypub.Act{Action: activitypub.ActionBlock, Object: "{remote}"},
			func(ctx context.Context, s *site, _, remote string) error {
				return s.fed.BlockActor(ctx, remote, "")
			}},
		{"UnblockDomain", activitypub.Act{Action: activitypub.ActionUnblock, Object: "blocked.example"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.UnblockDomain(ctx, "blocked.example")
			}},
		{"UnblockActor", activitypub.Act{Action: activitypub.ActionUnblock, Object: "https://blocked.example/users/troll"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.UnblockActor(ctx, "https://blocked.example/users/troll")
			}},
		{"Answer", activitypub.Act{Action: activitypub.ActionAnswer, Actor: "news", Object: "{remote}/notes/1"},
			func(ctx context.Context, s *site, _, remote string) error {
				_, err := s.fed.Answer(ctx, "news", activitypub.Answer{InReplyTo: remote + "/notes/1", Content: "Thanks"})
				return err
			}},
		{"EditAnswer", activitypub.Act{Action: activitypub.ActionAnswer, Actor: "news", Object: "{site}/ap/notes/1"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.EditAnswer(ctx, "news", s.url("/ap/notes/1"), "Thanks again")
			}},
		{"DeleteAnswer", activitypub.Act{Action: activitypub.ActionAnswer, Actor: "news", Object: "{site}/ap/notes/1"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.DeleteAnswer(ctx, "news", s.url("/ap/notes/1"))
			}},
		{"SetQuotePolicy", activitypub.Act{Action: activitypub.ActionQuotePolicy, Actor: "news", Object: "{article}"},
			func(ctx context.Context, s *site, article, _ string) error {
				return s.fed.SetQuotePolicy(ctx, "news", article, activitypub.QuoteNobody)
			}},
		{"SubscribeRelay", activitypub.Act{Action: activitypub.ActionSubscribeRelay, Actor: "news", Object: "https://relay.example/inbox"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.SubscribeRelay(ctx, "news", "https://relay.example/inbox", store.RelayMastodon)
			}},
		{"UnsubscribeRelay", activitypub.Act{Action: activitypub.ActionUnsubscribeRelay, Actor: "news", Object: "https://relay.example/inbox"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.UnsubscribeRelay(ctx, "news", "https://relay.example/inbox")
			}},
		{"Operations.RetryHost", activitypub.Act{Action: activitypub.ActionRetryHost, Object: "down.example"},
			func(ctx context.Context, s *site, _, _ string) error {
				_, err := s.fed.Operations().RetryHost(ctx, "down.example")
				return err
			}},
		{"Operations.Replay", activitypub.Act{Action: activitypub.ActionReplay, Object: "job-1"},
			func(ctx context.Context, s *site, _, _ string) error {
				_, err := s.fed.Operations().Replay(ctx, false, "job-1")
				return err
			}},
		{"Operations.HideReply", activitypub.Act{Action: activitypub.ActionModerateReply, Object: "{remote}/notes/1"},
			func(ctx context.Context, s *site, _, remote string) error {
				return s.fed.Operations().HideReply(ctx, remote+"/notes/1", true)
			}},
		{"Operations.DeleteReply", activitypub.Act{Action: activitypub.ActionModerateReply, Object: "{remote}/notes/1"},
			func(ctx context.Context, s *site, _, remote string) error {
				return s.fed.Operations().DeleteReply(ctx, remote+"/notes/1")
			}},
		{"ExportRecord", activitypub.Act{Action: activitypub.ActionExportRecord, Object: "{remote}"},
			func(ctx context.Context, s *site, _, remote string) error {
				_, err := s.fed.ExportRecord(ctx, io.Discard, record.Filter{Actor: remote})
				return err
			}},
		{"PutLegalHold", activitypub.Act{Action: activitypub.ActionLegalHold, Object: "{remote}"},
			func(ctx context.Context, s *site, _, remote string) error {
				_, err := s.fed.PutLegalHold(ctx, store.LegalHold{Actor: remote, Reason: "matter 1"})
				return err
			}},
		{"RemoveLegalHold", activitypub.Act{Action: activitypub.ActionLegalHold, Object: "hold-1"},
			func(ctx context.Context, s *site, _, _ string) error {
				return s.fed.RemoveLegalHold(ctx, "hold-1")
			}},
		{"Operations.Replay all", activitypub.Act{Action: activitypub.ActionReplay},
			func(ctx context.Context, s *site, _, _ string) error {
				_, err := s.fed.Operations().Replay(ctx, true)
				return err
			}},
	}
	// Every exported method is in the table or acts as no site actor: a new method must be
	// placed, and gated when it acts.
	notActs := []string{"ActorID", "InstanceActorID", "Handle", "AlternateLink", "Middleware", "Run", "Render",
		"Counts", "Interactions", "Blocks", "DeliveryStatus", "DeliveryStats", "ActorStats", "FollowRequests",
		"Fetch", "Operations", "Relays", "CheckBridgyFed", "DomainMigration", "Recording", "LegalHolds",
		"FollowerSummary"}
	fed := reflect.TypeFor[*activitypub.Federation]()
	for i := range fed.NumMethod() {
		name := fed.Method(i).Name
		if !slices.Contains(notActs, name) && !slices.ContainsFunc(tests, func(g gated) bool { return g.name == name }) {
			t.Errorf("Federation.%s is neither in this table nor known to act as no site actor", name)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
			// What each call would act on: a published article, a follower, blocks to lift.
			admin := activitypub.WithUser(t.Context(), "admin")
			article := s.url("/articles/a1")
			if err := s.fed.Publish(admin, "news", activitypub.Article{URL: article, Title: "A1"}); err != nil {
				t.Fatal(err)
			}
			remote := activitypubtest.NewRemote(t, "alice")
			follow(t, s, remote, s.fed.ActorID("news"), "news")
			for _, err := range []error{
				s.fed.BlockDomain(admin, "blocked.example", "spam"),
				s.fed.BlockActor(admin, "https://blocked.example/users/troll", "abuse"),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
			subscribed := store.Relay{ActorID: s.fed.ActorID("news"), ID: "https://relay.example/inbox",
				Style: store.RelayMastodon, Inbox: "https://relay.example/inbox", State: store.RelayAccepted}
			if err := s.store.PutRelay(t.Context(), subscribed); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			asked = nil
			mu.Unlock()
			relaysBefore, err := s.fed.Relays(t.Context(), "news")
			if err != nil {
				t.Fatal(err)
			}
			outboxBefore := outboxIDs(t, s, "news", "sports")
			blocksBefore := blockTargets(t, s)
			auditBefore := auditEntries(t, s)
			followersBefore := followerCount(t, s, "news")

			err = tt.call(activitypub.WithUser(t.Context(), "intern"), s, article, remote.ActorID())
			if !errors.Is(err, activitypub.ErrForbidden) {
				t.Fatalf("%s = %v, want ErrForbidden", tt.name, err)
			}
			want := tt.want
			want.Object = strings.NewReplacer("{site}", s.url(""), "{article}", article,
				"{remote}", remote.ActorID()).Replace(want.Object)
			want.User = "intern"
			mu.Lock()
			if !slices.Equal(asked, []activitypub.Act{want}) {
				t.Errorf("Authorize asked %+v, want once %+v", asked, want)
			}
			mu.Unlock()
			after := auditEntries(t, s)
			added := after[:len(after)-len(auditBefore)]
			actorID := ""
			if want.Actor != "" {
				actorID = s.fed.ActorID(want.Actor)
			}
			wantEntry := store.AuditEntry{Actor: actorID, Action: string(want.Action) + " denied",
				Object: want.Object, User: "intern"}
			if len(added) != 1 || !sameEntry(added[0], wantEntry) {
				t.Errorf("audit gained %+v, want only %+v", added, wantEntry)
			}
			if got := outboxIDs(t, s, "news", "sports"); !slices.Equal(got, outboxBefore) {
				t.Errorf("outboxes = %v, want unchanged %v", got, outboxBefore)
			}
			if got := blockTargets(t, s); !slices.Equal(got, blocksBefore) {
				t.Errorf("blocks = %v, want unchanged %v", got, blocksBefore)
			}
			if got := followerCount(t, s, "news"); got != followersBefore {
				t.Errorf("followers of @news = %d, want unchanged %d", got, followersBefore)
			}
			if got, err := s.fed.Relays(t.Context(), "news"); err != nil || !slices.Equal(got, relaysBefore) {
				t.Errorf("relays = %+v, %v; want unchanged %+v", got, err, relaysBefore)
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

func followerCount(t *testing.T, s *site, actor string) int {
	t.Helper()
	n, err := store.CountFollowers(t.Context(), s.store, s.fed.ActorID(actor))
	if err != nil {
		t.Fatal(err)
	}
	return n
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
	return a.Actor == b.Actor && a.User == b.User && a.Action == b.Action && a.Object == b.Object && a.Detail == b.Detail
}
