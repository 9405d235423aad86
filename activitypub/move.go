package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Moves, both ways: Move sends the Move of a site actor, and the inbox's move handles one of a
// follower.

// movedSuffix is appended to an actor id to name the stored record of its move. The fragment
// keeps it off every served URL.
const movedSuffix = "#moved"

// Move moves the site actor with that username to the account target, an actor id on another
// server (or another site actor), as Mastodon's account migration does: followers' servers
// unfollow the actor and follow target instead, and the actor's profile shows it moved.
//
// Move first fetches target, signed by the instance actor and never from the cache, and requires
// its alsoKnownAs to list the actor's id: Mastodon refuses a Move whose target does not name the
// origin (INTEROP §1.8), so the owner adds the alias on the new account first. Then it stores the
// move, so that the actor document carries movedTo from now on whatever Actor.MovedTo says, and
// queues Move{actor, object: actor, target} to every follower, like Publish. The site should stop
// publishing as the actor. [Federation.DeliveryStatus] with the actor's id follows the
// deliveries. From then on a Follow of the actor is answered with a Reject, as Mastodon answers
// one of an account that moved, and a follower that sends one is removed.
//
// A target that does not list the actor gives an error matching ErrNotAlias; one that cannot be
// fetched or is not an actor, the fetch error or an *InvalidError; an unknown actor, ErrNotFound.
func (f *Federation) Move(ctx context.Context, username, target string) error {
	actor, err := f.actAs(ctx, ActionMove, username, target)
	if err != nil {
		return err
	}
	return f.out.move(ctx, actor, target)
}

// move is the work of Move, once the call is authorized.
func (p *publisher) move(ctx context.Context, actor *Actor, target string) error {
	actorID := p.urls.actor(actor.Username)
	if target == actorID {
		return invalid("target", "an actor cannot move to itself")
	}
	if err := checkBlocked(ctx, p.blocks, target); err != nil {
		return fmt.Errorf("activitypub: move %s: %w", actorID, err)
	}
	_, doc, err := p.remote.fetch(ctx, target)
	if err != nil {
		return fmt.Errorf("activitypub: move %s: %w", actorID, err)
	}
	if !doc.IsActor() || doc.Inbox == "" {
		return invalid("target", "%s is not an actor with an inbox", target)
	}
	if !slices.Contains(aliases(doc), actorID) {
		return fmt.Errorf("activitypub: move %s to %s: %w", actorID, target, ErrNotAlias)
	}
	move, err := p.storeMove(ctx, p.urls, actorID, target)
	if err != nil {
		return err
	}
	p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "move", Object: target, Detail: move.ID})
	if err := p.sender.enqueue(ctx, move, delivery.Activity{ID: move.ID, ObjectID: actorID, ActorID: actorID}); err != nil {
		return fmt.Errorf("activitypub: move %s: %w", actorID, err)
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: actor moved", slog.String("actor", actorID), slog.String("target", target))
	return nil
}

// storeMove makes the Move of actorID, a site actor on the origin of urls, to target, with an id
// on that origin, and stores it under its id, so that it dereferences and the delivery engine
// can read it, and as the actor's move record, which the actor document reads. It returns the
// Move as stored under its id; queuing its delivery is the caller's.
func (p *publisher) storeMove(ctx context.Context, urls urlLayout, actorID, target string) (store.Object, error) {
	move := &vocab.Object{
		Context:   vocab.ContextActivityStreams,
		ID:        urls.activity(newID()),
		Type:      vocab.Types{"Move"},
		Actor:     vocab.Ref{IRI: actorID},
		Object:    vocab.Ref{IRI: actorID},
		Target:    vocab.Ref{IRI: target},
		To:        vocab.Refs{{IRI: urls.followers(actorID)}},
		Published: p.now().UTC(),
	}
	body, err := p.sender.encode(ctx, move, actorID)
	if err != nil {
		return store.Object{}, fmt.Errorf("activitypub: move %s: %w", actorID, err)
	}
	sent := store.Object{ID: move.ID, ActorID: actorID, Type: "Move", Document: body, Published: p.now()}
	for _, id := range []string{move.ID, actorID + movedSuffix} {
		o := sent
		o.ID = id
		if err := p.objects.PutObject(ctx, o); err != nil {
			return store.Object{}, fmt.Errorf("activitypub: move %s: %w", actorID, err)
		}
	}
	return sent, nil
}

// movedTo returns the account the site actor a, of id actorID, moved to, as its document names it: the site's
// Actor.MovedTo, else the target of the move recorded by Move; "" when it has not moved.
func movedTo(ctx context.Context, objects store.Objects, actorID string, a *Actor) (string, error) {
	if a.MovedTo != "" {
		return a.MovedTo, nil
	}
	o, err := objects.Object(ctx, actorID+movedSuffix)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("activitypub: move record of %s: %w", actorID, err)
	case !o.Deleted.IsZero() || len(o.Document) == 0:
		return "", nil
	}
	m, err := vocab.Decode(o.Document)
	if err != nil {
		return "", fmt.Errorf("activitypub: move record of %s: %w", actorID, err)
	}
	return m.Target.ID(), nil
}

// aliases returns an actor's alsoKnownAs ids: the member may be one IRI, an array of IRIs, or
// objects with ids.
func aliases(doc *vocab.Object) []string {
	raw, ok := doc.Extra["alsoKnownAs"]
	if !ok {
		return nil
	}
	var many vocab.Refs
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil
	}
	return many.IDs()
}

// movedTarget returns the movedTo of a remote actor's document, the account it moved to, or ""
// when the document has none or does not decode.
func movedTarget(doc []byte) string {
	var d struct {
		MovedTo vocab.Ref `json:"movedTo"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return ""
	}
	return d.MovedTo.ID()
}

// move replaces a follower that moved: the Move's actor must be the old account, and the
// new account (fetched) must name the old one in alsoKnownAs.
func (in *inbox) move(ctx context.Context, req *inboxRequest) error {
	act := req.act
	oldID, newID := act.Object.ID(), act.Target.ID()
	if oldID != act.Actor.ID() {
		return fmt.Errorf("activitypub: move of %s sent by %s: %w", oldID, act.Actor.ID(), errNotPermitted)
	}
	if newID == "" || newID == oldID {
		return invalid("target", "a Move needs a new account")
	}
	if err := checkBlocked(ctx, in.blocks, newID); err != nil {
		return err
	}
	locals, err := in.moveCandidates(ctx, req)
	if err != nil {
		return err
	}
	var follows []store.Follower
	for _, local := range locals {
		fl, err := in.followers.Follower(ctx, local, oldID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("activitypub: move: %w", err)
		}
		follows = append(follows, fl)
	}
	if len(follows) == 0 {
		return in.ignore(ctx, act)
	}
	// Fetch the new account afresh: its alsoKnownAs must name the old one now.
	body, doc, err := in.remote.fetch(ctx, newID)
	if err != nil {
		return err
	}
	var aka struct {
		AlsoKnownAs vocab.Refs `json:"alsoKnownAs"`
	}
	if err := json.Unmarshal(body, &aka); err != nil || !aka.AlsoKnownAs.Has(oldID) {
		return fmt.Errorf("activitypub: move to %s, which does not name %s in alsoKnownAs: %w", newID, oldID, errNotPermitted)
	}
	if !doc.IsActor() || doc.Inbox == "" {
		return invalid("target", "%s is not an actor with an inbox", newID)
	}
	for _, fl := range follows {
		err := in.followers.AddFollower(ctx, store.Follower{ActorID: fl.ActorID, FollowerID: newID, Inbox: doc.Inbox,
			SharedInbox: doc.SharedInboxIRI(), FollowID: act.ID, CreatedAt: in.now()})
		if err != nil {
			return fmt.Errorf("activitypub: move: %w", err)
		}
		if err := in.followers.RemoveFollower(ctx, fl.ActorID, oldID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("activitypub: move: %w", err)
		}
		in.audit.record(ctx, store.AuditEntry{Actor: oldID, Action: "move", Object: fl.ActorID, Detail: newID})
		if h := in.hooks.OnMove; h != nil {
			h(ctx, fl.ActorID, oldID, newID)
		}
	}
	return nil
}

// moveCandidates lists the site actors whose follower lists a Move, or an actor's Delete of
// itself, may concern.
func (in *inbox) moveCandidates(ctx context.Context, req *inboxRequest) ([]string, error) {
	act := req.act
	seen := map[string]bool{}
	var out []string
	add := func(username string) {
		if id := in.urls.actor(username); username != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	add(req.owner)
	for _, refs := range []vocab.Refs{act.To, act.Cc, act.Audience} {
		for _, id := range refs.IDs() {
			add(in.urls.username(id))
		}
	}
	if l, ok := in.actors.source.(ActorLister); ok {
		names, err := l.FederatedActorNames(ctx)
		if err != nil {
			return nil, fmt.Errorf("activitypub: move: list actors: %w", err)
		}
		for _, n := range names {
			add(n)
		}
	}
	return out, nil
}
