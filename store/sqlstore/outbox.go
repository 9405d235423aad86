package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/fedsite/fedsite/store"
)

// AppendOutbox implements [store.Outbox] in one transaction: the activity is inserted as an object
// (an existing id is [store.ErrConflict]), appended to its actor's outbox, and each carried object
// is put as by [Store.PutObject].
func (s *Store) AppendOutbox(ctx context.Context, activity store.Object, objects ...store.Object) error {
	const op = "append outbox"
	if err := s.check(op); err != nil {
		return err
	}
	if activity.ID == "" || activity.ActorID == "" {
		return fmt.Errorf("sqlstore: %s: activity ID and ActorID are required", op)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q.insertObject, activity.ID, activity.ActorID, activity.Type,
			activity.Document, nanos(activity.Published)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q.appendOutbox, activity.ActorID, activity.ID); err != nil {
			return err
		}
		for _, o := range objects {
			if o.ID == "" {
				return fmt.Errorf("object with empty id")
			}
			if o.ID == activity.ID {
				return fmt.Errorf("object %s is the activity itself: %w", o.ID, store.ErrConflict)
			}
			if err := putObject(ctx, tx, s.q.putObject, o); err != nil {
				return fmt.Errorf("object %s: %w", o.ID, err)
			}
		}
		return nil
	})
	return wrap(op+" "+activity.ID, err)
}

// OutboxPage implements [store.Outbox]. Cursors and limits work as in [Store.FollowersPage].
func (s *Store) OutboxPage(ctx context.Context, actorID, cursor string, limit int) (store.Page[store.Object], error) {
	const op = "outbox page"
	var page store.Page[store.Object]
	if err := s.check(op); err != nil {
		return page, err
	}
	limit, err := checkLimit(op, limit)
	if err != nil {
		return page, err
	}
	var rows *sql.Rows
	if cursor == "" {
		rows, err = s.db.QueryContext(ctx, s.q.outboxFirst, actorID, limit+1)
	} else {
		seq, perr := parseCursor(cursor)
		if perr != nil {
			return page, fmt.Errorf("sqlstore: %s: %w", op, perr)
		}
		rows, err = s.db.QueryContext(ctx, s.q.outboxAfter, actorID, limit+1, seq)
	}
	if err != nil {
		return page, wrap(op, err)
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		if len(page.Items) == limit {
			page.Next = formatCursor(last)
			break
		}
		var seq int64
		o, err := scanObject(rows, &seq)
		if err != nil {
			return store.Page[store.Object]{}, wrap(op, err)
		}
		last = seq
		page.Items = append(page.Items, o)
	}
	if err := rows.Err(); err != nil {
		return store.Page[store.Object]{}, wrap(op, err)
	}
	return page, nil
}

// CountOutbox implements [store.Outbox].
func (s *Store) CountOutbox(ctx context.Context, actorID string) (int, error) {
	const op = "count outbox"
	if err := s.check(op); err != nil {
		return 0, err
	}
	var n int
	err := s.db.QueryRowContext(ctx, s.q.countOutbox, actorID).Scan(&n)
	return n, wrap(op, err)
}

// inTx runs fn in a transaction, committing when fn returns nil and rolling back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
