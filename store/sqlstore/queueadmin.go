package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"unicode/utf8"

	"github.com/fedsite/fedsite/store"
)

var _ store.QueueAdmin = (*Store)(nil)

// The statements of [store.QueueAdmin], in Postgres spelling (see rewrite). Operators run them
// now and then, so they are rewritten per call rather than prepared.
const (
	deadCols  = `seq, id, kind, ordering_key, payload, attempts, last_error, enqueued_at, died_at`
	deadFirst = `SELECT ` + deadCols + ` FROM {dead_jobs} ORDER BY seq DESC LIMIT $1`
	deadAfter = `SELECT ` + deadCols + ` FROM {dead_jobs} WHERE seq < $1 ORDER BY seq DESC LIMIT $2`
	// replayDead takes a job's dead letters out unless a job of its id ($1 = $2) is unfinished;
	// the statement writes first, as inTx asks. MySQL, which has no RETURNING, locks them with
	// replayDeadMySQL and deletes them with replayDeleteMySQL.
	replayDead = `DELETE FROM {dead_jobs} WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM {jobs} WHERE id = $2)
		RETURNING seq, kind, ordering_key, payload`
	replayDeadMySQL = `SELECT seq, kind, ordering_key, payload FROM {dead_jobs}
		WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM {jobs} WHERE id = $2) FOR UPDATE`
	replayDeleteMySQL = `DELETE FROM {dead_jobs} WHERE id = $1`
	hostCols          = `host, failures, last_failure, open_until`
	// keySuffix holds for a job whose ordering key ends with $2, which is $1 long as the
	// dialect's length() counts (see suffixArgs); a shorter key never matches, as its substring
	// is shorter than $2.
	keySuffix = `substr(ordering_key, length(ordering_key) - $1 + 1) = $2`
	// waits holds for a job that is delayed at $3 (= $4) and not leased.
	waits      = `not_before > $3 AND leased_until <= $4`
	keyedCount = `SELECT COUNT(*) FROM {jobs} WHERE ` + keySuffix
	keyedNext  = `SELECT id, kind, ordering_key, payload, not_before, attempts, last_error, enqueued_at FROM {jobs} WHERE ` + keySuffix + ` AND ` + waits +
		` ORDER BY not_before LIMIT 1`
	hurryJobs = `UPDATE {jobs} SET not_before = 0 WHERE ` + keySuffix + ` AND ` + waits
)

// adminSQL rewrites one of the statements operators run now and then (here and in hide.go) for
// the store's dialect and schema.
func (s *Store) adminSQL(query string) string { return rewrite(s.dialect, s.schema, query) }

// DeadLettersPage implements [store.QueueAdmin] from the dead_jobs table, newest first. Cursors
// and limits work as in [Store.FollowersPage].
func (s *Store) DeadLettersPage(ctx context.Context, cursor string, limit int) (store.Page[store.DeadLetter], error) {
	return seqPage(ctx, s, "dead letters page", s.adminSQL(deadFirst), s.adminSQL(deadAfter), nil, cursor, limit,
		func(rows *sql.Rows) (store.DeadLetter, string, error) {
			var d store.DeadLetter
			var seq, enq, died int64
			err := rows.Scan(&seq, &d.ID, &d.Kind, &d.OrderingKey, &d.Payload, &d.Attempts, &d.LastError, &enq, &died)
			d.EnqueuedAt, d.DiedAt = fromNanos(enq), fromNanos(died)
			return d, formatCursor(seq), err
		})
}

// Replay implements [store.QueueAdmin] in one transaction: each job's dead letters are deleted
// and the latest of them inserted into jobs.
func (s *Store) Replay(ctx context.Context, ids ...string) (int, error) {
	const op = "replay"
	if err := s.check(op); err != nil {
		return 0, err
	}
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		take := s.adminSQL(replayDead)
		if s.dialect == MySQL {
			take = s.adminSQL(replayDeadMySQL)
		}
		del, err := tx.PrepareContext(ctx, take)
		if err != nil {
			return err
		}
		defer del.Close()
		insert := tx.StmtContext(ctx, s.qs.insertJob)
		now := s.now().UnixNano()
		for _, id := range store.DistinctKeys(ids) {
			j, ok, err := latestDead(ctx, del, id)
			if err == nil && ok && s.dialect == MySQL {
				_, err = tx.ExecContext(ctx, s.adminSQL(replayDeleteMySQL), id)
			}
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if _, err := insert.ExecContext(ctx, id, j.Kind, j.OrderingKey, nonNil(j.Payload), 0, now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}

// latestDead runs del, the replayDead statement (replayDeadMySQL on MySQL), for id and returns the job of the latest dead
// letter it deleted; ok is false when it deleted none.
func latestDead(ctx context.Context, del *sql.Stmt, id string) (j store.Job, ok bool, err error) {
	latest := int64(-1)
	rows, err := del.QueryContext(ctx, id, id)
	err = eachRow(rows, err, func(rows *sql.Rows) error {
		var r store.Job
		var seq int64
		if err := rows.Scan(&seq, &r.Kind, &r.OrderingKey, &r.Payload); err != nil {
			return err
		}
		if seq > latest {
			j, latest = r, seq
		}
		return nil
	})
	if err != nil {
		return store.Job{}, false, err
	}
	return j, latest >= 0, nil
}

// HostsPage implements [store.QueueAdmin] from the hosts table, by name in byte order; the
// cursor is the last host of the previous page.
func (s *Store) HostsPage(ctx context.Context, cursor string, limit int) (store.Page[store.HostState], error) {
	// Postgres orders text by the database's collation unless told otherwise.
	collate := ""
	if s.dialect == Postgres {
		collate = ` COLLATE "C"`
	}
	query, args := `SELECT `+hostCols+` FROM {hosts} ORDER BY host`+collate+` LIMIT $1`, []any(nil)
	if cursor != "" {
		query = `SELECT ` + hostCols + ` FROM {hosts} WHERE host` + collate + ` > $1 ORDER BY host` + collate + ` LIMIT $2`
		args = []any{cursor}
	}
	return page(ctx, s, "hosts page", s.adminSQL(query), nil, limit, args, func(rows *sql.Rows) (store.HostState, string, error) {
		var h store.HostState
		var last, open int64
		err := rows.Scan(&h.Host, &h.Failures, &last, &open)
		h.LastFailure, h.OpenUntil = fromZeroNanos(last), fromZeroNanos(open)
		return h, h.Host, err
	})
}

// suffixArgs are keySuffix's arguments for suffix: its length as the dialect's length() counts
// an ordering key (bytes on MySQL, where the column is VARBINARY; characters elsewhere) and
// suffix itself.
func (s *Store) suffixArgs(suffix string) []any {
	n := utf8.RuneCountInString(suffix)
	if s.dialect == MySQL {
		n = len(suffix)
	}
	return []any{n, suffix}
}

// errEmptySuffix refuses KeyedJobs and HurryJobs without a suffix, which would name every job.
var errEmptySuffix = errors.New("empty key suffix")

// KeyedJobs implements [store.QueueAdmin] with two reads of the jobs table.
func (s *Store) KeyedJobs(ctx context.Context, suffix string) (store.KeyedJobs, error) {
	const op = "keyed jobs"
	var k store.KeyedJobs
	if err := s.check(op); err != nil {
		return k, err
	}
	if suffix == "" {
		return k, wrap(op, errEmptySuffix)
	}
	if err := s.rdb.QueryRowContext(ctx, s.adminSQL(keyedCount), s.suffixArgs(suffix)...).Scan(&k.Jobs); err != nil {
		return k, wrap(op, err)
	}
	var nb, enq int64
	j := &k.Next
	now := s.now().UnixNano()
	err := s.rdb.QueryRowContext(ctx, s.adminSQL(keyedNext), append(s.suffixArgs(suffix), now, now)...).Scan(&j.ID, &j.Kind,
		&j.OrderingKey, &j.Payload, &nb, &j.Attempts, &j.LastError, &enq)
	if errors.Is(err, sql.ErrNoRows) {
		return k, nil
	}
	j.NotBefore, j.EnqueuedAt = fromZeroNanos(nb), fromNanos(enq)
	return k, wrap(op, err)
}

// HurryJobs implements [store.QueueAdmin] with one UPDATE.
func (s *Store) HurryJobs(ctx context.Context, suffix string) (int, error) {
	const op = "hurry jobs"
	if err := s.check(op); err != nil {
		return 0, err
	}
	if suffix == "" {
		return 0, wrap(op, errEmptySuffix)
	}
	now := s.now().UnixNano()
	res, err := s.db.ExecContext(ctx, s.adminSQL(hurryJobs), append(s.suffixArgs(suffix), now, now)...)
	if err != nil {
		return 0, wrap(op, err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(op, err)
}
