package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Pruner = (*Store)(nil)

// pruneQueries are the statements of PruneOperational and DeliveryObjects. Each delete takes at
// most a batch of rows (its last argument), so that a large prune holds SQLite's one write lock
// for one batch at a time.
type pruneQueries struct {
	deliveries, deadLetters, staleActors, deleteActor, objects string
}

func newPruneQueries(d Dialect, r func(string) string) pruneQueries {
	const over = `state IN ('delivered', 'failed')`
	q := pruneQueries{
		deliveries: r(`DELETE FROM {deliveries} WHERE (activity_id, inbox) IN (SELECT activity_id, inbox FROM {deliveries}
			WHERE object_id = $1 AND updated_at < $2 AND ` + over + ` LIMIT $3)`),
		deadLetters: r(`DELETE FROM {dead_jobs} WHERE seq IN (SELECT seq FROM {dead_jobs} WHERE died_at < $1 LIMIT $2)`),
		staleActors: r(`SELECT id FROM {remote_actors} WHERE fetched_at IS NULL OR fetched_at < $1 LIMIT $2`),
		deleteActor: r(`DELETE FROM {remote_actors} WHERE id = $1`),
	}
	// A loose index scan, as inboxesLoose: one probe of deliveries_object per object, however
	// many records each has. MySQL reads DISTINCT values off the index that way by itself.
	next := `(SELECT MIN(d.object_id) FROM {deliveries} d WHERE d.object_id > `
	switch d {
	case SQLite:
		q.objects = r(`WITH RECURSIVE o(id) AS (SELECT ` + next + `$1) UNION ALL
			SELECT ` + next + `o.id) FROM o WHERE o.id IS NOT NULL LIMIT $2) SELECT id FROM o WHERE id IS NOT NULL`)
	case Postgres:
		q.objects = r(`WITH RECURSIVE o(id) AS (SELECT ` + next + `$1) UNION ALL
			SELECT ` + next + `o.id) FROM o WHERE o.id IS NOT NULL) SELECT id FROM o WHERE id IS NOT NULL LIMIT $2`)
	case MySQL:
		q.objects = r(`SELECT DISTINCT object_id FROM {deliveries} WHERE object_id > $1 ORDER BY object_id LIMIT $2`)
	}
	if d == MySQL {
		// MySQL deletes no rows of a table its subquery reads, but takes a LIMIT on DELETE.
		q.deliveries = r(`DELETE FROM {deliveries} WHERE object_id = $1 AND updated_at < $2 AND ` + over + ` LIMIT $3`)
		q.deadLetters = r(`DELETE FROM {dead_jobs} WHERE died_at < $1 LIMIT $2`)
	}
	return q
}

// PruneOperational implements [store.Pruner] with deletes of at most 1000 rows each, every one
// its own statement (remote actors: its own transaction, with their keys), so that no writer
// waits behind a prune for long. It stops between batches when ctx ends.
func (s *Store) PruneOperational(ctx context.Context, p store.PruneBefore) (store.PruneCounts, error) {
	const op = "prune"
	var n store.PruneCounts
	if err := s.check(op); err != nil {
		return n, err
	}
	var err error
	if !p.Deliveries.IsZero() {
		for _, obj := range p.Objects {
			var k int
			k, err = s.deleteBatches(ctx, s.q.prune.deliveries, obj, p.Deliveries.UnixNano())
			n.Deliveries += k
			if err != nil {
				return n, wrap(op, err)
			}
		}
	}
	if !p.DeadLetters.IsZero() {
		if n.DeadLetters, err = s.deleteBatches(ctx, s.q.prune.deadLetters, p.DeadLetters.UnixNano()); err != nil {
			return n, wrap(op, err)
		}
	}
	if !p.RemoteActors.IsZero() {
		if n.RemoteActors, err = s.pruneActors(ctx, p.RemoteActors); err != nil {
			return n, wrap(op, err)
		}
	}
	if !p.Seen.IsZero() {
		if n.Seen, err = s.deleteBatches(ctx, s.q.pruneSeen, p.Seen.UnixNano()); err != nil {
			return n, wrap(op, err)
		}
	}
	return n, nil
}

// deleteBatches runs query with args and the batch size until it deletes fewer rows than a batch,
// and returns how many it deleted.
func (s *Store) deleteBatches(ctx context.Context, query string, args ...any) (int, error) {
	total := 0
	for {
		k, err := rowsAffected(s.db.ExecContext(ctx, query, append(args, pruneBatch)...))
		if err != nil {
			return total, err
		}
		total += int(k)
		if k < pruneBatch {
			return total, nil
		}
	}
}

// pruneActors deletes the remote actors fetched before the cut-off and their keys, a batch per
// transaction, and returns how many it deleted.
func (s *Store) pruneActors(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		k := 0
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, s.q.prune.staleActors, before.UnixNano(), pruneBatch)
			ids, err := collectRows(rows, err, func(rows *sql.Rows) (string, error) {
				var id string
				err := rows.Scan(&id)
				return id, err
			})
			if err != nil {
				return err
			}
			for _, id := range ids {
				if _, err := tx.ExecContext(ctx, s.q.deleteActorKeys, id); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, s.q.prune.deleteActor, id); err != nil {
					return err
				}
			}
			k = len(ids)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += k
		if k < pruneBatch {
			return total, nil
		}
	}
}

// DeliveryObjects implements [store.Pruner]: the objects with delivery records in byte order; the
// cursor is the last of the previous page.
func (s *Store) DeliveryObjects(ctx context.Context, cursor string, limit int) (store.Page[string], error) {
	return page(ctx, s, "delivery objects", s.q.prune.objects, nil, limit, []any{cursor},
		func(rows *sql.Rows) (string, string, error) {
			var id string
			err := rows.Scan(&id)
			return id, id, err
		})
}
