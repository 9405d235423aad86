package memstore

import (
	"context"
	"maps"
	"slices"

	"github.com/fedsite/fedsite/store"
)

var _ store.Pruner = (*Store)(nil)

// PruneOperational deletes what p's cut-offs name, each kind under its own lock, and returns how
// many of each it deleted.
func (s *Store) PruneOperational(ctx context.Context, p store.PruneBefore) (store.PruneCounts, error) {
	var n store.PruneCounts
	if err := check(ctx, "prune"); err != nil {
		return n, err
	}
	if !p.Deliveries.IsZero() && len(p.Objects) > 0 {
		d := s.deliveries
		d.mu.Lock()
		for _, obj := range p.Objects {
			for k, r := range d.byObject[obj] {
				if r.State.Final() && r.UpdatedAt.Before(p.Deliveries) {
					delete(d.byObject[obj], k)
					delete(d.objectOf, k)
					n.Deliveries++
				}
			}
			if len(d.byObject[obj]) == 0 {
				delete(d.byObject, obj)
			}
		}
		d.mu.Unlock()
	}
	if !p.DeadLetters.IsZero() {
		q := s.q
		q.mu.Lock()
		before := len(q.dead)
		q.dead = slices.DeleteFunc(q.dead, func(d memDead) bool { return d.dl.DiedAt.Before(p.DeadLetters) })
		n.DeadLetters = before - len(q.dead)
		q.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !p.RemoteActors.IsZero() {
		for id, a := range s.remote {
			if a.FetchedAt.Before(p.RemoteActors) {
				for _, k := range a.Keys {
					if s.remoteKey[k.ID] == id {
						delete(s.remoteKey, k.ID)
					}
				}
				delete(s.remote, id)
				n.RemoteActors++
			}
		}
	}
	if !p.Seen.IsZero() {
		for id, exp := range s.seen {
			if !p.Seen.Before(exp) {
				delete(s.seen, id)
				n.Seen++
			}
		}
	}
	return n, nil
}

// DeliveryObjects lists the objects that have delivery records in byte order; the cursor is the
// last id of the previous page.
func (s *Store) DeliveryObjects(ctx context.Context, cursor string, limit int) (store.Page[string], error) {
	const op = "delivery objects"
	var p store.Page[string]
	if err := check(ctx, op); err != nil {
		return p, err
	}
	if err := checkLimit(op, limit); err != nil {
		return p, err
	}
	d := s.deliveries
	d.mu.Lock()
	ids := slices.Sorted(maps.Keys(d.byObject))
	d.mu.Unlock()
	i, _ := slices.BinarySearch(ids, cursor)
	if i < len(ids) && ids[i] == cursor {
		i++
	}
	p.Items = ids[i:min(i+limit, len(ids))]
	if i+limit < len(ids) {
		p.Next = p.Items[len(p.Items)-1]
	}
	return p, nil
}
