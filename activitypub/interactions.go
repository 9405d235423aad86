package activitypub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// InboxOptions says what the inbox does with what remote servers send to the site's actors and
// articles: whether it keeps Dislikes, and which optional callbacks (hooks) it calls, in the manner
// of httptrace.ClientTrace: set the ones the site cares about. A nil hook is skipped and the event
// only logged at Debug; what fedsite keeps (interactions, follow requests, followers) is stored
// either way. Hooks run inside the inbox request, after the store has been updated; they should
// return quickly.
type InboxOptions struct {
	// IgnoreDislikes drops the Dislikes that Friendica and Lemmy send, as Mastodon does. Default:
	// false, they are kept and counted apart from likes (Counts.Dislikes).
	IgnoreDislikes bool

	// OnReply is called for a new reply to one of the site's published objects and again, with
	// Updated set, when its author edits it.
	OnReply func(ctx context.Context, r Reply)
	// OnReplyDeleted is called when the author of a reply deletes it; it is gone from the store.
	OnReplyDeleted func(ctx context.Context, objectID, replyID string)
	// OnMention is called for a new post that mentions or addresses a site actor (see
	// [InboxMention]), once for each site actor it reaches, and again, with Updated set, when its
	// author edits it. A reply to one of the site's objects calls OnReply only, whoever it
	// mentions.
	OnMention func(ctx context.Context, m InboxMention)
	// OnMentionDeleted is called when the author of a mention deletes it (Delete, or Undo of its
	// Create), once for each site actor it reached; it is gone from the store.
	OnMentionDeleted func(ctx context.Context, actorID, mentionID string)
	// OnLike and OnAnnounce are called for a new Like or Announce of a published object. An actor
	// has one Like and one Announce of an object, as on Mastodon: a repeat under another id is
	// dropped, the first one kept, and no hook called.
	OnLike, OnAnnounce func(ctx context.Context, i Interaction)
	// OnReaction is called for a new emoji reaction (i.Emoji says which) or Dislike (unless
	// IgnoreDislikes) of a published object; as for likes, an actor has one of each emoji
	// and one Dislike of an object, and a repeat is dropped.
	OnReaction func(ctx context.Context, i Interaction)
	// OnUndo is called when a Like, Announce, Dislike or reaction is withdrawn; it is gone from
	// the store. An Undo of a dropped repeat that embeds it withdraws the kept one: i.ID is the
	// kept one's id.
	OnUndo func(ctx context.Context, i Interaction)
	// OnFlag is called with a report (Flag) sent to the site.
	OnFlag func(ctx context.Context, r Report)
	// OnFollowRequest is called when a remote actor asks to follow a site actor whose
	// ManuallyApprovesFollowers is set; the site answers with [Federation.ApproveFollow] or
	// [Federation.RejectFollow]. It is not called for a Follow from an actor that moved away
	// (its document has movedTo), or of a site actor that did, which fedsite rejects itself.
	OnFollowRequest func(ctx context.Context, r store.FollowRequest)
	// OnMove is called when a follower moved to a new account and fedsite replaced it.
	OnMove func(ctx context.Context, localActorID, oldID, newID string)
}

// Reply is a reply to one of the site's objects, as the site may show it: a reader's, or the
// site's own answer to one (AnswerTo is then set).
type Reply struct {
	// ID is the reply object's id; InReplyTo the site's object whose conversation it is part of.
	ID, InReplyTo string
	// Parent is the post it answers: InReplyTo itself, or a reply in its conversation (a reply
	// to a reply, or the reply a site's answer answers), so that a site can show the thread as
	// a tree.
	Parent string
	// AuthorID is the remote actor who wrote it.
	AuthorID string
	// Author is what the actor cache knows of AuthorID, for showing the reply in a comment list:
	// name, handle, avatar and profile link, or only the id when the actor is not cached (see
	// [Author]). It is filled for OnReply and by [Federation.Interactions].
	Author Author
	// URL is the reply's page for people (its url, else its id).
	URL string
	// Content is the reply's HTML, sanitized with the same policy as the site's own articles.
	Content string
	// Summary is its content warning, as plain text; empty for none. Show the content collapsed
	// behind it, as fediverse servers do.
	Summary string
	// Sensitive is set when the author marked the reply sensitive (Mastodon's flag) or gave it a
	// content warning: hide its content, or its media, until the reader asks.
	Sensitive bool
	// Published is when the author published it; zero when the reply did not say.
	Published time.Time
	// Updated is set when the reply was edited (an Update was received).
	Updated time.Time
	// AnswerTo is set on the site's own answer to a reader's reply (see [Federation.Answer]): the
	// id of the reply it answers. AuthorID is then the site actor that answered, and Author its
	// name, handle, avatar and profile.
	AnswerTo string
}

// Interaction is a Like, an Announce, a Dislike, an emoji reaction or a reply that a site object
// received.
type Interaction struct {
	// ID is the Like, Announce, Dislike or reaction activity's id, or the reply's id.
	ID   string
	Kind store.InteractionKind
	// ObjectID is the site's object; ActorID the remote actor.
	ObjectID, ActorID string
	// CreatedAt is when fedsite recorded it.
	CreatedAt time.Time
	// Reply is the post for Kind store.InteractionReply, store.InteractionHiddenReply and
	// store.InteractionQuote (the quoting post; its InReplyTo is then the object it quotes), else
	// nil.
	Reply *Reply
	// Emoji is the emoji for Kind store.InteractionReaction, else nil.
	Emoji *Emoji
}

// Counts are how many interactions an object received.
type Counts struct {
	Likes, Announces, Replies, Quotes int
	// Dislikes are counted apart from likes; with Config.Inbox.IgnoreDislikes no new ones are kept.
	Dislikes int
	// Reactions are the emoji reactions per emoji, the most used first; nil for none.
	Reactions []ReactionCount
}

// ReactionCount is how many actors reacted to an object with one emoji.
type ReactionCount struct {
	Emoji Emoji
	Count int
}

// Report is a Flag: a remote actor reporting accounts or objects to the site's moderators.
type Report struct {
	// ID is the Flag activity's id; ReporterID its actor (often the reporting server's instance actor).
	ID, ReporterID string
	// Objects are the reported actor and object ids, as sent.
	Objects []string
	// Content is the reporter's comment, as plain text as sent (not HTML-sanitized: escape it).
	Content string
}

// replyOf reads a kept reply back; siteAuthored says whether a site actor wrote it (an answer).
func replyOf(i store.Interaction, siteAuthored bool) (*Reply, error) {
	o, err := vocab.Decode(i.Document)
	if err != nil {
		return nil, fmt.Errorf("activitypub: stored reply %s: %w", i.ID, err)
	}
	r := &Reply{ID: i.ID, InReplyTo: i.ObjectID, AuthorID: i.ActorID, URL: i.ID, Content: o.Content,
		Summary: o.Summary, Sensitive: o.Sensitive, Published: o.Published, Updated: o.Updated}
	if ids := o.URL.IDs(); len(ids) > 0 {
		r.URL = ids[0]
	}
	r.Parent = cmp.Or(o.InReplyTo.ID(), i.ObjectID)
	if siteAuthored && r.Parent != i.ObjectID {
		r.AnswerTo = r.Parent
	}
	return r, nil
}

func interactionOf(i store.Interaction, r *Reply) Interaction {
	out := Interaction{ID: i.ID, Kind: i.Kind, ObjectID: i.ObjectID, ActorID: i.ActorID, CreatedAt: i.CreatedAt, Reply: r}
	if i.Kind == store.InteractionReaction {
		e := emojiOf(i.Emoji, i.Document)
		out.Emoji = &e
	}
	return out
}

// siteAuthor is a site actor as a comment list shows it: only the id when the site no longer has
// it.
func (f *Federation) siteAuthor(ctx context.Context, actorID string) (Author, error) {
	a, err := f.actors.lookup(ctx, f.urls.username(actorID))
	if errors.Is(err, ErrNotFound) {
		return Author{ID: actorID, ProfileURL: actorID}, nil
	}
	if err != nil {
		return Author{}, err
	}
	return Author{ID: actorID, Name: cmp.Or(a.Name, a.Username), Handle: f.Handle(a.Username),
		AvatarURL: a.IconURL, ProfileURL: cmp.Or(a.ProfileURL, actorID)}, nil
}

// Interactions lists the interactions of one kind that a published object (by its URL) received,
// newest first; cursor is "" for the first page or a previous page's Next. A limit below 1 is
// Config.Publishing.PageSize.
func (f *Federation) Interactions(ctx context.Context, objectURL string, kind store.InteractionKind, cursor string, limit int) (store.Page[Interaction], error) {
	if limit < 1 {
		limit = f.cfg.Publishing.PageSize
	}
	p, err := f.cfg.Store.InteractionsPage(ctx, objectURL, kind, cursor, limit)
	if err != nil {
		return store.Page[Interaction]{}, fmt.Errorf("activitypub: interactions of %s: %w", objectURL, err)
	}
	out := store.Page[Interaction]{Next: p.Next, Items: make([]Interaction, 0, len(p.Items))}
	authors := pageAuthors{log: f.log, cache: f.cfg.Store, site: f.siteAuthor}
	for _, i := range p.Items {
		var r *Reply
		if i.Kind == store.InteractionReply || i.Kind == store.InteractionHiddenReply || i.Kind == store.InteractionQuote {
			if r, err = replyOf(i, f.urls.local(i.ActorID)); err != nil {
				return store.Page[Interaction]{}, err
			}
			if r.Author, err = authors.author(ctx, r.AuthorID, r.AnswerTo != ""); err != nil {
				return store.Page[Interaction]{}, err
			}
		}
		out.Items = append(out.Items, interactionOf(i, r))
	}
	return out, nil
}

// Counts returns how many likes, announces, replies, quotes and dislikes a published object (by
// its URL) received, and its emoji reactions per emoji. The reactions are counted by listing them
// (see store.CountReactions), only when the object has any.
func (f *Federation) Counts(ctx context.Context, objectURL string) (Counts, error) {
	m, err := store.CountInteractions(ctx, f.cfg.Store, objectURL)
	if err != nil {
		return Counts{}, fmt.Errorf("activitypub: counts of %s: %w", objectURL, err)
	}
	c := Counts{Likes: m[store.InteractionLike], Announces: m[store.InteractionAnnounce], Replies: m[store.InteractionReply],
		Quotes: m[store.InteractionQuote], Dislikes: m[store.InteractionDislike]}
	if m[store.InteractionReaction] == 0 {
		return c, nil
	}
	rs, err := store.CountReactions(ctx, f.cfg.Store, objectURL)
	if err != nil {
		return Counts{}, fmt.Errorf("activitypub: reactions to %s: %w", objectURL, err)
	}
	c.Reactions = make([]ReactionCount, len(rs))
	for n, r := range rs {
		c.Reactions[n] = ReactionCount{Emoji: emojiOf(r.Emoji, r.Document), Count: r.Count}
	}
	return c, nil
}
