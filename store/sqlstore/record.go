package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/fedsite/fedsite/store"
)

var _ store.Record = (*Store)(nil)

// recordQueries are the queries of the record of activities and its legal holds.
type recordQueries struct {
	// lockHead reads the chain's head row and locks it until the transaction ends (on SQLite,
	// whose write transactions hold the whole database, by writing it): appends wait for each
	// other.
	lockHead, head, setHead, insert, rangeAfter, deletePrefix string
	putHold, removeHold, holds                                string
}

const recordCols = `seq, at, direction, activity_id, type, actor, site_user, scheme, key_id, document, prev`

func newRecordQueries(d Dialect, r func(string) string) recordQueries {
	lockHead := `SELECT seq, hash FROM {record_head} WHERE id = 1 FOR UPDATE`
	if d == SQLite {
		// A write, so that a transaction beginning with it takes the write lock before it reads,
		// even on a pool whose BEGIN is deferred (see the package doc).
		lockHead = `UPDATE {record_head} SET seq = seq WHERE id = 1 RETURNING seq, hash`
	}
	q := recordQueries{
		lockHead:     r(lockHead),
		head:         r(`SELECT seq, hash FROM {record_head} WHERE id = 1`),
		setHead:      r(`UPDATE {record_head} SET seq = $1, hash = $2 WHERE id = 1`),
		insert:       r(`INSERT INTO {record} (` + recordCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`),
		rangeAfter:   r(`SELECT ` + recordCols + ` FROM {record} WHERE seq > $1 ORDER BY seq LIMIT $2`),
		deletePrefix: r(`DELETE FROM {record} WHERE seq IN `),
		putHold: r(`INSERT INTO {legal_holds} (id, actor, since, until, reason, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET actor = excluded.actor, since = excluded.since, until = excluded.until,
				reason = excluded.reason, created_by = excluded.created_by, created_at = excluded.created_at`),
		removeHold: r(`DELETE FROM {legal_holds} WHERE id = $1`),
		holds:      r(`SELECT id, actor, since, until, reason, created_by, created_at FROM {legal_holds} ORDER BY id`),
	}
	return q
}

// recordStmts are the statements of an append, prepared once: it is the inbox's second write per
// request. savepoint, release and rollbackTo, for the group commit, are prepared on SQLite only.
type recordStmts struct {
	lockHead, insert, setHead      *sql.Stmt
	savepoint, release, rollbackTo *sql.Stmt

	// Outside the group commit (Postgres, MySQL) a Store's concurrent appends are written
	// together, in one transaction, by one of them: else they would wait for each other on the
	// head's row lock, one commit each, each holding a connection of the pool meanwhile. waiting
	// holds the appends not yet taken, under mu; writing is held by the append writing a batch.
	mu      sync.Mutex
	waiting []*pendingAppend
	writing sync.Mutex
}

// pendingAppend is an append waiting to be written in a batch, and its result once done is
// closed.
type pendingAppend struct {
	e, stored store.RecordEntry
	err       error
	done      chan struct{}
}

// prepareRecord prepares s.rec; Close closes its statements with the others.
func (s *Store) prepareRecord(ctx context.Context) error {
	list := []preparing{{&s.rec.lockHead, s.db, s.q.record.lockHead}, {&s.rec.insert, s.db, s.q.record.insert},
		{&s.rec.setHead, s.db, s.q.record.setHead}}
	if s.dialect == SQLite {
		list = append(list, preparing{&s.rec.savepoint, s.db, `SAVEPOINT fedsite_record`},
			preparing{&s.rec.release, s.db, `RELEASE fedsite_record`}, preparing{&s.rec.rollbackTo, s.db, `ROLLBACK TO fedsite_record`})
	}
	return s.prepare(ctx, list...)
}

// AppendRecord implements [store.Record]: in one transaction it reads the chain's head, chains e
// after it, inserts e and moves the head. The transaction holds the head until it ends — its row
// locked, but on SQLite, whose write transactions hold the whole database — so appends from every
// instance sharing the database form one chain. On SQLite the append joins the group commit of
// the inbox's other writes (see groupCommit), in a savepoint that undoes it alone when it fails:
// an inbox request then waits for no commit of its own. Elsewhere the Store's concurrent appends
// are written in one transaction, and each alone when that fails, so that one append's failure
// is its own.
func (s *Store) AppendRecord(ctx context.Context, e store.RecordEntry) (store.RecordEntry, error) {
	const op = "append record"
	if err := s.check(op); err != nil {
		return store.RecordEntry{}, err
	}
	if err := ctx.Err(); err != nil {
		return store.RecordEntry{}, wrap(op, err)
	}
	var stored store.RecordEntry
	var err error
	if s.group != nil {
		err = s.groupCommit(ctx, func(ctx context.Context, q querier) error {
			return s.recordSavepoint(ctx, q, func() error {
				es, err := s.appendRecords(ctx, q, e)
				if err == nil {
					stored = es[0]
				}
				return err
			})
		})
	} else {
		stored, err = s.appendBatched(ctx, e)
	}
	if err != nil {
		return store.RecordEntry{}, wrap(op, err)
	}
	return stored, nil
}

// appendBatched writes e in the next batch of the Store's appends (see recordStmts): the batch
// of the append writing when it came, or its own. A batch is written whatever becomes of the
// context of the append that writes it, as the others wait for it.
func (s *Store) appendBatched(ctx context.Context, e store.RecordEntry) (store.RecordEntry, error) {
	r := &s.rec
	p := &pendingAppend{e: e, done: make(chan struct{})}
	r.mu.Lock()
	r.waiting = append(r.waiting, p)
	r.mu.Unlock()
	r.writing.Lock()
	defer r.writing.Unlock()
	select {
	case <-p.done: // written in the batch of the append before
		return p.stored, p.err
	default:
	}
	r.mu.Lock()
	batch := r.waiting
	r.waiting = nil
	r.mu.Unlock()
	s.writeBatch(context.WithoutCancel(ctx), batch)
	return p.stored, p.err
}

// writeBatch appends the entries of batch in one transaction, or, when one of its statements
// fails, each in a transaction of its own, and closes each one's done. A batch that fails
// otherwise (its begin or commit) is the error of every entry, not written again: a commit whose
// answer was lost may have stored them.
func (s *Store) writeBatch(ctx context.Context, batch []*pendingAppend) {
	defer func() {
		for _, p := range batch {
			close(p.done)
		}
	}()
	var refused bool // a statement of the last write failed
	write := func(ps []*pendingAppend) error {
		es := make([]store.RecordEntry, len(ps))
		for i, p := range ps {
			es[i] = p.e
		}
		return s.inTx(ctx, func(tx *sql.Tx) error {
			stored, err := s.appendRecords(ctx, tx, es...)
			if err != nil {
				refused = true
				return err
			}
			for i, p := range ps {
				p.stored = stored[i]
			}
			return nil
		})
	}
	err := write(batch)
	if err == nil || len(batch) == 1 || !refused {
		for _, p := range batch {
			p.err = err
		}
		return
	}
	for _, p := range batch {
		p.err = write([]*pendingAppend{p})
	}
}

// appendRecords chains es, in order, after the head q reads, which must hold it until its
// transaction ends, stores them and moves the head to the last; it returns them as stored.
func (s *Store) appendRecords(ctx context.Context, q querier, es ...store.RecordEntry) ([]store.RecordEntry, error) {
	var seq int64
	var hash []byte
	if err := bind(ctx, q, s.rec.lockHead).QueryRowContext(ctx).Scan(&seq, &hash); err != nil {
		return nil, err
	}
	insert := bind(ctx, q, s.rec.insert)
	stored := make([]store.RecordEntry, len(es))
	for i, e := range es {
		e = e.Chain(seq, hash)
		if _, err := insert.ExecContext(ctx, e.Seq, e.Time.UnixNano(), e.Direction, e.ActivityID,
			e.Type, e.Actor, e.User, e.Scheme, e.KeyID, nonNil(e.Document), e.Prev); err != nil {
			return nil, err
		}
		seq, hash, stored[i] = e.Seq, e.Hash(), e
	}
	if _, err := bind(ctx, q, s.rec.setHead).ExecContext(ctx, seq, hash); err != nil {
		return nil, err
	}
	return stored, nil
}

// recordSavepoint runs fn, which writes through q, a transaction on SQLite, within a savepoint:
// when fn fails its writes are undone and the transaction's others kept. When they cannot be
// undone (SQLite may have rolled back the whole transaction on a full disk or an I/O error), the
// error wraps errGroupBroken: the group's transaction must not be committed.
func (s *Store) recordSavepoint(ctx context.Context, q querier, fn func() error) error {
	if _, err := bind(ctx, q, s.rec.savepoint).ExecContext(ctx); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := bind(ctx, q, s.rec.rollbackTo).ExecContext(ctx); rerr != nil {
			return fmt.Errorf("%w: %w", errGroupBroken, errors.Join(err, rerr))
		}
		_, rerr := bind(ctx, q, s.rec.release).ExecContext(ctx)
		return errors.Join(err, rerr)
	}
	_, err := bind(ctx, q, s.rec.release).ExecContext(ctx)
	return err
}

// RecordHead implements [store.Record].
func (s *Store) RecordHead(ctx context.Context) (int64, []byte, error) {
	const op = "record head"
	if err := s.check(op); err != nil {
		return 0, nil, err
	}
	var seq int64
	var hash []byte
	if err := s.db.QueryRowContext(ctx, s.q.record.head).Scan(&seq, &hash); err != nil {
		return 0, nil, wrap(op, err)
	}
	return seq, hash, nil
}

// RecordRange implements [store.Record].
func (s *Store) RecordRange(ctx context.Context, after int64, limit int) ([]store.RecordEntry, error) {
	const op = "record range"
	if err := s.check(op); err != nil {
		return nil, err
	}
	limit, err := checkLimit(op, limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q.record.rangeAfter, after, limit)
	out, err := collectRows(rows, err, func(rows *sql.Rows) (store.RecordEntry, error) {
		var e store.RecordEntry
		var at int64
		err := rows.Scan(&e.Seq, &at, &e.Direction, &e.ActivityID, &e.Type, &e.Actor, &e.User, &e.Scheme,
			&e.KeyID, &e.Document, &e.Prev)
		e.Time = fromNanos(at)
		if len(e.Prev) == 0 {
			e.Prev = nil
		}
		return e, err
	})
	return out, wrap(op, err)
}

// deleteBatch is how many Seqs one DELETE names at most.
const deleteBatch = 500

// DeleteRecords implements [store.Record], in one transaction.
func (s *Store) DeleteRecords(ctx context.Context, seqs ...int64) error {
	const op = "delete records"
	if err := s.check(op); err != nil {
		return err
	}
	return wrap(op, s.inTx(ctx, func(tx *sql.Tx) error {
		for len(seqs) > 0 {
			n := min(len(seqs), deleteBatch)
			var b strings.Builder
			b.WriteByte('(')
			for i, q := range seqs[:n] {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprint(&b, q)
			}
			b.WriteByte(')')
			if _, err := tx.ExecContext(ctx, s.q.record.deletePrefix+b.String()); err != nil {
				return err
			}
			seqs = seqs[n:]
		}
		return nil
	}))
}

// PutLegalHold implements [store.Record].
func (s *Store) PutLegalHold(ctx context.Context, h store.LegalHold) (store.LegalHold, error) {
	const op = "put legal hold"
	if err := s.check(op); err != nil {
		return store.LegalHold{}, err
	}
	if h.ID == "" {
		h.ID = rand.Text()
	}
	_, err := s.db.ExecContext(ctx, s.q.record.putHold, h.ID, h.Actor, zeroNanos(h.Since), zeroNanos(h.Until),
		h.Reason, h.CreatedBy, zeroNanos(h.CreatedAt))
	if err != nil {
		return store.LegalHold{}, wrap(op, err)
	}
	return h, nil
}

// RemoveLegalHold implements [store.Record].
func (s *Store) RemoveLegalHold(ctx context.Context, id string) error {
	return s.execOne(ctx, "remove legal hold", s.q.record.removeHold, id)
}

// LegalHolds implements [store.Record].
func (s *Store) LegalHolds(ctx context.Context) ([]store.LegalHold, error) {
	const op = "legal holds"
	if err := s.check(op); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q.record.holds)
	out, err := collectRows(rows, err, func(rows *sql.Rows) (store.LegalHold, error) {
		var h store.LegalHold
		var since, until, created int64
		err := rows.Scan(&h.ID, &h.Actor, &since, &until, &h.Reason, &h.CreatedBy, &created)
		h.Since, h.Until, h.CreatedAt = fromZeroNanos(since), fromZeroNanos(until), fromZeroNanos(created)
		return h, err
	})
	return out, wrap(op, err)
}
