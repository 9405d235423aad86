package memstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fedsite/fedsite/store"
	"github.com/fedsite/fedsite/store/memstore"
)

// FuzzCursor feeds arbitrary cursors to every listing: each either pages or fails with
// store.ErrBadCursor, and never panics.
func FuzzCursor(f *testing.F) {
	for _, c := range []string{"", "1", "3", "99999999999999999999", "-1", "abc", "%%"} {
		f.Add(c)
	}
	ctx := context.Background()
	s := memstore.New()
	for i := range 5 {
		if err := s.AddFollower(ctx, store.Follower{ActorID: "a", FollowerID: string(rune('a' + i)), Inbox: "i"}); err != nil {
			f.Fatal(err)
		}
		if err := s.AppendAudit(ctx, store.AuditEntry{Action: "x"}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		for name, call := range map[string]func() error{
			"FollowersPage": func() error { _, err := s.FollowersPage(ctx, "a", cursor, 2); return err },
			"OutboxPage":    func() error { _, err := s.OutboxPage(ctx, "a", cursor, 2); return err },
			"AuditPage":     func() error { _, err := s.AuditPage(ctx, cursor, 2); return err },
		} {
			if err := call(); err != nil && !errors.Is(err, store.ErrBadCursor) {
				t.Errorf("%s(%q) = %v, want nil or ErrBadCursor", name, cursor, err)
			}
		}
	})
}
