package activitypub

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Replies and mentions: a Create of a post that answers one of the site's objects, or that
// mentions or addresses site actors.

// create keeps a reply to one of the site's objects or to a post in its conversation (see
// threadOf), or else a post that quotes one (see quote), or else a post that mentions or addresses
// site actors. A reply or a quote that mentions a site actor too is kept as a reply or a quote
// only, and only OnReply is called for a reply: Mastodon mentions the author of the post one
// answers. A post kept already came again under another activity id and is ignored, as Mastodon
// ignores a Create of a status it has: edits come as Update; but a quote kept when its
// QuoteRequest was accepted gets what the Create carries.
func (in *inbox) create(ctx context.Context, req *inboxRequest) error {
	act := req.act
	obj := act.Object.Object
	if !isPost(obj) {
		return in.ignore(ctx, act)
	}
	if known, err := in.interactions.Interaction(ctx, obj.ID); err == nil {
		if known.Kind == store.InteractionQuote && known.ActorID == act.Actor.ID() {
			_, err := in.quote(ctx, req, obj, false)
			return err
		}
		return in.ignore(ctx, act)
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("activitypub: create: %w", err)
	}
	if isNote(obj) && obj.InReplyTo.ID() != "" {
		target, ancestors, err := in.threadOf(ctx, obj.InReplyTo.ID())
		if err != nil && !errors.Is(err, errNoThread) {
			return err
		}
		if err == nil {
			if err := in.keepAncestors(ctx, target, ancestors); err != nil {
				return err
			}
			return in.keepReply(ctx, req, act.Actor.ID(), obj, target, false)
		}
	}
	if quoted, err := in.quote(ctx, req, obj, false); quoted || err != nil {
		return err
	}
	actors, err := in.mentioned(ctx, act, obj)
	if err != nil {
		return err
	}
	if len(actors) == 0 {
		return in.ignore(ctx, act)
	}
	return in.keepMention(ctx, req, obj, actors, in.now(), false)
}

// ours reports whether id is an object the site published and has not deleted.
func (in *inbox) ours(ctx context.Context, id string) (bool, error) {
	_, ok, err := in.own(ctx, id)
	return ok, err
}

// own returns the object id when the site published it and has not deleted it; ok is false
// otherwise.
func (in *inbox) own(ctx context.Context, id string) (o store.Object, ok bool, err error) {
	if id == "" || !in.urls.local(id) {
		return store.Object{}, false, nil
	}
	o, err = in.objects.Object(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Object{}, false, nil
	}
	if err != nil {
		return store.Object{}, false, fmt.Errorf("activitypub: object %s: %w", id, err)
	}
	return o, o.Deleted.IsZero(), nil
}

// editedAt is when an edited post was updated, as it says or else now; zero when it is not an
// edit.
func (in *inbox) editedAt(obj *vocab.Object, edited bool) time.Time {
	switch {
	case !edited:
		return time.Time{}
	case obj.Updated.IsZero():
		return in.now()
	}
	return obj.Updated
}

// keepReply stores a reply (new or edited) in the conversation of the site's object target, under
// the post it answers, and calls OnReply.
func (in *inbox) keepReply(ctx context.Context, req *inboxRequest, author string, obj *vocab.Object, target string, edited bool) error {
	if err := checkPost(obj, author); err != nil {
		return err
	}
	r := postOf(obj, author, in.editedAt(obj, edited))
	r.InReplyTo, r.Parent = target, cmp.Or(obj.InReplyTo.ID(), target)
	kept := replyDocument(r)
	// What an answer to the reply needs (see Federation.Answer): whether it was public, and its
	// conversation.
	kept.To, kept.Cc = keptAddressing(audience(req.act, obj))
	if c := conversation(obj); c != "" {
		kept.Extra = map[string]json.RawMessage{"context": mustJSON(c)}
	}
	doc, err := json.Marshal(kept)
	if err != nil {
		return fmt.Errorf("activitypub: reply %s: %w", obj.ID, err)
	}
	// A reply is never dropped: added is true whenever err is nil.
	if _, err := in.interactions.AddInteraction(ctx, store.Interaction{ID: r.ID, Kind: store.InteractionReply,
		ObjectID: target, ActorID: author, Document: doc, CreatedAt: in.now()}); err != nil {
		return fmt.Errorf("activitypub: keep reply %s: %w", r.ID, err)
	}
	// Keep the author's actor document for Reply.Author: mostly the one the signature check just
	// fetched, else fetched once per Config.RemoteActorTTL. The reply is kept without it.
	if _, err := in.remoteActor(ctx, req, author); err != nil {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: reply author not cached", slog.String("actor", author), slog.Any("err", err))
	}
	if h := in.hooks.OnReply; h != nil {
		if r.Author, err = lookupAuthor(ctx, in.log, in.actorCache, author); err != nil {
			return err
		}
		h(ctx, r)
	} else {
		in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: reply", slog.String("id", r.ID), slog.String("object", target))
	}
	return nil
}

// postOf is a remote post by author as the site shows it, a reply or a quote: its content
// sanitized, and sensitive when it is marked so or has a content warning.
func postOf(obj *vocab.Object, author string, updated time.Time) Reply {
	return Reply{ID: obj.ID, AuthorID: author, URL: postURL(obj), Content: sanitize(obj.Content),
		Summary: obj.Summary, Sensitive: obj.Sensitive || obj.Summary != "", Published: obj.Published, Updated: updated}
}

// mentioned returns the site actors a post mentions (a Mention tag) or addresses (see audience),
// each once, in the order they appear there; IRIs of actors the site does not have are left out.
func (in *inbox) mentioned(ctx context.Context, act, obj *vocab.Object) ([]string, error) {
	var out []string
	add := func(iri string) error {
		username := in.urls.username(iri)
		if username == "" || slices.Contains(out, in.urls.actor(username)) {
			return nil
		}
		if _, err := in.actors.lookup(ctx, username); errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		out = append(out, in.urls.actor(username))
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
func (in *inbox) visibility(ctx context.Context, req *inboxRequest, obj *vocab.Object) (Visibility, error) {
	act := req.act
	to, cc := audience(act, obj)
	switch {
	case to.HasPublic():
		return VisibilityPublic, nil
	case cc.HasPublic():
		return VisibilityUnlisted, nil
	}
	author, err := in.remoteActor(ctx, req, act.Actor.ID())
	if err != nil {
		return "", err
	}
	if doc, err := vocab.Decode(author.Document); err == nil && doc.Followers != "" &&
		(to.Has(doc.Followers) || cc.Has(doc.Followers)) {
		return VisibilityFollowers, nil
	}
	return VisibilityDirect, nil
}

// keepMention stores a post of req's actor that mentions or addresses the site actors actors (new, or edited
// when edited is set) under each of them, and calls OnMention for each. received is when it was
// first kept.
func (in *inbox) keepMention(ctx context.Context, req *inboxRequest, obj *vocab.Object, actors []string, received time.Time, edited bool) error {
	author := req.act.Actor.ID()
	if err := checkPost(obj, author); err != nil {
		return err
	}
	vis, err := in.visibility(ctx, req, obj)
	if err != nil {
		return err
	}
	rec := mentionRecord{ID: obj.ID, URL: postURL(obj), Content: sanitize(obj.Content), Summary: obj.Summary,
		Sensitive: obj.Sensitive, Visibility: vis, InReplyTo: obj.InReplyTo.ID(), Context: conversation(obj),
		Published: obj.Published, Updated: in.editedAt(obj, edited)}
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
		if _, err := in.interactions.AddInteraction(ctx, store.Interaction{ID: mentionKey(obj.ID, actor, n == 0),
			Kind: store.InteractionMention, ObjectID: actor, ActorID: author, Document: doc, CreatedAt: received}); err != nil {
			return fmt.Errorf("activitypub: keep mention %s of %s: %w", obj.ID, actor, err)
		}
	}
	for _, actor := range actors {
		if h := in.hooks.OnMention; h != nil {
			m := rec.mention(actor, author, received)
			if m.Author, err = lookupAuthor(ctx, in.log, in.actorCache, author); err != nil {
				return err
			}
			h(ctx, m)
		} else {
			in.log.LogAttrs(ctx, slog.LevelDebug, "activitypub: mention", slog.String("id", obj.ID),
				slog.String("object", actor), slog.String("visibility", string(vis)))
		}
	}
	return nil
}

// isNote reports whether an object is something a reply can be.
func isNote(o *vocab.Object) bool {
	return o != nil && (o.Type.Has("Note") || o.Type.Has("Article") || o.Type.Has("Page") || o.Type.Has("Question"))
}

// isPost reports whether an object is a post that may mention a site actor: what a reply can be,
// or a ChatMessage (Lemmy's direct messages).
func isPost(o *vocab.Object) bool {
	return isNote(o) || (o != nil && o.Type.Has("ChatMessage"))
}

// checkPost checks that a post sent by author has an id and is attributed to author, if to
// anyone.
func checkPost(obj *vocab.Object, author string) error {
	if obj.ID == "" {
		return invalid("object", "a post needs an id")
	}
	if len(obj.AttributedTo) > 0 && !obj.AttributedTo.Has(author) {
		return fmt.Errorf("activitypub: post %s attributed to %v sent by %s: %w", obj.ID, obj.AttributedTo.IDs(), author, errNotPermitted)
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

// replyDocument is the reply as kept in the store: a Note with the sanitized content.
func replyDocument(r Reply) *vocab.Object {
	o := &vocab.Object{ID: r.ID, Type: vocab.Types{"Note"}, AttributedTo: vocab.Refs{{IRI: r.AuthorID}},
		InReplyTo: vocab.Ref{IRI: cmp.Or(r.Parent, r.InReplyTo)}, Content: r.Content, Summary: r.Summary, Sensitive: r.Sensitive,
		Published: r.Published, Updated: r.Updated}
	if r.URL != r.ID {
		o.URL = vocab.Refs{{IRI: r.URL}}
	}
	return o
}

// keptAddressing is the addressing a kept reply keeps of to and cc: the public collection where
// it was, which tells public, unlisted and private (followers-only or direct) apart.
func keptAddressing(to, cc vocab.Refs) (keptTo, keptCc vocab.Refs) {
	if to.HasPublic() {
		keptTo = vocab.Refs{{IRI: vocab.PublicIRI}}
	}
	if cc.HasPublic() {
		keptCc = vocab.Refs{{IRI: vocab.PublicIRI}}
	}
	return keptTo, keptCc
}

// conversation is a post's FEP-7888 context: its context IRI (or the id of a context object),
// "" for none.
func conversation(obj *vocab.Object) string {
	var v any
	if ok, err := obj.DecodeExtra("context", &v); !ok || err != nil {
		return ""
	}
	var id string
	switch c := v.(type) {
	case string:
		id = c
	case map[string]any:
		id, _ = c["id"].(string)
	}
	if !absHTTP(id) {
		return ""
	}
	return id
}

// audience returns a post's addressing: its own to and cc, or, when it has neither, those of the
// activity that carries it.
func audience(act, obj *vocab.Object) (to, cc vocab.Refs) {
	if len(obj.To) == 0 && len(obj.Cc) == 0 {
		return act.To, act.Cc
	}
	return obj.To, obj.Cc
}
