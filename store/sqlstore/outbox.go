package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/fedsite/fedsite/store"
)

var (
	_ store.Outbox        = (*Store)(nil)
	_ store.OutboxCounter = (*Store)(nil)
)

// AppendOutbox implements [store.Outbox] in one transaction: the activity is inserted as an object
// (an existing id is [store.ErrConflict]), appended to its actor's outbox, checked not to be about
// a deleted object, and each carried object is put as by [Store.PutObject].
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
			activity.Document, nanos(activity.Published), activity.ObjectID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q.appendOutbox, activity.ActorID, activity.ID); err != nil {
			return err
		}
		if activity.ObjectID != "" {
			var deleted sql.NullInt64
			err := tx.QueryRowContext(ctx, s.q.lockAbout, activity.ObjectID).Scan(&deleted)
			switch {
			case err == nil && deleted.Valid:
				return fmt.Errorf("about deleted %s: %w", activity.ObjectID, store.ErrConflict)
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		for _, o := range objects {
			if o.ID == "" {
				return fmt.Errorf("object with empty id")
			}
			if o.ID == activity.ID {
				return fmt.Errorf("object %s is the activity itself: %w", o.ID, store.ErrConflict)
			}
			if err := s.putObject(ctx, tx, o); err != nil {
				return fmt.Errorf("object %s: %w", o.ID, err)
			}
		}
		return nil
	})
	return wrap(op+" "+activity.ID, err)
}

// OutboxPage implements [store.Outbox]. Cursors and limits work as in [Store.FollowersPage].
func (s *Store) OutboxPage(ctx context.Context, actorID, cursor string, limit int) (store.Page[store.Object], error) {
	return seqPage(ctx, s, "outbox page", s.q.outboxFirst, s.q.outboxAfter, []any{actorID}, cursor, limit,
		func(rows *sql.Rows) (store.Object, string, error) {
			var seq int64
			o, err := scanObject(rows, &seq)
			return o, formatCursor(seq), err
		})
}

// CountOutbox implements [store.Outbox].
func (s *Store) CountOutbox(ctx context.Context, actorID string) (int, error) {
	return s.count(ctx, "count outbox", s.q.countOutbox, actorID)
}

// inTx runs fn in a transaction, committing when fn returns nil and rolling back otherwise. On
// SQLite the pool begins it with BEGIN IMMEDIATE (OpenSQLite sets _txlock=immediate, and the
// package doc asks callers of Open to): it takes the write lock at once, waiting in the busy
// handler while another connection writes. Without that setting the transaction is deferred,
// which is as safe as long as fn writes in its first statement — every fn in this package does —
// since it then asks for the write lock before it has read anything; a deferred transaction that
// read first could fail with SQLITE_BUSY instead of waiting.
//
// On MySQL the transaction reads committed rows, as Postgres's do by default, rather than a
// snapshot taken at its first read: so a locking read with SKIP LOCKED and the reads beside it
// see the same rows, and InnoDB takes no gap locks, which would make concurrent inserts deadlock.
// inTxRetry is inTx run again, up to three times in all, while the database breaks a deadlock by
// rolling it back, as InnoDB does when writers insert and delete the same key at once. fn must
// keep no state between runs.
func (s *Store) inTxRetry(ctx context.Context, fn func(*sql.Tx) error) error {
	var err error
	for range 3 {
		if err = s.inTx(ctx, fn); !isDeadlock(err) {
			return err
		}
	}
	return err
}

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	var opts *sql.TxOptions
	if s.dialect == MySQL {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
