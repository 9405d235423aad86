package activitypub_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// operationsSite is a federation over a memstore the test reads, with one actor, news.
func operationsSite(t *testing.T) (*activitypub.Federation, *activitypubtest.Recorder, *memstore.Store) {
	t.Helper()
	ms := memstore.New()
	fed, rec, err := activitypubtest.NewFederation(activitypub.ActorSourceFunc(func(_ context.Context, name string) (*activitypub.Actor, error) {
		if name != "news" {
			return nil, activitypub.ErrNotFound
		}
		return &activitypub.Actor{Username: name, Name: "News"}, nil
	}), func(c *activitypub.Config) { c.Store = ms })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Close)
	return fed, rec, ms
}

// TestAuditFilter reads an audit log through filters, a page of two at a time, and checks that
// every entry the filter picks comes once, in order.
func TestAuditFilter(t *testing.T) {
	fed, _, ms := operationsSite(t)
	ctx := t.Context()
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	site := fed.ActorID("news")
	entries := []store.AuditEntry{ // oldest first
		{Time: day, Actor: "https://a.example/users/x", Action: "follow", Object: site},
		{Time: day.Add(time.Hour), Actor: site, Action: "publish", Object: "https://news.example/1"},
		{Time: day.Add(24 * time.Hour), Actor: "https://b.example/users/y", Action: activitypub.AuditFlag, Object: site},
		{Time: day.Add(25 * time.Hour), Actor: "editor", Action: "block", Object: "b.example"},
		{Time: day.Add(48 * time.Hour), Actor: "https://a.example/users/z", Action: "follow", Object: site},
	}
	for _, e := range entries {
		if err := ms.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		filter activitypub.AuditFilter
		want   []int // indexes into entries, newest first
	}{
		{"all", activitypub.AuditFilter{}, []int{4, 3, 2, 1, 0}},
		{"action", activitypub.AuditFilter{Action: "follow"}, []int{4, 0}},
		{"actor", activitypub.AuditFilter{Actor: "a.example"}, []int{4, 0}},
		{"in", activitypub.AuditFilter{Direction: "in"}, []int{4, 2, 0}},
		{"out", activitypub.AuditFilter{Direction: "out"}, []int{3, 1}},
		{"day", activitypub.AuditFilter{Since: day.Add(24 * time.Hour), Until: day.Add(48 * time.Hour)}, []int{3, 2}},
		{"since", activitypub.AuditFilter{Since: day.Add(time.Hour)}, []int{4, 3, 2, 1}},
		{"none", activitypub.AuditFilter{Action: "move"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			cursor := ""
			for range 10 {
				p, err := fed.Operations().Audit(ctx, tt.filter, cursor, 2)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Items) > 2 {
					t.Fatalf("page of %d entries, want at most 2", len(p.Items))
				}
				for _, e := range p.Items {
					got = append(got, e.Action+" "+e.Actor)
				}
				if cursor = p.Next; cursor == "" {
					break
				}
			}
			var want []string
			for _, i := range tt.want {
				want = append(want, entries[i].Action+" "+entries[i].Actor)
			}
			if !slices.Equal(got, want) {
				t.Errorf("entries %q, want %q", got, want)
			}
		})
	}
	if _, err := fed.Operations().Audit(ctx, activitypub.AuditFilter{}, "x|y", 2); err == nil {
		t.Error("Audit with a made-up cursor succeeded, want an error")
	}
}

// TestHideAndDeleteReply hides a reply, shows it again, deletes it, and checks what the
// article's replies show and the audit log says at each step.
func TestHideAndDeleteReply(t *testing.T) {
	fed, rec, ms := operationsSite(t)
	ctx := activitypub.WithUser(t.Context(), "editor")
	const article = activitypubtest.BaseURL + "/articles/a"
	if err := fed.Publish(ctx, "news", activitypub.Article{URL: article, Title: "A"}); err != nil {
		t.Fatal(err)
	}
	bob := rec.NewAccount("bob")
	create, err := bob.Reply(ctx, article, "<p>Hello</p>")
	if err != nil {
		t.Fatal(err)
	}
	reply := create.Object.ID()
	like, err := bob.Like(ctx, article)
	if err != nil {
		t.Fatal(err)
	}
	replies := func(kind store.InteractionKind) int {
		t.Helper()
		p, err := fed.Interactions(ctx, article, kind, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Items)
	}
	ops := fed.Operations()
	steps := []struct {
		name          string
		do            func() error
		err           error
		shown, hidden int
		audit         string
	}{
		{"hide", func() error { return ops.HideReply(ctx, reply, true) }, nil, 0, 1, "hide reply"},
		{"hide again", func() error { return ops.HideReply(ctx, reply, true) }, activitypub.ErrNotFound, 0, 1, ""},
		{"show", func() error { return ops.HideReply(ctx, reply, false) }, nil, 1, 0, "show reply"},
		{"delete a like", func() error { return ops.DeleteReply(ctx, like.ID) }, activitypub.ErrNotFound, 1, 0, ""},
		{"delete", func() error { return ops.DeleteReply(ctx, reply) }, nil, 0, 0, "delete reply"},
		{"delete again", func() error { return ops.DeleteReply(ctx, reply) }, activitypub.ErrNotFound, 0, 0, ""},
	}
	for _, st := range steps {
		before, _ := ms.AuditPage(ctx, "", 1)
		if err := st.do(); !errors.Is(err, st.err) || (st.err == nil && err != nil) {
			t.Fatalf("%s: error %v, want %v", st.name, err, st.err)
		}
		if s, h := replies(store.InteractionReply), replies(store.InteractionHiddenReply); s != st.shown || h != st.hidden {
			t.Errorf("%s: %d replies shown, %d hidden; want %d, %d", st.name, s, h, st.shown, st.hidden)
		}
		after, _ := ms.AuditPage(ctx, "", 1)
		if st.audit != "" && (len(after.Items) == 0 || after.Items[0].Action != st.audit || after.Items[0].User != "editor" ||
			after.Items[0].Object != reply) {
			t.Errorf("%s: last audit entry %+v, want %q by editor about the reply", st.name, after.Items, st.audit)
		}
		if st.audit == "" && !slices.Equal(before.Items, after.Items) {
			t.Errorf("%s: audited %+v, want nothing", st.name, after.Items)
		}
	}
	if c, err := fed.Counts(ctx, article); err != nil || c.Replies != 0 || c.Likes != 1 {
		t.Errorf("counts %+v, %v; want no reply and the like", c, err)
	}
}

// TestFlagAudited checks that a report received is kept in the audit log.
func TestFlagAudited(t *testing.T) {
	fed, rec, _ := operationsSite(t)
	carol := rec.NewAccount("carol@other.example")
	if _, err := carol.Flag(t.Context(), "spam from a follower", fed.ActorID("news")); err != nil {
		t.Fatal(err)
	}
	p, err := fed.Operations().Audit(t.Context(), activitypub.AuditFilter{Action: activitypub.AuditFlag}, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := store.AuditEntry{Actor: carol.ID(), Action: activitypub.AuditFlag, Object: fed.ActorID("news"), Detail: "spam from a follower"}
	if len(p.Items) != 1 || p.Items[0].Actor != want.Actor || p.Items[0].Object != want.Object || p.Items[0].Detail != want.Detail {
		t.Errorf("flags in the audit log %+v, want %+v", p.Items, want)
	}
}
