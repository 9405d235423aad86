package activitypub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Visibility is who a post is meant for, as its author addressed it (to and cc), in Mastodon's
// terms.
type Visibility string

// The visibilities, derived as Mastodon derives them from a post's addressing.
const (
	// VisibilityPublic: the public collection is in to.
	VisibilityPublic Visibility = "public"
	// VisibilityUnlisted: the public collection is in cc only: public, but kept out of public
	// timelines.
	VisibilityUnlisted Visibility = "unlisted"
	// VisibilityFollowers: not public, and addressed to the author's followers collection.
	VisibilityFollowers Visibility = "followers"
	// VisibilityDirect: addressed to the actors it names only, a direct message.
	VisibilityDirect Visibility = "direct"
)

// Private reports whether the post is not public: followers-only, direct, or of a visibility
// fedsite does not know. A site shows a private post to the people who answer it, never on a
// public page.
func (v Visibility) Private() bool { return v != VisibilityPublic && v != VisibilityUnlisted }

// InboxMention is a remote post that mentions or addresses one of the site's actors: a reader's
// question, a tip, a complaint, a direct message. A post that reaches several site actors is one
// InboxMention per actor, each with the same ID. A reply to one of the site's published objects is a
// [Reply], even when it mentions the actor too (Mastodon mentions the author of what one answers).
type InboxMention struct {
	// ID is the post's id.
	ID string
	// ActorID is the site actor it mentions or addresses.
	ActorID string
	// AuthorID is the remote actor who wrote it; Author what a list of posts shows of them, read
	// from the actor document fedsite cached when the post arrived (only the id when it could not).
	AuthorID string
	Author   Author
	// URL is the post's page for people (its url, else its id).
	URL string
	// Content is the post's HTML, sanitized with the same policy as the site's own articles.
	Content string
	// Summary is its content warning, as plain text as sent (escape it); empty for none.
	Summary string
	// Sensitive is the author's sensitive-media flag.
	Sensitive bool
	// Visibility is who the author meant it for; see [Visibility.Private].
	Visibility Visibility
	// InReplyTo is the post it answers, as sent; empty for none.
	InReplyTo string
	// Published is when the author published it; zero when the post did not say.
	Published time.Time
	// Updated is set when the post was edited (an Update was received).
	Updated time.Time
	// ReceivedAt is when fedsite first kept it.
	ReceivedAt time.Time
}

// mentionRecord is a mention as kept in store.Interaction.Document.
type mentionRecord struct {
	ID         string     `json:"id"` // the post's id
	URL        string     `json:"url,omitempty"`
	Content    string     `json:"content,omitempty"`
	Summary    string     `json:"summary,omitempty"`
	Sensitive  bool       `json:"sensitive,omitempty"`
	Visibility Visibility `json:"visibility"`
	InReplyTo  string     `json:"inReplyTo,omitempty"`
	// Context is the post's FEP-7888 conversation, kept for an answer (see Federation.Answer).
	Context   string    `json:"context,omitempty"`
	Published time.Time `json:"published,omitzero"`
	Updated   time.Time `json:"updated,omitzero"`
	// Actors are the site actors the post reached, the one it is kept under first. Only the
	// interaction kept under the post's id has them: Update, Delete and Undo find it by that id
	// and the others through them.
	Actors []string `json:"actors,omitempty"`
}

// mentionKey is the store id of a post's mention of a site actor: the post's id for the first
// actor it reached, and for the others a fragment of the site actor's IRI, which no remote server
// can name (the origin rules keep each to its own ids).
func mentionKey(postID, actorID string, first bool) string {
	if first {
		return postID
	}
	return actorID + "#mention=" + url.QueryEscape(postID)
}

// mentionRecordOf reads a kept mention back. The one kept under the post's id always names the
// actor it is kept under among its Actors.
func mentionRecordOf(i store.Interaction) (mentionRecord, error) {
	var rec mentionRecord
	if err := json.Unmarshal(i.Document, &rec); err != nil {
		return mentionRecord{}, fmt.Errorf("activitypub: stored mention %s: %w", i.ID, err)
	}
	if len(rec.Actors) == 0 {
		rec.Actors = []string{i.ObjectID}
	}
	return rec, nil
}

func (r mentionRecord) mention(actor, author string, received time.Time) InboxMention {
	return InboxMention{ID: r.ID, ActorID: actor, AuthorID: author, URL: r.URL, Content: r.Content, Summary: r.Summary,
		Sensitive: r.Sensitive, Visibility: r.Visibility, InReplyTo: r.InReplyTo, Published: r.Published,
		Updated: r.Updated, ReceivedAt: received}
}

// Mentions lists the posts that mention or address the site actor username, newest first: the
// organization's inbox of questions, tips and direct messages. cursor is "" for the first page or
// a previous page's Next; a limit below 1 is Config.Publishing.PageSize. An unknown actor is an
// error matching ErrNotFound. Private ones (see [Visibility.Private]) must be shown only to the
// people who answer them.
func (f *Federation) Mentions(ctx context.Context, username, cursor string, limit int) (store.Page[InboxMention], error) {
	a, err := f.actAs(ctx, ActionReadMentions, username, "")
	if err != nil {
		return store.Page[InboxMention]{}, err
	}
	if limit < 1 {
		limit = f.cfg.Publishing.PageSize
	}
	p, err := f.cfg.Store.InteractionsPage(ctx, f.urls.actor(a.Username), store.InteractionMention, cursor, limit)
	if err != nil {
		return store.Page[InboxMention]{}, fmt.Errorf("activitypub: mentions of %s: %w", username, err)
	}
	out := store.Page[InboxMention]{Next: p.Next, Items: make([]InboxMention, 0, len(p.Items))}
	authors := pageAuthors{log: f.log, cache: f.cfg.Store}
	for _, i := range p.Items {
		rec, err := mentionRecordOf(i)
		if err != nil {
			return store.Page[InboxMention]{}, err
		}
		m := rec.mention(i.ObjectID, i.ActorID, i.CreatedAt)
		if m.Author, err = authors.author(ctx, i.ActorID, false); err != nil {
			return store.Page[InboxMention]{}, err
		}
		out.Items = append(out.Items, m)
	}
	return out, nil
}
