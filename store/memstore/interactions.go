package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.Interactions       = (*Store)(nil)
	_ store.InteractionCounter = (*Store)(nil)
)

// social holds interactions and follow requests under a lock of its own.
type social struct {
	mu  sync.RWMutex
	seq int64

	inter    map[string]*interEntry    // by interaction id
	byObject map[objKind][]*interEntry // ascending seq
	byActor  map[actorKind]*interEntry // one-per-actor kinds, one per actor, object, kind and emoji
	reqs     map[followerKey]*reqEntry // {actor, follower}
	reqOrder map[string][]*reqEntry    // by actor, ascending seq
}

type objKind struct {
	object string
	kind   store.InteractionKind
}

type actorKind struct {
	object, actor string
	kind          store.InteractionKind
	emoji         string
}

type interEntry struct {
	seq int64
	i   store.Interaction
}

func newSocial() *social {
	return &social{
		inter:    make(map[string]*interEntry),
		byObject: make(map[objKind][]*interEntry),
		byActor:  make(map[actorKind]*interEntry),
		reqs:     make(map[followerKey]*reqEntry),
		reqOrder: make(map[string][]*reqEntry),
	}
}

func cloneInteraction(i store.Interaction) store.Interaction {
	i.Document = slices.Clone(i.Document)
	return i
}

// AddInteraction records i and reports whether it did. An id that exists gets the new Document and
// keeps everything else; a Like, Announce, Dislike or reaction by an actor that has one of that
// kind (and emoji) on the object is dropped, and only then is added false.
func (s *Store) AddInteraction(ctx context.Context, i store.Interaction) (bool, error) {
	const op = "add interaction"
	if err := check(ctx, op); err != nil {
		return false, err
	}
	if i.ID == "" || i.ObjectID == "" || i.Kind == "" {
		return false, fmt.Errorf("memstore: %s: ID, Kind and ObjectID are required", op)
	}
	if i.CreatedAt.IsZero() {
		i.CreatedAt = time.Now()
	}
	i = cloneInteraction(i)
	so := s.social
	so.mu.Lock()
	defer so.mu.Unlock()
	if e, ok := so.inter[i.ID]; ok {
		// Only the document changes: the interaction keeps its place, kind, object and actor.
		e.i.Document = i.Document
		return true, nil
	}
	ak := actorKind{i.ObjectID, i.ActorID, i.Kind, i.Emoji}
	if i.Kind.OnePerActor() {
		if _, ok := so.byActor[ak]; ok {
			return false, nil // the older one stays
		}
	}
	so.seq++
	e := &interEntry{seq: so.seq, i: i}
	so.inter[i.ID] = e
	if i.Kind.OnePerActor() {
		so.byActor[ak] = e
	}
	k := objKind{i.ObjectID, i.Kind}
	so.byObject[k] = append(so.byObject[k], e)
	return true, nil
}

func dropEntry(list []*interEntry, e *interEntry) []*interEntry {
	if j := slices.Index(list, e); j >= 0 {
		return slices.Delete(list, j, j+1)
	}
	return list
}

// Interaction returns the interaction with that id, or [store.ErrNotFound].
func (s *Store) Interaction(ctx context.Context, id string) (store.Interaction, error) {
	const op = "interaction"
	if err := check(ctx, op); err != nil {
		return store.Interaction{}, err
	}
	s.social.mu.RLock()
	defer s.social.mu.RUnlock()
	e, ok := s.social.inter[id]
	if !ok {
		return store.Interaction{}, fmt.Errorf("memstore: %s %s: %w", op, id, store.ErrNotFound)
	}
	return cloneInteraction(e.i), nil
}

// InteractionBy returns actorID's interaction of a one-per-actor kind (with emoji) on objectID,
// or [store.ErrNotFound].
func (s *Store) InteractionBy(ctx context.Context, actorID, objectID string, kind store.InteractionKind, emoji string) (store.Interaction, error) {
	const op = "interaction by"
	if err := check(ctx, op); err != nil {
		return store.Interaction{}, err
	}
	s.social.mu.RLock()
	defer s.social.mu.RUnlock()
	e, ok := s.social.byActor[actorKind{objectID, actorID, kind, emoji}]
	if !ok {
		return store.Interaction{}, fmt.Errorf("memstore: %s %s: %s of %s: %w", op, actorID, kind, objectID, store.ErrNotFound)
	}
	return cloneInteraction(e.i), nil
}

// RemoveInteraction deletes the interaction with that id, or returns [store.ErrNotFound].
func (s *Store) RemoveInteraction(ctx context.Context, id string) error {
	const op = "remove interaction"
	if err := check(ctx, op); err != nil {
		return err
	}
	so := s.social
	so.mu.Lock()
	defer so.mu.Unlock()
	e, ok := so.inter[id]
	if !ok {
		return fmt.Errorf("memstore: %s %s: %w", op, id, store.ErrNotFound)
	}
	delete(so.inter, id)
	if ak := (actorKind{e.i.ObjectID, e.i.ActorID, e.i.Kind, e.i.Emoji}); so.byActor[ak] == e {
		delete(so.byActor, ak)
	}
	k := objKind{e.i.ObjectID, e.i.Kind}
	if so.byObject[k] = dropEntry(so.byObject[k], e); len(so.byObject[k]) == 0 {
		delete(so.byObject, k)
	}
	return nil
}

// InteractionsPage lists an object's interactions of one kind, newest first.
func (s *Store) InteractionsPage(ctx context.Context, objectID string, kind store.InteractionKind, cursor string, limit int) (store.Page[store.Interaction], error) {
	const op = "interactions page"
	var p store.Page[store.Interaction]
	before, err := pageStart(ctx, op, cursor, limit)
	if err != nil {
		return p, err
	}
	s.social.mu.RLock()
	defer s.social.mu.RUnlock()
	return newestFirst(s.social.byObject[objKind{objectID, kind}], func(e *interEntry) int64 { return e.seq }, before, limit,
		func(e *interEntry) store.Interaction { return cloneInteraction(e.i) }), nil
}

// CountInteractions counts an object's interactions by kind; kinds with none are absent.
func (s *Store) CountInteractions(ctx context.Context, objectID string) (map[store.InteractionKind]int, error) {
	if err := check(ctx, "count interactions"); err != nil {
		return nil, err
	}
	s.social.mu.RLock()
	defer s.social.mu.RUnlock()
	counts := make(map[store.InteractionKind]int)
	for _, k := range store.InteractionKinds() {
		if n := len(s.social.byObject[objKind{objectID, k}]); n > 0 {
			counts[k] = n
		}
	}
	return counts, nil
}
