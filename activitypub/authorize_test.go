package activitypub_test

import (
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
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
	// A gated method: call it as the user in ctx, on s with its published article and its
	// follower remote; want is the Act it asks about.
	type gated struct {
		name string
		call func(ctx context.Context, s *site, article, remote string) error
		want func(s *site, article, remote string) activitypub.Act
	}
	tests := []gated{
		{"Publish", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.Publish(ctx, "news", activitypub.Article{URL: s.url("/articles/a2"), Title: "A2"})
		}, func(s *site, _, _ string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionPublish, Actor: "news", Object: s.url("/articles/a2")}
		}},
		{"Backfill", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.Backfill(ctx, "sports", []activitypub.Article{{URL: s.url("/articles/old"), Title: "Old"}})
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionPublish, Actor: "sports"}
		}},
		{"Update", func(ctx context.Context, s *site, article, _ string) error {
			return s.fed.Update(ctx, "news", activitypub.Article{URL: article, Title: "A1, edited"})
		}, func(_ *site, article, _ string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionUpdate, Actor: "news", Object: article}
		}},
		{"Delete", func(ctx context.Context, s *site, article, _ string) error {
			return s.fed.Delete(ctx, "news", article)
		}, func(_ *site, article, _ string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionDelete, Actor: "news", Object: article}
		}},
		{"Announce", func(ctx context.Context, s *site, article, _ string) error {
			return s.fed.Announce(ctx, "sports", article)
		}, func(_ *site, article, _ string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionAnnounce, Actor: "sports", Object: article}
		}},
		{"BackfillAnnounces", func(ctx context.Context, s *site, article, _ string) error {
			return s.fed.BackfillAnnounces(ctx, "sports", []string{article})
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionAnnounce, Actor: "sports"}
		}},
		{"ApproveFollow", func(ctx context.Context, s *site, _, remote string) error {
			return s.fed.ApproveFollow(ctx, "news", remote)
		}, func(_ *site, _, remote string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionApproveFollow, Actor: "news", Object: remote}
		}},
		{"RejectFollow", func(ctx context.Context, s *site, _, remote string) error {
			return s.fed.RejectFollow(ctx, "news", remote)
		}, func(_ *site, _, remote string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionRejectFollow, Actor: "news", Object: remote}
		}},
		{"Mentions", func(ctx context.Context, s *site, _, _ string) error {
			_, err := s.fed.Mentions(ctx, "news", "", 10)
			return err
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionReadMentions, Actor: "news"}
		}},
		{"Move", func(ctx context.Context, s *site, _, remote string) error {
			return s.fed.Move(ctx, "sports", remote)
		}, func(_ *site, _, remote string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionMove, Actor: "sports", Object: remote}
		}},
		{"MigrateDomain", func(ctx context.Context, s *site, _, _ string) error {
			_, err := s.fed.MigrateDomain(ctx)
			return err
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionMigrateDomain}
		}},
		{"DeleteActor", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.DeleteActor(ctx, "sports")
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionDeleteActor, Actor: "sports"}
		}},
		{"BlockDomain", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.BlockDomain(ctx, "spam.example", "")
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionBlock, Object: "spam.example"}
		}},
		{"BlockActor", func(ctx context.Context, s *site, _, remote string) error {
			return s.fed.BlockActor(ctx, remote, "")
		}, func(_ *site, _, remote string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionBlock, Object: remote}
		}},
		{"UnblockDomain", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.UnblockDomain(ctx, "blocked.example")
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionUnblock, Object: "blocked.example"}
		}},
		{"UnblockActor", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.UnblockActor(ctx, "https://blocked.example/users/troll")
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionUnblock, Object: "https://blocked.example/users/troll"}
		}},
		{"Answer", func(ctx context.Context, s *site, _, remote string) error {
			_, err := s.fed.Answer(ctx, "news", activitypub.Answer{InReplyTo: remote + "/notes/1", Content: "Thanks"})
			return err
		}, func(_ *site, _, remote string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionAnswer, Actor: "news", Object: remote + "/notes/1"}
		}},
		{"EditAnswer", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.EditAnswer(ctx, "news", s.url("/ap/notes/1"), "Thanks again")
		}, func(s *site, _, _ string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionAnswer, Actor: "news", Object: s.url("/ap/notes/1")}
		}},
		{"DeleteAnswer", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.DeleteAnswer(ctx, "news", s.url("/ap/notes/1"))
		}, func(s *site, _, _ string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionAnswer, Actor: "news", Object: s.url("/ap/notes/1")}
		}},
		{"SetQuotePolicy", func(ctx context.Context, s *site, article, _ string) error {
			return s.fed.SetQuotePolicy(ctx, "news", article, activitypub.QuoteNobody)
		}, func(_ *site, article, _ string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionQuotePolicy, Actor: "news", Object: article}
		}},
		{"SubscribeRelay", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.SubscribeRelay(ctx, "news", "https://relay.example/inbox", store.RelayMastodon)
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionSubscribeRelay, Actor: "news", Object: "https://relay.example/inbox"}
		}},
		{"UnsubscribeRelay", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.UnsubscribeRelay(ctx, "news", "https://relay.example/inbox")
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionUnsubscribeRelay, Actor: "news", Object: "https://relay.example/inbox"}
		}},
		{"Operations.RetryHost", func(ctx context.Context, s *site, _, _ string) error {
			_, err := s.fed.Operations().RetryHost(ctx, "down.example")
			return err
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionRetryHost, Object: "down.example"}
		}},
		{"Operations.Replay", func(ctx context.Context, s *site, _, _ string) error {
			_, err := s.fed.Operations().Replay(ctx, false, "job-1")
			return err
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionReplay, Object: "job-1"}
		}},
		{"Operations.HideReply", func(ctx context.Context, s *site, _, remote string) error {
			return s.fed.Operations().HideReply(ctx, remote+"/notes/1", true)
		}, func(_ *site, _, remote string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionModerateReply, Object: remote + "/notes/1"}
		}},
		{"Operations.DeleteReply", func(ctx context.Context, s *site, _, remote string) error {
			return s.fed.Operations().DeleteReply(ctx, remote+"/notes/1")
		}, func(_ *site, _, remote string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionModerateReply, Object: remote + "/notes/1"}
		}},
		{"ExportRecord", func(ctx context.Context, s *site, _, remote string) error {
			_, err := s.fed.ExportRecord(ctx, io.Discard, record.Filter{Actor: remote})
			return err
		}, func(_ *site, _, remote string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionExportRecord, Object: remote}
		}},
		{"PutLegalHold", func(ctx context.Context, s *site, _, remote string) error {
			_, err := s.fed.PutLegalHold(ctx, store.LegalHold{Actor: remote, Reason: "matter 1"})
			return err
		}, func(_ *site, _, remote string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionLegalHold, Object: remote}
		}},
		{"RemoveLegalHold", func(ctx context.Context, s *site, _, _ string) error {
			return s.fed.RemoveLegalHold(ctx, "hold-1")
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionLegalHold, Object: "hold-1"}
		}},
		{"Operations.Replay all", func(ctx context.Context, s *site, _, _ string) error {
			_, err := s.fed.Operations().Replay(ctx, true)
			return err
		}, func(*site, string, string) activitypub.Act {
			return activitypub.Act{Action: activitypub.ActionReplay}
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
			want := tt.want(s, article, remote.ActorID())
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
