package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/fedsite/fedsite/store"
)

var _ store.ReplyHider = (*Store)(nil)

// HideReply implements [store.ReplyHider]: it moves a reply to the hidden replies, or back, in its place by sequence.
func (s *Store) HideReply(ctx context.Context, id string, hidden bool) error {
	const op = "hide reply"
	if err := check(ctx, op); err != nil {
		return err
	}
	from, to := store.HideKinds(hidden)
	so := s.social
	so.mu.Lock()
	defer so.mu.Unlock()
	e, ok := so.inter[id]
	if !ok || e.i.Kind != from {
		return fmt.Errorf("memstore: %s %s: no %s: %w", op, id, from, store.ErrNotFound)
	}
	old := objKind{e.i.ObjectID, from}
	if so.byObject[old] = dropEntry(so.byObject[old], e); len(so.byObject[old]) == 0 {
		delete(so.byObject, old)
	}
	e.i.Kind = to
	k := objKind{e.i.ObjectID, to}
	list := so.byObject[k]
	i, _ := slices.BinarySearchFunc(list, e.seq, func(x *interEntry, seq int64) int { return cmp.Compare(x.seq, seq) })
	so.byObject[k] = slices.Insert(list, i, e)
	return nil
}
