package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RelayStyle is the protocol of an ActivityPub relay, one of the two FEP-ae0c describes.
type RelayStyle string

const (
	// RelayMastodon is a Mastodon-style relay: the subscription is a Follow of the public
	// collection POSTed to the relay's inbox, and the subscriber delivers its public posts there.
	RelayMastodon RelayStyle = "mastodon"
	// RelayLitePub is a LitePub-style relay (Pleroma's): the subscription is a Follow of the relay
	// actor, the relay follows back and Announces what it receives to its subscribers.
	RelayLitePub RelayStyle = "litepub"
)

// RelayState is where a relay subscription stands.
type RelayState string

const (
	// RelayPending is a subscription whose Follow the relay has not answered yet.
	RelayPending RelayState = "pending"
	// RelayAccepted is a subscription the relay accepted: public posts are delivered to it.
	RelayAccepted RelayState = "accepted"
	// RelayRejected is a subscription the relay rejected, or ended later with a Reject.
	RelayRejected RelayState = "rejected"
)

// Relay is one local actor's subscription to an ActivityPub relay.
type Relay struct {
	// ActorID is the IRI of the local actor that subscribed.
	ActorID string
	// ID names the relay as it was subscribed to: its inbox URL for RelayMastodon (what Mastodon's
	// relay settings ask for), its actor IRI for RelayLitePub.
	ID string
	// Style is the relay's protocol.
	Style RelayStyle
	// Inbox is where the Follow, the Undo and the public posts go.
	Inbox string
	// FollowID is the id of the Follow activity the subscription was asked with; the relay's
	// Accept or Reject names it.
	FollowID string
	// State is where the subscription stands.
	State RelayState
	// CreatedAt is when the subscription was first recorded. Adapters set it when it is zero.
	CreatedAt time.Time
}

// Relays is an optional capability of a [Site] store: keeping the local actors' relay
// subscriptions. fedsite uses it through [PutRelay], [RemoveRelay] and [ActorRelays]; a store
// without it cannot subscribe to relays, and lists none.
type Relays interface {
	// PutRelay records r, replacing the subscription of r.ActorID to r.ID when there is one, whose
	// CreatedAt it keeps.
	PutRelay(ctx context.Context, r Relay) error
	// RemoveRelay deletes the subscription of actorID to the relay id; it returns ErrNotFound when
	// there was none.
	RemoveRelay(ctx context.Context, actorID, id string) error
	// ActorRelays lists the relay subscriptions of actorID in byte order of their ID, none when it
	// has none. An actor subscribes to a handful of relays, so the list is not paged.
	ActorRelays(ctx context.Context, actorID string) ([]Relay, error)
}

// PutRelay records r as [Relays.PutRelay] does when s implements Relays. Without it nothing is
// kept and the error matches errors.ErrUnsupported: a subscription whose answer could not be
// recorded is not asked for.
func PutRelay(ctx context.Context, s Site, r Relay) error {
	if rs, ok := s.(Relays); ok {
		return rs.PutRelay(ctx, r)
	}
	return fmt.Errorf("store: %T keeps no relay subscriptions: %w", s, errors.ErrUnsupported)
}

// RemoveRelay deletes a relay subscription as [Relays.RemoveRelay] does when s implements Relays;
// without it there is none to remove and the error matches ErrNotFound.
func RemoveRelay(ctx context.Context, s Site, actorID, id string) error {
	if rs, ok := s.(Relays); ok {
		return rs.RemoveRelay(ctx, actorID, id)
	}
	return fmt.Errorf("store: relay %s of %s: %w", id, actorID, ErrNotFound)
}

// ActorRelays lists an actor's relay subscriptions as [Relays.ActorRelays] does when s implements
// Relays; without it the list is empty.
func ActorRelays(ctx context.Context, s Site, actorID string) ([]Relay, error) {
	if rs, ok := s.(Relays); ok {
		return rs.ActorRelays(ctx, actorID)
	}
	return nil, nil
}
