package activitypub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/store"
)

// Announce has the site actor with that username boost an article published by fedsite, such as
// the organization's actor boosting an author's article, so that the actor's followers see it
// without following the author. The Announce is addressed to the public and the actor's
// followers, with the article's author in cc, appended to the actor's outbox and queued to every
// follower, like Publish. objectURL is the article's URL as published. It returns an error matching
// ErrNotFound when the actor is unknown or the article was not published by fedsite (or deleted),
// and one matching ErrAlreadyPublished when the actor announced it before.
func (f *Federation) Announce(ctx context.Context, username, objectURL string) error {
	if err := f.authorize(ctx, ActionAnnounce, username, objectURL); err != nil {
		return err
	}
	return f.out.announce(ctx, username, objectURL)
}

// announce is the work of Announce, once the call is authorized.
func (p *publisher) announce(ctx context.Context, username, objectURL string) error {
	announce, err := p.storeAnnounce(ctx, username, objectURL, p.now())
	if err != nil {
		return err
	}
	if err := p.sender.enqueue(ctx, announce, delivery.Activity{ID: announce.ID, ObjectID: objectURL, ActorID: announce.ActorID}); err != nil {
		return fmt.Errorf("activitypub: announce %s: %w", objectURL, err)
	}
	return nil
}

// BackfillAnnounces is [Federation.Backfill] for boosts: it appends an Announce of each article
// (published by fedsite, in the order given, each dated at the article's publication) to the
// actor's outbox without delivering it, so that an organization whose articles are published by
// their authors shows them on its own profile too. Articles the actor announced before are
// skipped; an unknown actor or article gives an error matching ErrNotFound.
func (f *Federation) BackfillAnnounces(ctx context.Context, username string, objectURLs []string) error {
	if err := f.authorize(ctx, ActionAnnounce, username, ""); err != nil {
		return err
	}
	return f.out.backfillAnnounces(ctx, username, objectURLs)
}

// backfillAnnounces is the work of BackfillAnnounces, once the call is authorized.
func (p *publisher) backfillAnnounces(ctx context.Context, username string, objectURLs []string) error {
	for _, u := range objectURLs {
		o, err := p.objects.Object(ctx, u)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				err = ErrNotFound
			}
			return fmt.Errorf("activitypub: backfill announce %s: %w", u, err)
		}
		_, err = p.storeAnnounce(ctx, username, u, o.Published)
		if err != nil && !errors.Is(err, ErrAlreadyPublished) {
			return err
		}
	}
	return nil
}

// storeAnnounce checks and stores the actor's Announce of objectURL, dated at, in its outbox, and
// returns it as stored.
func (p *publisher) storeAnnounce(ctx context.Context, username, objectURL string, at time.Time) (store.Object, error) {
	actor, err := p.actors.lookup(ctx, username)
	if err != nil {
		return store.Object{}, err
	}
	o, err := p.objects.Object(ctx, objectURL)
	switch {
	case err != nil: // ErrNotFound when nothing was published there
		return store.Object{}, fmt.Errorf("activitypub: announce %s: %w", objectURL, err)
	case !o.Deleted.IsZero() || !announceable[o.Type] || p.urls.username(o.ActorID) == "" || p.urls.isNote(objectURL):
		// An answer to a reader (Federation.Answer) is not an article: it may be private.
		return store.Object{}, fmt.Errorf("activitypub: announce %s: not a published article: %w", objectURL, ErrNotFound)
	}
	actorID := p.urls.actor(actor.Username)
	// The id derives from actor and object, so a second Announce of the same article conflicts in
	// the outbox instead of boosting twice.
	sum := sha256.Sum256([]byte(actorID + "\n" + objectURL))
	announce := &vocab.Object{
		Context:   vocab.ContextActivityStreams,
		ID:        p.urls.activity("announce-" + hex.EncodeToString(sum[:16])),
		Type:      vocab.Types{"Announce"},
		Actor:     vocab.Ref{IRI: actorID},
		Object:    vocab.Ref{IRI: objectURL},
		Published: at.UTC(),
	}
	announce.To, announce.Cc = publicAddressing(p.urls.followers(actorID))
	if o.ActorID != actorID {
		announce.Cc = append(announce.Cc, vocab.Ref{IRI: o.ActorID})
	}
	doc, err := p.sender.encode(ctx, announce, actorID)
	if err != nil {
		return store.Object{}, fmt.Errorf("activitypub: announce %s: %w", objectURL, err)
	}
	sent := store.Object{ID: announce.ID, ActorID: actorID, Type: "Announce", Document: doc, Published: at, ObjectID: objectURL}
	err = p.outbox.AppendOutbox(ctx, sent)
	if errors.Is(err, store.ErrConflict) {
		// The store also refuses a boost of an article deleted since the check above.
		if o, err := p.objects.Object(ctx, objectURL); err == nil && !o.Deleted.IsZero() {
			return store.Object{}, fmt.Errorf("activitypub: announce %s: deleted: %w", objectURL, ErrNotFound)
		}
		return store.Object{}, fmt.Errorf("activitypub: announce %s: %w", objectURL, ErrAlreadyPublished)
	}
	if err != nil {
		return store.Object{}, fmt.Errorf("activitypub: announce %s: %w", objectURL, err)
	}
	p.audit.record(ctx, store.AuditEntry{Actor: actorID, Action: "announce", Object: objectURL, Detail: announce.ID})
	return sent, nil
}

// announceable are the stored object types Announce boosts: the renderings of articles.
var announceable = map[string]bool{"Article": true, "Note": true, "Page": true}
