package activitypub_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/fedsite/fedsite/activitypub"
	"github.com/fedsite/fedsite/activitypub/activitypubtest"
)

// TestActorStats checks the follower and post counts: a follow adds a follower, a publish and a
// boost add posts, a delete takes its post away, and an unknown actor is ErrNotFound.
func TestActorStats(t *testing.T) {
	log := &hookLog{}
	s, article := interactionSite(t, log, false)
	bob := activitypubtest.NewRemote(t, "bob")
	carol := activitypubtest.NewRemote(t, "carol")
	for _, r := range []*activitypubtest.Remote{bob, carol} {
		post(t, r, s, map[string]any{"id": r.ActorID() + "/f1", "type": "Follow", "object": s.fed.ActorID("news")}, 202)
	}
	if err := s.fed.Announce(t.Context(), "desk", article); err != nil {
		t.Fatal(err)
	}
	second := s.url("/articles/ferry")
	if err := s.fed.Publish(t.Context(), "news", activitypub.Article{URL: second, Title: "Ferry"}); err != nil {
		t.Fatal(err)
	}
	if err := s.fed.Delete(t.Context(), "news", second); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		actor string
		want  activitypub.ActorStats
	}{
		{"news", activitypub.ActorStats{Followers: 2, Posts: 1}},
		{"desk", activitypub.ActorStats{Followers: 0, Posts: 1}},
	}
	for _, tt := range tests {
		got, err := s.fed.ActorStats(t.Context(), tt.actor)
		if err != nil || got != tt.want {
			t.Errorf("ActorStats(%s) = %+v, %v; want %+v", tt.actor, got, err, tt.want)
		}
	}
	if _, err := s.fed.ActorStats(t.Context(), "nobody"); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("ActorStats(nobody) error = %v, want ErrNotFound", err)
	}
}

// TestFollowRequestsList checks that FollowRequests lists an actor's pending requests newest
// first, pages with its cursor, drops a request once decided, and refuses an unknown actor.
func TestFollowRequestsList(t *testing.T) {
	log := &hookLog{}
	s, _ := interactionSite(t, log, true)
	desk := s.fed.ActorID("desk")
	var remotes []*activitypubtest.Remote
	for _, name := range []string{"bob", "carol", "dave"} {
		r := activitypubtest.NewRemote(t, name)
		remotes = append(remotes, r)
		post(t, r, s, map[string]any{"id": r.ActorID() + "/f1", "type": "Follow", "object": desk}, 202)
	}
	list := func() []string {
		t.Helper()
		var ids []string
		cursor := ""
		for {
			p, err := s.fed.FollowRequests(t.Context(), "desk", cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) > 2 {
				t.Fatalf("page of %d, limit 2", len(p.Items))
			}
			for _, r := range p.Items {
				if r.ActorID != desk {
					t.Errorf("request to %s, want %s", r.ActorID, desk)
				}
				ids = append(ids, r.FollowerID)
			}
			if cursor = p.Next; cursor == "" {
				return ids
			}
		}
	}
	want := []string{remotes[2].ActorID(), remotes[1].ActorID(), remotes[0].ActorID()}
	if got := list(); !slices.Equal(got, want) {
		t.Fatalf("requests %q, want %q (newest first)", got, want)
	}
	if err := s.fed.ApproveFollow(t.Context(), "desk", remotes[1].ActorID()); err != nil {
		t.Fatal(err)
	}
	want = slices.Delete(want, 1, 2)
	if got := list(); !slices.Equal(got, want) {
		t.Errorf("after approving %s: requests %q, want %q", remotes[1].ActorID(), got, want)
	}
	if p, err := s.fed.FollowRequests(t.Context(), "news", "", 0); err != nil || len(p.Items) != 0 {
		t.Errorf("FollowRequests(news) = %d items, %v; want none", len(p.Items), err)
	}
	if _, err := s.fed.FollowRequests(t.Context(), "nobody", "", 0); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("FollowRequests(nobody) error = %v, want ErrNotFound", err)
	}
}
