package record

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/fedsite/fedsite/store"
)

// Prune removes from rec the entries recorded before before that no legal hold of rec holds,
// and returns how many. Checkpoints are kept. It first appends a checkpoint, stamped now, that
// declares each run of entries it removes and the hash of the run's last entry, and only then
// deletes them: a prune cut short leaves entries that the checkpoint declares pruned, which
// verifies, never a gap that nothing declares. The record is read in Seq order and the scan
// stops at the first entry at or after before.
func Prune(ctx context.Context, rec store.Record, before, now time.Time) (int, error) {
	holds, err := rec.LegalHolds(ctx)
	if err != nil {
		return 0, fmt.Errorf("record: prune: %w", err)
	}
	var runs []prunedRun
	var seqs []int64
	for after, done := int64(0), false; !done; {
		page, err := rec.RecordRange(ctx, after, pageSize)
		if err != nil {
			return 0, fmt.Errorf("record: prune: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			after = e.Seq
			if !e.Time.Before(before) {
				done = true
				break
			}
			if e.Direction == store.RecordCheckpoint || slices.ContainsFunc(holds, func(h store.LegalHold) bool { return h.Holds(e) }) {
				continue
			}
			hash := hex.EncodeToString(e.Hash())
			if n := len(runs); n > 0 && runs[n-1].To == e.Seq-1 {
				runs[n-1].To, runs[n-1].LastHash = e.Seq, hash
			} else {
				runs = append(runs, prunedRun{From: e.Seq, To: e.Seq, LastHash: hash})
			}
			seqs = append(seqs, e.Seq)
		}
	}
	if len(seqs) == 0 {
		return 0, nil
	}
	doc, err := json.Marshal(checkpoint{Before: before.UTC(), Pruned: runs})
	if err != nil {
		return 0, fmt.Errorf("record: prune: %w", err)
	}
	if _, err := rec.AppendRecord(ctx, store.RecordEntry{Time: now, Direction: store.RecordCheckpoint,
		Type: "Checkpoint", Document: doc}); err != nil {
		return 0, fmt.Errorf("record: prune: checkpoint: %w", err)
	}
	if err := rec.DeleteRecords(ctx, seqs...); err != nil {
		return 0, fmt.Errorf("record: prune: %w", err)
	}
	return len(seqs), nil
}
