package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

func TestFollowers(t *testing.T) {
	ctx := context.Background()
	const actor = "https://news.example/actor"
	tests := []struct {
		name    string
		add     []store.Follower
		remove  []string
		want    []string // follower ids, newest first
		inboxes []string
	}{
		{
			name: "empty",
		},
		{
			name: "shared inbox collapses",
			add: []store.Follower{
				{FollowerID: "https://a.example/u/1", Inbox: "https://a.example/u/1/inbox", SharedInbox: "https://a.example/inbox"},
				{FollowerID: "https://a.example/u/2", Inbox: "https://a.example/u/2/inbox", SharedInbox: "https://a.example/inbox"},
				{FollowerID: "https://b.example/u/1", Inbox: "https://b.example/u/1/inbox"},
			},
			want:    []string{"https://b.example/u/1", "https://a.example/u/2", "https://a.example/u/1"},
			inboxes: []string{"https://a.example/inbox", "https://b.example/u/1/inbox"},
		},
		{
			name: "re-add keeps place and updates inbox",
			add: []store.Follower{
				{FollowerID: "https://a.example/u/1", Inbox: "https://a.example/old"},
				{FollowerID: "https://b.example/u/1", Inbox: "https://b.example/inbox"},
				{FollowerID: "https://a.example/u/1", Inbox: "https://a.example/new"},
			},
			want:    []string{"https://b.example/u/1", "https://a.example/u/1"},
			inboxes: []string{"https://a.example/new", "https://b.example/inbox"},
		},
		{
			name: "remove last follower of an inbox drops it",
			add: []store.Follower{
				{FollowerID: "https://a.example/u/1", Inbox: "https://a.example/u/1/inbox"},
				{FollowerID: "https://b.example/u/1", Inbox: "https://b.example/inbox"},
			},
			remove:  []string{"https://a.example/u/1"},
			want:    []string{"https://b.example/u/1"},
			inboxes: []string{"https://b.example/inbox"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memstore.New()
			for _, f := range tt.add {
				f.ActorID = actor
				if err := s.AddFollower(ctx, f); err != nil {
					t.Fatalf("AddFollower(%s) = %v", f.FollowerID, err)
				}
			}
			for _, id := range tt.remove {
				if err := s.RemoveFollower(ctx, actor, id); err != nil {
					t.Fatalf("RemoveFollower(%s) = %v", id, err)
				}
				if err := s.RemoveFollower(ctx, actor, id); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("second RemoveFollower(%s) = %v, want ErrNotFound", id, err)
				}
			}
			var got []string
			cursor := ""
			for {
				p, err := s.FollowersPage(ctx, actor, cursor, 1)
				if err != nil {
					t.Fatalf("FollowersPage(%q) = %v", cursor, err)
				}
				for _, f := range p.Items {
					got = append(got, f.FollowerID)
				}
				if p.Next == "" {
					break
				}
				cursor = p.Next
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("followers = %v, want %v", got, tt.want)
			}
			in, err := s.DeliveryInboxes(ctx, actor, "", 100)
			if err != nil {
				t.Fatalf("DeliveryInboxes = %v", err)
			}
			if fmt.Sprint(in) != fmt.Sprint(tt.inboxes) {
				t.Errorf("inboxes = %v, want %v", in, tt.inboxes)
			}
			n, err := s.CountFollowers(ctx, actor)
			if err != nil || n != len(tt.want) {
				t.Errorf("CountFollowers = %d, %v; want %d", n, err, len(tt.want))
			}
		})
	}
}

func TestLastPageHasNoNext(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	for i := range 4 {
		if err := s.AppendAudit(ctx, store.AuditEntry{Action: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.AuditPage(ctx, "", 2)
	if err != nil || p.Next == "" || len(p.Items) != 2 {
		t.Fatalf("first page = %+v, %v; want 2 items and a cursor", p, err)
	}
	p, err = s.AuditPage(ctx, p.Next, 2)
	if err != nil || p.Next != "" || len(p.Items) != 2 || p.Items[1].Action != "0" {
		t.Fatalf("second page = %+v, %v; want the 2 oldest and no cursor", p, err)
	}
	if _, err := s.AuditPage(ctx, "garbage", 2); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("AuditPage(garbage) = %v, want ErrBadCursor", err)
	}
}

func TestMarkSeenExpires(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	steps := []struct {
		wait time.Duration
		want bool
	}{{0, true}, {0, false}, {150 * time.Millisecond, true}}
	for i, st := range steps {
		time.Sleep(st.wait)
		got, err := s.MarkSeen(ctx, "https://a.example/act/1", 100*time.Millisecond)
		if err != nil || got != st.want {
			t.Errorf("step %d: MarkSeen = %v, %v; want %v", i, got, err, st.want)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := memstore.New()
	if err := s.AddFollower(ctx, store.Follower{ActorID: "a", FollowerID: "b"}); !errors.Is(err, context.Canceled) {
		t.Errorf("AddFollower(cancelled) = %v, want context.Canceled", err)
	}
}
