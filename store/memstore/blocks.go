package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Blocks = (*Store)(nil)

type blockEntry struct {
	seq int64
	b   store.Block
}

// AddBlock implements [store.Blocks]. The block and the removal of the followers it covers happen
// under one lock, which walks every follower.
func (s *Store) AddBlock(ctx context.Context, b store.Block) ([]store.Follower, error) {
	const op = "add block"
	if err := check(ctx, op); err != nil {
		return nil, err
	}
	b, err := b.Normalized()
	if err != nil {
		return nil, fmt.Errorf("memstore: %s: %w", op, err)
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = time.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocks[b.Target()] == nil {
		s.seq++
		e := &blockEntry{seq: s.seq, b: b}
		s.blocks[b.Target()] = e
		s.blockOrder = append(s.blockOrder, e)
	}
	return s.removeFollowersLocked(func(*actorFollowers) bool { return true },
		func(f store.Follower) bool { return b.Covers(f.FollowerID) }), nil
}

// RemoveBlock implements [store.Blocks].
func (s *Store) RemoveBlock(ctx context.Context, target string) error {
	const op = "remove block"
	if err := check(ctx, op); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.blocks[target]
	if e == nil {
		return fmt.Errorf("memstore: %s %s: %w", op, target, store.ErrNotFound)
	}
	delete(s.blocks, target)
	i, _ := slices.BinarySearchFunc(s.blockOrder, e.seq, func(x *blockEntry, seq int64) int { return cmp.Compare(x.seq, seq) })
	s.blockOrder = slices.Delete(s.blockOrder, i, i+1)
	return nil
}

// BlocksPage implements [store.Blocks].
func (s *Store) BlocksPage(ctx context.Context, cursor string, limit int) (store.Page[store.Block], error) {
	const op = "blocks page"
	before, err := pageStart(ctx, op, cursor, limit)
	if err != nil {
		return store.Page[store.Block]{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return newestFirst(s.blockOrder, func(e *blockEntry) int64 { return e.seq }, before, limit,
		func(e *blockEntry) store.Block { return e.b }), nil
}

// Blocked implements [store.Blocks] with map lookups.
func (s *Store) Blocked(ctx context.Context, iris ...string) ([]bool, error) {
	if err := check(ctx, "blocked"); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]bool, len(iris))
	for i, iri := range iris {
		out[i] = slices.ContainsFunc(store.BlockTargets(iri), func(t string) bool { return s.blocks[t] != nil })
	}
	return out, nil
}
