package activitypub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Reactions: Like, Announce, Dislike and emoji reactions (EmojiReact, Misskey's Like with a
// reaction; see emoji.go) of the site's objects, and their Undo.

// like keeps a Like, a Dislike (unless Config.Inbox.IgnoreDislikes) or an emoji reaction.
func (in *inbox) like(ctx context.Context, req *inboxRequest) error {
	kind, e, err := reactionOf(req.act)
	if err != nil {
		return err
	}
	if kind == store.InteractionDislike && in.hooks.IgnoreDislikes {
		return in.ignore(ctx, req.act)
	}
	return in.react(ctx, req.act, kind, e)
}

// react keeps a Like, an Announce, a Dislike or a reaction with emoji e of one of the site's
// objects.
func (in *inbox) react(ctx context.Context, act *vocab.Object, kind store.InteractionKind, e Emoji) error {
	target := act.Object.ID()
	ok, err := in.ours(ctx, target)
	if err != nil {
		return err
	}
	if !ok {
		return in.ignore(ctx, act)
	}
	doc, err := emojiDocument(e)
	if err != nil {
		return fmt.Errorf("activitypub: keep %s %s: %w", kind, act.ID, err)
	}
	i := store.Interaction{ID: act.ID, Kind: kind, ObjectID: target, ActorID: act.Actor.ID(), Emoji: e.key(),
		Document: doc, CreatedAt: in.now()}
	added, err := in.interactions.AddInteraction(ctx, i)
	if err != nil {
		return fmt.Errorf("activitypub: keep %s %s: %w", kind, act.ID, err)
	}
	// The store keeps one of each kind (and emoji) per actor and object, the older: a repeat
	// under another id was dropped, and is not news.
	if !added {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: repeated "+string(kind)+" ignored",
			slog.String("id", act.ID), slog.String("actor", act.Actor.ID()), slog.String("object", target))
		return nil
	}
	h := in.hooks.OnLike
	switch kind {
	case store.InteractionAnnounce:
		h = in.hooks.OnAnnounce
	case store.InteractionReaction, store.InteractionDislike:
		h = in.hooks.OnReaction
	}
	if h != nil {
		h(ctx, interactionOf(i, nil))
	} else {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: "+string(kind), slog.String("id", act.ID),
			slog.String("object", target), slog.String("emoji", i.Emoji))
	}
	return nil
}

// undoReaction removes a Like, Announce, Dislike or reaction named by id when actor made it. It
// reports whether id was a known one. An id the store dropped as a repeat (see
// [store.Interactions.AddInteraction]) is found through inner, the undone activity when the Undo
// embeds it (nil when it names only the id): the actor's interaction of that kind (and emoji) on
// its object is removed, whatever its id.
func (in *inbox) undoReaction(ctx context.Context, actor, id string, inner *vocab.Object) (bool, error) {
	known, err := in.interactions.Interaction(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		known, err = in.repeatedReaction(ctx, actor, inner)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && !known.Kind.OnePerActor()) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("activitypub: undo: %w", err)
	}
	if known.ActorID != actor {
		return true, fmt.Errorf("activitypub: undo of %s's %s by %s: %w", known.ActorID, known.Kind, actor, errNotPermitted)
	}
	if err := in.interactions.RemoveInteraction(ctx, known.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return true, fmt.Errorf("activitypub: undo %s: %w", id, err)
	}
	if h := in.hooks.OnUndo; h != nil {
		h(ctx, interactionOf(known, nil))
	} else {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: undo", slog.String("id", id),
			slog.String("kept_id", known.ID), slog.String("kind", string(known.Kind)))
	}
	return true, nil
}

// repeatedReaction returns actor's kept Like, Announce, Dislike or reaction for an Undo whose
// activity id the store does not know, or store.ErrNotFound. The Undo must embed the undone
// activity (inner), naming its object; a bare id (inner nil) tells neither kind nor object.
// Whatever the embedded activity says, only actor's own interaction can be found.
func (in *inbox) repeatedReaction(ctx context.Context, actor string, inner *vocab.Object) (store.Interaction, error) {
	if inner == nil || inner.Object.ID() == "" {
		return store.Interaction{}, store.ErrNotFound
	}
	kind, e := store.InteractionAnnounce, Emoji{}
	if !inner.Type.Has("Announce") {
		undone := *inner
		undone.Actor = vocab.Ref{IRI: actor} // the undo checked any actor it names is this one
		var err error
		if kind, e, err = reactionOf(&undone); err != nil {
			return store.Interaction{}, store.ErrNotFound
		}
	}
	i, err := in.interactions.InteractionBy(ctx, actor, inner.Object.ID(), kind, e.key())
	if err != nil {
		return store.Interaction{}, fmt.Errorf("activitypub: undo %s: %w", inner.ID, err)
	}
	return i, nil
}
