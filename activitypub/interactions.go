package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// InboxHooks are optional callbacks for what remote servers send to the site's actors and
// articles, in the manner of httptrace.ClientTrace: set the ones the site cares about. A nil hook
// is skipped and the event only logged at Debug; what fedsite keeps (interactions, follow
// requests, followers) is stored either way. Hooks run inside the inbox request, after the store
// has been updated; they should return quickly.
type InboxHooks struct {
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
	// OnUndo is called when a Like or Announce is withdrawn; it is gone from the store. An Undo
	// of a dropped repeat that embeds it withdraws the kept one: i.ID is the kept one's id.
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

// Reply is a remote reply to one of the site's objects, as the site may show it.
type Reply struct {
	// ID is the reply object's id; InReplyTo the site's object it answers.
	ID, InReplyTo string
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
}

// Interaction is a Like, an Announce or a reply that a site object received.
type Interaction struct {
	// ID is the Like or Announce activity's id, or the reply's id.
	ID   string
	Kind store.InteractionKind
	// ObjectID is the site's object; ActorID the remote actor.
	ObjectID, ActorID string
	// CreatedAt is when fedsite recorded it.
	CreatedAt time.Time
	// Reply is the reply for Kind store.InteractionReply, else nil.
	Reply *Reply
}

// Counts are how many interactions an object received.
type Counts struct {
	Likes, Announces, Replies int
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

// inboxRequest is request-scoped data handleActivity may need beyond the decoded activity.
type inboxRequest struct {
	owner string // username of the inbox, "" for the shared inbox
	body  []byte
	// signer is the verified signer, the activity's actor; signerDoc its actor document when the
	// signature check fetched it, else nil (see signing.Verified.OwnerDocument).
	signer    string
	signerDoc []byte
}

type inboxRequestKey struct{}

func withInboxRequest(ctx context.Context, r inboxRequest) context.Context {
	return context.WithValue(ctx, inboxRequestKey{}, r)
}

func inboxRequestOf(ctx context.Context) inboxRequest {
	r, _ := ctx.Value(inboxRequestKey{}).(inboxRequest)
	return r
}

// ours reports whether id is an object the site published and has not deleted.
func (f *Federation) ours(ctx context.Context, id string) (bool, error) {
	if id == "" || !f.urls.local(id) {
		return false, nil
	}
	o, err := f.cfg.Store.Object(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("activitypub: object %s: %w", id, err)
	}
	return o.Deleted.IsZero(), nil
}

// isNote reports whether an object is something a reply can be.
func isNote(o *vocab.Object) bool {
	return o != nil && (o.Type.Has("Note") || o.Type.Has("Article") || o.Type.Has("Page") || o.Type.Has("Question"))
}

// handleCreate keeps a reply to one of the site's objects, or else a post that mentions or
// addresses site actors. A reply that mentions a site actor too is kept as a reply only, and only
// OnReply is called: Mastodon mentions the author of the post one answers. A post kept already
// came again under another activity id and is ignored, as Mastodon ignores a Create of a status it
// has: edits come as Update.
func (f *Federation) handleCreate(ctx context.Context, act *vocab.Object) error {
	obj := act.Object.Object
	if !isPost(obj) {
		return f.ignore(ctx, act)
	}
	if _, err := f.cfg.Store.Interaction(ctx, obj.ID); err == nil {
		return f.ignore(ctx, act)
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("activitypub: create: %w", err)
	}
	if isNote(obj) {
		target := obj.InReplyTo.ID()
		ok, err := f.ours(ctx, target)
		if err != nil {
			return err
		}
		if ok {
			return f.keepReply(ctx, act.Actor.ID(), obj, target, false)
		}
	}
	actors, err := f.mentioned(ctx, act, obj)
	if err != nil {
		return err
	}
	if len(actors) == 0 {
		return f.ignore(ctx, act)
	}
	return f.keepMention(ctx, act, obj, actors, f.cfg.Now(), false)
}

// checkPost checks that a post sent by author has an id and is attributed to author, if to
// anyone.
func checkPost(obj *vocab.Object, author string) error {
	if obj.ID == "" {
		return invalid("object", "a post needs an id")
	}
	if len(obj.AttributedTo) > 0 && !obj.AttributedTo.Has(author) {
		return fmt.Errorf("activitypub: post %s attributed to %v sent by %s: %w", obj.ID, obj.AttributedTo.IDs(), author, errForbidden)
	}
	return nil
}

// postURL is a post's page for people: its first url when that is an http(s) IRI, else its id.
func postURL(obj *vocab.Object) string {
	if ids := obj.URL.IDs(); len(ids) > 0 {
		if _, ok := origin(ids[0]); ok {
			return ids[0]
		}
	}
	return obj.ID
}

// editedAt is when an edited post was updated, as it says or else now; zero when it is not an
// edit.
func (f *Federation) editedAt(obj *vocab.Object, edited bool) time.Time {
	switch {
	case !edited:
		return time.Time{}
	case obj.Updated.IsZero():
		return f.cfg.Now()
	}
	return obj.Updated
}

// keepReply stores a reply (new or edited) and calls OnReply.
func (f *Federation) keepReply(ctx context.Context, author string, obj *vocab.Object, target string, edited bool) error {
	if err := checkPost(obj, author); err != nil {
		return err
	}
	r := Reply{ID: obj.ID, InReplyTo: target, AuthorID: author, URL: postURL(obj), Content: sanitize(obj.Content),
		Summary: obj.Summary, Sensitive: obj.Sensitive || obj.Summary != "", Published: obj.Published,
		Updated: f.editedAt(obj, edited)}
	doc, err := json.Marshal(replyDocument(r))
	if err != nil {
		return fmt.Errorf("activitypub: reply %s: %w", obj.ID, err)
	}
	// A reply is never dropped: added is true whenever err is nil.
	if _, err := f.cfg.Store.AddInteraction(ctx, store.Interaction{ID: r.ID, Kind: store.InteractionReply,
		ObjectID: target, ActorID: author, Document: doc, CreatedAt: f.cfg.Now()}); err != nil {
		return fmt.Errorf("activitypub: keep reply %s: %w", r.ID, err)
	}
	// Keep the author's actor document for Reply.Author: mostly the one the signature check just
	// fetched, else fetched once per Config.RemoteActorTTL. The reply is kept without it.
	if _, err := f.remoteActor(ctx, author); err != nil {
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: reply author not cached", slog.String("actor", author), slog.Any("err", err))
	}
	if h := f.cfg.Inbox.OnReply; h != nil {
		if r.Author, err = f.author(ctx, author); err != nil {
			return err
		}
		h(ctx, r)
	} else {
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: reply", slog.String("id", r.ID), slog.String("object", target))
	}
	return nil
}

// replyDocument is the reply as kept in the store: a Note with the sanitized content.
func replyDocument(r Reply) *vocab.Object {
	o := &vocab.Object{ID: r.ID, Type: vocab.Types{"Note"}, AttributedTo: vocab.Refs{{IRI: r.AuthorID}},
		InReplyTo: vocab.Ref{IRI: r.InReplyTo}, Content: r.Content, Summary: r.Summary, Sensitive: r.Sensitive,
		Published: r.Published, Updated: r.Updated}
	if r.URL != r.ID {
		o.URL = vocab.Refs{{IRI: r.URL}}
	}
	return o
}

// replyOf reads a kept reply back.
func replyOf(i store.Interaction) (*Reply, error) {
	o, err := vocab.Decode(i.Document)
	if err != nil {
		return nil, fmt.Errorf("activitypub: stored reply %s: %w", i.ID, err)
	}
	r := &Reply{ID: i.ID, InReplyTo: i.ObjectID, AuthorID: i.ActorID, URL: i.ID, Content: o.Content,
		Summary: o.Summary, Sensitive: o.Sensitive, Published: o.Published, Updated: o.Updated}
	if ids := o.URL.IDs(); len(ids) > 0 {
		r.URL = ids[0]
	}
	return r, nil
}

// keptPost returns the reply or mention kept under a post's id, or store.ErrNotFound.
func (f *Federation) keptPost(ctx context.Context, id string) (store.Interaction, error) {
	known, err := f.cfg.Store.Interaction(ctx, id)
	if err == nil && known.Kind.OnePerActor() {
		return store.Interaction{}, store.ErrNotFound
	}
	return known, err
}

// handleUpdate replaces a known reply or mention edited by its author.
func (f *Federation) handleUpdate(ctx context.Context, act *vocab.Object) error {
	obj := act.Object.Object
	if !isPost(obj) {
		return f.ignore(ctx, act)
	}
	known, err := f.keptPost(ctx, obj.ID)
	if errors.Is(err, store.ErrNotFound) {
		return f.ignore(ctx, act)
	}
	if err != nil {
		return fmt.Errorf("activitypub: update: %w", err)
	}
	if known.ActorID != act.Actor.ID() {
		return fmt.Errorf("activitypub: update of %s's %s by %s: %w", known.ActorID, known.Kind, act.Actor.ID(), errForbidden)
	}
	if known.Kind == store.InteractionMention {
		return f.editMention(ctx, act, obj, known)
	}
	return f.keepReply(ctx, known.ActorID, obj, known.ObjectID, true)
}

// handleDelete removes a known reply or mention deleted by its author.
func (f *Federation) handleDelete(ctx context.Context, act *vocab.Object) error {
	return f.forgetPost(ctx, act, act.Object.ID())
}

// forgetPost removes the reply or mention kept under id when act's actor, its author, deletes it
// (Delete, or Undo of its Create).
func (f *Federation) forgetPost(ctx context.Context, act *vocab.Object, id string) error {
	known, err := f.keptPost(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return f.ignore(ctx, act)
	}
	if err != nil {
		return fmt.Errorf("activitypub: delete: %w", err)
	}
	// The origin rules hold for a Delete; an Undo's embedded Create could name the site's own key
	// of a mention (see mentionKey).
	if known.ActorID != act.Actor.ID() || !sameOrigin(id, act.Actor.ID()) {
		return fmt.Errorf("activitypub: delete of %s's %s by %s: %w", known.ActorID, known.Kind, act.Actor.ID(), errForbidden)
	}
	if known.Kind == store.InteractionMention {
		return f.forgetMention(ctx, known)
	}
	if err := f.cfg.Store.RemoveInteraction(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("activitypub: delete reply %s: %w", id, err)
	}
	if h := f.cfg.Inbox.OnReplyDeleted; h != nil {
		h(ctx, known.ObjectID, id)
	} else {
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: reply deleted", slog.String("id", id))
	}
	return nil
}

// handleReaction keeps a Like or an Announce of one of the site's objects.
func (f *Federation) handleReaction(ctx context.Context, act *vocab.Object, kind store.InteractionKind) error {
	target := act.Object.ID()
	ok, err := f.ours(ctx, target)
	if err != nil {
		return err
	}
	if !ok {
		return f.ignore(ctx, act)
	}
	i := store.Interaction{ID: act.ID, Kind: kind, ObjectID: target, ActorID: act.Actor.ID(), CreatedAt: f.cfg.Now()}
	added, err := f.cfg.Store.AddInteraction(ctx, i)
	if err != nil {
		return fmt.Errorf("activitypub: keep %s %s: %w", kind, act.ID, err)
	}
	// The store keeps one Like and one Announce per actor and object, the older: a repeat under
	// another id was dropped, and is not news.
	if !added {
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: repeated "+string(kind)+" ignored",
			slog.String("id", act.ID), slog.String("actor", act.Actor.ID()), slog.String("object", target))
		return nil
	}
	h := f.cfg.Inbox.OnLike
	if kind == store.InteractionAnnounce {
		h = f.cfg.Inbox.OnAnnounce
	}
	if h != nil {
		h(ctx, interactionOf(i, nil))
	} else {
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: "+string(kind), slog.String("id", act.ID), slog.String("object", target))
	}
	return nil
}

func interactionOf(i store.Interaction, r *Reply) Interaction {
	return Interaction{ID: i.ID, Kind: i.Kind, ObjectID: i.ObjectID, ActorID: i.ActorID, CreatedAt: i.CreatedAt, Reply: r}
}

// undoReaction removes a Like or Announce named by id when actor made it. It reports whether id
// was a known Like or Announce. An id the store dropped as a repeat (see
// [store.Interactions.AddInteraction]) is found through inner, the undone activity when the Undo
// embeds it (nil when it names only the id): the actor's interaction of that kind on its object
// is removed, whatever its id.
func (f *Federation) undoReaction(ctx context.Context, actor, id string, inner *vocab.Object) (bool, error) {
	known, err := f.cfg.Store.Interaction(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		known, err = f.repeatedReaction(ctx, actor, inner)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && !known.Kind.OnePerActor()) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("activitypub: undo: %w", err)
	}
	if known.ActorID != actor {
		return true, fmt.Errorf("activitypub: undo of %s's %s by %s: %w", known.ActorID, known.Kind, actor, errForbidden)
	}
	if err := f.cfg.Store.RemoveInteraction(ctx, known.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return true, fmt.Errorf("activitypub: undo %s: %w", id, err)
	}
	if h := f.cfg.Inbox.OnUndo; h != nil {
		h(ctx, interactionOf(known, nil))
	} else {
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: undo", slog.String("id", id),
			slog.String("kept_id", known.ID), slog.String("kind", string(known.Kind)))
	}
	return true, nil
}

// repeatedReaction returns actor's kept Like or Announce for an Undo whose activity id the store
// does not know, or store.ErrNotFound. The Undo must embed the undone Like or Announce (inner),
// naming its object; a bare id (inner nil) tells neither kind nor object. Whatever the embedded
// object says, only actor's own interaction can be found.
func (f *Federation) repeatedReaction(ctx context.Context, actor string, inner *vocab.Object) (store.Interaction, error) {
	kind := store.InteractionLike
	switch {
	case inner == nil || inner.Object.ID() == "":
		return store.Interaction{}, store.ErrNotFound
	case inner.Type.Has("Announce"):
		kind = store.InteractionAnnounce
	case !inner.Type.Has("Like"):
		return store.Interaction{}, store.ErrNotFound
	}
	i, err := f.cfg.Store.InteractionBy(ctx, actor, inner.Object.ID(), kind)
	if err != nil {
		return store.Interaction{}, fmt.Errorf("activitypub: undo %s: %w", inner.ID, err)
	}
	return i, nil
}

// handleFlag hands a report to OnFlag.
func (f *Federation) handleFlag(ctx context.Context, act *vocab.Object) error {
	r := Report{ID: act.ID, ReporterID: act.Actor.ID(), Content: act.Content}
	// The decoded activity keeps one object; the body has them all.
	var raw struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(inboxRequestOf(ctx).body, &raw); err == nil && len(raw.Object) > 0 && raw.Object[0] == '[' {
		var refs vocab.Refs
		if err := json.Unmarshal(raw.Object, &refs); err == nil {
			r.Objects = refs.IDs()
		}
	}
	if len(r.Objects) == 0 && act.Object.ID() != "" {
		r.Objects = []string{act.Object.ID()}
	}
	if h := f.cfg.Inbox.OnFlag; h != nil {
		h(ctx, r)
	} else {
		f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: flag", slog.String("id", r.ID), slog.String("actor", r.ReporterID))
	}
	return nil
}

// handleMove replaces a follower that moved: the Move's actor must be the old account, and the
// new account (fetched) must name the old one in alsoKnownAs.
func (f *Federation) handleMove(ctx context.Context, act *vocab.Object) error {
	oldID, newID := act.Object.ID(), act.Target.ID()
	if oldID != act.Actor.ID() {
		return fmt.Errorf("activitypub: move of %s sent by %s: %w", oldID, act.Actor.ID(), errForbidden)
	}
	if newID == "" || newID == oldID {
		return invalid("target", "a Move needs a new account")
	}
	if err := f.checkBlocked(ctx, newID); err != nil {
		return err
	}
	locals, err := f.moveCandidates(ctx, act)
	if err != nil {
		return err
	}
	var follows []store.Follower
	for _, local := range locals {
		fl, err := f.cfg.Store.Follower(ctx, local, oldID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("activitypub: move: %w", err)
		}
		follows = append(follows, fl)
	}
	if len(follows) == 0 {
		return f.ignore(ctx, act)
	}
	// Fetch the new account afresh: its alsoKnownAs must name the old one now.
	body, doc, err := f.fetch(ctx, newID)
	if err != nil {
		return err
	}
	var aka struct {
		AlsoKnownAs vocab.Refs `json:"alsoKnownAs"`
	}
	if err := json.Unmarshal(body, &aka); err != nil || !aka.AlsoKnownAs.Has(oldID) {
		return fmt.Errorf("activitypub: move to %s, which does not name %s in alsoKnownAs: %w", newID, oldID, errForbidden)
	}
	if !doc.IsActor() || doc.Inbox == "" {
		return invalid("target", "%s is not an actor with an inbox", newID)
	}
	for _, fl := range follows {
		err := f.cfg.Store.AddFollower(ctx, store.Follower{ActorID: fl.ActorID, FollowerID: newID, Inbox: doc.Inbox,
			SharedInbox: doc.SharedInboxIRI(), FollowID: act.ID, CreatedAt: f.cfg.Now()})
		if err != nil {
			return fmt.Errorf("activitypub: move: %w", err)
		}
		if err := f.cfg.Store.RemoveFollower(ctx, fl.ActorID, oldID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("activitypub: move: %w", err)
		}
		f.audit(ctx, store.AuditEntry{Actor: oldID, Action: "move", Object: fl.ActorID, Detail: newID})
		if h := f.cfg.Inbox.OnMove; h != nil {
			h(ctx, fl.ActorID, oldID, newID)
		}
	}
	return nil
}

// moveCandidates lists the site actors whose follower lists a Move may concern.
func (f *Federation) moveCandidates(ctx context.Context, act *vocab.Object) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(username string) {
		if id := f.urls.actor(username); username != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	add(inboxRequestOf(ctx).owner)
	for _, refs := range []vocab.Refs{act.To, act.Cc, act.Audience} {
		for _, id := range refs.IDs() {
			add(f.urls.username(id))
		}
	}
	if l, ok := f.cfg.Actors.(ActorLister); ok {
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

// ignore logs an activity fedsite does not act on and accepts it.
func (f *Federation) ignore(ctx context.Context, act *vocab.Object) error {
	f.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: activity ignored",
		slog.Any("type", []string(act.Type)), slog.String("id", act.ID), slog.String("actor", act.Actor.ID()))
	return nil
}

// Interactions lists the interactions of one kind that a published object (by its URL) received,
// newest first; cursor is "" for the first page or a previous page's Next. A limit below 1 is
// Config.PageSize.
func (f *Federation) Interactions(ctx context.Context, objectURL string, kind store.InteractionKind, cursor string, limit int) (store.Page[Interaction], error) {
	if limit < 1 {
		limit = f.cfg.PageSize
	}
	p, err := f.cfg.Store.InteractionsPage(ctx, objectURL, kind, cursor, limit)
	if err != nil {
		return store.Page[Interaction]{}, fmt.Errorf("activitypub: interactions of %s: %w", objectURL, err)
	}
	out := store.Page[Interaction]{Next: p.Next, Items: make([]Interaction, 0, len(p.Items))}
	for _, i := range p.Items {
		var r *Reply
		if i.Kind == store.InteractionReply {
			if r, err = replyOf(i); err != nil {
				return store.Page[Interaction]{}, err
			}
			if r.Author, err = f.author(ctx, r.AuthorID); err != nil {
				return store.Page[Interaction]{}, err
			}
		}
		out.Items = append(out.Items, interactionOf(i, r))
	}
	return out, nil
}

// Counts returns how many likes, announces and replies a published object (by its URL) received.
func (f *Federation) Counts(ctx context.Context, objectURL string) (Counts, error) {
	m, err := store.CountInteractions(ctx, f.cfg.Store, objectURL)
	if err != nil {
		return Counts{}, fmt.Errorf("activitypub: counts of %s: %w", objectURL, err)
	}
	return Counts{Likes: m[store.InteractionLike], Announces: m[store.InteractionAnnounce], Replies: m[store.InteractionReply]}, nil
}
