package activitypub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/activitypub/vocab"
	"github.com/fedsite/fedsite/signing"
	"github.com/fedsite/fedsite/store"
)

// inboxPageSize is how many follower inboxes Update and Delete read per store call while they
// look for the inboxes that received an object but do not follow the actor.
const inboxPageSize = 500

// sender queues what the site's actors send for delivery by the durable engine of package
// delivery, over Config.DeliveryStore: Publish enqueues one fan-out job and returns, and Run's
// workers expand and send it. It holds only the parts of the store it uses: the objects, to
// store an activity so that its id dereferences, and the follower inboxes and delivery records,
// to find who received an object before. It is safe for concurrent use.
type sender struct {
	engine     *delivery.Engine
	now        func() time.Time
	keys       *keyring
	omitProofs bool
	objects    store.Objects
	followers  store.Followers
	deliveries store.Deliveries
	record     recorder
}

// newSender builds the sender of cfg's site, whose deliveries keys signs and rec records.
func newSender(cfg Config, keys *keyring, rec recorder) (*sender, error) {
	e, err := delivery.New(delivery.Config{
		Store:     cfg.DeliveryStore,
		Inboxes:   cfg.Store,
		Documents: cfg.Store,
		Followers: cfg.Store,
		OnGone:    delivery.GoneFunc(cfg.OnFollowersGone),
		Blocks:    cfg.Store,
		Keys:      keys.signingKey,
		Client:    cfg.Client,
		UserAgent: cfg.UserAgent,
		Logger:    cfg.Logger.With("component", "delivery"),
		Options:   cfg.Delivery,
		Now:       cfg.Now,

		MeterProvider:  cfg.Telemetry.MeterProvider,
		TracerProvider: cfg.Telemetry.TracerProvider,
	})
	if err != nil {
		return nil, fmt.Errorf("activitypub: delivery: %w", err)
	}
	return &sender{engine: e, now: cfg.Now, keys: keys, omitProofs: cfg.Publishing.OmitProofs,
		objects: cfg.Store, followers: cfg.Store, deliveries: cfg.DeliveryStore, record: rec}, nil
}

// encode returns the JSON of an activity that the site actor actorID sends, as it is stored and
// delivered: with an FEP-8b32 proof (eddsa-jcs-2022) by the actor's Ed25519 key, the one its
// document publishes as a Multikey, unless Config.Publishing.OmitProofs is set. The proof is made
// here, once per activity: the delivery engine sends the stored bytes to every inbox, and a GET of
// the activity's id serves them too.
func (s *sender) encode(ctx context.Context, act *vocab.Object, actorID string) ([]byte, error) {
	if s.omitProofs {
		return json.Marshal(act)
	}
	signed := *act
	c, err := withDataIntegrity(act.Context)
	if err != nil {
		return nil, err
	}
	signed.Context = c
	doc, err := json.Marshal(&signed)
	if err != nil {
		return nil, err
	}
	k, err := s.keys.actorKey(ctx, actorID)
	if err != nil {
		return nil, err
	}
	return signing.AddProof(doc, k.ed, signing.ProofOptions{Created: s.now()})
}

// withDataIntegrity returns the @context c with the data integrity context appended, which
// defines "proof" for the JSON-LD processors that read it (Fedify expands every activity).
func withDataIntegrity(c any) (json.RawMessage, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("activitypub: @context: %w", err)
	}
	var list []json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("activitypub: @context: %w", err)
		}
	} else {
		list = []json.RawMessage{raw}
	}
	di := json.RawMessage(`"` + signing.ContextDataIntegrity + `"`)
	for _, e := range list {
		if bytes.Equal(e, di) {
			return raw, nil
		}
	}
	return json.Marshal(append(list, di))
}

// enqueue records sent, a stored activity the site's actors send, in the record of activities
// and queues acts, the deliveries of sent, all or none (see delivery.Engine.Enqueue). Nothing is
// queued unless recorded first; with no deliveries nothing is sent, and nothing is recorded.
func (s *sender) enqueue(ctx context.Context, sent store.Object, acts ...delivery.Activity) error {
	if len(acts) > 0 {
		if err := s.record.sent(ctx, sent); err != nil {
			return err
		}
	}
	return s.engine.Enqueue(ctx, acts...)
}

// send stores an activity the site sends so that its id can be dereferenced, and queues its
// delivery about objectID: to inbox (an Accept, say), or with inbox empty to every follower.
func (s *sender) send(ctx context.Context, act *vocab.Object, actorID, objectID, inbox string) error {
	doc, err := s.encode(ctx, act, actorID)
	if err != nil {
		return fmt.Errorf("activitypub: send %s: %w", act.Type, err)
	}
	o := store.Object{ID: act.ID, ActorID: actorID, Type: act.Type[0], Document: doc, Published: s.now()}
	if err := s.objects.PutObject(ctx, o); err != nil {
		return fmt.Errorf("activitypub: send %s: %w", act.Type, err)
	}
	if err := s.enqueue(ctx, o, delivery.Activity{ID: act.ID, ObjectID: objectID, ActorID: actorID, Inbox: inbox}); err != nil {
		return fmt.Errorf("activitypub: send %s: %w", act.Type, err)
	}
	return nil
}

// toAudience queues sent, a stored Update or Delete of the article objectID that its actor
// published, to everyone who may show the article: a fan-out to the actor's followers, and one
// delivery to each other inbox that an activity about the article was ever queued for (a server
// that received the Create but no longer follows, or received only a boost of it from another
// site actor). Every delivery stays behind the article's earlier activities wherever they are
// still on their way, so that no inbox gets an edit before the article, nor the Delete before
// the article and then the article back. Its memory grows with the number of inboxes the
// article was delivered to.
func (s *sender) toAudience(ctx context.Context, sent store.Object, objectID string) error {
	former, earlier, err := s.formerInboxes(ctx, sent.ActorID, objectID)
	if err != nil {
		return err
	}
	acts := make([]delivery.Activity, 0, 1+len(former))
	acts = append(acts, delivery.Activity{ID: sent.ID, ObjectID: objectID, ActorID: sent.ActorID, Behind: earlier})
	for _, inbox := range former {
		acts = append(acts, delivery.Activity{ID: sent.ID, ObjectID: objectID, ActorID: sent.ActorID, Inbox: inbox, Behind: earlier})
	}
	return s.enqueue(ctx, sent, acts...)
}

// toRecipients queues sent, a stored Update or Delete of objectID, to every inbox an activity
// about objectID was queued for, and to no other: the audience of a private answer. Every
// delivery stays behind the earlier activities about objectID.
func (s *sender) toRecipients(ctx context.Context, sent store.Object, objectID string) error {
	set, earlier, err := s.deliveredTo(ctx, objectID)
	if err != nil {
		return err
	}
	inboxes := slices.Sorted(maps.Keys(set))
	acts := make([]delivery.Activity, 0, len(inboxes))
	for _, in := range inboxes {
		acts = append(acts, delivery.Activity{ID: sent.ID, ObjectID: objectID, ActorID: sent.ActorID, Inbox: in, Behind: earlier})
	}
	return s.enqueue(ctx, sent, acts...)
}

// formerInboxes lists, in byte order, the inboxes that deliveries about objectID were queued for
// and that are not a delivery inbox of the actor's followers, and the activities about objectID
// those deliveries were of.
func (s *sender) formerInboxes(ctx context.Context, actorID, objectID string) (inboxes, activities []string, err error) {
	set, activities, err := s.deliveredTo(ctx, objectID)
	if err != nil {
		return nil, nil, err
	}
	after := ""
	for len(set) > 0 {
		current, err := s.followers.DeliveryInboxes(ctx, actorID, after, inboxPageSize)
		if err != nil {
			return nil, nil, err
		}
		for _, in := range current {
			delete(set, in)
		}
		if len(current) < inboxPageSize {
			break
		}
		after = current[len(current)-1]
	}
	return slices.Sorted(maps.Keys(set)), activities, nil
}

// deliveredTo returns the set of inboxes that deliveries about objectID were queued for, and
// the activities about objectID those deliveries were of, in the order of their records.
func (s *sender) deliveredTo(ctx context.Context, objectID string) (inboxes map[string]bool, activities []string, err error) {
	inboxes = make(map[string]bool)
	cursor := ""
	for {
		p, err := s.deliveries.DeliveriesPage(ctx, objectID, cursor, inboxPageSize)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range p.Items {
			inboxes[r.Inbox] = true
			// The records come by activity, then inbox.
			if n := len(activities); n == 0 || activities[n-1] != r.ActivityID {
				activities = append(activities, r.ActivityID)
			}
		}
		if p.Next == "" {
			return inboxes, activities, nil
		}
		cursor = p.Next
	}
}
