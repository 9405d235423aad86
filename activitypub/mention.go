package activitypub

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
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
	Published  time.Time  `json:"published,omitzero"`
	Updated    time.Time  `json:"updated,omitzero"`
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

// isPost reports whether an object is a post that may mention a site actor: what a reply can be,
// or a ChatMessage (Lemmy's direct messages).
func isPost(o *vocab.Object) bool {
	return isNote(o) || (o != nil && o.Type.Has("ChatMessage"))
}

// audience returns a post's addressing: its own to and cc, or, when it has neither, those of the
// activity that carries it.
func audience(act, obj *vocab.Object) (to, cc vocab.Refs) {
	if len(obj.To) == 0 && len(obj.Cc) == 0 {
		return act.To, act.Cc
	}
	return obj.To, obj.Cc
}

// mentioned returns the site actors a post mentions (a Mention tag) or addresses (see audience),
// each once, in the order they appear there; IRIs of actors the site does not have are left out.
func (f *Federation) mentioned(ctx context.Context, act, obj *vocab.Object) ([]string, error) {
	var out []string
	add := func(iri string) error {
		username := f.urls.username(iri)
		if username == "" || slices.Contains(out, f.urls.actor(username)) {
			return nil
		}
		if _, err := f.lookupActor(ctx, username); errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		out = append(out, f.urls.actor(username))
		return nil
	}
	to, cc := audience(act, obj)
	for _, iri := range append(to.IDs(), cc.IDs()...) {
		if err := add(iri); err != nil {
			return nil, err
		}
	}
	for _, t := range obj.Tag {
		if t.Object == nil || !t.Object.Type.Has("Mention") {
			continue
		}
		if err := add(cmp.Or(t.Object.Href, t.ID())); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// visibility derives a post's Visibility from its addressing as Mastodon does
// (ActivityPub::Activity::Create#visibility_from_audience): the public collection, in any of its
// spellings, in to is public and in cc unlisted; the author's followers collection (from its
// actor document) makes it followers-only; anything else is direct. The addressing is the post's,
// else the activity's (see audience).
func (f *Federation) visibility(ctx context.Context, act, obj *vocab.Object) (Visibility, error) {
	to, cc := audience(act, obj)
	switch {
	case to.HasPublic():
		return VisibilityPublic, nil
	case cc.HasPublic():
		return VisibilityUnlisted, nil
	}
	author, err := f.remoteActor(ctx, act.Actor.ID())
	if err != nil {
		return "", err
	}
	if doc, err := vocab.Decode(author.Document); err == nil && doc.Followers != "" &&
		(to.Has(doc.Followers) || cc.Has(doc.Followers)) {
		return VisibilityFollowers, nil
	}
	return VisibilityDirect, nil
}

// keepMention stores a post that mentions or addresses the site actors actors (new, or edited
// when edited is set) under each of them, and calls OnMention for each. received is when it was
// first kept.
func (f *Federation) keepMention(ctx context.Context, act, obj *vocab.Object, actors []string, received time.Time, edited bool) error {
	author := act.Actor.ID()
	if err := checkPost(obj, author); err != nil {
		return err
	}
	vis, err := f.visibility(ctx, act, obj)
	if err != nil {
		return err
	}
	rec := mentionRecord{ID: obj.ID, URL: postURL(obj), Content: sanitize(obj.Content), Summary: obj.Summary,
		Sensitive: obj.Sensitive, Visibility: vis, InReplyTo: obj.InReplyTo.ID(), Published: obj.Published,
		Updated: f.editedAt(obj, edited)}
	for n, actor := range actors {
		r := rec
		if n == 0 {
			r.Actors = actors
		}
		doc, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("activitypub: mention %s: %w", obj.ID, err)
		}
		// A mention is never dropped: added is true whenever err is nil.
		if _, err := f.cfg.Store.AddInteraction(ctx, store.Interaction{ID: mentionKey(obj.ID, actor, n == 0),
			Kind: store.InteractionMention, ObjectID: actor, ActorID: author, Document: doc, CreatedAt: received}); err != nil {
			return fmt.Errorf("activitypub: keep mention %s of %s: %w", obj.ID, actor, err)
		}
	}
	for _, actor := range actors {
		if h := f.cfg.Inbox.OnMention; h != nil {
			m := rec.mention(actor, author, received)
			if m.Author, err = f.author(ctx, author); err != nil {
				return err
			}
			h(ctx, m)
		} else {
			f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: mention", slog.String("id", obj.ID),
				slog.String("object", actor), slog.String("visibility", string(vis)))
		}
	}
	return nil
}

// editMention applies an Update of a kept mention (known, kept under the post's id) by its
// author: every site actor it reached, and any the edit adds, get the new version. An edit that
// drops a mention does not take the post back from that actor, who has received it.
func (f *Federation) editMention(ctx context.Context, act, obj *vocab.Object, known store.Interaction) error {
	rec, err := mentionRecordOf(known)
	if err != nil {
		return err
	}
	added, err := f.mentioned(ctx, act, obj)
	if err != nil {
		return err
	}
	actors := slices.Clone(rec.Actors)
	for _, a := range added {
		if !slices.Contains(actors, a) {
			actors = append(actors, a)
		}
	}
	return f.keepMention(ctx, act, obj, actors, known.CreatedAt, true)
}

// forgetMention removes a mention its author deleted (known, kept under the post's id) from every
// site actor it reached, the others first so that a failure leaves it to be found again, and calls
// OnMentionDeleted for each.
func (f *Federation) forgetMention(ctx context.Context, known store.Interaction) error {
	rec, err := mentionRecordOf(known)
	if err != nil {
		return err
	}
	for n := len(rec.Actors) - 1; n >= 0; n-- {
		key := mentionKey(rec.ID, rec.Actors[n], n == 0)
		if err := f.cfg.Store.RemoveInteraction(ctx, key); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("activitypub: delete mention %s: %w", rec.ID, err)
		}
	}
	for _, actor := range rec.Actors {
		if h := f.cfg.Inbox.OnMentionDeleted; h != nil {
			h(ctx, actor, rec.ID)
		} else {
			f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: mention deleted", slog.String("id", rec.ID), slog.String("object", actor))
		}
	}
	return nil
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
// a previous page's Next; a limit below 1 is Config.PageSize. An unknown actor is an error
// matching ErrNotFound. Private ones (see [Visibility.Private]) must be shown only to the people
// who answer them.
func (f *Federation) Mentions(ctx context.Context, username, cursor string, limit int) (store.Page[InboxMention], error) {
	a, err := f.lookupActor(ctx, username)
	if err != nil {
		return store.Page[InboxMention]{}, err
	}
	if limit < 1 {
		limit = f.cfg.PageSize
	}
	p, err := f.cfg.Store.InteractionsPage(ctx, f.urls.actor(a.Username), store.InteractionMention, cursor, limit)
	if err != nil {
		return store.Page[InboxMention]{}, fmt.Errorf("activitypub: mentions of %s: %w", username, err)
	}
	out := store.Page[InboxMention]{Next: p.Next, Items: make([]InboxMention, 0, len(p.Items))}
	for _, i := range p.Items {
		rec, err := mentionRecordOf(i)
		if err != nil {
			return store.Page[InboxMention]{}, err
		}
		m := rec.mention(i.ObjectID, i.ActorID, i.CreatedAt)
		if m.Author, err = f.author(ctx, i.ActorID); err != nil {
			return store.Page[InboxMention]{}, err
		}
		out.Items = append(out.Items, m)
	}
	return out, nil
}
