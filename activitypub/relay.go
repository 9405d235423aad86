package activitypub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Relays: a site actor's subscriptions to ActivityPub relays, in the two styles FEP-ae0c
// documents (https://codeberg.org/fediverse/fep/src/branch/main/fep/ae0c/fep-ae0c.md):
//
//   - Mastodon-style: the subscriber POSTs a Follow whose object is the public collection
//     (https://www.w3.org/ns/activitystreams#Public) to the relay's inbox, and adds that inbox to
//     the delivery of its public posts; the relay forwards the Create, Update and Delete it gets
//     to its other subscribers.
//   - LitePub-style (Pleroma's relay): the subscriber Follows the relay actor, addressed to it;
//     the relay follows back, and Announces what it gets to its other subscribers.
//
// Either relay answers with an Accept or a Reject of the Follow, at once or after a manual
// approval, and an Undo of the Follow ends the subscription. The subscriptions are kept in the
// Store's optional [store.Relays] capability.

// SubscribeRelay subscribes the site actor username to a relay: it records the subscription as
// pending and sends the Follow, which the relay answers with an Accept (from then on the actor's
// new articles are delivered to the relay) or a Reject. relayURL is what the style names the
// relay by: the inbox URL for [store.RelayMastodon], as Mastodon's relay settings ask for it,
// the relay actor's IRI for [store.RelayLitePub], whose inbox is read from the actor document.
// Subscribing again sends a new Follow and makes the subscription pending until it is
// answered. Relays are opt-in: an actor reaches none until it subscribes.
//
// An unknown actor is an error matching ErrNotFound; a relay URL that is not an absolute https
// URL (http with Insecure.AllowHTTP) or an unknown style, an *InvalidError; a blocked relay,
// ErrBlocked; a Store without store.Relays, errors.ErrUnsupported. Nothing is stored or sent
// then.
func (f *Federation) SubscribeRelay(ctx context.Context, username, relayURL string, style store.RelayStyle) error {
	actor, err := f.actAs(ctx, ActionSubscribeRelay, username, relayURL)
	if err != nil {
		return err
	}
	return f.out.subscribeRelay(ctx, actor, relayURL, style)
}

// subscribeRelay is the work of SubscribeRelay, once the call is authorized.
func (p *publisher) subscribeRelay(ctx context.Context, actor *Actor, relayURL string, style store.RelayStyle) error {
	if err := p.checkRelayURL(relayURL); err != nil {
		return err
	}
	if err := checkBlocked(ctx, p.blocks, relayURL); err != nil {
		return fmt.Errorf("activitypub: subscribe to relay: %w", err)
	}
	localID := p.urls.actor(actor.Username)
	follow := &vocab.Object{
		Context: vocab.ContextActivityStreams,
		ID:      p.urls.activity(newID()),
		Type:    vocab.Types{"Follow"},
		Actor:   vocab.Ref{IRI: localID},
	}
	var inbox string
	switch style {
	case store.RelayMastodon:
		inbox = relayURL
		follow.Object = vocab.Ref{IRI: vocab.PublicIRI}
	case store.RelayLitePub:
		ra, err := p.remote.actor(ctx, relayURL, nil)
		if err != nil {
			return fmt.Errorf("activitypub: relay %s: %w", relayURL, err)
		}
		inbox = ra.Inbox
		follow.Object = vocab.Ref{IRI: ra.ID}
		follow.To = vocab.Refs{{IRI: ra.ID}}
	default:
		return invalid("style", "unknown relay style %q", style)
	}
	r := store.Relay{ActorID: localID, ID: relayURL, Style: style, Inbox: inbox, FollowID: follow.ID,
		State: store.RelayPending, CreatedAt: p.now()}
	if err := store.PutRelay(ctx, p.site, r); err != nil {
		return fmt.Errorf("activitypub: subscribe to relay %s: %w", relayURL, err)
	}
	p.audit.record(ctx, store.AuditEntry{Actor: localID, Action: "subscribe relay", Object: relayURL, Detail: follow.ID})
	return p.sender.send(ctx, follow, localID, follow.ID, inbox)
}

// UnsubscribeRelay ends the site actor's subscription to the relay named by relayURL, as
// SubscribeRelay named it: the subscription is forgotten, so nothing more is delivered to the
// relay, and an Undo of the Follow is sent unless the relay had rejected it. A LitePub relay's
// follow of the actor, which is how it gets the actor's posts, ends with it. It returns an error
// matching ErrNotFound when the actor has no such subscription.
func (f *Federation) UnsubscribeRelay(ctx context.Context, username, relayURL string) error {
	actor, err := f.actAs(ctx, ActionUnsubscribeRelay, username, relayURL)
	if err != nil {
		return err
	}
	return f.out.unsubscribeRelay(ctx, actor, relayURL)
}

// unsubscribeRelay is the work of UnsubscribeRelay, once the call is authorized.
func (p *publisher) unsubscribeRelay(ctx context.Context, actor *Actor, relayURL string) error {
	localID := p.urls.actor(actor.Username)
	relays, err := store.ActorRelays(ctx, p.site, localID)
	if err != nil {
		return fmt.Errorf("activitypub: unsubscribe from relay: %w", err)
	}
	i := slices.IndexFunc(relays, func(r store.Relay) bool { return r.ID == relayURL })
	if i < 0 {
		return fmt.Errorf("activitypub: %s has no relay %s: %w", actor.Username, relayURL, ErrNotFound)
	}
	r := relays[i]
	undone := vocab.Ref{IRI: r.FollowID}
	if o, err := p.objects.Object(ctx, r.FollowID); err == nil && o.Document != nil {
		if follow, err := vocab.Decode(o.Document); err == nil {
			follow.Context = nil
			undone = vocab.Ref{Object: follow}
		}
	}
	if err := store.RemoveRelay(ctx, p.site, localID, r.ID); err != nil {
		return fmt.Errorf("activitypub: unsubscribe from relay %s: %w", relayURL, err)
	}
	if r.Style == store.RelayLitePub {
		if err := p.followers.RemoveFollower(ctx, localID, r.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("activitypub: unsubscribe from relay %s: %w", relayURL, err)
		}
	}
	p.audit.record(ctx, store.AuditEntry{Actor: localID, Action: "unsubscribe relay", Object: relayURL, Detail: r.FollowID})
	if r.State == store.RelayRejected {
		return nil
	}
	undo := &vocab.Object{
		Context: vocab.ContextActivityStreams,
		ID:      p.urls.activity(newID()),
		Type:    vocab.Types{"Undo"},
		Actor:   vocab.Ref{IRI: localID},
		Object:  undone,
	}
	if r.Style == store.RelayLitePub {
		undo.To = vocab.Refs{{IRI: r.ID}}
	}
	return p.sender.send(ctx, undo, localID, undo.ID, r.Inbox)
}

// Relays lists the relay subscriptions of the site actor username, with their state, in byte
// order of the relay URL; none when the Store has no store.Relays. An unknown actor is an error
// matching ErrNotFound.
func (f *Federation) Relays(ctx context.Context, username string) ([]store.Relay, error) {
	a, err := f.actors.lookup(ctx, username)
	if err != nil {
		return nil, err
	}
	relays, err := store.ActorRelays(ctx, f.cfg.Store, f.urls.actor(a.Username))
	if err != nil {
		return nil, fmt.Errorf("activitypub: relays of %s: %w", username, err)
	}
	return relays, nil
}

// checkRelayURL checks that u can name a relay: an absolute https URL without credentials or
// fragment, or http with Insecure.AllowHTTP.
func (p *publisher) checkRelayURL(u string) error {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Host == "" || parsed.User != nil || parsed.Fragment != "" ||
		(parsed.Scheme != "https" && !(parsed.Scheme == "http" && p.allowHTTP)) {
		return invalid("relay", "%q is not an absolute https URL", u)
	}
	return nil
}

// toRelays returns the deliveries of activityID, a Create of the public article objectID, to the
// accepted relays of actorID. A LitePub relay that follows the actor back is left out: the
// fan-out to the followers reaches it.
func (p *publisher) toRelays(ctx context.Context, actorID, activityID, objectID string) ([]delivery.Activity, error) {
	relays, err := store.ActorRelays(ctx, p.site, actorID)
	if err != nil {
		return nil, fmt.Errorf("activitypub: relays of %s: %w", actorID, err)
	}
	var acts []delivery.Activity
	for _, r := range relays {
		if r.State != store.RelayAccepted {
			continue
		}
		if r.Style == store.RelayLitePub {
			follows, err := isFollower(ctx, p.followers, actorID, r.ID)
			if err != nil {
				return nil, fmt.Errorf("activitypub: relays of %s: %w", actorID, err)
			}
			if follows {
				continue
			}
		}
		acts = append(acts, delivery.Activity{ID: activityID, ObjectID: objectID, ActorID: actorID, Inbox: r.Inbox})
	}
	return acts, nil
}

// relayAnswer handles an Accept or a Reject (state says which) of the Follow of a relay
// subscription: the subscription takes that state. The answer must come from the relay's origin
// (403 otherwise); one of a Follow that is no relay subscription, or no longer one, is ignored.
func (in *inbox) relayAnswer(state store.RelayState) func(ctx context.Context, req *inboxRequest) error {
	return func(ctx context.Context, req *inboxRequest) error {
		act := req.act
		followID := act.Object.ID()
		if !in.urls.local(followID) {
			return in.ignore(ctx, act)
		}
		follow, err := in.objects.Object(ctx, followID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && follow.Type != "Follow") {
			return in.ignore(ctx, act)
		}
		if err != nil {
			return fmt.Errorf("activitypub: relay answer: %w", err)
		}
		relays, err := store.ActorRelays(ctx, in.site, follow.ActorID)
		if err != nil {
			return fmt.Errorf("activitypub: relay answer: %w", err)
		}
		i := slices.IndexFunc(relays, func(r store.Relay) bool { return r.FollowID == followID })
		if i < 0 {
			return in.ignore(ctx, act)
		}
		r := relays[i]
		if !sameOrigin(act.Actor.ID(), r.Inbox) {
			return fmt.Errorf("activitypub: %s of the subscription to %s by %s: %w", act.Type, r.ID, act.Actor.ID(), errNotPermitted)
		}
		r.State = state
		if err := store.PutRelay(ctx, in.site, r); err != nil {
			return fmt.Errorf("activitypub: relay answer: %w", err)
		}
		in.audit.record(ctx, store.AuditEntry{Actor: act.Actor.ID(), Action: "relay " + string(state), Object: r.ActorID, Detail: r.ID})
		in.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: relay subscription "+string(state),
			slog.String("actor", r.ActorID), slog.String("relay", r.ID))
		return nil
	}
}
