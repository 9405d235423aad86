package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fedsite/fedsite/activitypub/delivery"
	"github.com/fedsite/fedsite/store"
)

// A domain migration, the rebrand that keeps the audience: the site runs on its new BaseURL, one
// Federation answers both hosts (Config.FormerBaseURL), and each former actor sends its followers
// a Move to its new self, with the per-actor Move's machinery (move.go). The migration's state is
// one stored object, so that Run resumes it after a crash.

// migrationSuffix is appended to the former instance actor's id to name the stored record of a
// domain migration. The fragment keeps it off every served URL.
const migrationSuffix = "#migration"

// migrationJob prefixes the Move's id to make the id of its fan-out job.
const migrationJob = "migrate "

// movedSite is, for the server that answers a former origin, the site that moved from there.
type movedSite struct {
	urls     urlLayout
	acctHost string
}

// redirect answers a request for a page of the former origin with a permanent redirect to the
// same path and query on the new one, in HTML and AS2 alike. GET and HEAD get 301; other methods
// 308, which keeps the method and body. A lookup by URL (Mastodon's search: id not known) follows
// it and takes the id of the document found; a fetch by a known id does not accept a document
// whose id differs (Mastodon's JsonLdHelper#fetch_resource), which is why the former /ap/
// activities and notes are served under their own ids instead.
func (m *movedSite) redirect(w http.ResponseWriter, r *http.Request) {
	status := http.StatusPermanentRedirect
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		status = http.StatusMovedPermanently
	}
	w.Header().Set("Location", m.urls.requestURL(r.URL.RequestURI()))
	w.WriteHeader(status)
}

// migration is the domain migration of a site that moved from Config.FormerBaseURL: the site as
// it answers the former host, and the stored record of the migration, which MigrateDomain starts
// and advances and Run resumes. It holds the two URL layouts, the parts of the store the record
// and the counts live in, and the Move's machinery as functions. It is safe for concurrent use.
type migration struct {
	// from is the layout of the former origin, to the site's own.
	from, to urlLayout
	// formerSite answers the requests whose Host is the former host.
	formerSite *server
	// actors lists the actors to move (ActorLister).
	actors    ActorSource
	objects   store.Objects
	followers store.Followers
	// storeMove makes and stores a Move (see publisher.storeMove); enqueue records the stored
	// Move and queues its fan-out, and deliveredTo finds the Moves whose fan-out ran (see sender).
	storeMove   func(ctx context.Context, urls urlLayout, actorID, target string) (store.Object, error)
	enqueue     func(ctx context.Context, sent store.Object, acts ...delivery.Activity) error
	deliveredTo func(ctx context.Context, objectID string) (map[string]bool, []string, error)
	audit       auditLog
	log         *slog.Logger
	now         func() time.Time
	// mu is held while this process reads and advances the record, so that MigrateDomain and
	// Run's resumption never work on it at once.
	mu sync.Mutex
}

// newMigration builds the migration of f, the site of cfg, when cfg.FormerBaseURL is set (nil
// otherwise): a Federation at the former origin over the same store, keys and actors, whose
// server redirects the pages to f's origin and resolves the former handles to f's actors. f's own
// server then lists the former ids in alsoKnownAs. Only f's Run delivers: what the former site
// queues, such as the Reject of a Follow of an actor that moved, goes into the same DeliveryStore.
func newMigration(cfg Config, f *Federation) (*migration, error) {
	if cfg.FormerBaseURL == "" {
		return nil, nil
	}
	urls, err := newURLLayout(cfg.FormerBaseURL)
	if err != nil {
		return nil, invalid("Config.FormerBaseURL", "%v", err)
	}
	if urls.host() == f.urls.host() {
		return nil, invalid("Config.FormerBaseURL", "%q is on the host of BaseURL", cfg.FormerBaseURL)
	}
	old := cfg
	old.BaseURL, old.FormerBaseURL, old.WebFingerDomain = urls.base, "", ""
	old.UserAgent, old.Logger = "", cfg.Logger.With("site", "former")
	former, err := New(old)
	if err != nil {
		return nil, fmt.Errorf("activitypub: former site: %w", err)
	}
	former.server.movedTo = &movedSite{urls: f.urls, acctHost: f.acctHost}
	f.server.formerURLs = &former.urls
	return &migration{from: former.urls, to: f.urls, formerSite: former.server, actors: cfg.Actors,
		objects: cfg.Store, followers: cfg.Store, storeMove: f.out.storeMove, enqueue: f.sender.enqueue,
		deliveredTo: f.sender.deliveredTo, audit: f.audit, log: f.log, now: cfg.Now}, nil
}

// withAlias returns a with alias in AlsoKnownAs: a itself when it is there, else a copy.
func withAlias(a *Actor, alias string) *Actor {
	if slices.Contains(a.AlsoKnownAs, alias) {
		return a
	}
	c := *a
	c.AlsoKnownAs = append(slices.Clip(a.AlsoKnownAs), alias)
	return &c
}

// DomainMigration is the state of the site's move from Config.FormerBaseURL to its BaseURL, as
// [Federation.MigrateDomain] started it, with the followers counted now.
type DomainMigration struct {
	// From and To are the former and the new origin.
	From, To string
	// Started is when MigrateDomain first ran.
	Started time.Time
	// Actors are the site's actors when the migration started, by username.
	Actors []ActorMigration
}

// ActorMigration is the move of one site actor from its former id to its new one.
type ActorMigration struct {
	// Username is the actor's, the same on both origins.
	Username string
	// From and To are the actor's former and new ids.
	From, To string
	// FollowersBefore is how many followers From had when the migration started.
	FollowersBefore int
	// Followers is how many followers To has now: those whose servers moved the follow, and any
	// who followed To since.
	Followers int
	// Remaining is how many still follow From: servers that did not act on the Move yet, or
	// never will.
	Remaining int
	// Move is the id of the Move sent to From's followers; "" until it is made.
	Move string
	// Queued reports whether the Move's delivery to From's followers was queued.
	Queued bool
}

// Done reports whether every actor's Move is queued and every follower its actor had has
// arrived at the new actor, as far as the counts tell.
func (m *DomainMigration) Done() bool {
	for _, a := range m.Actors {
		if !a.Queued || a.Followers < a.FollowersBefore {
			return false
		}
	}
	return true
}

// migrationRecord is the stored state of a domain migration: what counting cannot recover.
type migrationRecord struct {
	From    string           `json:"from"`
	To      string           `json:"to"`
	Started time.Time        `json:"started"`
	Actors  []migrationActor `json:"actors"`
}

type migrationActor struct {
	Username        string `json:"username"`
	FollowersBefore int    `json:"followersBefore"`
	Move            string `json:"move,omitempty"`
	Queued          bool   `json:"queued,omitempty"`
}

// MigrateDomain moves every site actor from its id on Config.FormerBaseURL to its id on BaseURL,
// in one call, once the site runs on BaseURL with FormerBaseURL set: it counts each former
// actor's followers, then makes and queues, per actor, a Move{actor: former id, object: former id,
// target: new id} to the former actor's followers, signed with the former actor's key, as
// [Federation.Move] does. Mastodon, GoToSocial, Misskey and Akkoma then check that the new actor
// names the former one in alsoKnownAs, which it does, follow the new actor and unfollow the
// former one; [Federation.DomainMigration] shows how far they got. The former actors' documents
// carry movedTo from then on, and a Follow of one is rejected.
//
// The state is stored as it goes (Config.Store's objects, under the former instance actor's id
// and "#migration"), so MigrateDomain called again, or [Federation.Run] after a crash, resumes:
// it queues the Moves not yet queued, reusing the Move already made, and never queues one twice:
// the delivery records, or the queue itself, show the Moves queued before the crash. (An actor
// with no followers may get its fan-out again, to no one.) The site must list its actors
// (Config.Actors implements [ActorLister]).
//
// Call it from one process: in one, MigrateDomain and Run's resumption take turns, but two
// processes migrating at once could each make a Move for the same actor.
//
// Config.Authorize is asked for [ActionMigrateDomain], with Actor "" and FormerBaseURL as Object.
// Without FormerBaseURL the error is an *InvalidError.
func (f *Federation) MigrateDomain(ctx context.Context) (*DomainMigration, error) {
	if err := f.authorize(ctx, ActionMigrateDomain, "", f.cfg.FormerBaseURL); err != nil {
		return nil, err
	}
	if f.migration == nil {
		return nil, invalid("Config.FormerBaseURL", "required to migrate the domain")
	}
	rec, err := f.migration.run(ctx)
	if err != nil {
		return nil, err
	}
	return f.migration.state(ctx, rec)
}

// DomainMigration returns the state of the domain migration that MigrateDomain started, with each
// actor's followers counted now: ErrNotFound when none was started.
func (f *Federation) DomainMigration(ctx context.Context) (*DomainMigration, error) {
	if f.migration == nil {
		return nil, fmt.Errorf("activitypub: domain migration: no Config.FormerBaseURL: %w", ErrNotFound)
	}
	rec, err := f.migration.load(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("activitypub: domain migration: not started: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return f.migration.state(ctx, rec)
}

// run starts the domain migration, unless it was started, and resumes it; it returns the record
// as it stored it.
func (m *migration) run(ctx context.Context) (*migrationRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.load(ctx)
	if errors.Is(err, store.ErrNotFound) {
		rec, err = m.start(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := m.resume(ctx, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// state is the migration that rec records, with each actor's followers counted now.
func (m *migration) state(ctx context.Context, rec *migrationRecord) (*DomainMigration, error) {
	dm := &DomainMigration{From: rec.From, To: rec.To, Started: rec.Started, Actors: make([]ActorMigration, 0, len(rec.Actors))}
	for _, a := range rec.Actors {
		am := ActorMigration{Username: a.Username, From: m.from.actor(a.Username), To: m.to.actor(a.Username),
			FollowersBefore: a.FollowersBefore, Move: a.Move, Queued: a.Queued}
		var err error
		if am.Followers, err = store.CountFollowers(ctx, m.followers, am.To); err != nil {
			return nil, fmt.Errorf("activitypub: domain migration: %w", err)
		}
		if am.Remaining, err = store.CountFollowers(ctx, m.followers, am.From); err != nil {
			return nil, fmt.Errorf("activitypub: domain migration: %w", err)
		}
		dm.Actors = append(dm.Actors, am)
	}
	return dm, nil
}

// id is the id of the stored migration record.
func (m *migration) id() string { return m.from.instanceActor() + migrationSuffix }

// load reads the stored migration record; store.ErrNotFound when there is none.
func (m *migration) load(ctx context.Context) (*migrationRecord, error) {
	o, err := m.objects.Object(ctx, m.id())
	if err != nil {
		return nil, fmt.Errorf("activitypub: domain migration: %w", err)
	}
	var rec migrationRecord
	if err := json.Unmarshal(o.Document, &rec); err != nil {
		return nil, fmt.Errorf("activitypub: domain migration record: %w", err)
	}
	if rec.From != m.from.base || rec.To != m.to.base {
		return nil, invalid("Config.FormerBaseURL", "the stored migration moved %s to %s, not %s to %s",
			rec.From, rec.To, m.from.base, m.to.base)
	}
	return &rec, nil
}

// save stores rec.
func (m *migration) save(ctx context.Context, rec *migrationRecord) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("activitypub: domain migration: %w", err)
	}
	err = m.objects.PutObject(ctx, store.Object{ID: m.id(), ActorID: m.from.instanceActor(),
		Type: "DomainMigration", Document: body, Published: rec.Started})
	if err != nil {
		return fmt.Errorf("activitypub: domain migration: %w", err)
	}
	return nil
}

// start records a new migration: the site's actors and their former followers, counted.
func (m *migration) start(ctx context.Context) (*migrationRecord, error) {
	lister, ok := m.actors.(ActorLister)
	if !ok {
		return nil, invalid("Config.Actors", "%T does not list the actors (ActorLister) a domain migration moves", m.actors)
	}
	names, err := siteActorNames(ctx, lister)
	if err != nil {
		return nil, fmt.Errorf("activitypub: domain migration: %w", err)
	}
	slices.Sort(names)
	rec := &migrationRecord{From: m.from.base, To: m.to.base, Started: m.now().UTC()}
	for _, name := range names {
		n, err := store.CountFollowers(ctx, m.followers, m.from.actor(name))
		if err != nil {
			return nil, fmt.Errorf("activitypub: domain migration: %w", err)
		}
		rec.Actors = append(rec.Actors, migrationActor{Username: name, FollowersBefore: n})
	}
	if err := m.save(ctx, rec); err != nil {
		return nil, err
	}
	m.audit.record(ctx, store.AuditEntry{Action: "migrate domain", Object: rec.From, Detail: rec.To})
	m.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: domain migration started", slog.String("from", rec.From),
		slog.String("to", rec.To), slog.Int("actors", len(rec.Actors)))
	return rec, nil
}

// resume makes and queues each actor's Move that is not queued yet, saving rec after each step
// so that a crash repeats none: the Move is made once, and queued again only when no delivery
// record of it exists (the fan-out records each page's inboxes before it lets go of its job) and
// no job of it is queued or leased (its job's id is fixed).
func (m *migration) resume(ctx context.Context, rec *migrationRecord) error {
	for i := range rec.Actors {
		a := &rec.Actors[i]
		if a.Queued {
			continue
		}
		from, to := m.from.actor(a.Username), m.to.actor(a.Username)
		var move store.Object // the Move, when made here
		if a.Move == "" {
			var err error
			if move, err = m.storeMove(ctx, m.from, from, to); err != nil {
				return err
			}
			a.Move = move.ID
			if err := m.save(ctx, rec); err != nil {
				return err
			}
		}
		// A Move with delivery records had its fan-out run, here or in a process that crashed
		// before it noted so.
		_, recorded, err := m.deliveredTo(ctx, from)
		if err != nil {
			return fmt.Errorf("activitypub: domain migration: %w", err)
		}
		if !slices.Contains(recorded, a.Move) {
			if move.ID == "" {
				// Made by a process that crashed before it queued it: the stored Move is queued.
				if move, err = m.objects.Object(ctx, a.Move); err != nil {
					return fmt.Errorf("activitypub: domain migration: move %s: %w", from, err)
				}
			}
			// The job's id is the Move's: a fan-out still queued or leased, by a process that
			// crashed before it noted so, is a conflict, and one that ran left records.
			err := m.enqueue(ctx, move, delivery.Activity{ID: a.Move, ObjectID: from, ActorID: from, JobID: migrationJob + a.Move})
			if err != nil && !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("activitypub: domain migration: move %s: %w", from, err)
			}
		}
		a.Queued = true
		if err := m.save(ctx, rec); err != nil {
			return err
		}
		m.audit.record(ctx, store.AuditEntry{Actor: from, Action: "move", Object: to, Detail: a.Move})
		m.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: actor moved", slog.String("actor", from), slog.String("target", to))
	}
	return nil
}

// resumeStored is Run's: it resumes a migration that a crash interrupted, if any.
func (m *migration) resumeStored(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.load(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(rec.Actors, func(a migrationActor) bool { return !a.Queued }) {
		return nil
	}
	m.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: resuming the domain migration", slog.String("from", rec.From))
	return m.resume(ctx, rec)
}

// formerHost reports whether host, a request's Host, is the former origin's.
func (m *migration) formerHost(host string) bool {
	return strings.EqualFold(host, m.from.host())
}
