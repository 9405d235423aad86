package activitypub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Edits and deletes of the replies, quotes and mentions kept: Update, Delete, and the Undo of a
// Create.

// keptPost returns the reply or mention kept under a post's id, or store.ErrNotFound.
func (in *inbox) keptPost(ctx context.Context, id string) (store.Interaction, error) {
	known, err := in.interactions.Interaction(ctx, id)
	if err == nil && known.Kind.OnePerActor() {
		return store.Interaction{}, store.ErrNotFound
	}
	return known, err
}

// update replaces a known reply, quote or mention edited by its author. A post not kept that
// now quotes one of the site's articles with an authorization the site issued (Mastodon sends
// the approved quote as an Update) is kept as a quote.
func (in *inbox) update(ctx context.Context, req *inboxRequest) error {
	act := req.act
	obj := act.Object.Object
	if !isPost(obj) {
		return in.ignore(ctx, act)
	}
	known, err := in.keptPost(ctx, obj.ID)
	if errors.Is(err, store.ErrNotFound) {
		if quoted, err := in.quote(ctx, req, obj, true); quoted || err != nil {
			return err
		}
		return in.ignore(ctx, act)
	}
	if err != nil {
		return fmt.Errorf("activitypub: update: %w", err)
	}
	if known.ActorID != act.Actor.ID() {
		return fmt.Errorf("activitypub: update of %s's %s by %s: %w", known.ActorID, known.Kind, act.Actor.ID(), errNotPermitted)
	}
	switch known.Kind {
	case store.InteractionMention:
		return in.editMention(ctx, req, obj, known)
	case store.InteractionQuote:
		// An edit that no longer quotes the article, or drops its authorization, leaves the
		// quote as it was kept.
		if quoted, err := in.quote(ctx, req, obj, true); quoted || err != nil {
			return err
		}
		return in.ignore(ctx, act)
	}
	return in.keepReply(ctx, req, known.ActorID, obj, known.ObjectID, true)
}

// delete removes a known reply or mention deleted by its author, or an actor that deleted itself
// (inbox_gone.go).
func (in *inbox) delete(ctx context.Context, req *inboxRequest) error {
	if id := req.act.Object.ID(); id != "" && id == req.act.Actor.ID() {
		return in.actorDeleted(ctx, req)
	}
	return in.forgetPost(ctx, req.act, req.act.Object.ID())
}

// forgetPost removes the reply or mention kept under id when act's actor, its author, deletes it
// (Delete, or Undo of its Create).
func (in *inbox) forgetPost(ctx context.Context, act *vocab.Object, id string) error {
	known, err := in.keptPost(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return in.ignore(ctx, act)
	}
	if err != nil {
		return fmt.Errorf("activitypub: delete: %w", err)
	}
	// The origin rules hold for a Delete; an Undo's embedded Create could name the site's own key
	// of a mention (see mentionKey).
	if known.ActorID != act.Actor.ID() || !sameOrigin(id, act.Actor.ID()) {
		return fmt.Errorf("activitypub: delete of %s's %s by %s: %w", known.ActorID, known.Kind, act.Actor.ID(), errNotPermitted)
	}
	switch known.Kind {
	case store.InteractionMention:
		return in.forgetMention(ctx, known)
	case store.InteractionQuote:
		if err := in.interactions.RemoveInteraction(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("activitypub: delete quote %s: %w", id, err)
		}
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: quote deleted", slog.String("id", id))
		return nil
	}
	if err := in.interactions.RemoveInteraction(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("activitypub: delete reply %s: %w", id, err)
	}
	if h := in.hooks.OnReplyDeleted; h != nil {
		h(ctx, known.ObjectID, id)
	} else {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: reply deleted", slog.String("id", id))
	}
	return nil
}

// editMention applies an Update of a kept mention (known, kept under the post's id) by its
// author: every site actor it reached, and any the edit adds, get the new version. An edit that
// drops a mention does not take the post back from that actor, who has received it.
func (in *inbox) editMention(ctx context.Context, req *inboxRequest, obj *vocab.Object, known store.Interaction) error {
	rec, err := mentionRecordOf(known)
	if err != nil {
		return err
	}
	added, err := in.mentioned(ctx, req.act, obj)
	if err != nil {
		return err
	}
	actors := slices.Clone(rec.Actors)
	for _, a := range added {
		if !slices.Contains(actors, a) {
			actors = append(actors, a)
		}
	}
	return in.keepMention(ctx, req, obj, actors, known.CreatedAt, true)
}

// forgetMention removes a mention its author deleted (known, kept under the post's id) from every
// site actor it reached, the others first so that a failure leaves it to be found again, and calls
// OnMentionDeleted for each.
func (in *inbox) forgetMention(ctx context.Context, known store.Interaction) error {
	rec, err := mentionRecordOf(known)
	if err != nil {
		return err
	}
	for n := len(rec.Actors) - 1; n >= 0; n-- {
		key := mentionKey(rec.ID, rec.Actors[n], n == 0)
		if err := in.interactions.RemoveInteraction(ctx, key); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("activitypub: delete mention %s: %w", rec.ID, err)
		}
	}
	for _, actor := range rec.Actors {
		if h := in.hooks.OnMentionDeleted; h != nil {
			h(ctx, actor, rec.ID)
		} else {
			in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: mention deleted", slog.String("id", rec.ID), slog.String("object", actor))
		}
	}
	return nil
}
