package memstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"

	"github.com/fedsite/fedsite/store"
)

var _ store.Record = (*Store)(nil)

// record is the Store's record of activities and its legal holds, under a lock of its own.
type record struct {
	mu       sync.Mutex
	entries  []store.RecordEntry // ascending Seq
	headSeq  int64
	headHash []byte
	holds    map[string]store.LegalHold
}

// AppendRecord implements [store.Record].
func (s *Store) AppendRecord(ctx context.Context, e store.RecordEntry) (store.RecordEntry, error) {
	if err := check(ctx, "append record"); err != nil {
		return store.RecordEntry{}, err
	}
	r := s.record
	r.mu.Lock()
	defer r.mu.Unlock()
	e = e.Chain(r.headSeq, r.headHash)
	e.Document = slices.Clone(e.Document)
	r.entries = append(r.entries, e)
	r.headSeq, r.headHash = e.Seq, e.Hash()
	return e, nil
}

// RecordHead implements [store.Record].
func (s *Store) RecordHead(ctx context.Context) (int64, []byte, error) {
	if err := check(ctx, "record head"); err != nil {
		return 0, nil, err
	}
	r := s.record
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.headSeq, r.headHash, nil
}

// RecordRange implements [store.Record].
func (s *Store) RecordRange(ctx context.Context, after int64, limit int) ([]store.RecordEntry, error) {
	const op = "record range"
	if err := check(ctx, op); err != nil {
		return nil, err
	}
	if err := checkLimit(op, limit); err != nil {
		return nil, err
	}
	r := s.record
	r.mu.Lock()
	defer r.mu.Unlock()
	i := sort.Search(len(r.entries), func(i int) bool { return r.entries[i].Seq > after })
	out := slices.Clone(r.entries[i:min(len(r.entries), i+limit)])
	return out, nil
}

// DeleteRecords implements [store.Record].
func (s *Store) DeleteRecords(ctx context.Context, seqs ...int64) error {
	if err := check(ctx, "delete records"); err != nil {
		return err
	}
	drop := make(map[int64]bool, len(seqs))
	for _, q := range seqs {
		drop[q] = true
	}
	r := s.record
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = slices.DeleteFunc(r.entries, func(e store.RecordEntry) bool { return drop[e.Seq] })
	return nil
}

// PutLegalHold implements [store.Record].
func (s *Store) PutLegalHold(ctx context.Context, h store.LegalHold) (store.LegalHold, error) {
	if err := check(ctx, "put legal hold"); err != nil {
		return store.LegalHold{}, err
	}
	if h.ID == "" {
		h.ID = rand.Text()
	}
	r := s.record
	r.mu.Lock()
	defer r.mu.Unlock()
	r.holds[h.ID] = h
	return h, nil
}

// RemoveLegalHold implements [store.Record].
func (s *Store) RemoveLegalHold(ctx context.Context, id string) error {
	if err := check(ctx, "remove legal hold"); err != nil {
		return err
	}
	r := s.record
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.holds[id]; !ok {
		return fmt.Errorf("memstore: legal hold %q: %w", id, store.ErrNotFound)
	}
	delete(r.holds, id)
	return nil
}

// LegalHolds implements [store.Record].
func (s *Store) LegalHolds(ctx context.Context) ([]store.LegalHold, error) {
	if err := check(ctx, "legal holds"); err != nil {
		return nil, err
	}
	r := s.record
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]store.LegalHold, 0, len(r.holds))
	for _, id := range slices.Sorted(maps.Keys(r.holds)) {
		out = append(out, r.holds[id])
	}
	return out, nil
}
