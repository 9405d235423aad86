package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"
)

// migration is one step of the schema. Its statements use {table} names and {int}, {blob},
// {seqpk}, {bytetext} types, {key} for an indexed IRI, {tag} for an indexed short name, {hash}
// for an indexed digest, {withoutrowid} after a table's definition, and {schema}. before an
// index's name (the schema on Postgres, nothing elsewhere), rewritten for the dialect. The key types are TEXT, and {hash} a BLOB or BYTEA, but on MySQL, whose indexes take
// only bounded strings.
type migration struct {
	version int
	name    string
	// only restricts the statements to one dialect; on the others the migration just records
	// its version. Zero: every dialect.
	only  Dialect
	stmts []string
	// mysql, when set, are MySQL's statements in place of stmts.
	mysql []string
}

// migrations returns the schema's history. Never edit a released migration: append a new one.
func migrations() []migration {
	return []migration{{
		version: 1,
		name:    "initial tables",
		stmts: []string{
			`CREATE TABLE {followers} (
				seq {seqpk},
				actor_id {key} NOT NULL,
				follower_id {key} NOT NULL,
				inbox TEXT NOT NULL,
				shared_inbox TEXT NOT NULL DEFAULT '',
				delivery_inbox {bytetext} NOT NULL,
				follow_id {key} NOT NULL DEFAULT '',
				created_at {int} NOT NULL,
				UNIQUE (actor_id, follower_id)
			)`,
			`CREATE INDEX followers_actor_seq ON {followers} (actor_id, seq)`,
			`CREATE INDEX followers_actor_delivery ON {followers} (actor_id, delivery_inbox)`,
			`CREATE INDEX followers_follow_id ON {followers} (follow_id)`,
			`CREATE TABLE {objects} (
				id {key} PRIMARY KEY,
				actor_id TEXT NOT NULL,
				type TEXT NOT NULL,
				document {blob},
				published {int},
				deleted {int}
			)`,
			`CREATE TABLE {outbox} (
				seq {seqpk},
				actor_id {key} NOT NULL,
				object_id {key} NOT NULL UNIQUE
			)`,
			`CREATE INDEX outbox_actor_seq ON {outbox} (actor_id, seq)`,
			`CREATE TABLE {seen} (
				id {key} PRIMARY KEY,
				expires_at {int} NOT NULL
			)`,
			`CREATE INDEX seen_expires ON {seen} (expires_at)`,
			`CREATE TABLE {remote_actors} (
				id {key} PRIMARY KEY,
				inbox TEXT NOT NULL,
				shared_inbox TEXT NOT NULL,
				document {blob},
				fetched_at {int}
			)`,
			`CREATE TABLE {remote_keys} (
				key_id {key} PRIMARY KEY,
				actor_id {key} NOT NULL,
				pos {int} NOT NULL,
				public_key_pem TEXT NOT NULL
			)`,
			`CREATE INDEX remote_keys_actor ON {remote_keys} (actor_id, pos)`,
			`CREATE TABLE {key_pairs} (
				actor_id {key} NOT NULL,
				name {key} NOT NULL,
				private_key_pem {blob} NOT NULL,
				created_at {int} NOT NULL,
				PRIMARY KEY (actor_id, name)
			)`,
			`CREATE TABLE {audit} (
				seq {seqpk},
				at {int} NOT NULL,
				actor TEXT NOT NULL,
				action TEXT NOT NULL,
				object TEXT NOT NULL,
				detail TEXT NOT NULL
			)`,
		},
	}, {
		version: 2,
		name:    "followers by delivery inbox",
		stmts: []string{
			`CREATE INDEX followers_delivery ON {followers} (delivery_inbox)`,
		},
	}, {
		version: 3,
		name:    "delivery queue, host state and delivery status",
		stmts: []string{
			// Times are Unix nanoseconds; leased_until is 0 when the job is not leased.
			`CREATE TABLE {jobs} (
				seq {seqpk},
				id {key} NOT NULL UNIQUE,
				kind TEXT NOT NULL,
				ordering_key {key} NOT NULL,
				payload {blob},
				not_before {int} NOT NULL,
				attempts {int} NOT NULL,
				last_error TEXT NOT NULL,
				enqueued_at {int} NOT NULL,
				leased_until {int} NOT NULL,
				token TEXT NOT NULL
			)`,
			`CREATE INDEX jobs_ordering ON {jobs} (ordering_key, seq)`,
			`CREATE INDEX jobs_visible ON {jobs} (not_before, leased_until)`,
			`CREATE TABLE {dead_jobs} (
				seq {seqpk},
				id TEXT NOT NULL,
				kind TEXT NOT NULL,
				ordering_key TEXT NOT NULL,
				payload {blob},
				attempts {int} NOT NULL,
				last_error TEXT NOT NULL,
				enqueued_at {int} NOT NULL,
				died_at {int} NOT NULL
			)`,
			`CREATE TABLE {hosts} (
				host {key} PRIMARY KEY,
				failures {int} NOT NULL,
				last_failure {int} NOT NULL,
				open_until {int} NOT NULL
			)`,
			`CREATE TABLE {deliveries} (
				object_id {key} NOT NULL,
				activity_id {bytetext} NOT NULL,
				inbox {bytetext} NOT NULL,
				host TEXT NOT NULL,
				state TEXT NOT NULL,
				attempts {int} NOT NULL,
				last_error TEXT NOT NULL,
				updated_at {int} NOT NULL,
				PRIMARY KEY (activity_id, inbox)
			)`,
			`CREATE INDEX deliveries_object ON {deliveries} (object_id, activity_id, inbox)`,
		},
	}, {
		version: 4,
		name:    "interactions and follow requests",
		stmts: []string{
			`CREATE TABLE {interactions} (
				seq {seqpk},
				id {key} NOT NULL UNIQUE,
				kind {tag} NOT NULL,
				object_id {key} NOT NULL,
				actor_id {key} NOT NULL,
				document {blob},
				created_at {int} NOT NULL
			)`,
			`CREATE INDEX interactions_object ON {interactions} (object_id, kind, seq)`,
			`CREATE TABLE {follow_requests} (
				seq {seqpk},
				actor_id {key} NOT NULL,
				follower_id {key} NOT NULL,
				inbox TEXT NOT NULL,
				shared_inbox TEXT NOT NULL,
				follow_id TEXT NOT NULL,
				document {blob},
				created_at {int} NOT NULL,
				UNIQUE (actor_id, follower_id)
			)`,
			`CREATE INDEX follow_requests_actor ON {follow_requests} (actor_id, seq)`,
		},
	}, {
		version: 5,
		name:    "no jobs_visible index on SQLite",
		only:    SQLite,
		stmts: []string{
			// Lease scans the jobs in seq order, and SQLite's planner never picked this index for
			// it; but with ANALYZE statistics it probed the index with the bound time at every
			// call, which made SQLite prepare the lease statement again each time. Every insert,
			// lease and ack also paid for keeping it.
			`DROP INDEX jobs_visible`,
		},
	}, {
		version: 6,
		name:    "one like and one announce per actor and object",
		stmts: []string{
			// Earlier versions kept a repeated Like or Announce under its new id: keep the
			// oldest of each actor, object and kind, as AddInteraction now does.
			`DELETE FROM {interactions} WHERE seq IN (
				SELECT d.seq FROM {interactions} d JOIN {interactions} o
					ON o.object_id = d.object_id AND o.actor_id = d.actor_id AND o.kind = d.kind AND o.seq < d.seq
				WHERE d.kind IN ('like', 'announce'))`,
			`CREATE UNIQUE INDEX interactions_one_per_actor ON {interactions} (object_id, actor_id, kind)
				WHERE kind IN ('like', 'announce')`,
		},
		// MySQL has no partial index: a generated column is 1 for a like or an announce and NULL
		// for the others, which a unique index never finds equal. Its DELETE names the table it
		// deletes from once, so the repeats are deleted through a join.
		mysql: []string{
			`DELETE d FROM {interactions} d JOIN {interactions} o
				ON o.object_id = d.object_id AND o.actor_id = d.actor_id AND o.kind = d.kind AND o.seq < d.seq
				WHERE d.kind IN ('like', 'announce')`,
			`ALTER TABLE {interactions} ADD COLUMN one_per_actor TINYINT
				GENERATED ALWAYS AS (CASE WHEN kind IN ('like', 'announce') THEN 1 END) STORED`,
			`CREATE UNIQUE INDEX interactions_one_per_actor ON {interactions} (object_id, actor_id, kind, one_per_actor)`,
		},
	}, {
		version: 7,
		name:    "blocks",
		stmts: []string{
			// target is the domain or the actor IRI, whichever the block names (store.Block.Target).
			`CREATE TABLE {blocks} (
				seq {seqpk},
				target {bytetext} NOT NULL UNIQUE,
				domain TEXT NOT NULL,
				actor_id TEXT NOT NULL,
				reason TEXT NOT NULL,
				created_by TEXT NOT NULL,
				created_at {int} NOT NULL
			)`,
		},
	}, {
		version: 8,
		name:    "activities know the object they are about",
		stmts: []string{
			// Object.ObjectID; DeleteObject takes the outbox activities about the deleted object
			// out of their outboxes through the index. Activities stored before keep ''.
			`ALTER TABLE {objects} ADD COLUMN about {key} NOT NULL DEFAULT ''`,
			`CREATE INDEX objects_about ON {objects} (about) WHERE about <> ''`,
		},
		// MySQL has no partial index; its index holds the empty ones too.
		mysql: []string{
			`ALTER TABLE {objects} ADD COLUMN about {key} NOT NULL DEFAULT ''`,
			`CREATE INDEX objects_about ON {objects} (about)`,
		},
	}, {
		version: 9,
		name:    "seen ids kept as fixed-size hashes",
		stmts: []string{
			// MarkSeen stores the first 16 bytes of the id's SHA-256 (seenHash) instead of the
			// URL. The ids seen so far are dropped rather than converted (neither dialect
			// hashes in SQL alike): they only de-duplicate redeliveries, which the inbox
			// applies idempotently.
			`DROP TABLE {seen}`,
			`CREATE TABLE {seen} (
				hash {hash} PRIMARY KEY,
				expires_at {int} NOT NULL
			){withoutrowid}`,
			`CREATE INDEX seen_expires ON {seen} (expires_at)`,
		},
	}, {
		version: 10,
		name:    "followers by day, recent deliveries",
		stmts: []string{
			// SummarizeFollowers counts the followers since a day through the first; CountDeliveries
			// groups the recent records by host and state from the second alone.
			`CREATE INDEX followers_actor_created ON {followers} (actor_id, created_at)`,
			`CREATE INDEX deliveries_updated ON {deliveries} (updated_at, host, state)`,
		},
		// MySQL indexes no LONGTEXT column whole: its index holds the time only.
		mysql: []string{
			`CREATE INDEX followers_actor_created ON {followers} (actor_id, created_at)`,
			`CREATE INDEX deliveries_updated ON {deliveries} (updated_at)`,
		},
	}, {
		version: 11,
		name:    "relay subscriptions",
		stmts: []string{
			// relay_id is store.Relay.ID, listed per actor in byte order.
			`CREATE TABLE {relays} (
				actor_id {key} NOT NULL,
				relay_id {bytetext} NOT NULL,
				style {tag} NOT NULL,
				inbox TEXT NOT NULL,
				follow_id TEXT NOT NULL,
				state {tag} NOT NULL,
				created_at {int} NOT NULL,
				PRIMARY KEY (actor_id, relay_id)
			)`,
		},
	}, {
		version: 12,
		name:    "audit entries name the site user",
		stmts: []string{
			`ALTER TABLE {audit} ADD COLUMN site_user TEXT NOT NULL DEFAULT ''`,
		},
	}, {
		version: 13,
		name:    "record of activities and legal holds",
		stmts: []string{
			// seq is the chain's (store.RecordEntry.Seq), set under the lock of the one
			// record_head row; prev is the previous entry's hash, NULL for the first.
			`CREATE TABLE {record} (
				seq {int} PRIMARY KEY,
				at {int} NOT NULL,
				direction TEXT NOT NULL,
				activity_id TEXT NOT NULL,
				type TEXT NOT NULL,
				actor TEXT NOT NULL,
				site_user TEXT NOT NULL,
				scheme TEXT NOT NULL,
				key_id TEXT NOT NULL,
				document {blob} NOT NULL,
				prev {blob}
			)`,
			`CREATE TABLE {record_head} (
				id {int} PRIMARY KEY,
				seq {int} NOT NULL,
				hash {blob}
			)`,
			`INSERT INTO {record_head} (id, seq, hash) VALUES (1, 0, NULL)`,
			// since and until are Unix nanoseconds, 0 for no bound.
			`CREATE TABLE {legal_holds} (
				id {key} PRIMARY KEY,
				actor TEXT NOT NULL,
				since {int} NOT NULL,
				until {int} NOT NULL,
				reason TEXT NOT NULL,
				created_by TEXT NOT NULL,
				created_at {int} NOT NULL
			)`,
		},
	}, {
		version: 14,
		name:    "emoji reactions and dislikes",
		stmts: []string{
			// store.Interaction.Emoji; '' for every kind but reactions. An actor has one
			// dislike of an object, and one reaction per emoji, as one like and one announce.
			`ALTER TABLE {interactions} ADD COLUMN emoji TEXT NOT NULL DEFAULT ''`,
			`DROP INDEX {schema}.interactions_one_per_actor`,
			`CREATE UNIQUE INDEX interactions_one_per_actor ON {interactions} (object_id, actor_id, kind, emoji)
				WHERE kind IN ('like', 'announce', 'dislike', 'reaction')`,
		},
		// The generated column of migration 6 takes the new kinds; the index takes the emoji,
		// bounded as store.MaxEmojiBytes says so that the key stays within InnoDB's 3072 bytes.
		mysql: []string{
			`DROP INDEX interactions_one_per_actor ON {interactions}`,
			`ALTER TABLE {interactions} DROP COLUMN one_per_actor`,
			`ALTER TABLE {interactions} ADD COLUMN emoji VARBINARY(255) NOT NULL DEFAULT ''`,
			`ALTER TABLE {interactions} ADD COLUMN one_per_actor TINYINT
				GENERATED ALWAYS AS (CASE WHEN kind IN ('like', 'announce', 'dislike', 'reaction') THEN 1 END) STORED`,
			`CREATE UNIQUE INDEX interactions_one_per_actor ON {interactions} (object_id, actor_id, kind, emoji, one_per_actor)`,
		},
	}, {
		version: 15,
		name:    "operational data pruned by age",
		// PruneOperational finds the dead letters and the remote actors older than its cut-offs
		// through these; the delivery records of an object through deliveries_object.
		stmts: []string{
			`CREATE INDEX dead_jobs_died ON {dead_jobs} (died_at)`,
			`CREATE INDEX remote_actors_fetched ON {remote_actors} (fetched_at)`,
		},
	}, {
		version: 16,
		name:    "follower counts by inbox and by day",
		stmts: []string{
			// The follower writes keep these counts in their transaction (see countFollowers),
			// so that the overview reads a row per inbox and per day, not one per follower.
			// day_nanos is the day's midnight in Unix nanoseconds, as created_at is kept.
			`CREATE TABLE {follower_inboxes} (
				actor_id {key} NOT NULL,
				delivery_inbox {bytetext} NOT NULL,
				followers {int} NOT NULL,
				PRIMARY KEY (actor_id, delivery_inbox)
			){withoutrowid}`,
			`CREATE TABLE {follower_days} (
				actor_id {key} NOT NULL,
				day_nanos {int} NOT NULL,
				followers {int} NOT NULL,
				PRIMARY KEY (actor_id, day_nanos)
			){withoutrowid}`,
			`INSERT INTO {follower_inboxes} (actor_id, delivery_inbox, followers)
				SELECT actor_id, delivery_inbox, COUNT(*) FROM {followers} GROUP BY actor_id, delivery_inbox`,
			`INSERT INTO {follower_days} (actor_id, day_nanos, followers)
				SELECT actor_id, created_at - created_at % 86400000000000, COUNT(*) FROM {followers}
				GROUP BY actor_id, created_at - created_at % 86400000000000`,
		},
	}}
}

// migrate applies every migration newer than the recorded version, each in its own transaction.
func (s *Store) migrate(ctx context.Context, ms []migration) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return wrap("migrate", err)
	}
	defer conn.Close()
	if s.dialect == MySQL {
		unlock, err := s.lockMySQL(ctx, conn)
		if err != nil {
			return wrap("migrate: lock", err)
		}
		defer unlock()
	}

	if err := s.migrateTx(ctx, conn, func(ctx context.Context, conn *sql.Conn) error {
		switch s.dialect {
		case Postgres:
			if _, err := conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(s.schema)); err != nil {
				return err
			}
		case MySQL:
			if _, err := conn.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteMySQL(s.schema)+
				" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
				return err
			}
		}
		_, err := conn.ExecContext(ctx, rewrite(s.dialect, s.schema,
			`CREATE TABLE IF NOT EXISTS {schema_migrations} (version {int} PRIMARY KEY, applied_at TEXT NOT NULL)`))
		return err
	}); err != nil {
		return wrap("migrate: create schema_migrations", err)
	}

	for _, m := range ms {
		applied := false
		err := s.migrateTx(ctx, conn, func(ctx context.Context, conn *sql.Conn) error {
			// Read the version under the lock: another instance may have just applied m.
			var v sql.NullInt64
			if err := conn.QueryRowContext(ctx, rewrite(s.dialect, s.schema,
				`SELECT MAX(version) FROM {schema_migrations}`)).Scan(&v); err != nil {
				return err
			}
			if v.Valid && v.Int64 >= int64(m.version) {
				return nil
			}
			stmts := m.stmts
			if s.dialect == MySQL && m.mysql != nil {
				stmts = m.mysql
			}
			if m.only != DetectDialect && m.only != s.dialect {
				stmts = nil
			}
			for _, st := range stmts {
				if _, err := conn.ExecContext(ctx, rewrite(s.dialect, s.schema, st)); err != nil {
					return err
				}
			}
			_, err := conn.ExecContext(ctx, rewrite(s.dialect, s.schema,
				`INSERT INTO {schema_migrations} (version, applied_at) VALUES ($1, $2)`),
				m.version, time.Now().UTC().Format(time.RFC3339Nano))
			applied = err == nil
			return err
		})
		if err != nil {
			return wrap(fmt.Sprintf("migrate to version %d (%s)", m.version, m.name), err)
		}
		if applied {
			s.log.LogAttrs(ctx, slog.LevelInfo, "applied schema migration",
				slog.Int("version", m.version), slog.String("name", m.name), slog.String("schema", s.schema))
		}
	}
	return nil
}

// migrateTx runs fn in a transaction on conn that holds the migration lock: BEGIN IMMEDIATE on
// SQLite, a transaction-scoped advisory lock keyed by the schema on Postgres. A failing fn rolls
// the transaction back; SQLite and Postgres both undo DDL on rollback. MySQL commits each DDL
// statement on its own, so there a failing migration may leave the statements before the failing
// one applied, and the version unrecorded; conn holds the lock of lockMySQL throughout.
func (s *Store) migrateTx(ctx context.Context, conn *sql.Conn, fn func(context.Context, *sql.Conn) error) (err error) {
	begin := "BEGIN"
	if s.dialect == SQLite {
		begin = "BEGIN IMMEDIATE"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Roll back even when ctx is done, so the connection goes back to the pool clean.
			if _, rbErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "rollback of schema migration failed", slog.Any("error", rbErr))
			}
		}
	}()
	if s.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", s.lockKey()); err != nil {
			return err
		}
	}
	if err := fn(ctx, conn); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// lockMySQL takes the named lock that keeps two instances from migrating the same MySQL database
// at once, waiting up to a minute, and returns the function that releases it. A named lock is
// the session's, not a transaction's: DDL commits the transaction it runs in.
func (s *Store) lockMySQL(ctx context.Context, conn *sql.Conn) (unlock func(), err error) {
	name := fmt.Sprintf("fedsite-migrate-%x", uint64(s.lockKey()))
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 60)", name).Scan(&got); err != nil {
		return nil, err
	}
	if got.Int64 != 1 {
		return nil, fmt.Errorf("lock %s is held by another instance", name)
	}
	return func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK(?)", name); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "release of the migration lock failed", slog.Any("error", err))
		}
	}, nil
}

// lockKey is the advisory lock id for migrations of this store's schema.
func (s *Store) lockKey() int64 {
	h := fnv.New64a()
	h.Write([]byte("fedsite/sqlstore migrate " + s.schema))
	return int64(h.Sum64())
}
