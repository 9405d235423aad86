package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Objects = (*Store)(nil)

// PutObject implements [store.Objects]. An edit replaces the actor, type and document and keeps the
// first Published time; one conditional upsert refuses a deleted id with [store.ErrConflict].
func (s *Store) PutObject(ctx context.Context, o store.Object) error {
	const op = "put object"
	if err := s.check(op); err != nil {
		return err
	}
	if o.ID == "" {
		return fmt.Errorf("sqlstore: %s: empty id", op)
	}
	err := s.putObject(ctx, s.db, o)
	if err != nil {
		return wrap(op+" "+o.ID, err)
	}
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// putObject runs the putObject upsert on db, a pool or a transaction.
func (s *Store) putObject(ctx context.Context, db querier, o store.Object) error {
	res, err := db.ExecContext(ctx, s.q.putObject, o.ID, o.ActorID, o.Type, o.Document, nanos(o.Published), o.ObjectID)
	n, err := rowsAffected(res, err)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	// The upsert's WHERE skipped the row: the id is a tombstone. On MySQL no row changed, which is
	// also what the same object put again does.
	deleted := true
	if s.dialect == MySQL {
		if err := db.QueryRowContext(ctx, s.q.tombstone, o.ID).Scan(&deleted); err != nil {
			return err
		}
	}
	if deleted {
		return fmt.Errorf("%w: object was deleted", store.ErrConflict)
	}
	return nil
}

// Object implements [store.Objects].
func (s *Store) Object(ctx context.Context, id string) (store.Object, error) {
	const op = "object"
	if err := s.check(op); err != nil {
		return store.Object{}, err
	}
	o, err := scanObject(s.inbox.object.QueryRowContext(ctx, id))
	return o, wrap(op, err)
}

// DeleteObject implements [store.Objects] in one transaction: the object becomes a tombstone and
// the activities about it leave their outboxes. Deleting a tombstone again keeps the first
// deletion time.
func (s *Store) DeleteObject(ctx context.Context, id string, at time.Time) error {
	const op = "delete object"
	if err := s.check(op); err != nil {
		return err
	}
	if at.IsZero() {
		at = time.Now()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := rowsAffected(tx.ExecContext(ctx, s.q.deleteObject, at.UnixNano(), id))
		if err != nil {
			return err
		}
		if n == 0 {
			if s.dialect != MySQL {
				return store.ErrNotFound
			}
			// MySQL counts no row when a tombstone is deleted again, as nothing changes.
			var deleted bool
			if err := tx.QueryRowContext(ctx, s.q.tombstone, id).Scan(&deleted); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.q.leaveOutbox, id)
		return err
	})
	return wrap(op, err)
}

// scanObject reads objectCols, preceded by the sequence number when seq is given.
func scanObject(sc scanner, seq ...*int64) (store.Object, error) {
	var o store.Object
	var published, deleted sql.NullInt64
	dest := []any{&o.ID, &o.ActorID, &o.Type, &o.Document, &published, &deleted, &o.ObjectID}
	if len(seq) > 0 {
		dest = append([]any{seq[0]}, dest...)
	}
	if err := sc.Scan(dest...); err != nil {
		return store.Object{}, err
	}
	o.Published = fromNullNanos(published)
	o.Deleted = fromNullNanos(deleted)
	return o, nil
}
