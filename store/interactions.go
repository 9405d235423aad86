package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// InteractionKind says how a remote actor reacted to a local object.
type InteractionKind string

// The interaction kinds.
const (
	InteractionLike     InteractionKind = "like"
	InteractionAnnounce InteractionKind = "announce"
	InteractionReply    InteractionKind = "reply"
	// InteractionMention is a remote post that mentions or addresses a local actor (a question,
	// a tip, a direct message); its ObjectID is the local actor's IRI.
	InteractionMention InteractionKind = "mention"
	// InteractionHiddenReply is a reply the site hid from its pages (see
	// [Interactions.HideReply]): kept, with its place, but listed and counted apart from the
	// replies.
	InteractionHiddenReply InteractionKind = "hidden reply"
	// InteractionQuote is a remote post that quotes a local object (FEP-044f, or the Misskey and
	// Fedibird dialects); its ID is the quoting post's id.
	InteractionQuote InteractionKind = "quote"
	// InteractionReaction is an emoji reaction (Pleroma's EmojiReact, Misskey's Like with a
	// reaction); its Emoji says which. An actor has at most one reaction per emoji on an object.
	InteractionReaction InteractionKind = "reaction"
	// InteractionDislike is a Dislike (Friendica, Lemmy), counted apart from likes.
	InteractionDislike InteractionKind = "dislike"
)

// MaxEmojiBytes is the longest [Interaction.Emoji] every adapter keeps.
const MaxEmojiBytes = 255

// InteractionKinds returns every interaction kind, in the order of the constants above.
func InteractionKinds() []InteractionKind {
	return []InteractionKind{InteractionLike, InteractionAnnounce, InteractionReply, InteractionMention, InteractionHiddenReply,
		InteractionQuote, InteractionReaction, InteractionDislike}
}

// OnePerActor reports whether an actor has at most one interaction of kind k on an object (and,
// for reactions, per emoji): true for likes and announces (one favourite and one boost per
// account and object, as Mastodon keeps them), dislikes and reactions, false for replies,
// mentions and quotes.
func (k InteractionKind) OnePerActor() bool {
	return k == InteractionLike || k == InteractionAnnounce || k == InteractionDislike || k == InteractionReaction
}

// Interaction is a remote actor's Like or Announce of a local object, a reply to it, a post that
// quotes it, or a post that mentions a local actor.
type Interaction struct {
	// ID is the id of the Like or Announce activity, or of the reply object; for a mention, a key
	// fedsite chose (see activitypub's Mention).
	ID   string
	Kind InteractionKind
	// ObjectID is the local object interacted with (the article), or the local actor mentioned.
	ObjectID string
	// ActorID is the remote actor.
	ActorID string
	// Emoji is the emoji of an [InteractionReaction], as activitypub spells it (a Unicode emoji,
	// or a custom one as ":shortcode@host:"), at most [MaxEmojiBytes]; empty for other kinds.
	// Adding an interaction with an id that exists keeps its Emoji.
	Emoji string
	// Document is what the site shows of it: for a reply, a quote or a mention, the post as
	// fedsite kept it (sanitized content); for a reaction to a custom emoji, the emoji; empty for likes,
	// announces and dislikes.
	Document []byte
	// CreatedAt is when it was recorded. Adapters set it when it is zero.
	CreatedAt time.Time
}

// Interactions keeps the likes, announces, replies and quotes the site's objects received, and the
// mentions its actors received (kind InteractionMention, keyed by the actor's IRI).
type Interactions interface {
	// AddInteraction records i and reports whether it did. Adding an id that exists replaces its
	// Document (an edited reply) and keeps its place and CreatedAt.
	//
	// An actor keeps at most one Like, one Announce, one Dislike and one reaction per emoji of an
	// object (see InteractionKind.OnePerActor): adding one when i.ActorID already has one of that
	// kind (and Emoji) on i.ObjectID under another id keeps the older one (its id, place and
	// CreatedAt) and records nothing, without error; [Interactions.Interaction] of the new id is
	// then ErrNotFound. Of concurrent such calls exactly one id is kept. Replies, quotes and
	// mentions are not limited.
	//
	// added is false exactly when the store kept another interaction of the actor instead: i's
	// kind is one per actor, i.ID is not in the store, and i.ActorID's interaction of that kind
	// and Emoji on i.ObjectID, kept from before or recorded by a concurrent call, has another id.
	// Otherwise it is true: i was added, or its id existed and got i's Document. Of concurrent
	// calls for one actor, kind, emoji and object that has none yet, under different ids, exactly
	// one reports true. With an error, added is false.
	AddInteraction(ctx context.Context, i Interaction) (added bool, err error)
	// Interaction returns the interaction with that id, or ErrNotFound.
	Interaction(ctx context.Context, id string) (Interaction, error)
	// InteractionBy returns actorID's interaction of kind (with that emoji, "" but for a
	// reaction) on objectID, whatever its id, or ErrNotFound. kind must be one an actor has at
	// most one of (see InteractionKind.OnePerActor); for any other kind it returns ErrNotFound. An
	// Undo naming an id the store dropped as a repeat finds the kept interaction with it.
	InteractionBy(ctx context.Context, actorID, objectID string, kind InteractionKind, emoji string) (Interaction, error)
	// RemoveInteraction deletes the interaction with that id; ErrNotFound when there is none.
	RemoveInteraction(ctx context.Context, id string) error
	// InteractionsPage lists an object's interactions of one kind, newest first.
	InteractionsPage(ctx context.Context, objectID string, kind InteractionKind, cursor string, limit int) (Page[Interaction], error)
}

// FollowRequest is a Follow waiting for the site's decision, for actors that approve their
// followers (manuallyApprovesFollowers).
type FollowRequest struct {
	// ActorID is the local actor asked to be followed.
	ActorID string
	// FollowerID, Inbox and SharedInbox describe the remote actor, as for a Follower.
	FollowerID, Inbox, SharedInbox string
	// FollowID is the id of the Follow activity; Document is the Follow as received, embedded in
	// the Accept or Reject sent later.
	FollowID string
	Document []byte
	// CreatedAt is when the request arrived. Adapters set it when it is zero.
	CreatedAt time.Time
}

// FollowRequests keeps pending follow requests.
type FollowRequests interface {
	// AddFollowRequest records r, replacing a pending request of the same follower to the same
	// actor (a repeated Follow) while keeping its place and CreatedAt.
	AddFollowRequest(ctx context.Context, r FollowRequest) error
	// FollowRequest returns the pending request, or ErrNotFound.
	FollowRequest(ctx context.Context, actorID, followerID string) (FollowRequest, error)
	// RemoveFollowRequest deletes the pending request; ErrNotFound when there is none.
	RemoveFollowRequest(ctx context.Context, actorID, followerID string) error
	// FollowRequestsPage lists an actor's pending requests, newest first.
	FollowRequestsPage(ctx context.Context, actorID, cursor string, limit int) (Page[FollowRequest], error)
}

// HideKinds returns the kinds [HideReply] changes an interaction from and to.
func HideKinds(hidden bool) (from, to InteractionKind) {
	if hidden {
		return InteractionReply, InteractionHiddenReply
	}
	return InteractionHiddenReply, InteractionReply
}

// ReactionCount is how many reactions with one emoji an object received.
type ReactionCount struct {
	// Emoji is the reactions' [Interaction.Emoji]; Count how many actors reacted with it.
	Emoji string
	Count int
	// Document is the newest such reaction's Document (a custom emoji's image, as its server
	// last described it).
	Document []byte
}

// CountReactions counts an object's reactions ([InteractionReaction]) per emoji, the most used
// first and, among equals, the most recently used first. It walks [Interactions.InteractionsPage],
// a read per 500 reactions.
func CountReactions(ctx context.Context, i Interactions, objectID string) ([]ReactionCount, error) {
	var counts []ReactionCount
	at := make(map[string]int) // index in counts by emoji
	cursor := ""
	for {
		p, err := i.InteractionsPage(ctx, objectID, InteractionReaction, cursor, countPage)
		if err != nil {
			return nil, fmt.Errorf("store: count reactions: %w", err)
		}
		for _, r := range p.Items { // newest first: the first seen of an emoji has its newest document
			n, ok := at[r.Emoji]
			if !ok {
				n = len(counts)
				at[r.Emoji] = n
				counts = append(counts, ReactionCount{Emoji: r.Emoji, Document: r.Document})
			}
			counts[n].Count++
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	slices.SortStableFunc(counts, func(a, b ReactionCount) int { return cmp.Compare(b.Count, a.Count) })
	return counts, nil
}
