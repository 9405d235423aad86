package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/fedsite/fedsite/store"
)

var _ store.Keys = (*Store)(nil)

// KeyPair implements [store.Keys].
func (s *Store) KeyPair(ctx context.Context, actorID, name string) (store.KeyPair, error) {
	const op = "key pair"
	if err := s.check(op); err != nil {
		return store.KeyPair{}, err
	}
	var k store.KeyPair
	var created int64
	err := s.rdb.QueryRowContext(ctx, s.q.keyPair, actorID, name).Scan(&k.ActorID, &k.Name, &k.PrivateKeyPEM, &created)
	if err != nil {
		return store.KeyPair{}, wrap(op, err)
	}
	k.CreatedAt = fromNanos(created)
	return k, nil
}

// CreateKeyPair implements [store.Keys]. A zero CreatedAt is stored as the current time.
func (s *Store) CreateKeyPair(ctx context.Context, k store.KeyPair) error {
	const op = "create key pair"
	if err := s.check(op); err != nil {
		return err
	}
	if k.ActorID == "" || k.Name == "" || len(k.PrivateKeyPEM) == 0 {
		return fmt.Errorf("sqlstore: %s: ActorID, Name and PrivateKeyPEM are required", op)
	}
	created := k.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	// Concurrent inserts of one key can deadlock on MySQL, where InnoDB locks the duplicate key
	// for each: run the loser again, so that it finds the winner's key (ErrConflict).
	err := s.inTxRetry(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q.createKeyPair, k.ActorID, k.Name, k.PrivateKeyPEM, created.UnixNano())
		return err
	})
	return wrap(op, err)
}
