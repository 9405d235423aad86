package activitypub

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Edits and deletes (INTEROP §1.9, §1.10). The Update and Delete activities are stored as objects,
// so that their ids dereference, but not appended to the outbox: the outbox lists the actor's
// live posts and boosts, and Mastodon shows its totalItems as the post count.

// Update federates an edit of an article published before with [Federation.Publish]: it renders
// the full object again under the same id, keeps its published date, stamps updated (Config.Now,
// or one second past the previous published/updated when the clock is not later, so it always
// increases), stores it and queues an Update carrying the whole object to everyone who may show
// the article: every follower of the actor and every other inbox an activity about the article
// was queued for, such as the followers of a site actor that boosted it with
// [Federation.Announce] (see [Federation.Delete]), and the authorizations of quotes that the
// article's QuotePolicy no longer allows are revoked (see [Federation.SetQuotePolicy]). It returns
// once that is stored. An article
// never published, or deleted, gives an error matching ErrNotFound and nothing is sent: an edit
// never federates a post for the first time. An article fedsite cannot publish gives an
// *InvalidError. a.Published is ignored.
func (f *Federation) Update(ctx context.Context, username string, a Article) error {
	actor, err := f.actAs(ctx, ActionUpdate, username, a.URL)
	if err != nil {
		return err
	}
	return f.out.update(ctx, actor, a)
}

// update is the work of Update, once the call is authorized.
func (p *publisher) update(ctx context.Context, actor *Actor, a Article) error {
	if err := checkArticle(p.urls, a); err != nil {
		return err
	}
	actorID := p.urls.actor(actor.Username)
	stored, prev, err := p.ownObject(ctx, actorID, a.URL)
	if err != nil {
		return fmt.Errorf("activitypub: update %s: %w", a.URL, err)
	}
	a.Published = prev.Published
	if a.Published.IsZero() {
		a.Published = stored.Published
	}
	obj := p.render.article(actor, a)
	obj.Updated = nextUpdated(prev.Published, prev.Updated, p.now())
	if err := p.federateEdit(ctx, actorID, stored, obj); err != nil {
		return fmt.Errorf("activitypub: update %s: %w", a.URL, err)
	}
	if err := p.revokeQuotes(ctx, actorID, a.URL, effectiveQuotePolicy(actor, a.QuotePolicy)); err != nil {
		return fmt.Errorf("activitypub: update %s: %w", a.URL, err)
	}
	return nil
}

// federateEdit stores obj, the new version of the stored article with its updated date set,
// with the Update that carries it, and queues that Update to everyone who may show the article.
func (p *publisher) federateEdit(ctx context.Context, actorID string, stored store.Object, obj *vocab.Object) error {
	update := p.carrying("Update", actorID, obj.Updated, obj)
	objDoc, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	updateDoc, err := p.sender.encode(ctx, update, actorID)
	if err != nil {
		return err
	}
	// The activity first: if storing the object fails, nothing refers to the stored activity.
	sent := store.Object{ID: update.ID, ActorID: actorID, Type: "Update", Document: updateDoc, Published: obj.Updated, ObjectID: obj.ID}
	if err := p.objects.PutObject(ctx, sent); err != nil {
		return err
	}
	if err := p.objects.PutObject(ctx, store.Object{
		ID: obj.ID, ActorID: actorID, Type: obj.Type.First(), Document: objDoc, Published: stored.Published,
	}); err != nil {
		return err
	}
	p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "update", Object: obj.ID, Detail: update.ID})
	return p.sender.toAudience(ctx, sent, obj.ID)
}

// Delete federates the deletion of an article published before: it queues a Delete carrying a
// Tombstone (id, formerType, deleted) to every follower of the actor and to every other inbox the
// article's activities were ever queued for (a server that received the Create but no longer
// follows, or that follows only a site actor that boosted the article, still shows the post),
// then turns the stored object into a tombstone, so that its URL answers AS2 requests with 410
// Gone and a Tombstone body, and takes its Create and every boost of it out of the outboxes, whose
// totalItems count live posts only, as on Mastodon; every quote authorization of the article is
// revoked, with a Delete of it sent to the quoting actor. The site's HTML page is the site's: it
// should answer 410 or 404 too. The article URL may never be published again. An article never
// published, or already deleted, gives an error matching ErrNotFound; if Delete fails after
// queueing, calling it again sends the Delete again, which receivers take as a no-op.
//
// Finding the former recipients, for Delete and Update alike, reads the article's delivery
// records and the actor's follower inboxes; the memory it takes grows with the number of inboxes
// the article was delivered to.
func (f *Federation) Delete(ctx context.Context, username, articleURL string) error {
	actor, err := f.actAs(ctx, ActionDelete, username, articleURL)
	if err != nil {
		return err
	}
	return f.out.delete(ctx, actor, articleURL)
}

// delete is the work of Delete, once the call is authorized.
func (p *publisher) delete(ctx context.Context, actor *Actor, articleURL string) error {
	if !p.urls.local(articleURL) || p.urls.inRoutes(articleURL) {
		return fmt.Errorf("activitypub: delete %s: %w", articleURL, ErrNotFound)
	}
	actorID := p.urls.actor(actor.Username)
	stored, _, err := p.ownObject(ctx, actorID, articleURL)
	if err != nil {
		return fmt.Errorf("activitypub: delete %s: %w", articleURL, err)
	}
	now := p.now().UTC()
	to, cc := publicAddressing(p.urls.followers(actorID))
	del, err := p.storeDelete(ctx, actorID, stored, to, cc, now)
	if err != nil {
		return fmt.Errorf("activitypub: delete %s: %w", articleURL, err)
	}
	if err := p.sender.toAudience(ctx, del, articleURL); err != nil {
		return fmt.Errorf("activitypub: delete %s: %w", articleURL, err)
	}
	// No quote of a deleted article is authorized any more.
	if err := p.revokeQuotes(ctx, actorID, articleURL, QuoteNobody); err != nil {
		return fmt.Errorf("activitypub: delete %s: %w", articleURL, err)
	}
	if err := p.objects.DeleteObject(ctx, articleURL, now); err != nil {
		return fmt.Errorf("activitypub: delete %s: %w", articleURL, err)
	}
	p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "delete", Object: articleURL, Detail: del.ID})
	return nil
}

// storeDelete stores, by actorID, the Delete of the stored object, addressed to and cc, that
// carries its Tombstone deleted at now, and returns the Delete as stored.
func (p *publisher) storeDelete(ctx context.Context, actorID string, stored store.Object, to, cc vocab.Refs, now time.Time) (store.Object, error) {
	del := &vocab.Object{
		Context:   vocab.ContextActivityStreams,
		ID:        p.urls.activity(newID()),
		Type:      vocab.Types{"Delete"},
		Actor:     vocab.Ref{IRI: actorID},
		Published: now.Truncate(time.Second),
		To:        to,
		Cc:        cc,
	}
	ts := tombstone(store.Object{ID: stored.ID, Type: stored.Type, Deleted: now})
	ts.Context = nil
	del.Object = vocab.Ref{Object: ts}
	doc, err := p.sender.encode(ctx, del, actorID)
	if err != nil {
		return store.Object{}, err
	}
	sent := store.Object{ID: del.ID, ActorID: actorID, Type: "Delete", Document: doc, Published: now}
	if err := p.objects.PutObject(ctx, sent); err != nil {
		return store.Object{}, err
	}
	return sent, nil
}

// DeleteActor federates the deletion of one of the site's actors: it queues Delete{object: the
// actor id}, to the public and the actor's followers, to every follower inbox, signed with the
// actor's key, and from then on the actor URL and its WebFinger answer 410 Gone, the actor URL with
// a Tombstone, even while the ActorSource still returns it; its inbox and collections answer 404
// and publishing as it gives an error matching ErrNotFound. Mastodon verifies an actor's Delete
// with the key it cached (INTEROP §1.9) and, on the 410s, removes the account. The
// site should stop publishing as the actor: its name can never be used again. Deleting an actor
// twice gives an error matching ErrNotFound.
func (f *Federation) DeleteActor(ctx context.Context, username string) error {
	actor, err := f.actAs(ctx, ActionDeleteActor, username, "")
	if err != nil {
		return err
	}
	return f.out.deleteActor(ctx, actor)
}

// deleteActor is the work of DeleteActor, once the call is authorized.
func (p *publisher) deleteActor(ctx context.Context, actor *Actor) error {
	actorID := p.urls.actor(actor.Username)
	if gone, err := p.actors.gone(ctx, actorID); err != nil {
		return fmt.Errorf("activitypub: delete actor %s: %w", actorID, err)
	} else if gone {
		return fmt.Errorf("activitypub: delete actor %s: %w", actorID, ErrNotFound)
	}
	// Make the key now, so that the Delete is signed with the key servers cached.
	if _, err := p.keys.actorKey(ctx, actorID); err != nil {
		return fmt.Errorf("activitypub: delete actor %s: %w", actorID, err)
	}
	now := p.now().UTC()
	del := &vocab.Object{
		Context:   vocab.ContextActivityStreams,
		ID:        p.urls.activity(newID()),
		Type:      vocab.Types{"Delete"},
		Actor:     vocab.Ref{IRI: actorID},
		Object:    vocab.Ref{IRI: actorID},
		Published: now.Truncate(time.Second),
	}
	del.To, del.Cc = publicAddressing(p.urls.followers(actorID))
	if err := p.sender.send(ctx, del, actorID, actorID, ""); err != nil {
		return fmt.Errorf("activitypub: delete actor %s: %w", actorID, err)
	}
	// The tombstone record: the actor document stored under the actor id, then deleted.
	typ := actor.Type
	if typ == "" {
		typ = "Person"
	}
	actorDoc, err := json.Marshal(&vocab.Object{Context: vocab.ContextActivityStreams, ID: actorID, Type: vocab.Types{typ}})
	if err != nil {
		return fmt.Errorf("activitypub: delete actor %s: %w", actorID, err)
	}
	err = p.objects.PutObject(ctx, store.Object{ID: actorID, ActorID: actorID, Type: typ, Document: actorDoc, Published: now})
	if err == nil {
		err = p.objects.DeleteObject(ctx, actorID, now)
	}
	if err != nil {
		return fmt.Errorf("activitypub: delete actor %s: %w", actorID, err)
	}
	p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "delete actor", Object: actorID, Detail: del.ID})
	return nil
}

// ownObject returns the stored, not deleted object with that id published by actorID, decoded;
// ErrNotFound otherwise.
func (p *publisher) ownObject(ctx context.Context, actorID, id string) (store.Object, *vocab.Object, error) {
	o, err := p.objects.Object(ctx, id)
	if err != nil { // ErrNotFound when it was never published
		return o, nil, err
	}
	if !o.Deleted.IsZero() {
		return o, nil, fmt.Errorf("deleted: %w", ErrNotFound)
	}
	if o.ActorID != actorID {
		return o, nil, fmt.Errorf("published by another actor: %w", ErrNotFound)
	}
	v, err := vocab.Decode(o.Document)
	if err != nil {
		return o, nil, fmt.Errorf("stored document: %w", err)
	}
	return o, v, nil
}
