package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fedsite/fedsite/store"
)

var contextTests = []test{
	{"CancelledIsReported", testCancelled},
}

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }

// testCancelled calls every method under a cancelled context; each must fail with an error that
// matches context.Canceled rather than do the work or hide the cause.
func testCancelled(t *testing.T, s store.Site) {
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	f := follower(actorA, 1, 1)
	calls := []struct {
		name string
		call func() error
	}{
		{"AddFollower", func() error { return s.AddFollower(c, f) }},
		{"RemoveFollower", func() error { return s.RemoveFollower(c, actorA, f.FollowerID) }},
		{"Follower", func() error { _, err := s.Follower(c, actorA, f.FollowerID); return err }},
		{"FollowerByFollowID", func() error { _, err := s.FollowerByFollowID(c, f.FollowID); return err }},
		{"FollowersPage", func() error { _, err := s.FollowersPage(c, actorA, "", 10); return err }},
		{"CountFollowers", func() error { _, err := store.CountFollowers(c, s, actorA); return err }},
		{"DeliveryInboxes", func() error { _, err := s.DeliveryInboxes(c, actorA, "", 10); return err }},
		{"RemoveFollowersByInbox", func() error { _, err := s.RemoveFollowersByInbox(c, f.Inbox); return err }},
		{"PutObject", func() error { return s.PutObject(c, object(actorA, "Note", 1)) }},
		{"Object", func() error { _, err := s.Object(c, "https://x.example/o"); return err }},
		{"DeleteObject", func() error { return s.DeleteObject(c, "https://x.example/o", base) }},
		{"AppendOutbox", func() error { return s.AppendOutbox(c, activity(actorA, 1), object(actorA, "Note", 1)) }},
		{"OutboxPage", func() error { _, err := s.OutboxPage(c, actorA, "", 10); return err }},
		{"CountOutbox", func() error { _, err := store.CountOutbox(c, s, actorA); return err }},
		{"MarkSeen", func() error { _, err := s.MarkSeen(c, "https://x.example/a", time.Hour); return err }},
		{"ForgetSeen", func() error { return s.ForgetSeen(c, "https://x.example/a") }},
		{"PutRemoteActor", func() error { return s.PutRemoteActor(c, remoteActor("a.example", "k")) }},
		{"RemoteActor", func() error { _, err := s.RemoteActor(c, "https://a.example/users/alice"); return err }},
		{"RemoteActorByKey", func() error { _, err := s.RemoteActorByKey(c, "https://a.example/users/alice#k"); return err }},
		{"KeyPair", func() error { _, err := s.KeyPair(c, actorA, "main-key"); return err }},
		{"CreateKeyPair", func() error { return s.CreateKeyPair(c, keyPair(actorA, "main-key")) }},
		{"AddInteraction", func() error {
			_, err := s.AddInteraction(c, interaction(articleA, store.InteractionLike, 1))
			return err
		}},
		{"Interaction", func() error { _, err := s.Interaction(c, "https://x.example/like/1"); return err }},
		{"InteractionBy", func() error {
			_, err := s.InteractionBy(c, "https://x.example/u", articleA, store.InteractionLike, "")
			return err
		}},
		{"RemoveInteraction", func() error { return s.RemoveInteraction(c, "https://x.example/like/1") }},
		{"InteractionsPage", func() error {
			_, err := s.InteractionsPage(c, articleA, store.InteractionLike, "", 10)
			return err
		}},
		{"CountInteractions", func() error { _, err := store.CountInteractions(c, s, articleA); return err }},
		{"AddFollowRequest", func() error { return s.AddFollowRequest(c, request(actorA, 1)) }},
		{"FollowRequest", func() error { _, err := s.FollowRequest(c, actorA, "https://x.example/u"); return err }},
		{"RemoveFollowRequest", func() error { return s.RemoveFollowRequest(c, actorA, "https://x.example/u") }},
		{"FollowRequestsPage", func() error { _, err := s.FollowRequestsPage(c, actorA, "", 10); return err }},
		{"AddBlock", func() error { _, err := s.AddBlock(c, store.Block{Domain: "evil.example"}); return err }},
		{"RemoveBlock", func() error { return s.RemoveBlock(c, "evil.example") }},
		{"BlocksPage", func() error { _, err := s.BlocksPage(c, "", 10); return err }},
		{"Blocked", func() error { _, err := s.Blocked(c, "https://evil.example/users/a"); return err }},
	}
	if a, ok := s.(store.Audit); ok {
		calls = append(calls, []struct {
			name string
			call func() error
		}{
			{"AppendAudit", func() error { return a.AppendAudit(c, store.AuditEntry{Action: "publish"}) }},
			{"AuditPage", func() error { _, err := a.AuditPage(c, "", 10); return err }},
		}...)
	}
	if r, ok := s.(store.Relays); ok {
		calls = append(calls, []struct {
			name string
			call func() error
		}{
			{"PutRelay", func() error { return r.PutRelay(c, relay(actorA, 1, store.RelayPending)) }},
			{"RemoveRelay", func() error { return r.RemoveRelay(c, actorA, relay(actorA, 1, "").ID) }},
			{"ActorRelays", func() error { _, err := r.ActorRelays(c, actorA); return err }},
		}...)
	}
	for _, cl := range calls {
		if err := cl.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s under a cancelled context: error = %v, want one matching context.Canceled", cl.name, err)
		}
	}
	// Nothing was written under the cancelled context.
	if _, err := s.Follower(ctx(t), actorA, f.FollowerID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Follower after AddFollower under a cancelled context: error = %v, want store.ErrNotFound", err)
	}
	if got, err := s.Blocked(ctx(t), "https://evil.example/users/a"); err != nil || got[0] {
		t.Errorf("Blocked after AddBlock under a cancelled context = %v, %v; want false", got, err)
	}
	if _, err := s.KeyPair(ctx(t), actorA, "main-key"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("KeyPair after CreateKeyPair under a cancelled context: error = %v, want store.ErrNotFound", err)
	}
}
