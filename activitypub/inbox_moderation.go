package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Moderation: reports (Flag) sent to the site, and remote actors' Blocks of site actors.

// flag hands a report to OnFlag.
func (in *inbox) flag(ctx context.Context, req *inboxRequest) error {
	act := req.act
	r := Report{ID: act.ID, ReporterID: act.Actor.ID(), Content: act.Content}
	// The decoded activity keeps one object; the body has them all.
	var raw struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(req.body, &raw); err == nil && len(raw.Object) > 0 && raw.Object[0] == '[' {
		var refs vocab.Refs
		if err := json.Unmarshal(raw.Object, &refs); err == nil {
			r.Objects = refs.IDs()
		}
	}
	if len(r.Objects) == 0 && act.Object.ID() != "" {
		r.Objects = []string{act.Object.ID()}
	}
	// Kept for the operators, who see the reports received in the audit log.
	in.audit.record(ctx, store.AuditEntry{Actor: r.ReporterID, Action: AuditFlag, Object: strings.Join(r.Objects, " "),
		Detail: r.Content})
	if h := in.hooks.OnFlag; h != nil {
		h(ctx, r)
	} else {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: flag", slog.String("id", r.ID), slog.String("actor", r.ReporterID))
	}
	return nil
}

// block handles a remote actor's Block of a site actor: the blocker stops following the
// site actor (and a pending follow request of it is dropped), as Mastodon does, and
// Config.OnFollowersGone is told. A Block of anyone else, and an Undo of a Block, change nothing.
func (in *inbox) block(ctx context.Context, req *inboxRequest) error {
	act := req.act
	username := in.urls.username(act.Object.ID())
	if username == "" {
		return in.ignore(ctx, act)
	}
	localID, blocker := in.urls.actor(username), act.Actor.ID()
	fl, err := in.followers.Follower(ctx, localID, blocker)
	switch {
	case errors.Is(err, store.ErrNotFound):
		fl = store.Follower{}
	case err != nil:
		return fmt.Errorf("activitypub: block: %w", err)
	}
	if err := in.unfollow(ctx, localID, blocker, act.ID); err != nil {
		return err
	}
	if fl.FollowerID != "" {
		followersGone(ctx, in.onFollowersGone, []store.Follower{fl})
	}
	return nil
}
