package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/fedsite/fedsite/store"
)

var _ store.ActorCache = (*Store)(nil)

// PutRemoteActor implements [store.ActorCache] in one transaction: the actor row is upserted and
// its key list replaced. A key id another actor held moves to a.
func (s *Store) PutRemoteActor(ctx context.Context, a store.RemoteActor) error {
	const op = "put remote actor"
	if err := s.check(op); err != nil {
		return err
	}
	if a.ID == "" {
		return fmt.Errorf("sqlstore: %s: empty id", op)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q.putActor, a.ID, a.Inbox, a.SharedInbox, a.Document, nanos(a.FetchedAt)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q.deleteActorKeys, a.ID); err != nil {
			return err
		}
		for i, k := range a.Keys {
			if _, err := tx.ExecContext(ctx, s.q.putActorKey, k.ID, a.ID, i, k.PublicKeyPEM); err != nil {
				return fmt.Errorf("key %s: %w", k.ID, err)
			}
		}
		return nil
	})
	return wrap(op+" "+a.ID, err)
}

// RemoteActor implements [store.ActorCache].
func (s *Store) RemoteActor(ctx context.Context, id string) (store.RemoteActor, error) {
	const op = "remote actor"
	if err := s.check(op); err != nil {
		return store.RemoteActor{}, err
	}
	a, err := s.remoteActor(ctx, id)
	return a, wrap(op, err)
}

// RemoteActorByKey implements [store.ActorCache].
func (s *Store) RemoteActorByKey(ctx context.Context, keyID string) (store.RemoteActor, error) {
	const op = "remote actor by key"
	if err := s.check(op); err != nil {
		return store.RemoteActor{}, err
	}
	var id string
	if err := s.inbox.actorByKey.QueryRowContext(ctx, keyID).Scan(&id); err != nil {
		return store.RemoteActor{}, wrap(op, err)
	}
	a, err := s.remoteActor(ctx, id)
	return a, wrap(op, err)
}

// remoteActor reads the actor and its keys. Both reads sit in one transaction so a concurrent
// PutRemoteActor cannot pair the old row with new keys.
func (s *Store) remoteActor(ctx context.Context, id string) (store.RemoteActor, error) {
	var a store.RemoteActor
	err := s.inReadTx(ctx, func(tx *sql.Tx) error {
		var fetched sql.NullInt64
		if err := tx.StmtContext(ctx, s.inbox.actor).QueryRowContext(ctx, id).Scan(&a.ID, &a.Inbox, &a.SharedInbox, &a.Document, &fetched); err != nil {
			return err
		}
		a.FetchedAt = fromNullNanos(fetched)
		var err error
		rows, err := tx.StmtContext(ctx, s.inbox.actorKeys).QueryContext(ctx, id)
		a.Keys, err = collectRows(rows, err, func(rows *sql.Rows) (store.RemoteKey, error) {
			var k store.RemoteKey
			err := rows.Scan(&k.ID, &k.PublicKeyPEM)
			return k, err
		})
		return err
	})
	if err != nil {
		return store.RemoteActor{}, err
	}
	return a, nil
}

// inReadTx runs fn in a read-only transaction, so its reads see one snapshot. modernc.org/sqlite
// begins a read-only transaction with a plain (deferred) BEGIN even when the pool asks for BEGIN
// IMMEDIATE, so readers do not queue behind writers.
func (s *Store) inReadTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}
