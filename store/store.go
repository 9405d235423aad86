package store

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

var (
	// ErrNotFound reports that the thing asked for is not stored.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict reports that a write would break a uniqueness rule, such as creating a key pair
	// that exists or reusing the id of a deleted object.
	ErrConflict = errors.New("store: conflict")
	// ErrBadCursor reports that a listing was given a cursor the adapter did not issue, such as a
	// page parameter a client edited. Callers treat it as bad input rather than a server failure.
	ErrBadCursor = errors.New("store: bad cursor")
)

// Page is one page of a listing. Next is the cursor of the following page, empty on the last one.
type Page[T any] struct {
	Items []T
	Next  string
}

// Site is the site's own federation state: who follows its actors, what it published, what it
// received and whom it blocks. It is what an integrator implements to keep that state in the
// site's own database; [storetest.Run] proves it. Its contracts hold 33 methods in all.
//
// Counting (see [FollowerCounter], [OutboxCounter], [InteractionCounter]), summarizing followers
// ([FollowerSummarizer]) and the audit log ([Audit]) are optional capabilities: fedsite finds
// them by type assertion, through the helpers [CountFollowers], [CountOutbox],
// [CountInteractions], [SummarizeFollowers] and [AppendAudit], and falls back as each documents.
//
// [storetest.Run]: https://pkg.go.dev/github.com/fedsite/fedsite/store/storetest#Run
type Site interface {
	Followers
	Objects
	Outbox
	Seen
	ActorCache
	Keys
	Interactions
	FollowRequests
	Blocks
}

// Delivery is the delivery engine's state: the durable job queue, the per-inbox delivery
// records and the per-host circuit breaker state, with what operators see and do of them
// ([QueueAdmin]), in one backend, so that a job's ack and its
// record can be written together (see [BatchAcker]). It may live apart from the [Site] state:
// a site keeping its state in its own database runs delivery on SQLite, PostgreSQL or Redis
// (store/sqlstore, store/redisstore). [storetest.RunDelivery] proves it.
//
// [storetest.RunDelivery]: https://pkg.go.dev/github.com/fedsite/fedsite/store/storetest#RunDelivery
type Delivery interface {
	Queue
	Deliveries
	Hosts
	QueueAdmin
}

// Store is both aggregates, [Site] and [Delivery]: what an adapter that offers everything
// implements, as every adapter in fedsite (memstore, sqlstore, redisstore) does, and what a
// program wires in when one backend keeps it all. Code inside fedsite takes the narrowest part it
// uses, never Store.
type Store interface {
	Site
	Delivery
}

// Follower is a remote actor that follows one of the site's actors.
type Follower struct {
	// ActorID is the IRI of the local actor being followed.
	ActorID string
	// FollowerID is the IRI of the remote actor.
	FollowerID string
	// Inbox is the follower's personal inbox.
	Inbox string
	// SharedInbox is the follower server's shared inbox; empty when it has none.
	SharedInbox string
	// FollowID is the id of the Follow activity, so that an Undo naming it by IRI finds the follower.
	FollowID string
	// CreatedAt is when the follow was first recorded. Adapters set it when it is zero.
	CreatedAt time.Time
}

// DeliveryInbox is where activities for this follower are delivered: the shared inbox when the
// follower's server has one, else the personal inbox.
func (f Follower) DeliveryInbox() string {
	if f.SharedInbox != "" {
		return f.SharedInbox
	}
	return f.Inbox
}

// Followers keeps who follows the site's actors.
type Followers interface {
	// AddFollower records f. Adding a follower that exists updates its inboxes and FollowID and keeps
	// its CreatedAt and its place in the listing, so a repeated Follow is harmless.
	AddFollower(ctx context.Context, f Follower) error
	// RemoveFollower deletes the follower; it returns ErrNotFound when there was none.
	RemoveFollower(ctx context.Context, actorID, followerID string) error
	// Follower returns one follower, or ErrNotFound.
	Follower(ctx context.Context, actorID, followerID string) (Follower, error)
	// FollowerByFollowID returns the follower recorded with that Follow activity id, or ErrNotFound.
	FollowerByFollowID(ctx context.Context, followID string) (Follower, error)
	// FollowersPage lists an actor's followers, newest first, limit at most per page.
	FollowersPage(ctx context.Context, actorID, cursor string, limit int) (Page[Follower], error)
	// DeliveryInboxes lists the distinct delivery inboxes (see Follower.DeliveryInbox) of an actor's
	// followers in ascending byte order, starting after the inbox named by after ("" for the start),
	// at most limit of them. It never holds the whole follower list in memory, so a fan-out can
	// stream it and resume from the last inbox it handled.
	DeliveryInboxes(ctx context.Context, actorID, after string, limit int) ([]string, error)
	// RemoveFollowersByInbox removes every follower, of any local actor, whose DeliveryInbox is
	// inbox, all or nothing, and returns the removed followers in no particular order (none when
	// there were none, which is not an error). A delivery that an inbox answers with 404 or 410
	// uses it to prune the followers behind that inbox.
	RemoveFollowersByInbox(ctx context.Context, inbox string) ([]Follower, error)
}

// Object is an AS2 document the site published: an article's rendering or an activity.
type Object struct {
	// ID is the object's IRI; ids are permanent and never reused, even after deletion.
	ID string
	// ActorID is the local actor the object belongs to.
	ActorID string
	// Type is the AS2 type, such as "Article" or "Create".
	Type string
	// Document is the JSON document served for the id; nil once the object is deleted. Adapters
	// return the bytes exactly as they were stored, so no JSON re-encoding may change them.
	Document []byte
	// Published is when the object was first published.
	Published time.Time
	// Deleted is when the object was deleted; zero while it exists.
	Deleted time.Time
	// ObjectID is, for an activity, the id of the object it is about, such as the article a
	// Create carries or an Announce boosts; empty for other objects. An outbox activity leaves the
	// outbox when that object is deleted (see [Objects.DeleteObject]).
	ObjectID string
}

// Objects keeps the AS2 documents the site serves.
type Objects interface {
	// PutObject stores o, replacing the document of an object with the same id (an edit). Putting
	// an object whose id was deleted returns ErrConflict: a Tombstone blocks reuse.
	PutObject(ctx context.Context, o Object) error
	// Object returns the object, deleted ones included (with Deleted set), or ErrNotFound.
	Object(ctx context.Context, id string) (Object, error)
	// DeleteObject turns the object into a tombstone at the given time and takes the activities
	// about it (those appended with ObjectID id) out of every outbox, all or nothing; they stay
	// stored under their ids. Deleting a tombstone again keeps its first deletion time.
	// ErrNotFound when the object is unknown.
	DeleteObject(ctx context.Context, id string, at time.Time) error
}

// Outbox keeps the activities each local actor published, in order. An activity leaves its
// outbox when the object it is about (its ObjectID) is deleted, as a deleted post and the boosts
// of it leave a Mastodon profile, so the outbox lists, and counts, live posts only.
type Outbox interface {
	// AppendOutbox stores activity, appends it to the outbox of activity.ActorID and puts objects
	// (what the activity carries), all or nothing. An activity id that exists returns ErrConflict,
	// as do a carried object and an activity.ObjectID that name a deleted object.
	AppendOutbox(ctx context.Context, activity Object, objects ...Object) error
	// OutboxPage lists an actor's activities, newest first.
	OutboxPage(ctx context.Context, actorID, cursor string, limit int) (Page[Object], error)
}

// Seen de-duplicates incoming activities by id.
type Seen interface {
	// MarkSeen records id for ttl and reports whether it was not already recorded. Of several
	// concurrent calls with the same id exactly one reports true. After ttl the id may be seen anew.
	MarkSeen(ctx context.Context, id string, ttl time.Duration) (bool, error)
	// ForgetSeen removes id, so that an activity marked before its processing failed is processed
	// when the sender retries it. Forgetting an id that is not recorded is not an error.
	ForgetSeen(ctx context.Context, id string) error
}

// RemoteActor is what fedsite keeps of a remote actor it fetched.
type RemoteActor struct {
	ID          string
	Inbox       string
	SharedInbox string
	// Keys are the actor's public keys.
	Keys []RemoteKey
	// Document is the actor JSON as fetched.
	Document []byte
	// FetchedAt is when the document was fetched.
	FetchedAt time.Time
}

// RemoteKey is a public key published by a remote actor.
type RemoteKey struct {
	// ID is the key's IRI, the keyId signatures name.
	ID string
	// PublicKeyPEM is the key in PEM form.
	PublicKeyPEM string
}

// ActorCache keeps remote actors and their keys so inboxes and keys are not fetched per request.
type ActorCache interface {
	// PutRemoteActor stores a, replacing an earlier copy and its keys.
	PutRemoteActor(ctx context.Context, a RemoteActor) error
	// RemoteActor returns the cached actor, or ErrNotFound.
	RemoteActor(ctx context.Context, id string) (RemoteActor, error)
	// RemoteActorByKey returns the cached actor that published the key with this id, or ErrNotFound.
	RemoteActorByKey(ctx context.Context, keyID string) (RemoteActor, error)
}

// KeyPair is a local actor's private key.
type KeyPair struct {
	// ActorID is the local actor the key belongs to.
	ActorID string
	// Name tells an actor's keys apart, such as "main-key"; the key id is the actor id, '#', Name.
	Name string
	// PrivateKeyPEM is the private key in PEM form.
	PrivateKeyPEM []byte
	// CreatedAt is when the key was made.
	CreatedAt time.Time
}

// LogValue keeps the private key out of logs.
func (k KeyPair) LogValue() slog.Value {
	return slog.GroupValue(slog.String("actor", k.ActorID), slog.String("name", k.Name))
}

// Keys keeps the local actors' private keys.
type Keys interface {
	// KeyPair returns the actor's key of that name, or ErrNotFound.
	KeyPair(ctx context.Context, actorID, name string) (KeyPair, error)
	// CreateKeyPair stores a new key; ErrConflict when the actor already has a key of that name, so
	// that instances racing to create one agree on the stored key by reading it back.
	CreateKeyPair(ctx context.Context, k KeyPair) error
}

// AuditEntry records one thing that happened to the federation state, for operators.
type AuditEntry struct {
	// Time is when it happened. Adapters set it when it is zero.
	Time time.Time
	// Actor is the IRI of who caused it: a remote actor or a local one; "" for what the site
	// does as a whole, such as a block.
	Actor string
	// User is the site's own id for the person who asked for it (activitypub.WithUser); "" for
	// what remote servers and the site's background work did.
	User string
	// Action names what happened, such as "follow", "unfollow", "publish".
	Action string
	// Object is the IRI it happened to.
	Object string
	// Detail is free text.
	Detail string
}

// Audit is an append-only log of federation events, kept for operators. It is an optional
// capability of a [Site] store: fedsite writes to it through [AppendAudit], which keeps nothing
// when the store has no Audit.
type Audit interface {
	// AppendAudit adds e to the log.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// AuditPage lists entries, newest first.
	AuditPage(ctx context.Context, cursor string, limit int) (Page[AuditEntry], error)
}
