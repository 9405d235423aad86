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

// newFormer builds f.former, the site as it answers the host of cfg.FormerBaseURL, when it is set:
// a Federation at the former origin over the same store, keys and actors, whose server redirects
// the pages to f's origin and resolves the former handles to f's actors. f's own server then
// lists the former ids in alsoKnownAs. Only f's Run delivers: what the former site queues, such as
// the Reject of a Follow of an actor that moved, goes into the same DeliveryStore.
func (f *Federation) newFormer(cfg Config) error {
	if cfg.FormerBaseURL == "" {
		return nil
	}
	urls, err := newURLLayout(cfg.FormerBaseURL)
	if err != nil {
		return invalid("Config.FormerBaseURL", "%v", err)
	}
	if urls.host() == f.urls.host() {
		return invalid("Config.FormerBaseURL", "%q is on the host of BaseURL", cfg.FormerBaseURL)
	}
	old := cfg
	old.BaseURL, old.FormerBaseURL, old.WebFingerDomain = urls.base, "", ""
	old.UserAgent, old.Logger = "", cfg.Logger.With("site", "former")
	old = old.withDefaults()
	if f.former, err = New(old); err != nil {
		return fmt.Errorf("activitypub: former site: %w", err)
	}
	f.former.server.movedTo = &movedSite{urls: f.urls, acctHost: f.acctHost}
	f.server.formerURLs = &f.former.urls
	return nil
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
	if f.former == nil {
		return nil, invalid("Config.FormerBaseURL", "required to migrate the domain")
	}
	if err := f.migrate(ctx); err != nil {
		return nil, err
	}
	return f.DomainMigration(ctx)
}

// migrate starts the domain migration, unless it was started, and resumes it.
func (f *Federation) migrate(ctx context.Context) error {
	f.migrating.Lock()
	defer f.migrating.Unlock()
	rec, err := f.migrationRecord(ctx)
	if errors.Is(err, store.ErrNotFound) {
		rec, err = f.startMigration(ctx)
	}
	if err != nil {
		return err
	}
	return f.resumeMigration(ctx, rec)
}

// DomainMigration returns the state of the domain migration that MigrateDomain started, with each
// actor's followers counted now: ErrNotFound when none was started.
func (f *Federation) DomainMigration(ctx context.Context) (*DomainMigration, error) {
	if f.former == nil {
		return nil, fmt.Errorf("activitypub: domain migration: no Config.FormerBaseURL: %w", ErrNotFound)
	}
	rec, err := f.migrationRecord(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("activitypub: domain migration: not started: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	m := &DomainMigration{From: rec.From, To: rec.To, Started: rec.Started, Actors: make([]ActorMigration, 0, len(rec.Actors))}
	for _, a := range rec.Actors {
		am := ActorMigration{Username: a.Username, From: f.former.urls.actor(a.Username), To: f.urls.actor(a.Username),
			FollowersBefore: a.FollowersBefore, Move: a.Move, Queued: a.Queued}
		if am.Followers, err = store.CountFollowers(ctx, f.cfg.Store, am.To); err != nil {
			return nil, fmt.Errorf("activitypub: domain migration: %w", err)
		}
		if am.Remaining, err = store.CountFollowers(ctx, f.cfg.Store, am.From); err != nil {
			return nil, fmt.Errorf("activitypub: domain migration: %w", err)
		}
		m.Actors = append(m.Actors, am)
	}
	return m, nil
}

// migrationID is the id of the stored migration record.
func (f *Federation) migrationID() string { return f.former.urls.instanceActor() + migrationSuffix }

// migrationRecord reads the stored migration record; store.ErrNotFound when there is none.
func (f *Federation) migrationRecord(ctx context.Context) (*migrationRecord, error) {
	o, err := f.cfg.Store.Object(ctx, f.migrationID())
	if err != nil {
		return nil, fmt.Errorf("activitypub: domain migration: %w", err)
	}
	var rec migrationRecord
	if err := json.Unmarshal(o.Document, &rec); err != nil {
		return nil, fmt.Errorf("activitypub: domain migration record: %w", err)
	}
	if rec.From != f.former.urls.base || rec.To != f.urls.base {
		return nil, invalid("Config.FormerBaseURL", "the stored migration moved %s to %s, not %s to %s",
			rec.From, rec.To, f.former.urls.base, f.urls.base)
	}
	return &rec, nil
}

// saveMigration stores rec.
func (f *Federation) saveMigration(ctx context.Context, rec *migrationRecord) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("activitypub: domain migration: %w", err)
	}
	err = f.cfg.Store.PutObject(ctx, store.Object{ID: f.migrationID(), ActorID: f.former.urls.instanceActor(),
		Type: "DomainMigration", Document: body, Published: rec.Started})
	if err != nil {
		return fmt.Errorf("activitypub: domain migration: %w", err)
	}
	return nil
}

// startMigration records a new migration: the site's actors and their former followers, counted.
func (f *Federation) startMigration(ctx context.Context) (*migrationRecord, error) {
	lister, ok := f.cfg.Actors.(ActorLister)
	if !ok {
		return nil, invalid("Config.Actors", "%T does not list the actors (ActorLister) a domain migration moves", f.cfg.Actors)
	}
	names, err := siteActorNames(ctx, lister)
	if err != nil {
		return nil, fmt.Errorf("activitypub: domain migration: %w", err)
	}
	slices.Sort(names)
	rec := &migrationRecord{From: f.former.urls.base, To: f.urls.base, Started: f.cfg.Now().UTC()}
	for _, name := range names {
		n, err := store.CountFollowers(ctx, f.cfg.Store, f.former.urls.actor(name))
		if err != nil {
			return nil, fmt.Errorf("activitypub: domain migration: %w", err)
		}
		rec.Actors = append(rec.Actors, migrationActor{Username: name, FollowersBefore: n})
	}
	if err := f.saveMigration(ctx, rec); err != nil {
		return nil, err
	}
	f.audit.record(ctx, store.AuditEntry{Action: "migrate domain", Object: rec.From, Detail: rec.To})
	f.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: domain migration started", slog.String("from", rec.From),
		slog.String("to", rec.To), slog.Int("actors", len(rec.Actors)))
	return rec, nil
}

// resumeMigration makes and queues each actor's Move that is not queued yet, saving rec after
// each step so that a crash repeats none: the Move is made once, and queued again only when no
// delivery record of it exists (the fan-out records each page's inboxes before it lets go of its
// job) and no job of it is queued or leased (its job's id is fixed).
func (f *Federation) resumeMigration(ctx context.Context, rec *migrationRecord) error {
	for i := range rec.Actors {
		a := &rec.Actors[i]
		if a.Queued {
			continue
		}
		from, to := f.former.urls.actor(a.Username), f.urls.actor(a.Username)
		if a.Move == "" {
			id, err := f.storeMove(ctx, f.former.urls, from, to)
			if err != nil {
				return err
			}
			a.Move = id
			if err := f.saveMigration(ctx, rec); err != nil {
				return err
			}
		}
		// A Move with delivery records had its fan-out run, here or in a process that crashed
		// before it noted so.
		_, recorded, err := f.sender.deliveredTo(ctx, from)
		if err != nil {
			return fmt.Errorf("activitypub: domain migration: %w", err)
		}
		if !slices.Contains(recorded, a.Move) {
			// The job's id is the Move's: a fan-out still queued or leased, by a process that
			// crashed before it noted so, is a conflict, and one that ran left records.
			err := f.sender.enqueue(ctx, delivery.Activity{ID: a.Move, ObjectID: from, ActorID: from, JobID: migrationJob + a.Move})
			if err != nil && !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("activitypub: domain migration: move %s: %w", from, err)
			}
		}
		a.Queued = true
		if err := f.saveMigration(ctx, rec); err != nil {
			return err
		}
		f.audit.record(ctx, store.AuditEntry{Actor: from, Action: "move", Object: to, Detail: a.Move})
		f.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: actor moved", slog.String("actor", from), slog.String("target", to))
	}
	return nil
}

// resumeStoredMigration is Run's: it resumes a migration that a crash interrupted, if any.
func (f *Federation) resumeStoredMigration(ctx context.Context) error {
	if f.former == nil {
		return nil
	}
	f.migrating.Lock()
	defer f.migrating.Unlock()
	rec, err := f.migrationRecord(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(rec.Actors, func(a migrationActor) bool { return !a.Queued }) {
		return nil
	}
	f.log.LogAttrs(ctx, slog.LevelInfo, "activitypub: resuming the domain migration", slog.String("from", rec.From))
	return f.resumeMigration(ctx, rec)
}

// formerHost reports whether host, a request's Host, is the former origin's.
func (f *Federation) formerHost(host string) bool {
	return f.former != nil && strings.EqualFold(host, f.former.urls.host())
}
